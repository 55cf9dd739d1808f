# The scalot library's version, as "MAJOR.MINOR.PATCH".
scalot_version <- function() .Call(scalot_r_version)

# The name of a scalot status code, e.g. "SCALOT_STATUS_NULL_POINTER".
scalot_status_name <- function(status) .Call(scalot_r_status_name, as.integer(status))

# Number of threads scalot computes with (results do not depend on it).
scalot_num_threads <- function() .Call(scalot_r_num_threads)

# Sets the number of threads; 0 restores the default (SCALOT_NUM_THREADS, else one per core).
scalot_set_num_threads <- function(threads) {
    .Call(scalot_r_set_num_threads, threads)
    invisible(NULL)
}

# The message of the last failed call on this thread. The glue already puts it into every error; this is
# kept so that every C function has its wrapper.
last_error_message <- function() .Call(scalot_r_last_error_message)

# Releases a kernel or plan now instead of at garbage collection; the object is dead afterwards.
release <- function(x) UseMethod("release")
