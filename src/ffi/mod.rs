//! The C ABI: the only module with `extern "C"`, raw pointers and handle casts. It holds no numerics: each
//! function checks its arguments, calls the Rust API, and maps the outcome to a `scalot_status`.
//!
//! cbindgen generates `include/scalot.h` from this module; the doc comments here are the API reference.

// The C names are the API: scalot_kernel, scalot_status, ...
#![allow(non_camel_case_types)]
// Entry points are safe to call from C by contract: every pointer goes through the null and length
// checks of `handles` before it is read. Marking them `unsafe fn` would change nothing for C.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

// cbindgen writes the header in the order of these declarations, so they are in the order of a manual:
// the library, the kernels (dense, sparse, Nystrom, LCN), Sinkhorn and its plan, R_rho, alignment. One
// declaration per group, so that rustfmt keeps the order.
pub mod boundary;

pub mod enums;

pub mod library;

pub mod options;

mod coupling;
mod handles;

pub mod kernel;

pub mod sparse;

pub mod nystrom;

pub mod lcn;

pub mod sinkhorn;

pub mod plan;

pub mod certificate;

pub mod rrho;

pub mod align;

pub use boundary::scalot_status;
