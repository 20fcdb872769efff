/*
 * Predicates as JSON: the "predicates" entries of a slice spec
 * (faultline/spec.h), read back by fl_spec_apply.
 */
#include "predicates_internal.h"

#include <math.h>
#include <string.h>

/* a finite number in the fewest digits that round-trip; null otherwise
 * (an open end of a range: the bins that reach +-inf are the end bins) */
void fl_predicates__put_num(fl_strbuf *b, double x)
{
	char num[40];

	if (!isfinite(x)) {
		fl__sb_printf(b, "%s", "null");
		return;
	}
	fl_predicates__fmt(num, sizeof num, x);
	fl__sb_printf(b, "%s", num);
}

/* Well-formed UTF-8 (RFC 3629: shortest forms, no surrogates, <= U+10FFFF). */
static int utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		int len = *s < 0x80 ? 1 : *s >= 0xC2 && *s <= 0xDF ? 2 : *s >= 0xE0 && *s <= 0xEF ? 3 :
			  *s >= 0xF0 && *s <= 0xF4 ? 4 : 0;
		unsigned lo = 0x80, hi = 0xBF;

		if (!len)
			return 0;
		if (*s == 0xE0)
			lo = 0xA0;
		else if (*s == 0xED)
			hi = 0x9F;
		else if (*s == 0xF0)
			lo = 0x90;
		else if (*s == 0xF4)
			hi = 0x8F;
		for (int k = 1; k < len; k++, lo = 0x80, hi = 0xBF)
			if (s[k] < lo || s[k] > hi)
				return 0;
		s += len;
	}
	return 1;
}

/* The string value of "key" (the key already written), and "key_hex":
 * "<bytes>" beside it when the text is not valid UTF-8: JSON cannot carry
 * those bytes as they are, the hex form keeps them exact (fl_spec_apply
 * prefers it). */
static void put_jstr(fl_strbuf *b, const char *key, const char *s)
{
	fl__sb_json_str(b, s);
	if (utf8_valid(s))
		return;
	fl__sb_printf(b, ",\"%s_hex\":\"", key);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fl__sb_printf(b, "%02x", *p);
	fl__sb_printf(b, "%s", "\"");
}

/* a level as a JSON value: true/false for a boolean column, else a string */
static void put_level(fl_strbuf *b, const char *key, const fl_table *t, int64_t col, int32_t code)
{
	if (fl_table_col_type(t, col) == FL_COL_BOOLEAN)
		fl__sb_printf(b, "%s", code ? "true" : "false");
	else
		put_jstr(b, key, fl_table_level(t, col, code));
}

/* The values of a set: "values":[...], and "values_hex":[...] (every
 * value's bytes) when one of them is not UTF-8; a derived column's
 * classes as "classes":[...]. */
static void put_set(fl_strbuf *b, const fl_predicate *p, const fl_table *t, int derived)
{
	int all_utf8 = 1;

	fl__sb_printf(b, "%s", ",\"values\":[");
	for (int32_t k = 0; k < p->n_codes; k++) {
		const char *v = fl_table_level(t, p->column, p->codes[k]);
		if (k)
			fl__sb_printf(b, "%s", ",");
		fl__sb_json_str(b, v);
		all_utf8 &= utf8_valid(v);
	}
	fl__sb_printf(b, "%s", "]");
	if (!all_utf8) {
		fl__sb_printf(b, "%s", ",\"values_hex\":[");
		for (int32_t k = 0; k < p->n_codes; k++) {
			fl__sb_printf(b, "%s\"", k ? "," : "");
			for (const unsigned char *c = (const unsigned char *)fl_table_level(t, p->column,
											 p->codes[k]); *c; c++)
				fl__sb_printf(b, "%02x", *c);
			fl__sb_printf(b, "%s", "\"");
		}
		fl__sb_printf(b, "%s", "]");
	}
	if (derived) {
		fl__sb_printf(b, "%s", ",\"classes\":[");
		for (int32_t k = 0; k < p->n_codes; k++)
			fl__sb_printf(b, "%s%d", k ? "," : "", p->codes[k]);
		fl__sb_printf(b, "%s", "]");
	}
}

void fl_predicates__put_pred(fl_strbuf *b, const fl_predicate *p, const fl_table *t)
{
	const char *derived = fl_table_col_derived(t, p->column);
	fl_coltype type = fl_table_col_type(t, p->column);

	fl__sb_printf(b, "%s", "{\"column\":");
	put_jstr(b, "column", fl_table_col_name(t, p->column));
	/* the true or predicted class: applied to the labels or predictions,
	 * by class number (the level code), whatever names a table gives it */
	if (derived) {
		fl__sb_printf(b, "%s", ",\"derived\":");
		fl__sb_json_str(b, derived);
	}
	if (p->op == FL_PRED_RANGE) {
		fl__sb_printf(b, "%s", ",\"op\":\"in\",\"low\":");
		fl_predicates__put_num(b, p->low);
		fl__sb_printf(b, "%s", ",\"high\":");
		fl_predicates__put_num(b, p->high);
	} else if (p->op == FL_PRED_IN_SET) {
		fl__sb_printf(b, "%s", ",\"op\":\"in_set\"");
		put_set(b, p, t, derived != NULL);
	} else if (p->op == FL_PRED_NE) {
		fl__sb_printf(b, "%s", ",\"op\":\"!=\",\"value\":");
		put_level(b, "value", t, p->column, p->code);
	} else {
		fl__sb_printf(b, "%s", ",\"op\":\"==\",\"value\":");
		if (p->op == FL_PRED_MISSING) {
			fl__sb_printf(b, "%s", "null");
		} else if (type == FL_COL_NUMERIC && isinf(p->low)) {
			/* null would mean missing: +-inf are their own values */
			fl__sb_printf(b, "\"%s\"", p->low > 0 ? "inf" : "-inf");
		} else if (type == FL_COL_NUMERIC) {
			fl_predicates__put_num(b, p->low);
		} else {
			put_level(b, "value", t, p->column, p->code);
		}
	}
	if (derived && (p->op == FL_PRED_EQ || p->op == FL_PRED_NE))
		fl__sb_printf(b, ",\"class\":%d", p->code);
	fl__sb_printf(b, "%s", "}");
}

char *fl_predicates__spec_json(const fl_predicate *const *p, int32_t n, const fl_table *t)
{
	fl_strbuf j = {0};

	fl__sb_printf(&j, "%s", "{\"type\":\"predicates\",\"predicates\":[");
	for (int32_t k = 0; k < n; k++) {
		if (k)
			fl__sb_printf(&j, "%s", ",");
		fl_predicates__put_pred(&j, p[k], t);
	}
	fl__sb_printf(&j, "%s", "]}");
	return fl__sb_finish(&j, "slice spec");
}
