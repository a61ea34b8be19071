/* units.c - numbers with units, as model files and generator strings write them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pf_model.h"

struct unit_def {
	const char *name;
	double scale;
};

static const struct unit_def time_units[] = {
	{"ps", 1e-3}, {"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {NULL, 0}};
static const struct unit_def rate_units[] = {
	{"bps", 1e-9}, {"Kbps", 1e-6}, {"Mbps", 1e-3}, {"Gbps", 1.0}, {"Tbps", 1e3},
	{"B/s", 8e-9}, {"KB/s", 8e-6}, {"MB/s", 8e-3}, {"GB/s", 8.0}, {"TB/s", 8e3}, {NULL, 0}};
static const struct unit_def byte_units[] = {
	{"B", 1.0}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0},
	{"GiB", 1073741824.0}, {NULL, 0}};

int pf_parse_quantity(const char *s, enum pf_unit unit, int bare_ok, double *out, const char **why)
{
	if (!s || !*s) {
		*why = "empty value";
		return -1;
	}
	if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '.' || s[0] == '-' || s[0] == '+')) {
		*why = "not a number";
		return -1;
	}
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v)) {
		*why = "not a finite number";
		return -1;
	}
	const struct unit_def *tab = unit == PF_UNIT_TIME ? time_units
				     : unit == PF_UNIT_RATE ? rate_units
				     : unit == PF_UNIT_BYTES ? byte_units : NULL;
	if (!*end) {
		if (tab && !bare_ok) {
			*why = unit == PF_UNIT_TIME ? "needs a unit (ns, us, ...)"
			       : unit == PF_UNIT_RATE ? "needs a unit (Gbps, GB/s, ...)"
						      : "needs a unit (B, KiB, ...)";
			return -1;
		}
		*out = v;
		return 0;
	}
	if (!tab) {
		*why = "unexpected text after the number";
		return -1;
	}
	for (int i = 0; tab[i].name; i++) {
		if (!strcmp(end, tab[i].name)) {
			*out = v * tab[i].scale;
			return 0;
		}
	}
	*why = unit == PF_UNIT_TIME ? "unknown time unit (ps, ns, us, ms, s)"
	       : unit == PF_UNIT_RATE ? "unknown rate unit (bps, Kbps, Mbps, Gbps, Tbps, B/s, KB/s, MB/s, GB/s, TB/s)"
				      : "unknown size unit (B, KB, MB, GB, KiB, MiB, GiB)";
	return -1;
}
