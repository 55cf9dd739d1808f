//! Retrieval precision of an alignment: for every source word with known translations, is the target
//! ranked first among all m targets one of them? Ranked by cosine similarity (nearest neighbour) or by
//! CSLS (Conneau et al. 2018), which discounts hubs:
//!
//!   CSLS(x, y) = 2 cos(x, R y) − r_T(x) − r_S(R y),
//!
//! r_T(x) the mean cosine of x with its k nearest targets, r_S(R y) that of R y with its k nearest sources.
//! Similarities are taken in row blocks against all of the other side: O(block·(n + m)) memory.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use super::step::{rotated, view};
use super::{pairs_in_range, same_dimension};
use crate::error::{ensure_len, Error, Result};
use crate::geometry::{PointCloud, Points};
use crate::numeric::largest::largest_k;

/// Rows of one similarity block.
const BLOCK: usize = 256;

/// Precision@1 by nearest neighbour and by CSLS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retrieval {
    /// Ranked by cosine similarity.
    pub nearest_neighbour: f64,
    /// Ranked by CSLS, which discounts hubs.
    pub csls: f64,
    /// Distinct source words evaluated.
    pub queries: usize,
}

/// Unit rows (a zero row stays zero).
fn normalised(mut points: Points) -> Points {
    let d = points.dim();
    for row in points.as_mut_slice().chunks_exact_mut(d) {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    }
    points
}

/// Calls `visit(i, similarities of row i to every column)` for every row of `rows`, in parallel blocks.
fn map_similarity_rows<T: Send>(
    rows: &Points,
    columns: &Points,
    visit: &(dyn Fn(usize, &[f64]) -> T + Sync),
) -> Vec<T> {
    let (n, m, d) = (rows.len(), columns.len(), rows.dim());
    let columns = view(columns);
    (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .flat_map_iter(|block| {
            let range = block * BLOCK..((block + 1) * BLOCK).min(n);
            let rows = MatRef::from_row_major_slice(
                &rows.as_slice()[range.start * d..range.end * d],
                range.len(),
                d,
            );
            // Column r of `similarity` is row (start + r)'s similarities, contiguous.
            let mut similarity = Mat::<f64>::zeros(m, range.len());
            matmul(
                similarity.as_mut(),
                Accum::Replace,
                columns,
                rows.transpose(),
                1.0,
                Par::Seq,
            );
            range
                .enumerate()
                .map(|(r, i)| visit(i, similarity.col(r).try_as_col_major().unwrap().as_slice()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The mean of the k (at most all) largest similarities.
fn mean_of_largest(similarities: &[f64], k: usize) -> f64 {
    let k = k.min(similarities.len());
    let mut order = vec![0; similarities.len()];
    largest_k(similarities, k, &mut order);
    order[..k].iter().map(|&j| similarities[j]).sum::<f64>() / k as f64
}

/// r for every row: the mean of its k largest similarities to the other side.
fn hubness(rows: &Points, columns: &Points, k: usize) -> Vec<f64> {
    map_similarity_rows(rows, columns, &|_, similarities| {
        mean_of_largest(similarities, k)
    })
}

/// Precision@1 of the pairs (source i of x, target j of y) after mapping y by R (d×d row-major), by
/// nearest neighbour and by CSLS with `k` neighbours. A source with several listed targets counts as
/// found when the top-ranked target is any of them.
pub fn precision_at_1(
    x: &PointCloud,
    y: &PointCloud,
    rotation: &[f64],
    pairs: &[(usize, usize)],
    k: usize,
) -> Result<Retrieval> {
    same_dimension(x, y)?;
    let d = x.dim();
    ensure_len("rotation", rotation, d * d)?;
    if pairs.is_empty() {
        return Err(Error::Empty { arg: "pairs" });
    }
    if k == 0 {
        return Err(Error::invalid("k", "0: CSLS needs at least one neighbour"));
    }
    pairs_in_range("pairs", pairs, x.len(), y.len())?;
    let r = MatRef::from_row_major_slice(rotation, d, d);
    let sources = normalised(x.to_points()?);
    let targets = normalised(rotated(&y.to_points()?, r));
    crate::threads::run(|| {
        let mut answers: Vec<(usize, usize)> = pairs.to_vec();
        answers.sort_unstable();
        answers.dedup();
        let mut queries: Vec<usize> = answers.iter().map(|&(i, _)| i).collect();
        queries.dedup();
        let query_points = Points::from_row_major(
            queries
                .iter()
                .flat_map(|&i| sources.point(i).iter().copied())
                .collect(),
            queries.len(),
            d,
        );
        let target_hubness = hubness(&targets, &sources, k);
        let best = map_similarity_rows(&query_points, &targets, &|q, similarities| {
            let source_hubness = mean_of_largest(similarities, k);
            let mut nearest = (0, f64::NEG_INFINITY);
            let mut csls = (0, f64::NEG_INFINITY);
            for (j, &s) in similarities.iter().enumerate() {
                if s > nearest.1 {
                    nearest = (j, s);
                }
                let score = 2.0 * s - source_hubness - target_hubness[j];
                if score > csls.1 {
                    csls = (j, score);
                }
            }
            let correct = |j: usize| answers.binary_search(&(queries[q], j)).is_ok();
            (correct(nearest.0), correct(csls.0))
        });
        let count = |pick: fn(&(bool, bool)) -> bool| {
            best.iter().filter(|b| pick(b)).count() as f64 / queries.len() as f64
        };
        Ok(Retrieval {
            nearest_neighbour: count(|b| b.0),
            csls: count(|b| b.1),
            queries: queries.len(),
        })
    })
}
