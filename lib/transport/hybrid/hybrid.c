/*
 * hybrid.c - the "hybrid" transport: shm to the accelerators of this host,
 * a network transport to the others: libfabric ("ofi", the default) or
 * libibverbs ("verbs"), as PODFAB_HYBRID_REMOTE says.
 *
 * Below, "ofi" stands for whichever network transport was chosen.
 * It is built from the two transports' own operation tables, not from copies
 * of them: both are opened, every segment is allocated by shm (shared memory
 * that the host's other processes map) and registered with ofi as well, and a
 * remote key carries both halves.  A peer's handle is imported through the
 * half that reaches it, and each operation goes to the transport of its peer.
 *
 * Atomics: a location may be updated at once by CPU atomics (shm peers) and by
 * the network (ofi peers).  A NIC's or provider's atomics are not atomic with
 * respect to the CPU's, so ofi runs its atomics at the target, with the CPU's
 * instructions (pf_tp_info.flags PF_TP_OPEN_CPU_ATOMICS): every update of a
 * word is then an atomic instruction of the host that holds it.
 *
 * "Same host" is pf_host_key's (lib/core/host.c): the same kernel, mount and
 * network namespace and user; PODFAB_HOSTS=N (or PODFAB_HYBRID_HOSTS=N) makes
 * accelerators id / N one host instead: a hybrid job on one machine.
 * PODFAB_LOG=info lists which transport reaches which peers;
 * podfab_peer_transport() tells the program.
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_internal.h"

extern const struct pf_tp_ops pf_tp_shm_ops;

#define SUB_KEY (PF_KEY_MAX / 2) /* each half of a hybrid key */
#define LOC_BYTES 8

enum { VIA_SHM = 0, VIA_OFI = 1 };

struct pf_tp {
	int id, n;
	struct pf_tp *shm, *ofi;
	const struct pf_tp_ops *net; /* the network transport (ofi or verbs) */
	uint8_t *via;    /* per peer: VIA_SHM or VIA_OFI */
	int nremote;     /* peers reached through ofi */
	int nlocal;      /* peers reached through shm, this accelerator included */
	uint64_t locality;
};

struct pf_tp_mr {
	struct pf_tp_mr *shm, *ofi;
};

struct pf_tp_rmr {
	int via;
	struct pf_tp_rmr *sub;
};

static const struct pf_tp_ops *sub_ops(const struct pf_tp *tp, int via)
{
	return via == VIA_SHM ? &pf_tp_shm_ops : tp->net;
}

static void hy_close(struct pf_tp *tp);

static int hy_open(const struct pf_tp_info *info, struct pf_tp **out)
{
	struct pf_tp *tp = calloc(1, sizeof *tp);
	if (!tp)
		return pf_err(PODFAB_ENOMEM, "hybrid transport state");
	tp->id = info->accel_id;
	tp->n = info->naccels;
	int rc = pf_host_key(tp->id, &tp->locality);
	if (rc) {
		free(tp);
		return rc;
	}
	if (!(tp->via = calloc((size_t)tp->n, 1))) {
		free(tp);
		return pf_err(PODFAB_ENOMEM, "hybrid transport state");
	}
	const char *rn = getenv("PODFAB_HYBRID_REMOTE");
	if (!rn || !*rn)
		rn = pf_transport_find("ofi") ? "ofi" : "verbs";
	tp->net = strcmp(rn, "shm") && strcmp(rn, "hybrid") ? pf_transport_find(rn) : NULL;
	if (!tp->net) {
		free(tp->via);
		free(tp);
		return pf_err(PODFAB_EENV, "PODFAB_HYBRID_REMOTE='%.32s' is not a network transport of this build (ofi, verbs)",
			      rn);
	}
	struct pf_tp_info sub = *info;
	sub.flags |= PF_TP_OPEN_CPU_ATOMICS;
	if ((rc = pf_tp_shm_ops.open(&sub, &tp->shm)) < 0 || (rc = tp->net->open(&sub, &tp->ofi)) < 0) {
		hy_close(tp);
		return rc;
	}
	*out = tp;
	return 0;
}

/* [locality 8][shm length 1][shm address][ofi address] */
static int hy_addr(struct pf_tp *tp, void *buf, size_t *len)
{
	uint8_t *b = buf, part[PF_ADDR_MAX];
	size_t sl = PF_ADDR_MAX, ol = PF_ADDR_MAX;
	int rc = pf_tp_shm_ops.addr(tp->shm, part, &sl);
	if (rc < 0)
		return rc;
	if (LOC_BYTES + 1 + sl > PF_ADDR_MAX)
		return pf_err(PODFAB_ETRANSPORT, "hybrid: shm address too long");
	memcpy(b, &tp->locality, LOC_BYTES);
	b[LOC_BYTES] = (uint8_t)sl;
	memcpy(b + LOC_BYTES + 1, part, sl);
	size_t used = LOC_BYTES + 1 + sl;
	if ((rc = tp->net->addr(tp->ofi, part, &ol)) < 0)
		return rc;
	if (used + ol > PF_ADDR_MAX)
		return pf_err(PODFAB_ETRANSPORT, "hybrid: the %s address (%zu bytes) does not fit beside the shm one", tp->net->name, ol);
	memcpy(b + used, part, ol);
	*len = used + ol;
	return 0;
}

/* Append "a-b" ranges of the peers reached through via to s. */
static void list_peers(const struct pf_tp *tp, int via, char *s, size_t size)
{
	size_t used = 0;
	s[0] = '\0';
	for (int i = 0; i < tp->n && used + 24 < size; i++) {
		if (tp->via[i] != via || (i > 0 && tp->via[i - 1] == via))
			continue;
		int j = i;
		while (j + 1 < tp->n && tp->via[j + 1] == via)
			j++;
		int w = j > i ? snprintf(s + used, size - used, "%s%d-%d", used ? "," : "", i, j)
			      : snprintf(s + used, size - used, "%s%d", used ? "," : "", i);
		used += w > 0 ? (size_t)w : 0;
	}
	if (used + 24 >= size)
		snprintf(s + size - 5, 5, "...");
	if (!s[0])
		snprintf(s, size, "none");
}

static int hy_connect(struct pf_tp *tp, const void *addrs, size_t stride)
{
	const uint8_t *a = addrs;
	size_t n = (size_t)tp->n;
	uint8_t *shm_addrs = calloc(n, PF_ADDR_MAX), *ofi_addrs = calloc(n, PF_ADDR_MAX);
	int rc = 0;
	if (!shm_addrs || !ofi_addrs) {
		rc = pf_err(PODFAB_ENOMEM, "hybrid addresses");
		goto out;
	}
	tp->nlocal = tp->nremote = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = a + i * stride;
		uint64_t loc;
		memcpy(&loc, b, LOC_BYTES);
		size_t sl = b[LOC_BYTES], avail = stride < PF_ADDR_MAX ? stride : PF_ADDR_MAX; /* an entry's bytes */
		if (sl > avail - LOC_BYTES - 1) {
			rc = pf_err(PODFAB_ETRANSPORT, "hybrid: accelerator %zu's address is malformed", i);
			goto out;
		}
		memcpy(shm_addrs + i * PF_ADDR_MAX, b + LOC_BYTES + 1, sl);
		memcpy(ofi_addrs + i * PF_ADDR_MAX, b + LOC_BYTES + 1 + sl, avail - LOC_BYTES - 1 - sl);
		tp->via[i] = (i == (size_t)tp->id || loc == tp->locality) ? VIA_SHM : VIA_OFI;
		if (tp->via[i] == VIA_SHM)
			tp->nlocal++;
		else
			tp->nremote++;
	}
	if ((rc = pf_tp_shm_ops.connect(tp->shm, shm_addrs, PF_ADDR_MAX)) < 0 ||
	    (rc = tp->net->connect(tp->ofi, ofi_addrs, PF_ADDR_MAX)) < 0)
		goto out;
	char l[160], r[160];
	list_peers(tp, VIA_SHM, l, sizeof l);
	list_peers(tp, VIA_OFI, r, sizeof r);
	pf_log(PF_LOG_INFO, "hybrid: accelerator %d reaches %s over shm, %s over %s", tp->id, l, r, tp->net->name);
out:
	free(shm_addrs);
	free(ofi_addrs);
	return rc;
}

static void hy_close(struct pf_tp *tp)
{
	if (!tp)
		return;
	if (tp->ofi)
		tp->net->close(tp->ofi);
	if (tp->shm)
		pf_tp_shm_ops.close(tp->shm);
	free(tp->via);
	free(tp);
}

/* ---- memory: shm's, registered with ofi too ------------------------------------------- */

static int hy_mr_wrap(struct pf_tp *tp, struct pf_tp_mr *shm_mr, void *addr, size_t len, struct pf_tp_mr **out)
{
	struct pf_tp_mr *m = calloc(1, sizeof *m);
	if (!m) {
		pf_tp_shm_ops.mem_free(tp->shm, shm_mr);
		return pf_err(PODFAB_ENOMEM, "hybrid registration record");
	}
	m->shm = shm_mr;
	int rc = tp->net->mem_reg(tp->ofi, addr, len ? len : 1, &m->ofi);
	if (rc < 0) {
		pf_tp_shm_ops.mem_free(tp->shm, shm_mr);
		free(m);
		return rc;
	}
	*out = m;
	return 0;
}

static int hy_mem_alloc(struct pf_tp *tp, size_t len, uint32_t segid, void **addr, struct pf_tp_mr **out)
{
	struct pf_tp_mr *s;
	int rc = pf_tp_shm_ops.mem_alloc(tp->shm, len, segid, addr, &s);
	if (rc < 0)
		return rc;
	return hy_mr_wrap(tp, s, *addr, len, out);
}

static int hy_mem_reg(struct pf_tp *tp, void *addr, size_t len, struct pf_tp_mr **out)
{
	struct pf_tp_mr *s;
	int rc = pf_tp_shm_ops.mem_reg(tp->shm, addr, len, &s);
	if (rc < 0)
		return rc;
	return hy_mr_wrap(tp, s, addr, len, out);
}

static int hy_mem_key(struct pf_tp *tp, struct pf_tp_mr *m, void *keybuf)
{
	uint8_t k[PF_KEY_MAX];
	int rc = pf_tp_shm_ops.mem_key(tp->shm, m->shm, k);
	if (rc < 0)
		return rc;
	for (size_t i = SUB_KEY; i < PF_KEY_MAX; i++)
		if (k[i])
			return pf_err(PODFAB_ETRANSPORT, "hybrid: the shm key is longer than half a key");
	memcpy(keybuf, k, SUB_KEY);
	if ((rc = tp->net->mem_key(tp->ofi, m->ofi, k)) < 0)
		return rc;
	for (size_t i = SUB_KEY; i < PF_KEY_MAX; i++)
		if (k[i])
			return pf_err(PODFAB_ETRANSPORT, "hybrid: the %s key is longer than half a key", tp->net->name);
	memcpy((uint8_t *)keybuf + SUB_KEY, k, SUB_KEY);
	return 0;
}

static void hy_mem_published(struct pf_tp *tp, struct pf_tp_mr *m)
{
	pf_tp_shm_ops.mem_published(tp->shm, m->shm);
	tp->net->mem_published(tp->ofi, m->ofi);
}

static void hy_mem_free(struct pf_tp *tp, struct pf_tp_mr *m)
{
	tp->net->mem_free(tp->ofi, m->ofi);
	pf_tp_shm_ops.mem_free(tp->shm, m->shm);
	free(m);
}

static int hy_rkey_import(struct pf_tp *tp, int peer, const void *keybuf, size_t keylen, struct pf_tp_rmr **out)
{
	if (keylen < PF_KEY_MAX)
		return pf_err(PODFAB_EKEY, "hybrid: a key of %zu bytes is too short", keylen);
	struct pf_tp_rmr *r = calloc(1, sizeof *r);
	if (!r)
		return pf_err(PODFAB_ENOMEM, "hybrid remote key");
	r->via = tp->via[peer];
	uint8_t k[PF_KEY_MAX] = {0};
	memcpy(k, (const uint8_t *)keybuf + (r->via == VIA_SHM ? 0 : SUB_KEY), SUB_KEY);
	int rc = sub_ops(tp, r->via)->rkey_import(r->via == VIA_SHM ? tp->shm : tp->ofi, peer, k, PF_KEY_MAX, &r->sub);
	if (rc < 0) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

#define SUB(tp, via) ((via) == VIA_SHM ? (tp)->shm : (tp)->ofi)

static void hy_rkey_release(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	sub_ops(tp, r->via)->rkey_release(SUB(tp, r->via), r->sub);
	free(r);
}

static void *hy_rkey_ptr(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	return sub_ops(tp, r->via)->rkey_ptr(SUB(tp, r->via), r->sub);
}

static unsigned hy_rkey_caps(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	return sub_ops(tp, r->via)->rkey_caps(SUB(tp, r->via), r->sub);
}

/* ---- data: to the peer's transport -------------------------------------------------------- */

/*
 * An operation to a peer of this host completes inline; now and then it also
 * progresses ofi, so that atomics that remote peers ask us to execute are
 * served while this accelerator spins on shm operations (the poll slot).
 */
static inline int shm_done(struct pf_tp *tp, int rc)
{
	if (pf_unlikely(rc < 0) || !tp->nremote)
		return rc;
	int prc = tp->net->poll ? tp->net->poll(tp->ofi) : 0;
	return prc < 0 ? prc : rc;
}

static int hy_put(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, const void *src, size_t len,
		  struct pf_tp_ctx *ctx)
{
	if (pf_likely(r->via == VIA_SHM))
		return shm_done(tp, pf_tp_shm_ops.put(tp->shm, peer, r->sub, off, src, len, ctx));
	return tp->net->put(tp->ofi, peer, r->sub, off, src, len, ctx);
}

static int hy_get(struct pf_tp *tp, void *dest, int peer, struct pf_tp_rmr *r, size_t off, size_t len,
		  struct pf_tp_ctx *ctx)
{
	if (pf_likely(r->via == VIA_SHM))
		return shm_done(tp, pf_tp_shm_ops.get(tp->shm, dest, peer, r->sub, off, len, ctx));
	return tp->net->get(tp->ofi, dest, peer, r->sub, off, len, ctx);
}

static int hy_atomic(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, podfab_atomic_op_t op,
		     podfab_type_t type, uint64_t operand, uint64_t compare, void *result, struct pf_tp_ctx *ctx)
{
	if (pf_likely(r->via == VIA_SHM))
		return shm_done(tp, pf_tp_shm_ops.atomic(tp->shm, peer, r->sub, off, op, type, operand, compare,
							 result, ctx));
	return tp->net->atomic(tp->ofi, peer, r->sub, off, op, type, operand, compare, result, ctx);
}

static int hy_put_signal(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, const void *src, size_t len,
			 struct pf_tp_rmr *sr, size_t sig_off, uint64_t signal, podfab_signal_op_t sig_op,
			 struct pf_tp_ctx *ctx)
{
	/* data and signal live with the same peer, so both handles go the same way */
	return sub_ops(tp, r->via)->put_signal(SUB(tp, r->via), peer, r->sub, off, src, len, sr->sub, sig_off, signal,
					   sig_op, ctx);
}

static int hy_fence(struct pf_tp *tp, int peer)
{
	if (peer >= 0)
		return sub_ops(tp, tp->via[peer])->fence(SUB(tp, tp->via[peer]), peer);
	int rc = pf_tp_shm_ops.fence(tp->shm, -1);
	return rc < 0 ? rc : tp->net->fence(tp->ofi, -1);
}

static int hy_quiet(struct pf_tp *tp)
{
	int rc = tp->net->quiet(tp->ofi);
	int rs = pf_tp_shm_ops.quiet(tp->shm);
	return rc < 0 ? rc : rs;
}

static int hy_progress(struct pf_tp *tp, struct pf_tp_cqe *cqe, int max)
{
	return tp->net->progress(tp->ofi, cqe, max); /* shm completes everything inline */
}

/*
 * Sleeping on the network's descriptor would not notice a store by a peer on
 * this host: with such peers, a waiter yields instead.
 */
static int hy_idle(struct pf_tp *tp, int timeout_ms)
{
	if (tp->nlocal > 1) {
		sched_yield();
		return 0;
	}
	if (!tp->net->idle) {
		sched_yield();
		return 0;
	}
	return tp->net->idle(tp->ofi, timeout_ms);
}

static const char *hy_peer_name(struct pf_tp *tp, int peer)
{
	return tp->via[peer] == VIA_SHM ? "shm" : tp->net->name;
}

const struct pf_tp_ops pf_tp_hybrid_ops = {
	.abi = PF_TP_ABI,
	.name = "hybrid",
	.flags = PF_TP_NEEDS_PROGRESS,
	.open = hy_open,
	.addr = hy_addr,
	.connect = hy_connect,
	.close = hy_close,
	.mem_alloc = hy_mem_alloc,
	.mem_reg = hy_mem_reg,
	.mem_key = hy_mem_key,
	.mem_published = hy_mem_published,
	.mem_free = hy_mem_free,
	.rkey_import = hy_rkey_import,
	.rkey_release = hy_rkey_release,
	.rkey_ptr = hy_rkey_ptr,
	.rkey_caps = hy_rkey_caps,
	.put = hy_put,
	.get = hy_get,
	.atomic = hy_atomic,
	.put_signal = hy_put_signal,
	.fence = hy_fence,
	.quiet = hy_quiet,
	.progress = hy_progress,
	.idle = hy_idle,
	.peer_name = hy_peer_name,
};
