/* sync.c - fence, quiet, barrier, progress, and waiting on local memory. */
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "pf_internal.h"

#define SPIN_BEFORE_YIELD 4096
#define SPIN_NS_BEFORE_IDLE 50000 /* transports that can sleep until news: poll them this long first */


/*
 * The slow part of every wait: after SPIN_BEFORE_YIELD spins give the CPU away
 * (accelerators may outnumber cores) and now and then check that the peers are
 * still alive, so that a wait for a dead peer ends with -PODFAB_EPEERDEAD.  A
 * wait with a bound (w->bounded: collectives) ends after timeout_ms with
 * -PODFAB_ETIMEDOUT.  Callers re-check their condition before believing an
 * error: the peer may have come and gone in between.
 */
static int drain(podfab_t pf);

int pf_wait_slow(podfab_t pf, struct pf_wait *w)
{
	if (pf->nheap) /* realtime: deferred operations fall due while we wait */
		pf_pace_progress(pf);
	if (pf->tp_ops->flags & PF_TP_NEEDS_PROGRESS) { /* data (and target atomics) move while we wait */
		int rc = drain(pf);
		if (rc < 0)
			return rc;
	}
	uint64_t s = ++w->spins;
	if (pf->tp_ops->idle) {
		/* poll the transport for a while (a network round trip), then sleep until it has news */
		uint64_t t = pf_mono_ns();
		if (!w->spin_ns)
			w->spin_ns = t;
		if (t - w->spin_ns < SPIN_NS_BEFORE_IDLE) {
			pf_cpu_relax();
			return 0;
		}
		int rc = pf->tp_ops->idle(pf->tp, 1);
		if (rc < 0)
			return rc;
		if (rc > 0)
			w->spin_ns = 0; /* woken by news: poll again before the next sleep */
	} else {
		if (s < SPIN_BEFORE_YIELD) {
			pf_cpu_relax();
			return 0;
		}
		sched_yield();
	}
	if ((s & 255) != 0)
		return 0;
	int rc = pf->boot_ops->check_peers(pf->boot);
	if (rc || !w->bounded)
		return rc;
	uint64_t t = pf_mono_ns();
	if (!w->start_ns)
		w->start_ns = t;
	else if (t - w->start_ns > (uint64_t)pf->timeout_ms * 1000000ull)
		return pf_err(PODFAB_ETIMEDOUT, "accelerator %d waited more than %u ms in %s", pf->id,
			      pf->timeout_ms, w->what);
	return 0;
}

static int drain(podfab_t pf)
{
	if (pf->nheap)
		pf_pace_progress(pf);
	struct pf_tp_cqe cqe[16];
	int n = pf->tp_ops->progress(pf->tp, cqe, 16);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		cqe[i].ctx->status = cqe[i].status;
		cqe[i].ctx->done = 1;
		pf->pending--;
	}
	return n;
}

int pf_progress(podfab_t pf)
{
	return drain(pf);
}

int pf_progress_until(podfab_t pf, struct pf_tp_ctx *ctx)
{
	struct pf_wait w = {0, 0, 0, "a transfer", 0};
	int rc;
	while (!ctx->done) {
		if ((rc = drain(pf)) < 0)
			return rc;
		if (!ctx->done && (rc = pf_wait_slow(pf, &w)) < 0 && drain(pf) >= 0 && !ctx->done)
			return rc;
	}
	return ctx->status;
}

PODFAB_EXPORT int podfab_fence(podfab_t pf)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	pf->ctr[PODFAB_CTR_FENCES]++;
	return pf->tp_ops->fence(pf->tp, -1);
}

int pf_quiet_internal(podfab_t pf)
{
	int rc = pf->tp_ops->quiet(pf->tp);
	if (rc < 0)
		return rc;
	struct pf_wait w = {0, 0, 0, "quiet", 0};
	while (pf->pending || pf->nheap) {
		if ((rc = drain(pf)) < 0 || ((pf->pending || pf->nheap) && (rc = pf_wait_slow(pf, &w)) < 0))
			return rc;
	}
	pf_vt_quiet(pf);
	if (pf->tm)
		pf_tm_flush(pf->tm);
	rc = pf->defer_status; /* an operation without a request failed */
	pf->defer_status = 0;
	return rc;
}

PODFAB_EXPORT int podfab_quiet(podfab_t pf)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	pf->ctr[PODFAB_CTR_QUIETS]++;
	return pf_quiet_internal(pf);
}

/*
 * Virtual mode: a barrier round is a small write whose modelled arrival rides
 * with the flag (word 1 or 2 of the round's line, by epoch parity: a peer can
 * be at most one barrier ahead), so that clocks leave the barrier together at
 * the time the last round's message arrived (a round to a peer the fabric no
 * longer reaches costs nothing).  Times are non-negative doubles,
 * whose bits order like integers: an atomic MAX keeps the latest.
 */
static int vt_barrier_send(podfab_t pf, int peer, size_t off, uint64_t epoch)
{
	double arr, cmp;
	int rc = pf_tm_op(pf->tm, (uint32_t)pf->id, (uint32_t)peer, off, 8, 0, pf->vt, NULL, &arr, &cmp);
	if (rc < 0) {
		/*
		 * No route to the peer (links taken down): the barrier still completes,
		 * for every accelerator, with this round costing no model time.
		 */
		pf_detail_clear();
		arr = pf->vt;
	}
	rc = pf->tp_ops->atomic(pf->tp, peer, pf->sys->rmr[peer], off + 8 * (1 + (epoch & 1)), PODFAB_AOP_MAX,
				PODFAB_UINT64, pf_tm_u(arr), 0, NULL, NULL);
	if (rc == PF_TP_POSTED)
		rc = pf->tp_ops->quiet(pf->tp);
	return rc < 0 ? rc : 0;
}

/*
 * Dissemination barrier over the system segment: in round r accelerator i
 * raises the round-r flag of accelerator (i + 2^r) mod n to the barrier's epoch
 * and waits for its own round-r flag to reach it.  Epochs only grow, so flags
 * never need resetting.
 */
int pf_barrier_internal(podfab_t pf)
{
	int rc = pf_quiet_internal(pf);
	if (rc)
		return rc;
	uint64_t epoch = ++pf->barrier_epoch;
	struct pf_sysseg *mine = pf->sys->local;
	for (int r = 0; r < pf->barrier_rounds; r++) {
		int peer = (int)(((unsigned)pf->id + (1u << r)) % (unsigned)pf->n);
		size_t off = offsetof(struct pf_sysseg, barrier_flag) + (size_t)r * sizeof mine->barrier_flag[0];
		if (pf->timing == PODFAB_TIMING_VIRTUAL && (rc = vt_barrier_send(pf, peer, off, epoch)) < 0)
			return rc;
		rc = pf->tp_ops->atomic(pf->tp, peer, pf->sys->rmr[peer], off, PODFAB_AOP_SET, PODFAB_UINT64,
					epoch, 0, NULL, NULL);
		if (rc < 0)
			return rc;
		if (rc == PF_TP_POSTED && (rc = pf->tp_ops->quiet(pf->tp)) < 0)
			return rc;
		struct pf_wait w = {0, 0, 1, "a barrier", 0};
		while (atomic_load_explicit(&mine->barrier_flag[r][0], memory_order_acquire) < epoch)
			if ((rc = pf_wait_slow(pf, &w)) < 0 &&
			    atomic_load_explicit(&mine->barrier_flag[r][0], memory_order_acquire) < epoch)
				return rc; /* (the re-check: the peer may have come and gone) */
		if (pf->timing == PODFAB_TIMING_VIRTUAL)
			pf_vt_reached(pf, pf_tm_d(atomic_load_explicit(&mine->barrier_flag[r][1 + (epoch & 1)],
								       memory_order_acquire)));
	}
	if (pf->timing == PODFAB_TIMING_VIRTUAL)
		pf_tm_atomic_max(&pf->tm->accels[pf->id].now, pf->vt);
	return 0;
}

PODFAB_EXPORT int podfab_barrier(podfab_t pf)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	pf->ctr[PODFAB_CTR_BARRIERS]++;
	return pf_barrier_internal(pf);
}

int pf_cmp_valid(int cmp)
{
	return cmp >= 0 && cmp < PODFAB_CMP_MAX;
}

#define CMP(a, op, b)                          \
	switch (op) {                          \
	case PODFAB_CMP_EQ: return (a) == (b); \
	case PODFAB_CMP_NE: return (a) != (b); \
	case PODFAB_CMP_GT: return (a) > (b);  \
	case PODFAB_CMP_GE: return (a) >= (b); \
	case PODFAB_CMP_LT: return (a) < (b);  \
	default: return (a) <= (b);            \
	}

/* Load the value at addr once (into *seen) and compare it. */
static inline int compare(const void *addr, podfab_type_t type, podfab_cmp_t cmp, uint64_t value,
			  uint64_t *seen)
{
	switch (type) {
	case PODFAB_INT32: {
		int32_t v = atomic_load_explicit((const _Atomic int32_t *)addr, memory_order_acquire);
		*seen = (uint32_t)v;
		CMP(v, cmp, (int32_t)(uint32_t)value)
	}
	case PODFAB_UINT32: {
		uint32_t v = atomic_load_explicit((const _Atomic uint32_t *)addr, memory_order_acquire);
		*seen = v;
		CMP(v, cmp, (uint32_t)value)
	}
	case PODFAB_INT64: {
		int64_t v = atomic_load_explicit((const _Atomic int64_t *)addr, memory_order_acquire);
		*seen = (uint64_t)v;
		CMP(v, cmp, (int64_t)value)
	}
	default: {
		uint64_t v = atomic_load_explicit((const _Atomic uint64_t *)addr, memory_order_acquire);
		*seen = v;
		CMP(v, cmp, value)
	}
	}
}

static int wait_args(podfab_t pf, const void *addr, podfab_type_t type, podfab_cmp_t cmp)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	if (!addr)
		return pf_err(PODFAB_ENULL, "addr is NULL");
	if ((unsigned)type >= PODFAB_TYPE_MAX)
		return pf_err(PODFAB_EINVAL, "type %d is not a podfab_type_t", (int)type);
	if (!pf_cmp_valid((int)cmp))
		return pf_err(PODFAB_EINVAL, "comparison %d is not a podfab_cmp_t", (int)cmp);
	size_t sz = (type == PODFAB_INT32 || type == PODFAB_UINT32) ? 4 : 8;
	if ((uintptr_t)addr & (sz - 1))
		return pf_err(PODFAB_EALIGN, "address %p is not aligned to %zu bytes", addr, sz);
	return 0;
}

static int wait_until(podfab_t pf, const void *addr, podfab_type_t type, podfab_cmp_t cmp,
		      uint64_t value, uint64_t *seen)
{
	int rc = wait_args(pf, addr, type, cmp);
	if (rc)
		return rc;
	pf->ctr[PODFAB_CTR_WAITS]++;
	struct pf_wait w = {0, 0, 0, "a wait", 0};
	while (!compare(addr, type, cmp, value, seen))
		if ((rc = pf_wait_slow(pf, &w)) < 0 && !compare(addr, type, cmp, value, seen))
			return rc; /* (the re-check: the peer may have come and gone) */
	pf_vt_wait_ended(pf);
	return 0;
}

PODFAB_EXPORT int podfab_wait_until(podfab_t pf, const void *addr, podfab_type_t type,
				    podfab_cmp_t cmp, uint64_t value)
{
	uint64_t seen;
	return wait_until(pf, addr, type, cmp, value, &seen);
}

PODFAB_EXPORT int podfab_test_until(podfab_t pf, const void *addr, podfab_type_t type,
				    podfab_cmp_t cmp, uint64_t value)
{
	uint64_t seen;
	int rc = wait_args(pf, addr, type, cmp);
	if (rc)
		return rc;
	if (pf->nheap)
		pf_pace_progress(pf);
	rc = compare(addr, type, cmp, value, &seen);
	if (rc)
		pf_vt_wait_ended(pf);
	return rc;
}

PODFAB_EXPORT uint64_t podfab_signal_fetch(podfab_t pf, const uint64_t *sig_addr)
{
	if (wait_args(pf, sig_addr, PODFAB_UINT64, PODFAB_CMP_EQ))
		return 0;
	return atomic_load_explicit((const _Atomic uint64_t *)sig_addr, memory_order_acquire);
}

PODFAB_EXPORT int podfab_signal_wait_until(podfab_t pf, const uint64_t *sig_addr, podfab_cmp_t cmp,
					   uint64_t value, uint64_t *seen)
{
	uint64_t v = 0;
	int rc = wait_until(pf, sig_addr, PODFAB_UINT64, cmp, value, &v);
	if (rc == 0 && seen)
		*seen = v; /* the value that satisfied the comparison */
	return rc;
}
