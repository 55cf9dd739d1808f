#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| scalot_fuzz::align(bytes));
