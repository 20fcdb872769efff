/* realpath is XSI; SIGXFSZ too */
#define _XOPEN_SOURCE 700
/* Table-driven option parsing, --help, and the CLI's error and progress output. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The rank mpirun (or srun) started this process as, before MPI_Init:
 * 0 when not started so. */
static int launched_rank(void)
{
	static const char *const names[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (getenv(names[i]))
			return atoi(getenv(names[i]));
	return 0;
}

/* Every rank reads the same arguments and finds the same fault: rank 0
 * says it, once. */
int usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	if (launched_rank() > 0)
		return EXIT_USAGE;
	fputs("faultline: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'faultline%s%s --help'.\n", verb ? " " : "", verb ? verb : "");
	return EXIT_USAGE;
}

int cli_rank, cli_ranks = 1;

/* The line is written whole, in one call: under mpirun the ranks' lines
 * and mpirun's own messages share one stream, and a line written in
 * pieces came out split by another rank's (tests/mpi/ranks.sh). */
int fail(int code, const char *fmt, ...)
{
	char line[4096];
	int at = snprintf(line, sizeof line, "faultline: ");
	va_list ap;

	if (cli_ranks > 1)
		at += snprintf(line + at, sizeof line - (size_t)at, "rank %d of %d: ", cli_rank,
			       cli_ranks);
	va_start(ap, fmt);
	vsnprintf(line + at, sizeof line - (size_t)at, fmt, ap);
	va_end(ap);
	at = (int)strlen(line);
	if (at < (int)sizeof line - 1)
		line[at++] = '\n';
	else /* a longer message is cut; its line still ends */
		line[at - 1] = '\n';
	fwrite(line, 1, (size_t)at, stderr);
	return code;
}

int exit_for_input(int rc)
{
	return rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_INPUT;
}

/* Set by `faultline man`: --help prints a man-page (roff) section instead,
 * under the verb's summary. */
int help_as_man;
const char *man_summary;
int help_as_completion;

/* roff text: '-' and '\\' escaped (a line never starts with '.' here). */
static void roff(const char *s)
{
	for (; *s; s++)
		fputs(*s == '-' ? "\\-" : *s == '\\' ? "\\e" : (char[2]){*s, 0}, stdout);
}

/* A row's help: its own, or the library option's with its default. */
static void row_help(const opt *o, char *buf, size_t len)
{
	const fl_option *lo = NULL;
	fl_discover_opts defaults;
	char dflt[128], choices[128];

	fl_discover_opts_init(&defaults);
	for (int32_t i = 0; o->kind == OPT_LIMIT && i < fl_check_option_count(); i++)
		if (strcmp(fl_check_option(i)->name, o->lib) == 0) {
			snprintf(buf, len, "%s", fl_check_option(i)->help);
			return;
		}
	for (int32_t i = 0; o->lib && i < fl_discover_option_count(); i++)
		if (strcmp(fl_discover_option(i)->name, o->lib) == 0)
			lo = fl_discover_option(i);
	if (o->help && strstr(o->help, "(default)") && (o->kind == OPT_INT || o->kind == OPT_NUM)) {
		/* "(default)": the target's value before parsing, the library's default */
		int at = (int)(strstr(o->help, "(default)") - o->help);

		if (o->kind == OPT_INT)
			snprintf(buf, len, "%.*s(default %lld)", at, o->help, (long long)*(int64_t *)o->target);
		else
			snprintf(buf, len, "%.*s(default %.15g)", at, o->help, *(double *)o->target);
		return;
	}
	if (o->help || !lo) {
		snprintf(buf, len, "%s", o->help ? o->help : "");
		return;
	}
	fl_discover_opts_get(&defaults, lo->name, dflt, sizeof dflt);
	snprintf(choices, sizeof choices, "%s", lo->choices ? lo->choices : "");
	for (char *c = strchr(choices, ','); c; c = strchr(c + 1, ','))
		*c = '/';
	switch (lo->type) {
	case FL_OPTION_BOOL:
	case FL_OPTION_STRING: /* off by default */
		snprintf(buf, len, "%s", lo->help);
		break;
	case FL_OPTION_CHOICE:
		snprintf(buf, len, "%s: %s (default %s)", lo->help, choices, dflt);
		break;
	case FL_OPTION_SET:
		snprintf(buf, len, "%s; repeatable: %s", lo->help, choices);
		break;
	default:
		snprintf(buf, len, "%s (default %s)", lo->help, dflt);
	}
}

/* `faultline completion bash`: a verb's case in the script's function. */
static void print_completion(const opt *table, const char *verb)
{
	printf("\t%s)\n\t\topts=\"", verb);
	for (const opt *o = table; o->name; o++)
		printf("--%s ", o->name);
	printf("--help\"\n\t\tcase $prev in\n");
	for (const opt *o = table; o->name; o++)
		for (int32_t i = 0; o->lib && o->kind != OPT_LIBFLAG && i < fl_discover_option_count(); i++) {
			const fl_option *lo = fl_discover_option(i);

			if (strcmp(lo->name, o->lib) || !lo->choices)
				continue;
			printf("\t\t--%s) words=\"", o->name);
			for (const char *c = lo->choices; *c; c++)
				putchar(*c == ',' ? ' ' : *c);
			printf("\" ;;\n");
		}
	printf("\t\tesac ;;\n");
}

static void print_help(const opt *table, const char *verb, const char *usage)
{
	char help[512];

	if (help_as_completion) {
		print_completion(table, verb);
		return;
	}
	if (help_as_man) {
		printf(".SS \"faultline %s\"\n.B faultline %s\n", verb, verb);
		roff(usage);
		printf("\n.PP\n");
		roff(man_summary ? man_summary : "");
		printf(".\n");
	} else {
		printf("usage: faultline %s %s\n\noptions:\n", verb, usage);
	}
	for (const opt *o = table; o->name; o++) {
		char left[64];

		snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		row_help(o, help, sizeof help);
		if (help_as_man) {
			printf(".TP\n.B ");
			roff(left);
			printf("\n");
			roff(help);
			printf("\n");
		} else {
			printf("  %-26s %s\n", left, help);
		}
	}
	if (!help_as_man)
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
	case OPT_LIB:
	case OPT_LIMIT:
		if ((o->kind == OPT_LIB ? fl_discover_opts_set(o->target, o->lib, val) :
		     fl_check_opts_set(o->target, o->lib, val)) != 0) {
			const char *msg = fl_last_error(), *colon = strstr(msg, ": ");

			/* "option alpha: '1.5' is not ..." -> "--alpha: '1.5' is not ..." */
			return usage_error(verb, "--%s: %s", o->name,
					   strncmp(msg, "option ", 7) == 0 && colon ? colon + 2 : msg);
		}
		return 0;
	case OPT_FLAG:
	case OPT_LIBFLAG:
		break;
	}
	return usage_error(verb, "--%s takes no value", o->name);
}

/* Edits (insert, delete, change, swap two neighbours) from a[0..la) to b. */
static size_t edits(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), d[3][64], *prev2 = d[0], *prev = d[1], *cur = d[2];

	if (la >= 64 || lb >= 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *t = prev2;

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t v = prev[j - 1] + (a[i - 1] != b[j - 1]);

			v = prev[j] + 1 < v ? prev[j] + 1 : v;
			v = cur[j - 1] + 1 < v ? cur[j - 1] + 1 : v;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		prev2 = prev, prev = cur, cur = t;
	}
	return prev[lb];
}

const char *nearest(const char *typed, size_t len, const char *const *names, size_t stride)
{
	const char *best = NULL;
	size_t best_d = (len < 6 ? 1 : 2) + 1; /* the most edits still a typo, plus one */

	for (; *names; names = (const void *)((const char *)names + stride)) {
		/* a prefix of 3 or more letters (--thumb) counts as one edit */
		size_t d = len >= 3 && strncmp(*names, typed, len) == 0 ? 1 : edits(typed, len, *names);

		if (d < best_d)
			best = *names, best_d = d;
	}
	return best;
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
		if (!o->name) {
			const char *near = nearest(arg, len, &table->name, sizeof *table);

			return near ? usage_error(verb, "unknown option '--%.*s'; did you mean '--%s'?",
						  (int)len, arg, near)
				    : usage_error(verb, "unknown option '--%.*s'", (int)len, arg);
		}
		if (o->kind == OPT_FLAG || o->kind == OPT_LIBFLAG) {
			if (eq)
				return usage_error(verb, "--%s takes no value", o->name);
			if (o->kind == OPT_FLAG)
				*(int *)o->target = 1;
			else
				fl_discover_opts_set(o->target, o->lib,
						     strncmp(o->name, "no-", 3) ? "true" : "false");
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
static volatile sig_atomic_t caught; /* the signal that asked to stop, or 0 */

/* The first SIGINT or SIGTERM asks the library to stop (it returns
 * FL_ECANCELED and nothing is written); a second one ends the process. */
static void on_signal(int sig)
{
	caught = sig;
	signal(sig, SIG_DFL);
}

int progress_cancelled(void)
{
	return caught ? 128 + caught : 0;
}

void note_cb(void *user, const char *message)
{
	if (!user || !*(const int *)user)
		fprintf(stderr, "faultline: note: %s\n", message);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_init(int quiet)
{
	progress_on = !quiet && isatty(STDERR_FILENO);
	progress_last = now();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* past `ulimit -f` a write fails (EFBIG, reported) instead of killing us
	 * with temporary files left behind */
	signal(SIGXFSZ, SIG_IGN);
}

/* Redrawn at most 5 times a second; the first second stays quiet so short
 * runs print nothing. */
int progress_cb(void *user, const char *stage, int64_t done, int64_t total)
{
	static double start;
	double t;

	(void)user;
	if (caught)
		return 1;
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
