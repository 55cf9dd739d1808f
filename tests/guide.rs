//! The README's "Which kernel when" guide, held to what it says, on the approximation table's data
//! (`benches/approximation.rs`: uniform points in [0, 1]^d, or 10 tight Gaussians) at n = m = 1,000 so
//! that the suite stays fast. Each row's recommended kernel answers on its defaults within the error the
//! guide quotes at 10⁴, and the kernels the guide warns against are the ones whose certificate says so.

use std::sync::Arc;

use scalot::kernel::nystrom::{LCN_LANDMARKS, NYSTROM_LANDMARKS};
use scalot::sinkhorn::CertifyOptions;
use scalot::{
    solve, Cost, DenseKernel, DenseMode, Kernel, Layout, LcnKernel, NystromKernel, NystromOptions,
    PairOptions, PairRule, PointCloud, SinkhornOptions, SparseKernel, TransportPlan, Weights,
};
use scalot_testkit::data;

const N: usize = 1000;

/// The approximation table's problem at n = m = [`N`].
struct Problem {
    x: Vec<f64>,
    y: Vec<f64>,
    d: usize,
    epsilon: f64,
}

impl Problem {
    fn new(d: usize, clustered: bool, relative_epsilon: f64) -> Self {
        let (x, y, epsilon) = data::approximation_problem(N, d, clustered, relative_epsilon);
        Problem { x, y, d, epsilon }
    }

    fn clouds(&self) -> (PointCloud<'_>, PointCloud<'_>) {
        (
            PointCloud::new("x", &self.x, N, self.d, Layout::RowMajor).unwrap(),
            PointCloud::new("y", &self.y, N, self.d, Layout::RowMajor).unwrap(),
        )
    }

    fn dense(&self) -> Arc<dyn Kernel> {
        let (x, y) = self.clouds();
        Arc::new(
            DenseKernel::from_points(
                &x,
                &y,
                Cost::SqEuclidean,
                self.epsilon,
                DenseMode::StoredF64,
            )
            .unwrap(),
        )
    }

    fn nystrom(&self) -> Arc<dyn Kernel> {
        let (x, y) = self.clouds();
        let landmarks = NystromOptions::new(NYSTROM_LANDMARKS);
        Arc::new(NystromKernel::new(&x, &y, Cost::SqEuclidean, self.epsilon, &landmarks).unwrap())
    }

    fn lcn(&self) -> Arc<dyn Kernel> {
        let (x, y) = self.clouds();
        Arc::new(
            LcnKernel::new(
                &x,
                &y,
                Cost::SqEuclidean,
                self.epsilon,
                &NystromOptions::new(LCN_LANDMARKS),
                &PairOptions::lcn_default(2 * N),
            )
            .unwrap(),
        )
    }

    fn sparse(&self, pairs: &PairOptions) -> Arc<dyn Kernel> {
        let (x, y) = self.clouds();
        Arc::new(SparseKernel::new(&x, &y, Cost::SqEuclidean, self.epsilon, pairs).unwrap())
    }
}

/// The table's solve: tolerance 1e-5, at most 5,000 iterations.
fn solved(kernel: Arc<dyn Kernel>) -> TransportPlan {
    let mut options = SinkhornOptions::default();
    options
        .set_tolerance(1e-5)
        .unwrap()
        .set_max_iterations(5000)
        .unwrap();
    let a = Weights::new("a", None, N).unwrap();
    let b = Weights::new("b", None, N).unwrap();
    solve(&kernel, &a, &b, &options).unwrap()
}

/// The relative error of the kernel's transport cost against dense Sinkhorn's, and its certified gap.
fn measured(problem: &Problem, kernel: Arc<dyn Kernel>) -> (f64, f64) {
    let exact = solved(problem.dense()).transport_cost().unwrap();
    let plan = solved(kernel);
    let gap = plan
        .certify(&CertifyOptions::default(), &mut |_| true)
        .unwrap()
        .relative_gap();
    let error = (plan.transport_cost().unwrap() - exact).abs() / exact;
    (error, gap)
}

#[test]
fn a_smooth_kernel_on_clustered_data_is_nystrom_s() {
    // Guide: ε = 0.1 × mean cost on clustered data, Nyström, cost error 7e-7 to 2e-4.
    for d in [16, 64] {
        let problem = Problem::new(d, true, 0.1);
        let (error, gap) = measured(&problem, problem.nystrom());
        assert!(error < 1e-3, "d = {d}: cost error {error}");
        assert!(gap < 1e-2, "d = {d}: certified gap {gap}");
    }
}

#[test]
fn lcn_on_its_defaults_answers_on_clustered_data() {
    // Guide: LCN's defaults, cost error 2e-5 to 8e-2 at ε = 0.1.
    for d in [2, 16, 64] {
        let problem = Problem::new(d, true, 0.1);
        let (error, gap) = measured(&problem, problem.lcn());
        assert!(error < 1e-1, "d = {d}: cost error {error}");
        assert!(gap < 1e-1, "d = {d}: certified gap {gap}");
    }
}

#[test]
fn at_small_epsilon_in_high_dimension_only_neighbour_pairs_answer_and_the_certificate_says_so() {
    // Guide: ε = 0.01 × mean cost on uniform data in d ≥ 16: Sparse with k-NN pairs (k = 50), 5e-6 to
    // 2e-3; the factored kernels 0.3–1.8, and the certificate says so.
    let problem = Problem::new(16, false, 0.01);
    let knn = PairOptions::new(PairRule::NearestNeighbours { k: 50 });
    let (error, gap) = measured(&problem, problem.sparse(&knn));
    assert!(error < 1e-2, "k-NN: cost error {error}");
    assert!(gap < 1e-2, "k-NN: certified gap {gap}");
    for (name, kernel) in [("Nyström", problem.nystrom()), ("LCN", problem.lcn())] {
        let (error, gap) = measured(&problem, kernel);
        assert!(
            gap > 0.1,
            "{name}: certified gap {gap} (cost error {error})"
        );
    }
}

#[test]
fn the_certificate_flags_k_means_buckets_on_clustered_data() {
    // Guide: clustered data with Sparse k-means buckets: avoid, gaps 0.9–1.1.
    let problem = Problem::new(16, true, 0.01);
    let (error, gap) = measured(&problem, problem.sparse(&PairOptions::sparse_default()));
    assert!(gap > 0.5, "certified gap {gap} (cost error {error})");
}
