/* Sparse and Nystrom option handles from their R descriptions (R/control.R):
 *  pairs:   c(rule, seed, coverage, backbone, parameters...), rule -1 leaving the kernel's default;
 *  control: c(landmarks (0: the kernel's default), rule, iterations, inverse, tolerance, seed). */
#include <stdint.h>

#include "glue.h"

/* Rule codes of pairs_control(). */
enum { PAIRS_DEFAULT = -1, PAIRS_KMEANS, PAIRS_NEIGHBOURS, PAIRS_TRUNCATION, PAIRS_LSH, PAIRS_HIERARCHICAL };

static const double *description(SEXP value, R_xlen_t length, const char *argument, const char *maker) {
    if (TYPEOF(value) != REALSXP || Rf_xlength(value) < length) {
        Rf_error("scalot: `%s` must come from %s()", argument, maker);
    }
    return REAL(value);
}

SEXP sparse_options_handle(SEXP pairs) {
    const double *p = description(pairs, 4, "pairs", "pairs_control");
    R_xlen_t length = Rf_xlength(pairs);
    int rule = (int)p[0];
    uint64_t seed = (uint64_t)size_value(p[1], "seed");
    size_t coverage = size_value(p[2], "coverage");
    int backbone = p[3] != 0.0;
    /* The rule's parameters follow the four common entries. */
    const double *q = p + 4;
    if ((rule == PAIRS_KMEANS || rule == PAIRS_LSH) && length != 7) {
        Rf_error("scalot: `pairs` must come from pairs_control()");
    }
    size_t levels = rule == PAIRS_HIERARCHICAL ? (size_t)(length - 6) : 0;
    size_t *branching = levels > 0 ? (size_t *)R_alloc(levels, sizeof(size_t)) : NULL;
    for (size_t level = 0; level < levels; ++level) {
        branching[level] = size_value(q[2 + level], "branching");
    }

    SEXP handle = PROTECT(handle_empty(HANDLE_SPARSE_OPTIONS));
    scalot_sparse_options *options = NULL;
    check_status(scalot_sparse_options_new(&options), R_NilValue);
    R_SetExternalPtrAddr(handle, options);
    scalot_status status = SCALOT_STATUS_OK;
    switch (rule) {
    case PAIRS_DEFAULT:
        break;
    case PAIRS_KMEANS:
        status = scalot_sparse_options_set_kmeans(options, size_value(q[0], "clusters"),
                                                  size_value(q[1], "rounds"),
                                                  size_value(q[2], "iterations"));
        break;
    case PAIRS_NEIGHBOURS:
        status = scalot_sparse_options_set_neighbours(options, size_value(q[0], "k"));
        break;
    case PAIRS_TRUNCATION:
        status = scalot_sparse_options_set_truncation(options, q[0]);
        break;
    case PAIRS_LSH:
        status = scalot_sparse_options_set_lsh(options, size_value(q[0], "buckets"),
                                               size_value(q[1], "hashes"), size_value(q[2], "bands"));
        break;
    case PAIRS_HIERARCHICAL:
        status = scalot_sparse_options_set_hierarchical_kmeans(
            options, branching, levels, size_value(q[0], "rounds"), size_value(q[1], "iterations"));
        break;
    default:
        handle_release(handle);
        Rf_error("scalot: `pairs` must come from pairs_control()");
    }
    check_status(status, handle);
    check_status(scalot_sparse_options_set_seed(options, seed), handle);
    check_status(scalot_sparse_options_set_coverage(options, coverage), handle);
    check_status(scalot_sparse_options_set_backbone(options, backbone), handle);
    UNPROTECT(1);
    return handle;
}

SEXP nystrom_options_handle(SEXP control) {
    const double *c = description(control, 6, "landmarks", "nystrom_control");
    size_t landmarks = size_value(c[0], "landmarks");
    int rule = (int)c[1], method = (int)c[3];
    size_t iterations = size_value(c[2], "iterations");
    uint64_t seed = (uint64_t)size_value(c[5], "seed");

    SEXP handle = PROTECT(handle_empty(HANDLE_NYSTROM_OPTIONS));
    scalot_nystrom_options *options = NULL;
    check_status(scalot_nystrom_options_new(&options), R_NilValue);
    R_SetExternalPtrAddr(handle, options);
    if (landmarks > 0) {
        check_status(scalot_nystrom_options_set_landmarks(options, landmarks, rule, iterations), handle);
    }
    check_status(scalot_nystrom_options_set_inverse(options, method, c[4]), handle);
    check_status(scalot_nystrom_options_set_seed(options, seed), handle);
    UNPROTECT(1);
    return handle;
}
