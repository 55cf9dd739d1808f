//! Kernel handles.

use std::ffi::c_int;
use std::sync::Arc;

use super::boundary::{ffi_boundary, scalot_status};
use super::enums::{self, scalot_kernel_kind};
use super::handles::{borrow, free, input, into_handle, nonzero, out_param, Handle};
use crate::error::checked_product;
use crate::geometry::{Layout, PointCloud};
use crate::kernel::dense::DenseKernel;
use crate::kernel::Kernel;

/// An entropic kernel K = exp(-C/eps). Immutable: it may be used by any number of threads and solves at
/// once. Plans keep their kernel alive, so it may be freed while plans that use it live on.
pub struct scalot_kernel {
    _private: [u8; 0],
}

impl Handle for scalot_kernel {
    type Inner = Arc<dyn Kernel>;
}

/// Facts about a kernel.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct scalot_kernel_properties {
    /// What the handle holds.
    pub kind: scalot_kernel_kind,
    /// Rows (source points).
    pub n: usize,
    /// Columns (target points).
    pub m: usize,
    /// The absolute entropic regularisation.
    pub epsilon: f64,
    /// Entries a product touches (n*m for dense kernels).
    pub nnz: usize,
    /// Nystrom landmarks (0 for dense kernels).
    pub landmarks: usize,
    /// Bytes the kernel holds plus the bytes one solve's operator allocates.
    pub bytes: usize,
    /// Pairs kept beyond the pair rule's: the nearest partners that give every line its coverage, and a
    /// balanced sparse solve's transport backbone (on the plan's kernel, scalot_plan_kernel_info).
    pub added_pairs: usize,
    /// Nystrom and LCN: the share of the kernel's total sum (unit weights) carried by its nonnegative
    /// floor, which a solve raises where a sum is not positive. 0 as built; near 1 means the kernel is
    /// mostly its own error bound (use more landmarks or a larger epsilon). 0 for other kernels.
    pub floor_share: f64,
}

/// The caller's point clouds `x` (n x d) and `y` (m x d), both in `layout`, after the size and null checks
/// every kernel built from points makes.
///
/// # Safety
/// `x` and `y`, when not null, must point at n*d and m*d readable doubles that outlive the clouds.
pub(super) unsafe fn two_clouds<'a>(
    x: *const f64,
    n: usize,
    y: *const f64,
    m: usize,
    d: usize,
    layout: Layout,
) -> crate::Result<(PointCloud<'a>, PointCloud<'a>)> {
    nonzero("n", n)?;
    nonzero("m", m)?;
    nonzero("d", d)?;
    let xs = unsafe { input(x, checked_product("x (n x d)", n, d)?, "x") }?;
    let ys = unsafe { input(y, checked_product("y (m x d)", m, d)?, "y") }?;
    Ok((
        PointCloud::new("x", xs, n, d, layout)?,
        PointCloud::new("y", ys, m, d, layout)?,
    ))
}

/// Builds the dense kernel between the points `x` (n x d) and `y` (m x d), both in `layout`.
///
/// - `x`, `y`: caller-owned coordinates, copied (the kernel does not keep the pointers).
/// - `layout`: a scalot_layout; SCALOT_LAYOUT_COLUMN_MAJOR reads R and Julia matrices as they are.
/// - `cost`: a scalot_cost.
/// - `epsilon`: the absolute regularisation, > 0. (POT's `reg`.)
/// - `mode`: a scalot_dense_mode. STORED_* allocate n*m entries at solve time; ONLINE allocates nothing.
/// - `out`: receives a new kernel, to be released with scalot_kernel_free.
///
/// Statuses: OK; NULL_POINTER (x, y, out); EMPTY_INPUT (n, m or d is 0); SIZE_OVERFLOW (n*d, m*d, n*m or
/// its bytes); NON_FINITE (a coordinate); INVALID_ARGUMENT (layout, cost, epsilon, mode);
/// OUT_OF_MEMORY.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scalot_kernel_dense_new(
    x: *const f64,
    n: usize,
    y: *const f64,
    m: usize,
    d: usize,
    layout: c_int,
    cost: c_int,
    epsilon: f64,
    mode: c_int,
    out: *mut *mut scalot_kernel,
) -> scalot_status {
    ffi_boundary!({
        let out = unsafe { out_param(out, "out") }?;
        let layout = enums::layout(layout, "layout")?;
        let cost = enums::cost(cost)?;
        let mode = enums::dense_mode(mode, "mode")?;
        let (x, y) = unsafe { two_clouds(x, n, y, m, d, layout) }?;
        let kernel: Arc<dyn Kernel> =
            Arc::new(DenseKernel::from_points(&x, &y, cost, epsilon, mode)?);
        out.write(into_handle::<scalot_kernel>(kernel));
        Ok(())
    })
}

/// Builds the dense kernel of a caller's n x m cost matrix `cost` (in `layout`), which is copied.
///
/// Arguments and statuses as scalot_kernel_dense_new; NON_FINITE names the first bad cost entry.
/// The plan's barycentric projection and gradient need points and are UNSUPPORTED on this kernel.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scalot_kernel_dense_from_cost(
    cost: *const f64,
    n: usize,
    m: usize,
    layout: c_int,
    epsilon: f64,
    mode: c_int,
    out: *mut *mut scalot_kernel,
) -> scalot_status {
    ffi_boundary!({
        let out = unsafe { out_param(out, "out") }?;
        let layout = enums::layout(layout, "layout")?;
        let mode = enums::dense_mode(mode, "mode")?;
        nonzero("n", n)?;
        nonzero("m", m)?;
        let costs = unsafe { input(cost, checked_product("cost (n x m)", n, m)?, "cost") }?;
        let kernel: Arc<dyn Kernel> = Arc::new(DenseKernel::from_cost_matrix(
            costs, n, m, layout, epsilon, mode,
        )?);
        out.write(into_handle::<scalot_kernel>(kernel));
        Ok(())
    })
}

/// Writes the kernel's kind, shape, epsilon, non-zeros, landmarks and bytes to `*out`.
///
/// Statuses: OK; NULL_POINTER (kernel, out). Thread-safe.
#[no_mangle]
pub extern "C" fn scalot_kernel_info(
    kernel: *const scalot_kernel,
    out: *mut scalot_kernel_properties,
) -> scalot_status {
    ffi_boundary!({
        let kernel = unsafe { borrow(kernel, "kernel") }?;
        let out = unsafe { out_param(out, "out") }?;
        let info = kernel.info();
        out.write(scalot_kernel_properties {
            kind: info.kind.into(),
            n: info.n,
            m: info.m,
            epsilon: info.epsilon,
            nnz: info.nnz,
            landmarks: info.landmarks,
            bytes: info.bytes,
            added_pairs: info.added_pairs,
            floor_share: info.floor_share,
        });
        Ok(())
    })
}

/// Releases the caller's reference to a kernel; NULL is a no-op. Plans built from it stay valid.
#[no_mangle]
pub extern "C" fn scalot_kernel_free(kernel: *mut scalot_kernel) {
    ffi_boundary!(() => { unsafe { free(kernel) } })
}
