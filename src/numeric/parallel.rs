//! Parallel sums whose result does not depend on the number of threads.
//!
//! Floating-point addition is not associative, so a reduction is reproducible only if the way it splits
//! the work is fixed. Here the rows are cut into leaves by a rule that depends on the problem size alone,
//! and the leaves are combined by a fixed binary tree; rayon only decides who computes which node.

use rayon::prelude::*;

/// Rows of a `width`-wide operator that one parallel task should at least take: splitting less work
/// than this costs more in thread wake-ups than it saves.
pub fn min_rows_per_task(width: usize) -> usize {
    ((1 << 15) / width.max(1)).max(1)
}

/// Computes `Σ_leaves partial(leaf)`, where each leaf is a range of rows holding about `leaf_entries`
/// entries of an n×`width` operator and adds its partial sum into a zeroed length-`width` buffer.
/// `rows_out` (`stride` values per row) is split along with the rows, so a leaf may also write its own
/// rows' results.
///
/// Callers size leaves so that merging the partial sums is a small fraction of a leaf's work, yet there
/// are enough leaves to balance a few dozen threads.
pub fn sum_over_row_leaves<T, F>(
    n: usize,
    width: usize,
    leaf_entries: usize,
    rows_out: &mut [T],
    stride: usize,
    leaf: &F,
) -> Vec<f64>
where
    T: Send,
    F: Fn(std::ops::Range<usize>, &mut [T], &mut [f64]) + Sync,
{
    debug_assert_eq!(rows_out.len(), n * stride);
    let rows_per_leaf = (leaf_entries / width.max(1)).clamp(1, n.max(1));
    let tree = LeafTree {
        rows_per_leaf,
        n,
        width,
        stride,
        leaf,
    };
    let mut total = vec![0.0; width];
    tree.reduce(0, n.div_ceil(rows_per_leaf), rows_out, &mut total);
    total
}

/// The fixed binary tree over the leaves of a sum: its shape depends on the sizes alone.
struct LeafTree<'a, F> {
    rows_per_leaf: usize,
    n: usize,
    width: usize,
    stride: usize,
    leaf: &'a F,
}

impl<F> LeafTree<'_, F> {
    /// Adds the leaves `first..first + count` into `acc`; `rows_out` holds their rows' outputs.
    fn reduce<T>(&self, first: usize, count: usize, rows_out: &mut [T], acc: &mut [f64])
    where
        T: Send,
        F: Fn(std::ops::Range<usize>, &mut [T], &mut [f64]) + Sync,
    {
        if count == 1 {
            let start = first * self.rows_per_leaf;
            let end = (start + self.rows_per_leaf).min(self.n);
            (self.leaf)(start..end, rows_out, acc);
            return;
        }
        let left = count / 2;
        let split_row = (first + left) * self.rows_per_leaf;
        let base_row = first * self.rows_per_leaf;
        let (left_out, right_out) = rows_out.split_at_mut((split_row - base_row) * self.stride);
        let mut right_acc = vec![0.0; self.width];
        rayon::join(
            || self.reduce(first, left, left_out, acc),
            || self.reduce(first + left, count - left, right_out, &mut right_acc),
        );
        acc.par_iter_mut()
            .with_min_len(4096)
            .zip(&right_acc)
            .for_each(|(a, b)| *a += b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sum_is_identical_for_one_and_two_threads() {
        let n = 3000;
        let m = 257;
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut rows = vec![0.0; n];
                let sums = sum_over_row_leaves(
                    n,
                    m,
                    1 << 14,
                    &mut rows,
                    1,
                    &|range, out: &mut [f64], acc: &mut [f64]| {
                        for (local, i) in range.enumerate() {
                            out[local] = i as f64;
                            for (j, a) in acc.iter_mut().enumerate() {
                                *a += ((i * 31 + j * 17) % 97) as f64 * 0.1 + 1e-9 * i as f64;
                            }
                        }
                    },
                );
                (rows, sums)
            })
        };
        let (rows1, sums1) = run(1);
        let (rows2, sums2) = run(2);
        assert_eq!(rows1, (0..n).map(|i| i as f64).collect::<Vec<_>>());
        assert_eq!(rows1, rows2);
        assert_eq!(
            sums1.iter().map(|s| s.to_bits()).collect::<Vec<_>>(),
            sums2.iter().map(|s| s.to_bits()).collect::<Vec<_>>()
        );
    }
}
