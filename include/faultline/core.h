/*
 * faultline/core.h - error codes, error messages, export macro.
 *
 * Every fallible function in faultline returns an int: 0 (FL_OK) on success
 * or one of the negative FL_E* codes below. The codes are pinned: they will
 * not be renumbered. A detailed, one-line, human-readable message naming
 * the file, array, column and row that caused the failure is available from
 * fl_last_error() until the next failing call on the same thread.
 *
 * The library never prints, never exits, never aborts on bad input.
 */
#ifndef FAULTLINE_CORE_H
#define FAULTLINE_CORE_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define FL_API __declspec(dllexport)
#elif defined(__GNUC__)
#define FL_API __attribute__((visibility("default")))
#else
#define FL_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define FL_VERSION_MAJOR 0
#define FL_VERSION_MINOR 1
#define FL_VERSION_PATCH 0
#define FL_VERSION_STRING "0.1.0"

/** Error codes. 0 is success; every error is negative. */
enum fl_error {
	FL_OK = 0,
	FL_ENOMEM = -1,  /**< an allocation failed */
	FL_EINVAL = -2,  /**< an argument or an option is invalid */
	FL_EIO = -3,     /**< a file could not be opened, read or written */
	FL_EFORMAT = -4, /**< a file's contents are malformed */
	FL_ESHAPE = -5,  /**< array shapes or row counts disagree */
	FL_ENOCONV = -6, /**< an iterative method did not converge */
	FL_ERANGE = -7,  /**< a value is out of its allowed range (NaN, Inf, label) */
	FL_EUNSUP = -8,  /**< a valid input the library does not support */
	FL_ECANCELED = -9 /**< the progress callback asked to stop */
};

/**
 * The message of the last error on this thread: one line, no trailing
 * newline, e.g. "labels.npy: row 17: label 12 outside [0, 10)". Control
 * characters and invalid UTF-8 from file names, column names or values are
 * shown as \xHH, so printing it to a terminal is safe.
 * Borrowed; valid until the next failing call on the same thread.
 * Returns "" when no error has been recorded.
 */
FL_API const char *fl_last_error(void);

/** A short name for an error code ("out of memory", "malformed file", ...). */
FL_API const char *fl_strerror(int code);

/** The library version, "MAJOR.MINOR.PATCH". */
FL_API const char *fl_version(void);

/**
 * Progress callback. `stage` names the work ("kmeans view=emb"), `done` and
 * `total` count its units. Called from the thread that called the library,
 * never concurrently. The library calls it at most a few times a second.
 * A non-zero return cancels the call: it stops at the next point it can,
 * frees what it made and returns FL_ECANCELED.
 */
typedef int (*fl_progress_fn)(void *user_data, const char *stage,
			      int64_t done, int64_t total);

#ifdef __cplusplus
}
#endif
#endif
