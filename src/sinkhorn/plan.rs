//! The solution of a Sinkhorn solve and everything computed from it, without an n×m matrix: the plan is
//! `P = diag(α) G diag(β)` with G the solve's last operator and α = a∘u, β = b∘v its scalings.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::coupling::{Coupling, Product};
use crate::error::{ensure_finite_entries, Error, Result};
use crate::geometry::{dot, Cost, Layout, Weights};
use crate::kernel::{Gibbs, Kernel};
use crate::numeric::largest::largest_k;
use crate::numeric::parallel::min_rows_per_task;
use crate::threads;

/// A solver state: absorbed potentials, their operator, and the scalings on top of them.
pub(crate) struct Scaled {
    pub f: Vec<f64>,
    pub g: Vec<f64>,
    pub u: Vec<f64>,
    pub v: Vec<f64>,
    pub gibbs: Box<dyn Gibbs>,
    pub epsilon: f64,
    pub converged: bool,
    /// The error stopped falling before the tolerance (and no more precise kernel could take over).
    pub stalled: bool,
}

impl Scaled {
    pub fn new(f: Vec<f64>, g: Vec<f64>, gibbs: Box<dyn Gibbs>, epsilon: f64) -> Self {
        let (n, m) = (f.len(), g.len());
        Scaled {
            f,
            g,
            u: vec![1.0; n],
            v: vec![1.0; m],
            gibbs,
            epsilon,
            converged: false,
            stalled: false,
        }
    }

    /// The potentials with the scalings folded in: `f + ε ln u`, `g + ε ln v`.
    pub fn total_potentials(&self) -> (Vec<f64>, Vec<f64>) {
        let fold = |p: &[f64], s: &[f64]| {
            p.iter()
                .zip(s)
                .map(|(p, s)| p + self.epsilon * s.ln())
                .collect()
        };
        (fold(&self.f, &self.u), fold(&self.g, &self.v))
    }
}

/// Why a solve stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The stopping rule fell below the tolerance.
    Converged,
    /// The iteration limit came first.
    IterationLimit,
    /// The error stopped falling before the tolerance: its best value improved by less than 0.1% over
    /// 1000 iterations (the kernel's precision, or an approximate kernel's inconsistency between its
    /// row and column products, puts a floor under it). A stored f32 kernel first switches to f64.
    Stalled,
}

/// An entropic transport plan. Immutable; every method may be called from any thread.
pub struct TransportPlan {
    kernel: Arc<dyn Kernel>,
    gibbs: Box<dyn Gibbs>,
    row_scale: Vec<f64>,
    col_scale: Vec<f64>,
    f: Vec<f64>,
    g: Vec<f64>,
    a: Weights,
    b: Weights,
    tau_a: f64,
    tau_b: f64,
    stop: StopReason,
    iterations: usize,
    row_marginal: Vec<f64>,
    col_marginal: Vec<f64>,
    transport_cost: OnceLock<Result<f64>>,
}

impl std::fmt::Debug for TransportPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportPlan")
            .field("shape", &self.shape())
            .field("stop", &self.stop)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl TransportPlan {
    pub(crate) fn new(
        kernel: Arc<dyn Kernel>,
        state: Scaled,
        a: Weights,
        b: Weights,
        (tau_a, tau_b): (f64, f64),
        iterations: usize,
    ) -> Result<Self> {
        let (mut f, mut g) = state.total_potentials();
        if let Some((index, &value)) = f.iter().chain(&g).enumerate().find(|(_, p)| !p.is_finite())
        {
            return Err(Error::NumericalFailure(format!(
                "potential {index} is {value}; increase epsilon"
            )));
        }
        if tau_a.is_infinite() && tau_b.is_infinite() {
            // Balanced potentials are defined up to (f + c, g − c); report the pair with a·f = b·g.
            let dot = |w: &Weights, p: &[f64]| {
                w.as_slice().iter().zip(p).map(|(w, p)| w * p).sum::<f64>()
            };
            let shift = (dot(&a, &f) - dot(&b, &g)) / (a.mass() + b.mass());
            f.iter_mut().for_each(|p| *p -= shift);
            g.iter_mut().for_each(|p| *p += shift);
        }
        let row_scale: Vec<f64> = a
            .as_slice()
            .iter()
            .zip(&state.u)
            .map(|(a, u)| a * u)
            .collect();
        let col_scale: Vec<f64> = b
            .as_slice()
            .iter()
            .zip(&state.v)
            .map(|(b, v)| b * v)
            .collect();
        let gibbs = state.gibbs;
        let (row_marginal, col_marginal) = threads::run(|| {
            let mut rows = vec![0.0; row_scale.len()];
            let mut cols = vec![0.0; col_scale.len()];
            gibbs.apply(&col_scale, &mut rows);
            gibbs.apply_transpose(&row_scale, &mut cols);
            rows.iter_mut().zip(&row_scale).for_each(|(r, s)| *r *= s);
            cols.iter_mut().zip(&col_scale).for_each(|(c, s)| *c *= s);
            (rows, cols)
        });
        let plan = TransportPlan {
            kernel,
            gibbs,
            row_scale,
            col_scale,
            f,
            g,
            a,
            b,
            tau_a,
            tau_b,
            stop: if state.converged {
                StopReason::Converged
            } else if state.stalled {
                StopReason::Stalled
            } else {
                StopReason::IterationLimit
            },
            iterations,
            row_marginal,
            col_marginal,
            transport_cost: OnceLock::new(),
        };
        plan.ensure_finite()?;
        Ok(plan)
    }

    /// Refuses a plan whose summaries overflow (an ε so small that C/ε leaves the doubles, weights
    /// near the largest double), so that no plan a solve returns reports a non-finite value.
    fn ensure_finite(&self) -> Result<()> {
        let summaries = [
            ("mass", self.mass()),
            ("regularised objective", self.regularized_objective()),
            ("dual objective", self.dual_objective()),
        ];
        match summaries.iter().find(|(_, value)| !value.is_finite()) {
            Some((what, value)) => Err(Error::NumericalFailure(format!(
                "the plan's {what} is {value}: increase epsilon, or rescale the weights or the costs"
            ))),
            None => Ok(()),
        }
    }

    /// The kernel the solve ran on, with what the solve added to it.
    pub fn kernel(&self) -> &Arc<dyn Kernel> {
        &self.kernel
    }

    /// The kernel's ε.
    pub fn epsilon(&self) -> f64 {
        self.kernel.epsilon()
    }

    /// Whether the stopping rule was met before the iteration limit.
    pub fn converged(&self) -> bool {
        self.stop == StopReason::Converged
    }

    /// Row i of P into `out` (length m).
    pub(crate) fn row(&self, i: usize, out: &mut [f64]) {
        self.gibbs.row(i, out);
        let scale = self.row_scale[i];
        out.iter_mut()
            .zip(&self.col_scale)
            .for_each(|(p, c)| *p *= scale * c);
    }

    /// The marginals' weights (a, b).
    pub fn weights(&self) -> (&Weights, &Weights) {
        (&self.a, &self.b)
    }

    /// (τ_a, τ_b), ∞ for an exact marginal.
    pub fn marginal_relaxation(&self) -> (f64, f64) {
        (self.tau_a, self.tau_b)
    }

    /// Why the solve stopped.
    pub fn stop_reason(&self) -> StopReason {
        self.stop
    }

    /// Iterations made, Newton's operator passes included.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// ‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ of the returned plan.
    pub fn marginal_error(&self) -> f64 {
        let l1 = |p: &[f64], w: &Weights| {
            p.iter()
                .zip(w.as_slice())
                .map(|(p, w)| (p - w).abs())
                .sum::<f64>()
        };
        l1(&self.row_marginal, &self.a) + l1(&self.col_marginal, &self.b)
    }

    /// Σ_ij P_ij.
    pub fn mass(&self) -> f64 {
        self.row_marginal.iter().sum()
    }

    /// ⟨P, C⟩. The first call costs one pass over the costs; the value is kept. Kernels that do not hold
    /// their costs entry by entry (Nyström, LCN) get it exactly from P·Y instead: for the squared
    /// Euclidean cost ⟨P,C⟩ = Σ r_i‖x_i‖² + Σ c_j‖y_j‖² − 2 Σ_i ⟨x_i, (PY)_i⟩ (r, c the marginals), and for
    /// −⟨x, y⟩ it is −Σ_i ⟨x_i, (PY)_i⟩.
    pub fn transport_cost(&self) -> Result<f64> {
        self.transport_cost
            .get_or_init(|| {
                let cost =
                    match threads::run(|| self.gibbs.cost_moment(&self.row_scale, &self.col_scale))
                    {
                        Some(cost) => cost,
                        None => self.transport_cost_from_projection()?,
                    };
                ensure_finite_entries("the transport cost", &[cost], "rescale the costs")?;
                Ok(cost)
            })
            .clone()
    }

    fn transport_cost_from_projection(&self) -> Result<f64> {
        let (x, y, cost) = self.points("the transport cost of this kernel")?;
        let (py, d) = self.plan_times_targets()?;
        let cross: f64 = py
            .chunks_exact(d)
            .enumerate()
            .map(|(i, row)| dot(x.point(i), row))
            .sum();
        let weighted_norms = |points: &crate::geometry::Points, marginal: &[f64]| -> f64 {
            marginal
                .iter()
                .enumerate()
                .map(|(i, r)| r * dot(points.point(i), points.point(i)))
                .sum()
        };
        match cost {
            Cost::SqEuclidean => Ok(weighted_norms(x, &self.row_marginal)
                + weighted_norms(y, &self.col_marginal)
                - 2.0 * cross),
            Cost::NegDot => Ok(-cross),
            Cost::Euclidean => Err(Error::Unsupported(
                "the transport cost of a Nyström or LCN kernel is exact for the squared Euclidean and \
                 negative dot-product costs only; the Euclidean cost does not factor through P·Y"
                    .into(),
            )),
        }
    }

    /// ⟨P,C⟩ + ε KL(P | a⊗b) + τ_a KL(P1 | a) + τ_b KL(Pᵀ1 | b), exactly, from the potentials: for a plan of
    /// this form, ⟨P,C⟩ + ε KL(P | a⊗b) = ⟨f, P1⟩ + ⟨g, Pᵀ1⟩ − ε (ΣP − Σa·Σb).
    pub fn regularized_objective(&self) -> f64 {
        let epsilon = self.epsilon();
        let inner = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(p, q)| p * q).sum::<f64>();
        let entropic = inner(&self.f, &self.row_marginal) + inner(&self.g, &self.col_marginal)
            - epsilon * (self.mass() - self.a.mass() * self.b.mass());
        entropic
            + relaxation_penalty(self.tau_a, &self.row_marginal, &self.a)
            + relaxation_penalty(self.tau_b, &self.col_marginal, &self.b)
    }

    /// The dual objective at (f, g): `−τ_a Σ a (e^{−f/τ_a} − 1) − τ_b Σ b (e^{−g/τ_b} − 1) − ε (ΣP − Σa·Σb)`,
    /// where an exact marginal's term is `Σ a f`.
    pub fn dual_objective(&self) -> f64 {
        let side = |tau: f64, w: &Weights, p: &[f64]| -> f64 {
            w.as_slice()
                .iter()
                .zip(p)
                .map(|(w, p)| {
                    if tau.is_infinite() {
                        w * p
                    } else {
                        -tau * w * (-p / tau).exp_m1()
                    }
                })
                .sum()
        };
        side(self.tau_a, &self.a, &self.f) + side(self.tau_b, &self.b, &self.g)
            - self.epsilon() * (self.mass() - self.a.mass() * self.b.mass())
    }

    /// `P Y` for the kernel's target points Y, n×d row-major, with d.
    pub fn plan_times_targets(&self) -> Result<(Vec<f64>, usize)> {
        let (_, y, _) = self.points("the barycentric projection")?;
        let d = y.dim();
        let scaled: Vec<f64> = y
            .as_slice()
            .chunks_exact(d)
            .zip(&self.col_scale)
            .flat_map(|(p, s)| p.iter().map(move |v| v * s))
            .collect();
        let mut out = vec![0.0; self.shape().0 * d];
        threads::run(|| self.gibbs.apply_block(&scaled, d, &mut out));
        out.chunks_exact_mut(d)
            .zip(&self.row_scale)
            .for_each(|(row, s)| row.iter_mut().for_each(|v| *v *= s));
        Ok((out, d))
    }

    fn points(
        &self,
        what: &str,
    ) -> Result<(&crate::geometry::Points, &crate::geometry::Points, Cost)> {
        self.kernel.geometry().ok_or_else(|| {
            Error::Unsupported(format!(
                "{what} needs a kernel built from point clouds, not from a cost matrix"
            ))
        })
    }

    /// The barycentric projection `T(x_i) = (P Y)_i / (P1)_i`, into `out` (n×d in `layout`). Rows that carry
    /// no mass are mapped to 0.
    pub fn barycentric_projection(&self, out: &mut [f64], layout: Layout) -> Result<()> {
        let (py, d) = self.plan_times_targets()?;
        let n = self.shape().0;
        write_matrix(n, d, layout, out, |i, k| {
            let mass = self.row_marginal[i];
            if mass > 0.0 {
                py[i * d + k] / mass
            } else {
                0.0
            }
        });
        ensure_finite_entries("the barycentric projection", out, "rescale the points")
    }

    /// The gradient of the regularised objective with respect to the source points (envelope theorem:
    /// `Σ_j P_ij ∇_x C(x_i, y_j)`), into `out` (n×d in `layout`). Squared Euclidean: `2 (r_i x_i − (PY)_i)`;
    /// negative dot product: `−(PY)_i`.
    pub fn gradient_x(&self, out: &mut [f64], layout: Layout) -> Result<()> {
        let (x, _, cost) = self.points("the gradient")?;
        let (py, d) = self.plan_times_targets()?;
        let n = self.shape().0;
        match cost {
            Cost::SqEuclidean => write_matrix(n, d, layout, out, |i, k| 2.0 * (self.row_marginal[i] * x.point(i)[k] - py[i * d + k])),
            Cost::NegDot => write_matrix(n, d, layout, out, |i, k| -py[i * d + k]),
            Cost::Euclidean => {
                return Err(Error::Unsupported(
                    "the gradient is implemented for the squared Euclidean and negative dot-product costs".into(),
                ))
            }
        }
        ensure_finite_entries("the gradient", out, "rescale the points")
    }
}

impl Coupling for TransportPlan {
    const ROWS: &'static str = "the plan's rows";
    const COLUMNS: &'static str = "the plan's columns";

    fn shape(&self) -> (usize, usize) {
        (self.f.len(), self.g.len())
    }

    /// (f, g), with `P_ij = a_i b_j exp((f_i + g_j − C_ij)/ε)`; balanced ones satisfy a·f = b·g.
    fn potentials(&self) -> (&[f64], &[f64]) {
        (&self.f, &self.g)
    }

    /// P1 and Pᵀ1, held by the plan.
    fn marginals(&self) -> (Cow<'_, [f64]>, Cow<'_, [f64]>) {
        (
            Cow::Borrowed(&self.row_marginal),
            Cow::Borrowed(&self.col_marginal),
        )
    }

    /// One pass over the kernel: `P v = α ∘ G (β ∘ v)`, or its transpose.
    fn product(&self, product: Product, v: &[f64], out: &mut [f64]) -> Result<()> {
        let (inner, outer, what, advice) = match product {
            Product::Plan => (&self.col_scale, &self.row_scale, "P v", "rescale v"),
            Product::Transpose => (&self.row_scale, &self.col_scale, "Pᵀ u", "rescale u"),
        };
        let x: Vec<f64> = v.iter().zip(inner).map(|(v, s)| v * s).collect();
        threads::run(|| match product {
            Product::Plan => self.gibbs.apply(&x, out),
            Product::Transpose => self.gibbs.apply_transpose(&x, out),
        });
        out.iter_mut().zip(outer).for_each(|(o, s)| *o *= s);
        ensure_finite_entries(what, out, advice)
    }

    fn largest_entries(
        &self,
        k: usize,
        rows: &mut [usize],
        cols: &mut [usize],
        values: &mut [f64],
    ) -> Result<()> {
        let m = self.shape().1;
        threads::run(|| {
            rows.par_chunks_mut(k)
                .zip(cols.par_chunks_mut(k))
                .zip(values.par_chunks_mut(k))
                .with_min_len(min_rows_per_task(m))
                .enumerate()
                .for_each_init(
                    || (vec![0.0; m], (0..m).collect::<Vec<usize>>()),
                    |(row, order), (i, ((r, c), v))| {
                        self.row(i, row);
                        largest_k(row, k, order);
                        for (slot, &j) in order[..k].iter().enumerate() {
                            r[slot] = i;
                            c[slot] = j;
                            v[slot] = row[j];
                        }
                    },
                );
        });
        Ok(())
    }

    /// NumericalFailure if an entry overflows (an unbalanced plan whose scalings leave the doubles).
    fn dense(&self, out: &mut [f64], layout: Layout) -> Result<()> {
        let (n, m) = self.shape();
        threads::run(|| match layout {
            Layout::RowMajor => out
                .par_chunks_mut(m)
                .with_min_len(min_rows_per_task(m))
                .enumerate()
                .for_each(|(i, row)| self.row(i, row)),
            Layout::ColumnMajor => {
                let mut row = vec![0.0; m];
                for i in 0..n {
                    self.row(i, &mut row);
                    for (j, &p) in row.iter().enumerate() {
                        out[j * n + i] = p;
                    }
                }
            }
        });
        ensure_finite_entries(
            "the plan",
            out,
            "increase epsilon or the marginal relaxation",
        )
    }
}

/// `τ KL(p | w)` with `KL(p|w) = Σ p ln(p/w) − p + w`; 0 for an exact marginal.
fn relaxation_penalty(tau: f64, p: &[f64], w: &Weights) -> f64 {
    if tau.is_infinite() {
        return 0.0;
    }
    let kl: f64 = p
        .iter()
        .zip(w.as_slice())
        .map(|(&p, &w)| {
            let plogp = if p > 0.0 { p * (p / w).ln() } else { 0.0 };
            plogp - p + w
        })
        .sum();
    tau * kl
}

/// Writes `value(i, k)` for an n×d matrix in `layout`.
fn write_matrix(
    n: usize,
    d: usize,
    layout: Layout,
    out: &mut [f64],
    value: impl Fn(usize, usize) -> f64,
) {
    let (rs, cs) = layout.strides(n, d);
    for i in 0..n {
        for k in 0..d {
            out[i * rs + k * cs] = value(i, k);
        }
    }
}
