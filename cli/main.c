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
	{NULL, NULL, NULL}
};

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
