//! Scalar and parallel building blocks shared by the kernels and solvers.

pub mod exp;
pub mod largest;
pub mod logsumexp;
pub mod parallel;
pub mod random;
pub mod signed_logsum;
