/* faultline: the command-line front end. Dispatches verbs from one table. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

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
		if (v->fn == cmd_man)
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

static void usage(FILE *fp)
{
	fprintf(fp, "usage: faultline <verb> [options]\n\nverbs:\n");
	for (const verb *v = verbs; v->name; v++)
		fprintf(fp, "  %-10s %s\n", v->name, v->summary);
	fprintf(fp, "\n'faultline <verb> --help' describes a verb's options.\n"
		    "'faultline --version' prints the version.\n");
}

int main(int argc, char **argv)
{
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
	return usage_error(NULL, "unknown verb '%s'", argv[1]);
}
