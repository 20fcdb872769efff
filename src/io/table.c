/*
 * Column types of a CSV table and its accessors. A column is numeric when
 * every non-missing cell parses fully as a C-locale double (an all-missing
 * column too), boolean when every one is a true/false word, otherwise
 * categorical, with codes in order of first appearance found through an
 * open-addressing hash table (memory linear in the distinct values).
 */
#include "io/io_internal.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct slot {
	uint32_t hash, idx1;        /* idx1: level index + 1, 0 = empty */
} slot;

typedef struct strset {
	slot *slot;
	size_t mask;
	const char **str;
	size_t n, cap;
} strset;

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;      /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Find `s` in the set, adding it when absent (*added = 1). Returns its
 * index or -1 when out of memory. */
static int64_t strset_put(strset *set, const char *s, int *added)
{
	uint32_t h = hash_str(s);
	size_t i;

	*added = 0;
	if (set->n + 1 > (set->mask + 1) / 2) {        /* keep the load <= 1/2 */
		size_t size = set->mask ? 2 * (set->mask + 1) : 64;
		slot *ns = calloc(size, sizeof *ns);

		if (!ns)
			return -1;
		for (size_t k = 0; k <= set->mask && set->slot; k++)
			if (set->slot[k].idx1) {
				for (i = set->slot[k].hash & (size - 1); ns[i].idx1; i = (i + 1) & (size - 1))
					;
				ns[i] = set->slot[k];
			}
		free(set->slot);
		set->slot = ns;
		set->mask = size - 1;
	}
	for (i = h & set->mask; set->slot[i].idx1; i = (i + 1) & set->mask)
		if (set->slot[i].hash == h && !strcmp(set->str[set->slot[i].idx1 - 1], s))
			return set->slot[i].idx1 - 1;
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 16;
		const char **ns = set->n < INT32_MAX ? realloc(set->str, cap * sizeof *ns) : NULL;

		if (!ns)
			return -1;
		set->str = ns;
		set->cap = cap;
	}
	set->str[set->n] = s;
	set->slot[i].hash = h;
	set->slot[i].idx1 = (uint32_t)++set->n;
	*added = 1;
	return (int64_t)set->n - 1;
}

static int lower_eq(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n && word[i]; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]) != word[i])
			return 0;
	return i == n && !word[i];
}

/* The cell without surrounding spaces and tabs, as (start, length). */
static const char *trim(const char *s, size_t *n)
{
	size_t k;

	while (*s == ' ' || *s == '\t')
		s++;
	for (k = strlen(s); k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'); k--)
		;
	*n = k;
	return s;
}

static int is_missing(const char *s)
{
	static const char *const words[] = {"", "na", "n/a", "nan", "null", "none"};
	size_t n;

	s = trim(s, &n);
	if (n > 4)
		return 0;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (lower_eq(s, n, words[i]))
			return 1;
	return 0;
}

/* 1 true, 0 false, -1 not a boolean word. 0/1 stay numeric. */
static int bool_word(const char *s)
{
	static const char *const yes[] = {"true", "yes", "t", "y"}, *const no[] = {"false", "no", "f", "n"};
	size_t n;

	s = trim(s, &n);
	if (n > 5)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (lower_eq(s, n, yes[i]))
			return 1;
		if (lower_eq(s, n, no[i]))
			return 0;
	}
	return -1;
}

/* strtod in the C locale (set by the caller), spaces around allowed, the
 * whole cell consumed. Hex ("0x1A") is refused: such columns are ids. */
static int parse_number(const char *s, double *v)
{
	const char *q = s;
	char *end;

	while (*q == ' ' || *q == '\t')
		q++;
	if (*q == '+' || *q == '-')
		q++;
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
		return 0;
	*v = strtod(s, &end);
	if (end == s)
		return 0;
	while (*end == ' ' || *end == '\t')
		end++;
	return *end == '\0';
}

static const char *cell(const fl_table *t, int64_t r, int64_t c)
{
	return t->buf + t->row_off[r] + t->cell_off[(size_t)r * (size_t)t->cols + (size_t)c];
}

static int infer_column(fl_table *t, int64_t c, const char *path)
{
	fl_table_col *col = &t->col[c];
	int all_num = 1, all_bool = 1, added;
	strset set = {0};
	int rc = 0;

	if (!(col->num = fl__malloc((size_t)t->rows * sizeof *col->num, path)))
		return FL_ENOMEM;
	for (int64_t r = 0; r < t->rows && (all_num || all_bool); r++) {
		const char *s = cell(t, r, c);

		col->num[r] = NAN;
		if (is_missing(s))
			continue;
		if (all_num && !parse_number(s, &col->num[r]))
			all_num = 0;
		if (all_bool && bool_word(s) < 0)
			all_bool = 0;
	}
	if (all_num) {
		col->type = FL_COL_NUMERIC;
		for (int64_t r = 0; r < t->rows; r++)
			col->missing += isnan(col->num[r]) != 0;
		return 0;
	}
	free(col->num);
	col->num = NULL;
	col->type = all_bool ? FL_COL_BOOLEAN : FL_COL_CATEGORICAL;
	col->nlevels = all_bool ? 2 : 0;
	if (!(col->codes = fl__malloc((size_t)t->rows * sizeof *col->codes, path)))
		return FL_ENOMEM;
	for (int64_t r = 0; r < t->rows; r++) {
		const char *s = cell(t, r, c);
		int64_t code;

		if (is_missing(s))
			code = -1;
		else if (all_bool)
			code = bool_word(s);
		else if ((code = strset_put(&set, s, &added)) < 0) {
			rc = fl__error(FL_ENOMEM, "%s: column '%s': out of memory for its levels",
				       path, col->name);
			break;
		}
		col->missing += code < 0;
		col->codes[r] = (int32_t)code;
	}
	free(set.slot);
	col->levels = set.str;
	col->nlevels = all_bool ? 2 : (int32_t)set.n;
	return rc;
}

int fl_io__table_finish(fl_table *t, const char *path)
{
	strset names = {0};
	locale_t c_locale, old = (locale_t)0;
	int rc = 0, added;

	for (int64_t c = 0; c < t->cols && rc == 0; c++) {
		if (strset_put(&names, t->col[c].name, &added) < 0)
			rc = fl__error(FL_ENOMEM, "%s: out of memory checking the header", path);
		else if (!added)
			rc = fl__error(FL_EFORMAT, "%s: line 1: duplicate column name '%.60s'",
				       path, t->col[c].name);
	}
	free(names.slot);
	free(names.str);
	/* strtod follows LC_NUMERIC; switch this thread alone to "C" rather
	 * than ever calling setlocale. Without a C locale object (out of
	 * memory) the current one is used. */
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c_locale)
		old = uselocale(c_locale);
	for (int64_t c = 0; c < t->cols && rc == 0; c++)
		rc = infer_column(t, c, path);
	if (c_locale) {
		uselocale(old);
		freelocale(c_locale);
	}
	return rc;
}

void fl_table_free(fl_table *t)
{
	if (!t)
		return;
	for (int64_t c = 0; c < t->cols && t->col; c++) {
		if (!t->col[c].borrowed) {
			free(t->col[c].num);
			free(t->col[c].codes);
			free(t->col[c].levels);
		}
		free(t->col[c].text);
	}
	free(t->col);
	free(t->row_off);
	free(t->cell_off);
	if (t->owns_buf)
		free(t->buf);
	fl_table_free(t->head_owned);
	free(t);
}

/* Rows[0, m) of column `from` into `to`: its own values and level list,
 * the level texts shared with `from`. */
static int subset_col(fl_table_col *to, const fl_table_col *from, const int64_t *rows, int64_t m)
{
	*to = *from;
	to->num = NULL;
	to->codes = NULL;
	to->levels = NULL;
	to->text = NULL;
	to->borrowed = 0;
	to->missing = 0;
	if (from->levels) {
		if (!(to->levels = fl__malloc((size_t)from->nlevels * sizeof *to->levels, "levels")))
			return FL_ENOMEM;
		memcpy(to->levels, from->levels, (size_t)from->nlevels * sizeof *to->levels);
	}
	if (from->num && !(to->num = fl__malloc((size_t)(m ? m : 1) * sizeof *to->num, "column")))
		return FL_ENOMEM;
	if (from->codes && !(to->codes = fl__malloc((size_t)(m ? m : 1) * sizeof *to->codes, "column")))
		return FL_ENOMEM;
	for (int64_t i = 0; i < m; i++) {
		if (to->num) {
			to->num[i] = from->num[rows[i]];
			to->missing += isnan(to->num[i]);
		}
		if (to->codes) {
			to->codes[i] = from->codes[rows[i]];
			to->missing += to->codes[i] < 0 && !to->num;
		}
	}
	return FL_OK;
}

int fl_table_subset(fl_table **out, const fl_table *t, const int64_t *rows, int64_t m)
{
	fl_table *s;
	size_t cols = (size_t)t->cols;
	int rc;

	*out = NULL;
	for (int64_t i = 0; i < m; i++)
		if (rows[i] < 0 || rows[i] >= t->rows)
			return fl__error(FL_EINVAL, "row %lld is not one of the table's %lld",
					 (long long)rows[i], (long long)t->rows);
	if (!(s = fl__calloc(1, sizeof *s, "table subset")))
		return FL_ENOMEM;
	s->rows = m;
	s->cols = t->cols;
	if (!(s->col = fl__calloc(cols ? cols : 1, sizeof *s->col, "table subset")))
		goto nomem;
	if (t->head) {
		/* a column added or replaced: the head's rows first, its other
		 * columns borrowed from that subset */
		if ((rc = fl_table_subset(&s->head_owned, t->head, rows, m)) != 0) {
			fl_table_free(s);
			return rc;
		}
		s->head = s->head_owned;
		for (size_t c = 0; c < cols; c++)
			if (t->col[c].borrowed) {
				s->col[c] = s->head->col[c];
				s->col[c].text = NULL;
				s->col[c].borrowed = 1;
			}
	} else if (t->buf) {
		s->buf = t->buf;
		s->row_off = fl__malloc((size_t)(m ? m : 1) * sizeof *s->row_off, "table subset");
		s->cell_off = fl__malloc((size_t)(m ? m : 1) * cols * sizeof *s->cell_off, "table subset");
		if (!s->row_off || !s->cell_off)
			goto nomem;
		for (int64_t i = 0; i < m; i++) {
			s->row_off[i] = t->row_off[rows[i]];
			memcpy(s->cell_off + (size_t)i * cols, t->cell_off + (size_t)rows[i] * cols,
			       cols * sizeof *s->cell_off);
		}
	}
	for (size_t c = 0; c < cols; c++)
		if (!t->col[c].borrowed && subset_col(&s->col[c], &t->col[c], rows, m) != 0)
			goto nomem;
	*out = s;
	return FL_OK;
nomem:
	fl_table_free(s);
	return FL_ENOMEM;
}

int fl_table_with_categorical(fl_table **out, const fl_table *t, int64_t at, const char *name,
			      const char *derived, const int32_t *codes, int64_t rows,
			      const char *const *levels, int32_t nlevels)
{
	fl_table *s = NULL;
	fl_table_col *col;
	int64_t head_cols = t ? t->cols : 0, same;
	size_t bytes, pos;
	char *text;

	if (!out)
		return fl__error(FL_EINVAL, "no place for the table (out is NULL)");
	*out = NULL;
	if (!name || !name[0] || (rows > 0 && !codes) || rows < 0 || nlevels < 0 ||
	    (nlevels > 0 && !levels) || (t && rows != t->rows) || at < 0 || at > head_cols)
		return fl__error(FL_EINVAL, "column '%.60s': a name, a position in [0, %lld], %lld "
				 "codes (the table has %lld rows) and the levels are needed",
				 name ? name : "(null)", (long long)head_cols, (long long)rows,
				 (long long)(t ? t->rows : rows));
	if ((same = fl_table_find(t, name)) >= 0 && same != at)
		return fl__error(FL_EINVAL, "column '%.60s': the table has one of that name", name);
	bytes = strlen(name) + 1 + (derived ? strlen(derived) + 1 : 0);
	for (int32_t k = 0; k < nlevels; k++) {
		if (!levels[k])
			return fl__error(FL_EINVAL, "column '%.60s': level %d has no text", name, k);
		bytes += strlen(levels[k]) + 1;
	}
	for (int64_t r = 0; r < rows; r++)
		if (codes[r] < -1 || codes[r] >= nlevels)
			return fl__error(FL_EINVAL, "column '%.60s': row %lld has code %d, not in "
					 "[-1, %d)", name, (long long)r, codes[r], nlevels);
	if (!(s = fl__calloc(1, sizeof *s, "table")) ||
	    !(s->col = fl__calloc((size_t)head_cols + 1, sizeof *s->col, "table")))
		goto nomem;
	s->head = t;
	s->rows = rows;
	s->cols = head_cols + (at == head_cols);
	for (int64_t c = 0; c < head_cols; c++) {
		s->col[c] = t->col[c];
		s->col[c].text = NULL;
		s->col[c].borrowed = 1;
	}
	col = &s->col[at];
	memset(col, 0, sizeof *col);
	col->type = FL_COL_CATEGORICAL;
	col->nlevels = nlevels;
	if (!(col->text = text = fl__malloc(bytes, "column")) ||
	    !(col->codes = fl__malloc((size_t)(rows ? rows : 1) * sizeof *col->codes, "column")) ||
	    !(col->levels = fl__malloc((size_t)(nlevels ? nlevels : 1) * sizeof *col->levels, "column")))
		goto nomem;
	pos = 0;
	col->name = memcpy(text, name, strlen(name) + 1);
	pos += strlen(name) + 1;
	if (derived) {
		col->derived = memcpy(text + pos, derived, strlen(derived) + 1);
		pos += strlen(derived) + 1;
	}
	for (int32_t k = 0; k < nlevels; k++) {
		col->levels[k] = memcpy(text + pos, levels[k], strlen(levels[k]) + 1);
		pos += strlen(levels[k]) + 1;
	}
	for (int64_t r = 0; r < rows; r++) {
		col->codes[r] = codes[r];
		col->missing += codes[r] < 0;
	}
	*out = s;
	return FL_OK;
nomem:
	fl_table_free(s);
	return FL_ENOMEM;
}

static const fl_table_col *get_col(const fl_table *t, int64_t c)
{
	return t && c >= 0 && c < t->cols ? &t->col[c] : NULL;
}

int64_t fl_table_rows(const fl_table *t) { return t ? t->rows : 0; }
int64_t fl_table_cols(const fl_table *t) { return t ? t->cols : 0; }

const char *fl_table_col_name(const fl_table *t, int64_t c)
{
	const fl_table_col *col = get_col(t, c);

	return col ? col->name : NULL;
}

fl_coltype fl_table_col_type(const fl_table *t, int64_t c)
{
	const fl_table_col *col = get_col(t, c);

	return col ? col->type : FL_COL_NUMERIC;
}

int64_t fl_table_find(const fl_table *t, const char *name)
{
	for (int64_t c = 0; t && name && c < t->cols; c++)
		if (!strcmp(t->col[c].name, name))
			return c;
	return -1;
}

int64_t fl_table_missing(const fl_table *t, int64_t c)
{
	const fl_table_col *col = get_col(t, c);

	return col ? col->missing : 0;
}

const double *fl_table_numeric(const fl_table *t, int64_t c)
{
	const fl_table_col *col = get_col(t, c);

	return col ? col->num : NULL;
}

const int32_t *fl_table_codes(const fl_table *t, int64_t c)
{
	const fl_table_col *col = get_col(t, c);

	return col ? col->codes : NULL;
}

int32_t fl_table_nlevels(const fl_table *t, int64_t c)
{
	const fl_table_col *col = get_col(t, c);

	return col ? col->nlevels : 0;
}

const char *fl_table_level(const fl_table *t, int64_t c, int32_t code)
{
	const fl_table_col *col = get_col(t, c);

	if (!col || code < 0 || code >= col->nlevels)
		return NULL;
	if (col->type == FL_COL_BOOLEAN)
		return code ? "true" : "false";
	return col->levels[code];
}

const char *fl_table_cell(const fl_table *t, int64_t r, int64_t c)
{
	const fl_table_col *col = get_col(t, c);

	if (!col || r < 0 || r >= t->rows)
		return NULL;
	if (t->head && col->borrowed)
		return fl_table_cell(t->head, r, c);
	if (!t->buf) /* an added column (or a subset of one): its level */
		return col->codes && col->codes[r] >= 0 ? fl_table_level(t, c, col->codes[r]) : "";
	return cell(t, r, c);
}

const fl_table *fl_table_base(const fl_table *t)
{
	while (t && t->head)
		t = t->head;
	return t;
}

const char *fl_table_col_derived(const fl_table *t, int64_t c)
{
	const fl_table_col *col = get_col(t, c);

	return col ? col->derived : NULL;
}
