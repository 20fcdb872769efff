/*
 * Saved mixture models: a PCA and a mixture in one .npz archive (a zip of
 * .npy files, stored without compression: PKWARE APPNOTE 6.3, sections
 * 4.3.7, 4.3.12, 4.3.16), which numpy.load reads and fl_array_open reads
 * back. One model serves every slice a view produced; specs name it by
 * file and by a fingerprint of its parameters.
 */
#include "mixture_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

/* config vector: the scalars of a model, as float64 */
enum { CFG_K, CFG_R, CFG_C, CFG_LABELS, CFG_PROBS, CFG_FAILURE, CFG_GAMMA, CFG_GAMMA_HAT,
       CFG_GAMMA_F, CFG_INIT, CFG_D, CFG_LEN };

static void config(double *c, const fl_pca *p, const fl_mixture *m)
{
	c[CFG_K] = m->k;
	c[CFG_R] = (double)p->r;
	c[CFG_C] = m->n_classes;
	c[CFG_LABELS] = m->has_labels;
	c[CFG_PROBS] = m->has_probs;
	c[CFG_FAILURE] = m->failure;
	c[CFG_GAMMA] = m->gamma;
	c[CFG_GAMMA_HAT] = m->gamma_hat;
	c[CFG_GAMMA_F] = m->gamma_f;
	c[CFG_INIT] = m->init;
	c[CFG_D] = (double)p->d;
}

/* ---- fingerprint: FNV-1a 64 over little-endian bytes ------------------- */

static uint64_t fnv_bytes(uint64_t h, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return fnv_bytes(h, b, 8);
}

static uint64_t fnv_f64(uint64_t h, const double *x, int64_t n)
{
	for (int64_t i = 0; x && i < n; i++) {
		uint64_t u;
		memcpy(&u, &x[i], 8);
		h = fnv_u64(h, u);
	}
	return h;
}

static uint64_t fnv_f32(uint64_t h, const float *x, int64_t n)
{
	for (int64_t i = 0; x && i < n; i++) {
		uint32_t u;
		unsigned char b[4];
		memcpy(&u, &x[i], 4);
		for (int q = 0; q < 4; q++)
			b[q] = (unsigned char)(u >> (8 * q));
		h = fnv_bytes(h, b, 4);
	}
	return h;
}

void fl_mixture_model_fingerprint(char hex[17], const fl_pca *p, const fl_mixture *m)
{
	double cfg[CFG_LEN];
	int64_t k = m->k, r = p->r, C = m->n_classes;
	uint64_t h = 0xcbf29ce484222325ULL;

	config(cfg, p, m);
	h = fnv_f64(h, cfg, CFG_LEN);
	h = fnv_f32(h, p->mean, p->d);
	h = fnv_f32(h, p->components, r * p->d);
	h = fnv_f64(h, p->variance, r);
	h = fnv_f64(h, m->weights, k);
	h = fnv_f64(h, m->means, k * r);
	h = fnv_f64(h, m->variances, k * r);
	h = fnv_f64(h, m->floor, r);
	h = fnv_f64(h, m->label_probs, m->has_labels ? k * C : 0);
	h = fnv_f64(h, m->pred_probs, m->has_probs ? k * C : 0);
	h = fnv_f64(h, m->fail_mean, m->failure ? k : 0);
	h = fnv_f64(h, m->fail_var, m->failure == FL_MIXTURE_FAILURE_GAUSSIAN ? k : 0);
	/* the unit of the failure term, when it is not 1 (models saved before
	 * it existed keep their fingerprints) */
	if (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN && m->fail_scale != 1)
		h = fnv_f64(h, &m->fail_scale, 1);
	snprintf(hex, 17, "%016llx", (unsigned long long)h);
}

/* ---- writing ----------------------------------------------------------- */

typedef struct {
	char name[32];
	uint32_t crc, size, offset;
} zentry;

typedef struct {
	FILE *fp;
	uint32_t offset;
	zentry e[16];
	int n;
	int failed;
	int oom; /* failed for want of memory, not of disk */
} zwriter;

static void put16(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b + 2, v >> 16);
}

static void zwrite(zwriter *z, const void *p, size_t n)
{
	if (z->failed)
		return;
	if (fwrite(p, 1, n, z->fp) != n || (uint64_t)z->offset + n > 0xffffffffULL)
		z->failed = 1;
	z->offset += (uint32_t)n;
}

/* one member "<name>.npy": a version 1.0 header (padded to 64 bytes, as
 * numpy writes it) and little-endian data */
static void add_array(zwriter *z, const char *name, const void *data, int f64, int64_t rows,
		      int64_t cols)
{
	char hdr[192];
	unsigned char lh[30], *buf = NULL;
	int64_t count = cols > 0 ? rows * cols : rows, esz = f64 ? 8 : 4;
	int hl;
	size_t total, body;
	zentry *e;

	if (z->failed || z->n >= 16) {
		z->failed = 1;
		return;
	}
	if (cols > 0)
		hl = snprintf(hdr + 10, sizeof hdr - 10, "{'descr': '<%s', 'fortran_order': False, "
			      "'shape': (%lld, %lld), }", f64 ? "f8" : "f4", (long long)rows,
			      (long long)cols);
	else
		hl = snprintf(hdr + 10, sizeof hdr - 10, "{'descr': '<%s', 'fortran_order': False, "
			      "'shape': (%lld,), }", f64 ? "f8" : "f4", (long long)rows);
	while ((10 + hl + 1) % 64)
		hdr[10 + hl++] = ' ';
	hdr[10 + hl++] = '\n';
	memcpy(hdr, "\x93NUMPY\x01\x00", 8);
	put16((unsigned char *)hdr + 8, (uint32_t)hl);
	body = (size_t)(count * esz);
	total = (size_t)(10 + hl) + body;
	if (total > 0xffffffffULL || !(buf = malloc(total ? total : 1))) {
		z->oom = total <= 0xffffffffULL;
		z->failed = 1;
		return;
	}
	memcpy(buf, hdr, (size_t)(10 + hl));
	for (int64_t i = 0; i < count; i++) { /* little-endian whatever the host */
		unsigned char *o = buf + 10 + hl + i * esz;
		uint64_t u = 0;
		if (f64) {
			memcpy(&u, (const double *)data + i, 8);
		} else {
			uint32_t w;
			memcpy(&w, (const float *)data + i, 4);
			u = w;
		}
		for (int q = 0; q < esz; q++)
			o[q] = (unsigned char)(u >> (8 * q));
	}
	e = &z->e[z->n++];
	snprintf(e->name, sizeof e->name, "%s.npy", name);
	e->crc = (uint32_t)crc32(0L, buf, (uInt)total);
	e->size = (uint32_t)total;
	e->offset = z->offset;
	put32(lh, 0x04034b50);
	put16(lh + 4, 20);
	put16(lh + 6, 0);
	put16(lh + 8, 0);  /* stored */
	put16(lh + 10, 0); /* 00:00 */
	put16(lh + 12, 0x21); /* 1980-01-01: the archive does not depend on the clock */
	put32(lh + 14, e->crc);
	put32(lh + 18, e->size);
	put32(lh + 22, e->size);
	put16(lh + 26, (uint32_t)strlen(e->name));
	put16(lh + 28, 0);
	zwrite(z, lh, sizeof lh);
	zwrite(z, e->name, strlen(e->name));
	zwrite(z, buf, total);
	free(buf);
}

static void finish_zip(zwriter *z)
{
	uint32_t cd = z->offset;
	unsigned char b[46], end[22];

	for (int i = 0; i < z->n; i++) {
		const zentry *e = &z->e[i];
		memset(b, 0, sizeof b);
		put32(b, 0x02014b50);
		put16(b + 4, 20);
		put16(b + 6, 20);
		put16(b + 14, 0x21);
		put32(b + 16, e->crc);
		put32(b + 20, e->size);
		put32(b + 24, e->size);
		put16(b + 28, (uint32_t)strlen(e->name));
		put32(b + 42, e->offset);
		zwrite(z, b, sizeof b);
		zwrite(z, e->name, strlen(e->name));
	}
	memset(end, 0, sizeof end);
	put32(end, 0x06054b50);
	put16(end + 8, (uint32_t)z->n);
	put16(end + 10, (uint32_t)z->n);
	put32(end + 12, z->offset - cd);
	put32(end + 16, cd);
	zwrite(z, end, sizeof end);
}

int fl_mixture_model_save(const char *path, const fl_pca *p, const fl_mixture *m)
{
	double cfg[CFG_LEN];
	zwriter z = {0};
	char *tmp = NULL;
	size_t len;
	int64_t k, r, C;
	int rc = 0;

	if (!path || !p || !m || !p->mean || !m->weights || m->d != p->r)
		return fl__error(FL_EINVAL, "fl_mixture_model_save: invalid arguments (mixture "
				 "dimension must equal the PCA's)");
	k = m->k;
	r = p->r;
	C = m->n_classes;
	len = strlen(path) + 16;
	if (!(tmp = fl__malloc(len, "model file name")))
		return FL_ENOMEM;
	{
		int fd = fl__create_temp(tmp, len, path);
		if (fd < 0 || !(z.fp = fdopen(fd, "wb"))) {
			rc = fl__error(FL_EIO, "%s: cannot create a temporary file beside it", path);
			if (fd >= 0) {
				close(fd);
				remove(tmp);
			}
			free(tmp);
			return rc;
		}
	}
	config(cfg, p, m);
	add_array(&z, "config", cfg, 1, CFG_LEN, 0);
	add_array(&z, "pca_mean", p->mean, 0, p->d, 0);
	add_array(&z, "pca_components", p->components, 0, r, p->d);
	add_array(&z, "pca_variance", p->variance, 1, r, 0);
	add_array(&z, "weights", m->weights, 1, k, 0);
	add_array(&z, "means", m->means, 1, k, r);
	add_array(&z, "variances", m->variances, 1, k, r);
	add_array(&z, "floor", m->floor, 1, r, 0);
	if (m->has_labels)
		add_array(&z, "label_probs", m->label_probs, 1, k, C);
	if (m->has_probs)
		add_array(&z, "pred_probs", m->pred_probs, 1, k, C);
	if (m->failure != FL_MIXTURE_FAILURE_NONE)
		add_array(&z, "fail_mean", m->fail_mean, 1, k, 0);
	if (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN) {
		add_array(&z, "fail_var", m->fail_var, 1, k, 0);
		add_array(&z, "fail_scale", &m->fail_scale, 1, 1, 0);
	}
	finish_zip(&z);
	if (fflush(z.fp) != 0 || ferror(z.fp))
		z.failed = 1;
	if (fclose(z.fp) != 0)
		z.failed = 1;
	if (z.oom) {
		remove(tmp);
		rc = fl__error(FL_ENOMEM, "%s: out of memory writing the model", path);
	} else if (z.failed || rename(tmp, path) != 0) {
		remove(tmp);
		rc = fl__error(FL_EIO, "%s: cannot write the model (disk full, or too large?)", path);
	}
	free(tmp);
	return rc;
}

/* ---- reading ----------------------------------------------------------- */

/* a copy of array `key` as doubles (f64 view) or floats, checked to have
 * `rows` x `cols` elements (cols 0: 1-D) */
static int load_array(void *dst, int f64, const char *path, const char *key, int64_t rows,
		      int64_t cols)
{
	fl_array *a = NULL;
	int rc = fl_array_open(&a, path, key);
	int64_t n = rows * (cols > 0 ? cols : 1);

	if (rc)
		return rc;
	if (fl_array_rows(a) != rows || fl_array_cols(a) != (cols > 0 ? cols : 1)) {
		rc = fl__error(FL_EFORMAT, "%s: array %s has shape %lld x %lld, expected %lld x %lld",
			       path, key, (long long)fl_array_rows(a), (long long)fl_array_cols(a),
			       (long long)rows, (long long)(cols > 0 ? cols : 1));
	} else if (f64) {
		const double *v;
		if ((rc = fl_array_f64(a, &v)) == 0)
			memcpy(dst, v, (size_t)n * sizeof(double));
	} else {
		const float *v;
		if ((rc = fl_array_f32(a, &v)) == 0)
			memcpy(dst, v, (size_t)n * sizeof(float));
	}
	fl_array_free(a);
	return rc;
}

int fl_mixture_model_load(fl_pca *p, fl_mixture *m, const char *path)
{
	double cfg[CFG_LEN];
	int64_t k, r, C, d;
	int rc;

	if (!p || !m || !path)
		return fl__error(FL_EINVAL, "fl_mixture_model_load: NULL argument");
	memset(p, 0, sizeof *p);
	memset(m, 0, sizeof *m);
	if ((rc = load_array(cfg, 1, path, "config", CFG_LEN, 0)) != 0)
		return rc;
	k = (int64_t)cfg[CFG_K];
	r = (int64_t)cfg[CFG_R];
	C = (int64_t)cfg[CFG_C];
	d = (int64_t)cfg[CFG_D];
	if (k < 1 || k > 1 << 20 || r < 1 || r > 1 << 20 || d < r || d > 1 << 24 || C < 0 ||
	    C > 1 << 20 || cfg[CFG_FAILURE] < 0 || cfg[CFG_FAILURE] > 2 ||
	    ((cfg[CFG_LABELS] != 0 || cfg[CFG_PROBS] != 0) && C < 2))
		return fl__error(FL_EFORMAT, "%s: inconsistent model configuration", path);
	p->d = d;
	p->r = r;
	m->k = (int32_t)k;
	m->d = r;
	m->n_classes = (int32_t)C;
	m->has_labels = cfg[CFG_LABELS] != 0;
	m->has_probs = cfg[CFG_PROBS] != 0;
	m->failure = (fl_mixture_failure)(int)cfg[CFG_FAILURE];
	m->gamma = cfg[CFG_GAMMA];
	m->gamma_hat = cfg[CFG_GAMMA_HAT];
	m->gamma_f = cfg[CFG_GAMMA_F];
	m->init = (fl_mixture_init)(int)cfg[CFG_INIT];
	p->mean = fl__malloc((size_t)d * sizeof(float), "model");
	p->components = fl__malloc((size_t)(r * d) * sizeof(float), "model");
	p->variance = fl__malloc((size_t)r * sizeof(double), "model");
	m->weights = fl__malloc((size_t)k * sizeof(double), "model");
	m->means = fl__malloc((size_t)(k * r) * sizeof(double), "model");
	m->variances = fl__malloc((size_t)(k * r) * sizeof(double), "model");
	m->floor = fl__malloc((size_t)r * sizeof(double), "model");
	if (m->has_labels)
		m->label_probs = fl__malloc((size_t)(k * C) * sizeof(double), "model");
	if (m->has_probs)
		m->pred_probs = fl__malloc((size_t)(k * C) * sizeof(double), "model");
	if (m->failure)
		m->fail_mean = fl__malloc((size_t)k * sizeof(double), "model");
	if (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN)
		m->fail_var = fl__malloc((size_t)k * sizeof(double), "model");
	if (!p->mean || !p->components || !p->variance || !m->weights || !m->means ||
	    !m->variances || !m->floor || (m->has_labels && !m->label_probs) ||
	    (m->has_probs && !m->pred_probs) || (m->failure && !m->fail_mean) ||
	    (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN && !m->fail_var)) {
		rc = FL_ENOMEM;
		goto fail;
	}
	if ((rc = load_array(p->mean, 0, path, "pca_mean", d, 0)) ||
	    (rc = load_array(p->components, 0, path, "pca_components", r, d)) ||
	    (rc = load_array(p->variance, 1, path, "pca_variance", r, 0)) ||
	    (rc = load_array(m->weights, 1, path, "weights", k, 0)) ||
	    (rc = load_array(m->means, 1, path, "means", k, r)) ||
	    (rc = load_array(m->variances, 1, path, "variances", k, r)) ||
	    (rc = load_array(m->floor, 1, path, "floor", r, 0)) ||
	    (m->has_labels && (rc = load_array(m->label_probs, 1, path, "label_probs", k, C))) ||
	    (m->has_probs && (rc = load_array(m->pred_probs, 1, path, "pred_probs", k, C))) ||
	    (m->failure && (rc = load_array(m->fail_mean, 1, path, "fail_mean", k, 0))) ||
	    (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN &&
	     (rc = load_array(m->fail_var, 1, path, "fail_var", k, 0))))
		goto fail;
	/* fail_scale: absent from models saved before it (then 1) */
	m->fail_scale = 1;
	if (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN &&
	    (rc = load_array(&m->fail_scale, 1, path, "fail_scale", 1, 0)) != 0) {
		if (rc != FL_EINVAL)
			goto fail;
		m->fail_scale = 1;
		rc = 0;
	}
	if (!(m->fail_scale > 0 && m->fail_scale < HUGE_VAL) ||
	    frexp(m->fail_scale, &(int){0}) != 0.5) {
		rc = fl__error(FL_EFORMAT, "%s: fail_scale %g is not a power of two", path,
			       m->fail_scale);
		goto fail;
	}
	for (int64_t i = 0; i < k * r; i++)
		if (!(m->variances[i] > 0 && m->variances[i] < HUGE_VAL) || !isfinite(m->means[i])) {
			rc = fl__error(FL_EFORMAT, "%s: component %lld: a mean is not finite or a "
				       "variance not positive", path, (long long)(i / r));
			goto fail;
		}
	return 0;
fail:
	fl_pca_clear(p);
	fl_mixture_clear(m);
	if (rc == FL_EINVAL) { /* a missing array: the file is not a model */
		char msg[512];
		snprintf(msg, sizeof msg, "%s", fl_last_error());
		rc = fl__error(FL_EFORMAT, "%s: not a faultline mixture model (%s)", path, msg);
	}
	return rc;
}
