//! LCN and Sparse Sinkhorn at scale: build the kernel and run 100 iterations on clustered data,
//! n = m, d = 64, and report times, the kernel's size and the process's peak resident memory. One
//! configuration per process, so that the peak is its own:
//!
//! `cargo bench --bench scale -- lcn 100000`, `-- sparse 100000 200`, `-- sparse-knn 100000`,
//! `-- lcn 1000000`; the optional third argument is the points per bucket (default 20). Then the solve
//! is certified (`TransportPlan::certify`, default options: exact sums up to 10⁹ pairs, 1,000 sampled
//! rows above); a fourth argument `exact` makes every sum exact.
//!
//! Pairs come from hierarchical k-means, one round, sized to about 20 points (10 of each cloud) per
//! bucket: levels of 10 clusters, then one level of 10 to 100, so a point is compared with about 80
//! centres per Lloyd step at every size. LCN adds 20 k-means++ landmarks, as in the LCN paper. Sparse
//! alone fails when a bucket holds points of only one cloud (a row or column without a pair), which
//! buckets of 20 points do at n = 100,000 (and 200 points too, through outlier buckets). `sparse-knn`
//! keeps each point's 10 nearest points of the other cloud, both ways, which covers every line.

use std::sync::Arc;
use std::time::Instant;

use scalot::sinkhorn::CertifyOptions;
use scalot::{
    solve, Cost, KMeans, Kernel, Layout, LcnKernel, NystromOptions, PairOptions, PairRule,
    PointCloud, SinkhornOptions, SparseKernel, Weights,
};
use scalot_testkit::data::{self, Rng};

const D: usize = 64;
const ITERATIONS: usize = 100;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let kind = args.first().map_or("lcn", String::as_str).to_owned();
    let n: usize = args.get(1).map_or(100_000, |s| s.parse().expect("n"));
    let per_bucket: usize = args
        .get(2)
        .map_or(20, |s| s.parse().expect("points per bucket"));
    let coverage: usize = std::env::var("SCALOT_BENCH_COVERAGE")
        .map_or(scalot::kernel::pairs::DEFAULT_COVERAGE, |v| {
            v.parse().expect("coverage")
        });
    let certify = CertifyOptions {
        exact_limit: match args.get(3).map(String::as_str) {
            Some("exact") => usize::MAX,
            _ => CertifyOptions::default().exact_limit,
        },
        ..CertifyOptions::default()
    };

    let start = Instant::now();
    let mut rng = Rng(42);
    let centres: Vec<f64> = (0..100 * D).map(|_| rng.normal()).collect();
    let x = data::mixture(&mut rng, n, &centres, D, 0.3);
    let y = data::mixture(&mut rng, n, &centres, D, 0.3);
    let epsilon = 0.05 * data::mean_cost(&x, &y, D);
    let generated = start.elapsed().as_secs_f64();
    let xs = PointCloud::new("x", &x, n, D, Layout::RowMajor).unwrap();
    let ys = PointCloud::new("y", &y, n, D, Layout::RowMajor).unwrap();

    let buckets = (2 * n / per_bucket).max(10);
    let tens = ((buckets as f64 / 50.0).log10().round().max(0.0)) as u32;
    let mut branching = vec![10; tens as usize];
    branching.push((buckets / 10usize.pow(tens)).max(1));
    let rule = PairRule::KMeans(KMeans {
        branching: branching.clone(),
        rounds: 1,
        iterations: 10,
    });

    let start = Instant::now();
    let kernel: Arc<dyn Kernel> = match kind.as_str() {
        "sparse" => Arc::new(
            SparseKernel::new(
                &xs,
                &ys,
                Cost::SqEuclidean,
                epsilon,
                &PairOptions::new(rule.clone()),
            )
            .unwrap(),
        ),
        "sparse-knn" => {
            let rule = PairRule::NearestNeighbours { k: 10 };
            Arc::new(
                SparseKernel::new(
                    &xs,
                    &ys,
                    Cost::SqEuclidean,
                    epsilon,
                    &PairOptions::new(rule.clone()),
                )
                .unwrap(),
            )
        }
        _ => Arc::new(
            LcnKernel::new(
                &xs,
                &ys,
                Cost::SqEuclidean,
                epsilon,
                &NystromOptions::new(20),
                &PairOptions {
                    seed: 1,
                    coverage,
                    ..PairOptions::new(rule.clone())
                },
            )
            .unwrap(),
        ),
    };
    let build = start.elapsed().as_secs_f64();
    let info = kernel.info();

    let (a, b) = (
        Weights::new("a", None, n).unwrap(),
        Weights::new("b", None, n).unwrap(),
    );
    let mut options = SinkhornOptions::default();
    options
        .set_tolerance(1e-300)
        .unwrap()
        .set_max_iterations(ITERATIONS)
        .unwrap();
    let start = Instant::now();
    let outcome = solve(&kernel, &a, &b, &options);
    let solve_time = start.elapsed().as_secs_f64();
    // The timings first, so that a run stopped during the certificate still has them.
    println!(
        "{kind} n = m = {n}, d = {D}, {} threads, branching {branching:?}, coverage {coverage}: data \
         {generated:.1} s, build {build:.1} s, {ITERATIONS} iterations {solve_time:.1} s, total {:.1} s; \
         nnz {} ({} added), landmarks {}, kernel {:.0} MB, peak RSS {:.2} GiB (n·m·4 bytes would be \
         {:.1} GB)",
        scalot::threads::num_threads(),
        build + solve_time,
        info.nnz,
        info.added_pairs,
        info.landmarks,
        info.bytes as f64 / 1e6,
        peak_rss().unwrap_or(0) as f64 / (1u64 << 30) as f64,
        (n * n * 4) as f64 / 1e9,
    );
    match &outcome {
        Ok(plan) => {
            let start = Instant::now();
            let certificate = plan.certify(&certify, &mut |_| true).unwrap();
            println!(
                "{} iterations, marginal error {:.2e}; certified gap {:.2e} ({}, ±{:.1e} / ±{:.1e}) in \
                 {:.1} s",
                plan.iterations(),
                plan.marginal_error(),
                certificate.relative_gap(),
                match certificate.sampled_rows {
                    0 => "exact".to_owned(),
                    rows => format!("{rows} sampled rows"),
                },
                certificate.lower_error,
                certificate.upper_error,
                start.elapsed().as_secs_f64()
            );
        }
        Err(error) => println!("failed: {error}"),
    }
}

/// Peak resident memory of this process so far, in bytes (Linux: VmHWM).
fn peak_rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
