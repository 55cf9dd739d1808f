//! Per-node summaries of the offsets b_j, rebuilt before every pass: their range and the moments
//! M_l = Σ_j w_j (b_max − b_j)^l, l ≤ p + 1, about the node's largest offset. For a ≥ b_max,
//! Σ_j w_j (a − b_j)^k = Σ_l C(k, l) (a − b_max)^{k−l} M_l is a sum of non-negative terms, so no digits
//! cancel however far a is from the offsets.

use super::ball_tree::BallTree;

pub struct OffsetMoments {
    p: usize,
    low: Vec<f64>,
    high: Vec<f64>,
    /// p + 2 moments per node.
    moments: Vec<f64>,
    /// C(k, l) for k ≤ p + 1.
    binomials: Vec<Vec<f64>>,
}

/// Σ_j w_j (a − b_j)_+^k over a node for k = p − 1, p, p + 1.
pub type PowerSums = [f64; 3];

impl OffsetMoments {
    pub fn new(p: usize, tree: &BallTree, weights: &[f64], offsets: &[f64]) -> Self {
        let count = tree.nodes.len();
        let width = p + 2;
        let mut summary = OffsetMoments {
            p,
            low: vec![f64::INFINITY; count],
            high: vec![f64::NEG_INFINITY; count],
            moments: vec![0.0; count * width],
            binomials: binomials(p + 1),
        };
        // Children come after their parent, so a reverse sweep sees them first.
        for index in (0..count).rev() {
            let node = &tree.nodes[index];
            let mut moments = vec![0.0; width];
            match node.children {
                None => {
                    let members = &tree.order[node.start..node.end];
                    let (low, high) = members
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &j| {
                            (l.min(offsets[j]), h.max(offsets[j]))
                        });
                    for &j in members {
                        let gap = high - offsets[j];
                        let mut power = weights[j];
                        for moment in moments.iter_mut() {
                            *moment += power;
                            power *= gap;
                        }
                    }
                    summary.low[index] = low;
                    summary.high[index] = high;
                }
                Some((left, right)) => {
                    let high = summary.high[left].max(summary.high[right]);
                    for child in [left, right] {
                        let shift = high - summary.high[child];
                        for (l, moment) in moments.iter_mut().enumerate() {
                            *moment += summary.shifted_power_sum(l, shift, child);
                        }
                    }
                    summary.low[index] = summary.low[left].min(summary.low[right]);
                    summary.high[index] = high;
                }
            }
            summary.moments[index * width..(index + 1) * width].copy_from_slice(&moments);
        }
        summary
    }

    /// Σ_j w_j (shift + δ_j)^k over a node, from the moments of its δ_j = b_max − b_j.
    fn shifted_power_sum(&self, k: usize, shift: f64, node: usize) -> f64 {
        let width = self.p + 2;
        let moments = &self.moments[node * width..(node + 1) * width];
        let mut power = 1.0;
        let mut sum = 0.0;
        for l in (0..=k).rev() {
            sum += self.binomials[k][l] * power * moments[l];
            power *= shift;
        }
        sum
    }

    /// The node's power sums at a: from its moments when every offset is below a, nothing when none
    /// is, otherwise from its children (and a leaf's points one by one).
    pub fn power_sums(
        &self,
        tree: &BallTree,
        node: usize,
        a: f64,
        weights: &[f64],
        offsets: &[f64],
    ) -> PowerSums {
        let p = self.p;
        let mut sums = [0.0; 3];
        let mut pending = vec![node];
        while let Some(index) = pending.pop() {
            if a <= self.low[index] {
                continue;
            }
            if a >= self.high[index] {
                let shift = a - self.high[index];
                for (k, sum) in sums.iter_mut().enumerate() {
                    *sum += self.shifted_power_sum(p - 1 + k, shift, index);
                }
                continue;
            }
            let node = &tree.nodes[index];
            match node.children {
                Some((left, right)) => pending.extend([left, right]),
                None => {
                    for &j in &tree.order[node.start..node.end] {
                        let t = a - offsets[j];
                        if t > 0.0 {
                            let below = weights[j] * t.powi(p as i32 - 1);
                            sums[0] += below;
                            sums[1] += below * t;
                            sums[2] += below * t * t;
                        }
                    }
                }
            }
        }
        sums
    }
}

/// Pascal's triangle up to row `rows`.
fn binomials(rows: usize) -> Vec<Vec<f64>> {
    let mut triangle = vec![vec![1.0]];
    for k in 1..=rows {
        let previous = &triangle[k - 1];
        let row = (0..=k)
            .map(|l| {
                let left = if l > 0 { previous[l - 1] } else { 0.0 };
                left + previous.get(l).copied().unwrap_or(0.0)
            })
            .collect();
        triangle.push(row);
    }
    triangle
}
