/* External pointers that own scalot handles. */
#include <stdio.h>

#include "glue.h"

static const char *const handle_names[] = {"scalot_kernel", "scalot_plan", "scalot_sinkhorn_options",
                                            "scalot_sparse_options", "scalot_nystrom_options",
                                            "scalot_rrho_problem", "scalot_rrho_options", "scalot_rrho_solution",
                                            "scalot_align_options", "scalot_certify_options"};

static void release_address(void *address, handle_kind kind) {
    switch (kind) {
    case HANDLE_KERNEL:
        scalot_kernel_free(address);
        break;
    case HANDLE_PLAN:
        scalot_plan_free(address);
        break;
    case HANDLE_OPTIONS:
        scalot_sinkhorn_options_free(address);
        break;
    case HANDLE_SPARSE_OPTIONS:
        scalot_sparse_options_free(address);
        break;
    case HANDLE_NYSTROM_OPTIONS:
        scalot_nystrom_options_free(address);
        break;
    case HANDLE_RRHO_PROBLEM:
        scalot_rrho_problem_free(address);
        break;
    case HANDLE_RRHO_OPTIONS:
        scalot_rrho_options_free(address);
        break;
    case HANDLE_RRHO_SOLUTION:
        scalot_rrho_solution_free(address);
        break;
    case HANDLE_ALIGN_OPTIONS:
        scalot_align_options_free(address);
        break;
    case HANDLE_CERTIFY_OPTIONS:
        scalot_certify_options_free(address);
        break;
    }
}

static handle_kind kind_of(SEXP handle) {
    SEXP tag = R_ExternalPtrTag(handle);
    for (int kind = HANDLE_KERNEL; kind <= HANDLE_CERTIFY_OPTIONS; ++kind) {
        if (tag == Rf_install(handle_names[kind])) {
            return (handle_kind)kind;
        }
    }
    Rf_error("scalot: an external pointer that is not a scalot handle");
}

void handle_release(SEXP handle) {
    void *address = R_ExternalPtrAddr(handle);
    if (address != NULL) {
        release_address(address, kind_of(handle));
        R_ClearExternalPtr(handle);
    }
}

static void finalize(SEXP handle) {
    handle_release(handle);
}

SEXP handle_empty(handle_kind kind) {
    SEXP handle = PROTECT(R_MakeExternalPtr(NULL, Rf_install(handle_names[kind]), R_NilValue));
    R_RegisterCFinalizerEx(handle, finalize, TRUE);
    UNPROTECT(1);
    return handle;
}

void *handle_address(SEXP handle, handle_kind kind, const char *argument) {
    if (TYPEOF(handle) != EXTPTRSXP || R_ExternalPtrTag(handle) != Rf_install(handle_names[kind])) {
        Rf_error("scalot: `%s` is not a %s", argument, handle_names[kind]);
    }
    void *address = R_ExternalPtrAddr(handle);
    if (address == NULL) {
        Rf_error("scalot: `%s` is a dead %s: it was released, or saved and restored (handles do not "
                 "survive saveRDS/readRDS); build it again",
                 argument, handle_names[kind]);
    }
    return address;
}

void check_status(scalot_status status, SEXP held) {
    if (status == SCALOT_STATUS_OK) {
        return;
    }
    char message[1024];
    snprintf(message, sizeof message, "scalot: %s (%s)", scalot_last_error_message(),
             scalot_status_name(status));
    if (held != R_NilValue) {
        handle_release(held);
    }
    Rf_error("%s", message);
}

size_t size_value(double v, const char *argument) {
    /* The upper bound comes first: converting a larger double to size_t is undefined. */
    if (!(v >= 0.0) || v >= 18446744073709551616.0 || v != (double)(size_t)v) {
        Rf_error("scalot: `%s` must be a non-negative whole number, got %g", argument, v);
    }
    return (size_t)v;
}

size_t as_size(SEXP value, const char *argument) {
    if (!Rf_isNumeric(value) || Rf_xlength(value) != 1) {
        Rf_error("scalot: `%s` must be one number", argument);
    }
    return size_value(Rf_asReal(value), argument);
}

double as_double(SEXP value, const char *argument) {
    if (!Rf_isNumeric(value) || Rf_xlength(value) != 1) {
        Rf_error("scalot: `%s` must be one number", argument);
    }
    return Rf_asReal(value);
}

const double *doubles_or_null(SEXP value, const char *argument) {
    if (value == R_NilValue) {
        return NULL;
    }
    if (TYPEOF(value) != REALSXP) {
        Rf_error("scalot: `%s` must be a double vector or NULL", argument);
    }
    return REAL(value);
}
