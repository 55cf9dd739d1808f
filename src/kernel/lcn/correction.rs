//! LCN's sparse correction Δ_ij = K_ij − (K_Nys)_ij at the kept pairs, in signed log form: at small ε
//! both terms may lie far below f64's range, and their difference is what matters.

use rayon::prelude::*;

use crate::kernel::nystrom::NystromKernel;
use crate::kernel::sparse::pattern::Pattern;
use crate::numeric::signed_logsum::{SignedLog, SignedLogSum};

/// Δ at every entry of `pattern`, in its row order. Costs O(n·l² + nnz·l).
pub(super) fn correction(nystrom: &NystromKernel, pattern: &Pattern) -> Vec<SignedLog> {
    let factors = &nystrom.landmarked().factors;
    let (source, target) = (factors.source(), factors.target());
    let l = factors.landmarks();
    let epsilon = crate::kernel::Kernel::epsilon(nystrom);
    let (n, m) = pattern.shape();
    let inverse: Vec<SignedLog> = nystrom
        .inverse()
        .iter()
        .map(|&w| SignedLog::of(w))
        .collect();
    let costs = pattern.costs();
    (0..n)
        .into_par_iter()
        .flat_map_iter(|i| {
            // q_b = (Û W)_ib
            let q: Vec<SignedLog> = (0..l)
                .map(|b| {
                    let mut acc = SignedLogSum::default();
                    for a in 0..l {
                        let w = inverse[a * l + b];
                        acc.add(w.log - source[a * n + i] / epsilon, w.sign);
                    }
                    acc.value()
                })
                .collect();
            pattern.row(i).map(move |k| {
                let j = pattern.col(k);
                let mut nystrom_entry = SignedLogSum::default();
                for (b, qb) in q.iter().enumerate() {
                    nystrom_entry.add(qb.log - target[b * m + j] / epsilon, qb.sign);
                }
                let approximation = nystrom_entry.value();
                let mut delta = SignedLogSum::default();
                delta.add(-costs[k] / epsilon, 1.0);
                delta.add(approximation.log, -approximation.sign);
                delta.value()
            })
        })
        .collect()
}
