/*
 * Thumbnails: ids that name image files become images embedded in the page
 * (data URIs: the page stays one file). They are read only from inside a
 * folder: the one fl_report_set_thumbnail_dir names, else the page's and,
 * for a report read back from JSON, the report's (ids relative to where the
 * report lives). Metadata from elsewhere must not pull /home/me/private.png
 * or ../../secret.png into a page that will be shared: an absolute id, a
 * ".." component or a symbolic link out of the folder is never read.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "html_internal.h"

#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define THUMB_MAX_BYTES (256 * 1024)

void fl_html__thumbs_close(fl_thumbs *th)
{
	for (int k = 0; k < 2; k++) {
		free(th->base[k]);
		free(th->root[k]);
	}
	memset(th, 0, sizeof *th);
}

/* Add a folder (base: allocated, now th's; NULL when that failed) unless
 * it is one already there. */
static int add_folder(fl_thumbs *th, char *base)
{
	char *root = base ? realpath(base, NULL) : NULL;

	if (!base)
		return FL_ENOMEM;
	for (int k = 0; k < th->n; k++)
		if (root && th->root[k] && !strcmp(root, th->root[k])) {
			free(base);
			free(root);
			return FL_OK;
		}
	th->base[th->n] = base;
	th->root[th->n++] = root;
	return FL_OK;
}

int fl_html__thumbs_open(fl_thumbs *th, const fl_report *r, const char *page)
{
	int rc = FL_OK;

	memset(th, 0, sizeof *th);
	if (r->id_col < 0)
		return FL_OK;
	if (r->thumb_dir)
		rc = add_folder(th, fl__strdup(r->thumb_dir));
	else if ((rc = add_folder(th, fl__folder_of(page))) == FL_OK && r->source)
		rc = add_folder(th, fl__folder_of(r->source));
	if (rc)
		fl_html__thumbs_close(th);
	return rc;
}

int fl_html__is_image(const char *id)
{
	static const char *const ext[] = {".png", ".jpg", ".jpeg", ".gif"};
	size_t len = id ? strlen(id) : 0;

	for (size_t k = 0; k < sizeof ext / sizeof *ext; k++) {
		size_t e = strlen(ext[k]);

		if (len > e && !strcasecmp(id + len - e, ext[k]))
			return 1;
	}
	return 0;
}

/* The real path of an id under the folder base (real path `root`) in *out
 * (the caller's), or NULL when the id is absolute, has a ".." component,
 * does not exist, or leads (through a symbolic link) out of the folder.
 * Returns 0 or FL_ENOMEM. */
static int inside(char **out, const char *base, const char *root, const char *id)
{
	fl_strbuf b = {0};
	char *path, *real;
	size_t len = strlen(root);

	*out = NULL;
	if (id[0] == '/')
		return 0;
	for (const char *p = id; *p; p += strcspn(p, "/"), p += *p == '/')
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return 0;
	fl__sb_printf(&b, "%s/%s", base, id);
	if (!(path = fl__sb_finish(&b, "thumbnail path")))
		return FL_ENOMEM;
	real = realpath(path, NULL);
	free(path);
	if (real && (strncmp(real, root, len) != 0 ||
		     (real[len] != '/' && !(len == 1 && root[0] == '/')))) {
		free(real);
		real = NULL;
	}
	*out = real;
	return 0;
}

/* The bytes of a regular file of 8 to THUMB_MAX_BYTES bytes in *out (the
 * caller's) and their count, or *out NULL; 0 or FL_ENOMEM. */
static int slurp(unsigned char **out, size_t *len, const char *path, const char *id)
{
	struct stat st;
	FILE *in;

	*out = NULL;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 8 ||
	    st.st_size > THUMB_MAX_BYTES || !(in = fopen(path, "rb")))
		return 0;
	if (!(*out = malloc((size_t)st.st_size))) {
		fclose(in);
		return fl__error(FL_ENOMEM, "out of memory reading the thumbnail %s", id);
	}
	*len = fread(*out, 1, (size_t)st.st_size, in);
	fclose(in);
	if (*len != (size_t)st.st_size) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

int fl_html__thumbnail(FILE *fp, const fl_thumbs *th, const char *id)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char *buf = NULL;
	const char *mime = NULL;
	size_t len = 0;
	char *path = NULL;
	int rc = 0;

	if (!id || !*id)
		return 0;
	for (int k = 0; k < th->n && !buf && !rc; k++)
		if (th->root[k] && !(rc = inside(&path, th->base[k], th->root[k], id)) && path) {
			rc = slurp(&buf, &len, path, id);
			free(path);
		}
	if (rc || !buf)
		return rc;
	mime = !memcmp(buf, "\x89PNG\r\n\x1a\n", 8) ? "image/png" :
	       !memcmp(buf, "\xff\xd8\xff", 3) ? "image/jpeg" :
	       !memcmp(buf, "GIF8", 4) ? "image/gif" : NULL;
	if (mime) {
		fprintf(fp, "<img width=\"64\" alt=\"\" src=\"data:%s;base64,", mime);
		for (size_t k = 0; k < len; k += 3) {
			unsigned v = (unsigned)buf[k] << 16 | (k + 1 < len ? (unsigned)buf[k + 1] << 8 : 0) |
				     (k + 2 < len ? buf[k + 2] : 0);

			fputc(b64[v >> 18 & 63], fp);
			fputc(b64[v >> 12 & 63], fp);
			fputc(k + 1 < len ? b64[v >> 6 & 63] : '=', fp);
			fputc(k + 2 < len ? b64[v & 63] : '=', fp);
		}
		fputs("\">", fp);
	}
	free(buf);
	return mime != NULL;
}
