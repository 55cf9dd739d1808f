# Tests of the Julia binding. No Julia runtime exists on the build machines, so CI checks this package
# statically (tests/julia_ccalls.rs); run these with `SCALOT_LIB=target/release/libscalot.so julia
# --project=bindings/julia/Scalot -e "using Pkg; Pkg.test()"` where Julia is installed.
using Test
using Scalot

# tests/data/sinkhorn_balanced.json, case bal043_12x9_d2_clustered_sqeuclidean_r1.0 (NumPy log-domain Sinkhorn with a Newton polish).
const X = [1.4273876408672543 -3.07342627373218; 1.6029455184761023 -3.4662692597670897; 1.781992387788148 -3.523918078958938; 3.187602149113383 2.541070610834899; 1.1598977946736417 -3.401174861732433; 3.3115090298138092 2.823142644862894; 3.201947498479945 2.7930802650772715; 1.3066141734999537 -3.4513240119725634; 1.55387251094598 -3.1076192396255338; 2.842193935778966 2.9348735720437054; 1.971126708406291 -3.380131014142082; 1.846990047727051 -3.090490451637212]
const Y = [-1.131355253647686 1.7178585887846132; 1.9366521493298403 -2.165875671276996; 1.9760094024036736 -2.6960828729246034; -1.1948536453904997 2.6744556480596837; 1.8954488583079727 -2.1373115356479375; 2.3882517905054734 -1.6701117090024584; 1.857174263534968 -2.049278536638298; -1.450487624518461 2.070516118466843; -1.3408304062270298 2.69441946005621]
const A = [0.04636944152839691, 0.0642230502378628, 0.17074753425086167, 0.07070104213037008, 0.08967579304447472, 0.09247944609567811, 0.13481745887229166, 0.06574803931284695, 0.05199576271448286, 0.07057658671926388, 0.056164147618079335, 0.08650169747539102]
const B = [0.05815060959754605, 0.13969506457438363, 0.07315435605428201, 0.15165675436256262, 0.19511072980387947, 0.07857709065364084, 0.1516313324163904, 0.06000612519552136, 0.0920179373417936]
const EPS = 20.1746149080783
const TRANSPORT_COST = 13.52569670133636
const REG_OT = 16.13492316994593
const F = [5.003377581849094, 6.619324903231439, 6.957103670660224, 10.548478610101427, 6.3295200537729315, 12.398185995103287, 11.530480699022377, 6.5135459180488, 5.1772216295266364, 9.677748469403035, 6.534839799315131, 5.323166799219454]
const G = [18.031756035161674, 0.5842927324752276, 0.6540877145220518, 21.36505767547594, 0.5871788053050757, 0.9166402295038747, 0.6086671489087578, 21.521779113690442, 22.592911433729036]

@testset "Scalot" begin
    @testset "fixture, points in rows and in columns" begin
        for (x, y, dims) in ((X, Y, 1), (permutedims(X), permutedims(Y), 2))
            plan = sinkhorn(x, y; eps = EPS, a = A, b = B, dims = dims, tol = 1e-12, max_iter = 100_000)
            @test converged(plan)
            @test transport_cost(plan) ≈ TRANSPORT_COST rtol = 1e-6
            @test regularized_objective(plan) ≈ REG_OT rtol = 1e-6
            @test dual_objective(plan) ≈ REG_OT rtol = 1e-6
            f, g = potentials(plan)
            shift = sum(A .* (f .- F)) / sum(A)
            @test maximum(abs.(f .- shift .- F)) <= 1e-6 * EPS
            @test maximum(abs.(g .+ shift .- G)) <= 1e-6 * EPS
            r, c = marginals(plan)
            @test sum(abs.(r .- A)) + sum(abs.(c .- B)) < 1e-11
            P = Matrix(plan)
            @test vec(sum(P; dims = 2)) ≈ r
            @test plan * ones(size(P, 2)) ≈ r
            @test transpose(plan) * ones(size(P, 1)) ≈ c
            @test barycentric_projection(plan, 2) ≈ (P * Y) ./ r
            @test size(gradient_x(plan, 2)) == size(X)
            rows, cols, values = top_k(plan, 1)
            @test values ≈ [P[i, cols[i]] for i in 1:size(P, 1)]
            @test mass(plan) ≈ 1.0
            @test iterations(plan) > 0 && marginal_error(plan) < 1e-12
            close(plan)
            close(plan)  # idempotent
            @test_throws ScalotError transport_cost(plan)
        end
    end

    @testset "kernels and options" begin
        k = dense_kernel(X, Y; eps = EPS, mode = :online)
        @test kernel_info(k).kind == :dense_online
        @test kernel_info(k).n == size(X, 1)
        C = [sum(abs2, X[i, :] .- Y[j, :]) for i in 1:size(X, 1), j in 1:size(Y, 1)]
        kc = dense_kernel_from_cost(C; eps = EPS)
        p1 = sinkhorn(k; a = A, b = B, options = SinkhornOptions(tol = 1e-12, max_iter = 10_000))
        p2 = sinkhorn(kc; a = A, b = B, options = SinkhornOptions(tol = 1e-12, max_iter = 10_000))
        @test transport_cost(p1) ≈ transport_cost(p2) rtol = 1e-9
        o = SinkhornOptions(tau = (1.0, Inf), epsilon_scaling = (1.0, 0.5), overrelaxation = 1.5,
                            check_interval = 2, warm_start = (zeros(size(X, 1)), zeros(size(Y, 1))))
        @test size(sinkhorn(k; options = o)) == (size(X, 1), size(Y, 1))
        calls = Ref(0)
        cancel = SinkhornOptions(tol = 1e-14, progress = (it, err) -> (calls[] += 1) < 3)
        err = try sinkhorn(k; options = cancel); nothing catch e; e end
        @test err isa ScalotError && err.name == "SCALOT_STATUS_CANCELLED" && calls[] == 3
        Scalot.set_num_threads(1)
        @test Scalot.num_threads() == 1
        Scalot.set_num_threads(0)
        @test Scalot.version() >= v"0.1.0"
    end

    @testset "approximate kernels" begin
        N, M = size(X, 1), size(Y, 1)
        every = NystromOptions(landmarks = N + M, rule = :uniform, seed = 3)
        kn = nystrom_kernel(X, Y; eps = EPS, options = every)
        @test kernel_info(kn).kind == :nystrom && kernel_info(kn).landmarks == N + M
        pn = sinkhorn(kn; a = A, b = B, options = SinkhornOptions(tol = 1e-9, max_iter = 100_000))
        @test transport_cost(pn) ≈ TRANSPORT_COST rtol = 1e-5
        kl = lcn_kernel(X, Y; eps = EPS, landmarks = NystromOptions(landmarks = 3, inverse = (:cholesky, 1e-8)),
                        pairs = SparseOptions(hierarchical_kmeans = ([1, 1], 1, 5)))
        @test kernel_info(kl).kind == :lcn && kernel_info(kl).nnz == N * M
        pl = sinkhorn(kl; a = A, b = B, options = SinkhornOptions(tol = 1e-12, max_iter = 100_000))
        @test transport_cost(pl) ≈ TRANSPORT_COST rtol = 1e-6
        @test kernel_info(sparse_kernel(X, Y; eps = EPS, options = SparseOptions(lsh = (2, 1, 64)))).nnz > 0
        @test size(sinkhorn(X, Y; eps = 10 * EPS, kernel = :lcn)) == (N, M)
        e = try NystromOptions(landmarks = 0); nothing catch e; e end
        @test e isa ScalotError && occursin("landmarks", e.message)
        e = try SparseOptions(lsh = (7, 1, 1)); nothing catch e; e end
        @test e isa ScalotError && occursin("buckets", e.message)
        # Two buckets of unequal masses: the backbone lets the balanced solve converge, and the plan's
        # kernel counts its pairs; without it the capped solve warns and says why it stopped.
        buckets = sparse_kernel(X, Y; eps = EPS, options = SparseOptions(kmeans = (2, 1, 10), seed = 1))
        pb = sinkhorn(buckets; a = A, b = B, options = SinkhornOptions(tol = 1e-9, max_iter = 100_000))
        @test converged(pb) && stop_reason(pb) === :converged
        @test kernel_info(plan_kernel(pb)).added_pairs > kernel_info(buckets).added_pairs
        stuck = sparse_kernel(X, Y; eps = EPS,
                              options = SparseOptions(kmeans = (2, 1, 10), seed = 1, backbone = false))
        ps = @test_logs (:warn, r"iteration_limit") sinkhorn(stuck; a = A, b = B,
                                                             options = SinkhornOptions(max_iter = 300))
        @test stop_reason(ps) === :iteration_limit
        c = certify(pb)
        @test c.sampled_rows == 0 && c.lower <= c.upper
        s = certify(ps; exact_limit = 0, samples = 3, seed = 2, progress = (block, fraction) -> true)
        @test s.sampled_rows == 3
        e = try certify(ps; samples = 0); nothing catch e; e end
        @test e isa ScalotError && occursin("rows", e.message)
        e = try SparseOptions(coverage = 1, backbone = 2); nothing catch e; e end
        @test e isa ScalotError && occursin("enabled", e.message)
        @test kernel_info(nystrom_kernel(X, Y; eps = EPS,
                                         options = NystromOptions(landmarks = 4, rule = :pivoted))).landmarks == 4
    end

    @testset "alignment of a rotated, permuted copy" begin
        n, d = 30, 3
        c, s = cos(0.5), sin(0.5)
        Q = [c -s 0; s c 0; 0 0 1]
        P = [sin(0.37 * ((i - 1) * d + k - 1) + 0.1 * ((i - 1) % 7)) for i in 1:n, k in 1:d]
        P ./= sqrt.(sum(P .^ 2; dims = 2))
        from = [((j - 1) * 7) % n + 1 for j in 1:n]
        Yc = P[from, :] * Q          # y_j = Qᵀ x_from(j), as rows
        pairs = [(from[j], j) for j in 1:n]
        seen = Ref(0)
        result = align(P, Yc; kernel = :dense, mode = :stored_f64, eps = 1e-3, sinkhorn_iterations = 300,
                       learning_rate = 1.0, steps = 3, seed_pairs = pairs[1:10],
                       progress = (step, cost) -> (seen[] = step; true))
        @test maximum(abs.(result.rotation .- Q)) < 1e-6 && seen[] == 3
        @test length(result.objectives) == 4 && isapprox(transport_cost(result.plan), result.objectives[end]; rtol = 1e-10)
        found = retrieval_precision(P, Yc, result.rotation, pairs; k = 1)
        @test found.nearest_neighbour == 1.0 && found.csls == 1.0 && found.queries == n
        e = try align(P, Yc; steps = 0); nothing catch e; e end
        @test e isa ScalotError && occursin("steps", e.message)
    end

    @testset "errors name the argument" begin
        e = try dense_kernel(X, Y; eps = -1.0); nothing catch e; e end
        @test e isa ScalotError && e.name == "SCALOT_STATUS_INVALID_ARGUMENT" && occursin("epsilon", e.message)
        bad = copy(X); bad[1, 1] = NaN
        e = try dense_kernel(bad, Y; eps = 1.0); nothing catch e; e end
        @test e isa ScalotError && e.name == "SCALOT_STATUS_NON_FINITE" && occursin("x", e.message)
        @test_throws DimensionMismatch dense_kernel(X, Y[:, 1:1]; eps = 1.0)
        e = try sinkhorn(X, Y; eps = EPS, a = [1.0, 2.0]); nothing catch e; e end
        @test e isa ScalotError && e.name == "SCALOT_STATUS_DIMENSION_MISMATCH"
        e = try SinkhornOptions(tol = 0.0); nothing catch e; e end
        @test e isa ScalotError && occursin("tolerance", e.message)
    end
end
