//! The main job: entropic OT between two built-in Gaussian mixtures (n = m = 5,000, d = 32), solved with
//! each dense kernel mode; prints method, iterations, time, transport cost and marginal error.
//!
//! Run with `cargo run --release --example demo` (or `make demo`).

use std::sync::Arc;
use std::time::Instant;

use scalot::{
    solve, Cost, DenseKernel, DenseMode, Kernel, Layout, PointCloud, SinkhornOptions, Weights,
};

/// SplitMix64 with Box–Muller normals: the demo's data is the same on every machine.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (((z ^ (z >> 31)) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * self.uniform()).cos()
    }
}

/// n points of a mixture of `components` isotropic Gaussians with random centres, row-major.
fn mixture(rng: &mut Rng, n: usize, d: usize, components: usize, spread: f64) -> Vec<f64> {
    let centres: Vec<f64> = (0..components * d).map(|_| 3.0 * rng.normal()).collect();
    let mut points = Vec::with_capacity(n * d);
    for i in 0..n {
        let c = i % components;
        points.extend((0..d).map(|k| centres[c * d + k] + spread * rng.normal()));
    }
    points
}

fn main() -> Result<(), scalot::Error> {
    let (n, m, d) = (5_000, 5_000, 32);
    let mut rng = Rng(2026);
    let x = mixture(&mut rng, n, d, 8, 1.0);
    let y = mixture(&mut rng, m, d, 8, 1.5);
    let xs = PointCloud::new("x", &x, n, d, Layout::RowMajor)?;
    let ys = PointCloud::new("y", &y, m, d, Layout::RowMajor)?;

    // ε = 0.05 × the mean cost, estimated on a sample of pairs.
    let sample = 20_000;
    let mean_cost = (0..sample)
        .map(|s| {
            let (i, j) = ((s * 7919) % n, (s * 104_729) % m);
            (0..d)
                .map(|k| (x[i * d + k] - y[j * d + k]).powi(2))
                .sum::<f64>()
        })
        .sum::<f64>()
        / sample as f64;
    let epsilon = 0.05 * mean_cost;
    let a = Weights::new("a", None, n)?;
    let b = Weights::new("b", None, m)?;
    let mut options = SinkhornOptions::default();
    options.set_tolerance(1e-6)?.set_max_iterations(2_000)?;

    println!("scalot {} demo: two Gaussian mixtures, n = m = {n}, d = {d}, eps = {epsilon:.4} (0.05 x mean cost), {} threads", env!("CARGO_PKG_VERSION"), scalot::threads::num_threads());
    println!(
        "{:<22} {:>10} {:>10} {:>16} {:>14}",
        "method", "iterations", "time (s)", "transport cost", "marginal error"
    );
    for (name, mode) in [
        ("dense stored f32", DenseMode::StoredF32),
        ("dense stored f64", DenseMode::StoredF64),
        ("dense online", DenseMode::Online),
    ] {
        let start = Instant::now();
        let kernel: Arc<dyn Kernel> = Arc::new(DenseKernel::from_points(
            &xs,
            &ys,
            Cost::SqEuclidean,
            epsilon,
            mode,
        )?);
        let plan = solve(&kernel, &a, &b, &options)?;
        let cost = plan.transport_cost()?;
        println!(
            "{:<22} {:>10} {:>10.3} {:>16.6} {:>14.2e}{}",
            name,
            plan.iterations(),
            start.elapsed().as_secs_f64(),
            cost,
            plan.marginal_error(),
            if plan.converged() {
                ""
            } else {
                "  (not converged)"
            }
        );
    }
    Ok(())
}
