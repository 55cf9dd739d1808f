//! The sparse correction Δ_ij = K_ij − (K_Nys + βρρᵀ)_ij at the kept pairs, in signed log form: at small
//! ε both terms may lie far below f64's range, and their difference is what matters. The Nyström entry
//! is `e^{M_i + N_j} ⟨F̃_i, G̃_j⟩` from the scaled factors (`nystrom/factor.rs`): `rank` multiply-adds per
//! pair.

use rayon::prelude::*;

use crate::kernel::nystrom::LowRank;
use crate::kernel::sparse::pattern::Pattern;
use crate::numeric::signed_logsum::{SignedLog, SignedLogSum};

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

/// Δ = K − (K_Nys + βρρᵀ) at every entry of `pattern`, in its row order. Costs O(nnz·rank).
pub(super) fn correction(nystrom: &LowRank, pattern: &Pattern) -> Vec<SignedLog> {
    let epsilon = nystrom.epsilon();
    let (rows, columns) = nystrom.factors();
    let log_floor = nystrom.floor().ln();
    let costs = pattern.costs();
    let mut out = vec![SignedLog::ZERO; pattern.nnz()];
    out.par_iter_mut()
        .with_min_len(4096)
        .enumerate()
        .for_each(|(k, delta)| {
            let (i, j) = (pattern.row_of(k), pattern.col(k));
            let inner: f64 = rows
                .row(i)
                .iter()
                .zip(columns.row(j))
                .map(|(f, g)| f * g)
                .sum();
            let nystrom = SignedLog::of(inner);
            let mut approximation = SignedLogSum::default();
            approximation.add(
                nystrom.log + rows.log_scale()[i] + columns.log_scale()[j],
                nystrom.sign,
            );
            approximation.add(rows.floor()[i] + columns.floor()[j] + log_floor, 1.0);
            *delta = log_difference(-costs[k] / epsilon, approximation.value());
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
