//! The C ABI: the only module with `extern "C"`, raw pointers and handle casts. It holds no numerics: each
//! function checks its arguments, calls the Rust API, and maps the outcome to a `scalot_status`.
//!
//! cbindgen generates `include/scalot.h` from this module; the doc comments here are the API reference.

// The C names are the API: scalot_kernel, scalot_status, ...
#![allow(non_camel_case_types)]
// Entry points are safe to call from C by contract: every pointer goes through the null and length
// checks of `handles` before it is read. Marking them `unsafe fn` would change nothing for C.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod align;
pub mod boundary;
pub mod certificate;
pub mod enums;
mod handles;
pub mod kernel;
pub mod lcn;
pub mod library;
pub mod nystrom;
pub mod plan;
pub mod rrho;
pub mod sinkhorn;
pub mod sparse;

pub use boundary::scalot_status;
