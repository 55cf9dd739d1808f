/* Kernel handles: dense kernels from points or from a cost matrix, and their properties. */

#include "glue.h"

/* `x` must be a double matrix; R matrices are column-major, so the library reads them in place. */
static const double *matrix_data(SEXP x, const char *argument, size_t *rows, size_t *cols) {
    if (TYPEOF(x) != REALSXP || !Rf_isMatrix(x)) {
        Rf_error("scalot: `%s` must be a double matrix", argument);
    }
    *rows = (size_t)Rf_nrows(x);
    *cols = (size_t)Rf_ncols(x);
    return REAL(x);
}

/* The points of a kernel between two clouds: one per row, in the same dimension. */
static void two_clouds(SEXP x, SEXP y, const double **xs, const double **ys, size_t *n, size_t *m,
                       size_t *d) {
    size_t dy;
    *xs = matrix_data(x, "x", n, d);
    *ys = matrix_data(y, "y", m, &dy);
    if (*d != dy) {
        Rf_error("scalot: `x` has %lu columns but `y` has %lu; both hold one point per row",
                 (unsigned long)*d, (unsigned long)dy);
    }
}

SEXP scalot_r_kernel_dense_new(SEXP x, SEXP y, SEXP cost, SEXP epsilon, SEXP mode) {
    size_t n, m, d;
    const double *xs, *ys;
    two_clouds(x, y, &xs, &ys, &n, &m, &d);
    int cost_code = Rf_asInteger(cost), mode_code = Rf_asInteger(mode);
    double eps = as_double(epsilon, "eps");
    SEXP handle = PROTECT(handle_empty(HANDLE_KERNEL));
    scalot_kernel *kernel = NULL;
    check_status(scalot_kernel_dense_new(xs, n, ys, m, d, SCALOT_LAYOUT_COLUMN_MAJOR, cost_code, eps,
                                         mode_code, &kernel),
                 R_NilValue);
    R_SetExternalPtrAddr(handle, kernel);
    UNPROTECT(1);
    return handle;
}

/* `rule` is c(code, a, b, c): 0 k-means (clusters, rounds, iterations), 1 neighbours (k), 2 truncation
 * (factor). Every value is read before the options exist, so that R errors cannot leak them. */
SEXP scalot_r_kernel_sparse_new(SEXP x, SEXP y, SEXP cost, SEXP epsilon, SEXP pairs) {
    size_t n, m, d;
    const double *xs, *ys;
    two_clouds(x, y, &xs, &ys, &n, &m, &d);
    int cost_code = Rf_asInteger(cost);
    double eps = as_double(epsilon, "eps");
    SEXP options = PROTECT(sparse_options_handle(pairs));
    SEXP handle = PROTECT(handle_empty(HANDLE_KERNEL));
    scalot_kernel *kernel = NULL;
    check_status(scalot_kernel_sparse_new(xs, n, ys, m, d, SCALOT_LAYOUT_COLUMN_MAJOR, cost_code, eps,
                                          handle_address(options, HANDLE_SPARSE_OPTIONS, "pairs"), &kernel),
                 options);
    handle_release(options);
    R_SetExternalPtrAddr(handle, kernel);
    UNPROTECT(2);
    return handle;
}

SEXP scalot_r_kernel_nystrom_new(SEXP x, SEXP y, SEXP cost, SEXP epsilon, SEXP control) {
    size_t n, m, d;
    const double *xs, *ys;
    two_clouds(x, y, &xs, &ys, &n, &m, &d);
    int cost_code = Rf_asInteger(cost);
    double eps = as_double(epsilon, "eps");
    SEXP options = PROTECT(nystrom_options_handle(control));
    SEXP handle = PROTECT(handle_empty(HANDLE_KERNEL));
    scalot_kernel *kernel = NULL;
    check_status(scalot_kernel_nystrom_new(xs, n, ys, m, d, SCALOT_LAYOUT_COLUMN_MAJOR, cost_code, eps,
                                           handle_address(options, HANDLE_NYSTROM_OPTIONS, "landmarks"),
                                           &kernel),
                 options);
    handle_release(options);
    R_SetExternalPtrAddr(handle, kernel);
    UNPROTECT(2);
    return handle;
}

/* On failure the landmark options are released at once and the pair options by their finalizer. */
SEXP scalot_r_kernel_lcn_new(SEXP x, SEXP y, SEXP cost, SEXP epsilon, SEXP control, SEXP pairs) {
    size_t n, m, d;
    const double *xs, *ys;
    two_clouds(x, y, &xs, &ys, &n, &m, &d);
    int cost_code = Rf_asInteger(cost);
    double eps = as_double(epsilon, "eps");
    SEXP landmarks = PROTECT(nystrom_options_handle(control));
    SEXP kept = PROTECT(sparse_options_handle(pairs));
    SEXP handle = PROTECT(handle_empty(HANDLE_KERNEL));
    scalot_kernel *kernel = NULL;
    scalot_status status = scalot_kernel_lcn_new(
        xs, n, ys, m, d, SCALOT_LAYOUT_COLUMN_MAJOR, cost_code, eps,
        handle_address(landmarks, HANDLE_NYSTROM_OPTIONS, "landmarks"),
        handle_address(kept, HANDLE_SPARSE_OPTIONS, "pairs"), &kernel);
    handle_release(kept);
    check_status(status, landmarks);
    handle_release(landmarks);
    R_SetExternalPtrAddr(handle, kernel);
    UNPROTECT(3);
    return handle;
}

SEXP scalot_r_kernel_dense_from_cost(SEXP cost, SEXP epsilon, SEXP mode) {
    size_t n, m;
    const double *costs = matrix_data(cost, "cost", &n, &m);
    int mode_code = Rf_asInteger(mode);
    double eps = as_double(epsilon, "eps");
    SEXP handle = PROTECT(handle_empty(HANDLE_KERNEL));
    scalot_kernel *kernel = NULL;
    check_status(scalot_kernel_dense_from_cost(costs, n, m, SCALOT_LAYOUT_COLUMN_MAJOR, eps, mode_code,
                                               &kernel),
                 R_NilValue);
    R_SetExternalPtrAddr(handle, kernel);
    UNPROTECT(1);
    return handle;
}

SEXP scalot_r_kernel_info(SEXP kernel) {
    scalot_kernel_properties properties;
    check_status(scalot_kernel_info(handle_address(kernel, HANDLE_KERNEL, "kernel"), &properties),
                 R_NilValue);
    const char *names[] = {"kind", "n", "m", "epsilon", "nnz", "landmarks", "bytes", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarInteger((int)properties.kind));
    SET_VECTOR_ELT(out, 1, Rf_ScalarReal((double)properties.n));
    SET_VECTOR_ELT(out, 2, Rf_ScalarReal((double)properties.m));
    SET_VECTOR_ELT(out, 3, Rf_ScalarReal(properties.epsilon));
    SET_VECTOR_ELT(out, 4, Rf_ScalarReal((double)properties.nnz));
    SET_VECTOR_ELT(out, 5, Rf_ScalarReal((double)properties.landmarks));
    SET_VECTOR_ELT(out, 6, Rf_ScalarReal((double)properties.bytes));
    UNPROTECT(1);
    return out;
}

SEXP scalot_r_kernel_free(SEXP kernel) {
    handle_release(kernel);
    return R_NilValue;
}
