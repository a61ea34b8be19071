/* stats.c - per-accelerator counters, generated from PODFAB_COUNTER_LIST. */
#include <string.h>

#include "pf_internal.h"

static const char *const ctr_names[PODFAB_CTR_MAX] = {
#define X(name, str, desc) str,
	PODFAB_COUNTER_LIST(X)
#undef X
};

static const char *const ctr_descs[PODFAB_CTR_MAX] = {
#define X(name, str, desc) desc,
	PODFAB_COUNTER_LIST(X)
#undef X
};

PODFAB_EXPORT const char *podfab_counter_name(int i)
{
	return i < 0 || i >= PODFAB_CTR_MAX ? NULL : ctr_names[i];
}

PODFAB_EXPORT const char *podfab_counter_desc(int i)
{
	return i < 0 || i >= PODFAB_CTR_MAX ? NULL : ctr_descs[i];
}

PODFAB_EXPORT int podfab_counters(podfab_t pf, uint64_t *values, int n)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	if (n < 0)
		return pf_err(PODFAB_EINVAL, "n=%d is negative", n);
	if (n > 0 && !values)
		return pf_err(PODFAB_ENULL, "values is NULL");
	int k = n < PODFAB_CTR_MAX ? n : PODFAB_CTR_MAX;
	if (k > 0)
		memcpy(values, pf->ctr, (size_t)k * sizeof *values);
	return PODFAB_CTR_MAX;
}

PODFAB_EXPORT int podfab_counters_reset(podfab_t pf)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	memset(pf->ctr, 0, sizeof pf->ctr);
	return 0;
}
