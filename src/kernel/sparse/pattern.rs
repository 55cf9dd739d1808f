//! The pairs a sparse kernel keeps, in both compressed orders, with their costs.

use rayon::prelude::*;

use super::locality::LineOrder;
use crate::geometry::{Cost, Points};

/// Kept pairs (i, j) with their costs C_ij: row i's entries are `offsets[i]..offsets[i + 1]` of `cols`,
/// `entry_rows` and `costs`, columns ascending. The column view lists, for column j, the positions of its
/// entries in the row order, so both products read the same values. Products gather their input in the
/// locality orders of the columns and rows (`locality.rs`), through the entries' local indices.
#[derive(Debug)]
pub(crate) struct Pattern {
    n: usize,
    m: usize,
    offsets: Vec<usize>,
    cols: Vec<u32>,
    entry_rows: Vec<u32>,
    costs: Vec<f64>,
    col_offsets: Vec<usize>,
    col_entries: Vec<usize>,
    column_locality: LineOrder,
    row_locality: LineOrder,
    /// Each entry's column position in `column_locality`, in the row order.
    local_cols: Vec<u32>,
    /// Each entry's row position in `row_locality`, in the column order.
    local_col_rows: Vec<u32>,
}

impl Pattern {
    /// Builds the pattern from each row's kept columns (any order, duplicates allowed).
    pub fn new(x: &Points, y: &Points, cost: Cost, mut rows: Vec<Vec<u32>>) -> Self {
        let (n, m) = (x.len(), y.len());
        rows.par_iter_mut().for_each(|cols| {
            cols.sort_unstable();
            cols.dedup();
        });
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        for cols in &rows {
            offsets.push(offsets.last().unwrap() + cols.len());
        }
        let nnz = *offsets.last().unwrap();
        let cols: Vec<u32> = rows.into_iter().flatten().collect();
        let mut entry_rows = Vec::with_capacity(nnz);
        for i in 0..n {
            entry_rows.resize(offsets[i + 1], i as u32);
        }
        let costs: Vec<f64> = entry_rows
            .par_iter()
            .zip(&cols)
            .with_min_len(4096)
            .map(|(&i, &j)| cost.eval(x.point(i as usize), y.point(j as usize)))
            .collect();
        let mut col_counts = vec![0usize; m + 1];
        for &j in &cols {
            col_counts[j as usize + 1] += 1;
        }
        for j in 0..m {
            col_counts[j + 1] += col_counts[j];
        }
        let col_offsets = col_counts;
        let mut next = col_offsets[..m].to_vec();
        let mut col_entries = vec![0usize; nnz];
        for (k, &j) in cols.iter().enumerate() {
            col_entries[next[j as usize]] = k;
            next[j as usize] += 1;
        }
        let column_locality = LineOrder::by_first_partner(m, |j| {
            (col_offsets[j] < col_offsets[j + 1]).then(|| entry_rows[col_entries[col_offsets[j]]])
        });
        let row_locality = LineOrder::by_first_partner(n, |i| {
            (offsets[i] < offsets[i + 1]).then(|| cols[offsets[i]])
        });
        let local_cols = cols
            .par_iter()
            .with_min_len(1 << 14)
            .map(|&j| column_locality.position(j as usize))
            .collect();
        let local_col_rows = col_entries
            .par_iter()
            .with_min_len(1 << 14)
            .map(|&k| row_locality.position(entry_rows[k] as usize))
            .collect();
        Pattern {
            n,
            m,
            offsets,
            cols,
            entry_rows,
            costs,
            col_offsets,
            col_entries,
            column_locality,
            row_locality,
            local_cols,
            local_col_rows,
        }
    }

    pub fn nnz(&self) -> usize {
        self.cols.len()
    }

    /// Each row's columns, ascending: the input [`Pattern::new`] would rebuild this pattern from.
    pub fn rows(&self) -> Vec<Vec<u32>> {
        (0..self.n)
            .map(|i| self.cols[self.row(i)].to_vec())
            .collect()
    }

    pub fn bytes(&self) -> usize {
        (self.offsets.len() + self.col_offsets.len() + self.col_entries.len()) * 8
            + (self.cols.len() + self.entry_rows.len()) * 4
            + (self.local_cols.len() + self.local_col_rows.len()) * 4
            + self.column_locality.bytes()
            + self.row_locality.bytes()
            + self.costs.len() * 8
    }

    /// Row i's entry range.
    pub fn row(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i]..self.offsets[i + 1]
    }

    /// Column j's positions in the row order.
    pub fn column(&self, j: usize) -> &[usize] {
        &self.col_entries[self.col_offsets[j]..self.col_offsets[j + 1]]
    }

    /// Column j's range in the column order.
    pub fn column_range(&self, j: usize) -> std::ops::Range<usize> {
        self.col_offsets[j]..self.col_offsets[j + 1]
    }

    /// Row i's columns as positions in the columns' locality order.
    pub fn local_columns(&self, i: usize) -> &[u32] {
        &self.local_cols[self.row(i)]
    }

    /// Column j's rows as positions in the rows' locality order.
    pub fn local_rows(&self, j: usize) -> &[u32] {
        &self.local_col_rows[self.column_range(j)]
    }

    /// A vector over the columns, in their locality order.
    pub fn columns_locally(&self, x: &[f64]) -> Vec<f64> {
        self.column_locality.gather(x)
    }

    /// A vector over the rows, in their locality order.
    pub fn rows_locally(&self, x: &[f64]) -> Vec<f64> {
        self.row_locality.gather(x)
    }

    /// Every entry's position in the row order, in the column order.
    pub fn column_order(&self) -> &[usize] {
        &self.col_entries
    }

    pub fn col(&self, k: usize) -> usize {
        self.cols[k] as usize
    }

    pub fn costs(&self) -> &[f64] {
        &self.costs
    }

    /// Row of entry k.
    pub fn row_of(&self, k: usize) -> usize {
        self.entry_rows[k] as usize
    }

    pub fn shape(&self) -> (usize, usize) {
        (self.n, self.m)
    }
}
