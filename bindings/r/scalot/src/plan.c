/* Plan queries. Every output buffer is an R vector allocated before the library writes into it. */
#include <limits.h>
#include <stdint.h>

#include "glue.h"

static const scalot_plan *plan_of(SEXP plan) {
    return handle_address(plan, HANDLE_PLAN, "plan");
}

static void shape(const scalot_plan *plan, size_t *n, size_t *m) {
    check_status(scalot_plan_shape(plan, n, m), R_NilValue);
}

SEXP scalot_r_plan_free(SEXP plan) {
    handle_release(plan);
    return R_NilValue;
}

SEXP scalot_r_plan_shape(SEXP plan) {
    size_t n, m;
    shape(plan_of(plan), &n, &m);
    SEXP out = PROTECT(Rf_allocVector(REALSXP, 2));
    REAL(out)[0] = (double)n;
    REAL(out)[1] = (double)m;
    UNPROTECT(1);
    return out;
}

SEXP scalot_r_plan_converged(SEXP plan) {
    bool converged;
    check_status(scalot_plan_converged(plan_of(plan), &converged), R_NilValue);
    return Rf_ScalarLogical(converged);
}

SEXP scalot_r_plan_stop_reason(SEXP plan) {
    int reason;
    check_status(scalot_plan_stop_reason(plan_of(plan), &reason), R_NilValue);
    return Rf_ScalarInteger(reason);
}

SEXP scalot_r_plan_kernel(SEXP plan) {
    const scalot_plan *p = plan_of(plan);
    SEXP handle = PROTECT(handle_empty(HANDLE_KERNEL));
    scalot_kernel *kernel = NULL;
    check_status(scalot_plan_kernel(p, &kernel), R_NilValue);
    R_SetExternalPtrAddr(handle, kernel);
    UNPROTECT(1);
    return handle;
}

SEXP scalot_r_plan_iterations(SEXP plan) {
    size_t iterations;
    check_status(scalot_plan_iterations(plan_of(plan), &iterations), R_NilValue);
    return Rf_ScalarReal((double)iterations);
}

/* The plan's scalar queries, which all share one signature. */
typedef scalot_status (*scalar_query)(const scalot_plan *, double *);

static SEXP scalar(SEXP plan, scalar_query query) {
    double value;
    check_status(query(plan_of(plan), &value), R_NilValue);
    return Rf_ScalarReal(value);
}

SEXP scalot_r_plan_marginal_error(SEXP plan) {
    return scalar(plan, scalot_plan_marginal_error);
}

SEXP scalot_r_plan_transport_cost(SEXP plan) {
    return scalar(plan, scalot_plan_transport_cost);
}

SEXP scalot_r_plan_regularized_objective(SEXP plan) {
    return scalar(plan, scalot_plan_regularized_objective);
}

SEXP scalot_r_plan_dual_objective(SEXP plan) {
    return scalar(plan, scalot_plan_dual_objective);
}

SEXP scalot_r_plan_mass(SEXP plan) {
    return scalar(plan, scalot_plan_mass);
}

/* Two vectors, of lengths n and m, filled by `query`: potentials or marginals. */
typedef scalot_status (*pair_query)(const scalot_plan *, double *, size_t, double *, size_t);

static SEXP vector_pair(SEXP plan, pair_query query) {
    const scalot_plan *p = plan_of(plan);
    size_t n, m;
    shape(p, &n, &m);
    SEXP out = PROTECT(Rf_allocVector(VECSXP, 2));
    SEXP first = Rf_allocVector(REALSXP, (R_xlen_t)n);
    SET_VECTOR_ELT(out, 0, first);
    SEXP second = Rf_allocVector(REALSXP, (R_xlen_t)m);
    SET_VECTOR_ELT(out, 1, second);
    check_status(query(p, REAL(first), n, REAL(second), m), R_NilValue);
    UNPROTECT(1);
    return out;
}

SEXP scalot_r_plan_potentials(SEXP plan) {
    return vector_pair(plan, scalot_plan_potentials);
}

SEXP scalot_r_plan_marginals(SEXP plan) {
    return vector_pair(plan, scalot_plan_marginals);
}

/* out = P v or P^T u: `query` reads a vector of one side's length and writes the other's. */
typedef scalot_status (*product_query)(const scalot_plan *, const double *, size_t, double *, size_t);

static SEXP product(SEXP plan, SEXP v, const char *argument, product_query query, int transpose) {
    const scalot_plan *p = plan_of(plan);
    if (TYPEOF(v) != REALSXP) {
        Rf_error("scalot: `%s` must be a double vector", argument);
    }
    size_t n, m;
    shape(p, &n, &m);
    size_t out_length = transpose ? m : n;
    SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)out_length));
    check_status(query(p, REAL(v), (size_t)Rf_xlength(v), REAL(out), out_length), R_NilValue);
    UNPROTECT(1);
    return out;
}

SEXP scalot_r_plan_apply(SEXP plan, SEXP v) {
    return product(plan, v, "v", scalot_plan_apply, 0);
}

SEXP scalot_r_plan_apply_transpose(SEXP plan, SEXP u) {
    return product(plan, u, "u", scalot_plan_apply_transpose, 1);
}

/* An n x columns column-major matrix written by `query`. */
typedef scalot_status (*matrix_query)(const scalot_plan *, double *, size_t, size_t, int);

static SEXP matrix(const scalot_plan *plan, size_t n, size_t columns, matrix_query query) {
    if (n > INT_MAX || columns > INT_MAX) {
        Rf_error("scalot: a %lu x %lu matrix is larger than R allows", (unsigned long)n,
                 (unsigned long)columns);
    }
    SEXP out = PROTECT(Rf_allocMatrix(REALSXP, (int)n, (int)columns));
    check_status(query(plan, REAL(out), n, columns, SCALOT_LAYOUT_COLUMN_MAJOR), R_NilValue);
    UNPROTECT(1);
    return out;
}

/* A matrix with one row per source point and `d` columns. */
static SEXP point_matrix(SEXP plan, SEXP d, matrix_query query) {
    const scalot_plan *p = plan_of(plan);
    size_t n, m;
    shape(p, &n, &m);
    return matrix(p, n, as_size(d, "d"), query);
}

SEXP scalot_r_plan_barycentric_projection(SEXP plan, SEXP d) {
    return point_matrix(plan, d, scalot_plan_barycentric_projection);
}

SEXP scalot_r_plan_gradient_x(SEXP plan, SEXP d) {
    return point_matrix(plan, d, scalot_plan_gradient_x);
}

SEXP scalot_r_plan_to_dense(SEXP plan) {
    const scalot_plan *p = plan_of(plan);
    size_t n, m;
    shape(p, &n, &m);
    return matrix(p, n, m, scalot_plan_to_dense);
}

/* The k largest entries per row as list(row, col, value), with R's 1-based indices. */
SEXP scalot_r_plan_top_k(SEXP plan, SEXP k) {
    const scalot_plan *p = plan_of(plan);
    size_t n, m;
    shape(p, &n, &m);
    size_t per_row = as_size(k, "k");
    if (per_row != 0 && n > (size_t)R_XLEN_T_MAX / per_row) {
        Rf_error("scalot: `k` = %lu entries for each of %lu rows is more than R can hold",
                 (unsigned long)per_row, (unsigned long)n);
    }
    size_t len = n * per_row;
    /* R_alloc memory is reclaimed by R at the end of the call, also after an error. */
    size_t *rows = (size_t *)R_alloc(len > 0 ? len : 1, sizeof(size_t));
    size_t *cols = (size_t *)R_alloc(len > 0 ? len : 1, sizeof(size_t));
    const char *names[] = {"row", "col", "value", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SEXP values = Rf_allocVector(REALSXP, (R_xlen_t)len);
    SET_VECTOR_ELT(out, 2, values);
    check_status(scalot_plan_top_k(p, per_row, rows, cols, REAL(values), len), R_NilValue);
    SEXP row = Rf_allocVector(REALSXP, (R_xlen_t)len);
    SET_VECTOR_ELT(out, 0, row);
    SEXP col = Rf_allocVector(REALSXP, (R_xlen_t)len);
    SET_VECTOR_ELT(out, 1, col);
    for (size_t i = 0; i < len; ++i) {
        REAL(row)[i] = (double)rows[i] + 1.0;
        REAL(col)[i] = (double)cols[i] + 1.0;
    }
    UNPROTECT(1);
    return out;
}

/* certify(plan, exact_limit, samples, seed, progress): exact_limit NA for the library's default. */
SEXP scalot_r_plan_certify(SEXP plan, SEXP exact_limit, SEXP samples, SEXP seed, SEXP progress) {
    const scalot_plan *p = plan_of(plan);
    int has_limit = !(TYPEOF(exact_limit) == REALSXP && Rf_xlength(exact_limit) == 1 && ISNA(REAL(exact_limit)[0]));
    size_t limit = has_limit ? as_size(exact_limit, "exact_limit") : 0;
    size_t rows = as_size(samples, "samples");
    uint64_t seed_value = (uint64_t)as_size(seed, "seed");
    if (progress != R_NilValue && !Rf_isFunction(progress)) {
        Rf_error("scalot: `progress` must be a function or NULL");
    }
    SEXP options_handle = PROTECT(handle_empty(HANDLE_CERTIFY_OPTIONS));
    scalot_certify_options *options = NULL;
    check_status(scalot_certify_options_new(&options), R_NilValue);
    R_SetExternalPtrAddr(options_handle, options);
    if (has_limit) {
        check_status(scalot_certify_options_set_exact_limit(options, limit), options_handle);
    }
    check_status(scalot_certify_options_set_samples(options, rows, seed_value), options_handle);
    progress_context context = {progress, 0, 0.0, 1, 0};
    check_status(scalot_certify_options_set_progress_callback(options, progress_callback, &context), options_handle);
    scalot_certificate c;
    scalot_status status = scalot_plan_certify(p, options, &c);
    if (status == SCALOT_STATUS_CANCELLED && context.interrupted) {
        handle_release(options_handle);
        Rf_error("scalot: interrupted (by Ctrl-C, or an error in `progress`); the certificate was cancelled");
    }
    check_status(status, options_handle);
    handle_release(options_handle);
    const char *names[] = {"lower", "upper", "relative_gap", "transport_cost", "sampled_rows", "lower_error",
                           "upper_error", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarReal(c.lower));
    SET_VECTOR_ELT(out, 1, Rf_ScalarReal(c.upper));
    SET_VECTOR_ELT(out, 2, Rf_ScalarReal(c.relative_gap));
    SET_VECTOR_ELT(out, 3, Rf_ScalarReal(c.transport_cost));
    SET_VECTOR_ELT(out, 4, Rf_ScalarReal((double)c.sampled_rows));
    SET_VECTOR_ELT(out, 5, Rf_ScalarReal(c.lower_error));
    SET_VECTOR_ELT(out, 6, Rf_ScalarReal(c.upper_error));
    UNPROTECT(2);
    return out;
}
