/* Kernel handles: dense, sparse, Nystrom and LCN kernels from points, dense kernels from a cost matrix,
 * and their properties. */

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

/* The arguments every kernel between two point clouds takes: the clouds (one point per row, in the same
 * dimension), the cost's code and epsilon. Read before any handle exists, so R errors leak nothing. */
struct clouds {
    const double *x, *y;
    size_t n, m, d;
    int cost;
    double eps;
};

static struct clouds read_clouds(SEXP x, SEXP y, SEXP cost, SEXP epsilon) {
    struct clouds c;
    size_t dy;
    c.x = matrix_data(x, "x", &c.n, &c.d);
    c.y = matrix_data(y, "y", &c.m, &dy);
    if (c.d != dy) {
        Rf_error("scalot: `x` has %lu columns but `y` has %lu; both hold one point per row",
                 (unsigned long)c.d, (unsigned long)dy);
    }
    c.cost = Rf_asInteger(cost);
    c.eps = as_double(epsilon, "eps");
    return c;
}

SEXP scalot_r_kernel_dense_new(SEXP x, SEXP y, SEXP cost, SEXP epsilon, SEXP mode) {
    struct clouds c = read_clouds(x, y, cost, epsilon);
    int mode_code = Rf_asInteger(mode);
    SEXP handle = PROTECT(handle_empty(HANDLE_KERNEL));
    scalot_kernel *kernel = NULL;
    check_status(scalot_kernel_dense_new(c.x, c.n, c.y, c.m, c.d, SCALOT_LAYOUT_COLUMN_MAJOR, c.cost, c.eps,
                                         mode_code, &kernel),
                 R_NilValue);
    R_SetExternalPtrAddr(handle, kernel);
    UNPROTECT(1);
    return handle;
}

/* `pairs` comes from pairs_control() (src/options.c reads it). */
SEXP scalot_r_kernel_sparse_new(SEXP x, SEXP y, SEXP cost, SEXP epsilon, SEXP pairs) {
    struct clouds c = read_clouds(x, y, cost, epsilon);
    SEXP options = PROTECT(sparse_options_handle(pairs));
    SEXP handle = PROTECT(handle_empty(HANDLE_KERNEL));
    scalot_kernel *kernel = NULL;
    check_status(scalot_kernel_sparse_new(c.x, c.n, c.y, c.m, c.d, SCALOT_LAYOUT_COLUMN_MAJOR, c.cost, c.eps,
                                          handle_address(options, HANDLE_SPARSE_OPTIONS, "pairs"), &kernel),
                 options);
    handle_release(options);
    R_SetExternalPtrAddr(handle, kernel);
    UNPROTECT(2);
    return handle;
}

/* `control` comes from nystrom_control() (src/options.c reads it). */
SEXP scalot_r_kernel_nystrom_new(SEXP x, SEXP y, SEXP cost, SEXP epsilon, SEXP control) {
    struct clouds c = read_clouds(x, y, cost, epsilon);
    SEXP options = PROTECT(nystrom_options_handle(control));
    SEXP handle = PROTECT(handle_empty(HANDLE_KERNEL));
    scalot_kernel *kernel = NULL;
    check_status(scalot_kernel_nystrom_new(c.x, c.n, c.y, c.m, c.d, SCALOT_LAYOUT_COLUMN_MAJOR, c.cost, c.eps,
                                           handle_address(options, HANDLE_NYSTROM_OPTIONS, "landmarks"),
                                           &kernel),
                 options);
    handle_release(options);
    R_SetExternalPtrAddr(handle, kernel);
    UNPROTECT(2);
    return handle;
}

/* Both option handles are released before a failure is raised: the pairs' at once, the landmarks' by
 * check_status. (Had reading `pairs` failed, the landmarks' finalizer would release them.) */
SEXP scalot_r_kernel_lcn_new(SEXP x, SEXP y, SEXP cost, SEXP epsilon, SEXP control, SEXP pairs) {
    struct clouds c = read_clouds(x, y, cost, epsilon);
    SEXP landmarks = PROTECT(nystrom_options_handle(control));
    SEXP kept = PROTECT(sparse_options_handle(pairs));
    SEXP handle = PROTECT(handle_empty(HANDLE_KERNEL));
    scalot_kernel *kernel = NULL;
    scalot_status status = scalot_kernel_lcn_new(
        c.x, c.n, c.y, c.m, c.d, SCALOT_LAYOUT_COLUMN_MAJOR, c.cost, c.eps,
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
    const char *names[] = {"kind",  "n",           "m",           "epsilon", "nnz",
                           "landmarks", "bytes", "added_pairs", "floor_share", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_ScalarInteger((int)properties.kind));
    SET_VECTOR_ELT(out, 1, Rf_ScalarReal((double)properties.n));
    SET_VECTOR_ELT(out, 2, Rf_ScalarReal((double)properties.m));
    SET_VECTOR_ELT(out, 3, Rf_ScalarReal(properties.epsilon));
    SET_VECTOR_ELT(out, 4, Rf_ScalarReal((double)properties.nnz));
    SET_VECTOR_ELT(out, 5, Rf_ScalarReal((double)properties.landmarks));
    SET_VECTOR_ELT(out, 6, Rf_ScalarReal((double)properties.bytes));
    SET_VECTOR_ELT(out, 7, Rf_ScalarReal((double)properties.added_pairs));
    SET_VECTOR_ELT(out, 8, Rf_ScalarReal(properties.floor_share));
    UNPROTECT(1);
    return out;
}

SEXP scalot_r_kernel_free(SEXP kernel) {
    handle_release(kernel);
    return R_NilValue;
}
