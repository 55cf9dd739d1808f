/* Embedding alignment and retrieval precision. */
#include "glue.h"

/* Index pairs from R (1-based doubles, two equal-length vectors) as C's 0-based size_t arrays, in R memory. */
static void read_pairs(SEXP source, SEXP target, size_t **from, size_t **to, size_t *count, const char *argument) {
    if (TYPEOF(source) != REALSXP || TYPEOF(target) != REALSXP || Rf_xlength(source) != Rf_xlength(target)) {
        Rf_error("scalot: `%s` must be two columns of indices", argument);
    }
    *count = (size_t)Rf_xlength(source);
    *from = (size_t *)R_alloc(*count == 0 ? 1 : *count, sizeof(size_t));
    *to = (size_t *)R_alloc(*count == 0 ? 1 : *count, sizeof(size_t));
    for (size_t k = 0; k < *count; k++) {
        double i = REAL(source)[k], j = REAL(target)[k];
        if (!(i >= 1 && j >= 1 && i == (double)(size_t)i && j == (double)(size_t)j)) {
            Rf_error("scalot: `%s` must hold whole indices from 1 (pair %lu)", argument, (unsigned long)(k + 1));
        }
        (*from)[k] = (size_t)i - 1;
        (*to)[k] = (size_t)j - 1;
    }
}

static void same_columns(SEXP x, SEXP y) {
    if (!Rf_isMatrix(x) || TYPEOF(x) != REALSXP || !Rf_isMatrix(y) || TYPEOF(y) != REALSXP) {
        Rf_error("scalot: `x` and `y` must be double matrices");
    }
    if (Rf_ncols(x) != Rf_ncols(y)) {
        Rf_error("scalot: `x` and `y` must have the same number of columns");
    }
}

/* `numbers`: kernel code, dense mode code, eps, Sinkhorn iterations, steps, learning rate, decay, decay
 * interval. `initial` is a d x d double matrix or NULL; `seeds` list(source, target) or NULL. Every R value
 * is read before native state exists; the options and option handles are released on every path. */
SEXP scalot_r_align(SEXP x, SEXP y, SEXP numbers, SEXP control, SEXP pairs, SEXP initial, SEXP seeds,
                    SEXP progress) {
    same_columns(x, y);
    if (TYPEOF(numbers) != REALSXP || Rf_xlength(numbers) != 8) {
        Rf_error("scalot: internal: eight control numbers expected");
    }
    const double *v = REAL(numbers);
    int kernel = (int)v[0], mode = (int)v[1];
    double eps = v[2], learning_rate = v[5], decay = v[6];
    size_t iterations = size_value(v[3], "sinkhorn_iterations"), steps = size_value(v[4], "steps");
    size_t every = size_value(v[7], "decay_every");
    size_t n = (size_t)Rf_nrows(x), m = (size_t)Rf_nrows(y), d = (size_t)Rf_ncols(x);
    if (initial != R_NilValue && (!Rf_isMatrix(initial) || TYPEOF(initial) != REALSXP ||
                                  (size_t)Rf_nrows(initial) != d || (size_t)Rf_ncols(initial) != d)) {
        Rf_error("scalot: `initial` must be a %lu x %lu double matrix", (unsigned long)d, (unsigned long)d);
    }
    size_t *from = NULL, *to = NULL, count = 0;
    if (seeds != R_NilValue) {
        if (TYPEOF(seeds) != VECSXP || Rf_xlength(seeds) != 2) Rf_error("scalot: `seed_pairs` must be two columns");
        read_pairs(VECTOR_ELT(seeds, 0), VECTOR_ELT(seeds, 1), &from, &to, &count, "seed_pairs");
    }
    if (progress != R_NilValue && !Rf_isFunction(progress)) {
        Rf_error("scalot: `progress` must be a function(step, cost) or NULL");
    }
    SEXP rotation = PROTECT(Rf_allocMatrix(REALSXP, (int)d, (int)d));
    SEXP objectives = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)steps + 1));
    SEXP landmarks = PROTECT(nystrom_options_handle(control));
    SEXP kept = PROTECT(sparse_options_handle(pairs));
    SEXP options_handle = PROTECT(handle_empty(HANDLE_ALIGN_OPTIONS));
    SEXP plan_handle = PROTECT(handle_empty(HANDLE_PLAN));
    scalot_align_options *options = NULL;
    scalot_status status = scalot_align_options_new(&options);
    if (status == SCALOT_STATUS_OK) {
        R_SetExternalPtrAddr(options_handle, options);
        status = scalot_align_options_set_kernel(options, kernel, mode,
                                                 handle_address(landmarks, HANDLE_NYSTROM_OPTIONS, "nystrom"),
                                                 handle_address(kept, HANDLE_SPARSE_OPTIONS, "pairs"));
    }
    if (status == SCALOT_STATUS_OK) status = scalot_align_options_set_epsilon(options, eps);
    if (status == SCALOT_STATUS_OK) status = scalot_align_options_set_sinkhorn_iterations(options, iterations);
    if (status == SCALOT_STATUS_OK) status = scalot_align_options_set_steps(options, steps);
    if (status == SCALOT_STATUS_OK) status = scalot_align_options_set_learning_rate(options, learning_rate, decay, every);
    if (status == SCALOT_STATUS_OK && initial != R_NilValue) {
        status = scalot_align_options_set_initial_rotation(options, REAL(initial), d, SCALOT_LAYOUT_COLUMN_MAJOR);
    }
    if (status == SCALOT_STATUS_OK && seeds != R_NilValue) {
        status = scalot_align_options_set_seed_pairs(options, from, to, count);
    }
    progress_context context = {progress, 0, 0.0, 1, 0};
    if (status == SCALOT_STATUS_OK) {
        status = scalot_align_options_set_progress_callback(options, progress_callback, &context);
    }
    scalot_plan *plan = NULL;
    if (status == SCALOT_STATUS_OK) {
        status = scalot_align(REAL(x), n, REAL(y), m, d, SCALOT_LAYOUT_COLUMN_MAJOR, options, REAL(rotation),
                              REAL(objectives), steps + 1, &plan);
    }
    handle_release(options_handle);
    handle_release(kept);
    handle_release(landmarks);
    if (status == SCALOT_STATUS_CANCELLED && context.interrupted) {
        Rf_error("scalot: interrupted (by Ctrl-C, or an error in `progress`); the alignment was cancelled "
                 "after %lu steps", (unsigned long)context.iteration);
    }
    check_status(status, R_NilValue);
    R_SetExternalPtrAddr(plan_handle, plan);
    const char *names[] = {"rotation", "objectives", "plan", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, rotation);
    SET_VECTOR_ELT(out, 1, objectives);
    SET_VECTOR_ELT(out, 2, plan_handle);
    UNPROTECT(7);
    return out;
}

SEXP scalot_r_retrieval_precision(SEXP x, SEXP y, SEXP rotation, SEXP source, SEXP target, SEXP k) {
    same_columns(x, y);
    size_t d = (size_t)Rf_ncols(x);
    if (!Rf_isMatrix(rotation) || TYPEOF(rotation) != REALSXP || (size_t)Rf_nrows(rotation) != d ||
        (size_t)Rf_ncols(rotation) != d) {
        Rf_error("scalot: `rotation` must be a %lu x %lu double matrix", (unsigned long)d, (unsigned long)d);
    }
    size_t *from = NULL, *to = NULL, count = 0;
    read_pairs(source, target, &from, &to, &count, "pairs");
    size_t neighbours = as_size(k, "k");
    scalot_retrieval found;
    check_status(scalot_retrieval_precision(REAL(x), (size_t)Rf_nrows(x), REAL(y), (size_t)Rf_nrows(y), d,
                                            SCALOT_LAYOUT_COLUMN_MAJOR, REAL(rotation), from, to, count, neighbours,
                                            &found),
                 R_NilValue);
    const char *names[] = {"nearest_neighbour", "csls", "queries", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarReal(found.nearest_neighbour));
    SET_VECTOR_ELT(out, 1, Rf_ScalarReal(found.csls));
    SET_VECTOR_ELT(out, 2, Rf_ScalarReal((double)found.queries));
    UNPROTECT(1);
    return out;
}
