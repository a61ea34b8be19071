/* env.c - reading the launcher's environment strictly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "podfab_config.h"
#include "pf_internal.h"

/*
 * Read an integer variable.  Absent or empty: *present = 0 and 0 is returned.
 * Present but not a whole decimal number in [min, max]: -PODFAB_EENV.
 */
int pf_env_int(const char *name, long min, long max, long *out, int *present)
{
	const char *s = getenv(name);
	*present = 0;
	if (!s)
		return 0;
	if (!*s)
		return pf_err(PODFAB_EENV, "%s is set but empty", name);
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	/* strtol would skip leading blanks and take a '+': the launcher writes neither. */
	int lead_ok = (s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9');
	if (errno || !lead_ok || end == s || *end != '\0')
		return pf_err(PODFAB_EENV, "%s='%s' is not a decimal integer", name, s);
	if (v < min || v > max)
		return pf_err(PODFAB_EENV, "%s=%ld is outside [%ld, %ld]", name, v, min, max);
	*out = v;
	*present = 1;
	return 0;
}

int pf_job_valid(const char *job)
{
	size_t n = strlen(job);
	if (n == 0 || n > PF_JOB_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = job[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int pf_timing_parse(const char *s, int *out)
{
	static const char *const names[] = {"functional", "realtime", "virtual"};
	for (int i = 0; i < 3; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

/* Read a number variable (like pf_env_int, for doubles: "10", "2.5", "1e3"). */
int pf_env_double(const char *name, double min, double max, double *out, int *present)
{
	const char *s = getenv(name);
	*present = 0;
	if (!s)
		return 0;
	if (!*s)
		return pf_err(PODFAB_EENV, "%s is set but empty", name);
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
		return pf_err(PODFAB_EENV, "%s='%s' is not a number", name, s);
	if (!(v >= min && v <= max))
		return pf_err(PODFAB_EENV, "%s=%s is outside [%g, %g]", name, s, min, max);
	*out = v;
	*present = 1;
	return 0;
}

/* Read an unsigned 64-bit variable (decimal or 0x hex). */
int pf_env_u64(const char *name, uint64_t *out, int *present)
{
	const char *s = getenv(name);
	*present = 0;
	if (!s)
		return 0;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || errno || end == s || *end != '\0' || !(s[0] >= '0' && s[0] <= '9'))
		return pf_err(PODFAB_EENV, "%s='%s' is not an unsigned integer", name, s);
	*out = v;
	*present = 1;
	return 0;
}
