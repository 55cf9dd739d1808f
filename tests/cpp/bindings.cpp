// The C++ binding (bindings/cpp/scalot.hpp) end to end: a fixture case, every plan query, options,
// the progress callback, move semantics, and the exceptions bad input raises.
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixture_case.h"
#include "rrho_case.h"
#include "scalot.hpp"

static int passed = 0, failed = 0;

static void expect(bool condition, const char *what) {
  if (condition) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAILED: %s\n", what);
  }
}

static bool close(double found, double expected, double relative) {
  return std::fabs(found - expected) <= relative * std::fabs(expected);
}

template <typename F>
static void expect_error(F call, scalot_status status, const char *argument, const char *what) {
  try {
    call();
    expect(false, what);
  } catch (const scalot::Error &e) {
    expect(e.status() == status && std::string(e.what()).find(argument) != std::string::npos, what);
  }
}

static scalot::Kernel fixture_kernel(scalot::DenseMode mode) {
  return scalot::Kernel::dense({FIXTURE_X, FIXTURE_N, FIXTURE_D}, {FIXTURE_Y, FIXTURE_M, FIXTURE_D},
                               scalot::Cost::SqEuclidean, FIXTURE_EPS, mode);
}

static void fixture_values() {
  const std::vector<double> a(FIXTURE_A, FIXTURE_A + FIXTURE_N), b(FIXTURE_B, FIXTURE_B + FIXTURE_M);
  scalot::SinkhornOptions options;
  options.tolerance(1e-12).max_iterations(100000);
  for (auto mode : {scalot::DenseMode::StoredF64, scalot::DenseMode::Online}) {
    const scalot::Kernel kernel = fixture_kernel(mode);
    const scalot::Plan plan = scalot::sinkhorn(kernel, a, b, options);
    expect(plan.converged(), "the fixture converges");
    expect(close(plan.transport_cost(), FIXTURE_TRANSPORT_COST, 1e-6), "transport cost");
    expect(close(plan.regularized_objective(), FIXTURE_REG_OT, 1e-6), "regularised objective");
    expect(close(plan.dual_objective(), FIXTURE_REG_OT, 1e-6), "dual objective");
    expect(close(plan.mass(), 1.0, 1e-9), "mass");
    expect(plan.marginal_error() < 1e-12, "marginal error");
    expect(plan.iterations() > 0, "iterations");

    const auto [rows, cols] = plan.marginals();
    double error = 0.0;
    for (std::size_t i = 0; i < FIXTURE_N; ++i) error += std::fabs(rows[i] - a[i]);
    for (std::size_t j = 0; j < FIXTURE_M; ++j) error += std::fabs(cols[j] - b[j]);
    expect(error < 1e-11, "marginals");

    const std::vector<double> dense = plan.to_dense(scalot::Layout::ColumnMajor);
    double first_row = 0.0;
    for (std::size_t j = 0; j < FIXTURE_M; ++j) first_row += dense[j * FIXTURE_N];
    expect(close(first_row, rows[0], 1e-12), "the dense export, column-major");

    const std::vector<double> ones_m(FIXTURE_M, 1.0), ones_n(FIXTURE_N, 1.0);
    const std::vector<double> p1 = plan.apply(ones_m), pt1 = plan.apply_transpose(ones_n);
    bool same = true;
    for (std::size_t i = 0; i < FIXTURE_N; ++i) same = same && close(p1[i], rows[i], 1e-12);
    for (std::size_t j = 0; j < FIXTURE_M; ++j) same = same && close(pt1[j], cols[j], 1e-12);
    expect(same, "P 1 and P^T 1 are the marginals");

    const auto [f, g] = plan.potentials();
    double shift = 0.0;
    for (std::size_t i = 0; i < FIXTURE_N; ++i) shift += a[i] * (f[i] - FIXTURE_F[i]);
    bool potentials = true;
    for (std::size_t i = 0; i < FIXTURE_N; ++i)
      potentials = potentials && std::fabs(f[i] - shift - FIXTURE_F[i]) <= 1e-6 * FIXTURE_EPS;
    for (std::size_t j = 0; j < FIXTURE_M; ++j)
      potentials = potentials && std::fabs(g[j] + shift - FIXTURE_G[j]) <= 1e-6 * FIXTURE_EPS;
    expect(potentials, "potentials against the fixture");
    expect(plan.barycentric_projection(FIXTURE_D).size() == FIXTURE_N * FIXTURE_D, "projection");
    expect(plan.gradient_x(FIXTURE_D, scalot::Layout::ColumnMajor).size() == FIXTURE_N * FIXTURE_D,
           "gradient");
    const auto top = plan.top_k(2);
    expect(top.values.size() == 2 * FIXTURE_N && top.values[0] >= top.values[1], "top-k");
    expect(kernel.info().n == FIXTURE_N && kernel.info().m == FIXTURE_M, "kernel info");
  }
}

static void options_and_callbacks() {
  const scalot::Kernel kernel = fixture_kernel(scalot::DenseMode::StoredF32);
  std::size_t calls = 0;
  scalot::SinkhornOptions options;
  options.tolerance(1e-14).max_iterations(1000).progress([&](std::size_t, double) {
    return ++calls < 3;
  });
  expect_error([&] { scalot::sinkhorn(kernel, {}, {}, options); }, SCALOT_STATUS_CANCELLED, "cancel",
               "a callback returning false cancels");
  expect(calls == 3, "the callback ran until it cancelled");

  options.progress([](std::size_t, double) -> bool { throw std::logic_error("from the callback"); });
  try {
    scalot::sinkhorn(kernel, {}, {}, options);
    expect(false, "a callback's exception propagates");
  } catch (const std::logic_error &e) {
    expect(std::string(e.what()) == "from the callback", "a callback's exception propagates");
  }

  scalot::SinkhornOptions relaxed;
  relaxed.marginal_relaxation(1.0, std::numeric_limits<double>::infinity())
      .epsilon_scaling(1.0, 0.5)
      .overrelaxation(1.5)
      .check_interval(2)
      .warm_start(std::vector<double>(FIXTURE_N, 0.0), std::vector<double>(FIXTURE_M, 0.0));
  scalot::Plan plan = scalot::sinkhorn(kernel, {}, {}, relaxed);
  expect(plan.rows() == FIXTURE_N && plan.cols() == FIXTURE_M, "an unbalanced solve");

  scalot::Plan moved = std::move(plan);
  expect(moved.get() != nullptr && plan.get() == nullptr, "a moved-from plan is empty");
}

static void errors() {
  const double bad[4] = {0.0, NAN, 1.0, 2.0};
  expect_error([&] { scalot::Kernel::dense({bad, 2, 2}, {bad, 2, 2}, scalot::Cost::SqEuclidean, 1.0); },
               SCALOT_STATUS_NON_FINITE, "x", "NaN in the points");
  expect_error([&] { scalot::Kernel::dense({FIXTURE_X, FIXTURE_N, FIXTURE_D},
                                           {FIXTURE_Y, FIXTURE_M, FIXTURE_D},
                                           scalot::Cost::SqEuclidean, -1.0); },
               SCALOT_STATUS_INVALID_ARGUMENT, "epsilon", "a negative epsilon");
  scalot::SinkhornOptions options;
  expect_error([&] { options.tolerance(0.0); }, SCALOT_STATUS_INVALID_ARGUMENT, "tolerance",
               "a zero tolerance");
  const scalot::Kernel kernel = fixture_kernel(scalot::DenseMode::StoredF64);
  expect_error([&] { scalot::sinkhorn(kernel, std::vector<double>(3, 1.0), {}); },
               SCALOT_STATUS_DIMENSION_MISMATCH, "a", "weights of the wrong length");
  try {
    scalot::Kernel::dense({FIXTURE_X, FIXTURE_N, 2}, {FIXTURE_Y, FIXTURE_M, 1}, scalot::Cost::SqEuclidean,
                          1.0);
    expect(false, "different dimensions are refused");
  } catch (const std::invalid_argument &) {
    expect(true, "different dimensions are refused");
  }
  scalot::set_num_threads(1);
  expect(scalot::num_threads() == 1, "thread count");
  scalot::set_num_threads(0);
  expect(!scalot::version().empty(), "version");
}

// Every rule keeping every pair reproduces the fixture; bad rules throw with the argument's name.
static void sparse_kernels() {
  const std::vector<double> a(FIXTURE_A, FIXTURE_A + FIXTURE_N), b(FIXTURE_B, FIXTURE_B + FIXTURE_M);
  scalot::SinkhornOptions options;
  options.tolerance(1e-12).max_iterations(100000);
  const scalot::MatrixView x{FIXTURE_X, FIXTURE_N, FIXTURE_D}, y{FIXTURE_Y, FIXTURE_M, FIXTURE_D};
  scalot::SparseOptions rules[3];
  rules[0].kmeans(1).seed(5);
  rules[1].neighbours(FIXTURE_N);
  rules[2].truncation(1e9);
  for (const auto &rule : rules) {
    const scalot::Kernel kernel = scalot::Kernel::sparse(x, y, scalot::Cost::SqEuclidean, FIXTURE_EPS, rule);
    const scalot_kernel_properties info = kernel.info();
    expect(info.kind == SCALOT_KERNEL_KIND_SPARSE && info.nnz == FIXTURE_N * FIXTURE_M, "sparse info");
    const scalot::Plan plan = scalot::sinkhorn(kernel, a, b, options);
    expect(close(plan.transport_cost(), FIXTURE_TRANSPORT_COST, 1e-6), "sparse transport cost");
    expect(close(plan.regularized_objective(), FIXTURE_REG_OT, 1e-6), "sparse regularised objective");
  }
  scalot::SparseOptions bad;
  expect_error([&] { bad.kmeans(0); }, SCALOT_STATUS_INVALID_ARGUMENT, "clusters", "0 clusters");
  expect_error([&] { bad.kmeans(3, 0); }, SCALOT_STATUS_INVALID_ARGUMENT, "rounds", "0 rounds");
  expect_error([&] { bad.neighbours(0); }, SCALOT_STATUS_INVALID_ARGUMENT, "k", "0 neighbours");
  expect_error([&] { bad.truncation(0.0); }, SCALOT_STATUS_INVALID_ARGUMENT, "factor", "truncation 0");
  expect_error([&] { scalot::Kernel::sparse(x, y, scalot::Cost::SqEuclidean, FIXTURE_EPS,
                                            scalot::SparseOptions().kmeans(FIXTURE_N + FIXTURE_M + 1)); },
               SCALOT_STATUS_INVALID_ARGUMENT, "clusters", "more clusters than points");
  expect_error([&] { scalot::SparseOptions().backbone(true).coverage(0); scalot::sinkhorn(
                   scalot::Kernel::sparse(x, y, scalot::Cost::SqEuclidean, FIXTURE_EPS,
                                          scalot::SparseOptions().truncation(1e-9).coverage(0).backbone(false)),
                   a, b, options); },
               SCALOT_STATUS_NUMERICAL_FAILURE, "coverage", "no pairs and no coverage");

  // Two buckets whose masses differ: only the backbone lets the balanced solve converge.
  const scalot::Kernel buckets = scalot::Kernel::sparse(x, y, scalot::Cost::SqEuclidean, FIXTURE_EPS,
                                                        scalot::SparseOptions().kmeans(2).seed(1));
  const scalot::Plan plan = scalot::sinkhorn(buckets, a, b, options);
  expect(plan.converged() && plan.stop_reason() == scalot::StopReason::Converged, "the backbone converges");
  const scalot::Kernel solved_on = plan.kernel();
  expect(solved_on.info().added_pairs > buckets.info().added_pairs, "the plan's kernel has the backbone");
  scalot::SinkhornOptions short_solve;
  short_solve.max_iterations(300);
  const scalot::Kernel no_backbone = scalot::Kernel::sparse(
      x, y, scalot::Cost::SqEuclidean, FIXTURE_EPS, scalot::SparseOptions().kmeans(2).seed(1).backbone(false));
  const scalot::Plan capped = scalot::sinkhorn(no_backbone, a, b, short_solve);
  expect(!capped.converged() && capped.stop_reason() == scalot::StopReason::IterationLimit,
         "a capped solve says so");

  // The certificate of the dense fixture is tight; the buckets' interval holds the fixture's value.
  const scalot::Plan dense = scalot::sinkhorn(fixture_kernel(scalot::DenseMode::StoredF64), a, b, options);
  const scalot_certificate tight = dense.certify();
  expect(tight.relative_gap < 1e-8 && tight.sampled_rows == 0, "a converged dense solve certifies tightly");
  const scalot_certificate loose = plan.certify();
  expect(loose.lower <= FIXTURE_REG_OT * (1 + 1e-9) && FIXTURE_REG_OT <= loose.upper * (1 + 1e-9),
         "the sparse interval holds the exact value");
  std::size_t blocks = 0;
  scalot::CertifyOptions sampled;
  sampled.exact_limit(0).samples(3, 7).progress([&](std::size_t block, double) {
    blocks = block;
    return true;
  });
  const scalot_certificate estimate = plan.certify(sampled);
  expect(estimate.sampled_rows == 3 && blocks > 0, "a sampled certificate with progress");
  scalot::CertifyOptions cancelling;
  cancelling.progress([](std::size_t, double) { return false; });
  expect_error([&] { plan.certify(cancelling); }, SCALOT_STATUS_CANCELLED, "cancel", "a cancelled certificate");
  expect_error([&] { scalot::CertifyOptions().samples(0); }, SCALOT_STATUS_INVALID_ARGUMENT, "rows", "0 rows");
}

// Nystrom on every point reproduces the fixture; LCN with every pair kept is exact; bad options throw.
static void nystrom_and_lcn_kernels() {
  const std::vector<double> a(FIXTURE_A, FIXTURE_A + FIXTURE_N), b(FIXTURE_B, FIXTURE_B + FIXTURE_M);
  scalot::SinkhornOptions options;
  options.tolerance(1e-9).max_iterations(100000);
  const scalot::MatrixView x{FIXTURE_X, FIXTURE_N, FIXTURE_D}, y{FIXTURE_Y, FIXTURE_M, FIXTURE_D};
  scalot::NystromOptions every_point;
  every_point.landmarks(FIXTURE_N + FIXTURE_M, scalot::LandmarkRule::Pivoted).seed(3);
  const scalot::Kernel nystrom = scalot::Kernel::nystrom(x, y, scalot::Cost::SqEuclidean, FIXTURE_EPS,
                                                         every_point);
  const scalot_kernel_properties info = nystrom.info();
  expect(info.kind == SCALOT_KERNEL_KIND_NYSTROM && info.landmarks == FIXTURE_N + FIXTURE_M,
         "nystrom info");
  const scalot::Plan plan = scalot::sinkhorn(nystrom, a, b, options);
  expect(close(plan.transport_cost(), FIXTURE_TRANSPORT_COST, 1e-5), "nystrom transport cost");

  scalot::NystromOptions few;
  few.landmarks(3).inverse(scalot::Inverse::Cholesky, 1e-8);
  scalot::SparseOptions all_pairs;
  all_pairs.hierarchical_kmeans({1, 1});
  const scalot::Kernel lcn = scalot::Kernel::lcn(x, y, scalot::Cost::SqEuclidean, FIXTURE_EPS, few, all_pairs);
  expect(lcn.info().kind == SCALOT_KERNEL_KIND_LCN && lcn.info().nnz == FIXTURE_N * FIXTURE_M, "lcn info");
  const scalot::Plan exact = scalot::sinkhorn(lcn, a, b, options);
  expect(close(exact.transport_cost(), FIXTURE_TRANSPORT_COST, 1e-6), "lcn transport cost");
  const scalot::Kernel lsh = scalot::Kernel::sparse(x, y, scalot::Cost::SqEuclidean, FIXTURE_EPS,
                                                    scalot::SparseOptions().lsh(2, 1, 64));
  expect(lsh.info().nnz > 0, "lsh pairs");

  scalot::NystromOptions bad;
  expect_error([&] { bad.landmarks(0); }, SCALOT_STATUS_INVALID_ARGUMENT, "landmarks", "0 landmarks");
  expect_error([&] { bad.inverse(scalot::Inverse::Eigen, 0.0); }, SCALOT_STATUS_INVALID_ARGUMENT, "cutoff",
               "cutoff 0");
  expect_error([&] { scalot::SparseOptions().lsh(7, 1, 1); }, SCALOT_STATUS_INVALID_ARGUMENT, "buckets",
               "odd buckets");
  expect_error([&] { scalot::SparseOptions().hierarchical_kmeans({}); }, SCALOT_STATUS_INVALID_ARGUMENT,
               "levels", "no levels");
  expect_error([&] { scalot::Kernel::nystrom(x, y, scalot::Cost::SqEuclidean, FIXTURE_EPS,
                                             scalot::NystromOptions().landmarks(FIXTURE_N + FIXTURE_M + 1)); },
               SCALOT_STATUS_INVALID_ARGUMENT, "landmarks", "more landmarks than points");
}

static void rrho_solver() {
  const scalot::MatrixView x{RRHO_X, RRHO_N, RRHO_D}, y{RRHO_Y, RRHO_M, RRHO_D};
  const std::vector<double> mu(RRHO_MU, RRHO_MU + RRHO_N), nu(RRHO_NU, RRHO_NU + RRHO_M);
  const scalot::RrhoProblem problem(x, y, 2.0, mu, nu, 0.0);
  scalot::RrhoOptions options;
  std::size_t passes = 0;
  options.tolerance(1e-10).max_passes(100000).progress([&](std::size_t pass, double) {
    passes = pass;
    return true;
  });
  const scalot::RrhoSolution solution = scalot::rrho(problem, options);
  const scalot_rrho_summary summary = solution.summary();
  expect(summary.converged && passes == summary.passes, "rrho converged, progress seen");
  expect(close(summary.value, RRHO_VALUE_AT_2, 1e-5), "rrho value against CVXPY");
  expect(summary.value >= RRHO_EMD && summary.upper_bound >= RRHO_VALUE_AT_2, "rrho bounds");
  const auto [rows, cols] = solution.marginals();
  expect(close(rows[0], mu[0], 1e-8) && close(cols[1], nu[1], 1e-8), "rrho marginals");
  const std::vector<double> ones(RRHO_M, 1.0);
  expect(close(solution.apply(ones)[2], rows[2], 1e-12), "rrho apply");
  expect(solution.top_k(2).rows.size() == 2 * RRHO_N, "rrho top k");
  expect(solution.potentials().second.size() == RRHO_M, "rrho potentials");
  scalot::RrhoOptions tree;
  tree.engine(scalot::RrhoEngine::Tree, 1e-4).tolerance(1e-7);
  expect(close(scalot::rrho(problem, tree).value(), RRHO_VALUE_AT_2, 1e-4), "rrho tree engine");
  expect_error([&] { scalot::RrhoProblem(x, y, 1.0); }, SCALOT_STATUS_INVALID_ARGUMENT, "rho", "rho 1");
  expect_error([&] { scalot::RrhoOptions().method(scalot::RrhoMethod::SignAscent, -1.0); },
               SCALOT_STATUS_INVALID_ARGUMENT, "step", "negative step");
}

// A rotated, permuted copy in column-major layout: x_pi(j) = Q y_j with Q a rotation about z.
static void alignment() {
  const std::size_t n = 30, d = 3;
  const double c = std::cos(0.5), s = std::sin(0.5);
  const double q[9] = {c, -s, 0, s, c, 0, 0, 0, 1};  // row-major
  std::vector<double> x(n * d), y(n * d);
  std::vector<std::size_t> source(n), target(n);
  for (std::size_t i = 0; i < n; i++) {
    double p[3], norm = 0;
    for (std::size_t k = 0; k < d; k++) {
      p[k] = std::sin(0.37 * double(i * d + k) + 0.1 * double(i % 7));
      norm += p[k] * p[k];
    }
    for (std::size_t k = 0; k < d; k++) x[k * n + i] = p[k] / std::sqrt(norm);
  }
  for (std::size_t j = 0; j < n; j++) {
    const std::size_t from = (j * 7) % n;
    source[j] = from;
    target[j] = j;
    for (std::size_t k = 0; k < d; k++) {
      y[k * n + j] = 0;
      for (std::size_t l = 0; l < d; l++) y[k * n + j] += q[l * d + k] * x[l * n + from];
    }
  }
  const scalot::MatrixView xs{x.data(), n, d, scalot::Layout::ColumnMajor}, ys{y.data(), n, d, scalot::Layout::ColumnMajor};
  scalot::AlignOptions options;
  std::size_t seen = 0;
  options.kernel(scalot::AlignKernel::Dense, scalot::DenseMode::StoredF64)
      .epsilon(1e-3)
      .sinkhorn_iterations(300)
      .learning_rate(1.0)
      .steps(3)
      .seed_pairs({source.begin(), source.begin() + 10}, {target.begin(), target.begin() + 10})
      .progress([&](std::size_t step, double) {
        seen = step;
        return true;
      });
  const scalot::Alignment result = scalot::align(xs, ys, options);
  double worst = 0;
  for (std::size_t i = 0; i < d; i++)
    for (std::size_t k = 0; k < d; k++) worst = std::fmax(worst, std::fabs(result.rotation[k * d + i] - q[i * d + k]));
  expect(worst < 1e-6 && seen == 3, "align recovers Q in column-major layout");
  expect(result.objectives.size() == 4 && close(result.plan.transport_cost(), result.objectives[3], 1e-10),
         "align objectives and plan");
  const scalot_retrieval found = scalot::retrieval_precision(xs, ys, result.rotation, source, target, 1);
  expect(found.nearest_neighbour == 1.0 && found.csls == 1.0 && found.queries == n, "align retrieval");
  options.progress([](std::size_t step, double) { return step < 2; });
  expect_error([&] { scalot::align(xs, ys, options); }, SCALOT_STATUS_CANCELLED, "cancelled", "align cancelled");
  expect_error([&] { scalot::AlignOptions().steps(0); }, SCALOT_STATUS_INVALID_ARGUMENT, "steps", "align 0 steps");
}

int main() {
  fixture_values();
  sparse_kernels();
  nystrom_and_lcn_kernels();
  rrho_solver();
  alignment();
  options_and_callbacks();
  errors();
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
