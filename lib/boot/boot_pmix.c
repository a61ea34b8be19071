/*
 * boot_pmix.c - the PMIx bootstrap, for jobs started by a PMIx launcher
 * (Open MPI's mpirun, prterun, srun --mpi=pmix).
 *
 * The launcher's PMIx server knows every process of the job: our rank is the
 * accelerator id, the job size the number of accelerators and the namespace,
 * made safe, the job name.  An allgather is a put of a fresh key, a commit and
 * a fence that collects the data, then one local get per rank; a barrier is a
 * fence without data.  Fences are started non-blocking and waited for here, so
 * that the timeout holds whatever the server does with PMIX_TIMEOUT, and a
 * peer death ends the wait early: one reported by a PMIx event, or, for peers
 * of this host (whose pids the attach exchange shares), one seen by kill(0).
 *
 * PMIx is one per process: the first user (identify or open) initializes it
 * and it stays up until the process exits (lib_exit); a process holds one
 * accelerator at a time here (its rank).  Locking: `lib` guards the
 * process-wide state below; a fence in flight lives in a heap record shared
 * with PMIx's progress thread.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pmix.h>

#include "pf_internal.h"

#define HELLO_MAGIC 0x706f64666162706dull /* "podfabpm" */
#define CHECK_INTERVAL_NS 50000000ull    /* check_peers: at most every 50 ms */
#define WAIT_SLICE_NS 50000000ull        /* a fence wait looks at the dead flag this often */
#define GONE_GRACE_NS 1000000000ull      /* a fence may still complete after a peer's exit */
#define SCOPE_MAX 96                      /* boot id and pid namespace */

/* Process-wide PMIx state. */
static pthread_mutex_t lib = PTHREAD_MUTEX_INITIALIZER;
static int lib_up;            /* PMIx_Init done and not yet finalized */
static int lib_users;         /* open bootstraps (0 or 1) */
static pmix_proc_t lib_me;    /* our namespace and rank */
static uint32_t lib_size;     /* job size */
static size_t lib_evref;      /* event handler registration */
static int lib_evreg;         /* lib_evref is valid */
static uint64_t lib_seq;      /* collective number: keys never repeat in this process */

/* Set by the event handler (PMIx's thread), read by waits and check_peers. */
static _Atomic int dead_status;        /* 0, or the PMIx status of the event */
static _Atomic int64_t dead_rank = -1; /* the affected rank when the event named one */

struct pf_boot {
	void (*idle)(void *arg); /* set_idle: called while fences wait */
	void *idle_arg;
	int id;
	int n;
	uint32_t timeout_ms;
	int broken;              /* an earlier collective failed: later ones fail at once */
	uint64_t last_check_ns;
	int32_t *pids;           /* per rank: its pid when it runs in our pid scope, else 0 */
	char job[PF_JOB_MAX + 1];
};

/* One fence in flight; freed by whichever of the waiter and the callback is last. */
struct fence_op {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	pmix_status_t status;
	_Atomic int refs;
	pmix_proc_t procs[1];
	pmix_info_t info[2];
	size_t ninfo;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *perr(pmix_status_t st)
{
	const char *s = PMIx_Error_string(st);
	return s ? s : "unknown PMIx status";
}

/* PMIx statuses that mean a process of the job (or our server) is gone. */
static int status_is_death(pmix_status_t st)
{
	switch (st) {
	case PMIX_ERR_PROC_ABORTED:
	case PMIX_ERR_PROC_ABORTING:
	case PMIX_ERR_PROC_REQUESTED_ABORT:
	case PMIX_ERR_PROC_ABORTED_BY_SIG:
	case PMIX_ERR_PROC_TERM_WO_SYNC:
	case PMIX_ERR_LOST_CONNECTION:
	case PMIX_ERR_UNREACH:
	case PMIX_ERR_JOB_ABORTED:
	case PMIX_ERR_JOB_ABORTED_BY_SIG:
	case PMIX_ERR_JOB_TERM_WO_SYNC:
	case PMIX_ERR_JOB_KILLED_BY_CMD:
	case PMIX_EVENT_NODE_DOWN:
		return 1;
	default:
		return 0;
	}
}

static void event_handler(size_t ref, pmix_status_t status, const pmix_proc_t *source, pmix_info_t info[],
			  size_t ninfo, pmix_info_t *results, size_t nresults,
			  pmix_event_notification_cbfunc_fn_t cbfunc, void *cbdata)
{
	(void)ref;
	(void)results;
	(void)nresults;
	int64_t rank = -1;
	for (size_t i = 0; i < ninfo; i++) {
		if (!strncmp(info[i].key, PMIX_EVENT_AFFECTED_PROC, PMIX_MAX_KEYLEN) &&
		    info[i].value.type == PMIX_PROC && info[i].value.data.proc &&
		    info[i].value.data.proc->rank < PMIX_RANK_VALID)
			rank = info[i].value.data.proc->rank;
	}
	if (rank < 0 && source && source->rank < PMIX_RANK_VALID && status != PMIX_ERR_LOST_CONNECTION &&
	    !PMIX_CHECK_PROCID(source, &lib_me))
		rank = source->rank;
	int expect = 0;
	if (atomic_compare_exchange_strong(&dead_status, &expect, status))
		atomic_store(&dead_rank, rank);
	/* Let the other handlers (the launcher's defaults) see it too. */
	if (cbfunc)
		cbfunc(PMIX_SUCCESS, NULL, 0, NULL, NULL, cbdata);
}

static int dead_error(const struct pf_boot *b, const char *what)
{
	int st = atomic_load(&dead_status);
	int64_t r = atomic_load(&dead_rank);
	if (r >= 0)
		return pf_err(PODFAB_EPEERDEAD, "accelerator %d in %s of job '%s': PMIx reports %s for rank %lld", b->id,
			      what, b->job, perr(st), (long long)r);
	return pf_err(PODFAB_EPEERDEAD, "accelerator %d in %s of job '%s': PMIx reports %s", b->id, what, b->job,
		      perr(st));
}

/* Read an integer job attribute of our namespace. */
static pmix_status_t get_job_u32(const char *key, uint32_t *out)
{
	pmix_proc_t wild;
	PMIX_LOAD_PROCID(&wild, lib_me.nspace, PMIX_RANK_WILDCARD);
	pmix_value_t *v = NULL;
	pmix_status_t st = PMIx_Get(&wild, key, NULL, 0, &v);
	if (st != PMIX_SUCCESS)
		return st;
	if (!v)
		return PMIX_ERR_NOT_FOUND;
	int64_t x = -1;
	switch (v->type) {
	case PMIX_UINT32:
		x = v->data.uint32;
		break;
	case PMIX_UINT16:
		x = v->data.uint16;
		break;
	case PMIX_UINT64:
		x = v->data.uint64 > UINT32_MAX ? -1 : (int64_t)v->data.uint64;
		break;
	case PMIX_INT:
		x = v->data.integer;
		break;
	case PMIX_INT32:
		x = v->data.int32;
		break;
	case PMIX_SIZE:
		x = v->data.size > UINT32_MAX ? -1 : (int64_t)v->data.size;
		break;
	default:
		break;
	}
	PMIX_VALUE_RELEASE(v);
	if (x < 0)
		return PMIX_ERR_BAD_PARAM;
	*out = (uint32_t)x;
	return PMIX_SUCCESS;
}

/* PMIx_Init and the job's facts, once per process.  Called with `lib` held. */
static int lib_start(void)
{
	if (lib_up)
		return 0;
	pmix_proc_t me;
	PMIX_PROC_CONSTRUCT(&me);
	pmix_status_t st = PMIx_Init(&me, NULL, 0);
	if (st != PMIX_SUCCESS)
		return pf_err(PODFAB_EENV, "PMIx_Init failed: %s (was this process started by a PMIx launcher?)",
			      perr(st));
	lib_me = me;
	uint32_t size = 0;
	pmix_status_t st2 = get_job_u32(PMIX_JOB_SIZE, &size);
	if (st2 != PMIX_SUCCESS)
		st2 = get_job_u32(PMIX_UNIV_SIZE, &size);
	if (st2 != PMIX_SUCCESS || size == 0) {
		PMIx_Finalize(NULL, 0);
		return pf_err(PODFAB_EENV, "PMIx gives no job size for namespace '%.64s' (%s)", me.nspace,
			      perr(st2));
	}
	lib_size = size;
	atomic_store(&dead_status, 0);
	atomic_store(&dead_rank, -1);
	pmix_status_t codes[] = {
		PMIX_ERR_PROC_ABORTED, PMIX_ERR_PROC_ABORTING, PMIX_ERR_PROC_REQUESTED_ABORT,
		PMIX_ERR_PROC_ABORTED_BY_SIG, PMIX_ERR_PROC_TERM_WO_SYNC, PMIX_ERR_LOST_CONNECTION,
		PMIX_ERR_JOB_ABORTED, PMIX_ERR_JOB_ABORTED_BY_SIG, PMIX_ERR_JOB_TERM_WO_SYNC,
		PMIX_EVENT_NODE_DOWN,
	};
	/* Blocking registration (no callback): the reference comes back as the status. */
	pmix_status_t ref = PMIx_Register_event_handler(codes, sizeof codes / sizeof codes[0], NULL, 0,
							 event_handler, NULL, NULL);
	lib_evreg = ref >= 0;
	lib_evref = ref >= 0 ? (size_t)ref : 0;
	if (ref < 0)
		pf_log(PF_LOG_INFO, "PMIx event registration failed (%s): peer deaths show only as failed fences",
		       perr(ref));
	lib_up = 1;
	return 0;
}

/*
 * PMIx_Finalize at the process's exit (or when libpodfab is unloaded), not at
 * the last close: a client that finalizes and initializes again races the
 * server's cleanup of its first connection, which may drop the data it puts
 * next (seen with Open MPI 4.1: one run in ten of init, finalize, init).  The
 * launcher wants PMIx_Finalize before a clean exit, hence the destructor.
 */
__attribute__((destructor)) static void lib_exit(void)
{
	pthread_mutex_lock(&lib);
	if (!lib_up) {
		pthread_mutex_unlock(&lib);
		return;
	}
	if (lib_evreg)
		PMIx_Deregister_event_handler(lib_evref, NULL, NULL);
	lib_evreg = 0;
	pmix_status_t st = PMIx_Finalize(NULL, 0);
	if (st != PMIX_SUCCESS)
		pf_log(PF_LOG_WARN, "PMIx_Finalize: %s", perr(st));
	lib_up = 0;
	pthread_mutex_unlock(&lib);
}

/*
 * The job name from a namespace: characters outside [A-Za-z0-9_-] become '-';
 * a name longer than PF_JOB_MAX keeps its head and a hash of the whole.
 */
static void job_from_nspace(const char *ns, char *job, size_t size)
{
	char buf[PF_JOB_MAX + 1];
	size_t len = strlen(ns), keep = len;
	if (len > PF_JOB_MAX)
		keep = PF_JOB_MAX - 9; /* "-" and 8 hex digits follow */
	for (size_t i = 0; i < keep; i++) {
		char c = ns[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
			 c == '-';
		buf[i] = ok ? c : '-';
	}
	buf[keep] = '\0';
	if (len > PF_JOB_MAX) {
		uint32_t h = 2166136261u; /* FNV-1a */
		for (size_t i = 0; i < len; i++)
			h = (h ^ (uint8_t)ns[i]) * 16777619u;
		snprintf(buf + keep, sizeof buf - keep, "-%08x", (unsigned)h);
	}
	snprintf(job, size, "%s", buf);
}

static int boot_identify(int *id, int *n, char *job, size_t job_size)
{
	pthread_mutex_lock(&lib);
	int rc = lib_start();
	if (rc == 0) {
		if (lib_me.nspace[0] == '\0') {
			rc = pf_err(PODFAB_EENV, "PMIx gave an empty namespace");
		} else if (lib_me.rank >= PMIX_RANK_VALID || lib_me.rank >= lib_size) {
			rc = pf_err(PODFAB_EENV, "PMIx gave rank %u of %u in namespace '%.64s'", (unsigned)lib_me.rank,
				    (unsigned)lib_size, lib_me.nspace);
		} else {
			*id = (int)lib_me.rank;
			*n = (int)lib_size;
			job_from_nspace(lib_me.nspace, job, job_size);
		}
	}
	/* PMIx stays up for the open that follows, and until the process exits. */
	pthread_mutex_unlock(&lib);
	return rc;
}

struct hello {
	uint64_t magic;
	uint32_t n;
	uint32_t id;
	int32_t pid;
	char job[PF_JOB_MAX + 1];
	char scope[SCOPE_MAX]; /* where our pid means something (pid_scope) */
};

/*
 * Not every launcher tells its clients about deaths (Open MPI 4.1 does not),
 * so peers whose pids mean something here are also watched through them:
 * those of the same kernel (boot id) and the same pid namespace.  An empty
 * key (unreadable /proc) watches nobody.
 */
static void pid_scope(char *key, size_t size)
{
	char boot[64] = "", ns[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (!fgets(boot, sizeof boot, f))
			boot[0] = '\0';
		fclose(f);
	}
	boot[strcspn(boot, "\n")] = '\0';
	ssize_t l = readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
	ns[l > 0 ? l : 0] = '\0';
	if (boot[0] && ns[0])
		snprintf(key, size, "%s/%s", boot, ns);
	else
		key[0] = '\0';
}

/* The first watched peer that is gone, or -1. */
static int local_peer_gone(const struct pf_boot *b)
{
	for (int i = 0; b->pids && i < b->n; i++)
		if (b->pids[i] > 0 && kill(b->pids[i], 0) < 0 && errno == ESRCH)
			return i;
	return -1;
}

/*
 * Names every watched peer that is gone, not only the first: a survivor that
 * ends on the first death is itself gone by the time others look, and the
 * message should still name the one that started it.
 */
static int gone_error(const struct pf_boot *b, int first, const char *what)
{
	char list[256];
	size_t used = 0;
	int count = 0;
	list[0] = '\0';
	for (int i = first; b->pids && i < b->n && used < sizeof list - 32; i++) {
		if (i != first && !(b->pids[i] > 0 && kill(b->pids[i], 0) < 0 && errno == ESRCH))
			continue;
		int w = snprintf(list + used, sizeof list - used, "%saccelerator %d (pid %d)", count ? ", " : "", i,
				 (int)b->pids[i]);
		if (w < 0 || (size_t)w >= sizeof list - used)
			break;
		used += (size_t)w;
		count++;
	}
	return pf_err(PODFAB_EPEERDEAD, "accelerator %d in %s of job '%s': %s died", b->id, what, b->job, list);
}

static void fence_op_put(struct fence_op *op)
{
	if (atomic_fetch_sub(&op->refs, 1) != 1)
		return;
	for (size_t i = 0; i < op->ninfo; i++)
		PMIX_INFO_DESTRUCT(&op->info[i]);
	pthread_cond_destroy(&op->cond);
	pthread_mutex_destroy(&op->lock);
	free(op);
}

static void fence_done(pmix_status_t status, void *cbdata)
{
	struct fence_op *op = cbdata;
	pthread_mutex_lock(&op->lock);
	op->status = status;
	op->done = 1;
	pthread_cond_broadcast(&op->cond);
	pthread_mutex_unlock(&op->lock);
	fence_op_put(op);
}

static int fail(struct pf_boot *b, int rc)
{
	b->broken = rc;
	return rc;
}

/*
 * A fence over the whole namespace, collecting the committed data when
 * `collect`, bounded by the bootstrap's timeout and ended early by a peer death.
 */
static int fence(struct pf_boot *b, int collect, const char *what)
{
	struct fence_op *op = calloc(1, sizeof *op);
	if (!op)
		return pf_err(PODFAB_ENOMEM, "PMIx fence record");
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&op->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&op->lock, NULL);
	atomic_init(&op->refs, 2);
	op->procs[0] = lib_me;
	op->procs[0].rank = PMIX_RANK_WILDCARD;
	int secs = (int)((b->timeout_ms + 999u) / 1000u);
	bool flag = true;
	PMIX_INFO_CONSTRUCT(&op->info[0]);
	PMIx_Info_load(&op->info[0], PMIX_TIMEOUT, &secs, PMIX_INT);
	op->ninfo = 1;
	if (collect) {
		PMIX_INFO_CONSTRUCT(&op->info[1]);
		PMIx_Info_load(&op->info[1], PMIX_COLLECT_DATA, &flag, PMIX_BOOL);
		op->ninfo = 2;
	}
	pmix_status_t st = PMIx_Fence_nb(op->procs, 1, op->info, op->ninfo, fence_done, op);
	if (st == PMIX_OPERATION_SUCCEEDED) { /* done at once; no callback comes */
		fence_op_put(op);
		fence_op_put(op);
		return 0;
	}
	if (st != PMIX_SUCCESS) {
		fence_op_put(op);
		fence_op_put(op);
		if (status_is_death(st))
			return pf_err(PODFAB_EPEERDEAD, "accelerator %d: PMIx_Fence in %s of job '%s': %s", b->id, what,
				      b->job, perr(st));
		return pf_err(PODFAB_ESYSTEM, "accelerator %d: PMIx_Fence in %s of job '%s': %s", b->id, what, b->job,
			      perr(st));
	}
	uint64_t start = now_ns(), limit = (uint64_t)b->timeout_ms * 1000000ull, gone_ns = 0;
	int rc = 0, gone = -1;
	pthread_mutex_lock(&op->lock);
	while (!op->done) {
		uint64_t t = now_ns();
		if (atomic_load(&dead_status)) {
			rc = dead_error(b, what);
			break;
		}
		/*
		 * A peer that saw the fence complete may exit before our own
		 * completion arrives: give that a moment before calling it dead.
		 */
		if (gone < 0 && (gone = local_peer_gone(b)) >= 0)
			gone_ns = t;
		if (gone >= 0 && t - gone_ns >= GONE_GRACE_NS) {
			rc = gone_error(b, gone, what);
			break;
		}
		if (t - start >= limit) {
			rc = pf_err(PODFAB_ETIMEDOUT, "accelerator %d waited %u ms in %s of job '%s' (PMIx fence)", b->id,
				    b->timeout_ms, what, b->job);
			break;
		}
		uint64_t slice = WAIT_SLICE_NS;
		if (b->idle) { /* keep the transport moving: wait in short steps */
			pthread_mutex_unlock(&op->lock);
			b->idle(b->idle_arg);
			pthread_mutex_lock(&op->lock);
			if (op->done)
				break;
			slice = 1000000ull;
		}
		uint64_t until = t + slice;
		if (until > start + limit)
			until = start + limit;
		struct timespec ts = {.tv_sec = (time_t)(until / 1000000000ull),
				      .tv_nsec = (long)(until % 1000000000ull)};
		pthread_cond_timedwait(&op->cond, &op->lock, &ts);
	}
	if (!rc && op->done && op->status != PMIX_SUCCESS) {
		st = op->status;
		if (st == PMIX_ERR_TIMEOUT)
			rc = pf_err(PODFAB_ETIMEDOUT, "accelerator %d waited %u ms in %s of job '%s': PMIx fence: %s",
				    b->id, b->timeout_ms, what, b->job, perr(st));
		else if (st == PMIX_ERR_PARTIAL_SUCCESS)
			/* The server completes a fence that way when participants have gone. */
			rc = pf_err(PODFAB_EPEERDEAD,
				    "accelerator %d in %s of job '%s': PMIx fence: %s (ranks left the job before it completed)",
				    b->id, what, b->job, perr(st));
		else if (status_is_death(st) || atomic_load(&dead_status))
			rc = pf_err(PODFAB_EPEERDEAD, "accelerator %d in %s of job '%s': PMIx fence: %s", b->id, what,
				    b->job, perr(st));
		else
			rc = pf_err(PODFAB_ESYSTEM, "accelerator %d in %s of job '%s': PMIx fence: %s", b->id, what,
				    b->job, perr(st));
	}
	pthread_mutex_unlock(&op->lock);
	fence_op_put(op); /* a fence given up on is freed by its callback, if it ever comes */
	return rc ? fail(b, rc) : 0;
}

/* Put `len` bytes under a fresh key, fence, and read every rank's into out. */
static int exchange(struct pf_boot *b, const char *what, const void *in, size_t len, void *out)
{
	if (b->broken)
		return pf_err(-b->broken, "accelerator %d in %s of job '%s': an earlier collective call failed",
			      b->id, what, b->job);
	if (atomic_load(&dead_status))
		return fail(b, dead_error(b, what));
	char key[64];
	pthread_mutex_lock(&lib);
	uint64_t seq = ++lib_seq;
	pthread_mutex_unlock(&lib);
	snprintf(key, sizeof key, "podfab.ag.%llu", (unsigned long long)seq);

	pmix_value_t val;
	PMIX_VALUE_CONSTRUCT(&val);
	pmix_byte_object_t bo = {.bytes = (char *)(uintptr_t)in, .size = len};
	PMIx_Value_load(&val, &bo, PMIX_BYTE_OBJECT); /* copies the bytes */
	pmix_status_t st = PMIx_Put(PMIX_GLOBAL, key, &val);
	PMIX_VALUE_DESTRUCT(&val);
	if (st == PMIX_SUCCESS)
		st = PMIx_Commit();
	if (st != PMIX_SUCCESS)
		return fail(b, pf_err(PODFAB_ESYSTEM, "accelerator %d in %s of job '%s': PMIx_Put/Commit of %s: %s",
				      b->id, what, b->job, key, perr(st)));
	int rc = fence(b, 1, what);
	if (rc)
		return rc;
	int secs = (int)((b->timeout_ms + 999u) / 1000u);
	pmix_info_t tinfo;
	PMIX_INFO_CONSTRUCT(&tinfo);
	PMIx_Info_load(&tinfo, PMIX_TIMEOUT, &secs, PMIX_INT);
	for (int i = 0; i < b->n && !rc; i++) {
		pmix_proc_t p;
		PMIX_LOAD_PROCID(&p, lib_me.nspace, (pmix_rank_t)i);
		pmix_value_t *v = NULL;
		st = PMIx_Get(&p, key, &tinfo, 1, &v);
		if (st != PMIX_SUCCESS || !v) {
			rc = pf_err(status_is_death(st) ? PODFAB_EPEERDEAD : PODFAB_ESYSTEM,
				    "accelerator %d in %s of job '%s': PMIx_Get(%s) of rank %d: %s", b->id, what, b->job,
				    key, i, perr(st));
		} else if (v->type != PMIX_BYTE_OBJECT || v->data.bo.size != len) {
			rc = pf_err(PODFAB_EMISMATCH,
				    "accelerator %d in %s of job '%s': rank %d contributed %zu bytes (type %u), expected %zu",
				    b->id, what, b->job, i, v->type == PMIX_BYTE_OBJECT ? v->data.bo.size : 0,
				    (unsigned)v->type, len);
		} else if (out && len) {
			memcpy((char *)out + (size_t)i * len, v->data.bo.bytes, len);
		}
		if (v)
			PMIX_VALUE_RELEASE(v);
	}
	PMIX_INFO_DESTRUCT(&tinfo);
	return rc ? fail(b, rc) : 0;
}

static int boot_open(const char *job, int id, int n, uint32_t timeout_ms, struct pf_boot **out)
{
	pthread_mutex_lock(&lib);
	int rc = lib_start();
	if (rc) {
		pthread_mutex_unlock(&lib);
		return rc;
	}
	if (lib_users > 0) {
		rc = pf_err(PODFAB_EMISMATCH,
			    "accelerator %d of job '%s': this process (PMIx rank %u) already holds an accelerator; "
			    "the pmix bootstrap gives one per process",
			    id, job, (unsigned)lib_me.rank);
	} else if ((uint32_t)id != lib_me.rank || (uint32_t)n != lib_size) {
		rc = pf_err(PODFAB_EMISMATCH,
			    "asked for accelerator %d of %d, but PMIx says this process is rank %u of %u (namespace '%.64s'): "
			    "unset PODFAB_ACCEL_ID/PODFAB_NACCELS (or the params) under a PMIx launcher, "
			    "or choose PODFAB_BOOT=local or tcp",
			    id, n, (unsigned)lib_me.rank, (unsigned)lib_size, lib_me.nspace);
	}
	if (rc) {
		pthread_mutex_unlock(&lib);
		return rc;
	}
	lib_users++;
	pthread_mutex_unlock(&lib);

	struct pf_boot *b = calloc(1, sizeof *b);
	if (!b) {
		rc = pf_err(PODFAB_ENOMEM, "bootstrap state");
		goto fail;
	}
	b->id = id;
	b->n = n;
	b->timeout_ms = timeout_ms;
	snprintf(b->job, sizeof b->job, "%s", job);
	b->pids = calloc((size_t)n, sizeof *b->pids);
	if (!b->pids) {
		rc = pf_err(PODFAB_ENOMEM, "bootstrap pid table");
		goto fail;
	}

	/* Wait for everyone, and check that all agree on the size and the job. */
	struct hello me, *all = calloc((size_t)n, sizeof *all);
	if (!all) {
		rc = pf_err(PODFAB_ENOMEM, "bootstrap hello table");
		goto fail;
	}
	memset(&me, 0, sizeof me);
	me.magic = HELLO_MAGIC;
	me.n = (uint32_t)n;
	me.id = (uint32_t)id;
	me.pid = (int32_t)getpid();
	snprintf(me.job, sizeof me.job, "%s", job);
	pid_scope(me.scope, sizeof me.scope);
	rc = exchange(b, "attach", &me, sizeof me, all);
	for (int i = 0; !rc && i < n; i++) {
		if (all[i].magic != HELLO_MAGIC || all[i].id != (uint32_t)i)
			rc = pf_err(PODFAB_EMISMATCH, "rank %d of namespace '%.64s' is not a podfab accelerator %d", i,
				    lib_me.nspace, i);
		else if (all[i].n != (uint32_t)n ||
			 strncmp(all[i].job, job, sizeof all[i].job) != 0)
			rc = pf_err(PODFAB_EMISMATCH,
				    "accelerator %d attached as one of %u in job '%.48s', accelerator %d as one of %d in job '%s'",
				    i, all[i].n, all[i].job, id, n, job);
		else if (i != id && me.scope[0] && !strncmp(all[i].scope, me.scope, sizeof me.scope))
			b->pids[i] = all[i].pid;
	}
	free(all);
	if (rc)
		goto fail;
	*out = b;
	return 0;
fail:
	if (b)
		free(b->pids);
	free(b);
	pthread_mutex_lock(&lib);
	lib_users--;
	pthread_mutex_unlock(&lib);
	return rc;
}

static int boot_allgather(struct pf_boot *b, const void *in, size_t len, void *out)
{
	if (len > PF_BOOT_BLOB)
		return pf_err(PODFAB_EINVAL, "bootstrap blob of %zu bytes exceeds %u", len, PF_BOOT_BLOB);
	if (len == 0)
		return b->broken ? pf_err(-b->broken, "accelerator %d: an earlier collective call failed", b->id)
				 : fence(b, 0, "a collective call");
	return exchange(b, "a collective call", in, len, out);
}

static int boot_barrier(struct pf_boot *b)
{
	return boot_allgather(b, NULL, 0, NULL);
}

static int boot_check_peers(struct pf_boot *b)
{
	uint64_t t = now_ns();
	if (t - b->last_check_ns < CHECK_INTERVAL_NS)
		return 0;
	b->last_check_ns = t;
	if (atomic_load(&dead_status))
		return dead_error(b, "a peer check");
	int i = local_peer_gone(b);
	return i < 0 ? 0 : gone_error(b, i, "a peer check");
}

static void boot_close(struct pf_boot *b)
{
	if (!b)
		return;
	free(b->pids);
	free(b);
	pthread_mutex_lock(&lib);
	if (lib_users > 0)
		lib_users--;
	pthread_mutex_unlock(&lib);
}

static void pmix_set_idle(struct pf_boot *b, void (*fn)(void *arg), void *arg)
{
	b->idle = fn;
	b->idle_arg = arg;
}

const struct pf_boot_ops pf_boot_pmix_ops = {
	.set_idle = pmix_set_idle,
	.name = "pmix",
	.open = boot_open,
	.allgather = boot_allgather,
	.barrier = boot_barrier,
	.check_peers = boot_check_peers,
	.close = boot_close,
	.identify = boot_identify,
};
