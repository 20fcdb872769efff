/* realpath is XSI */
#define _XOPEN_SOURCE 700
/* Files: read one whole, create a temporary one beside a target. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Create "path.tmp.XXXXXX" with O_EXCL. Not mkstemp: its 0600 mode would
 * survive the rename, while open(..., 0666) lets the umask decide. */
int fl__create_temp(char *tmp, size_t n, const char *path)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static atomic_uint counter;
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 40;
	for (int tries = 0; tries < 100; tries++) {
		uint64_t z = x + (uint64_t)atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15ULL;
		char suffix[7];
		int fd;

		z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
		for (int i = 0; i < 6; i++, z /= 62)
			suffix[i] = chars[z % 62];
		suffix[6] = '\0';
		snprintf(tmp, n, "%s.tmp.%s", path, suffix);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

char *fl__read_text(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!fp) {
		fl__error(FL_EIO, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (len + 65536 + 1 > cap) {
			char *p = realloc(buf, cap = 2 * cap + 65536 + 1);

			if (!p) {
				free(buf);
				fclose(fp);
				fl__error(FL_ENOMEM, "%s: out of memory reading", path);
				return NULL;
			}
			buf = p;
		}
		got = fread(buf + len, 1, cap - len - 1, fp);
		len += got;
	} while (got > 0);
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		fl__error(FL_EIO, "%s: read error", path);
		return NULL;
	}
	fclose(fp);
	buf[len] = '\0';
	return buf;
}

char *fl__folder_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	fl_strbuf b = {0};

	fl__sb_printf(&b, "%.*s", slash ? (int)(slash == path ? 1 : slash - path) : 1,
		      slash ? path : ".");
	return fl__sb_finish(&b, "folder name");
}

char *fl__resolve(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char *dir, *real, *out = NULL;
	fl_strbuf b = {0};

	if ((real = realpath(path, NULL))) /* it exists: links followed */
		return real;
	if (!(dir = fl__folder_of(path)))
		return NULL;
	if ((real = realpath(dir, NULL))) {
		b = (fl_strbuf){0};
		fl__sb_printf(&b, "%s/%s", strcmp(real, "/") ? real : "", base);
		out = fl__sb_finish(&b, "file name");
	} else {
		out = fl__strdup(path); /* a folder that is not there: named as given */
	}
	free(real);
	free(dir);
	return out;
}

/* What a path that is not a regular file is, for messages. */
static const char *kind_of(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISSOCK(m) ? "a socket" : S_ISBLK(m) ? "a block device"
	       : "not a regular file";
}

int fl__stage_open(fl_staged *s, const char *path)
{
	const char *dir = getenv("TMPDIR");
	char stream[PATH_MAX + 32];
	struct stat st;
	size_t len;
	int fd;

	memset(s, 0, sizeof *s);
	s->path = path;
	if (!(s->target = fl__resolve(path)))
		return FL_ENOMEM;
	if (stat(s->target, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* never unlinked and replaced: a FIFO or a character device
		 * (/dev/stdout) is streamed to at commit, anything else refused */
		if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
			free(s->target);
			s->target = NULL;
			return fl__error(FL_EIO, "%s: %s, not a file: refusing to replace it", path,
					 kind_of(st.st_mode));
		}
		s->stream = 1;
	}
	if (!s->stream && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) != 0) {
		free(s->target);
		s->target = NULL;
		return fl__error(FL_EIO, "%s: a symbolic link to nothing: refusing to replace it", path);
	}
	dir = dir && *dir ? dir : "/tmp";
	len = strlen(s->stream ? dir : s->target) + sizeof "/faultline-stream.tmp.XXXXXX";
	if (!(s->tmp = fl__malloc(len, "temporary file name"))) {
		free(s->target);
		s->target = NULL;
		return FL_ENOMEM;
	}
	/* a stream's bytes wait in $TMPDIR until every output is written */
	snprintf(stream, sizeof stream, "%s/faultline-stream", dir);
	fd = fl__create_temp(s->tmp, len, s->stream ? stream : s->target);
	if (fd < 0 || !(s->fp = fdopen(fd, "w"))) {
		int err = errno;

		if (fd >= 0) {
			close(fd);
			unlink(s->tmp);
		}
		free(s->tmp);
		free(s->target);
		memset(s, 0, sizeof *s);
		return fl__error(FL_EIO, "%s: cannot create file: %s", path, strerror(err));
	}
	return 0;
}

int fl__stage_close(fl_staged *s)
{
	int ok = fflush(s->fp) == 0 && !ferror(s->fp), err = errno;

	ok = fclose(s->fp) == 0 && ok;
	s->fp = NULL;
	if (!ok)
		return fl__error(FL_EIO, "%s: write failed: %s", s->path, strerror(err ? err : errno));
	return 0;
}

/* Copy the staged bytes into a FIFO or a character device. */
static int stream_out(const fl_staged *s)
{
	char buf[65536];
	int in = open(s->tmp, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
	ssize_t got;

	if (in < 0 || (out = open(s->target, O_WRONLY | O_CLOEXEC)) < 0)
		rc = fl__error(FL_EIO, "%s: cannot write: %s", s->path, strerror(errno));
	while (rc == 0 && (got = read(in, buf, sizeof buf)) != 0) {
		for (ssize_t off = 0, w; rc == 0 && got > 0 && off < got; off += w)
			if ((w = write(out, buf + off, (size_t)(got - off))) < 0)
				rc = fl__error(FL_EIO, "%s: write failed: %s", s->path, strerror(errno));
		if (got < 0)
			rc = fl__error(FL_EIO, "%s: read failed: %s", s->tmp, strerror(errno));
	}
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = fl__error(FL_EIO, "%s: write failed: %s", s->path, strerror(errno));
	if (in >= 0)
		close(in);
	return rc;
}

int fl__stage_commit(fl_staged *s)
{
	int rc = 0;

	if (s->tmp && s->stream)
		rc = stream_out(s);
	else if (s->tmp && rename(s->tmp, s->target) != 0)
		rc = fl__error(FL_EIO, "%s: cannot write: %s", s->path, strerror(errno));
	fl__stage_discard(s);
	return rc;
}

void fl__stage_discard(fl_staged *s)
{
	if (s->fp)
		fclose(s->fp);
	if (s->tmp)
		unlink(s->tmp); /* after a rename: gone already */
	free(s->tmp);
	free(s->target);
	memset(s, 0, sizeof *s);
}
