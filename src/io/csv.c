/*
 * CSV reading (RFC 4180): the whole file is read into one buffer and each
 * field is unquoted in place (its text never grows), then NUL-terminated
 * over its delimiter; the table keeps that buffer and one 32-bit offset per
 * cell. Line numbers in messages are physical, 1-based, and count the
 * newlines inside quoted fields.
 */
#include "io/io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct csv {
	char *p, *end;
	int64_t line;           /* physical line of p */
	const char *path;
} csv;

static int read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf = NULL, *nb;
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = fl__error(FL_EIO, "%s: cannot open: %s", path, strerror(errno));
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = fl__error(FL_EIO, "%s: is a directory", path);
		goto cleanup;
	}
	/* pipes report size 0: start small and grow */
	/* +2: room for the terminating NUL and for the read that sees EOF */
	cap = S_ISREG(st.st_mode) && (uintmax_t)st.st_size < SIZE_MAX / 2 ? (size_t)st.st_size + 2 : 65536;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap || !buf) {
			if (buf && fl__mul_size(cap, 2, &cap) != 0) {
				rc = fl__error(FL_ENOMEM, "%s: file too large", path);
				goto cleanup;
			}
			if (!(nb = realloc(buf, cap))) {
				rc = fl__error(FL_ENOMEM, "%s: out of memory reading %zu bytes", path, cap);
				goto cleanup;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = fl__error(FL_EIO, "%s: read failed: %s", path, strerror(errno));
			goto cleanup;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';                          /* room for the last cell's NUL */
	*out = buf;
	*len = n;
	buf = NULL;
cleanup:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* Parse one field at s->p, unquoted in place into *text and NUL-terminated.
 * *last is set when the field ended its record (newline or end of file). */
static int parse_field(csv *s, char **text, int *last)
{
	char *p = s->p, *w = p, *e = s->end;

	*text = w;
	if (p < e && *p == '"') {
		int64_t start = s->line;

		for (p++;; ) {
			if (p >= e)
				return fl__error(FL_EFORMAT, "%s: line %lld: unterminated quoted field",
						 s->path, (long long)start);
			if (*p == '"' && p + 1 < e && p[1] == '"') {
				*w++ = '"';
				p += 2;
			} else if (*p == '"') {
				p++;
				break;
			} else {
				s->line += *p == '\n';
				*w++ = *p++;
			}
		}
		if (p < e && *p != ',' && *p != '\n' && !(*p == '\r' && (p + 1 == e || p[1] == '\n')))
			return fl__error(FL_EFORMAT, "%s: line %lld: unexpected text after a closing quote",
					 s->path, (long long)s->line);
	} else {
		while (p < e && *p != ',' && *p != '\n' && !(*p == '\r' && (p + 1 == e || p[1] == '\n')))
			p++;
		w = p;
	}
	*last = !(p < e && *p == ',');
	if (p < e && *p == ',')
		p++;
	else if (p < e && *p == '\r')
		p++;
	if (*last && p < e && *p == '\n') {
		p++;
		s->line++;
	}
	*w = '\0';      /* w is at or before the delimiter just consumed */
	s->p = p;
	return 0;
}

/* Only line ends remain: the end of the table (a trailing blank line). */
static int at_end(const csv *s)
{
	for (const char *p = s->p; p < s->end; p++)
		if (*p != '\n' && *p != '\r')
			return 0;
	return 1;
}

static int parse_header(csv *s, fl_table *t)
{
	fl_table_col *col = NULL, *nc;
	size_t cap = 0;
	int64_t n = 0;
	int last = 0, rc;

	if (at_end(s))
		return fl__error(FL_EFORMAT, "%s: empty file: no header row", s->path);
	while (!last) {
		char *text;

		if ((rc = parse_field(s, &text, &last)) != 0)
			goto fail;
		if ((size_t)n == cap) {
			cap = cap ? 2 * cap : 16;
			if (!(nc = realloc(col, cap * sizeof *col))) {
				rc = fl__error(FL_ENOMEM, "%s: out of memory for the header", s->path);
				goto fail;
			}
			col = nc;
		}
		memset(&col[n], 0, sizeof *col);
		col[n++].name = text;
	}
	if (n == 1 && col[0].name[0] == '\0') {
		rc = fl__error(FL_EFORMAT, "%s: line 1: empty header row", s->path);
		goto fail;
	}
	t->col = col;
	t->cols = n;
	return 0;
fail:
	free(col);
	return rc;
}

static int parse_rows(csv *s, fl_table *t)
{
	size_t nl = 0, max_rows, cells;
	int64_t r = 0;

	/* Every record but the last ends with a newline and every field takes
	 * at least one byte: bound the rows once instead of growing arrays. */
	for (const char *p = s->p; (p = memchr(p, '\n', (size_t)(s->end - p))); p++)
		nl++;
	max_rows = (size_t)(s->end - s->p) / (size_t)t->cols + 1;
	if (nl + 1 < max_rows)
		max_rows = nl + 1;
	if (fl__mul_size(max_rows, (size_t)t->cols, &cells) != 0 ||
	    !(t->row_off = fl__malloc(max_rows * sizeof *t->row_off, s->path)) ||
	    !(t->cell_off = fl__calloc(cells, sizeof *t->cell_off, s->path)))
		return FL_ENOMEM;
	while (!at_end(s)) {
		int64_t line = s->line, nf = 0;
		char *row = s->p, *text;
		int last = 0, rc;

		if ((size_t)r == max_rows)      /* cannot happen: see the bound above */
			return fl__error(FL_EFORMAT, "%s: line %lld: more rows than expected",
					 s->path, (long long)line);
		while (!last) {
			if ((rc = parse_field(s, &text, &last)) != 0)
				return rc;
			if (nf < t->cols) {
				if ((size_t)(text - row) > UINT32_MAX)
					return fl__error(FL_EUNSUP, "%s: line %lld: a row longer than 4 GiB",
							 s->path, (long long)line);
				t->cell_off[(size_t)r * (size_t)t->cols + (size_t)nf] = (uint32_t)(text - row);
			}
			nf++;
		}
		if (nf != t->cols)
			return fl__error(FL_EFORMAT, "%s: line %lld: %lld field%s, header has %lld",
					 s->path, (long long)line, (long long)nf, nf == 1 ? "" : "s",
					 (long long)t->cols);
		t->row_off[r++] = (size_t)(row - t->buf);
	}
	t->rows = r;
	return 0;
}

/* Lines ended by CR alone (classic Mac OS): no LF anywhere, and text after
 * a CR. Read as CSV, the file would be one long header and 0 rows. */
static int cr_only(const char *buf, size_t len)
{
	if (memchr(buf, '\n', len))
		return 0;
	for (size_t i = 0; i + 1 < len; i++)
		if (buf[i] == '\r' && buf[i + 1] != '\r')
			return 1;
	return 0;
}

/* Parse t->buf (len bytes, NUL-terminated) as CSV; `path` names it in messages. */
static int parse_table(fl_table *t, size_t len, const char *path)
{
	csv s;
	const char *nul;

	/* cells are C strings: a NUL byte would silently cut one short */
	if ((nul = memchr(t->buf, '\0', len))) {
		int64_t line = 1;

		for (const char *p = t->buf; p < nul; p++)
			line += *p == '\n';
		return fl__error(FL_EFORMAT, "%s: line %lld: NUL byte (not a text file?)", path,
				 (long long)line);
	}
	if (cr_only(t->buf, len))
		return fl__error(FL_EFORMAT, "%s: lines end with a bare CR (classic Mac OS line ends); "
				 "save it with LF or CRLF line ends", path);
	s.p = t->buf;
	s.end = t->buf + len;
	s.line = 1;
	s.path = path;
	if (len >= 3 && !memcmp(s.p, "\xEF\xBB\xBF", 3))
		s.p += 3;
	{
		int rc;

		if ((rc = parse_header(&s, t)) != 0 || (rc = parse_rows(&s, t)) != 0)
			return rc;
	}
	return fl_io__table_finish(t, path);
}

int fl_table_read_csv(fl_table **out, const char *path)
{
	fl_table *t = NULL;
	size_t len = 0;
	int rc;

	if (!out)
		return fl__error(FL_EINVAL, "%s: nowhere to read the table (out is NULL)",
				 path ? path : "CSV");
	*out = NULL;
	if (!path)
		return fl__error(FL_EINVAL, "no CSV file named (path is NULL)");
	if (!(t = fl__calloc(1, sizeof *t, "table")))
		return FL_ENOMEM;
	t->owns_buf = 1;
	if ((rc = read_file(path, &t->buf, &len)) == 0)
		rc = parse_table(t, len, path);
	if (rc != 0)
		fl_table_free(t);
	else
		*out = t;
	return rc;
}

int fl_table_read_csv_text(fl_table **out, const char *text, size_t len, const char *name)
{
	fl_table *t = NULL;
	int rc;

	if (!name)
		name = "CSV text";
	if (!out)
		return fl__error(FL_EINVAL, "%s: nowhere to read the table (out is NULL)", name);
	*out = NULL;
	if (!text && len)
		return fl__error(FL_EINVAL, "%s: no text (text is NULL)", name);
	if (len == SIZE_MAX)
		return fl__error(FL_ENOMEM, "%s: text too large", name);
	if (!(t = fl__calloc(1, sizeof *t, "table")))
		return FL_ENOMEM;
	t->owns_buf = 1;
	if (!(t->buf = fl__malloc(len + 1, "CSV text")))
		rc = FL_ENOMEM;
	else {
		if (len)
			memcpy(t->buf, text, len);
		t->buf[len] = '\0';
		rc = parse_table(t, len, name);
	}
	if (rc != 0)
		fl_table_free(t);
	else
		*out = t;
	return rc;
}
