//! Exact k nearest neighbours, both ways: each source point keeps its k cheapest targets and each target
//! its k cheapest sources, so that no row or column is left empty. A blocked exhaustive search,
//! O(n·m·d), with ties broken by index so that the result is unique.

use rayon::prelude::*;

use crate::geometry::{Cost, Points};

/// The indices of the `k` cheapest points of `others` from `point`.
fn nearest(point: &[f64], others: &Points, cost: Cost, k: usize) -> Vec<u32> {
    let mut costs: Vec<(f64, u32)> = (0..others.len())
        .map(|j| (cost.eval(point, others.point(j)), j as u32))
        .collect();
    let k = k.min(costs.len());
    let by_cost = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    if k < costs.len() {
        costs.select_nth_unstable_by(k - 1, by_cost);
    }
    costs[..k].iter().map(|&(_, j)| j).collect()
}

pub(super) fn rows(x: &Points, y: &Points, cost: Cost, k: usize) -> Vec<Vec<u32>> {
    let mut rows: Vec<Vec<u32>> = (0..x.len())
        .into_par_iter()
        .map(|i| nearest(x.point(i), y, cost, k))
        .collect();
    let columns: Vec<Vec<u32>> = (0..y.len())
        .into_par_iter()
        .map(|j| nearest(y.point(j), x, cost, k))
        .collect();
    for (j, sources) in columns.iter().enumerate() {
        for &i in sources {
            rows[i as usize].push(j as u32);
        }
    }
    rows
}
