/*
 * Strings from the user's data made inert for the outputs: UTF-8 decoding
 * that never trusts its input (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), text for a terminal with every control
 * character visible, and the JSON string literal every writer uses. A
 * metadata value may hold any bytes: an ESC would drive the terminal that
 * prints the table, and one invalid byte makes a JSON file unreadable to a
 * strict parser (Python's json.load).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

size_t fl__utf8_next(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c = p[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		goto bad;
	for (size_t k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80) /* also stops at the NUL */
			goto bad;
		c = c << 6 | (p[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return len;
bad:
	*cp = FL_UTF8_BAD;
	return 1;
}

int fl__utf8_control(uint32_t c)
{
	return c == FL_UTF8_BAD || c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

size_t fl__inert(char *out, size_t n, const char *s)
{
	size_t k = 0;

	for (const char *p = s ? s : ""; *p && n > 0;) {
		uint32_t c;
		size_t len = fl__utf8_next(p, &c), need;
		int esc = fl__utf8_control(c);

		need = esc ? 4 * len : len;
		if (k + need >= n) /* only whole characters and whole escapes */
			break;
		for (size_t j = 0; j < len; j++, k += esc ? 4 : 1)
			if (esc)
				snprintf(out + k, 5, "\\x%02x", (unsigned char)p[j]);
			else
				out[k] = p[j];
		p += len;
	}
	if (n > 0)
		out[k] = '\0';
	return k;
}

void fl__json_str(const char *s, void (*put)(void *ctx, const char *text, size_t len), void *ctx)
{
	put(ctx, "\"", 1);
	for (const char *p = s ? s : ""; *p;) {
		uint32_t c;
		size_t len = fl__utf8_next(p, &c);
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c;
			put(ctx, esc, 2);
		} else if (c == '\n' || c == '\r' || c == '\t') {
			esc[0] = '\\', esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			put(ctx, esc, 2);
		} else if (c == FL_UTF8_BAD) {
			put(ctx, "\\ufffd", 6); /* U+FFFD REPLACEMENT CHARACTER */
		} else if (fl__utf8_control(c)) {
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
			put(ctx, esc, 6);
		} else {
			put(ctx, p, len);
		}
		p += len;
	}
	put(ctx, "\"", 1);
}

int fl__utf8_same(const char *raw, const char *clean)
{
	const char *p = raw ? raw : "", *q = clean ? clean : "";

	while (*p) {
		uint32_t c;
		size_t len = fl__utf8_next(p, &c);

		if (c == FL_UTF8_BAD) {
			if (strncmp(q, "\xef\xbf\xbd", 3) != 0)
				return 0;
			q += 3;
		} else {
			if (strncmp(q, p, len) != 0)
				return 0;
			q += len;
		}
		p += len;
	}
	return *q == '\0';
}
