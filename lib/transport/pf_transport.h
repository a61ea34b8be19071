/*
 * pf_transport.h - the one ops table every transport implements.
 *
 * It is shaped after RDMA (libfabric, verbs) as much as shared memory:
 *  - memory is registered (mem_alloc for memory the transport provides, mem_reg
 *    for memory the caller owns) and yields an opaque remote key of at most
 *    PF_KEY_MAX bytes that the core publishes to the peers;
 *  - a peer turns the key into a remote handle (rkey_import) before access;
 *  - every data operation may complete inline (return 1) or later, reported by
 *    progress() as a completion entry carrying the caller's context and a status
 *    (a negative podfab error for a failed operation: the error entry).
 *
 * Locking rules: a struct pf_tp belongs to one accelerator handle and is used by
 * one thread at a time, so ops need no locks of their own.  State shared between
 * accelerators (mapped memory, remote queues) must be accessed lock-free.
 *
 * A post with ctx == NULL asks for no completion entry: podfab_quiet() (the quiet
 * slot) completes it.  A post with a ctx that returns PF_TP_POSTED is reported by
 * progress().  Slots a transport cannot support return -PODFAB_ENOSYS; none is
 * NULL (the core checks the table when the transport is opened).  The table a transport exports is named pf_tp_<name>_ops and is
 * listed in the generated pf_transport_table.h.
 */
#ifndef PF_TRANSPORT_H
#define PF_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <podfab/podfab.h>

#define PF_TP_ABI 1u
#define PF_KEY_MAX 128u /* bytes in a remote key (hybrid: two transports' keys) */
#define PF_ADDR_MAX 96u /* bytes in an endpoint address */

struct pf_boot;
struct pf_tp;     /* one accelerator's transport instance */
struct pf_tp_mr;  /* registered local memory */
struct pf_tp_rmr; /* a peer's registered memory, from its key */

/* What the core gives a transport when it opens. */
struct pf_tp_info {
	const char *job;
	int accel_id;
	int naccels;
	struct pf_boot *boot;
	unsigned flags; /* PF_TP_OPEN_* */
	/*
	 * The bootstrap's liveness check (0, or -PODFAB_EPEERDEAD naming the
	 * dead): a transport that waits inside itself calls it now and then, so
	 * that a wait for a dead peer ends.
	 */
	int (*check_peers)(struct pf_boot *boot);
};

/*
 * pf_tp_info.flags: atomics must be atomic with respect to the CPU's atomic
 * instructions on the target's memory (another transport updates the same
 * words with them: hybrid).
 */
#define PF_TP_OPEN_CPU_ATOMICS 1u

/* Completion context: embedded in the core's request, returned by progress(). */
struct pf_tp_ctx {
	int status; /* 0 or a negative podfab error, set on completion */
	int done;
};

struct pf_tp_cqe {
	struct pf_tp_ctx *ctx;
	int status;
};

/* Capabilities of a remote handle (rkey_caps). */
enum pf_tp_cap {
	PF_CAP_ATOMIC = 1u << 0, /* atomics are really atomic on this memory */
	PF_CAP_LOADSTORE = 1u << 1 /* rkey_ptr gives a usable pointer */
};

/* Return values of the posting ops (put, get, atomic, put_signal). */
#define PF_TP_DONE 1    /* completed inline; ctx untouched */
#define PF_TP_POSTED 0  /* will complete through progress() with ctx */

/* pf_tp_ops.flags */
enum pf_tp_flag {
	/*
	 * The transport moves data only while progress() is called, at the target
	 * too (libfabric's manual progress): waits on local memory call it.
	 */
	PF_TP_NEEDS_PROGRESS = 1u << 0
};

struct pf_tp_ops {
	uint32_t abi; /* PF_TP_ABI */
	const char *name;
	unsigned flags; /* PF_TP_* */

	int (*open)(const struct pf_tp_info *info, struct pf_tp **tp);
	/* This endpoint's address (at most PF_ADDR_MAX bytes) for the bootstrap to share. */
	int (*addr)(struct pf_tp *tp, void *buf, size_t *len);
	/* Every accelerator's address, naccels entries of stride bytes (like fi_av_insert). */
	int (*connect)(struct pf_tp *tp, const void *addrs, size_t stride);
	void (*close)(struct pf_tp *tp);

	/* Memory the transport provides for a symmetric segment (zeroed). */
	int (*mem_alloc)(struct pf_tp *tp, size_t len, uint32_t segid, void **addr,
			 struct pf_tp_mr **mr);
	/* Memory the caller owns. */
	int (*mem_reg)(struct pf_tp *tp, void *addr, size_t len, struct pf_tp_mr **mr);
	/* The remote key of registered memory: PF_KEY_MAX bytes. */
	int (*mem_key)(struct pf_tp *tp, struct pf_tp_mr *mr, void *key);
	/* Every peer has imported the key (shm: the name can go). */
	void (*mem_published)(struct pf_tp *tp, struct pf_tp_mr *mr);
	void (*mem_free)(struct pf_tp *tp, struct pf_tp_mr *mr);

	int (*rkey_import)(struct pf_tp *tp, int peer, const void *key, size_t len,
			   struct pf_tp_rmr **rmr);
	void (*rkey_release)(struct pf_tp *tp, struct pf_tp_rmr *rmr);
	/* Base address for direct load/store, or NULL. */
	void *(*rkey_ptr)(struct pf_tp *tp, struct pf_tp_rmr *rmr);
	unsigned (*rkey_caps)(struct pf_tp *tp, struct pf_tp_rmr *rmr);

	int (*put)(struct pf_tp *tp, int peer, struct pf_tp_rmr *rmr, size_t off, const void *src,
		   size_t len, struct pf_tp_ctx *ctx);
	int (*get)(struct pf_tp *tp, void *dest, int peer, struct pf_tp_rmr *rmr, size_t off,
		   size_t len, struct pf_tp_ctx *ctx);
	int (*atomic)(struct pf_tp *tp, int peer, struct pf_tp_rmr *rmr, size_t off,
		      podfab_atomic_op_t op, podfab_type_t type, uint64_t operand, uint64_t compare,
		      void *result, struct pf_tp_ctx *ctx);
	/* Data, then the 64-bit signal, with the data visible first. */
	int (*put_signal)(struct pf_tp *tp, int peer, struct pf_tp_rmr *rmr, size_t off,
			  const void *src, size_t len, struct pf_tp_rmr *sig_rmr, size_t sig_off,
			  uint64_t signal, podfab_signal_op_t sig_op, struct pf_tp_ctx *ctx);

	/* Order everything issued to peer (or to all, peer < 0) before what follows. */
	int (*fence)(struct pf_tp *tp, int peer);
	/* Complete every operation issued so far (remote visibility included). */
	int (*quiet)(struct pf_tp *tp);
	/* Up to max completions; returns how many, or a negative error. */
	int (*progress)(struct pf_tp *tp, struct pf_tp_cqe *cqe, int max);
	/*
	 * Optional.  A waiter found nothing to do for a while: give the CPU away
	 * until the transport may have news (a completion, a message, data
	 * arriving) or timeout_ms passes, whichever is first; then the caller
	 * progresses and looks again.  1 when news came (the caller then polls
	 * a while before idling again), 0 when the time passed (or the transport
	 * cannot tell), or a negative error.  NULL: the waiter
	 * yields the CPU instead.  Lets a job with more accelerators than cores
	 * move at the speed of the network rather than of the scheduler.
	 */
	int (*idle)(struct pf_tp *tp, int timeout_ms);
	/* Optional: the name of the transport that reaches peer (hybrid); NULL: this one. */
	const char *(*peer_name)(struct pf_tp *tp, int peer);
	/*
	 * Optional: called by hybrid after each operation it completed through
	 * another transport; progresses now and then (every 256th call), so
	 * that requests peers ask this one to execute are served while the
	 * accelerator spins on shm operations.  0 or a negative error.
	 */
	int (*poll)(struct pf_tp *tp);
};

/* Transport lookup (table generated by the build). */
const struct pf_tp_ops *pf_transport_find(const char *name);
const struct pf_tp_ops *pf_transport_default(void);

#endif /* PF_TRANSPORT_H */
