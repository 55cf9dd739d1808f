//! Kernel handles.

use std::ffi::c_int;
use std::sync::Arc;

use super::boundary::{ffi_boundary, scalot_status};
use super::enums::{self, scalot_kernel_kind};
use super::handles::{borrow, free, input, into_handle, out_param, Handle};
use crate::error::{checked_product, ensure_nonzero, Result};
use crate::geometry::{Cost, Layout, PointCloud};
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

/// A caller's two point clouds, as every function on points takes them: `x` (n x d) and `y` (m x d),
/// both in the scalot_layout `layout`. The pointers are as the caller passed them: by the C contract,
/// NULL or valid for n*d and m*d doubles that outlive the call.
pub(super) struct Clouds {
    x: *const f64,
    n: usize,
    y: *const f64,
    m: usize,
    d: usize,
    layout: c_int,
}

impl Clouds {
    pub(super) fn new(
        x: *const f64,
        n: usize,
        y: *const f64,
        m: usize,
        d: usize,
        layout: c_int,
    ) -> Self {
        Clouds {
            x,
            n,
            y,
            m,
            d,
            layout,
        }
    }

    /// The layout, then the clouds after the size and null checks every function on points makes.
    pub(super) fn read<'a>(&self) -> Result<(PointCloud<'a>, PointCloud<'a>, Layout)> {
        let layout = enums::layout(self.layout, "layout")?;
        let (x, y) = self.read_in(layout)?;
        Ok((x, y, layout))
    }

    fn read_in<'a>(&self, layout: Layout) -> Result<(PointCloud<'a>, PointCloud<'a>)> {
        let &Clouds { x, n, y, m, d, .. } = self;
        ensure_nonzero("n", n)?;
        ensure_nonzero("m", m)?;
        ensure_nonzero("d", d)?;
        // SAFETY: by the C contract, `x` and `y` are NULL or valid for n*d and m*d doubles.
        let (xs, ys) = unsafe {
            (
                input(x, checked_product("x (n x d)", n, d)?, "x")?,
                input(y, checked_product("y (m x d)", m, d)?, "y")?,
            )
        };
        Ok((
            PointCloud::new("x", xs, n, d, layout)?,
            PointCloud::new("y", ys, m, d, layout)?,
        ))
    }
}

/// What every kernel constructor on points does: checks `out`, the layout, the scalot_cost `cost` and
/// the clouds, in that order, then writes the kernel `build` makes from them to `*out`.
pub(super) fn new_kernel(
    clouds: Clouds,
    cost: c_int,
    out: *mut *mut scalot_kernel,
    build: impl FnOnce(&PointCloud, &PointCloud, Cost) -> Result<Arc<dyn Kernel>>,
) -> Result<()> {
    // SAFETY: by the C contract, `out` is NULL or valid for writes.
    let out = unsafe { out_param(out, "out") }?;
    let layout = enums::layout(clouds.layout, "layout")?;
    let cost = enums::cost(cost)?;
    let (x, y) = clouds.read_in(layout)?;
    out.write(into_handle::<scalot_kernel>(build(&x, &y, cost)?));
    Ok(())
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
        let clouds = Clouds::new(x, n, y, m, d, layout);
        new_kernel(clouds, cost, out, |x, y, cost| {
            let mode = enums::dense_mode(mode, "mode")?;
            Ok(Arc::new(DenseKernel::from_points(
                x, y, cost, epsilon, mode,
            )?))
        })
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
        // SAFETY: by the C contract, NULL or valid for writes.
        let out = unsafe { out_param(out, "out") }?;
        let layout = enums::layout(layout, "layout")?;
        let mode = enums::dense_mode(mode, "mode")?;
        ensure_nonzero("n", n)?;
        ensure_nonzero("m", m)?;
        // SAFETY: by the C contract, NULL or valid for its length.
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
        // SAFETY: by the C contract, NULL or a live handle.
        let kernel = unsafe { borrow(kernel, "kernel") }?;
        // SAFETY: by the C contract, NULL or valid for writes.
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
    // SAFETY: by the C contract, NULL or a live handle, which the caller gives up.
    ffi_boundary!(() => { unsafe { free(kernel) } })
}
