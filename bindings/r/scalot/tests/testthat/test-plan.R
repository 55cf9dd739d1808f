# Plan queries against the dense plan computed in R.

problem <- function(seed = 3, n = 30, m = 20, d = 3) {
    set.seed(seed)
    list(x = matrix(rnorm(n * d), n, d), y = matrix(rnorm(m * d, mean = 0.5), m, d),
         a = runif(n) + 0.1, b = runif(m) + 0.1)
}

solved <- function(pr, tolerance = 1e-12, ...) {
    pr$b <- pr$b * sum(pr$a) / sum(pr$b)
    sinkhorn(pr$x, pr$y, eps = 0.5, a = pr$a, b = pr$b, tolerance = tolerance, ...)
}

test_that("the queries agree with the dense plan", {
    pr <- problem()
    pr$b <- pr$b * sum(pr$a) / sum(pr$b)
    plan <- solved(pr)
    P <- as.matrix(plan)
    expect_equal(dim(P), c(30L, 20L))
    m <- marginals(plan)
    expect_equal(m$rows, rowSums(P), tolerance = 1e-12)
    expect_equal(m$cols, colSums(P), tolerance = 1e-12)
    expect_lt(sum(abs(m$rows - pr$a)) + sum(abs(m$cols - pr$b)), 1e-10)
    expect_equal(plan_mass(plan), sum(P), tolerance = 1e-12)
    v <- rnorm(20)
    u <- rnorm(30)
    expect_equal(plan_apply(plan, v), drop(P %*% v), tolerance = 1e-12)
    expect_equal(plan_apply_transpose(plan, u), drop(t(P) %*% u), tolerance = 1e-12)
    expect_equal(barycentric_projection(plan), (P %*% pr$y) / rowSums(P), tolerance = 1e-12)
    expect_equal(gradient_x(plan), 2 * (rowSums(P) * pr$x - P %*% pr$y), tolerance = 1e-10)
    C <- unname(as.matrix(dist(rbind(pr$x, pr$y)))[1:30, 31:50]^2)
    expect_equal(transport_cost(plan), sum(P * C), tolerance = 1e-10)
    p <- potentials(plan)
    expect_equal(P, outer(pr$a, pr$b) * exp((outer(p$f, p$g, "+") - C) / 0.5), tolerance = 1e-10)
    expect_equal(dual_objective(plan), regularized_objective(plan), tolerance = 1e-9)
    top <- top_k(plan, 3)
    expect_equal(nrow(top), 90)
    expect_equal(top$row, rep(1:30, each = 3))
    for (i in c(1, 17, 30)) {
        expect_equal(top$value[top$row == i], sort(P[i, ], decreasing = TRUE)[1:3], tolerance = 1e-14)
        expect_equal(P[cbind(i, top$col[top$row == i])], top$value[top$row == i])
    }
})

test_that("points are read as R holds them, whatever their storage", {
    pr <- problem(n = 8, m = 6, d = 2)
    x_int <- round(pr$x * 10)
    storage.mode(x_int) <- "integer"
    from_int <- sinkhorn(x_int, pr$y, eps = 1)
    from_df <- sinkhorn(as.data.frame(x_int), pr$y, eps = 1)
    from_double <- sinkhorn(x_int * 1.0, pr$y, eps = 1)
    expect_identical(as.matrix(from_int), as.matrix(from_double))
    expect_identical(as.matrix(from_df), as.matrix(from_double))
})

test_that("a built kernel is reused, and a warm start saves iterations", {
    pr <- problem()
    k <- dense_kernel(pr$x, pr$y, eps = 0.05, mode = "online")
    expect_equal(kernel_info(k)$kind, "dense online")
    expect_equal(kernel_info(k)$n, 30)
    cold <- sinkhorn(k, tolerance = 1e-10, overrelaxation = 1)
    warm <- sinkhorn(k, tolerance = 1e-10, overrelaxation = 1, warm_start = potentials(cold))
    expect_true(cold$converged && warm$converged)
    expect_lt(warm$iterations, cold$iterations / 2)
    expect_equal(transport_cost(warm), transport_cost(cold), tolerance = 1e-8)
    expect_output(print(k), "dense online, 30 x 20")
})

test_that("print and summary report the solve", {
    plan <- solved(problem())
    expect_output(print(plan), "scalot plan: 30 x 20, converged after [0-9]+ iterations")
    s <- summary(plan)
    expect_equal(s$transport_cost, transport_cost(plan))
    expect_output(print(s), "transport cost")
    expect_output(print(s), "dual objective")
})

test_that("the progress function sees every check and can cancel", {
    pr <- problem()
    seen <- integer()
    plan <- solved(pr, check_interval = 5, progress = function(iteration, error) {
        seen <<- c(seen, iteration)
        TRUE
    })
    expect_true(length(seen) >= 1)
    expect_true(all(seen %% 5 == 0))
    expect_error(solved(pr, progress = function(iteration, error) iteration < 3), "CANCELLED")
    expect_error(solved(pr, progress = function(iteration, error) stop("from progress")), "from progress")
})

test_that("an interrupt (Ctrl-C) cancels a running solve", {
    skip_on_os("windows")
    pr <- problem(n = 200, m = 200)
    interrupted_at <- NA
    expect_error(
        solved(pr, tolerance = 1e-300, max_iterations = 1e7, progress = function(iteration, error) {
            if (is.na(interrupted_at)) {
                interrupted_at <<- iteration
                tools::pskill(Sys.getpid(), tools::SIGINT)
            }
            TRUE
        }),
        "interrupted")
    expect_false(is.na(interrupted_at))
})

test_that("threads can be set and results do not depend on them", {
    pr <- problem()
    scalot_set_num_threads(1)
    expect_equal(scalot_num_threads(), 1)
    one <- as.matrix(solved(pr))
    scalot_set_num_threads(2)
    two <- as.matrix(solved(pr))
    scalot_set_num_threads(0)
    expect_identical(one, two)
})

test_that("the library identifies itself", {
    expect_match(scalot_version(), "^[0-9]+\\.[0-9]+\\.[0-9]+$")
    expect_equal(scalot_status_name(0), "SCALOT_STATUS_OK")
    expect_equal(scalot_status_name(99), "SCALOT_STATUS_UNKNOWN")
})
