/* Shared by the .Call glue: handle tags, the dead-handle check and the one way errors reach R. */
#ifndef SCALOT_R_GLUE_H
#define SCALOT_R_GLUE_H

#include <stddef.h>

#define R_NO_REMAP
#include <Rinternals.h>
#include <scalot.h>

/* The kinds of handle an external pointer can hold; its tag says which. */
typedef enum {
    HANDLE_KERNEL,
    HANDLE_PLAN,
    HANDLE_OPTIONS,
    HANDLE_SPARSE_OPTIONS,
    HANDLE_NYSTROM_OPTIONS,
    HANDLE_RRHO_PROBLEM,
    HANDLE_RRHO_OPTIONS,
    HANDLE_RRHO_SOLUTION,
    HANDLE_ALIGN_OPTIONS,
    HANDLE_CERTIFY_OPTIONS
} handle_kind;

/* An empty external pointer for a handle of `kind`, its finalizer already registered. Made before the
 * library allocates, so that storing the address (R_SetExternalPtrAddr) allocates nothing and no long
 * jump can leak the handle. Unprotected on return. */
SEXP handle_empty(handle_kind kind);

/* The live address of a handle, or an R error naming `argument` when it is not a handle of `kind` or is
 * dead (released, or restored by readRDS: external pointers do not survive serialisation). */
void *handle_address(SEXP handle, handle_kind kind, const char *argument);

/* Releases a handle now rather than at garbage collection; a dead handle is left alone. */
void handle_release(SEXP handle);

/* Returns when `status` is OK. Otherwise copies the library's message, releases `held` (a handle, or
 * R_NilValue) and raises an R error: no native state outlives the long jump. */
void check_status(scalot_status status, SEXP held);

/* A non-negative whole number, for a size_t argument; an R error naming `argument` otherwise. */
size_t as_size(SEXP value, const char *argument);
size_t size_value(double value, const char *argument);

/* A length-one double, for a double argument; an R error naming `argument` otherwise. */
double as_double(SEXP value, const char *argument);

/* A double vector's data, or NULL for R's NULL (uniform weights and the like). */
const double *doubles_or_null(SEXP value, const char *argument);

/* Option handles from the descriptions pairs_control() and nystrom_control() build in R: each returns an
 * unprotected external pointer that owns the configured options (released at once on a bad setting). */
SEXP sparse_options_handle(SEXP pairs);
SEXP nystrom_options_handle(SEXP control);

/* What the progress callback shares with the solve that installed it: an R function(iteration, error)
 * or R_NilValue, the last report, and whether R asked to stop. */
typedef struct {
    SEXP progress;
    size_t iteration;
    double error;
    int continue_solve;
    int interrupted;
} progress_context;

/* The C progress callback of every solve: checks for Ctrl-C and calls the R function, neither of which
 * can jump across the library's frames. */
int progress_callback(void *user_data, size_t iteration, double error);

#endif
