# The README's R example on its own data, for a few seeds: every solve converges without a warning, and
# the LCN solve's certified interval holds the dense solve's regularised cost.

for (seed in 1:3) {
    set.seed(seed)
    x <- matrix(rnorm(2000), 1000, 2)
    y <- matrix(rnorm(1600, mean = 1), 800, 2)
    test_that(sprintf("the README's kernels converge on its data (seed %d)", seed), {
        plan <- expect_silent(sinkhorn(x, y, eps = 0.5, tolerance = 1e-9))
        expect_true(plan$converged)
        k <- dense_kernel(x, y, eps = 0.5, mode = "online")
        warm <- expect_silent(sinkhorn(k, warm_start = potentials(plan), progress = function(i, e) TRUE))
        expect_true(warm$converged)
        ks <- sparse_kernel(x, y, eps = 0.5, rule = "neighbours", k = 30)
        expect_true(expect_silent(sinkhorn(ks, tolerance = 1e-9))$converged)
        kl <- lcn_kernel(x, y, eps = 0.5, nystrom = nystrom_control(landmarks = 50),
                         pairs = pairs_control("hierarchical_kmeans", branching = c(10, 10)))
        lcn <- expect_silent(sinkhorn(kl, tolerance = 1e-9))
        expect_true(lcn$converged)
        interval <- certify(lcn)
        exact <- regularized_objective(plan)
        expect_lte(interval$lower, exact * (1 + 1e-9))
        expect_gte(interval$upper, exact * (1 - 1e-9))
    })
}
