/*
 * faultline/io.h - readers for NumPy arrays (.npy, .npz) and CSV tables.
 *
 * Arrays: an fl_array is a 1-D or 2-D numeric array read from a .npy file
 * (versions 1.0, 2.0, 3.0) or from one member of a .npz archive (stored or
 * deflate-compressed). A 1-D array of length n is seen as n rows x 1 column.
 * Data stay memory-mapped when the file holds native-endian, C-order data
 * and the caller asks for the dtype the file already has; any other request
 * converts once into a buffer owned by the array (cached: a second request
 * for the same type returns the same pointer).
 *
 * Tables: an fl_table is a CSV file with a header row. Each column's type
 * is inferred from its non-missing cells: numeric when every cell parses
 * fully as a double (spaces around it allowed, "inf" too, hexadecimal not;
 * always in the C locale, whatever LC_NUMERIC says, without setlocale);
 * otherwise boolean when every cell is one of true/false, yes/no, t/f, y/n
 * (case-insensitive; a 0/1 column is numeric, not boolean); otherwise
 * categorical. A column with no non-missing cell is numeric, all NaN.
 * Missing cells: empty, NA, N/A, NaN, null, None, case-insensitive, with
 * surrounding spaces ignored. Non-finite numbers: every NaN strtod reads
 * ("-nan", "nan(...)") is missing too; "inf", "-infinity" and numbers
 * beyond the double range ("1e999") are the values +-inf, never missing
 * (docs/inputs.md says why).
 *
 * Every error names the file, and where it applies the array key, the
 * column and the 1-based line or 0-based row: see fl_last_error().
 */
#ifndef FAULTLINE_IO_H
#define FAULTLINE_IO_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Element types an fl_array can hold (as found in the file). */
typedef enum fl_dtype {
	FL_DT_BOOL,
	FL_DT_I8, FL_DT_I16, FL_DT_I32, FL_DT_I64,
	FL_DT_U8, FL_DT_U16, FL_DT_U32, FL_DT_U64,
	FL_DT_F16, FL_DT_F32, FL_DT_F64
} fl_dtype;

typedef struct fl_array fl_array;

/**
 * Open an array. The file is recognised by its contents (not its name) and
 * memory-mapped; it must not be truncated while the array is open: a read
 * past the file's new end raises SIGBUS, which the library does not catch
 * (it installs no signal handler; the faultline CLI does). Replace a file by
 * renaming a new one over it: an open mapping keeps the old contents.
 * @param[out] out   the array, owned by the caller (fl_array_free); NULL on error
 * @param path       a .npy file, or a .npz archive
 * @param key        for .npz: the member name without ".npy" (with it also
 *                   works); NULL selects the only member. Ignored for .npy.
 * @return 0, or FL_EIO (cannot open/read), FL_EFORMAT (bad magic, header,
 *         truncated data, shape larger than the file, overflowing shape,
 *         corrupt archive or CRC mismatch), FL_EUNSUP (3-D or more,
 *         structured/object/complex dtypes, .npy versions above 3.0, zip
 *         methods other than stored and deflate, encrypted members),
 *         FL_EINVAL (key not found, or NULL for an archive of several
 *         arrays: the message lists the keys), FL_ENOMEM.
 * Fortran-order 2-D arrays are transposed into C order when a view is
 * first requested (a copy).
 * A deflated .npz member: only its .npy header is inflated here, and the
 * size the archive claims for it must be exactly that header plus the data
 * its shape describes (FL_EFORMAT otherwise). The data are inflated by the
 * first view (fl_array_f32/f64/i64), which then reports corrupt deflate
 * data or a CRC mismatch (FL_EFORMAT); so a caller that checks the shape
 * first never inflates an array it would refuse (a small member claiming
 * gigabytes of rows costs a header's worth of work).
 */
FL_API int fl_array_open(fl_array **out, const char *path, const char *key);

/** Release an array and any converted buffers. Accepts NULL. */
FL_API void fl_array_free(fl_array *a);

/** Number of rows (the first dimension; 1 for a 0-d scalar). */
FL_API int64_t fl_array_rows(const fl_array *a);
/** Number of columns (1 for a 1-D array). */
FL_API int64_t fl_array_cols(const fl_array *a);
/** 1 or 2 (a 0-d scalar reports 1). */
FL_API int fl_array_ndim(const fl_array *a);
/** The element type stored in the file. */
FL_API fl_dtype fl_array_dtype(const fl_array *a);
/** Name of a dtype in NumPy's words: "float32", "int64", "bool", ... */
FL_API const char *fl_dtype_name(fl_dtype t);
/** The name used in messages: "path" or "path:key". Borrowed. */
FL_API const char *fl_array_name(const fl_array *a);
/**
 * Nonzero when the data are served straight from the file's mapping: host
 * byte order, C order, aligned. The view of the file's own dtype
 * (fl_array_f32 for float32, fl_array_f64 for float64, fl_array_i64 for
 * int64) then points into the mapping, without a copy. Deflated .npz
 * members are never mapped.
 */
FL_API int fl_array_is_mapped(const fl_array *a);

/**
 * The data as row-major float / double / int64, rows x cols elements.
 * Zero-copy when the file already holds that type in native byte order and
 * C order; otherwise converted once and cached inside the array. Integers
 * and booleans convert exactly to double and int64 (uint64 above INT64_MAX
 * is FL_ERANGE for the int64 view); float16 converts exactly to float32 and
 * float64. For the int64 view, floating values must be integral (an error
 * naming the row otherwise). NaN and Inf are passed through in float views:
 * callers check them where they matter.
 * @param[out] out  borrowed pointer, valid until fl_array_free(a)
 * @return 0; FL_ENOMEM; FL_ERANGE (int64 view, naming the row); for a
 *         deflated .npz member, FL_EFORMAT when its data do not inflate to
 *         the claimed size or fail the CRC check (see fl_array_open).
 */
FL_API int fl_array_f32(fl_array *a, const float **out);
FL_API int fl_array_f64(fl_array *a, const double **out);
FL_API int fl_array_i64(fl_array *a, const int64_t **out);

/**
 * Write a 1-D (cols == 0) or 2-D C-order little-endian .npy file (version
 * 1.0). Used by `faultline synth` and tests. Checks every write and fclose.
 * @param dtype  FL_DT_F32, FL_DT_F64, FL_DT_I64 or FL_DT_I32.
 */
FL_API int fl_npy_write(const char *path, const void *data, fl_dtype dtype,
			int64_t rows, int64_t cols);

/* ---- CSV tables ------------------------------------------------------- */

typedef enum fl_coltype {
	FL_COL_NUMERIC,     /**< doubles; missing = NaN */
	FL_COL_CATEGORICAL, /**< codes into a level list; missing = -1 */
	FL_COL_BOOLEAN      /**< codes 0 (false) / 1 (true); missing = -1 */
} fl_coltype;

typedef struct fl_table fl_table;

/**
 * Read a CSV file with a header row. RFC 4180 quoting (quoted fields may
 * hold commas, doubled quotes and newlines), LF or CRLF line ends, an
 * optional UTF-8 byte order mark. Blank lines at the end are ignored; a
 * blank line elsewhere is a row with one empty field. Line numbers in
 * messages are physical lines, 1-based, counting the newlines inside
 * quoted fields. Memory: the file's size, plus 4 bytes per cell, plus 8
 * per numeric or 4 per categorical/boolean cell.
 * @param[out] out  the table, owned by the caller (fl_table_free)
 * @return 0, FL_EIO, FL_ENOMEM, or FL_EFORMAT naming the line for: a row
 *         with the wrong number of fields, an unterminated quote (the line
 *         where the field starts), text after a closing quote, a NUL byte,
 *         an empty file or header row, duplicate column names.
 */
FL_API int fl_table_read_csv(fl_table **out, const char *path);
/**
 * Read a table from CSV text in memory (`len` bytes; need not be
 * NUL-terminated), by the same rules as fl_table_read_csv: the Python
 * package passes a DataFrame or a dict of columns this way, so that its
 * columns get the types a CSV file of them would. The text is copied.
 * @param name  names the table in messages ("metadata"); NULL = "CSV text"
 * @return 0, FL_EINVAL (text NULL with len > 0), FL_ENOMEM, or FL_EFORMAT
 *         as fl_table_read_csv, naming `name` and the line
 */
FL_API int fl_table_read_csv_text(fl_table **out, const char *text, size_t len,
				  const char *name);
FL_API void fl_table_free(fl_table *t);

FL_API int64_t fl_table_rows(const fl_table *t);
FL_API int64_t fl_table_cols(const fl_table *t);
/** Column name (borrowed; NULL when col is out of range). The accessors
 * below return 0, -1 or NULL for an out-of-range column or row. */
FL_API const char *fl_table_col_name(const fl_table *t, int64_t col);
FL_API fl_coltype fl_table_col_type(const fl_table *t, int64_t col);
/** Index of the column called `name`, or -1. */
FL_API int64_t fl_table_find(const fl_table *t, const char *name);
/**
 * A table of some rows of `t`, in the given order (used to search one half
 * of the data and confirm on the other). Column types and level codes are
 * those of `t`; cell text is shared, so `t` must outlive the subset.
 * @param[out] out  owned by the caller (fl_table_free)
 * @return 0, FL_EINVAL (a row out of range), FL_ENOMEM
 */
FL_API int fl_table_subset(fl_table **out, const fl_table *t, const int64_t *rows, int64_t m);

/**
 * A table with the columns of `t`, one of them replaced by (or followed
 * by) a categorical column that no file holds: the pipeline gives the
 * predicate search each row's true and predicted class this way
 * (faultline/pipeline.h). Nothing of `t` is copied: its columns' values,
 * levels and cells are read in place, so `t` must outlive the result (and
 * every subset of it). Calls can be chained. A subset (fl_table_subset) of
 * the result holds the same columns.
 * @param[out] out  owned by the caller (fl_table_free); NULL on error
 * @param t         the columns kept, or NULL for a table of the new column alone
 * @param at        the column replaced, or fl_table_cols(t) (0 without t) to
 *                  add the new one after the others
 * @param name      the new column's name (copied); not the name of another
 *                  column of `t`
 * @param derived   a tag saying what the column was derived from ("label",
 *                  "predicted"), returned by fl_table_col_derived; or NULL (copied)
 * @param codes     `rows` level codes, each in [-1, nlevels), -1 = missing (copied)
 * @param rows      the rows: fl_table_rows(t) when t is given
 * @param levels    nlevels level texts (copied); fl_table_cell returns the
 *                  row's level ("" when missing)
 * @return 0; FL_EINVAL (a name another column has, a position or row count
 *         that does not fit t, a code out of range, a NULL argument: the
 *         message names it); FL_ENOMEM
 */
FL_API int fl_table_with_categorical(fl_table **out, const fl_table *t, int64_t at,
				     const char *name, const char *derived, const int32_t *codes,
				     int64_t rows, const char *const *levels, int32_t nlevels);
/** The `derived` tag of a column made by fl_table_with_categorical
 * (borrowed), or NULL for a column read from a file. */
FL_API const char *fl_table_col_derived(const fl_table *t, int64_t col);
/** The table `t` was made from by fl_table_with_categorical (through any
 * chain of calls, and of subsets: the same rows as t), without the columns
 * added or replaced; t itself for a table read from a file or a subset of
 * one. Borrowed. */
FL_API const fl_table *fl_table_base(const fl_table *t);

/** Count of missing cells in a column. */
FL_API int64_t fl_table_missing(const fl_table *t, int64_t col);
/** Numeric column values (rows of them, NaN = missing); NULL for other types. */
FL_API const double *fl_table_numeric(const fl_table *t, int64_t col);
/** Categorical/boolean codes (rows of them, -1 = missing); NULL for numeric.
 * Categorical codes number the levels in order of first appearance. */
FL_API const int32_t *fl_table_codes(const fl_table *t, int64_t col);
/** Number of distinct levels of a categorical/boolean column (2 for boolean). */
FL_API int32_t fl_table_nlevels(const fl_table *t, int64_t col);
/** Level `code` of a categorical column (borrowed); "false"/"true" for boolean. */
FL_API const char *fl_table_level(const fl_table *t, int64_t col, int32_t code);
/** The cell's text exactly as in the file after unquoting ("" when empty). Borrowed. */
FL_API const char *fl_table_cell(const fl_table *t, int64_t row, int64_t col);

#ifdef __cplusplus
}
#endif
#endif
