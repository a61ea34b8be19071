/*
 * pf-conform - the worker of the podfab conformance suite.
 *
 *   pf-conform [OPTIONS] CASE [ARGS...]               one accelerator, from the launcher's
 *                                                       environment (podfab-run -n N -- pf-conform CASE)
 *   pf-conform --threads N [OPTIONS] CASE [ARGS...]  N accelerators as N threads of this process
 *   pf-conform --local [OPTIONS] CASE                 a case that attaches by itself (no pod)
 *   pf-conform --list                                 the cases: "NAME pod|local  DESCRIPTION"
 *
 * Options: --transport NAME (thread and local mode; with the launcher use its
 * --transport), --timeout SECONDS (default 150, x20 under valgrind), --scale F
 * (multiply iteration counts; default 1, 0.05 under valgrind).
 *
 * Exit status: 0 when every accelerator passed, 1 when a check failed, 2 for a
 * usage error, 3 when the overall timeout expired.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"

struct pfc_case {
	const char *name;
	const char *desc;
	pfc_case_fn fn;
	int local;
};

static const struct pfc_case cases[] = {
#define PFC_POD_ENTRY(name, desc) {#name, desc, case_##name, 0},
#define PFC_LOCAL_ENTRY(name, desc) {#name, desc, case_##name, 1},
	PFC_POD_CASES(PFC_POD_ENTRY)
	PFC_LOCAL_CASES(PFC_LOCAL_ENTRY)
#undef PFC_POD_ENTRY
#undef PFC_LOCAL_ENTRY
};
#define NCASES (sizeof cases / sizeof cases[0])

/* The accelerator a thread runs, for messages (also valid after finalize). */
static _Thread_local int cur_id = -1;
static char timeout_msg[256];
static size_t timeout_msg_len;

void pfc_report(podfab_t pf, const char *file, int line, const char *expr, const char *fmt, ...)
{
	char extra[1024] = "";
	(void)pf;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		extra[0] = ':';
		extra[1] = ' ';
		vsnprintf(extra + 2, sizeof extra - 2, fmt, ap);
		va_end(ap);
	}
	const char *base = strrchr(file, '/');
	fprintf(stderr, "accel %d: %s:%d: check failed: %s%s\n", cur_id, base ? base + 1 : file, line, expr,
		extra);
	fflush(stderr);
}

long pfc_iters(const struct pfc *c, long base, long min)
{
	long v = (long)((double)base * c->scale);
	return v < min ? min : v;
}

int pfc_is_shm(podfab_t pf)
{
	const char *t = podfab_transport_name(pf);
	return t && strcmp(t, "shm") == 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	ssize_t w = write(STDERR_FILENO, timeout_msg, timeout_msg_len);
	(void)w;
	_exit(3);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pf-conform [--threads N | --local] [--transport NAME] [--timeout S] [--scale F] CASE [ARGS...]\n"
		   "       pf-conform --list\n");
}

static const struct pfc_case *find_case(const char *name)
{
	char buf[64];
	size_t i;
	for (i = 0; name[i] && i + 1 < sizeof buf; i++)
		buf[i] = name[i] == '-' ? '_' : name[i];
	buf[i] = '\0';
	for (size_t k = 0; k < NCASES; k++)
		if (strcmp(cases[k].name, buf) == 0)
			return &cases[k];
	return NULL;
}

/* ---- thread mode ------------------------------------------------------ */

struct thread_arg {
	pthread_t tid;
	const struct pfc_case *cs;
	struct pfc c;
	char job[64];
	int rc;
};

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int threads_done, threads_failed;

/* Run one case on an attached accelerator, then finalize and check the handle is dead. */
static int run_attached(podfab_t pf, const struct pfc_case *cs, const struct pfc *c)
{
	int rc = cs->fn(pf, c);
	if (rc) {
		fprintf(stderr, "accel %d: case %s FAILED\n", cur_id, cs->name);
		return 1;
	}
	rc = podfab_finalize(pf);
	if (rc) {
		fprintf(stderr, "accel %d: case %s: podfab_finalize returned %s (%s)\n", cur_id, cs->name,
			podfab_errname(rc), podfab_error_detail());
		return 1;
	}
	rc = podfab_accel_id(pf);
	if (rc != -PODFAB_EFINALIZED) {
		fprintf(stderr, "accel %d: case %s: podfab_accel_id after finalize returned %d, not -PODFAB_EFINALIZED\n",
			cur_id, cs->name, rc);
		return 1;
	}
	rc = podfab_barrier(pf);
	if (rc != -PODFAB_EFINALIZED) {
		fprintf(stderr, "accel %d: case %s: podfab_barrier after finalize returned %d, not -PODFAB_EFINALIZED\n",
			cur_id, cs->name, rc);
		return 1;
	}
	return 0;
}

static void *thread_main(void *p)
{
	struct thread_arg *t = p;
	podfab_t pf = NULL;
	podfab_params_t params;
	memset(&params, 0, sizeof params);
	params.field_mask = PODFAB_PARAM_ACCEL_ID | PODFAB_PARAM_NACCELS | PODFAB_PARAM_JOB;
	params.accel_id = t->c.me;
	params.naccels = t->c.n;
	params.job = t->job;
	if (t->c.transport) {
		params.field_mask |= PODFAB_PARAM_TRANSPORT;
		params.transport = t->c.transport;
	}
	cur_id = t->c.me;
	int rc = podfab_init(&params, &pf);
	if (rc) {
		fprintf(stderr, "accel %d: podfab_init returned %s (%s)\n", cur_id, podfab_errname(rc),
			podfab_error_detail());
		t->rc = 1;
	} else {
		t->rc = run_attached(pf, t->cs, &t->c);
	}
	pthread_mutex_lock(&done_lock);
	threads_done++;
	if (t->rc)
		threads_failed++;
	pthread_cond_broadcast(&done_cond);
	pthread_mutex_unlock(&done_lock);
	return NULL;
}

static int run_threads(const struct pfc_case *cs, const struct pfc *base, int nthreads)
{
	static atomic_int job_counter;
	struct thread_arg *ts = calloc((size_t)nthreads, sizeof *ts);
	if (!ts) {
		fprintf(stderr, "pf-conform: out of memory\n");
		return 1;
	}
	char job[64];
	snprintf(job, sizeof job, "t%ldx%d", (long)getpid(), atomic_fetch_add(&job_counter, 1));
	int started = 0;
	for (int i = 0; i < nthreads; i++) {
		ts[i].cs = cs;
		ts[i].c = *base;
		ts[i].c.me = i;
		ts[i].c.n = nthreads;
		snprintf(ts[i].job, sizeof ts[i].job, "%s", job);
		if (pthread_create(&ts[i].tid, NULL, thread_main, &ts[i]) != 0) {
			fprintf(stderr, "pf-conform: pthread_create failed for accelerator %d\n", i);
			_exit(1);
		}
		started++;
	}
	/*
	 * Wait for every thread; once one has failed, the others may wait for it
	 * forever in a collective, so give them a moment to report and stop.
	 */
	pthread_mutex_lock(&done_lock);
	while (threads_done < started) {
		if (threads_failed) {
			struct timespec dl;
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_sec += 3;
			while (threads_done < started &&
			       pthread_cond_timedwait(&done_cond, &done_lock, &dl) == 0)
				;
			break;
		}
		pthread_cond_wait(&done_cond, &done_lock);
	}
	int all_done = threads_done == started, failed = threads_failed;
	pthread_mutex_unlock(&done_lock);
	if (!all_done) {
		fprintf(stderr, "pf-conform: case %s failed on %d accelerator(s); the others did not finish\n",
			cs->name, failed);
		fflush(NULL);
		_exit(1);
	}
	for (int i = 0; i < started; i++)
		pthread_join(ts[i].tid, NULL);
	free(ts);
	return failed ? 1 : 0;
}

/* ---- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
	int nthreads = 0, local = 0;
	double timeout = 150, scale = 1.0;
	const char *transport = NULL;
	int i = 1;
	const char *vg = getenv("PODFAB_UNDER_VALGRIND");
	if (vg && *vg && strcmp(vg, "0") != 0) {
		timeout *= 20;
		scale = 0.05;
	}
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "--list")) {
			for (size_t k = 0; k < NCASES; k++)
				printf("%s %s %s\n", cases[k].name, cases[k].local ? "local" : "pod", cases[k].desc);
			return 0;
		} else if (!strcmp(o, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(o, "--local")) {
			local = 1;
		} else if (!strcmp(o, "--") ) {
			i++;
			break;
		} else if (i + 1 < argc && !strcmp(o, "--threads")) {
			nthreads = atoi(argv[++i]);
			if (nthreads < 1 || nthreads > 1024) {
				fprintf(stderr, "pf-conform: --threads %s: expected 1..1024\n", argv[i]);
				return 2;
			}
		} else if (i + 1 < argc && !strcmp(o, "--transport")) {
			transport = argv[++i];
		} else if (i + 1 < argc && !strcmp(o, "--timeout")) {
			timeout = atof(argv[++i]);
		} else if (i + 1 < argc && !strcmp(o, "--scale")) {
			scale = atof(argv[++i]);
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	const struct pfc_case *cs = find_case(argv[i]);
	if (!cs) {
		fprintf(stderr, "pf-conform: no case '%s' (see --list)\n", argv[i]);
		return 2;
	}
	if (cs->local != local) {
		fprintf(stderr, "pf-conform: case %s is a %s case: run it %s\n", cs->name,
			cs->local ? "local" : "pod", cs->local ? "with --local" : "under podfab-run or with --threads");
		return 2;
	}
	if (scale <= 0)
		scale = 1.0;

	struct pfc c;
	memset(&c, 0, sizeof c);
	c.transport = transport;
	c.scale = scale;
	c.argc = argc - i - 1;
	c.argv = argv + i + 1;

	timeout_msg_len = (size_t)snprintf(timeout_msg, sizeof timeout_msg,
					   "pf-conform: case %s timed out after %.0f s (pid %ld)\n", cs->name,
					   timeout, (long)getpid());
	if (timeout_msg_len >= sizeof timeout_msg)
		timeout_msg_len = sizeof timeout_msg - 1;
	signal(SIGALRM, on_alarm);
	alarm(timeout > 0 ? (unsigned)timeout : 0);

	int rc;
	if (local) {
		cur_id = 0;
		c.me = 0;
		c.n = 1;
		rc = cs->fn(NULL, &c);
		if (rc)
			fprintf(stderr, "case %s FAILED\n", cs->name);
	} else if (nthreads) {
		c.threads = 1;
		rc = run_threads(cs, &c, nthreads);
	} else {
		const char *id = getenv("PODFAB_ACCEL_ID"), *n = getenv("PODFAB_NACCELS");
		c.me = id ? atoi(id) : -1;
		c.n = n ? atoi(n) : -1;
		cur_id = c.me;
		podfab_params_t params;
		memset(&params, 0, sizeof params);
		if (transport) {
			params.field_mask = PODFAB_PARAM_TRANSPORT;
			params.transport = transport;
		}
		podfab_t pf = NULL;
		rc = podfab_init(transport ? &params : NULL, &pf);
		if (rc) {
			fprintf(stderr, "accel %d: podfab_init returned %s (%s)\n", cur_id, podfab_errname(rc),
				podfab_error_detail());
			fflush(NULL);
			_exit(1);
		}
		if (c.transport == NULL)
			c.transport = getenv("PODFAB_TRANSPORT");
		rc = run_attached(pf, cs, &c);
		if (rc) {
			/* Leave without finalize: the peers see this process die instead of waiting. */
			fflush(NULL);
			_exit(1);
		}
	}
	alarm(0);
	return rc ? 1 : 0;
}
