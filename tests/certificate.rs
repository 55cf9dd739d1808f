//! The certificate of a solve against the exact problem: on random problems over the approximation grid
//! (uniform and clustered data, several d and ε, every kernel, balanced, relaxed and half-relaxed), the
//! exact regularised cost from a dense solve lies in the certified interval, the interval of a dense
//! solve is tight, and an approximate solve's interval is wider the worse its potentials are.

use std::sync::Arc;

use scalot::sinkhorn::CertifyOptions;
use scalot::{
    solve, Cost, DenseKernel, DenseMode, KMeans, Kernel, Layout, LcnKernel, NystromKernel,
    NystromOptions, PairOptions, PairRule, PointCloud, SinkhornOptions, SparseKernel,
    TransportPlan, Weights,
};
use scalot_testkit::data::Rng;

/// Standard normals.
fn normals(count: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng(seed);
    (0..count).map(|_| rng.normal()).collect()
}

/// n points in d dimensions: a standard Gaussian, or 4 tight clusters.
fn cloud_values(n: usize, d: usize, clustered: bool, seed: u64) -> Vec<f64> {
    let noise = normals(n * d, seed);
    if !clustered {
        return noise;
    }
    let centres = normals(4 * d, seed + 100);
    (0..n * d)
        .map(|e| 3.0 * centres[(e / d % 4) * d + e % d] + 0.2 * noise[e])
        .collect()
}

fn cloud(values: &[f64], d: usize) -> PointCloud<'_> {
    PointCloud::new("x", values, values.len() / d, d, Layout::RowMajor).unwrap()
}

fn solved(kernel: Arc<dyn Kernel>, tau: (f64, f64), tolerance: f64) -> TransportPlan {
    let (n, m) = kernel.shape();
    let mut options = SinkhornOptions::default();
    options
        .set_tolerance(tolerance)
        .unwrap()
        .set_max_iterations(100_000)
        .unwrap()
        .set_marginal_relaxation(tau.0, tau.1)
        .unwrap();
    let a = Weights::new(
        "a",
        Some(
            &normals(n, 7)
                .iter()
                .map(|v| 1.0 + 0.5 * v.tanh())
                .collect::<Vec<_>>(),
        ),
        n,
    )
    .unwrap();
    let b = Weights::new("b", None, m).unwrap();
    let scale = b.mass() / a.mass();
    let a = Weights::new(
        "a",
        Some(&a.as_slice().iter().map(|w| w * scale).collect::<Vec<_>>()),
        n,
    )
    .unwrap();
    solve(&kernel, &a, &b, &options).unwrap()
}

fn certify(plan: &TransportPlan) -> scalot::sinkhorn::Certificate {
    plan.certify(&CertifyOptions::default(), &mut |_| true)
        .unwrap()
}

#[test]
fn every_kernel_s_interval_holds_the_exact_regularised_cost() {
    let (n, m) = (120, 90);
    let mut checked = 0;
    for (d, clustered) in [(2, false), (2, true), (16, true), (40, false)] {
        let (x, y) = (
            cloud_values(n, d, clustered, 10 + d as u64),
            cloud_values(m, d, clustered, 20 + d as u64),
        );
        let (xs, ys) = (cloud(&x, d), cloud(&y, d));
        for relative in [0.05, 0.5] {
            let dense_f64 =
                DenseKernel::from_points(&xs, &ys, Cost::SqEuclidean, 1.0, DenseMode::StoredF64)
                    .unwrap();
            let mean_cost = solved(Arc::new(dense_f64), (f64::INFINITY, f64::INFINITY), 1e-6)
                .transport_cost()
                .unwrap()
                .max(1e-3);
            let eps = relative * mean_cost;
            for tau in [
                (f64::INFINITY, f64::INFINITY),
                (2.0 * mean_cost, 0.5 * mean_cost),
                (mean_cost, f64::INFINITY),
            ] {
                let exact: Arc<dyn Kernel> = Arc::new(
                    DenseKernel::from_points(
                        &xs,
                        &ys,
                        Cost::SqEuclidean,
                        eps,
                        DenseMode::StoredF64,
                    )
                    .unwrap(),
                );
                let reference = solved(Arc::clone(&exact), tau, 1e-12);
                let value = reference.regularized_objective();
                let dense = certify(&reference);
                assert!(
                    dense.relative_gap() < 1e-7,
                    "d {d}, eps {eps}, tau {tau:?}: dense gap {dense:?} value {value} dual {} err {} {:?} {}", reference.dual_objective(), reference.marginal_error(), reference.stop_reason(), reference.iterations()
                );
                let kernels: Vec<(&str, Arc<dyn Kernel>)> = vec![
                    (
                        "sparse",
                        Arc::new(
                            SparseKernel::new(
                                &xs,
                                &ys,
                                Cost::SqEuclidean,
                                eps,
                                &PairOptions::new(PairRule::KMeans(KMeans::flat(6, 1, 10))),
                            )
                            .unwrap(),
                        ),
                    ),
                    (
                        "nystrom",
                        Arc::new(
                            NystromKernel::new(
                                &xs,
                                &ys,
                                Cost::SqEuclidean,
                                eps,
                                &NystromOptions::new(20),
                            )
                            .unwrap(),
                        ),
                    ),
                    (
                        "lcn",
                        Arc::new(
                            LcnKernel::new(
                                &xs,
                                &ys,
                                Cost::SqEuclidean,
                                eps,
                                &NystromOptions::new(10),
                                &PairOptions::lcn_default(n + m),
                            )
                            .unwrap(),
                        ),
                    ),
                ];
                for (name, kernel) in kernels {
                    let plan = solved(kernel, tau, 1e-9);
                    let certificate = certify(&plan);
                    let slack = 1e-9 * value.abs().max(1.0);
                    assert!(
                        certificate.lower <= value + slack && value <= certificate.upper + slack,
                        "{name}, d {d}, clustered {clustered}, eps {eps}, tau {tau:?}: {value} not in \
                         [{}, {}]",
                        certificate.lower,
                        certificate.upper
                    );
                    assert_eq!(certificate.sampled_rows, 0);
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 3 * 3);
}

#[test]
fn worse_potentials_give_a_wider_interval_that_still_holds_the_exact_cost() {
    let d = 3;
    let (x, y) = (cloud_values(80, d, true, 1), cloud_values(70, d, true, 2));
    let kernel: Arc<dyn Kernel> = Arc::new(
        DenseKernel::from_points(
            &cloud(&x, d),
            &cloud(&y, d),
            Cost::SqEuclidean,
            2.0,
            DenseMode::StoredF64,
        )
        .unwrap(),
    );
    let exact = solved(Arc::clone(&kernel), (f64::INFINITY, f64::INFINITY), 1e-12);
    let value = exact.regularized_objective();
    let mut last_gap = 0.0;
    for iterations in [40, 8, 2] {
        let mut options = SinkhornOptions::default();
        options.set_max_iterations(iterations).unwrap();
        let (a, b) = (
            Weights::new("a", None, 80).unwrap(),
            Weights::new("b", None, 70).unwrap(),
        );
        let uniform = solve(&kernel, &a, &b, &options).unwrap();
        let reference = {
            let mut tight = SinkhornOptions::default();
            tight
                .set_tolerance(1e-12)
                .unwrap()
                .set_max_iterations(100_000)
                .unwrap();
            solve(&kernel, &a, &b, &tight)
                .unwrap()
                .regularized_objective()
        };
        let certificate = certify(&uniform);
        assert!(certificate.lower <= reference + 1e-12 && reference <= certificate.upper + 1e-12);
        assert!(
            certificate.relative_gap() >= last_gap,
            "{iterations} iterations: gap {} below {last_gap}",
            certificate.relative_gap()
        );
        last_gap = certificate.relative_gap();
    }
    assert!(
        last_gap > 1e-6,
        "two iterations should be visibly off: {last_gap}"
    );
    assert!(value.is_finite());
}

#[test]
fn sampled_certificates_estimate_the_exact_ends_within_their_standard_errors() {
    let d = 8;
    let (n, m) = (600, 500);
    let (x, y) = (cloud_values(n, d, true, 31), cloud_values(m, d, true, 32));
    let (xs, ys) = (cloud(&x, d), cloud(&y, d));
    let eps = 2.0;
    let sampled_options = CertifyOptions {
        exact_limit: 0,
        samples: 150,
        seed: 4,
    };
    for tau in [(f64::INFINITY, f64::INFINITY), (20.0, 5.0)] {
        let kernels: Vec<(&str, Arc<dyn Kernel>)> = vec![
            (
                "dense",
                Arc::new(
                    DenseKernel::from_points(&xs, &ys, Cost::SqEuclidean, eps, DenseMode::Online)
                        .unwrap(),
                ),
            ),
            (
                "nystrom",
                Arc::new(
                    NystromKernel::new(&xs, &ys, Cost::SqEuclidean, eps, &NystromOptions::new(30))
                        .unwrap(),
                ),
            ),
            (
                "lcn",
                Arc::new(
                    LcnKernel::new(
                        &xs,
                        &ys,
                        Cost::SqEuclidean,
                        eps,
                        &NystromOptions::new(10),
                        &PairOptions::lcn_default(n + m),
                    )
                    .unwrap(),
                ),
            ),
        ];
        for (name, kernel) in kernels {
            let plan = solved(kernel, tau, 1e-9);
            let exact = certify(&plan);
            let sampled = plan.certify(&sampled_options, &mut |_| true).unwrap();
            assert_eq!(sampled.sampled_rows, 150);
            let scale = exact.upper.abs().max(1.0);
            println!(
                "{name} {tau:?}: exact [{}, {}], sampled [{} ± {}, {} ± {}]",
                exact.lower,
                exact.upper,
                sampled.lower,
                sampled.lower_error,
                sampled.upper,
                sampled.upper_error
            );
            assert!(
                (sampled.lower - exact.lower).abs() <= 4.0 * sampled.lower_error + 1e-9 * scale,
                "{name} {tau:?}: lower {} ± {} vs {}",
                sampled.lower,
                sampled.lower_error,
                exact.lower
            );
            assert!(
                (sampled.upper - exact.upper).abs() <= 4.0 * sampled.upper_error + 1e-3 * scale,
                "{name} {tau:?}: upper {} ± {} vs {}",
                sampled.upper,
                sampled.upper_error,
                exact.upper
            );
        }
    }
}

#[test]
fn a_cost_matrix_certifies_as_its_points_do_on_either_side() {
    let d = 3;
    let (n, m) = (70, 55);
    let (x, y) = (cloud_values(n, d, false, 41), cloud_values(m, d, false, 42));
    let costs: Vec<f64> = (0..n * m)
        .map(|e| Cost::SqEuclidean.eval(&x[e / m * d..][..d], &y[e % m * d..][..d]))
        .collect();
    // Exact rows, relaxed rows with exact columns (the transposed passes), and both relaxed.
    for tau in [
        (f64::INFINITY, f64::INFINITY),
        (3.0, f64::INFINITY),
        (3.0, 2.0),
    ] {
        let points: Arc<dyn Kernel> = Arc::new(
            DenseKernel::from_points(
                &cloud(&x, d),
                &cloud(&y, d),
                Cost::SqEuclidean,
                0.7,
                DenseMode::StoredF64,
            )
            .unwrap(),
        );
        let matrix: Arc<dyn Kernel> = Arc::new(
            DenseKernel::from_cost_matrix(
                &costs,
                n,
                m,
                Layout::RowMajor,
                0.7,
                DenseMode::StoredF64,
            )
            .unwrap(),
        );
        let by_points = certify(&solved(points, tau, 1e-6));
        let by_matrix = certify(&solved(matrix, tau, 1e-6));
        for (p, q) in [
            (by_points.lower, by_matrix.lower),
            (by_points.upper, by_matrix.upper),
            (by_points.transport_cost, by_matrix.transport_cost),
        ] {
            assert!((p - q).abs() <= 1e-9 * p.abs(), "tau {tau:?}: {p} vs {q}");
        }
        let exact = solved(
            Arc::new(
                DenseKernel::from_cost_matrix(
                    &costs,
                    n,
                    m,
                    Layout::RowMajor,
                    0.7,
                    DenseMode::StoredF64,
                )
                .unwrap(),
            ),
            tau,
            1e-13,
        )
        .regularized_objective();
        assert!(by_matrix.lower <= exact + 1e-10 && exact <= by_matrix.upper + 1e-10);
    }
}
