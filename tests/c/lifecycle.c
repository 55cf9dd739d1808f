/* The whole C lifecycle against a fixture: kernel, options, solve, every plan query, and the error paths.
 * Built with -Wall -Wextra -Werror and linked once against libscalot.a and once against libscalot.so. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scalot.h"
#include "fixture_case.h"
#include "rrho_case.h"

static int passed = 0;
static int failed = 0;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
        }                                                                  \
    } while (0)

static double rel(double found, double expected) { return fabs(found - expected) / fabs(expected); }

/* A failing call returns `status` and its message mentions `arg`. */
static void expect_error(scalot_status found, scalot_status status, const char *arg, const char *what) {
    const char *message = scalot_last_error_message();
    CHECK(found == status, "%s: status %s, expected %s (%s)", what, scalot_status_name(found), scalot_status_name(status), message);
    CHECK(strstr(message, arg) != NULL, "%s: message \"%s\" does not name %s", what, message, arg);
}

static int cancel_at_three(void *user_data, size_t iteration, double error) {
    (void)error;
    *(size_t *)user_data = iteration;
    return iteration >= 3;
}

static scalot_plan *solve_fixture(int layout, int mode) {
    double x[FIXTURE_N * FIXTURE_D], y[FIXTURE_M * FIXTURE_D];
    for (size_t i = 0; i < FIXTURE_N; i++)
        for (size_t k = 0; k < FIXTURE_D; k++)
            x[layout == SCALOT_LAYOUT_ROW_MAJOR ? i * FIXTURE_D + k : k * FIXTURE_N + i] = FIXTURE_X[i * FIXTURE_D + k];
    for (size_t j = 0; j < FIXTURE_M; j++)
        for (size_t k = 0; k < FIXTURE_D; k++)
            y[layout == SCALOT_LAYOUT_ROW_MAJOR ? j * FIXTURE_D + k : k * FIXTURE_M + j] = FIXTURE_Y[j * FIXTURE_D + k];

    scalot_kernel *kernel = NULL;
    scalot_status status = scalot_kernel_dense_new(x, FIXTURE_N, y, FIXTURE_M, FIXTURE_D, layout, SCALOT_COST_SQ_EUCLIDEAN,
                                                   FIXTURE_EPS, mode, &kernel);
    CHECK(status == SCALOT_STATUS_OK, "kernel: %s", scalot_last_error_message());
    scalot_sinkhorn_options *options = NULL;
    CHECK(scalot_sinkhorn_options_new(&options) == SCALOT_STATUS_OK, "options");
    CHECK(scalot_sinkhorn_options_set_tolerance(options, 1e-12) == SCALOT_STATUS_OK, "tolerance");
    CHECK(scalot_sinkhorn_options_set_max_iterations(options, 100000) == SCALOT_STATUS_OK, "max iterations");
    scalot_plan *plan = NULL;
    status = scalot_sinkhorn_solve(kernel, FIXTURE_A, FIXTURE_N, FIXTURE_B, FIXTURE_M, options, &plan);
    CHECK(status == SCALOT_STATUS_OK, "solve: %s", scalot_last_error_message());
    /* The plan keeps its kernel alive: freeing the caller's handles first is fine. */
    scalot_kernel_free(kernel);
    scalot_sinkhorn_options_free(options);
    return plan;
}

static void check_plan(scalot_plan *plan, const char *what) {
    bool converged = false;
    double cost = 0, objective = 0, dual = 0, mass = 0;
    CHECK(scalot_plan_converged(plan, &converged) == SCALOT_STATUS_OK && converged, "%s: converged", what);
    CHECK(scalot_plan_transport_cost(plan, &cost) == SCALOT_STATUS_OK, "%s: cost", what);
    CHECK(rel(cost, FIXTURE_TRANSPORT_COST) < 1e-6, "%s: cost %.17g vs %.17g", what, cost, FIXTURE_TRANSPORT_COST);
    CHECK(scalot_plan_regularized_objective(plan, &objective) == SCALOT_STATUS_OK, "%s: objective", what);
    CHECK(rel(objective, FIXTURE_REG_OT) < 1e-6, "%s: objective %.17g vs %.17g", what, objective, FIXTURE_REG_OT);
    CHECK(scalot_plan_dual_objective(plan, &dual) == SCALOT_STATUS_OK && rel(dual, FIXTURE_REG_OT) < 1e-6, "%s: dual", what);
    CHECK(scalot_plan_mass(plan, &mass) == SCALOT_STATUS_OK && fabs(mass - 1.0) < 1e-9, "%s: mass %g", what, mass);
    scalot_certificate certificate;
    CHECK(scalot_plan_certify(plan, NULL, &certificate) == SCALOT_STATUS_OK, "%s: certify: %s", what, scalot_last_error_message());
    CHECK(certificate.lower <= FIXTURE_REG_OT * (1 + 1e-9) && FIXTURE_REG_OT <= certificate.upper * (1 + 1e-9) &&
              certificate.relative_gap < 1e-8 && certificate.sampled_rows == 0,
          "%s: certificate [%.17g, %.17g] around %.17g", what, certificate.lower, certificate.upper, FIXTURE_REG_OT);

    double f[FIXTURE_N], g[FIXTURE_M];
    CHECK(scalot_plan_potentials(plan, f, FIXTURE_N, g, FIXTURE_M) == SCALOT_STATUS_OK, "%s: potentials", what);
    for (size_t i = 0; i < FIXTURE_N; i++)
        CHECK(fabs(f[i] - FIXTURE_F[i]) < 1e-6 * FIXTURE_EPS, "%s: f[%zu] %.17g vs %.17g", what, i, f[i], FIXTURE_F[i]);
    for (size_t j = 0; j < FIXTURE_M; j++)
        CHECK(fabs(g[j] - FIXTURE_G[j]) < 1e-6 * FIXTURE_EPS, "%s: g[%zu]", what, j);

    double rows[FIXTURE_N], cols[FIXTURE_M], ones[FIXTURE_M], applied[FIXTURE_N];
    CHECK(scalot_plan_marginals(plan, rows, FIXTURE_N, cols, FIXTURE_M) == SCALOT_STATUS_OK, "%s: marginals", what);
    for (size_t j = 0; j < FIXTURE_M; j++) ones[j] = 1.0;
    CHECK(scalot_plan_apply(plan, ones, FIXTURE_M, applied, FIXTURE_N) == SCALOT_STATUS_OK, "%s: apply", what);
    for (size_t i = 0; i < FIXTURE_N; i++) {
        CHECK(fabs(rows[i] - FIXTURE_A[i]) < 1e-10, "%s: row marginal %zu", what, i);
        CHECK(fabs(applied[i] - rows[i]) < 1e-14, "%s: P 1 = row marginal at %zu", what, i);
    }

    double dense[FIXTURE_N * FIXTURE_M];
    CHECK(scalot_plan_to_dense(plan, dense, FIXTURE_N, FIXTURE_M, SCALOT_LAYOUT_ROW_MAJOR) == SCALOT_STATUS_OK, "%s: dense", what);
    size_t top_rows[FIXTURE_N * 2], top_cols[FIXTURE_N * 2];
    double top_values[FIXTURE_N * 2];
    CHECK(scalot_plan_top_k(plan, 2, top_rows, top_cols, top_values, FIXTURE_N * 2) == SCALOT_STATUS_OK, "%s: top-k", what);
    for (size_t i = 0; i < FIXTURE_N; i++) {
        double largest = 0;
        for (size_t j = 0; j < FIXTURE_M; j++) largest = fmax(largest, dense[i * FIXTURE_M + j]);
        CHECK(top_rows[2 * i] == i && top_values[2 * i] == largest, "%s: top-1 of row %zu", what, i);
        CHECK(top_values[2 * i + 1] <= top_values[2 * i], "%s: top-k order in row %zu", what, i);
        CHECK(dense[i * FIXTURE_M + top_cols[2 * i + 1]] == top_values[2 * i + 1], "%s: top-2 entry of row %zu", what, i);
    }

    double gradient[FIXTURE_N * FIXTURE_D], projection[FIXTURE_N * FIXTURE_D];
    CHECK(scalot_plan_gradient_x(plan, gradient, FIXTURE_N, FIXTURE_D, SCALOT_LAYOUT_ROW_MAJOR) == SCALOT_STATUS_OK, "%s: gradient", what);
    CHECK(scalot_plan_barycentric_projection(plan, projection, FIXTURE_N, FIXTURE_D, SCALOT_LAYOUT_ROW_MAJOR) == SCALOT_STATUS_OK,
          "%s: projection", what);
    for (size_t i = 0; i < FIXTURE_N; i++)
        for (size_t k = 0; k < FIXTURE_D; k++) {
            double expected = 2.0 * rows[i] * (FIXTURE_X[i * FIXTURE_D + k] - projection[i * FIXTURE_D + k]);
            CHECK(fabs(gradient[i * FIXTURE_D + k] - expected) < 1e-10, "%s: gradient = 2 r (x - T(x)) at %zu", what, i);
        }
}

static void check_errors(void) {
    scalot_kernel *kernel = NULL;
    double x[4] = {0, 1, 2, 3}, bad[4] = {0, NAN, 2, 3};
    expect_error(scalot_kernel_dense_new(NULL, 2, x, 2, 2, 0, 0, 1.0, 0, &kernel), SCALOT_STATUS_NULL_POINTER, "x", "NULL x");
    expect_error(scalot_kernel_dense_new(x, 0, x, 2, 2, 0, 0, 1.0, 0, &kernel), SCALOT_STATUS_EMPTY_INPUT, "n", "n = 0");
    expect_error(scalot_kernel_dense_new(x, 2, bad, 2, 2, 0, 0, 1.0, 0, &kernel), SCALOT_STATUS_NON_FINITE, "y", "NaN in y");
    expect_error(scalot_kernel_dense_new(x, 2, x, 2, 2, 0, 0, -1.0, 0, &kernel), SCALOT_STATUS_INVALID_ARGUMENT, "epsilon", "eps < 0");
    expect_error(scalot_kernel_dense_new(x, 2, x, 2, 2, 7, 0, 1.0, 0, &kernel), SCALOT_STATUS_INVALID_ARGUMENT, "layout", "layout");
    expect_error(scalot_kernel_dense_new(x, (size_t)-1, x, 2, 2, 0, 0, 1.0, 0, &kernel), SCALOT_STATUS_SIZE_OVERFLOW, "x", "n*d overflow");
    CHECK(kernel == NULL, "no kernel is written on failure");

    CHECK(scalot_kernel_dense_new(x, 2, x, 2, 2, 0, 0, 1.0, 0, &kernel) == SCALOT_STATUS_OK, "small kernel");
    scalot_plan *plan = NULL;
    double a[2] = {0.5, 0.5}, heavy[2] = {1.0, 1.0}, negative[2] = {1.5, -0.5};
    expect_error(scalot_sinkhorn_solve(kernel, a, 2, heavy, 2, NULL, &plan), SCALOT_STATUS_MASS_MISMATCH, "mass", "masses");
    expect_error(scalot_sinkhorn_solve(kernel, a, 2, negative, 2, NULL, &plan), SCALOT_STATUS_NEGATIVE_WEIGHT, "b", "negative b");
    expect_error(scalot_sinkhorn_solve(kernel, a, 3, a, 2, NULL, &plan), SCALOT_STATUS_DIMENSION_MISMATCH, "n", "n vs kernel");

    scalot_kernel_free(kernel);
    /* A problem that needs many iterations, so the callback sees iteration 3. */
    CHECK(scalot_kernel_dense_new(FIXTURE_X, FIXTURE_N, FIXTURE_Y, FIXTURE_M, FIXTURE_D, SCALOT_LAYOUT_ROW_MAJOR,
                                  SCALOT_COST_SQ_EUCLIDEAN, FIXTURE_EPS * 0.01, SCALOT_DENSE_MODE_STORED_F32, &kernel) == SCALOT_STATUS_OK,
          "fixture kernel");
    scalot_sinkhorn_options *options = NULL;
    size_t last_iteration = 0;
    CHECK(scalot_sinkhorn_options_new(&options) == SCALOT_STATUS_OK, "options");
    expect_error(scalot_sinkhorn_options_set_tolerance(options, 0.0), SCALOT_STATUS_INVALID_ARGUMENT, "tolerance", "tolerance 0");
    CHECK(scalot_sinkhorn_options_set_tolerance(options, 1e-300) == SCALOT_STATUS_OK, "tiny tolerance");
    CHECK(scalot_sinkhorn_options_set_progress_callback(options, cancel_at_three, &last_iteration) == SCALOT_STATUS_OK, "callback");
    expect_error(scalot_sinkhorn_solve(kernel, NULL, FIXTURE_N, NULL, FIXTURE_M, options, &plan), SCALOT_STATUS_CANCELLED, "cancelled", "cancel");
    CHECK(last_iteration == 3 && plan == NULL, "cancelled at iteration %zu", last_iteration);
    scalot_sinkhorn_options_free(options);
    scalot_kernel_free(kernel);

    scalot_kernel_free(NULL);
    scalot_plan_free(NULL);
    scalot_sinkhorn_options_free(NULL);
    CHECK(strcmp(scalot_status_name(SCALOT_STATUS_PANIC), "SCALOT_STATUS_PANIC") == 0, "status name");
    CHECK(strcmp(scalot_status_name(999), "SCALOT_STATUS_UNKNOWN") == 0, "unknown status name");
}

/* Nystrom and LCN kernels with their defaults (NULL options) solve the fixture; their options refuse bad
 * values; every handle is released (valgrind checks). */
static void check_approximate_kernels(void) {
    scalot_kernel *nystrom = NULL, *lcn = NULL;
    scalot_nystrom_options *landmarks = NULL;
    scalot_sparse_options *pairs = NULL;
    CHECK(scalot_nystrom_options_new(&landmarks) == SCALOT_STATUS_OK, "nystrom options");
    CHECK(scalot_sparse_options_new(&pairs) == SCALOT_STATUS_OK, "sparse options");
    expect_error(scalot_nystrom_options_set_landmarks(landmarks, 0, SCALOT_LANDMARK_RULE_UNIFORM, 0),
                 SCALOT_STATUS_INVALID_ARGUMENT, "landmarks", "0 landmarks");
    expect_error(scalot_nystrom_options_set_landmarks(landmarks, 4, 9, 0), SCALOT_STATUS_INVALID_ARGUMENT, "rule", "rule 9");
    CHECK(scalot_nystrom_options_set_landmarks(landmarks, 4, SCALOT_LANDMARK_RULE_PIVOTED, 0) == SCALOT_STATUS_OK,
          "pivoted landmarks");
    expect_error(scalot_nystrom_options_set_inverse(landmarks, SCALOT_INVERSE_CHOLESKY, 2.0), SCALOT_STATUS_INVALID_ARGUMENT,
                 "tolerance", "jitter 2");
    expect_error(scalot_sparse_options_set_lsh(pairs, 0, 1, 1), SCALOT_STATUS_INVALID_ARGUMENT, "buckets", "0 buckets");
    expect_error(scalot_sparse_options_set_lsh(pairs, 5, 1, 1), SCALOT_STATUS_INVALID_ARGUMENT, "buckets", "odd buckets");
    expect_error(scalot_sparse_options_set_hierarchical_kmeans(pairs, NULL, 2, 1, 1), SCALOT_STATUS_NULL_POINTER, "branching",
                 "NULL branching");
    size_t branching[2] = {2, 0};
    expect_error(scalot_sparse_options_set_hierarchical_kmeans(pairs, branching, 2, 1, 1), SCALOT_STATUS_INVALID_ARGUMENT,
                 "branching", "a level of 0 clusters");

    CHECK(scalot_kernel_nystrom_new(FIXTURE_X, FIXTURE_N, FIXTURE_Y, FIXTURE_M, FIXTURE_D, SCALOT_LAYOUT_ROW_MAJOR,
                                    SCALOT_COST_SQ_EUCLIDEAN, FIXTURE_EPS, NULL, &nystrom) == SCALOT_STATUS_OK,
          "nystrom kernel, defaults: %s", scalot_last_error_message());
    CHECK(scalot_kernel_lcn_new(FIXTURE_X, FIXTURE_N, FIXTURE_Y, FIXTURE_M, FIXTURE_D, SCALOT_LAYOUT_ROW_MAJOR,
                                SCALOT_COST_SQ_EUCLIDEAN, FIXTURE_EPS, NULL, NULL, &lcn) == SCALOT_STATUS_OK,
          "lcn kernel, defaults: %s", scalot_last_error_message());
    scalot_kernel_properties info;
    CHECK(scalot_kernel_info(nystrom, &info) == SCALOT_STATUS_OK && info.kind == SCALOT_KERNEL_KIND_NYSTROM &&
              info.landmarks == FIXTURE_N + FIXTURE_M,
          "nystrom defaults use every point of a small problem");
    CHECK(scalot_kernel_info(lcn, &info) == SCALOT_STATUS_OK && info.kind == SCALOT_KERNEL_KIND_LCN && info.landmarks == 20,
          "lcn defaults: the paper's 20 landmarks");
    scalot_plan *plan = NULL;
    CHECK(scalot_sinkhorn_solve(nystrom, FIXTURE_A, FIXTURE_N, FIXTURE_B, FIXTURE_M, NULL, &plan) == SCALOT_STATUS_OK,
          "nystrom solve: %s", scalot_last_error_message());
    double cost = 0;
    CHECK(scalot_plan_transport_cost(plan, &cost) == SCALOT_STATUS_OK && fabs(cost - FIXTURE_TRANSPORT_COST) < 1e-4 * FIXTURE_TRANSPORT_COST,
          "nystrom on every point: cost %g vs %g", cost, FIXTURE_TRANSPORT_COST);
    scalot_plan_free(plan);
    expect_error(scalot_kernel_lcn_new(FIXTURE_X, FIXTURE_N, NULL, FIXTURE_M, FIXTURE_D, SCALOT_LAYOUT_ROW_MAJOR,
                                       SCALOT_COST_SQ_EUCLIDEAN, FIXTURE_EPS, landmarks, pairs, &lcn),
                 SCALOT_STATUS_NULL_POINTER, "y", "NULL y");
    scalot_kernel_free(nystrom);
    scalot_kernel_free(lcn);
    scalot_nystrom_options_free(landmarks);
    scalot_sparse_options_free(pairs);
    scalot_nystrom_options_free(NULL);
}

/* A sparse solve always answers: coverage gives an outlier its nearest partners, and a balanced solve adds
 * a transport backbone that the plan's kernel reports; without either, the outlier's row names itself. */
static void check_sparse_coverage_and_backbone(void) {
    double x[FIXTURE_N * FIXTURE_D];
    memcpy(x, FIXTURE_X, sizeof x);
    for (size_t k = 0; k < FIXTURE_D; k++) x[2 * FIXTURE_D + k] += 100.0; /* row 2 far from every target */
    scalot_sparse_options *pairs = NULL;
    CHECK(scalot_sparse_options_new(&pairs) == SCALOT_STATUS_OK, "sparse options");
    CHECK(scalot_sparse_options_set_truncation(pairs, 2.0) == SCALOT_STATUS_OK, "truncation");
    expect_error(scalot_sparse_options_set_backbone(pairs, 2), SCALOT_STATUS_INVALID_ARGUMENT, "enabled", "backbone 2");
    expect_error(scalot_sparse_options_set_coverage(NULL, 1), SCALOT_STATUS_NULL_POINTER, "options", "NULL options");
    scalot_kernel *kernel = NULL, *solved_on = NULL;
    scalot_plan *plan = NULL;
    CHECK(scalot_kernel_sparse_new(x, FIXTURE_N, FIXTURE_Y, FIXTURE_M, FIXTURE_D, SCALOT_LAYOUT_ROW_MAJOR,
                                   SCALOT_COST_SQ_EUCLIDEAN, FIXTURE_EPS, pairs, &kernel) == SCALOT_STATUS_OK,
          "sparse kernel: %s", scalot_last_error_message());
    CHECK(scalot_sinkhorn_solve(kernel, FIXTURE_A, FIXTURE_N, FIXTURE_B, FIXTURE_M, NULL, &plan) == SCALOT_STATUS_OK,
          "covered solve: %s", scalot_last_error_message());
    int reason = -1;
    CHECK(scalot_plan_stop_reason(plan, &reason) == SCALOT_STATUS_OK && reason == SCALOT_STOP_REASON_CONVERGED,
          "stop reason %d", reason);
    scalot_kernel_properties given, used;
    CHECK(scalot_plan_kernel(plan, &solved_on) == SCALOT_STATUS_OK, "plan kernel");
    CHECK(scalot_kernel_info(kernel, &given) == SCALOT_STATUS_OK && scalot_kernel_info(solved_on, &used) == SCALOT_STATUS_OK,
          "kernel info");
    CHECK(given.added_pairs > 0 && used.added_pairs > given.added_pairs && used.nnz > given.nnz,
          "coverage %zu, then the backbone: %zu added pairs", given.added_pairs, used.added_pairs);
    scalot_plan_free(plan);
    plan = NULL;
    scalot_kernel_free(solved_on);
    scalot_kernel_free(kernel);

    CHECK(scalot_sparse_options_set_coverage(pairs, 0) == SCALOT_STATUS_OK, "coverage 0");
    CHECK(scalot_sparse_options_set_backbone(pairs, 0) == SCALOT_STATUS_OK, "backbone off");
    CHECK(scalot_kernel_sparse_new(x, FIXTURE_N, FIXTURE_Y, FIXTURE_M, FIXTURE_D, SCALOT_LAYOUT_ROW_MAJOR,
                                   SCALOT_COST_SQ_EUCLIDEAN, FIXTURE_EPS, pairs, &kernel) == SCALOT_STATUS_OK,
          "uncovered sparse kernel");
    expect_error(scalot_sinkhorn_solve(kernel, FIXTURE_A, FIXTURE_N, FIXTURE_B, FIXTURE_M, NULL, &plan),
                 SCALOT_STATUS_NUMERICAL_FAILURE, "row 2 ", "an uncovered row");
    CHECK(plan == NULL, "no plan on failure");
    scalot_kernel_free(kernel);

    /* Certificates: bad options, and a sampled estimate of a capped solve's wider interval. */
    scalot_certify_options *certify = NULL;
    scalot_certificate certificate;
    CHECK(scalot_certify_options_new(&certify) == SCALOT_STATUS_OK, "certify options");
    expect_error(scalot_certify_options_set_samples(certify, 0, 1), SCALOT_STATUS_INVALID_ARGUMENT, "rows", "0 sampled rows");
    CHECK(scalot_certify_options_set_exact_limit(certify, 0) == SCALOT_STATUS_OK, "always sample");
    CHECK(scalot_certify_options_set_samples(certify, 4, 1) == SCALOT_STATUS_OK, "4 rows");
    CHECK(scalot_certify_options_set_progress_callback(certify, NULL, NULL) == SCALOT_STATUS_OK, "no callback");
    expect_error(scalot_plan_certify(NULL, certify, &certificate), SCALOT_STATUS_NULL_POINTER, "plan", "NULL plan");

    /* A solve cut short says so. */
    scalot_sinkhorn_options *options = NULL;
    CHECK(scalot_sinkhorn_options_new(&options) == SCALOT_STATUS_OK, "options");
    CHECK(scalot_sinkhorn_options_set_max_iterations(options, 2) == SCALOT_STATUS_OK, "2 iterations");
    CHECK(scalot_kernel_dense_new(FIXTURE_X, FIXTURE_N, FIXTURE_Y, FIXTURE_M, FIXTURE_D, SCALOT_LAYOUT_ROW_MAJOR,
                                  SCALOT_COST_SQ_EUCLIDEAN, FIXTURE_EPS, SCALOT_DENSE_MODE_STORED_F64, &kernel) == SCALOT_STATUS_OK,
          "dense kernel");
    CHECK(scalot_sinkhorn_solve(kernel, FIXTURE_A, FIXTURE_N, FIXTURE_B, FIXTURE_M, options, &plan) == SCALOT_STATUS_OK,
          "short solve");
    CHECK(scalot_plan_stop_reason(plan, &reason) == SCALOT_STATUS_OK && reason == SCALOT_STOP_REASON_ITERATION_LIMIT,
          "stop reason of a capped solve %d", reason);
    CHECK(scalot_plan_certify(plan, certify, &certificate) == SCALOT_STATUS_OK && certificate.sampled_rows == 4 &&
              certificate.lower_error >= 0 && certificate.upper_error >= 0,
          "a sampled certificate of a capped solve: %s", scalot_last_error_message());
    expect_error(scalot_plan_certify(plan, certify, NULL), SCALOT_STATUS_NULL_POINTER, "out", "NULL certificate");
    scalot_certify_options_free(certify);
    expect_error(scalot_plan_stop_reason(plan, NULL), SCALOT_STATUS_NULL_POINTER, "out", "NULL stop reason");
    expect_error(scalot_plan_kernel(NULL, &solved_on), SCALOT_STATUS_NULL_POINTER, "plan", "NULL plan");
    scalot_plan_free(plan);
    scalot_kernel_free(kernel);
    scalot_sinkhorn_options_free(options);
    scalot_sparse_options_free(pairs);
}

static void check_rrho(void) {
    scalot_rrho_problem *problem = NULL;
    scalot_rrho_options *options = NULL;
    scalot_rrho_solution *solution = NULL;
    CHECK(scalot_rrho_problem_new(RRHO_X, RRHO_N, RRHO_Y, RRHO_M, RRHO_D, SCALOT_LAYOUT_ROW_MAJOR, RRHO_MU, RRHO_NU, 1.5, 0.0,
                                  0.0, &problem) == SCALOT_STATUS_OK,
          "rrho problem: %s", scalot_last_error_message());
    CHECK(scalot_rrho_options_new(&options) == SCALOT_STATUS_OK, "rrho options");
    CHECK(scalot_rrho_options_set_tolerance(options, 1e-10) == SCALOT_STATUS_OK, "rrho tolerance");
    CHECK(scalot_rrho_options_set_max_passes(options, 100000) == SCALOT_STATUS_OK, "rrho passes");
    CHECK(scalot_rrho_solve(problem, options, &solution) == SCALOT_STATUS_OK, "rrho solve: %s", scalot_last_error_message());
    scalot_rrho_summary summary;
    CHECK(scalot_rrho_solution_summary(solution, &summary) == SCALOT_STATUS_OK && summary.converged, "rrho summary");
    CHECK(rel(summary.value, RRHO_VALUE_AT_1_5) < 1e-5, "rrho value %.10g vs %.10g", summary.value, RRHO_VALUE_AT_1_5);
    CHECK(summary.value <= RRHO_VALUE_AT_1_5 * (1 + 1e-9) && RRHO_VALUE_AT_1_5 <= summary.upper_bound * (1 + 1e-9) &&
              summary.value >= RRHO_EMD,
          "rrho bounds [%g, %g]", summary.value, summary.upper_bound);
    double rows[RRHO_N], cols[RRHO_M], ones[RRHO_M], applied[RRHO_N], alpha[RRHO_N], beta[RRHO_M];
    for (size_t j = 0; j < RRHO_M; j++) ones[j] = 1.0;
    CHECK(scalot_rrho_solution_marginals(solution, rows, RRHO_N, cols, RRHO_M) == SCALOT_STATUS_OK, "rrho marginals");
    CHECK(scalot_rrho_solution_apply(solution, ones, RRHO_M, applied, RRHO_N) == SCALOT_STATUS_OK, "rrho apply");
    for (size_t i = 0; i < RRHO_N; i++) {
        CHECK(fabs(rows[i] - RRHO_MU[i]) < 1e-8 && fabs(applied[i] - rows[i]) < 1e-14, "rrho row %zu", i);
    }
    CHECK(scalot_rrho_solution_potentials(solution, alpha, RRHO_N, beta, RRHO_M) == SCALOT_STATUS_OK, "rrho potentials");
    size_t top_rows[RRHO_N], top_cols[RRHO_N];
    double top_values[RRHO_N];
    CHECK(scalot_rrho_solution_top_k(solution, 1, top_rows, top_cols, top_values, RRHO_N) == SCALOT_STATUS_OK, "rrho top 1");
    expect_error(scalot_rrho_solution_top_k(solution, 0, top_rows, top_cols, top_values, RRHO_N), SCALOT_STATUS_INVALID_ARGUMENT,
                 "k", "rrho top 0");
    expect_error(scalot_rrho_solution_apply_transpose(solution, ones, RRHO_M, cols, RRHO_M), SCALOT_STATUS_DIMENSION_MISMATCH,
                 "n", "rrho transpose with m");

    /* Cancellation at the third pass, then warm-started from the solution: it is already converged. */
    size_t last_pass = 0;
    CHECK(scalot_rrho_options_set_progress_callback(options, cancel_at_three, &last_pass) == SCALOT_STATUS_OK, "rrho callback");
    scalot_rrho_solution *cancelled = NULL;
    expect_error(scalot_rrho_solve(problem, options, &cancelled), SCALOT_STATUS_CANCELLED, "cancelled", "rrho cancel");
    CHECK(cancelled == NULL && last_pass == 4, "a cancelled rrho solve writes no solution (pass %zu)", last_pass);
    CHECK(scalot_rrho_options_set_progress_callback(options, NULL, NULL) == SCALOT_STATUS_OK, "rrho no callback");
    CHECK(scalot_rrho_options_set_warm_start(options, alpha, RRHO_N, beta, RRHO_M) == SCALOT_STATUS_OK, "rrho warm start");
    scalot_rrho_solution *warm = NULL;
    CHECK(scalot_rrho_solve(problem, options, &warm) == SCALOT_STATUS_OK, "rrho warm solve");
    scalot_rrho_summary again;
    CHECK(scalot_rrho_solution_summary(warm, &again) == SCALOT_STATUS_OK && again.passes <= 2, "rrho warm start: %zu passes",
          again.passes);
    scalot_rrho_solution_free(warm);

    expect_error(scalot_rrho_problem_new(RRHO_X, RRHO_N, RRHO_Y, RRHO_M, RRHO_D, SCALOT_LAYOUT_ROW_MAJOR, NULL, NULL, 1.0,
                                         SCALOT_RRHO_DEFAULT_FLOOR, 0.0, &problem),
                 SCALOT_STATUS_INVALID_ARGUMENT, "rho", "rho = 1");
    expect_error(scalot_rrho_problem_new(RRHO_X, RRHO_N, RRHO_X, RRHO_N, RRHO_D, SCALOT_LAYOUT_ROW_MAJOR, NULL, NULL, 1.5, 0.0,
                                         0.0, &problem),
                 SCALOT_STATUS_INVALID_ARGUMENT, "floor", "shared points without a floor");
    double zero_mu[RRHO_N] = {0.5, 0.0, 0.5};
    expect_error(scalot_rrho_problem_new(RRHO_X, RRHO_N, RRHO_Y, RRHO_M, RRHO_D, SCALOT_LAYOUT_ROW_MAJOR, zero_mu, NULL, 1.5,
                                         SCALOT_RRHO_DEFAULT_FLOOR, 0.0, &problem),
                 SCALOT_STATUS_INVALID_ARGUMENT, "mu", "a zero weight");
    expect_error(scalot_rrho_options_set_engine(options, 7, 1e-3), SCALOT_STATUS_INVALID_ARGUMENT, "engine", "engine 7");
    expect_error(scalot_rrho_options_set_method(options, SCALOT_RRHO_METHOD_SIGN_ASCENT, 0.0), SCALOT_STATUS_INVALID_ARGUMENT,
                 "step", "step 0");
    expect_error(scalot_rrho_solve(NULL, options, &cancelled), SCALOT_STATUS_NULL_POINTER, "problem", "NULL problem");
    scalot_rrho_problem *awkward = NULL;
    CHECK(scalot_rrho_problem_new(RRHO_X, RRHO_N, RRHO_Y, RRHO_M, RRHO_D, SCALOT_LAYOUT_ROW_MAJOR, NULL, NULL, 1.3,
                                  SCALOT_RRHO_DEFAULT_FLOOR, 0.0, &awkward) == SCALOT_STATUS_OK,
          "rrho at 1.3");
    CHECK(scalot_rrho_options_set_warm_start(options, NULL, 0, NULL, 0) == SCALOT_STATUS_OK, "rrho clear warm start");
    CHECK(scalot_rrho_options_set_engine(options, SCALOT_RRHO_ENGINE_TREE, 1e-3) == SCALOT_STATUS_OK, "rrho tree");
    expect_error(scalot_rrho_solve(awkward, options, &cancelled), SCALOT_STATUS_UNSUPPORTED, "rho", "tree at rho 1.3");

    scalot_rrho_problem_free(awkward);
    scalot_rrho_problem_free(problem);
    scalot_rrho_solution_free(solution);
    scalot_rrho_options_free(options);
    scalot_rrho_solution_free(NULL);
}

/* Alignment of a rotated, permuted copy: y_j = Q^T x_pi(j), so x_pi(j) = Q y_j. Ten seed pairs fit Q exactly
 * (five of these points are nearly coplanar, and fit a reflection as well); the steps must keep it. */
#define ALIGN_N 40
#define ALIGN_D 3
static void check_align(void) {
    double x[ALIGN_N * ALIGN_D], y[ALIGN_N * ALIGN_D], q[ALIGN_D * ALIGN_D];
    double c1 = cos(0.7), s1 = sin(0.7), c2 = cos(0.4), s2 = sin(0.4);
    /* Q = rotation about z by 0.7 then about x by 0.4, row-major. */
    double qz[9] = {c1, -s1, 0, s1, c1, 0, 0, 0, 1}, qx[9] = {1, 0, 0, 0, c2, -s2, 0, s2, c2};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++) {
            q[i * 3 + k] = 0;
            for (int l = 0; l < 3; l++) q[i * 3 + k] += qx[i * 3 + l] * qz[l * 3 + k];
        }
    /* Unit vectors, as embeddings are prepared for alignment. */
    for (size_t i = 0; i < ALIGN_N * ALIGN_D; i++) x[i] = sin(0.37 * (double)i + 0.1 * (double)(i % 7));
    for (size_t i = 0; i < ALIGN_N; i++) {
        double norm = sqrt(x[3 * i] * x[3 * i] + x[3 * i + 1] * x[3 * i + 1] + x[3 * i + 2] * x[3 * i + 2]);
        for (int k = 0; k < 3; k++) x[3 * i + k] /= norm;
    }
    size_t source[ALIGN_N], target[ALIGN_N];
    for (size_t j = 0; j < ALIGN_N; j++) {
        size_t from = (j * 7) % ALIGN_N;
        source[j] = from;
        target[j] = j;
        for (int k = 0; k < 3; k++) {
            y[j * 3 + k] = 0;
            for (int l = 0; l < 3; l++) y[j * 3 + k] += q[l * 3 + k] * x[from * 3 + l];
        }
    }
    scalot_align_options *options = NULL;
    CHECK(scalot_align_options_new(&options) == SCALOT_STATUS_OK, "align options");
    CHECK(scalot_align_options_set_steps(options, 5) == SCALOT_STATUS_OK, "align steps");
    CHECK(scalot_align_options_set_epsilon(options, 1e-3) == SCALOT_STATUS_OK, "align epsilon");
    CHECK(scalot_align_options_set_sinkhorn_iterations(options, 300) == SCALOT_STATUS_OK, "align iterations");
    CHECK(scalot_align_options_set_learning_rate(options, 1.0, 0.5, 2) == SCALOT_STATUS_OK, "align learning rate");
    CHECK(scalot_align_options_set_kernel(options, SCALOT_ALIGN_KERNEL_DENSE, SCALOT_DENSE_MODE_STORED_F64, NULL, NULL) ==
              SCALOT_STATUS_OK,
          "align kernel");
    CHECK(scalot_align_options_set_seed_pairs(options, source, target, 10) == SCALOT_STATUS_OK, "align seeds");
    double rotation[ALIGN_D * ALIGN_D], objectives[6], cost = 0;
    scalot_plan *plan = NULL;
    CHECK(scalot_align(x, ALIGN_N, y, ALIGN_N, ALIGN_D, SCALOT_LAYOUT_ROW_MAJOR, options, rotation, objectives, 6, &plan) ==
              SCALOT_STATUS_OK,
          "align: %s", scalot_last_error_message());
    double worst = 0;
    for (int i = 0; i < 9; i++) worst = fmax(worst, fabs(rotation[i] - q[i]));
    CHECK(worst < 1e-6, "align recovers Q: max |R - Q| = %g", worst);
    CHECK(scalot_plan_transport_cost(plan, &cost) == SCALOT_STATUS_OK && fabs(cost - objectives[5]) < 1e-10,
          "align plan cost %.12g vs last objective %.12g", cost, objectives[5]);
    scalot_retrieval found;
    CHECK(scalot_retrieval_precision(x, ALIGN_N, y, ALIGN_N, ALIGN_D, SCALOT_LAYOUT_ROW_MAJOR, rotation, source, target, ALIGN_N,
                                     1, &found) == SCALOT_STATUS_OK &&
              found.nearest_neighbour == 1.0 && found.csls == 1.0 && found.queries == ALIGN_N,
          "align retrieval %g %g %zu", found.nearest_neighbour, found.csls, found.queries);

    size_t last_step = 0;
    CHECK(scalot_align_options_set_progress_callback(options, cancel_at_three, &last_step) == SCALOT_STATUS_OK, "align callback");
    expect_error(scalot_align(x, ALIGN_N, y, ALIGN_N, ALIGN_D, SCALOT_LAYOUT_ROW_MAJOR, options, rotation, NULL, 0, NULL),
                 SCALOT_STATUS_CANCELLED, "cancelled", "align cancel");
    CHECK(last_step == 3, "align cancelled at step %zu", last_step);
    expect_error(scalot_align(x, ALIGN_N, y, ALIGN_N, ALIGN_D, SCALOT_LAYOUT_ROW_MAJOR, options, rotation, objectives, 5, NULL),
                 SCALOT_STATUS_DIMENSION_MISMATCH, "objectives_len", "align objectives length");
    expect_error(scalot_align(x, ALIGN_N, y, ALIGN_N, ALIGN_D, SCALOT_LAYOUT_ROW_MAJOR, options, NULL, NULL, 0, NULL),
                 SCALOT_STATUS_NULL_POINTER, "rotation", "align NULL rotation");
    double skewed[9] = {1, 0.1, 0, 0, 1, 0, 0, 0, 1};
    CHECK(scalot_align_options_set_initial_rotation(options, skewed, 3, SCALOT_LAYOUT_ROW_MAJOR) == SCALOT_STATUS_OK,
          "align initial rotation");
    expect_error(scalot_align(x, ALIGN_N, y, ALIGN_N, ALIGN_D, SCALOT_LAYOUT_ROW_MAJOR, options, rotation, NULL, 0, NULL),
                 SCALOT_STATUS_INVALID_ARGUMENT, "rotation", "align non-orthogonal start");
    expect_error(scalot_align_options_set_steps(options, 0), SCALOT_STATUS_INVALID_ARGUMENT, "steps", "align 0 steps");
    expect_error(scalot_align_options_set_kernel(options, 9, 0, NULL, NULL), SCALOT_STATUS_INVALID_ARGUMENT, "kernel",
                 "align kernel 9");
    expect_error(scalot_retrieval_precision(x, ALIGN_N, y, ALIGN_N, ALIGN_D, SCALOT_LAYOUT_ROW_MAJOR, rotation, source, target,
                                            ALIGN_N, 0, &found),
                 SCALOT_STATUS_INVALID_ARGUMENT, "k", "retrieval k = 0");
    scalot_plan_free(plan);
    scalot_align_options_free(options);
}

int main(void) {
    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", SCALOT_VERSION_MAJOR, SCALOT_VERSION_MINOR, SCALOT_VERSION_PATCH);
    CHECK(strcmp(version, scalot_version()) == 0, "header %s vs library %s", version, scalot_version());

    scalot_plan *row_major = solve_fixture(SCALOT_LAYOUT_ROW_MAJOR, SCALOT_DENSE_MODE_STORED_F64);
    scalot_plan *column_major = solve_fixture(SCALOT_LAYOUT_COLUMN_MAJOR, SCALOT_DENSE_MODE_ONLINE);
    check_plan(row_major, "row-major stored");
    check_plan(column_major, "column-major online");
    scalot_plan_free(row_major);
    scalot_plan_free(column_major);
    check_errors();
    check_approximate_kernels();
    check_sparse_coverage_and_backbone();
    check_rrho();
    check_align();

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
