#!/usr/bin/env python3
"""scalot against POT on the same data, in one process.

    python3 bench/compare_pot.py [n ...]            (default n = 1000 4000 10000)
    python3 bench/compare_pot.py nystrom [n ...]    (default n = 10000 50000)
    python3 bench/compare_pot.py rrho [n ...]       (default n = 2000 10000)

Creates bench/.venv with NumPy and POT on first use, builds the release cdylib with cargo, and loads it
through ctypes. For each n (= m, d = 16, two Gaussian clouds, squared Euclidean cost, eps = 0.05 x mean
cost) it prints the time per iteration of POT's `sinkhorn` (linear domain) and `sinkhorn_log`, and of
scalot's stored-f32 and stored-f64 dense kernels, then solves to convergence with POT `sinkhorn` and
scalot and compares the transport costs <P, C>.

Time per iteration is (t(long) - t(short)) / (long - short), which leaves out the setup both libraries
do once (POT: K = exp(-M/eps); scalot: the operator), and is the median of REPEATS runs.

The `nystrom` mode compares POT's `empirical_sinkhorn_nystroem2` (Altschuler et al. 2019; anchors sampled
uniformly, half from each cloud) with scalot's Nystrom kernel on as many uniform landmarks and with its
LCN kernel (the same landmarks plus its default pairs, hierarchical k-means 10 x 100), at the same eps
(0.05 and 0.5 x mean cost, estimated on a sample) and 200 landmarks. Each builds its factors and solves (at most
1000 iterations; POT stopThr 1e-9 on its scalings, scalot tolerance 1e-9 on the marginals); the time is
the median of REPEATS whole runs, and the error is that of <P, C> against scalot's dense f32 Sinkhorn
solved to 1e-9 (checked against POT's dense `sinkhorn` at n = 4,000 in the first mode).

The `rrho` mode puts R_rho next to the exact Earth Mover's distance (POT `emd2`, network simplex) and
entropic OT on the same Euclidean ground distance: POT `sinkhorn2` and scalot's dense f64 Sinkhorn at
eps = 0.02 x mean distance (POT in the linear domain, at most 20,000 iterations; scalot to 1e-9), report <P, C>, which is at least EMD. R_rho is solved with
scalot's exact engine to 1e-5 on both marginal errors at rho = 2, 1.5, 1.25, 1.1, with the default floor
1e-3. Times are of one run each (these are seconds to minutes), the ground-distance matrix included for POT.
"""

import ctypes
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "bench", ".venv")
REPEATS = 3
D = 16


def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([python, "-m", "pip", "install", "-q", "numpy", "pot"])
    os.execv(python, [python, *sys.argv])


ensure_venv()

import numpy as np  # noqa: E402
import ot  # noqa: E402


class RrhoSummary(ctypes.Structure):
    _fields_ = [("n", ctypes.c_size_t), ("m", ctypes.c_size_t), ("value", ctypes.c_double),
                ("dual_value", ctypes.c_double), ("upper_bound", ctypes.c_double),
                ("alpha_error", ctypes.c_double), ("beta_error", ctypes.c_double),
                ("passes", ctypes.c_size_t), ("converged", ctypes.c_bool)]


def load_scalot():
    subprocess.check_call(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    lib = ctypes.CDLL(os.path.join(ROOT, "target", "release", "libscalot.so"))
    p, sz, dbl, i32 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_double, ctypes.c_int
    dptr = ctypes.POINTER(ctypes.c_double)
    signatures = {
        "scalot_kernel_dense_new": [dptr, sz, dptr, sz, sz, i32, i32, dbl, i32, ctypes.POINTER(p)],
        "scalot_kernel_free": [p],
        "scalot_sinkhorn_options_new": [ctypes.POINTER(p)],
        "scalot_sinkhorn_options_free": [p],
        "scalot_sinkhorn_options_set_tolerance": [p, dbl],
        "scalot_sinkhorn_options_set_max_iterations": [p, sz],
        "scalot_sinkhorn_solve": [p, dptr, sz, dptr, sz, p, ctypes.POINTER(p)],
        "scalot_plan_free": [p],
        "scalot_plan_transport_cost": [p, dptr],
        "scalot_plan_iterations": [p, ctypes.POINTER(sz)],
        "scalot_nystrom_options_new": [ctypes.POINTER(p)],
        "scalot_nystrom_options_free": [p],
        "scalot_nystrom_options_set_landmarks": [p, sz, i32, sz],
        "scalot_kernel_nystrom_new": [dptr, sz, dptr, sz, sz, i32, i32, dbl, p, ctypes.POINTER(p)],
        "scalot_kernel_lcn_new": [dptr, sz, dptr, sz, sz, i32, i32, dbl, p, p, ctypes.POINTER(p)],
        "scalot_rrho_problem_new": [dptr, sz, dptr, sz, sz, i32, dptr, dptr, dbl, dbl, dbl,
                                    ctypes.POINTER(p)],
        "scalot_rrho_problem_free": [p],
        "scalot_rrho_options_new": [ctypes.POINTER(p)],
        "scalot_rrho_options_free": [p],
        "scalot_rrho_options_set_tolerance": [p, dbl],
        "scalot_rrho_options_set_max_passes": [p, sz],
        "scalot_rrho_solve": [p, p, ctypes.POINTER(p)],
        "scalot_rrho_solution_free": [p],
        "scalot_rrho_solution_summary": [p, ctypes.POINTER(RrhoSummary)],
    }
    for name, args in signatures.items():
        getattr(lib, name).argtypes = args
        getattr(lib, name).restype = i32 if not name.endswith("_free") else None
    lib.scalot_last_error_message.restype = ctypes.c_char_p
    return lib


class Scalot:
    STORED_F64, STORED_F32 = 0, 1
    NYSTROM, LCN = "nystrom", "lcn"
    LANDMARKS_UNIFORM = 0

    def __init__(self, lib):
        self.lib = lib

    def check(self, status):
        if status != 0:
            raise RuntimeError(self.lib.scalot_last_error_message().decode())

    def build(self, x, y, eps, mode, landmarks, kernel, cost=0):
        lib, dptr = self.lib, ctypes.POINTER(ctypes.c_double)
        args = (x.ctypes.data_as(dptr), x.shape[0], y.ctypes.data_as(dptr), y.shape[0], x.shape[1], 0, cost, eps)
        if mode in (Scalot.NYSTROM, Scalot.LCN):
            options = ctypes.c_void_p()
            try:
                self.check(lib.scalot_nystrom_options_new(ctypes.byref(options)))
                self.check(lib.scalot_nystrom_options_set_landmarks(options, landmarks,
                                                                    Scalot.LANDMARKS_UNIFORM, 0))
                if mode == Scalot.NYSTROM:
                    self.check(lib.scalot_kernel_nystrom_new(*args, options, ctypes.byref(kernel)))
                else:
                    self.check(lib.scalot_kernel_lcn_new(*args, options, None, ctypes.byref(kernel)))
            finally:
                lib.scalot_nystrom_options_free(options)
        else:
            self.check(lib.scalot_kernel_dense_new(*args, mode, ctypes.byref(kernel)))

    def rrho(self, x, y, rho, tolerance, passes):
        """The summary of one R_rho solve (exact engine, default floor)."""
        lib, dptr = self.lib, ctypes.POINTER(ctypes.c_double)
        problem, options, solution = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
        try:
            self.check(lib.scalot_rrho_problem_new(x.ctypes.data_as(dptr), x.shape[0], y.ctypes.data_as(dptr),
                                                   y.shape[0], x.shape[1], 0, None, None, rho, 1e-3, 0.0,
                                                   ctypes.byref(problem)))
            self.check(lib.scalot_rrho_options_new(ctypes.byref(options)))
            self.check(lib.scalot_rrho_options_set_tolerance(options, tolerance))
            self.check(lib.scalot_rrho_options_set_max_passes(options, passes))
            self.check(lib.scalot_rrho_solve(problem, options, ctypes.byref(solution)))
            summary = RrhoSummary()
            self.check(lib.scalot_rrho_solution_summary(solution, ctypes.byref(summary)))
            return summary
        finally:
            lib.scalot_rrho_solution_free(solution)
            lib.scalot_rrho_options_free(options)
            lib.scalot_rrho_problem_free(problem)

    def solve(self, x, y, eps, mode, tolerance, iterations, landmarks=0, cost=0):
        """(transport cost, iterations) of one solve, the kernel built inside it as a user would."""
        lib = self.lib
        kernel, options, plan = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
        try:
            self.build(x, y, eps, mode, landmarks, kernel, cost)
            self.check(lib.scalot_sinkhorn_options_new(ctypes.byref(options)))
            self.check(lib.scalot_sinkhorn_options_set_tolerance(options, tolerance))
            self.check(lib.scalot_sinkhorn_options_set_max_iterations(options, iterations))
            self.check(lib.scalot_sinkhorn_solve(kernel, None, x.shape[0], None, y.shape[0],
                                                 options, ctypes.byref(plan)))
            cost, done = ctypes.c_double(), ctypes.c_size_t()
            self.check(lib.scalot_plan_transport_cost(plan, ctypes.byref(cost)))
            self.check(lib.scalot_plan_iterations(plan, ctypes.byref(done)))
            return cost.value, done.value
        finally:
            lib.scalot_plan_free(plan)
            lib.scalot_sinkhorn_options_free(options)
            lib.scalot_kernel_free(kernel)


def per_iteration(run, short, long):
    def seconds(iterations):
        start = time.perf_counter()
        run(iterations)
        return time.perf_counter() - start

    return statistics.median(
        (seconds(long) - seconds(short)) / (long - short) for _ in range(REPEATS))


def median_seconds(run):
    def seconds():
        start = time.perf_counter()
        value = run()
        return time.perf_counter() - start, value

    runs = [seconds() for _ in range(REPEATS)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def nystrom(sizes):
    scalot = Scalot(load_scalot())
    landmarks = 200
    print(f"numpy {np.__version__}, POT {ot.__version__}, {os.cpu_count()} cpus; d = {D}, "
          f"{landmarks} landmarks")
    print(f"{'n':>6} {'eps/mean':>8} {'method':>34} {'time (s)':>9} {'<P,C>':>14} {'error vs dense':>15}")
    for n, relative in ((n, r) for n in sizes for r in (0.05, 0.5)):
        rng = np.random.default_rng(n)
        x = rng.standard_normal((n, D))
        y = rng.standard_normal((n, D)) + 1.0
        i, j = rng.integers(0, n, 200_000), rng.integers(0, n, 200_000)
        eps = relative * float(np.mean(np.sum((x[i] - y[j]) ** 2, axis=1)))
        reference, _ = scalot.solve(x, y, eps, Scalot.STORED_F32, 1e-9, 100000)
        rows = {
            "POT empirical_sinkhorn_nystroem2": lambda: float(ot.bregman.empirical_sinkhorn_nystroem2(
                x, y, eps, anchors=landmarks, numItermax=1000, stopThr=1e-9, warn=False,
                random_state=0)),
            "scalot Nystrom": lambda: scalot.solve(x, y, eps, Scalot.NYSTROM, 1e-9, 1000, landmarks)[0],
            "scalot LCN": lambda: scalot.solve(x, y, eps, Scalot.LCN, 1e-9, 1000, landmarks)[0],
        }
        print(f"{n:>6} {relative:>8} {'scalot dense f32 (reference)':>34} {'':>9} {reference:>14.8g}")
        for method, run in rows.items():
            try:
                seconds, cost = median_seconds(run)
                print(f"{n:>6} {relative:>8} {method:>34} {seconds:>9.2f} {cost:>14.8g} "
                      f"{abs(cost - reference) / reference:>15.2e}")
            except RuntimeError as error:
                print(f"{n:>6} {relative:>8} {method:>34} failed: {error}")
            sys.stdout.flush()


def rrho(sizes):
    scalot = Scalot(load_scalot())
    euclidean = 1
    print(f"numpy {np.__version__}, POT {ot.__version__}, {os.cpu_count()} cpus; d = {D}, Euclidean distance")
    print(f"{'n':>6} {'method':>26} {'time (s)':>9} {'value':>12} {'/ EMD':>8}  note")
    for n in sizes:
        rng = np.random.default_rng(n)
        x = rng.standard_normal((n, D))
        y = rng.standard_normal((n, D)) + 1.0
        a = np.full(n, 1.0 / n)

        start = time.perf_counter()
        M = ot.dist(x, y, metric="euclidean")
        emd = float(ot.emd2(a, a, M, numItermax=100_000_000))
        rows = [("POT emd2 (exact EMD)", time.perf_counter() - start, emd, "")]
        eps = 0.02 * float(M.mean())

        start = time.perf_counter()
        value = float(ot.sinkhorn2(a, a, M, eps, method="sinkhorn", numItermax=20_000, stopThr=1e-9))
        rows.append((f"POT sinkhorn2 eps {eps:.3f}", time.perf_counter() - start, value, "<P, C>"))
        del M

        start = time.perf_counter()
        value, iterations = scalot.solve(x, y, eps, Scalot.STORED_F64, 1e-9, 100_000, cost=euclidean)
        rows.append((f"scalot sinkhorn eps {eps:.3f}", time.perf_counter() - start, value,
                     f"<P, C>, {iterations} iterations"))

        for rho in (2.0, 1.5, 1.25, 1.1):
            start = time.perf_counter()
            summary = scalot.rrho(x, y, rho, 1e-5, 10_000)
            rows.append((f"scalot R_rho, rho = {rho}", time.perf_counter() - start, summary.value,
                         f"{summary.passes} passes, certified <= {summary.upper_bound:.6g}"
                         + ("" if summary.converged else ", not converged")))
        for method, seconds, value, note in rows:
            print(f"{n:>6} {method:>26} {seconds:>9.2f} {value:>12.6f} {value / emd:>8.4f}  {note}")
        sys.stdout.flush()


def main():
    if sys.argv[1:2] == ["rrho"]:
        rrho([int(a) for a in sys.argv[2:]] or [2000, 10000])
        return
    if sys.argv[1:2] == ["nystrom"]:
        nystrom([int(a) for a in sys.argv[2:]] or [10000, 50000])
        return
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 4000, 10000]
    scalot = Scalot(load_scalot())
    print(f"numpy {np.__version__}, POT {ot.__version__}, {os.cpu_count()} cpus; ms per iteration")
    print(f"{'n':>6} {'method':>16} {'ms/iter':>10} {'vs scalot f32':>14}")
    for n in sizes:
        rng = np.random.default_rng(n)
        x = rng.standard_normal((n, D))
        y = rng.standard_normal((n, D)) + 1.0
        a = np.full(n, 1.0 / n)
        M = ot.dist(x, y)
        eps = 0.05 * M.mean()

        def pot(method):
            return lambda k: ot.sinkhorn(a, a, M, eps, method=method, numItermax=k, stopThr=0.0)

        def ours(mode):
            return lambda k: scalot.solve(x, y, eps, mode, 1e-300, k)

        times = {
            "scalot f32": per_iteration(ours(Scalot.STORED_F32), 10, 110),
            "scalot f64": per_iteration(ours(Scalot.STORED_F64), 10, 110),
            "POT sinkhorn": per_iteration(pot("sinkhorn"), 10, 110),
            "POT sinkhorn_log": per_iteration(pot("sinkhorn_log"), 5, 25),
        }
        for method, t in times.items():
            print(f"{n:>6} {method:>16} {1e3 * t:>10.3f} {t / times['scalot f32']:>13.1f}x")

        plan = ot.sinkhorn(a, a, M, eps, method="sinkhorn", numItermax=100000, stopThr=1e-12)
        reference = float(np.sum(plan * M))
        for name, mode in (("f32", Scalot.STORED_F32), ("f64", Scalot.STORED_F64)):
            cost, iterations = scalot.solve(x, y, eps, mode, 1e-9, 100000)
            print(f"{n:>6} transport cost: POT {reference:.12g}, scalot {name} {cost:.12g} "
                  f"({iterations} iterations), relative difference {abs(cost - reference) / reference:.2e}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
