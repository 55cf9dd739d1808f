# Dense kernels. Codes are the enumerations of include/scalot.h.
cost_codes <- c(sqeuclidean = 0L, euclidean = 1L, negdot = 2L)
mode_codes <- c(f64 = 0L, f32 = 1L, online = 2L)
kind_names <- c("dense stored f64", "dense stored f32", "dense online", "sparse", "nystrom", "lcn")

# Points as R users hold them: one per row, column-major, double. A double matrix is passed unchanged
# (the library reads R's layout in place); anything else is converted once here.
as_points <- function(x, name) {
    if (is.data.frame(x)) x <- as.matrix(x)
    if (is.null(dim(x))) x <- matrix(x, ncol = 1L)
    if (!is.numeric(x)) stop(sprintf("scalot: `%s` must be a numeric matrix", name), call. = FALSE)
    if (storage.mode(x) != "double") storage.mode(x) <- "double"
    x
}

new_kernel <- function(handle, d) {
    info <- .Call(scalot_r_kernel_info, handle)
    structure(list(handle = handle, n = info$n, m = info$m, d = d, epsilon = info$epsilon),
              class = "scalot_kernel")
}

dense_kernel <- function(x, y, eps, cost = c("sqeuclidean", "euclidean", "negdot"),
                         mode = c("f64", "f32", "online")) {
    x <- as_points(x, "x")
    y <- as_points(y, "y")
    cost <- match.arg(cost)
    mode <- match.arg(mode)
    handle <- .Call(scalot_r_kernel_dense_new, x, y, cost_codes[[cost]], eps, mode_codes[[mode]])
    new_kernel(handle, ncol(x))
}

sparse_kernel <- function(x, y, eps, cost = c("sqeuclidean", "euclidean", "negdot"),
                          rule = c("kmeans", "hierarchical_kmeans", "lsh", "neighbours", "truncation"), ...) {
    x <- as_points(x, "x")
    y <- as_points(y, "y")
    pairs <- pairs_control(match.arg(rule), ...)
    handle <- .Call(scalot_r_kernel_sparse_new, x, y, cost_codes[[match.arg(cost)]], eps, pairs)
    new_kernel(handle, ncol(x))
}

nystrom_kernel <- function(x, y, eps, cost = c("sqeuclidean", "euclidean", "negdot"),
                           control = nystrom_control(...), ...) {
    x <- as_points(x, "x")
    y <- as_points(y, "y")
    handle <- .Call(scalot_r_kernel_nystrom_new, x, y, cost_codes[[match.arg(cost)]], eps, control)
    new_kernel(handle, ncol(x))
}

lcn_kernel <- function(x, y, eps, cost = c("sqeuclidean", "euclidean", "negdot"),
                       nystrom = nystrom_control(), pairs = pairs_control()) {
    x <- as_points(x, "x")
    y <- as_points(y, "y")
    handle <- .Call(scalot_r_kernel_lcn_new, x, y, cost_codes[[match.arg(cost)]], eps, nystrom, pairs)
    new_kernel(handle, ncol(x))
}

dense_kernel_from_cost <- function(cost, eps, mode = c("f64", "f32", "online")) {
    cost <- as_points(cost, "cost")
    mode <- match.arg(mode)
    new_kernel(.Call(scalot_r_kernel_dense_from_cost, cost, eps, mode_codes[[mode]]), NA_integer_)
}

kernel_info <- function(kernel) {
    info <- .Call(scalot_r_kernel_info, kernel_handle(kernel))
    info$kind <- kind_names[[info$kind + 1L]]
    info
}

kernel_handle <- function(kernel) {
    if (!inherits(kernel, "scalot_kernel")) stop("scalot: `kernel` must be a scalot_kernel", call. = FALSE)
    kernel$handle
}

print.scalot_kernel <- function(x, ...) {
    info <- tryCatch(kernel_info(x), error = function(e) NULL)
    if (is.null(info)) {
        cat("scalot kernel: dead handle (released, or restored by readRDS)\n")
        return(invisible(x))
    }
    cat(sprintf("scalot kernel: %s, %g x %g, eps = %g, %.3g MB\n", info$kind, info$n, info$m,
                info$epsilon, info$bytes / 1e6))
    invisible(x)
}

release.scalot_kernel <- function(x) {
    .Call(scalot_r_kernel_free, x$handle)
    invisible(NULL)
}
