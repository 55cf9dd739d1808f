//! The main job: entropic OT between two built-in samples of one Gaussian mixture, with different spreads
//! (n = m = 5,000, d = 32, 8 components), solved with
//! each dense kernel mode and with the sparse, Nyström and LCN approximations at the library's defaults;
//! prints method, kernel memory, iterations, time, transport cost, its relative difference to dense
//! f64, marginal error, and the certified gap: how far the solve is from the exact one.
//! Then R_ρ for ρ from 2 down to 1.1 on the first 2,000 points of each sample, next to the entropic
//! transport cost of the Euclidean distance (an upper bound of EMD, which R_ρ approaches as ρ → 1).
//!
//! Run with `cargo run --release --example demo` (or `make demo`).
//!
//! `cargo run --release --example demo -- align` runs the alignment demo instead: Wasserstein–Procrustes
//! with LCN-Sinkhorn on synthetic bilingual embeddings (n = m = 5,000, d = 300, 80% shared vocabulary;
//! testkit/src/embeddings.rs), from the Procrustes fit on 50 known pairs: 150 steps, printing the
//! retrieval precision every 50.

use std::sync::Arc;
use std::time::Instant;

use scalot::align::precision_at_1;
use scalot::kernel::nystrom::{LCN_LANDMARKS, NYSTROM_LANDMARKS};
use scalot::sinkhorn::CertifyOptions;
use scalot::{
    align, rrho, solve, AlignKernel, AlignOptions, Cost, DenseKernel, DenseMode, Initial, Kernel,
    Layout, LcnKernel, NystromKernel, NystromOptions, PairOptions, PointCloud, Preprocessing,
    RrhoOptions, RrhoProblem, SinkhornOptions, SparseKernel, Weights,
};
use scalot_testkit::data::{self, Rng};
use scalot_testkit::embeddings;

/// n points of a mixture of isotropic Gaussians around `centres` (packed rows of d), row-major.
fn mixture(rng: &mut Rng, n: usize, centres: &[f64], d: usize, spread: f64) -> Vec<f64> {
    let components = centres.len() / d;
    let mut points = Vec::with_capacity(n * d);
    for i in 0..n {
        let c = i % components;
        points.extend((0..d).map(|k| centres[c * d + k] + spread * rng.normal()));
    }
    points
}

fn main() -> Result<(), scalot::Error> {
    if std::env::args().nth(1).as_deref() == Some("align") {
        return alignment();
    }
    let (n, m, d) = (5_000, 5_000, 32);
    let mut rng = Rng(2026);
    let centres: Vec<f64> = (0..8 * d).map(|_| 3.0 * rng.normal()).collect();
    let x = mixture(&mut rng, n, &centres, d, 1.0);
    let y = mixture(&mut rng, m, &centres, d, 1.5);
    let xs = PointCloud::new("x", &x, n, d, Layout::RowMajor)?;
    let ys = PointCloud::new("y", &y, m, d, Layout::RowMajor)?;

    // ε = 0.2 × the mean cost, estimated on a sample of pairs.
    let epsilon = 0.2 * data::mean_cost(&x, &y, d);
    let a = Weights::new("a", None, n)?;
    let b = Weights::new("b", None, m)?;
    let mut options = SinkhornOptions::default();
    options.set_tolerance(1e-6)?.set_max_iterations(2_000)?;

    println!("scalot {} demo: two Gaussian mixtures, n = m = {n}, d = {d}, eps = {epsilon:.4} (0.2 x mean cost), {} threads", env!("CARGO_PKG_VERSION"), scalot::threads::num_threads());
    println!("each approximate kernel with the library's defaults; memory: the kernel's bytes plus one solve's operator;");
    println!("vs f64: relative difference of the transport cost; certified gap: (upper - lower) / upper of the interval");
    println!(
        "that holds the exact regularised cost (scalot_plan_certify, exact sums over every pair)"
    );
    println!(
        "{:<20} {:>10} {:>10} {:>9} {:>16} {:>10} {:>10} {:>13}",
        "method",
        "memory MB",
        "iterations",
        "time (s)",
        "transport cost",
        "vs f64",
        "marg. err",
        "certified gap"
    );
    let dense = |mode| -> Result<Arc<dyn Kernel>, scalot::Error> {
        Ok(Arc::new(DenseKernel::from_points(
            &xs,
            &ys,
            Cost::SqEuclidean,
            epsilon,
            mode,
        )?))
    };
    type Build<'a> = Box<dyn Fn() -> Result<Arc<dyn Kernel>, scalot::Error> + 'a>;
    let methods: Vec<(&str, Build)> = vec![
        ("dense stored f64", Box::new(|| dense(DenseMode::StoredF64))),
        ("dense stored f32", Box::new(|| dense(DenseMode::StoredF32))),
        ("dense online", Box::new(|| dense(DenseMode::Online))),
        (
            "sparse (k-means 100)",
            Box::new(|| {
                Ok(Arc::new(SparseKernel::new(
                    &xs,
                    &ys,
                    Cost::SqEuclidean,
                    epsilon,
                    &PairOptions::sparse_default(),
                )?))
            }),
        ),
        (
            "nystrom (200)",
            Box::new(|| {
                Ok(Arc::new(NystromKernel::new(
                    &xs,
                    &ys,
                    Cost::SqEuclidean,
                    epsilon,
                    &NystromOptions::new(NYSTROM_LANDMARKS),
                )?))
            }),
        ),
        (
            "lcn (20 + 10x100)",
            Box::new(|| {
                Ok(Arc::new(LcnKernel::new(
                    &xs,
                    &ys,
                    Cost::SqEuclidean,
                    epsilon,
                    &NystromOptions::new(LCN_LANDMARKS),
                    &PairOptions::lcn_default(n + m),
                )?))
            }),
        ),
    ];
    let mut reference = None;
    for (name, build) in methods {
        let start = Instant::now();
        let kernel = build()?;
        let plan = solve(&kernel, &a, &b, &options)?;
        let seconds = start.elapsed().as_secs_f64();
        let cost = plan.transport_cost()?;
        let exact = *reference.get_or_insert(cost);
        let certificate = plan.certify(&CertifyOptions::default(), &mut |_| true)?;
        println!(
            "{:<20} {:>10.1} {:>10} {:>9.3} {:>16.6} {:>10.2e} {:>10.2e} {:>13.2e}{}",
            name,
            plan.kernel().info().bytes as f64 / 1e6,
            plan.iterations(),
            seconds,
            cost,
            (cost - exact) / exact,
            plan.marginal_error(),
            certificate.relative_gap(),
            if plan.converged() {
                String::new()
            } else {
                format!("  (stopped: {:?})", plan.stop_reason())
            }
        );
    }
    println!();
    rrho_against_sinkhorn(&x, &y, d)
}

/// R_ρ for a few ρ on the first 2,000 points of each sample, and the entropic transport cost of the
/// Euclidean distance on the same points.
fn rrho_against_sinkhorn(x: &[f64], y: &[f64], d: usize) -> Result<(), scalot::Error> {
    let n = 2_000;
    let xs = PointCloud::new("x", &x[..n * d], n, d, Layout::RowMajor)?;
    let ys = PointCloud::new("y", &y[..n * d], n, d, Layout::RowMajor)?;
    let mean_distance = (0..n)
        .map(|i| {
            let j = (i * 7919) % n;
            Cost::Euclidean.eval(&x[i * d..(i + 1) * d], &y[j * d..(j + 1) * d])
        })
        .sum::<f64>()
        / n as f64;
    let epsilon = 0.005 * mean_distance;
    println!("R_rho on the first {n} points of each sample, Euclidean distance; tolerance 1e-6 on both marginal errors");
    println!(
        "{:<24} {:>6} {:>9} {:>16} {:>27}",
        "method", "passes", "time (s)", "value", "certified interval"
    );
    let start = Instant::now();
    let kernel: Arc<dyn Kernel> = Arc::new(DenseKernel::from_points(
        &xs,
        &ys,
        Cost::Euclidean,
        epsilon,
        DenseMode::StoredF64,
    )?);
    let mut options = SinkhornOptions::default();
    options.set_tolerance(1e-6)?.set_max_iterations(10_000)?;
    let plan = solve(
        &kernel,
        &Weights::new("a", None, n)?,
        &Weights::new("b", None, n)?,
        &options,
    )?;
    println!(
        "{:<24} {:>6} {:>9.3} {:>16.6}   (transport cost, >= EMD)",
        format!("sinkhorn eps={epsilon:.3}"),
        plan.iterations(),
        start.elapsed().as_secs_f64(),
        plan.transport_cost()?
    );
    for rho in [2.0, 1.5, 1.25, 1.1] {
        let start = Instant::now();
        let problem = Arc::new(RrhoProblem::new(
            &xs,
            &ys,
            None,
            None,
            rho,
            Preprocessing::default(),
        )?);
        let solution = rrho::solve(&problem, &RrhoOptions::default())?;
        let certificate = solution.certificate();
        println!(
            "{:<24} {:>6} {:>9.3} {:>16.6}   [{:.6}, {:.6}]{}",
            format!("R_rho, rho = {rho}"),
            solution.passes(),
            start.elapsed().as_secs_f64(),
            solution.value(),
            certificate.lower,
            certificate.upper,
            if solution.converged() {
                ""
            } else {
                "  (not converged)"
            }
        );
    }
    Ok(())
}

/// Wasserstein–Procrustes with LCN-Sinkhorn, 150 steps in rounds of 50 (each round continues from the
/// last rotation, at the paper's learning rate for those steps), with the retrieval precision after each.
fn alignment() -> Result<(), scalot::Error> {
    let (n, d, rounds, steps) = (5_000, 300, 3, 50);
    let start = Instant::now();
    let data = embeddings::generate(&embeddings::Spec::bilingual(n, 7));
    let x = PointCloud::new("x", &data.x, n, d, Layout::RowMajor)?;
    let y = PointCloud::new("y", &data.y, n, d, Layout::RowMajor)?;
    println!(
        "scalot {} alignment demo: synthetic bilingual embeddings, n = m = {n}, d = {d}, {} known pairs ({:.1} s); LCN-Sinkhorn (20 landmarks, k-means 10 x 100), eps = 0.05, 10 iterations per step, {} threads",
        env!("CARGO_PKG_VERSION"),
        data.pairs.len(),
        start.elapsed().as_secs_f64(),
        scalot::threads::num_threads()
    );
    let seeds: Vec<(usize, usize)> = data
        .pairs
        .iter()
        .step_by(data.pairs.len() / 50)
        .copied()
        .take(50)
        .collect();
    let mut options = AlignOptions::default();
    options.set_kernel(AlignKernel::Lcn {
        landmarks: NystromOptions::new(20),
        pairs: PairOptions::lcn_default(usize::MAX),
    });
    // The starting rotation: the Procrustes fit on the seeds (one step at a vanishing rate keeps it).
    options.set_steps(1)?.set_learning_rate(1e-300, 1.0, 1)?;
    let mut rotation = align(&x, &y, Initial::SeedPairs(&seeds), &options, &mut |_| true)?
        .rotation()
        .to_vec();
    println!(
        "{:>6} {:>9} {:>16} {:>9} {:>9}",
        "steps", "time (s)", "transport cost", "NN p@1", "CSLS p@1"
    );
    let report = |steps: usize,
                  seconds: f64,
                  cost: Option<f64>,
                  rotation: &[f64]|
     -> Result<(), scalot::Error> {
        let p = precision_at_1(&x, &y, rotation, &data.pairs, 10)?;
        let cost = cost.map_or("-".to_owned(), |c| format!("{c:.6}"));
        println!(
            "{steps:>6} {seconds:>9.1} {cost:>16} {:>8.1}% {:>8.1}%",
            100.0 * p.nearest_neighbour,
            100.0 * p.csls
        );
        Ok(())
    };
    report(0, 0.0, None, &rotation)?;
    let start = Instant::now();
    for round in 0..rounds {
        let rate = 500.0 * 0.5f64.powi((round * steps / 100) as i32);
        options
            .set_steps(steps)?
            .set_learning_rate(rate, 1.0, steps)?;
        let alignment = align(&x, &y, Initial::Rotation(&rotation), &options, &mut |_| {
            true
        })?;
        rotation = alignment.rotation().to_vec();
        let cost = alignment.objectives().last().copied();
        report(
            (round + 1) * steps,
            start.elapsed().as_secs_f64(),
            cost,
            &rotation,
        )?;
    }
    Ok(())
}
