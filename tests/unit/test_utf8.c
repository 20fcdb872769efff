/* Inert output of strings from the data (common/utf8.c): the UTF-8 decoder
 * against RFC 3629's table of ill-formed sequences, and on random bytes:
 * the terminal text and the JSON literal hold no control character and are
 * valid UTF-8, the terminal text cut short is a prefix ending between whole
 * escapes, and fl__utf8_same recognises the JSON writers' reading. */
#include "common/internal.h"
#include "check.h"

#include <string.h>

static void decodes(const char *s, uint32_t cp, size_t len)
{
	uint32_t got;

	CHECK_EQ_INT(fl__utf8_next(s, &got), len);
	CHECK_EQ_INT(got, cp);
}

/* Every character of s valid and no control character, by the decoder. */
static int clean(const char *s)
{
	uint32_t c;

	for (; *s; s += fl__utf8_next(s, &c))
		if (fl__utf8_next(s, &c) && fl__utf8_control(c))
			return 0;
	return 1;
}

static void test_decoder(void)
{
	decodes("A", 'A', 1);
	decodes("\xc3\xa9", 0xe9, 2);
	decodes("\xe2\x82\xac", 0x20ac, 3);
	decodes("\xf0\x9f\x98\x80", 0x1f600, 4);
	decodes("\xc2\x9b", 0x9b, 2);             /* C1 CSI: valid, a control */
	decodes("\xc0\x80", FL_UTF8_BAD, 1);      /* overlong NUL */
	decodes("\xe0\x80\x80", FL_UTF8_BAD, 1);  /* overlong */
	decodes("\xed\xa0\x80", FL_UTF8_BAD, 1);  /* a surrogate */
	decodes("\xf4\x90\x80\x80", FL_UTF8_BAD, 1); /* above U+10FFFF */
	decodes("\xc3", FL_UTF8_BAD, 1);          /* cut short by the NUL */
	decodes("\x80", FL_UTF8_BAD, 1);          /* a stray continuation */
	decodes("\xff", FL_UTF8_BAD, 1);
	CHECK(fl__utf8_control(0x1b) && fl__utf8_control(0x7f) && fl__utf8_control(0x9b) &&
	      fl__utf8_control(FL_UTF8_BAD) && !fl__utf8_control(' ') && !fl__utf8_control(0xa0));
}

static void test_examples(void)
{
	char buf[64];
	fl_strbuf b = {0};

	fl__inert(buf, sizeof buf, "a\x1b[2J\xff\xc3\xa9\x7f");
	CHECK(!strcmp(buf, "a\\x1b[2J\\xff\xc3\xa9\\x7f"));
	fl__sb_json_str(&b, "a\"\\\n\x1b\x7f\xc2\x9b\xff\xc3\xa9");
	CHECK(b.s && !strcmp(b.s, "\"a\\\"\\\\\\n\\u001b\\u007f\\u009b\\ufffd\xc3\xa9\""));
	free(b.s);
	CHECK(fl__utf8_same("n\xffx", "n\xef\xbf\xbdx"));
	CHECK(!fl__utf8_same("n\xffx", "nx"));
	CHECK(!fl__utf8_same("nx", "nx!"));
	CHECK(fl__utf8_same("", ""));
	/* messages are inert too: one line, controls shown */
	fl__error(FL_EINVAL, "column %s: bad", "a\x1b]0;t\x07\nb");
	CHECK(!strcmp(fl_last_error(), "column a\\x1b]0;t\\x07\\x0ab: bad"));
}

static void test_random(uint64_t seed)
{
	static const unsigned char pool[] = {'a', 'z', '"', '\\', '\n', 0x1b, 0x07, 0x7f, 0x80,
					     0x9b, 0xbf, 0xc2, 0xc3, 0xe2, 0x82, 0xed, 0xa0, 0xf0, 0x9f,
					     0xf4, 0x90, 0xff};
	uint64_t st = seed;

	for (int t = 0; t < 2000; t++) {
		char raw[24], full[4 * sizeof raw + 1], cut[sizeof full], *fixed;
		size_t n = (size_t)(check_rand(&st) % (sizeof raw - 1)), len;
		fl_strbuf js = {0}, sb = {0};

		for (size_t k = 0; k < n; k++)
			raw[k] = (char)pool[check_rand(&st) % sizeof pool];
		raw[n] = '\0';
		len = fl__inert(full, sizeof full, raw);
		CHECK(len == strlen(full) && clean(full));
		for (size_t m = 1; m <= len + 1; m++) { /* cut: whole characters of raw */
			size_t k = fl__inert(cut, m, raw), j = 0;
			int whole = 0;

			CHECK(k < m && !strncmp(cut, full, k));
			for (uint32_t c; !whole; j += fl__utf8_next(raw + j, &c)) {
				char head[sizeof raw], text[sizeof full];

				memcpy(head, raw, j);
				head[j] = '\0';
				fl__inert(text, sizeof text, head);
				whole = !strcmp(text, cut);
				if (!raw[j])
					break;
			}
			CHECK(whole);
		}
		fl__sb_json_str(&js, raw);
		CHECK(js.s && clean(js.s));
		/* the writers' reading: each invalid byte as U+FFFD */
		fl__sb_printf(&sb, "%s", "");
		for (const char *p = raw; *p;) {
			uint32_t c;
			size_t l = fl__utf8_next(p, &c);

			fl__sb_printf(&sb, "%.*s", c == FL_UTF8_BAD ? 3 : (int)l,
				      c == FL_UTF8_BAD ? "\xef\xbf\xbd" : p);
			p += l;
		}
		fixed = fl__sb_finish(&sb, "test");
		CHECK(fixed && fl__utf8_same(raw, fixed));
		if (fixed && *fixed) {
			fixed[strlen(fixed) - 1] ^= 1;
			CHECK(!fl__utf8_same(raw, fixed));
		}
		free(js.s);
		free(fixed);
	}
}

int main(void)
{
	uint64_t seed = check_seed(5);

	test_decoder();
	test_examples();
	test_random(seed);
	return check_done();
}
