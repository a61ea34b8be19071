/*
 * pace.c - the timing modes inside libpodfab.
 *
 * Every checked operation of a timed accelerator comes here (rma.c): the
 * engine gives its arrival time (the last request at the target: the data is
 * visible) and completion time (the last response back), from the issuing
 * accelerator's model time.  Then
 *   virtual   the bytes move at once; the accelerator's clock jumps to the
 *             completion (blocking) or the request remembers it (podfab_wait
 *             and quiet take it); a write stamps its arrival on the target so
 *             that a wait which sees it takes the clock there;
 *   realtime  model time is (wall time - epoch) / dilation; a blocking
 *             operation spins until the arrival, moves the bytes, and spins
 *             until the completion; a non-blocking one goes into a min-heap on
 *             its due time and moves, then completes, when progress finds it
 *             due (podfab_test/wait/quiet and every wait call progress), so
 *             operations finish in due-time order with no thread per operation.
 * The heap's records come from a pool made at init: no allocation per operation.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include "pf_internal.h"
#include "pf_model.h"

struct pf_defer {
	struct pf_op op;
	struct pf_tp_ctx ctx;      /* the transport's completion of the data movement */
	struct podfab_req *req;    /* the caller's request, or NULL (completed by quiet) */
	double due;                /* phase 0: arrival; phase 1: completion */
	double complete;
	uint64_t seq;              /* issue order: breaks ties of due time */
	int phase;
	struct pf_defer *next_free;
};

static inline uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double pf_model_now(podfab_t pf)
{
	switch (pf->timing) {
	case PODFAB_TIMING_VIRTUAL:
		return pf->vt;
	case PODFAB_TIMING_REALTIME:
		return (double)(int64_t)(mono_ns() - pf->epoch_ns) / pf->dilation;
	default:
		return (double)(mono_ns() - pf->init_ns);
	}
}

int pf_pace_init(podfab_t pf)
{
	pf->tm = calloc(1, sizeof *pf->tm);
	pf->order = calloc((size_t)pf->n, sizeof *pf->order);
	if (!pf->tm || !pf->order)
		return pf_err(PODFAB_ENOMEM, "timing state");
	int rc = pf_tm_init(pf->tm, pf->topo, pf_tm_links(pf->tsh), pf_tm_accels(pf->tsh), pf->seed,
			    (uint32_t)pf->id);
	if (rc)
		return rc;
	pf->tm->sh = pf->tsh;
	pf->tm->cal = pf_tm_cal(pf->tsh);
	pf->tm->nbuckets = pf->tsh->nbuckets;
	pf->tm->seen_gen = atomic_load_explicit(&pf->tsh->fault_gen, memory_order_acquire);
	if (pf->tm->seen_gen && (rc = pf_tm_sync_faults(pf->tm)))
		return rc;
	if (pf->timing == PODFAB_TIMING_REALTIME) {
		pf->ndefer = 2 * pf->max_requests;
		pf->defer = calloc(pf->ndefer, sizeof *pf->defer);
		pf->heap = calloc(pf->ndefer, sizeof *pf->heap);
		if (!pf->defer || !pf->heap)
			return pf_err(PODFAB_ENOMEM, "%u deferred-operation records", pf->ndefer);
		for (uint32_t i = 0; i < pf->ndefer; i++)
			pf->defer[i].next_free = i + 1 < pf->ndefer ? &pf->defer[i + 1] : NULL;
		pf->defer_free = pf->defer;
	}
	return 0;
}

void pf_pace_fini(podfab_t pf)
{
	if (pf->tm) {
		pf_tm_fini(pf->tm);
		free(pf->tm);
	}
	pf->tm = NULL;
	free(pf->order);
	free(pf->defer);
	free(pf->heap);
	pf->order = NULL;
	pf->defer = pf->defer_free = NULL;
	pf->heap = NULL;
	pf->nheap = pf->ndefer = 0;
}

/* ---- the due-time heap ------------------------------------------------ */

/* Earlier due time first; at equal times, the one issued first. */
static inline int before(const struct pf_defer *a, const struct pf_defer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(podfab_t pf, struct pf_defer *d)
{
	struct pf_defer **h = pf->heap;
	uint32_t i = pf->nheap++;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!before(d, h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = d;
}

static struct pf_defer *heap_pop(podfab_t pf)
{
	struct pf_defer **h = pf->heap, *top = h[0], *last = h[--pf->nheap];
	uint32_t i = 0, n = pf->nheap;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && before(h[c + 1], h[c]))
			c++;
		if (!before(h[c], last))
			break;
		h[i] = h[c];
		i = c;
	}
	if (n)
		h[i] = last;
	return top;
}

/* ---- moving the bytes ------------------------------------------------- */

static int exec(podfab_t pf, const struct pf_op *o, struct pf_tp_ctx *ctx)
{
	switch (o->kind) {
	case PF_OP_PUT:
		return pf->tp_ops->put(pf->tp, o->dst, o->rmr, o->off, o->src, o->len, ctx);
	case PF_OP_GET:
		return pf->tp_ops->get(pf->tp, o->dest, o->dst, o->rmr, o->off, o->len, ctx);
	case PF_OP_ATOMIC:
		return pf->tp_ops->atomic(pf->tp, o->dst, o->rmr, o->off, o->aop, o->type, o->operand, o->compare,
					  o->result, ctx);
	default:
		return pf->tp_ops->put_signal(pf->tp, o->dst, o->rmr, o->off, o->src, o->len, o->srmr, o->sig_off,
					      o->signal, o->sig_op, ctx);
	}
}

/*
 * Virtual mode, a write to another host's accelerator: the arrival stamp goes
 * with it, through the transport, as an atomic max on the target's system
 * segment that is ordered before the write (a fence), so that a wait which
 * sees the write also sees its time.  (On one host it is a word of the
 * shared timing region.)
 */
static int stamp_remote(podfab_t pf, int dst, double arr)
{
	size_t off = offsetof(struct pf_sysseg, vt_stamp);
	int rc = pf->tp_ops->atomic(pf->tp, dst, pf->sys->rmr[dst], off, PODFAB_AOP_MAX, PODFAB_UINT64, pf_tm_u(arr),
				    0, NULL, NULL);
	if (rc == PF_TP_POSTED)
		rc = pf->tp_ops->fence(pf->tp, dst);
	return rc < 0 ? rc : 0;
}

/* The model's times of an operation issued at t. */
static int op_times(podfab_t pf, const struct pf_op *o, double t, double *arr, double *cmp)
{
	struct pf_tm *tm = pf->tm;
	uint32_t me = (uint32_t)pf->id, dst = (uint32_t)o->dst;
	double *order = &pf->order[o->dst];
	switch (o->kind) {
	case PF_OP_PUT:
		return pf_tm_op(tm, me, dst, o->flow, o->len, 0, t, order, arr, cmp);
	case PF_OP_GET:
		return pf_tm_op(tm, me, dst, o->flow, 0, o->len, t, order, arr, cmp);
	case PF_OP_ATOMIC: {
		uint64_t sz = (o->type == PODFAB_INT32 || o->type == PODFAB_UINT32) ? 4 : 8;
		uint64_t req = o->aop == PODFAB_AOP_CSWAP ? 2 * sz : (o->aop == PODFAB_AOP_FETCH ? 0 : sz);
		return pf_tm_op(tm, me, dst, o->flow, req, o->result ? sz : 0, t, order, arr, cmp);
	}
	default: {
		/* The data, then the signal: an 8-byte atomic that arrives after it. */
		double a2, c2;
		int rc = pf_tm_op(tm, me, dst, o->flow, o->len, 0, t, order, arr, cmp);
		if (rc == 0 && (rc = pf_tm_op(tm, me, dst, o->flow + o->len, 8, 0, t, order, &a2, &c2)) == 0) {
			*arr = a2 > *arr ? a2 : *arr;
			*cmp = c2 > *cmp ? c2 : *cmp;
		}
		return rc;
	}
	}
}

/* ---- realtime --------------------------------------------------------- */

static void defer_complete(podfab_t pf, struct pf_defer *d)
{
	if (d->ctx.status < 0)
		pf->ctr[PODFAB_CTR_ERRORS]++;
	if (d->req) {
		d->req->ctx.status = d->ctx.status;
		d->req->ctx.done = 1;
	} else if (d->ctx.status && !pf->defer_status) {
		pf->defer_status = d->ctx.status;
	}
	d->req = NULL;
	d->next_free = pf->defer_free;
	pf->defer_free = d;
}

int pf_pace_progress(podfab_t pf)
{
	int n = 0;
	if (!pf->nheap)
		return 0;
	double now = pf_model_now(pf);
	while (pf->nheap && pf->heap[0]->due <= now) {
		struct pf_defer *d = heap_pop(pf);
		if (d->phase == 0) {
			int rc = exec(pf, &d->op, &d->ctx);
			if (rc == PF_TP_DONE) {
				d->ctx.done = 1;
			} else if (rc < 0) {
				d->ctx.done = 1;
				d->ctx.status = rc;
			} else {
				pf->pending++; /* progress() completes d->ctx */
			}
			d->phase = 1;
			d->due = d->complete;
			heap_push(pf, d);
			continue;
		}
		if (!d->ctx.done) { /* the transport is late: look again next time */
			d->due = now;
			heap_push(pf, d);
			break;
		}
		defer_complete(pf, d);
		n++;
	}
	return n;
}

/*
 * Spin until model time t, running due deferred operations meanwhile, and all
 * those due by t before returning (they come before what the caller does at t).
 */
static void spin_until(podfab_t pf, double t)
{
	double now;
	while ((now = pf_model_now(pf)) < t) {
		if (pf->nheap)
			pf_pace_progress(pf);
		/* Close to the deadline, read the clock back to back: a pause costs tens of ns. */
		if ((t - now) * pf->dilation > 300.0)
			pf_cpu_relax();
	}
	if (pf->nheap)
		pf_pace_progress(pf);
}

static int drain_one(podfab_t pf)
{
	/* Make room: wait for the earliest deferred operation, progressing the transport too. */
	struct pf_wait w = {0, 0, 0, "a deferred operation", 0};
	while (!pf->defer_free) {
		int rc = pf_progress(pf);
		if (rc < 0)
			return rc;
		if (!pf->defer_free && pf->nheap && pf->heap[0]->due > pf_model_now(pf))
			spin_until(pf, pf->heap[0]->due);
		else if (!pf->defer_free && (rc = pf_wait_slow(pf, &w)) < 0)
			return rc;
	}
	return 0;
}

/* ---- the entry -------------------------------------------------------- */

static int fail(podfab_t pf, struct podfab_req *r, int rc)
{
	if (r)
		pf_req_put(pf, r);
	return FAIL(pf, rc);
}

int pf_timed(podfab_t pf, const struct pf_op *o, struct podfab_req *r, int nb)
{
	int rc = pf_tm_check_faults(pf->tm);
	if (pf_unlikely(rc < 0))
		return fail(pf, r, rc);
	double t = pf->timing == PODFAB_TIMING_VIRTUAL ? pf->vt : pf_model_now(pf), arr, cmp;
	if (pf_unlikely((rc = op_times(pf, o, t, &arr, &cmp)) < 0))
		return fail(pf, r, rc); /* unreachable: nothing moved */

	if (pf->timing == PODFAB_TIMING_VIRTUAL) {
		if (o->kind != PF_OP_GET) {
			if (pf_likely(pf->tm_host[o->dst] == pf->tm_host[pf->id]))
				pf_tm_atomic_max(&pf->tm->accels[o->dst].stamp, arr);
			else if (pf_unlikely((rc = stamp_remote(pf, o->dst, arr)) < 0))
				return fail(pf, r, rc);
		}
		if (!nb) {
			struct pf_tp_ctx ctx = {0, 0};
			rc = pf_blocking_done(pf, &ctx, exec(pf, o, &ctx));
			if (rc == 0)
				pf_vt_reached(pf, cmp);
			return rc;
		}
		rc = exec(pf, o, r ? &r->ctx : NULL);
		if (rc >= 0) {
			if (r)
				r->due = cmp; /* podfab_wait / podfab_test */
			if (cmp > pf->quiet_due)
				pf->quiet_due = cmp; /* podfab_quiet completes every operation */
		}
		podfab_req_t out = NULL;
		rc = pf_post_done(pf, r, rc, &out);
		return rc;
	}

	/* realtime */
	if (!nb) {
		spin_until(pf, arr);
		struct pf_tp_ctx ctx = {0, 0};
		if ((rc = pf_blocking_done(pf, &ctx, exec(pf, o, &ctx))) < 0)
			return rc;
		spin_until(pf, cmp);
		return 0;
	}
	if (pf_unlikely(!pf->defer_free) && (rc = drain_one(pf)) < 0)
		return fail(pf, r, rc);
	struct pf_defer *d = pf->defer_free;
	pf->defer_free = d->next_free;
	d->op = *o;
	d->ctx.done = 0;
	d->ctx.status = 0;
	d->req = r;
	d->due = arr;
	d->complete = cmp;
	d->phase = 0;
	d->seq = pf->defer_seq++;
	heap_push(pf, d);
	if (pf->heap[0]->due <= t)
		pf_pace_progress(pf);
	return 0;
}

/* ---- clocks ----------------------------------------------------------- */

void pf_vt_wait_ended(podfab_t pf)
{
	if (pf->timing != PODFAB_TIMING_VIRTUAL)
		return;
	double s = pf_tm_d(atomic_load_explicit(&pf->tm->accels[pf->id].stamp, memory_order_acquire));
	if (pf->tm_nhosts > 1) {
		const struct pf_sysseg *sys = pf->sys->local;
		double x = pf_tm_d(atomic_load_explicit(&sys->vt_stamp[0], memory_order_acquire));
		s = x > s ? x : s;
	}
	pf_vt_reached(pf, s);
}

void pf_vt_quiet(podfab_t pf)
{
	pf_vt_reached(pf, pf->quiet_due);
}

PODFAB_EXPORT int podfab_time(podfab_t pf, double *ns)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	if (!ns)
		return pf_err(PODFAB_ENULL, "ns is NULL");
	*ns = pf_model_now(pf);
	return 0;
}

PODFAB_EXPORT int podfab_time_advance(podfab_t pf, double ns)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	if (!(ns >= 0.0) || !(ns <= 1e18))
		return pf_err(PODFAB_EINVAL, "time step %g ns is not in [0, 1e18] (about 31 years)", ns);
	switch (pf->timing) {
	case PODFAB_TIMING_VIRTUAL:
		pf->vt += ns;
		if (pf->tsh)
			pf_tm_atomic_max(&pf->tm->accels[pf->id].now, pf->vt);
		return 0;
	case PODFAB_TIMING_REALTIME:
		spin_until(pf, pf_model_now(pf) + ns);
		return 0;
	default: {
		uint64_t end = mono_ns() + (uint64_t)ns;
		while (mono_ns() < end)
			pf_cpu_relax();
		return 0;
	}
	}
}

/* ---- links ------------------------------------------------------------ */

PODFAB_EXPORT int podfab_link_stats(podfab_t pf, uint32_t dlink, podfab_link_stats_t *out)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	if (!out)
		return pf_err(PODFAB_ENULL, "out is NULL");
	if (!pf->tsh)
		return pf_err(PODFAB_ENOTSUP, "link counters need timing mode realtime or virtual (this accelerator "
			      "runs functional)");
	if (dlink >= 2 * pf->tsh->nlinks)
		return pf_err(PODFAB_EINVAL, "directed link %u does not exist (the model has %u links, %u directed)",
			      dlink, pf->tsh->nlinks, 2 * pf->tsh->nlinks);
	pf_tm_flush(pf->tm); /* this accelerator's share; the others add theirs every few thousand messages */
	pf_tm_link_read(&pf_tm_links(pf->tsh)[dlink],
			atomic_load_explicit(&pf_tm_up(pf->tsh)[dlink / 2], memory_order_relaxed) ? 1 : 0, out);
	return 0;
}

PODFAB_EXPORT int podfab_link_set_up(podfab_t pf, uint32_t link, int up)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	if (!pf->tsh)
		return pf_err(PODFAB_ENOTSUP, "link state changes need timing mode realtime or virtual");
	if (link >= pf->tsh->nlinks)
		return pf_err(PODFAB_EINVAL, "link %u does not exist (the model has %u links)", link,
			      pf->tsh->nlinks);
	atomic_store_explicit(&pf_tm_up(pf->tsh)[link], (uint8_t)(up ? 1 : 0), memory_order_relaxed);
	atomic_fetch_add_explicit(&pf->tsh->fault_gen, 1, memory_order_acq_rel);
	return pf_tm_check_faults(pf->tm);
}
