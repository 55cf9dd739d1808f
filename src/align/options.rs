//! Options of a Wasserstein–Procrustes alignment. Each setter checks its value where it is set.

use crate::error::{positive, Error, Result};
use crate::kernel::dense::DenseMode;
use crate::kernel::nystrom::{NystromOptions, LCN_LANDMARKS, NYSTROM_LANDMARKS};
use crate::kernel::pairs::{AngularLsh, PairOptions, PairRule};

/// Which kernel every step's Sinkhorn runs on; each is rebuilt for (X, Y Rᵀ) at every step, since the
/// rotated targets move its buckets and landmarks.
#[derive(Debug, Clone, PartialEq)]
pub enum AlignKernel {
    /// The dense kernel, stored or online.
    Dense(DenseMode),
    /// A sparse kernel on the pairs these options choose.
    Sparse(PairOptions),
    /// A Nyström kernel.
    Nystrom(NystromOptions),
    /// A locally corrected Nyström kernel.
    Lcn {
        /// Its Nyström part.
        landmarks: NystromOptions,
        /// Its sparse correction's pairs.
        pairs: PairOptions,
    },
}

impl AlignKernel {
    /// The LCN paper's Sparse Sinkhorn pairs for alignment: angular LSH, 130 buckets, 16 bands × 2
    /// hashes.
    pub fn paper_sparse_pairs() -> PairOptions {
        PairOptions::new(PairRule::AngularLsh(AngularLsh {
            buckets: 130,
            hashes: 2,
            bands: 16,
        }))
    }

    /// The LCN paper's Nyström landmarks for alignment: [`NYSTROM_LANDMARKS`] by k-means++.
    pub fn paper_nystrom_landmarks() -> NystromOptions {
        NystromOptions::new(NYSTROM_LANDMARKS)
    }

    /// The LCN paper's landmarks for LCN alignment: [`LCN_LANDMARKS`] by k-means++.
    pub fn paper_lcn_landmarks() -> NystromOptions {
        NystromOptions::new(LCN_LANDMARKS)
    }

    /// The LCN paper's pairs for LCN alignment: hierarchical k-means 10 × 100.
    pub fn paper_lcn_pairs() -> PairOptions {
        PairOptions::lcn_default(usize::MAX)
    }
}

/// What a progress callback is told after every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlignProgress {
    /// Steps done.
    pub step: usize,
    /// ⟨P, C⟩ of the step's plan, C_ij = −⟨x_i, R y_j⟩ at the step's R.
    pub objective: f64,
}

/// How an alignment runs: its kernel, ε, Sinkhorn iterations per step, steps and learning-rate schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignOptions {
    pub(crate) kernel: AlignKernel,
    pub(crate) epsilon: f64,
    pub(crate) sinkhorn_iterations: usize,
    pub(crate) steps: usize,
    pub(crate) learning_rate: f64,
    pub(crate) decay: f64,
    pub(crate) decay_every: usize,
}

impl Default for AlignOptions {
    /// The LCN paper's protocol: dense stored f32 kernel, ε = 0.05, 10 Sinkhorn iterations per step, 300
    /// steps, learning rate 500 halved every 100 steps.
    fn default() -> Self {
        AlignOptions {
            kernel: AlignKernel::Dense(DenseMode::StoredF32),
            epsilon: 0.05,
            sinkhorn_iterations: 10,
            steps: 300,
            learning_rate: 500.0,
            decay: 0.5,
            decay_every: 100,
        }
    }
}

fn at_least_one(arg: &'static str, value: usize) -> Result<usize> {
    if value == 0 {
        Err(Error::invalid(arg, "0: at least 1 is needed"))
    } else {
        Ok(value)
    }
}

impl AlignOptions {
    /// The kernel every step's Sinkhorn runs on.
    pub fn set_kernel(&mut self, kernel: AlignKernel) -> &mut Self {
        self.kernel = kernel;
        self
    }

    /// The entropic regularisation ε > 0 of every step's Sinkhorn, on the cost −⟨x, R y⟩.
    pub fn set_epsilon(&mut self, epsilon: f64) -> Result<&mut Self> {
        self.epsilon = positive("epsilon", epsilon)?;
        Ok(self)
    }

    /// Sinkhorn iterations per step (≥ 1); each step starts from the previous step's potentials.
    pub fn set_sinkhorn_iterations(&mut self, iterations: usize) -> Result<&mut Self> {
        self.sinkhorn_iterations = at_least_one("sinkhorn_iterations", iterations)?;
        Ok(self)
    }

    /// Gradient steps (≥ 1).
    pub fn set_steps(&mut self, steps: usize) -> Result<&mut Self> {
        self.steps = at_least_one("steps", steps)?;
        Ok(self)
    }

    /// Step t uses learning_rate · decay^⌊t / every⌋ (learning_rate > 0, decay in (0, 1], every ≥ 1).
    pub fn set_learning_rate(
        &mut self,
        learning_rate: f64,
        decay: f64,
        every: usize,
    ) -> Result<&mut Self> {
        let learning_rate = positive("learning_rate", learning_rate)?;
        if !(decay > 0.0 && decay <= 1.0) {
            return Err(Error::invalid(
                "decay",
                format!("{decay} is outside (0, 1]"),
            ));
        }
        let every = at_least_one("decay_every", every)?;
        self.learning_rate = learning_rate;
        self.decay = decay;
        self.decay_every = every;
        Ok(self)
    }

    /// The number of gradient steps.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The learning rate of step `step` (0-based).
    pub(crate) fn learning_rate_at(&self, step: usize) -> f64 {
        let halvings = (step / self.decay_every).min(i32::MAX as usize) as i32;
        self.learning_rate * self.decay.powi(halvings)
    }
}
