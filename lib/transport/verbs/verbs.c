/*
 * verbs.c - the libibverbs transport ("verbs"): RDMA without a middle layer.
 *
 * Device and port: PODFAB_VERBS_DEVICE (a name ibv_devices lists; default the
 * first device with an active port), PODFAB_VERBS_PORT (default the first
 * active port), PODFAB_VERBS_GID_INDEX (default: on Ethernet (RoCE) the
 * RoCE v2 entry holding an IPv4-mapped address, ::ffff:a.b.c.d, else the
 * first RoCE v2 entry, else 0; on InfiniBand addressing is by LID).
 * `PODFAB_LOG=info` lists every device and port found and what was chosen.
 *
 * Connections: one reliable-connected (RC) queue pair per peer, created on
 * first use, so that a large pod does not open n^2 queue pairs up front.
 * The bootstrap is collective, so the pairing runs over a small
 * unreliable-datagram (UD) "mailbox" queue pair every accelerator opens and
 * publishes (GID, LID, QPN): the initiator sends a request with its new
 * RC QPN and PSN, the peer creates its side, moves it to RTR and RTS and
 * answers with its own; requests are re-sent every 200 ms until answered
 * (UD may drop), duplicates are answered again, and when two accelerators
 * ask each other at once the request of the lower id wins.  The peer
 * answers while it is inside a podfab call (every wait is).  A queue pair
 * that failed (an error completion) is replaced on the next use.
 *
 * Data: RDMA WRITE and READ.  Local buffers inside a registered segment are
 * used as they are; others go through registered bounce buffers (a put is
 * copied out and returns at once; a get lands in the bounce buffer and is
 * copied on completion); puts up to the queue pair's inline size are sent
 * inline.  Completion queue polling needs no system call.  Fence: an RC
 * queue pair executes its writes, sends and atomics in order; after a fence
 * the next request to a peer waits until its earlier reads and device
 * atomics have completed (checked in software rather than with
 * IBV_SEND_FENCE), and atomics run at the target are answered first.
 * Quiet waits for every request issued.
 *
 * Completions are read a batch at a time into the transport (progress_internal):
 * serving a target atomic posts an answer, which may wait and progress inside
 * the completion loop, and such a nested call handles its caller's batch
 * first, so no completion that an inner wait needs sits unseen in an outer
 * frame.  A wait of more than 20 s is reported once (PODFAB_LOG=warn) with
 * what is in flight to whom; the device's asynchronous events are read in
 * waits (a completion queue in error fails the transport).
 *
 * Atomics: with a device that has atomics (atomic_cap not NONE), 8-byte add
 * and fetch are IBV_WR_ATOMIC_FETCH_AND_ADD, 8-byte compare-and-swap
 * IBV_WR_ATOMIC_CMP_AND_SWP; every other operation (the 32-bit types - on
 * the aligned 8-byte word holding them -, and, or, xor, min, max, swap, set)
 * is a compare-and-swap loop: read the word with fetch-and-add 0, compute,
 * swap if unchanged, else retry with the value the swap returned.  Those
 * complete before the call returns.  Atomics on the accelerator's own
 * memory go through the device too (a queue pair to itself), since device
 * atomics are atomic only among themselves.  Without device atomics, or
 * with PODFAB_VERBS_ATOMICS=target, or under the hybrid transport (whose shm
 * peers use the CPU's atomics), an atomic is a request SENT on the queue
 * pair and run by the target's progress with the CPU's atomic instructions,
 * which answers with the old value (receives come from a shared receive
 * queue; at most VB_AMO_CREDITS requests are unanswered per peer, so that a
 * receive always waits for each).  All accelerators must agree (checked at
 * connect).
 *
 * Errors: completion statuses become podfab errors: a remote access error
 * (a bad key, outside the registration) -PODFAB_EREMOTE, transport or RNR
 * retries exceeded (the peer is gone) -PODFAB_EPEERDEAD, the rest
 * -PODFAB_ETRANSPORT with ibv_wc_status_str's text.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>

#include <infiniband/verbs.h>

#include "pf_cpu_amo.h"
#include "pf_internal.h"
#include "pf_tp_stash.h"

#define VB_KEY_MAGIC 0x76626b79u  /* "vbky" */
#define VB_ADDR_MAGIC 0x76626164u /* "vbad" */
#define VB_MSG_MAGIC 0x76626d73u  /* "vbms" */
#define VB_CM_MAGIC 0x7662636du   /* "vbcm" */
#define VB_POOL 4096u             /* operation records */
#define VB_AMO_CREDITS 16u        /* target atomics: requests in flight to one peer */
#define VB_UD_RECVS 64u           /* connection mailbox: posted receives */
#define VB_UD_SENDS 16u
#define VB_GRH 40u                /* UD receives start with the global route header */
#define VB_BOUNCE_SLOTS 32u
#define VB_BOUNCE_SIZE 65536u
#define VB_SQ_DEPTH 256u          /* send queue of each RC queue pair */
#define VB_CQ_BATCH 32
#define VB_QKEY 0x70666162u
#define VB_RESEND_NS 200000000ull /* connection requests: re-sent every 200 ms */
#define VB_SPIN_NS 50000ull
#define VB_STALL_NS 20000000000ull /* a wait this long is reported once */

#define WRID_SRQ (1ull << 63)
#define WRID_UD_SEND (1ull << 62)

enum { AMO_NATIVE = 1, AMO_TARGET = 2 };
enum { VK_FREE = 0, VK_WRITE, VK_READ, VK_AMO, VK_PARENT, VK_REQ, VK_RESP };
enum { MSG_REQ = 1, MSG_RESP = 2 };
enum { CM_REQ = 1, CM_REP = 2 };
enum { VP_NONE = 0, VP_CONNECTING, VP_READY, VP_BROKEN };

struct vb_key {
	uint32_t magic;
	int32_t owner;
	uint64_t addr, len;
	uint32_t rkey, pad;
};
_Static_assert(sizeof(struct vb_key) <= PF_KEY_MAX, "verbs key too large");

/* The address the bootstrap shares. */
struct vb_addr {
	uint32_t magic;
	uint32_t ud_qpn;
	uint8_t gid[16];
	uint16_t lid;
	uint8_t port, link_layer, mtu, amo_mode, gid_index, pad;
};
_Static_assert(sizeof(struct vb_addr) <= PF_ADDR_MAX, "verbs address too large");

/* An atomic executed at the target: request and answer. */
struct vb_msg {
	uint32_t magic;
	uint8_t kind, op, type, pad;
	int32_t from;
	int32_t status;
	uint64_t cookie;
	uint64_t addr;
	uint32_t rkey, pad2;
	uint64_t operand, compare, result;
};

/* The connection mailbox's message. */
struct vb_cm {
	uint32_t magic;
	uint32_t kind;
	int32_t from, to;
	uint32_t qpn, psn;
	uint32_t req_qpn; /* an answer: the request's QPN */
	uint32_t pad;
};

struct vb_op {
	uint64_t amo_buf;        /* native atomics: the old value lands here (registered) */
	struct vb_msg msg;       /* target atomics: the request or answer sent (registered) */
	int kind;
	int peer;
	struct pf_tp_ctx *ctx;   /* NULL: completed by quiet */
	int internal;            /* ctx is the transport's own: set it, do not report it */
	struct vb_op *parent;    /* a part of a larger read */
	unsigned parts;          /* a parent: parts not yet complete */
	int status;
	void *result;            /* fetching atomics: where the old value goes */
	unsigned rsize;
	void *copy_to;           /* reads through a bounce slot */
	size_t copy_len;
	int slot;                /* bounce slot, or -1 */
	int done;                /* target atomics: 2 = sent and answered */
	int answered;            /* target atomics: the answer came */
	int rd;                  /* an RDMA READ or a device atomic */
	struct vb_op *next_free;
};

/* The registered region of records and message buffers. */
struct vb_region {
	struct vb_op ops[VB_POOL];
	uint8_t ud_recv[VB_UD_RECVS][VB_GRH + sizeof(struct vb_cm)];
	struct vb_cm ud_send[VB_UD_SENDS];
};

struct pf_tp_mr {
	struct ibv_mr *mr;
	void *addr;
	size_t len;
	int owned;
	struct pf_tp_mr *next;
};

struct pf_tp_rmr {
	uint64_t addr, len;
	uint32_t rkey;
	void *local; /* this accelerator's own memory */
};

struct vb_peer {
	struct vb_addr a;
	struct ibv_ah *ah; /* UD: to its mailbox */
	struct ibv_qp *qp;
	struct ibv_qp *qp_self; /* the responder side of the queue pair to ourselves */
	int state;
	uint32_t psn, rqpn;
	unsigned sq_used;
	unsigned rd_used; /* RDMA READs and atomics in flight */
	unsigned amo_out; /* target atomics: requests to it not yet answered (<= amo_credits) */
	int fence;        /* the next request waits for them */
	uint64_t last_req_ns;
};

struct pf_tp {
	int id, n;
	struct pf_boot *boot;
	int (*check_peers)(struct pf_boot *boot);
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq, *ud_cq;
	struct ibv_srq *srq;
	struct vb_msg *srq_buf;   /* target atomics: the receives of requests and answers */
	struct ibv_mr *srq_mr;
	unsigned srq_n, amo_credits;
	struct ibv_qp *ud;
	struct ibv_device_attr dev;
	struct ibv_port_attr port;
	uint8_t port_num;
	int gid_index;
	union ibv_gid gid;
	int amo_mode;
	unsigned max_inline;
	int ack_timeout; /* RC local ACK timeout: 4.096 us * 2^ack_timeout */
	char devname[64];
	struct vb_region *reg;
	struct ibv_mr *reg_mr;
	uint8_t *bounce;
	struct ibv_mr *bounce_mr;
	unsigned bounce_free[VB_BOUNCE_SLOTS];
	unsigned nbounce_free;
	uint8_t ud_send_busy[VB_UD_SENDS];
	struct vb_op *free_ops;
	struct vb_peer *peers;
	struct pf_tp_mr *mrs;
	struct pf_tp_mr *last_mr;      /* local_mr's last find */
	unsigned outstanding, outstanding_noctx;
	unsigned nreq; /* target atomics awaiting their answers */
	int sticky;
	struct pf_tp_stash stash;      /* completions with a context seen by quiet, for progress */
	struct ibv_wc wc[VB_CQ_BATCH]; /* the batch progress_internal is handling */
	unsigned wc_n, wc_next;
	int wc_short;                  /* that batch emptied the queue */
	unsigned idles;
	int stall_reported;  /* report_stall said it once */
	int async_ok;        /* the device's event descriptor is non-blocking: check_async reads it */
	unsigned inline_ops; /* operations done without the device, for the poll slot */
	uint32_t seed;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int vb_fail(int err, const char *what)
{
	return pf_err(PODFAB_ETRANSPORT, "verbs: %s: %s", what, strerror(err ? err : EIO));
}

/* ---- records ----------------------------------------------------------------------------- */

static int progress_internal(struct pf_tp *tp);
static int vb_poll(struct pf_tp *tp);
static int wait_step(struct pf_tp *tp, uint64_t *since);

static int srq_repost(struct pf_tp *tp, unsigned i);

static struct vb_op *op_get(struct pf_tp *tp, int kind, int peer, struct pf_tp_ctx *ctx, int *rc)
{
	uint64_t since = 0;
	while (pf_unlikely(!tp->free_ops)) {
		if ((*rc = progress_internal(tp)) < 0)
			return NULL;
		if (!tp->free_ops && (*rc = wait_step(tp, &since)) < 0)
			return NULL;
	}
	struct vb_op *op = tp->free_ops;
	tp->free_ops = op->next_free;
	op->kind = kind;
	op->peer = peer;
	op->ctx = ctx;
	op->internal = 0;
	op->parent = NULL;
	op->parts = 0;
	op->status = 0;
	op->result = NULL;
	op->rsize = 0;
	op->copy_to = NULL;
	op->copy_len = 0;
	op->slot = -1;
	op->done = 0;
	op->answered = 0;
	return op;
}

static void op_put(struct pf_tp *tp, struct vb_op *op)
{
	if (op->slot >= 0)
		tp->bounce_free[tp->nbounce_free++] = (unsigned)op->slot;
	op->slot = -1;
	op->kind = VK_FREE;
	op->next_free = tp->free_ops;
	tp->free_ops = op;
}

static void op_posted(struct pf_tp *tp, struct vb_op *op)
{
	tp->outstanding++;
	if (!op->ctx)
		tp->outstanding_noctx++;
}

/* An operation finished: report it (ctx), set it (internal), or remember a failure (no ctx). */
static void op_finish(struct pf_tp *tp, struct vb_op *op, int status)
{
	tp->outstanding--;
	if (op->internal) {
		op->ctx->status = status;
		op->ctx->done = 1;
	} else if (op->ctx) {
		int rc = pf_tp_stash_push(&tp->stash, op->ctx, status, "verbs");
		if (pf_unlikely(rc < 0) && !tp->sticky)
			tp->sticky = rc; /* the completion cannot be kept: fail the next quiet */
	} else {
		tp->outstanding_noctx--;
		if (status < 0 && !tp->sticky)
			tp->sticky = status;
	}
	op_put(tp, op);
}

/* A bounce slot (waits for one). */
static int slot_get(struct pf_tp *tp, int *slot)
{
	uint64_t since = 0;
	int rc;
	while (!tp->nbounce_free) {
		if ((rc = progress_internal(tp)) < 0)
			return rc;
		if (!tp->nbounce_free && (rc = wait_step(tp, &since)) < 0)
			return rc;
	}
	*slot = (int)tp->bounce_free[--tp->nbounce_free];
	return 0;
}

static inline uint8_t *slot_addr(struct pf_tp *tp, int slot)
{
	return tp->bounce + (size_t)slot * VB_BOUNCE_SIZE;
}

/* ---- waiting -------------------------------------------------------------------------------- */

/* One step of a wait inside the transport: poll a while, then yield; now and then check the peers. */
/*
 * The device's asynchronous events (never blocking: the descriptor is
 * non-blocking).  A completion queue in error (overrun) ends the transport:
 * no completion would come any more; a queue pair in error is replaced on
 * next use.  Every event is logged.
 */
static int check_async(struct pf_tp *tp)
{
	struct ibv_async_event ev;
	int rc = 0;
	while (tp->async_ok && ibv_get_async_event(tp->ctx, &ev) == 0) {
		enum ibv_event_type t = ev.event_type;
		int peer = -1;
		if (t == IBV_EVENT_QP_FATAL || t == IBV_EVENT_QP_REQ_ERR || t == IBV_EVENT_QP_ACCESS_ERR)
			for (int i = 0; i < tp->n && peer < 0; i++)
				if (tp->peers[i].qp == ev.element.qp || tp->peers[i].qp_self == ev.element.qp)
					peer = i;
		pf_log(PF_LOG_WARN, "verbs: accelerator %d: device event: %s%s", tp->id, ibv_event_type_str(t),
		       peer >= 0 ? " (the queue pair to a peer)" : "");
		if (peer >= 0)
			tp->peers[peer].state = VP_BROKEN;
		if ((t == IBV_EVENT_CQ_ERR || t == IBV_EVENT_DEVICE_FATAL) && !rc)
			rc = pf_err(PODFAB_ETRANSPORT, "verbs: accelerator %d: %s (%s)", tp->id, ibv_event_type_str(t),
				    t == IBV_EVENT_CQ_ERR ? "a completion queue overran: completions are lost"
							  : "the device failed");
		ibv_ack_async_event(&ev);
	}
	return rc;
}

/* A wait that lasts: say once what the transport waits for (PODFAB_LOG=warn or more). */
static void report_stall(struct pf_tp *tp, uint64_t waited_ns)
{
	char buf[512];
	size_t used = 0;
	for (int i = 0; i < tp->n && used + 80 < sizeof buf; i++) {
		struct vb_peer *p = &tp->peers[i];
		if (!p->sq_used && !p->rd_used && !p->amo_out)
			continue;
		int w = snprintf(buf + used, sizeof buf - used, " [%d: state %d, %u posted, %u reads/atomics, %u unanswered]",
				 i, p->state, p->sq_used, p->rd_used, p->amo_out);
		used += w > 0 ? (size_t)w : 0;
	}
	pf_log(PF_LOG_WARN, "verbs: accelerator %d has waited %.0f s: %u operations in flight, %u target atomics "
			    "unanswered;%s",
	       tp->id, (double)waited_ns / 1e9, tp->outstanding, tp->nreq, used ? buf : " nothing posted");
}

static int wait_step(struct pf_tp *tp, uint64_t *since)
{
	uint64_t t = now_ns();
	if (!*since)
		*since = t;
	if (t - *since < VB_SPIN_NS) {
		pf_cpu_relax();
		return 0;
	}
	if (pf_unlikely(t - *since > VB_STALL_NS) && !tp->stall_reported) {
		tp->stall_reported = 1;
		report_stall(tp, t - *since);
	}
	sched_yield();
	if ((++tp->idles & 255) == 0) {
		int rc = check_async(tp);
		if (rc == 0 && tp->check_peers)
			rc = tp->check_peers(tp->boot);
		return rc;
	}
	return 0;
}

/* Wait for an internal operation (its ctx on the caller's stack). */
static int wait_ctx(struct pf_tp *tp, struct pf_tp_ctx *c)
{
	uint64_t since = 0;
	int rc;
	while (!c->done) {
		if ((rc = progress_internal(tp)) < 0)
			return rc;
		if (!c->done && (rc = wait_step(tp, &since)) < 0)
			return rc;
	}
	return c->status;
}

/* ---- queue pairs ------------------------------------------------------------------------------ */

static const char *mtu_str(enum ibv_mtu m)
{
	switch (m) {
	case IBV_MTU_256: return "256";
	case IBV_MTU_512: return "512";
	case IBV_MTU_1024: return "1024";
	case IBV_MTU_2048: return "2048";
	case IBV_MTU_4096: return "4096";
	default: return "?";
	}
}

static int qp_to_init(struct pf_tp *tp, struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {.qp_state = IBV_QPS_INIT, .pkey_index = 0, .port_num = tp->port_num,
				.qp_access_flags = IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE |
						   IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS_LOCAL_WRITE};
	int rc = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
	return rc ? vb_fail(rc, "ibv_modify_qp to INIT") : 0;
}

static void fill_ah(struct pf_tp *tp, const struct vb_addr *to, struct ibv_ah_attr *ah)
{
	memset(ah, 0, sizeof *ah);
	ah->port_num = tp->port_num;
	ah->dlid = to->lid;
	if (tp->port.link_layer == IBV_LINK_LAYER_ETHERNET || tp->port.lid == 0) {
		ah->is_global = 1;
		memcpy(ah->grh.dgid.raw, to->gid, 16);
		ah->grh.sgid_index = (uint8_t)tp->gid_index;
		ah->grh.hop_limit = 64;
	}
}

/* RTR then RTS: connect qp to the remote qpn/psn at `to`. */
static int qp_connect(struct pf_tp *tp, struct ibv_qp *qp, const struct vb_addr *to, uint32_t rqpn, uint32_t rpsn,
		      uint32_t my_psn)
{
	struct ibv_qp_attr a;
	memset(&a, 0, sizeof a);
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = tp->port.active_mtu < (enum ibv_mtu)to->mtu ? tp->port.active_mtu : (enum ibv_mtu)to->mtu;
	a.dest_qp_num = rqpn;
	a.rq_psn = rpsn;
	a.max_dest_rd_atomic = (uint8_t)(tp->dev.max_qp_rd_atom < 16 ? tp->dev.max_qp_rd_atom : 16);
	a.min_rnr_timer = 12;
	fill_ah(tp, to, &a.ah_attr);
	int rc = ibv_modify_qp(qp, &a,
			       IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				       IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (rc)
		return vb_fail(rc, "ibv_modify_qp to RTR");
	memset(&a, 0, sizeof a);
	a.qp_state = IBV_QPS_RTS;
	a.timeout = (uint8_t)tp->ack_timeout;
	a.retry_cnt = 7;
	a.rnr_retry = 7; /* a target out of receives: retry until it posts more */
	a.sq_psn = my_psn;
	a.max_rd_atomic = (uint8_t)(tp->dev.max_qp_init_rd_atom < 16 ? tp->dev.max_qp_init_rd_atom : 16);
	rc = ibv_modify_qp(qp, &a,
			   IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
				   IBV_QP_MAX_QP_RD_ATOMIC);
	return rc ? vb_fail(rc, "ibv_modify_qp to RTS") : 0;
}

static int qp_create(struct pf_tp *tp, struct ibv_qp **out)
{
	struct ibv_qp_init_attr ia = {.send_cq = tp->cq, .recv_cq = tp->cq, .srq = tp->srq,
				      .cap = {.max_send_wr = VB_SQ_DEPTH, .max_recv_wr = tp->srq ? 0 : 1,
					      .max_send_sge = 1, .max_recv_sge = 1, .max_inline_data = 64},
				      .qp_type = IBV_QPT_RC, .sq_sig_all = 0};
	struct ibv_qp *qp = ibv_create_qp(tp->pd, &ia);
	if (!qp) { /* some devices inline nothing */
		ia.cap.max_inline_data = 0;
		qp = ibv_create_qp(tp->pd, &ia);
	}
	if (!qp)
		return vb_fail(errno, "ibv_create_qp (reliable connected)");
	if (ia.cap.max_inline_data < tp->max_inline)
		tp->max_inline = ia.cap.max_inline_data;
	int rc = qp_to_init(tp, qp);
	if (rc) {
		ibv_destroy_qp(qp);
		return rc;
	}
	*out = qp;
	return 0;
}

static uint32_t new_psn(struct pf_tp *tp)
{
	tp->seed = tp->seed * 1103515245u + 12345u;
	return (tp->seed >> 4) & 0xffffffu;
}

/* Send a mailbox message to peer. */
static int cm_send(struct pf_tp *tp, int peer, uint32_t kind, uint32_t qpn, uint32_t psn, uint32_t req_qpn)
{
	struct vb_peer *p = &tp->peers[peer];
	if (!p->ah) {
		struct ibv_ah_attr ah;
		fill_ah(tp, &p->a, &ah);
		p->ah = ibv_create_ah(tp->pd, &ah);
		if (!p->ah)
			return vb_fail(errno, "ibv_create_ah (mailbox)");
	}
	unsigned i;
	for (i = 0; i < VB_UD_SENDS && tp->ud_send_busy[i]; i++)
		;
	if (i == VB_UD_SENDS) /* every buffer in flight: this message goes again on the next resend */
		return 0;
	struct vb_cm *m = &tp->reg->ud_send[i];
	*m = (struct vb_cm){.magic = VB_CM_MAGIC, .kind = kind, .from = tp->id, .to = peer, .qpn = qpn, .psn = psn,
			    .req_qpn = req_qpn};
	struct ibv_sge sge = {.addr = (uintptr_t)m, .length = sizeof *m, .lkey = tp->reg_mr->lkey};
	struct ibv_send_wr wr = {.wr_id = WRID_UD_SEND | i, .sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_SEND,
				 .send_flags = IBV_SEND_SIGNALED}, *bad = NULL;
	wr.wr.ud.ah = p->ah;
	wr.wr.ud.remote_qpn = p->a.ud_qpn;
	wr.wr.ud.remote_qkey = VB_QKEY;
	int rc = ibv_post_send(tp->ud, &wr, &bad);
	if (rc)
		return vb_fail(rc, "ibv_post_send (mailbox)");
	tp->ud_send_busy[i] = 1;
	return 0;
}

static void peer_drop(struct pf_tp *tp, struct vb_peer *p)
{
	(void)tp;
	if (p->qp)
		ibv_destroy_qp(p->qp);
	if (p->qp_self)
		ibv_destroy_qp(p->qp_self);
	p->qp = p->qp_self = NULL;
	p->state = VP_NONE;
	p->fence = 0;
	p->rd_used = 0;
	p->amo_out = 0;
}

/* A connection request from peer: make (or keep) our side, answer. */
static int cm_serve_req(struct pf_tp *tp, const struct vb_cm *m)
{
	int from = m->from;
	struct vb_peer *p = &tp->peers[from];
	int rc;
	if (p->state == VP_READY && p->rqpn == m->qpn) /* a duplicate: answer again */
		return cm_send(tp, from, CM_REP, p->qp->qp_num, p->psn, m->qpn);
	if (p->state == VP_CONNECTING && from > tp->id)
		return 0; /* we asked too: ours wins, the peer takes it */
	if (p->state != VP_CONNECTING) {
		if (p->state != VP_NONE) {
			if (p->sq_used) /* the old pair still has requests in flight: answer once they flushed */
				return 0;
			peer_drop(tp, p);
		}
		if ((rc = qp_create(tp, &p->qp)) < 0)
			return rc;
		p->psn = new_psn(tp);
	}
	if ((rc = qp_connect(tp, p->qp, &p->a, m->qpn, m->psn, p->psn)) < 0) {
		peer_drop(tp, p);
		return rc;
	}
	p->rqpn = m->qpn;
	p->state = VP_READY;
	pf_log(PF_LOG_DEBUG, "verbs: accelerator %d: connected to %d (QPN %u to %u), at its request", tp->id, from,
	       p->qp->qp_num, m->qpn);
	return cm_send(tp, from, CM_REP, p->qp->qp_num, p->psn, m->qpn);
}

static int cm_serve_rep(struct pf_tp *tp, const struct vb_cm *m)
{
	struct vb_peer *p = &tp->peers[m->from];
	if (p->state != VP_CONNECTING || !p->qp || m->req_qpn != p->qp->qp_num)
		return 0; /* stale */
	int rc = qp_connect(tp, p->qp, &p->a, m->qpn, m->psn, p->psn);
	if (rc < 0) {
		peer_drop(tp, p);
		return rc;
	}
	p->rqpn = m->qpn;
	p->state = VP_READY;
	pf_log(PF_LOG_DEBUG, "verbs: accelerator %d: connected to %d (QPN %u to %u)", tp->id, m->from, p->qp->qp_num,
	       m->qpn);
	return 0;
}

/* Connect to peer (blocking): our own loop, or the mailbox handshake. */
static int connect_peer(struct pf_tp *tp, int peer)
{
	struct vb_peer *p = &tp->peers[peer];
	int rc;
	if (p->state == VP_BROKEN) {
		/* let the failed pair's requests flush, then replace it */
		uint64_t since = 0;
		while (p->sq_used) {
			if ((rc = progress_internal(tp)) < 0)
				return rc;
			if (p->sq_used && (rc = wait_step(tp, &since)) < 0)
				return rc;
		}
		peer_drop(tp, p);
	}
	if (peer == tp->id) {
		uint32_t a = new_psn(tp), b = new_psn(tp);
		if ((rc = qp_create(tp, &p->qp)) < 0)
			return rc;
		if ((rc = qp_create(tp, &p->qp_self)) < 0 ||
		    (rc = qp_connect(tp, p->qp, &p->a, p->qp_self->qp_num, b, a)) < 0 ||
		    (rc = qp_connect(tp, p->qp_self, &p->a, p->qp->qp_num, a, b)) < 0) {
			peer_drop(tp, p);
			return rc;
		}
		p->state = VP_READY;
		return 0;
	}
	if (p->state == VP_NONE) {
		if ((rc = qp_create(tp, &p->qp)) < 0)
			return rc;
		p->psn = new_psn(tp);
		p->state = VP_CONNECTING;
		p->last_req_ns = 0;
	}
	uint64_t since = 0;
	while (p->state == VP_CONNECTING) {
		uint64_t t = now_ns();
		if (t - p->last_req_ns > VB_RESEND_NS) {
			p->last_req_ns = t;
			if ((rc = cm_send(tp, peer, CM_REQ, p->qp->qp_num, p->psn, 0)) < 0)
				return rc;
		}
		if ((rc = progress_internal(tp)) < 0)
			return rc;
		if (p->state == VP_CONNECTING && (rc = wait_step(tp, &since)) < 0)
			return rc;
	}
	if (p->state != VP_READY)
		return pf_err(PODFAB_ETRANSPORT, "verbs: accelerator %d: the connection to %d failed", tp->id, peer);
	return 0;
}

static inline int peer_ready(struct pf_tp *tp, int peer)
{
	struct vb_peer *p = &tp->peers[peer];
	int rc;
	if (pf_unlikely(p->state != VP_READY) && (rc = connect_peer(tp, peer)) < 0)
		return rc;
	/* room in its send queue */
	uint64_t since = 0;
	while (pf_unlikely(p->sq_used >= VB_SQ_DEPTH)) {
		if ((rc = progress_internal(tp)) < 0)
			return rc;
		if (p->sq_used >= VB_SQ_DEPTH && (rc = wait_step(tp, &since)) < 0)
			return rc;
	}
	return 0;
}

/* Post wr (one, already filled but for wr_id and flags) on peer's queue pair. */
static int post(struct pf_tp *tp, int peer, struct vb_op *op, struct ibv_send_wr *wr, const char *what)
{
	struct vb_peer *p = &tp->peers[peer];
	struct ibv_send_wr *bad = NULL;
	int rc;
	if (pf_unlikely(p->fence)) {
		/*
		 * A fence: the earlier reads and device atomics complete first
		 * (writes and sends stay in order on the queue pair anyway).  In
		 * software rather than with IBV_SEND_FENCE, so that it costs
		 * nothing when none is in flight - puts and target-run atomics -
		 * and does not rest on each device's fence handling.
		 */
		uint64_t since = 0;
		while (p->rd_used) {
			if ((rc = progress_internal(tp)) < 0 ||
			    (p->rd_used && (rc = wait_step(tp, &since)) < 0)) {
				op_put(tp, op);
				return rc;
			}
		}
		p->fence = 0;
	}
	wr->wr_id = (uintptr_t)op;
	wr->send_flags |= IBV_SEND_SIGNALED;
	op->rd = wr->opcode == IBV_WR_RDMA_READ || wr->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD ||
		 wr->opcode == IBV_WR_ATOMIC_CMP_AND_SWP;
	rc = ibv_post_send(p->qp, wr, &bad);
	if (pf_unlikely(rc)) {
		op_put(tp, op);
		return pf_err(PODFAB_ETRANSPORT, "verbs: ibv_post_send (%s) to accelerator %d: %s", what, peer,
			      strerror(rc));
	}
	p->sq_used++;
	p->rd_used += (unsigned)op->rd;
	op_posted(tp, op);
	return 0;
}

/* ---- open, addresses, close ---------------------------------------------------------------- */

static int gid_is_v4mapped(const union ibv_gid *g)
{
	static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return !memcmp(g->raw, pre, 12);
}

static const char *ll_name(int ll)
{
	return ll == IBV_LINK_LAYER_ETHERNET ? "Ethernet (RoCE)" : ll == IBV_LINK_LAYER_INFINIBAND ? "InfiniBand"
											       : "unspecified";
}

static const char *atomic_name(enum ibv_atomic_cap c)
{
	return c == IBV_ATOMIC_HCA ? "ATOMIC_HCA" : c == IBV_ATOMIC_GLOB ? "ATOMIC_GLOB" : "none";
}

/* The GID index to use on an Ethernet port: RoCE v2 with an IPv4-mapped address first. */
static int pick_gid(struct pf_tp *tp, int *out)
{
	int v2 = -1, mapped = -1;
	for (int i = 0; i < tp->port.gid_tbl_len && i < 256; i++) {
		struct ibv_gid_entry e;
		if (ibv_query_gid_ex(tp->ctx, tp->port_num, (uint32_t)i, &e, 0))
			continue;
		if (e.gid_type != IBV_GID_TYPE_ROCE_V2)
			continue;
		if (v2 < 0)
			v2 = i;
		if (mapped < 0 && gid_is_v4mapped((const union ibv_gid *)&e.gid))
			mapped = i;
	}
	*out = mapped >= 0 ? mapped : v2 >= 0 ? v2 : 0;
	return 0;
}

static void vb_close(struct pf_tp *tp);

/* Choose the device and port; list what was found. */
static int pick_device(struct pf_tp *tp)
{
	int ndev = 0;
	struct ibv_device **list = ibv_get_device_list(&ndev);
	if (!list)
		return pf_err(PODFAB_ETRANSPORT, "verbs: no RDMA device: ibv_get_device_list: %s%s", strerror(errno),
			      errno == ENOSYS ? " (this host's kernel has no RDMA support loaded)" : "");
	if (ndev == 0) {
		ibv_free_device_list(list);
		return pf_err(PODFAB_ETRANSPORT,
			      "verbs: no RDMA device (ibv_get_device_list found none; soft-RoCE: 'rdma link add rxe0 "
			      "type rxe netdev IFACE')");
	}
	const char *want = getenv("PODFAB_VERBS_DEVICE");
	long wport = 0;
	int have_port = 0, rc;
	if ((rc = pf_env_int("PODFAB_VERBS_PORT", 1, 255, &wport, &have_port)) < 0) {
		ibv_free_device_list(list);
		return rc;
	}
	char names[256] = "";
	for (int i = 0; i < ndev && !tp->ctx; i++) {
		const char *name = ibv_get_device_name(list[i]);
		size_t nl = strlen(names);
		snprintf(names + nl, sizeof names - nl, "%s%s", nl ? ", " : "", name);
		struct ibv_context *c = ibv_open_device(list[i]);
		if (!c) {
			pf_log(PF_LOG_INFO, "verbs: device %s: cannot open it (%s)", name, strerror(errno));
			continue;
		}
		struct ibv_device_attr da;
		if (ibv_query_device(c, &da)) {
			ibv_close_device(c);
			continue;
		}
		int chosen = 0;
		for (uint8_t pn = 1; pn <= da.phys_port_cnt; pn++) {
			struct ibv_port_attr pa;
			if (ibv_query_port(c, pn, &pa))
				continue;
			pf_log(PF_LOG_INFO, "verbs: device %s port %u: %s, %s, MTU %s, LID %u, %d GIDs, atomics %s",
			       name, pn, ibv_port_state_str(pa.state), ll_name(pa.link_layer), mtu_str(pa.active_mtu),
			       pa.lid, pa.gid_tbl_len, atomic_name(da.atomic_cap));
			if (chosen || (want && strcmp(want, name)) || (have_port && pn != wport))
				continue;
			if (pa.state != IBV_PORT_ACTIVE && !have_port)
				continue;
			chosen = 1;
			tp->port_num = pn;
			tp->port = pa;
		}
		if (!chosen) {
			ibv_close_device(c);
			continue;
		}
		tp->ctx = c;
		int fl = fcntl(c->async_fd, F_GETFL);
		tp->async_ok = fl >= 0 && fcntl(c->async_fd, F_SETFL, fl | O_NONBLOCK) == 0;
		if (!tp->async_ok)
			pf_log(PF_LOG_WARN, "verbs: cannot make the device's event descriptor non-blocking (%s): "
					    "its events are not read", strerror(errno));
		tp->dev = da;
		snprintf(tp->devname, sizeof tp->devname, "%s", name);
	}
	ibv_free_device_list(list);
	if (!tp->ctx) {
		char port[32] = "";
		if (have_port)
			snprintf(port, sizeof port, " with a port %ld", wport);
		if (want || have_port)
			return pf_err(PODFAB_EENV, "verbs: no device%s%s%s%s among those found (%s)", want ? " named '" : "",
				      want ? want : "", want ? "'" : "", port, names);
		return pf_err(PODFAB_ETRANSPORT, "verbs: no device with an active port among those found (%s)", names);
	}
	if (tp->port.state != IBV_PORT_ACTIVE)
		return pf_err(PODFAB_ETRANSPORT, "verbs: device %s port %u is %s, not active", tp->devname, tp->port_num,
			      ibv_port_state_str(tp->port.state));
	long gi = 0;
	int have_gi = 0;
	if ((rc = pf_env_int("PODFAB_VERBS_GID_INDEX", 0, 255, &gi, &have_gi)) < 0)
		return rc;
	if (have_gi) {
		if (gi >= tp->port.gid_tbl_len)
			return pf_err(PODFAB_EENV, "PODFAB_VERBS_GID_INDEX=%ld: device %s port %u has %d GIDs", gi,
				      tp->devname, tp->port_num, tp->port.gid_tbl_len);
		tp->gid_index = (int)gi;
	} else if (tp->port.link_layer == IBV_LINK_LAYER_ETHERNET) {
		pick_gid(tp, &tp->gid_index);
	} else {
		tp->gid_index = 0;
	}
	if (ibv_query_gid(tp->ctx, tp->port_num, tp->gid_index, &tp->gid))
		return pf_err(PODFAB_ETRANSPORT, "verbs: ibv_query_gid index %d of %s port %u failed", tp->gid_index,
			      tp->devname, tp->port_num);
	return 0;
}

static int vb_open(const struct pf_tp_info *info, struct pf_tp **out)
{
	struct pf_tp *tp = calloc(1, sizeof *tp);
	if (!tp)
		return pf_err(PODFAB_ENOMEM, "verbs transport state");
	tp->id = info->accel_id;
	tp->n = info->naccels;
	tp->boot = info->boot;
	tp->check_peers = info->check_peers;
	tp->seed = (uint32_t)now_ns() ^ ((uint32_t)getpid() << 8) ^ (uint32_t)tp->id;
	tp->max_inline = 64;
	int rc = pick_device(tp);
	if (rc < 0)
		goto fail;
	long at = 17;
	int have_at = 0;
	if ((rc = pf_env_int("PODFAB_VERBS_ACK_TIMEOUT", 8, 24, &at, &have_at)) < 0)
		goto fail;
	tp->ack_timeout = (int)at;
	const char *m = getenv("PODFAB_VERBS_ATOMICS");
	int native = tp->dev.atomic_cap != IBV_ATOMIC_NONE;
	if (m && *m && strcmp(m, "auto") && strcmp(m, "native") && strcmp(m, "target")) {
		rc = pf_err(PODFAB_EENV, "PODFAB_VERBS_ATOMICS='%.32s' is not native, target or auto", m);
		goto fail;
	}
	if (info->flags & PF_TP_OPEN_CPU_ATOMICS) {
		if (m && !strcmp(m, "native")) {
			rc = pf_err(PODFAB_EENV, "PODFAB_VERBS_ATOMICS=native: the hybrid transport needs atomics run at "
						 "the target, with the CPU's instructions that its shm peers use");
			goto fail;
		}
		tp->amo_mode = AMO_TARGET;
	} else if (m && !strcmp(m, "native")) {
		if (!native) {
			rc = pf_err(PODFAB_ENOTSUP, "PODFAB_VERBS_ATOMICS=native: device %s has no atomics (atomic_cap none)",
				    tp->devname);
			goto fail;
		}
		tp->amo_mode = AMO_NATIVE;
	} else if (m && !strcmp(m, "target")) {
		tp->amo_mode = AMO_TARGET;
	} else {
		tp->amo_mode = native ? AMO_NATIVE : AMO_TARGET;
	}
	tp->pd = ibv_alloc_pd(tp->ctx);
	if (!tp->pd) {
		rc = vb_fail(errno, "ibv_alloc_pd");
		goto fail;
	}
	/*
	 * Target atomics: requests and answers are sends into a shared receive
	 * queue.  A receive not there when one arrives is an RNR NAK and a
	 * retry after min_rnr_timer: slow, and with rnr_retry 7 a sender that
	 * outruns a busy target would retry without end.  So none is let
	 * happen (flow control by credits): each
	 * accelerator has at most amo_credits requests in flight to a peer
	 * (itself included), which each bring one answer back, and the queue
	 * holds 2 x amo_credits x n receives, each posted again before its
	 * request is served.
	 */
	if (tp->amo_mode == AMO_TARGET) {
		uint64_t want = 2ull * VB_AMO_CREDITS * (uint64_t)tp->n, most = (uint64_t)tp->dev.max_srq_wr;
		if (most > 1u << 20)
			most = 1u << 20;
		tp->srq_n = (unsigned)(want < most ? want : most);
		tp->amo_credits = tp->srq_n / (2u * (unsigned)tp->n);
		if (!tp->amo_credits) { /* a device whose queue cannot hold 2 per peer: rest on RNR retries */
			tp->amo_credits = 1;
			pf_log(PF_LOG_WARN, "verbs: %s holds %u receives, fewer than 2 per accelerator (%d): target "
					    "atomics may meet receiver-not-ready retries",
			       ibv_get_device_name(tp->ctx->device), tp->srq_n, tp->n);
		}
	}
	int cqe = (int)(VB_POOL + tp->srq_n);
	if (cqe > tp->dev.max_cqe)
		cqe = tp->dev.max_cqe;
	tp->cq = ibv_create_cq(tp->ctx, cqe, NULL, NULL, 0);
	tp->ud_cq = tp->cq ? ibv_create_cq(tp->ctx, (int)(VB_UD_RECVS + VB_UD_SENDS), NULL, NULL, 0) : NULL;
	if (!tp->cq || !tp->ud_cq) {
		rc = vb_fail(errno, "ibv_create_cq");
		goto fail;
	}
	/* records and message buffers: one registration */
	if (posix_memalign((void **)&tp->reg, 4096, sizeof *tp->reg) ||
	    posix_memalign((void **)&tp->bounce, 4096, (size_t)VB_BOUNCE_SLOTS * VB_BOUNCE_SIZE)) {
		rc = pf_err(PODFAB_ENOMEM, "verbs: operation records and bounce buffers");
		goto fail;
	}
	memset(tp->reg, 0, sizeof *tp->reg);
	tp->reg_mr = ibv_reg_mr(tp->pd, tp->reg, sizeof *tp->reg, IBV_ACCESS_LOCAL_WRITE);
	tp->bounce_mr = tp->reg_mr ? ibv_reg_mr(tp->pd, tp->bounce, (size_t)VB_BOUNCE_SLOTS * VB_BOUNCE_SIZE,
						 IBV_ACCESS_LOCAL_WRITE)
				   : NULL;
	if (!tp->reg_mr || !tp->bounce_mr) {
		rc = vb_fail(errno, "ibv_reg_mr (records and bounce buffers)");
		goto fail;
	}
	for (unsigned i = VB_POOL; i-- > 0;) {
		tp->reg->ops[i].next_free = tp->free_ops;
		tp->reg->ops[i].slot = -1;
		tp->free_ops = &tp->reg->ops[i];
	}
	for (unsigned i = 0; i < VB_BOUNCE_SLOTS; i++)
		tp->bounce_free[tp->nbounce_free++] = i;
	pf_tp_stash_init(&tp->stash, VB_POOL);
	tp->peers = calloc((size_t)tp->n, sizeof *tp->peers);
	if (!tp->stash.e || !tp->peers) {
		rc = pf_err(PODFAB_ENOMEM, "verbs: peer table");
		goto fail;
	}
	/* target atomics: a shared receive queue for requests and answers */
	if (tp->amo_mode == AMO_TARGET) {
		struct ibv_srq_init_attr sa = {.attr = {.max_wr = tp->srq_n, .max_sge = 1}};
		tp->srq = ibv_create_srq(tp->pd, &sa);
		if (!tp->srq) {
			rc = vb_fail(errno, "ibv_create_srq");
			goto fail;
		}
		size_t bytes = ((size_t)tp->srq_n * sizeof(struct vb_msg) + 4095) & ~(size_t)4095;
		if (posix_memalign((void **)&tp->srq_buf, 4096, bytes)) {
			tp->srq_buf = NULL;
			rc = pf_err(PODFAB_ENOMEM, "verbs: %u receive buffers", tp->srq_n);
			goto fail;
		}
		memset(tp->srq_buf, 0, bytes);
		if (!(tp->srq_mr = ibv_reg_mr(tp->pd, tp->srq_buf, bytes, IBV_ACCESS_LOCAL_WRITE))) {
			rc = vb_fail(errno, "ibv_reg_mr (receive buffers)");
			goto fail;
		}
		for (unsigned i = 0; i < tp->srq_n; i++)
			if ((rc = srq_repost(tp, i)) < 0)
				goto fail;
		pf_log(PF_LOG_DEBUG, "verbs: accelerator %d: target atomics: %u in flight per peer, %u receives",
		       tp->id, tp->amo_credits, tp->srq_n);
	}
	/* the connection mailbox */
	struct ibv_qp_init_attr ua = {.send_cq = tp->ud_cq, .recv_cq = tp->ud_cq,
				      .cap = {.max_send_wr = VB_UD_SENDS, .max_recv_wr = VB_UD_RECVS, .max_send_sge = 1,
					      .max_recv_sge = 1},
				      .qp_type = IBV_QPT_UD};
	tp->ud = ibv_create_qp(tp->pd, &ua);
	if (!tp->ud) {
		rc = vb_fail(errno, "ibv_create_qp (datagram mailbox)");
		goto fail;
	}
	struct ibv_qp_attr qa = {.qp_state = IBV_QPS_INIT, .pkey_index = 0, .port_num = tp->port_num, .qkey = VB_QKEY};
	if ((rc = ibv_modify_qp(tp->ud, &qa, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_QKEY))) {
		rc = vb_fail(rc, "ibv_modify_qp (mailbox) to INIT");
		goto fail;
	}
	for (unsigned i = 0; i < VB_UD_RECVS; i++) {
		struct ibv_sge sge = {.addr = (uintptr_t)tp->reg->ud_recv[i], .length = sizeof tp->reg->ud_recv[i],
				      .lkey = tp->reg_mr->lkey};
		struct ibv_recv_wr wr = {.wr_id = i, .sg_list = &sge, .num_sge = 1}, *bad = NULL;
		if ((rc = ibv_post_recv(tp->ud, &wr, &bad))) {
			rc = vb_fail(rc, "ibv_post_recv (mailbox)");
			goto fail;
		}
	}
	qa = (struct ibv_qp_attr){.qp_state = IBV_QPS_RTR};
	if ((rc = ibv_modify_qp(tp->ud, &qa, IBV_QP_STATE))) {
		rc = vb_fail(rc, "ibv_modify_qp (mailbox) to RTR");
		goto fail;
	}
	qa = (struct ibv_qp_attr){.qp_state = IBV_QPS_RTS, .sq_psn = new_psn(tp)};
	if ((rc = ibv_modify_qp(tp->ud, &qa, IBV_QP_STATE | IBV_QP_SQ_PSN))) {
		rc = vb_fail(rc, "ibv_modify_qp (mailbox) to RTS");
		goto fail;
	}
	char gs[64];
	snprintf(gs, sizeof gs, "%02x%02x:%02x%02x:...:%u.%u.%u.%u", tp->gid.raw[0], tp->gid.raw[1], tp->gid.raw[2],
		 tp->gid.raw[3], tp->gid.raw[12], tp->gid.raw[13], tp->gid.raw[14], tp->gid.raw[15]);
	pf_log(PF_LOG_INFO, "verbs: accelerator %d: device %s port %u (%s), GID index %d (%s), atomics %s", tp->id,
	       tp->devname, tp->port_num, ll_name(tp->port.link_layer), tp->gid_index, gs,
	       tp->amo_mode == AMO_NATIVE ? "on the device" : "executed at the target");
	*out = tp;
	return 0;
fail:
	vb_close(tp);
	return rc;
}

static int vb_addr(struct pf_tp *tp, void *buf, size_t *len)
{
	struct vb_addr a = {.magic = VB_ADDR_MAGIC, .ud_qpn = tp->ud->qp_num, .lid = tp->port.lid,
			    .port = tp->port_num, .link_layer = tp->port.link_layer,
			    .mtu = (uint8_t)tp->port.active_mtu, .amo_mode = (uint8_t)tp->amo_mode,
			    .gid_index = (uint8_t)tp->gid_index};
	memcpy(a.gid, tp->gid.raw, 16);
	memcpy(buf, &a, sizeof a);
	*len = sizeof a;
	return 0;
}

static int vb_connect(struct pf_tp *tp, const void *addrs, size_t stride)
{
	for (int i = 0; i < tp->n; i++) {
		struct vb_addr a;
		memcpy(&a, (const uint8_t *)addrs + (size_t)i * stride, sizeof a);
		if (a.magic != VB_ADDR_MAGIC)
			return pf_err(PODFAB_EMISMATCH, "verbs: accelerator %d did not publish a verbs address", i);
		if (a.amo_mode != tp->amo_mode)
			return pf_err(PODFAB_EMISMATCH,
				      "verbs: accelerator %d runs atomics %s, accelerator %d %s (set PODFAB_VERBS_ATOMICS alike)",
				      i, a.amo_mode == AMO_NATIVE ? "on the device" : "at the target", tp->id,
				      tp->amo_mode == AMO_NATIVE ? "on the device" : "at the target");
		if (a.link_layer != tp->port.link_layer)
			return pf_err(PODFAB_EMISMATCH, "verbs: accelerator %d's port is %s, accelerator %d's %s", i,
				      ll_name(a.link_layer), tp->id, ll_name(tp->port.link_layer));
		tp->peers[i].a = a;
	}
	return 0;
}

static void vb_close(struct pf_tp *tp)
{
	if (!tp)
		return;
	if (tp->peers) {
		for (int i = 0; i < tp->n; i++) {
			peer_drop(tp, &tp->peers[i]);
			if (tp->peers[i].ah)
				ibv_destroy_ah(tp->peers[i].ah);
		}
	}
	if (tp->ud)
		ibv_destroy_qp(tp->ud);
	if (tp->srq)
		ibv_destroy_srq(tp->srq);
	if (tp->srq_mr)
		ibv_dereg_mr(tp->srq_mr);
	free(tp->srq_buf);
	if (tp->reg_mr)
		ibv_dereg_mr(tp->reg_mr);
	if (tp->bounce_mr)
		ibv_dereg_mr(tp->bounce_mr);
	if (tp->ud_cq)
		ibv_destroy_cq(tp->ud_cq);
	if (tp->cq)
		ibv_destroy_cq(tp->cq);
	if (tp->pd)
		ibv_dealloc_pd(tp->pd);
	if (tp->ctx)
		ibv_close_device(tp->ctx);
	free(tp->reg);
	free(tp->bounce);
	pf_tp_stash_fini(&tp->stash);
	free(tp->peers);
	free(tp);
}

/* ---- memory ------------------------------------------------------------------------------ */

static int mr_register(struct pf_tp *tp, void *addr, size_t len, int owned, struct pf_tp_mr **out)
{
	struct pf_tp_mr *m = calloc(1, sizeof *m);
	if (!m)
		return pf_err(PODFAB_ENOMEM, "verbs registration record");
	/*
	 * The whole 8-byte words the range touches: a 32-bit atomic is a
	 * compare-and-swap of the aligned word holding it.
	 */
	uintptr_t lo = (uintptr_t)addr & ~(uintptr_t)7, hi = ((uintptr_t)addr + len + 7) & ~(uintptr_t)7;
	if (hi == lo)
		hi = lo + 8;
	m->mr = ibv_reg_mr(tp->pd, (void *)lo, hi - lo,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_ATOMIC);
	if (!m->mr) {
		int e = errno;
		free(m);
		return pf_err(e == ENOMEM ? PODFAB_ENOMEM : PODFAB_ETRANSPORT,
			      "verbs: ibv_reg_mr of %zu bytes: %s%s", len, strerror(e),
			      e == ENOMEM || e == EPERM ? " (is the locked-memory limit, ulimit -l, large enough?)" : "");
	}
	m->addr = addr;
	m->len = len;
	m->owned = owned;
	m->next = tp->mrs;
	tp->mrs = m;
	*out = m;
	return 0;
}

static int vb_mem_alloc(struct pf_tp *tp, size_t len, uint32_t segid, void **addr, struct pf_tp_mr **out)
{
	(void)segid;
	void *p = NULL;
	size_t alloc = len ? (len + 7) & ~(size_t)7 : 8;
	if (posix_memalign(&p, 4096, alloc))
		return pf_err(PODFAB_ENOMEM, "verbs: %zu bytes for a segment", len);
	memset(p, 0, alloc);
	int rc = mr_register(tp, p, alloc, 1, out);
	if (rc) {
		free(p);
		return rc;
	}
	*addr = p;
	return 0;
}

static int vb_mem_reg(struct pf_tp *tp, void *addr, size_t len, struct pf_tp_mr **out)
{
	return mr_register(tp, addr, len, 0, out);
}

static int vb_mem_key(struct pf_tp *tp, struct pf_tp_mr *m, void *keybuf)
{
	struct vb_key k = {VB_KEY_MAGIC, tp->id, (uint64_t)(uintptr_t)m->addr, m->len, m->mr->rkey, 0};
	memset(keybuf, 0, PF_KEY_MAX);
	memcpy(keybuf, &k, sizeof k);
	return 0;
}

static void vb_mem_published(struct pf_tp *tp, struct pf_tp_mr *m)
{
	(void)tp;
	(void)m;
}

static void vb_mem_free(struct pf_tp *tp, struct pf_tp_mr *m)
{
	if (tp->last_mr == m)
		tp->last_mr = NULL;
	for (struct pf_tp_mr **pp = &tp->mrs; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	ibv_dereg_mr(m->mr);
	if (m->owned)
		free(m->addr);
	free(m);
}

static int vb_rkey_import(struct pf_tp *tp, int peer, const void *keybuf, size_t keylen, struct pf_tp_rmr **out)
{
	struct vb_key k;
	if (keylen < sizeof k)
		return pf_err(PODFAB_EKEY, "verbs: a key of %zu bytes is too short", keylen);
	memcpy(&k, keybuf, sizeof k);
	if (k.magic != VB_KEY_MAGIC)
		return pf_err(PODFAB_EKEY, "verbs: not a verbs transport key (from accelerator %d)", peer);
	struct pf_tp_rmr *r = calloc(1, sizeof *r);
	if (!r)
		return pf_err(PODFAB_ENOMEM, "verbs remote key");
	r->addr = k.addr;
	r->len = k.len;
	r->rkey = k.rkey;
	r->local = k.owner == tp->id ? (void *)(uintptr_t)k.addr : NULL;
	*out = r;
	return 0;
}

static void vb_rkey_release(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	(void)tp;
	free(r);
}

static void *vb_rkey_ptr(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	(void)tp;
	return r->local;
}

static unsigned vb_rkey_caps(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	(void)tp;
	return PF_CAP_ATOMIC | (r->local ? PF_CAP_LOADSTORE : 0u);
}

static inline int mr_holds(const struct pf_tp_mr *m, uintptr_t a, size_t len)
{
	uintptr_t b = (uintptr_t)m->addr;
	return a >= b && a - b <= m->len && len <= m->len - (a - b);
}

/* The registration holding [p, p + len), or NULL; the last one found is tried first. */
static inline struct pf_tp_mr *local_mr(struct pf_tp *tp, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;
	if (pf_likely(tp->last_mr && mr_holds(tp->last_mr, a, len)))
		return tp->last_mr;
	for (struct pf_tp_mr *m = tp->mrs; m; m = m->next)
		if (mr_holds(m, a, len))
			return tp->last_mr = m;
	return NULL;
}

/* ---- data ------------------------------------------------------------------------------ */

static int post_write(struct pf_tp *tp, int peer, struct vb_op *op, const void *src, uint32_t lkey, size_t len,
		      uint64_t raddr, uint32_t rkey, int inl)
{
	struct ibv_sge sge = {.addr = (uintptr_t)src, .length = (uint32_t)len, .lkey = lkey};
	struct ibv_send_wr wr = {.sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
				 .send_flags = inl ? IBV_SEND_INLINE : 0};
	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	return post(tp, peer, op, &wr, "RDMA WRITE");
}

/*
 * A put returns when its source may be reused: one from registered memory
 * completes when written (ctx); one sent inline or copied to bounce buffers
 * returns at once, its completion awaited by quiet.
 */
static int vb_put(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, const void *src, size_t len,
		  struct pf_tp_ctx *ctx)
{
	int rc;
	if (pf_unlikely(!len))
		return PF_TP_DONE;
	if (pf_unlikely((rc = peer_ready(tp, peer)) < 0))
		return rc;
	uint64_t raddr = r->addr + off;
	if (len <= tp->max_inline) {
		struct vb_op *op = op_get(tp, VK_WRITE, peer, NULL, &rc);
		if (!op)
			return rc;
		if ((rc = post_write(tp, peer, op, src, 0, len, raddr, r->rkey, 1)) < 0)
			return rc;
		return PF_TP_DONE;
	}
	struct pf_tp_mr *m = local_mr(tp, src, len);
	if (m && len <= UINT32_MAX) {
		struct vb_op *op = op_get(tp, VK_WRITE, peer, ctx, &rc);
		if (!op)
			return rc;
		if ((rc = post_write(tp, peer, op, src, m->mr->lkey, len, raddr, r->rkey, 0)) < 0)
			return rc;
		return ctx ? PF_TP_POSTED : PF_TP_DONE;
	}
	for (size_t done = 0; done < len;) {
		size_t n = len - done < VB_BOUNCE_SIZE ? len - done : VB_BOUNCE_SIZE;
		int slot;
		if ((rc = slot_get(tp, &slot)) < 0)
			return rc;
		memcpy(slot_addr(tp, slot), (const char *)src + done, n);
		struct vb_op *op = NULL;
		if ((rc = peer_ready(tp, peer)) < 0 || !(op = op_get(tp, VK_WRITE, peer, NULL, &rc))) {
			tp->bounce_free[tp->nbounce_free++] = (unsigned)slot;
			return rc;
		}
		op->slot = slot; /* post() releases it on failure */
		if ((rc = post_write(tp, peer, op, slot_addr(tp, slot), tp->bounce_mr->lkey, n, raddr + done, r->rkey,
				     0)) < 0)
			return rc;
		done += n;
	}
	return PF_TP_DONE;
}

static int post_read(struct pf_tp *tp, int peer, struct vb_op *op, void *dest, uint32_t lkey, size_t len,
		     uint64_t raddr, uint32_t rkey)
{
	struct ibv_sge sge = {.addr = (uintptr_t)dest, .length = (uint32_t)len, .lkey = lkey};
	struct ibv_send_wr wr = {.sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_RDMA_READ};
	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	return post(tp, peer, op, &wr, "RDMA READ");
}

static int vb_get(struct pf_tp *tp, void *dest, int peer, struct pf_tp_rmr *r, size_t off, size_t len,
		  struct pf_tp_ctx *ctx)
{
	int rc;
	if (pf_unlikely(!len))
		return PF_TP_DONE;
	if (pf_unlikely((rc = peer_ready(tp, peer)) < 0))
		return rc;
	uint64_t raddr = r->addr + off;
	struct pf_tp_mr *m = local_mr(tp, dest, len);
	if (m && len <= UINT32_MAX) {
		struct vb_op *op = op_get(tp, VK_READ, peer, ctx, &rc);
		if (!op)
			return rc;
		if ((rc = post_read(tp, peer, op, dest, m->mr->lkey, len, raddr, r->rkey)) < 0)
			return rc;
		return PF_TP_POSTED;
	}
	/* through bounce slots: one record, or a parent and its parts */
	struct vb_op *parent = NULL;
	if (len > VB_BOUNCE_SIZE) {
		if (!(parent = op_get(tp, VK_PARENT, peer, ctx, &rc)))
			return rc;
		parent->parts = (unsigned)((len + VB_BOUNCE_SIZE - 1) / VB_BOUNCE_SIZE);
		op_posted(tp, parent);
	}
	for (size_t done = 0; done < len;) {
		size_t n = len - done < VB_BOUNCE_SIZE ? len - done : VB_BOUNCE_SIZE;
		int slot;
		struct vb_op *op = NULL;
		if ((rc = slot_get(tp, &slot)) < 0)
			goto part_fail;
		if (!(op = op_get(tp, VK_READ, peer, parent ? NULL : ctx, &rc))) {
			tp->bounce_free[tp->nbounce_free++] = (unsigned)slot;
			goto part_fail;
		}
		op->slot = slot;
		op->copy_to = (char *)dest + done;
		op->copy_len = n;
		op->parent = parent; /* a part: counted as an operation without a context, reported through its parent */
		if ((rc = peer_ready(tp, peer)) < 0) {
			op_put(tp, op);
			goto part_fail;
		}
		if ((rc = post_read(tp, peer, op, slot_addr(tp, slot), tp->bounce_mr->lkey, n, raddr + done, r->rkey)) < 0)
			goto part_fail;
		done += n;
		continue;
	part_fail:
		if (!parent)
			return rc;
		/* the parts not posted will never complete: count them as failed */
		parent->status = rc;
		parent->parts -= (unsigned)((len - done + VB_BOUNCE_SIZE - 1) / VB_BOUNCE_SIZE);
		if (!parent->parts)
			op_finish(tp, parent, rc);
		return PF_TP_POSTED;
	}
	return PF_TP_POSTED;
}

/* ---- atomics ------------------------------------------------------------------------------ */

static inline unsigned type_size(podfab_type_t t)
{
	return (t == PODFAB_INT32 || t == PODFAB_UINT32) ? 4 : 8;
}

/* The new value of a word of type t holding old (the low 32 bits for the 32-bit types). */
static uint64_t amo_new(podfab_atomic_op_t op, podfab_type_t t, uint64_t old, uint64_t v, uint64_t c)
{
	uint64_t mask = type_size(t) == 4 ? 0xffffffffull : ~0ull;
	old &= mask;
	v &= mask;
	c &= mask;
	switch (op) {
	case PODFAB_AOP_ADD: return (old + v) & mask;
	case PODFAB_AOP_AND: return old & v;
	case PODFAB_AOP_OR: return old | v;
	case PODFAB_AOP_XOR: return old ^ v;
	case PODFAB_AOP_MIN:
	case PODFAB_AOP_MAX: {
		int less;
		if (t == PODFAB_INT32)
			less = (int32_t)(uint32_t)v < (int32_t)(uint32_t)old;
		else if (t == PODFAB_INT64)
			less = (int64_t)v < (int64_t)old;
		else
			less = v < old;
		int greater = v != old && !less;
		return (op == PODFAB_AOP_MIN ? less : greater) ? v : old;
	}
	case PODFAB_AOP_SWAP:
	case PODFAB_AOP_SET: return v;
	case PODFAB_AOP_CSWAP: return old == c ? v : old;
	default: return old; /* FETCH */
	}
}

/* One 8-byte device atomic on raddr, waited for; the old value in *old. */
static int sync_amo(struct pf_tp *tp, int peer, uint64_t raddr, uint32_t rkey, enum ibv_wr_opcode opc,
		    uint64_t add_or_cmp, uint64_t swap, uint64_t *old)
{
	struct pf_tp_ctx c = {0, 0};
	int rc = 0;
	if ((rc = peer_ready(tp, peer)) < 0)
		return rc;
	struct vb_op *op = op_get(tp, VK_AMO, peer, &c, &rc);
	if (!op)
		return rc;
	op->internal = 1;
	op->result = old;
	op->rsize = 8;
	struct ibv_sge sge = {.addr = (uintptr_t)&op->amo_buf, .length = 8, .lkey = tp->reg_mr->lkey};
	struct ibv_send_wr wr = {.sg_list = &sge, .num_sge = 1, .opcode = opc};
	wr.wr.atomic.remote_addr = raddr;
	wr.wr.atomic.rkey = rkey;
	wr.wr.atomic.compare_add = add_or_cmp;
	wr.wr.atomic.swap = swap;
	if ((rc = post(tp, peer, op, &wr, "atomic")) < 0)
		return rc;
	return wait_ctx(tp, &c);
}

/* Any operation and type as a compare-and-swap loop on the aligned 8-byte word. */
static int amo_cas_loop(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, podfab_atomic_op_t op,
			podfab_type_t type, uint64_t operand, uint64_t compare, void *result)
{
	uint64_t waddr = r->addr + off;
	unsigned shift = 0;
	if (type_size(type) == 4) {
		shift = (unsigned)(waddr & 4) * 8; /* little-endian: the high half at +4 */
		waddr &= ~(uint64_t)7;
	}
	uint64_t mask = type_size(type) == 4 ? 0xffffffffull << shift : ~0ull;
	uint64_t cur = 0;
	int rc = sync_amo(tp, peer, waddr, r->rkey, IBV_WR_ATOMIC_FETCH_AND_ADD, 0, 0, &cur);
	if (rc < 0)
		return rc;
	for (;;) {
		uint64_t old = (cur & mask) >> shift;
		uint64_t nv = amo_new(op, type, old, operand, compare);
		if (op == PODFAB_AOP_FETCH || (nv == old && op != PODFAB_AOP_SET && op != PODFAB_AOP_SWAP)) {
			/* nothing to write: the read was the operation */
			if (result)
				pf_cpu_amo_result(result, type, old);
			return PF_TP_DONE;
		}
		uint64_t word = (cur & ~mask) | (nv << shift);
		uint64_t got = 0;
		if ((rc = sync_amo(tp, peer, waddr, r->rkey, IBV_WR_ATOMIC_CMP_AND_SWP, cur, word, &got)) < 0)
			return rc;
		if (got == cur) {
			if (result && op != PODFAB_AOP_SET)
				pf_cpu_amo_result(result, type, old);
			return PF_TP_DONE;
		}
		cur = got;
	}
}

static int amo_target(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, podfab_atomic_op_t op,
		      podfab_type_t type, uint64_t operand, uint64_t compare, void *result, struct pf_tp_ctx *ctx)
{
	if (r->local) { /* our own memory: the same CPU atomics the target path uses */
		uint64_t old = pf_cpu_amo((char *)r->local + off, op, type, operand, compare);
		if (result)
			pf_cpu_amo_result(result, type, old);
		int rc = vb_poll(tp);
		return rc < 0 ? rc : PF_TP_DONE;
	}
	int rc;
	if ((rc = peer_ready(tp, peer)) < 0)
		return rc;
	uint64_t since = 0; /* no more than amo_credits unanswered: the peer has a receive for each */
	while (pf_unlikely(tp->peers[peer].amo_out >= tp->amo_credits)) {
		if ((rc = progress_internal(tp)) < 0)
			return rc;
		if (tp->peers[peer].amo_out >= tp->amo_credits && (rc = wait_step(tp, &since)) < 0)
			return rc;
		if (tp->peers[peer].state != VP_READY && (rc = peer_ready(tp, peer)) < 0)
			return rc;
	}
	struct vb_op *o = op_get(tp, VK_REQ, peer, ctx, &rc);
	if (!o)
		return rc;
	o->result = result;
	o->rsize = type_size(type);
	o->msg = (struct vb_msg){.magic = VB_MSG_MAGIC, .kind = MSG_REQ, .op = (uint8_t)op, .type = (uint8_t)type,
				 .from = tp->id, .cookie = (uint64_t)(uintptr_t)o, .addr = r->addr + off,
				 .rkey = r->rkey, .operand = operand, .compare = compare};
	struct ibv_sge sge = {.addr = (uintptr_t)&o->msg, .length = sizeof o->msg, .lkey = tp->reg_mr->lkey};
	struct ibv_send_wr wr = {.sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_SEND};
	if ((rc = post(tp, peer, o, &wr, "atomic request")) < 0)
		return rc;
	tp->peers[peer].amo_out++;
	tp->nreq++;
	return PF_TP_POSTED;
}

static int vb_atomic(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, podfab_atomic_op_t op,
		     podfab_type_t type, uint64_t operand, uint64_t compare, void *result, struct pf_tp_ctx *ctx)
{
	if (tp->amo_mode == AMO_TARGET)
		return amo_target(tp, peer, r, off, op, type, operand, compare, result, ctx);
	if (type_size(type) == 4 || (op != PODFAB_AOP_ADD && op != PODFAB_AOP_FETCH && op != PODFAB_AOP_CSWAP))
		return amo_cas_loop(tp, peer, r, off, op, type, operand, compare, result);
	int rc;
	if ((rc = peer_ready(tp, peer)) < 0)
		return rc;
	struct vb_op *o = op_get(tp, VK_AMO, peer, ctx, &rc);
	if (!o)
		return rc;
	o->result = result;
	o->rsize = 8;
	struct ibv_sge sge = {.addr = (uintptr_t)&o->amo_buf, .length = 8, .lkey = tp->reg_mr->lkey};
	struct ibv_send_wr wr = {.sg_list = &sge, .num_sge = 1};
	wr.wr.atomic.remote_addr = r->addr + off;
	wr.wr.atomic.rkey = r->rkey;
	if (op == PODFAB_AOP_CSWAP) {
		wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
		wr.wr.atomic.compare_add = compare;
		wr.wr.atomic.swap = operand;
	} else {
		wr.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
		wr.wr.atomic.compare_add = op == PODFAB_AOP_ADD ? operand : 0;
	}
	if ((rc = post(tp, peer, o, &wr, "atomic")) < 0)
		return rc;
	return PF_TP_POSTED;
}

static int vb_put_signal(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, const void *src, size_t len,
			 struct pf_tp_rmr *sr, size_t sig_off, uint64_t signal, podfab_signal_op_t sig_op,
			 struct pf_tp_ctx *ctx)
{
	/* the data, then the signal: the queue pair executes them in order */
	int rc = vb_put(tp, peer, r, off, src, len, NULL);
	if (rc < 0)
		return rc;
	return vb_atomic(tp, peer, sr, sig_off, sig_op == PODFAB_SIGNAL_ADD ? PODFAB_AOP_ADD : PODFAB_AOP_SET,
			 PODFAB_UINT64, signal, 0, NULL, ctx);
}

/* ---- completion ------------------------------------------------------------------------- */

static int wc_error(const struct ibv_wc *wc, int peer)
{
	int code;
	switch (wc->status) {
	case IBV_WC_REM_ACCESS_ERR:
	case IBV_WC_LOC_PROT_ERR:
		code = PODFAB_EREMOTE;
		break;
	case IBV_WC_RETRY_EXC_ERR:
	case IBV_WC_RNR_RETRY_EXC_ERR:
		code = PODFAB_EPEERDEAD;
		break;
	default:
		code = PODFAB_ETRANSPORT;
	}
	if (wc->status == IBV_WC_WR_FLUSH_ERR)
		return pf_err(code, "verbs: operation to accelerator %d flushed after an earlier error on its queue pair",
			      peer);
	return pf_err(code, "verbs: operation to accelerator %d failed: %s (vendor error 0x%x)%s", peer,
		      ibv_wc_status_str(wc->status), wc->vendor_err,
		      code == PODFAB_EPEERDEAD ? ": no answer, the peer is gone or unreachable" : "");
}

static int serve_amo(struct pf_tp *tp, const struct vb_msg *q);

static void complete_op(struct pf_tp *tp, struct vb_op *op, int status)
{
	switch (op->kind) {
	case VK_READ:
		if (status == 0 && op->copy_to)
			memcpy(op->copy_to, slot_addr(tp, op->slot), op->copy_len);
		if (op->parent) {
			struct vb_op *pa = op->parent;
			if (status < 0 && !pa->status)
				pa->status = status;
			tp->outstanding--;
			tp->outstanding_noctx--;
			op_put(tp, op);
			if (--pa->parts == 0)
				op_finish(tp, pa, pa->status);
			return;
		}
		op_finish(tp, op, status);
		return;
	case VK_AMO:
		if (status == 0 && op->result)
			pf_cpu_amo_result(op->result, op->rsize == 4 ? PODFAB_UINT32 : PODFAB_UINT64, op->amo_buf);
		op_finish(tp, op, status);
		return;
	case VK_REQ:
		if (status < 0) { /* no answer will come */
			if (!op->answered && tp->peers[op->peer].amo_out)
				tp->peers[op->peer].amo_out--;
			tp->nreq--;
			op_finish(tp, op, status);
			return;
		}
		if (++op->done == 2) {
			tp->nreq--;
			op_finish(tp, op, op->status);
		}
		return;
	default: /* VK_WRITE, VK_RESP */
		op_finish(tp, op, status);
		return;
	}
}

static int srq_repost(struct pf_tp *tp, unsigned i)
{
	struct ibv_sge sge = {.addr = (uintptr_t)&tp->srq_buf[i], .length = sizeof(struct vb_msg),
			      .lkey = tp->srq_mr->lkey};
	struct ibv_recv_wr wr = {.wr_id = WRID_SRQ | i, .sg_list = &sge, .num_sge = 1}, *bad = NULL;
	int rc = ibv_post_srq_recv(tp->srq, &wr, &bad);
	return rc ? vb_fail(rc, "ibv_post_srq_recv") : 0;
}

static int recv_msg(struct pf_tp *tp, const struct ibv_wc *wc)
{
	unsigned i = (unsigned)(wc->wr_id & ~WRID_SRQ);
	if (i >= tp->srq_n)
		return 0;
	struct vb_msg m = tp->srq_buf[i];
	int rc = srq_repost(tp, i);
	if (rc < 0)
		return rc;
	if (wc->status != IBV_WC_SUCCESS || m.magic != VB_MSG_MAGIC)
		return 0;
	if (m.kind == MSG_REQ)
		return serve_amo(tp, &m);
	if (m.kind == MSG_RESP) {
		struct vb_op *o = (struct vb_op *)(uintptr_t)m.cookie;
		if (o < tp->reg->ops || o >= tp->reg->ops + VB_POOL || o->kind != VK_REQ || o->answered)
			return 0;
		o->answered = 1;
		if (tp->peers[o->peer].amo_out)
			tp->peers[o->peer].amo_out--;
		if (o->result && m.status == 0)
			pf_cpu_amo_result(o->result, o->rsize == 4 ? PODFAB_UINT32 : PODFAB_UINT64, m.result);
		if (m.status < 0 && !o->status)
			o->status = m.status;
		if (++o->done == 2) {
			tp->nreq--;
			op_finish(tp, o, o->status);
		}
	}
	return 0;
}

/* The target side of an atomic request: run it on our memory, answer. */
static int serve_amo(struct pf_tp *tp, const struct vb_msg *q)
{
	struct vb_msg a = *q;
	a.kind = MSG_RESP;
	a.status = 0;
	unsigned size = type_size((podfab_type_t)q->type);
	struct pf_tp_mr *m = tp->mrs;
	for (; m; m = m->next) {
		uintptr_t b = (uintptr_t)m->addr;
		if (m->mr->rkey == q->rkey && q->addr >= b && q->addr - b <= m->len && size <= m->len - (q->addr - b))
			break;
	}
	if (!m || (q->addr & (size - 1)) || q->type >= PODFAB_TYPE_MAX || q->op >= PODFAB_AOP_MAX_OP)
		a.status = pf_err(PODFAB_EREMOTE,
				  "verbs: accelerator %d: atomic (op %d, type %d) from %d at 0x%" PRIx64
				  " key 0x%x: %s",
				  tp->id, q->op, q->type, q->from, q->addr, q->rkey,
				  !m ? "in no registration" : "misaligned or not an atomic");
	else
		a.result = pf_cpu_amo((void *)(uintptr_t)q->addr, (podfab_atomic_op_t)q->op, (podfab_type_t)q->type,
				      q->operand, q->compare);
	if (q->from < 0 || q->from >= tp->n || tp->peers[q->from].state != VP_READY)
		return 0; /* nobody to answer */
	int rc = peer_ready(tp, q->from);
	if (rc < 0)
		return rc;
	struct vb_op *o = op_get(tp, VK_RESP, q->from, NULL, &rc);
	if (!o)
		return rc;
	o->msg = a;
	struct ibv_sge sge = {.addr = (uintptr_t)&o->msg, .length = sizeof o->msg, .lkey = tp->reg_mr->lkey};
	struct ibv_send_wr wr = {.sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_SEND};
	return post(tp, q->from, o, &wr, "atomic answer");
}

static int ud_poll(struct pf_tp *tp)
{
	struct ibv_wc wc[8];
	int n = ibv_poll_cq(tp->ud_cq, 8, wc);
	if (n < 0)
		return pf_err(PODFAB_ETRANSPORT, "verbs: ibv_poll_cq (mailbox) failed");
	for (int i = 0; i < n; i++) {
		if (wc[i].wr_id & WRID_UD_SEND) { /* (an error entry's opcode is not valid: the id tells) */
			if ((wc[i].wr_id & ~WRID_UD_SEND) < VB_UD_SENDS)
				tp->ud_send_busy[wc[i].wr_id & ~WRID_UD_SEND] = 0;
			continue;
		}
		unsigned k = (unsigned)wc[i].wr_id;
		if (k >= VB_UD_RECVS)
			continue;
		struct vb_cm m;
		memcpy(&m, tp->reg->ud_recv[k] + VB_GRH, sizeof m);
		struct ibv_sge sge = {.addr = (uintptr_t)tp->reg->ud_recv[k], .length = sizeof tp->reg->ud_recv[k],
				      .lkey = tp->reg_mr->lkey};
		struct ibv_recv_wr wr = {.wr_id = k, .sg_list = &sge, .num_sge = 1}, *bad = NULL;
		int rc = ibv_post_recv(tp->ud, &wr, &bad);
		if (rc)
			return vb_fail(rc, "ibv_post_recv (mailbox)");
		if (wc[i].status != IBV_WC_SUCCESS || m.magic != VB_CM_MAGIC || m.to != tp->id || m.from < 0 ||
		    m.from >= tp->n || m.from == tp->id)
			continue;
		rc = m.kind == CM_REQ ? cm_serve_req(tp, &m) : m.kind == CM_REP ? cm_serve_rep(tp, &m) : 0;
		if (rc < 0)
			return rc;
	}
	return n;
}

/*
 * The completion queue, read a batch at a time into tp->wc.  Handling an
 * entry may come back here: serving a target atomic posts its answer, which
 * may wait (a full send queue, no free record) and progresses meanwhile.  So
 * the batch lives in tp, and a nested call first handles the entries its
 * caller had read but not yet handled: a completion the inner wait needs is
 * never left behind in an outer frame's copy (that was a hang: a READ's
 * completion read by the outer call while the inner one waited for it).
 */
static int progress_internal(struct pf_tp *tp)
{
	int rc = ud_poll(tp);
	if (rc < 0)
		return rc;
	for (;;) {
		while (tp->wc_next < tp->wc_n) {
			struct ibv_wc wc = tp->wc[tp->wc_next++]; /* a copy: a nested call may refill tp->wc */
			if (wc.wr_id & WRID_SRQ) {
				if ((rc = recv_msg(tp, &wc)) < 0)
					return rc;
				continue;
			}
			struct vb_op *op = (struct vb_op *)(uintptr_t)wc.wr_id;
			struct vb_peer *p = &tp->peers[op->peer];
			p->sq_used--;
			p->rd_used -= (unsigned)op->rd;
			int status = 0;
			if (pf_unlikely(wc.status != IBV_WC_SUCCESS)) {
				status = wc_error(&wc, op->peer);
				p->state = VP_BROKEN; /* the pair is in the error state: replace it on next use */
			}
			complete_op(tp, op, status);
		}
		if (tp->wc_short) { /* the last poll emptied the queue: no second poll for nothing */
			tp->wc_short = 0;
			return 0;
		}
		int n = ibv_poll_cq(tp->cq, VB_CQ_BATCH, tp->wc);
		if (n < 0)
			return pf_err(PODFAB_ETRANSPORT, "verbs: ibv_poll_cq failed");
		tp->wc_n = (unsigned)n;
		tp->wc_next = 0;
		tp->wc_short = n < VB_CQ_BATCH;
	}
}

/* Every 256th operation done without the device progresses it (hybrid; our own atomics). */
static int vb_poll(struct pf_tp *tp)
{
	if (pf_likely(++tp->inline_ops & 255))
		return 0;
	return progress_internal(tp);
}

static int vb_progress(struct pf_tp *tp, struct pf_tp_cqe *cqe, int max)
{
	int rc = progress_internal(tp);
	if (rc < 0)
		return rc;
	return pf_tp_stash_pop(&tp->stash, cqe, max);
}

static int vb_quiet(struct pf_tp *tp)
{
	uint64_t since = 0;
	int rc;
	while (tp->outstanding_noctx) {
		if ((rc = progress_internal(tp)) < 0)
			return rc;
		if (tp->outstanding_noctx && (rc = wait_step(tp, &since)) < 0)
			return rc;
	}
	int s = tp->sticky;
	tp->sticky = 0;
	return s;
}

static int vb_fence(struct pf_tp *tp, int peer)
{
	/*
	 * Atomics run at the target are executed when its progress gets to
	 * them, after writes that follow them on the wire: wait for their
	 * answers.
	 */
	uint64_t since = 0;
	int rc;
	while (tp->nreq) {
		if ((rc = progress_internal(tp)) < 0)
			return rc;
		if (tp->nreq && (rc = wait_step(tp, &since)) < 0)
			return rc;
	}
	/* later requests wait for earlier reads and atomics (post); writes and sends stay in order anyway */
	for (int i = peer < 0 ? 0 : peer; i < (peer < 0 ? tp->n : peer + 1); i++)
		if (tp->peers[i].rd_used)
			tp->peers[i].fence = 1;
	return 0;
}

const struct pf_tp_ops pf_tp_verbs_ops = {
	.abi = PF_TP_ABI,
	.name = "verbs",
	.flags = PF_TP_NEEDS_PROGRESS,
	.open = vb_open,
	.addr = vb_addr,
	.connect = vb_connect,
	.close = vb_close,
	.mem_alloc = vb_mem_alloc,
	.mem_reg = vb_mem_reg,
	.mem_key = vb_mem_key,
	.mem_published = vb_mem_published,
	.mem_free = vb_mem_free,
	.rkey_import = vb_rkey_import,
	.rkey_release = vb_rkey_release,
	.rkey_ptr = vb_rkey_ptr,
	.rkey_caps = vb_rkey_caps,
	.put = vb_put,
	.get = vb_get,
	.atomic = vb_atomic,
	.put_signal = vb_put_signal,
	.fence = vb_fence,
	.quiet = vb_quiet,
	.progress = vb_progress,
	.idle = NULL,
	.poll = vb_poll,
};
