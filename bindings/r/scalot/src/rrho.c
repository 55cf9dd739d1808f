/* R_rho: the problem, options and solve in one call, and the solution's queries. */
#include "glue.h"

static const scalot_rrho_solution *solution_of(SEXP handle) {
    return handle_address(handle, HANDLE_RRHO_SOLUTION, "solution");
}

static scalot_rrho_summary summary_of(SEXP handle) {
    scalot_rrho_summary s;
    check_status(scalot_rrho_solution_summary(solution_of(handle), &s), R_NilValue);
    return s;
}

/* Every R value is read before any native state exists; then each library failure releases what is held. */
SEXP scalot_r_rrho_solve(SEXP x, SEXP y, SEXP mu, SEXP nu, SEXP numbers, SEXP warm_start, SEXP progress) {
    if (!Rf_isMatrix(x) || TYPEOF(x) != REALSXP || !Rf_isMatrix(y) || TYPEOF(y) != REALSXP) {
        Rf_error("scalot: `x` and `y` must be double matrices");
    }
    if (TYPEOF(numbers) != REALSXP || Rf_xlength(numbers) != 9) {
        Rf_error("scalot: internal: nine control numbers expected");
    }
    const double *v = REAL(numbers);
    double rho = v[0], floor = v[1], granularity = v[2], tolerance = v[3], accuracy = v[5], step = v[7];
    size_t max_passes = size_value(v[4], "max_passes");
    int engine = (int)v[6], method = (int)v[8];
    const double *mus = doubles_or_null(mu, "mu"), *nus = doubles_or_null(nu, "nu");
    size_t n = (size_t)Rf_nrows(x), m = (size_t)Rf_nrows(y), d = (size_t)Rf_ncols(x);
    if ((mus != NULL && (size_t)Rf_xlength(mu) != n) || (nus != NULL && (size_t)Rf_xlength(nu) != m)) {
        Rf_error("scalot: `mu` must have nrow(x) and `nu` nrow(y) weights");
    }
    if ((size_t)Rf_ncols(y) != d) {
        Rf_error("scalot: `x` and `y` must have the same number of columns");
    }
    if (warm_start != R_NilValue &&
        (TYPEOF(warm_start) != VECSXP || Rf_xlength(warm_start) != 2 ||
         TYPEOF(VECTOR_ELT(warm_start, 0)) != REALSXP || TYPEOF(VECTOR_ELT(warm_start, 1)) != REALSXP)) {
        Rf_error("scalot: `warm_start` must be list(alpha, beta) of double vectors, or NULL");
    }
    if (progress != R_NilValue && !Rf_isFunction(progress)) {
        Rf_error("scalot: `progress` must be a function(pass, error) or NULL");
    }
    SEXP problem_handle = PROTECT(handle_empty(HANDLE_RRHO_PROBLEM));
    SEXP options_handle = PROTECT(handle_empty(HANDLE_RRHO_OPTIONS));
    SEXP solution_handle = PROTECT(handle_empty(HANDLE_RRHO_SOLUTION));
    scalot_rrho_problem *problem = NULL;
    check_status(scalot_rrho_problem_new(REAL(x), n, REAL(y), m, d, SCALOT_LAYOUT_COLUMN_MAJOR, mus, nus, rho,
                                         floor, granularity, &problem),
                 R_NilValue);
    R_SetExternalPtrAddr(problem_handle, problem);
    scalot_rrho_options *options = NULL;
    check_status(scalot_rrho_options_new(&options), problem_handle);
    R_SetExternalPtrAddr(options_handle, options);
    scalot_status status = scalot_rrho_options_set_tolerance(options, tolerance);
    if (status == SCALOT_STATUS_OK) status = scalot_rrho_options_set_max_passes(options, max_passes);
    if (status == SCALOT_STATUS_OK) status = scalot_rrho_options_set_engine(options, engine, accuracy);
    if (status == SCALOT_STATUS_OK) status = scalot_rrho_options_set_method(options, method, step);
    if (status == SCALOT_STATUS_OK && warm_start != R_NilValue) {
        SEXP alpha = VECTOR_ELT(warm_start, 0), beta = VECTOR_ELT(warm_start, 1);
        status = scalot_rrho_options_set_warm_start(options, REAL(alpha), (size_t)Rf_xlength(alpha), REAL(beta),
                                                    (size_t)Rf_xlength(beta));
    }
    progress_context context = {progress, 0, 0.0, 1, 0};
    if (status == SCALOT_STATUS_OK) {
        status = scalot_rrho_options_set_progress_callback(options, progress_callback, &context);
    }
    scalot_rrho_solution *solution = NULL;
    if (status == SCALOT_STATUS_OK) status = scalot_rrho_solve(problem, options, &solution);
    handle_release(options_handle);
    handle_release(problem_handle);
    if (status == SCALOT_STATUS_CANCELLED && context.interrupted) {
        Rf_error("scalot: interrupted (by Ctrl-C, or an error in `progress`); the solve was cancelled "
                 "after %lu passes", (unsigned long)context.iteration);
    }
    check_status(status, R_NilValue);
    R_SetExternalPtrAddr(solution_handle, solution);
    UNPROTECT(3);
    return solution_handle;
}

SEXP scalot_r_rrho_summary(SEXP handle) {
    scalot_rrho_summary s = summary_of(handle);
    const char *names[] = {"value", "dual_value", "upper_bound", "alpha_error", "beta_error", "passes",
                           "converged", "n", "m", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarReal(s.value));
    SET_VECTOR_ELT(out, 1, Rf_ScalarReal(s.dual_value));
    SET_VECTOR_ELT(out, 2, Rf_ScalarReal(s.upper_bound));
    SET_VECTOR_ELT(out, 3, Rf_ScalarReal(s.alpha_error));
    SET_VECTOR_ELT(out, 4, Rf_ScalarReal(s.beta_error));
    SET_VECTOR_ELT(out, 5, Rf_ScalarReal((double)s.passes));
    SET_VECTOR_ELT(out, 6, Rf_ScalarLogical(s.converged));
    SET_VECTOR_ELT(out, 7, Rf_ScalarReal((double)s.n));
    SET_VECTOR_ELT(out, 8, Rf_ScalarReal((double)s.m));
    UNPROTECT(1);
    return out;
}

typedef scalot_status (*pair_query)(const scalot_rrho_solution *, double *, size_t, double *, size_t);

static SEXP vectors(SEXP handle, pair_query query) {
    scalot_rrho_summary s = summary_of(handle);
    SEXP out = PROTECT(Rf_allocVector(VECSXP, 2));
    SET_VECTOR_ELT(out, 0, Rf_allocVector(REALSXP, (R_xlen_t)s.n));
    SET_VECTOR_ELT(out, 1, Rf_allocVector(REALSXP, (R_xlen_t)s.m));
    check_status(query(solution_of(handle), REAL(VECTOR_ELT(out, 0)), s.n, REAL(VECTOR_ELT(out, 1)), s.m),
                 R_NilValue);
    UNPROTECT(1);
    return out;
}

SEXP scalot_r_rrho_potentials(SEXP handle) {
    return vectors(handle, scalot_rrho_solution_potentials);
}

SEXP scalot_r_rrho_marginals(SEXP handle) {
    return vectors(handle, scalot_rrho_solution_marginals);
}

SEXP scalot_r_rrho_apply(SEXP handle, SEXP v, SEXP transpose) {
    scalot_rrho_summary s = summary_of(handle);
    if (TYPEOF(v) != REALSXP) {
        Rf_error("scalot: `v` must be a double vector");
    }
    int t = Rf_asLogical(transpose) == TRUE;
    size_t out_length = t ? s.m : s.n;
    SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)out_length));
    scalot_status status =
        t ? scalot_rrho_solution_apply_transpose(solution_of(handle), REAL(v), (size_t)Rf_xlength(v), REAL(out),
                                                 out_length)
          : scalot_rrho_solution_apply(solution_of(handle), REAL(v), (size_t)Rf_xlength(v), REAL(out), out_length);
    check_status(status, R_NilValue);
    UNPROTECT(1);
    return out;
}

SEXP scalot_r_rrho_top_k(SEXP handle, SEXP k) {
    scalot_rrho_summary s = summary_of(handle);
    size_t per_row = as_size(k, "k");
    if (per_row != 0 && s.n > (size_t)R_XLEN_T_MAX / per_row) {
        Rf_error("scalot: `k` entries for every row is more than R can hold");
    }
    size_t len = s.n * per_row;
    size_t *rows = (size_t *)R_alloc(len > 0 ? len : 1, sizeof(size_t));
    size_t *cols = (size_t *)R_alloc(len > 0 ? len : 1, sizeof(size_t));
    const char *names[] = {"row", "col", "value", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SEXP values = Rf_allocVector(REALSXP, (R_xlen_t)len);
    SET_VECTOR_ELT(out, 2, values);
    check_status(scalot_rrho_solution_top_k(solution_of(handle), per_row, rows, cols, REAL(values), len),
                 R_NilValue);
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
