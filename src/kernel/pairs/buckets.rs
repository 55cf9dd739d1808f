//! Pairs from bucket ids: (i, j) is kept when x_i and y_j fall in the same bucket.

use rayon::prelude::*;

/// Each point as (bucket id, index), sorted: a bucket's members are one run.
pub(super) fn by_bucket(ids: &[u64]) -> Vec<(u64, u32)> {
    let mut by_id: Vec<(u64, u32)> = ids
        .iter()
        .enumerate()
        .map(|(p, &id)| (id, p as u32))
        .collect();
    by_id.par_sort_unstable();
    by_id
}

/// Appends to each row i the targets j with `y_ids[j] == x_ids[i]`.
pub(super) fn append_matches(rows: &mut [Vec<u32>], x_ids: &[u64], y_ids: &[u64]) {
    let by_id = by_bucket(y_ids);
    rows.par_iter_mut().zip(x_ids).for_each(|(row, &id)| {
        let start = by_id.partition_point(|&(other, _)| other < id);
        let end = by_id.partition_point(|&(other, _)| other <= id);
        row.extend(by_id[start..end].iter().map(|&(_, j)| j));
    });
}
