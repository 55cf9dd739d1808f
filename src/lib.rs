//! scalot: scalable optimal transport behind a stable C ABI.
//!
//! The Rust API mirrors the C one: build a [`kernel::Kernel`], solve with [`sinkhorn::solve`], and query the
//! [`sinkhorn::TransportPlan`] through [`Coupling`]; or pose an [`RrhoProblem`] and [`rrho::solve`] it. The conventions (plan, potentials, objectives) are those of the C header.

pub mod align;
mod cluster;
pub mod coupling;
pub mod error;
pub mod ffi;
pub mod geometry;
pub mod kernel;
mod numeric;
pub mod rrho;
mod silent_panic;
pub mod sinkhorn;
pub mod threads;

pub use align::{align, AlignKernel, AlignOptions, AlignProgress, Alignment, Initial};
pub use coupling::{Coupling, Product};
pub use error::{Error, Result};
pub use geometry::{Cost, Layout, PointCloud, Weights};
pub use kernel::dense::{DenseKernel, DenseMode};
pub use kernel::lcn::LcnKernel;
pub use kernel::nystrom::{LandmarkRule, NystromKernel, NystromOptions, StabilisedInverse};
pub use kernel::pairs::{AngularLsh, KMeans, PairOptions, PairRule};
pub use kernel::sparse::SparseKernel;
pub use kernel::{Kernel, KernelInfo, KernelKind};
pub use rrho::{Preprocessing, RrhoOptions, RrhoProblem, RrhoSolution};
pub use sinkhorn::{solve, solve_with_progress, SinkhornOptions, StopReason, TransportPlan};
