/* Registers the .Call entry points and turns off lookup by name, as Writing R Extensions asks. */
#include <R_ext/Rdynload.h>

#include "glue.h"

SEXP scalot_r_version(void);
SEXP scalot_r_status_name(SEXP);
SEXP scalot_r_last_error_message(void);
SEXP scalot_r_num_threads(void);
SEXP scalot_r_set_num_threads(SEXP);
SEXP scalot_r_kernel_dense_new(SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP scalot_r_kernel_dense_from_cost(SEXP, SEXP, SEXP);
SEXP scalot_r_kernel_sparse_new(SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP scalot_r_kernel_nystrom_new(SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP scalot_r_kernel_lcn_new(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP scalot_r_kernel_info(SEXP);
SEXP scalot_r_kernel_free(SEXP);
SEXP scalot_r_sinkhorn_solve(SEXP, SEXP, SEXP, SEXP);
SEXP scalot_r_plan_free(SEXP);
SEXP scalot_r_plan_shape(SEXP);
SEXP scalot_r_plan_converged(SEXP);
SEXP scalot_r_plan_stop_reason(SEXP);
SEXP scalot_r_plan_kernel(SEXP);
SEXP scalot_r_plan_certify(SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP scalot_r_plan_iterations(SEXP);
SEXP scalot_r_plan_marginal_error(SEXP);
SEXP scalot_r_plan_transport_cost(SEXP);
SEXP scalot_r_plan_regularized_objective(SEXP);
SEXP scalot_r_plan_dual_objective(SEXP);
SEXP scalot_r_plan_mass(SEXP);
SEXP scalot_r_plan_potentials(SEXP);
SEXP scalot_r_plan_marginals(SEXP);
SEXP scalot_r_plan_apply(SEXP, SEXP);
SEXP scalot_r_plan_apply_transpose(SEXP, SEXP);
SEXP scalot_r_plan_barycentric_projection(SEXP, SEXP);
SEXP scalot_r_plan_gradient_x(SEXP, SEXP);
SEXP scalot_r_plan_to_dense(SEXP);
SEXP scalot_r_plan_top_k(SEXP, SEXP);
SEXP scalot_r_rrho_solve(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP scalot_r_rrho_summary(SEXP);
SEXP scalot_r_rrho_potentials(SEXP);
SEXP scalot_r_rrho_marginals(SEXP);
SEXP scalot_r_rrho_apply(SEXP, SEXP, SEXP);
SEXP scalot_r_rrho_top_k(SEXP, SEXP);
SEXP scalot_r_align(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP scalot_r_retrieval_precision(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);

#define ENTRY(name, arity) {#name, (DL_FUNC)&name, arity}

static const R_CallMethodDef call_methods[] = {
    ENTRY(scalot_r_version, 0),
    ENTRY(scalot_r_status_name, 1),
    ENTRY(scalot_r_last_error_message, 0),
    ENTRY(scalot_r_num_threads, 0),
    ENTRY(scalot_r_set_num_threads, 1),
    ENTRY(scalot_r_kernel_dense_new, 5),
    ENTRY(scalot_r_kernel_dense_from_cost, 3),
    ENTRY(scalot_r_kernel_sparse_new, 5),
    ENTRY(scalot_r_kernel_nystrom_new, 5),
    ENTRY(scalot_r_kernel_lcn_new, 6),
    ENTRY(scalot_r_kernel_info, 1),
    ENTRY(scalot_r_kernel_free, 1),
    ENTRY(scalot_r_sinkhorn_solve, 4),
    ENTRY(scalot_r_plan_free, 1),
    ENTRY(scalot_r_plan_shape, 1),
    ENTRY(scalot_r_plan_converged, 1),
    ENTRY(scalot_r_plan_stop_reason, 1),
    ENTRY(scalot_r_plan_kernel, 1),
    ENTRY(scalot_r_plan_certify, 5),
    ENTRY(scalot_r_plan_iterations, 1),
    ENTRY(scalot_r_plan_marginal_error, 1),
    ENTRY(scalot_r_plan_transport_cost, 1),
    ENTRY(scalot_r_plan_regularized_objective, 1),
    ENTRY(scalot_r_plan_dual_objective, 1),
    ENTRY(scalot_r_plan_mass, 1),
    ENTRY(scalot_r_plan_potentials, 1),
    ENTRY(scalot_r_plan_marginals, 1),
    ENTRY(scalot_r_plan_apply, 2),
    ENTRY(scalot_r_plan_apply_transpose, 2),
    ENTRY(scalot_r_plan_barycentric_projection, 2),
    ENTRY(scalot_r_plan_gradient_x, 2),
    ENTRY(scalot_r_plan_to_dense, 1),
    ENTRY(scalot_r_plan_top_k, 2),
    ENTRY(scalot_r_rrho_solve, 7),
    ENTRY(scalot_r_rrho_summary, 1),
    ENTRY(scalot_r_rrho_potentials, 1),
    ENTRY(scalot_r_rrho_marginals, 1),
    ENTRY(scalot_r_rrho_apply, 3),
    ENTRY(scalot_r_rrho_top_k, 2),
    ENTRY(scalot_r_align, 8),
    ENTRY(scalot_r_retrieval_precision, 6),
    {NULL, NULL, 0},
};

void R_init_scalot(DllInfo *info) {
    R_registerRoutines(info, NULL, call_methods, NULL, NULL);
    R_useDynamicSymbols(info, FALSE);
    R_forceSymbols(info, TRUE);
}
