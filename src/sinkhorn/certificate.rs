//! How far a solve is from the exact one: an interval that holds the exact regularised cost OT_ε of the
//! problem a plan solved, from the plan's potentials and the exact costs, without n×m memory.
//!
//! **Lower end.** Any potentials give a lower bound by weak duality,
//! D(f, g) = Σ φ_a(f_i) + Σ φ_b(g_j) − ε Σ_ij a_i b_j (e^{(f_i + g_j − C_ij)/ε} − 1) ≤ OT_ε, with
//! φ(p) = w p for an exact marginal and −τ w (e^{−p/τ} − 1) for one relaxed by τ. One exact c-transform
//! of the plan's f, f̃_i = −λ ε log Σ_j b_j e^{(g_j − C_ij)/ε} (λ = τ/(τ + ε), 1 when exact), is the best
//! f for that g, so D(f̃, g) ≥ D(f, g).
//!
//! **Upper end.** The exact objective of a plan feasible for the problem: P̂_ij = a_i b_j e^{(f̃_i + g_j −
//! C_ij)/ε}, whose rows are exact. When the columns are relaxed too P̂ is feasible. When both are exact it
//! is rounded onto them (Altschuler, Weed and Rigollet 2017): columns above b_j are scaled down by
//! y_j = min(1, b_j/c_j), and the deficits e_a = a − P̂y, e_b = b − c∘y are filled by e_a e_bᵀ/‖e_a‖₁.
//! The plan's objective and transport cost are one more pass over every pair.
//!
//! When only the columns are exact the roles of the two sides are swapped. Every sum over pairs runs in
//! blocks of lines, each line in one fixed order, so the result does not depend on the thread count.

use std::ops::Range;

use rayon::prelude::*;

use super::plan::TransportPlan;
use crate::coupling::Coupling;
use crate::error::{checked_product, ensure_finite_entries, try_zeroed, Error, Result};
use crate::geometry::{Cost, Points};
use crate::kernel::dense::{fill_cost_tile, log_columns, log_rows, Costs};
use crate::numeric::exp::exp;
use crate::numeric::parallel::{min_rows_per_task, sum_over_row_leaves};
use crate::numeric::random::SplitMix64;

/// Pairs of one block of lines, between two progress reports.
const PAIRS_PER_REPORT: usize = 1 << 24;
/// Lines per tile of the rounding pass.
const LINES: usize = 64;
/// Columns per tile of the rounding pass.
const BLOCK: usize = 512;
/// What a certificate that leaves the doubles says to change.
const UNDERFLOW: &str = "the exact kernel underflows at these potentials; increase epsilon";

/// How a certificate is computed.
#[derive(Debug, Clone, PartialEq)]
pub struct CertifyOptions {
    /// Up to this many pairs n·m every sum is exact; above, the sums over rows are estimated from
    /// `samples` rows drawn uniformly, with the approximate plan's own row terms as control variates.
    pub exact_limit: usize,
    /// Rows sampled above the limit.
    pub samples: usize,
    /// Seeds the sample.
    pub seed: u64,
}

/// The default exact limit: 10⁹ pairs, four exact passes of about 80 s in d = 2 on two cores
/// (BENCHMARKS.md: 7–10 s at n = m = 10⁴ for d = 2 to 16).
pub const DEFAULT_EXACT_LIMIT: usize = 1_000_000_000;
/// The default sample: 1,000 lines.
pub const DEFAULT_SAMPLES: usize = 1000;

impl Default for CertifyOptions {
    fn default() -> Self {
        CertifyOptions {
            exact_limit: DEFAULT_EXACT_LIMIT,
            samples: DEFAULT_SAMPLES,
            seed: 0,
        }
    }
}

/// An interval for the exact regularised cost, and how it was computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Certificate {
    /// D(f̃, g): at most the exact regularised cost.
    pub lower: f64,
    /// The exact objective of a feasible plan: at least the exact regularised cost.
    pub upper: f64,
    /// ⟨P, C⟩ of that feasible plan.
    pub transport_cost: f64,
    /// Rows sampled for the sums; 0 when every sum is exact.
    pub sampled_rows: usize,
    /// The standard error of `lower` when sampled; 0 when exact.
    pub lower_error: f64,
    /// The standard error of `upper` when sampled; 0 when exact.
    pub upper_error: f64,
}

impl Certificate {
    /// (upper − lower) / max(|upper|, |lower|), and 0 when both ends are 0: how far, relatively, the
    /// solve's potentials are from optimal for the exact problem. It is finite, at most 2 in magnitude.
    pub fn relative_gap(&self) -> f64 {
        let scale = self.upper.abs().max(self.lower.abs());
        if scale == 0.0 {
            0.0
        } else {
            // Each end divided first, so that the difference cannot overflow.
            self.upper / scale - self.lower / scale
        }
    }
}

/// One side of the problem as the certificate sees it: its weights, log-weights, potentials and how its
/// marginal is enforced.
struct Side<'a> {
    weights: &'a [f64],
    log_weights: Vec<f64>,
    potentials: &'a [f64],
    /// ∞ for an exact marginal.
    tau: f64,
}

impl<'a> Side<'a> {
    fn new(weights: &'a [f64], potentials: &'a [f64], tau: f64) -> Self {
        Side {
            weights,
            log_weights: weights.iter().map(|w| w.ln()).collect(),
            potentials,
            tau,
        }
    }

    fn exact(&self) -> bool {
        self.tau.is_infinite()
    }

    fn mass(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// φ(p) for line i: its term of the dual objective at the potential p.
    fn dual_term_at(&self, i: usize, p: f64) -> f64 {
        let w = self.weights[i];
        if self.exact() {
            w * p
        } else {
            -self.tau * w * (-p / self.tau).exp_m1()
        }
    }

    /// Σ φ(p_i): the side's term of the dual objective at its potentials `p`.
    fn dual_term(&self, p: &[f64]) -> f64 {
        p.iter()
            .enumerate()
            .map(|(i, &p)| self.dual_term_at(i, p))
            .sum()
    }

    /// τ (p ln(p/w) − p + w) for line i's marginal p, 0 for an exact marginal.
    fn penalty_at(&self, i: usize, p: f64) -> f64 {
        if self.exact() {
            return 0.0;
        }
        let w = self.weights[i];
        let plogp = if p > 0.0 { p * (p / w).ln() } else { 0.0 };
        self.tau * (plogp - p + w)
    }

    /// τ KL(marginal | w), 0 for an exact marginal.
    fn penalty(&self, marginal: &[f64]) -> f64 {
        marginal
            .iter()
            .enumerate()
            .map(|(i, &p)| self.penalty_at(i, p))
            .sum()
    }
}

/// The exact costs seen with the transformed side as rows: products over the rows (the side A whose
/// potentials are c-transformed) and over the columns (side B).
#[derive(Clone, Copy)]
struct Oriented<'a> {
    costs: Costs<'a>,
    transposed: bool,
}

impl Oriented<'_> {
    fn shape(&self) -> (usize, usize) {
        let (n, m) = match self.costs {
            Costs::Points { x, y, .. } => (x.len(), y.len()),
            Costs::Matrix { n, m, .. } => (n, m),
        };
        if self.transposed {
            (m, n)
        } else {
            (n, m)
        }
    }

    /// `out_i = log Σ_j e^{w_j − C_ij/ε}` for the A-lines `first..`.
    fn a_lines(&self, epsilon: f64, w: &[f64], first: usize, out: &mut [f64]) -> Result<()> {
        if self.transposed {
            log_columns(self.costs, epsilon, w, first, out)
        } else {
            log_rows(self.costs, epsilon, w, first, out)
        }
    }

    /// `out_j = log Σ_i e^{u_i − C_ij/ε}` for the B-lines `first..`.
    fn b_lines(&self, epsilon: f64, u: &[f64], first: usize, out: &mut [f64]) -> Result<()> {
        if self.transposed {
            log_rows(self.costs, epsilon, u, first, out)
        } else {
            log_columns(self.costs, epsilon, u, first, out)
        }
    }

    /// The costs C[lines, others] of A-lines against B-lines into `out`, row-major.
    fn tile(&self, lines: Range<usize>, others: Range<usize>, out: &mut [f64]) {
        match (self.costs, self.transposed) {
            (costs, false) => costs.tile(lines, others, out),
            (Costs::Points { x, y, cost }, true) => {
                fill_cost_tile(cost, (y, lines), (x, others), out)
            }
            (Costs::Matrix { values, m, .. }, true) => {
                let width = others.len();
                for (line, j) in out.chunks_exact_mut(width).zip(lines) {
                    for (c, i) in line.iter_mut().zip(others.clone()) {
                        *c = values[i * m + j];
                    }
                }
            }
        }
    }
}

/// The certificate's passes, with progress reported between blocks of lines.
struct Passes<'a, 'p> {
    costs: Oriented<'a>,
    epsilon: f64,
    done: usize,
    total: usize,
    progress: &'p mut dyn FnMut(f64) -> bool,
}

impl Passes<'_, '_> {
    /// Runs `body` on blocks of `lines` lines of `width` pairs each, reporting after each block.
    fn blocks(
        &mut self,
        lines: usize,
        width: usize,
        mut body: impl FnMut(Range<usize>) -> Result<()>,
    ) -> Result<()> {
        let per_block = (PAIRS_PER_REPORT / width.max(1)).max(1);
        for start in (0..lines).step_by(per_block) {
            let end = (start + per_block).min(lines);
            body(start..end)?;
            self.done += (end - start) * width;
            if !(self.progress)(self.done as f64 / self.total as f64) {
                return Err(Error::Cancelled {
                    iteration: self.done,
                });
            }
        }
        Ok(())
    }

    /// Every A-line's `log Σ_j e^{w_j − C_ij/ε}`.
    fn a_sums(&mut self, w: &[f64]) -> Result<Vec<f64>> {
        let (n, m) = self.costs.shape();
        let mut out = vec![0.0; n];
        let (costs, epsilon) = (self.costs, self.epsilon);
        self.blocks(n, m, |range| {
            costs.a_lines(epsilon, w, range.start, &mut out[range])
        })?;
        Ok(out)
    }

    /// Every B-line's `log Σ_i e^{u_i − C_ij/ε}`.
    fn b_sums(&mut self, u: &[f64]) -> Result<Vec<f64>> {
        let (n, m) = self.costs.shape();
        let mut out = vec![0.0; m];
        let (costs, epsilon) = (self.costs, self.epsilon);
        self.blocks(m, n, |range| {
            costs.b_lines(epsilon, u, range.start, &mut out[range])
        })?;
        Ok(out)
    }

    /// Σ_k (P̂_kj − Q_kj) over the A-lines k, for every column j, where P̂_kj = a_k b_j e^{(f_k + g_j −
    /// C_kj)/ε} from `a` (these lines' weights and potentials) and `b`, and `row(k, out)` writes row k of
    /// Q.
    fn column_differences(
        &mut self,
        a: &Side,
        b: &Side,
        row: impl Fn(usize, &mut [f64]) + Sync,
    ) -> Result<Vec<f64>> {
        let (n, m) = self.costs.shape();
        let mut total = vec![0.0; m];
        let (costs, epsilon) = (self.costs, self.epsilon);
        self.blocks(n, m, |range| {
            let sums = sum_over_row_leaves(
                range.len(),
                m,
                PAIRS_PER_REPORT / 16,
                &mut [] as &mut [f64],
                0,
                &|lines, _, acc: &mut [f64]| {
                    let (mut c, mut q) = (vec![0.0; m], vec![0.0; m]);
                    for local in lines {
                        let k = range.start + local;
                        costs.tile(k..k + 1, 0..m, &mut c);
                        row(k, &mut q);
                        let (ak, fk) = (a.weights[k], a.potentials[k]);
                        for (j, t) in acc.iter_mut().enumerate() {
                            let own =
                                ak * b.weights[j] * exp((fk + b.potentials[j] - c[j]) / epsilon);
                            *t += own - q[j];
                        }
                    }
                },
            );
            total.iter_mut().zip(&sums).for_each(|(t, s)| *t += s);
            Ok(())
        })?;
        Ok(total)
    }

    /// Each A-line's share of the rounded plan's objective and transport cost: for every pair, with
    /// p/(a_i b_j) = e^L, L = logaddexp(ℓ1, ℓ2), ℓ1 = (f̃_i + g_j − C_ij)/ε + ln y_j and
    /// ℓ2 = ln(e_a,i/a_i) + ln(e_b,j/b_j) − ln E, the terms a_i b_j (e^L (C_ij + ε L − ε) + ε) and
    /// a_i b_j e^L C_ij.
    fn rounded(&mut self, plan: &Rounding) -> Result<Vec<(f64, f64)>> {
        let (n, m) = self.costs.shape();
        let mut out = vec![(0.0, 0.0); n];
        let (costs, epsilon) = (self.costs, self.epsilon);
        self.blocks(n, m, |range| {
            let start = range.start;
            out[range]
                .par_chunks_mut(LINES)
                .with_min_len(min_rows_per_task(m * LINES))
                .enumerate()
                .for_each_init(
                    || vec![0.0; LINES * BLOCK.min(m)],
                    |tile, (group, terms)| {
                        let first = start + group * LINES;
                        for value in terms.iter_mut() {
                            *value = (0.0, 0.0);
                        }
                        for column in (0..m).step_by(BLOCK) {
                            let end = (column + BLOCK).min(m);
                            let tile = &mut tile[..terms.len() * (end - column)];
                            costs.tile(first..first + terms.len(), column..end, tile);
                            for (r, (costs_row, value)) in tile
                                .chunks_exact(end - column)
                                .zip(terms.iter_mut())
                                .enumerate()
                            {
                                let (objective, cost) =
                                    plan.row_terms(first + r, column, costs_row, epsilon);
                                value.0 += objective;
                                value.1 += cost;
                            }
                        }
                    },
                );
            Ok(())
        })?;
        Ok(out)
    }
}

/// The rounded plan P̂ diag(y) + e_a e_bᵀ/E, by its parts.
struct Rounding<'a> {
    a: &'a [f64],
    b: &'a [f64],
    f: &'a [f64],
    g: &'a [f64],
    log_y: Vec<f64>,
    /// ln(e_a,i / a_i) − ln E, −∞ where there is no deficit.
    log_deficit_a: Vec<f64>,
    /// ln(e_b,j / b_j), −∞ where there is no deficit.
    log_deficit_b: Vec<f64>,
}

impl Rounding<'_> {
    /// Line i's objective and cost terms over the columns `column..` whose costs are `costs`.
    fn row_terms(&self, i: usize, column: usize, costs: &[f64], epsilon: f64) -> (f64, f64) {
        let ai = self.a[i];
        if ai == 0.0 {
            return (0.0, 0.0);
        }
        let (mut objective, mut cost) = (0.0, 0.0);
        for (k, &c) in costs.iter().enumerate() {
            let j = column + k;
            let bj = self.b[j];
            if bj == 0.0 {
                continue;
            }
            let own = (self.f[i] + self.g[j] - c) / epsilon + self.log_y[j];
            let fill = self.log_deficit_a[i] + self.log_deficit_b[j];
            let (high, low) = if own >= fill {
                (own, fill)
            } else {
                (fill, own)
            };
            let log_ratio = if low == f64::NEG_INFINITY {
                high
            } else {
                high + exp(low - high).ln_1p()
            };
            let ratio = exp(log_ratio);
            let weight = ai * bj;
            objective += weight * (ratio * (c + epsilon * (log_ratio - 1.0)) + epsilon);
            cost += weight * ratio * c;
        }
        (objective, cost)
    }
}

impl TransportPlan {
    /// An interval that holds the exact regularised cost of the problem this plan solved, from its
    /// potentials against the exact costs of its kernel: four passes over every pair for a balanced
    /// problem, three otherwise. `progress` is told the fraction done between blocks of lines and cancels
    /// by returning false.
    pub fn certify(
        &self,
        options: &CertifyOptions,
        progress: &mut dyn FnMut(f64) -> bool,
    ) -> Result<Certificate> {
        let kernel = self.kernel();
        let costs = kernel.exact_costs().ok_or_else(|| {
            Error::Unsupported("this kernel keeps no exact costs to certify against".into())
        })?;
        let (n, m) = self.shape();
        let pairs = checked_product("n x m", n, m)?;
        let (a, b) = self.weights();
        let (f, g) = self.potentials();
        let (tau_a, tau_b) = self.marginal_relaxation();
        let rows = Side::new(a.as_slice(), f, tau_a);
        let columns = Side::new(b.as_slice(), g, tau_b);
        // The side whose potentials are transformed: an exact one where there is one, the rows otherwise.
        let transposed = !rows.exact() && columns.exact();
        let (side_a, side_b) = if transposed {
            (columns, rows)
        } else {
            (rows, columns)
        };
        // c-transform, columns, (rows of the rounded plan,) objective.
        let passes = if side_b.exact() { 4 } else { 3 };
        if pairs <= options.exact_limit {
            return crate::threads::run_with_progress(
                |report| {
                    let mut passes = Passes {
                        costs: Oriented { costs, transposed },
                        epsilon: self.epsilon(),
                        done: 0,
                        total: passes * pairs,
                        progress: report,
                    };
                    exact_certificate(&mut passes, &side_a, &side_b)
                },
                progress,
            );
        }
        if transposed {
            return Err(Error::Unsupported(format!(
                "{pairs} pairs exceed the exact limit of {}, and a sampled certificate samples rows, \
                 which needs exact or relaxed rows with relaxed columns: raise the limit",
                options.exact_limit
            )));
        }
        let rows = sample(n, options.samples.min(n), options.seed);
        let subset = Subset::new(costs, &rows)?;
        crate::threads::run_with_progress(
            |report| {
                let mut passes = Passes {
                    costs: Oriented {
                        costs: subset.costs(),
                        transposed: false,
                    },
                    epsilon: self.epsilon(),
                    done: 0,
                    total: passes * rows.len() * m,
                    progress: report,
                };
                sampled_certificate(&mut passes, self, &rows, &side_a, &side_b)
            },
            progress,
        )
    }
}

fn exact_certificate(passes: &mut Passes, a: &Side, b: &Side) -> Result<Certificate> {
    let epsilon = passes.epsilon;
    let lambda = if a.exact() {
        1.0
    } else {
        a.tau / (a.tau + epsilon)
    };
    // f̃ from g, and the rows of P̂: r_i = a_i e^{f̃_i/ε + L_i}.
    let weights_b: Vec<f64> = b
        .log_weights
        .iter()
        .zip(b.potentials)
        .map(|(w, g)| w + g / epsilon)
        .collect();
    let log_rows = passes.a_sums(&weights_b)?;
    let f: Vec<f64> = log_rows.iter().map(|l| -lambda * epsilon * l).collect();
    ensure_finite_entries(
        "the exact c-transform of the plan's potentials",
        &f,
        UNDERFLOW,
    )?;
    let row_marginal: Vec<f64> = a
        .weights
        .iter()
        .zip(&f)
        .zip(&log_rows)
        .map(|((w, f), l)| w * (f / epsilon + l).exp())
        .collect();
    // The columns of P̂: c_j = b_j e^{g_j/ε} Σ_i a_i e^{(f̃_i − C_ij)/ε}.
    let weights_a: Vec<f64> = a
        .log_weights
        .iter()
        .zip(&f)
        .map(|(w, f)| w + f / epsilon)
        .collect();
    let log_columns = passes.b_sums(&weights_a)?;
    let column_marginal: Vec<f64> = b
        .weights
        .iter()
        .zip(b.potentials)
        .zip(&log_columns)
        .map(|((w, g), l)| w * (g / epsilon + l).exp())
        .collect();
    let mass: f64 = row_marginal.iter().sum();
    let masses = a.mass() * b.mass();
    let lower = a.dual_term(&f) + b.dual_term(b.potentials) - epsilon * (mass - masses);
    // With relaxed columns P̂ is feasible as it is; otherwise it is rounded.
    let plan = if b.exact() {
        rounding(passes, a, b, &f, &column_marginal)?
    } else {
        unrounded(a, b, &f)
    };
    let (objective, transport_cost) = sum_terms(&passes.rounded(&plan)?);
    let upper = objective + a.penalty(&row_marginal) + b.penalty(&column_marginal);
    let certificate = Certificate {
        lower,
        upper,
        transport_cost,
        sampled_rows: 0,
        lower_error: 0.0,
        upper_error: 0.0,
    };
    ensure_finite_entries(
        "the certificate",
        &[lower, upper, transport_cost],
        UNDERFLOW,
    )?;
    Ok(certificate)
}

/// P̂ rounded onto both marginals, P̂'s rows being exact and its columns `columns`: one pass for the
/// rows of P̂ diag(y), and the rounding's parts.
fn rounding<'r>(
    passes: &mut Passes,
    a: &'r Side,
    b: &'r Side,
    f: &'r [f64],
    columns: &[f64],
) -> Result<Rounding<'r>> {
    let epsilon = passes.epsilon;
    let y: Vec<f64> = columns
        .iter()
        .zip(b.weights)
        .map(|(&c, &w)| if c > w { w / c } else { 1.0 })
        .collect();
    // The rows of P̂ diag(y): r′_i = a_i e^{f̃_i/ε} Σ_j b_j y_j e^{(g_j − C_ij)/ε}.
    let weights_b: Vec<f64> = b
        .log_weights
        .iter()
        .zip(b.potentials)
        .zip(&y)
        .map(|((w, g), y)| w + g / epsilon + y.ln())
        .collect();
    let log_rows = passes.a_sums(&weights_b)?;
    let deficit_a: Vec<f64> = a
        .weights
        .iter()
        .zip(f)
        .zip(&log_rows)
        .map(|((w, f), l)| (w - w * (f / epsilon + l).exp()).max(0.0))
        .collect();
    let deficit_b: Vec<f64> = b
        .weights
        .iter()
        .zip(columns)
        .map(|(w, c)| (w - c).max(0.0))
        .collect();
    let total: f64 = deficit_b.iter().sum();
    let log_ratio = |deficit: &[f64], weights: &[f64], shift: f64| -> Vec<f64> {
        deficit
            .iter()
            .zip(weights)
            .map(|(&e, &w)| {
                if e > 0.0 && total > 0.0 {
                    (e / w).ln() - shift
                } else {
                    f64::NEG_INFINITY
                }
            })
            .collect()
    };
    Ok(Rounding {
        a: a.weights,
        b: b.weights,
        f,
        g: b.potentials,
        log_y: y.iter().map(|y| y.ln()).collect(),
        log_deficit_a: log_ratio(&deficit_a, a.weights, total.ln()),
        log_deficit_b: log_ratio(&deficit_b, b.weights, 0.0),
    })
}

/// P̂ as it is: nothing rounded (its columns are relaxed).
fn unrounded<'r>(a: &'r Side, b: &'r Side, f: &'r [f64]) -> Rounding<'r> {
    Rounding {
        a: a.weights,
        b: b.weights,
        f,
        g: b.potentials,
        log_y: vec![0.0; b.weights.len()],
        log_deficit_a: vec![f64::NEG_INFINITY; a.weights.len()],
        log_deficit_b: vec![f64::NEG_INFINITY; b.weights.len()],
    }
}

/// The lines' objective and cost terms, summed in line order.
fn sum_terms(terms: &[(f64, f64)]) -> (f64, f64) {
    terms
        .iter()
        .fold((0.0, 0.0), |(o, c), (ot, ct)| (o + ot, c + ct))
}

/// `count` distinct indices of `0..total`, uniformly, ascending (a partial Fisher–Yates shuffle).
fn sample(total: usize, count: usize, seed: u64) -> Vec<usize> {
    let mut random = SplitMix64::new(seed);
    let mut order: Vec<usize> = (0..total).collect();
    for k in 0..count {
        let pick = k + random.below(total - k);
        order.swap(k, pick);
    }
    order.truncate(count);
    order.sort_unstable();
    order
}

/// The exact costs of some rows against every column.
enum Subset<'a> {
    Points {
        x: Points,
        y: &'a Points,
        cost: Cost,
    },
    Matrix {
        values: Vec<f64>,
        m: usize,
    },
}

impl<'a> Subset<'a> {
    fn new(costs: Costs<'a>, rows: &[usize]) -> Result<Self> {
        Ok(match costs {
            Costs::Points { x, y, cost } => {
                let mut data = try_zeroed::<f64>(rows.len() * x.dim(), "the sampled rows")?;
                for (out, &i) in data.chunks_exact_mut(x.dim()).zip(rows) {
                    out.copy_from_slice(x.point(i));
                }
                Subset::Points {
                    x: Points::from_row_major(data, rows.len(), x.dim()),
                    y,
                    cost,
                }
            }
            Costs::Matrix { values, m, .. } => {
                let mut data = try_zeroed::<f64>(rows.len() * m, "the sampled rows")?;
                for (out, &i) in data.chunks_exact_mut(m).zip(rows) {
                    out.copy_from_slice(&values[i * m..(i + 1) * m]);
                }
                Subset::Matrix { values: data, m }
            }
        })
    }

    fn costs(&self) -> Costs<'_> {
        match self {
            Subset::Points { x, y, cost } => Costs::Points { x, y, cost: *cost },
            Subset::Matrix { values, m } => Costs::Matrix {
                values,
                n: values.len() / m,
                m: *m,
            },
        }
    }
}

/// The estimate `Σ_all control + (N/s) Σ_sample (exact − control)` of a sum over N rows from s sampled
/// ones, and its standard error (with the finite-population correction).
fn estimate(total: usize, control_sum: f64, differences: &[f64]) -> (f64, f64) {
    let s = differences.len() as f64;
    let scale = total as f64 / s;
    let mean = differences.iter().sum::<f64>() / s;
    // The deviations are scaled by the largest, so that their squares cannot overflow.
    let largest = differences
        .iter()
        .map(|d| (d - mean).abs())
        .fold(0.0, f64::max);
    let scaled_variance = if differences.len() > 1 && largest > 0.0 {
        differences
            .iter()
            .map(|d| ((d - mean) / largest).powi(2))
            .sum::<f64>()
            / (s - 1.0)
    } else {
        0.0
    };
    let correction = (1.0 - s / total as f64).max(0.0);
    (
        control_sum + scale * s * mean,
        largest * ((scaled_variance / s * correction).sqrt() * total as f64),
    )
}

/// The certificate from sampled rows (the rows of `passes` are `rows` of the plan's): the exact row
/// terms there, the approximate plan's row terms everywhere as control variates, and the columns of P̂
/// estimated the same way. The lower end is an unbiased estimate of D(f̃, g); the upper end is the
/// objective of the plan rounded with the estimated columns, so an estimate.
fn sampled_certificate(
    passes: &mut Passes,
    plan: &TransportPlan,
    rows: &[usize],
    a: &Side,
    b: &Side,
) -> Result<Certificate> {
    let epsilon = passes.epsilon;
    let n = plan.shape().0;
    let lambda = if a.exact() {
        1.0
    } else {
        a.tau / (a.tau + epsilon)
    };
    let sampled = |values: &[f64]| -> Vec<f64> { rows.iter().map(|&i| values[i]).collect() };
    let a_weights = sampled(a.weights);
    let weights_b: Vec<f64> = b
        .log_weights
        .iter()
        .zip(b.potentials)
        .map(|(w, g)| w + g / epsilon)
        .collect();
    let log_rows = passes.a_sums(&weights_b)?;
    let f: Vec<f64> = log_rows.iter().map(|l| -lambda * epsilon * l).collect();
    ensure_finite_entries(
        "the exact c-transform of the plan's potentials",
        &f,
        UNDERFLOW,
    )?;
    let row_marginal: Vec<f64> = a_weights
        .iter()
        .zip(&f)
        .zip(&log_rows)
        .map(|((w, f), l)| w * (f / epsilon + l).exp())
        .collect();
    // The approximate plan: its potentials, marginals and P g, for every row.
    let (plan_f, _) = plan.potentials();
    let (plan_rows, plan_columns) = plan.marginals();
    let mut plan_g = vec![0.0; n];
    plan.apply(b.potentials, &mut plan_g)?;
    let sub = Side {
        weights: &a_weights,
        log_weights: a_weights.iter().map(|w| w.ln()).collect(),
        potentials: &f,
        tau: a.tau,
    };
    // The columns of P̂, corrected from the approximate plan's on the sampled rows.
    let correction = passes.column_differences(&sub, b, |k, out| plan.row(rows[k], out))?;
    let scale = n as f64 / rows.len() as f64;
    let columns: Vec<f64> = plan_columns
        .iter()
        .zip(&correction)
        .map(|(c, d)| (c + scale * d).max(0.0))
        .collect();
    let plan_rounded = if b.exact() {
        rounding(passes, &sub, b, &f, &columns)?
    } else {
        unrounded(&sub, b, &f)
    };
    let (objective, cost): (Vec<f64>, Vec<f64>) =
        passes.rounded(&plan_rounded)?.into_iter().unzip();
    let mass_b = b.mass();
    // Lower end: Σ_i (φ_a(f̃_i) − ε r_i), controlled by the plan's φ_a(f_i) − ε r_i.
    let lower_control = |i: usize| a.dual_term_at(i, plan_f[i]) - epsilon * plan_rows[i];
    let lower_exact: Vec<f64> = (0..rows.len())
        .map(|k| sub.dual_term_at(k, f[k]) - epsilon * row_marginal[k])
        .collect();
    let (lower_rows, lower_error) = estimate(
        n,
        (0..n).map(lower_control).sum(),
        &(0..rows.len())
            .map(|k| lower_exact[k] - lower_control(rows[k]))
            .collect::<Vec<_>>(),
    );
    let lower = lower_rows + b.dual_term(b.potentials) + epsilon * a.mass() * mass_b;
    // Upper end: each row's objective and penalty, controlled by the plan's own closed form.
    let upper_control = |i: usize| {
        plan_f[i] * plan_rows[i] + plan_g[i] - epsilon * plan_rows[i]
            + epsilon * a.weights[i] * mass_b
            + a.penalty_at(i, plan_rows[i])
    };
    let upper_exact: Vec<f64> = (0..rows.len())
        .map(|k| objective[k] + sub.penalty_at(k, row_marginal[k]))
        .collect();
    let (upper_rows, upper_error) = estimate(
        n,
        (0..n).map(upper_control).sum(),
        &(0..rows.len())
            .map(|k| upper_exact[k] - upper_control(rows[k]))
            .collect::<Vec<_>>(),
    );
    let upper = upper_rows + b.penalty(&columns);
    let (transport_cost, _) = estimate(n, 0.0, &cost);
    ensure_finite_entries(
        "the certificate",
        &[lower, upper, transport_cost, lower_error, upper_error],
        UNDERFLOW,
    )?;
    Ok(Certificate {
        lower,
        upper,
        transport_cost,
        sampled_rows: rows.len(),
        lower_error,
        upper_error,
    })
}
