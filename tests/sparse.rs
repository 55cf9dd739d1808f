//! The sparse kernel against the dense one: where every pair is kept they must agree, and otherwise the
//! plan must vanish off the kept pairs while its marginals still hold. Pair rules are checked against
//! direct computations, and seeded builds are deterministic.

use std::sync::Arc;

use scalot::{
    solve, Cost, Coupling, DenseKernel, DenseMode, Error, KMeans, Kernel, Layout, PairOptions,
    PairRule, PointCloud, SinkhornOptions, SparseKernel, TransportPlan, Weights,
};
use scalot_testkit::data::Rng;

/// Uniform points in [0, 1]^d plus a shift.
fn points(n: usize, d: usize, shift: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng(seed);
    (0..n * d).map(|_| rng.uniform() + shift).collect()
}

const D: usize = 3;

fn cloud(values: &[f64]) -> PointCloud<'_> {
    PointCloud::new("x", values, values.len() / D, D, Layout::RowMajor).unwrap()
}

fn sparse(x: &[f64], y: &[f64], eps: f64, rule: PairRule, seed: u64) -> SparseKernel {
    let pairs = PairOptions {
        seed,
        ..PairOptions::new(rule)
    };
    SparseKernel::new(&cloud(x), &cloud(y), Cost::SqEuclidean, eps, &pairs).unwrap()
}

fn solved(kernel: Arc<dyn Kernel>) -> TransportPlan {
    let (n, m) = kernel.shape();
    let mut options = SinkhornOptions::default();
    options
        .set_tolerance(1e-11)
        .unwrap()
        .set_max_iterations(100_000)
        .unwrap();
    let (a, b) = (
        Weights::new("a", None, n).unwrap(),
        Weights::new("b", None, m).unwrap(),
    );
    solve(&kernel, &a, &b, &options).unwrap()
}

fn dense_plan(plan: &TransportPlan) -> Vec<f64> {
    let (n, m) = plan.shape();
    let mut p = vec![0.0; n * m];
    plan.to_dense(&mut p, Layout::RowMajor).unwrap();
    p
}

fn all_pair_rules(n: usize, m: usize) -> Vec<PairRule> {
    vec![
        PairRule::Truncation { factor: 1e6 },
        PairRule::NearestNeighbours { k: n.max(m) },
        PairRule::KMeans(KMeans::flat(1, 1, 5)),
        PairRule::KMeans(KMeans {
            branching: vec![1, 1],
            rounds: 2,
            iterations: 5,
        }),
    ]
}

#[test]
fn keeping_every_pair_gives_the_dense_solution() {
    let (x, y) = (points(40, D, 0.0, 1), points(30, D, 0.2, 2));
    let eps = 0.05;
    let dense = solved(Arc::new(
        DenseKernel::from_points(
            &cloud(&x),
            &cloud(&y),
            Cost::SqEuclidean,
            eps,
            DenseMode::StoredF64,
        )
        .unwrap(),
    ));
    for rule in all_pair_rules(40, 30) {
        let kernel = sparse(&x, &y, eps, rule.clone(), 7);
        assert_eq!(kernel.nnz(), 40 * 30, "{rule:?}");
        let plan = solved(Arc::new(kernel));
        assert!(plan.converged());
        let (cost, reference) = (
            plan.transport_cost().unwrap(),
            dense.transport_cost().unwrap(),
        );
        assert!(
            (cost - reference).abs() <= 1e-9 * reference,
            "{rule:?}: {cost} vs {reference}"
        );
        let (f, g) = plan.potentials();
        let (f0, g0) = dense.potentials();
        let gap = f
            .iter()
            .zip(f0)
            .chain(g.iter().zip(g0))
            .map(|(a, b)| (a - b).abs());
        assert!(gap.fold(0.0, f64::max) <= 1e-8 * eps, "{rule:?}");
        let (p, p0) = (dense_plan(&plan), dense_plan(&dense));
        assert!(
            p.iter().zip(&p0).all(|(a, b)| (a - b).abs() <= 1e-10),
            "{rule:?}"
        );
    }
}

#[test]
fn a_sparse_plan_vanishes_off_its_pairs_and_meets_its_marginals() {
    let (x, y) = (points(50, D, 0.0, 3), points(50, D, 0.1, 4));
    let eps = 0.02;
    let threshold = 0.3;
    let kernel = sparse(
        &x,
        &y,
        eps,
        PairRule::Truncation {
            factor: threshold / eps,
        },
        0,
    );
    // Truncation keeps exactly the pairs with C_ij <= t eps.
    let kept = |i: usize, j: usize| {
        Cost::SqEuclidean.eval(&x[i * D..][..D], &y[j * D..][..D]) <= threshold
    };
    let expected = (0..50)
        .flat_map(|i| (0..50).map(move |j| (i, j)))
        .filter(|&(i, j)| kept(i, j))
        .count();
    assert_eq!(kernel.nnz(), expected);
    assert!(
        expected < 50 * 50 / 2,
        "the test needs a truly sparse pattern"
    );
    let plan = solved(Arc::new(kernel));
    assert!(plan.converged());
    // The balanced solve ran on the truncation's pairs plus its transport backbone.
    let solved_on = plan.kernel();
    let gibbs = solved_on.gibbs(&[0.0; 50], &[0.0; 50]).unwrap();
    let mut on_pattern = vec![0.0; 50 * 50];
    for (i, row) in on_pattern.chunks_exact_mut(50).enumerate() {
        gibbs.row(i, row);
    }
    let info = solved_on.info();
    assert_eq!(info.nnz, expected + info.added_pairs);
    assert!(info.added_pairs > 0);
    let p = dense_plan(&plan);
    for i in 0..50 {
        for j in 0..50 {
            if kept(i, j) {
                assert!(on_pattern[i * 50 + j] > 0.0, "({i}, {j}) was dropped");
            } else if on_pattern[i * 50 + j] == 0.0 {
                assert_eq!(p[i * 50 + j], 0.0, "({i}, {j}) is not a kept pair");
            }
        }
    }
    let rows: Vec<f64> = p.chunks_exact(50).map(|r| r.iter().sum()).collect();
    assert!(rows.iter().all(|r| (r - 1.0 / 50.0).abs() < 1e-9));
    // The transport cost is exact over the kept pairs.
    let direct: f64 = (0..50)
        .flat_map(|i| (0..50).map(move |j| (i, j)))
        .map(|(i, j)| p[i * 50 + j] * Cost::SqEuclidean.eval(&x[i * D..][..D], &y[j * D..][..D]))
        .sum();
    let cost = plan.transport_cost().unwrap();
    assert!((cost - direct).abs() <= 1e-12 * direct);
}

#[test]
fn nearest_neighbours_cover_every_row_and_column() {
    let (x, y) = (points(80, D, 0.0, 5), points(60, D, 0.0, 6));
    let k = 3;
    let kernel = sparse(&x, &y, 0.01, PairRule::NearestNeighbours { k }, 0);
    assert!(kernel.nnz() >= 80 * k && kernel.nnz() <= (80 + 60) * k);
    // A balanced problem on so thin a support need not be feasible; a few iterations show the pattern.
    let kernel: Arc<dyn Kernel> = Arc::new(kernel);
    let (a, b) = (
        Weights::new("a", None, 80).unwrap(),
        Weights::new("b", None, 60).unwrap(),
    );
    let mut options = SinkhornOptions::default();
    options.set_max_iterations(20).unwrap();
    let plan = solve(&kernel, &a, &b, &options).unwrap();
    // Row 0 keeps its k cheapest targets.
    let p = dense_plan(&plan);
    let mut by_cost: Vec<(f64, usize)> = (0..60)
        .map(|j| (Cost::SqEuclidean.eval(&x[..D], &y[j * D..][..D]), j))
        .collect();
    by_cost.sort_by(|a, b| a.0.total_cmp(&b.0));
    for &(_, j) in &by_cost[..k] {
        assert!(p[j] > 0.0, "row 0 lost its neighbour {j}");
    }
}

#[test]
fn seeded_kmeans_is_deterministic_and_the_seed_matters() {
    let (x, y) = (points(300, D, 0.0, 7), points(280, D, 0.0, 8));
    let rule = PairRule::KMeans(KMeans {
        branching: vec![3, 2],
        rounds: 2,
        iterations: 10,
    });
    let mut bits = Vec::new();
    for threads in [1, 2] {
        scalot::threads::set_num_threads(threads).unwrap();
        let kernel = sparse(&x, &y, 0.1, rule.clone(), 42);
        let nnz = kernel.nnz();
        let kernel: Arc<dyn Kernel> = Arc::new(kernel);
        let (a, b) = (
            Weights::new("a", None, 300).unwrap(),
            Weights::new("b", None, 280).unwrap(),
        );
        let mut options = SinkhornOptions::default();
        options.set_max_iterations(200).unwrap();
        let plan = solve(&kernel, &a, &b, &options).unwrap();
        bits.push((
            nnz,
            plan.transport_cost().unwrap().to_bits(),
            plan.iterations(),
        ));
    }
    scalot::threads::set_num_threads(0).unwrap();
    assert_eq!(bits[0], bits[1]);
    let other = sparse(&x, &y, 0.1, rule, 43);
    assert_ne!(
        other.nnz(),
        bits[0].0,
        "another seed should give other clusters"
    );
}

#[test]
fn an_outlier_the_rule_leaves_alone_gets_its_nearest_partners() {
    let (mut x, y) = (points(20, D, 0.0, 9), points(20, D, 0.0, 10));
    x[5 * D] = 100.0; // point 5 is far from every target
    let kernel = sparse(&x, &y, 0.05, PairRule::Truncation { factor: 10.0 }, 0);
    let costs: Vec<f64> = (0..20)
        .map(|j| Cost::SqEuclidean.eval(&x[5 * D..][..D], &y[j * D..][..D]))
        .collect();
    // (5, j) is kept iff log Σ_k K_5k e^{v_k} is finite for v = C_5j/ε at j and −∞ elsewhere (the
    // entries themselves underflow).
    let found: Vec<usize> = (0..20)
        .filter(|&j| {
            let mut v = vec![f64::NEG_INFINITY; 20];
            v[j] = costs[j] / 0.05;
            let mut out = vec![0.0; 20];
            kernel.log_apply(&v, &mut out).unwrap();
            out[5].is_finite()
        })
        .collect();
    let mut nearest: Vec<(f64, usize)> = (0..20).map(|j| (costs[j], j)).collect();
    nearest.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut expected: Vec<usize> = nearest[..2].iter().map(|&(_, j)| j).collect();
    expected.sort_unstable();
    assert_eq!(
        found, expected,
        "the default coverage is the 2 nearest targets"
    );
    let (a, b) = (
        Weights::new("a", None, 20).unwrap(),
        Weights::new("b", None, 20).unwrap(),
    );
    let kernel: Arc<dyn Kernel> = Arc::new(kernel);
    let plan = solve(&kernel, &a, &b, &SinkhornOptions::default()).unwrap();
    assert!(plan.converged());
    let (f, g) = plan.potentials();
    assert!(f.iter().chain(g).all(|p| p.is_finite()));
}

/// Found by the fuzzer: a coverage beyond the other cloud's size asked the sibling-bucket search for a
/// heap of that capacity (capacity overflow, a panic). It now means every partner.
#[test]
fn a_coverage_beyond_the_other_cloud_keeps_every_pair() {
    let (x, y) = (points(12, D, 0.0, 3), points(7, D, 0.0, 4));
    for rule in [
        PairRule::KMeans(KMeans {
            branching: vec![2, 3],
            rounds: 1,
            iterations: 5,
        }),
        PairRule::Truncation { factor: 1e-3 },
    ] {
        let pairs = PairOptions {
            coverage: usize::MAX,
            ..PairOptions::new(rule.clone())
        };
        let kernel =
            SparseKernel::new(&cloud(&x), &cloud(&y), Cost::SqEuclidean, 0.5, &pairs).unwrap();
        assert_eq!(kernel.nnz(), 12 * 7, "{rule:?}");
    }
}

#[test]
fn without_coverage_an_uncovered_row_is_a_numerical_failure_that_names_it() {
    let (mut x, y) = (points(20, D, 0.0, 9), points(20, D, 0.0, 10));
    x[5 * D] = 100.0;
    let pairs = PairOptions {
        coverage: 0,
        backbone: false,
        ..PairOptions::new(PairRule::Truncation { factor: 10.0 })
    };
    let kernel =
        SparseKernel::new(&cloud(&x), &cloud(&y), Cost::SqEuclidean, 0.05, &pairs).unwrap();
    let (a, b) = (
        Weights::new("a", None, 20).unwrap(),
        Weights::new("b", None, 20).unwrap(),
    );
    let kernel: Arc<dyn Kernel> = Arc::new(kernel);
    match solve(&kernel, &a, &b, &SinkhornOptions::default()) {
        Err(error @ Error::NonPositiveSums { .. }) => {
            let message = error.to_string();
            assert!(message.contains("row 5 "), "{message}");
            assert!(message.contains("coverage"), "{message}");
        }
        other => panic!("expected a numerical failure, got {other:?}"),
    }
}

#[test]
fn too_many_clusters_are_refused() {
    let (x, y) = (points(3, D, 0.0, 11), points(2, D, 0.0, 12));
    let rule = PairRule::KMeans(KMeans::flat(6, 1, 1));
    let error = SparseKernel::new(
        &cloud(&x),
        &cloud(&y),
        Cost::SqEuclidean,
        1.0,
        &PairOptions::new(rule),
    )
    .unwrap_err();
    assert!(error.to_string().contains("clusters"), "{error}");
}
