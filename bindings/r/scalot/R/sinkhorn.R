# Sinkhorn: the control list, and solves from points or from a built kernel.

sinkhorn_control <- function(tolerance = NULL, max_iterations = NULL, check_interval = NULL, tau = NULL,
                             epsilon_scaling = NULL, overrelaxation = NULL, warm_start = NULL,
                             progress = NULL) {
    if (!is.null(tau) && length(tau) == 1L) tau <- c(tau, tau)
    if (!is.null(warm_start) && !is.null(warm_start$f)) warm_start <- list(warm_start$f, warm_start$g)
    as_doubles <- function(v) if (is.null(v)) NULL else as.double(v)
    structure(list(tolerance = tolerance, max_iterations = max_iterations, check_interval = check_interval,
                   tau = as_doubles(tau), epsilon_scaling = as_doubles(epsilon_scaling),
                   overrelaxation = overrelaxation,
                   warm_start = if (is.null(warm_start)) NULL else lapply(warm_start, as.double),
                   progress = progress),
              class = "scalot_sinkhorn_control")
}

sinkhorn <- function(x, ...) UseMethod("sinkhorn")

sinkhorn.default <- function(x, y, eps, a = NULL, b = NULL,
                             kernel = c("dense", "dense_f32", "online", "sparse", "nystrom", "lcn"),
                             cost = c("sqeuclidean", "euclidean", "negdot"), control = sinkhorn_control(...),
                             ...) {
    kernel <- match.arg(kernel)
    cost <- match.arg(cost)
    k <- switch(kernel,
                sparse = sparse_kernel(x, y, eps, cost = cost),
                nystrom = nystrom_kernel(x, y, eps, cost = cost, control = nystrom_control()),
                lcn = lcn_kernel(x, y, eps, cost = cost),
                dense_kernel(x, y, eps, cost = cost,
                             mode = switch(kernel, dense = "f64", dense_f32 = "f32", online = "online")))
    on.exit(release(k))
    sinkhorn(k, a = a, b = b, control = control)
}

sinkhorn.scalot_kernel <- function(x, a = NULL, b = NULL, control = sinkhorn_control(...), ...) {
    weights <- function(w) if (is.null(w)) NULL else as.double(w)
    # An R error in `progress` cannot cross the library; it is caught here, cancels the solve, and is
    # raised again once the library has returned.
    failure <- NULL
    if (is.function(control$progress)) {
        user_progress <- control$progress
        control$progress <- function(iteration, error) {
            tryCatch(!isFALSE(user_progress(iteration, error)),
                     error = function(e) {
                         failure <<- e
                         FALSE
                     })
        }
    }
    handle <- tryCatch(.Call(scalot_r_sinkhorn_solve, x$handle, weights(a), weights(b), control),
                       error = function(e) if (is.null(failure)) stop(e) else NULL)
    if (!is.null(failure)) stop(failure)
    warn_unless_converged(new_plan(handle, x$d))
}
