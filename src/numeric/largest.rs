//! The k largest entries of a row, for the plans' top-k exports.

/// Orders `order` (length of `row`) so that its first `k` indices are those of the k largest entries,
/// largest first, ties to the lower index.
pub fn largest_k(row: &[f64], k: usize, order: &mut [usize]) {
    debug_assert!(k >= 1 && k <= row.len() && order.len() == row.len());
    order.iter_mut().enumerate().for_each(|(j, o)| *o = j);
    let by_value = |p: &usize, q: &usize| row[*q].total_cmp(&row[*p]).then(p.cmp(q));
    if k < row.len() {
        order.select_nth_unstable_by(k - 1, by_value);
    }
    order[..k].sort_unstable_by(by_value);
}
