/*
 * rma.c - put, get, atomics and put-with-signal: the hot path.
 *
 * Each call checks its arguments (handle, segment, accelerator, bounds,
 * alignment), counts itself, and jumps through the transport's ops table.  No
 * allocation, lock or system call here in the common case: request records come
 * from a free list made at init.
 */
#include <string.h>

#include "pf_internal.h"


struct podfab_req *pf_req_get(podfab_t pf)
{
	struct podfab_req *r = pf->free_reqs;
	if (pf_unlikely(!r))
		return NULL;
	pf->free_reqs = r->next_free;
	r->magic = PF_REQ_MAGIC;
	r->ctx.done = 0;
	r->ctx.status = 0;
	r->explicit_ = 1;
	r->seg = NULL;
	r->due = 0.0;
	return r;
}

void pf_req_put(podfab_t pf, struct podfab_req *r)
{
	if (r->seg)
		r->seg->outstanding--;
	r->magic = 0;
	r->next_free = pf->free_reqs;
	pf->free_reqs = r;
}

/* Resolve (dst, seg, off, len) to a transport handle, or an error. */
static inline int target(podfab_t pf, int dst, podfab_seg_t seg, size_t off, size_t len,
			 struct pf_tp_rmr **rmr)
{
	int rc = pf_seg_check(pf, seg);
	if (pf_unlikely(rc))
		return rc;
	if (pf_unlikely((unsigned)dst >= (unsigned)pf->n))
		return pf_err(PODFAB_EACCEL, "accelerator %d is outside [0, %d)", dst, pf->n);
	if (pf_unlikely(len == 0))
		return pf_err(PODFAB_EZEROLEN, "length 0");
	if (pf_unlikely(off > seg->size || len > seg->size - off))
		return pf_err(PODFAB_EBOUNDS, "offset %zu + length %zu is past the %zu-byte segment", off, len,
			      seg->size);
	if (pf_likely(seg->kind == PF_SEG_SYM)) {
		*rmr = seg->rmr[dst];
		return 0;
	}
	if (pf_unlikely(dst != seg->owner))
		return pf_err(PODFAB_EINVAL, "segment belongs to accelerator %d, not %d", seg->owner, dst);
	*rmr = seg->rmr[0];
	return 0;
}

/* The flow of an access: routes spray requests over planes by address. */
static inline uint64_t flow_of(podfab_seg_t seg, size_t off)
{
	return ((uint64_t)seg->id << 40) + (uint64_t)off;
}

static inline int check_align(podfab_seg_t seg, size_t off, size_t size)
{
	if (pf_unlikely(((seg->align + off) & (size - 1)) != 0))
		return pf_err(PODFAB_EALIGN, "offset %zu is not aligned to %zu bytes", off, size);
	return 0;
}

static inline int req_begin(podfab_t pf, podfab_seg_t seg, podfab_req_t *req, struct podfab_req **r)
{
	*r = NULL;
	if (!req)
		return 0;
	*r = pf_req_get(pf);
	if (pf_unlikely(!*r))
		return pf_err(PODFAB_EAGAIN, "all %u request records are in use: complete some with podfab_wait",
			      pf->max_requests);
	(*r)->seg = seg;
	seg->outstanding++;
	return 0;
}

PODFAB_EXPORT int podfab_put(podfab_t pf, int dst, podfab_seg_t seg, size_t off, const void *src,
			     size_t len)
{
	struct pf_tp_rmr *rmr = NULL;
	int rc = pf_accel_check(pf);
	if (pf_unlikely(rc))
		return rc;
	if (pf_unlikely(!src))
		return FAIL(pf, pf_err(PODFAB_ENULL, "src is NULL"));
	if (pf_unlikely((rc = target(pf, dst, seg, off, len, &rmr))))
		return FAIL(pf, rc);
	pf->ctr[PODFAB_CTR_PUT_OPS]++;
	pf->ctr[PODFAB_CTR_PUT_BYTES] += len;
	if (pf_unlikely(pf->timing)) {
		struct pf_op o = {.kind = PF_OP_PUT, .dst = dst, .rmr = rmr, .off = off, .src = src, .len = len,
				  .flow = flow_of(seg, off)};
		return pf_timed(pf, &o, NULL, 0);
	}
	struct pf_tp_ctx ctx = {0, 0};
	return pf_blocking_done(pf, &ctx, pf->tp_ops->put(pf->tp, dst, rmr, off, src, len, &ctx));
}

PODFAB_EXPORT int podfab_get(podfab_t pf, void *dest, int src_accel, podfab_seg_t seg, size_t off,
			     size_t len)
{
	struct pf_tp_rmr *rmr = NULL;
	int rc = pf_accel_check(pf);
	if (pf_unlikely(rc))
		return rc;
	if (pf_unlikely(!dest))
		return FAIL(pf, pf_err(PODFAB_ENULL, "dest is NULL"));
	if (pf_unlikely((rc = target(pf, src_accel, seg, off, len, &rmr))))
		return FAIL(pf, rc);
	pf->ctr[PODFAB_CTR_GET_OPS]++;
	pf->ctr[PODFAB_CTR_GET_BYTES] += len;
	if (pf_unlikely(pf->timing)) {
		struct pf_op o = {.kind = PF_OP_GET, .dst = src_accel, .rmr = rmr, .off = off, .dest = dest, .len = len,
				  .flow = flow_of(seg, off)};
		return pf_timed(pf, &o, NULL, 0);
	}
	struct pf_tp_ctx ctx = {0, 0};
	return pf_blocking_done(pf, &ctx, pf->tp_ops->get(pf->tp, dest, src_accel, rmr, off, len, &ctx));
}

PODFAB_EXPORT int podfab_put_nb(podfab_t pf, int dst, podfab_seg_t seg, size_t off,
				const void *src, size_t len, podfab_req_t *req)
{
	struct pf_tp_rmr *rmr = NULL;
	struct podfab_req *r;
	int rc = pf_accel_check(pf);
	if (pf_unlikely(rc))
		return rc;
	if (pf_unlikely(!src))
		return FAIL(pf, pf_err(PODFAB_ENULL, "src is NULL"));
	if (pf_unlikely((rc = target(pf, dst, seg, off, len, &rmr)) || (rc = req_begin(pf, seg, req, &r))))
		return FAIL(pf, rc);
	pf->ctr[PODFAB_CTR_PUT_OPS]++;
	pf->ctr[PODFAB_CTR_PUT_BYTES] += len;
	pf->ctr[PODFAB_CTR_NB_OPS]++;
	if (pf_unlikely(pf->timing)) {
		struct pf_op o = {.kind = PF_OP_PUT, .dst = dst, .rmr = rmr, .off = off, .src = src, .len = len,
				  .flow = flow_of(seg, off)};
		if ((rc = pf_timed(pf, &o, r, 1)) == 0 && r)
			*req = r;
		return rc;
	}
	rc = pf->tp_ops->put(pf->tp, dst, rmr, off, src, len, r ? &r->ctx : NULL);
	return pf_post_done(pf, r, rc, req);
}

PODFAB_EXPORT int podfab_get_nb(podfab_t pf, void *dest, int src_accel, podfab_seg_t seg,
				size_t off, size_t len, podfab_req_t *req)
{
	struct pf_tp_rmr *rmr = NULL;
	struct podfab_req *r;
	int rc = pf_accel_check(pf);
	if (pf_unlikely(rc))
		return rc;
	if (pf_unlikely(!dest))
		return FAIL(pf, pf_err(PODFAB_ENULL, "dest is NULL"));
	if (pf_unlikely((rc = target(pf, src_accel, seg, off, len, &rmr)) ||
			(rc = req_begin(pf, seg, req, &r))))
		return FAIL(pf, rc);
	pf->ctr[PODFAB_CTR_GET_OPS]++;
	pf->ctr[PODFAB_CTR_GET_BYTES] += len;
	pf->ctr[PODFAB_CTR_NB_OPS]++;
	if (pf_unlikely(pf->timing)) {
		struct pf_op o = {.kind = PF_OP_GET, .dst = src_accel, .rmr = rmr, .off = off, .dest = dest, .len = len,
				  .flow = flow_of(seg, off)};
		if ((rc = pf_timed(pf, &o, r, 1)) == 0 && r)
			*req = r;
		return rc;
	}
	rc = pf->tp_ops->get(pf->tp, dest, src_accel, rmr, off, len, r ? &r->ctx : NULL);
	return pf_post_done(pf, r, rc, req);
}

static const size_t type_size[PODFAB_TYPE_MAX] = {4, 4, 8, 8};

static inline int atomic_args(podfab_t pf, int dst, podfab_seg_t seg, size_t off, podfab_atomic_op_t op,
			      podfab_type_t type, void *result, struct pf_tp_rmr **rmr)
{
	if (pf_unlikely((unsigned)op >= PODFAB_AOP_MAX_OP))
		return pf_err(PODFAB_EINVAL, "atomic operation %d is not a podfab_atomic_op_t", (int)op);
	if (pf_unlikely((unsigned)type >= PODFAB_TYPE_MAX))
		return pf_err(PODFAB_EINVAL, "type %d is not a podfab_type_t", (int)type);
	if (pf_unlikely(op == PODFAB_AOP_FETCH && !result))
		return pf_err(PODFAB_ENULL, "PODFAB_AOP_FETCH needs a result pointer");
	size_t sz = type_size[type];
	int rc = target(pf, dst, seg, off, sz, rmr);
	if (pf_unlikely(rc))
		return rc;
	if (pf_unlikely((rc = check_align(seg, off, sz))))
		return rc;
	if (pf_unlikely(seg->kind != PF_SEG_SYM && !(seg->caps & PF_CAP_ATOMIC)))
		return pf_err(PODFAB_ENOTSUP,
			      "atomics on memory exported by accelerator %d are not possible over %s from this process",
			      seg->owner, pf->tp_ops->name);
	return 0;
}

PODFAB_EXPORT int podfab_atomic(podfab_t pf, int dst, podfab_seg_t seg, size_t off,
				podfab_atomic_op_t op, podfab_type_t type, uint64_t operand,
				uint64_t compare, void *result)
{
	struct pf_tp_rmr *rmr = NULL;
	int rc = pf_accel_check(pf);
	if (pf_unlikely(rc))
		return rc;
	if (pf_unlikely((rc = atomic_args(pf, dst, seg, off, op, type, result, &rmr))))
		return FAIL(pf, rc);
	pf->ctr[result ? PODFAB_CTR_FETCH_ATOMIC_OPS : PODFAB_CTR_ATOMIC_OPS]++;
	if (pf_unlikely(pf->timing)) {
		struct pf_op o = {.kind = PF_OP_ATOMIC, .dst = dst, .rmr = rmr, .off = off, .aop = op, .type = type,
				  .operand = operand, .compare = compare, .result = result, .flow = flow_of(seg, off)};
		return pf_timed(pf, &o, NULL, 0);
	}
	struct pf_tp_ctx ctx = {0, 0};
	return pf_blocking_done(pf, &ctx,
			     pf->tp_ops->atomic(pf->tp, dst, rmr, off, op, type, operand, compare, result, &ctx));
}

PODFAB_EXPORT int podfab_atomic_nb(podfab_t pf, int dst, podfab_seg_t seg, size_t off,
				   podfab_atomic_op_t op, podfab_type_t type, uint64_t operand,
				   uint64_t compare, void *result, podfab_req_t *req)
{
	struct pf_tp_rmr *rmr = NULL;
	struct podfab_req *r;
	int rc = pf_accel_check(pf);
	if (pf_unlikely(rc))
		return rc;
	if (pf_unlikely((rc = atomic_args(pf, dst, seg, off, op, type, result, &rmr)) ||
			(rc = req_begin(pf, seg, req, &r))))
		return FAIL(pf, rc);
	pf->ctr[result ? PODFAB_CTR_FETCH_ATOMIC_OPS : PODFAB_CTR_ATOMIC_OPS]++;
	pf->ctr[PODFAB_CTR_NB_OPS]++;
	if (pf_unlikely(pf->timing)) {
		struct pf_op o = {.kind = PF_OP_ATOMIC, .dst = dst, .rmr = rmr, .off = off, .aop = op, .type = type,
				  .operand = operand, .compare = compare, .result = result, .flow = flow_of(seg, off)};
		if ((rc = pf_timed(pf, &o, r, 1)) == 0 && r)
			*req = r;
		return rc;
	}
	rc = pf->tp_ops->atomic(pf->tp, dst, rmr, off, op, type, operand, compare, result,
				r ? &r->ctx : NULL);
	return pf_post_done(pf, r, rc, req);
}

static inline int signal_args(podfab_t pf, int dst, podfab_seg_t seg, size_t off, const void *src,
			      size_t len, podfab_seg_t sig_seg, size_t sig_off, podfab_signal_op_t sig_op,
			      struct pf_tp_rmr **rmr, struct pf_tp_rmr **srmr)
{
	int rc;
	if (pf_unlikely(!src))
		return pf_err(PODFAB_ENULL, "src is NULL");
	if (pf_unlikely((unsigned)sig_op > PODFAB_SIGNAL_ADD))
		return pf_err(PODFAB_EINVAL, "signal operation %d is neither SET nor ADD", (int)sig_op);
	if (pf_unlikely((rc = target(pf, dst, seg, off, len, rmr))))
		return rc;
	if (pf_unlikely((rc = target(pf, dst, sig_seg, sig_off, 8, srmr)) ||
			(rc = check_align(sig_seg, sig_off, 8))))
		return rc;
	return 0;
}

PODFAB_EXPORT int podfab_put_signal(podfab_t pf, int dst, podfab_seg_t seg, size_t off,
				    const void *src, size_t len, podfab_seg_t sig_seg,
				    size_t sig_off, uint64_t signal, podfab_signal_op_t sig_op)
{
	struct pf_tp_rmr *rmr = NULL, *srmr = NULL;
	int rc = pf_accel_check(pf);
	if (pf_unlikely(rc))
		return rc;
	if (pf_unlikely((rc = signal_args(pf, dst, seg, off, src, len, sig_seg, sig_off, sig_op, &rmr, &srmr))))
		return FAIL(pf, rc);
	pf->ctr[PODFAB_CTR_SIGNAL_OPS]++;
	pf->ctr[PODFAB_CTR_PUT_OPS]++;
	pf->ctr[PODFAB_CTR_PUT_BYTES] += len;
	if (pf_unlikely(pf->timing)) {
		struct pf_op o = {.kind = PF_OP_PUT_SIGNAL, .dst = dst, .rmr = rmr, .srmr = srmr, .off = off, .src = src,
				  .len = len, .sig_off = sig_off, .signal = signal, .sig_op = sig_op,
				  .flow = flow_of(seg, off)};
		return pf_timed(pf, &o, NULL, 0);
	}
	struct pf_tp_ctx ctx = {0, 0};
	return pf_blocking_done(pf, &ctx, pf->tp_ops->put_signal(pf->tp, dst, rmr, off, src, len, srmr,
							      sig_off, signal, sig_op, &ctx));
}

PODFAB_EXPORT int podfab_put_signal_nb(podfab_t pf, int dst, podfab_seg_t seg, size_t off,
				       const void *src, size_t len, podfab_seg_t sig_seg,
				       size_t sig_off, uint64_t signal, podfab_signal_op_t sig_op,
				       podfab_req_t *req)
{
	struct pf_tp_rmr *rmr = NULL, *srmr = NULL;
	struct podfab_req *r;
	int rc = pf_accel_check(pf);
	if (pf_unlikely(rc))
		return rc;
	if (pf_unlikely((rc = signal_args(pf, dst, seg, off, src, len, sig_seg, sig_off, sig_op, &rmr, &srmr)) ||
			(rc = req_begin(pf, seg, req, &r))))
		return FAIL(pf, rc);
	pf->ctr[PODFAB_CTR_SIGNAL_OPS]++;
	pf->ctr[PODFAB_CTR_PUT_OPS]++;
	pf->ctr[PODFAB_CTR_PUT_BYTES] += len;
	pf->ctr[PODFAB_CTR_NB_OPS]++;
	if (pf_unlikely(pf->timing)) {
		struct pf_op o = {.kind = PF_OP_PUT_SIGNAL, .dst = dst, .rmr = rmr, .srmr = srmr, .off = off, .src = src,
				  .len = len, .sig_off = sig_off, .signal = signal, .sig_op = sig_op,
				  .flow = flow_of(seg, off)};
		if ((rc = pf_timed(pf, &o, r, 1)) == 0 && r)
			*req = r;
		return rc;
	}
	rc = pf->tp_ops->put_signal(pf->tp, dst, rmr, off, src, len, srmr, sig_off, signal, sig_op,
				    r ? &r->ctx : NULL);
	return pf_post_done(pf, r, rc, req);
}

static int req_check(podfab_t pf, podfab_req_t req)
{
	if (!req)
		return pf_err(PODFAB_ENULL, "request handle is NULL");
	if (req < pf->reqs || req >= pf->reqs + pf->max_requests || req->magic != PF_REQ_MAGIC ||
	    !req->explicit_)
		return pf_err(PODFAB_EBADHANDLE, "not a live request of accelerator %d (already completed?)", pf->id);
	return 0;
}

PODFAB_EXPORT int podfab_test(podfab_t pf, podfab_req_t req, int *done)
{
	int rc = pf_accel_check(pf);
	if (rc || (rc = req_check(pf, req)))
		return rc;
	if (!done)
		return pf_err(PODFAB_ENULL, "done is NULL");
	if (!req->ctx.done && (pf->pending || pf->nheap) && (rc = pf_progress(pf)) < 0)
		return rc;
	if (!req->ctx.done) {
		*done = 0;
		return 0;
	}
	*done = 1;
	rc = req->ctx.status;
	pf_vt_reached(pf, req->due);
	pf_req_put(pf, req);
	return rc;
}

PODFAB_EXPORT int podfab_wait(podfab_t pf, podfab_req_t req)
{
	int rc = pf_accel_check(pf);
	if (rc || (rc = req_check(pf, req)))
		return rc;
	if (!req->ctx.done && (rc = pf_progress_until(pf, &req->ctx)) < 0)
		return rc;
	rc = req->ctx.status;
	pf_vt_reached(pf, req->due);
	pf_req_put(pf, req);
	return rc;
}

PODFAB_EXPORT int podfab_wait_all(podfab_t pf, podfab_req_t *reqs, size_t n)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	if (!reqs && n)
		return pf_err(PODFAB_ENULL, "reqs is NULL");
	/* Check them all first so that a bad entry leaves every request untouched. */
	for (size_t i = 0; i < n; i++)
		if (reqs[i] && (rc = req_check(pf, reqs[i])))
			return rc;
	int first = 0;
	for (size_t i = 0; i < n; i++) {
		if (!reqs[i])
			continue;
		rc = podfab_wait(pf, reqs[i]);
		reqs[i] = NULL;
		if (rc && !first)
			first = rc;
	}
	return first;
}

PODFAB_EXPORT void *podfab_ptr(podfab_t pf, int target_accel, podfab_seg_t seg, size_t off)
{
	if (pf_accel_check(pf) || pf_seg_check(pf, seg))
		return NULL;
	if (pf->timing != PODFAB_TIMING_FUNCTIONAL) /* a load/store would bypass the model */
		return NULL;
	if ((unsigned)target_accel >= (unsigned)pf->n || off >= seg->size)
		return NULL;
	char *base;
	if (seg->kind == PF_SEG_SYM)
		base = seg->direct[target_accel];
	else if (target_accel == seg->owner)
		base = seg->direct[0];
	else
		base = NULL;
	return base ? base + off : NULL;
}
