# Descriptions of sparse pairs and Nystrom landmarks, turned into option handles by src/options.c.

pairs_control <- function(rule = c("default", "kmeans", "hierarchical_kmeans", "lsh", "neighbours",
                                   "truncation"),
                          clusters = 100, branching = c(10, 100), rounds = 1, iterations = 20,
                          buckets = 130, hashes = 2, bands = 16, k = 10, factor = 10, seed = 0,
                          coverage = 2, backbone = TRUE) {
    values <- switch(match.arg(rule),
                     default = -1,
                     kmeans = c(0, clusters, rounds, iterations),
                     neighbours = c(1, k),
                     truncation = c(2, factor),
                     lsh = c(3, buckets, hashes, bands),
                     hierarchical_kmeans = c(4, rounds, iterations, branching))
    if (!is.numeric(seed) || length(seed) != 1L || !(seed >= 0)) {
        stop("scalot: `seed` must be a non-negative whole number", call. = FALSE)
    }
    if (!is.numeric(coverage) || length(coverage) != 1L || !(coverage >= 0)) {
        stop("scalot: `coverage` must be a non-negative whole number", call. = FALSE)
    }
    if (!is.logical(backbone) || length(backbone) != 1L || is.na(backbone)) {
        stop("scalot: `backbone` must be TRUE or FALSE", call. = FALSE)
    }
    structure(as.double(append(values, c(seed, coverage, backbone), after = 1L)),
              class = "scalot_pairs_control")
}

landmark_rules <- c("kmeans++" = 1L, uniform = 0L, kmeans = 2L, pivoted = 3L)
inverse_methods <- c(eigen = 0L, cholesky = 1L)

nystrom_control <- function(landmarks = NULL, rule = c("kmeans++", "uniform", "kmeans", "pivoted"),
                            iterations = 10,
                            inverse = c("eigen", "cholesky"), tolerance = 1e-8, seed = 0) {
    if (!is.null(landmarks) && (!is.numeric(landmarks) || length(landmarks) != 1L || landmarks < 1)) {
        stop("scalot: `landmarks` must be NULL or a whole number >= 1 (SCALOT_STATUS_INVALID_ARGUMENT)",
             call. = FALSE)
    }
    structure(as.double(c(if (is.null(landmarks)) 0 else landmarks, landmark_rules[[match.arg(rule)]],
                          iterations, inverse_methods[[match.arg(inverse)]], tolerance, seed)),
              class = "scalot_nystrom_control")
}
