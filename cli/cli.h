/*
 * The faultline command line: verbs, their option tables, exit codes.
 * The CLI is a client of libfaultline and nothing more.
 */
#ifndef FL_CLI_H
#define FL_CLI_H

#include <stdint.h>

#include "faultline.h"

/* Exit codes (docs/cli.md). */
enum {
	EXIT_OK = 0,
	EXIT_FINDING = 1, /* check: a known slice fails its limit */
	EXIT_USAGE = 2,   /* bad command line */
	EXIT_INPUT = 3,   /* an input file is unreadable, malformed or inconsistent */
	EXIT_OUTPUT = 4,  /* an output could not be written */
	EXIT_INTERNAL = 5 /* out of memory or an internal failure */
};

/* OPT_LIB: a library option (fl_discover_opts_set on the target, an
 * fl_discover_opts, by the name in `lib`); OPT_LIBFLAG: a flag setting
 * the library's boolean `lib` to true, or to false when the flag's name
 * starts with "no-". Their help and default come from the library. */
/* OPT_LIMIT: a limit of fl_check (fl_check_opts_set on the target, an
 * fl_check_opts, by the name in `lib`), its help from the library. */
typedef enum { OPT_FLAG, OPT_STR, OPT_INT, OPT_NUM, OPT_LIST, OPT_LIB, OPT_LIBFLAG, OPT_LIMIT } opt_kind;

#define OPT_LIST_MAX 16

typedef struct opt_list {
	const char *items[OPT_LIST_MAX];
	int n;
} opt_list;

/* One row of a verb's option table: drives parsing and --help alike. */
typedef struct opt {
	const char *name;    /* long name without "--" */
	opt_kind kind;
	const char *metavar; /* shown in --help */
	const char *help;    /* NULL: the library's (from `lib`) */
	void *target;        /* int*, const char**, int64_t*, double*, opt_list*, fl_discover_opts*,
	                        fl_check_opts* */
	const char *lib;     /* the library option a row sets or describes, or NULL */
} opt;

/* A library option as a row: --NAME METAVAR, help and default from the library. */
#define LIB_OPT(name, metavar, lib, opts) {name, OPT_LIB, metavar, NULL, opts, lib}

/*
 * Parse argv[first..argc) against the table. Returns -1 when --help was
 * printed (exit 0), EXIT_USAGE after printing a usage error, 0 otherwise.
 * Non-option arguments go to `positional` (may be NULL: then an error).
 */
int opts_parse(const opt *table, int argc, char **argv, const char *verb,
	       const char *usage, opt_list *positional);

/* The name closest to typed[0..len) (one edit away, two from 6 letters:
 * insert, delete, change, swap; or a prefix of 3 letters or more), or NULL:
 * for "did you mean". names: the first of NULL-terminated names `stride`
 * bytes apart (&table->name of an option or verb table). */
const char *nearest(const char *typed, size_t len, const char *const *names, size_t stride);

/* Print "faultline: error: <msg>" and a hint to stderr; return EXIT_USAGE. */
int usage_error(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "faultline: <msg>" to stderr and return `code`. */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ranks of an MPI job (cli/mpi.c, only in the build with -DFL_MPI=ON;
 * otherwise one rank). ranks_start joins the job when the process was
 * started by mpirun or srun (else nothing: one rank); ranks_comm is the
 * table for fl_discover_opts.comm (NULL for one rank); ranks_end(code)
 * leaves the job and returns code, and with code != 0 and several ranks
 * ends every rank (MPI_Abort) instead. ranks_agree(code): every rank's
 * worst code, once all got there (before rank 0 writes: a rank that ended
 * early leaves no report behind). ranks_print_volume: what this rank
 * exchanged, on stderr (--timings). ranks_map_own(a, x, n, dim): of the
 * view x (the mapping of array a), this rank keeps the pages of its own
 * rows (fl_comm_rows) mapped, the rest unmapped. ranks_read_file: rank 0 reads
 * a file, every rank gets its bytes (the metadata CSV). fail() names the
 * rank (cli_rank of cli_ranks) when there are several. */
extern int cli_rank, cli_ranks;
#ifdef FL_MPI
int ranks_start(void);
const fl_comm *ranks_comm(void);
int ranks_agree(int code);
int ranks_end(int code);
void ranks_print_volume(void);
void ranks_map_own(const fl_array *a, const float *x, int64_t n, int64_t dim);
int ranks_read_file(const char *path, char **text, size_t *len);
#else
static inline int ranks_start(void) { return 0; }
static inline const fl_comm *ranks_comm(void) { return NULL; }
static inline int ranks_agree(int code) { return code; }
static inline void ranks_print_volume(void) {}
static inline void ranks_map_own(const fl_array *a, const float *x, int64_t n, int64_t dim)
{
	(void)a, (void)x, (void)n, (void)dim;
}
static inline int ranks_read_file(const char *path, char **text, size_t *len)
{
	(void)path, (void)text, (void)len;
	return EXIT_INTERNAL; /* never called: one rank reads its files itself */
}
static inline int ranks_end(int code) { return code; }
#endif

/* Map a library error code to an exit code for errors about inputs. */
int exit_for_input(int rc);

/* Progress on stderr, only when it is a terminal and not --quiet; also
 * the cancellation of a run by SIGINT or SIGTERM (progress_cb returns
 * non-zero once one arrived; progress_cancelled() then gives 128 + its
 * number, else 0). A second signal ends the process at once. */
void progress_init(int quiet);
/* Seconds of a monotonic clock. */
double now(void);
/* With --timings: each stage of the report's run on stderr, with `write`
 * seconds of writing it, and the sum. */
void print_timings(const fl_report *r, double write);
int progress_cb(void *user, const char *stage, int64_t done, int64_t total);
void progress_done(void);
int progress_cancelled(void);

/* Notes of the library on stderr ("faultline: note: ..."), unless *user (quiet). */
void note_cb(void *user, const char *message);

/* `faultline man`: the man page, from every verb's option table: it sets
 * help_as_man and each verb's summary, then asks each verb for --help. */
extern int help_as_man;
extern const char *man_summary;
int cmd_man(int argc, char **argv);
/* `faultline completion bash`: a bash completion script from every verb's
 * option table: it sets help_as_completion, then asks each verb for --help. */
extern int help_as_completion;
int cmd_completion(int argc, char **argv);

int cmd_discover(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
