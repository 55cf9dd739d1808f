//! Entropic optimal transport by Sinkhorn's algorithm, balanced or with KL-relaxed marginals, on any
//! [`Kernel`](crate::kernel::Kernel).

mod certificate;
mod newton;
mod options;
mod overrelaxation;
mod plan;
mod solver;

pub use certificate::{Certificate, CertifyOptions, DEFAULT_EXACT_LIMIT, DEFAULT_SAMPLES};
pub use options::{EpsilonScaling, Overrelaxation, SinkhornOptions, SinkhornProgress};
pub use plan::{StopReason, TransportPlan};
pub use solver::{solve, solve_with_progress};
