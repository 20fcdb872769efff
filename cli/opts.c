/* Table-driven option parsing, --help, and the CLI's error and progress output. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fputs("faultline: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'faultline%s%s --help'.\n", verb ? " " : "", verb ? verb : "");
	return EXIT_USAGE;
}

int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("faultline: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int exit_for_input(int rc)
{
	return rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_INPUT;
}

static void print_help(const opt *table, const char *verb, const char *usage)
{
	printf("usage: faultline %s %s\n\noptions:\n", verb, usage);
	for (const opt *o = table; o->name; o++) {
		char left[64];

		snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		printf("  %-26s %s\n", left, o->help);
	}
	printf("  %-26s %s\n", "--help", "show this help and exit");
}

static int set_value(const opt *o, const char *verb, const char *val)
{
	char *end;

	switch (o->kind) {
	case OPT_STR:
		*(const char **)o->target = val;
		return 0;
	case OPT_LIST: {
		opt_list *l = o->target;

		if (l->n == OPT_LIST_MAX)
			return usage_error(verb, "--%s given more than %d times", o->name, OPT_LIST_MAX);
		l->items[l->n++] = val;
		return 0;
	}
	case OPT_INT: {
		long long v;

		errno = 0;
		v = strtoll(val, &end, 10);
		if (errno || end == val || *end)
			return usage_error(verb, "--%s expects an integer, got '%s'", o->name, val);
		*(int64_t *)o->target = v;
		return 0;
	}
	case OPT_NUM: {
		double v;

		errno = 0;
		v = strtod(val, &end);
		if (errno || end == val || *end)
			return usage_error(verb, "--%s expects a number, got '%s'", o->name, val);
		*(double *)o->target = v;
		return 0;
	}
	case OPT_FLAG:
		break;
	}
	return usage_error(verb, "--%s takes no value", o->name);
}

int opts_parse(const opt *table, int argc, char **argv, const char *verb,
	       const char *usage, opt_list *positional)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq, *val = NULL;
		const opt *o;
		size_t len;

		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			if (!positional || positional->n == OPT_LIST_MAX)
				return usage_error(verb, "unexpected argument '%s'", arg);
			positional->items[positional->n++] = arg;
			continue;
		}
		arg += 2;
		if (strcmp(arg, "help") == 0) {
			print_help(table, verb, usage);
			return -1;
		}
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		for (o = table; o->name; o++)
			if (strlen(o->name) == len && strncmp(o->name, arg, len) == 0)
				break;
		if (!o->name)
			return usage_error(verb, "unknown option '--%.*s'", (int)len, arg);
		if (o->kind == OPT_FLAG) {
			if (eq)
				return usage_error(verb, "--%s takes no value", o->name);
			*(int *)o->target = 1;
			continue;
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return usage_error(verb, "--%s needs a value (%s)", o->name, o->metavar);
		if (set_value(o, verb, val))
			return EXIT_USAGE;
	}
	return 0;
}

/* ---- progress ----------------------------------------------------------- */

static int progress_on;
static double progress_last;
static int progress_dirty;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_init(int quiet)
{
	progress_on = !quiet && isatty(STDERR_FILENO);
	progress_last = now();
}

/* Redrawn at most 5 times a second; the first second stays quiet so short
 * runs print nothing. */
int progress_cb(void *user, const char *stage, int64_t done, int64_t total)
{
	static double start;
	double t;

	(void)user;
	if (!progress_on)
		return 0;
	t = now();
	if (start == 0)
		start = t;
	if (t - start < 1.0 || (t - progress_last < 0.2 && done < total))
		return 0;
	progress_last = t;
	progress_dirty = 1;
	if (total > 0)
		fprintf(stderr, "\r\033[K%s: %3.0f%% (%lld/%lld)", stage,
			100.0 * (double)done / (double)total, (long long)done, (long long)total);
	else
		fprintf(stderr, "\r\033[K%s...", stage);
	return 0;
}

void progress_done(void)
{
	if (progress_dirty)
		fputs("\r\033[K", stderr);
	progress_dirty = 0;
}
