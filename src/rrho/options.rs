//! Options of an R_ρ solve. Each setter checks its value where it is set.

use crate::error::{ensure_finite, positive, Error, Result};

/// How the dual's row sums are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Engine {
    /// Every pair, O(n·m·d) per pass.
    Exact,
    /// Ball trees: far nodes' terms within a relative `accuracy` τ of the exact ones, the near field
    /// kept whole up to ⌈1/τ²⌉ points per row, else importance-sampled with that many draws (a relative
    /// standard error of about τ times the spread of the terms). Cost per row independent of n.
    Tree {
        /// τ > 0.
        accuracy: f64,
    },
}

/// How the dual is maximised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Exact maximisation over all α, then over all β (the default).
    BlockAscent,
    /// The paper's Figure 1: α ← α + step·sign(1 − η) while the α-side error is above the tolerance,
    /// else the same for β; a reference for small problems, far slower.
    SignAscent {
        /// The step λ > 0.
        step: f64,
    },
}

/// What a progress callback is told after every pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RrhoProgress {
    /// Passes done (a pass updates, or for sign ascent steps, one side).
    pub pass: usize,
    /// The larger of Σ μ_i|1 − η_i| and Σ ν_j|ξ_j − 1| at the last assessed state.
    pub error: f64,
}

/// How an R_ρ solve runs and when it stops.
#[derive(Debug, Clone, PartialEq)]
pub struct RrhoOptions {
    pub(crate) tolerance: f64,
    pub(crate) max_passes: usize,
    pub(crate) engine: Engine,
    pub(crate) method: Method,
    pub(crate) warm_start: Option<(Vec<f64>, Vec<f64>)>,
}

impl Default for RrhoOptions {
    /// Tolerance 1e-6 on both marginal errors, 1000 passes, exact engine, block ascent, no warm start.
    fn default() -> Self {
        RrhoOptions {
            tolerance: 1e-6,
            max_passes: 1000,
            engine: Engine::Exact,
            method: Method::BlockAscent,
            warm_start: None,
        }
    }
}

impl RrhoOptions {
    /// Stop when Σ μ_i|1 − η_i| and Σ ν_j|ξ_j − 1| are both below `tolerance` (the paper's ε₂).
    pub fn set_tolerance(&mut self, tolerance: f64) -> Result<&mut Self> {
        self.tolerance = positive("tolerance", tolerance)?;
        Ok(self)
    }

    /// At most `max_passes` (≥ 1) passes.
    pub fn set_max_passes(&mut self, max_passes: usize) -> Result<&mut Self> {
        if max_passes == 0 {
            return Err(Error::invalid(
                "max_passes",
                "0: at least one pass is needed",
            ));
        }
        self.max_passes = max_passes;
        Ok(self)
    }

    /// How the dual's sums are computed (the tree engine's accuracy must be > 0).
    pub fn set_engine(&mut self, engine: Engine) -> Result<&mut Self> {
        if let Engine::Tree { accuracy } = engine {
            positive("accuracy", accuracy)?;
        }
        self.engine = engine;
        Ok(self)
    }

    /// How the dual is maximised (sign ascent's step must be > 0).
    pub fn set_method(&mut self, method: Method) -> Result<&mut Self> {
        if let Method::SignAscent { step } = method {
            positive("step", step)?;
        }
        self.method = method;
        Ok(self)
    }

    /// Starts from the potentials of an earlier solution (copied); lengths are checked at solve time.
    pub fn set_warm_start(&mut self, alpha: &[f64], beta: &[f64]) -> Result<&mut Self> {
        ensure_finite("alpha", alpha)?;
        ensure_finite("beta", beta)?;
        self.warm_start = Some((alpha.to_vec(), beta.to_vec()));
        Ok(self)
    }

    /// Starts from zero potentials again.
    pub fn clear_warm_start(&mut self) -> &mut Self {
        self.warm_start = None;
        self
    }
}
