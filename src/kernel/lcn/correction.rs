//! LCN's sparse correction Δ_ij = K_ij − (K_Nys)_ij at the kept pairs, in signed log form: at small ε
//! both terms may lie far below f64's range, and their difference is what matters.
//!
//! The Nyström entry is `Σ_b q_ib V̂_bj` with `q_i = Û_i W`. Each row's Û and each column's V̂ are scaled
//! by their largest entry, `Û_ai = e^{M_i} Ũ_ai` and `V̂_bj = e^{N_j} Ṽ_bj`, so the sums run in linear
//! arithmetic on numbers at most 1 and the entry is `e^{M_i + N_j} Σ_b q̃_ib Ṽ_bj`: l² multiply-adds per
//! row and l per pair, with exponentials only for the scalings.

use rayon::prelude::*;

use crate::kernel::nystrom::NystromKernel;
use crate::kernel::sparse::pattern::Pattern;
use crate::numeric::exp::exp;
use crate::numeric::signed_logsum::SignedLog;

/// Each point's landmark factor scaled by its largest entry, point-major (`count × l`), and the logs of
/// those largest entries.
fn scaled_by_point(costs: &[f64], count: usize, l: usize, epsilon: f64) -> (Vec<f64>, Vec<f64>) {
    let mut scaled = vec![0.0; count * l];
    let shifts: Vec<f64> = scaled
        .par_chunks_mut(l)
        .enumerate()
        .map(|(p, row)| {
            let shift = (0..l)
                .map(|a| -costs[a * count + p] / epsilon)
                .fold(f64::NEG_INFINITY, f64::max);
            for (a, value) in row.iter_mut().enumerate() {
                *value = exp(-costs[a * count + p] / epsilon - shift);
            }
            shift
        })
        .collect();
    (scaled, shifts)
}

/// `e^a − e^b` in signed log form.
fn log_difference(a: f64, b: SignedLog) -> SignedLog {
    if b.sign == 0.0 {
        return SignedLog { log: a, sign: 1.0 };
    }
    let (high, low) = if a >= b.log { (a, b.log) } else { (b.log, a) };
    let ratio = (low - high).exp();
    if b.sign < 0.0 {
        SignedLog {
            log: high + ratio.ln_1p(),
            sign: 1.0,
        }
    } else if ratio == 1.0 {
        SignedLog::ZERO
    } else {
        SignedLog {
            log: high + (-ratio).ln_1p(),
            sign: if a >= b.log { 1.0 } else { -1.0 },
        }
    }
}

/// Δ at every entry of `pattern`, in its row order. Costs O(n·l² + nnz·l) operations and O((n + m)·l)
/// exponentials.
pub(super) fn correction(nystrom: &NystromKernel, pattern: &Pattern) -> Vec<SignedLog> {
    let factors = &nystrom.landmarked().factors;
    let l = factors.landmarks();
    let epsilon = crate::kernel::Kernel::epsilon(nystrom);
    let (n, m) = pattern.shape();
    let inverse = nystrom.inverse();
    let (rows, row_shifts) = scaled_by_point(factors.source(), n, l, epsilon);
    let (columns, column_shifts) = scaled_by_point(factors.target(), m, l, epsilon);
    let costs = pattern.costs();
    let mut out = vec![SignedLog::ZERO; pattern.nnz()];
    let mut chunks: Vec<(usize, &mut [SignedLog])> = Vec::with_capacity(n);
    let mut rest = out.as_mut_slice();
    for i in 0..n {
        let (row, tail) = rest.split_at_mut(pattern.row(i).len());
        chunks.push((i, row));
        rest = tail;
    }
    chunks.into_par_iter().for_each(|(i, deltas)| {
        // q̃_i = Ũ_i W
        let u = &rows[i * l..(i + 1) * l];
        let q: Vec<f64> = (0..l)
            .map(|b| (0..l).map(|a| u[a] * inverse[a * l + b]).sum())
            .collect();
        for (delta, k) in deltas.iter_mut().zip(pattern.row(i)) {
            let j = pattern.col(k);
            let sum: f64 = q
                .iter()
                .zip(&columns[j * l..(j + 1) * l])
                .map(|(q, v)| q * v)
                .sum();
            let mut approximation = SignedLog::of(sum);
            approximation.log += row_shifts[i] + column_shifts[j];
            *delta = log_difference(-costs[k] / epsilon, approximation);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_difference_keeps_sign_and_magnitude() {
        let value = |s: SignedLog| s.sign * s.log.exp();
        let cases = [(0.5f64, 0.2f64), (0.2, 0.5), (0.3, -0.4), (0.7, 0.0)];
        for (a, b) in cases {
            let found = value(log_difference(a.ln(), SignedLog::of(b)));
            assert!((found - (a - b)).abs() < 1e-15, "{a} - {b}: {found}");
        }
        assert_eq!(log_difference(0.0, SignedLog::of(1.0)), SignedLog::ZERO);
        let tiny = log_difference(
            -800.0,
            SignedLog {
                log: -800.5,
                sign: 1.0,
            },
        );
        assert!((tiny.log - (-800.0 + (1.0 - (-0.5f64).exp()).ln())).abs() < 1e-12);
    }
}
