//! Accuracy and speed of the approximate kernels against dense Sinkhorn, in the style of the LCN paper's
//! approximation study. `cargo bench --bench approximation` prints the table of BENCHMARKS.md
//! (n = m = 10,000); `-- table N` runs it at another size; `-- inverse` compares the stabilised inverses
//! of the Nyström landmark matrix.
//!
//! For uniform and clustered data in d ∈ {2, 16, 64, 256} and two ε (0.01 and 0.1 × the mean cost), each
//! kernel solves the same balanced problem (tolerance 1e-5, at most 5,000 iterations). Reported: the
//! memory of the kernel the solve ran on, build time, solve time and iterations (`*`: not converged),
//! the relative error of the transport cost ⟨P, C⟩ against dense Sinkhorn, the relative L1 error of the
//! plan product ‖P̃v − Pv‖₁ / ‖Pv‖₁ for a fixed v uniform in [0, 1], and the certified gap of the solve
//! (exact sums) with its time. Every approximate kernel uses the library's defaults: Sparse joint k-means
//! into 100 buckets, Nyström 200 landmarks, LCN the paper's 20 landmarks and hierarchical k-means
//! 10 × 100; a last row gives LCN about Nyström's memory (150 landmarks, hierarchical k-means 10 × 12).

use std::sync::Arc;
use std::time::Instant;

use scalot::kernel::nystrom::{LCN_LANDMARKS, NYSTROM_LANDMARKS};
use scalot::sinkhorn::CertifyOptions;
use scalot::{
    solve, Cost, Coupling, DenseKernel, DenseMode, KMeans, Kernel, Layout, LcnKernel,
    NystromKernel, NystromOptions, PairOptions, PairRule, PointCloud, SinkhornOptions,
    SparseKernel, StabilisedInverse, TransportPlan, Weights,
};
use scalot_testkit::data::{self, Rng};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("inverse") => inverse_table(),
        Some("table") => table(args.get(1).map_or(10_000, |s| s.parse().expect("n"))),
        _ => table(10_000),
    }
}

struct Problem {
    x: Vec<f64>,
    y: Vec<f64>,
    d: usize,
    epsilon: f64,
}

impl Problem {
    fn clouds(&self) -> (PointCloud<'_>, PointCloud<'_>) {
        let (n, m) = (self.x.len() / self.d, self.y.len() / self.d);
        (
            PointCloud::new("x", &self.x, n, self.d, Layout::RowMajor).unwrap(),
            PointCloud::new("y", &self.y, m, self.d, Layout::RowMajor).unwrap(),
        )
    }
}

fn problem(n: usize, d: usize, clustered: bool, relative_epsilon: f64) -> Problem {
    let (x, y, epsilon) = data::approximation_problem(n, d, clustered, relative_epsilon);
    Problem { x, y, d, epsilon }
}

/// A solve's outcome: build time, plan, solve time.
struct Run {
    bytes: usize,
    build: f64,
    solve: f64,
    certify: f64,
    /// The certificate's relative gap.
    gap: Option<f64>,
    plan: Result<TransportPlan, scalot::Error>,
}

fn run(build: impl FnOnce() -> Result<Arc<dyn Kernel>, scalot::Error>) -> Run {
    let start = Instant::now();
    let kernel = build().expect("kernel");
    let build = start.elapsed().as_secs_f64();
    let (n, m) = kernel.shape();
    let (a, b) = (
        Weights::new("a", None, n).unwrap(),
        Weights::new("b", None, m).unwrap(),
    );
    let mut options = SinkhornOptions::default();
    options
        .set_tolerance(1e-5)
        .unwrap()
        .set_max_iterations(MAX_ITERATIONS)
        .unwrap();
    let start = Instant::now();
    let plan = solve(&kernel, &a, &b, &options);
    let solve_time = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let gap = plan.as_ref().ok().map(|plan| {
        plan.certify(&CertifyOptions::default(), &mut |_| true)
            .expect("certificate")
            .relative_gap()
    });
    Run {
        bytes: plan
            .as_ref()
            .map_or(kernel.info().bytes, |p| p.kernel().info().bytes),
        build,
        solve: solve_time,
        certify: start.elapsed().as_secs_f64(),
        gap,
        plan,
    }
}

/// Iterations every solve of the table may take.
const MAX_ITERATIONS: usize = 5_000;

fn table(n: usize) {
    println!(
        "n = m = {n}; {} threads; tolerance 1e-5, at most {MAX_ITERATIONS} iterations",
        scalot::threads::num_threads()
    );
    println!("| data | d | ε / mean C | kernel | memory (MB) | build (s) | solve (s) | iterations | cost error | P·v error | certified gap | certify (s) |");
    println!("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut rng = Rng(7);
    let v: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    for clustered in [false, true] {
        for d in [2, 16, 64, 256] {
            for relative in [0.01, 0.1] {
                let problem = problem(n, d, clustered, relative);
                let (x, y) = problem.clouds();
                let eps = problem.epsilon;
                let dense = run(|| {
                    Ok(Arc::new(DenseKernel::from_points(
                        &x,
                        &y,
                        Cost::SqEuclidean,
                        eps,
                        DenseMode::StoredF32,
                    )?))
                });
                let reference = dense.plan.as_ref().expect("dense solve");
                let exact_cost = reference.transport_cost().unwrap();
                let mut exact_pv = vec![0.0; n];
                reference.apply(&v, &mut exact_pv).unwrap();
                let exact_l1: f64 = exact_pv.iter().map(|p| p.abs()).sum();
                let data = if clustered { "clustered" } else { "uniform" };
                let row = |name: &str, run: &Run| {
                    let (iterations, cost_error, product_error) = match &run.plan {
                        Ok(plan) => {
                            let mut pv = vec![0.0; n];
                            plan.apply(&v, &mut pv).unwrap();
                            let error: f64 =
                                pv.iter().zip(&exact_pv).map(|(a, b)| (a - b).abs()).sum();
                            let cost = plan.transport_cost().unwrap();
                            (
                                format!(
                                    "{}{}",
                                    plan.iterations(),
                                    if plan.converged() { "" } else { "*" }
                                ),
                                format!("{:.1e}", ((cost - exact_cost) / exact_cost).abs()),
                                format!("{:.1e}", error / exact_l1),
                            )
                        }
                        Err(_) => ("failed†".into(), "—".into(), "—".into()),
                    };
                    println!(
                        "| {data} | {d} | {relative} | {name} | {:.0} | {:.2} | {:.2} | {iterations} | {cost_error} | {product_error} | {} | {:.2} |",
                        run.bytes as f64 / 1e6,
                        run.build,
                        run.solve,
                        run.gap.map_or("—".into(), |g| format!("{g:.1e}")),
                        run.certify,
                    );
                };
                row("dense f32", &dense);
                // Every approximate kernel at the library's defaults, and LCN at Nyström's memory.
                let sparse = run(|| {
                    Ok(Arc::new(SparseKernel::new(
                        &x,
                        &y,
                        Cost::SqEuclidean,
                        eps,
                        &PairOptions::sparse_default(),
                    )?))
                });
                row("Sparse", &sparse);
                let nystrom = run(|| {
                    Ok(Arc::new(NystromKernel::new(
                        &x,
                        &y,
                        Cost::SqEuclidean,
                        eps,
                        &NystromOptions::new(NYSTROM_LANDMARKS),
                    )?))
                });
                row("Nyström", &nystrom);
                let lcn = run(|| {
                    Ok(Arc::new(LcnKernel::new(
                        &x,
                        &y,
                        Cost::SqEuclidean,
                        eps,
                        &NystromOptions::new(LCN_LANDMARKS),
                        &PairOptions::lcn_default(2 * n),
                    )?))
                });
                row("LCN", &lcn);
                let lcn_wide = run(|| {
                    Ok(Arc::new(LcnKernel::new(
                        &x,
                        &y,
                        Cost::SqEuclidean,
                        eps,
                        &NystromOptions::new(150),
                        &PairOptions::new(PairRule::KMeans(KMeans {
                            branching: vec![10, 12],
                            rounds: 1,
                            iterations: 10,
                        })),
                    )?))
                });
                row("LCN 150 + 10×12", &lcn_wide);
            }
        }
    }
}

/// Relative L1 error of the Nyström kernel's entries against the dense kernel, for each stabilised
/// inverse, on 400 uniform points in 2-D.
fn inverse_table() {
    let n = 400;
    let d = 2;
    let mut rng = Rng(3);
    let (x, y) = (data::uniform(&mut rng, n, d), data::uniform(&mut rng, n, d));
    let xs = PointCloud::new("x", &x, n, d, Layout::RowMajor).unwrap();
    let ys = PointCloud::new("y", &y, n, d, Layout::RowMajor).unwrap();
    let methods = [
        StabilisedInverse::Eigen { cutoff: 1e-12 },
        StabilisedInverse::Eigen { cutoff: 1e-10 },
        StabilisedInverse::Eigen { cutoff: 1e-8 },
        StabilisedInverse::Eigen { cutoff: 1e-6 },
        StabilisedInverse::Cholesky { jitter: 1e-12 },
        StabilisedInverse::Cholesky { jitter: 1e-10 },
        StabilisedInverse::Cholesky { jitter: 1e-8 },
        StabilisedInverse::Cholesky { jitter: 1e-6 },
    ];
    print!("| ε | landmarks |");
    for method in &methods {
        print!(" {method:?} |");
    }
    println!();
    for eps in [0.05, 0.3] {
        let dense =
            DenseKernel::from_points(&xs, &ys, Cost::SqEuclidean, eps, DenseMode::StoredF64)
                .unwrap();
        let reference = entries(&dense);
        let total: f64 = reference.iter().sum();
        for l in [20, 100, 400, 800] {
            print!("| {eps} | {l} |");
            for method in &methods {
                let options = NystromOptions {
                    inverse: *method,
                    ..NystromOptions::new(l)
                };
                let kernel =
                    NystromKernel::new(&xs, &ys, Cost::SqEuclidean, eps, &options).unwrap();
                let error: f64 = entries(&kernel)
                    .iter()
                    .zip(&reference)
                    .map(|(a, b)| (a - b).abs())
                    .sum();
                print!(" {:.1e} |", error / total);
            }
            println!();
        }
    }
}

fn entries(kernel: &dyn Kernel) -> Vec<f64> {
    let (n, m) = kernel.shape();
    let gibbs = kernel.gibbs(&vec![0.0; n], &vec![0.0; m]).unwrap();
    let mut out = vec![0.0; n * m];
    for (i, row) in out.chunks_exact_mut(m).enumerate() {
        gibbs.row(i, row);
    }
    out
}
