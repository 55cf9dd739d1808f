//! Tiles of a point-cloud cost matrix from one matrix product. Pair by pair a cost is d scalar operations;
//! a tile's inner products come from faer's product at machine speed, which is what makes a dense kernel
//! in high dimension (embeddings, d = 300) cost its exponentials rather than its distances.

use std::ops::Range;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::source::fill_costs;
use crate::geometry::{dot, Cost, Points};

/// Below this dimension the per-pair loops win: at d = 16 the products' packing and dispatch made a
/// 4,000-point dense solve 1.8× slower (`cargo bench --bench dense_sinkhorn -- stored 4000`).
const PRODUCT_MIN_DIM: usize = 32;

/// Below this fraction of ‖p‖² + ‖q‖², the expansion may have cancelled most digits of ‖p − q‖²; such
/// pairs are recomputed from the differences.
const CANCELLATION: f64 = 1e-8;

fn rows(points: &Points, range: Range<usize>) -> MatRef<'_, f64> {
    let d = points.dim();
    MatRef::from_row_major_slice(
        &points.as_slice()[range.start * d..range.end * d],
        range.len(),
        d,
    )
}

/// `out[r·others.len() + k] = cost(lines[lines.start + r], others[others.start + k])`, row-major.
pub(crate) fn fill_cost_tile(
    cost: Cost,
    lines: (&Points, Range<usize>),
    others: (&Points, Range<usize>),
    out: &mut [f64],
) {
    let ((p, line_range), (q, other_range)) = (lines, others);
    let (height, width) = (line_range.len(), other_range.len());
    if p.dim() < PRODUCT_MIN_DIM {
        for (row, i) in out.chunks_exact_mut(width).zip(line_range) {
            fill_costs(cost, p.point(i), q, other_range.clone(), row);
        }
        return;
    }
    matmul(
        MatMut::from_row_major_slice_mut(out, height, width),
        Accum::Replace,
        rows(p, line_range.clone()),
        rows(q, other_range.clone()).transpose(),
        1.0,
        Par::Seq,
    );
    if cost == Cost::NegDot {
        out.iter_mut().for_each(|c| *c = -*c);
        return;
    }
    let q_norms: Vec<f64> = other_range
        .clone()
        .map(|j| dot(q.point(j), q.point(j)))
        .collect();
    for (row, i) in out.chunks_exact_mut(width).zip(line_range) {
        let pi = p.point(i);
        let p_norm = dot(pi, pi);
        for ((c, &q_norm), j) in row.iter_mut().zip(&q_norms).zip(other_range.clone()) {
            let scale = p_norm + q_norm;
            let mut sq = scale - 2.0 * *c;
            if sq <= CANCELLATION * scale {
                sq = Cost::SqEuclidean.eval(pi, q.point(j));
            }
            *c = match cost {
                Cost::Euclidean => sq.sqrt(),
                _ => sq,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_agree_with_the_pairwise_costs() {
        for d in [7, 40] {
            tile_agrees(d);
        }
    }

    fn tile_agrees(d: usize) {
        let make = |n: usize, phase: f64| {
            Points::from_row_major(
                (0..n * d)
                    .map(|v| (v as f64 * 0.37 + phase).sin())
                    .collect(),
                n,
                d,
            )
        };
        let (x, mut y) = (make(9, 0.0), make(12, 1.0));
        // A point shared by both clouds: its squared distance must come out exactly 0.
        y.as_mut_slice()[..d].copy_from_slice(x.point(2));
        for cost in [Cost::SqEuclidean, Cost::Euclidean, Cost::NegDot] {
            let mut out = vec![0.0; 4 * 10];
            fill_cost_tile(cost, (&x, 1..5), (&y, 0..10), &mut out);
            for r in 0..4 {
                for k in 0..10 {
                    let exact = cost.eval(x.point(1 + r), y.point(k));
                    assert!(
                        (out[r * 10 + k] - exact).abs() <= 1e-13 * (1.0 + exact.abs()),
                        "{cost:?}"
                    );
                }
            }
            // Row 1 is x_2, and y_0 is the same point: a distance is exactly 0 (−⟨x, x⟩ has no such value).
            if cost != Cost::NegDot {
                assert_eq!(out[10], 0.0, "{cost:?}");
            }
        }
    }
}
