/*
 * .npy files: the header parser, for a mapped .npy file (open.c) and for
 * the members of an .npz archive (npz.c).
 *
 * Format (numpy/lib/format.py, NEP 1): "\x93NUMPY", major, minor, a header
 * length (uint16 LE in 1.0, uint32 LE in 2.0/3.0), then a Python dict
 * literal {'descr': '<f4', 'fortran_order': False, 'shape': (n, d)} padded
 * with spaces and '\n' so the data start on a 64-byte boundary; 3.0 only
 * changes the header's encoding to UTF-8.
 */
#include "io/io_internal.h"

#include <stdio.h>
#include <string.h>

#define MAX_DIMS 32

typedef struct npy_hdr {
	const char *descr;      /* NULL for a structured (list) descr */
	size_t descr_len;
	int fortran;
	int ndim;
	uint64_t dims[MAX_DIMS];
	unsigned seen;          /* bit 0 descr, 1 fortran_order, 2 shape */
} npy_hdr;

int fl_io__host_little(void)
{
	const uint16_t one = 1;
	unsigned char b;

	memcpy(&b, &one, 1);
	return b == 1;
}

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A quoted Python string without escapes or control characters. */
static int parse_string(const char **pp, const char *e, const char **s, size_t *n)
{
	const char *p = *pp;
	char q;

	if (p >= e || (*p != '\'' && *p != '"'))
		return -1;
	q = *p++;
	*s = p;
	while (p < e && *p != q) {
		if (*p == '\\' || (unsigned char)*p < 0x20)
			return -1;
		p++;
	}
	if (p >= e)
		return -1;
	*n = (size_t)(p - *s);
	*pp = p + 1;
	return 0;
}

/* "(3, 4)", "(3,)", "()", with Python 2's "3L" accepted. */
static int parse_shape(const char **pp, const char *e, npy_hdr *h)
{
	const char *p = *pp;

	if (p >= e || *p++ != '(')
		return -1;
	for (;;) {
		uint64_t v = 0;

		p = skip_ws(p, e);
		if (p < e && *p == ')')
			break;
		if (p >= e || *p < '0' || *p > '9')
			return -1;
		for (; p < e && *p >= '0' && *p <= '9'; p++) {
			unsigned d = (unsigned)(*p - '0');

			if (v > ((uint64_t)INT64_MAX - d) / 10)
				return -2;
			v = v * 10 + d;
		}
		if (p < e && *p == 'L')
			p++;
		if (h->ndim == MAX_DIMS)
			return -2;
		h->dims[h->ndim++] = v;
		p = skip_ws(p, e);
		if (p < e && *p == ',')
			p++;
		else if (p >= e || *p != ')')
			return -1;
	}
	*pp = p + 1;
	return 0;
}

static int parse_dict(const char *name, const char *p, const char *e, npy_hdr *h)
{
	static const char *const keys[] = {"descr", "fortran_order", "shape"};

	p = skip_ws(p, e);
	if (p >= e || *p++ != '{')
		return fl__error(FL_EFORMAT, "%s: header is not a Python dict literal", name);
	for (;;) {
		const char *k;
		size_t kn;
		int i, r = 0;

		p = skip_ws(p, e);
		if (p < e && *p == '}') {
			p++;
			break;
		}
		if (parse_string(&p, e, &k, &kn) != 0)
			return fl__error(FL_EFORMAT, "%s: header dict: expected a quoted key", name);
		for (i = 0; i < 3 && !(strlen(keys[i]) == kn && !memcmp(keys[i], k, kn)); i++)
			;
		if (i == 3)
			return fl__error(FL_EFORMAT, "%s: header dict: unexpected key '%.*s'",
					 name, (int)(kn > 40 ? 40 : kn), k);
		if (h->seen & (1u << i))
			return fl__error(FL_EFORMAT, "%s: header dict: duplicate key '%s'", name, keys[i]);
		h->seen |= 1u << i;
		p = skip_ws(p, e);
		if (p >= e || *p++ != ':')
			return fl__error(FL_EFORMAT, "%s: header dict: expected ':' after '%s'", name, keys[i]);
		p = skip_ws(p, e);
		if (i == 0 && p < e && (*p == '[' || *p == '{'))
			return fl__error(FL_EUNSUP, "%s: structured dtype (a record array) is not supported; "
					 "save each field as its own array", name);
		if (i == 0)
			r = parse_string(&p, e, &h->descr, &h->descr_len);
		else if (i == 1 && e - p >= 4 && !memcmp(p, "True", 4))
			h->fortran = 1, p += 4;
		else if (i == 1 && e - p >= 5 && !memcmp(p, "False", 5))
			h->fortran = 0, p += 5;
		else if (i == 1)
			r = -1;
		else
			r = parse_shape(&p, e, h);
		if (r == -2)
			return fl__error(FL_EFORMAT, "%s: header dict: shape has a dimension above 2^63 "
					 "or more than %d dimensions", name, MAX_DIMS);
		if (r != 0)
			return fl__error(FL_EFORMAT, "%s: header dict: bad value for '%s'", name, keys[i]);
		p = skip_ws(p, e);
		if (p < e && *p == ',')
			p++;
		else if (p >= e || *p != '}')
			return fl__error(FL_EFORMAT, "%s: header dict: expected ',' or '}' after '%s'",
					 name, keys[i]);
	}
	if (skip_ws(p, e) != e)
		return fl__error(FL_EFORMAT, "%s: junk after the header dict", name);
	for (int i = 0; i < 3; i++)
		if (!(h->seen & (1u << i)))
			return fl__error(FL_EFORMAT, "%s: header dict lacks '%s'", name, keys[i]);
	return 0;
}

/* '<f4' -> FL_DT_F32 etc. Sets *big for explicitly big-endian data. */
static int parse_descr(fl_array *a, const npy_hdr *h, int *big)
{
	const char *s = h->descr;
	size_t n = h->descr_len;
	char order = '=', kind;
	unsigned size = 0;
	int len = (int)(n > 32 ? 32 : n);

	if (n > 0 && s[0] && strchr("<>|=", s[0]))
		order = s[0], s++, n--;
	if (n == 0)
		goto bad;
	kind = s[0];
	for (size_t i = 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || size > 1000)
			goto bad;
		size = size * 10 + (unsigned)(s[i] - '0');
	}
	if (n == 1 && kind == '?')
		kind = 'b', size = 1;
	*big = order == '>' || (order != '<' && !fl_io__host_little());
	a->itemsize = size;
	if (kind == 'b' && size == 1)
		a->dtype = FL_DT_BOOL;
	else if ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8))
		a->dtype = (kind == 'i' ? FL_DT_I8 : FL_DT_U8) + (size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3);
	else if (kind == 'f' && (size == 2 || size == 4 || size == 8))
		a->dtype = size == 2 ? FL_DT_F16 : size == 4 ? FL_DT_F32 : FL_DT_F64;
	else if (kind == 'f' && (size == 12 || size == 16))
		return fl__error(FL_EUNSUP, "%s: dtype '%.*s' (long double) is not supported",
				 a->name, len, h->descr);
	else if (kind == 'c')
		return fl__error(FL_EUNSUP, "%s: dtype '%.*s' (complex) is not supported",
				 a->name, len, h->descr);
	else if (kind && strchr("OUSaVMm", kind))
		return fl__error(FL_EUNSUP, "%s: dtype '%.*s' (object, string or datetime) is not "
				 "supported; only bool, integer and float arrays", a->name, len, h->descr);
	else
		goto bad;
	return 0;
bad:
	return fl__error(FL_EFORMAT, "%s: bad dtype '%.*s' in header", a->name, len, h->descr);
}

static void format_shape(char *buf, size_t n, const npy_hdr *h)
{
	size_t k = (size_t)snprintf(buf, n, "(");

	for (int i = 0; i < h->ndim && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%llu", i ? ", " : "",
				      (unsigned long long)h->dims[i]);
	if (k < n)
		snprintf(buf + k, n - k, h->ndim == 1 ? ",)" : ")");
}

int fl_io__npy_parse(fl_array *a, const unsigned char *buf, size_t len)
{
	npy_hdr h;
	size_t pre, hlen, count, bytes, left;
	char shape[96];
	int big = 0, rc;

	memset(&h, 0, sizeof h);
	if (len < 6 || memcmp(buf, "\x93NUMPY", 6) != 0)
		return fl__error(FL_EFORMAT, "%s: not a .npy file (bad magic)", a->name);
	if (len < 10)
		return fl__error(FL_EFORMAT, "%s: truncated header (%zu bytes)", a->name, len);
	if (buf[6] == 1) {
		pre = 10;
		hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
	} else if ((buf[6] == 2 || buf[6] == 3) && len >= 12) {
		pre = 12;
		hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
		       (size_t)buf[11] << 24;
	} else if (buf[6] == 2 || buf[6] == 3) {
		return fl__error(FL_EFORMAT, "%s: truncated header (%zu bytes)", a->name, len);
	} else {
		return fl__error(FL_EUNSUP, "%s: .npy version %d.%d is not supported (1.0, 2.0, 3.0 are)",
				 a->name, buf[6], buf[7]);
	}
	if (hlen > len - pre)
		return fl__error(FL_EFORMAT, "%s: truncated header: it claims %zu bytes, file has %zu",
				 a->name, hlen, len - pre);
	rc = parse_dict(a->name, (const char *)buf + pre, (const char *)buf + pre + hlen, &h);
	if (rc == 0)
		rc = parse_descr(a, &h, &big);
	if (rc != 0)
		return rc;
	format_shape(shape, sizeof shape, &h);
	if (h.ndim > 2)
		return fl__error(FL_EUNSUP, "%s: %d-D array %s; only 1-D and 2-D arrays are supported",
				 a->name, h.ndim, shape);
	a->ndim = 1;
	a->rows = h.ndim > 0 ? (int64_t)h.dims[0] : 1;
	a->cols = h.ndim == 2 ? (int64_t)h.dims[1] : 1;
	if (h.ndim == 2)
		a->ndim = 2;
	/* Overflow and size are checked before anything trusts the shape. */
	if ((uint64_t)a->rows > SIZE_MAX || (uint64_t)a->cols > SIZE_MAX ||
	    fl__mul_size((size_t)a->rows, (size_t)a->cols, &count) != 0 ||
	    fl__mul_size(count, a->itemsize, &bytes) != 0 || count > INT64_MAX)
		return fl__error(FL_EFORMAT, "%s: shape %s %s overflows the address space",
				 a->name, shape, fl_dtype_name(a->dtype));
	left = len - pre - hlen;
	if (bytes > left)
		return fl__error(FL_EFORMAT, "%s: truncated: shape %s %s needs %zu bytes, "
				 "file has %zu after the header",
				 a->name, shape, fl_dtype_name(a->dtype), bytes, left);
	a->swap = a->itemsize > 1 && big == fl_io__host_little();
	a->fortran = h.fortran && a->rows > 1 && a->cols > 1;
	a->data = buf + pre + hlen;
	return 0;
}
