/*
 * Saved mixture models: a PCA and a mixture in one .npz archive (a zip of
 * .npy files, stored without compression: PKWARE APPNOTE 6.3, sections
 * 4.3.7, 4.3.12, 4.3.16), which numpy.load reads and fl_array_open reads
 * back. One model serves every slice a view produced; specs name it by
 * file and by a fingerprint of its parameters.
 */
#include "mixture_internal.h"

#include <float.h>
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
		return fl__error(FL_EINVAL, "%s: the mixture's dimension is not the PCA's: not saved",
				 path ? path : "model file");
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

/* A model file may be hand-edited or corrupt: every size it declares is
 * trusted only once the arrays in it have that shape (so nothing is
 * allocated from the config alone), and every value fl_mixture_predict
 * turns into a float32 coefficient (fl_mixture__ctx_load, em.c) must fit a
 * float there, so that a model that loads gives finite responsibilities
 * for finite rows instead of undefined conversions and NaN. */

#define LOG_2PI 1.8378770664093453

static int fits_float(double v)
{
	return isfinite(v) && fabs(v) <= FLT_MAX;
}

/* config value i as an integer in [lo, hi] (lo >= 0), else -1 */
static int64_t cfg_int(const double *cfg, int i, int64_t lo, int64_t hi)
{
	double v = cfg[i];

	return v >= (double)lo && v <= (double)hi && v == floor(v) ? (int64_t)v : -1;
}

/* Array `key`, checked to have rows x cols elements (cols 0: 1-D), copied
 * into *out (doubles when f64, else floats), owned by the caller. */
static int load_array(void **out, int f64, const char *path, const char *key, int64_t rows,
		      int64_t cols)
{
	fl_array *a = NULL;
	const double *vd = NULL;
	const float *vf = NULL;
	size_t bytes;
	int rc = fl_array_open(&a, path, key);

	*out = NULL;
	if (rc)
		return rc;
	if (fl_array_rows(a) != rows || fl_array_cols(a) != (cols > 0 ? cols : 1)) {
		rc = fl__error(FL_EFORMAT, "%s: array %s has shape %lld x %lld, expected %lld x %lld",
			       path, key, (long long)fl_array_rows(a), (long long)fl_array_cols(a),
			       (long long)rows, (long long)(cols > 0 ? cols : 1));
	} else if ((rc = f64 ? fl_array_f64(a, &vd) : fl_array_f32(a, &vf)) == 0) {
		/* the view exists, so its byte size fits a size_t */
		bytes = (size_t)rows * (size_t)(cols > 0 ? cols : 1) * (f64 ? sizeof *vd : sizeof *vf);
		if (!(*out = fl__malloc(bytes ? bytes : 1, "model")))
			rc = FL_ENOMEM;
		else
			memcpy(*out, f64 ? (const void *)vd : (const void *)vf, bytes);
	}
	fl_array_free(a);
	return rc;
}

static int all_finite_f32(const float *x, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return 0;
	return 1;
}

/* What is wrong with the loaded values, or NULL. */
static const char *check_values(const fl_pca *p, const fl_mixture *m)
{
	int64_t k = m->k, r = p->r, C = m->n_classes;
	double sum = 0;

	if (!all_finite_f32(p->mean, p->d) || !all_finite_f32(p->components, r * p->d))
		return "the PCA mean or components are not finite";
	for (int64_t j = 0; j < r; j++)
		if (!(p->variance[j] >= 0 && p->variance[j] < HUGE_VAL) ||
		    !(m->floor[j] >= 0 && m->floor[j] < HUGE_VAL))
			return "a PCA variance or a variance floor is negative or not finite";
	for (int64_t s = 0; s < k; s++) {
		double w = m->weights[s], cs = 0;

		if (!(w >= 0 && w <= 1))
			return "a component weight is not in [0, 1]";
		sum += w;
		for (int64_t j = 0; j < r; j++) {
			double mu = m->means[s * r + j], v = m->variances[s * r + j];

			if (!(v > 0 && v < HUGE_VAL) || !isfinite(mu))
				return "a mean is not finite or a variance not positive";
			if (!fits_float(mu / v) || !fits_float(0.5 / v))
				return "a mean or a variance is out of the float32 range";
			cs += mu * mu / v + log(v) + LOG_2PI;
		}
		if (w > 0 && !fits_float(log(w) - 0.5 * cs))
			return "a component's normalising constant is out of the float32 range";
		for (int64_t c = 0; c < C && m->has_labels; c++) {
			double q = m->label_probs[s * C + c];
			if (!(q > 0 && q <= 1) || !fits_float(m->gamma * log(q)))
				return "a label probability is not in (0, 1]";
		}
		for (int64_t c = 0; c < C && m->has_probs; c++) {
			double q = m->pred_probs[s * C + c];
			if (!(q >= FLT_MIN && q <= 1))
				return "a prediction probability is not in (0, 1]";
		}
		if (m->failure == FL_MIXTURE_FAILURE_BERNOULLI) {
			double q = m->fail_mean[s];
			if (!(q > 0 && q < 1) || !fits_float(m->gamma_f * log(q)) ||
			    !fits_float(m->gamma_f * log1p(-q)))
				return "a failure probability is not in (0, 1)";
		} else if (m->failure == FL_MIXTURE_FAILURE_GAUSSIAN) {
			double v = m->fail_var[s];
			int e;

			if (!(m->fail_scale > 0 && m->fail_scale < HUGE_VAL) ||
			    frexp(m->fail_scale, &e) != 0.5)
				return "fail_scale is not a power of two";
			if (!fits_float(m->fail_mean[s]) || !(v > 0 && v < HUGE_VAL) ||
			    !fits_float(-0.5 * m->gamma_f / v) ||
			    !fits_float(-0.5 * m->gamma_f * (log(v) + LOG_2PI)))
				return "a failure mean or variance is out of range";
		}
	}
	if (!(fabs(sum - 1) <= 1e-6))
		return "the component weights do not sum to 1";
	return NULL;
}

int fl_mixture_model_load(fl_pca *p, fl_mixture *m, const char *path)
{
	double *cfg = NULL;
	void *arr[11] = {NULL}, *cfg_buf;
	int64_t k, r, C, d, labels, probs, failure, init;
	const char *bad;
	int rc;

	if (!p || !m || !path)
		return fl__error(FL_EINVAL, "no model file or no place to load it (a NULL argument)");
	memset(p, 0, sizeof *p);
	memset(m, 0, sizeof *m);
	if ((rc = load_array(&cfg_buf, 1, path, "config", CFG_LEN, 0)) != 0)
		goto fail;
	cfg = cfg_buf;
	k = cfg_int(cfg, CFG_K, 1, 1 << 20);
	r = cfg_int(cfg, CFG_R, 1, 1 << 20);
	C = cfg_int(cfg, CFG_C, 0, 1 << 20);
	d = cfg_int(cfg, CFG_D, 1, 1 << 24);
	labels = cfg_int(cfg, CFG_LABELS, 0, 1);
	probs = cfg_int(cfg, CFG_PROBS, 0, 1);
	failure = cfg_int(cfg, CFG_FAILURE, 0, 2);
	init = cfg_int(cfg, CFG_INIT, 0, 1);
	if (k < 0 || r < 0 || C < 0 || d < r || labels < 0 || probs < 0 || failure < 0 ||
	    init < 0 || ((labels || probs) && C < 2) ||
	    !(cfg[CFG_GAMMA] >= 0 && cfg[CFG_GAMMA] < HUGE_VAL) ||
	    !(cfg[CFG_GAMMA_HAT] >= 0 && cfg[CFG_GAMMA_HAT] < HUGE_VAL) ||
	    !(cfg[CFG_GAMMA_F] >= 0 && cfg[CFG_GAMMA_F] < HUGE_VAL)) {
		rc = fl__error(FL_EFORMAT, "%s: inconsistent model configuration", path);
		goto fail;
	}
	{
		const struct { const char *key; int f64, want; int64_t rows, cols; } a[11] = {
			{"pca_mean", 0, 1, d, 0}, {"pca_components", 0, 1, r, d},
			{"pca_variance", 1, 1, r, 0}, {"weights", 1, 1, k, 0}, {"means", 1, 1, k, r},
			{"variances", 1, 1, k, r}, {"floor", 1, 1, r, 0},
			{"label_probs", 1, labels != 0, k, C}, {"pred_probs", 1, probs != 0, k, C},
			{"fail_mean", 1, failure != 0, k, 0},
			{"fail_var", 1, failure == FL_MIXTURE_FAILURE_GAUSSIAN, k, 0}};

		for (int i = 0; i < 11; i++)
			if (a[i].want && (rc = load_array(&arr[i], a[i].f64, path, a[i].key, a[i].rows,
							  a[i].cols)) != 0)
				goto fail;
	}
	p->d = d;
	p->r = r;
	p->mean = arr[0];
	p->components = arr[1];
	p->variance = arr[2];
	m->k = (int32_t)k;
	m->d = r;
	m->n_classes = (int32_t)C;
	m->has_labels = labels != 0;
	m->has_probs = probs != 0;
	m->failure = (fl_mixture_failure)failure;
	m->gamma = cfg[CFG_GAMMA];
	m->gamma_hat = cfg[CFG_GAMMA_HAT];
	m->gamma_f = cfg[CFG_GAMMA_F];
	m->init = (fl_mixture_init)init;
	m->weights = arr[3];
	m->means = arr[4];
	m->variances = arr[5];
	m->floor = arr[6];
	m->label_probs = arr[7];
	m->pred_probs = arr[8];
	m->fail_mean = arr[9];
	m->fail_var = arr[10];
	memset(arr, 0, sizeof arr); /* owned by p and m now */
	/* fail_scale: absent from models saved before it (then 1) */
	m->fail_scale = 1;
	if (failure == FL_MIXTURE_FAILURE_GAUSSIAN) {
		void *fs = NULL;

		if ((rc = load_array(&fs, 1, path, "fail_scale", 1, 0)) == 0)
			m->fail_scale = *(const double *)fs;
		free(fs);
		if (rc != 0 && rc != FL_EINVAL)
			goto fail;
		rc = 0;
	}
	if ((bad = check_values(p, m)) != NULL) {
		rc = fl__error(FL_EFORMAT, "%s: not a valid mixture model: %s", path, bad);
		goto fail;
	}
	free(cfg);
	return 0;
fail:
	free(cfg);
	for (int i = 0; i < 11; i++)
		free(arr[i]);
	fl_pca_clear(p);
	fl_mixture_clear(m);
	if (rc == FL_EINVAL) { /* a missing array: the file is not a model */
		char msg[512];
		snprintf(msg, sizeof msg, "%s", fl_last_error());
		rc = fl__error(FL_EFORMAT, "%s: not a faultline mixture model (%s)", path, msg);
	}
	return rc;
}
