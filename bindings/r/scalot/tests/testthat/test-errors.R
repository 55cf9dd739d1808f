# Bad input: each error names the argument and carries the library's status.

x <- matrix(c(0, 1, 2, 0, 1, 0), 3, 2)
y <- matrix(c(0, 1, 1, 1), 2, 2)

test_that("bad points, weights and eps name the argument and the status", {
    bad <- x
    bad[2, 1] <- NA
    expect_error(sinkhorn(bad, y, eps = 1), "x.*SCALOT_STATUS_NON_FINITE")
    bad[2, 1] <- Inf
    expect_error(sinkhorn(x, bad[1:2, ], eps = 1), "y.*SCALOT_STATUS_NON_FINITE")
    expect_error(sinkhorn(x, y, eps = 0), "epsilon.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(sinkhorn(x, y, eps = NaN), "epsilon.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(sinkhorn(x, y[, 1, drop = FALSE], eps = 1), "`x` has 2 columns but `y` has 1")
    expect_error(sinkhorn(x[0, , drop = FALSE], y, eps = 1), "SCALOT_STATUS_EMPTY_INPUT")
    expect_error(sinkhorn(x, y, eps = 1, a = c(0.5, 0.6, -0.1)), "a.*SCALOT_STATUS_NEGATIVE_WEIGHT")
    expect_error(sinkhorn(x, y, eps = 1, b = c(0, 0)), "b.*SCALOT_STATUS_ZERO_MASS")
    expect_error(sinkhorn(x, y, eps = 1, a = c(1, 1, 1)), "SCALOT_STATUS_MASS_MISMATCH")
    expect_error(sinkhorn(x, y, eps = 1, a = c(0.5, 0.5)), "n.*SCALOT_STATUS_DIMENSION_MISMATCH")
    expect_error(sinkhorn(x, y, eps = 1, a = c(NA, 0.5, 0.5)), "a.*SCALOT_STATUS_NON_FINITE")
    expect_error(sinkhorn(matrix("a", 2, 2), y, eps = 1), "`x` must be a numeric matrix")
})

test_that("bad options name the option", {
    expect_error(sinkhorn(x, y, eps = 1, tolerance = -1), "tolerance.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(sinkhorn(x, y, eps = 1, max_iterations = 0), "max_iterations.*INVALID_ARGUMENT")
    expect_error(sinkhorn(x, y, eps = 1, max_iterations = -1), "`max_iterations` must be a non-negative")
    expect_error(sinkhorn(x, y, eps = 1, tau = c(1, 0)), "tau_b.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(sinkhorn(x, y, eps = 1, epsilon_scaling = c(0.5, 0.5)), "start")
    expect_error(sinkhorn(x, y, eps = 1, overrelaxation = 2.5), "omega")
    expect_error(sinkhorn(x, y, eps = 1, warm_start = list(f = c(1, 2), g = c(1, 2))), "DIMENSION_MISMATCH")
    expect_error(sinkhorn(x, y, eps = 1, progress = 3), "`progress` must be a function")
})

test_that("bad queries are refused", {
    plan <- sinkhorn(x, y, eps = 1)
    expect_error(plan_apply(plan, c(1, 2, 3)), "SCALOT_STATUS_DIMENSION_MISMATCH")
    expect_error(plan_apply_transpose(plan, c(1, NA, 3)), "SCALOT_STATUS_NON_FINITE")
    expect_error(top_k(plan, 0), "k.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(top_k(plan, 3), "k.*SCALOT_STATUS_INVALID_ARGUMENT")
    expect_error(as.matrix(plan, max_entries = 5), "more than max_entries")
    expect_error(potentials(list()), "`plan` must be a scalot_plan")
    k <- dense_kernel(x, y, eps = 1, cost = "euclidean")
    expect_error(gradient_x(sinkhorn(k)), "SCALOT_STATUS_UNSUPPORTED")
})

test_that("released and deserialised handles are dead, not crashes", {
    plan <- sinkhorn(x, y, eps = 1)
    file <- tempfile(fileext = ".rds")
    saveRDS(plan, file)
    restored <- readRDS(file)
    expect_output(print(restored), "scalot plan: 3 x 2")
    expect_error(potentials(restored), "dead scalot_plan")
    release(plan)
    release(plan)
    expect_error(transport_cost(plan), "dead scalot_plan")
    k <- dense_kernel(x, y, eps = 1)
    saveRDS(k, file)
    dead <- readRDS(file)
    expect_error(sinkhorn(dead), "dead scalot_kernel")
    expect_output(print(dead), "dead handle")
    release(k)
    expect_error(kernel_info(k), "dead scalot_kernel")
    unlink(file)
})

test_that("finalizers release handles at garbage collection", {
    for (i in 1:50) sinkhorn(dense_kernel(x, y, eps = 1), tolerance = 1e-6)
    expect_silent(gc())
})
