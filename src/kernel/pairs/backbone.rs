//! A transport backbone: pairs that let a sparse pattern carry a plan with given marginals.
//!
//! Balanced Sinkhorn on a sparse pattern converges only if some plan supported on the pattern has the
//! marginals (a, b). Buckets and neighbourhoods rarely allow one: a bucket whose source and target
//! masses differ, or mass that must travel further than a neighbourhood, leave Sinkhorn to run to its
//! cap with a large marginal error. The backbone is the support of one feasible plan that moves mass the
//! way optimal transport would at a coarse scale:
//!
//! 1. the clusters of the partner index carry the masses α_c = Σ_{i∈c} a_i and β_c = Σ_{j∈c} b_j;
//! 2. a coarse plan between them, by the minimum-cost rule on the squared distances between centres
//!    (fill the cheapest cell with all it can take, then the next): at most 2K − 1 cells;
//! 3. each coarse cell (c, c′, t) becomes a north-west-corner plan between the rows of c (capacities
//!    a_i·t/α_c) and the columns of c′ (capacities b_j·t/β_c′), both in their order along the direction
//!    from c to c′: a monotone coupling with at most |c| + |c′| − 1 pairs.
//!
//! Every row with a positive weight gets a pair, and the backbone holds about 2(n + m) pairs.

use rayon::prelude::*;

use super::partners::PartnerIndex;
use crate::geometry::{dot, Cost, Points};
use crate::numeric::random::SplitMix64;

/// Each row's backbone partners (columns), for the marginals `a` and `b` of equal mass.
pub(crate) fn backbone(
    index: &PartnerIndex,
    x: &Points,
    y: &Points,
    a: &[f64],
    b: &[f64],
    seed: u64,
) -> Vec<Vec<u32>> {
    let clusters = index.clusters();
    let row_mass: Vec<f64> = clusters
        .iter()
        .map(|c| c.rows.iter().map(|&i| a[i as usize]).sum())
        .collect();
    let column_mass: Vec<f64> = clusters
        .iter()
        .map(|c| c.columns.iter().map(|&j| b[j as usize]).sum())
        .collect();
    let cells = coarse_plan(index, &row_mass, &column_mass);
    let mut random = SplitMix64::new(seed);
    let d = x.dim();
    let within: Vec<f64> = (0..d).map(|_| random.normal()).collect();
    let pairs: Vec<Vec<(u32, u32)>> = cells
        .par_iter()
        .map(|&(c, target, mass)| {
            let (source, sink) = (&clusters[c], &clusters[target]);
            let direction: Vec<f64> = if c == target {
                within.clone()
            } else {
                sink.centre
                    .iter()
                    .zip(&source.centre)
                    .map(|(s, t)| s - t)
                    .collect()
            };
            let ordered = |members: &[u32], points: &Points, weights: &[f64], share: f64| {
                let mut order: Vec<(f64, u32, f64)> = members
                    .iter()
                    .map(|&p| {
                        let capacity = weights[p as usize] * share;
                        (dot(points.point(p as usize), &direction), p, capacity)
                    })
                    .filter(|&(_, _, capacity)| capacity > 0.0)
                    .collect();
                order.sort_unstable_by(|u, v| u.0.total_cmp(&v.0).then(u.1.cmp(&v.1)));
                order
            };
            let rows = ordered(&source.rows, x, a, mass / row_mass[c]);
            let columns = ordered(&sink.columns, y, b, mass / column_mass[target]);
            north_west_corner(&rows, &columns)
        })
        .collect();
    let mut out = vec![Vec::new(); x.len()];
    for (i, j) in pairs.into_iter().flatten() {
        out[i as usize].push(j);
    }
    out
}

/// The minimum-cost rule on the clusters' masses: cells (row cluster, column cluster, mass).
fn coarse_plan(
    index: &PartnerIndex,
    row_mass: &[f64],
    column_mass: &[f64],
) -> Vec<(usize, usize, f64)> {
    let clusters = index.clusters();
    let sources: Vec<usize> = (0..clusters.len()).filter(|&c| row_mass[c] > 0.0).collect();
    let sinks: Vec<usize> = (0..clusters.len())
        .filter(|&c| column_mass[c] > 0.0)
        .collect();
    let mut candidates: Vec<(f64, usize, usize)> = sources
        .par_iter()
        .flat_map_iter(|&c| {
            sinks.iter().map(move |&t| {
                let cost = Cost::SqEuclidean.eval(&clusters[c].centre, &clusters[t].centre);
                (cost, c, t)
            })
        })
        .collect();
    candidates.par_sort_unstable_by(|u, v| u.0.total_cmp(&v.0).then((u.1, u.2).cmp(&(v.1, v.2))));
    let (mut supply, mut demand) = (row_mass.to_vec(), column_mass.to_vec());
    // The two masses agree to the solver's tolerance; the sides' last remainders may differ by rounding.
    let total: f64 = row_mass.iter().sum::<f64>().max(column_mass.iter().sum());
    let negligible = 1e-14 * total;
    let mut cells = Vec::new();
    for (_, c, t) in candidates {
        if supply[c] <= negligible || demand[t] <= negligible {
            continue;
        }
        let mass = supply[c].min(demand[t]);
        supply[c] -= mass;
        demand[t] -= mass;
        cells.push((c, t, mass));
    }
    cells
}

/// The north-west-corner plan between two ordered lists of (key, index, capacity): the support of the
/// monotone coupling of the two, at most `rows + columns − 1` pairs.
fn north_west_corner(rows: &[(f64, u32, f64)], columns: &[(f64, u32, f64)]) -> Vec<(u32, u32)> {
    let mut pairs = Vec::with_capacity(rows.len() + columns.len());
    let (mut r, mut k) = (0, 0);
    let (mut left_row, mut left_column) = match (rows.first(), columns.first()) {
        (Some(row), Some(column)) => (row.2, column.2),
        _ => return pairs,
    };
    loop {
        pairs.push((rows[r].1, columns[k].1));
        let moved = left_row.min(left_column);
        left_row -= moved;
        left_column -= moved;
        // At least one side is used up (x − x is exactly 0); advance every side that is.
        if left_row == 0.0 {
            r += 1;
            if r == rows.len() {
                break;
            }
            left_row = rows[r].2;
        }
        if left_column == 0.0 {
            k += 1;
            if k == columns.len() {
                break;
            }
            left_column = columns[k].2;
        }
    }
    // The two lists' capacities agree up to rounding: whatever is left of one list joins the other's
    // last entry.
    let (last_row, last_column) = (
        rows[rows.len().min(r + 1) - 1].1,
        columns[columns.len().min(k + 1) - 1].1,
    );
    pairs.extend(rows.iter().skip(r + 1).map(|row| (row.1, last_column)));
    pairs.extend(
        columns
            .iter()
            .skip(k + 1)
            .map(|column| (last_row, column.1)),
    );
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_north_west_corner_is_a_staircase_over_both_lists() {
        let rows = [(0.0, 0, 0.5), (1.0, 1, 0.25), (2.0, 2, 0.25)];
        let columns = [(0.0, 10, 0.25), (1.0, 11, 0.75)];
        assert_eq!(
            north_west_corner(&rows, &columns),
            vec![(0, 10), (0, 11), (1, 11), (2, 11)]
        );
        assert!(north_west_corner(&rows, &[]).is_empty());
    }
}
