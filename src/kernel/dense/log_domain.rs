//! The dense kernel's log-domain products, `log Σ_j exp(v_j − C_ij/ε)`, computed from the costs. They cost
//! one exponential per entry and are used only where the linear-domain operator cannot be trusted.

use std::ops::Range;

use rayon::prelude::*;

use super::source::Costs;
use super::tile::fill_cost_tile;
use crate::error::Result;
use crate::numeric::logsumexp::LogSumExp;
use crate::numeric::parallel::min_rows_per_task;
use crate::threads::Interrupt;

/// Columns of the other side per tile.
const BLOCK: usize = 512;
/// Lines per tile: enough that the tile's product amortises reading the block of the other side.
const LINES: usize = 64;

/// Fills `buf` (row-major) with the costs of a range of lines against a range of the other side.
type TileCosts<'a> = dyn Fn(Range<usize>, Range<usize>, &mut [f64]) + Sync + 'a;

/// `out_i = log Σ_j exp(v_j − C_ij/ε)` for the rows `first..first + out.len()`; stops early with
/// [`crate::error::Error::Cancelled`] when the caller's [`Interrupt`] is set.
pub(crate) fn log_rows(
    costs: Costs,
    epsilon: f64,
    v: &[f64],
    first: usize,
    out: &mut [f64],
) -> Result<()> {
    log_lines(epsilon, v, out, &|rows, cols, buf| {
        costs.tile(first + rows.start..first + rows.end, cols, buf)
    })
}

/// `out_j = log Σ_i exp(u_i − C_ij/ε)` for the columns `first..first + out.len()`; stops early as
/// [`log_rows`] does.
pub(crate) fn log_columns(
    costs: Costs,
    epsilon: f64,
    u: &[f64],
    first: usize,
    out: &mut [f64],
) -> Result<()> {
    match costs {
        // Every supported cost is symmetric: the columns are the rows of the swapped clouds.
        Costs::Points { x, y, cost } => log_lines(epsilon, u, out, &|cols, rows, buf| {
            fill_cost_tile(
                cost,
                (y, first + cols.start..first + cols.end),
                (x, rows),
                buf,
            )
        }),
        Costs::Matrix { values, n, m } => log_matrix_columns(values, n, m, epsilon, u, first, out),
    }
}

/// `out_l = log Σ_k exp(w_k − c(l, k)/ε)`, where `costs(lines, range, buf)` fills a tile.
fn log_lines(epsilon: f64, w: &[f64], out: &mut [f64], costs: &TileCosts<'_>) -> Result<()> {
    let len = w.len();
    let interrupt = Interrupt::current();
    out.par_chunks_mut(LINES)
        .with_min_len(min_rows_per_task(len * LINES))
        .enumerate()
        .for_each_init(
            || vec![0.0; LINES * BLOCK.min(len)],
            |buf, (group, values)| {
                if interrupt.requested() {
                    return;
                }
                let first = group * LINES;
                let mut accs = [LogSumExp::default(); LINES];
                for start in (0..len).step_by(BLOCK) {
                    let end = (start + BLOCK).min(len);
                    let width = end - start;
                    let tile = &mut buf[..values.len() * width];
                    costs(first..first + values.len(), start..end, tile);
                    for (line, acc) in tile.chunks_exact_mut(width).zip(accs.iter_mut()) {
                        for (z, &wk) in line.iter_mut().zip(&w[start..end]) {
                            *z = wk - *z / epsilon;
                        }
                        acc.add_block(line);
                    }
                }
                for (value, acc) in values.iter_mut().zip(&accs) {
                    *value = acc.value();
                }
            },
        );
    interrupt.check()
}

/// Columns of a row-major matrix: each task owns a band of columns and streams down the rows, so every
/// read is contiguous and each column is still summed in one fixed order.
fn log_matrix_columns(
    values: &[f64],
    n: usize,
    m: usize,
    epsilon: f64,
    u: &[f64],
    first: usize,
    out: &mut [f64],
) -> Result<()> {
    const BAND: usize = 64;
    let interrupt = Interrupt::current();
    out.par_chunks_mut(BAND)
        .with_min_len(min_rows_per_task(BAND * n))
        .enumerate()
        .for_each(|(band, out_band)| {
            if interrupt.requested() {
                return;
            }
            let j0 = first + band * BAND;
            let mut accs = [LogSumExp::default(); BAND];
            for (i, &ui) in u.iter().enumerate().take(n) {
                let row = &values[i * m + j0..i * m + j0 + out_band.len()];
                for (acc, &c) in accs.iter_mut().zip(row) {
                    acc.add(ui - c / epsilon);
                }
            }
            for (value, acc) in out_band.iter_mut().zip(&accs) {
                *value = acc.value();
            }
        });
    interrupt.check()
}
