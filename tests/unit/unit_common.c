/* unit_common.c - helpers shared by the Check unit tests. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

static const char *const launcher_vars[] = {
	"PODFAB_JOB",	  "PODFAB_ACCEL_ID", "PODFAB_NACCELS",	    "PODFAB_MODEL",
	"PODFAB_TIMING", "PODFAB_TRANSPORT", "PODFAB_TIMEOUT_MS", "PODFAB_MAX_REQUESTS",
};

void ut_clear_env(void)
{
	for (size_t i = 0; i < sizeof launcher_vars / sizeof launcher_vars[0]; i++)
		unsetenv(launcher_vars[i]);
}

void ut_job(char *buf, size_t len)
{
	static atomic_uint counter;
	unsigned n = atomic_fetch_add(&counter, 1);
	snprintf(buf, len, "u%ldx%u", (long)getpid(), n);
}

podfab_params_t ut_params(int id, int n, const char *job)
{
	podfab_params_t p;
	memset(&p, 0, sizeof p);
	p.field_mask = PODFAB_PARAM_ACCEL_ID | PODFAB_PARAM_NACCELS | PODFAB_PARAM_JOB;
	p.accel_id = id;
	p.naccels = n;
	p.job = job;
	return p;
}

podfab_t ut_init1(void)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	podfab_params_t p = ut_params(0, 1, job);
	podfab_t pf = NULL;
	ut_assert_rc(podfab_init(&p, &pf), 0);
	ck_assert_ptr_nonnull(pf);
	return pf;
}

/* The first failure any thread reported. */
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_cond = PTHREAD_COND_INITIALIZER;
static char fail_msg[512];
static int aborted;
static int sync_count;
static unsigned sync_gen;

int ut_sync(int n)
{
	pthread_mutex_lock(&fail_lock);
	unsigned gen = sync_gen;
	if (++sync_count == n) {
		sync_count = 0;
		sync_gen++;
		pthread_cond_broadcast(&sync_cond);
	}
	while (gen == sync_gen && !aborted)
		pthread_cond_wait(&sync_cond, &fail_lock);
	int rc = gen == sync_gen ? -1 : 0;
	pthread_mutex_unlock(&fail_lock);
	return rc;
}

void ut_fail(int id, int line, const char *expr, long long got)
{
	pthread_mutex_lock(&fail_lock);
	if (!fail_msg[0]) {
		snprintf(fail_msg, sizeof fail_msg,
			 "accelerator %d: line %d: %s failed (got %lld = %s; detail: %s)", id, line,
			 expr, got, podfab_errname((int)got), podfab_error_detail());
		/* now, not only at the end: the other threads may hang in a collective */
		fprintf(stderr, "%s\n", fail_msg);
	}
	aborted = 1;
	pthread_cond_broadcast(&sync_cond);
	pthread_mutex_unlock(&fail_lock);
}

struct accel_thread {
	pthread_t tid;
	int id, n;
	const char *job;
	ut_accel_fn fn;
	void *arg;
	int result; /* 0 or a failing line */
};

static void *accel_main(void *p)
{
	struct accel_thread *t = p;
	podfab_params_t prm = ut_params(t->id, t->n, t->job);
	podfab_t pf = NULL;
	int rc = podfab_init(&prm, &pf);
	if (rc != 0) {
		ut_fail(t->id, __LINE__, "podfab_init", rc);
		t->result = __LINE__;
		return NULL;
	}
	t->result = t->fn(pf, t->id, t->arg);
	rc = podfab_finalize(pf);
	if (rc != 0 && t->result == 0) {
		ut_fail(t->id, __LINE__, "podfab_finalize", rc);
		t->result = __LINE__;
	}
	return NULL;
}

int ut_run_accels(int n, ut_accel_fn fn, void *arg, char *why, size_t why_len)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	struct accel_thread *t = calloc((size_t)n, sizeof *t);
	if (!t) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&fail_lock);
	fail_msg[0] = '\0';
	aborted = 0;
	sync_count = 0;
	pthread_mutex_unlock(&fail_lock);
	int started = 0;
	for (int i = 0; i < n; i++) {
		t[i].id = i;
		t[i].n = n;
		t[i].job = job;
		t[i].fn = fn;
		t[i].arg = arg;
		if (pthread_create(&t[i].tid, NULL, accel_main, &t[i]) != 0) {
			snprintf(why, why_len, "pthread_create failed for accelerator %d", i);
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(t[i].tid, NULL);
	int failed = started < n;
	for (int i = 0; i < started; i++)
		failed |= t[i].result != 0;
	free(t);
	if (failed && started == n) {
		pthread_mutex_lock(&fail_lock);
		snprintf(why, why_len, "%s", fail_msg[0] ? fail_msg : "an accelerator failed");
		pthread_mutex_unlock(&fail_lock);
	}
	return failed ? -1 : 0;
}

int ut_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
