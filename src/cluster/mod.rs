//! Clustering of the joint point set X ∪ Y: the sparse kernels' buckets and Nyström's landmarks both come
//! from here. Every routine is seeded, and its result does not depend on the number of threads: work is
//! split by problem size alone, and sums run in a fixed order.

mod hierarchical;
mod kmeans;
mod nearest_centre;

pub(crate) use self::hierarchical::{hierarchical_labels, Hierarchy};
pub(crate) use self::kmeans::{kmeans, kmeans_plus_plus, lloyd};
pub(crate) use self::nearest_centre::nearest_centres;

use crate::geometry::Points;

/// The points of X followed by those of Y: joint index p < n is x_p, and p ≥ n is y_{p−n}.
#[derive(Clone, Copy)]
pub(crate) struct Joint<'a> {
    x: &'a Points,
    y: &'a Points,
}

impl<'a> Joint<'a> {
    pub fn new(x: &'a Points, y: &'a Points) -> Self {
        Joint { x, y }
    }

    pub fn len(&self) -> usize {
        self.x.len() + self.y.len()
    }

    pub fn dim(&self) -> usize {
        self.x.dim()
    }

    #[inline]
    pub fn point(&self, p: usize) -> &'a [f64] {
        if p < self.x.len() {
            self.x.point(p)
        } else {
            self.y.point(p - self.x.len())
        }
    }

    /// Every joint index, in order.
    pub fn everyone(&self) -> Vec<usize> {
        (0..self.len()).collect()
    }
}
