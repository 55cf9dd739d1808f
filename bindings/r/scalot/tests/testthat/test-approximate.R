# Nystrom and LCN kernels: exact limits reproduce dense Sinkhorn, LCN beats Nystrom, bad settings are named.

set.seed(11)
x <- matrix(runif(60), 30, 2)
y <- matrix(runif(40) + 0.2, 20, 2)
dense <- sinkhorn(x, y, eps = 0.3, tolerance = 1e-10, max_iterations = 1e5)

test_that("Nystrom on every point reproduces dense Sinkhorn", {
    k <- nystrom_kernel(x, y, eps = 0.3, landmarks = 50, rule = "uniform", seed = 2)
    info <- kernel_info(k)
    expect_equal(info$kind, "nystrom")
    expect_equal(info$landmarks, 50)
    plan <- sinkhorn(k, tolerance = 1e-9, max_iterations = 1e5)
    expect_equal(transport_cost(plan), transport_cost(dense), tolerance = 1e-6)
})

test_that("LCN with every pair kept is exact, and defaults work", {
    k <- lcn_kernel(x, y, eps = 0.3, nystrom = nystrom_control(landmarks = 3, inverse = "cholesky"),
                    pairs = pairs_control("hierarchical_kmeans", branching = c(1, 1)))
    expect_equal(kernel_info(k)$kind, "lcn")
    expect_equal(kernel_info(k)$nnz, 600)
    plan <- sinkhorn(k, tolerance = 1e-10, max_iterations = 1e5)
    expect_equal(as.matrix(plan), as.matrix(dense), tolerance = 1e-7)
    expect_equal(dim(as.matrix(sinkhorn(x, y, eps = 0.3, kernel = "lcn"))), c(30, 20))
})

test_that("LCN is closer to dense than Nystrom on the same landmarks", {
    control <- nystrom_control(landmarks = 5, seed = 4)
    nys <- sinkhorn(nystrom_kernel(x, y, eps = 0.3, control = control), max_iterations = 1e4)
    lcn <- sinkhorn(lcn_kernel(x, y, eps = 0.3, nystrom = control,
                               pairs = pairs_control("kmeans", clusters = 3, iterations = 10)),
                    max_iterations = 1e4)
    error <- function(p) sum(abs(as.matrix(p) - as.matrix(dense)))
    expect_lt(error(lcn), error(nys))
})

test_that("bad approximate settings are refused with their names", {
    expect_error(nystrom_kernel(x, y, eps = 1, landmarks = 0), "landmarks")
    expect_error(nystrom_kernel(x, y, eps = 1, landmarks = 51), "landmarks.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(nystrom_kernel(x, y, eps = 1, tolerance = 2), "tolerance.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(sparse_kernel(x, y, eps = 1, rule = "lsh", buckets = 7), "buckets.*INVALID_ARGUMENT")
    expect_error(sparse_kernel(x, y, eps = 1, rule = "lsh", buckets = 0), "buckets.*INVALID_ARGUMENT")
    expect_error(sparse_kernel(x, y, eps = 1, rule = "hierarchical_kmeans", branching = c(2, 0)),
                 "branching.*INVALID_ARGUMENT")
    expect_error(lcn_kernel(x, y, eps = -1), "epsilon.*INVALID_ARGUMENT")
    expect_error(lcn_kernel(x, y, eps = 1, pairs = 3), "pairs_control")
})

test_that("the certificate's interval holds the dense regularised cost, for every kernel", {
    exact <- regularized_objective(dense)
    tight <- certify(dense)
    expect_lt(tight$relative_gap, 1e-8)
    expect_equal(tight$sampled_rows, 0)
    for (k in list(nystrom_kernel(x, y, eps = 0.3, landmarks = 5), lcn_kernel(x, y, eps = 0.3),
                   sparse_kernel(x, y, eps = 0.3, clusters = 4))) {
        certificate <- certify(sinkhorn(k, max_iterations = 1e4))
        expect_lte(certificate$lower, exact + 1e-9)
        expect_gte(certificate$upper, exact - 1e-9)
    }
    calls <- 0
    sampled <- certify(dense, exact_limit = 0, samples = 10, seed = 3,
                       progress = function(blocks, fraction) { calls <<- calls + 1; TRUE })
    expect_equal(sampled$sampled_rows, 10)
    expect_gt(calls, 0)
    expect_error(certify(dense, samples = 0), "rows.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(certify(dense, progress = function(blocks, fraction) FALSE), "cancelled")
})
