//! The C queries that every plan handle answers (`scalot_plan_*` and `scalot_rrho_solution_*`), one
//! body each over [`Coupling`]. The C lengths are checked against the plan's shape before any pointer is
//! read, and both of a pair of outputs are checked before either is written, so that a failed call
//! writes nothing.
//!
//! The pointers are as the C caller passed them: by each entry point's contract, NULL or valid for the
//! lengths it is given. So these are safe functions, as the entry points are.

use std::ffi::c_int;

use super::enums;
use super::handles::{borrow, input, output, Handle};
use crate::coupling::Coupling;
use crate::error::{ensure_count, Result};

/// Checks the C lengths `n` and `m` against the plan's rows and columns.
fn expect_shape<P: Coupling>(plan: &P, n: usize, m: usize) -> Result<()> {
    let (rows, cols) = plan.shape();
    ensure_count("n", n, rows, P::ROWS)?;
    ensure_count("m", m, cols, P::COLUMNS)
}

/// A caller's output array: the pointer, its length and its name in messages.
pub(super) type Out<T> = (*mut T, usize, &'static str);

/// The value behind a plan handle, named `arg` in messages.
fn plan<'a, H: Handle>(handle: *const H, arg: &'static str) -> Result<&'a H::Inner>
where
    H::Inner: Coupling,
{
    // SAFETY: by the C contract, NULL or a live handle.
    unsafe { borrow(handle, arg) }
}

/// Two output arrays of lengths n and m, both checked before either is returned.
fn outputs<'a>(first: Out<f64>, second: Out<f64>) -> Result<(&'a mut [f64], &'a mut [f64])> {
    // SAFETY: by the C contract, NULL or valid for their lengths.
    unsafe {
        Ok((
            output(first.0, first.1, first.2)?,
            output(second.0, second.1, second.2)?,
        ))
    }
}

/// The potentials into `first` (length n) and `second` (length m).
pub(super) fn potentials<H: Handle>(
    handle: *const H,
    arg: &'static str,
    first: Out<f64>,
    second: Out<f64>,
) -> Result<()>
where
    H::Inner: Coupling,
{
    let plan = plan(handle, arg)?;
    expect_shape(plan, first.1, second.1)?;
    let (first, second) = outputs(first, second)?;
    let (f, g) = plan.potentials();
    first.copy_from_slice(f);
    second.copy_from_slice(g);
    Ok(())
}

/// The marginals P1 into `rows` (length n) and Pᵀ1 into `cols` (length m), computed once both
/// outputs are checked.
pub(super) fn marginals<H: Handle>(
    handle: *const H,
    arg: &'static str,
    rows: Out<f64>,
    cols: Out<f64>,
) -> Result<()>
where
    H::Inner: Coupling,
{
    let plan = plan(handle, arg)?;
    expect_shape(plan, rows.1, cols.1)?;
    let (rows, cols) = outputs(rows, cols)?;
    let (r, c) = plan.marginals();
    rows.copy_from_slice(&r);
    cols.copy_from_slice(&c);
    Ok(())
}

/// `out = P v` (v of length m, out of length n).
pub(super) fn apply<H: Handle>(
    handle: *const H,
    arg: &'static str,
    (v, m): (*const f64, usize),
    (out, n): (*mut f64, usize),
) -> Result<()>
where
    H::Inner: Coupling,
{
    let plan = plan(handle, arg)?;
    let (rows, cols) = plan.shape();
    ensure_count("m", m, cols, H::Inner::COLUMNS)?;
    ensure_count("n", n, rows, H::Inner::ROWS)?;
    // SAFETY: by the C contract, NULL or valid for m and n doubles.
    let (v, out) = unsafe { (input(v, m, "v")?, output(out, n, "out")?) };
    plan.apply(v, out)
}

/// `out = Pᵀ u` (u of length n, out of length m).
pub(super) fn apply_transpose<H: Handle>(
    handle: *const H,
    arg: &'static str,
    (u, n): (*const f64, usize),
    (out, m): (*mut f64, usize),
) -> Result<()>
where
    H::Inner: Coupling,
{
    let plan = plan(handle, arg)?;
    expect_shape(plan, n, m)?;
    // SAFETY: by the C contract, NULL or valid for n and m doubles.
    let (u, out) = unsafe { (input(u, n, "u")?, output(out, m, "out")?) };
    plan.apply_transpose(u, out)
}

/// The `k` largest entries of every row into `rows`, `cols` and `values`, each of length `len` = n·k.
pub(super) fn top_k<H: Handle>(
    handle: *const H,
    arg: &'static str,
    k: usize,
    (rows, cols, values): (*mut usize, *mut usize, *mut f64),
    len: usize,
) -> Result<()>
where
    H::Inner: Coupling,
{
    let plan = plan(handle, arg)?;
    ensure_count("len", len, plan.top_k_len(k)?, "n x k")?;
    // SAFETY: by the C contract, NULL or valid for `len` values each.
    let (rows, cols, values) = unsafe {
        (
            output(rows, len, "rows")?,
            output(cols, len, "cols")?,
            output(values, len, "values")?,
        )
    };
    plan.top_k(k, rows, cols, values)
}

/// Every entry of P into `out` (n×m in the scalot_layout `layout`).
pub(super) fn to_dense<H: Handle>(
    handle: *const H,
    arg: &'static str,
    (out, n, m): (*mut f64, usize, usize),
    layout: c_int,
) -> Result<()>
where
    H::Inner: Coupling,
{
    let plan = plan(handle, arg)?;
    let layout = enums::layout(layout, "layout")?;
    expect_shape(plan, n, m)?;
    // SAFETY: by the C contract, NULL or valid for n·m doubles.
    let out = unsafe { output(out, plan.dense_len()?, "out") }?;
    plan.to_dense(out, layout)
}
