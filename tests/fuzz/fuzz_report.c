/* Fuzz target: fl_report_load_json, then the report rendered as text, JSON,
 * HTML and as both sides of a comparison's page (the writers walk every
 * field the reader accepted). */
#include "fuzz_common.h"
#include "faultline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4096], out[4200];
	fl_report *r = NULL;
	FILE *devnull;

	if (fuzz_temp_file(path, sizeof path, data, size) != 0)
		return 0;
	if (fl_report_load_json(&r, path) == 0) {
		if ((devnull = fopen("/dev/null", "w"))) {
			fl_report_write_text(r, devnull);
			fclose(devnull);
		}
		snprintf(out, sizeof out, "%s.json", path);
		if (fl_report_write_json(r, out, 0) == 0)
			unlink(out);
		snprintf(out, sizeof out, "%s.html", path);
		if (fl_report_write_html(r, out) == 0)
			unlink(out);
		if (fl_report_write_compare_html(r, r, "base", "candidate", out) == 0)
			unlink(out);
	}
	fl_report_free(r);
	unlink(path);
	return 0;
}
