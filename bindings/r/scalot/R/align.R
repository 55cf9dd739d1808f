# Wasserstein-Procrustes embedding alignment and the retrieval precision it is judged by.

align_kernels <- c(dense = 0L, sparse = 1L, nystrom = 2L, lcn = 3L)

# Index pairs as two double vectors: a two-column matrix or data frame, one (source, target) per row.
index_pairs <- function(pairs, name) {
    if (is.data.frame(pairs)) pairs <- as.matrix(pairs)
    if (!is.numeric(pairs) || is.null(dim(pairs)) || ncol(pairs) != 2L) {
        stop(sprintf("scalot: `%s` must be a two-column matrix of (source, target) indices", name), call. = FALSE)
    }
    list(as.double(pairs[, 1]), as.double(pairs[, 2]))
}

align <- function(x, y, kernel = c("dense", "sparse", "nystrom", "lcn"), mode = c("f32", "f64", "online"),
                  nystrom = nystrom_control(), pairs = pairs_control(), eps = 0.05, sinkhorn_iterations = 10,
                  steps = 300, learning_rate = 500, decay = 0.5, decay_every = 100, initial = NULL,
                  seed_pairs = NULL, progress = NULL) {
    x <- as_points(x, "x")
    y <- as_points(y, "y")
    kernel <- match.arg(kernel)
    mode <- match.arg(mode)
    numbers <- as.double(c(align_kernels[[kernel]], mode_codes[[mode]], eps, sinkhorn_iterations, steps,
                           learning_rate, decay, decay_every))
    if (length(numbers) != 8L) {
        stop("scalot: eps, sinkhorn_iterations, steps, learning_rate, decay and decay_every must be single numbers",
             call. = FALSE)
    }
    if (!is.null(initial)) initial <- as_points(initial, "initial")
    if (!is.null(seed_pairs)) seed_pairs <- index_pairs(seed_pairs, "seed_pairs")
    result <- .Call(scalot_r_align, x, y, numbers, nystrom, pairs, initial, seed_pairs, progress)
    list(rotation = result$rotation, objectives = result$objectives, plan = new_plan(result$plan, ncol(x)))
}

retrieval_precision <- function(x, y, rotation, pairs, k = 10) {
    x <- as_points(x, "x")
    y <- as_points(y, "y")
    rotation <- as_points(rotation, "rotation")
    pairs <- index_pairs(pairs, "pairs")
    .Call(scalot_r_retrieval_precision, x, y, rotation, pairs[[1]], pairs[[2]], k)
}
