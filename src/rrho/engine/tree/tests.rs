//! The tree engine's row sums against the exact engine's, at a dual point where every kind of node
//! occurs: offsets spread over the rows' potentials, so that some nodes are wholly active, some not at
//! all and some in part.

use super::*;
use crate::geometry::{Layout, PointCloud};
use crate::numeric::random::SplitMix64;
use crate::rrho::engine::exact::ExactSums;
use crate::rrho::problem::Preprocessing;
use crate::rrho::row_equation::RowSums;

/// n points around 8 centres in [0, 1]^d (spread 0.05), or uniform in the cube without centres.
fn cloud(random: &mut SplitMix64, n: usize, d: usize, clustered: bool) -> Vec<f64> {
    let centres: Vec<f64> = (0..8 * d).map(|_| random.uniform()).collect();
    (0..n)
        .flat_map(|_| {
            let c = random.below(8);
            (0..d)
                .map(|k| {
                    if clustered {
                        centres[c * d + k] + 0.05 * random.normal()
                    } else {
                        random.uniform()
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn problem(n: usize, m: usize, d: usize, clustered: bool, rho: f64) -> RrhoProblem {
    let mut random = SplitMix64::new(d as u64 * 7 + u64::from(clustered));
    let (x, y) = (
        cloud(&mut random, n, d, clustered),
        cloud(&mut random, m, d, clustered),
    );
    let xs = PointCloud::new("x", &x, n, d, Layout::RowMajor).unwrap();
    let ys = PointCloud::new("y", &y, m, d, Layout::RowMajor).unwrap();
    RrhoProblem::new(&xs, &ys, None, None, rho, Preprocessing::default()).unwrap()
}

/// Every row of x's sums by both engines, at potentials 1 + ½·u_i against offsets u_j, u uniform in
/// (0, 1): about half of a row's columns are active.
fn both_engines(problem: &RrhoProblem, accuracy: f64) -> Vec<(RowSums, RowSums)> {
    let mut random = SplitMix64::new(5);
    let (n, m) = problem.shape();
    let potentials: Vec<f64> = (0..n).map(|_| 0.5 + 0.5 * random.uniform()).collect();
    let offsets: Vec<f64> = (0..m).map(|_| random.uniform()).collect();
    let visit = |i: usize, sums: &mut RowEvaluator<'_>| sums(potentials[i]);
    let exact = ExactSums::new(problem).map_rows(Side::X, &offsets, &visit);
    let tree = TreeSums::new(problem, accuracy)
        .unwrap()
        .map_rows(Side::X, &offsets, &visit);
    exact.into_iter().zip(tree).collect()
}

fn ratios(sums: &[(RowSums, RowSums)], part: impl Fn(&RowSums) -> f64) -> Vec<f64> {
    sums.iter()
        .map(|(exact, tree)| part(tree) / part(exact) - 1.0)
        .collect()
}

#[test]
fn whole_near_fields_keep_every_sum_within_the_accuracy() {
    let accuracy = 1e-3;
    for (d, clustered) in [(2, true), (2, false), (16, true), (64, true)] {
        let problem = problem(700, 600, d, clustered, 1.5);
        let sums = both_engines(&problem, accuracy);
        for part in [
            |s: &RowSums| s.eta,
            |s: &RowSums| s.slope,
            |s: &RowSums| s.penalty,
        ] {
            let worst = ratios(&sums, part)
                .into_iter()
                .map(f64::abs)
                .fold(0.0, f64::max);
            assert!(worst <= accuracy, "d {d} clustered {clustered}: {worst:e}");
        }
    }
}

#[test]
fn drawn_near_fields_are_unbiased_with_errors_of_the_accuracy() {
    // L = 400 draws per row out of 2,500 columns. Measured: relative RMS errors 0.053 (d = 64, both
    // data), 0.057 (d = 16) and 0.069 (d = 2, where a few rows err by up to 100%); means within 1.3e-3.
    let accuracy = 0.05;
    for (d, clustered, rho) in [
        (64, true, 1.5),
        (64, false, 1.5),
        (16, true, 1.25),
        (2, true, 2.0),
    ] {
        let problem = problem(3_000, 2_500, d, clustered, rho);
        let sums = both_engines(&problem, accuracy);
        let errors = ratios(&sums, |s| s.eta);
        let mean = errors.iter().sum::<f64>() / errors.len() as f64;
        let rms = (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt();
        // The mean of 3,000 independent errors of standard deviation ≤ τ is within 4τ/√3000 ≈ 0.0037
        // of zero unless the draws are biased.
        assert!(
            mean.abs() <= 4.0 * accuracy / (errors.len() as f64).sqrt(),
            "d {d}: mean {mean:e}, rms {rms:e}"
        );
        // A standard error of τ times the terms' spread; at this point half of every row is active,
        // which makes (a − b)_+^p spread out.
        assert!(rms <= 2.0 * accuracy, "d {d}: mean {mean:e}, rms {rms:e}");
    }
}
