# Against the independent references of helper-fixtures.R, to the issue's tolerances.

relative <- function(value, reference) abs(value - reference) / max(abs(reference), 1e-300)

for (case in balanced_cases) {
    test_that(paste("balanced fixture", case$name), {
        for (kernel in c("dense", "online")) {
            plan <- sinkhorn(case$x, case$y, case$eps, a = case$a, b = case$b, kernel = kernel, cost = case$cost,
                             tolerance = 1e-14, max_iterations = 100000)
            expect_true(plan$converged)
            expect_lt(relative(transport_cost(plan), case$transport_cost), 1e-6)
            expect_lt(relative(regularized_objective(plan), case$reg_ot), 1e-6)
            p <- potentials(plan)
            # Both sides are shifted so that sum(a f) = sum(b g); compare to 1e-6 eps.
            expect_lt(max(abs(p$f - case$f)), 1e-6 * case$eps)
            expect_lt(max(abs(p$g - case$g)), 1e-6 * case$eps)
            if (!is.null(case$plan)) {
                expect_lt(max(abs(as.matrix(plan) - case$plan)), 1e-9 * max(case$plan))
            }
        }
    })
}

test_that("unbalanced fixture: objective, mass and marginals", {
    case <- unbalanced_case
    plan <- sinkhorn(case$x, case$y, case$eps, a = case$a, b = case$b, cost = case$cost,
                     tau = case$reg_m, tolerance = 1e-13, max_iterations = 100000)
    expect_true(plan$converged)
    expect_lt(relative(regularized_objective(plan), case$objective), 1e-6)
    expect_lt(relative(plan_mass(plan), case$plan_mass), 1e-6)
    m <- marginals(plan)
    expect_lt(max(abs(m$rows - case$row_marginal)) / max(case$row_marginal), 1e-6)
    expect_lt(max(abs(m$cols - case$col_marginal)) / max(case$col_marginal), 1e-6)
})

test_that("a kernel from the cost matrix gives the points' solution", {
    case <- balanced_cases[[1]]
    cost <- outer(seq_len(nrow(case$x)), seq_len(nrow(case$y)),
                  Vectorize(function(i, j) sum((case$x[i, ] - case$y[j, ])^2)))
    k <- dense_kernel_from_cost(cost, case$eps)
    plan <- sinkhorn(k, a = case$a, b = case$b, tolerance = 1e-14, max_iterations = 100000)
    expect_lt(relative(transport_cost(plan), case$transport_cost), 1e-6)
    expect_error(barycentric_projection(plan), "no points")
})
