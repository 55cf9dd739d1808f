//! The orthogonal group's two projections: the nearest orthogonal matrix to a square matrix (its polar
//! factor), and the orthogonal Procrustes fit of one set of points onto another.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use crate::error::{Error, Result};

/// How far from orthogonal a caller's rotation may be: a few rounding errors of a d×d product.
pub const ORTHOGONALITY_TOLERANCE: f64 = 1e-8;

/// The orthogonal matrix nearest to `m` in the Frobenius norm: U Vᵀ from m = U Σ Vᵀ.
pub fn nearest_orthogonal(m: MatRef<'_, f64>) -> Result<Mat<f64>> {
    let svd = m.thin_svd().map_err(|error| {
        Error::NumericalFailure(format!(
            "the SVD of the updated rotation did not converge ({error:?}): the step is too large or \
             the inputs are degenerate"
        ))
    })?;
    let mut q = Mat::zeros(m.nrows(), m.ncols());
    matmul(
        q.as_mut(),
        Accum::Replace,
        svd.U(),
        svd.V().transpose(),
        1.0,
        Par::Seq,
    );
    Ok(q)
}

/// max_kl |(RᵀR − I)_kl|.
pub fn orthogonality_error(r: MatRef<'_, f64>) -> f64 {
    let mut gram = Mat::zeros(r.ncols(), r.ncols());
    matmul(
        gram.as_mut(),
        Accum::Replace,
        r.transpose(),
        r,
        1.0,
        Par::Seq,
    );
    let mut error = 0.0f64;
    for k in 0..gram.ncols() {
        for l in 0..gram.nrows() {
            let identity = if k == l { 1.0 } else { 0.0 };
            error = error.max((gram[(l, k)] - identity).abs());
        }
    }
    error
}

/// The orthogonal R minimising Σ_(i,j) ‖x_i − R y_j‖² over the given pairs: the polar factor of
/// Σ x_i y_jᵀ (Schönemann 1966).
pub fn procrustes(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    pairs: &[(usize, usize)],
) -> Result<Mat<f64>> {
    let d = x.ncols();
    let mut cross = Mat::<f64>::zeros(d, d);
    for &(i, j) in pairs {
        for l in 0..d {
            let xl = x[(i, l)];
            for k in 0..d {
                cross[(l, k)] += xl * y[(j, k)];
            }
        }
    }
    nearest_orthogonal(cross.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_polar_factor_is_orthogonal_and_fixes_orthogonal_matrices() {
        let m = Mat::from_fn(5, 5, |i, j| {
            ((i * 7 + j * 3) % 11) as f64 - 5.0 + (i == j) as u8 as f64
        });
        let q = nearest_orthogonal(m.as_ref()).unwrap();
        assert!(orthogonality_error(q.as_ref()) < 1e-13);
        let again = nearest_orthogonal(q.as_ref()).unwrap();
        assert!((&again - &q).norm_max() < 1e-13);
    }

    #[test]
    fn procrustes_recovers_a_rotation_from_exact_pairs() {
        let m = Mat::from_fn(4, 4, |i, j| {
            ((i * 5 + j * 2) % 7) as f64 + (i == j) as u8 as f64
        });
        let r = nearest_orthogonal(m.as_ref()).unwrap();
        let y = Mat::from_fn(10, 4, |i, k| ((i * 13 + k * 7) % 17) as f64 / 17.0 - 0.5);
        // x_i = R y_i, so X = Y Rᵀ.
        let x = &y * r.transpose();
        let pairs: Vec<(usize, usize)> = (0..10).map(|i| (i, i)).collect();
        let fitted = procrustes(x.as_ref(), y.as_ref(), &pairs).unwrap();
        assert!((&fitted - &r).norm_max() < 1e-12);
    }
}
