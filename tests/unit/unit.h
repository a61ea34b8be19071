/*
 * unit.h - helpers shared by the Check unit tests (tests/unit/).
 *
 * Every test attaches accelerators with explicit parameters (no launcher):
 * field_mask = ACCEL_ID | NACCELS | JOB, with a job name unique to the test
 * ("u<pid>x<n>"), so tests never meet each other in /dev/shm.
 */
#ifndef PODFAB_TESTS_UNIT_H
#define PODFAB_TESTS_UNIT_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include <podfab/podfab.h>

#define UT_JOB_LEN 49

/* Remove every launcher variable podfab_init would read from the environment. */
void ut_clear_env(void);

/* Write a job name unique in this process and among processes to buf. */
void ut_job(char *buf, size_t len);

/* Parameters for accelerator id of n in job. */
podfab_params_t ut_params(int id, int n, const char *job);

/* Attach a single accelerator (id 0 of 1) in a fresh job; fails the test on error. */
podfab_t ut_init1(void);

/*
 * Run n accelerators as threads of this process: thread i attaches as
 * accelerator i of n (one fresh job), calls fn(pf, i, arg), and finalizes.
 * fn returns 0 or a failure line number (use UT_CHECK).  Returns 0 when every
 * thread succeeded, else writes the first failure to why and returns -1.
 */
typedef int (*ut_accel_fn)(podfab_t pf, int id, void *arg);
int ut_run_accels(int n, ut_accel_fn fn, void *arg, char *why, size_t why_len);

/*
 * A barrier among the n accelerator threads of ut_run_accels (not a podfab
 * collective).  Returns 0, or -1 once any thread has failed, so that nobody
 * waits for a thread that gave up.
 */
int ut_sync(int n);
#define UT_SYNC(id, n)                                            \
	do {                                                      \
		if (ut_sync(n) != 0)                              \
			return __LINE__;                          \
	} while (0)

/* Threads cannot use ck_assert: record the first failure and return its line. */
void ut_fail(int id, int line, const char *expr, long long got);
#define UT_CHECK(id, cond)                                        \
	do {                                                      \
		if (!(cond)) {                                    \
			ut_fail((id), __LINE__, #cond, 0);        \
			return __LINE__;                          \
		}                                                 \
	} while (0)
#define UT_CHECK_RC(id, call, want)                                               \
	do {                                                                      \
		long long ut_got_ = (long long)(call);                            \
		if (ut_got_ != (long long)(want)) {                               \
			ut_fail((id), __LINE__, #call " == " #want, ut_got_);     \
			return __LINE__;                                          \
		}                                                                 \
	} while (0)

/* ck_assert that an int call returns want, naming the codes when it does not. */
#define ut_assert_rc(call, want)                                                         \
	do {                                                                             \
		int ut_rc_ = (int)(call);                                                \
		int ut_want_ = (int)(want);                                              \
		ck_assert_msg(ut_rc_ == ut_want_, "%s returned %d (%s), expected %d (%s); detail: %s", \
			      #call, ut_rc_, podfab_errname(ut_rc_), ut_want_,            \
			      podfab_errname(ut_want_), podfab_error_detail());           \
	} while (0)

/* Run a suite and return the process exit status. */
int ut_run_suite(Suite *s);

#endif /* PODFAB_TESTS_UNIT_H */
