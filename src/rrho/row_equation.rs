//! The one-dimensional equation of a block update. For a row i with the other side's potentials b_j,
//! weights w_j and inverse distances 1/d_ij,
//!
//!   η_i(a) = s·C_s · Σ_j w_j (a − b_j)_+^p / d_ij^s,
//!
//! is the ratio of the implicit plan's row mass to μ_i; the dual is maximised in α_i where η_i(α_i) = 1.
//! η is zero for a ≤ min b, then increases without bound, so the root is unique.
//!
//! Newton runs on h(a) = η(a)^{1/p} − 1 rather than on η: h is a weighted p-norm of the (a − b_j)_+, hence
//! convex and close to linear (exactly linear with one active term), so from any point where h' > 0 one
//! step lands at or above the root and the iterates then descend monotonically. Newton on η itself
//! crawls from above when p is large (ρ near 1), losing a factor 1 − 1/p per step.

use super::exponents::Exponents;

/// η, dη/da and the row's penalty sum Σ_j w_j ((a − b_j)_+ / d_ij)^s at one value a.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RowSums {
    pub eta: f64,
    pub slope: f64,
    pub penalty: f64,
}

/// The sums of one row at `a`, exactly, from its weights, inverse distances and offsets.
#[inline]
pub fn exact_row_sums(
    exponents: &Exponents,
    weights: &[f64],
    inverse_distances: &[f64],
    offsets: &[f64],
    a: f64,
) -> RowSums {
    let columns = Columns {
        weights,
        inverse_distances,
        offsets,
    };
    // Small integer powers as constants become a few multiplications in a branch-free, vectorisable
    // loop; this loop is the exact engine's whole cost once the distances are known.
    let [eta, slope, penalty] = match exponents.integer_p() {
        Some(1) => columns.sums_with(a, |_| 1.0),
        Some(2) => columns.sums_with(a, |q| q),
        Some(3) => columns.sums_with(a, |q| q * q),
        Some(4) => columns.sums_with(a, |q| q * q * q),
        Some(10) => columns.sums_with(a, |q| q.powi(9)),
        Some(p) => columns.sums_with(a, |q| q.powi(p - 1)),
        None => columns.sums_with(a, |q| q.powf(exponents.p - 1.0)),
    };
    RowSums {
        eta: exponents.plan_factor * eta,
        slope: exponents.plan_factor * exponents.p * slope,
        penalty,
    }
}

struct Columns<'r> {
    weights: &'r [f64],
    inverse_distances: &'r [f64],
    offsets: &'r [f64],
}

/// Independent partial sums, so that the additions need not wait for each other.
const LANES: usize = 4;

impl Columns<'_> {
    /// [Σ w u q/d, Σ w u/d², Σ w u q²] over the active columns (a > b_j), with q = (a − b_j)/d_j and
    /// u = `pow_p_minus_1(q)`.
    #[inline(always)]
    fn sums_with(&self, a: f64, pow_p_minus_1: impl Fn(f64) -> f64) -> [f64; 3] {
        let mut lanes = [[0.0; LANES]; 3];
        let mut add = |lane: usize, w: f64, inverse: f64, b: f64| {
            let t = a - b;
            let q = t.max(0.0) * inverse;
            let wu = if t > 0.0 { w * pow_p_minus_1(q) } else { 0.0 };
            lanes[0][lane] += wu * q * inverse;
            lanes[1][lane] += wu * inverse * inverse;
            lanes[2][lane] += wu * q * q;
        };
        let (w, inverse, b) = (
            self.weights.chunks_exact(LANES),
            self.inverse_distances.chunks_exact(LANES),
            self.offsets.chunks_exact(LANES),
        );
        let rest = (w.remainder(), inverse.remainder(), b.remainder());
        for ((w, inverse), b) in w.zip(inverse).zip(b) {
            for lane in 0..LANES {
                add(lane, w[lane], inverse[lane], b[lane]);
            }
        }
        for k in 0..rest.0.len() {
            add(k, rest.0[k], rest.1[k], rest.2[k]);
        }
        lanes.map(|lane| lane.iter().sum())
    }
}

/// An interval known to contain the root: η(lo) ≤ 1 ≤ η(hi).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bracket {
    pub lo: f64,
    pub hi: f64,
}

impl Bracket {
    /// For offsets b and weights of total W, with every distance at most `max_distance` (D): η(a) ≥
    /// s·C_s·W·(a − max b)^p / D^s, so the root lies below max b + D^ρ (s·C_s·W)^{−(ρ−1)}; η vanishes at min b.
    pub fn of(
        exponents: &Exponents,
        offsets: &[f64],
        total_weight: f64,
        max_distance: f64,
    ) -> Self {
        let (lo, hi) = offsets
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &b| {
                (lo.min(b), hi.max(b))
            });
        let reach = max_distance.powf(exponents.rho)
            * (exponents.plan_factor * total_weight).powf(-(exponents.rho - 1.0));
        Bracket { lo, hi: hi + reach }
    }
}

/// A solved row: the new potential, η at the old one, and the sums at the new one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolvedRow {
    pub potential: f64,
    pub eta_before: f64,
    pub sums: RowSums,
}

/// Relative distance to 1 at which η counts as solved: a few rounding errors of the sums.
const ETA_TOLERANCE: f64 = 1e-14;
const MAX_STEPS: usize = 200;

/// Solves η(a) = 1 from `start` by safeguarded Newton on η^{1/p} − 1 within `bracket` (bisection when a
/// step would leave it). `sums` evaluates the row at a point.
pub fn solve_row(
    exponents: &Exponents,
    start: f64,
    bracket: Bracket,
    mut sums: impl FnMut(f64) -> RowSums,
) -> SolvedRow {
    let before = sums(start);
    let Bracket { mut lo, mut hi } = bracket;
    let (mut a, mut at) = if start > lo && start < hi {
        (start, before)
    } else {
        let a = if start <= lo { lo } else { hi };
        (a, sums(a))
    };
    for _ in 0..MAX_STEPS {
        if (at.eta - 1.0).abs() <= ETA_TOLERANCE {
            break;
        }
        if at.eta > 1.0 {
            hi = hi.min(a);
        } else {
            lo = lo.max(a);
        }
        let newton = if at.eta > 0.0 && at.slope > 0.0 {
            a - exponents.p * (at.eta - at.eta.powf(1.0 - 1.0 / exponents.p)) / at.slope
        } else {
            f64::NAN
        };
        let next = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if next == a || hi - lo <= f64::EPSILON * a.abs().max(hi.abs()) {
            break;
        }
        a = next;
        at = sums(a);
    }
    SolvedRow {
        potential: a,
        eta_before: before.eta,
        sums: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        rho: f64,
        weights: &[f64],
        distances: &[f64],
        offsets: &[f64],
    ) -> (Exponents, SolvedRow) {
        let e = Exponents::new(rho).unwrap();
        let inverse: Vec<f64> = distances.iter().map(|d| 1.0 / d).collect();
        let total: f64 = weights.iter().sum();
        let bracket = Bracket::of(&e, offsets, total, 10.0);
        let solved = solve_row(&e, 0.0, bracket, |a| {
            exact_row_sums(&e, weights, &inverse, offsets, a)
        });
        (e, solved)
    }

    #[test]
    fn one_term_has_the_closed_form_root() {
        // s C_s w (a − b)^p / d^s = 1  ⇔  a = b + (d^s / (s C_s w))^{1/p}.
        for rho in [2.0, 1.5, 1.1, 1.3] {
            let (e, solved) = row(rho, &[0.4], &[1.7], &[0.25]);
            let expected = 0.25 + (1.7f64.powf(e.s) / (e.plan_factor * 0.4)).powf(1.0 / e.p);
            assert!(
                (solved.potential - expected).abs() <= 1e-13 * expected,
                "rho {rho}: {} vs {expected}",
                solved.potential
            );
        }
    }

    #[test]
    fn many_terms_reach_eta_one_with_terms_on_both_sides() {
        let weights = [0.1, 0.3, 0.2, 0.4];
        let distances = [0.5, 1.0, 2.0, 3.0];
        let offsets = [-1.0, 0.3, 2.0, 40.0];
        for rho in [2.0, 1.25, 1.1, 1.01] {
            let (_, solved) = row(rho, &weights, &distances, &offsets);
            assert!(
                (solved.sums.eta - 1.0).abs() < 1e-12,
                "rho {rho}: {solved:?}"
            );
            assert!(solved.potential < 40.0);
        }
    }
}
