# A rotated, permuted copy: x[from[j], ] = Q y[j, ], so align must return Q.
rotated_copy <- function() {
    q <- matrix(c(cos(0.5), sin(0.5), 0, -sin(0.5), cos(0.5), 0, 0, 0, 1), 3)
    n <- 30
    x <- t(sapply(0:(n - 1), function(i) sin(0.37 * (i * 3 + 0:2) + 0.1 * (i %% 7))))
    x <- x / sqrt(rowSums(x^2))
    from <- ((0:(n - 1)) * 7) %% n + 1
    list(x = x, y = x[from, ] %*% q, q = q, pairs = cbind(from, 1:n))
}

test_that("a rotated, permuted copy is aligned and retrieved", {
    d <- rotated_copy()
    seen <- 0
    a <- align(d$x, d$y, mode = "f64", eps = 1e-3, sinkhorn_iterations = 300, learning_rate = 1, steps = 3,
               seed_pairs = d$pairs[1:10, ], progress = function(step, cost) { seen <<- step; TRUE })
    expect_equal(a$rotation, d$q, tolerance = 1e-6)
    expect_equal(seen, 3)
    expect_length(a$objectives, 4)
    expect_equal(transport_cost(a$plan), a$objectives[4], tolerance = 1e-10)
    found <- retrieval_precision(d$x, d$y, a$rotation, d$pairs, k = 1)
    expect_equal(c(found$nearest_neighbour, found$csls, found$queries), c(1, 1, 30))
    expect_equal(crossprod(a$rotation), diag(3), tolerance = 1e-10)
})

test_that("alignment refuses bad input with the argument named", {
    d <- rotated_copy()
    expect_error(align(d$x, d$y, steps = 0), "steps")
    expect_error(align(d$x, d$y[, 1:2]), "columns")
    expect_error(align(d$x, d$y, initial = diag(c(1, 1, 2)), steps = 1), "rotation")
    expect_error(align(d$x, d$y, seed_pairs = cbind(0, 1)), "seed_pairs")
    expect_error(align(d$x, d$y, progress = function(step, cost) FALSE, steps = 5), "cancelled")
    expect_error(retrieval_precision(d$x, d$y, diag(3), d$pairs, k = 0), "k")
})
