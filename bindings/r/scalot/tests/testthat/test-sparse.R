# The sparse kernel: keeping every pair reproduces the dense solution, and the pair rules hold.

set.seed(5)
x <- matrix(runif(60), 30, 2)
y <- matrix(runif(40) + 0.2, 20, 2)

test_that("every pair kept gives the dense solution, for each rule", {
    dense <- sinkhorn(x, y, eps = 0.05, tolerance = 1e-11, max_iterations = 1e5)
    kernels <- list(sparse_kernel(x, y, eps = 0.05, rule = "truncation", factor = 1e6),
                    sparse_kernel(x, y, eps = 0.05, rule = "neighbours", k = 30),
                    sparse_kernel(x, y, eps = 0.05, rule = "kmeans", clusters = 1))
    for (k in kernels) {
        expect_equal(kernel_info(k)$nnz, 600)
        expect_equal(kernel_info(k)$kind, "sparse")
        plan <- sinkhorn(k, tolerance = 1e-11, max_iterations = 1e5)
        expect_equal(transport_cost(plan), transport_cost(dense), tolerance = 1e-9)
        expect_equal(as.matrix(plan), as.matrix(dense), tolerance = 1e-8)
    }
})

test_that("truncation keeps exactly the cheap pairs, and the plan lives on them", {
    C <- as.matrix(dist(rbind(x, y)))[1:30, 31:50]^2
    k <- sparse_kernel(x, y, eps = 0.02, rule = "truncation", factor = 0.5 / 0.02)
    expect_equal(kernel_info(k)$nnz, sum(C <= 0.5))
    expect_lt(kernel_info(k)$nnz, 600)
    plan <- sinkhorn(k, tolerance = 1e-10, max_iterations = 1e5)
    P <- as.matrix(plan)
    expect_true(all(P[C > 0.5] == 0))
    expect_equal(rowSums(P), rep(1 / 30, 30), tolerance = 1e-8)
    expect_equal(transport_cost(plan), sum(P * unname(C)), tolerance = 1e-12)
})

test_that("sparse rules refuse bad settings and a row without pairs", {
    expect_error(sparse_kernel(x, y, eps = 1, clusters = 0), "clusters.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(sparse_kernel(x, y, eps = 1, rounds = 0), "rounds.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(sparse_kernel(x, y, eps = 1, clusters = 51), "clusters.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(sparse_kernel(x, y, eps = 1, rule = "neighbours", k = 0), "k.*INVALID_ARGUMENT")
    expect_error(sparse_kernel(x, y, eps = 1, rule = "truncation", factor = -1), "factor.*INVALID_ARGUMENT")
    expect_error(sparse_kernel(x, y, eps = 1, seed = -1), "`seed` must be a non-negative")
    far <- x
    far[4, ] <- 100
    k <- sparse_kernel(far, y, eps = 0.05, rule = "truncation", factor = 10)
    expect_error(sinkhorn(k), "row 3 .*SCALOT_STATUS_NUMERICAL_FAILURE")
})

test_that("the same seed gives the same pairs", {
    a <- sparse_kernel(x, y, eps = 0.1, clusters = 4, rounds = 2, seed = 9)
    b <- sparse_kernel(x, y, eps = 0.1, clusters = 4, rounds = 2, seed = 9)
    expect_equal(kernel_info(a)$nnz, kernel_info(b)$nnz)
    expect_identical(as.matrix(sinkhorn(a)), as.matrix(sinkhorn(b)))
})
