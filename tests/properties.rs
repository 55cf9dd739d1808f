//! Properties every solve must have, on seeded random problems.

use std::sync::Arc;

use scalot::sinkhorn::EpsilonScaling;
use scalot::{
    solve, Cost, Coupling, DenseKernel, DenseMode, Kernel, Layout, PointCloud, SinkhornOptions,
    TransportPlan, Weights,
};
use scalot_testkit::data::Rng;

/// The random problems' points and weights.
trait Draws {
    fn points(&mut self, n: usize, d: usize, offset: f64) -> Vec<f64>;
    fn weights(&mut self, n: usize) -> Vec<f64>;
}

impl Draws for Rng {
    fn points(&mut self, n: usize, d: usize, offset: f64) -> Vec<f64> {
        (0..n * d).map(|_| self.uniform() + offset).collect()
    }

    fn weights(&mut self, n: usize) -> Vec<f64> {
        let w: Vec<f64> = (0..n).map(|_| 0.1 + self.uniform()).collect();
        let total: f64 = w.iter().sum();
        w.iter().map(|v| v / total).collect()
    }
}

fn kernel(x: &[f64], y: &[f64], d: usize, eps: f64, mode: DenseMode) -> Arc<dyn Kernel> {
    let x = PointCloud::new("x", x, x.len() / d, d, Layout::RowMajor).unwrap();
    let y = PointCloud::new("y", y, y.len() / d, d, Layout::RowMajor).unwrap();
    Arc::new(DenseKernel::from_points(&x, &y, Cost::SqEuclidean, eps, mode).unwrap())
}

fn run(k: &Arc<dyn Kernel>, a: &[f64], b: &[f64], options: &SinkhornOptions) -> TransportPlan {
    let a = Weights::new("a", Some(a), a.len()).unwrap();
    let b = Weights::new("b", Some(b), b.len()).unwrap();
    solve(k, &a, &b, options).unwrap()
}

fn options(tolerance: f64) -> SinkhornOptions {
    let mut o = SinkhornOptions::default();
    o.set_tolerance(tolerance)
        .unwrap()
        .set_max_iterations(100_000)
        .unwrap();
    o
}

fn dense(plan: &TransportPlan) -> Vec<f64> {
    let (n, m) = plan.shape();
    let mut p = vec![0.0; n * m];
    plan.to_dense(&mut p, Layout::RowMajor).unwrap();
    p
}

struct Problem {
    x: Vec<f64>,
    y: Vec<f64>,
    a: Vec<f64>,
    b: Vec<f64>,
    d: usize,
}

fn problem(seed: u64) -> Problem {
    let mut rng = Rng(seed);
    let d = 3;
    Problem {
        x: rng.points(60, d, 0.0),
        y: rng.points(45, d, 0.3),
        a: rng.weights(60),
        b: rng.weights(45),
        d,
    }
}

#[test]
fn marginals_hold_at_convergence() {
    let p = problem(1);
    let plan = run(
        &kernel(&p.x, &p.y, p.d, 0.05, DenseMode::StoredF64),
        &p.a,
        &p.b,
        &options(1e-10),
    );
    assert!(plan.converged());
    let (rows, cols) = plan.marginals();
    let error: f64 = rows
        .iter()
        .zip(&p.a)
        .chain(cols.iter().zip(&p.b))
        .map(|(r, w)| (r - w).abs())
        .sum();
    assert!(
        error < 1e-10 && (plan.marginal_error() - error).abs() < 1e-15,
        "{error:e}"
    );
    assert!(
        (plan.regularized_objective() - plan.dual_objective()).abs()
            < 1e-8 * plan.regularized_objective().abs()
    );
}

#[test]
fn swapping_the_clouds_transposes_the_plan() {
    let p = problem(2);
    let forward = run(
        &kernel(&p.x, &p.y, p.d, 0.05, DenseMode::StoredF64),
        &p.a,
        &p.b,
        &options(1e-12),
    );
    let backward = run(
        &kernel(&p.y, &p.x, p.d, 0.05, DenseMode::StoredF64),
        &p.b,
        &p.a,
        &options(1e-12),
    );
    let (n, m) = forward.shape();
    let (pf, pb) = (dense(&forward), dense(&backward));
    for i in 0..n {
        for j in 0..m {
            assert!((pf[i * m + j] - pb[j * n + i]).abs() < 1e-10, "P[{i},{j}]");
        }
    }
    assert!((forward.transport_cost().unwrap() - backward.transport_cost().unwrap()).abs() < 1e-10);
}

#[test]
fn translating_both_clouds_leaves_the_cost_unchanged() {
    let p = problem(3);
    let shift = |v: &[f64]| v.iter().map(|c| c + 100.0).collect::<Vec<_>>();
    let base = run(
        &kernel(&p.x, &p.y, p.d, 0.05, DenseMode::StoredF64),
        &p.a,
        &p.b,
        &options(1e-12),
    );
    let moved = run(
        &kernel(&shift(&p.x), &shift(&p.y), p.d, 0.05, DenseMode::StoredF64),
        &p.a,
        &p.b,
        &options(1e-12),
    );
    let (c0, c1) = (
        base.transport_cost().unwrap(),
        moved.transport_cost().unwrap(),
    );
    assert!((c0 - c1).abs() < 1e-9 * c0, "{c0} vs {c1}");
}

#[test]
fn results_are_identical_for_one_and_two_threads() {
    let mut rng = Rng(4);
    let d = 4;
    // Large enough that every product is split across threads.
    let (x, y) = (rng.points(700, d, 0.0), rng.points(650, d, 0.2));
    let (a, b) = (rng.weights(700), rng.weights(650));
    let mut results = Vec::new();
    for threads in [1, 2] {
        scalot::threads::set_num_threads(threads).unwrap();
        for mode in [DenseMode::StoredF32, DenseMode::Online] {
            let plan = run(&kernel(&x, &y, d, 0.02, mode), &a, &b, &options(1e-9));
            results.push((
                plan.iterations(),
                plan.transport_cost().unwrap().to_bits(),
                plan.potentials()
                    .0
                    .iter()
                    .map(|f| f.to_bits())
                    .collect::<Vec<_>>(),
            ));
        }
    }
    scalot::threads::set_num_threads(0).unwrap();
    assert_eq!(results[0], results[2], "stored f32: 1 vs 2 threads");
    assert_eq!(results[1], results[3], "online: 1 vs 2 threads");
}

#[test]
fn f32_storage_agrees_with_f64_to_its_rounding() {
    let p = problem(5);
    let exact = run(
        &kernel(&p.x, &p.y, p.d, 0.01, DenseMode::StoredF64),
        &p.a,
        &p.b,
        &options(1e-10),
    );
    let single = run(
        &kernel(&p.x, &p.y, p.d, 0.01, DenseMode::StoredF32),
        &p.a,
        &p.b,
        &options(1e-10),
    );
    let (c64, c32) = (
        exact.transport_cost().unwrap(),
        single.transport_cost().unwrap(),
    );
    assert!((c64 - c32).abs() < 1e-6 * c64, "{c64} vs {c32}");
}

#[test]
fn epsilon_scaling_and_warm_start_reach_the_same_solution() {
    let p = problem(6);
    let k = kernel(&p.x, &p.y, p.d, 0.002, DenseMode::StoredF64);
    let direct = run(&k, &p.a, &p.b, &options(1e-11));
    let mut scaled_options = options(1e-11);
    scaled_options
        .set_epsilon_scaling(Some(EpsilonScaling {
            start: 100.0,
            factor: 0.3,
        }))
        .unwrap();
    let scaled = run(&k, &p.a, &p.b, &scaled_options);
    assert!(direct.converged() && scaled.converged());
    let (c0, c1) = (
        direct.transport_cost().unwrap(),
        scaled.transport_cost().unwrap(),
    );
    assert!((c0 - c1).abs() < 1e-8 * c0, "{c0} vs {c1}");

    let mut warm = options(1e-11);
    let (f, g) = direct.potentials();
    warm.set_warm_start(f, g).unwrap();
    let restarted = run(&k, &p.a, &p.b, &warm);
    assert!(
        restarted.iterations() < direct.iterations() / 4,
        "{} vs {}",
        restarted.iterations(),
        direct.iterations()
    );
}

#[test]
fn plan_products_match_the_dense_plan() {
    let p = problem(7);
    let plan = run(
        &kernel(&p.x, &p.y, p.d, 0.05, DenseMode::Online),
        &p.a,
        &p.b,
        &options(1e-9),
    );
    let (n, m) = plan.shape();
    let full = dense(&plan);
    let v: Vec<f64> = (0..m).map(|j| (j as f64).sin()).collect();
    let mut pv = vec![0.0; n];
    plan.apply(&v, &mut pv).unwrap();
    for i in 0..n {
        let expected: f64 = (0..m).map(|j| full[i * m + j] * v[j]).sum();
        assert!((pv[i] - expected).abs() < 1e-14, "row {i}");
    }
    let u: Vec<f64> = (0..n).map(|i| (i as f64).cos()).collect();
    let mut ptu = vec![0.0; m];
    plan.apply_transpose(&u, &mut ptu).unwrap();
    for j in 0..m {
        let expected: f64 = (0..n).map(|i| full[i * m + j] * u[i]).sum();
        assert!((ptu[j] - expected).abs() < 1e-14, "column {j}");
    }
    let cost: f64 = (0..n)
        .flat_map(|i| (0..m).map(move |j| (i, j)))
        .map(|(i, j)| {
            let c: f64 = (0..p.d)
                .map(|k| (p.x[i * p.d + k] - p.y[j * p.d + k]).powi(2))
                .sum();
            full[i * m + j] * c
        })
        .sum();
    assert!((plan.transport_cost().unwrap() - cost).abs() < 1e-12);
}

#[test]
fn the_gradient_matches_finite_differences_of_the_objective() {
    let p = problem(8);
    let eps = 0.1;
    let objective = |x: &[f64]| {
        run(
            &kernel(x, &p.y, p.d, eps, DenseMode::StoredF64),
            &p.a,
            &p.b,
            &options(1e-13),
        )
        .regularized_objective()
    };
    let plan = run(
        &kernel(&p.x, &p.y, p.d, eps, DenseMode::StoredF64),
        &p.a,
        &p.b,
        &options(1e-13),
    );
    let mut gradient = vec![0.0; p.x.len()];
    plan.gradient_x(&mut gradient, Layout::RowMajor).unwrap();
    let h = 1e-5;
    for index in [0, 7, 100, 179] {
        let (mut up, mut down) = (p.x.clone(), p.x.clone());
        up[index] += h;
        down[index] -= h;
        let numeric = (objective(&up) - objective(&down)) / (2.0 * h);
        assert!(
            (numeric - gradient[index]).abs() < 1e-6,
            "coordinate {index}: {numeric} vs {}",
            gradient[index]
        );
    }
}

/// One-dimensional clouds at small ε: the plan is nearly a permutation, and Sinkhorn's rate so close to 1
/// that plain (over-relaxed) Sinkhorn needs about 2,700 iterations to reach 1e-9 here.
fn stalling_problem() -> (Arc<dyn Kernel>, Vec<f64>, Vec<f64>) {
    let mut rng = Rng(3);
    let n = 10;
    let (x, y) = (rng.points(n, 1, 0.0), rng.points(n, 1, 0.0));
    let k = kernel(&x, &y, 1, 1e-3, DenseMode::StoredF64);
    (k, vec![1.0 / n as f64; n], vec![1.0 / n as f64; n])
}

#[test]
fn a_stalled_solve_is_finished_by_newton() {
    let (k, a, b) = stalling_problem();
    let plan = run(&k, &a, &b, &options(1e-9));
    assert!(plan.converged() && plan.iterations() < 1_500, "{plan:?}");
    let (rows, cols) = plan.marginals();
    let error: f64 = rows
        .iter()
        .zip(&a)
        .chain(cols.iter().zip(&b))
        .map(|(r, w)| (r - w).abs())
        .sum();
    assert!(error < 1e-9, "{error:e}");
    // The duality gap of a plan that is optimal for its own marginals is ⟨f, r − a⟩ + ⟨g, c − b⟩.
    let (f, g) = plan.potentials();
    let largest = f.iter().chain(g).fold(0.0_f64, |m, p| m.max(p.abs()));
    let gap = (plan.regularized_objective() - plan.dual_objective()).abs();
    assert!(gap <= error * largest + 1e-15, "gap {gap:e}");
}

#[test]
fn newton_reports_progress_and_can_be_cancelled() {
    let (k, a, b) = stalling_problem();
    let (wa, wb) = (
        Weights::new("a", Some(&a), a.len()).unwrap(),
        Weights::new("b", Some(&b), b.len()).unwrap(),
    );
    let mut last = 0;
    let result = scalot::solve_with_progress(&k, &wa, &wb, &options(1e-12), &mut |p| {
        assert!(p.iteration >= last);
        last = p.iteration;
        p.iteration < 300
    });
    assert!(
        matches!(result, Err(scalot::Error::Cancelled { iteration }) if iteration >= 300),
        "{result:?}"
    );
}
