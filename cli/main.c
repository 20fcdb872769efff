/* faultline: the command-line front end. Dispatches verbs from one table. */
#include "cli.h"

#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} verb;

static const verb verbs[] = {
	{"discover", cmd_discover, "find the slices where a model fails systematically"},
	{"apply", cmd_apply, "re-measure a saved report's slices on new data"},
	{"check", cmd_check, "judge a saved report's slices on new data (for CI)"},
	{"report", cmd_report, "render a saved report again: table, HTML page, JSON"},
	{"compare", cmd_compare, "where a candidate model regressed against a base, and improved"},
	{"synth", cmd_synth, "write a synthetic evaluation set with planted failing slices"},
	{"man", cmd_man, "print the manual page (roff)"},
	{"completion", cmd_completion, "print a bash completion script: source <(faultline completion bash)"},
	{NULL, NULL, NULL}
};


/* The man page: every verb's --help as a section, so they cannot disagree. */
int cmd_man(int argc, char **argv)
{
	char help[] = "--help";
	char *args[] = {help, NULL};

	(void)argv;
	if (argc > 0)
		return usage_error("man", "takes no arguments");
	printf(".TH FAULTLINE 1 \"\" \"faultline %s\" \"User Commands\"\n"
	       ".SH NAME\nfaultline \\- find where a trained model fails systematically\n"
	       ".SH SYNOPSIS\n.B faultline\n.I verb\n[options]\n"
	       ".SH DESCRIPTION\nfaultline takes what a model did on an evaluation set (labels,\n"
	       "predicted probabilities, or any per-sample failure signal) and views of the\n"
	       "same samples (embeddings, metadata), and returns a ranked list of error\n"
	       "slices with their statistics, descriptions and members.\n.SH VERBS\n",
	       fl_version());
	help_as_man = 1;
	for (const verb *v = verbs; v->name; v++) {
		if (v->fn == cmd_man || v->fn == cmd_completion)
			continue;
		man_summary = v->summary;
		v->fn(1, args);
	}
	printf(".SH EXIT STATUS\n0 success; 1 check: a slice fails its limit; 2 usage error;\n"
	       "3 an input is unreadable, malformed or inconsistent; 4 an output could not be\n"
	       "written; 5 out of memory or an internal failure; 128 + N stopped by signal N.\n"
	       ".SH SEE ALSO\ndocs/cli.md and docs/report-json.md in the source tree.\n");
	return EXIT_OK;
}

/* The completion script: verbs, then each verb's options (and the values
 * of the options that take one of a list) from its table. */
int cmd_completion(int argc, char **argv)
{
	char help[] = "--help";
	char *args[] = {help, NULL};

	if (argc == 1 && strcmp(argv[0], "--help") == 0) {
		printf("usage: faultline completion bash\n\nPrints a bash completion script "
		       "generated from the option tables:\n  source <(faultline completion bash)\n");
		return EXIT_OK;
	}
	if (argc != 1 || strcmp(argv[0], "bash") != 0)
		return usage_error("completion", "expected 'bash' (the only shell supported)");
	printf("# bash completion for faultline %s: source <(faultline completion bash)\n"
	       "_faultline() {\n\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}"
	       " opts= words=\n\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n\t\tCOMPREPLY=($(compgen -W \"",
	       fl_version());
	for (const verb *v = verbs; v->name; v++)
		printf("%s ", v->name);
	printf("--help --version\" -- \"$cur\"))\n\t\treturn\n\tfi\n\tcase ${COMP_WORDS[1]} in\n");
	help_as_completion = 1;
	for (const verb *v = verbs; v->name; v++)
		if (v->fn != cmd_man && v->fn != cmd_completion)
			v->fn(1, args);
	printf("\tcompletion) words=bash ;;\n\tesac\n"
	       "\tif [ -n \"$words\" ]; then\n\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	       "\telif [ \"${cur#-}\" != \"$cur\" ]; then\n"
	       "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	       "\telse\n\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n\tfi\n}\n"
	       "complete -o filenames -F _faultline faultline\n");
	return EXIT_OK;
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: faultline <verb> [options]\n\nverbs:\n");
	for (const verb *v = verbs; v->name; v++)
		fprintf(fp, "  %-10s %s\n", v->name, v->summary);
	fprintf(fp, "\n'faultline <verb> --help' describes a verb's options.\n"
		    "'faultline --version' prints the version.\n");
}

/* ---- an input that shrinks under us ------------------------------------
 * Inputs are memory-mapped; a file truncated or rewritten during the run
 * raises SIGBUS (BUS_ADRERR) at the next read past its new end, anywhere in
 * the library and in any thread. Nothing can be recovered there, so the
 * process owner ends the run: one line naming the file when
 * /proc/self/maps (Linux) says which mapping it was, and exit 3. Nothing
 * has been renamed into place yet (outputs are saved as one unit at the
 * end). Only async-signal-safe calls (open, read, write, _exit). */

static void say(const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static uintptr_t parse_hex(const char **p)
{
	uintptr_t v = 0;

	for (;; (*p)++) {
		char c = **p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			return v;
		v = v * 16 + (uintptr_t)d;
	}
}

/* The file of the mapping holding addr ("" when unknown), from a line of
 * /proc/self/maps: "start-end perms offset dev inode   path". */
static int maps_line_names(const char *line, uintptr_t addr, const char **path)
{
	const char *p = line;
	uintptr_t lo = parse_hex(&p), hi;

	if (*p++ != '-')
		return 0;
	hi = parse_hex(&p);
	if (addr < lo || addr >= hi)
		return 0;
	for (int field = 0; field < 4; field++) { /* perms, offset, dev, inode */
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	*path = p;
	return *p == '/';
}

static atomic_flag sigbus_taken = ATOMIC_FLAG_INIT;

static void on_sigbus(int sig, siginfo_t *info, void *ctx)
{
	static char buf[4096], line[4352];
	const char *path = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	(void)ctx;
	if (info->si_code != BUS_ADRERR) { /* not a mapped file: die as usual */
		signal(sig, SIG_DFL);
		return;
	}
	/* threads reading the same shrunk file fault together: the first one
	 * says so and ends the process, the others wait for that (one line,
	 * and the static buffers below are the first one's) */
	if (atomic_flag_test_and_set(&sigbus_taken))
		for (;;)
			pause();
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && !path && (n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n && !path; i++) {
			if (buf[i] != '\n') {
				if (len < sizeof line - 1)
					line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			len = 0;
			if (!maps_line_names(line, (uintptr_t)info->si_addr, &path))
				path = NULL;
		}
	say("faultline: ");
	if (path) {
		say(path);
		say(": the file shrank while faultline was reading it (truncated or rewritten "
		    "during the run)\n");
	} else {
		say("an input file shrank while faultline was reading it (truncated or rewritten "
		    "during the run)\n");
	}
	_exit(EXIT_INPUT);
}

/* libgomp reads OMP_WAIT_POLICY once, when it is loaded: unless it says
 * passive, threads waiting for work spin, and on a machine with other busy
 * processes the spinning takes the CPU the working threads need (200k x
 * 512 with two busy processes: 27 s spinning, 21 s passive, 11.5 s on a
 * quiet machine; docs/performance.md). Unless the user chose a policy, run
 * again with the passive one; if that fails, go on as we are. */
static void wait_passively(char **argv)
{
	if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
		return;
	if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0)
		execv("/proc/self/exe", argv);
}

/* glibc maps large blocks afresh (from 128 KB, a threshold that rises as
 * such blocks are freed) and gives freed memory back: the passes' per-row
 * scratch, allocated and freed stage after stage, then costs a page fault
 * a 4 KB page each time (on the VMs we measure, a fifth of the system
 * time). Blocks under 32 MB (the largest threshold every glibc takes) come
 * from the heap and up to 256 MB of freed heap (an arena) is kept for the
 * next stage: 200k x 512 2.28-2.54 -> 2.17-2.35 s, the 140,000-row fashion
 * set 5.5 -> 5.0 s, peak memory as it was (+8 MB on fashion;
 * docs/performance.md). Where the threshold is refused, glibc is left as
 * it is (a fixed trim threshold alone would freeze the mapping threshold
 * at 128 KB). */
static void keep_freed_memory(void)
{
#ifdef __GLIBC__
	if (mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1)
		mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	const char *near;

	wait_passively(argv);
	keep_freed_memory();
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("faultline %s\n", fl_version());
		return EXIT_OK;
	}
	for (const verb *v = verbs; v->name; v++)
		if (strcmp(argv[1], v->name) == 0)
			return v->fn(argc - 2, argv + 2);
	near = nearest(argv[1], strlen(argv[1]), &verbs->name, sizeof *verbs);
	return near ? usage_error(NULL, "unknown verb '%s'; did you mean '%s'?", argv[1], near)
		    : usage_error(NULL, "unknown verb '%s'", argv[1]);
}
