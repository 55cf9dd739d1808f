//! Solver options. Each setter checks its value, so a bad option fails where it is set, with a message.

use crate::error::{ensure_finite, Error, Result};

pub use super::overrelaxation::Overrelaxation;

/// Solve at a decreasing sequence of ε, `start·ε, start·ε·factor, …, ε`, warm-starting each from the
/// last. It needs a kernel that can be rebuilt at another ε (the dense kernel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpsilonScaling {
    /// The first stage's ε as a multiple of the target ε (> 1).
    pub start: f64,
    /// What each stage multiplies ε by, in (0, 1).
    pub factor: f64,
}

/// What a progress callback is told, on the calling thread, between iterations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SinkhornProgress {
    /// Iterations done so far, over all ε stages.
    pub iteration: usize,
    /// The stopping rule's current value: L1 marginal error (balanced) or largest potential change / ε.
    pub error: f64,
    /// The ε of the current stage.
    pub epsilon: f64,
}

/// How a Sinkhorn solve runs and when it stops; [`Default`] gives POT's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkhornOptions {
    tolerance: f64,
    max_iterations: usize,
    check_interval: usize,
    tau_a: f64,
    tau_b: f64,
    epsilon_scaling: Option<EpsilonScaling>,
    warm_start: Option<(Vec<f64>, Vec<f64>)>,
    overrelaxation: Overrelaxation,
}

impl Default for SinkhornOptions {
    /// POT's defaults: tolerance 1e-9, 1000 iterations, balanced.
    fn default() -> Self {
        SinkhornOptions {
            tolerance: 1e-9,
            max_iterations: 1000,
            check_interval: 1,
            tau_a: f64::INFINITY,
            tau_b: f64::INFINITY,
            epsilon_scaling: None,
            warm_start: None,
            overrelaxation: Overrelaxation::Adaptive,
        }
    }
}

impl SinkhornOptions {
    /// Stop when the stopping rule falls below `tolerance` (> 0).
    pub fn set_tolerance(&mut self, tolerance: f64) -> Result<&mut Self> {
        if !(tolerance.is_finite() && tolerance > 0.0) {
            return Err(Error::invalid(
                "tolerance",
                format!("{tolerance} is not a positive finite number"),
            ));
        }
        self.tolerance = tolerance;
        Ok(self)
    }

    /// At most this many iterations (≥ 1) over all ε stages.
    pub fn set_max_iterations(&mut self, max_iterations: usize) -> Result<&mut Self> {
        if max_iterations == 0 {
            return Err(Error::invalid(
                "max_iterations",
                "0: at least one iteration is needed",
            ));
        }
        self.max_iterations = max_iterations;
        Ok(self)
    }

    /// Evaluate the stopping rule and call the progress callback every `interval` (≥ 1) iterations.
    pub fn set_check_interval(&mut self, interval: usize) -> Result<&mut Self> {
        if interval == 0 {
            return Err(Error::invalid("check_interval", "0: it must be at least 1"));
        }
        self.check_interval = interval;
        Ok(self)
    }

    /// KL relaxation weights of the marginals; `f64::INFINITY` keeps that marginal exact.
    pub fn set_marginal_relaxation(&mut self, tau_a: f64, tau_b: f64) -> Result<&mut Self> {
        for (arg, tau) in [("tau_a", tau_a), ("tau_b", tau_b)] {
            if tau.is_nan() || tau <= 0.0 {
                return Err(Error::invalid(
                    arg,
                    format!("{tau} must be positive (or infinity for an exact marginal)"),
                ));
            }
        }
        self.tau_a = tau_a;
        self.tau_b = tau_b;
        Ok(self)
    }

    /// ε-scaling from `start·ε` (> 1) down by `factor` ∈ (0, 1) per stage; `None` solves at ε directly.
    pub fn set_epsilon_scaling(&mut self, scaling: Option<EpsilonScaling>) -> Result<&mut Self> {
        if let Some(EpsilonScaling { start, factor }) = scaling {
            if !(start.is_finite() && start > 1.0) {
                return Err(Error::invalid(
                    "start",
                    format!("{start} must be a finite number above 1"),
                ));
            }
            if !(factor > 0.0 && factor < 1.0) {
                return Err(Error::invalid(
                    "factor",
                    format!("{factor} must lie strictly between 0 and 1"),
                ));
            }
        }
        self.epsilon_scaling = scaling;
        Ok(self)
    }

    /// Start from the potentials `f` (length n) and `g` (length m) of an earlier solve.
    pub fn set_warm_start(&mut self, f: &[f64], g: &[f64]) -> Result<&mut Self> {
        if f.is_empty() {
            return Err(Error::Empty { arg: "f" });
        }
        if g.is_empty() {
            return Err(Error::Empty { arg: "g" });
        }
        ensure_finite("f", f)?;
        ensure_finite("g", g)?;
        self.warm_start = Some((f.to_vec(), g.to_vec()));
        Ok(self)
    }

    /// Over-relaxation of the updates: adaptive (the default), or a fixed ω ∈ (0, 2), 1 being plain Sinkhorn.
    pub fn set_overrelaxation(&mut self, overrelaxation: Overrelaxation) -> Result<&mut Self> {
        if let Overrelaxation::Fixed(omega) = overrelaxation {
            if !(omega > 0.0 && omega < 2.0) {
                return Err(Error::invalid(
                    "omega",
                    format!("{omega} must lie strictly between 0 and 2"),
                ));
            }
        }
        self.overrelaxation = overrelaxation;
        Ok(self)
    }

    /// The over-relaxation of the updates.
    pub fn overrelaxation(&self) -> Overrelaxation {
        self.overrelaxation
    }

    /// Starts from zero potentials again.
    pub fn clear_warm_start(&mut self) -> &mut Self {
        self.warm_start = None;
        self
    }

    /// The stopping rule's threshold.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The iteration limit, over all ε stages.
    pub fn max_iterations(&self) -> usize {
        self.max_iterations
    }

    /// Iterations between two evaluations of the stopping rule (and progress reports).
    pub fn check_interval(&self) -> usize {
        self.check_interval
    }

    /// (τ_a, τ_b), ∞ for an exact marginal.
    pub fn marginal_relaxation(&self) -> (f64, f64) {
        (self.tau_a, self.tau_b)
    }

    /// Whether both marginals are exact.
    pub fn is_balanced(&self) -> bool {
        self.tau_a.is_infinite() && self.tau_b.is_infinite()
    }

    /// The ε schedule, if any.
    pub fn epsilon_scaling(&self) -> Option<EpsilonScaling> {
        self.epsilon_scaling
    }

    /// The potentials (f, g) the solve starts from, if set.
    pub fn warm_start(&self) -> Option<(&[f64], &[f64])> {
        self.warm_start
            .as_ref()
            .map(|(f, g)| (f.as_slice(), g.as_slice()))
    }
}
