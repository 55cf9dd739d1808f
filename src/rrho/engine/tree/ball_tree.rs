//! A ball tree over one cloud: splits along the line between two far points, at the median, so that
//! every node is a contiguous range of one point order and has a centre and a bounding radius.

use crate::geometry::{dot, Cost, Points};

/// Points per leaf.
const LEAF: usize = 32;

pub struct Node {
    pub start: usize,
    pub end: usize,
    pub radius: f64,
    pub children: Option<(usize, usize)>,
}

impl Node {
    pub fn len(&self) -> usize {
        self.end - self.start
    }
}

/// Nodes in pre-order (children after their parent), their centres, and the point order in which every
/// node is the range `start..end`.
pub struct BallTree {
    pub nodes: Vec<Node>,
    centres: Vec<f64>,
    pub order: Vec<usize>,
    dim: usize,
}

impl BallTree {
    pub fn new(points: &Points) -> Self {
        let d = points.dim();
        let mut tree = BallTree {
            nodes: Vec::new(),
            centres: Vec::new(),
            order: (0..points.len()).collect(),
            dim: d,
        };
        let mut pending = vec![(0, points.len(), None::<(usize, bool)>)];
        while let Some((start, end, parent)) = pending.pop() {
            let index = tree.nodes.len();
            if let Some((parent, right)) = parent {
                let children = tree.nodes[parent].children.get_or_insert((0, 0));
                if right {
                    children.1 = index;
                } else {
                    children.0 = index;
                }
            }
            let members = &mut tree.order[start..end];
            let mut centre = vec![0.0; d];
            for &i in members.iter() {
                centre
                    .iter_mut()
                    .zip(points.point(i))
                    .for_each(|(c, v)| *c += v);
            }
            centre.iter_mut().for_each(|c| *c /= members.len() as f64);
            let distance = |i: usize, to: &[f64]| Cost::Euclidean.eval(points.point(i), to);
            let radius = members
                .iter()
                .map(|&i| distance(i, &centre))
                .fold(0.0, f64::max);
            tree.nodes.push(Node {
                start,
                end,
                radius,
                children: None,
            });
            tree.centres.extend_from_slice(&centre);
            if end - start <= LEAF || radius == 0.0 {
                continue;
            }
            let farthest = |from: &[f64]| {
                *members
                    .iter()
                    .max_by(|&&i, &&j| distance(i, from).total_cmp(&distance(j, from)))
                    .expect("a node has points")
            };
            let a = farthest(&centre);
            let b = farthest(points.point(a));
            let direction: Vec<f64> = points
                .point(b)
                .iter()
                .zip(points.point(a))
                .map(|(u, v)| u - v)
                .collect();
            let half = members.len() / 2;
            members.select_nth_unstable_by(half, |&i, &j| {
                dot(points.point(i), &direction).total_cmp(&dot(points.point(j), &direction))
            });
            // Pushed right first, so the left child is built next, right after its parent.
            pending.push((start + half, end, Some((index, true))));
            pending.push((start, start + half, Some((index, false))));
        }
        tree
    }

    /// Each point's position in the tree order.
    pub fn positions(&self) -> Vec<usize> {
        let mut positions = vec![0; self.order.len()];
        for (position, &point) in self.order.iter().enumerate() {
            positions[point] = position;
        }
        positions
    }

    pub fn centre(&self, node: usize) -> &[f64] {
        &self.centres[node * self.dim..(node + 1) * self.dim]
    }
}
