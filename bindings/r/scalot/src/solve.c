/* Sinkhorn: options from the R control list, the solve, and Ctrl-C through the progress callback. */
#include <string.h>

#include "glue.h"

/* The control list converted to C values before any native state exists, so that reading it may
 * raise R errors freely. A `has_*` flag is false where the list says NULL: the library's default. */
typedef struct {
    int has_tolerance, has_max_iterations, has_check_interval, has_overrelaxation;
    double tolerance, overrelaxation;
    size_t max_iterations, check_interval;
    const double *tau, *epsilon_scaling; /* Two numbers each, or NULL. */
    SEXP warm_start;                     /* list(f, g) of double vectors, or R_NilValue. */
    SEXP progress;                       /* function(iteration, error), or R_NilValue. */
} control;

static SEXP element(SEXP list, const char *name) {
    SEXP names = Rf_getAttrib(list, R_NamesSymbol);
    if (names == R_NilValue) {
        return R_NilValue;
    }
    for (R_xlen_t i = 0; i < Rf_xlength(list); ++i) {
        if (strcmp(CHAR(STRING_ELT(names, i)), name) == 0) {
            return VECTOR_ELT(list, i);
        }
    }
    return R_NilValue;
}

static const double *pair(SEXP value, const char *argument) {
    if (value == R_NilValue) {
        return NULL;
    }
    if (TYPEOF(value) != REALSXP || Rf_xlength(value) != 2) {
        Rf_error("scalot: `%s` must be two numbers or NULL", argument);
    }
    return REAL(value);
}

static control read_control(SEXP list) {
    if (TYPEOF(list) != VECSXP) {
        Rf_error("scalot: `control` must be a list from sinkhorn_control()");
    }
    control c = {0};
    SEXP value;
    if ((value = element(list, "tolerance")) != R_NilValue) {
        c.has_tolerance = 1;
        c.tolerance = as_double(value, "tolerance");
    }
    if ((value = element(list, "max_iterations")) != R_NilValue) {
        c.has_max_iterations = 1;
        c.max_iterations = as_size(value, "max_iterations");
    }
    if ((value = element(list, "check_interval")) != R_NilValue) {
        c.has_check_interval = 1;
        c.check_interval = as_size(value, "check_interval");
    }
    if ((value = element(list, "overrelaxation")) != R_NilValue) {
        c.has_overrelaxation = 1;
        c.overrelaxation = as_double(value, "overrelaxation");
    }
    c.tau = pair(element(list, "tau"), "tau");
    c.epsilon_scaling = pair(element(list, "epsilon_scaling"), "epsilon_scaling");
    c.warm_start = element(list, "warm_start");
    if (c.warm_start != R_NilValue &&
        (TYPEOF(c.warm_start) != VECSXP || Rf_xlength(c.warm_start) != 2 ||
         TYPEOF(VECTOR_ELT(c.warm_start, 0)) != REALSXP || TYPEOF(VECTOR_ELT(c.warm_start, 1)) != REALSXP)) {
        Rf_error("scalot: `warm_start` must be list(f, g) of double vectors, or NULL");
    }
    c.progress = element(list, "progress");
    if (c.progress != R_NilValue && !Rf_isFunction(c.progress)) {
        Rf_error("scalot: `progress` must be a function(iteration, error) or NULL");
    }
    return c;
}

/* Runs under R_ToplevelExec, so that neither an interrupt nor an R error can jump across the library's
 * frames: either ends this function early and R_ToplevelExec returns FALSE. */
static void progress_step(void *data) {
    progress_context *context = data;
    R_CheckUserInterrupt();
    if (context->progress == R_NilValue) {
        return;
    }
    SEXP call = PROTECT(Rf_lang3(context->progress, Rf_ScalarReal((double)context->iteration),
                                 Rf_ScalarReal(context->error)));
    SEXP result = Rf_eval(call, R_GlobalEnv);
    context->continue_solve = !(TYPEOF(result) == LGLSXP && Rf_xlength(result) == 1 &&
                                LOGICAL(result)[0] == FALSE);
    UNPROTECT(1);
}

int progress_callback(void *user_data, size_t iteration, double error) {
    progress_context *context = user_data;
    context->iteration = iteration;
    context->error = error;
    context->continue_solve = 1;
    if (!R_ToplevelExec(progress_step, context)) {
        context->interrupted = 1;
        return 1;
    }
    return !context->continue_solve;
}

static void apply_control(scalot_sinkhorn_options *options, const control *c, progress_context *context,
                          SEXP held) {
    if (c->has_tolerance) {
        check_status(scalot_sinkhorn_options_set_tolerance(options, c->tolerance), held);
    }
    if (c->has_max_iterations) {
        check_status(scalot_sinkhorn_options_set_max_iterations(options, c->max_iterations), held);
    }
    if (c->has_check_interval) {
        check_status(scalot_sinkhorn_options_set_check_interval(options, c->check_interval), held);
    }
    if (c->tau != NULL) {
        check_status(scalot_sinkhorn_options_set_marginal_relaxation(options, c->tau[0], c->tau[1]), held);
    }
    if (c->epsilon_scaling != NULL) {
        check_status(scalot_sinkhorn_options_set_epsilon_scaling(options, c->epsilon_scaling[0],
                                                                 c->epsilon_scaling[1]),
                     held);
    }
    if (c->has_overrelaxation) {
        check_status(scalot_sinkhorn_options_set_overrelaxation(options, c->overrelaxation), held);
    }
    if (c->warm_start != R_NilValue) {
        SEXP f = VECTOR_ELT(c->warm_start, 0), g = VECTOR_ELT(c->warm_start, 1);
        check_status(scalot_sinkhorn_options_set_warm_start(options, REAL(f), (size_t)Rf_xlength(f), REAL(g),
                                                            (size_t)Rf_xlength(g)),
                     held);
    }
    check_status(scalot_sinkhorn_options_set_progress_callback(options, progress_callback, context), held);
}

SEXP scalot_r_sinkhorn_solve(SEXP kernel, SEXP a, SEXP b, SEXP control_list) {
    const scalot_kernel *k = handle_address(kernel, HANDLE_KERNEL, "kernel");
    const double *as = doubles_or_null(a, "a"), *bs = doubles_or_null(b, "b");
    control c = read_control(control_list);
    scalot_kernel_properties properties;
    check_status(scalot_kernel_info(k, &properties), R_NilValue);
    size_t n = as == NULL ? properties.n : (size_t)Rf_xlength(a);
    size_t m = bs == NULL ? properties.m : (size_t)Rf_xlength(b);
    /* Every R value that could fail has been read; from here on only library calls can fail, and each
     * failure releases the options before raising. */
    SEXP options_handle = PROTECT(handle_empty(HANDLE_OPTIONS));
    SEXP plan_handle = PROTECT(handle_empty(HANDLE_PLAN));
    scalot_sinkhorn_options *options = NULL;
    check_status(scalot_sinkhorn_options_new(&options), R_NilValue);
    R_SetExternalPtrAddr(options_handle, options);
    progress_context context = {c.progress, 0, 0.0, 1, 0};
    apply_control(options, &c, &context, options_handle);

    scalot_plan *plan = NULL;
    scalot_status status = scalot_sinkhorn_solve(k, as, n, bs, m, options, &plan);
    if (status == SCALOT_STATUS_CANCELLED && context.interrupted) {
        handle_release(options_handle);
        Rf_error("scalot: interrupted (by Ctrl-C, or an error in `progress`); the solve was cancelled "
                 "after %lu iterations", (unsigned long)context.iteration);
    }
    check_status(status, options_handle);
    handle_release(options_handle);
    R_SetExternalPtrAddr(plan_handle, plan);
    UNPROTECT(2);
    return plan_handle;
}
