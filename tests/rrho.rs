//! R_ρ against the CVXPY/Clarabel reference values and POT's EMD in tests/data (see SOURCES.md), and its
//! metric properties.

use std::sync::Arc;

use scalot::rrho::{self, Engine, Method};
use scalot::{Coupling, Layout, PointCloud, Preprocessing, RrhoOptions, RrhoProblem, RrhoSolution};
use scalot_testkit::data::{self, Rng};
use scalot_testkit::{load, relative_error};

const NO_FLOOR: Preprocessing = Preprocessing {
    floor: 0.0,
    granularity: 0.0,
};

struct Clouds {
    x: Vec<f64>,
    y: Vec<f64>,
    d: usize,
    mu: Option<Vec<f64>>,
    nu: Option<Vec<f64>>,
}

impl Clouds {
    fn problem(&self, rho: f64, preprocessing: Preprocessing) -> Arc<RrhoProblem> {
        let n = self.x.len() / self.d;
        let m = self.y.len() / self.d;
        let x = PointCloud::new("x", &self.x, n, self.d, Layout::RowMajor).unwrap();
        let y = PointCloud::new("y", &self.y, m, self.d, Layout::RowMajor).unwrap();
        Arc::new(
            RrhoProblem::new(
                &x,
                &y,
                self.mu.as_deref(),
                self.nu.as_deref(),
                rho,
                preprocessing,
            )
            .unwrap(),
        )
    }
}

fn tolerance(tolerance: f64) -> RrhoOptions {
    let mut options = RrhoOptions::default();
    options.set_tolerance(tolerance).unwrap();
    options.set_max_passes(100_000).unwrap();
    options
}

fn tight() -> RrhoOptions {
    tolerance(1e-10)
}

fn solve(problem: &Arc<RrhoProblem>, options: &RrhoOptions) -> RrhoSolution {
    let solution = rrho::solve(problem, options).unwrap();
    assert!(solution.converged(), "{:?}", solution.marginal_errors());
    solution
}

/// (name, clouds, EMD, [(rho, R_rho, upper bound)]).
type FixtureCase = (String, Clouds, f64, Vec<(f64, f64, f64)>);

fn fixture_cases() -> Vec<FixtureCase> {
    let data = load("r_rho.json");
    data.field("cases")
        .array()
        .iter()
        .map(|case| {
            let (x, d) = case.field("x").matrix();
            let (y, _) = case.field("y").matrix();
            let values = case
                .field("values")
                .array()
                .iter()
                .map(|v| {
                    (
                        v.field("rho").num(),
                        v.field("r_rho").num(),
                        v.field("upper_bound").num(),
                    )
                })
                .collect();
            let clouds = Clouds {
                x,
                y,
                d,
                mu: Some(case.field("mu").vector()),
                nu: Some(case.field("nu").vector()),
            };
            (
                case.field("name").str().to_string(),
                clouds,
                case.field("emd").num(),
                values,
            )
        })
        .collect()
}

#[test]
fn exact_engine_matches_the_convex_primal_between_emd_and_the_upper_bound() {
    for (name, clouds, emd, values) in fixture_cases() {
        let mut previous = f64::INFINITY;
        for &(rho, expected, upper_bound) in values.iter().rev() {
            let solution = solve(&clouds.problem(rho, NO_FLOOR), &tight());
            let value = solution.value();
            let certificate = solution.certificate();
            assert!(
                relative_error(value, expected) < 1e-5,
                "{name} rho {rho}: {value} vs {expected} ({} passes)",
                solution.passes()
            );
            assert!(
                certificate.lower <= expected * (1.0 + 1e-9)
                    && expected <= certificate.upper * (1.0 + 1e-9),
                "{name} rho {rho}: {certificate:?} does not hold {expected}"
            );
            assert!(
                value >= emd * (1.0 - 1e-9) && value <= upper_bound,
                "{name} rho {rho}"
            );
            assert!(
                value <= previous * (1.0 + 1e-9),
                "{name}: not monotone at rho {rho}"
            );
            previous = value;
        }
    }
}

#[test]
fn r_rho_lies_between_pot_emd_and_the_paper_bound() {
    let data = load("emd.json");
    for case in data.field("cases").array() {
        let (x, d) = case.field("x").matrix();
        let (y, _) = case.field("y").matrix();
        let (a, b) = (case.field("a").vector(), case.field("b").vector());
        let emd = case.field("emd_euclidean").num();
        let smallest = a
            .iter()
            .flat_map(|p| b.iter().map(move |q| p * q))
            .fold(1.0, f64::min);
        let clouds = Clouds {
            x,
            y,
            d,
            mu: Some(a),
            nu: Some(b),
        };
        for rho in [1.1, 1.5, 2.0] {
            let value = solve(&clouds.problem(rho, NO_FLOOR), &tolerance(1e-8)).value();
            let bound = smallest.powf(-(rho - 1.0) / rho) * emd;
            assert!(
                value >= emd * (1.0 - 1e-7) && value <= bound * (1.0 + 1e-7),
                "{} rho {rho}: {emd} <= {value} <= {bound}",
                case.field("name").str()
            );
        }
    }
}

fn random_clouds(rng: &mut Rng, n: usize, d: usize, shift: f64) -> (Vec<f64>, Vec<f64>) {
    let points = (0..n * d).map(|_| rng.normal() + shift).collect();
    let weights = (0..n).map(|_| 0.2 + rng.uniform()).collect();
    (points, weights)
}

fn value_between(a: &(Vec<f64>, Vec<f64>), b: &(Vec<f64>, Vec<f64>), d: usize, rho: f64) -> f64 {
    let clouds = Clouds {
        x: a.0.clone(),
        y: b.0.clone(),
        d,
        mu: Some(a.1.clone()),
        nu: Some(b.1.clone()),
    };
    solve(&clouds.problem(rho, NO_FLOOR), &tight()).value()
}

#[test]
fn r_rho_is_symmetric_and_satisfies_the_triangle_inequality() {
    let mut rng = Rng(7);
    for (trial, rho) in [1.25, 1.5, 2.0, 1.1].into_iter().enumerate() {
        let d = 2 + trial;
        let p = random_clouds(&mut rng, 9, d, 0.0);
        let q = random_clouds(&mut rng, 7, d, 0.7);
        let r = random_clouds(&mut rng, 11, d, -0.4);
        let pq = value_between(&p, &q, d, rho);
        let qp = value_between(&q, &p, d, rho);
        assert!(relative_error(pq, qp) < 1e-7, "rho {rho}: {pq} vs {qp}");
        let qr = value_between(&q, &r, d, rho);
        let pr = value_between(&p, &r, d, rho);
        assert!(pr <= pq + qr, "rho {rho}: {pr} > {pq} + {qr}");
        assert!(pq <= pr + qr && qr <= pq + pr, "rho {rho}");
    }
}

#[test]
fn r_rho_of_a_distribution_with_itself_vanishes_with_the_floor() {
    let mut rng = Rng(11);
    let (points, weights) = random_clouds(&mut rng, 6, 3, 0.0);
    let clouds = Clouds {
        x: points.clone(),
        y: points,
        d: 3,
        mu: Some(weights.clone()),
        nu: Some(weights),
    };
    for rho in [1.25, 2.0] {
        let mut previous = f64::INFINITY;
        for floor in [0.4, 0.2, 0.1] {
            let problem = clouds.problem(
                rho,
                Preprocessing {
                    floor,
                    granularity: 0.0,
                },
            );
            let solution = solve(&problem, &tolerance(1e-8));
            let (mu, nu) = problem.weights();
            let largest = mu.iter().chain(nu).fold(0.0f64, |a, &w| a.max(1.0 / w));
            // R_rho(mu, mu) = 0 before the floor, which moves it by at most sigma r max (1/(mu nu))^((rho-1)/rho).
            let bound = floor * problem.diameter() * (largest * largest).powf((rho - 1.0) / rho);
            assert!(solution.value() <= bound, "rho {rho} floor {floor}");
            assert!(solution.value() < previous, "rho {rho} floor {floor}");
            previous = solution.value();
        }
    }
}

#[test]
fn the_paper_sign_ascent_reaches_the_block_ascent_value() {
    let (_, clouds, _, values) = fixture_cases().remove(0);
    let (rho, expected, _) = values[3];
    let problem = clouds.problem(rho, NO_FLOOR);
    let mut options = RrhoOptions::default();
    options
        .set_method(Method::SignAscent { step: 1e-4 })
        .unwrap()
        .set_tolerance(1e-2)
        .unwrap()
        .set_max_passes(10_000_000)
        .unwrap();
    let solution = solve(&problem, &options);
    assert!(
        relative_error(solution.value(), expected) < 1e-2,
        "{} vs {expected} after {} passes",
        solution.value(),
        solution.passes()
    );
}

/// n points around `components` centres in [0, 1]^d (spread 0.05), or uniform when `components` is 0.
fn sample(rng: &mut Rng, n: usize, d: usize, components: usize) -> Vec<f64> {
    if components == 0 {
        return data::uniform(rng, n, d);
    }
    let centres = data::centres(&mut Rng(99), components, d);
    data::mixture(rng, n, &centres, d, 0.05)
}

#[test]
fn the_tree_engine_keeps_its_accuracy_on_clustered_and_uniform_data() {
    let accuracy = 1e-3;
    for d in [2, 16, 64] {
        for components in [0, 5] {
            let mut rng = Rng(d as u64 * 31 + components as u64);
            let clouds = Clouds {
                x: sample(&mut rng, 300, d, components),
                y: sample(&mut rng, 250, d, components),
                d,
                mu: None,
                nu: None,
            };
            for rho in [2.0, 1.25] {
                let problem = clouds.problem(rho, Preprocessing::default());
                let exact = solve(&problem, &tolerance(1e-7));
                // The tree's two sides approximate the plan independently, so its errors cannot fall far
                // below its accuracy.
                let mut options = tolerance(accuracy / 100.0);
                options.set_engine(Engine::Tree { accuracy }).unwrap();
                let tree = solve(&problem, &options);
                // The tree's potentials solve its own sums; measured exactly, the marginals are off by
                // at most the accuracy (plus the tolerance).
                let (rows, cols) = tree.marginals();
                let (mu, nu) = problem.weights();
                let l1 =
                    |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| (a - b).abs()).sum::<f64>();
                assert!(
                    l1(&rows, mu) <= 1.01 * accuracy && l1(&cols, nu) <= 1.01 * accuracy,
                    "d {d} components {components} rho {rho}: {} {}",
                    l1(&rows, mu),
                    l1(&cols, nu)
                );
                let error = relative_error(tree.value(), exact.value());
                assert!(
                    error <= accuracy,
                    "d {d} components {components} rho {rho}: {} vs {}",
                    tree.value(),
                    exact.value()
                );
            }
        }
    }
}

#[test]
fn the_tree_engine_samples_large_near_fields_and_still_converges_near_the_exact_value() {
    // 2,000 x 1,800 points in 5 clusters in d = 64: no node is far, and each row's near field (1,800
    // columns) is more than the 400 draws of accuracy 0.05. Both sides share their draws, so the solve
    // reaches a tolerance far below the accuracy; the value is that of the sampled sums.
    let accuracy = 0.05;
    let mut rng = Rng(64);
    let clouds = Clouds {
        x: sample(&mut rng, 2_000, 64, 5),
        y: sample(&mut rng, 1_800, 64, 5),
        d: 64,
        mu: None,
        nu: None,
    };
    let problem = clouds.problem(1.5, Preprocessing::default());
    let exact = solve(&problem, &tolerance(1e-6));
    let mut options = tolerance(1e-6);
    options.set_engine(Engine::Tree { accuracy }).unwrap();
    let tree = solve(&problem, &options);
    assert!(tree.converged(), "{} passes", tree.passes());
    let error = relative_error(tree.value(), exact.value());
    eprintln!(
        "sampled value error {error:e}: {} vs {}",
        tree.value(),
        exact.value()
    );
    // Measured: 1.0e-5.
    assert!(
        error <= accuracy / 10.0,
        "{} vs {}",
        tree.value(),
        exact.value()
    );
}

#[test]
fn bad_problems_and_options_are_refused_with_the_argument_named() {
    use scalot::Error;
    let x = [0.0, 0.0, 1.0, 0.0];
    let y = [0.5, 1.0, 2.0, 2.0];
    let cloud = |v: &'static [f64]| PointCloud::new("x", v, 2, 2, Layout::RowMajor).unwrap();
    let (xs, ys) = (cloud(Box::leak(Box::new(x))), cloud(Box::leak(Box::new(y))));
    let pose = |mu: Option<&[f64]>, rho: f64, floor: f64, y: &PointCloud| {
        RrhoProblem::new(
            &xs,
            y,
            mu,
            None,
            rho,
            Preprocessing {
                floor,
                granularity: 0.0,
            },
        )
        .map(drop)
        .unwrap_err()
    };
    for rho in [1.0, 0.5, 2.5, f64::NAN] {
        assert!(
            matches!(
                pose(None, rho, 0.0, &ys),
                Error::InvalidArgument { arg: "rho", .. }
            ),
            "{rho}"
        );
    }
    let shared = cloud(&[1.0, 0.0, 3.0, 3.0]);
    let message = pose(None, 1.5, 0.0, &shared).to_string();
    assert!(message.contains("x[1] is also a point of y"), "{message}");
    assert!(matches!(
        pose(Some(&[0.5, 0.0]), 1.5, 0.0, &ys),
        Error::InvalidArgument { arg: "mu", .. }
    ));
    assert!(matches!(
        pose(Some(&[0.0, 0.0]), 1.5, 0.0, &ys),
        Error::ZeroMass { arg: "mu" }
    ));
    assert!(matches!(
        pose(Some(&[1.0, -1.0]), 1.5, 0.0, &ys),
        Error::NegativeWeight { arg: "mu", .. }
    ));
    assert!(matches!(
        pose(Some(&[1.0, f64::NAN]), 1.5, 0.0, &ys),
        Error::NonFinite { arg: "mu", .. }
    ));
    assert!(matches!(
        pose(None, 1.5, -1.0, &ys),
        Error::InvalidArgument { arg: "floor", .. }
    ));
    let three_d = PointCloud::new("y", &[0.0; 6], 2, 3, Layout::RowMajor).unwrap();
    assert!(matches!(
        pose(None, 1.5, 0.1, &three_d),
        Error::DimensionMismatch { arg: "y", .. }
    ));
    assert!(matches!(
        PointCloud::new("x", &[0.0, f64::NAN], 1, 2, Layout::RowMajor).unwrap_err(),
        Error::NonFinite { arg: "x", .. }
    ));

    let mut options = RrhoOptions::default();
    assert!(options.set_tolerance(0.0).is_err());
    assert!(options.set_max_passes(0).is_err());
    assert!(options.set_engine(Engine::Tree { accuracy: -1.0 }).is_err());
    assert!(options
        .set_method(Method::SignAscent { step: f64::NAN })
        .is_err());
    options.set_warm_start(&[0.0; 3], &[0.0; 2]).unwrap();
    let problem = Clouds {
        x: x.to_vec(),
        y: y.to_vec(),
        d: 2,
        mu: None,
        nu: None,
    }
    .problem(1.5, NO_FLOOR);
    assert!(matches!(
        rrho::solve(&problem, &options).unwrap_err(),
        Error::DimensionMismatch { arg: "alpha", .. }
    ));
    let mut tree = RrhoOptions::default();
    tree.set_engine(Engine::Tree { accuracy: 1e-3 }).unwrap();
    let awkward = Clouds {
        x: x.to_vec(),
        y: y.to_vec(),
        d: 2,
        mu: None,
        nu: None,
    }
    .problem(1.3, NO_FLOOR);
    assert!(matches!(
        rrho::solve(&awkward, &tree).unwrap_err(),
        Error::Unsupported(_)
    ));
}

#[test]
fn pruning_drops_small_weights_as_if_their_points_were_absent() {
    let mut rng = Rng(3);
    let (x, _) = random_clouds(&mut rng, 6, 2, 0.0);
    let (y, _) = random_clouds(&mut rng, 5, 2, 1.0);
    let mut mu = vec![1.0; 6];
    mu[2] = 1e-4;
    let pruned = Clouds {
        x: x.clone(),
        y: y.clone(),
        d: 2,
        mu: Some(mu),
        nu: None,
    }
    .problem(
        1.5,
        Preprocessing {
            floor: 0.0,
            granularity: 0.1,
        },
    );
    let mut kept = x.clone();
    kept.drain(4..6);
    let without = Clouds {
        x: kept,
        y,
        d: 2,
        mu: None,
        nu: None,
    }
    .problem(1.5, NO_FLOOR);
    let a = solve(&pruned, &tight()).value();
    let b = solve(&without, &tight()).value();
    assert!(relative_error(a, b) < 1e-8, "{a} vs {b}");
}

#[test]
fn plan_queries_agree_with_the_plan_written_out() {
    let (_, clouds, _, _) = fixture_cases().remove(2);
    let rho = 1.5;
    let problem = clouds.problem(rho, NO_FLOOR);
    let solution = solve(&problem, &tight());
    let (alpha, beta) = solution.potentials();
    let (mu, nu) = problem.weights();
    let (n, m, d) = (mu.len(), nu.len(), clouds.d);
    let s = rho / (rho - 1.0);
    let plan_factor = (1.0 - 1.0 / s).powf(s - 1.0);
    let gamma = |i: usize, j: usize| {
        let dist = (0..d)
            .map(|k| (clouds.x[i * d + k] - clouds.y[j * d + k]).powi(2))
            .sum::<f64>()
            .sqrt();
        plan_factor * mu[i] * nu[j] * (alpha[i] - beta[j]).max(0.0).powf(s - 1.0) / dist.powf(s)
    };
    let v: Vec<f64> = (0..m).map(|j| (j as f64).sin()).collect();
    let mut out = vec![0.0; n];
    solution.apply(&v, &mut out).unwrap();
    let mut transposed = vec![0.0; m];
    solution.apply_transpose(&out, &mut transposed).unwrap();
    for (i, found) in out.iter().enumerate() {
        let expected: f64 = (0..m).map(|j| gamma(i, j) * v[j]).sum();
        assert!((found - expected).abs() < 1e-12, "row {i}");
    }
    for (j, found) in transposed.iter().enumerate() {
        let expected: f64 = (0..n).map(|i| gamma(i, j) * out[i]).sum();
        assert!((found - expected).abs() < 1e-12, "column {j}");
    }
    let (rows, cols) = solution.marginals();
    assert!(rows.iter().zip(mu).all(|(r, m)| (r - m).abs() < 1e-9));
    assert!(cols.iter().zip(nu).all(|(c, m)| (c - m).abs() < 1e-9));
    let k = 3;
    let (mut r, mut c, mut values) = (vec![0; n * k], vec![0; n * k], vec![0.0; n * k]);
    solution.top_k(k, &mut r, &mut c, &mut values).unwrap();
    for i in 0..n {
        let mut row: Vec<(f64, usize)> = (0..m).map(|j| (gamma(i, j), j)).collect();
        row.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for s in 0..k {
            assert_eq!((r[i * k + s], c[i * k + s]), (i, row[s].1));
            assert!((values[i * k + s] - row[s].0).abs() < 1e-13);
        }
    }
    assert!(solution.top_k(0, &mut r, &mut c, &mut values).is_err());
    for layout in [Layout::RowMajor, Layout::ColumnMajor] {
        let mut dense = vec![0.0; n * m];
        solution.to_dense(&mut dense, layout).unwrap();
        let (rs, cs) = layout.strides(n, m);
        for i in 0..n {
            for j in 0..m {
                let found = dense[i * rs + j * cs];
                assert!((found - gamma(i, j)).abs() < 1e-13, "{layout:?} ({i}, {j})");
            }
        }
    }
    let mismatch = solution
        .to_dense(&mut vec![0.0; n * m - 1], Layout::RowMajor)
        .unwrap_err();
    assert!(
        scalot_testkit::names(&mismatch.to_string(), "out"),
        "{mismatch}"
    );
}
