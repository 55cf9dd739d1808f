"""
    Scalot

Julia binding of scalot, optimal transport at scale (include/scalot.h). Every C function has a
wrapper here. Handles are `mutable struct`s with finalizers and an idempotent `close`; errors are
thrown as [`ScalotError`](@ref) with the library's message.

Points are `AbstractMatrix{Float64}` passed without copying: by default one point per row (n×d,
`dims = 1`), or one per column (d×n, `dims = 2`, as Distances.jl). A column-major n×d matrix is read
with the library's column-major layout, a d×n one as row-major; other strided arrays are copied once.

The library is `ENV["SCALOT_LIB"]` if set when the package loads, else `deps/libscalot.so` (or
`.dylib`) beside this package; `make julia` in the repository builds and copies it there.
"""
module Scalot

using Libdl
using LinearAlgebra: Transpose

export ScalotError, Kernel, SinkhornOptions, SparseOptions, NystromOptions, Plan, sinkhorn,
       dense_kernel, dense_kernel_from_cost, sparse_kernel, nystrom_kernel, lcn_kernel,
       transport_cost, regularized_objective, dual_objective, marginal_error, potentials, marginals,
       converged, iterations, mass, barycentric_projection, gradient_x, top_k, kernel_info,
       stop_reason, plan_kernel, certify,
       RrhoProblem, RrhoOptions, RrhoSolution, rrho_problem, rrho, rrho_summary, align,
       retrieval_precision

const libscalot = get(ENV, "SCALOT_LIB",
                      joinpath(@__DIR__, "..", "deps", "libscalot." * Libdl.dlext))

# Enumerations of include/scalot.h, passed as Cint.
const LAYOUT_ROW_MAJOR = Cint(0)
const LAYOUT_COLUMN_MAJOR = Cint(1)
const COSTS = Dict(:sqeuclidean => Cint(0), :euclidean => Cint(1), :negdot => Cint(2))
const DENSE_MODES = Dict(:stored_f64 => Cint(0), :stored_f32 => Cint(1), :online => Cint(2))
const KERNEL_KINDS = Dict(Cint(0) => :dense_stored_f64, Cint(1) => :dense_stored_f32,
                          Cint(2) => :dense_online, Cint(3) => :sparse, Cint(4) => :nystrom,
                          Cint(5) => :lcn)
const LANDMARK_RULES = Dict(:uniform => Cint(0), :kmeans_plus_plus => Cint(1), :kmeans => Cint(2),
                            :pivoted => Cint(3))
const INVERSES = Dict(:eigen => Cint(0), :cholesky => Cint(1))
const RRHO_ENGINES = Dict(:exact => Cint(0), :tree => Cint(1))
const RRHO_METHODS = Dict(:block_ascent => Cint(0), :sign_ascent => Cint(1))
const RRHO_DEFAULT_FLOOR = 1e-3
const ALIGN_KERNELS = Dict(:dense => Cint(0), :sparse => Cint(1), :nystrom => Cint(2), :lcn => Cint(3))
const STATUS_OK = Cint(0)
const STATUS_CANCELLED = Cint(12)

"""
    ScalotError(status, name, message)

A failed library call: the status code, its name (`"SCALOT_STATUS_…"`) and the library's message,
which names the offending argument.
"""
struct ScalotError <: Exception
    status::Cint
    name::String
    message::String
end

Base.showerror(io::IO, e::ScalotError) = print(io, "ScalotError(", e.name, "): ", e.message)

function check(status::Cint)
    status == STATUS_OK && return nothing
    message = unsafe_string(ccall((:scalot_last_error_message, libscalot), Cstring, ()))
    name = unsafe_string(ccall((:scalot_status_name, libscalot), Cstring, (Cint,), status))
    throw(ScalotError(status, name, message))
end

"The library's version string, e.g. \"0.1.0\"."
version() = VersionNumber(unsafe_string(ccall((:scalot_version, libscalot), Cstring, ())))

"Sets the library's thread count (0: the default, all cores)."
set_num_threads(n::Integer) = check(ccall((:scalot_set_num_threads, libscalot), Cint, (Csize_t,), n))

"The library's thread count."
function num_threads()
    out = Ref{Csize_t}(0)
    check(ccall((:scalot_num_threads, libscalot), Cint, (Ptr{Csize_t},), out))
    Int(out[])
end

# --- handles -------------------------------------------------------------------------------------

"""
    Kernel

An immutable entropic kernel K = exp(-C/ε); shareable between solves and threads. Build with
[`dense_kernel`](@ref) or [`dense_kernel_from_cost`](@ref).
"""
mutable struct Kernel
    ptr::Ptr{Cvoid}
    function Kernel(ptr::Ptr{Cvoid})
        k = new(ptr)
        finalizer(close, k)
    end
end

"Options of a Sinkhorn solve; see [`SinkhornOptions(; kwargs...)`](@ref)."
mutable struct SinkhornOptions
    ptr::Ptr{Cvoid}
    progress::Any  # keeps the Julia callback alive while the handle points at it
    function SinkhornOptions()
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(ccall((:scalot_sinkhorn_options_new, libscalot), Cint, (Ptr{Ptr{Cvoid}},), out))
        o = new(out[], nothing)
        finalizer(close, o)
    end
end

"""
    SparseOptions(; kmeans = nothing, hierarchical_kmeans = nothing, lsh = nothing,
                  neighbours = nothing, truncation = nothing, seed = nothing,
                  coverage = nothing, backbone = nothing)

How a sparse (or LCN) kernel chooses its pairs; at most one rule, else the kernel's default
(sparse: `kmeans = (100, 1, 20)`; LCN: `hierarchical_kmeans = ([10, 100], 1, 10)`, the LCN paper's):
- `kmeans = (clusters, rounds, iterations)`: pairs sharing a joint k-means cluster;
- `hierarchical_kmeans = (branching, rounds, iterations)`: each of `branching[1]` clusters split
  into `branching[2]`, and so on;
- `lsh = (buckets, hashes, bands)`: angular LSH, hashes AND-ed per band, bands OR-ed (the LCN
  paper's Sparse Sinkhorn: `(130, 2, 16)`);
- `neighbours = k`: each point's k nearest of the other cloud, both ways;
- `truncation = t`: pairs with C_ij ≤ t·ε.
`seed` (a `UInt64`) makes the randomised rules reproducible. `coverage = k` gives every row and
column at least k pairs, its nearest points of the other cloud (default 2; 0 switches it off).
`backbone = false` stops balanced solves from adding a transport backbone, the support of one plan
with the solve's marginals, without which Sinkhorn on a sparse pattern rarely converges.
"""
mutable struct SparseOptions
    ptr::Ptr{Cvoid}
    function SparseOptions(; kmeans = nothing, hierarchical_kmeans = nothing, lsh = nothing,
                           neighbours = nothing, truncation = nothing, seed = nothing,
                           coverage = nothing, backbone = nothing)
        count(!isnothing, (kmeans, hierarchical_kmeans, lsh, neighbours, truncation)) <= 1 ||
            throw(ArgumentError("choose one of kmeans, hierarchical_kmeans, lsh, neighbours and truncation"))
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(ccall((:scalot_sparse_options_new, libscalot), Cint, (Ptr{Ptr{Cvoid}},), out))
        o = new(out[])
        finalizer(close, o)
        kmeans === nothing ||
            check(ccall((:scalot_sparse_options_set_kmeans, libscalot), Cint,
                        (Ptr{Cvoid}, Csize_t, Csize_t, Csize_t), o, kmeans[1], kmeans[2], kmeans[3]))
        if hierarchical_kmeans !== nothing
            branching = Vector{Csize_t}(hierarchical_kmeans[1])
            check(ccall((:scalot_sparse_options_set_hierarchical_kmeans, libscalot), Cint,
                        (Ptr{Cvoid}, Ptr{Csize_t}, Csize_t, Csize_t, Csize_t), o, branching,
                        length(branching), hierarchical_kmeans[2], hierarchical_kmeans[3]))
        end
        lsh === nothing ||
            check(ccall((:scalot_sparse_options_set_lsh, libscalot), Cint,
                        (Ptr{Cvoid}, Csize_t, Csize_t, Csize_t), o, lsh[1], lsh[2], lsh[3]))
        neighbours === nothing ||
            check(ccall((:scalot_sparse_options_set_neighbours, libscalot), Cint,
                        (Ptr{Cvoid}, Csize_t), o, neighbours))
        truncation === nothing ||
            check(ccall((:scalot_sparse_options_set_truncation, libscalot), Cint,
                        (Ptr{Cvoid}, Cdouble), o, truncation))
        seed === nothing ||
            check(ccall((:scalot_sparse_options_set_seed, libscalot), Cint,
                        (Ptr{Cvoid}, UInt64), o, seed))
        coverage === nothing ||
            check(ccall((:scalot_sparse_options_set_coverage, libscalot), Cint,
                        (Ptr{Cvoid}, Csize_t), o, coverage))
        backbone === nothing ||
            check(ccall((:scalot_sparse_options_set_backbone, libscalot), Cint,
                        (Ptr{Cvoid}, Cint), o, Cint(backbone)))
        o
    end
end

"""
    NystromOptions(; landmarks = nothing, rule = :kmeans_plus_plus, iterations = 10,
                   inverse = nothing, seed = nothing)

How a Nyström (or LCN) kernel chooses its landmarks from the points of x and y: `landmarks`
of them (default: the kernel's, 200 for Nyström and 20 for LCN, at most n + m), by `rule`
(`:uniform`, `:kmeans_plus_plus`, `:kmeans` with `iterations` Lloyd steps, or `:pivoted`, greedy
on the Nyström residual); `inverse =
(:eigen, cutoff)` or `(:cholesky, jitter)` stabilises the landmark matrix's inverse (default
`(:eigen, 1e-8)`).
"""
mutable struct NystromOptions
    ptr::Ptr{Cvoid}
    function NystromOptions(; landmarks = nothing, rule::Symbol = :kmeans_plus_plus,
                            iterations::Integer = 10, inverse = nothing, seed = nothing)
        haskey(LANDMARK_RULES, rule) ||
            throw(ArgumentError("rule must be one of $(collect(keys(LANDMARK_RULES)))"))
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(ccall((:scalot_nystrom_options_new, libscalot), Cint, (Ptr{Ptr{Cvoid}},), out))
        o = new(out[])
        finalizer(close, o)
        landmarks === nothing ||
            check(ccall((:scalot_nystrom_options_set_landmarks, libscalot), Cint,
                        (Ptr{Cvoid}, Csize_t, Cint, Csize_t), o, landmarks, LANDMARK_RULES[rule],
                        iterations))
        if inverse !== nothing
            haskey(INVERSES, inverse[1]) ||
                throw(ArgumentError("inverse must be (:eigen, cutoff) or (:cholesky, jitter)"))
            check(ccall((:scalot_nystrom_options_set_inverse, libscalot), Cint,
                        (Ptr{Cvoid}, Cint, Cdouble), o, INVERSES[inverse[1]], inverse[2]))
        end
        seed === nothing ||
            check(ccall((:scalot_nystrom_options_set_seed, libscalot), Cint,
                        (Ptr{Cvoid}, UInt64), o, seed))
        o
    end
end

"A solved entropic transport plan. Its queries never form the n×m matrix, except `Matrix(plan)`."
mutable struct Plan
    ptr::Ptr{Cvoid}
    function Plan(ptr::Ptr{Cvoid})
        p = new(ptr)
        finalizer(close, p)
    end
end

function Base.close(k::Kernel)
    k.ptr == C_NULL || ccall((:scalot_kernel_free, libscalot), Cvoid, (Ptr{Cvoid},), k.ptr)
    k.ptr = C_NULL
    nothing
end

function Base.close(o::SinkhornOptions)
    o.ptr == C_NULL || ccall((:scalot_sinkhorn_options_free, libscalot), Cvoid, (Ptr{Cvoid},), o.ptr)
    o.ptr = C_NULL
    o.progress = nothing
    nothing
end

function Base.close(o::SparseOptions)
    o.ptr == C_NULL || ccall((:scalot_sparse_options_free, libscalot), Cvoid, (Ptr{Cvoid},), o.ptr)
    o.ptr = C_NULL
    nothing
end

function Base.close(o::NystromOptions)
    o.ptr == C_NULL || ccall((:scalot_nystrom_options_free, libscalot), Cvoid, (Ptr{Cvoid},), o.ptr)
    o.ptr = C_NULL
    nothing
end

function Base.close(p::Plan)
    p.ptr == C_NULL || ccall((:scalot_plan_free, libscalot), Cvoid, (Ptr{Cvoid},), p.ptr)
    p.ptr = C_NULL
    nothing
end

"An R_ρ problem; see [`rrho_problem`](@ref)."
mutable struct RrhoProblem
    ptr::Ptr{Cvoid}
    function RrhoProblem(ptr::Ptr{Cvoid})
        p = new(ptr)
        finalizer(close, p)
    end
end

function Base.close(p::RrhoProblem)
    p.ptr == C_NULL || ccall((:scalot_rrho_problem_free, libscalot), Cvoid, (Ptr{Cvoid},), p.ptr)
    p.ptr = C_NULL
    nothing
end

"A solved R_ρ problem; see [`rrho`](@ref)."
mutable struct RrhoSolution
    ptr::Ptr{Cvoid}
    function RrhoSolution(ptr::Ptr{Cvoid})
        s = new(ptr)
        finalizer(close, s)
    end
end

function Base.close(s::RrhoSolution)
    s.ptr == C_NULL || ccall((:scalot_rrho_solution_free, libscalot), Cvoid, (Ptr{Cvoid},), s.ptr)
    s.ptr = C_NULL
    nothing
end

"Options of an R_rho solve; see [`RrhoOptions(; kwargs...)`](@ref)."
mutable struct RrhoOptions
    ptr::Ptr{Cvoid}
    progress::Any  # keeps the Julia callback alive while the handle points at it
    function RrhoOptions()
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(ccall((:scalot_rrho_options_new, libscalot), Cint, (Ptr{Ptr{Cvoid}},), out))
        o = new(out[], nothing)
        finalizer(close, o)
    end
end

function Base.close(o::RrhoOptions)
    o.ptr == C_NULL || ccall((:scalot_rrho_options_free, libscalot), Cvoid, (Ptr{Cvoid},), o.ptr)
    o.ptr = C_NULL
    o.progress = nothing
    nothing
end

"Options of an alignment, built by [`align`](@ref) from its keywords."
mutable struct AlignOptions
    ptr::Ptr{Cvoid}
    progress::Any  # keeps the Julia callback alive while the handle points at it
    function AlignOptions()
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(ccall((:scalot_align_options_new, libscalot), Cint, (Ptr{Ptr{Cvoid}},), out))
        o = new(out[], nothing)
        finalizer(close, o)
    end
end

function Base.close(o::AlignOptions)
    o.ptr == C_NULL || ccall((:scalot_align_options_free, libscalot), Cvoid, (Ptr{Cvoid},), o.ptr)
    o.ptr = C_NULL
    o.progress = nothing
    nothing
end

# A closed handle becomes NULL, which the library refuses with SCALOT_STATUS_NULL_POINTER.
const Handle = Union{Kernel,SinkhornOptions,SparseOptions,NystromOptions,Plan,RrhoProblem,RrhoOptions,
                     RrhoSolution,AlignOptions}
Base.cconvert(::Type{Ptr{Cvoid}}, h::Handle) = h
Base.unsafe_convert(::Type{Ptr{Cvoid}}, h::Handle) = h.ptr

# --- kernels ---------------------------------------------------------------------------------------

# (matrix passed to C, points, dimension, layout) without copying where the memory allows it.
function point_view(x::AbstractMatrix, dims::Integer)
    dims in (1, 2) || throw(ArgumentError("dims must be 1 (points in rows) or 2 (points in columns)"))
    data = x isa StridedMatrix{Float64} && stride(x, 1) == 1 && stride(x, 2) == size(x, 1) ?
           x : Matrix{Float64}(x)
    n, d = dims == 1 ? size(data) : reverse(size(data))
    (data, n, d, dims == 1 ? LAYOUT_COLUMN_MAJOR : LAYOUT_ROW_MAJOR)
end

# Both clouds as C reads them, their sizes and layout, and the cost's code, checked as every kernel
# built from points checks them.
function clouds(x::AbstractMatrix, y::AbstractMatrix, dims::Integer, cost::Symbol)
    xs, n, d, layout = point_view(x, dims)
    ys, m, dy, _ = point_view(y, dims)
    d == dy || throw(DimensionMismatch("x has dimension $d, y has $dy"))
    haskey(COSTS, cost) || throw(ArgumentError("cost must be one of $(collect(keys(COSTS)))"))
    (xs, n, ys, m, d, layout, COSTS[cost])
end

"""
    dense_kernel(x, y; eps, cost = :sqeuclidean, mode = :stored_f64, dims = 1) -> Kernel

The dense kernel between the points of `x` and `y`. `cost` is `:sqeuclidean` (‖x−y‖², no ½),
`:euclidean` or `:negdot`; `mode` is `:stored_f64`, `:stored_f32` (half the memory traffic) or
`:online` (O((n+m)d) memory). `eps` is absolute.
"""
function dense_kernel(x::AbstractMatrix, y::AbstractMatrix; eps::Real, cost::Symbol = :sqeuclidean,
                      mode::Symbol = :stored_f64, dims::Integer = 1)
    xs, n, ys, m, d, layout, code = clouds(x, y, dims, cost)
    haskey(DENSE_MODES, mode) || throw(ArgumentError("mode must be one of $(collect(keys(DENSE_MODES)))"))
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(ccall((:scalot_kernel_dense_new, libscalot), Cint,
                (Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t, Csize_t, Cint, Cint, Cdouble, Cint,
                 Ptr{Ptr{Cvoid}}),
                xs, n, ys, m, d, layout, code, eps, DENSE_MODES[mode], out))
    Kernel(out[])
end

"""
    sparse_kernel(x, y; eps, cost = :sqeuclidean, dims = 1, options = SparseOptions()) -> Kernel

The sparse kernel between the points of `x` and `y`: exact entries at the pairs `options` keeps
(see [`SparseOptions`](@ref)), O(nnz) per product.
"""
function sparse_kernel(x::AbstractMatrix, y::AbstractMatrix; eps::Real, cost::Symbol = :sqeuclidean,
                       dims::Integer = 1, options::SparseOptions = SparseOptions())
    xs, n, ys, m, d, layout, code = clouds(x, y, dims, cost)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(ccall((:scalot_kernel_sparse_new, libscalot), Cint,
                (Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t, Csize_t, Cint, Cint, Cdouble, Ptr{Cvoid},
                 Ptr{Ptr{Cvoid}}),
                xs, n, ys, m, d, layout, code, eps, options, out))
    Kernel(out[])
end

"""
    nystrom_kernel(x, y; eps, cost = :sqeuclidean, dims = 1, options = NystromOptions()) -> Kernel

The Nyström kernel U A⁻¹ V on landmarks from the points of `x` and `y` (see
[`NystromOptions`](@ref)): O((n+m)·l) memory and time per product. Its entries may be negative;
a solve throws `SCALOT_STATUS_NUMERICAL_FAILURE`, naming the row or column, where a sum is not
positive.
"""
function nystrom_kernel(x::AbstractMatrix, y::AbstractMatrix; eps::Real, cost::Symbol = :sqeuclidean,
                        dims::Integer = 1, options::NystromOptions = NystromOptions())
    xs, n, ys, m, d, layout, code = clouds(x, y, dims, cost)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(ccall((:scalot_kernel_nystrom_new, libscalot), Cint,
                (Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t, Csize_t, Cint, Cint, Cdouble, Ptr{Cvoid},
                 Ptr{Ptr{Cvoid}}),
                xs, n, ys, m, d, layout, code, eps, options, out))
    Kernel(out[])
end

"""
    lcn_kernel(x, y; eps, cost = :sqeuclidean, dims = 1, landmarks = NystromOptions(),
               pairs = SparseOptions()) -> Kernel

The locally corrected Nyström kernel (LCN-Sinkhorn): Nyström on `landmarks`, made exact at the
pairs `pairs` keeps. Defaults are the LCN paper's: 20 k-means++ landmarks and hierarchical k-means
10×100.
"""
function lcn_kernel(x::AbstractMatrix, y::AbstractMatrix; eps::Real, cost::Symbol = :sqeuclidean,
                    dims::Integer = 1, landmarks::NystromOptions = NystromOptions(),
                    pairs::SparseOptions = SparseOptions())
    xs, n, ys, m, d, layout, code = clouds(x, y, dims, cost)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(ccall((:scalot_kernel_lcn_new, libscalot), Cint,
                (Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t, Csize_t, Cint, Cint, Cdouble, Ptr{Cvoid},
                 Ptr{Cvoid}, Ptr{Ptr{Cvoid}}),
                xs, n, ys, m, d, layout, code, eps, landmarks, pairs, out))
    Kernel(out[])
end

"""
    dense_kernel_from_cost(C; eps, mode = :stored_f64) -> Kernel

The dense kernel of a caller's n×m cost matrix (copied).
"""
function dense_kernel_from_cost(C::AbstractMatrix; eps::Real, mode::Symbol = :stored_f64)
    haskey(DENSE_MODES, mode) || throw(ArgumentError("mode must be one of $(collect(keys(DENSE_MODES)))"))
    cs = Matrix{Float64}(C)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(ccall((:scalot_kernel_dense_from_cost, libscalot), Cint,
                (Ptr{Cdouble}, Csize_t, Csize_t, Cint, Cdouble, Cint, Ptr{Ptr{Cvoid}}),
                cs, size(cs, 1), size(cs, 2), LAYOUT_COLUMN_MAJOR, eps, DENSE_MODES[mode], out))
    Kernel(out[])
end

"Mirrors `scalot_kernel_properties`."
struct KernelProperties
    kind::Cint
    n::Csize_t
    m::Csize_t
    epsilon::Cdouble
    nnz::Csize_t
    landmarks::Csize_t
    bytes::Csize_t
    added_pairs::Csize_t
    floor_share::Cdouble
end

"""
    kernel_info(k) -> NamedTuple

Kind, shape, ε, entries per product, landmarks, bytes, the pairs added beyond the pair rule's
(coverage, backbone) and the share of the kernel its nonnegative floor carries (Nyström, LCN).
"""
function kernel_info(k::Kernel)
    out = Ref{KernelProperties}()
    check(ccall((:scalot_kernel_info, libscalot), Cint, (Ptr{Cvoid}, Ptr{KernelProperties}), k, out))
    p = out[]
    (kind = KERNEL_KINDS[p.kind], n = Int(p.n), m = Int(p.m), epsilon = p.epsilon, nnz = Int(p.nnz),
     landmarks = Int(p.landmarks), bytes = Int(p.bytes), added_pairs = Int(p.added_pairs),
     floor_share = p.floor_share)
end

# --- options -----------------------------------------------------------------------------------------

function progress_trampoline(user_data::Ptr{Cvoid}, iteration::Csize_t, error::Cdouble)::Cint
    callback = unsafe_pointer_to_objref(user_data)
    try
        return callback(Int(iteration), error) === false ? Cint(1) : Cint(0)
    catch e
        e isa InterruptException || @error "scalot progress callback failed" exception = e
        return Cint(1)
    end
end

"""
    SinkhornOptions(; tol, max_iter, check_interval, tau, epsilon_scaling, overrelaxation,
                    warm_start, progress)

- `tol`: stopping tolerance (L1 marginal error when balanced); default 1e-9.
- `max_iter`: iteration limit; default 1000.
- `check_interval`: iterations between checks and progress calls; default 1.
- `tau`: `(τa, τb)` for KL-relaxed marginals, `Inf` for an exact side; default balanced.
- `epsilon_scaling`: `(start, factor)`, solving at start·ε, start·ε·factor, … first.
- `overrelaxation`: ω in (0, 2), or 0 for adaptive (the default).
- `warm_start`: `(f, g)` potentials.
- `progress`: `(iteration, error) -> Bool`, called on the solving thread; `false` cancels.
"""
function SinkhornOptions(; tol = nothing, max_iter = nothing, check_interval = nothing, tau = nothing,
                         epsilon_scaling = nothing, overrelaxation = nothing, warm_start = nothing,
                         progress = nothing)
    o = SinkhornOptions()
    tol === nothing || check(ccall((:scalot_sinkhorn_options_set_tolerance, libscalot), Cint,
                                   (Ptr{Cvoid}, Cdouble), o, tol))
    max_iter === nothing || check(ccall((:scalot_sinkhorn_options_set_max_iterations, libscalot), Cint,
                                        (Ptr{Cvoid}, Csize_t), o, max_iter))
    check_interval === nothing ||
        check(ccall((:scalot_sinkhorn_options_set_check_interval, libscalot), Cint,
                    (Ptr{Cvoid}, Csize_t), o, check_interval))
    tau === nothing || check(ccall((:scalot_sinkhorn_options_set_marginal_relaxation, libscalot), Cint,
                                   (Ptr{Cvoid}, Cdouble, Cdouble), o, tau[1], tau[2]))
    epsilon_scaling === nothing ||
        check(ccall((:scalot_sinkhorn_options_set_epsilon_scaling, libscalot), Cint,
                    (Ptr{Cvoid}, Cdouble, Cdouble), o, epsilon_scaling[1], epsilon_scaling[2]))
    overrelaxation === nothing ||
        check(ccall((:scalot_sinkhorn_options_set_overrelaxation, libscalot), Cint,
                    (Ptr{Cvoid}, Cdouble), o, overrelaxation))
    if warm_start !== nothing
        f, g = Vector{Float64}(warm_start[1]), Vector{Float64}(warm_start[2])
        check(ccall((:scalot_sinkhorn_options_set_warm_start, libscalot), Cint,
                    (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t),
                    o, f, length(f), g, length(g)))
    end
    if progress !== nothing
        o.progress = progress
        trampoline = @cfunction(progress_trampoline, Cint, (Ptr{Cvoid}, Csize_t, Cdouble))
        check(ccall((:scalot_sinkhorn_options_set_progress_callback, libscalot), Cint,
                    (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}), o, trampoline, pointer_from_objref(progress)))
    end
    o
end

# --- solving -----------------------------------------------------------------------------------------

weights(::Nothing, n) = (C_NULL, n)
weights(w::AbstractVector, n) = (v = Vector{Float64}(w); (v, length(v)))

"""
    sinkhorn(k::Kernel; a = nothing, b = nothing, options = SinkhornOptions()) -> Plan

Solves on a built kernel; `nothing` weights are uniform.
"""
function sinkhorn(k::Kernel; a = nothing, b = nothing, options::SinkhornOptions = SinkhornOptions())
    info = kernel_info(k)
    av, n = weights(a, info.n)
    bv, m = weights(b, info.m)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    GC.@preserve av bv options begin
        check(ccall((:scalot_sinkhorn_solve, libscalot), Cint,
                    (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t, Ptr{Cvoid},
                     Ptr{Ptr{Cvoid}}),
                    k, av, n, bv, m, options, out))
    end
    warn_unless_converged(Plan(out[]))
end

"A solve that stops short of its tolerance warns, naming why it stopped; the plan is returned as it is."
function warn_unless_converged(p::Plan)
    if !converged(p)
        reason = stop_reason(p)
        advice = reason === :stalled ?
            "the error stopped falling; use a looser tolerance or a more accurate kernel" :
            "raise max_iterations or loosen the tolerance"
        @warn "scalot: the solve stopped ($reason) after $(iterations(p)) iterations with marginal error $(marginal_error(p)): $advice"
    end
    p
end

"""
    sinkhorn(x, y; eps, a = nothing, b = nothing, kernel = :dense, cost = :sqeuclidean,
             mode = :stored_f64, dims = 1, kwargs...) -> Plan

Entropic optimal transport between the points of `x` and `y` (one per row with `dims = 1`, per column
with `dims = 2`), with weights `a`, `b` (uniform when `nothing`). `kernel` is `:dense` (with
`mode`), or `:sparse`, `:nystrom` or `:lcn` with their default options. Further keywords go to
[`SinkhornOptions`](@ref).
"""
function sinkhorn(x::AbstractMatrix, y::AbstractMatrix; eps::Real, a = nothing, b = nothing,
                  kernel::Symbol = :dense, cost::Symbol = :sqeuclidean, mode::Symbol = :stored_f64,
                  dims::Integer = 1, kwargs...)
    k = if kernel === :dense
        dense_kernel(x, y; eps = eps, cost = cost, mode = mode, dims = dims)
    elseif kernel === :sparse
        sparse_kernel(x, y; eps = eps, cost = cost, dims = dims)
    elseif kernel === :nystrom
        nystrom_kernel(x, y; eps = eps, cost = cost, dims = dims)
    elseif kernel === :lcn
        lcn_kernel(x, y; eps = eps, cost = cost, dims = dims)
    else
        throw(ArgumentError("kernel must be :dense, :sparse, :nystrom or :lcn"))
    end
    options = SinkhornOptions(; kwargs...)
    try
        sinkhorn(k; a = a, b = b, options = options)
    finally
        close(options)
        close(k)
    end
end

# --- plan queries -----------------------------------------------------------------------------------------

function Base.size(p::Plan)
    n, m = Ref{Csize_t}(0), Ref{Csize_t}(0)
    check(ccall((:scalot_plan_shape, libscalot), Cint, (Ptr{Cvoid}, Ptr{Csize_t}, Ptr{Csize_t}), p, n, m))
    (Int(n[]), Int(m[]))
end

"Whether the solve met its tolerance before the iteration limit."
function converged(p::Plan)
    out = Ref{Bool}(false)
    check(ccall((:scalot_plan_converged, libscalot), Cint, (Ptr{Cvoid}, Ptr{Bool}), p, out))
    out[]
end

const STOP_REASONS = Dict(Cint(0) => :converged, Cint(1) => :iteration_limit, Cint(2) => :stalled)

"""
    stop_reason(plan) -> Symbol

Why the solve stopped: `:converged`, `:iteration_limit`, or `:stalled` (the error stopped falling).
"""
function stop_reason(p::Plan)
    out = Ref{Cint}(0)
    check(ccall((:scalot_plan_stop_reason, libscalot), Cint, (Ptr{Cvoid}, Ptr{Cint}), p, out))
    STOP_REASONS[out[]]
end

"""
    plan_kernel(plan) -> Kernel

The kernel the solve ran on: the kernel given, with what the solve added (a balanced sparse solve's
transport backbone, a Nyström or LCN kernel's floor, f64 storage where f32 stalled), as
[`kernel_info`](@ref) reports.
"""
function plan_kernel(p::Plan)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(ccall((:scalot_plan_kernel, libscalot), Cint, (Ptr{Cvoid}, Ptr{Ptr{Cvoid}}), p, out))
    Kernel(out[])
end

"Mirrors `scalot_certificate`."
struct Certificate
    lower::Cdouble
    upper::Cdouble
    relative_gap::Cdouble
    transport_cost::Cdouble
    sampled_rows::Csize_t
    lower_error::Cdouble
    upper_error::Cdouble
end

"""
    certify(plan; exact_limit = nothing, samples = nothing, seed = 0, progress = nothing) -> NamedTuple

An interval `(lower, upper)` that holds the exact regularised cost of the problem `plan` solved, from
its potentials against the exact costs, and `relative_gap`: how far the solve is from the exact one,
for any kernel. Also `transport_cost`, ⟨P, C⟩ of the feasible plan behind `upper`. Sums over every pair
are exact up to `exact_limit` pairs (default 10⁹); above, `samples` rows (default 1,000, seeded by
`seed`) estimate them, with standard errors `lower_error` and `upper_error`. `progress(blocks,
fraction)` runs between blocks of rows; `false` cancels.
"""
function certify(p::Plan; exact_limit = nothing, samples = nothing, seed::Integer = 0,
                 progress = nothing)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(ccall((:scalot_certify_options_new, libscalot), Cint, (Ptr{Ptr{Cvoid}},), out))
    options = out[]
    try
        exact_limit === nothing ||
            check(ccall((:scalot_certify_options_set_exact_limit, libscalot), Cint,
                        (Ptr{Cvoid}, Csize_t), options, exact_limit))
        samples === nothing ||
            check(ccall((:scalot_certify_options_set_samples, libscalot), Cint,
                        (Ptr{Cvoid}, Csize_t, UInt64), options, samples, seed))
        if progress !== nothing
            trampoline = @cfunction(progress_trampoline, Cint, (Ptr{Cvoid}, Csize_t, Cdouble))
            check(ccall((:scalot_certify_options_set_progress_callback, libscalot), Cint,
                        (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}), options, trampoline,
                        pointer_from_objref(progress)))
        end
        result = Ref{Certificate}()
        GC.@preserve progress begin
            check(ccall((:scalot_plan_certify, libscalot), Cint,
                        (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Certificate}), p, options, result))
        end
        c = result[]
        (lower = c.lower, upper = c.upper, relative_gap = c.relative_gap,
         transport_cost = c.transport_cost, sampled_rows = Int(c.sampled_rows),
         lower_error = c.lower_error, upper_error = c.upper_error)
    finally
        ccall((:scalot_certify_options_free, libscalot), Cvoid, (Ptr{Cvoid},), options)
    end
end

"Iterations the solve took (operator passes)."
function iterations(p::Plan)
    out = Ref{Csize_t}(0)
    check(ccall((:scalot_plan_iterations, libscalot), Cint, (Ptr{Cvoid}, Ptr{Csize_t}), p, out))
    Int(out[])
end

"The final value of the stopping rule."
function marginal_error(p::Plan)
    out = Ref{Cdouble}(0)
    check(ccall((:scalot_plan_marginal_error, libscalot), Cint, (Ptr{Cvoid}, Ptr{Cdouble}), p, out))
    out[]
end

"⟨P, C⟩."
function transport_cost(p::Plan)
    out = Ref{Cdouble}(0)
    check(ccall((:scalot_plan_transport_cost, libscalot), Cint, (Ptr{Cvoid}, Ptr{Cdouble}), p, out))
    out[]
end

"⟨P, C⟩ + ε KL(P | a⊗b) (+ the KL marginal terms when unbalanced)."
function regularized_objective(p::Plan)
    out = Ref{Cdouble}(0)
    check(ccall((:scalot_plan_regularized_objective, libscalot), Cint, (Ptr{Cvoid}, Ptr{Cdouble}),
                p, out))
    out[]
end

"The dual objective at the plan's potentials."
function dual_objective(p::Plan)
    out = Ref{Cdouble}(0)
    check(ccall((:scalot_plan_dual_objective, libscalot), Cint, (Ptr{Cvoid}, Ptr{Cdouble}), p, out))
    out[]
end

"The plan's total mass."
function mass(p::Plan)
    out = Ref{Cdouble}(0)
    check(ccall((:scalot_plan_mass, libscalot), Cint, (Ptr{Cvoid}, Ptr{Cdouble}), p, out))
    out[]
end

"`(f, g)` with P_ij = a_i b_j exp((f_i + g_j − C_ij)/ε)."
function potentials(p::Plan)
    n, m = size(p)
    f, g = Vector{Float64}(undef, n), Vector{Float64}(undef, m)
    check(ccall((:scalot_plan_potentials, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t), p, f, n, g, m))
    (f, g)
end

"`(P·1, Pᵀ·1)`."
function marginals(p::Plan)
    n, m = size(p)
    r, c = Vector{Float64}(undef, n), Vector{Float64}(undef, m)
    check(ccall((:scalot_plan_marginals, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t), p, r, n, c, m))
    (r, c)
end

"`P * v` for a vector of length m, without forming P."
function Base.:*(p::Plan, v::AbstractVector)
    n, m = size(p)
    x = Vector{Float64}(v)
    out = Vector{Float64}(undef, n)
    check(ccall((:scalot_plan_apply, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t), p, x, length(x), out, n))
    out
end

"`transpose(P) * u` for a vector of length n, without forming P."
function Base.:*(t::Transpose{<:Any,Plan}, u::AbstractVector)
    p = parent(t)
    n, m = size(p)
    x = Vector{Float64}(u)
    out = Vector{Float64}(undef, m)
    check(ccall((:scalot_plan_apply_transpose, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t), p, x, length(x), out, m))
    out
end
Base.transpose(p::Plan) = Transpose(p)

"""
    barycentric_projection(p, d) -> Matrix (n×d)

Row i is Σ_j P_ij y_j / Σ_j P_ij.
"""
function barycentric_projection(p::Plan, d::Integer)
    n, _ = size(p)
    out = Matrix{Float64}(undef, n, d)
    check(ccall((:scalot_plan_barycentric_projection, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Cint), p, out, n, d, LAYOUT_COLUMN_MAJOR))
    out
end

"""
    gradient_x(p, d) -> Matrix (n×d)

Gradient of the regularised objective with respect to the source points.
"""
function gradient_x(p::Plan, d::Integer)
    n, _ = size(p)
    out = Matrix{Float64}(undef, n, d)
    check(ccall((:scalot_plan_gradient_x, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Cint), p, out, n, d, LAYOUT_COLUMN_MAJOR))
    out
end

"The n×m plan as a dense matrix (n·m memory: for small problems)."
function Base.Matrix(p::Plan)
    n, m = size(p)
    out = Matrix{Float64}(undef, n, m)
    check(ccall((:scalot_plan_to_dense, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Cint), p, out, n, m, LAYOUT_COLUMN_MAJOR))
    out
end

"""
    top_k(p, k) -> (rows, cols, values)

The k largest entries of every row (1-based indices), row by row and largest first.
"""
function top_k(p::Plan, k::Integer)
    n, _ = size(p)
    len = n * k
    rows, cols = Vector{Csize_t}(undef, len), Vector{Csize_t}(undef, len)
    values = Vector{Float64}(undef, len)
    check(ccall((:scalot_plan_top_k, libscalot), Cint,
                (Ptr{Cvoid}, Csize_t, Ptr{Csize_t}, Ptr{Csize_t}, Ptr{Cdouble}, Csize_t),
                p, k, rows, cols, values, len))
    (Int.(rows) .+ 1, Int.(cols) .+ 1, values)
end

function Base.show(io::IO, p::Plan)
    if p.ptr == C_NULL
        print(io, "Scalot.Plan(closed)")
    else
        n, m = size(p)
        print(io, "Scalot.Plan($n×$m, converged = $(converged(p)), iterations = $(iterations(p)), ",
              "cost = $(transport_cost(p)))")
    end
end

# --- R_rho ------------------------------------------------------------------------------------------

"""
    rrho_problem(x, y; rho, mu = nothing, nu = nothing, floor = 1e-3, granularity = 0, dims = 1)

The R_ρ problem (Charikar et al. 2023) between the points of `x` and `y` with weights `mu`, `nu`
(uniform when `nothing`, normalised to unit mass), `rho` in (1, 2], the Euclidean distance. `floor` is the
paper's σ: every distance becomes √(d² + (σr)²), r bounding the diameter (0 turns it off; then x and y
must share no point). `granularity` g drops weights below g/n and renormalises.
"""
function rrho_problem(x::AbstractMatrix, y::AbstractMatrix; rho::Real, mu = nothing, nu = nothing,
                      floor::Real = RRHO_DEFAULT_FLOOR, granularity::Real = 0, dims::Integer = 1)
    xs, n, ys, m, d, layout, _ = clouds(x, y, dims, :euclidean)
    muv, _ = weights(mu, n)
    nuv, _ = weights(nu, m)
    mu === nothing || length(muv) == n || throw(DimensionMismatch("mu has $(length(muv)) weights, x $n points"))
    nu === nothing || length(nuv) == m || throw(DimensionMismatch("nu has $(length(nuv)) weights, y $m points"))
    out = Ref{Ptr{Cvoid}}(C_NULL)
    GC.@preserve xs ys muv nuv begin
        check(ccall((:scalot_rrho_problem_new, libscalot), Cint,
                    (Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t, Csize_t, Cint, Ptr{Cdouble},
                     Ptr{Cdouble}, Cdouble, Cdouble, Cdouble, Ptr{Ptr{Cvoid}}),
                    xs, n, ys, m, d, layout, muv, nuv, rho, floor, granularity, out))
    end
    RrhoProblem(out[])
end

"""
    RrhoOptions(; tol, max_passes, engine = :exact, accuracy = 1e-3, method = :block_ascent,
                step = 1e-3, warm_start, progress)

- `tol`: both marginal errors below it stop the solve; default 1e-6.
- `max_passes`: pass limit; default 1000.
- `engine`: `:exact` or `:tree` (far terms within a relative `accuracy`; a near field of more than
  ⌈1/accuracy²⌉ points per row is sampled, relative standard error ≈ `accuracy`; needs ρ = 1 + 1/k).
- `method`: `:block_ascent` or the paper's `:sign_ascent` with step `step`.
- `warm_start`: `(alpha, beta)`.
- `progress`: `(pass, error) -> Bool`; `false` cancels.
"""
function RrhoOptions(; tol = nothing, max_passes = nothing, engine::Symbol = :exact,
                     accuracy::Real = 1e-3, method::Symbol = :block_ascent, step::Real = 1e-3,
                     warm_start = nothing, progress = nothing)
    o = RrhoOptions()
    tol === nothing || check(ccall((:scalot_rrho_options_set_tolerance, libscalot), Cint,
                                   (Ptr{Cvoid}, Cdouble), o, tol))
    max_passes === nothing || check(ccall((:scalot_rrho_options_set_max_passes, libscalot), Cint,
                                          (Ptr{Cvoid}, Csize_t), o, max_passes))
    haskey(RRHO_ENGINES, engine) || throw(ArgumentError("engine must be one of $(collect(keys(RRHO_ENGINES)))"))
    check(ccall((:scalot_rrho_options_set_engine, libscalot), Cint, (Ptr{Cvoid}, Cint, Cdouble),
                o, RRHO_ENGINES[engine], accuracy))
    haskey(RRHO_METHODS, method) || throw(ArgumentError("method must be one of $(collect(keys(RRHO_METHODS)))"))
    check(ccall((:scalot_rrho_options_set_method, libscalot), Cint, (Ptr{Cvoid}, Cint, Cdouble),
                o, RRHO_METHODS[method], step))
    if warm_start !== nothing
        a, b = Vector{Float64}(warm_start[1]), Vector{Float64}(warm_start[2])
        check(ccall((:scalot_rrho_options_set_warm_start, libscalot), Cint,
                    (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t), o, a, length(a), b, length(b)))
    end
    if progress !== nothing
        o.progress = progress
        trampoline = @cfunction(progress_trampoline, Cint, (Ptr{Cvoid}, Csize_t, Cdouble))
        check(ccall((:scalot_rrho_options_set_progress_callback, libscalot), Cint,
                    (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}), o, trampoline, pointer_from_objref(progress)))
    end
    o
end

"""
    rrho(problem; options = RrhoOptions()) -> RrhoSolution
    rrho(x, y; rho, mu, nu, floor, granularity, dims, kwargs...) -> RrhoSolution

Solves R_ρ on its dual; further keywords go to [`RrhoOptions`](@ref).
"""
function rrho(problem::RrhoProblem; options::RrhoOptions = RrhoOptions())
    out = Ref{Ptr{Cvoid}}(C_NULL)
    GC.@preserve options begin
        check(ccall((:scalot_rrho_solve, libscalot), Cint, (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Ptr{Cvoid}}),
                    problem, options, out))
    end
    RrhoSolution(out[])
end

function rrho(x::AbstractMatrix, y::AbstractMatrix; rho::Real, mu = nothing, nu = nothing,
              floor::Real = RRHO_DEFAULT_FLOOR, granularity::Real = 0, dims::Integer = 1, kwargs...)
    problem = rrho_problem(x, y; rho = rho, mu = mu, nu = nu, floor = floor, granularity = granularity,
                           dims = dims)
    rrho(problem; options = RrhoOptions(; kwargs...))
end

struct RrhoSummary
    n::Csize_t
    m::Csize_t
    value::Cdouble
    dual_value::Cdouble
    upper_bound::Cdouble
    alpha_error::Cdouble
    beta_error::Cdouble
    passes::Csize_t
    converged::Bool
end

"""
    rrho_summary(s) -> NamedTuple

The value R_ρ (a certified lower bound), the dual value, a certified upper bound, both marginal errors,
the passes and whether the solve converged.
"""
function rrho_summary(s::RrhoSolution)
    out = Ref{RrhoSummary}()
    check(ccall((:scalot_rrho_solution_summary, libscalot), Cint, (Ptr{Cvoid}, Ptr{RrhoSummary}), s, out))
    r = out[]
    (n = Int(r.n), m = Int(r.m), value = r.value, dual_value = r.dual_value, upper_bound = r.upper_bound,
     alpha_error = r.alpha_error, beta_error = r.beta_error, passes = Int(r.passes), converged = r.converged)
end

Base.size(s::RrhoSolution) = (r = rrho_summary(s); (r.n, r.m))

function potentials(s::RrhoSolution)
    n, m = size(s)
    alpha, beta = Vector{Float64}(undef, n), Vector{Float64}(undef, m)
    check(ccall((:scalot_rrho_solution_potentials, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t), s, alpha, n, beta, m))
    (alpha, beta)
end

function marginals(s::RrhoSolution)
    n, m = size(s)
    rows, cols = Vector{Float64}(undef, n), Vector{Float64}(undef, m)
    check(ccall((:scalot_rrho_solution_marginals, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t), s, rows, n, cols, m))
    (rows, cols)
end

"γ v for the implicit R_ρ plan γ."
function Base.:*(s::RrhoSolution, v::AbstractVector)
    n, m = size(s)
    vv = Vector{Float64}(v)
    out = Vector{Float64}(undef, n)
    check(ccall((:scalot_rrho_solution_apply, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t), s, vv, length(vv), out, n))
    out
end

"`transpose(γ) * u` for the implicit R_ρ plan γ."
function Base.:*(t::Transpose{<:Any,RrhoSolution}, u::AbstractVector)
    s = parent(t)
    n, m = size(s)
    uv = Vector{Float64}(u)
    out = Vector{Float64}(undef, m)
    check(ccall((:scalot_rrho_solution_apply_transpose, libscalot), Cint,
                (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t), s, uv, length(uv), out, m))
    out
end

Base.transpose(s::RrhoSolution) = Transpose(s)

function top_k(s::RrhoSolution, k::Integer)
    n, _ = size(s)
    len = n * k
    rows, cols = Vector{Csize_t}(undef, len), Vector{Csize_t}(undef, len)
    values = Vector{Float64}(undef, len)
    check(ccall((:scalot_rrho_solution_top_k, libscalot), Cint,
                (Ptr{Cvoid}, Csize_t, Ptr{Csize_t}, Ptr{Csize_t}, Ptr{Cdouble}, Csize_t),
                s, k, rows, cols, values, len))
    (Int.(rows) .+ 1, Int.(cols) .+ 1, values)
end

# --- embedding alignment -----------------------------------------------------------------------------

# A d×d matrix as C reads it in `layout`: column-major is Julia's own, row-major its transpose's.
square_in(r::AbstractMatrix, layout::Cint) =
    layout == LAYOUT_COLUMN_MAJOR ? Matrix{Float64}(r) : Matrix{Float64}(transpose(r))

"""
    align(x, y; kernel = :dense, mode = :stored_f32, landmarks = nothing, pairs = nothing, eps = 0.05,
          sinkhorn_iterations = 10, steps = 300, learning_rate = 500, decay = 0.5, decay_every = 100,
          initial = nothing, seed_pairs = nothing, progress = nothing, dims = 1)
        -> (rotation, objectives, plan)

Wasserstein–Procrustes: the orthogonal `rotation` R with x ≈ R y that minimises the entropic OT cost
between the points of `x` and of `y` mapped by R, under C_ij = −⟨x_i, R y_j⟩, by projected gradient steps
of `sinkhorn_iterations` Sinkhorn iterations each (the LCN paper's protocol by default). Unit-normalise
and centre the embeddings first.

- `kernel`: `:dense` (storage `mode`), `:sparse` (`pairs`, a [`SparseOptions`](@ref)), `:nystrom`
  (`landmarks`, a [`NystromOptions`](@ref)) or `:lcn` (both); `nothing` for the paper's settings.
- `initial`: an orthogonal d×d start; or `seed_pairs`, a vector of (source, target) index pairs (from 1)
  whose Procrustes fit is the start; else the identity.
- `progress`: `(step, transport cost) -> Bool`; `false` cancels.

`objectives` holds ⟨P, C⟩ at the start and after every step; `plan` is the plan between x and the
rotated y at the final R.
"""
function align(x::AbstractMatrix, y::AbstractMatrix; kernel::Symbol = :dense, mode::Symbol = :stored_f32,
               landmarks::Union{Nothing,NystromOptions} = nothing,
               pairs::Union{Nothing,SparseOptions} = nothing, eps::Real = 0.05,
               sinkhorn_iterations::Integer = 10, steps::Integer = 300, learning_rate::Real = 500,
               decay::Real = 0.5, decay_every::Integer = 100, initial = nothing, seed_pairs = nothing,
               progress = nothing, dims::Integer = 1)
    xs, n, ys, m, d, layout, _ = clouds(x, y, dims, :negdot)
    haskey(ALIGN_KERNELS, kernel) || throw(ArgumentError("kernel must be one of $(collect(keys(ALIGN_KERNELS)))"))
    haskey(DENSE_MODES, mode) || throw(ArgumentError("mode must be one of $(collect(keys(DENSE_MODES)))"))
    o = AlignOptions()
    landmark_handle = landmarks === nothing ? C_NULL : landmarks.ptr
    pair_handle = pairs === nothing ? C_NULL : pairs.ptr
    GC.@preserve landmarks pairs begin
        check(ccall((:scalot_align_options_set_kernel, libscalot), Cint,
                    (Ptr{Cvoid}, Cint, Cint, Ptr{Cvoid}, Ptr{Cvoid}),
                    o, ALIGN_KERNELS[kernel], DENSE_MODES[mode], landmark_handle, pair_handle))
    end
    check(ccall((:scalot_align_options_set_epsilon, libscalot), Cint, (Ptr{Cvoid}, Cdouble), o, eps))
    check(ccall((:scalot_align_options_set_sinkhorn_iterations, libscalot), Cint, (Ptr{Cvoid}, Csize_t),
                o, sinkhorn_iterations))
    check(ccall((:scalot_align_options_set_steps, libscalot), Cint, (Ptr{Cvoid}, Csize_t), o, steps))
    check(ccall((:scalot_align_options_set_learning_rate, libscalot), Cint,
                (Ptr{Cvoid}, Cdouble, Cdouble, Csize_t), o, learning_rate, decay, decay_every))
    if initial !== nothing
        size(initial) == (d, d) || throw(DimensionMismatch("initial is $(size(initial)), expected ($d, $d)"))
        r = square_in(initial, layout)
        check(ccall((:scalot_align_options_set_initial_rotation, libscalot), Cint,
                    (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Cint), o, r, d, layout))
    elseif seed_pairs !== nothing
        source = Csize_t[p[1] - 1 for p in seed_pairs]
        target = Csize_t[p[2] - 1 for p in seed_pairs]
        check(ccall((:scalot_align_options_set_seed_pairs, libscalot), Cint,
                    (Ptr{Cvoid}, Ptr{Csize_t}, Ptr{Csize_t}, Csize_t), o, source, target, length(source)))
    end
    if progress !== nothing
        o.progress = progress
        trampoline = @cfunction(progress_trampoline, Cint, (Ptr{Cvoid}, Csize_t, Cdouble))
        check(ccall((:scalot_align_options_set_progress_callback, libscalot), Cint,
                    (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}), o, trampoline, pointer_from_objref(progress)))
    end
    rotation = Matrix{Float64}(undef, d, d)
    objectives = Vector{Float64}(undef, steps + 1)
    plan = Ref{Ptr{Cvoid}}(C_NULL)
    GC.@preserve xs ys o begin
        check(ccall((:scalot_align, libscalot), Cint,
                    (Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t, Csize_t, Cint, Ptr{Cvoid}, Ptr{Cdouble},
                     Ptr{Cdouble}, Csize_t, Ptr{Ptr{Cvoid}}),
                    xs, n, ys, m, d, layout, o, rotation, objectives, length(objectives), plan))
    end
    close(o)
    (rotation = square_in(rotation, layout), objectives = objectives, plan = Plan(plan[]))
end

struct Retrieval
    nearest_neighbour::Cdouble
    csls::Cdouble
    queries::Csize_t
end

"""
    retrieval_precision(x, y, rotation, pairs; k = 10, dims = 1) -> (nearest_neighbour, csls, queries)

Precision@1 of retrieving the points of `y`, mapped by `rotation`, from those of `x`, over the known
(source, target) index `pairs` (from 1), by cosine similarity and by CSLS with `k` neighbours.
"""
function retrieval_precision(x::AbstractMatrix, y::AbstractMatrix, rotation::AbstractMatrix, pairs;
                             k::Integer = 10, dims::Integer = 1)
    xs, n, ys, m, d, layout, _ = clouds(x, y, dims, :negdot)
    size(rotation) == (d, d) || throw(DimensionMismatch("rotation is $(size(rotation)), expected ($d, $d)"))
    r = square_in(rotation, layout)
    source = Csize_t[p[1] - 1 for p in pairs]
    target = Csize_t[p[2] - 1 for p in pairs]
    out = Ref{Retrieval}()
    GC.@preserve xs ys begin
        check(ccall((:scalot_retrieval_precision, libscalot), Cint,
                    (Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t, Csize_t, Cint, Ptr{Cdouble}, Ptr{Csize_t},
                     Ptr{Csize_t}, Csize_t, Csize_t, Ptr{Retrieval}),
                    xs, n, ys, m, d, layout, r, source, target, length(source), k, out))
    end
    (nearest_neighbour = out[].nearest_neighbour, csls = out[].csls, queries = Int(out[].queries))
end

end # module
