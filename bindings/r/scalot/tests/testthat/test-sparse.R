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
    k <- sparse_kernel(x, y, eps = 0.02, rule = "truncation", factor = 0.5 / 0.02, coverage = 0,
                       backbone = FALSE)
    expect_equal(kernel_info(k)$nnz, sum(C <= 0.5))
    expect_lt(kernel_info(k)$nnz, 600)
    plan <- sinkhorn(k, tolerance = 1e-10, max_iterations = 1e5)
    expect_equal(kernel_info(plan_kernel(plan))$added_pairs, 0)
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
    k <- sparse_kernel(far, y, eps = 0.05, rule = "truncation", factor = 10, coverage = 0, backbone = FALSE)
    expect_error(sinkhorn(k), "row 3 .*coverage.*SCALOT_STATUS_NUMERICAL_FAILURE")
    expect_error(pairs_control(coverage = -1), "`coverage` must be")
    expect_error(pairs_control(backbone = NA), "`backbone` must be")
})

test_that("coverage and the backbone let every balanced solve converge", {
    far <- x
    far[4, ] <- 100
    plan <- sinkhorn(sparse_kernel(far, y, eps = 0.05, rule = "truncation", factor = 10))
    expect_true(plan$converged)
    expect_gt(kernel_info(plan_kernel(plan))$added_pairs, 0)
    # Without the backbone, k-means buckets admit no plan with these marginals: the solve warns.
    k <- sparse_kernel(x, y, eps = 0.05, clusters = 5, backbone = FALSE)
    expect_warning(stuck <- sinkhorn(k, max_iterations = 300), "iteration limit")
    expect_false(stuck$converged)
    expect_true(sinkhorn(sparse_kernel(x, y, eps = 0.05, clusters = 5), max_iterations = 5000)$converged)
})

test_that("the same seed gives the same pairs", {
    a <- sparse_kernel(x, y, eps = 0.1, clusters = 4, rounds = 2, seed = 9)
    b <- sparse_kernel(x, y, eps = 0.1, clusters = 4, rounds = 2, seed = 9)
    expect_equal(kernel_info(a)$nnz, kernel_info(b)$nnz)
    expect_identical(as.matrix(sinkhorn(a)), as.matrix(sinkhorn(b)))
})
