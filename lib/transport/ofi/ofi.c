/*
 * ofi.c - the libfabric transport ("ofi").
 *
 * One reliable-datagram endpoint (FI_EP_RDM) per accelerator, an address
 * vector of every accelerator of the job (addresses shared by the bootstrap)
 * and one completion queue.  The provider is the one libfabric picks for
 * FI_PROVIDER (or PODFAB_OFI_PROVIDER): "tcp;ofi_rxm" and "shm" on one
 * machine, "verbs;ofi_rxm" or "efa" on clusters.
 *
 * Memory: symmetric segments are page-aligned allocations registered with
 * fi_mr_reg for remote read and write; the remote key carries the address
 * (FI_MR_VIRT_ADDR providers address by it, others by offset) and the
 * provider's key (FI_MR_PROV_KEY) or one podfab chose (unique per
 * accelerator and segment).  FI_MR_ENDPOINT registrations are bound to the
 * endpoint.  Providers that need FI_MR_LOCAL are not offered.
 *
 * Data: fi_write and fi_read.  How a quiet knows that puts have landed
 * depends on the provider: one that keeps each peer's reads, writes and
 * messages in order (tcp;ofi_rxm without FI_ATOMIC) completes a put when it
 * is sent, and a quiet reads a word of every peer written since the last
 * quiet (the read cannot pass the writes; fence costs nothing); otherwise
 * each put asks for delivery completion (FI_DELIVERY_COMPLETE) and a quiet
 * waits for them.  Puts up to the provider's inject size are copied out as
 * they are posted (FI_INJECT, ordered providers only) and return at once.  Every post carries an
 * operation record from a pool allocated at open (no allocation per
 * operation) whose fi_context2 is the provider's context.
 *
 * Atomics: natively (fi_atomic, fi_fetch_atomic, fi_compare_atomic) when the
 * provider reports every operation and type podfab has as valid
 * (fi_atomicvalid and friends), else executed at the target: a request
 * message (FI_MSG) names the key, offset, operation and operands; the target's
 * progress runs it with the CPU's atomic instructions on its memory and
 * answers with the old value.  PODFAB_OFI_ATOMICS=native|target chooses; the
 * choice must be, and is checked to be, the same on every accelerator.  A
 * target executes requests only while it calls into podfab (every wait
 * does): without a progress thread, an accelerator that computes for a long
 * time delays the atomics aimed at it.
 *
 * Completion: progress() reads the completion queue; an error entry becomes
 * the operation's status (remote access errors -PODFAB_EREMOTE, lost peers
 * -PODFAB_EPEERDEAD, the rest -PODFAB_ETRANSPORT, with fi_cq_strerror's
 * text in the detail).  Operations posted without a context complete in
 * quiet(); a failure among them is returned by the next quiet.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/fabric.h>
#include <rdma/fi_atomic.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>

#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include "pf_cpu_amo.h"
#include "pf_internal.h"
#include "pf_tp_stash.h"

/*
 * libfabric is loaded when the transport is first opened, not linked: a
 * program that never uses "ofi" does not get it (and the libraries of its
 * providers) in its process.  Debian's libfabric links PSM's libraries, whose
 * constructors install signal handlers that call exit(): the handlers the
 * process had before loading are put back, so a crash stays a crash and
 * SIGTERM stays under the program's control.
 */
static struct {
	int (*getinfo)(uint32_t, const char *, const char *, uint64_t, const struct fi_info *, struct fi_info **);
	void (*freeinfo)(struct fi_info *);
	struct fi_info *(*dupinfo)(const struct fi_info *);
	int (*fabric)(struct fi_fabric_attr *, struct fid_fabric **, void *);
	const char *(*strerror)(int);
} lf;
static pthread_once_t lf_once = PTHREAD_ONCE_INIT;
static char lf_error[256];

static void lf_load(void)
{
	struct sigaction saved[NSIG];
	for (int sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &saved[sig]) < 0)
			saved[sig].sa_handler = SIG_ERR;
	void *h = dlopen("libfabric.so.1", RTLD_NOW | RTLD_LOCAL);
	if (h) {
		*(void **)&lf.getinfo = dlsym(h, "fi_getinfo");
		*(void **)&lf.freeinfo = dlsym(h, "fi_freeinfo");
		*(void **)&lf.dupinfo = dlsym(h, "fi_dupinfo");
		*(void **)&lf.fabric = dlsym(h, "fi_fabric");
		*(void **)&lf.strerror = dlsym(h, "fi_strerror");
		if (!lf.getinfo || !lf.freeinfo || !lf.dupinfo || !lf.fabric || !lf.strerror) {
			snprintf(lf_error, sizeof lf_error, "libfabric.so.1 lacks fi_getinfo, fi_fabric or another entry point");
			lf.getinfo = NULL;
		} else {
			/* the providers initialise (and may install handlers) on the first fi_getinfo */
			struct fi_info *i = NULL;
			if (lf.getinfo(FI_VERSION(1, 10), NULL, NULL, 0, NULL, &i) == 0 && i)
				lf.freeinfo(i);
		}
	} else {
		snprintf(lf_error, sizeof lf_error, "%s", dlerror());
	}
	for (int sig = 1; sig < NSIG; sig++)
		if (saved[sig].sa_handler != SIG_ERR && sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &saved[sig], NULL);
}

#define fi_getinfo lf.getinfo
#define fi_freeinfo lf.freeinfo
#define fi_fabric lf.fabric
#define fi_strerror lf.strerror
#undef fi_allocinfo
#define fi_allocinfo() lf.dupinfo(NULL)

#define OFI_API FI_VERSION(1, 10)
#define OFI_KEY_MAGIC 0x6f66696bu /* "ofik" */
#define OFI_POOL 8192u            /* operation records: more than podfab's default request table */
#define OFI_RECVS 64u             /* posted receive buffers for target-executed atomics */
#define OFI_AMO_MAGIC 0x6f616d6fu /* "oamo" */
#define OFI_CQ_BATCH 32
#define OFI_SPIN_NS 50000 /* a wait polls the completion queue this long before it gives the CPU away */

enum { AMO_NATIVE = 1, AMO_TARGET = 2 };
enum { OP_FREE = 0, OP_RMA, OP_AMO_NATIVE, OP_AMO_REQ, OP_AMO_RESP_SEND, OP_RECV };
enum { MSG_AMO_REQ = 1, MSG_AMO_RESP = 2 };

struct ofi_key {
	uint32_t magic;
	int32_t owner;
	uint64_t addr; /* base address in the owner */
	uint64_t len;
	uint64_t key;  /* the provider's (or podfab's) key */
};
_Static_assert(sizeof(struct ofi_key) <= PF_KEY_MAX, "ofi key too large");

/* An atomic executed at the target: request and answer (one message each). */
struct amo_msg {
	uint32_t magic;
	uint8_t kind, op, type, pad;
	int32_t from;
	int32_t status; /* answer: 0 or a negative podfab error */
	uint64_t cookie; /* the initiator's operation record */
	uint64_t key, off;
	uint64_t operand, compare, result;
};

struct ofi_op {
	struct fi_context2 fctx; /* first: the provider's context is the record */
	int kind;
	int peer;
	struct pf_tp_ctx *ctx; /* NULL: completed by quiet */
	void *result;          /* fetching atomics: where the old value goes */
	unsigned rsize;        /* its size (4 or 8) */
	int done;              /* target atomics: answered */
	int status;
	struct ofi_op *next_free;
	uint64_t scratch[2];   /* native fetching atomics: old value; compare */
	struct amo_msg msg;    /* target atomics: request or answer sent; receive buffer */
};

struct pf_tp_mr {
	struct fid_mr *mr;
	void *addr;
	size_t len;
	int owned; /* mem_alloc: freed with the registration */
	uint64_t key;
	struct pf_tp_mr *next; /* the accelerator's registrations, for target atomics */
};

struct pf_tp_rmr {
	uint64_t base; /* address used in RMA: the owner's address, or 0 without FI_MR_VIRT_ADDR */
	uint64_t len;
	uint64_t key;
	void *local; /* this accelerator's own memory */
};

struct pf_tp {
	int id, n;
	struct fi_info *info;
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	struct fid_av *av;
	struct fid_cq *cq;
	int cq_fd;                   /* the completion queue's wait object (FI_WAIT_FD), or -1 */
	struct fid_ep *ep;
	fi_addr_t *peers;
	int virt_addr, prov_key, mr_endpoint;
	int amo_mode;
	uint64_t next_key;
	struct ofi_op *pool;
	struct ofi_op *free_ops;
	unsigned outstanding;        /* posted and not yet completed (receives aside) */
	unsigned outstanding_noctx;  /* of those, posted without a context */
	int sticky;                  /* the first failure of an operation without a context */
	struct pf_tp_stash stash;      /* completions with a context seen by quiet, for progress */
	struct fi_cq_entry cqe[OFI_CQ_BATCH]; /* the batch progress_internal is completing */
	unsigned cqe_n, cqe_next;
	int cqe_short;                 /* that batch emptied the queue */
	struct pf_tp_mr *mrs;
	struct ofi_op *recvs[OFI_RECVS];
	unsigned inline_ops;         /* operations done without the provider, for pf_ofi_poll */
	struct pf_boot *boot;        /* for check_peers */
	int (*check_peers)(struct pf_boot *boot);
	unsigned idles;              /* sleeps of internal waits, for the liveness check */
	int abort_rc;                /* see OFI_POST */
	size_t inject_size;          /* puts up to this size are copied out at once (FI_INJECT) */
	uint64_t dc_flag;            /* FI_DELIVERY_COMPLETE, or 0 */
	int ordered;                 /* the provider keeps one peer's operations in order: quiet flushes */
	/* ordered: the flush word every accelerator registers, and the peers' */
	uint64_t *flush_word;
	struct fid_mr *flush_mr;
	uint64_t flush_sink;
	struct flush_target { uint64_t addr, key; } *flush;
	uint8_t *dirty;              /* per peer: written since the last quiet */
	int *dirty_list, ndirty;
};

static int fi_to_pf(int fi_err)
{
	switch (fi_err < 0 ? -fi_err : fi_err) {
	case FI_EACCES:
	case FI_EIO:
	case FI_EKEYREJECTED:
	case FI_EPERM:
		return PODFAB_EREMOTE;
	case FI_ETIMEDOUT:
	case FI_ECONNREFUSED:
	case FI_ECONNRESET:
	case FI_ECONNABORTED:
	case FI_EHOSTUNREACH:
	case FI_ENOTCONN:
	case FI_ESHUTDOWN:
		return PODFAB_EPEERDEAD;
	case FI_ENOMEM:
		return PODFAB_ENOMEM;
	default:
		return PODFAB_ETRANSPORT;
	}
}

static int ofi_fail(int fi_rc, const char *what)
{
	return pf_err(fi_to_pf(fi_rc), "ofi: %s: %s", what, fi_strerror(fi_rc < 0 ? -fi_rc : fi_rc));
}

/* ---- operation records ------------------------------------------------------------ */

static int progress_internal(struct pf_tp *tp);
static int ofi_idle(struct pf_tp *tp, int timeout_ms);

/*
 * One round of a wait inside the transport: progress, and after OFI_SPIN_NS
 * of polling without the awaited event, sleep on the completion queue's file
 * descriptor (or yield).  With more accelerators than cores, spinning would
 * leave a peer's answer waiting for a time slice.
 */
static int wait_step(struct pf_tp *tp, uint64_t *since)
{
	int rc = progress_internal(tp);
	if (rc < 0)
		return rc;
	uint64_t t = pf_mono_ns();
	if (!*since)
		*since = t;
	if (t - *since < OFI_SPIN_NS) {
		pf_cpu_relax();
		return 0;
	}
	if ((rc = ofi_idle(tp, 1)) > 0)
		*since = 0; /* woken by news: poll again before the next sleep */
	if (rc >= 0 && (++tp->idles & 63) == 0 && tp->check_peers)
		rc = tp->check_peers(tp->boot); /* a peer that died will never answer */
	return rc < 0 ? rc : 0;
}

static struct ofi_op *op_get(struct pf_tp *tp, int kind, int peer, struct pf_tp_ctx *ctx, int *rc)
{
	uint64_t spins = 0;
	while (pf_unlikely(!tp->free_ops)) {
		/* every record in flight: complete some (ctx completions are stashed) */
		if ((*rc = progress_internal(tp)) < 0)
			return NULL;
		if (!tp->free_ops && (*rc = wait_step(tp, &spins)) < 0)
			return NULL;
	}
	struct ofi_op *op = tp->free_ops;
	tp->free_ops = op->next_free;
	op->kind = kind;
	op->peer = peer;
	op->ctx = ctx;
	op->result = NULL;
	op->rsize = 0;
	op->done = 0;
	op->status = 0;
	return op;
}

static void op_put(struct pf_tp *tp, struct ofi_op *op)
{
	op->kind = OP_FREE;
	op->next_free = tp->free_ops;
	tp->free_ops = op;
}

static void op_posted(struct pf_tp *tp, struct ofi_op *op)
{
	tp->outstanding++;
	if (!op->ctx)
		tp->outstanding_noctx++;
}

/* An operation finished with status: report it (ctx), or remember a failure (no ctx). */
static void op_finish(struct pf_tp *tp, struct ofi_op *op, int status)
{
	tp->outstanding--;
	if (op->ctx) {
		int rc = pf_tp_stash_push(&tp->stash, op->ctx, status, "ofi");
		if (pf_unlikely(rc < 0) && !tp->sticky)
			tp->sticky = rc; /* the completion cannot be kept: fail the next quiet */
	} else {
		tp->outstanding_noctx--;
		if (status < 0 && !tp->sticky)
			tp->sticky = status;
	}
	op_put(tp, op);
}

/*
 * Post with retries while the provider says "again" (its queues are full, or
 * it is still connecting to the peer): progress, sleep a little after a
 * while, and give up when the bootstrap says a peer died (a provider may
 * retry a connection to a dead peer for ever).  A podfab error that ends the
 * retries is kept in tp->abort_rc for post_error.
 */
#define OFI_POST(tp, rc, call)                                                                     \
	do {                                                                                       \
		uint64_t since_ = 0;                                                               \
		for (;;) {                                                                         \
			(rc) = (int)(call);                                                         \
			if ((rc) != -FI_EAGAIN)                                                     \
				break;                                                              \
			int prc_ = wait_step(tp, &since_);                                          \
			if (prc_ < 0) {                                                             \
				(tp)->abort_rc = prc_;                                              \
				(rc) = -FI_ECANCELED;                                               \
				break;                                                              \
			}                                                                           \
		}                                                                                  \
	} while (0)

/* The error of a failed post: what ended its retries, or the provider's. */
static int post_error(struct pf_tp *tp, int rc, const char *what)
{
	int a = tp->abort_rc;
	tp->abort_rc = 0;
	return a < 0 ? a : ofi_fail(rc, what);
}

/* ---- open, addresses, close --------------------------------------------------------- */

static const char *provider_name(void)
{
	const char *p = getenv("PODFAB_OFI_PROVIDER");
	if (!p || !*p)
		p = getenv("FI_PROVIDER");
	return p && *p ? p : NULL;
}

static struct fi_info *make_hints(uint64_t caps, uint64_t op_flags, uint64_t order)
{
	struct fi_info *h = fi_allocinfo();
	if (!h)
		return NULL;
	h->caps = caps;
	h->mode = FI_CONTEXT | FI_CONTEXT2;
	h->ep_attr->type = FI_EP_RDM;
	h->domain_attr->mr_mode = FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY | FI_MR_ENDPOINT;
	h->domain_attr->threading = FI_THREAD_DOMAIN;
	h->domain_attr->data_progress = FI_PROGRESS_MANUAL;
	h->domain_attr->control_progress = FI_PROGRESS_MANUAL;
	h->tx_attr->op_flags = op_flags;
	h->tx_attr->msg_order = order;
	h->rx_attr->msg_order = order;
	const char *p = provider_name();
	if (p && !(h->fabric_attr->prov_name = strdup(p))) {
		fi_freeinfo(h);
		return NULL;
	}
	return h;
}

/* Every podfab atomic and type natively valid for the provider? */
static int atomics_native_ok(struct pf_tp *tp)
{
	static const enum fi_datatype types[] = {FI_INT32, FI_UINT32, FI_INT64, FI_UINT64};
	static const enum fi_op plain[] = {FI_SUM, FI_BAND, FI_BOR, FI_BXOR, FI_MIN, FI_MAX, FI_ATOMIC_WRITE};
	static const enum fi_op fetch[] = {FI_SUM, FI_BAND,         FI_BOR,         FI_BXOR,
					   FI_MIN, FI_MAX,          FI_ATOMIC_WRITE, FI_ATOMIC_READ};
	if (!(tp->info->caps & FI_ATOMIC))
		return 0;
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		size_t count;
		for (size_t o = 0; o < sizeof plain / sizeof plain[0]; o++)
			if (fi_atomicvalid(tp->ep, types[t], plain[o], &count) || count < 1)
				return 0;
		for (size_t o = 0; o < sizeof fetch / sizeof fetch[0]; o++)
			if (fi_fetch_atomicvalid(tp->ep, types[t], fetch[o], &count) || count < 1)
				return 0;
		if (fi_compare_atomicvalid(tp->ep, types[t], FI_CSWAP, &count) || count < 1)
			return 0;
	}
	return 1;
}

static int post_recv(struct pf_tp *tp, struct ofi_op *op)
{
	int rc;
	OFI_POST(tp, rc, fi_recv(tp->ep, &op->msg, sizeof op->msg, NULL, FI_ADDR_UNSPEC, &op->fctx));
	return rc < 0 ? post_error(tp, rc, "fi_recv") : 0;
}

static void ofi_close(struct pf_tp *tp);

static int ofi_open(const struct pf_tp_info *info, struct pf_tp **out)
{
	pthread_once(&lf_once, lf_load);
	if (!lf.getinfo)
		return pf_err(PODFAB_ETRANSPORT, "ofi: libfabric could not be loaded: %s", lf_error);
	struct pf_tp *tp = calloc(1, sizeof *tp);
	if (!tp)
		return pf_err(PODFAB_ENOMEM, "ofi transport state");
	tp->id = info->accel_id;
	tp->n = info->naccels;
	tp->boot = info->boot;
	tp->check_peers = info->check_peers;
	tp->next_key = ((uint64_t)(uint32_t)info->accel_id << 32) + 1;
	int rc;
	/*
	 * How a quiet knows that puts have landed: first, a provider that keeps
	 * reads, writes and messages to one peer in order - a put completes when
	 * sent, and a quiet reads from each peer written since the last one
	 * (the read cannot pass the writes); else delivery completion - each put
	 * completes when the target has it.  PODFAB_OFI_COMPLETION=delivery skips
	 * the first.
	 */
	uint64_t caps = FI_RMA | FI_ATOMIC | FI_MSG;
	const uint64_t ordered = FI_ORDER_RAW | FI_ORDER_WAW | FI_ORDER_SAW | FI_ORDER_WAS | FI_ORDER_RAR |
				 FI_ORDER_SAS | FI_ORDER_RAS;
	/*
	 * Providers that emulate atomics (ofi_rxm) give up the ordering when
	 * asked for FI_ATOMIC: the ordered way runs atomics at the target.
	 */
	const struct {
		uint64_t caps, flags, order;
	} tries[] = {{caps & ~FI_ATOMIC, 0, ordered}, {caps, FI_DELIVERY_COMPLETE, 0}, {caps & ~FI_ATOMIC, FI_DELIVERY_COMPLETE, 0}};
	const char *dc = getenv("PODFAB_OFI_COMPLETION"), *am = getenv("PODFAB_OFI_ATOMICS");
	int first = 0;
	if ((dc && !strcmp(dc, "delivery")) || (am && !strcmp(am, "native")))
		first = 1;
	else if (dc && *dc && strcmp(dc, "auto")) {
		free(tp);
		return pf_err(PODFAB_EENV, "PODFAB_OFI_COMPLETION='%.32s' is neither auto nor delivery", dc);
	}
	int frc = -FI_ENODATA;
	for (int t = first; t < 3 && !tp->info; t++) {
		struct fi_info *h = make_hints(tries[t].caps, tries[t].flags, tries[t].order);
		if (!h) {
			free(tp);
			return pf_err(PODFAB_ENOMEM, "ofi hints");
		}
		frc = fi_getinfo(OFI_API, NULL, NULL, 0, h, &tp->info);
		fi_freeinfo(h);
		if (frc) {
			tp->info = NULL;
		} else if (tries[t].order && !strcmp(tp->info->fabric_attr->prov_name, "shm")) {
			/*
			 * libfabric 1.17's shm provider reports every ordering but
			 * delivers one peer's messages out of order (so an atomic
			 * run at the target passes the one issued before it, fence
			 * or not: the conformance suite's stress case under load):
			 * delivery completion instead.
			 */
			pf_log(PF_LOG_INFO, "ofi: provider shm: delivery completion (its ordering is not trusted)");
			fi_freeinfo(tp->info);
			tp->info = NULL;
		}
	}
	if (!tp->info) {
		const char *p = provider_name();
		rc = pf_err(PODFAB_ETRANSPORT,
			    "ofi: no libfabric provider%s%s%s offers reliable datagram endpoints with RMA (fi_getinfo: %s)",
			    p ? " named '" : "", p ? p : "", p ? "'" : "", fi_strerror(-frc));
		free(tp);
		return rc;
	}
	struct fi_info *fi = tp->info;
	tp->virt_addr = !!(fi->domain_attr->mr_mode & FI_MR_VIRT_ADDR);
	tp->prov_key = !!(fi->domain_attr->mr_mode & FI_MR_PROV_KEY);
	tp->mr_endpoint = !!(fi->domain_attr->mr_mode & FI_MR_ENDPOINT);
	tp->inject_size = fi->tx_attr->inject_size;
	tp->dc_flag = fi->tx_attr->op_flags & FI_DELIVERY_COMPLETE;
	tp->ordered = (fi->tx_attr->msg_order & ordered) == ordered && !tp->dc_flag;
	if (!tp->ordered && !tp->dc_flag) {
		rc = pf_err(PODFAB_ENOTSUP, "ofi: provider %s neither keeps operations in order nor offers delivery completion",
			    fi->fabric_attr->prov_name);
		ofi_close(tp);
		return rc;
	}
	/*
	 * Injection only where quiet flushes: libfabric 1.17's shm provider
	 * completes an injected write before the target has it, even when asked
	 * for delivery completion (the conformance suite's stress case).
	 */
	if (!tp->ordered || (getenv("PODFAB_OFI_INJECT") && !strcmp(getenv("PODFAB_OFI_INJECT"), "0")))
		tp->inject_size = 0;
	struct fi_cq_attr cqa = {.format = FI_CQ_FORMAT_CONTEXT, .wait_obj = FI_WAIT_FD,
				 .size = OFI_POOL + OFI_RECVS};
	struct fi_av_attr ava = {.type = FI_AV_TABLE, .count = (size_t)tp->n};
	if ((rc = fi_fabric(fi->fabric_attr, &tp->fabric, NULL)))
		goto fail_fi;
	if ((rc = fi_domain(tp->fabric, fi, &tp->domain, NULL)))
		goto fail_fi;
	/* A completion queue with a file descriptor to sleep on; without one, waits yield. */
	tp->cq_fd = -1;
	if (fi_cq_open(tp->domain, &cqa, &tp->cq, NULL) == 0) {
		if (fi_control(&tp->cq->fid, FI_GETWAIT, &tp->cq_fd) != 0)
			tp->cq_fd = -1;
	} else {
		tp->cq = NULL;
		cqa.wait_obj = FI_WAIT_NONE;
		if ((rc = fi_cq_open(tp->domain, &cqa, &tp->cq, NULL)))
			goto fail_fi;
	}
	if ((rc = fi_av_open(tp->domain, &ava, &tp->av, NULL)))
		goto fail_fi;
	/*
	 * libfabric's shm provider names its shared-memory region after
	 * src_addr, else after the process id: a region left behind by a killed
	 * process then makes a later process that gets the same id fail to open
	 * its endpoint (EBUSY).  Named after the job and accelerator instead, it
	 * is unique while the job runs, and podfab-run's sweep of the job's
	 * podfab.<job>.* objects removes what a killed accelerator left.
	 */
	if (!strcmp(fi->fabric_attr->prov_name, "shm") && fi->addr_format == FI_ADDR_STR && info->job) {
		/*
		 * (The provider keeps a process-wide map of the names it has seen,
		 * which outlives an endpoint: each endpoint of the process gets a
		 * new number, as the provider's own names do.)
		 */
		static _Atomic unsigned serial;
		char name[PF_JOB_MAX + 48];
		snprintf(name, sizeof name, "podfab.%s.ofi%d.%u", info->job, tp->id,
			 atomic_fetch_add_explicit(&serial, 1, memory_order_relaxed));
		char *c = strdup(name);
		if (c) {
			free(fi->src_addr);
			fi->src_addr = c;
			fi->src_addrlen = strlen(c) + 1;
		}
	}
	if ((rc = fi_endpoint(tp->domain, fi, &tp->ep, NULL)))
		goto fail_fi;
	if ((rc = fi_ep_bind(tp->ep, &tp->cq->fid, FI_TRANSMIT | FI_RECV)) ||
	    (rc = fi_ep_bind(tp->ep, &tp->av->fid, 0)) || (rc = fi_enable(tp->ep)))
		goto fail_fi;

	tp->pool = calloc(OFI_POOL + OFI_RECVS, sizeof *tp->pool);
	pf_tp_stash_init(&tp->stash, OFI_POOL);
	tp->peers = calloc((size_t)tp->n, sizeof *tp->peers);
	tp->flush = calloc((size_t)tp->n, sizeof *tp->flush);
	tp->dirty = calloc((size_t)tp->n, 1);
	tp->dirty_list = calloc((size_t)tp->n, sizeof *tp->dirty_list);
	if (!tp->pool || !tp->stash.e || !tp->peers || !tp->flush || !tp->dirty || !tp->dirty_list ||
	    posix_memalign((void **)&tp->flush_word, 64, 64)) {
		ofi_close(tp);
		return pf_err(PODFAB_ENOMEM, "ofi operation records");
	}
	if (tp->ordered) { /* the word a quiet reads from us */
		uint64_t want = tp->prov_key ? 0 : tp->next_key++;
		rc = fi_mr_reg(tp->domain, tp->flush_word, 64, FI_REMOTE_READ, 0, want, 0, &tp->flush_mr, NULL);
		if (!rc && tp->mr_endpoint && !(rc = fi_mr_bind(tp->flush_mr, &tp->ep->fid, 0)))
			rc = fi_mr_enable(tp->flush_mr);
		if (rc)
			goto fail_fi;
	}
	for (unsigned i = 0; i < OFI_POOL; i++)
		op_put(tp, &tp->pool[OFI_POOL - 1 - i]);

	const char *m = getenv("PODFAB_OFI_ATOMICS");
	int native = atomics_native_ok(tp);
	/*
	 * libfabric 1.17's shm provider reports every atomic valid, but its
	 * atomics return wrong old values and its progress then writes into the
	 * wrong memory (the conformance suite's atomics and ring cases, and
	 * crashes in fi_cq_read): by default it gets atomics executed at the
	 * target; PODFAB_OFI_ATOMICS=native still asks for its own.
	 */
	if (native && !(m && !strcmp(m, "native")) && !strcmp(fi->fabric_attr->prov_name, "shm")) {
		pf_log(PF_LOG_INFO, "ofi: provider shm: atomics executed at the target (its native atomics are not trusted)");
		native = 0;
	}
	if ((info->flags & PF_TP_OPEN_CPU_ATOMICS) && m && !strcmp(m, "native")) {
		ofi_close(tp);
		return pf_err(PODFAB_EENV, "PODFAB_OFI_ATOMICS=native: the hybrid transport needs atomics run at the "
					   "target, with the CPU's instructions that its shm peers use");
	} else if (info->flags & PF_TP_OPEN_CPU_ATOMICS) {
		tp->amo_mode = AMO_TARGET;
	} else if (m && !strcmp(m, "native")) {
		if (!native) {
			rc = pf_err(PODFAB_ENOTSUP, "PODFAB_OFI_ATOMICS=native: provider %s lacks some of podfab's atomics",
				    fi->fabric_attr->prov_name);
			ofi_close(tp);
			return rc;
		}
		tp->amo_mode = AMO_NATIVE;
	} else if (m && !strcmp(m, "target")) {
		tp->amo_mode = AMO_TARGET;
	} else if (m && *m && strcmp(m, "auto")) {
		ofi_close(tp);
		return pf_err(PODFAB_EENV, "PODFAB_OFI_ATOMICS='%.32s' is not native, target or auto", m);
	} else {
		tp->amo_mode = native ? AMO_NATIVE : AMO_TARGET;
	}
	for (unsigned i = 0; i < OFI_RECVS; i++) {
		struct ofi_op *op = &tp->pool[OFI_POOL + i];
		op->kind = OP_RECV;
		tp->recvs[i] = op;
		if ((rc = post_recv(tp, op)) < 0) {
			ofi_close(tp);
			return rc;
		}
	}
	pf_log(PF_LOG_INFO,
	       "ofi: accelerator %d: provider %s, fabric %s, domain %s, %s completion, atomics %s, waits %s",
	       tp->id, fi->fabric_attr->prov_name, fi->fabric_attr->name, fi->domain_attr->name,
	       tp->ordered ? "transmit (operations in order; quiet flushes)" : "delivery",
	       tp->amo_mode == AMO_NATIVE ? "native" : "executed at the target",
	       tp->cq_fd >= 0 ? "sleep on the completion queue" : "yield");
	*out = tp;
	return 0;
fail_fi:
	rc = ofi_fail(rc, "opening the endpoint");
	ofi_close(tp);
	return rc;
}

/* The address blob: [atomics mode][ordered][flush address 8][flush key 8][name length][name] */
#define ADDR_HDR 19
static int ofi_addr(struct pf_tp *tp, void *buf, size_t *len)
{
	uint8_t *b = buf;
	size_t nl = PF_ADDR_MAX - ADDR_HDR;
	int rc = fi_getname(&tp->ep->fid, b + ADDR_HDR, &nl);
	if (rc == -FI_ETOOSMALL)
		return pf_err(PODFAB_ETRANSPORT, "ofi: the endpoint name of provider %s needs %zu bytes, more than %u",
			      tp->info->fabric_attr->prov_name, nl, PF_ADDR_MAX - ADDR_HDR);
	if (rc)
		return ofi_fail(rc, "fi_getname");
	uint64_t fa = tp->virt_addr ? (uint64_t)(uintptr_t)tp->flush_word : 0;
	uint64_t fk = tp->flush_mr ? fi_mr_key(tp->flush_mr) : 0;
	b[0] = (uint8_t)tp->amo_mode;
	b[1] = (uint8_t)tp->ordered;
	memcpy(b + 2, &fa, 8);
	memcpy(b + 10, &fk, 8);
	b[18] = (uint8_t)nl;
	*len = nl + ADDR_HDR;
	return 0;
}

static int ofi_connect(struct pf_tp *tp, const void *addrs, size_t stride)
{
	const uint8_t *a = addrs;
	for (int i = 0; i < tp->n; i++) {
		const uint8_t *b = a + (size_t)i * stride;
		if (b[0] != tp->amo_mode)
			return pf_err(PODFAB_EMISMATCH,
				      "ofi: accelerator %d runs atomics %s, accelerator %d %s (set PODFAB_OFI_ATOMICS alike)",
				      i, b[0] == AMO_NATIVE ? "natively" : "at the target", tp->id,
				      tp->amo_mode == AMO_NATIVE ? "natively" : "at the target");
		if (b[1] != tp->ordered)
			return pf_err(PODFAB_EMISMATCH,
				      "ofi: accelerator %d completes puts %s, accelerator %d %s (set PODFAB_OFI_COMPLETION alike)",
				      i, b[1] ? "in order" : "on delivery", tp->id, tp->ordered ? "in order" : "on delivery");
		memcpy(&tp->flush[i].addr, b + 2, 8);
		memcpy(&tp->flush[i].key, b + 10, 8);
		int rc = fi_av_insert(tp->av, b + ADDR_HDR, 1, &tp->peers[i], 0, NULL);
		if (rc != 1)
			return pf_err(PODFAB_ETRANSPORT, "ofi: fi_av_insert of accelerator %d's address failed (%d)", i, rc);
	}
	return 0;
}

static void ofi_close(struct pf_tp *tp)
{
	if (!tp)
		return;
	if (tp->ep)
		fi_close(&tp->ep->fid);
	if (tp->flush_mr)
		fi_close(&tp->flush_mr->fid);
	if (tp->av)
		fi_close(&tp->av->fid);
	if (tp->cq)
		fi_close(&tp->cq->fid);
	if (tp->domain)
		fi_close(&tp->domain->fid);
	if (tp->fabric)
		fi_close(&tp->fabric->fid);
	if (tp->info)
		fi_freeinfo(tp->info);
	free(tp->pool);
	pf_tp_stash_fini(&tp->stash);
	free(tp->peers);
	free(tp->flush);
	free(tp->dirty);
	free(tp->dirty_list);
	free(tp->flush_word);
	free(tp);
}

/* ---- memory -------------------------------------------------------------------------- */

static int mr_register(struct pf_tp *tp, void *addr, size_t len, int owned, struct pf_tp_mr **out)
{
	struct pf_tp_mr *m = calloc(1, sizeof *m);
	if (!m)
		return pf_err(PODFAB_ENOMEM, "ofi registration record");
	uint64_t want = tp->prov_key ? 0 : tp->next_key++;
	int rc = fi_mr_reg(tp->domain, addr, len, FI_REMOTE_READ | FI_REMOTE_WRITE | FI_READ | FI_WRITE, 0, want,
			   0, &m->mr, NULL);
	if (!rc && tp->mr_endpoint && !(rc = fi_mr_bind(m->mr, &tp->ep->fid, 0)))
		rc = fi_mr_enable(m->mr);
	if (rc) {
		if (m->mr)
			fi_close(&m->mr->fid);
		free(m);
		return ofi_fail(rc, "fi_mr_reg");
	}
	m->addr = addr;
	m->len = len;
	m->owned = owned;
	m->key = fi_mr_key(m->mr);
	if (m->key == FI_KEY_NOTAVAIL) {
		fi_close(&m->mr->fid);
		free(m);
		return pf_err(PODFAB_ENOTSUP, "ofi: provider %s has raw memory keys (FI_MR_RAW), not supported",
			      tp->info->fabric_attr->prov_name);
	}
	m->next = tp->mrs;
	tp->mrs = m;
	*out = m;
	return 0;
}

static int ofi_mem_alloc(struct pf_tp *tp, size_t len, uint32_t segid, void **addr, struct pf_tp_mr **out)
{
	(void)segid;
	void *p = NULL;
	size_t alloc = len ? len : 1;
	if (posix_memalign(&p, 4096, alloc))
		return pf_err(PODFAB_ENOMEM, "ofi: %zu bytes for a segment", len);
	memset(p, 0, alloc);
	int rc = mr_register(tp, p, alloc, 1, out);
	if (rc) {
		free(p);
		return rc;
	}
	*addr = p;
	return 0;
}

static int ofi_mem_reg(struct pf_tp *tp, void *addr, size_t len, struct pf_tp_mr **out)
{
	return mr_register(tp, addr, len, 0, out);
}

static int ofi_mem_key(struct pf_tp *tp, struct pf_tp_mr *m, void *keybuf)
{
	struct ofi_key k = {OFI_KEY_MAGIC, tp->id, (uint64_t)(uintptr_t)m->addr, m->len, m->key};
	memset(keybuf, 0, PF_KEY_MAX);
	memcpy(keybuf, &k, sizeof k);
	return 0;
}

static void ofi_mem_published(struct pf_tp *tp, struct pf_tp_mr *m)
{
	(void)tp;
	(void)m;
}

static void ofi_mem_free(struct pf_tp *tp, struct pf_tp_mr *m)
{
	for (struct pf_tp_mr **pp = &tp->mrs; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	fi_close(&m->mr->fid);
	if (m->owned)
		free(m->addr);
	free(m);
}

static int ofi_rkey_import(struct pf_tp *tp, int peer, const void *keybuf, size_t keylen, struct pf_tp_rmr **out)
{
	struct ofi_key k;
	if (keylen < sizeof k)
		return pf_err(PODFAB_EKEY, "ofi: a key of %zu bytes is too short", keylen);
	memcpy(&k, keybuf, sizeof k);
	if (k.magic != OFI_KEY_MAGIC)
		return pf_err(PODFAB_EKEY, "ofi: not an ofi transport key (from accelerator %d)", peer);
	struct pf_tp_rmr *r = calloc(1, sizeof *r);
	if (!r)
		return pf_err(PODFAB_ENOMEM, "ofi remote key");
	r->base = tp->virt_addr ? k.addr : 0;
	r->len = k.len;
	r->key = k.key;
	r->local = k.owner == tp->id ? (void *)(uintptr_t)k.addr : NULL;
	*out = r;
	return 0;
}

static void ofi_rkey_release(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	(void)tp;
	free(r);
}

static void *ofi_rkey_ptr(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	(void)tp;
	return r->local;
}

static unsigned ofi_rkey_caps(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	(void)tp;
	return PF_CAP_ATOMIC | (r->local ? PF_CAP_LOADSTORE : 0u);
}

/* ---- data ------------------------------------------------------------------------------ */

/* ordered: peer has writes a quiet must flush */
static inline void mark_dirty(struct pf_tp *tp, int peer)
{
	if (tp->ordered && !tp->dirty[peer]) {
		tp->dirty[peer] = 1;
		tp->dirty_list[tp->ndirty++] = peer;
	}
}

/*
 * A put returns when its source may be reused.  A small one (up to the
 * provider's inject size) is copied out by the provider as it is posted
 * (FI_INJECT): it is then done for the caller at once, and its delivery is
 * awaited by the next fence or quiet, like a put without a request.  The
 * others complete when delivered.  may_inject = 0: the caller waits for
 * delivery itself (put-with-signal).
 */
static int post_write(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, const void *src, size_t len,
		      struct pf_tp_ctx *ctx, int may_inject)
{
	int rc = 0, inject = may_inject && len <= tp->inject_size;
	struct ofi_op *op = op_get(tp, OP_RMA, peer, inject ? NULL : ctx, &rc);
	if (!op)
		return rc;
	if (inject) {
		struct iovec iov = {.iov_base = (void *)(uintptr_t)src, .iov_len = len};
		struct fi_rma_iov rma = {.addr = r->base + off, .len = len, .key = r->key};
		struct fi_msg_rma msg = {.msg_iov = &iov, .iov_count = 1, .addr = tp->peers[peer], .rma_iov = &rma,
					 .rma_iov_count = 1, .context = &op->fctx};
		OFI_POST(tp, rc, fi_writemsg(tp->ep, &msg, FI_INJECT | FI_COMPLETION | tp->dc_flag));
	} else {
		OFI_POST(tp, rc, fi_write(tp->ep, src, len, NULL, tp->peers[peer], r->base + off, r->key, &op->fctx));
	}
	if (rc < 0) {
		op_put(tp, op);
		return post_error(tp, rc, inject ? "fi_writemsg (inject)" : "fi_write");
	}
	op_posted(tp, op);
	mark_dirty(tp, peer);
	return inject && ctx ? PF_TP_DONE : PF_TP_POSTED;
}

static int ofi_put(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, const void *src, size_t len,
		   struct pf_tp_ctx *ctx)
{
	return post_write(tp, peer, r, off, src, len, ctx, 1);
}

static int ofi_get(struct pf_tp *tp, void *dest, int peer, struct pf_tp_rmr *r, size_t off, size_t len,
		   struct pf_tp_ctx *ctx)
{
	int rc = 0;
	struct ofi_op *op = op_get(tp, OP_RMA, peer, ctx, &rc);
	if (!op)
		return rc;
	OFI_POST(tp, rc, fi_read(tp->ep, dest, len, NULL, tp->peers[peer], r->base + off, r->key, &op->fctx));
	if (rc < 0) {
		op_put(tp, op);
		return post_error(tp, rc, "fi_read");
	}
	op_posted(tp, op);
	return PF_TP_POSTED;
}

static enum fi_datatype fi_type(podfab_type_t t)
{
	switch (t) {
	case PODFAB_INT32:
		return FI_INT32;
	case PODFAB_UINT32:
		return FI_UINT32;
	case PODFAB_INT64:
		return FI_INT64;
	default:
		return FI_UINT64;
	}
}

static enum fi_op fi_op_of(podfab_atomic_op_t op)
{
	switch (op) {
	case PODFAB_AOP_ADD:
		return FI_SUM;
	case PODFAB_AOP_AND:
		return FI_BAND;
	case PODFAB_AOP_OR:
		return FI_BOR;
	case PODFAB_AOP_XOR:
		return FI_BXOR;
	case PODFAB_AOP_MIN:
		return FI_MIN;
	case PODFAB_AOP_MAX:
		return FI_MAX;
	case PODFAB_AOP_CSWAP:
		return FI_CSWAP;
	case PODFAB_AOP_FETCH:
		return FI_ATOMIC_READ;
	default: /* SWAP, SET */
		return FI_ATOMIC_WRITE;
	}
}

/*
 * Now and then, an operation that completes without the provider (an atomic
 * on our own memory; for hybrid, every shm operation) runs the progress
 * engine: the atomics that peers ask this accelerator to execute are served
 * even while it spins on such operations - say, taking a lock that lives in
 * its own memory while the holder's unlock waits to be executed here.
 */
static int ofi_poll(struct pf_tp *tp)
{
	if (pf_likely(++tp->inline_ops & 255))
		return 0;
	return progress_internal(tp);
}

static int amo_target(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, podfab_atomic_op_t op,
		      podfab_type_t type, uint64_t operand, uint64_t compare, void *result, struct pf_tp_ctx *ctx)
{
	unsigned size = (type == PODFAB_INT32 || type == PODFAB_UINT32) ? 4 : 8;
	if (r->local) { /* our own memory: the same CPU atomics the target path uses */
		uint64_t old = pf_cpu_amo((char *)r->local + off, op, type, operand, compare);
		if (result)
			pf_cpu_amo_result(result, type, old);
		int rc = ofi_poll(tp);
		return rc < 0 ? rc : PF_TP_DONE;
	}
	int rc = 0;
	struct ofi_op *o = op_get(tp, OP_AMO_REQ, peer, ctx, &rc);
	if (!o)
		return rc;
	o->result = result;
	o->rsize = size;
	o->msg = (struct amo_msg){.magic = OFI_AMO_MAGIC, .kind = MSG_AMO_REQ, .op = (uint8_t)op,
				  .type = (uint8_t)type, .from = tp->id, .cookie = (uint64_t)(uintptr_t)o,
				  .key = r->key, .off = (uint64_t)off, .operand = operand, .compare = compare};
	OFI_POST(tp, rc, fi_send(tp->ep, &o->msg, sizeof o->msg, NULL, tp->peers[peer], &o->fctx));
	if (rc < 0) {
		op_put(tp, o);
		return post_error(tp, rc, "fi_send (atomic request)");
	}
	/* finished when the answer arrives and the send has completed (done counts both) */
	op_posted(tp, o);
	return PF_TP_POSTED;
}

static int ofi_atomic(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, podfab_atomic_op_t op,
		      podfab_type_t type, uint64_t operand, uint64_t compare, void *result, struct pf_tp_ctx *ctx)
{
	if (tp->amo_mode == AMO_TARGET)
		return amo_target(tp, peer, r, off, op, type, operand, compare, result, ctx);
	int rc = 0;
	struct ofi_op *o = op_get(tp, OP_AMO_NATIVE, peer, ctx, &rc);
	if (!o)
		return rc;
	unsigned size = (type == PODFAB_INT32 || type == PODFAB_UINT32) ? 4 : 8;
	enum fi_datatype dt = fi_type(type);
	enum fi_op fop = fi_op_of(op);
	uint64_t addr = r->base + off;
	memcpy(&o->msg.operand, &operand, 8); /* the operand lives in the record until completion */
	memcpy(&o->msg.compare, &compare, 8);
	int fetching = result || op == PODFAB_AOP_SWAP || op == PODFAB_AOP_CSWAP || op == PODFAB_AOP_FETCH;
	if (fetching) {
		o->result = result;
		o->rsize = size;
	}
	if (op == PODFAB_AOP_CSWAP)
		OFI_POST(tp, rc, fi_compare_atomic(tp->ep, &o->msg.operand, 1, NULL, &o->msg.compare, NULL,
						  &o->scratch[0], NULL, tp->peers[peer], addr, r->key, dt, fop,
						  &o->fctx));
	else if (fetching)
		OFI_POST(tp, rc, fi_fetch_atomic(tp->ep, &o->msg.operand, 1, NULL, &o->scratch[0], NULL,
						tp->peers[peer], addr, r->key, dt, fop, &o->fctx));
	else
		OFI_POST(tp, rc, fi_atomic(tp->ep, &o->msg.operand, 1, NULL, tp->peers[peer], addr, r->key, dt, fop,
					  &o->fctx));
	if (rc < 0) {
		op_put(tp, o);
		return post_error(tp, rc, "fi_atomic");
	}
	op_posted(tp, o);
	if (!fetching)
		mark_dirty(tp, peer);
	return PF_TP_POSTED;
}

static int quiet_internal(struct pf_tp *tp);
static int flush_peer(struct pf_tp *tp, int peer);

static int ofi_put_signal(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, const void *src,
			  size_t len, struct pf_tp_rmr *sr, size_t sig_off, uint64_t signal,
			  podfab_signal_op_t sig_op, struct pf_tp_ctx *ctx)
{
	int rc;
	if (tp->ordered) {
		/*
		 * The data, then the signal: a message (target atomics) cannot pass
		 * the write; a native atomic follows a flush of the peer.
		 */
		if ((rc = post_write(tp, peer, r, off, src, len, NULL, 1)) < 0)
			return rc;
		if (tp->amo_mode != AMO_TARGET && (rc = flush_peer(tp, peer)) < 0)
			return rc;
		return ofi_atomic(tp, peer, sr, sig_off, sig_op == PODFAB_SIGNAL_ADD ? PODFAB_AOP_ADD : PODFAB_AOP_SET,
				  PODFAB_UINT64, signal, 0, NULL, ctx);
	}
	/* The data first, complete (delivered), then the signal as an atomic. */
	struct pf_tp_ctx dctx = {0, 0};
	rc = post_write(tp, peer, r, off, src, len, &dctx, 0);
	if (rc < 0)
		return rc;
	uint64_t spins = 0;
	while (!dctx.done) {
		if ((rc = progress_internal(tp)) < 0)
			return rc;
		/* our own completion is in the stash: take it out */
		for (unsigned i = 0; i < tp->stash.n; i++)
			if (tp->stash.e[i].ctx == &dctx) {
				dctx.done = 1;
				dctx.status = tp->stash.e[i].status;
				tp->stash.e[i] = tp->stash.e[--tp->stash.n];
				break;
			}
		if (!dctx.done && (rc = wait_step(tp, &spins)) < 0)
			return rc;
	}
	if (dctx.status < 0)
		return dctx.status;
	return ofi_atomic(tp, peer, sr, sig_off, sig_op == PODFAB_SIGNAL_ADD ? PODFAB_AOP_ADD : PODFAB_AOP_SET,
			  PODFAB_UINT64, signal, 0, NULL, ctx);
}

/* ---- completion ------------------------------------------------------------------------ */

/* The target side of an atomic request: run it on our memory, answer. */
static int serve_amo(struct pf_tp *tp, const struct amo_msg *q)
{
	struct amo_msg a = *q;
	a.kind = MSG_AMO_RESP;
	a.status = 0;
	unsigned size = (q->type == PODFAB_INT32 || q->type == PODFAB_UINT32) ? 4 : 8;
	struct pf_tp_mr *m = tp->mrs;
	while (m && m->key != q->key)
		m = m->next;
	if (!m || q->off > m->len || size > m->len - q->off || (((uintptr_t)m->addr + q->off) & (size - 1)) ||
	    q->type >= PODFAB_TYPE_MAX ||
	    q->op >= PODFAB_AOP_MAX_OP)
		a.status = pf_err(PODFAB_EREMOTE,
				  "ofi: accelerator %d: atomic (op %d, type %d) from %d on key 0x%llx offset %llu of %zu bytes: %s",
				  tp->id, q->op, q->type, q->from, (unsigned long long)q->key, (unsigned long long)q->off,
				  m ? m->len : (size_t)0,
				  !m ? "no such registration" : "outside it, misaligned or not an atomic");
	else
		a.result = pf_cpu_amo((char *)m->addr + q->off, q->op, q->type, q->operand, q->compare);
	if (q->from < 0 || q->from >= tp->n)
		return 0; /* nobody to answer */
	int rc = 0;
	struct ofi_op *o = op_get(tp, OP_AMO_RESP_SEND, q->from, NULL, &rc);
	if (!o)
		return rc;
	o->msg = a;
	OFI_POST(tp, rc, fi_send(tp->ep, &o->msg, sizeof o->msg, NULL, tp->peers[q->from], &o->fctx));
	if (rc < 0) {
		op_put(tp, o);
		return post_error(tp, rc, "fi_send (atomic answer)");
	}
	/* an answer is internal: counted outstanding, never reported */
	tp->outstanding++;
	tp->outstanding_noctx++;
	return 0;
}

/* One completion (or error) of record op. */
static int complete(struct pf_tp *tp, struct ofi_op *op, int status)
{
	switch (op->kind) {
	case OP_RECV: {
		struct amo_msg m = op->msg;
		int rc = post_recv(tp, op);
		if (rc < 0)
			return rc;
		if (status < 0 || m.magic != OFI_AMO_MAGIC)
			return 0; /* (a truncated or foreign message: dropped) */
		if (m.kind == MSG_AMO_REQ)
			return serve_amo(tp, &m);
		if (m.kind == MSG_AMO_RESP) {
			struct ofi_op *o = (struct ofi_op *)(uintptr_t)m.cookie;
			/* the record must be one of ours, waiting for an answer */
			if (o < tp->pool || o >= tp->pool + OFI_POOL || o->kind != OP_AMO_REQ)
				return 0;
			if (o->result && m.status == 0)
				memcpy(o->result, &m.result, o->rsize);
			if (m.status < 0 && !o->status)
				o->status = m.status;
			if (++o->done == 2)
				op_finish(tp, o, o->status);
		}
		return 0;
	}
	case OP_AMO_REQ:
		/* the request was sent (or failed: then no answer will come) */
		if (status < 0) {
			op_finish(tp, op, status);
			return 0;
		}
		if (++op->done == 2)
			op_finish(tp, op, op->status);
		return 0;
	case OP_AMO_NATIVE:
		if (status == 0 && op->result)
			memcpy(op->result, &op->scratch[0], op->rsize);
		op_finish(tp, op, status);
		return 0;
	default: /* OP_RMA, OP_AMO_RESP_SEND */
		op_finish(tp, op, status);
		return 0;
	}
}

/*
 * The completion queue, read a batch at a time into tp->cqe.  Completing an
 * entry may come back here (serving a target atomic posts its answer, which
 * may wait for a record or the provider and progresses meanwhile), so the
 * batch lives in tp and a nested call first completes what its caller read
 * but had not completed yet: no completion an inner wait needs is left behind
 * in an outer frame.
 */
static int progress_internal(struct pf_tp *tp)
{
	for (;;) {
		while (tp->cqe_next < tp->cqe_n) {
			void *ctx = tp->cqe[tp->cqe_next++].op_context; /* read first: a nested call may refill */
			int rc = complete(tp, ctx, 0);
			if (rc < 0)
				return rc;
		}
		if (tp->cqe_short) { /* the last read emptied the queue: no second read for nothing */
			tp->cqe_short = 0;
			return 0;
		}
		ssize_t n = fi_cq_read(tp->cq, tp->cqe, OFI_CQ_BATCH);
		if (n == -FI_EAGAIN)
			return 0;
		if (n == -FI_EAVAIL) {
			struct fi_cq_err_entry err;
			memset(&err, 0, sizeof err);
			ssize_t r = fi_cq_readerr(tp->cq, &err, 0);
			if (r < 0)
				return r == -FI_EAGAIN ? 0 : ofi_fail((int)r, "fi_cq_readerr");
			struct ofi_op *op = err.op_context;
			char buf[160];
			const char *why = fi_cq_strerror(tp->cq, err.prov_errno, err.err_data, buf, sizeof buf);
			int code = fi_to_pf(err.err);
			/* the tcp provider cancels what was queued for a peer whose connection is gone */
			if (code == PODFAB_ETRANSPORT && (err.prov_errno == ENOTCONN || err.prov_errno == ECONNRESET ||
							 err.prov_errno == ECONNREFUSED || err.prov_errno == EPIPE))
				code = PODFAB_EPEERDEAD;
			int status = pf_err(code, "ofi: operation to accelerator %d failed: %s (%s)",
					    op ? op->peer : -1, fi_strerror(err.err), why ? why : "");
			if (op && op->kind == OP_RECV && err.err == FI_ECANCELED)
				continue;
			if (op) {
				int rc = complete(tp, op, status);
				if (rc < 0)
					return rc;
			}
			continue;
		}
		if (n < 0)
			return ofi_fail((int)n, "fi_cq_read");
		tp->cqe_n = (unsigned)n;
		tp->cqe_next = 0;
		tp->cqe_short = n < OFI_CQ_BATCH;
	}
}

static int ofi_progress(struct pf_tp *tp, struct pf_tp_cqe *cqe, int max)
{
	int rc = progress_internal(tp);
	if (rc < 0)
		return rc;
	return pf_tp_stash_pop(&tp->stash, cqe, max);
}

/* Every operation without a context has completed. */
static int wait_noctx(struct pf_tp *tp)
{
	uint64_t spins = 0;
	while (tp->outstanding_noctx) {
		int rc = progress_internal(tp);
		if (rc < 0)
			return rc;
		if (tp->outstanding_noctx && (rc = wait_step(tp, &spins)) < 0)
			return rc;
	}
	return 0;
}

/* ordered: a read of peer's flush word, which cannot complete before the writes issued before it */
static int post_flush(struct pf_tp *tp, int peer)
{
	int rc = 0;
	struct ofi_op *op = op_get(tp, OP_RMA, peer, NULL, &rc);
	if (!op)
		return rc;
	OFI_POST(tp, rc, fi_read(tp->ep, &tp->flush_sink, 8, NULL, tp->peers[peer], tp->flush[peer].addr,
				 tp->flush[peer].key, &op->fctx));
	if (rc < 0) {
		op_put(tp, op);
		return post_error(tp, rc, "fi_read (flush)");
	}
	op_posted(tp, op);
	return 0;
}

static int flush_peer(struct pf_tp *tp, int peer)
{
	int rc = post_flush(tp, peer);
	return rc < 0 ? rc : wait_noctx(tp);
}

static int quiet_internal(struct pf_tp *tp)
{
	int rc = 0;
	if (tp->ordered) {
		for (int i = 0; i < tp->ndirty && rc == 0; i++) {
			int p = tp->dirty_list[i];
			tp->dirty[p] = 0;
			rc = post_flush(tp, p);
		}
		tp->ndirty = 0;
		if (rc < 0)
			return rc;
	}
	if ((rc = wait_noctx(tp)) < 0)
		return rc;
	int s = tp->sticky;
	tp->sticky = 0;
	return s;
}

/*
 * Sleep until the completion queue's descriptor is readable (fi_trywait says
 * when that is safe: nothing already waiting to be read or progressed).
 */
static int ofi_idle(struct pf_tp *tp, int timeout_ms)
{
	if (tp->cq_fd < 0) {
		sched_yield();
		return 0;
	}
	struct fid *f = &tp->cq->fid;
	int rc = fi_trywait(tp->fabric, &f, 1);
	if (rc == -FI_EAGAIN)
		return 0; /* something to progress now */
	if (rc) {
		sched_yield();
		return 0;
	}
	struct pollfd p = {.fd = tp->cq_fd, .events = POLLIN};
	int n = poll(&p, 1, timeout_ms);
	if (n < 0 && errno != EINTR)
		return pf_err(PODFAB_ETRANSPORT, "ofi: poll on the completion queue: %s", strerror(errno));
	return n > 0;
}

static int ofi_quiet(struct pf_tp *tp)
{
	return quiet_internal(tp);
}

static int ofi_fence(struct pf_tp *tp, int peer)
{
	(void)peer;
	/* ordered: the provider keeps each peer's operations in order already */
	if (tp->ordered)
		return 0;
	/*
	 * Everything issued before is delivered before anything issued after:
	 * complete it - the operations with a request too (their completions
	 * wait in the stash for the core), not only those quiet owns.
	 */
	uint64_t spins = 0;
	while (tp->outstanding) {
		int rc = progress_internal(tp);
		if (rc < 0)
			return rc;
		if (tp->outstanding && (rc = wait_step(tp, &spins)) < 0)
			return rc;
	}
	int s = tp->sticky;
	tp->sticky = 0;
	return s;
}

const struct pf_tp_ops pf_tp_ofi_ops = {
	.abi = PF_TP_ABI,
	.name = "ofi",
	.flags = PF_TP_NEEDS_PROGRESS,
	.open = ofi_open,
	.addr = ofi_addr,
	.connect = ofi_connect,
	.close = ofi_close,
	.mem_alloc = ofi_mem_alloc,
	.mem_reg = ofi_mem_reg,
	.mem_key = ofi_mem_key,
	.mem_published = ofi_mem_published,
	.mem_free = ofi_mem_free,
	.rkey_import = ofi_rkey_import,
	.rkey_release = ofi_rkey_release,
	.rkey_ptr = ofi_rkey_ptr,
	.rkey_caps = ofi_rkey_caps,
	.put = ofi_put,
	.get = ofi_get,
	.atomic = ofi_atomic,
	.put_signal = ofi_put_signal,
	.fence = ofi_fence,
	.quiet = ofi_quiet,
	.progress = ofi_progress,
	.idle = ofi_idle,
	.poll = ofi_poll,
};
