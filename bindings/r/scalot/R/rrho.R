# R_rho (Charikar, Chen, Re, Waingarten 2023): one call poses and solves; the solution is a handle.

rrho <- function(x, y, rho, mu = NULL, nu = NULL, floor = 1e-3, granularity = 0, tolerance = 1e-6,
                 max_passes = 1000, engine = c("exact", "tree"), accuracy = 1e-3,
                 method = c("block_ascent", "sign_ascent"), step = 1e-3, warm_start = NULL, progress = NULL) {
    engine <- match.arg(engine)
    method <- match.arg(method)
    as_points <- function(p) {
        p <- as.matrix(p)
        storage.mode(p) <- "double"
        p
    }
    weights <- function(w) if (is.null(w)) NULL else as.double(w)
    numbers <- as.double(c(rho, floor, granularity, tolerance, max_passes, accuracy,
                           match(engine, c("exact", "tree")) - 1, step,
                           match(method, c("block_ascent", "sign_ascent")) - 1))
    if (length(numbers) != 9L) stop("scalot: rho, floor, granularity, tolerance, max_passes, accuracy and step must be single numbers", call. = FALSE)
    if (!is.null(warm_start)) warm_start <- lapply(warm_start, as.double)
    handle <- .Call(scalot_r_rrho_solve, as_points(x), as_points(y), weights(mu), weights(nu), numbers,
                    warm_start, progress)
    structure(c(list(handle = handle), .Call(scalot_r_rrho_summary, handle)), class = "scalot_rrho")
}

rrho_handle <- function(solution) {
    if (!inherits(solution, "scalot_rrho")) stop("scalot: `solution` must be a scalot_rrho", call. = FALSE)
    solution$handle
}

rrho_potentials <- function(solution) {
    p <- .Call(scalot_r_rrho_potentials, rrho_handle(solution))
    list(alpha = p[[1]], beta = p[[2]])
}

rrho_marginals <- function(solution) {
    p <- .Call(scalot_r_rrho_marginals, rrho_handle(solution))
    list(rows = p[[1]], cols = p[[2]])
}

rrho_apply <- function(solution, v) .Call(scalot_r_rrho_apply, rrho_handle(solution), as.double(v), FALSE)

rrho_apply_transpose <- function(solution, u) {
    .Call(scalot_r_rrho_apply, rrho_handle(solution), as.double(u), TRUE)
}

rrho_top_k <- function(solution, k) {
    entries <- .Call(scalot_r_rrho_top_k, rrho_handle(solution), k)
    data.frame(row = entries$row, col = entries$col, value = entries$value)
}

print.scalot_rrho <- function(x, ...) {
    cat(sprintf("scalot R_rho solution: %d x %d, value %.10g (certified upper bound %.10g), %s after %d passes\n",
                as.integer(x$n), as.integer(x$m), x$value, x$upper_bound,
                if (x$converged) "converged" else "not converged", as.integer(x$passes)))
    invisible(x)
}
