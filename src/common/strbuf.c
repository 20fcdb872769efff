/* A growing string, for the JSON specs that methods write; a string's copy. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fl__sb_printf(fl_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->oom)
		return;
	for (;;) {
		size_t cap;
		char *t;

		va_start(ap, fmt);
		k = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = 1;
			return;
		}
		if (b->s && b->len + (size_t)k < b->cap) {
			b->len += (size_t)k;
			return;
		}
		cap = (b->cap ? 2 * b->cap : 256) + (size_t)k;
		if (!(t = realloc(b->s, cap))) {
			b->oom = 1;
			return;
		}
		b->s = t;
		b->cap = cap;
	}
}

static void sb_put(void *ctx, const char *text, size_t len)
{
	fl__sb_printf(ctx, "%.*s", (int)len, text);
}

void fl__sb_json_str(fl_strbuf *b, const char *s)
{
	fl__json_str(s, sb_put, b);
}

char *fl__sb_finish(fl_strbuf *b, const char *what)
{
	if (b->oom || !b->s) {
		free(b->s);
		fl__error(FL_ENOMEM, "out of memory: %s", what);
		return NULL;
	}
	return b->s;
}

char *fl__strdup(const char *s)
{
	size_t len = s ? strlen(s) + 1 : 0;
	char *p = s ? fl__malloc(len, "a string") : NULL;

	if (p)
		memcpy(p, s, len);
	return p;
}
