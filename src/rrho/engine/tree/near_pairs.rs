//! The near field as one set of weighted pairs that both sides sum over.
//!
//! Every row of x and every row of y draws its near columns (see [`super::interactions`]). A pair
//! (i, j) that the two processes draw c times in all, where row i expects E_x and row j expects E_y
//! draws of it, stands for μ_i ν_j·c/(E_x + E_y) of the plan's weight: multiple importance sampling
//! with the balance heuristic, unbiased for every sum because the expected count of the pair is exactly
//! E_x + E_y. Row i's sums take the pairs with j in its own near field (E_x > 0), with weight ν_j·c/(E_x +
//! E_y); column j's take those with i in its near field, with weight μ_i·c/(E_x + E_y). Where both see a
//! pair they see the same plan entry, so the α pass and the β pass solve one surrogate problem and the
//! marginal errors can fall to any tolerance; sampling each side on its own would leave their estimates of
//! the total mass apart, and the potentials would drift together without end.

use rayon::prelude::*;

use super::interactions::{ColumnSide, RowPlan};
use super::Side;
use crate::geometry::Cost;

/// One side's near pairs, line by line: the partners of line k are `partners[starts[k]..starts[k + 1]]`.
pub struct NearLines {
    starts: Vec<usize>,
    partners: Vec<usize>,
    weights: Vec<f64>,
    inverse_distances: Vec<f64>,
}

/// A line's partners, their weights and their inverse distances.
pub struct NearLine<'a> {
    pub partners: &'a [usize],
    pub weights: &'a [f64],
    pub inverse_distances: &'a [f64],
}

impl NearLines {
    pub fn line(&self, k: usize) -> NearLine<'_> {
        let range = self.starts[k]..self.starts[k + 1];
        NearLine {
            partners: &self.partners[range.clone()],
            weights: &self.weights[range.clone()],
            inverse_distances: &self.inverse_distances[range],
        }
    }

    /// Lines from (line, partner, weight, inverse distance) entries in any order.
    fn gather(
        lines: usize,
        entries: impl Iterator<Item = (usize, usize, f64, f64)> + Clone,
    ) -> Self {
        let mut starts = vec![0usize; lines + 1];
        for (line, ..) in entries.clone() {
            starts[line + 1] += 1;
        }
        for k in 0..lines {
            starts[k + 1] += starts[k];
        }
        let total = starts[lines];
        let mut next = starts.clone();
        let (mut partners, mut weights, mut inverse_distances) =
            (vec![0; total], vec![0.0; total], vec![0.0; total]);
        for (line, partner, weight, inverse) in entries {
            let slot = next[line];
            next[line] += 1;
            partners[slot] = partner;
            weights[slot] = weight;
            inverse_distances[slot] = inverse;
        }
        NearLines {
            starts,
            partners,
            weights,
            inverse_distances,
        }
    }
}

/// The rows of x with their partners in y, and the rows of y with theirs in x.
pub struct NearPairs {
    pub x_lines: NearLines,
    pub y_lines: NearLines,
}

/// One side of the build: its rows' plans against the other side's columns.
pub struct Drawing<'a> {
    pub side: Side,
    pub plans: &'a [RowPlan],
    pub columns: ColumnSide<'a>,
}

/// A row's draws depend on its side and index alone, so every solve of a problem sees the same sums.
fn seed(side: Side, row: usize) -> u64 {
    let side = match side {
        Side::X => 0x5851_f42d_4c95_7f2d,
        Side::Y => 0x1405_7b7e_f767_814f,
    };
    side ^ (row as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl NearPairs {
    /// `x` holds the rows of x against y's columns, `y` the rows of y against x's.
    pub fn draw(x: &Drawing, y: &Drawing, floor_sq: f64) -> Self {
        let (n, m) = (x.plans.len(), y.plans.len());
        let key = |i: usize, j: usize| ((i as u64) << 32) | j as u64;
        let mut keys: Vec<u64> = (0..n)
            .into_par_iter()
            .flat_map_iter(|i| {
                x.plans[i]
                    .draws(&x.columns, seed(x.side, i))
                    .into_iter()
                    .map(move |j| key(i, j))
            })
            .chain((0..m).into_par_iter().flat_map_iter(|j| {
                y.plans[j]
                    .draws(&y.columns, seed(y.side, j))
                    .into_iter()
                    .map(move |i| key(i, j))
            }))
            .collect();
        keys.par_sort_unstable();
        let mut counted: Vec<(u64, f64)> = Vec::new();
        for &k in &keys {
            match counted.last_mut() {
                Some((last, count)) if *last == k => *count += 1.0,
                _ => counted.push((k, 1.0)),
            }
        }
        drop(keys);
        // Tree positions of y's points in x's plans, and of x's points in y's.
        let (y_positions, x_positions) = (x.columns.tree.positions(), y.columns.tree.positions());
        let (mu, nu) = (y.columns.weights, x.columns.weights);
        // A zero weight marks a side the pair is not near on (a near pair of zero weight adds nothing).
        let pairs: Vec<(u32, u32, f64, f64, f64)> = counted
            .par_iter()
            .map(|&(k, count)| {
                let (i, j) = ((k >> 32) as usize, (k & 0xffff_ffff) as usize);
                let from_x = x.plans[i].expected_draws(y_positions[j], nu[j]);
                let from_y = y.plans[j].expected_draws(x_positions[i], mu[i]);
                let share = count / (from_x + from_y);
                let (x_point, y_point) = (y.columns.points.point(i), x.columns.points.point(j));
                let sq = Cost::SqEuclidean.eval(x_point, y_point) + floor_sq;
                let weight = |expected: f64, w: f64| if expected > 0.0 { w * share } else { 0.0 };
                (
                    i as u32,
                    j as u32,
                    weight(from_x, nu[j]),
                    weight(from_y, mu[i]),
                    1.0 / sq.sqrt(),
                )
            })
            .collect();
        let x_lines = NearLines::gather(
            n,
            pairs
                .iter()
                .filter(|pair| pair.2 > 0.0)
                .map(|&(i, j, w, _, inv)| (i as usize, j as usize, w, inv)),
        );
        let y_lines = NearLines::gather(
            m,
            pairs
                .iter()
                .filter(|pair| pair.3 > 0.0)
                .map(|&(i, j, _, w, inv)| (j as usize, i as usize, w, inv)),
        );
        NearPairs { x_lines, y_lines }
    }
}
