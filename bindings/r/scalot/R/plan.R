# Plans: the handle, with the shape and convergence facts read once at creation.

stop_reasons <- c("converged", "iteration limit", "stalled")

new_plan <- function(handle, d) {
    shape <- .Call(scalot_r_plan_shape, handle)
    structure(list(handle = handle, n = shape[[1]], m = shape[[2]], d = d,
                   converged = .Call(scalot_r_plan_converged, handle),
                   stop_reason = stop_reasons[[.Call(scalot_r_plan_stop_reason, handle) + 1L]],
                   iterations = .Call(scalot_r_plan_iterations, handle),
                   marginal_error = .Call(scalot_r_plan_marginal_error, handle)),
              class = "scalot_plan")
}

# A solve that stops short of its tolerance warns, as POT does, naming why it stopped.
warn_unless_converged <- function(plan) {
    if (!plan$converged) {
        advice <- if (plan$stop_reason == "stalled") {
            "the error stopped falling; use a looser tolerance or a more accurate kernel"
        } else {
            "raise max_iterations or loosen the tolerance"
        }
        warning(sprintf("scalot: the solve stopped at its %s after %g iterations with marginal error %.3g: %s",
                        plan$stop_reason, plan$iterations, plan$marginal_error, advice), call. = FALSE)
    }
    plan
}

certify <- function(plan, exact_limit = NULL, samples = 1000, seed = 0, progress = NULL) {
    limit <- if (is.null(exact_limit)) NA_real_ else as.double(exact_limit)
    .Call(scalot_r_plan_certify, plan_handle(plan), limit, as.double(samples), as.double(seed), progress)
}

plan_kernel <- function(plan) new_kernel(.Call(scalot_r_plan_kernel, plan_handle(plan)), plan$d)

plan_handle <- function(plan) {
    if (!inherits(plan, "scalot_plan")) stop("scalot: `plan` must be a scalot_plan", call. = FALSE)
    plan$handle
}

potentials <- function(plan) {
    p <- .Call(scalot_r_plan_potentials, plan_handle(plan))
    list(f = p[[1]], g = p[[2]])
}

marginals <- function(plan) {
    p <- .Call(scalot_r_plan_marginals, plan_handle(plan))
    list(rows = p[[1]], cols = p[[2]])
}

transport_cost <- function(plan) .Call(scalot_r_plan_transport_cost, plan_handle(plan))
regularized_objective <- function(plan) .Call(scalot_r_plan_regularized_objective, plan_handle(plan))
dual_objective <- function(plan) .Call(scalot_r_plan_dual_objective, plan_handle(plan))
plan_mass <- function(plan) .Call(scalot_r_plan_mass, plan_handle(plan))

plan_apply <- function(plan, v) .Call(scalot_r_plan_apply, plan_handle(plan), as.double(v))
plan_apply_transpose <- function(plan, u) .Call(scalot_r_plan_apply_transpose, plan_handle(plan), as.double(u))

points_of <- function(plan) {
    if (is.na(plan$d)) {
        stop("scalot: this plan's kernel was built from a cost matrix and has no points", call. = FALSE)
    }
    plan$d
}

barycentric_projection <- function(plan) {
    .Call(scalot_r_plan_barycentric_projection, plan_handle(plan), points_of(plan))
}

gradient_x <- function(plan) .Call(scalot_r_plan_gradient_x, plan_handle(plan), points_of(plan))

top_k <- function(plan, k) {
    entries <- .Call(scalot_r_plan_top_k, plan_handle(plan), k)
    data.frame(row = entries$row, col = entries$col, value = entries$value)
}

as.matrix.scalot_plan <- function(x, max_entries = 1e8, ...) {
    if (x$n * x$m > max_entries) {
        stop(sprintf("scalot: the plan has %g entries, more than max_entries = %g", x$n * x$m, max_entries),
             call. = FALSE)
    }
    .Call(scalot_r_plan_to_dense, plan_handle(x))
}

print.scalot_plan <- function(x, ...) {
    cat(sprintf("scalot plan: %g x %g, %s after %g iterations, marginal error %.3g\n", x$n, x$m,
                if (x$converged) "converged" else paste("stopped:", x$stop_reason), x$iterations,
                x$marginal_error))
    invisible(x)
}

summary.scalot_plan <- function(object, ...) {
    h <- plan_handle(object)
    structure(list(n = object$n, m = object$m, converged = object$converged, iterations = object$iterations,
                   marginal_error = object$marginal_error,
                   transport_cost = tryCatch(.Call(scalot_r_plan_transport_cost, h),
                                             error = function(e) NA_real_),
                   regularized_objective = .Call(scalot_r_plan_regularized_objective, h),
                   dual_objective = .Call(scalot_r_plan_dual_objective, h),
                   mass = .Call(scalot_r_plan_mass, h)),
              class = "summary.scalot_plan")
}

print.summary.scalot_plan <- function(x, ...) {
    cat(sprintf("scalot plan: %g x %g, %s after %g iterations\n", x$n, x$m,
                if (x$converged) "converged" else "not converged", x$iterations))
    values <- c(`transport cost` = x$transport_cost, `regularized objective` = x$regularized_objective,
                `dual objective` = x$dual_objective, mass = x$mass, `marginal error` = x$marginal_error)
    print(format(values, digits = 10), quote = FALSE)
    invisible(x)
}

release.scalot_plan <- function(x) {
    .Call(scalot_r_plan_free, x$handle)
    invisible(NULL)
}
