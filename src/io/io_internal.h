/*
 * Internals shared by the files of src/io.
 * An fl_array is a parsed header plus a pointer to its raw element bytes,
 * which live either in a read-only mapping of the file or in a buffer the
 * array owns (a decompressed .npz member); converted views are cached.
 */
#ifndef FL_IO_INTERNAL_H
#define FL_IO_INTERNAL_H

#include "common/internal.h"

#include <stddef.h>
#include <stdint.h>

/* A deflated .npz member whose data are not inflated yet (npz.c): its
 * compressed bytes in the mapping, the sizes and CRC the directory states,
 * and where the data start after the .npy header. src == NULL: none. */
typedef struct fl_npz_pending {
	const unsigned char *src;
	uint64_t csize, usize;
	uint32_t crc;
	size_t data_off;
} fl_npz_pending;

struct fl_array {
	char *name;                 /* "path" or "path:key", for messages */
	fl_dtype dtype;
	int ndim;                   /* 1 or 2 (a 0-d scalar is 1) */
	int64_t rows, cols;
	size_t itemsize;
	int swap;                   /* file byte order differs from the host's */
	int fortran;                /* column-major with rows > 1 and cols > 1 */
	const unsigned char *data;  /* rows * cols * itemsize raw bytes */
	void *map;                  /* mmap of the whole file, or NULL */
	size_t map_len;
	unsigned char *owned;       /* owned raw bytes (inflated member), or NULL */
	fl_npz_pending pending;     /* data not inflated yet (data is NULL until then) */
	float *f32;                 /* cached conversions, owned */
	double *f64;
	int64_t *i64;
};

/* 1 on a little-endian host. */
int fl_io__host_little(void);

/* Parse an .npy image of `len` bytes at `buf` (a mapping or a buffer that
 * outlives `a`): fills the shape/dtype fields and a->data, which points
 * into `buf`. Checks that the data fit in `buf` before anything else uses
 * the shape. Errors name a->name. */
int fl_io__npy_parse(fl_array *a, const unsigned char *buf, size_t len);

/* Select member `key` of the zip archive mapped at a->map (NULL: the only
 * member), set a->name to "path:key", check its CRC, inflate it if needed
 * and parse it with fl_io__npy_parse. */
int fl_io__npz_select(fl_array *a, const char *path, const char *key);

/* Raw deflate (inflate.c): the csize bytes at src into dst[0, cap), until
 * the stream ends, dst is full or the input runs out; *got = the bytes
 * written. Returns zlib's last code (Z_STREAM_END: complete), and in *msg
 * what went wrong otherwise. */
int fl_io__inflate(unsigned char *dst, size_t cap, const unsigned char *src, uint64_t csize,
		   size_t *got, const char **msg);
/* The error of a failed fl_io__inflate, naming a->name. */
int fl_io__inflate_error(const fl_array *a, int zr, const char *msg);
uint32_t fl_io__crc32(const unsigned char *p, size_t n);
/* Inflate a->pending into a->owned (and check its CRC); 0 at once when
 * nothing is pending. Every view calls it before reading a->data. */
int fl_io__array_inflate(fl_array *a);

/* A CSV table: the file's bytes with every cell unquoted in place and
 * NUL-terminated, so a cell costs 4 bytes of offset and no allocation. */
typedef struct fl_table_col {
	const char *name;           /* points into buf */
	fl_coltype type;
	int64_t missing;
	double *num;                /* numeric: rows values, NaN = missing */
	int32_t *codes;             /* categorical/boolean: rows codes, -1 = missing */
	const char **levels;        /* categorical: nlevels strings in buf */
	int32_t nlevels;
	const char *derived;        /* fl_table_with_categorical's tag, or NULL */
	char *text;                 /* owned: name, tag and levels of an added column */
	int borrowed;               /* num, codes and levels belong to another table */
} fl_table_col;

struct fl_table {
	char *buf;                  /* cell text; NULL-owned in a subset (see owns_buf) */
	int owns_buf;               /* 0 for fl_table_subset: buf belongs to the parent */
	size_t *row_off;            /* offset in buf of each row's first cell */
	uint32_t *cell_off;         /* rows * cols offsets from the row's first cell */
	int64_t rows, cols;
	fl_table_col *col;
	/* fl_table_with_categorical: the borrowed columns are head's (their
	 * data and cells read from head), the one added or replaced is owned */
	const fl_table *head;
	fl_table *head_owned;       /* head, when this table owns it (a subset) */
};

/* Check the column names and infer every column's type (table.c).
 * `path` names the file in messages. */
int fl_io__table_finish(fl_table *t, const char *path);

#endif
