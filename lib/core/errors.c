/* errors.c - error codes, names and messages, all generated from PODFAB_ERROR_LIST. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podfab_config.h"
#include "pf_internal.h"

static const char *const err_msgs[PODFAB_ERROR_MAX] = {
	[PODFAB_SUCCESS] = "success",
#define X(name, value, msg) [value] = msg,
	PODFAB_ERROR_LIST(X)
#undef X
};

static const char *const err_names[PODFAB_ERROR_MAX] = {
	[PODFAB_SUCCESS] = "PODFAB_SUCCESS",
#define X(name, value, msg) [value] = "PODFAB_" #name,
	PODFAB_ERROR_LIST(X)
#undef X
};

static int err_index(int err)
{
	/* Negate as unsigned: -INT_MIN does not exist. */
	unsigned u = err < 0 ? 0u - (unsigned)err : (unsigned)err;
	return u >= PODFAB_ERROR_MAX ? -1 : (int)u;
}

PODFAB_EXPORT const char *podfab_strerror(int err)
{
	int i = err_index(err);
	return i < 0 || !err_msgs[i] ? "unknown podfab error" : err_msgs[i];
}

PODFAB_EXPORT const char *podfab_errname(int err)
{
	int i = err_index(err);
	return i < 0 || !err_names[i] ? "PODFAB_E_UNKNOWN" : err_names[i];
}

static _Thread_local char detail[512];

PODFAB_EXPORT const char *podfab_error_detail(void)
{
	return detail;
}

void pf_detail_clear(void)
{
	detail[0] = '\0';
}

static _Atomic int log_level = -1;

static int pf_log_level(void)
{
	int cur = atomic_load_explicit(&log_level, memory_order_relaxed);
	if (cur < 0) {
		const char *s = getenv("PODFAB_LOG");
		int l = PF_LOG_NONE;
		if (s && *s) {
			if (!strcmp(s, "warn"))
				l = PF_LOG_WARN;
			else if (!strcmp(s, "info"))
				l = PF_LOG_INFO;
			else if (!strcmp(s, "debug"))
				l = PF_LOG_DEBUG;
			else if (s[0] >= '0' && s[0] <= '9')
				l = atoi(s);
		}
		atomic_store_explicit(&log_level, l, memory_order_relaxed);
		cur = l;
	}
	return cur;
}

void pf_log(int level, const char *fmt, ...)
{
	if (pf_log_level() < level)
		return;
	char buf[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "podfab: %s\n", buf);
}

/* Record the details of an error for podfab_error_detail() and return -code. */
int pf_err(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	pf_log(PF_LOG_WARN, "%s: %s", podfab_errname(code), detail);
	return -code;
}

PODFAB_EXPORT uint32_t podfab_version(void)
{
	return PODFAB_API_VERSION;
}

PODFAB_EXPORT const char *podfab_version_string(void)
{
	return PODFAB_VERSION_STRING;
}
