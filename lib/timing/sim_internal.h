/*
 * sim_internal.h - the simulator's state, shared by its request-level core
 * (sim.c), its flow-level mode (sim_flow.c) and its outputs.
 */
#ifndef PF_SIM_INTERNAL_H
#define PF_SIM_INTERNAL_H

#include <podfab/sim.h>

#include "pf_timing.h"

#define SIM_MAX_HOPS 32
#define NONE32 UINT32_MAX

/* An operation; what a request's arrival reads (nreq, left, in, ready) comes first, in one cache line. */
struct sim_op {
	uint32_t nreq, left;
	podfab_sim_op_t in;
	double ready, complete;
	uint32_t next_wait;      /* next operation in its source's queue */
	uint32_t first_child;    /* operations that wait for this one (CSR into children) */
	uint32_t nchild;
};

/*
 * A request or response in flight (one cache line).  It waits, by value, in
 * the queue of where it comes from (see sim.c) until its event time t.
 */
#define SIM_INLINE_HOPS 7
struct sim_msg {
	double t;                /* its next event: the head at the near end of link dl[hop] */
	double tail;             /* when its tail is at the near end */
	uint32_t seq;            /* order among events of one time */
	uint32_t op, req;
	uint32_t payload;
	uint8_t resp, hop, nh, traced;
	uint32_t dl[SIM_INLINE_HOPS]; /* the route's directed links; nh > SIM_INLINE_HOPS: dl[0] is a slot of ext */
};

/*
 * An event of the heap: 16 bytes, so that the four children of a node of the
 * 4-ary heap share one cache line (the heap is stored 3 places in, on a
 * 64-byte boundary).  seq breaks ties of time; it wraps after 2^32 events,
 * long after any two events of one time have left the queue.
 */
struct sim_ev {
	double t;
	uint32_t seq;
	uint32_t ki; /* kind | index */
};
#define EV_READY 0x00000000u /* an operation may be issued */
#define EV_QUEUE 0x40000000u /* the head of a queue of messages */
#define EV_MSG 0x80000000u   /* one message out of its queue's time order */
#define EV_KIND 0xc0000000u
#define EV_INDEX 0x3fffffffu
#define HEAP_OFF 3 /* logical node i lives at heap[i + 3]: children 4i+1..4i+4 at 4i+4..4i+7 */

/* A queue of messages in time order: a ring of 2^k messages, and its tail's time. */
struct sim_queue {
	struct sim_msg *buf;
	uint32_t head, count, mask, pad;
	double tail_t;
};

struct sim_src {
	uint32_t inflight;
	uint32_t head, tail; /* queue of ready operations */
};

struct podfab_sim {
	podfab_topo_t topo;
	podfab_sim_config_t cfg;
	struct pf_tm tm;
	struct pf_tm_link *links;
	struct pf_tm_accel *accels;
	struct sim_op *ops;
	uint64_t nops, cap_ops;
	uint32_t *children;
	uint32_t *roots;         /* operations without a dependency, by (time, id) */
	uint64_t nroots, next_root;
	struct sim_queue *queue; /* [2 * nlinks + naccels]: per directed link, then per accelerator */
	uint32_t nqueues;
	struct sim_msg *loose;   /* messages out of their queue's time order (heap events by themselves) */
	uint32_t nloose, cap_loose, free_loose;
	uint32_t *ext;           /* routes longer than SIM_INLINE_HOPS: slots of SIM_MAX_HOPS links */
	uint32_t next_ext, cap_ext, free_ext;
	struct sim_ev *heap;     /* 64-byte aligned; see HEAP_OFF */
	uint64_t nheap, cap_heap;
	uint32_t seq;
	struct sim_src *src;
	double *lat;
	podfab_sim_hop_trace_t *trace;
	uint64_t ntrace, cap_trace;
	uint64_t requests, hops, bytes, reqs_done, req_counter;
	double end;
	int ran;
};

/*
 * The flow-level mode (sim_flow.c): runs every operation as a flow sharing
 * link bandwidth max-min fairly; fills what the request-level run fills
 * (ops[].ready/complete, lat[], end, requests, hops, the links' counters).
 * Called by podfab_sim_run after the dependency lists (children) are built.
 */
int pf_sim_run_flow(podfab_sim_t s, void (*progress)(void *, double), void *arg);

#endif /* PF_SIM_INTERNAL_H */
