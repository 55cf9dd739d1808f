//! Sinkhorn's iterations with absorption (Schmitzer, "Stabilized sparse scaling algorithms", 2019).
//!
//! The state is a pair of potentials (f, g) absorbed into a [`Gibbs`] operator G and a pair of scalings
//! (u, v) near 1, with `P = diag(a∘u) G diag(b∘v)`. An iteration is one [`Gibbs::sweep`]: u from the row
//! sums, then v from the column sums. When u or v leave the range the operator can represent, they are
//! absorbed into (f, g) and the operator is rebuilt; when a product underflows, that iteration is redone
//! exactly in the log domain. Each ε stage starts with one log-domain iteration, which brings any
//! starting potentials into range, except that a caller's warm start is absorbed as it is.

use std::sync::Arc;

use super::newton::SemiDual;
use super::options::{EpsilonScaling, SinkhornOptions, SinkhornProgress};
use super::overrelaxation::{Overrelaxation, Schedule};
use super::plan::{Scaled, TransportPlan};
use crate::error::{Error, Line, Result};
use crate::geometry::Weights;
use crate::kernel::Kernel;
use crate::threads;

/// Relative difference of masses a balanced problem tolerates. The marginal error cannot fall below it.
const MASS_TOLERANCE: f64 = 1e-6;
/// Intermediate ε stages stop at this tolerance, or at the final one if that is looser.
const STAGE_TOLERANCE: f64 = 1e-3;
/// A balanced stage switches to Newton's method when, after this many iterations, …
const NEWTON_AFTER: usize = 256;
/// … Sinkhorn's measured rate predicts more than this many further iterations to the tolerance.
const NEWTON_WHEN_REMAINING: f64 = 1000.0;
/// … and the L1 marginal error is below this fraction of the mass: Newton's local regime. Further out,
/// Sinkhorn's multiplicative updates move mass between distant blocks far better than a Newton step.
const NEWTON_BELOW: f64 = 1e-3;
/// Iterations over which that rate is measured.
const RATE_WINDOW: usize = 64;
/// A stage whose error is below [`NEWTON_BELOW`] of the mass and whose best error has not fallen by this
/// fraction over …
const STALL_IMPROVEMENT: f64 = 1e-3;
/// … this many iterations has stalled: at that pace it would need millions of iterations. Above that
/// error a plateau is mass crossing between weakly coupled blocks, which ends.
const STALL_WINDOW: usize = 1000;
/// A stage on which Newton's method has failed has stalled when Sinkhorn's measured rate predicts more
/// than this many further iterations: the precision of the kernel, not the problem, holds it back.
const STALL_REMAINING: f64 = 1e5;

/// Solves with no progress callback.
pub fn solve(
    kernel: &Arc<dyn Kernel>,
    a: &Weights,
    b: &Weights,
    options: &SinkhornOptions,
) -> Result<TransportPlan> {
    threads::run(|| solve_in_pool(kernel, a, b, options, &mut |_| true))
}

/// Solves; `progress` is called on the calling thread every check interval, and cancels the solve by
/// returning `false`. While no report is due for a [`threads::HEARTBEAT`] (a long first pass, a stored
/// operator's build), it is called again with the last report (iteration 0 and an infinite error before
/// the first), so that a cancel stops the pass.
pub fn solve_with_progress(
    kernel: &Arc<dyn Kernel>,
    a: &Weights,
    b: &Weights,
    options: &SinkhornOptions,
    progress: &mut dyn FnMut(&SinkhornProgress) -> bool,
) -> Result<TransportPlan> {
    // Before the first iteration there is no error to report.
    let first = SinkhornProgress {
        iteration: 0,
        error: f64::INFINITY,
        epsilon: kernel.epsilon(),
    };
    threads::run_with_heartbeat(
        first,
        |p| p.iteration,
        |report| solve_in_pool(kernel, a, b, options, report),
        &mut |p: SinkhornProgress| progress(&p),
    )
}

fn solve_in_pool(
    kernel: &Arc<dyn Kernel>,
    a: &Weights,
    b: &Weights,
    options: &SinkhornOptions,
    progress: &mut dyn FnMut(SinkhornProgress) -> bool,
) -> Result<TransportPlan> {
    let (n, m) = kernel.shape();
    if a.len() != n {
        return Err(Error::mismatch(
            "a",
            format!("{n} weights (the kernel's rows)"),
            a.len(),
        ));
    }
    if b.len() != m {
        return Err(Error::mismatch(
            "b",
            format!("{m} weights (the kernel's columns)"),
            b.len(),
        ));
    }
    if options.is_balanced()
        && (a.mass() - b.mass()).abs() > MASS_TOLERANCE * a.mass().max(b.mass())
    {
        return Err(Error::MassMismatch {
            mass_a: a.mass(),
            mass_b: b.mass(),
        });
    }
    let kernel = kernel
        .for_marginals(a.as_slice(), b.as_slice(), options.is_balanced())
        .unwrap_or_else(|| Arc::clone(kernel));
    kernel.reserve_operator()?;
    // A caller's warm start is absorbed as it is; zeros are first brought into range.
    let (mut f, mut g, mut start) = match options.warm_start() {
        Some((f, g)) => {
            if f.len() != n {
                return Err(Error::mismatch("f", format!("{n} potentials"), f.len()));
            }
            if g.len() != m {
                return Err(Error::mismatch("g", format!("{m} potentials"), g.len()));
            }
            (f.to_vec(), g.to_vec(), Start::Absorb)
        }
        None => (vec![0.0; n], vec![0.0; m], Start::LogIteration),
    };

    let stages = epsilon_stages(
        kernel.epsilon(),
        options.epsilon_scaling(),
        options.max_iterations(),
    );
    let mut iterations = 0;
    for &epsilon in &stages[..stages.len() - 1] {
        let stage_kernel = kernel.with_epsilon(epsilon).ok_or_else(|| {
            Error::Unsupported("epsilon scaling needs a kernel that can be rebuilt at another epsilon (a dense kernel)".into())
        })?;
        let mut stage = Stage::new(
            stage_kernel,
            a,
            b,
            options,
            options.tolerance().max(STAGE_TOLERANCE),
        );
        // Leave at least one iteration for the final stage.
        let state = stage.run(
            f,
            g,
            start,
            options.max_iterations() - 1,
            &mut iterations,
            progress,
        )?;
        (f, g) = state.total_potentials();
        start = Start::LogIteration;
    }
    let mut stage = Stage::new(kernel, a, b, options, options.tolerance());
    let state = stage.run(
        f,
        g,
        start,
        options.max_iterations(),
        &mut iterations,
        progress,
    )?;
    TransportPlan::new(
        stage.kernel,
        state,
        a.clone(),
        b.clone(),
        options.marginal_relaxation(),
        iterations,
    )
}

/// `start·ε, start·ε·factor, …`, then ε itself; at most one stage per iteration.
fn epsilon_stages(
    epsilon: f64,
    scaling: Option<EpsilonScaling>,
    max_iterations: usize,
) -> Vec<f64> {
    let mut stages = Vec::new();
    if let Some(EpsilonScaling { start, factor }) = scaling {
        let mut stage = start * epsilon;
        while stage > epsilon && stages.len() + 1 < max_iterations {
            stages.push(stage);
            stage *= factor;
        }
    }
    stages.push(epsilon);
    stages
}

/// One ε stage: a kernel, the marginals, and how each marginal is enforced. A stage may replace its
/// kernel: by a repaired one when a sum is not positive, or by a more precise one when the stored
/// precision stalls the error.
struct Stage<'a> {
    kernel: Arc<dyn Kernel>,
    a: &'a [f64],
    b: &'a [f64],
    log_a: Vec<f64>,
    log_b: Vec<f64>,
    /// τ/(τ + ε) per side: 1 for an exact marginal.
    lambda_a: f64,
    lambda_b: f64,
    epsilon: f64,
    /// The target marginals' total mass (of b, for a balanced problem's column error).
    mass: f64,
    balanced: bool,
    tolerance: f64,
    check_interval: usize,
    overrelaxation: Overrelaxation,
}

/// A stage's iteration state besides the solver state: the buffers of one sweep, the over-relaxation
/// schedule and what decides Newton's switch and a stall.
struct Iterate {
    state: Scaled,
    schedule: Schedule,
    /// The column error of the current state, known from the sweep that produced it.
    column_error: f64,
    rate: RateWindow,
    progress: Stagnation,
    /// The iteration at which a Newton polish last failed to reduce the error.
    newton_failed: Option<usize>,
    stage_start: usize,
    x: Vec<f64>,
    s: Vec<f64>,
    r: Vec<f64>,
    y: Vec<f64>,
    u_next: Vec<f64>,
    v_next: Vec<f64>,
}

impl Iterate {
    fn new(state: Scaled, overrelaxation: Overrelaxation, stage_start: usize) -> Self {
        let (n, m) = (state.f.len(), state.g.len());
        Iterate {
            state,
            schedule: Schedule::new(overrelaxation),
            column_error: 0.0,
            rate: RateWindow::default(),
            progress: Stagnation::default(),
            newton_failed: None,
            stage_start,
            x: vec![0.0; m],
            s: vec![0.0; n],
            r: vec![0.0; n],
            y: vec![0.0; m],
            u_next: vec![0.0; n],
            v_next: vec![0.0; m],
        }
    }

    /// Takes a new solver state, whose column error is not known yet.
    fn restart(&mut self, state: Scaled) {
        self.state = state;
        self.column_error = 0.0;
    }

    /// Whether the sweep's scalings are all positive and finite: otherwise a sum underflowed (or an
    /// approximate sum is not positive) and the iteration must be redone in the log domain.
    fn healthy(&self) -> bool {
        let healthy = |w: &[f64]| w.iter().all(|&w| w.is_finite() && w > 0.0);
        healthy(&self.u_next) && healthy(&self.v_next)
    }
}

/// What an iteration decided.
enum Next {
    Continue,
    Stop,
}

impl<'a> Stage<'a> {
    fn new(
        kernel: Arc<dyn Kernel>,
        a: &'a Weights,
        b: &'a Weights,
        options: &SinkhornOptions,
        tolerance: f64,
    ) -> Self {
        let epsilon = kernel.epsilon();
        let (tau_a, tau_b) = options.marginal_relaxation();
        let lambda = |tau: f64| {
            if tau.is_infinite() {
                1.0
            } else {
                tau / (tau + epsilon)
            }
        };
        Stage {
            kernel,
            a: a.as_slice(),
            b: b.as_slice(),
            log_a: a.as_slice().iter().map(|w| w.ln()).collect(),
            log_b: b.as_slice().iter().map(|w| w.ln()).collect(),
            lambda_a: lambda(tau_a),
            lambda_b: lambda(tau_b),
            epsilon,
            mass: b.mass(),
            balanced: options.is_balanced(),
            tolerance,
            check_interval: options.check_interval(),
            overrelaxation: options.overrelaxation(),
        }
    }

    /// The scaling that makes a row (or column) of the plan right: `1/sum` for an exact marginal, and the
    /// KL proximal step `sum^{−λ} e^{−(1−λ) f/ε}` for a relaxed one (f the absorbed potential).
    #[inline]
    fn scaling(sum: f64, potential: f64, lambda: f64, epsilon: f64) -> f64 {
        if lambda == 1.0 {
            1.0 / sum
        } else {
            (-lambda * sum.ln() - (1.0 - lambda) * potential / epsilon).exp()
        }
    }

    /// One exact log-domain iteration from `g` (f from g, then g from f), after which the potentials
    /// are absorbed: it brings any potentials into the range the operator can represent. Lines whose
    /// sums are not positive are repaired first, where the kernel can.
    fn restart(&mut self, g: &[f64], iterations: &mut usize) -> Result<Scaled> {
        loop {
            let kernel = self.kernel.as_ref();
            let f = match half_step(
                kernel,
                Line::Row,
                &self.log_b,
                g,
                self.lambda_a,
                self.epsilon,
            ) {
                Ok(f) => f,
                Err(error) => {
                    let weights = log_weights(&self.log_b, g, self.epsilon);
                    self.repair(error, &weights)?;
                    continue;
                }
            };
            match half_step(
                kernel,
                Line::Column,
                &self.log_a,
                &f,
                self.lambda_b,
                self.epsilon,
            ) {
                Ok(g) => {
                    *iterations += 1;
                    return self.absorbed(f, g);
                }
                Err(error) => {
                    let weights = log_weights(&self.log_a, &f, self.epsilon);
                    self.repair(error, &weights)?;
                }
            }
        }
    }

    /// Replaces the kernel by one that repairs the lines `error` names (their product's input had the
    /// log-weights `weights`), or returns `error`.
    fn repair(&mut self, error: Error, weights: &[f64]) -> Result<()> {
        if let Error::NonPositiveSums { line, lines, .. } = &error {
            if let Some(kernel) = self.kernel.repaired(*line, lines, weights) {
                self.kernel = kernel;
                return Ok(());
            }
        }
        Err(error)
    }

    fn absorbed(&self, f: Vec<f64>, g: Vec<f64>) -> Result<Scaled> {
        let gibbs = threads::run(|| self.kernel.gibbs(&f, &g))?;
        Ok(Scaled::new(f, g, gibbs, self.epsilon))
    }

    fn run(
        &mut self,
        f0: Vec<f64>,
        g0: Vec<f64>,
        start: Start,
        max_iterations: usize,
        iterations: &mut usize,
        progress: &mut dyn FnMut(SinkhornProgress) -> bool,
    ) -> Result<Scaled> {
        let state = match start {
            Start::LogIteration => self.restart(&g0, iterations)?,
            Start::Absorb => self.absorbed(f0, g0)?,
        };
        let mut it = Iterate::new(state, self.overrelaxation, *iterations);
        while *iterations < max_iterations {
            if let Next::Stop = self.iterate(&mut it, max_iterations, iterations, progress)? {
                break;
            }
        }
        Ok(it.state)
    }

    /// One iteration: a sweep, the stopping test, and then Newton's switch, the progress report, the
    /// stall test and the absorption, as they fall due.
    fn iterate(
        &mut self,
        it: &mut Iterate,
        max_iterations: usize,
        iterations: &mut usize,
        progress: &mut dyn FnMut(SinkhornProgress) -> bool,
    ) -> Result<Next> {
        self.sweep(it);
        if !it.healthy() {
            // Redo this iteration exactly, from the current potentials.
            let (_, g) = it.state.total_potentials();
            let state = self.restart(&g, iterations)?;
            it.restart(state);
            return Ok(Next::Continue);
        }
        let (error, state_iteration) = self.stopping_error(it, *iterations);
        it.schedule.observe(error);
        let check = state_iteration % self.check_interval == 0;
        if self.balanced && check && error < self.tolerance {
            it.state.converged = true;
            return Ok(Next::Stop);
        }
        if self.newton_due(it, *iterations, error) {
            return self.polish(it, max_iterations, iterations, progress);
        }
        self.accept(it);
        *iterations += 1;
        if check && error < self.tolerance {
            it.state.converged = true;
            return Ok(Next::Stop);
        }
        if check
            && !progress(SinkhornProgress {
                iteration: state_iteration,
                error,
                epsilon: self.epsilon,
            })
        {
            return Err(Error::Cancelled {
                iteration: state_iteration,
            });
        }
        if self.is_stalled(it, *iterations, error) {
            return self.stalled(it);
        }
        self.absorb_if_due(it)?;
        Ok(Next::Continue)
    }

    /// `s = G (b∘v)`, the relaxed row update, `y = Gᵀ r`, and the next scalings from them.
    fn sweep(&self, it: &mut Iterate) {
        let eps = self.epsilon;
        for ((xj, bj), vj) in it.x.iter_mut().zip(self.b).zip(&it.state.v) {
            *xj = bj * vj;
        }
        let omega = it.schedule.omega();
        let (f, u, lambda_a) = (&it.state.f, &it.state.u, self.lambda_a);
        let row_update = |i: usize, si: f64| {
            self.a[i] * Schedule::relax(omega, u[i], Self::scaling(si, f[i], lambda_a, eps))
        };
        let (x, s, r, y) = (&it.x, &mut it.s, &mut it.r, &mut it.y);
        threads::run(|| it.state.gibbs.sweep(x, &row_update, s, r, y));
        for (((ui, &si), &fi), &old) in it.u_next.iter_mut().zip(&it.s).zip(f).zip(u) {
            *ui = Schedule::relax(omega, old, Self::scaling(si, fi, self.lambda_a, eps));
        }
        let (g, v) = (&it.state.g, &it.state.v);
        for (((vj, &yj), &gj), &old) in it.v_next.iter_mut().zip(&it.y).zip(g).zip(v) {
            *vj = Schedule::relax(omega, old, Self::scaling(yj, gj, self.lambda_b, eps));
        }
    }

    /// The stopping rule's value and the iteration whose state it describes. Balanced: the L1 marginal
    /// error of the current state, whose row sums come from this sweep. Relaxed: the largest change of
    /// the potentials over this iteration, in units of ε, which describes the next state.
    fn stopping_error(&self, it: &Iterate, iterations: usize) -> (f64, usize) {
        if self.balanced {
            let row_error: f64 = self
                .a
                .iter()
                .zip(&it.state.u)
                .zip(&it.s)
                .map(|((ai, ui), si)| (ai * ui * si - ai).abs())
                .sum();
            (row_error + it.column_error, iterations)
        } else {
            let change = largest_log_ratio(&it.u_next, &it.state.u)
                .max(largest_log_ratio(&it.v_next, &it.state.v));
            (change, iterations + 1)
        }
    }

    /// Whether a balanced stage should switch to Newton: Sinkhorn's measured rate predicts many more
    /// iterations, it has run long enough to say so, and the error is in Newton's local regime.
    fn newton_due(&self, it: &mut Iterate, iterations: usize, error: f64) -> bool {
        self.balanced
            && it.newton_failed.is_none()
            && it.rate.remaining(iterations, error, self.tolerance) > NEWTON_WHEN_REMAINING
            && iterations - it.stage_start >= NEWTON_AFTER
            && error < NEWTON_BELOW * self.mass
    }

    /// Newton's method on the semi-dual from the current potentials; Sinkhorn resumes if it stalls.
    fn polish(
        &mut self,
        it: &mut Iterate,
        max_iterations: usize,
        iterations: &mut usize,
        progress: &mut dyn FnMut(SinkhornProgress) -> bool,
    ) -> Result<Next> {
        let (_, g) = it.state.total_potentials();
        let semi_dual = SemiDual {
            kernel: self.kernel.as_ref(),
            a: self.a,
            b: self.b,
            log_b: &self.log_b,
            epsilon: self.epsilon,
        };
        let eps = self.epsilon;
        let polished = semi_dual.polish(
            g.clone(),
            self.tolerance,
            max_iterations - *iterations,
            iterations,
            &mut |iteration, error| {
                progress(SinkhornProgress {
                    iteration,
                    error,
                    epsilon: eps,
                })
            },
        );
        let polished = match polished {
            Ok(polished) => polished,
            Err(error) => {
                self.repair(error, &log_weights(&self.log_b, &g, self.epsilon))?;
                let state = self.restart(&g, iterations)?;
                it.restart(state);
                return Ok(Next::Continue);
            }
        };
        it.state = polished.state;
        if it.state.converged {
            return Ok(Next::Stop);
        }
        if !polished.progressing {
            it.newton_failed = Some(*iterations);
        }
        it.column_error = polished.error;
        it.schedule = Schedule::new(self.overrelaxation);
        Ok(Next::Continue)
    }

    /// Moves to the sweep's scalings, and records their column error.
    fn accept(&self, it: &mut Iterate) {
        it.column_error = self
            .b
            .iter()
            .zip(&it.v_next)
            .zip(&it.y)
            .map(|((bj, vj), yj)| (bj * vj * yj - bj).abs())
            .sum();
        std::mem::swap(&mut it.state.u, &mut it.u_next);
        std::mem::swap(&mut it.state.v, &mut it.v_next);
    }

    /// Whether the error has stopped falling where more iterations will not help: at a small error with
    /// no progress over a window, or, Newton having failed, at a rate that predicts more than
    /// [`STALL_REMAINING`] iterations.
    fn is_stalled(&self, it: &mut Iterate, iterations: usize, error: f64) -> bool {
        let small = error < NEWTON_BELOW * self.mass;
        let flat = it.progress.stalled(iterations, error);
        let hopeless = it.newton_failed.is_some_and(|failed| {
            iterations - failed >= STALL_WINDOW / 4
                && it.rate.remaining(iterations, error, self.tolerance) > STALL_REMAINING
        });
        small && (flat || hopeless)
    }

    /// The error has stopped falling: continue on a more precise kernel if there is one (a stored f32
    /// kernel's entries, rounded anew at every absorption, put a floor under the error), or stop.
    fn stalled(&mut self, it: &mut Iterate) -> Result<Next> {
        if let Some(kernel) = self.kernel.more_precise() {
            let (f, g) = it.state.total_potentials();
            let previous = std::mem::replace(&mut self.kernel, kernel);
            match self.absorbed(f, g) {
                Ok(state) => {
                    it.restart(state);
                    it.progress = Stagnation::default();
                    it.rate = RateWindow::default();
                    it.newton_failed = None;
                    return Ok(Next::Continue);
                }
                Err(Error::OutOfMemory { .. }) => self.kernel = previous,
                Err(error) => return Err(error),
            }
        }
        it.state.stalled = true;
        Ok(Next::Stop)
    }

    /// Absorbs the scalings into the potentials once they leave the range the operator can represent.
    fn absorb_if_due(&self, it: &mut Iterate) -> Result<()> {
        let threshold = it.state.gibbs.absorption_threshold();
        if largest_log(&it.state.u).max(largest_log(&it.state.v)) > threshold {
            let (f, g) = it.state.total_potentials();
            it.state = self.absorbed(f, g)?;
        }
        Ok(())
    }
}

/// How a stage starts from its potentials.
#[derive(Clone, Copy)]
enum Start {
    /// One exact log-domain iteration first, which brings any potentials into range (zeros at a small ε
    /// would underflow the absorbed operator).
    LogIteration,
    /// Absorb the potentials as they are: a warm start is near the solution already, and a sum that
    /// underflows in the first sweep falls back to the log-domain iteration. For a kernel rebuilt at
    /// every call (an alignment step) this saves two of its three passes over the cost.
    Absorb,
}

/// Predicts how many more iterations Sinkhorn needs, from the error's decay over the last window.
#[derive(Default)]
struct RateWindow {
    window_start: Option<(usize, f64)>,
    remaining: f64,
}

impl RateWindow {
    fn remaining(&mut self, iteration: usize, error: f64, tolerance: f64) -> f64 {
        match self.window_start {
            Some((start, start_error)) if iteration - start >= RATE_WINDOW => {
                let rate = (error / start_error).powf(1.0 / (iteration - start) as f64);
                self.remaining = if rate < 1.0 {
                    (tolerance / error).ln() / rate.ln()
                } else {
                    f64::INFINITY
                };
                self.window_start = Some((iteration, error));
            }
            Some(_) => {}
            None => self.window_start = Some((iteration, error)),
        }
        self.remaining
    }
}

/// Whether the error has stopped falling: its best value has not improved by a fraction
/// [`STALL_IMPROVEMENT`] over the last [`STALL_WINDOW`] iterations.
#[derive(Default)]
struct Stagnation {
    best: Option<(usize, f64)>,
}

impl Stagnation {
    fn stalled(&mut self, iteration: usize, error: f64) -> bool {
        match self.best {
            Some((_, best)) if error < best * (1.0 - STALL_IMPROVEMENT) => {
                self.best = Some((iteration, error));
                false
            }
            Some((since, _)) => iteration - since >= STALL_WINDOW,
            None => {
                self.best = Some((iteration, error));
                false
            }
        }
    }
}

/// One exact half step in the log domain: the potentials of `line` that make its marginal right (λ = 1)
/// or take the KL proximal step (λ < 1), given the other side's potentials `other` and log-weights
/// `log_other`. `−λ ε · log Σ K e^{log_w + other/ε}`, refusing the lines whose kernel sums are not
/// positive: no mass could ever reach them.
pub(crate) fn half_step(
    kernel: &dyn Kernel,
    line: Line,
    log_other: &[f64],
    other: &[f64],
    lambda: f64,
    epsilon: f64,
) -> Result<Vec<f64>> {
    let (n, m) = kernel.shape();
    let exponents = log_weights(log_other, other, epsilon);
    let mut lse = vec![0.0; if line == Line::Row { n } else { m }];
    threads::run(|| match line {
        Line::Row => kernel.log_apply(&exponents, &mut lse),
        Line::Column => kernel.log_apply_transpose(&exponents, &mut lse),
    })?;
    let potentials: Vec<f64> = lse.iter().map(|&l| -lambda * epsilon * l).collect();
    let failing: Vec<usize> = (0..potentials.len())
        .filter(|&i| !potentials[i].is_finite())
        .collect();
    if failing.is_empty() {
        Ok(potentials)
    } else {
        Err(Error::NonPositiveSums {
            line,
            lines: failing,
            advice: kernel.failure_advice(),
        })
    }
}

/// `log w + p/ε`: the log-weights a product with the potentials p absorbed gives its lines.
fn log_weights(log_w: &[f64], potentials: &[f64], epsilon: f64) -> Vec<f64> {
    log_w
        .iter()
        .zip(potentials)
        .map(|(lw, p)| lw + p / epsilon)
        .collect()
}

fn largest_log(w: &[f64]) -> f64 {
    w.iter().fold(0.0, |acc, &w| acc.max(w.ln().abs()))
}

fn largest_log_ratio(new: &[f64], old: &[f64]) -> f64 {
    new.iter()
        .zip(old)
        .fold(0.0, |acc, (&a, &b)| acc.max((a / b).ln().abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_decrease_to_epsilon() {
        let stages = epsilon_stages(
            0.1,
            Some(EpsilonScaling {
                start: 100.0,
                factor: 0.1,
            }),
            1000,
        );
        assert_eq!(stages.len(), 3, "{stages:?}");
        assert!(
            (stages[0] - 10.0).abs() < 1e-12 && (stages[1] - 1.0).abs() < 1e-12 && stages[2] == 0.1
        );
        assert_eq!(epsilon_stages(0.1, None, 1000), vec![0.1]);
    }
}
