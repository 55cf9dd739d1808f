/* Library-wide queries: version, status names, threads. */
#include "glue.h"

SEXP scalot_r_version(void) {
    return Rf_mkString(scalot_version());
}

SEXP scalot_r_status_name(SEXP status) {
    return Rf_mkString(scalot_status_name(Rf_asInteger(status)));
}

/* The calling thread's last message; the glue raises errors with it, this exposes it for completeness. */
SEXP scalot_r_last_error_message(void) {
    return Rf_mkString(scalot_last_error_message());
}

SEXP scalot_r_num_threads(void) {
    size_t threads;
    check_status(scalot_num_threads(&threads), R_NilValue);
    return Rf_ScalarReal((double)threads);
}

SEXP scalot_r_set_num_threads(SEXP threads) {
    check_status(scalot_set_num_threads(as_size(threads, "threads")), R_NilValue);
    return R_NilValue;
}
