//! The Nyström and LCN kernels against the dense kernel, entry by entry and through Sinkhorn: Nyström on
//! every point is the dense kernel, LCN is exact at its pairs and never further from the dense kernel than
//! Nyström on the same landmarks, and the plan operations work without n×m memory. Also the new pair
//! rules (hierarchical k-means, angular LSH, k-d tree neighbours) against direct computations.

use std::collections::BTreeSet;
use std::sync::Arc;

use scalot::{
    solve, AngularLsh, Cost, Coupling, DenseKernel, DenseMode, Error, KMeans, Kernel, LandmarkRule,
    Layout, LcnKernel, NystromKernel, NystromOptions, PairOptions, PairRule, PointCloud,
    SinkhornOptions, SparseKernel, StabilisedInverse, TransportPlan, Weights,
};
use scalot_testkit::data::{self, Rng};

/// Uniform points in [0, 1)^d.
fn uniform(n: usize, d: usize, seed: u64) -> Vec<f64> {
    data::uniform(&mut Rng(seed), n, d)
}

/// Points in `clusters` tight groups around uniform centres.
fn clustered(n: usize, d: usize, clusters: usize, seed: u64) -> Vec<f64> {
    let centres = uniform(clusters, d, seed);
    let noise = uniform(n, d, seed + 1);
    (0..n * d)
        .map(|e| {
            let (i, k) = (e / d, e % d);
            centres[(i % clusters) * d + k] + 0.05 * (noise[e] - 0.5)
        })
        .collect()
}

/// `rule` with `seed` and the default coverage.
fn with_seed(rule: &PairRule, seed: u64) -> PairOptions {
    PairOptions {
        seed,
        ..PairOptions::new(rule.clone())
    }
}

fn cloud(values: &[f64], d: usize) -> PointCloud<'_> {
    PointCloud::new("x", values, values.len() / d, d, Layout::RowMajor).unwrap()
}

/// Every entry of a kernel, from its operator with zero potentials.
fn entries(kernel: &dyn Kernel) -> Vec<f64> {
    let (n, m) = kernel.shape();
    let gibbs = kernel.gibbs(&vec![0.0; n], &vec![0.0; m]).unwrap();
    let mut out = vec![0.0; n * m];
    for (i, row) in out.chunks_exact_mut(m).enumerate() {
        gibbs.row(i, row);
    }
    out
}

fn dense(x: &[f64], y: &[f64], d: usize, eps: f64) -> DenseKernel {
    DenseKernel::from_points(
        &cloud(x, d),
        &cloud(y, d),
        Cost::SqEuclidean,
        eps,
        DenseMode::StoredF64,
    )
    .unwrap()
}

fn solved(kernel: Arc<dyn Kernel>, tolerance: f64) -> TransportPlan {
    let (n, m) = kernel.shape();
    let mut options = SinkhornOptions::default();
    options
        .set_tolerance(tolerance)
        .unwrap()
        .set_max_iterations(20_000)
        .unwrap();
    let (a, b) = (
        Weights::new("a", None, n).unwrap(),
        Weights::new("b", None, m).unwrap(),
    );
    solve(&kernel, &a, &b, &options).unwrap()
}

fn max_abs_difference(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn nystrom_on_every_point_is_the_dense_kernel() {
    let d = 3;
    let (x, y) = (uniform(30, d, 1), uniform(25, d, 2));
    let eps = 0.5;
    let reference = entries(&dense(&x, &y, d, eps));
    for inverse in [
        StabilisedInverse::default(),
        StabilisedInverse::Cholesky { jitter: 1e-8 },
    ] {
        let options = NystromOptions {
            rule: LandmarkRule::Uniform,
            inverse,
            ..NystromOptions::new(55)
        };
        let kernel = NystromKernel::new(
            &cloud(&x, d),
            &cloud(&y, d),
            Cost::SqEuclidean,
            eps,
            &options,
        )
        .unwrap();
        assert_eq!(kernel.info().landmarks, 55);
        let found = entries(&kernel);
        let error = max_abs_difference(&found, &reference);
        assert!(error < 1e-6, "{inverse:?}: largest entry error {error}");
    }
}

#[test]
fn nystrom_sinkhorn_on_every_point_matches_dense_sinkhorn() {
    let d = 2;
    let (x, y) = (uniform(40, d, 3), uniform(35, d, 4));
    let eps = 0.3;
    let options = NystromOptions {
        rule: LandmarkRule::Uniform,
        ..NystromOptions::new(75)
    };
    let nystrom: Arc<dyn Kernel> = Arc::new(
        NystromKernel::new(
            &cloud(&x, d),
            &cloud(&y, d),
            Cost::SqEuclidean,
            eps,
            &options,
        )
        .unwrap(),
    );
    let plan = solved(nystrom, 1e-9);
    let reference = solved(Arc::new(dense(&x, &y, d, eps)), 1e-9);
    assert!(
        plan.converged(),
        "{} iterations, error {}",
        plan.iterations(),
        plan.marginal_error()
    );
    let (cost, expected) = (
        plan.transport_cost().unwrap(),
        reference.transport_cost().unwrap(),
    );
    assert!(
        (cost - expected).abs() < 1e-6 * expected,
        "{cost} vs {expected}"
    );
}

/// Nyström and LCN on the same landmarks, with LCN's pairs from `rule`.
fn nystrom_and_lcn(
    x: &[f64],
    y: &[f64],
    d: usize,
    eps: f64,
    landmarks: &NystromOptions,
    rule: &PairRule,
) -> (NystromKernel, LcnKernel) {
    let (cx, cy) = (cloud(x, d), cloud(y, d));
    (
        NystromKernel::new(&cx, &cy, Cost::SqEuclidean, eps, landmarks).unwrap(),
        LcnKernel::new(
            &cx,
            &cy,
            Cost::SqEuclidean,
            eps,
            landmarks,
            &with_seed(rule, 5),
        )
        .unwrap(),
    )
}

#[test]
fn lcn_is_exact_at_its_pairs_and_never_worse_than_nystrom() {
    let d = 4;
    for (seed, eps) in [(10, 0.05), (20, 0.2), (30, 1.0)] {
        let (x, y) = (clustered(60, d, 6, seed), clustered(50, d, 6, seed + 7));
        let reference = entries(&dense(&x, &y, d, eps));
        let landmarks = NystromOptions::new(8);
        let rule = PairRule::KMeans(KMeans::flat(6, 1, 10));
        let (nystrom, lcn) = nystrom_and_lcn(&x, &y, d, eps, &landmarks, &rule);
        assert!(lcn.nnz() > 0 && lcn.landmarks() == 8);
        let pairs = entries(
            &SparseKernel::new(
                &cloud(&x, d),
                &cloud(&y, d),
                Cost::SqEuclidean,
                eps,
                &with_seed(&rule, 5),
            )
            .unwrap(),
        );
        let (nys, lcn) = (entries(&nystrom), entries(&lcn));
        let (mut nystrom_error, mut lcn_error) = (0.0, 0.0);
        for e in 0..reference.len() {
            let (nys_e, lcn_e) = ((nys[e] - reference[e]).abs(), (lcn[e] - reference[e]).abs());
            if pairs[e] > 0.0 {
                // The Nyström part cancels to the rounding of ⟨F_i, F_j⟩, whose terms exceed the entry.
                assert!(
                    lcn_e <= 1e-10 * reference[e].max(1e-300) + 1e-300,
                    "eps {eps} pair {e}: {} vs {}",
                    lcn[e],
                    reference[e]
                );
            } else {
                assert_eq!(lcn[e], nys[e], "entry {e} off the pairs");
            }
            nystrom_error += nys_e;
            lcn_error += lcn_e;
        }
        assert!(
            lcn_error <= nystrom_error,
            "eps {eps}: {lcn_error} > {nystrom_error}"
        );
        if eps < 0.1 {
            assert!(
                lcn_error < 0.5 * nystrom_error,
                "eps {eps}: at small eps the correction carries most of the kernel ({lcn_error} vs \
                 {nystrom_error})"
            );
        }
    }
}

#[test]
fn plan_operations_work_on_approximate_kernels() {
    let d = 3;
    let (x, y) = (clustered(80, d, 4, 40), clustered(70, d, 4, 41));
    let eps = 0.1;
    let (nystrom, lcn) = nystrom_and_lcn(
        &x,
        &y,
        d,
        eps,
        &NystromOptions::new(12),
        &PairRule::KMeans(KMeans::flat(4, 1, 10)),
    );
    let kernels: [Arc<dyn Kernel>; 2] = [Arc::new(nystrom), Arc::new(lcn)];
    for kernel in kernels {
        let kind = kernel.info().kind;
        let plan = solved(kernel, 1e-9);
        assert!(plan.converged(), "{kind:?}");
        let (n, m) = plan.shape();
        let mut p = vec![0.0; n * m];
        plan.to_dense(&mut p, Layout::RowMajor).unwrap();
        // ⟨P, C⟩ from P·Y equals the direct sum over the materialised plan.
        let direct: f64 = (0..n * m)
            .map(|e| {
                let (i, j) = (e / m, e % m);
                p[e] * Cost::SqEuclidean.eval(&x[i * d..][..d], &y[j * d..][..d])
            })
            .sum();
        let cost = plan.transport_cost().unwrap();
        assert!(
            (cost - direct).abs() < 1e-9 * direct,
            "{kind:?}: {cost} vs {direct}"
        );
        // P·v and Pᵀ·u against the materialised plan.
        let v: Vec<f64> = (0..m).map(|j| (j as f64).sin()).collect();
        let mut pv = vec![0.0; n];
        plan.apply(&v, &mut pv).unwrap();
        for (i, row) in p.chunks_exact(m).enumerate() {
            let expected: f64 = row.iter().zip(&v).map(|(p, v)| p * v).sum();
            assert!((pv[i] - expected).abs() < 1e-12, "{kind:?} row {i}");
        }
        let u: Vec<f64> = (0..n).map(|i| (i as f64).cos()).collect();
        let mut ptu = vec![0.0; m];
        plan.apply_transpose(&u, &mut ptu).unwrap();
        for (j, value) in ptu.iter().enumerate() {
            let expected: f64 = (0..n).map(|i| p[i * m + j] * u[i]).sum();
            assert!((value - expected).abs() < 1e-12, "{kind:?} column {j}");
        }
        // The barycentric projection is (P·Y)_i / r_i.
        let mut projection = vec![0.0; n * d];
        plan.barycentric_projection(&mut projection, Layout::RowMajor)
            .unwrap();
        let (rows, _) = plan.marginals();
        for i in 0..n {
            for k in 0..d {
                let expected: f64 =
                    (0..m).map(|j| p[i * m + j] * y[j * d + k]).sum::<f64>() / rows[i];
                assert!((projection[i * d + k] - expected).abs() < 1e-9, "{kind:?}");
            }
        }
    }
}

#[test]
fn the_euclidean_cost_of_an_approximate_plan_is_unsupported_not_wrong() {
    let d = 2;
    let (x, y) = (uniform(20, d, 50), uniform(20, d, 51));
    let kernel: Arc<dyn Kernel> = Arc::new(
        NystromKernel::new(
            &cloud(&x, d),
            &cloud(&y, d),
            Cost::Euclidean,
            1.0,
            &NystromOptions::new(40),
        )
        .unwrap(),
    );
    let plan = solved(kernel, 1e-6);
    assert!(matches!(plan.transport_cost(), Err(Error::Unsupported(_))));
}

#[test]
fn a_sum_that_is_not_positive_is_repaired_by_the_floor_and_the_solve_answers() {
    // In one dimension, two landmarks at 0 and 1 and ε = 0.1 give K_Nys(−1, 2) ≈ −e^{−3/ε}, which
    // outweighs the row's positive entries: the row sum is negative. Uniform landmarks over these
    // points hit that pair for some seeds; every solve must still answer, with the floor raised on the
    // plan's kernel and the caller's kernel left as it was.
    let x: Vec<f64> = std::iter::once(-1.0).chain([0.0; 10]).collect();
    let y: Vec<f64> = [1.0; 10].into_iter().chain(std::iter::once(2.0)).collect();
    let (a, b) = (
        Weights::new("a", None, 11).unwrap(),
        Weights::new("b", None, 11).unwrap(),
    );
    let mut repaired = 0;
    for seed in 0..32 {
        let options = NystromOptions {
            rule: LandmarkRule::Uniform,
            seed,
            ..NystromOptions::new(2)
        };
        let kernel: Arc<dyn Kernel> = Arc::new(
            NystromKernel::new(
                &cloud(&x, 1),
                &cloud(&y, 1),
                Cost::SqEuclidean,
                0.1,
                &options,
            )
            .unwrap(),
        );
        let plan = solve(&kernel, &a, &b, &SinkhornOptions::default())
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let (f, g) = plan.potentials();
        assert!(f.iter().chain(g).all(|v| v.is_finite()), "seed {seed}");
        assert!(plan.converged(), "seed {seed}: {}", plan.marginal_error());
        assert_eq!(kernel.info().floor_share, 0.0);
        let floor = plan.kernel().info().floor_share;
        assert!((0.0..=1.0).contains(&floor), "seed {seed}: {floor}");
        if floor > 0.0 {
            repaired += 1;
        }
    }
    assert!(repaired > 0, "no seed chose the landmarks 0 and 1");
}

#[test]
fn seeded_approximate_kernels_are_deterministic_across_threads() {
    let d = 5;
    let (x, y) = (clustered(500, d, 10, 70), clustered(450, d, 10, 71));
    let rules = [
        PairRule::KMeans(KMeans {
            branching: vec![3, 4],
            rounds: 2,
            iterations: 5,
        }),
        PairRule::AngularLsh(AngularLsh {
            buckets: 6,
            hashes: 2,
            bands: 3,
        }),
    ];
    for rule in rules {
        let mut runs = Vec::new();
        for threads in [1, 2] {
            scalot::threads::set_num_threads(threads).unwrap();
            let kernel = LcnKernel::new(
                &cloud(&x, d),
                &cloud(&y, d),
                Cost::SqEuclidean,
                1.0,
                &NystromOptions {
                    rule: LandmarkRule::KMeans { iterations: 5 },
                    ..NystromOptions::new(20)
                },
                &with_seed(&rule, 9),
            )
            .unwrap();
            let nnz = kernel.nnz();
            let plan = solved(Arc::new(kernel), 1e-8);
            runs.push((
                nnz,
                plan.transport_cost().unwrap().to_bits(),
                plan.iterations(),
            ));
        }
        scalot::threads::set_num_threads(0).unwrap();
        assert_eq!(runs[0], runs[1], "{rule:?}");
    }
}

/// The kept pairs of a sparse kernel, from its entries.
fn kept_pairs(
    x: &[f64],
    y: &[f64],
    d: usize,
    cost: Cost,
    rule: &PairRule,
) -> BTreeSet<(usize, usize)> {
    // The rule's own pairs: no coverage.
    let pairs = PairOptions {
        coverage: 0,
        ..with_seed(rule, 3)
    };
    let kernel = SparseKernel::new(&cloud(x, d), &cloud(y, d), cost, 1e3, &pairs).unwrap();
    let m = y.len() / d;
    entries(&kernel)
        .iter()
        .enumerate()
        .filter(|(_, &k)| k > 0.0)
        .map(|(e, _)| (e / m, e % m))
        .collect()
}

#[test]
fn nearest_neighbours_match_a_direct_search_by_tree_and_by_blocks() {
    for (d, cost) in [
        (2, Cost::SqEuclidean),
        (8, Cost::Euclidean),
        (9, Cost::SqEuclidean),
        (12, Cost::NegDot),
    ] {
        let (x, y) = (
            uniform(70, d, 80 + d as u64),
            uniform(3000, d, 90 + d as u64),
        );
        let k = 4;
        let found = kept_pairs(&x, &y, d, cost, &PairRule::NearestNeighbours { k });
        let (n, m) = (70, 3000);
        let nearest = |from: &[f64], to: &[f64], count: usize| -> Vec<usize> {
            let mut order: Vec<(f64, usize)> = (0..count)
                .map(|j| (cost.eval(from, &to[j * d..][..d]), j))
                .collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            order[..k].iter().map(|&(_, j)| j).collect()
        };
        let mut expected = BTreeSet::new();
        for i in 0..n {
            for j in nearest(&x[i * d..][..d], &y, m) {
                expected.insert((i, j));
            }
        }
        for j in 0..m {
            for i in nearest(&y[j * d..][..d], &x, n) {
                expected.insert((i, j));
            }
        }
        assert_eq!(found, expected, "d = {d}, {cost:?}");
    }
}

#[test]
fn angular_lsh_buckets_are_cliques_and_ignore_scale() {
    let d = 6;
    let (x, y) = (uniform(60, d, 100), uniform(50, d, 101));
    let centred = |v: &[f64], scale: f64| v.iter().map(|v| scale * (v - 0.5)).collect::<Vec<_>>();
    let rule = PairRule::AngularLsh(AngularLsh {
        buckets: 4,
        hashes: 1,
        bands: 1,
    });
    let pairs = kept_pairs(
        &centred(&x, 1.0),
        &centred(&y, 1.0),
        d,
        Cost::SqEuclidean,
        &rule,
    );
    assert!(!pairs.is_empty() && pairs.len() < 60 * 50 / 2);
    // One band is a partition: sources sharing a target share all their targets.
    for &(i, j) in &pairs {
        for &(i2, j2) in &pairs {
            if j2 == j {
                let targets = |i| {
                    pairs
                        .iter()
                        .filter(|p| p.0 == i)
                        .map(|p| p.1)
                        .collect::<Vec<_>>()
                };
                assert_eq!(targets(i), targets(i2));
            }
        }
    }
    // The hash sees only directions.
    let scaled = kept_pairs(
        &centred(&x, 7.5),
        &centred(&y, 7.5),
        d,
        Cost::SqEuclidean,
        &rule,
    );
    assert_eq!(pairs, scaled);
    // More bands only add pairs.
    let banded = PairRule::AngularLsh(AngularLsh {
        buckets: 4,
        hashes: 1,
        bands: 3,
    });
    let more = kept_pairs(
        &centred(&x, 1.0),
        &centred(&y, 1.0),
        d,
        Cost::SqEuclidean,
        &banded,
    );
    assert!(more.is_superset(&pairs) && more.len() > pairs.len());
}

#[test]
fn hierarchical_kmeans_refines_its_first_level() {
    let d = 3;
    let (x, y) = (clustered(200, d, 5, 110), clustered(180, d, 5, 111));
    let flat = kept_pairs(
        &x,
        &y,
        d,
        Cost::SqEuclidean,
        &PairRule::KMeans(KMeans::flat(5, 1, 10)),
    );
    let nested = kept_pairs(
        &x,
        &y,
        d,
        Cost::SqEuclidean,
        &PairRule::KMeans(KMeans {
            branching: vec![5, 3],
            rounds: 1,
            iterations: 10,
        }),
    );
    assert!(
        flat.is_superset(&nested),
        "a second level only splits buckets"
    );
    assert!(nested.len() < flat.len());
}

#[test]
fn bad_options_are_refused_with_their_names() {
    let invalid = |result: scalot::Result<()>, name: &str| match result {
        Err(Error::InvalidArgument { arg, .. }) => assert_eq!(arg, name),
        other => panic!("expected {name} to be refused, got {other:?}"),
    };
    invalid(NystromOptions::new(0).validate(), "landmarks");
    let lsh = |buckets, hashes, bands| {
        PairRule::AngularLsh(AngularLsh {
            buckets,
            hashes,
            bands,
        })
        .validate()
    };
    invalid(lsh(0, 1, 1), "buckets");
    invalid(lsh(7, 1, 1), "buckets");
    invalid(lsh(4, 0, 1), "hashes");
    invalid(lsh(4, 1, 0), "bands");
    invalid(lsh(130, 10, 1), "hashes");
    invalid(
        PairRule::KMeans(KMeans::flat(0, 1, 1)).validate(),
        "clusters",
    );
    let (x, y) = (uniform(3, 2, 1), uniform(4, 2, 2));
    let too_many = NystromKernel::new(
        &cloud(&x, 2),
        &cloud(&y, 2),
        Cost::SqEuclidean,
        1.0,
        &NystromOptions::new(8),
    );
    invalid(too_many.map(|_| ()), "landmarks");
}
