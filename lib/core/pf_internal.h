/*
 * pf_internal.h - libpodfab's internal types (prefix pf_; public prefix podfab_).
 *
 * The way of one put: podfab_put() checks its arguments against the handle and
 * segment (rma.c), counts it (ctr[]), and jumps through the transport's ops table;
 * the transport moves the bytes and completes inline or later through progress().
 * Nothing on that path allocates, locks or makes a system call.
 */
#ifndef PF_INTERNAL_H
#define PF_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <podfab/podfab.h>

#include "pf_boot.h"
#include "pf_timing.h"
#include "pf_transport.h"

#define pf_likely(x) __builtin_expect(!!(x), 1)
#define pf_unlikely(x) __builtin_expect(!!(x), 0)

#define PF_MAX_LOCAL_ACCELS 1024 /* live handles in one process */
#define PF_MAX_ACCELS 65536      /* accelerators in a pod */
#define PF_JOB_MAX 48
#define PF_MAX_EXPORTS 256       /* exported regions per accelerator */
#define PF_BARRIER_ROUNDS 17     /* ceil(log2(PF_MAX_ACCELS)) + 1 */
#define PF_DEFAULT_MAX_REQUESTS 4096u

enum pf_accel_state { PF_SLOT_FREE = 0, PF_SLOT_LIVE = 0x4c495645, PF_SLOT_DEAD = 0x44454144 };
enum pf_seg_kind { PF_SEG_SYM = 1, PF_SEG_EXPORT = 2, PF_SEG_IMPORT = 3, PF_SEG_SYS = 4 };
#define PF_SEG_MAGIC 0x53454721u
#define PF_REQ_MAGIC 0x52455121u

struct podfab_seg {
	uint32_t magic;
	uint32_t kind;
	struct podfab_accel *pf; /* the handle the segment belongs to */
	size_t size;
	void *local;             /* this accelerator's copy (SYM, EXPORT, SYS) */
	int owner;               /* owning accelerator (EXPORT, IMPORT) */
	uint32_t id;             /* symmetric id, or export slot */
	uint64_t outstanding;    /* explicit requests not yet reaped */
	struct pf_tp_mr *mr;
	struct pf_tp_rmr **rmr;  /* per accelerator (SYM, SYS) or [0] (IMPORT) */
	char **direct;           /* per accelerator base for load/store, or NULL */
	unsigned caps;           /* IMPORT: rkey_caps of the remote */
	unsigned align;          /* EXPORT, IMPORT: base address modulo 8 */
	struct podfab_seg *next, *prev;
};

struct podfab_req {
	struct pf_tp_ctx ctx;    /* first: progress() hands it back */
	uint32_t magic;
	uint32_t explicit_;      /* handed to the caller */
	struct podfab_accel *pf;
	struct podfab_seg *seg;
	struct podfab_req *next_free;
	double due;              /* virtual: modelled completion */
};

/*
 * The system segment: a symmetric segment every accelerator allocates at init;
 * it carries the barrier flags and the export table that peers read to import.
 */
/*
 * An export entry is read by peers through the transport while its owner may
 * rewrite it, so every word is atomic and the generation word works as a
 * seqlock (odd while being written; 0 when free).
 */
enum { PF_EX_GEN = 0, PF_EX_SIZE = 1, PF_EX_ALIGN = 2, PF_EX_KEY = 3,
       PF_EX_WORDS = PF_EX_KEY + PF_KEY_MAX / 8 };
struct pf_export_entry {
	_Atomic uint64_t w[PF_EX_WORDS];
};
struct pf_sysseg {
	_Alignas(64) _Atomic uint64_t barrier_flag[PF_BARRIER_ROUNDS][8]; /* one line each */
	/* virtual mode: latest modelled arrival of a write from another host (double bits) */
	_Alignas(64) _Atomic uint64_t vt_stamp[8];
	struct pf_export_entry exports[PF_MAX_EXPORTS];
};

struct podfab_accel {
	uint32_t state;
	int id;
	int n;
	int timing;
	uint32_t timeout_ms;
	const struct pf_tp_ops *tp_ops;
	struct pf_tp *tp;
	const struct pf_boot_ops *boot_ops;
	struct pf_boot *boot;
	char job[PF_JOB_MAX + 1];
	char *model;
	struct podfab_topo *topo;     /* the loaded fabric model, or NULL */
	uint64_t ctr[PODFAB_CTR_MAX];

	struct podfab_seg *sys;       /* system segment */
	uint64_t barrier_epoch;
	int barrier_rounds;

	struct podfab_req *reqs;      /* pool of max_requests */
	struct podfab_req *free_reqs;
	uint32_t max_requests;
	uint32_t pending;             /* posted, not yet completed (non-inline transports) */

	uint32_t next_segid;
	struct podfab_seg *segs;      /* every live segment of this handle */
	struct podfab_seg **seg_chunks; /* segment records (segment.c) */
	uint32_t seg_next, seg_nfree;
	struct podfab_seg *seg_free_head, *seg_free_tail;
	uint32_t export_gen;
	uint8_t export_used[PF_MAX_EXPORTS];

	/* timing (lib/timing/): NULL/0 in functional mode */
	struct pf_tm *tm;
	struct pf_tm_shared *tsh;     /* this host's timing region of the job */
	size_t tsh_size;
	int tsh_owner;
	int *tm_host;                 /* per accelerator: the lowest id of its host (the region's creator) */
	int tm_nhosts;                /* hosts, so timing regions, of the job */
	double dilation;              /* realtime: wall ns per model ns */
	uint64_t seed;
	uint64_t epoch_ns;            /* realtime: CLOCK_MONOTONIC of model time 0 */
	uint64_t init_ns;             /* functional: podfab_time() counts from here */
	double vt;                    /* virtual clock, model ns */
	double quiet_due;             /* virtual: latest completion of operations without a request */
	double *order;                /* per destination: latest request arrival (in-order delivery) */
	struct pf_defer *defer;       /* realtime: pool of deferred operations */
	struct pf_defer *defer_free;
	struct pf_defer **heap;       /* realtime: min-heap on due time */
	uint32_t nheap, ndefer;
	uint64_t defer_seq;
	int defer_status;             /* first error of a deferred operation without a request */
};

/* errors.c */
int pf_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pf_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum { PF_LOG_NONE = 0, PF_LOG_WARN = 1, PF_LOG_INFO = 2, PF_LOG_DEBUG = 3 };
void pf_detail_clear(void);

/* env.c */
int pf_env_int(const char *name, long min, long max, long *out, int *present);
int pf_job_valid(const char *job);
int pf_timing_parse(const char *s, int *out);
int pf_env_double(const char *name, double min, double max, double *out, int *present);
int pf_env_u64(const char *name, uint64_t *out, int *present);

/* host.c: a key equal for the accelerators of one host (PODFAB_HOSTS=N: id / N). */
int pf_host_key(int id, uint64_t *out);

/* accel.c */
int pf_accel_check_slow(podfab_t pf);
static inline int pf_accel_check(podfab_t pf)
{
	if (pf_likely(pf != NULL && pf->state == PF_SLOT_LIVE))
		return 0;
	return pf_accel_check_slow(pf);
}

/* segment.c */
int pf_seg_alloc_internal(podfab_t pf, size_t size, int kind, podfab_seg_t *out);
void pf_seg_destroy(podfab_t pf, podfab_seg_t seg);
void pf_seg_records_free(podfab_t pf);
int pf_seg_check_slow(podfab_t pf, podfab_seg_t seg);
static inline int pf_seg_check(podfab_t pf, podfab_seg_t seg)
{
	if (pf_likely(seg != NULL && seg->magic == PF_SEG_MAGIC && seg->pf == pf))
		return 0;
	return pf_seg_check_slow(pf, seg);
}

/* sync.c */
int pf_progress(podfab_t pf);
int pf_progress_until(podfab_t pf, struct pf_tp_ctx *ctx);
int pf_barrier_internal(podfab_t pf);
int pf_quiet_internal(podfab_t pf);
struct pf_wait {
	uint64_t spins;
	uint64_t start_ns;
	int bounded;      /* collectives: give up after timeout_ms */
	const char *what; /* for the message */
	uint64_t spin_ns; /* transports with idle(): when this wait began to spin */
};
int pf_wait_slow(podfab_t pf, struct pf_wait *w);
int pf_cmp_valid(int cmp);

/* lib/timing: shared.c and pace.c */
enum pf_op_kind { PF_OP_PUT = 0, PF_OP_GET = 1, PF_OP_ATOMIC = 2, PF_OP_PUT_SIGNAL = 3 };
/* One operation, as the API checked it: what the transport is asked to do. */
struct pf_op {
	int kind;
	int dst;
	struct pf_tp_rmr *rmr, *srmr;
	size_t off, len, sig_off;
	const void *src;
	void *dest;
	podfab_atomic_op_t aop;
	podfab_type_t type;
	uint64_t operand, compare;
	void *result;
	uint64_t signal;
	podfab_signal_op_t sig_op;
	uint64_t flow;
};
int pf_tm_attach(podfab_t pf);
int pf_tm_agree(podfab_t pf, int rc);
void pf_tm_publish(podfab_t pf);
int pf_tm_detach(podfab_t pf, int after_barrier);
int pf_pace_init(podfab_t pf);
void pf_pace_fini(podfab_t pf);
/* A timed operation: blocking when nb == 0; r is the request (NULL: none, or blocking). */
int pf_timed(podfab_t pf, const struct pf_op *op, struct podfab_req *r, int nb);
/* Realtime: run deferred operations that are due.  Returns how many completed. */
int pf_pace_progress(podfab_t pf);
/* Virtual: a request completed (advance the clock to its modelled completion). */
static inline void pf_vt_reached(podfab_t pf, double t)
{
	if (t > pf->vt)
		pf->vt = t;
}
/* Virtual: a wait on local memory ended (take the latest arrival of a write into it). */
void pf_vt_wait_ended(podfab_t pf);
/* Virtual: quiet completes every operation issued without a request. */
void pf_vt_quiet(podfab_t pf);
double pf_model_now(podfab_t pf);

/* rma.c */
struct podfab_req *pf_req_get(podfab_t pf);
void pf_req_put(podfab_t pf, struct podfab_req *r);

#define FAIL(pf, rc) (((pf)->ctr[PODFAB_CTR_ERRORS]++), (rc))

/* Finish a post: complete inline, hand out the request, or wait (blocking: req_out == NULL && r). */
static inline int pf_post_done(podfab_t pf, struct podfab_req *r, int rc, podfab_req_t *req_out)
{
	if (pf_likely(rc == PF_TP_DONE)) {
		if (r) {
			r->ctx.done = 1;
			*req_out = r;
		}
		return 0;
	}
	if (rc < 0) {
		if (r)
			pf_req_put(pf, r);
		return FAIL(pf, rc);
	}
	if (r) { /* without a request the transport's quiet completes it: no completion entry comes */
		pf->pending++;
		*req_out = r;
	}
	return 0;
}

static inline int pf_blocking_done(podfab_t pf, struct pf_tp_ctx *ctx, int rc)
{
	if (pf_likely(rc == PF_TP_DONE))
		return 0;
	if (rc < 0)
		return FAIL(pf, rc);
	pf->pending++;
	rc = pf_progress_until(pf, ctx);
	return rc < 0 ? FAIL(pf, rc) : 0;
}


static inline uint64_t pf_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void pf_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* PF_INTERNAL_H */
