//! The nearest of k centres for many points, by blocks: ‖p − c‖² = ‖p‖² − 2⟨p, c⟩ + ‖c‖², with the inner
//! products of a block of points against all centres as one faer matrix product.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use super::Joint;
use crate::geometry::dot;

/// Points per block: the block's coordinates and its inner products stay in cache.
const BLOCK: usize = 256;

/// For each member, its nearest centre (ties to the lower index) and the squared distance to it.
/// `centres` holds k packed rows of the joint dimension. The expansion above loses digits against a
/// direct difference when points are far from the origin relative to their spread; assignments only
/// compare distances, and the result is clamped at 0.
pub(crate) fn nearest_centres(
    joint: &Joint,
    members: &[usize],
    centres: &[f64],
) -> Vec<(u32, f64)> {
    let d = joint.dim();
    let k = centres.len() / d;
    let centre_norms: Vec<f64> = centres.chunks_exact(d).map(|c| dot(c, c)).collect();
    let centres = MatRef::from_row_major_slice(centres, k, d);
    let mut out = vec![(0u32, 0.0f64); members.len()];
    out.par_chunks_mut(BLOCK)
        .zip(members.par_chunks(BLOCK))
        .for_each(|(out, block)| {
            let mut coordinates = Vec::with_capacity(block.len() * d);
            for &p in block {
                coordinates.extend_from_slice(joint.point(p));
            }
            let points = MatRef::from_row_major_slice(&coordinates, block.len(), d);
            let mut inner = Mat::<f64>::zeros(block.len(), k);
            matmul(
                inner.as_mut(),
                Accum::Replace,
                points,
                centres.transpose(),
                1.0,
                Par::Seq,
            );
            for (r, (slot, point)) in out.iter_mut().zip(coordinates.chunks_exact(d)).enumerate() {
                let norm = dot(point, point);
                let mut best = (0u32, f64::INFINITY);
                for (c, &centre_norm) in centre_norms.iter().enumerate() {
                    let distance = norm - 2.0 * inner[(r, c)] + centre_norm;
                    if distance < best.1 {
                        best = (c as u32, distance);
                    }
                }
                *slot = (best.0, best.1.max(0.0));
            }
        });
    out
}
