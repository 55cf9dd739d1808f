//! The table of docs/BAD_INPUT.md, and the check that the library does what it says: for every C entry
//! point that takes caller input, each class of invalid input that applies to it (NULL pointers, zero
//! and mismatched sizes, overflowing counts and byte sizes, NaN and ±Inf, negative weights, zero or
//! unequal mass, epsilon <= 0, out-of-range enums, counts, indices and values), the status it returns
//! and the words of the message that name the argument.
//!
//! A row changes one argument of a call that succeeds (that call is run first), and checks the exact
//! status, the words in scalot_last_error_message(), and that no output was written: a handle
//! out-parameter stays NULL, output buffers and structs keep their sentinels.
//!
//! The rows render as docs/BAD_INPUT.md; the test fails if the file differs, so the document cannot go
//! stale. `SCALOT_UPDATE_DOCS=1 cargo test --test bad_input_table` rewrites it.

use scalot_testkit::last_error as message;
use std::ffi::{c_int, c_void, CStr};
use std::fmt::{Display, Write};
use std::mem::MaybeUninit;
use std::ptr::{null, null_mut};

use scalot::ffi::align::*;
use scalot::ffi::certificate::*;
use scalot::ffi::kernel::*;
use scalot::ffi::lcn::scalot_kernel_lcn_new;
use scalot::ffi::library::*;
use scalot::ffi::nystrom::*;
use scalot::ffi::plan::*;
use scalot::ffi::rrho::*;
use scalot::ffi::scalot_status as Status;
use scalot::ffi::sinkhorn::*;
use scalot::ffi::sparse::*;

/// Three source points in 2-d, row-major.
const X: [f64; 6] = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
/// Two target points in 2-d, none shared with X.
const Y: [f64; 4] = [0.5, 0.5, 1.0, 1.0];
/// 2^63: twice it overflows size_t.
const HALF: usize = 1 << 63;
/// 2^62 values fit in size_t; their 8-byte size does not.
const P62: usize = 1 << 62;
/// What an output buffer holds before a call, to tell whether the call wrote it.
const SENTINEL: f64 = -7.25;
/// The same for an index buffer.
const INDEX_SENTINEL: usize = usize::MAX;
/// Values of an argument that must be positive and finite.
const NOT_POSITIVE: [f64; 4] = [0.0, -1.0, f64::NAN, f64::INFINITY];
const DOC: &str = "docs/BAD_INPUT.md";

fn status_name(status: Status) -> String {
    // SAFETY: scalot_status_name returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(scalot_status_name(status as c_int)) }
        .to_string_lossy()
        .into_owned()
}

/// The classes of invalid input.
#[derive(Clone, Copy)]
enum Class {
    Null,
    ZeroSize,
    Mismatch,
    CountOverflow,
    ByteOverflow,
    NaN,
    Inf,
    NegativeWeight,
    ZeroMass,
    UnequalMasses,
    Epsilon,
    Enum,
    Count,
    Value,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Null => "NULL pointer",
            Class::ZeroSize => "zero size",
            Class::Mismatch => "mismatched size",
            Class::CountOverflow => "element-count overflow",
            Class::ByteOverflow => "byte-size overflow",
            Class::NaN => "NaN",
            Class::Inf => "±Inf",
            Class::NegativeWeight => "negative weight",
            Class::ZeroMass => "zero mass",
            Class::UnequalMasses => "unequal masses",
            Class::Epsilon => "epsilon <= 0",
            Class::Enum => "out-of-range enum",
            Class::Count => "out-of-range count/index",
            Class::Value => "out-of-range value",
        }
    }
}

/// A scalar argument; NaN and ±Inf are classes of their own.
trait Scalar: Copy + Display + 'static {
    fn class(self, finite: Class) -> Class {
        finite
    }
}

impl Scalar for usize {}
impl Scalar for c_int {}
impl Scalar for f64 {
    fn class(self, finite: Class) -> Class {
        if self.is_nan() {
            Class::NaN
        } else if self.is_infinite() {
            Class::Inf
        } else {
            finite
        }
    }
}

/// Makes a row's call: its status, and whether it wrote an output.
type Call = Box<dyn Fn() -> (Status, bool)>;

/// A call with no out-parameter to check: an options setter, or a call whose out-parameter is the NULL
/// argument.
fn no_out(call: impl Fn() -> Status + 'static) -> Call {
    Box::new(move || (call(), false))
}

/// Runs `call` with a handle out-parameter that is NULL before (or with NULL itself when `null` names
/// `out`); frees a handle the call wrote.
fn made<H>(
    null: &str,
    call: impl FnOnce(*mut *mut H) -> Status,
    free: extern "C" fn(*mut H),
) -> (Status, bool) {
    if null == "out" {
        return (call(null_mut()), false);
    }
    let mut out = null_mut();
    let status = call(&mut out);
    let wrote = !out.is_null();
    free(out);
    (status, wrote)
}

/// Runs `call` with an out-parameter whose bytes are all 0xA5, and tells whether they changed.
fn filled<T>(call: impl FnOnce(*mut T) -> Status) -> (Status, bool) {
    let mut out = MaybeUninit::<T>::uninit();
    // SAFETY: `out` has room for one T; the bytes are only looked at as bytes.
    unsafe { out.as_mut_ptr().write_bytes(0xA5, 1) };
    let status = call(out.as_mut_ptr());
    // SAFETY: every byte of `out` was written above.
    let bytes = unsafe { std::slice::from_raw_parts(out.as_ptr().cast::<u8>(), size_of::<T>()) };
    (status, bytes.iter().any(|&b| b != 0xA5))
}

fn touched(values: &[f64]) -> bool {
    values.iter().any(|&v| v != SENTINEL)
}

/// `pointer`, or NULL when `arg` is the argument a row passes as NULL.
fn or_null<T>(null: &str, arg: &str, pointer: *const T) -> *const T {
    if null == arg {
        std::ptr::null()
    } else {
        pointer
    }
}

fn or_null_mut<T>(null: &str, arg: &str, pointer: *mut T) -> *mut T {
    if null == arg {
        std::ptr::null_mut()
    } else {
        pointer
    }
}

/// The arguments of a call that succeeds, as data; a row is a copy with one argument changed.
trait Valid: Clone + 'static {
    fn call(&self) -> (Status, bool);

    /// The name of the pointer argument passed as NULL ("" for none).
    fn null(&mut self) -> &mut &'static str;

    fn with(&self, change: impl FnOnce(&mut Self)) -> Call {
        let mut args = self.clone();
        change(&mut args);
        Box::new(move || args.call())
    }
}

struct Row {
    entry: &'static str,
    class: Class,
    input: String,
    arg: &'static str,
    status: Status,
    word: String,
    call: Call,
}

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
    /// Releases the handles the rows use, after they have run.
    frees: Vec<Box<dyn FnOnce()>>,
}

impl Table {
    fn entry(&mut self, name: &'static str) -> Entry<'_> {
        Entry {
            rows: &mut self.rows,
            name,
        }
    }

    /// The rows of the options setter `name`, `set(options, value)`.
    fn setter<O: 'static, T: Copy + 'static>(
        &mut self,
        name: &'static str,
        options: *mut O,
        set: fn(*mut O, T) -> Status,
    ) -> Setter<'_, O, T> {
        let entry = self.entry(name);
        Setter {
            entry,
            options,
            set,
        }
    }

    fn free_later(&mut self, free: impl FnOnce() + 'static) {
        self.frees.push(Box::new(free));
    }
}

/// Adds the rows of one entry point.
struct Entry<'a> {
    rows: &'a mut Vec<Row>,
    name: &'static str,
}

impl Entry<'_> {
    /// Runs the call the rows change, which must succeed.
    fn base(&mut self, valid: &impl Valid) -> &mut Self {
        let (status, _) = valid.call();
        let name = self.name;
        assert_eq!(status, Status::Ok, "{name}: the valid call: {}", message());
        self
    }

    fn add(
        &mut self,
        class: Class,
        input: impl Into<String>,
        arg: &'static str,
        status: Status,
        word: impl Into<String>,
        call: Call,
    ) {
        self.rows.push(Row {
            entry: self.name,
            class,
            input: input.into(),
            arg,
            status,
            word: word.into(),
            call,
        });
    }

    fn null(&mut self, arg: &'static str, call: Call) {
        let (input, word) = (format!("{arg} = NULL"), format!("{arg} is NULL"));
        self.add(Class::Null, input, arg, Status::NullPointer, word, call);
    }

    /// A row for each of `args` passed as NULL.
    fn nulls(&mut self, base: &impl Valid, args: &[&'static str]) {
        for &arg in args {
            self.null(arg, base.with(|a| *a.null() = arg));
        }
    }

    /// EMPTY_INPUT for `arg` = 0; the message names `named`.
    fn empty_as(&mut self, arg: &'static str, named: &str, call: Call) {
        let (input, word) = (format!("{arg} = 0"), format!("{named} is empty"));
        self.add(Class::ZeroSize, input, arg, Status::EmptyInput, word, call);
    }

    fn empty(&mut self, arg: &'static str, call: Call) {
        self.empty_as(arg, arg, call);
    }

    /// A size that disagrees with the kernel, plan or solution.
    fn mismatch(&mut self, arg: &'static str, value: usize, call: Call) {
        let class = if value == 0 {
            Class::ZeroSize
        } else {
            Class::Mismatch
        };
        let (input, word) = (format!("{arg} = {value}"), format!("{arg} has {value}"));
        self.add(class, input, arg, Status::DimensionMismatch, word, call);
    }

    /// `field()[index]` = `value`: NON_FINITE if `value` is not finite, else NEGATIVE_WEIGHT.
    fn element<A: Valid>(
        &mut self,
        base: &A,
        arg: &'static str,
        field: fn(&mut A) -> &mut Vec<f64>,
        (index, value): (usize, f64),
    ) {
        let (class, status) = if value.is_finite() {
            (Class::NegativeWeight, Status::NegativeWeight)
        } else {
            (value.class(Class::NaN), Status::NonFinite)
        };
        let input = format!("{arg}[{index}] = {value}");
        let word = format!("{arg}[{index}] is {value}");
        let call = base.with(|a| field(a)[index] = value);
        self.add(class, input, arg, status, word, call);
    }

    /// DIMENSION_MISMATCH for options whose warm start `arg` has 4 entries, for 3 points.
    fn long_warm_start(&mut self, arg: &'static str, call: Call) {
        let (class, status) = (Class::Mismatch, Status::DimensionMismatch);
        let (input, word) = (
            format!("options: a warm start {arg} of 4"),
            format!("{arg} has 4"),
        );
        self.add(class, input, arg, status, word, call);
    }

    /// ZERO_MASS for the weights `field()`, all set to 0.
    fn zero_mass<A: Valid>(
        &mut self,
        base: &A,
        arg: &'static str,
        field: fn(&mut A) -> &mut Vec<f64>,
    ) {
        let zeros = vec!["0"; field(&mut base.clone()).len()].join(", ");
        let input = format!("{arg} = {{{zeros}}}");
        let word = format!("{arg} has zero total mass");
        let call = base.with(|a| field(a).fill(0.0));
        self.add(Class::ZeroMass, input, arg, Status::ZeroMass, word, call);
    }

    /// SIZE_OVERFLOW for a product of sizes; `product` is the message's name for it.
    fn count_overflow(&mut self, input: &str, arg: &'static str, product: &str, call: Call) {
        let (class, status) = (Class::CountOverflow, Status::SizeOverflow);
        self.add(class, input, arg, status, product, call);
    }

    /// SIZE_OVERFLOW for 2^62 values of `array`, whose 8-byte size overflows.
    fn byte_overflow(&mut self, input: &str, arg: &'static str, array: &str, call: Call) {
        let (class, status) = (Class::ByteOverflow, Status::SizeOverflow);
        let word = format!("{array} ({P62} values of 8 bytes)");
        self.add(class, input, arg, status, word, call);
    }

    /// INVALID_ARGUMENT naming `arg`, for an input described by `input`.
    fn refused(&mut self, class: Class, input: &str, arg: &'static str, call: Call) {
        let (status, word) = (Status::InvalidArgument, format!("invalid {arg}"));
        self.add(class, input, arg, status, word, call);
    }

    /// INVALID_ARGUMENT for each of `values` of `arg`; the message names `named`.
    fn invalid_as<T: Scalar>(
        &mut self,
        (arg, named): (&'static str, &str),
        class: Class,
        values: &[T],
        make: impl Fn(T) -> Call,
    ) {
        for &value in values {
            let (input, word) = (format!("{arg} = {value}"), format!("invalid {named}"));
            let (class, status) = (value.class(class), Status::InvalidArgument);
            self.add(class, input, arg, status, word, make(value));
        }
    }

    fn invalid<T: Scalar>(
        &mut self,
        arg: &'static str,
        class: Class,
        values: &[T],
        make: impl Fn(T) -> Call,
    ) {
        self.invalid_as((arg, arg), class, values, make);
    }
}

/// The rows of an options setter of one value.
struct Setter<'a, O, T> {
    entry: Entry<'a>,
    options: *mut O,
    set: fn(*mut O, T) -> Status,
}

impl<O: 'static, T: Copy + 'static> Setter<'_, O, T> {
    /// NULL options, with a `valid` value.
    fn null(mut self, valid: T) -> Self {
        let set = self.set;
        self.entry
            .null("options", no_out(move || set(null_mut(), valid)));
        self
    }

    /// INVALID_ARGUMENT for each of `values`; the message names `named`.
    fn invalid_as(mut self, arg: (&'static str, &str), class: Class, values: &[T]) -> Self
    where
        T: Scalar,
    {
        let (options, set) = (self.options, self.set);
        let make = |v| no_out(move || set(options, v));
        self.entry.invalid_as(arg, class, values, make);
        self
    }

    fn invalid(self, arg: &'static str, class: Class, values: &[T]) -> Self
    where
        T: Scalar,
    {
        self.invalid_as((arg, arg), class, values)
    }
}

// ---------------------------------------------------------------------------------------------------
// Point clouds, as every constructor from points takes them.

/// x (n x d) and y (m x d) in `layout`.
#[derive(Clone)]
struct Clouds {
    x: Vec<f64>,
    n: usize,
    y: Vec<f64>,
    m: usize,
    d: usize,
    layout: c_int,
}

impl Clouds {
    fn new() -> Self {
        Clouds {
            x: X.to_vec(),
            n: 3,
            y: Y.to_vec(),
            m: 2,
            d: 2,
            layout: 0,
        }
    }

    fn x(&self, null: &str) -> *const f64 {
        or_null(null, "x", self.x.as_ptr())
    }

    fn y(&self, null: &str) -> *const f64 {
        or_null(null, "y", self.y.as_ptr())
    }
}

trait FromClouds: Valid {
    fn clouds(&mut self) -> &mut Clouds;
}

/// The rows of the point clouds, which every constructor from points checks alike; `outputs` are
/// the other pointers to pass as NULL.
fn cloud_rows<A: FromClouds>(e: &mut Entry, base: &A, outputs: &[&'static str]) {
    e.nulls(base, &["x", "y"]);
    e.nulls(base, outputs);
    e.empty("n", base.with(|a| a.clouds().n = 0));
    e.empty("m", base.with(|a| a.clouds().m = 0));
    e.empty("d", base.with(|a| a.clouds().d = 0));
    let call = base.with(|a| a.clouds().n = HALF);
    e.count_overflow("n = 2^63", "n", "x (n x d)", call);
    let call = base.with(|a| a.clouds().m = HALF);
    e.count_overflow("m = 2^63", "m", "y (m x d)", call);
    let call = base.with(|a| (a.clouds().n, a.clouds().d) = (1, P62));
    e.byte_overflow("n = 1, d = 2^62", "x", "x", call);
    e.element(base, "x", |a| &mut a.clouds().x, (1, f64::NAN));
    e.element(base, "y", |a| &mut a.clouds().y, (1, f64::INFINITY));
    e.element(base, "x", |a| &mut a.clouds().x, (2, f64::NEG_INFINITY));
    let layout = |v| base.with(|a| a.clouds().layout = v);
    e.invalid("layout", Class::Enum, &[2, -1], layout);
}

// ---------------------------------------------------------------------------------------------------
// Kernels: dense, sparse, Nystrom and LCN from points; dense from a cost matrix.

type Build = fn(&Points, *mut *mut scalot_kernel) -> Status;

/// The arguments of the kernel constructors from points (each uses those it takes).
#[derive(Clone)]
struct Points {
    build: Build,
    clouds: Clouds,
    cost: c_int,
    epsilon: f64,
    mode: c_int,
    landmarks: *const scalot_nystrom_options,
    pairs: *const scalot_sparse_options,
    null: &'static str,
}

impl Valid for Points {
    fn call(&self) -> (Status, bool) {
        made(self.null, |out| (self.build)(self, out), scalot_kernel_free)
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

impl FromClouds for Points {
    fn clouds(&mut self) -> &mut Clouds {
        &mut self.clouds
    }
}

/// The rows every constructor from points shares; returns its valid call, for the rows of its own.
fn point_kernel(t: &mut Table, name: &'static str, base: Points) -> Points {
    let mut e = t.entry(name);
    e.base(&base);
    cloud_rows(&mut e, &base, &["out"]);
    e.invalid("cost", Class::Enum, &[3, -1], |v| base.with(|p| p.cost = v));
    let epsilon = |v| base.with(|p| p.epsilon = v);
    e.invalid("epsilon", Class::Epsilon, &NOT_POSITIVE, epsilon);
    base
}

fn nystrom_options(t: &mut Table, landmarks: usize) -> *mut scalot_nystrom_options {
    let mut options = null_mut();
    assert_eq!(scalot_nystrom_options_new(&mut options), Status::Ok);
    let status = scalot_nystrom_options_set_landmarks(options, landmarks, 1, 0);
    assert_eq!(status, Status::Ok);
    t.free_later(move || scalot_nystrom_options_free(options));
    options
}

fn sparse_options(
    t: &mut Table,
    set: impl FnOnce(*mut scalot_sparse_options) -> Status,
) -> *mut scalot_sparse_options {
    let mut options = null_mut();
    assert_eq!(scalot_sparse_options_new(&mut options), Status::Ok);
    assert_eq!(set(options), Status::Ok, "{}", message());
    t.free_later(move || scalot_sparse_options_free(options));
    options
}

fn kernels(t: &mut Table) {
    // Clusters and landmarks are checked against the n + m = 5 points when a kernel is built.
    let two_clusters = sparse_options(t, |o| scalot_sparse_options_set_kmeans(o, 2, 1, 5));
    let six_clusters = sparse_options(t, |o| scalot_sparse_options_set_kmeans(o, 6, 1, 5));
    let wide_lsh = sparse_options(t, |o| scalot_sparse_options_set_lsh(o, 1 << 40, 1, 1));
    let (two_landmarks, six_landmarks) = (nystrom_options(t, 2), nystrom_options(t, 6));
    let points = |build| Points {
        build,
        clouds: Clouds::new(),
        cost: 0,
        epsilon: 0.5,
        mode: 0,
        landmarks: two_landmarks,
        pairs: two_clusters,
        null: "",
    };

    let dense: Build = |p, out| {
        let (c, null) = (&p.clouds, p.null);
        let (x, y, layout) = (c.x(null), c.y(null), c.layout);
        scalot_kernel_dense_new(x, c.n, y, c.m, c.d, layout, p.cost, p.epsilon, p.mode, out)
    };
    let base = point_kernel(t, "scalot_kernel_dense_new", points(dense));
    let mut e = t.entry("scalot_kernel_dense_new");
    e.invalid("mode", Class::Enum, &[3, -1], |v| base.with(|p| p.mode = v));

    let sparse: Build = |p, out| {
        let (c, null) = (&p.clouds, p.null);
        let (x, y, layout) = (c.x(null), c.y(null), c.layout);
        scalot_kernel_sparse_new(x, c.n, y, c.m, c.d, layout, p.cost, p.epsilon, p.pairs, out)
    };
    let base = point_kernel(t, "scalot_kernel_sparse_new", points(sparse));
    let mut e = t.entry("scalot_kernel_sparse_new");
    let call = base.with(|p| p.pairs = six_clusters);
    e.refused(Class::Count, "options: 6 clusters", "clusters", call);
    let call = base.with(|p| p.pairs = wide_lsh);
    e.refused(Class::Count, "options: 2^40 buckets", "buckets", call);

    let nystrom: Build = |p, out| {
        let (c, null, landmarks) = (&p.clouds, p.null, p.landmarks);
        let (x, y, layout, eps) = (c.x(null), c.y(null), c.layout, p.epsilon);
        scalot_kernel_nystrom_new(x, c.n, y, c.m, c.d, layout, p.cost, eps, landmarks, out)
    };
    let base = point_kernel(t, "scalot_kernel_nystrom_new", points(nystrom));
    let call = base.with(|p| p.landmarks = six_landmarks);
    let mut e = t.entry("scalot_kernel_nystrom_new");
    e.refused(Class::Count, "options: 6 landmarks", "landmarks", call);

    let lcn: Build = |p, out| {
        let (c, null, landmarks) = (&p.clouds, p.null, p.landmarks);
        let (x, y, layout, eps) = (c.x(null), c.y(null), c.layout, p.epsilon);
        let (cost, pairs) = (p.cost, p.pairs);
        scalot_kernel_lcn_new(
            x, c.n, y, c.m, c.d, layout, cost, eps, landmarks, pairs, out,
        )
    };
    let base = point_kernel(t, "scalot_kernel_lcn_new", points(lcn));
    let mut e = t.entry("scalot_kernel_lcn_new");
    let call = base.with(|p| p.landmarks = six_landmarks);
    e.refused(Class::Count, "landmarks: 6 landmarks", "landmarks", call);
    let call = base.with(|p| p.pairs = six_clusters);
    e.refused(Class::Count, "pairs: 6 clusters", "clusters", call);

    let base = CostMatrix {
        cost: vec![0.0, 1.0, 1.0, 0.0, 2.0, 0.5],
        n: 3,
        m: 2,
        layout: 0,
        epsilon: 0.5,
        mode: 0,
        null: "",
    };
    let mut e = t.entry("scalot_kernel_dense_from_cost");
    e.base(&base).nulls(&base, &["cost", "out"]);
    e.empty("n", base.with(|c| c.n = 0));
    e.empty("m", base.with(|c| c.m = 0));
    let call = base.with(|c| c.n = HALF);
    e.count_overflow("n = 2^63", "n", "cost (n x m)", call);
    let call = base.with(|c| (c.n, c.m) = (1, P62));
    e.byte_overflow("n = 1, m = 2^62", "cost", "cost", call);
    e.element(&base, "cost", |c| &mut c.cost, (2, f64::NAN));
    e.element(&base, "cost", |c| &mut c.cost, (1, f64::INFINITY));
    e.invalid("layout", Class::Enum, &[2, -1], |v| {
        base.with(|c| c.layout = v)
    });
    let epsilon = |v| base.with(|c| c.epsilon = v);
    e.invalid("epsilon", Class::Epsilon, &NOT_POSITIVE, epsilon);
    e.invalid("mode", Class::Enum, &[3, -1], |v| base.with(|c| c.mode = v));

    let kernel = good_kernel(t);
    let mut e = t.entry("scalot_kernel_info");
    let info = |out| scalot_kernel_info(null(), out);
    e.null("kernel", Box::new(move || filled(info)));
    let call = no_out(move || scalot_kernel_info(kernel, null_mut()));
    e.null("out", call);
}

#[derive(Clone)]
struct CostMatrix {
    cost: Vec<f64>,
    n: usize,
    m: usize,
    layout: c_int,
    epsilon: f64,
    mode: c_int,
    null: &'static str,
}

impl Valid for CostMatrix {
    fn call(&self) -> (Status, bool) {
        let cost = or_null(self.null, "cost", self.cost.as_ptr());
        let (n, m, layout, epsilon, mode) = (self.n, self.m, self.layout, self.epsilon, self.mode);
        let build = |out| scalot_kernel_dense_from_cost(cost, n, m, layout, epsilon, mode, out);
        made(self.null, build, scalot_kernel_free)
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

/// The dense kernel of X and Y.
fn good_kernel(t: &mut Table) -> *mut scalot_kernel {
    let mut k = null_mut();
    let status = scalot_kernel_dense_new(X.as_ptr(), 3, Y.as_ptr(), 2, 2, 0, 0, 0.5, 0, &mut k);
    assert_eq!(status, Status::Ok, "{}", message());
    t.free_later(move || scalot_kernel_free(k));
    k
}

// ---------------------------------------------------------------------------------------------------
// Options: their constructors and setters.

/// Options from `new`, released after the rows.
fn options<O: 'static>(
    t: &mut Table,
    new: extern "C" fn(*mut *mut O) -> Status,
    free: extern "C" fn(*mut O),
) -> *mut O {
    let mut options = null_mut();
    assert_eq!(new(&mut options), Status::Ok);
    t.free_later(move || free(options));
    options
}

/// An options constructor, called with a NULL out-parameter.
type NewWithoutOut = fn() -> Status;

fn options_constructors(t: &mut Table) {
    let news: [(&'static str, NewWithoutOut); 6] = [
        ("scalot_sinkhorn_options_new", || {
            scalot_sinkhorn_options_new(null_mut())
        }),
        ("scalot_sparse_options_new", || {
            scalot_sparse_options_new(null_mut())
        }),
        ("scalot_nystrom_options_new", || {
            scalot_nystrom_options_new(null_mut())
        }),
        ("scalot_certify_options_new", || {
            scalot_certify_options_new(null_mut())
        }),
        ("scalot_rrho_options_new", || {
            scalot_rrho_options_new(null_mut())
        }),
        ("scalot_align_options_new", || {
            scalot_align_options_new(null_mut())
        }),
    ];
    for (name, new) in news {
        t.entry(name).null("out", no_out(new));
    }
}

type WarmStartSet = fn(*mut c_void, *const f64, usize, *const f64, usize) -> Status;

/// A warm start, set on options: Sinkhorn's f and g, R_rho's alpha and beta.
#[derive(Clone)]
struct WarmStart {
    set: WarmStartSet,
    options: *mut c_void,
    names: [&'static str; 2],
    first: Vec<f64>,
    n: usize,
    second: Vec<f64>,
    m: usize,
    null: &'static str,
}

impl Valid for WarmStart {
    fn call(&self) -> (Status, bool) {
        let ([first, second], null) = (self.names, self.null);
        let status = (self.set)(
            or_null_mut(null, "options", self.options),
            or_null(null, first, self.first.as_ptr()),
            self.n,
            or_null(null, second, self.second.as_ptr()),
            self.m,
        );
        (status, false)
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

/// `names` are the two arrays'.
fn warm_start(
    t: &mut Table,
    name: &'static str,
    set: WarmStartSet,
    (options, names): (*mut c_void, [&'static str; 2]),
) {
    let base = WarmStart {
        set,
        options,
        names,
        first: vec![0.0, 1.0, -1.0],
        n: 3,
        second: vec![0.5, 0.0],
        m: 2,
        null: "",
    };
    let [first, second] = names;
    let mut e = t.entry(name);
    e.base(&base).nulls(&base, &["options", first, second]);
    // The messages name the arrays the counts size.
    e.empty_as("n", first, base.with(|w| w.n = 0));
    e.empty_as("m", second, base.with(|w| w.m = 0));
    e.byte_overflow("n = 2^62", "n", first, base.with(|w| w.n = P62));
    e.element(&base, first, |w| &mut w.first, (1, f64::NAN));
    e.element(&base, second, |w| &mut w.second, (0, f64::INFINITY));
}

fn sinkhorn_setters(t: &mut Table) {
    let o = options(t, scalot_sinkhorn_options_new, scalot_sinkhorn_options_free);

    let name = "scalot_sinkhorn_options_set_tolerance";
    t.setter(name, o, |o, v| scalot_sinkhorn_options_set_tolerance(o, v))
        .null(1e-6)
        .invalid("tolerance", Class::Value, &NOT_POSITIVE);
    let name = "scalot_sinkhorn_options_set_max_iterations";
    t.setter(name, o, |o, v| {
        scalot_sinkhorn_options_set_max_iterations(o, v)
    })
    .null(9)
    .invalid("max_iterations", Class::Count, &[0]);
    let name = "scalot_sinkhorn_options_set_check_interval";
    t.setter(name, o, |o, v| {
        scalot_sinkhorn_options_set_check_interval(o, v)
    })
    .null(9)
    .invalid_as(("interval", "check_interval"), Class::Count, &[0]);

    let name = "scalot_sinkhorn_options_set_marginal_relaxation";
    let tau_a = |o, v| scalot_sinkhorn_options_set_marginal_relaxation(o, v, f64::INFINITY);
    let values = [0.0, -1.0, f64::NAN, f64::NEG_INFINITY];
    t.setter(name, o, tau_a)
        .null(1.0)
        .invalid("tau_a", Class::Value, &values);
    let tau_b = |o, v| scalot_sinkhorn_options_set_marginal_relaxation(o, 1.0, v);
    t.setter(name, o, tau_b)
        .invalid("tau_b", Class::Value, &[0.0, f64::NAN]);

    let name = "scalot_sinkhorn_options_set_epsilon_scaling";
    let start = |o, v| scalot_sinkhorn_options_set_epsilon_scaling(o, v, 0.5);
    let values = [0.5, -2.0, f64::NAN, f64::INFINITY];
    t.setter(name, o, start)
        .null(10.0)
        .invalid("start", Class::Value, &values);
    let factor = |o, v| scalot_sinkhorn_options_set_epsilon_scaling(o, 10.0, v);
    t.setter(name, o, factor)
        .invalid("factor", Class::Value, &[1.0, 0.0, f64::NAN]);

    let name = "scalot_sinkhorn_options_set_overrelaxation";
    t.setter(name, o, |o, v| {
        scalot_sinkhorn_options_set_overrelaxation(o, v)
    })
    .null(1.0)
    .invalid("omega", Class::Value, &[2.0, -1.0, f64::NAN]);

    let set: WarmStartSet =
        |o, f, n, g, m| scalot_sinkhorn_options_set_warm_start(o.cast(), f, n, g, m);
    let name = "scalot_sinkhorn_options_set_warm_start";
    warm_start(t, name, set, (o.cast(), ["f", "g"]));

    let call = || scalot_sinkhorn_options_set_progress_callback(null_mut(), None, null_mut());
    let name = "scalot_sinkhorn_options_set_progress_callback";
    t.entry(name).null("options", no_out(call));
}

fn sparse_setters(t: &mut Table) {
    let o = options(t, scalot_sparse_options_new, scalot_sparse_options_free);

    let name = "scalot_sparse_options_set_kmeans";
    let clusters = |o, v| scalot_sparse_options_set_kmeans(o, v, 1, 5);
    t.setter(name, o, clusters)
        .null(10)
        .invalid("clusters", Class::Count, &[0]);
    let rounds = |o, v| scalot_sparse_options_set_kmeans(o, 10, v, 5);
    t.setter(name, o, rounds)
        .invalid("rounds", Class::Count, &[0, 257]);

    let mut e = t.entry("scalot_sparse_options_set_hierarchical_kmeans");
    let hierarchy = move |options, branching: [usize; 2], levels, rounds| {
        let set = scalot_sparse_options_set_hierarchical_kmeans;
        no_out(move || set(options, branching.as_ptr(), levels, rounds, 5))
    };
    e.null("options", hierarchy(null_mut(), [10, 10], 2, 1));
    let no_branching = move || scalot_sparse_options_set_hierarchical_kmeans(o, null(), 2, 1, 5);
    e.null("branching", no_out(no_branching));
    e.invalid("levels", Class::Count, &[0], |v| {
        hierarchy(o, [10, 10], v, 1)
    });
    let call = hierarchy(o, [10, 0], 2, 1);
    e.refused(Class::Count, "branching = {10, 0}", "branching", call);
    let call = hierarchy(o, [1 << 32, 1 << 32], 2, 1);
    e.refused(Class::Count, "branching = {2^32, 2^32}", "branching", call);
    e.invalid("rounds", Class::Count, &[0, 257], |v| {
        hierarchy(o, [10, 10], 2, v)
    });
    let call = hierarchy(o, [10, 10], P62, 1);
    e.byte_overflow("levels = 2^62", "levels", "branching", call);

    let name = "scalot_sparse_options_set_lsh";
    let buckets = |o, v| scalot_sparse_options_set_lsh(o, v, 2, 16);
    t.setter(name, o, buckets)
        .null(130)
        .invalid("buckets", Class::Count, &[0, 1, 131]);
    let hashes = |o, v| scalot_sparse_options_set_lsh(o, 130, v, 16);
    t.setter(name, o, hashes)
        .invalid("hashes", Class::Count, &[0]);
    let bands = |o, v| scalot_sparse_options_set_lsh(o, 130, 2, v);
    t.setter(name, o, bands)
        .invalid("bands", Class::Count, &[0, 257]);
    let call = no_out(move || scalot_sparse_options_set_lsh(o, 130, 10, 1));
    t.entry(name)
        .refused(Class::Count, "buckets = 130, hashes = 10", "hashes", call);

    let name = "scalot_sparse_options_set_neighbours";
    t.setter(name, o, |o, v| scalot_sparse_options_set_neighbours(o, v))
        .null(5)
        .invalid("k", Class::Count, &[0]);
    let name = "scalot_sparse_options_set_truncation";
    t.setter(name, o, |o, v| scalot_sparse_options_set_truncation(o, v))
        .null(10.0)
        .invalid("factor", Class::Value, &NOT_POSITIVE);
    let name = "scalot_sparse_options_set_seed";
    t.setter(name, o, |o, v| scalot_sparse_options_set_seed(o, v))
        .null(1);
    let name = "scalot_sparse_options_set_coverage";
    t.setter(name, o, |o, v| scalot_sparse_options_set_coverage(o, v))
        .null(2);
    let name = "scalot_sparse_options_set_backbone";
    t.setter(name, o, |o, v| scalot_sparse_options_set_backbone(o, v))
        .null(1)
        .invalid("enabled", Class::Enum, &[2, -1]);
}

fn nystrom_setters(t: &mut Table) {
    let o = options(t, scalot_nystrom_options_new, scalot_nystrom_options_free);

    let name = "scalot_nystrom_options_set_landmarks";
    let landmarks = |o, v| scalot_nystrom_options_set_landmarks(o, v, 1, 0);
    t.setter(name, o, landmarks)
        .null(4)
        .invalid("landmarks", Class::Count, &[0]);
    let rule = |o, v| scalot_nystrom_options_set_landmarks(o, 4, v, 0);
    t.setter(name, o, rule)
        .invalid("rule", Class::Enum, &[4, -1]);

    let name = "scalot_nystrom_options_set_inverse";
    let method = |o, v| scalot_nystrom_options_set_inverse(o, v, 1e-8);
    t.setter(name, o, method)
        .null(0)
        .invalid("method", Class::Enum, &[2, -1]);
    let tolerance = |o, v| scalot_nystrom_options_set_inverse(o, 0, v);
    let values = [0.0, 1.0, -1.0, f64::NAN, f64::INFINITY];
    t.setter(name, o, tolerance)
        .invalid("tolerance", Class::Value, &values);

    let name = "scalot_nystrom_options_set_seed";
    t.setter(name, o, |o, v| scalot_nystrom_options_set_seed(o, v))
        .null(1);
}

fn certify_setters(t: &mut Table) -> *mut scalot_certify_options {
    let o = options(t, scalot_certify_options_new, scalot_certify_options_free);

    let name = "scalot_certify_options_set_exact_limit";
    t.setter(name, o, |o, v| scalot_certify_options_set_exact_limit(o, v))
        .null(10);
    let rows = |o, v| scalot_certify_options_set_samples(o, v, 0);
    t.setter("scalot_certify_options_set_samples", o, rows)
        .null(10)
        .invalid("rows", Class::Count, &[0]);
    let call = || scalot_certify_options_set_progress_callback(null_mut(), None, null_mut());
    let name = "scalot_certify_options_set_progress_callback";
    t.entry(name).null("options", no_out(call));
    o
}

fn rrho_setters(t: &mut Table) {
    let o = options(t, scalot_rrho_options_new, scalot_rrho_options_free);

    let name = "scalot_rrho_options_set_tolerance";
    t.setter(name, o, |o, v| scalot_rrho_options_set_tolerance(o, v))
        .null(1e-6)
        .invalid("tolerance", Class::Value, &NOT_POSITIVE);
    let name = "scalot_rrho_options_set_max_passes";
    t.setter(name, o, |o, v| scalot_rrho_options_set_max_passes(o, v))
        .null(10)
        .invalid("max_passes", Class::Count, &[0]);

    let name = "scalot_rrho_options_set_engine";
    let engine = |o, v| scalot_rrho_options_set_engine(o, v, 0.05);
    t.setter(name, o, engine)
        .null(1)
        .invalid("engine", Class::Enum, &[2, -1]);
    let accuracy = |o, v| scalot_rrho_options_set_engine(o, 1, v);
    t.setter(name, o, accuracy)
        .invalid("accuracy", Class::Value, &NOT_POSITIVE);

    let name = "scalot_rrho_options_set_method";
    let method = |o, v| scalot_rrho_options_set_method(o, v, 0.1);
    t.setter(name, o, method)
        .null(1)
        .invalid("method", Class::Enum, &[2, -1]);
    let step = |o, v| scalot_rrho_options_set_method(o, 1, v);
    t.setter(name, o, step)
        .invalid("step", Class::Value, &NOT_POSITIVE);

    let set: WarmStartSet =
        |o, a, n, b, m| scalot_rrho_options_set_warm_start(o.cast(), a, n, b, m);
    let name = "scalot_rrho_options_set_warm_start";
    warm_start(t, name, set, (o.cast(), ["alpha", "beta"]));

    let call = || scalot_rrho_options_set_progress_callback(null_mut(), None, null_mut());
    let name = "scalot_rrho_options_set_progress_callback";
    t.entry(name).null("options", no_out(call));
}

/// Alignment options with one step, changed by `set`.
fn align_options(
    t: &mut Table,
    set: impl FnOnce(*mut scalot_align_options) -> Status,
) -> *mut scalot_align_options {
    let options = options(t, scalot_align_options_new, scalot_align_options_free);
    assert_eq!(scalot_align_options_set_steps(options, 1), Status::Ok);
    assert_eq!(set(options), Status::Ok, "{}", message());
    options
}

#[derive(Clone)]
struct Rotation {
    options: *mut scalot_align_options,
    rotation: Vec<f64>,
    d: usize,
    layout: c_int,
    null: &'static str,
}

impl Valid for Rotation {
    fn call(&self) -> (Status, bool) {
        let options = or_null_mut(self.null, "options", self.options);
        let (rotation, d, layout) = (self.rotation.as_ptr(), self.d, self.layout);
        let status = scalot_align_options_set_initial_rotation(options, rotation, d, layout);
        (status, false)
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

#[derive(Clone)]
struct SeedPairs {
    options: *mut scalot_align_options,
    source: Vec<usize>,
    target: Vec<usize>,
    count: usize,
    null: &'static str,
}

impl Valid for SeedPairs {
    fn call(&self) -> (Status, bool) {
        let status = scalot_align_options_set_seed_pairs(
            or_null_mut(self.null, "options", self.options),
            or_null(self.null, "source", self.source.as_ptr()),
            or_null(self.null, "target", self.target.as_ptr()),
            self.count,
        );
        (status, false)
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

fn align_setters(t: &mut Table) {
    let o = align_options(t, |_| Status::Ok);

    let name = "scalot_align_options_set_kernel";
    let kernel = |o, v| scalot_align_options_set_kernel(o, v, 1, null(), null());
    t.setter(name, o, kernel)
        .null(0)
        .invalid("kernel", Class::Enum, &[4, -1]);
    let mode = |o, v| scalot_align_options_set_kernel(o, 0, v, null(), null());
    t.setter(name, o, mode)
        .invalid("dense_mode", Class::Enum, &[3, -1]);

    let name = "scalot_align_options_set_epsilon";
    t.setter(name, o, |o, v| scalot_align_options_set_epsilon(o, v))
        .null(0.05)
        .invalid("epsilon", Class::Epsilon, &NOT_POSITIVE);
    let name = "scalot_align_options_set_sinkhorn_iterations";
    t.setter(name, o, |o, v| {
        scalot_align_options_set_sinkhorn_iterations(o, v)
    })
    .null(10)
    .invalid_as(("iterations", "sinkhorn_iterations"), Class::Count, &[0]);
    let name = "scalot_align_options_set_steps";
    t.setter(name, o, |o, v| scalot_align_options_set_steps(o, v))
        .null(10)
        .invalid("steps", Class::Count, &[0]);

    let name = "scalot_align_options_set_learning_rate";
    let rate = |o, v| scalot_align_options_set_learning_rate(o, v, 0.5, 100);
    t.setter(name, o, rate)
        .null(500.0)
        .invalid("learning_rate", Class::Value, &NOT_POSITIVE);
    let decay = |o, v| scalot_align_options_set_learning_rate(o, 500.0, v, 100);
    t.setter(name, o, decay)
        .invalid("decay", Class::Value, &[0.0, 1.5, f64::NAN]);
    let every = |o, v| scalot_align_options_set_learning_rate(o, 500.0, 0.5, v);
    t.setter(name, o, every)
        .invalid_as(("every", "decay_every"), Class::Count, &[0]);

    let base = Rotation {
        options: o,
        rotation: vec![1.0, 0.0, 0.0, 1.0],
        d: 2,
        layout: 0,
        null: "",
    };
    let mut e = t.entry("scalot_align_options_set_initial_rotation");
    e.base(&base).nulls(&base, &["options"]);
    e.empty("d", base.with(|r| r.d = 0));
    let product = "rotation (4294967296 x 4294967296)";
    e.count_overflow("d = 2^32", "d", product, base.with(|r| r.d = 1 << 32));
    e.byte_overflow("d = 2^31", "d", "rotation", base.with(|r| r.d = 1 << 31));
    let rotation: fn(&mut Rotation) -> &mut Vec<f64> = |r| &mut r.rotation;
    e.element(&base, "rotation", rotation, (1, f64::NAN));
    e.element(&base, "rotation", rotation, (2, f64::NEG_INFINITY));
    e.invalid("layout", Class::Enum, &[2, -1], |v| {
        base.with(|r| r.layout = v)
    });

    let base = SeedPairs {
        options: o,
        source: vec![0, 1],
        target: vec![1, 0],
        count: 2,
        null: "",
    };
    let mut e = t.entry("scalot_align_options_set_seed_pairs");
    e.base(&base).nulls(&base, &["options", "source", "target"]);
    e.empty("count", base.with(|s| s.count = 0));
    let call = base.with(|s| s.count = P62);
    e.byte_overflow("count = 2^62", "count", "source", call);

    let call = || scalot_align_options_set_progress_callback(null_mut(), None, null_mut());
    let name = "scalot_align_options_set_progress_callback";
    t.entry(name).null("options", no_out(call));
}

// ---------------------------------------------------------------------------------------------------
// The Sinkhorn solve.

#[derive(Clone)]
struct Solve {
    kernel: *const scalot_kernel,
    a: Vec<f64>,
    n: usize,
    b: Vec<f64>,
    m: usize,
    options: *const scalot_sinkhorn_options,
    null: &'static str,
}

impl Valid for Solve {
    fn call(&self) -> (Status, bool) {
        let kernel = or_null(self.null, "kernel", self.kernel);
        let (a, b, options) = (self.a.as_ptr(), self.b.as_ptr(), self.options);
        let solve = |out| scalot_sinkhorn_solve(kernel, a, self.n, b, self.m, options, out);
        made(self.null, solve, scalot_plan_free)
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

fn sinkhorn_solve(t: &mut Table) {
    let kernel = good_kernel(t);
    // A warm start's lengths are checked against the kernel at solve time.
    let long_warm_start = options(t, scalot_sinkhorn_options_new, scalot_sinkhorn_options_free);
    let (f, g) = ([0.0; 4], [0.0; 2]);
    let (f, g) = (f.as_ptr(), g.as_ptr());
    let status = scalot_sinkhorn_options_set_warm_start(long_warm_start, f, 4, g, 2);
    assert_eq!(status, Status::Ok);

    let base = Solve {
        kernel,
        a: vec![0.2, 0.3, 0.5],
        n: 3,
        b: vec![0.5, 0.5],
        m: 2,
        options: null(),
        null: "",
    };
    let mut e = t.entry("scalot_sinkhorn_solve");
    e.base(&base).nulls(&base, &["kernel", "out"]);
    e.mismatch("n", 0, base.with(|s| s.n = 0));
    e.mismatch("n", 4, base.with(|s| (s.n, s.a) = (4, vec![0.25; 4])));
    e.mismatch("m", 3, base.with(|s| (s.m, s.b) = (3, vec![0.5; 3])));
    e.long_warm_start("f", base.with(|s| s.options = long_warm_start));
    e.element(&base, "a", |s| &mut s.a, (1, f64::NAN));
    e.element(&base, "b", |s| &mut s.b, (0, f64::INFINITY));
    e.element(&base, "a", |s| &mut s.a, (2, f64::NEG_INFINITY));
    e.element(&base, "a", |s| &mut s.a, (1, -0.2));
    e.zero_mass(&base, "b", |s| &mut s.b);
    let (class, status, word) = (Class::UnequalMasses, Status::MassMismatch, "and b to 2");
    let call = base.with(|s| s.b.fill(1.0));
    e.add(class, "b = {1, 1}", "b", status, word, call);
    let call = base.with(|s| s.a = vec![1e308; 3]);
    e.refused(Class::Value, "a = {1e308, 1e308, 1e308}", "a", call);
}

// ---------------------------------------------------------------------------------------------------
// Queries of plans and R_rho solutions, and the certificate.

type BuffersQuery = fn(*const c_void, *mut f64, usize, *mut f64, usize) -> Status;

/// A query that copies two arrays out: potentials or marginals.
#[derive(Clone)]
struct Buffers {
    query: BuffersQuery,
    handle: *const c_void,
    /// The handle's and the two arrays' names.
    names: [&'static str; 3],
    n: usize,
    m: usize,
    null: &'static str,
}

impl Valid for Buffers {
    fn call(&self) -> (Status, bool) {
        let ([handle, first, second], null) = (self.names, self.null);
        let (mut rows, mut cols) = (vec![SENTINEL; self.n], vec![SENTINEL; self.m]);
        let status = (self.query)(
            or_null(null, handle, self.handle),
            or_null_mut(null, first, rows.as_mut_ptr()),
            self.n,
            or_null_mut(null, second, cols.as_mut_ptr()),
            self.m,
        );
        (status, touched(&rows) || touched(&cols))
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

/// On a handle of 3 rows and 2 columns; `arrays` are the two arrays' names.
fn buffers(
    t: &mut Table,
    name: &'static str,
    query: BuffersQuery,
    (handle_name, handle): (&'static str, *const c_void),
    [first, second]: [&'static str; 2],
) {
    let base = Buffers {
        query,
        handle,
        names: [handle_name, first, second],
        n: 3,
        m: 2,
        null: "",
    };
    let mut e = t.entry(name);
    e.base(&base).nulls(&base, &base.names);
    e.mismatch("n", 0, base.with(|b| b.n = 0));
    e.mismatch("n", 4, base.with(|b| b.n = 4));
    e.mismatch("m", 3, base.with(|b| b.m = 3));
}

type ApplyQuery = fn(*const c_void, *const f64, usize, *mut f64, usize) -> Status;

/// out = P v or Pᵀ u (γ v, γᵀ u).
#[derive(Clone)]
struct Apply {
    query: ApplyQuery,
    handle: *const c_void,
    /// The names of the handle, the input, its length, the output and its length.
    names: [&'static str; 5],
    input: Vec<f64>,
    out_len: usize,
    null: &'static str,
}

impl Valid for Apply {
    fn call(&self) -> (Status, bool) {
        let ([handle, input, _, out, _], null) = (self.names, self.null);
        let mut result = vec![SENTINEL; self.out_len];
        let status = (self.query)(
            or_null(null, handle, self.handle),
            or_null(null, input, self.input.as_ptr()),
            self.input.len(),
            or_null_mut(null, out, result.as_mut_ptr()),
            self.out_len,
        );
        (status, touched(&result))
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

/// P v on a handle of 3 rows and 2 columns (named `handle`), or Pᵀ u when `transpose`.
fn apply(
    t: &mut Table,
    name: &'static str,
    query: ApplyQuery,
    handle: (&'static str, *const c_void),
    transpose: bool,
) {
    let (names, len, out_len) = if transpose {
        ([handle.0, "u", "n", "out", "m"], 3, 2)
    } else {
        ([handle.0, "v", "m", "out", "n"], 2, 3)
    };
    let base = Apply {
        query,
        handle: handle.1,
        names,
        input: vec![0.5; len],
        out_len,
        null: "",
    };
    let [handle, input, len_name, out, out_name] = names;
    let mut e = t.entry(name);
    e.base(&base).nulls(&base, &[handle, input, out]);
    e.mismatch(len_name, 0, base.with(|a| a.input.clear()));
    e.mismatch(len_name, len + 1, base.with(|a| a.input.push(0.5)));
    e.mismatch(out_name, out_len + 1, base.with(|a| a.out_len += 1));
    e.element(&base, input, |a| &mut a.input, (0, f64::NAN));
    e.element(&base, input, |a| &mut a.input, (1, f64::INFINITY));
}

type MatrixQuery = extern "C" fn(*const scalot_plan, *mut f64, usize, usize, c_int) -> Status;

/// A plan query that writes an n x d (or n x m) matrix in a layout.
#[derive(Clone)]
struct Matrix {
    query: MatrixQuery,
    plan: *const scalot_plan,
    rows: usize,
    cols: usize,
    layout: c_int,
    null: &'static str,
}

impl Valid for Matrix {
    fn call(&self) -> (Status, bool) {
        let mut out = vec![SENTINEL; self.rows * self.cols];
        let status = (self.query)(
            or_null(self.null, "plan", self.plan),
            or_null_mut(self.null, "out", out.as_mut_ptr()),
            self.rows,
            self.cols,
            self.layout,
        );
        (status, touched(&out))
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

/// On a plan of 3 rows and 2 columns, between points in 2-d; `cols` names the second size, d or m.
fn matrix(
    t: &mut Table,
    name: &'static str,
    query: MatrixQuery,
    plan: *const scalot_plan,
    cols: &'static str,
) {
    let base = Matrix {
        query,
        plan,
        rows: 3,
        cols: 2,
        layout: 0,
        null: "",
    };
    let mut e = t.entry(name);
    e.base(&base).nulls(&base, &["plan", "out"]);
    e.mismatch("n", 0, base.with(|q| q.rows = 0));
    e.mismatch("n", 4, base.with(|q| q.rows = 4));
    e.mismatch(cols, 3, base.with(|q| q.cols = 3));
    e.invalid("layout", Class::Enum, &[2, -1], |v| {
        base.with(|q| q.layout = v)
    });
}

type TopKQuery = fn(*const c_void, usize, *mut usize, *mut usize, *mut f64, usize) -> Status;

#[derive(Clone)]
struct TopK {
    query: TopKQuery,
    handle: *const c_void,
    handle_name: &'static str,
    k: usize,
    len: usize,
    null: &'static str,
}

impl Valid for TopK {
    fn call(&self) -> (Status, bool) {
        let null = self.null;
        let (mut rows, mut cols) = (
            vec![INDEX_SENTINEL; self.len],
            vec![INDEX_SENTINEL; self.len],
        );
        let mut values = vec![SENTINEL; self.len];
        let status = (self.query)(
            or_null(null, self.handle_name, self.handle),
            self.k,
            or_null_mut(null, "rows", rows.as_mut_ptr()),
            or_null_mut(null, "cols", cols.as_mut_ptr()),
            or_null_mut(null, "values", values.as_mut_ptr()),
            self.len,
        );
        let indices = rows.iter().chain(&cols).any(|&i| i != INDEX_SENTINEL);
        (status, indices || touched(&values))
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

/// On a handle of 3 rows and 2 columns.
fn top_k(
    t: &mut Table,
    name: &'static str,
    query: TopKQuery,
    (handle_name, handle): (&'static str, *const c_void),
) {
    let base = TopK {
        query,
        handle,
        handle_name,
        k: 1,
        len: 3,
        null: "",
    };
    let mut e = t.entry(name);
    e.base(&base)
        .nulls(&base, &[handle_name, "rows", "cols", "values"]);
    e.invalid("k", Class::Count, &[0, 3], |v| base.with(|q| q.k = v));
    e.mismatch("len", 4, base.with(|q| q.len = 4));
}

/// A query that writes one value of a plan, of at most 8 bytes, to `out`.
type ValueQuery = fn(*const scalot_plan, *mut c_void) -> Status;

fn plan_queries(t: &mut Table, certify: *mut scalot_certify_options) {
    let kernel = good_kernel(t);
    let mut plan = null_mut();
    let status = scalot_sinkhorn_solve(kernel, null(), 3, null(), 2, null(), &mut plan);
    assert_eq!(status, Status::Ok, "{}", message());
    t.free_later(move || scalot_plan_free(plan));
    let (plan, p) = (
        plan.cast_const(),
        ("plan", plan.cast_const().cast::<c_void>()),
    );

    let mut e = t.entry("scalot_plan_shape");
    let shape = move |plan, null: &'static str| -> Call {
        Box::new(move || {
            let (mut rows, mut cols) = (INDEX_SENTINEL, INDEX_SENTINEL);
            let (n, m) = (
                or_null_mut(null, "n", &mut rows),
                or_null_mut(null, "m", &mut cols),
            );
            let status = scalot_plan_shape(plan, n, m);
            (status, rows != INDEX_SENTINEL || cols != INDEX_SENTINEL)
        })
    };
    e.null("plan", shape(null(), ""));
    e.null("n", shape(plan, "n"));
    e.null("m", shape(plan, "m"));
    let values: [(&str, ValueQuery); 9] = [
        ("scalot_plan_converged", |p, out| {
            scalot_plan_converged(p, out.cast())
        }),
        ("scalot_plan_stop_reason", |p, out| {
            scalot_plan_stop_reason(p, out.cast())
        }),
        ("scalot_plan_kernel", |p, out| {
            scalot_plan_kernel(p, out.cast())
        }),
        ("scalot_plan_iterations", |p, out| {
            scalot_plan_iterations(p, out.cast())
        }),
        ("scalot_plan_marginal_error", |p, out| {
            scalot_plan_marginal_error(p, out.cast())
        }),
        ("scalot_plan_transport_cost", |p, out| {
            scalot_plan_transport_cost(p, out.cast())
        }),
        ("scalot_plan_regularized_objective", |p, out| {
            scalot_plan_regularized_objective(p, out.cast())
        }),
        ("scalot_plan_dual_objective", |p, out| {
            scalot_plan_dual_objective(p, out.cast())
        }),
        ("scalot_plan_mass", |p, out| scalot_plan_mass(p, out.cast())),
    ];
    for (name, query) in values {
        let mut e = t.entry(name);
        let call = Box::new(move || filled::<u64>(|out| query(null(), out.cast())));
        e.null("plan", call);
        e.null("out", no_out(move || query(plan, null_mut())));
    }

    let query: BuffersQuery = |p, f, n, g, m| scalot_plan_potentials(p.cast(), f, n, g, m);
    buffers(t, "scalot_plan_potentials", query, p, ["f", "g"]);
    let query: BuffersQuery = |p, r, n, c, m| scalot_plan_marginals(p.cast(), r, n, c, m);
    buffers(t, "scalot_plan_marginals", query, p, ["rows", "cols"]);
    let query: ApplyQuery = |p, v, m, out, n| scalot_plan_apply(p.cast(), v, m, out, n);
    apply(t, "scalot_plan_apply", query, p, false);
    let query: ApplyQuery = |p, u, n, out, m| scalot_plan_apply_transpose(p.cast(), u, n, out, m);
    apply(t, "scalot_plan_apply_transpose", query, p, true);
    let query = scalot_plan_barycentric_projection;
    matrix(t, "scalot_plan_barycentric_projection", query, plan, "d");
    let query = scalot_plan_gradient_x;
    matrix(t, "scalot_plan_gradient_x", query, plan, "d");
    let query = scalot_plan_to_dense;
    matrix(t, "scalot_plan_to_dense", query, plan, "m");
    let query: TopKQuery = |p, k, r, c, v, len| scalot_plan_top_k(p.cast(), k, r, c, v, len);
    top_k(t, "scalot_plan_top_k", query, p);

    let mut e = t.entry("scalot_plan_certify");
    let no_plan = move |out| scalot_plan_certify(null(), certify, out);
    e.null("plan", Box::new(move || filled(no_plan)));
    let call = no_out(move || scalot_plan_certify(plan, certify, null_mut()));
    e.null("out", call);
}

// ---------------------------------------------------------------------------------------------------
// R_rho: the problem, the solve and the solution's queries.

#[derive(Clone)]
struct Problem {
    clouds: Clouds,
    mu: Vec<f64>,
    nu: Vec<f64>,
    rho: f64,
    floor: f64,
    granularity: f64,
    null: &'static str,
}

impl Valid for Problem {
    fn call(&self) -> (Status, bool) {
        let (c, null) = (&self.clouds, self.null);
        let (x, y, mu, nu) = (c.x(null), c.y(null), self.mu.as_ptr(), self.nu.as_ptr());
        let (rho, floor, granularity) = (self.rho, self.floor, self.granularity);
        let pose = |out| {
            let (n, m, d, layout) = (c.n, c.m, c.d, c.layout);
            scalot_rrho_problem_new(x, n, y, m, d, layout, mu, nu, rho, floor, granularity, out)
        };
        made(null, pose, scalot_rrho_problem_free)
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

impl FromClouds for Problem {
    fn clouds(&mut self) -> &mut Clouds {
        &mut self.clouds
    }
}

fn rrho_problem(t: &mut Table) {
    let base = Problem {
        clouds: Clouds::new(),
        mu: vec![0.2, 0.3, 0.5],
        nu: vec![0.5, 0.5],
        rho: 1.5,
        floor: 1e-3,
        granularity: 0.0,
        null: "",
    };
    let mut e = t.entry("scalot_rrho_problem_new");
    e.base(&base);
    cloud_rows(&mut e, &base, &["out"]);
    e.element(&base, "mu", |p| &mut p.mu, (1, f64::NAN));
    e.element(&base, "nu", |p| &mut p.nu, (0, f64::INFINITY));
    e.element(&base, "mu", |p| &mut p.mu, (1, -0.2));
    e.zero_mass(&base, "nu", |p| &mut p.nu);
    let call = base.with(|p| p.mu[1] = 0.0);
    e.refused(Class::Value, "mu[1] = 0, granularity = 0", "mu", call);
    let values = [1.0, 2.5, f64::NAN, f64::INFINITY];
    e.invalid("rho", Class::Value, &values, |v| base.with(|p| p.rho = v));
    let values = [-1.0, f64::NAN, f64::INFINITY];
    e.invalid("floor", Class::Value, &values, |v| {
        base.with(|p| p.floor = v)
    });
    let values = [1.0, -0.1, f64::NAN];
    let granularity = |v| base.with(|p| p.granularity = v);
    e.invalid("granularity", Class::Value, &values, granularity);
}

fn rrho_solve_and_solution(t: &mut Table) {
    let mut problem = null_mut();
    let (x, y, out) = (X.as_ptr(), Y.as_ptr(), &mut problem);
    let status = scalot_rrho_problem_new(x, 3, y, 2, 2, 0, null(), null(), 1.5, 1e-3, 0.0, out);
    assert_eq!(status, Status::Ok, "{}", message());
    t.free_later(move || scalot_rrho_problem_free(problem));
    let q = problem.cast_const();
    // A warm start's lengths are checked against the problem at solve time.
    let long_warm_start = options(t, scalot_rrho_options_new, scalot_rrho_options_free);
    let (alpha, beta) = ([0.0; 4], [0.0; 2]);
    let (alpha, beta) = (alpha.as_ptr(), beta.as_ptr());
    let status = scalot_rrho_options_set_warm_start(long_warm_start, alpha, 4, beta, 2);
    assert_eq!(status, Status::Ok);

    let mut e = t.entry("scalot_rrho_solve");
    let solve = move |problem, options: *const scalot_rrho_options| -> Call {
        let free = scalot_rrho_solution_free;
        Box::new(move || made("", |out| scalot_rrho_solve(problem, options, out), free))
    };
    e.null("problem", solve(null(), null()));
    let call = no_out(move || scalot_rrho_solve(q, null(), null_mut()));
    e.null("out", call);
    e.long_warm_start("alpha", solve(q, long_warm_start));

    let mut solution = null_mut();
    let status = scalot_rrho_solve(q, null(), &mut solution);
    assert_eq!(status, Status::Ok, "{}", message());
    t.free_later(move || scalot_rrho_solution_free(solution));
    let s = solution.cast_const();
    let h = ("solution", s.cast::<c_void>());

    let mut e = t.entry("scalot_rrho_solution_summary");
    let summary = |out| scalot_rrho_solution_summary(null(), out);
    e.null("solution", Box::new(move || filled(summary)));
    let call = no_out(move || scalot_rrho_solution_summary(s, null_mut()));
    e.null("out", call);

    let query: BuffersQuery = |s, a, n, b, m| scalot_rrho_solution_potentials(s.cast(), a, n, b, m);
    let name = "scalot_rrho_solution_potentials";
    buffers(t, name, query, h, ["alpha", "beta"]);
    let query: BuffersQuery = |s, r, n, c, m| scalot_rrho_solution_marginals(s.cast(), r, n, c, m);
    let name = "scalot_rrho_solution_marginals";
    buffers(t, name, query, h, ["rows", "cols"]);
    let query: ApplyQuery = |s, v, m, out, n| scalot_rrho_solution_apply(s.cast(), v, m, out, n);
    apply(t, "scalot_rrho_solution_apply", query, h, false);
    let query: ApplyQuery =
        |s, u, n, out, m| scalot_rrho_solution_apply_transpose(s.cast(), u, n, out, m);
    apply(t, "scalot_rrho_solution_apply_transpose", query, h, true);
    let query: TopKQuery =
        |s, k, r, c, v, len| scalot_rrho_solution_top_k(s.cast(), k, r, c, v, len);
    top_k(t, "scalot_rrho_solution_top_k", query, h);
}

// ---------------------------------------------------------------------------------------------------
// Alignment, retrieval precision and threads.

#[derive(Clone)]
struct Align {
    clouds: Clouds,
    options: *const scalot_align_options,
    objectives_len: usize,
    null: &'static str,
}

impl Valid for Align {
    fn call(&self) -> (Status, bool) {
        let (c, null) = (&self.clouds, self.null);
        let mut rotation = vec![SENTINEL; 4];
        let mut objectives = vec![SENTINEL; self.objectives_len];
        let mut plan = null_mut();
        let status = scalot_align(
            c.x(null),
            c.n,
            c.y(null),
            c.m,
            c.d,
            c.layout,
            self.options,
            or_null_mut(null, "rotation", rotation.as_mut_ptr()),
            objectives.as_mut_ptr(),
            self.objectives_len,
            &mut plan,
        );
        let wrote = !plan.is_null() || touched(&rotation) || touched(&objectives);
        scalot_plan_free(plan);
        (status, wrote)
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

impl FromClouds for Align {
    fn clouds(&mut self) -> &mut Clouds {
        &mut self.clouds
    }
}

fn align(t: &mut Table) {
    let one_step = align_options(t, |_| Status::Ok);
    let rotation = |r: &'static [f64], d| {
        move |o| scalot_align_options_set_initial_rotation(o, r.as_ptr(), d, 0)
    };
    let identity3 = &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let wrong_d = align_options(t, rotation(identity3, 3));
    let not_orthogonal = align_options(t, rotation(&[2.0, 0.0, 0.0, 1.0], 2));
    let (source, target) = ([0usize, 5], [0usize, 1]);
    let seeds = |o| scalot_align_options_set_seed_pairs(o, source.as_ptr(), target.as_ptr(), 2);
    let far = align_options(t, seeds);

    let base = Align {
        clouds: Clouds::new(),
        options: one_step,
        objectives_len: 2,
        null: "",
    };
    let mut e = t.entry("scalot_align");
    e.base(&base);
    cloud_rows(&mut e, &base, &["rotation"]);
    e.mismatch("objectives_len", 5, base.with(|a| a.objectives_len = 5));
    let (class, status, word) = (Class::Mismatch, Status::DimensionMismatch, "rotation has 3");
    let call = base.with(|a| a.options = wrong_d);
    e.add(
        class,
        "options: a 3 x 3 rotation",
        "rotation",
        status,
        word,
        call,
    );
    let call = base.with(|a| a.options = not_orthogonal);
    e.refused(
        Class::Value,
        "options: rotation {2, 0; 0, 1}",
        "rotation",
        call,
    );
    let (class, status, word) = (Class::Count, Status::InvalidArgument, "invalid seed_pairs");
    let call = base.with(|a| a.options = far);
    e.add(
        class,
        "options: seed pair (5, 1)",
        "source",
        status,
        word,
        call,
    );
}

#[derive(Clone)]
struct Retrieval {
    clouds: Clouds,
    rotation: Vec<f64>,
    source: Vec<usize>,
    target: Vec<usize>,
    count: usize,
    k: usize,
    null: &'static str,
}

impl Valid for Retrieval {
    fn call(&self) -> (Status, bool) {
        let (c, null) = (&self.clouds, self.null);
        let precision = |out| {
            scalot_retrieval_precision(
                c.x(null),
                c.n,
                c.y(null),
                c.m,
                c.d,
                c.layout,
                or_null(null, "rotation", self.rotation.as_ptr()),
                or_null(null, "source", self.source.as_ptr()),
                or_null(null, "target", self.target.as_ptr()),
                self.count,
                self.k,
                out,
            )
        };
        if null == "out" {
            (precision(null_mut()), false)
        } else {
            filled(precision)
        }
    }

    fn null(&mut self) -> &mut &'static str {
        &mut self.null
    }
}

impl FromClouds for Retrieval {
    fn clouds(&mut self) -> &mut Clouds {
        &mut self.clouds
    }
}

fn retrieval(t: &mut Table) {
    let base = Retrieval {
        clouds: Clouds::new(),
        rotation: vec![1.0, 0.0, 0.0, 1.0],
        source: vec![0, 1],
        target: vec![0, 1],
        count: 2,
        k: 1,
        null: "",
    };
    let mut e = t.entry("scalot_retrieval_precision");
    e.base(&base);
    cloud_rows(&mut e, &base, &["rotation", "source", "target", "out"]);
    e.empty("count", base.with(|r| r.count = 0));
    let call = base.with(|r| r.count = P62);
    e.byte_overflow("count = 2^62", "count", "source", call);
    e.element(&base, "rotation", |r| &mut r.rotation, (1, f64::INFINITY));
    // The message names the pair, not the array that holds the index.
    let (class, status) = (Class::Count, Status::InvalidArgument);
    let word = "invalid pairs: pair (3, 1)";
    e.add(
        class,
        "source[1] = 3",
        "source",
        status,
        word,
        base.with(|r| r.source[1] = 3),
    );
    let word = "invalid pairs: pair (0, 2)";
    e.add(
        class,
        "target[0] = 2",
        "target",
        status,
        word,
        base.with(|r| r.target[0] = 2),
    );
    e.invalid("k", Class::Count, &[0], |v| base.with(|r| r.k = v));
}

fn threads(t: &mut Table) {
    let set = |v| no_out(move || scalot_set_num_threads(v));
    let mut e = t.entry("scalot_set_num_threads");
    e.invalid("threads", Class::Count, &[1025, usize::MAX], set);
    let call = no_out(|| scalot_num_threads(null_mut()));
    t.entry("scalot_num_threads").null("out", call);
}

// ---------------------------------------------------------------------------------------------------
// The document.

fn render(rows: &[Row]) -> String {
    let mut entries: Vec<&str> = Vec::new();
    for row in rows {
        if !entries.contains(&row.entry) {
            entries.push(row.entry);
        }
    }
    let mut doc = format!(
        "# Bad input: the status of every entry point\n\n\
         Generated by `cargo test --test bad_input_table` from the rows of tests/bad_input_table.rs; do\n\
         not edit. After changing the rows, regenerate it with\n\
         `SCALOT_UPDATE_DOCS=1 cargo test --test bad_input_table`; without the variable the test fails\n\
         when this file differs from what the rows render.\n\n\
         Each row is a call that succeeds with one argument changed. The test runs it through the C\n\
         entry point and checks the status, that `scalot_last_error_message()` contains the words shown\n\
         (they name the argument), and that no output was written: a handle out-parameter stays NULL,\n\
         output buffers and structs keep what the caller put there. Only the classes of input that\n\
         apply to an entry point are listed; the functions not listed take nothing that can be invalid\n\
         (the `*_free` functions accept NULL, `scalot_status_name` names any number,\n\
         `scalot_version` and `scalot_last_error_message` take none). {} rows over {} entry points.\n",
        rows.len(),
        entries.len()
    );
    for entry in entries {
        let _ = write!(
            doc,
            "\n## `{entry}`\n\n\
             | Class | Input | Argument | Status | Message contains |\n\
             |---|---|---|---|---|\n"
        );
        for row in rows.iter().filter(|row| row.entry == entry) {
            let status = status_name(row.status);
            let (class, input, arg, word) = (row.class.name(), &row.input, row.arg, &row.word);
            let _ = writeln!(
                doc,
                "| {class} | `{input}` | `{arg}` | `{status}` | `{word}` |"
            );
        }
    }
    doc
}

#[test]
fn every_entry_point_refuses_bad_input_as_docs_bad_input_md_says() {
    let mut table = Table::default();
    kernels(&mut table);
    options_constructors(&mut table);
    sinkhorn_setters(&mut table);
    sparse_setters(&mut table);
    nystrom_setters(&mut table);
    let certify = certify_setters(&mut table);
    rrho_setters(&mut table);
    align_setters(&mut table);
    sinkhorn_solve(&mut table);
    plan_queries(&mut table, certify);
    rrho_problem(&mut table);
    rrho_solve_and_solution(&mut table);
    align(&mut table);
    retrieval(&mut table);
    threads(&mut table);

    let mut failures = Vec::new();
    let doc = render(&table.rows);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
    if std::env::var_os("SCALOT_UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    } else if std::fs::read_to_string(&path).ok().as_ref() != Some(&doc) {
        failures.push(format!(
            "{DOC} is not what the rows render: regenerate it with \
             SCALOT_UPDATE_DOCS=1 cargo test --test bad_input_table"
        ));
    }
    for row in &table.rows {
        let (status, wrote) = (row.call)();
        let text = message();
        if status != row.status || !scalot_testkit::names(&text, &row.word) || wrote {
            let (entry, input, word) = (row.entry, &row.input, &row.word);
            let (expected, found) = (status_name(row.status), status_name(status));
            let wrote = if wrote { ", and wrote an output" } else { "" };
            failures.push(format!(
                "{entry} with {input}: expected {expected} naming {word:?}, found {found} \
                 {text:?}{wrote}"
            ));
        }
    }
    let rows = table.rows.len();
    for free in table.frees {
        free();
    }
    assert!(
        failures.is_empty(),
        "{} failures over {rows} rows:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
