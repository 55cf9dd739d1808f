//! The queries every transport plan answers, whichever solver made it: Sinkhorn's
//! [`TransportPlan`](crate::sinkhorn::TransportPlan), R_ρ's [`RrhoSolution`](crate::rrho::RrhoSolution),
//! and the plans to come. A plan is a coupling of the two measures, an n×m nonnegative matrix P that is
//! held implicitly (potentials and a kernel or a cost), never as a matrix.
//!
//! An implementation says what P is: its shape, potentials and marginals, and three computations on
//! arguments that are already checked. The trait's provided methods check the caller's arguments, in
//! one place for every plan.

use std::borrow::Cow;

use crate::error::{self, ensure_finite, ensure_len, Error, Result};
use crate::geometry::Layout;

/// Which product of P with a vector: `P v` (v over the columns) or `Pᵀ u` (u over the rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// `out = P v`: v of length m, out of length n.
    Plan,
    /// `out = Pᵀ u`: u of length n, out of length m.
    Transpose,
}

/// An n×m transport plan P and the queries on it. No query allocates n·m memory except those that
/// say so.
pub trait Coupling {
    /// What P's rows index, as error messages say it ("the plan's rows").
    const ROWS: &'static str;
    /// What P's columns index, as error messages say it.
    const COLUMNS: &'static str;

    /// (n, m).
    fn shape(&self) -> (usize, usize);

    /// The dual potentials of the rows (length n) and of the columns (length m).
    fn potentials(&self) -> (&[f64], &[f64]);

    /// P1 (length n) and Pᵀ1 (length m): held by some plans, computed on each call by others.
    fn marginals(&self) -> (Cow<'_, [f64]>, Cow<'_, [f64]>);

    /// `out = P v` or `out = Pᵀ v`, for a finite `v` and an `out` of the lengths `product` gives
    /// (checked by the caller). NumericalFailure if an entry overflows.
    fn product(&self, product: Product, v: &[f64], out: &mut [f64]) -> Result<()>;

    /// The `k` largest entries of every row, largest first, as (row, column, value) triples: entry
    /// i·k + s of `rows`, `cols` and `values`, each of length n·k, for 1 ≤ k ≤ m (checked by the
    /// caller).
    fn largest_entries(
        &self,
        k: usize,
        rows: &mut [usize],
        cols: &mut [usize],
        values: &mut [f64],
    ) -> Result<()>;

    /// Every entry of P into `out`, of length n·m (checked by the caller), in `layout`.
    fn dense(&self, out: &mut [f64], layout: Layout) -> Result<()>;

    /// `out = P v` (v of length m, out of length n).
    fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        checked_apply(self, Product::Plan, "v", v, out)
    }

    /// `out = Pᵀ u` (u of length n, out of length m).
    fn apply_transpose(&self, u: &[f64], out: &mut [f64]) -> Result<()> {
        checked_apply(self, Product::Transpose, "u", u, out)
    }

    /// n·k, the length of each of [`Coupling::top_k`]'s outputs, once `k` is known to lie in 1..=m.
    fn top_k_len(&self, k: usize) -> Result<usize> {
        let (n, m) = self.shape();
        if k == 0 || k > m {
            return Err(Error::invalid(
                "k",
                format!("{k} must lie between 1 and the number of columns, {m}"),
            ));
        }
        error::checked_product("n x k", n, k)
    }

    /// The `k` largest entries of every row, as [`Coupling::largest_entries`] writes them.
    fn top_k(
        &self,
        k: usize,
        rows: &mut [usize],
        cols: &mut [usize],
        values: &mut [f64],
    ) -> Result<()> {
        let len = self.top_k_len(k)?;
        ensure_len("rows", rows, len)?;
        ensure_len("cols", cols, len)?;
        ensure_len("values", values, len)?;
        self.largest_entries(k, rows, cols, values)
    }

    /// n·m, the length of [`Coupling::to_dense`]'s output.
    fn dense_len(&self) -> Result<usize> {
        let (n, m) = self.shape();
        error::checked_product("out (n x m)", n, m)
    }

    /// Every entry of P into `out` (n×m in `layout`). The caller owns the n·m memory.
    fn to_dense(&self, out: &mut [f64], layout: Layout) -> Result<()> {
        ensure_len("out", out, self.dense_len()?)?;
        self.dense(out, layout)
    }
}

/// [`Coupling::product`] once the lengths, and the finiteness of `v` (named `arg`), are checked.
fn checked_apply<P: Coupling + ?Sized>(
    plan: &P,
    product: Product,
    arg: &'static str,
    v: &[f64],
    out: &mut [f64],
) -> Result<()> {
    let (n, m) = plan.shape();
    let (inputs, outputs) = match product {
        Product::Plan => (m, n),
        Product::Transpose => (n, m),
    };
    ensure_len(arg, v, inputs)?;
    ensure_len("out", out, outputs)?;
    ensure_finite(arg, v)?;
    plan.product(product, v, out)
}
