//! ε-truncation: the pairs whose cost is at most a threshold. Exact, and O(n·m·d) to find.

use rayon::prelude::*;

use crate::geometry::{Cost, Points};

pub(super) fn rows(x: &Points, y: &Points, cost: Cost, threshold: f64) -> Vec<Vec<u32>> {
    (0..x.len())
        .into_par_iter()
        .map(|i| {
            let xi = x.point(i);
            (0..y.len())
                .filter(|&j| cost.eval(xi, y.point(j)) <= threshold)
                .map(|j| j as u32)
                .collect()
        })
        .collect()
}
