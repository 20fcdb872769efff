/*
 * The options of fl_discover as a table: name, type, range, help. Clients
 * (the CLI's parser and --help, the man page, the Python keyword arguments)
 * read names, help and defaults from here, so each default is written once:
 * in FL_DISCOVER_OPTS_INIT.
 */
#include "pipeline_internal.h"
#include "report/report_internal.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define METHODS "mixture,kmeans,direction,predicates"
#define KINDS "error,loss,confidence"
#define LANGUAGES "rich,sliceline"

typedef struct entry {
	fl_option o;
	size_t offset; /* of the field in fl_discover_opts */
	int width;     /* INT: bytes of the field (4 or 8) */
} entry;

#define INT(name, help, zero, lo, hi) \
	{{#name, FL_OPTION_INT, help, NULL, zero, lo, hi}, offsetof(fl_discover_opts, name), \
	 (int)sizeof(((fl_discover_opts *)0)->name)}
#define NUM(name, help, lo, hi) \
	{{#name, FL_OPTION_NUM, help, NULL, NULL, lo, hi}, offsetof(fl_discover_opts, name), 0}
#define BOOL(name, help) \
	{{#name, FL_OPTION_BOOL, help, NULL, NULL, 0, 1}, offsetof(fl_discover_opts, name), 0}
#define STRING(name, help) \
	{{#name, FL_OPTION_STRING, help, NULL, NULL, 0, 0}, offsetof(fl_discover_opts, name), 0}

static const entry table[] = {
	{{"methods", FL_OPTION_SET, "the methods to run (default: every one whose inputs are given)",
	  METHODS, NULL, 0, 0}, offsetof(fl_discover_opts, methods), 0},
	{{"failure_kind", FL_OPTION_CHOICE, "failure from labels + probs",
	  KINDS, NULL, 0, 0}, offsetof(fl_discover_opts, failure_kind), 0},
	INT(top, "slices to report", "all", 0, 100000),
	INT(k, "k-means clusters per view", "automatic", 0, 100000),
	INT(min_size, "smallest slice reported", "automatic", 0, 1e15),
	BOOL(normalize, "L2-normalise embeddings (cosine geometry)"),
	INT(seed, "random seed", NULL, 0, 9007199254740991.0),
	INT(threads, "threads; results do not depend on it", "all cores", 0, 1024),
	NUM(alpha, "predicates: weight of failure against size, in (0, 1]", 0, 1),
	INT(max_level, "predicates: most predicates per slice", NULL, 1, 64),
	NUM(min_support, "predicates: least rows, a count (>= 1) or a fraction", 0, HUGE_VAL),
	INT(bins, "predicates: equal-frequency bins per numeric column", NULL, 2, 256),
	INT(max_set, "predicates: most values in a set 'col in {a, b}', 1 = none", NULL, 1, 64),
	{{"predicate_language", FL_OPTION_CHOICE, "predicates: the language", LANGUAGES, NULL, 0, 0},
	 offsetof(fl_discover_opts, predicate_language), 0},
	BOOL(holdout, "search half the rows, confirm every slice on the other half"),
	STRING(group_column, "metadata column whose equal values stay in one half (not a predicate)"),
	NUM(fdr, "false discovery rate of the confirmation, in (0, 1)", 0, 1),
	INT(components, "mixture: components per view", NULL, 1, 1000),
	INT(pca_dims, "PCA dimensions; a wider view is searched in its PCA", NULL, 1, 4096),
	BOOL(per_class, "direction: one failure direction per true class"),
	BOOL(map, "give the HTML report a 2-D map of the first view"),
	INT(rounds, "searches: again outside the causes found, up to R in all", NULL, 1,
	    FL_REPORT_ROUNDS),
	BOOL(timings, "time each stage: in the report's parameters (and on stderr)"),
};

#define N_TABLE ((int32_t)(sizeof table / sizeof table[0]))

void fl_discover_opts_init(fl_discover_opts *o)
{
	static const fl_discover_opts defaults = FL_DISCOVER_OPTS_INIT;

	*o = defaults;
}

int32_t fl_discover_option_count(void)
{
	return N_TABLE;
}

const fl_option *fl_discover_option(int32_t i)
{
	return i >= 0 && i < N_TABLE ? &table[i].o : NULL;
}

static const entry *find(const char *name)
{
	for (int32_t i = 0; name && i < N_TABLE; i++)
		if (strcmp(table[i].o.name, name) == 0)
			return &table[i];
	return NULL;
}

/* The position of `word` (len bytes) in a comma-separated list, or -1. */
static int choice_index(const char *list, const char *word, size_t len)
{
	for (int i = 0; *list; i++) {
		size_t n = strcspn(list, ",");

		if (n == len && strncmp(list, word, len) == 0)
			return i;
		list += n + (list[n] == ',');
	}
	return -1;
}

/* The number of values of a comma-separated list. */
static int choice_count(const char *list)
{
	int n = 1;

	for (; *list; list++)
		n += *list == ',';
	return n;
}

_Static_assert(sizeof(fl_failure_kind) == sizeof(int), "CHOICE fields are int-sized");

/* An integer or number field: *v within [lo, hi]? NUM ranges are open at 0
 * for alpha and at both ends for fdr; the messages say which. */
static int in_range(const entry *e, double v)
{
	if (e->o.type == FL_OPTION_INT)
		return v == floor(v) && v >= e->o.min && v <= e->o.max;
	if (e->offset == offsetof(fl_discover_opts, alpha))
		return v > 0 && v <= 1;
	if (e->offset == offsetof(fl_discover_opts, fdr))
		return v > 0 && v < 1;
	return v >= e->o.min && v <= e->o.max;
}

static double read_field(const fl_discover_opts *o, const entry *e)
{
	const char *p = (const char *)o + e->offset;

	switch (e->o.type) {
	case FL_OPTION_INT:
		if (e->offset == offsetof(fl_discover_opts, seed))
			return (double)*(const uint64_t *)(const void *)p;
		return e->width == 8 ? (double)*(const int64_t *)(const void *)p
				     : (double)*(const int32_t *)(const void *)p;
	case FL_OPTION_NUM:
		return *(const double *)(const void *)p;
	case FL_OPTION_BOOL:
		return *(const int *)(const void *)p;
	case FL_OPTION_CHOICE: { /* an enum (int-sized) or an int */
		int v;
		memcpy(&v, p, sizeof v);
		return v;
	}
	case FL_OPTION_SET:
		return (double)*(const uint32_t *)(const void *)p;
	case FL_OPTION_STRING: /* not a number: fl_discover_opts_set/_get read it */
		break;
	}
	return 0;
}

static void write_field(fl_discover_opts *o, const entry *e, double v)
{
	char *p = (char *)o + e->offset;

	switch (e->o.type) {
	case FL_OPTION_INT:
		if (e->offset == offsetof(fl_discover_opts, seed))
			*(uint64_t *)(void *)p = (uint64_t)v;
		else if (e->width == 8)
			*(int64_t *)(void *)p = (int64_t)v;
		else
			*(int32_t *)(void *)p = (int32_t)v;
		break;
	case FL_OPTION_NUM:
		*(double *)(void *)p = v;
		break;
	case FL_OPTION_BOOL:
		*(int *)(void *)p = v != 0;
		break;
	case FL_OPTION_CHOICE: {
		int i = (int)v;
		memcpy(p, &i, sizeof i);
		break;
	}
	case FL_OPTION_SET:
		*(uint32_t *)(void *)p = (uint32_t)v;
		break;
	case FL_OPTION_STRING:
		break;
	}
}

/* A text option's field holds the caller's pointer, borrowed, never freed. */
static const char *read_text(const fl_discover_opts *o, const entry *e)
{
	return *(const char *const *)(const void *)((const char *)o + e->offset);
}

/* What an option accepts, for messages. */
static void describe(const entry *e, char *buf, size_t len)
{
	switch (e->o.type) {
	case FL_OPTION_INT:
		snprintf(buf, len, "an integer in [%.15g, %.15g]", e->o.min, e->o.max);
		break;
	case FL_OPTION_NUM: /* "..., in (0, 1]" in the help gives the range */
		if (strstr(e->o.help, ", in "))
			snprintf(buf, len, "a number in %s", strstr(e->o.help, ", in ") + 5);
		else
			snprintf(buf, len, "a number >= %.15g", e->o.min);
		break;
	case FL_OPTION_BOOL:
		snprintf(buf, len, "true or false");
		break;
	case FL_OPTION_CHOICE:
		snprintf(buf, len, "one of %s", e->o.choices);
		break;
	case FL_OPTION_SET:
		snprintf(buf, len, "a comma-separated list of %s", e->o.choices);
		break;
	case FL_OPTION_STRING:
		snprintf(buf, len, "a text");
		break;
	}
}

static int invalid(const entry *e, const char *value)
{
	char what[128];

	describe(e, what, sizeof what);
	return fl__error(FL_EINVAL, "option %s: '%s' is not %s", e->o.name, value, what);
}

int fl_discover_opts_set(fl_discover_opts *o, const char *name, const char *value)
{
	const entry *e = find(name);
	double v = 0;
	char *end;

	if (!o || !value)
		return fl__error(FL_EINVAL, "option %s: no options or no value", name ? name : "(none)");
	if (!e)
		return fl__error(FL_EINVAL, "no option '%s'", name ? name : "(null)");
	switch (e->o.type) {
	case FL_OPTION_INT:
	case FL_OPTION_NUM:
		errno = 0;
		v = strtod(value, &end);
		if (errno || end == value || *end || !in_range(e, v))
			return invalid(e, value);
		break;
	case FL_OPTION_BOOL:
		if (!strcmp(value, "true") || !strcmp(value, "1"))
			v = 1;
		else if (strcmp(value, "false") != 0 && strcmp(value, "0") != 0)
			return invalid(e, value);
		break;
	case FL_OPTION_CHOICE:
		if ((v = choice_index(e->o.choices, value, strlen(value))) < 0)
			return invalid(e, value);
		break;
	case FL_OPTION_SET:
		for (const char *p = value; *p; p += *p == ',') {
			size_t n = strcspn(p, ",");
			int i = choice_index(e->o.choices, p, n);

			if (i < 0)
				return fl__error(FL_EINVAL, "option %s: unknown value '%.*s' (%s)",
						 e->o.name, (int)n, p, e->o.choices);
			v = (double)((uint32_t)v | 1u << i);
			p += n;
		}
		break;
	case FL_OPTION_STRING: /* borrowed: value must outlive the options' use */
		*(const char **)(void *)((char *)o + e->offset) = value[0] ? value : NULL;
		return 0;
	}
	write_field(o, e, v);
	return 0;
}

int fl_discover_opts_get(const fl_discover_opts *o, const char *name, char *buf, size_t len)
{
	const entry *e = find(name);
	double v;
	int n = 0;

	if (!o || !e || !buf || len == 0)
		return fl__error(FL_EINVAL, "no option '%s'", name ? name : "(null)");
	v = read_field(o, e);
	buf[0] = '\0';
	switch (e->o.type) {
	case FL_OPTION_INT:
		n = v == 0 && e->o.zero ? snprintf(buf, len, "%s", e->o.zero)
					: snprintf(buf, len, "%.0f", v);
		break;
	case FL_OPTION_NUM:
		n = snprintf(buf, len, "%.15g", v);
		break;
	case FL_OPTION_BOOL:
		n = snprintf(buf, len, "%s", v != 0 ? "true" : "false");
		break;
	case FL_OPTION_CHOICE: {
		const char *p = e->o.choices;

		for (int i = 0; i < (int)v && *p; i++)
			p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',');
		n = snprintf(buf, len, "%.*s", (int)strcspn(p, ","), p);
		break;
	}
	case FL_OPTION_SET: { /* the chosen names, comma-separated, in buf (no allocation) */
		const char *p = e->o.choices;

		for (int i = 0; *p && n >= 0 && (size_t)n < len; i++) {
			size_t w = strcspn(p, ",");

			if ((uint32_t)v & 1u << i)
				n += snprintf(buf + n, len - (size_t)n, "%s%.*s", n ? "," : "", (int)w, p);
			p += w + (p[w] == ',');
		}
		if (n == 0)
			n = snprintf(buf, len, "automatic");
		break;
	}
	case FL_OPTION_STRING: {
		const char *t = read_text(o, e);

		n = snprintf(buf, len, "%s", t ? t : "");
		break;
	}
	}
	if (n < 0 || (size_t)n >= len)
		return fl__error(FL_EINVAL, "option %s: buffer of %zu bytes too small", name, len);
	return 0;
}

int fl_discover_opts_check(const fl_discover_opts *o)
{
	if (!o || o->version != FL_DISCOVER_OPTS_VERSION)
		return fl__error(FL_EINVAL, "discover options: version %d, this library knows %d",
				 o ? o->version : -1, FL_DISCOVER_OPTS_VERSION);
	for (int32_t i = 0; i < N_TABLE; i++) {
		const entry *e = &table[i];
		double v = read_field(o, e);
		char text[64];

		if (e->o.type == FL_OPTION_INT || e->o.type == FL_OPTION_NUM) {
			/* any 64-bit seed is valid in the struct; as text, up to 2^53 */
			if (in_range(e, v) || e->offset == offsetof(fl_discover_opts, seed))
				continue;
			snprintf(text, sizeof text, "%.15g", v);
			return invalid(e, text);
		}
		if ((e->o.type == FL_OPTION_CHOICE && (v < 0 || v >= choice_count(e->o.choices))) ||
		    (e->o.type == FL_OPTION_SET && (uint32_t)v >> 4)) {
			snprintf(text, sizeof text, "%.0f", v);
			return invalid(e, text);
		}
	}
	if (o->comm && (o->comm->version != FL_COMM_VERSION || o->comm->size < 1 ||
			o->comm->rank < 0 || o->comm->rank >= o->comm->size ||
			!o->comm->allreduce_f64 || !o->comm->allreduce_i64 || !o->comm->broadcast ||
			!o->comm->allgather))
		return fl__error(FL_EINVAL, "option comm: version %d (this library knows %d), "
				 "rank %d of %d, or a function missing", o->comm->version,
				 FL_COMM_VERSION, (int)o->comm->rank, (int)o->comm->size);
	if (o->group_column && o->group_column[0] && !o->holdout)
		return fl__error(FL_EINVAL, "option group_column: groups are kept whole in the halves of "
				 "the holdout, and holdout is false");
	return 0;
}

/* The limits of fl_check as a table, so that a client parses and describes
 * them by name; NaN (unset) is every limit's default. */
typedef struct limit {
	fl_option o;
	size_t offset; /* of the double in fl_check_opts */
} limit;

#define LIMIT(name, help) \
	{{#name, FL_OPTION_NUM, help, NULL, NULL, 0, HUGE_VAL}, offsetof(fl_check_opts, name)}

static const limit limits[] = {
	LIMIT(max_failure_rate, "FAIL a slice whose failure rate exceeds X"),
	LIMIT(max_lift, "FAIL a slice whose lift exceeds Y"),
	LIMIT(max_regression, "FAIL a slice whose failure rate rose by more than Z"),
	LIMIT(max_overall_failure, "FAIL when the overall failure rate exceeds X"),
	LIMIT(max_overall_regression, "FAIL when the overall failure rate rose by more than Z"),
};

#define N_LIMITS ((int32_t)(sizeof limits / sizeof limits[0]))

int32_t fl_check_option_count(void)
{
	return N_LIMITS;
}

const fl_option *fl_check_option(int32_t i)
{
	return i >= 0 && i < N_LIMITS ? &limits[i].o : NULL;
}

int fl_check_opts_set(fl_check_opts *o, const char *name, const char *value)
{
	char *end;
	double v;

	for (int32_t i = 0; o && name && value && i < N_LIMITS; i++) {
		if (strcmp(limits[i].o.name, name) != 0)
			continue;
		errno = 0;
		v = strtod(value, &end);
		/* max_lift compares with a ratio: 0 would fail every slice */
		if (errno || end == value || *end || !isfinite(v) || v < 0 ||
		    (v == 0 && limits[i].offset == offsetof(fl_check_opts, max_lift)))
			return fl__error(FL_EINVAL, "option %s: '%s' is not a number >= 0%s", name, value,
					 limits[i].offset == offsetof(fl_check_opts, max_lift) ?
					 " (> 0)" : "");
		*(double *)(void *)((char *)o + limits[i].offset) = v;
		return 0;
	}
	return fl__error(FL_EINVAL, "no check option '%s'", name ? name : "(null)");
}
