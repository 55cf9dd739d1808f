// scalot.hpp: header-only C++17 binding of the scalot C API (include/scalot.h).
//
// Every C function has a wrapper here. Handles are move-only RAII classes over std::unique_ptr with a
// stateless deleter; every fallible call goes through check(), which throws scalot::Error carrying the
// status and the library's message. Matrices are passed as (pointer, rows, cols, Layout) views and never
// copied; plan queries either return std::vector<double> or fill a caller's buffer.
#ifndef SCALOT_HPP
#define SCALOT_HPP

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "scalot.h"

namespace scalot {

enum class Layout : int { RowMajor = SCALOT_LAYOUT_ROW_MAJOR, ColumnMajor = SCALOT_LAYOUT_COLUMN_MAJOR };
enum class Cost : int {
  SqEuclidean = SCALOT_COST_SQ_EUCLIDEAN,
  Euclidean = SCALOT_COST_EUCLIDEAN,
  NegDot = SCALOT_COST_NEG_DOT,
};
enum class DenseMode : int {
  StoredF64 = SCALOT_DENSE_MODE_STORED_F64,
  StoredF32 = SCALOT_DENSE_MODE_STORED_F32,
  Online = SCALOT_DENSE_MODE_ONLINE,
};
enum class LandmarkRule : int {
  Uniform = SCALOT_LANDMARK_RULE_UNIFORM,
  KMeansPlusPlus = SCALOT_LANDMARK_RULE_K_MEANS_PLUS_PLUS,
  KMeans = SCALOT_LANDMARK_RULE_K_MEANS,
  Pivoted = SCALOT_LANDMARK_RULE_PIVOTED,
};
enum class StopReason : int {
  Converged = SCALOT_STOP_REASON_CONVERGED,
  IterationLimit = SCALOT_STOP_REASON_ITERATION_LIMIT,
  Stalled = SCALOT_STOP_REASON_STALLED,
};
enum class Inverse : int { Eigen = SCALOT_INVERSE_EIGEN, Cholesky = SCALOT_INVERSE_CHOLESKY };
enum class AlignKernel : int {
  Dense = SCALOT_ALIGN_KERNEL_DENSE,
  Sparse = SCALOT_ALIGN_KERNEL_SPARSE,
  Nystrom = SCALOT_ALIGN_KERNEL_NYSTROM,
  Lcn = SCALOT_ALIGN_KERNEL_LCN,
};
enum class RrhoEngine : int { Exact = SCALOT_RRHO_ENGINE_EXACT, Tree = SCALOT_RRHO_ENGINE_TREE };
enum class RrhoMethod : int {
  BlockAscent = SCALOT_RRHO_METHOD_BLOCK_ASCENT,
  SignAscent = SCALOT_RRHO_METHOD_SIGN_ASCENT
};

// A failed call: the status and the message scalot_last_error_message() gave on the failing thread.
class Error : public std::runtime_error {
 public:
  Error(scalot_status status, const std::string &message)
      : std::runtime_error(message), status_(status) {}
  scalot_status status() const noexcept { return status_; }
  const char *status_name() const noexcept { return scalot_status_name(static_cast<int>(status_)); }

 private:
  scalot_status status_;
};

// Throws scalot::Error unless `status` is OK. The message is copied at once: it is per-thread and the
// next failing call on this thread replaces it.
inline void check(scalot_status status) {
  if (status != SCALOT_STATUS_OK) {
    throw Error(status, scalot_last_error_message());
  }
}

inline std::string version() { return scalot_version(); }

inline void set_num_threads(std::size_t threads) { check(scalot_set_num_threads(threads)); }

inline std::size_t num_threads() {
  std::size_t out = 0;
  check(scalot_num_threads(&out));
  return out;
}

// A read-only matrix view: `rows` x `cols` doubles at `data`, in `layout`.
struct MatrixView {
  const double *data;
  std::size_t rows;
  std::size_t cols;
  Layout layout = Layout::RowMajor;
};

namespace detail {
struct KernelDeleter {
  void operator()(scalot_kernel *k) const noexcept { scalot_kernel_free(k); }
};
struct PlanDeleter {
  void operator()(scalot_plan *p) const noexcept { scalot_plan_free(p); }
};
struct OptionsDeleter {
  void operator()(scalot_sinkhorn_options *o) const noexcept { scalot_sinkhorn_options_free(o); }
};
struct SparseOptionsDeleter {
  void operator()(scalot_sparse_options *o) const noexcept { scalot_sparse_options_free(o); }
};
struct NystromOptionsDeleter {
  void operator()(scalot_nystrom_options *o) const noexcept { scalot_nystrom_options_free(o); }
};

struct RrhoProblemDeleter {
  void operator()(scalot_rrho_problem *p) const noexcept { scalot_rrho_problem_free(p); }
};
struct RrhoOptionsDeleter {
  void operator()(scalot_rrho_options *o) const noexcept { scalot_rrho_options_free(o); }
};
struct AlignOptionsDeleter {
  void operator()(scalot_align_options *o) const noexcept { scalot_align_options_free(o); }
};
struct RrhoSolutionDeleter {
  void operator()(scalot_rrho_solution *s) const noexcept { scalot_rrho_solution_free(s); }
};
struct CertifyOptionsDeleter {
  void operator()(scalot_certify_options *o) const noexcept { scalot_certify_options_free(o); }
};

// A C++ progress callback behind the C one: (iteration or pass, error) -> keep going. An exception it
// throws cancels the solve and is kept for the caller to rethrow.
struct ProgressRelay {
  std::function<bool(std::size_t, double)> callback;
  std::exception_ptr exception;

  static int trampoline(void *user_data, std::size_t iteration, double error) noexcept {
    auto *relay = static_cast<ProgressRelay *>(user_data);
    try {
      return relay->callback(iteration, error) ? 0 : 1;
    } catch (...) {
      relay->exception = std::current_exception();
      return 1;
    }
  }
};

// Two point clouds must share a layout and a dimension; `who` names the caller in the exception.
inline void same_shape(const MatrixView &x, const MatrixView &y, const char *who) {
  if (x.layout != y.layout) {
    throw std::invalid_argument(std::string(who) + ": x and y must share a layout");
  }
  if (x.cols != y.cols) {
    throw std::invalid_argument(std::string(who) + ": x and y have different dimensions");
  }
}
}  // namespace detail

// How a sparse (or LCN) kernel chooses its pairs. Until a rule is set, the kernel's own default
// applies (sparse: joint k-means, 100 clusters, 1 round, 20 iterations; LCN: hierarchical k-means
// 10 x 100). Each rule setter replaces the rule; setters validate at once and throw on a bad value.
class SparseOptions {
 public:
  SparseOptions() {
    scalot_sparse_options *out = nullptr;
    check(scalot_sparse_options_new(&out));
    handle_.reset(out);
  }

  SparseOptions &kmeans(std::size_t clusters, std::size_t rounds = 1, std::size_t iterations = 20) {
    check(scalot_sparse_options_set_kmeans(get(), clusters, rounds, iterations));
    return *this;
  }
  // Hierarchical k-means: branching[0] clusters, each split into branching[1], ... (LCN paper: {10, 100}).
  SparseOptions &hierarchical_kmeans(const std::vector<std::size_t> &branching, std::size_t rounds = 1,
                                     std::size_t iterations = 10) {
    check(scalot_sparse_options_set_hierarchical_kmeans(get(), branching.data(), branching.size(),
                                                         rounds, iterations));
    return *this;
  }
  // Angular LSH: `hashes` AND-ed per band, `bands` OR-ed (LCN paper's Sparse Sinkhorn: 130, 2, 16).
  SparseOptions &lsh(std::size_t buckets, std::size_t hashes, std::size_t bands) {
    check(scalot_sparse_options_set_lsh(get(), buckets, hashes, bands));
    return *this;
  }
  SparseOptions &neighbours(std::size_t k) {
    check(scalot_sparse_options_set_neighbours(get(), k));
    return *this;
  }
  SparseOptions &truncation(double factor) {
    check(scalot_sparse_options_set_truncation(get(), factor));
    return *this;
  }
  SparseOptions &seed(std::uint64_t value) {
    check(scalot_sparse_options_set_seed(get(), value));
    return *this;
  }
  // Every row and column keeps at least `partners` pairs, its nearest points of the other cloud
  // (default 2; 0 switches it off).
  SparseOptions &coverage(std::size_t partners) {
    check(scalot_sparse_options_set_coverage(get(), partners));
    return *this;
  }
  // Whether balanced solves add a transport backbone so that they can converge (default true).
  SparseOptions &backbone(bool enabled) {
    check(scalot_sparse_options_set_backbone(get(), enabled ? 1 : 0));
    return *this;
  }

  scalot_sparse_options *get() const noexcept { return handle_.get(); }

 private:
  std::unique_ptr<scalot_sparse_options, detail::SparseOptionsDeleter> handle_;
};

// How a Nystrom (or LCN) kernel chooses its landmarks (default: the kernel's own count, 200 for Nystrom
// and 20 for LCN, by k-means++; eigenvalue cutoff 1e-8; seed 0). Setters validate at once.
class NystromOptions {
 public:
  NystromOptions() {
    scalot_nystrom_options *out = nullptr;
    check(scalot_nystrom_options_new(&out));
    handle_.reset(out);
  }

  // `iterations` is used by LandmarkRule::KMeans only.
  NystromOptions &landmarks(std::size_t count, LandmarkRule rule = LandmarkRule::KMeansPlusPlus,
                            std::size_t iterations = 10) {
    check(scalot_nystrom_options_set_landmarks(get(), count, static_cast<int>(rule), iterations));
    return *this;
  }
  NystromOptions &inverse(Inverse method, double tolerance) {
    check(scalot_nystrom_options_set_inverse(get(), static_cast<int>(method), tolerance));
    return *this;
  }
  NystromOptions &seed(std::uint64_t value) {
    check(scalot_nystrom_options_set_seed(get(), value));
    return *this;
  }

  scalot_nystrom_options *get() const noexcept { return handle_.get(); }

 private:
  std::unique_ptr<scalot_nystrom_options, detail::NystromOptionsDeleter> handle_;
};

// An immutable entropic kernel; it may be shared by solves on several threads.
class Kernel {
 public:
  // The dense kernel between the points x (n x d) and y (m x d).
  static Kernel dense(const MatrixView &x, const MatrixView &y, Cost cost, double epsilon,
                      DenseMode mode = DenseMode::StoredF64) {
    detail::same_shape(x, y, "scalot::Kernel::dense");
    scalot_kernel *out = nullptr;
    check(scalot_kernel_dense_new(x.data, x.rows, y.data, y.rows, x.cols, static_cast<int>(x.layout),
                                  static_cast<int>(cost), epsilon, static_cast<int>(mode), &out));
    return Kernel(out);
  }

  // The sparse kernel between x (n x d) and y (m x d): exact entries at the pairs `options` keeps.
  static Kernel sparse(const MatrixView &x, const MatrixView &y, Cost cost, double epsilon,
                       const SparseOptions &options = SparseOptions()) {
    detail::same_shape(x, y, "scalot::Kernel::sparse");
    scalot_kernel *out = nullptr;
    check(scalot_kernel_sparse_new(x.data, x.rows, y.data, y.rows, x.cols, static_cast<int>(x.layout),
                                   static_cast<int>(cost), epsilon, options.get(), &out));
    return Kernel(out);
  }

  // The Nystrom kernel between x (n x d) and y (m x d) on landmarks from both.
  static Kernel nystrom(const MatrixView &x, const MatrixView &y, Cost cost, double epsilon,
                        const NystromOptions &options = NystromOptions()) {
    detail::same_shape(x, y, "scalot::Kernel::nystrom");
    scalot_kernel *out = nullptr;
    check(scalot_kernel_nystrom_new(x.data, x.rows, y.data, y.rows, x.cols, static_cast<int>(x.layout),
                                    static_cast<int>(cost), epsilon, options.get(), &out));
    return Kernel(out);
  }

  // The locally corrected Nystrom kernel: Nystrom on `landmarks`, exact at the pairs `pairs` keeps.
  static Kernel lcn(const MatrixView &x, const MatrixView &y, Cost cost, double epsilon,
                    const NystromOptions &landmarks = NystromOptions(),
                    const SparseOptions &pairs = SparseOptions()) {
    detail::same_shape(x, y, "scalot::Kernel::lcn");
    scalot_kernel *out = nullptr;
    check(scalot_kernel_lcn_new(x.data, x.rows, y.data, y.rows, x.cols, static_cast<int>(x.layout),
                                static_cast<int>(cost), epsilon, landmarks.get(), pairs.get(), &out));
    return Kernel(out);
  }

  // The dense kernel of a caller's n x m cost matrix, which is copied.
  static Kernel dense_from_cost(const MatrixView &cost, double epsilon,
                                DenseMode mode = DenseMode::StoredF64) {
    scalot_kernel *out = nullptr;
    check(scalot_kernel_dense_from_cost(cost.data, cost.rows, cost.cols,
                                        static_cast<int>(cost.layout), epsilon,
                                        static_cast<int>(mode), &out));
    return Kernel(out);
  }

  scalot_kernel_properties info() const {
    scalot_kernel_properties out{};
    check(scalot_kernel_info(get(), &out));
    return out;
  }

  const scalot_kernel *get() const noexcept { return handle_.get(); }

  // Takes ownership of a kernel handle from the C API.
  static Kernel adopt(scalot_kernel *k) { return Kernel(k); }

 private:
  explicit Kernel(scalot_kernel *k) : handle_(k) {}
  std::unique_ptr<scalot_kernel, detail::KernelDeleter> handle_;
};

// Solver options with chainable setters; each setter validates at once and throws on a bad value.
class SinkhornOptions {
 public:
  SinkhornOptions() {
    scalot_sinkhorn_options *out = nullptr;
    check(scalot_sinkhorn_options_new(&out));
    handle_.reset(out);
  }

  SinkhornOptions &tolerance(double value) {
    check(scalot_sinkhorn_options_set_tolerance(get(), value));
    return *this;
  }
  SinkhornOptions &max_iterations(std::size_t value) {
    check(scalot_sinkhorn_options_set_max_iterations(get(), value));
    return *this;
  }
  SinkhornOptions &check_interval(std::size_t value) {
    check(scalot_sinkhorn_options_set_check_interval(get(), value));
    return *this;
  }
  // KL-relaxed marginals; infinity keeps a side exact.
  SinkhornOptions &marginal_relaxation(double tau_a, double tau_b) {
    check(scalot_sinkhorn_options_set_marginal_relaxation(get(), tau_a, tau_b));
    return *this;
  }
  SinkhornOptions &epsilon_scaling(double start, double factor) {
    check(scalot_sinkhorn_options_set_epsilon_scaling(get(), start, factor));
    return *this;
  }
  // 0 chooses omega adaptively (the default).
  SinkhornOptions &overrelaxation(double omega) {
    check(scalot_sinkhorn_options_set_overrelaxation(get(), omega));
    return *this;
  }
  // The vectors are copied; two empty vectors clear the warm start.
  SinkhornOptions &warm_start(const std::vector<double> &f, const std::vector<double> &g) {
    check(scalot_sinkhorn_options_set_warm_start(get(), f.empty() ? nullptr : f.data(), f.size(),
                                                 g.empty() ? nullptr : g.data(), g.size()));
    return *this;
  }
  // `callback` runs on the solving thread and must outlive the solves that use these options. It gets
  // (iteration, error) and returns false to cancel; an exception it throws also cancels the solve, and
  // is rethrown by solve().
  template <typename F>
  SinkhornOptions &progress(F callback) {
    progress_ = std::make_shared<detail::ProgressRelay>(detail::ProgressRelay{std::move(callback), nullptr});
    check(scalot_sinkhorn_options_set_progress_callback(get(), &detail::ProgressRelay::trampoline,
                                                        progress_.get()));
    return *this;
  }

  scalot_sinkhorn_options *get() const noexcept { return handle_.get(); }

  // An exception thrown by the callback during the last solve, if any (then cleared).
  std::exception_ptr take_callback_exception() const noexcept {
    return progress_ ? std::exchange(progress_->exception, nullptr) : nullptr;
  }

 private:
  std::unique_ptr<scalot_sinkhorn_options, detail::OptionsDeleter> handle_;
  std::shared_ptr<detail::ProgressRelay> progress_;
};

// How Plan::certify sums over every pair (defaults: exact up to 1e9 pairs, 1000 sampled rows above).
class CertifyOptions {
 public:
  CertifyOptions() {
    scalot_certify_options *out = nullptr;
    check(scalot_certify_options_new(&out));
    handle_.reset(out);
  }
  // Exact sums up to `pairs` pairs n * m; 0 always samples.
  CertifyOptions &exact_limit(std::size_t pairs) {
    check(scalot_certify_options_set_exact_limit(get(), pairs));
    return *this;
  }
  CertifyOptions &samples(std::size_t rows, std::uint64_t seed = 0) {
    check(scalot_certify_options_set_samples(get(), rows, seed));
    return *this;
  }
  // As SinkhornOptions::progress, called with (blocks, fraction done) between blocks of rows.
  template <typename F>
  CertifyOptions &progress(F callback) {
    progress_ = std::make_shared<detail::ProgressRelay>(detail::ProgressRelay{std::move(callback), nullptr});
    check(scalot_certify_options_set_progress_callback(get(), &detail::ProgressRelay::trampoline,
                                                       progress_.get()));
    return *this;
  }

  scalot_certify_options *get() const noexcept { return handle_.get(); }

  std::exception_ptr take_callback_exception() const noexcept {
    return progress_ ? std::exchange(progress_->exception, nullptr) : nullptr;
  }

 private:
  std::unique_ptr<scalot_certify_options, detail::CertifyOptionsDeleter> handle_;
  std::shared_ptr<detail::ProgressRelay> progress_;
};

// A solved transport plan. Queries never form the n x m matrix, except to_dense().
class Plan {
 public:
  explicit Plan(scalot_plan *p) : handle_(p) {}

  std::pair<std::size_t, std::size_t> shape() const {
    std::size_t n = 0, m = 0;
    check(scalot_plan_shape(get(), &n, &m));
    return {n, m};
  }
  std::size_t rows() const { return shape().first; }
  std::size_t cols() const { return shape().second; }

  // Whether the stopping rule was met; stop_reason() says why not.
  bool converged() const {
    bool out = false;
    check(scalot_plan_converged(get(), &out));
    return out;
  }
  StopReason stop_reason() const {
    int out = 0;
    check(scalot_plan_stop_reason(get(), &out));
    return static_cast<StopReason>(out);
  }
  // An interval [lower, upper] holding the exact regularised cost of the problem this plan solved, from
  // its potentials against the exact costs (scalot_plan_certify): relative_gap says how far it is.
  scalot_certificate certify(const CertifyOptions *options = nullptr) const {
    scalot_certificate out{};
    const scalot_status status = scalot_plan_certify(get(), options ? options->get() : nullptr, &out);
    if (options) {
      if (std::exception_ptr thrown = options->take_callback_exception()) std::rethrow_exception(thrown);
    }
    check(status);
    return out;
  }
  scalot_certificate certify(const CertifyOptions &options) const { return certify(&options); }
  // The kernel the solve ran on, with what it added (backbone, floor, f64 storage); see info().
  Kernel kernel() const {
    scalot_kernel *out = nullptr;
    check(scalot_plan_kernel(get(), &out));
    return Kernel::adopt(out);
  }
  std::size_t iterations() const {
    std::size_t out = 0;
    check(scalot_plan_iterations(get(), &out));
    return out;
  }
  double marginal_error() const { return scalar(scalot_plan_marginal_error); }
  double transport_cost() const { return scalar(scalot_plan_transport_cost); }
  double regularized_objective() const { return scalar(scalot_plan_regularized_objective); }
  double dual_objective() const { return scalar(scalot_plan_dual_objective); }
  double mass() const { return scalar(scalot_plan_mass); }

  // f (length n) and g (length m), with P_ij = a_i b_j exp((f_i + g_j - C_ij) / eps).
  std::pair<std::vector<double>, std::vector<double>> potentials() const {
    std::vector<double> f(rows()), g(cols());
    check(scalot_plan_potentials(get(), f.data(), f.size(), g.data(), g.size()));
    return {std::move(f), std::move(g)};
  }
  // Row sums P 1 and column sums P^T 1.
  std::pair<std::vector<double>, std::vector<double>> marginals() const {
    std::vector<double> r(rows()), c(cols());
    check(scalot_plan_marginals(get(), r.data(), r.size(), c.data(), c.size()));
    return {std::move(r), std::move(c)};
  }
  // P v, for v of length m.
  std::vector<double> apply(const std::vector<double> &v) const {
    std::vector<double> out(rows());
    check(scalot_plan_apply(get(), v.data(), v.size(), out.data(), out.size()));
    return out;
  }
  // P^T u, for u of length n.
  std::vector<double> apply_transpose(const std::vector<double> &u) const {
    std::vector<double> out(cols());
    check(scalot_plan_apply_transpose(get(), u.data(), u.size(), out.data(), out.size()));
    return out;
  }
  // (P Y)_i / r_i into an n x d buffer in `layout`.
  void barycentric_projection(double *out, std::size_t n, std::size_t d,
                              Layout layout = Layout::RowMajor) const {
    check(scalot_plan_barycentric_projection(get(), out, n, d, static_cast<int>(layout)));
  }
  std::vector<double> barycentric_projection(std::size_t d, Layout layout = Layout::RowMajor) const {
    std::vector<double> out(rows() * d);
    barycentric_projection(out.data(), rows(), d, layout);
    return out;
  }
  // Gradient of the regularised objective with respect to the source points, n x d in `layout`.
  void gradient_x(double *out, std::size_t n, std::size_t d, Layout layout = Layout::RowMajor) const {
    check(scalot_plan_gradient_x(get(), out, n, d, static_cast<int>(layout)));
  }
  std::vector<double> gradient_x(std::size_t d, Layout layout = Layout::RowMajor) const {
    std::vector<double> out(rows() * d);
    gradient_x(out.data(), rows(), d, layout);
    return out;
  }
  // Every entry of P into an n x m buffer in `layout`: n*m memory, for small problems.
  void to_dense(double *out, std::size_t n, std::size_t m, Layout layout = Layout::RowMajor) const {
    check(scalot_plan_to_dense(get(), out, n, m, static_cast<int>(layout)));
  }
  std::vector<double> to_dense(Layout layout = Layout::RowMajor) const {
    auto [n, m] = shape();
    std::vector<double> out(n * m);
    to_dense(out.data(), n, m, layout);
    return out;
  }

  // The k largest entries of every row, row by row and largest first.
  struct Coo {
    std::vector<std::size_t> rows, cols;
    std::vector<double> values;
  };
  Coo top_k(std::size_t k) const {
    const std::size_t len = rows() * k;
    Coo out{std::vector<std::size_t>(len), std::vector<std::size_t>(len), std::vector<double>(len)};
    check(scalot_plan_top_k(get(), k, out.rows.data(), out.cols.data(), out.values.data(), len));
    return out;
  }

  const scalot_plan *get() const noexcept { return handle_.get(); }

 private:
  double scalar(scalot_status (*query)(const scalot_plan *, double *)) const {
    double out = 0.0;
    check(query(get(), &out));
    return out;
  }
  std::unique_ptr<scalot_plan, detail::PlanDeleter> handle_;
};

// Solves between the weights a (length n) and b (length m); empty vectors mean uniform weights.
inline Plan sinkhorn(const Kernel &kernel, const std::vector<double> &a, const std::vector<double> &b,
                     const SinkhornOptions *options = nullptr) {
  const scalot_kernel_properties info = kernel.info();
  scalot_plan *out = nullptr;
  const scalot_status status = scalot_sinkhorn_solve(
      kernel.get(), a.empty() ? nullptr : a.data(), a.empty() ? info.n : a.size(),
      b.empty() ? nullptr : b.data(), b.empty() ? info.m : b.size(),
      options ? options->get() : nullptr, &out);
  if (options) {
    if (std::exception_ptr thrown = options->take_callback_exception()) {
      scalot_plan_free(out);
      std::rethrow_exception(thrown);
    }
  }
  check(status);
  return Plan(out);
}

inline Plan sinkhorn(const Kernel &kernel, const std::vector<double> &a, const std::vector<double> &b,
                     const SinkhornOptions &options) {
  return sinkhorn(kernel, a, b, &options);
}

// An R_rho problem (Charikar et al. 2023) between x (n x d) and y (m x d) with the Euclidean distance.
// Empty weight vectors mean uniform weights; `floor` is the paper's sigma (0 turns it off).
class RrhoProblem {
 public:
  RrhoProblem(const MatrixView &x, const MatrixView &y, double rho, const std::vector<double> &mu = {},
              const std::vector<double> &nu = {}, double floor = SCALOT_RRHO_DEFAULT_FLOOR,
              double granularity = 0.0) {
    detail::same_shape(x, y, "RrhoProblem");
    if ((!mu.empty() && mu.size() != x.rows) || (!nu.empty() && nu.size() != y.rows)) {
      throw std::invalid_argument("RrhoProblem: a weight vector's length differs from its points'");
    }
    scalot_rrho_problem *out = nullptr;
    check(scalot_rrho_problem_new(x.data, x.rows, y.data, y.rows, x.cols, static_cast<int>(x.layout),
                                  mu.empty() ? nullptr : mu.data(), nu.empty() ? nullptr : nu.data(), rho,
                                  floor, granularity, &out));
    handle_.reset(out);
  }

  const scalot_rrho_problem *get() const noexcept { return handle_.get(); }

 private:
  std::unique_ptr<scalot_rrho_problem, detail::RrhoProblemDeleter> handle_;
};

// Options of an R_rho solve; setters validate at once and throw on a bad value.
class RrhoOptions {
 public:
  RrhoOptions() {
    scalot_rrho_options *out = nullptr;
    check(scalot_rrho_options_new(&out));
    handle_.reset(out);
  }

  RrhoOptions &tolerance(double value) {
    check(scalot_rrho_options_set_tolerance(get(), value));
    return *this;
  }
  RrhoOptions &max_passes(std::size_t value) {
    check(scalot_rrho_options_set_max_passes(get(), value));
    return *this;
  }
  // `accuracy` is the tree engine's: far terms within it (relative), near fields of more than
  // ceil(1/accuracy^2) points per row sampled with that many draws (see scalot_rrho_options_set_engine).
  RrhoOptions &engine(RrhoEngine engine, double accuracy = 1e-3) {
    check(scalot_rrho_options_set_engine(get(), static_cast<int>(engine), accuracy));
    return *this;
  }
  // `step` is the sign ascent's lambda.
  RrhoOptions &method(RrhoMethod method, double step = 1e-3) {
    check(scalot_rrho_options_set_method(get(), static_cast<int>(method), step));
    return *this;
  }
  // The vectors are copied; two empty vectors clear the warm start.
  RrhoOptions &warm_start(const std::vector<double> &alpha, const std::vector<double> &beta) {
    check(scalot_rrho_options_set_warm_start(get(), alpha.empty() ? nullptr : alpha.data(), alpha.size(),
                                             beta.empty() ? nullptr : beta.data(), beta.size()));
    return *this;
  }
  // As SinkhornOptions::progress, called with (passes, error) after every pass.
  template <typename F>
  RrhoOptions &progress(F callback) {
    progress_ = std::make_shared<detail::ProgressRelay>(detail::ProgressRelay{std::move(callback), nullptr});
    check(scalot_rrho_options_set_progress_callback(get(), &detail::ProgressRelay::trampoline, progress_.get()));
    return *this;
  }

  scalot_rrho_options *get() const noexcept { return handle_.get(); }

  std::exception_ptr take_callback_exception() const noexcept {
    return progress_ ? std::exchange(progress_->exception, nullptr) : nullptr;
  }

 private:
  std::unique_ptr<scalot_rrho_options, detail::RrhoOptionsDeleter> handle_;
  std::shared_ptr<detail::ProgressRelay> progress_;
};

// A solved R_rho problem: value, certificate, potentials and the implicit plan gamma.
class RrhoSolution {
 public:
  explicit RrhoSolution(scalot_rrho_solution *s) : handle_(s) {}

  scalot_rrho_summary summary() const {
    scalot_rrho_summary out{};
    check(scalot_rrho_solution_summary(get(), &out));
    return out;
  }
  double value() const { return summary().value; }

  // alpha (length n) and beta (length m).
  std::pair<std::vector<double>, std::vector<double>> potentials() const {
    auto [n, m] = shape();
    std::vector<double> alpha(n), beta(m);
    check(scalot_rrho_solution_potentials(get(), alpha.data(), n, beta.data(), m));
    return {std::move(alpha), std::move(beta)};
  }
  // gamma 1 and gamma^T 1.
  std::pair<std::vector<double>, std::vector<double>> marginals() const {
    auto [n, m] = shape();
    std::vector<double> r(n), c(m);
    check(scalot_rrho_solution_marginals(get(), r.data(), n, c.data(), m));
    return {std::move(r), std::move(c)};
  }
  std::vector<double> apply(const std::vector<double> &v) const {
    std::vector<double> out(shape().first);
    check(scalot_rrho_solution_apply(get(), v.data(), v.size(), out.data(), out.size()));
    return out;
  }
  std::vector<double> apply_transpose(const std::vector<double> &u) const {
    std::vector<double> out(shape().second);
    check(scalot_rrho_solution_apply_transpose(get(), u.data(), u.size(), out.data(), out.size()));
    return out;
  }
  Plan::Coo top_k(std::size_t k) const {
    const std::size_t len = shape().first * k;
    Plan::Coo out{std::vector<std::size_t>(len), std::vector<std::size_t>(len), std::vector<double>(len)};
    check(scalot_rrho_solution_top_k(get(), k, out.rows.data(), out.cols.data(), out.values.data(), len));
    return out;
  }

  // (n, m).
  std::pair<std::size_t, std::size_t> shape() const {
    const scalot_rrho_summary s = summary();
    return {s.n, s.m};
  }

  const scalot_rrho_solution *get() const noexcept { return handle_.get(); }

 private:
  std::unique_ptr<scalot_rrho_solution, detail::RrhoSolutionDeleter> handle_;
};

// Solves `problem`; `options` may be null for the defaults.
inline RrhoSolution rrho(const RrhoProblem &problem, const RrhoOptions *options = nullptr) {
  scalot_rrho_solution *out = nullptr;
  const scalot_status status = scalot_rrho_solve(problem.get(), options ? options->get() : nullptr, &out);
  if (options) {
    if (std::exception_ptr thrown = options->take_callback_exception()) {
      scalot_rrho_solution_free(out);
      std::rethrow_exception(thrown);
    }
  }
  check(status);
  return RrhoSolution(out);
}

inline RrhoSolution rrho(const RrhoProblem &problem, const RrhoOptions &options) {
  return rrho(problem, &options);
}

// Options of a Wasserstein-Procrustes alignment (defaults: the LCN paper's protocol, dense f32 kernel,
// epsilon 0.05, 10 Sinkhorn iterations per step, 300 steps, learning rate 500 halved every 100 steps,
// identity start). Setters validate at once and throw on a bad value.
class AlignOptions {
 public:
  AlignOptions() {
    scalot_align_options *out = nullptr;
    check(scalot_align_options_new(&out));
    handle_.reset(out);
  }

  // The kernel of every step; `landmarks` and `pairs` are copied (null: the paper's settings).
  AlignOptions &kernel(AlignKernel kind, DenseMode mode = DenseMode::StoredF32,
                       const NystromOptions *landmarks = nullptr, const SparseOptions *pairs = nullptr) {
    check(scalot_align_options_set_kernel(get(), static_cast<int>(kind), static_cast<int>(mode),
                                          landmarks ? landmarks->get() : nullptr, pairs ? pairs->get() : nullptr));
    return *this;
  }
  AlignOptions &epsilon(double value) {
    check(scalot_align_options_set_epsilon(get(), value));
    return *this;
  }
  AlignOptions &sinkhorn_iterations(std::size_t value) {
    check(scalot_align_options_set_sinkhorn_iterations(get(), value));
    return *this;
  }
  AlignOptions &steps(std::size_t value) {
    check(scalot_align_options_set_steps(get(), value));
    steps_ = value;
    return *this;
  }
  AlignOptions &learning_rate(double rate, double decay = 0.5, std::size_t every = 100) {
    check(scalot_align_options_set_learning_rate(get(), rate, decay, every));
    return *this;
  }
  // An orthogonal d x d start, copied.
  AlignOptions &initial_rotation(const MatrixView &rotation) {
    if (rotation.rows != rotation.cols) throw std::invalid_argument("initial_rotation: the rotation must be square");
    check(scalot_align_options_set_initial_rotation(get(), rotation.data, rotation.rows,
                                                    static_cast<int>(rotation.layout)));
    return *this;
  }
  // The Procrustes fit on known (source, target) index pairs as the start, copied.
  AlignOptions &seed_pairs(const std::vector<std::size_t> &source, const std::vector<std::size_t> &target) {
    if (source.size() != target.size()) throw std::invalid_argument("seed_pairs: source and target differ in length");
    check(scalot_align_options_set_seed_pairs(get(), source.data(), target.data(), source.size()));
    return *this;
  }
  // Called with (steps done, the step's transport cost) after every step; false cancels.
  template <typename F>
  AlignOptions &progress(F callback) {
    progress_ = std::make_shared<detail::ProgressRelay>(detail::ProgressRelay{std::move(callback), nullptr});
    check(scalot_align_options_set_progress_callback(get(), &detail::ProgressRelay::trampoline, progress_.get()));
    return *this;
  }

  scalot_align_options *get() const noexcept { return handle_.get(); }
  std::size_t step_count() const noexcept { return steps_; }

  std::exception_ptr take_callback_exception() const noexcept {
    return progress_ ? std::exchange(progress_->exception, nullptr) : nullptr;
  }

 private:
  std::unique_ptr<scalot_align_options, detail::AlignOptionsDeleter> handle_;
  std::shared_ptr<detail::ProgressRelay> progress_;
  std::size_t steps_ = 300;
};

// An alignment: R (d x d in the points' layout, x ~ R y), the transport cost at the start and after every step, and
// the plan between X and Y R^T at the final R.
struct Alignment {
  std::vector<double> rotation;
  std::vector<double> objectives;
  Plan plan;
};

// Aligns y onto x (both n x d / m x d views in one layout); see scalot_align.
inline Alignment align(const MatrixView &x, const MatrixView &y, const AlignOptions &options = AlignOptions()) {
  detail::same_shape(x, y, "align");
  const std::size_t d = x.cols;
  std::vector<double> rotation(d * d), objectives(options.step_count() + 1);
  scalot_plan *plan = nullptr;
  const scalot_status status =
      scalot_align(x.data, x.rows, y.data, y.rows, d, static_cast<int>(x.layout), options.get(), rotation.data(),
                   objectives.data(), objectives.size(), &plan);
  if (std::exception_ptr thrown = options.take_callback_exception()) {
    scalot_plan_free(plan);
    std::rethrow_exception(thrown);
  }
  check(status);
  return Alignment{std::move(rotation), std::move(objectives), Plan(plan)};
}

// NN and CSLS precision@1 of retrieving y from x after mapping y by `rotation` (d x d in the points'
// layout, as align returns it), over known pairs.
inline scalot_retrieval retrieval_precision(const MatrixView &x, const MatrixView &y, const std::vector<double> &rotation,
                                            const std::vector<std::size_t> &source,
                                            const std::vector<std::size_t> &target, std::size_t k = 10) {
  detail::same_shape(x, y, "retrieval_precision");
  if (source.size() != target.size()) throw std::invalid_argument("retrieval_precision: source and target differ in length");
  if (rotation.size() != x.cols * x.cols) throw std::invalid_argument("retrieval_precision: rotation is not d x d");
  scalot_retrieval out{};
  check(scalot_retrieval_precision(x.data, x.rows, y.data, y.rows, x.cols, static_cast<int>(x.layout), rotation.data(),
                                   source.data(), target.data(), source.size(), k, &out));
  return out;
}

}  // namespace scalot

#endif  // SCALOT_HPP
