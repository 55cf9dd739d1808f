//! An order of a sparse kernel's columns (or rows) that puts the lines one row (column) touches next to
//! each other. A product gathers x at each kept pair; in the original order a row's partners lie anywhere
//! in x, one cache line each, and once x outgrows the cache (m ≈ 10⁶) those misses are the product's cost.
//! Gathering x into this order once per product costs m reads, and each row then reads a short run.
//!
//! Lines are sorted by their first partner. Bucketed pairs are where this matters most, and there it is
//! exact: the targets of one bucket share their first source, so every row of a single-round bucketing
//! reads one contiguous run.

use rayon::prelude::*;

/// A permutation of lines, as the line at each position and the position of each line.
#[derive(Debug)]
pub(crate) struct LineOrder {
    lines: Vec<u32>,
    positions: Vec<u32>,
}

impl LineOrder {
    /// Lines sorted by `first_partner` (`None` last), ties by index.
    pub fn by_first_partner(count: usize, first_partner: impl Fn(usize) -> Option<u32>) -> Self {
        let mut keyed: Vec<(u32, u32)> = (0..count)
            .map(|line| (first_partner(line).unwrap_or(u32::MAX), line as u32))
            .collect();
        keyed.par_sort_unstable();
        let lines: Vec<u32> = keyed.into_iter().map(|(_, line)| line).collect();
        let mut positions = vec![0u32; count];
        for (position, &line) in lines.iter().enumerate() {
            positions[line as usize] = position as u32;
        }
        LineOrder { lines, positions }
    }

    /// The position of `line`.
    pub fn position(&self, line: usize) -> u32 {
        self.positions[line]
    }

    /// x in this order: `out[q] = x[line at q]`.
    pub fn gather(&self, x: &[f64]) -> Vec<f64> {
        self.lines
            .par_iter()
            .with_min_len(1 << 14)
            .map(|&line| x[line as usize])
            .collect()
    }

    pub fn bytes(&self) -> usize {
        (self.lines.len() + self.positions.len()) * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_first_partner_and_gathers() {
        let first = [Some(4), None, Some(1), Some(4), Some(0)];
        let order = LineOrder::by_first_partner(5, |line| first[line]);
        assert_eq!(order.lines, vec![4, 2, 0, 3, 1]);
        for (position, &line) in order.lines.iter().enumerate() {
            assert_eq!(order.position(line as usize), position as u32);
        }
        let x = [10.0, 11.0, 12.0, 13.0, 14.0];
        assert_eq!(order.gather(&x), vec![14.0, 12.0, 10.0, 13.0, 11.0]);
    }
}
