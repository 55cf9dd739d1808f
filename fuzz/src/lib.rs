//! The fuzz targets' bodies: each decodes a byte string into calls of the C entry points, with sizes
//! that match the buffers passed (or overflow, which must be refused before any read), and checks what
//! every call must satisfy:
//!
//! - no call returns SCALOT_STATUS_PANIC (a bug caught at the boundary);
//! - a failed constructor leaves its out-handle NULL, and a failed call has a message;
//! - every value an OK call returns is finite.
//!
//! A broken invariant panics, which libFuzzer records as a crash. The same bodies replay the saved
//! inputs on stable, in `tests/fuzz_replay.rs`.

use std::ffi::{c_int, c_void, CStr};
use std::mem::MaybeUninit;
use std::ptr::{null, null_mut};
use std::sync::Once;

use scalot::ffi::align::*;
use scalot::ffi::certificate::*;
use scalot::ffi::kernel::*;
use scalot::ffi::lcn::scalot_kernel_lcn_new;
use scalot::ffi::library::{scalot_last_error_message, scalot_set_num_threads};
use scalot::ffi::nystrom::*;
use scalot::ffi::plan::*;
use scalot::ffi::rrho::*;
use scalot::ffi::scalot_status;
use scalot::ffi::sinkhorn::*;
use scalot::ffi::sparse::*;

/// A target's body: one input's calls and checks.
pub type Target = fn(&[u8]);

/// The targets, by the names of their corpus directories.
pub const TARGETS: [(&str, Target); 5] = [
    ("dense", dense),
    ("approximate", approximate),
    ("solve_plan", solve_plan),
    ("rrho", rrho),
    ("align", align),
];

/// Sizes that overflow a byte count whatever the other dimension: the library must refuse them before
/// it reads a buffer.
const OVERFLOWING: [usize; 4] = [usize::MAX, 1 << 63, 1 << 62, (1 << 61) + 1];

/// Values a decoder picks besides moderate ones: the extremes and the defects found so far.
const SPECIAL: [f64; 16] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    1e-300,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e8,
    -6e153,
    4e289,
    1.2e132,
];

/// A cursor over the fuzzer's bytes; past the end it reads zeros, so every input decodes.
pub struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Input { bytes }
    }

    pub fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((&b, rest)) => {
                self.bytes = rest;
                b
            }
            None => 0,
        }
    }

    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |acc, _| acc << 8 | u64::from(self.byte()))
    }

    /// A small number in `0..=max`.
    pub fn small(&mut self, max: usize) -> usize {
        self.byte() as usize % (max + 1)
    }

    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A count: small most of the time, else one of the extremes.
    pub fn count(&mut self, max: usize) -> usize {
        match self.byte() {
            0..=239 => self.small(max),
            240..=247 => 0,
            248..=251 => usize::MAX,
            _ => 1 << 62,
        }
    }

    /// A real: moderate (in [-5, 5]) most of the time, else special, else any bit pattern.
    pub fn real(&mut self) -> f64 {
        match self.byte() {
            b @ 0..=199 => f64::from(b) / 20.0 - 5.0,
            200..=239 => SPECIAL[self.small(SPECIAL.len() - 1)],
            _ => f64::from_bits(self.u64()),
        }
    }

    /// A positive real: moderate (in (0, 2]) most of the time, else any [`Input::real`].
    pub fn positive(&mut self) -> f64 {
        match self.byte() {
            b @ 0..=219 => f64::from(b + 1) / 110.0,
            _ => self.real(),
        }
    }

    pub fn reals(&mut self, len: usize) -> Vec<f64> {
        (0..len).map(|_| self.real()).collect()
    }

    /// Points: moderate coordinates most of the time, with a rare extreme one.
    pub fn points(&mut self, len: usize) -> Vec<f64> {
        let scale = self.positive().abs().max(1e-3);
        (0..len).map(|_| self.real() * scale).collect()
    }

    /// Weights, or None for uniform ones.
    pub fn weights(&mut self, len: usize) -> Option<Vec<f64>> {
        self.flag()
            .then(|| (0..len).map(|_| self.positive()).collect())
    }

    /// A size for a buffer that will be allocated: `1..=max`, sometimes 0.
    pub fn size(&mut self, max: usize) -> usize {
        match self.byte() {
            0..=247 => 1 + self.small(max - 1),
            _ => 0,
        }
    }

    /// Either a size for a buffer, or one that overflows every byte count.
    pub fn size_or_overflow(&mut self, max: usize) -> (usize, bool) {
        if self.byte() >= 250 {
            (OVERFLOWING[self.small(OVERFLOWING.len() - 1)], true)
        } else {
            (self.size(max), false)
        }
    }

    /// An enum value: a valid one most of the time.
    pub fn enumeration(&mut self, variants: c_int) -> c_int {
        match self.byte() {
            0..=249 => self.small(variants as usize - 1) as c_int,
            250..=252 => -1,
            _ => c_int::MAX,
        }
    }
}

fn message() -> String {
    // SAFETY: the library returns a valid, NUL-terminated, thread-local string.
    unsafe { CStr::from_ptr(scalot_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// The invariants of every call: no panic, and a message when it fails.
#[track_caller]
pub fn checked(call: &str, status: scalot_status) -> bool {
    assert_ne!(status, scalot_status::Panic, "{call}: {}", message());
    if status != scalot_status::Ok {
        assert!(!message().is_empty(), "{call} failed with no message");
    }
    status == scalot_status::Ok
}

/// As [`checked`], for a constructor: its out-handle is NULL unless it succeeded.
#[track_caller]
fn constructed<T>(call: &str, status: scalot_status, handle: *mut T) -> Option<*mut T> {
    if checked(call, status) {
        assert!(!handle.is_null(), "{call} returned OK and no handle");
        Some(handle)
    } else {
        assert!(handle.is_null(), "{call} failed and left a handle");
        None
    }
}

#[track_caller]
fn finite(call: &str, values: &[f64]) {
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        panic!("{call} returned OK with entry {i} = {v}");
    }
}

fn one_thread() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| assert_eq!(scalot_set_num_threads(1), scalot_status::Ok));
}

fn or_null(values: &Option<Vec<f64>>) -> *const f64 {
    values.as_ref().map_or(null(), |v| v.as_ptr())
}

/// What a progress callback is given through its user data: a countdown to a cancel, and whether a
/// report's error was NaN (a callback must not panic, so the harness checks it after the call).
#[derive(Default)]
struct Countdown {
    left: usize,
    nan_reported: bool,
}

impl Countdown {
    /// Sets a decoded countdown and returns the callback's user-data pointer.
    fn arm(&mut self, input: &mut Input) -> *mut c_void {
        self.left = input.small(4);
        (self as *mut Countdown).cast()
    }

    #[track_caller]
    fn check(&self, call: &str) {
        assert!(
            !self.nan_reported,
            "{call} reported a NaN error to its callback"
        );
    }
}

/// A progress callback that cancels at its `left`-th call (never if 0).
unsafe extern "C" fn cancel_at(user_data: *mut c_void, _: usize, error: f64) -> c_int {
    // SAFETY: every caller passes a pointer to a live Countdown it owns for the call.
    let countdown = unsafe { &mut *user_data.cast::<Countdown>() };
    countdown.nan_reported |= error.is_nan();
    match countdown.left {
        0 => 0,
        1 => 1,
        _ => {
            countdown.left -= 1;
            0
        }
    }
}

/// Two point clouds: sizes, dimension, layout, and coordinates for buffers of that size, unless a
/// size overflows (then the buffers are short and must not be read).
struct Clouds {
    x: Vec<f64>,
    y: Vec<f64>,
    n: usize,
    m: usize,
    d: usize,
    layout: c_int,
    /// Whether n, m or d overflows every byte count: the buffers of that size are then short.
    overflowing: [bool; 3],
}

impl Clouds {
    fn decode(input: &mut Input, max: usize) -> Self {
        let (n, n_over) = input.size_or_overflow(max);
        let (m, m_over) = input.size_or_overflow(max);
        let (d, d_over) = input.size_or_overflow(4);
        let layout = input.enumeration(2);
        let overflowing = [n_over, m_over, d_over];
        let x = input.points(if n_over || d_over { 4 } else { n * d });
        let y = input.points(if m_over || d_over { 4 } else { m * d });
        Clouds {
            x,
            y,
            n,
            m,
            d,
            layout,
            overflowing,
        }
    }

    fn any_overflowing(&self) -> bool {
        self.overflowing.contains(&true)
    }
}

/// A kernel, its kind decoded: dense (stored or online, from points or a cost matrix), sparse, Nyström or
/// LCN, with decoded options.
fn kernel(input: &mut Input, clouds: &Clouds, family: u8) -> Option<*mut scalot_kernel> {
    let Clouds {
        x,
        y,
        n,
        m,
        d,
        layout,
        ..
    } = clouds;
    let (x, y) = (x.as_ptr(), y.as_ptr());
    let cost = input.enumeration(3);
    let epsilon = input.positive();
    let mut k = null_mut();
    let status = match family % 5 {
        0 => scalot_kernel_dense_new(
            x,
            *n,
            y,
            *m,
            *d,
            *layout,
            cost,
            epsilon,
            input.enumeration(3),
            &mut k,
        ),
        1 => {
            // A cost matrix in place of points: n·m entries, unless a size overflows.
            let costs = if clouds.overflowing[0] || clouds.overflowing[1] {
                input.reals(4)
            } else {
                input.points(n * m)
            };
            scalot_kernel_dense_from_cost(
                costs.as_ptr(),
                *n,
                *m,
                *layout,
                epsilon,
                input.enumeration(3),
                &mut k,
            )
        }
        2 => {
            let pairs = sparse_options(input);
            let status =
                scalot_kernel_sparse_new(x, *n, y, *m, *d, *layout, cost, epsilon, pairs, &mut k);
            scalot_sparse_options_free(pairs);
            status
        }
        3 => {
            let landmarks = nystrom_options(input);
            let status = scalot_kernel_nystrom_new(
                x, *n, y, *m, *d, *layout, cost, epsilon, landmarks, &mut k,
            );
            scalot_nystrom_options_free(landmarks);
            status
        }
        _ => {
            let (landmarks, pairs) = (nystrom_options(input), sparse_options(input));
            let status = scalot_kernel_lcn_new(
                x, *n, y, *m, *d, *layout, cost, epsilon, landmarks, pairs, &mut k,
            );
            scalot_nystrom_options_free(landmarks);
            scalot_sparse_options_free(pairs);
            status
        }
    };
    let k = constructed("kernel constructor", status, k)?;
    let mut info = MaybeUninit::uninit();
    if checked(
        "scalot_kernel_info",
        scalot_kernel_info(k, info.as_mut_ptr()),
    ) {
        // SAFETY: an OK status wrote the properties.
        let info = unsafe { info.assume_init() };
        assert_eq!((info.n, info.m), (*n, *m), "the kernel's shape");
        finite("scalot_kernel_info", &[info.epsilon, info.floor_share]);
    }
    Some(k)
}

/// Sparse options with decoded settings (each setter's failure checked), or NULL for the defaults. The
/// caller frees them.
fn sparse_options(input: &mut Input) -> *mut scalot_sparse_options {
    if input.flag() {
        return null_mut();
    }
    let mut options = null_mut();
    assert_eq!(scalot_sparse_options_new(&mut options), scalot_status::Ok);
    for _ in 0..input.small(3) {
        let status = match input.small(8) {
            0 => scalot_sparse_options_set_kmeans(
                options,
                input.count(8),
                input.count(3),
                input.count(5),
            ),
            1 => {
                let levels = input.count(3);
                let branching: Vec<usize> = (0..levels.min(3)).map(|_| input.count(4)).collect();
                let pointer = if branching.is_empty() {
                    null()
                } else {
                    branching.as_ptr()
                };
                // A count beyond the buffer only when its bytes overflow: refused before reading.
                let levels = if levels > branching.len() && levels < 1 << 61 {
                    branching.len()
                } else {
                    levels
                };
                scalot_sparse_options_set_hierarchical_kmeans(
                    options,
                    pointer,
                    levels,
                    input.count(3),
                    input.count(5),
                )
            }
            2 => scalot_sparse_options_set_lsh(
                options,
                input.count(64),
                input.count(4),
                input.count(4),
            ),
            3 => scalot_sparse_options_set_neighbours(options, input.count(8)),
            4 => scalot_sparse_options_set_truncation(options, input.real()),
            5 => scalot_sparse_options_set_seed(options, u64::from(input.byte())),
            6 => scalot_sparse_options_set_coverage(options, input.count(4)),
            _ => scalot_sparse_options_set_backbone(options, c_int::from(input.byte()) - 1),
        };
        checked("a sparse options setter", status);
    }
    options
}

/// Nyström options with decoded settings, or NULL for the defaults. The caller frees them.
fn nystrom_options(input: &mut Input) -> *mut scalot_nystrom_options {
    if input.flag() {
        return null_mut();
    }
    let mut options = null_mut();
    assert_eq!(scalot_nystrom_options_new(&mut options), scalot_status::Ok);
    for _ in 0..input.small(2) {
        let status = match input.small(2) {
            0 => scalot_nystrom_options_set_landmarks(
                options,
                input.count(12),
                input.enumeration(4),
                input.count(4),
            ),
            1 => scalot_nystrom_options_set_inverse(options, input.enumeration(2), input.real()),
            _ => scalot_nystrom_options_set_seed(options, u64::from(input.byte())),
        };
        checked("a Nyström options setter", status);
    }
    options
}

/// Sinkhorn options with decoded settings; `cancel` is the callback's countdown.
fn sinkhorn_options(
    input: &mut Input,
    (n, m): (usize, usize),
    cancel: &mut Countdown,
) -> *mut scalot_sinkhorn_options {
    let mut options = null_mut();
    assert_eq!(scalot_sinkhorn_options_new(&mut options), scalot_status::Ok);
    // Few iterations, so that an input runs in milliseconds.
    let iterations = 1 + input.small(60);
    assert_eq!(
        scalot_sinkhorn_options_set_max_iterations(options, iterations),
        scalot_status::Ok
    );
    for _ in 0..input.small(4) {
        let status = match input.small(6) {
            0 => scalot_sinkhorn_options_set_tolerance(options, input.real()),
            1 => scalot_sinkhorn_options_set_check_interval(options, input.count(8)),
            2 => {
                scalot_sinkhorn_options_set_marginal_relaxation(options, input.real(), input.real())
            }
            3 => scalot_sinkhorn_options_set_epsilon_scaling(options, input.real(), input.real()),
            4 => scalot_sinkhorn_options_set_overrelaxation(options, input.real()),
            5 => {
                let (f, g) = (input.reals(n), input.reals(m));
                scalot_sinkhorn_options_set_warm_start(options, f.as_ptr(), n, g.as_ptr(), m)
            }
            _ => scalot_sinkhorn_options_set_progress_callback(
                options,
                Some(cancel_at),
                cancel.arm(input),
            ),
        };
        checked("a Sinkhorn options setter", status);
    }
    options
}

/// Solves on `k` and, if that succeeds, runs every plan query with decoded arguments.
fn solve_and_query(input: &mut Input, k: *const scalot_kernel, (n, m): (usize, usize), d: usize) {
    let a = input.weights(n);
    let b = input.weights(m);
    let mut cancel = Countdown::default();
    let options = if input.flag() {
        null_mut()
    } else {
        sinkhorn_options(input, (n, m), &mut cancel)
    };
    let mut plan = null_mut();
    let status = scalot_sinkhorn_solve(k, or_null(&a), n, or_null(&b), m, options, &mut plan);
    scalot_sinkhorn_options_free(options);
    cancel.check("scalot_sinkhorn_solve");
    let Some(plan) = constructed("scalot_sinkhorn_solve", status, plan) else {
        return;
    };
    query_plan(input, plan, (n, m), d);
    scalot_plan_free(plan);
}

fn scalar(call: &str, query: impl FnOnce(*mut f64) -> scalot_status) {
    let mut value = f64::NAN;
    if checked(call, query(&mut value)) {
        finite(call, &[value]);
    }
}

fn query_plan(input: &mut Input, plan: *mut scalot_plan, (n, m): (usize, usize), d: usize) {
    scalar("scalot_plan_marginal_error", |out| {
        scalot_plan_marginal_error(plan, out)
    });
    scalar("scalot_plan_transport_cost", |out| {
        scalot_plan_transport_cost(plan, out)
    });
    scalar("scalot_plan_regularized_objective", |out| {
        scalot_plan_regularized_objective(plan, out)
    });
    scalar("scalot_plan_dual_objective", |out| {
        scalot_plan_dual_objective(plan, out)
    });
    scalar("scalot_plan_mass", |out| scalot_plan_mass(plan, out));
    let (mut f, mut g) = (vec![f64::NAN; n], vec![f64::NAN; m]);
    let status = scalot_plan_potentials(plan, f.as_mut_ptr(), n, g.as_mut_ptr(), m);
    if checked("scalot_plan_potentials", status) {
        finite("scalot_plan_potentials", &f);
        finite("scalot_plan_potentials", &g);
    }
    let status = scalot_plan_marginals(plan, f.as_mut_ptr(), n, g.as_mut_ptr(), m);
    if checked("scalot_plan_marginals", status) {
        finite("scalot_plan_marginals", &f);
        finite("scalot_plan_marginals", &g);
    }
    for _ in 0..input.small(3) {
        match input.small(5) {
            0 => {
                let v = input.reals(m);
                let mut out = vec![f64::NAN; n];
                let status = scalot_plan_apply(plan, v.as_ptr(), m, out.as_mut_ptr(), n);
                if checked("scalot_plan_apply", status) && v.iter().all(|v| v.is_finite()) {
                    finite("scalot_plan_apply", &out);
                }
            }
            1 => {
                let u = input.reals(n);
                let mut out = vec![f64::NAN; m];
                let status = scalot_plan_apply_transpose(plan, u.as_ptr(), n, out.as_mut_ptr(), m);
                if checked("scalot_plan_apply_transpose", status) && u.iter().all(|u| u.is_finite())
                {
                    finite("scalot_plan_apply_transpose", &out);
                }
            }
            2 => {
                let layout = input.enumeration(2);
                // A d whose n·d bytes overflow (from a cost-matrix kernel's decoding) gets a short
                // buffer: the library must refuse it before writing.
                let len = n
                    .checked_mul(d)
                    .filter(|&len| len <= isize::MAX as usize / 8)
                    .unwrap_or(1);
                let mut out = vec![f64::NAN; len.max(1)];
                let status =
                    scalot_plan_barycentric_projection(plan, out.as_mut_ptr(), n, d, layout);
                if checked("scalot_plan_barycentric_projection", status) {
                    finite("scalot_plan_barycentric_projection", &out[..len]);
                }
                let status = scalot_plan_gradient_x(plan, out.as_mut_ptr(), n, d, layout);
                if checked("scalot_plan_gradient_x", status) {
                    finite("scalot_plan_gradient_x", &out[..len]);
                }
            }
            3 => {
                let mut out = vec![f64::NAN; n * m];
                let status =
                    scalot_plan_to_dense(plan, out.as_mut_ptr(), n, m, input.enumeration(2));
                if checked("scalot_plan_to_dense", status) {
                    finite("scalot_plan_to_dense", &out);
                }
            }
            4 => top_k(
                input,
                "scalot_plan_top_k",
                (n, m),
                |k, rows, cols, values, len| scalot_plan_top_k(plan, k, rows, cols, values, len),
            ),
            _ => certify(input, plan),
        }
    }
}

/// A top-k query with a decoded k (its buffers hold min(k, 4) entries a row, or k overflows): OK values
/// are finite and index the plan.
fn top_k(
    input: &mut Input,
    call: &str,
    (n, m): (usize, usize),
    query: impl FnOnce(usize, *mut usize, *mut usize, *mut f64, usize) -> scalot_status,
) {
    let k = input.count(4);
    let len = n * k.min(4);
    let (mut rows, mut cols, mut values) = (vec![0; len], vec![0; len], vec![0.0; len]);
    let status = query(
        k,
        rows.as_mut_ptr(),
        cols.as_mut_ptr(),
        values.as_mut_ptr(),
        len,
    );
    if checked(call, status) {
        finite(call, &values);
        assert!(
            rows.iter().all(|&i| i < n) && cols.iter().all(|&j| j < m),
            "{call} returned an index out of range"
        );
    }
}

fn certify(input: &mut Input, plan: *const scalot_plan) {
    let mut options = null_mut();
    assert_eq!(scalot_certify_options_new(&mut options), scalot_status::Ok);
    if input.flag() {
        let status = scalot_certify_options_set_exact_limit(options, input.count(64));
        checked("scalot_certify_options_set_exact_limit", status);
        let status =
            scalot_certify_options_set_samples(options, input.count(8), u64::from(input.byte()));
        checked("scalot_certify_options_set_samples", status);
    }
    let mut out = MaybeUninit::uninit();
    let status = scalot_plan_certify(plan, options, out.as_mut_ptr());
    scalot_certify_options_free(options);
    if checked("scalot_plan_certify", status) {
        // SAFETY: an OK status wrote the certificate.
        let c = unsafe { out.assume_init() };
        finite(
            "scalot_plan_certify",
            &[
                c.lower,
                c.upper,
                c.relative_gap,
                c.transport_cost,
                c.lower_error,
                c.upper_error,
            ],
        );
    }
}

/// Dense kernels from points or a cost matrix, with decoded (often invalid) arguments, then a solve.
pub fn dense(bytes: &[u8]) {
    one_thread();
    let mut input = Input::new(bytes);
    let clouds = Clouds::decode(&mut input, 12);
    let family = input.byte() % 2;
    if let Some(k) = kernel(&mut input, &clouds, family) {
        solve_and_query(&mut input, k, (clouds.n, clouds.m), clouds.d);
        scalot_kernel_free(k);
    }
}

/// Sparse, Nyström and LCN kernels with decoded options, then a solve.
pub fn approximate(bytes: &[u8]) {
    one_thread();
    let mut input = Input::new(bytes);
    let clouds = Clouds::decode(&mut input, 24);
    let family = 2 + input.byte() % 3;
    if let Some(k) = kernel(&mut input, &clouds, family) {
        solve_and_query(&mut input, k, (clouds.n, clouds.m), clouds.d);
        scalot_kernel_free(k);
    }
}

/// Any kernel on valid clouds, then decoded solve options and plan queries.
pub fn solve_plan(bytes: &[u8]) {
    one_thread();
    let mut input = Input::new(bytes);
    let (n, m, d) = (
        input.size(10).max(1),
        input.size(10).max(1),
        1 + input.small(3),
    );
    let clouds = Clouds {
        x: input.points(n * d),
        y: input.points(m * d),
        n,
        m,
        d,
        layout: 0,
        overflowing: [false; 3],
    };
    let family = input.byte();
    if let Some(k) = kernel(&mut input, &clouds, family) {
        for _ in 0..1 + input.small(1) {
            solve_and_query(&mut input, k, (n, m), d);
        }
        scalot_kernel_free(k);
    }
}

/// R_ρ problems with decoded points, weights, ρ, floor and granularity, then a solve and its queries.
pub fn rrho(bytes: &[u8]) {
    one_thread();
    let mut input = Input::new(bytes);
    let clouds = Clouds::decode(&mut input, 10);
    let Clouds {
        x,
        y,
        n,
        m,
        d,
        layout,
        ..
    } = &clouds;
    // Weights of a size that overflows are short, and must not be read.
    let weights = |input: &mut Input, len: usize, overflowing: bool| {
        if overflowing {
            Some(input.reals(4))
        } else {
            input.weights(len)
        }
    };
    let mu = weights(&mut input, *n, clouds.overflowing[0]);
    let nu = weights(&mut input, *m, clouds.overflowing[1]);
    let (rho, floor, granularity) = (1.0 + input.positive(), input.real(), input.real());
    let mut problem = null_mut();
    let status = scalot_rrho_problem_new(
        x.as_ptr(),
        *n,
        y.as_ptr(),
        *m,
        *d,
        *layout,
        or_null(&mu),
        or_null(&nu),
        if input.flag() { input.real() } else { rho },
        floor,
        granularity,
        &mut problem,
    );
    let Some(problem) = constructed("scalot_rrho_problem_new", status, problem) else {
        return;
    };
    let mut options = null_mut();
    assert_eq!(scalot_rrho_options_new(&mut options), scalot_status::Ok);
    let passes = 1 + input.small(20);
    assert_eq!(
        scalot_rrho_options_set_max_passes(options, passes),
        scalot_status::Ok
    );
    let mut cancel = Countdown::default();
    for _ in 0..input.small(4) {
        let status = match input.small(4) {
            0 => scalot_rrho_options_set_tolerance(options, input.real()),
            1 => scalot_rrho_options_set_engine(options, input.enumeration(2), input.real()),
            2 => scalot_rrho_options_set_method(options, input.enumeration(2), input.real()),
            3 => {
                let (alpha, beta) = (input.reals(*n), input.reals(*m));
                scalot_rrho_options_set_warm_start(options, alpha.as_ptr(), *n, beta.as_ptr(), *m)
            }
            _ => scalot_rrho_options_set_progress_callback(
                options,
                Some(cancel_at),
                cancel.arm(&mut input),
            ),
        };
        checked("an R_rho options setter", status);
    }
    let mut solution = null_mut();
    let status = scalot_rrho_solve(problem, options, &mut solution);
    scalot_rrho_options_free(options);
    cancel.check("scalot_rrho_solve");
    if let Some(solution) = constructed("scalot_rrho_solve", status, solution) {
        query_rrho(&mut input, solution, (*n, *m));
        scalot_rrho_solution_free(solution);
    }
    scalot_rrho_problem_free(problem);
}

fn query_rrho(input: &mut Input, solution: *const scalot_rrho_solution, (n, m): (usize, usize)) {
    let mut summary = MaybeUninit::uninit();
    if checked(
        "scalot_rrho_solution_summary",
        scalot_rrho_solution_summary(solution, summary.as_mut_ptr()),
    ) {
        // SAFETY: an OK status wrote the summary.
        let s = unsafe { summary.assume_init() };
        finite(
            "scalot_rrho_solution_summary",
            &[
                s.value,
                s.dual_value,
                s.upper_bound,
                s.alpha_error,
                s.beta_error,
            ],
        );
    }
    let (mut alpha, mut beta) = (vec![f64::NAN; n], vec![f64::NAN; m]);
    let status =
        scalot_rrho_solution_potentials(solution, alpha.as_mut_ptr(), n, beta.as_mut_ptr(), m);
    if checked("scalot_rrho_solution_potentials", status) {
        finite("scalot_rrho_solution_potentials", &alpha);
        finite("scalot_rrho_solution_potentials", &beta);
    }
    let status =
        scalot_rrho_solution_marginals(solution, alpha.as_mut_ptr(), n, beta.as_mut_ptr(), m);
    if checked("scalot_rrho_solution_marginals", status) {
        finite("scalot_rrho_solution_marginals", &alpha);
        finite("scalot_rrho_solution_marginals", &beta);
    }
    let v = input.reals(m);
    let status = scalot_rrho_solution_apply(solution, v.as_ptr(), m, alpha.as_mut_ptr(), n);
    if checked("scalot_rrho_solution_apply", status) && v.iter().all(|v| v.is_finite()) {
        finite("scalot_rrho_solution_apply", &alpha);
    }
    let u = input.reals(n);
    let status =
        scalot_rrho_solution_apply_transpose(solution, u.as_ptr(), n, beta.as_mut_ptr(), m);
    if checked("scalot_rrho_solution_apply_transpose", status) && u.iter().all(|u| u.is_finite()) {
        finite("scalot_rrho_solution_apply_transpose", &beta);
    }
    top_k(
        input,
        "scalot_rrho_solution_top_k",
        (n, m),
        |k, rows, cols, values, len| {
            scalot_rrho_solution_top_k(solution, k, rows, cols, values, len)
        },
    );
}

/// Wasserstein–Procrustes alignment with decoded options, then retrieval precision.
pub fn align(bytes: &[u8]) {
    one_thread();
    let mut input = Input::new(bytes);
    let clouds = Clouds::decode(&mut input, 16);
    let Clouds {
        x,
        y,
        n,
        m,
        d,
        layout,
        ..
    } = &clouds;
    let (n, m, d, layout) = (*n, *m, *d, *layout);
    let mut options = null_mut();
    assert_eq!(scalot_align_options_new(&mut options), scalot_status::Ok);
    let steps = 1 + input.small(2);
    assert_eq!(
        scalot_align_options_set_steps(options, steps),
        scalot_status::Ok
    );
    assert_eq!(
        scalot_align_options_set_sinkhorn_iterations(options, 1 + input.small(20)),
        scalot_status::Ok
    );
    let mut cancel = Countdown::default();
    let mut rotation = vec![f64::NAN; if clouds.overflowing[2] { 1 } else { d * d }];
    for _ in 0..input.small(4) {
        let status = match input.small(5) {
            0 => {
                let kind = input.enumeration(4);
                let mode = input.enumeration(3);
                let (landmarks, pairs) = (nystrom_options(&mut input), sparse_options(&mut input));
                let status = scalot_align_options_set_kernel(options, kind, mode, landmarks, pairs);
                scalot_nystrom_options_free(landmarks);
                scalot_sparse_options_free(pairs);
                status
            }
            1 => scalot_align_options_set_epsilon(options, input.real()),
            2 => scalot_align_options_set_learning_rate(
                options,
                input.real(),
                input.real(),
                input.count(3),
            ),
            3 if !clouds.any_overflowing() => {
                let start = input.reals(d * d);
                scalot_align_options_set_initial_rotation(
                    options,
                    start.as_ptr(),
                    d,
                    input.enumeration(2),
                )
            }
            4 if !clouds.any_overflowing() => {
                let count = input.small(3);
                let source: Vec<usize> = (0..count).map(|_| input.count(n)).collect();
                let target: Vec<usize> = (0..count).map(|_| input.count(m)).collect();
                scalot_align_options_set_seed_pairs(
                    options,
                    source.as_ptr(),
                    target.as_ptr(),
                    count,
                )
            }
            _ => scalot_align_options_set_progress_callback(
                options,
                Some(cancel_at),
                cancel.arm(&mut input),
            ),
        };
        checked("an alignment options setter", status);
    }
    let mut objectives = vec![f64::NAN; steps + 1];
    let mut plan = null_mut();
    let status = scalot_align(
        x.as_ptr(),
        n,
        y.as_ptr(),
        m,
        d,
        layout,
        options,
        rotation.as_mut_ptr(),
        objectives.as_mut_ptr(),
        objectives.len(),
        &mut plan,
    );
    scalot_align_options_free(options);
    cancel.check("scalot_align");
    let Some(plan) = constructed("scalot_align", status, plan) else {
        return;
    };
    finite("scalot_align's rotation", &rotation);
    scalot_plan_free(plan);
    let count = 1 + input.small(n.min(m) - 1);
    let source: Vec<usize> = (0..count).map(|i| i % n).collect();
    let target: Vec<usize> = (0..count).map(|_| input.small(m - 1)).collect();
    let mut out = MaybeUninit::uninit();
    let status = scalot_retrieval_precision(
        x.as_ptr(),
        n,
        y.as_ptr(),
        m,
        d,
        layout,
        rotation.as_ptr(),
        source.as_ptr(),
        target.as_ptr(),
        count,
        input.count(3),
        out.as_mut_ptr(),
    );
    if checked("scalot_retrieval_precision", status) {
        // SAFETY: an OK status wrote the precision.
        let p = unsafe { out.assume_init() };
        finite("scalot_retrieval_precision", &[p.nearest_neighbour, p.csls]);
    }
}
