test_that("a point mass has the closed form (sum nu_j d_j^rho)^(1/rho)", {
    x <- matrix(c(0.2, -0.4), 1)
    y <- matrix(c(1, 0, 0, 2, 3, 3), 3, byrow = TRUE)
    nu <- c(0.2, 0.5, 0.3)
    d <- sqrt(rowSums((y - matrix(x, 3, 2, byrow = TRUE))^2))
    for (rho in c(1.25, 2)) {
        s <- rrho(x, y, rho = rho, nu = nu, floor = 0, tolerance = 1e-12, max_passes = 10000)
        expect_true(s$converged)
        expect_equal(s$value, sum(nu * d^rho)^(1 / rho), tolerance = 1e-8)
        expect_true(s$upper_bound >= s$value)
    }
})

test_that("the solution's queries agree with each other", {
    set.seed(1)
    x <- matrix(rnorm(20), 10)
    y <- matrix(rnorm(16) + 1, 8)
    s <- rrho(x, y, rho = 2, tolerance = 1e-10, max_passes = 10000)
    m <- rrho_marginals(s)
    expect_equal(m$rows, rep(0.1, 10), tolerance = 1e-8)
    expect_equal(rrho_apply(s, rep(1, 8)), m$rows, tolerance = 1e-12)
    expect_equal(rrho_apply_transpose(s, rep(1, 10)), m$cols, tolerance = 1e-12)
    expect_equal(nrow(rrho_top_k(s, 2)), 20)
    p <- rrho_potentials(s)
    warm <- rrho(x, y, rho = 2, tolerance = 1e-10, warm_start = p)
    expect_true(warm$passes <= 2)
    tree <- rrho(x, y, rho = 2, engine = "tree", accuracy = 1e-4, tolerance = 1e-6)
    expect_equal(tree$value, s$value, tolerance = 1e-4)
    passes <- 0
    expect_error(rrho(x, y, rho = 2, progress = function(pass, error) { passes <<- pass; FALSE }),
                 "cancelled")
    expect_output(print(s), "R_rho solution")
})

test_that("bad input is refused with the argument named", {
    x <- matrix(c(0, 0, 1, 1), 2)
    expect_error(rrho(x, x + 1, rho = 1), "rho")
    expect_error(rrho(x, x, rho = 1.5, floor = 0), "floor")
    expect_error(rrho(x, x + 1, rho = 1.5, mu = c(1, 0)), "mu")
    expect_error(rrho(x, x + 1, rho = 1.5, step = -1, method = "sign_ascent"), "step")
    expect_error(rrho_marginals(list()), "scalot_rrho")
})
