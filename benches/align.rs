//! Wasserstein–Procrustes alignment on synthetic bilingual embeddings (testkit/src/embeddings.rs,
//! `Spec::bilingual`: d = 300, 80% shared vocabulary), in the layout of the LCN paper's table: every
//! kernel with the same steps, ε = 0.05 and 10 Sinkhorn iterations per step, from the same start (the
//! Procrustes fit on 100 known pairs), then NN and CSLS (k = 10) precision@1 over all known pairs.
//!
//! `cargo bench --bench align -- 20000 [steps] [methods]`, methods a comma list of identity (no
//! alignment), original, dense, nystrom, sparse, lcn (default: all). The start is always evaluated; every
//! evaluation is an n×m pass in d = 300, minutes at n = 100,000. The learning rate is 500, halved every steps / 3 steps (the
//! paper's schedule of 300 steps halved every 100, compressed).
//!
//! "original" is the minibatch baseline of Grave et al.: every step draws a minibatch of each side,
//! solves dense Sinkhorn on it and takes the same projected step; the minibatch starts at 500 and
//! doubles every fifth of the steps (the paper's 5 epochs).

use std::sync::Arc;
use std::time::Instant;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use scalot::align::precision_at_1;
use scalot::{
    align, solve, AlignKernel, AlignOptions, AlignProgress, Cost, DenseKernel, DenseMode, Initial,
    Kernel, Layout, NystromOptions, PairOptions, PointCloud, SinkhornOptions, Weights,
};
use scalot_testkit::data::Rng;
use scalot_testkit::embeddings::{generate, Spec};

const EPSILON: f64 = 0.05;
const SINKHORN_ITERATIONS: usize = 10;
const LEARNING_RATE: f64 = 500.0;
const SEED_PAIRS: usize = 100;

fn kernel_of(method: &str) -> Option<AlignKernel> {
    let lcn_pairs = PairOptions {
        seed: 1,
        ..PairOptions::lcn_default(usize::MAX)
    };
    let mut landmarks = NystromOptions::new(20);
    landmarks.seed = 1;
    Some(match method {
        "dense" => AlignKernel::Dense(DenseMode::StoredF32),
        "nystrom" => AlignKernel::Nystrom(NystromOptions::new(200)),
        "sparse" => AlignKernel::Sparse(PairOptions {
            seed: 1,
            ..AlignKernel::paper_sparse_pairs()
        }),
        "lcn" => AlignKernel::Lcn {
            landmarks,
            pairs: lcn_pairs,
        },
        _ => return None,
    })
}

/// The polar factor U Vᵀ of m.
fn polar(m: MatRef<'_, f64>) -> Mat<f64> {
    let svd = m.thin_svd().expect("svd");
    svd.U() * svd.V().transpose()
}

/// The minibatch baseline; returns R row-major.
fn original(x: &[f64], y: &[f64], n: usize, d: usize, start: &[f64], steps: usize) -> Vec<f64> {
    let mut r = MatRef::from_row_major_slice(start, d, d).to_owned();
    let mut rng = Rng(17);
    let mut options = SinkhornOptions::default();
    options
        .set_tolerance(f64::MIN_POSITIVE)
        .unwrap()
        .set_max_iterations(SINKHORN_ITERATIONS)
        .unwrap();
    let epoch = steps.div_ceil(5);
    for step in 0..steps {
        let batch = (500 << (step / epoch)).min(n);
        let sample = |rng: &mut Rng, points: &[f64]| -> Vec<f64> {
            (0..batch)
                .flat_map(|_| {
                    let i = (rng.uniform() * n as f64) as usize % n;
                    points[i * d..(i + 1) * d].to_vec()
                })
                .collect()
        };
        let (xb, yb) = (sample(&mut rng, x), sample(&mut rng, y));
        let yb_mat = MatRef::from_row_major_slice(&yb, batch, d);
        let rotated = yb_mat * r.transpose();
        let rotated: Vec<f64> = (0..batch)
            .flat_map(|j| (0..d).map(move |k| (j, k)))
            .map(|(j, k)| rotated[(j, k)])
            .collect();
        let xs = PointCloud::new("x", &xb, batch, d, Layout::RowMajor).unwrap();
        let ys = PointCloud::new("y", &rotated, batch, d, Layout::RowMajor).unwrap();
        let kernel: Arc<dyn Kernel> = Arc::new(
            DenseKernel::from_points(&xs, &ys, Cost::NegDot, EPSILON, DenseMode::StoredF32)
                .unwrap(),
        );
        let weights = Weights::new("a", None, batch).unwrap();
        let plan = solve(&kernel, &weights, &weights, &options).unwrap();
        let (moved, _) = plan.plan_times_targets().unwrap();
        // −G = Xᵀ P Y = Xᵀ (P Y Rᵀ) R.
        let mut cross = Mat::<f64>::zeros(d, d);
        matmul(
            cross.as_mut(),
            Accum::Replace,
            MatRef::from_row_major_slice(&xb, batch, d).transpose(),
            MatRef::from_row_major_slice(&moved, batch, d),
            1.0,
            Par::rayon(0),
        );
        let rate = LEARNING_RATE * 0.5f64.powi((step / steps.div_ceil(3).max(1)) as i32);
        r = polar((&r + rate * (&cross * &r)).as_ref());
    }
    (0..d)
        .flat_map(|i| (0..d).map(move |k| (i, k)))
        .map(|(i, k)| r[(i, k)])
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let n: usize = args.first().map_or(20_000, |s| s.parse().expect("n"));
    let steps: usize = args.get(1).map_or(60, |s| s.parse().expect("steps"));
    let methods: Vec<String> = args.get(2).map_or_else(
        || {
            ["identity", "original", "dense", "nystrom", "sparse", "lcn"]
                .map(String::from)
                .to_vec()
        },
        |list| list.split(',').map(String::from).collect(),
    );

    let start = Instant::now();
    let data = generate(&Spec::bilingual(n, 2021));
    let d = 300;
    let x = PointCloud::new("x", &data.x, n, d, Layout::RowMajor).unwrap();
    let y = PointCloud::new("y", &data.y, n, d, Layout::RowMajor).unwrap();
    println!(
        "bilingual embeddings n = m = {n}, d = {d}, {} known pairs, generated in {:.1} s; {steps} steps, eps = {EPSILON}, {SINKHORN_ITERATIONS} Sinkhorn iterations per step, {} threads",
        data.pairs.len(),
        start.elapsed().as_secs_f64(),
        scalot::threads::num_threads()
    );
    let seeds: Vec<(usize, usize)> = data
        .pairs
        .iter()
        .step_by(data.pairs.len() / SEED_PAIRS)
        .copied()
        .take(SEED_PAIRS)
        .collect();
    let identity: Vec<f64> = (0..d * d)
        .map(|v| if v % (d + 1) == 0 { 1.0 } else { 0.0 })
        .collect();
    // The start: the Procrustes fit on the seed pairs, R = polar(Σ x_i y_jᵀ).
    let seed_rows = |points: &[f64], side: fn(&(usize, usize)) -> usize| -> Mat<f64> {
        Mat::from_fn(seeds.len(), d, |p, k| points[side(&seeds[p]) * d + k])
    };
    let (xs, ys) = (seed_rows(&data.x, |p| p.0), seed_rows(&data.y, |p| p.1));
    let fitted = polar((xs.transpose() * &ys).as_ref());
    let initial: Vec<f64> = (0..d * d).map(|v| fitted[(v / d, v % d)]).collect();
    let report = |name: &str, seconds: f64, rotation: &[f64]| {
        let p = precision_at_1(&x, &y, rotation, &data.pairs, 10).unwrap();
        println!(
            "| {name} | {seconds:.1} | {:.1}% | {:.1}% |",
            100.0 * p.nearest_neighbour,
            100.0 * p.csls
        );
    };
    println!("| method | time (s) | NN p@1 | CSLS p@1 |");
    println!("|---|---:|---:|---:|");
    report(
        &format!("start: Procrustes on {SEED_PAIRS} pairs"),
        0.0,
        &initial,
    );
    let mut options = AlignOptions::default();
    options
        .set_steps(steps)
        .unwrap()
        .set_epsilon(EPSILON)
        .unwrap()
        .set_sinkhorn_iterations(SINKHORN_ITERATIONS)
        .unwrap()
        .set_learning_rate(LEARNING_RATE, 0.5, steps.div_ceil(3).max(1))
        .unwrap();
    for method in &methods {
        let start = Instant::now();
        if method == "identity" {
            report("identity (no alignment)", 0.0, &identity);
            continue;
        }
        if method == "original" {
            let rotation = original(&data.x, &data.y, n, d, &initial, steps);
            report(
                "Original (minibatch)",
                start.elapsed().as_secs_f64(),
                &rotation,
            );
            continue;
        }
        let Some(kernel) = kernel_of(method) else {
            panic!("unknown method {method}");
        };
        options.set_kernel(kernel);
        let mut step_ends = vec![start];
        let mut record = |_: &AlignProgress| {
            step_ends.push(Instant::now());
            true
        };
        let result = align(&x, &y, Initial::Rotation(&initial), &options, &mut record);
        let mut step_seconds: Vec<f64> = step_ends
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect();
        step_seconds.sort_by(f64::total_cmp);
        if let Some(median) = step_seconds.get(step_seconds.len() / 2) {
            eprintln!(
                "{method}: median step {median:.2} s over {} steps",
                step_seconds.len()
            );
        }
        match result {
            Ok(alignment) => report(method, start.elapsed().as_secs_f64(), alignment.rotation()),
            Err(error) => println!(
                "| {method} | failed after {:.1} s: {error} | | |",
                start.elapsed().as_secs_f64()
            ),
        }
    }
}
