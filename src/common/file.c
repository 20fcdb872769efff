/* Files: read one whole, create a temporary one beside a target. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int fl__stage_open(fl_staged *s, const char *path)
{
	size_t len = strlen(path) + sizeof ".tmp.XXXXXX";
	int fd;

	memset(s, 0, sizeof *s);
	s->path = path;
	if (!(s->tmp = fl__malloc(len, "temporary file name")))
		return FL_ENOMEM;
	if ((fd = fl__create_temp(s->tmp, len, path)) < 0 || !(s->fp = fdopen(fd, "w"))) {
		int err = errno;

		if (fd >= 0) {
			close(fd);
			unlink(s->tmp);
		}
		free(s->tmp);
		s->tmp = NULL;
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

int fl__stage_commit(fl_staged *s)
{
	int rc = 0;

	if (s->tmp && rename(s->tmp, s->path) != 0)
		rc = fl__error(FL_EIO, "%s: cannot write: %s", s->path, strerror(errno));
	fl__stage_discard(s);
	return rc;
}

void fl__stage_discard(fl_staged *s)
{
	if (s->fp)
		fclose(s->fp);
	if (s->tmp)
		unlink(s->tmp); /* after a commit: gone already */
	free(s->tmp);
	memset(s, 0, sizeof *s);
}
