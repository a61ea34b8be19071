/*
 * sim_internal.h - the simulator's state, shared by its request-level core
 * (sim.c), its flow-level mode (sim_flow.c) and its outputs.
 */
#ifndef PF_SIM_INTERNAL_H
#define PF_SIM_INTERNAL_H

#include <podfab/sim.h>

#include "pf_timing.h"

#define SIM_MAX_HOPS 32 /* the flow-level mode keeps whole routes; the request level routes hop by hop */
#define NONE32 UINT32_MAX

/*
 * An operation (80 bytes: it may straddle two cache lines, which
 * pf_sim_prefetch_op loads both of).  Every hop of its messages reads its
 * ends, kind and size (in); an arrival, nreq, left and complete.
 */
struct sim_op {
	uint32_t nreq, left;
	podfab_sim_op_t in;
	double ready, complete;
	uint32_t first_child;    /* operations that wait for this one (CSR into children) */
	uint32_t nchild;
};

/*
 * A request or response in flight (32 bytes): its next event is its head at
 * the near end of directed link dl at time t.  It waits, by value, in the
 * bucket of that event's time window (see sim.c).  It is routed hop by hop
 * (pf_routes_next); its payload, destination and flow come from its
 * operation.
 */
struct sim_msg {
	double t;                /* its next event */
	double tail;             /* when its tail is at the near end */
	uint32_t seq;            /* order among events of one time */
	uint32_t op, req;
	uint32_t dl;             /* the directed link | MSG_* */
};
#define MSG_DL 0x1fffffffu
#define MSG_DOR 0x20000000u    /* routed by dimension order (PF_ROUTE_DOR) */
#define MSG_TRACED 0x40000000u
#define MSG_RESP 0x80000000u

/* Messages of one window: a list of chunks (16 KiB each) from a shared pool. */
#define SIM_CHUNK 511
struct sim_chunk {
	struct sim_chunk *next;
	uint32_t n;
	uint32_t pad[5];
	struct sim_msg m[SIM_CHUNK];
};
struct sim_bucket {
	struct sim_chunk *head, *tail;
	uint64_t n;
};
/*
 * Up to this many directed links, the links' state, routes and a window's
 * messages stay in the cache (about 150 bytes each): loading them ahead costs
 * more than it saves.
 */
#define SIM_SMALL_DLINKS 2048
/*
 * Windows ahead whose accelerators' events are kept by window (an operation
 * completes a message's latency after its last response left: a few windows
 * ahead); events further ahead wait in the heap.  Few, so that their lists
 * stay in the cache.
 */
#define SIM_EVRING 256
#define SIM_RING 4096 /* windows ahead kept in buckets; later messages wait in the overflow heap */

/*
 * An event of the accelerators' heap (operations ready, operations done):
 * 16 bytes, so that the four children of a node of the 4-ary heap share
 * one cache line (the heap is stored 3 places in, on a 64-byte boundary).
 * seq breaks ties of time; it wraps after 2^32 events, long after any two
 * events of one time have left.
 */
struct sim_ev {
	double t;
	uint32_t seq;
	uint32_t ki; /* kind | index */
};
#define EV_READY 0x00000000u /* an operation may be issued */
#define EV_DONE 0x80000000u  /* an operation's last response has arrived */
#define EV_KIND 0x80000000u
#define EV_INDEX 0x7fffffffu
#define HEAP_OFF 3 /* logical node i lives at heap[i + 3]: children 4i+1..4i+4 at 4i+4..4i+7 */

/* The accelerators' events of one window, in the order they were made (see run_window in sim.c). */
struct sim_evq {
	struct sim_ev *e;
	uint32_t n, cap;
};

/* A directed link's messages while a part of a window is grouped by link (valid when stamp is current). */
struct sim_gl {
	uint32_t stamp, cnt, pos, pad;
};

/* The head of a run of operations without a dependency (sim.c). */
struct sim_rhead {
	double t;
	uint32_t id;
	uint64_t pos, end;
};

/*
 * A source accelerator: operations in flight, and those waiting for a window
 * slot: wq[head..tail), in its part of podfab_sim.wq (as long as its nops).
 */
struct sim_src {
	uint32_t inflight, nops;
	uint32_t head, tail;
	uint32_t *wq;
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
	uint32_t *roots;         /* operations without a dependency, by (time, id) once run */
	uint64_t nroots, cap_roots, nafter, total_req, nruns;
	int roots_unsorted;      /* not in time order: nruns + 1 runs in order */
	struct sim_rhead *rh;    /* the request-level run merges the runs: their heads */
	uint32_t nrh;            /* runs not done */
	uint32_t *rl, nruns_m;   /* the tree of losers over nruns_m runs (sim.c) */
	double *root_t;          /* their times, in that order */
	/* Messages by time window (see sim.c). */
	double width, inv_width; /* a window's length (the model's lookahead), ns */
	uint64_t cw;             /* the window being run */
	int route_pf;            /* load route table entries ahead (routes by tables) */
	int big;                 /* more than SIM_SMALL_DLINKS directed links: load links' state and routes ahead */
	const uint32_t *far;     /* per directed link, the node it leads to (pf_routes_far) */
	struct sim_bucket ring[SIM_RING], cur;
	uint64_t ring_n;
	struct sim_chunk *free_chunk, **slab; /* the pool of chunks, and its slabs */
	uint32_t nslab, cap_slab;
	struct sim_msg *ovf;     /* messages beyond the ring: a binary heap on (t, seq) */
	uint64_t novf, cap_ovf;
	/* Grouping a window's messages by link. */
	struct sim_msg **gall;   /* a window's messages, by part */
	uint32_t *gsub;          /* their parts, in the bucket's order */
	uint32_t *gpart;
	uint64_t cap_all;
	uint32_t cap_part;
	uint32_t *gdl, *gord, *glink; /* per message its link, the order to run them; the links */
	struct sim_gl *gl;       /* per directed link: its messages in the part being grouped */
	uint32_t stamp;
	uint64_t cap_g;
	struct sim_key *gkey;
	uint64_t cap_key;
	/*
	 * The accelerators' events: those of the next SIM_EVRING windows by window
	 * (a calendar), the others (further ahead, or made for the window being
	 * run) in a heap, 64-byte aligned (see HEAP_OFF).
	 */
	struct sim_evq evq[SIM_EVRING];
	uint64_t nevq;           /* events in the calendar */
	struct sim_ev *evs;      /* a window's events, sorted */
	uint32_t *evcnt;         /* counts of sort_window (sim.c) */
	uint32_t cap_evs, cap_cnt;
	struct sim_ev *rb, *rbs; /* a window's operations without a dependency (time, id), and sorted */
	uint32_t nrb, cap_rb, cap_rbs, rb_runs;
	struct sim_ev *heap;
	uint64_t nheap, cap_heap;
	uint32_t seq;
	struct sim_src *src;
	uint32_t *wq;            /* operations waiting for a window slot, by source (see struct sim_src) */
	double *lat;             /* latencies, made by the first podfab_sim_latencies */
	podfab_sim_hop_trace_t *trace;
	uint64_t ntrace, cap_trace;
	uint64_t requests, hops, bytes, reqs_done, req_counter;
	double end;
	int ran, have_res;
	podfab_sim_result_t res; /* the summary, once computed */
};

/* Start loading operation id: both cache lines it may straddle (a hop reads its ends, kind and size). */
static inline void pf_sim_prefetch_op(const struct podfab_sim *s, uint32_t id)
{
	const char *p = (const char *)&s->ops[id];
	__builtin_prefetch(p);
	__builtin_prefetch(p + sizeof(struct sim_op) - 1);
}

/* Operation id waits at its source for a window slot. */
static inline void pf_sim_wait(podfab_sim_t s, uint32_t src, uint32_t id)
{
	struct sim_src *q = &s->src[src];
	q->wq[q->tail++] = id;
}

/*
 * The next operation waiting at source src when the window has a slot, or
 * NONE32; starts loading those after it.
 */
static inline uint32_t pf_sim_next_waiting(podfab_sim_t s, uint32_t src)
{
	struct sim_src *q = &s->src[src];
	if (q->head == q->tail || (s->cfg.window && q->inflight >= s->cfg.window))
		return NONE32;
	uint32_t id = q->wq[q->head++];
	if (q->head + 1 < q->tail)
		pf_sim_prefetch_op(s, q->wq[q->head + 1]);
	return id;
}

/*
 * The flow-level mode (sim_flow.c): runs every operation as a flow sharing
 * link bandwidth max-min fairly; fills what the request-level run fills
 * (ops[].ready/complete, lat[], end, requests, hops, the links' counters).
 * Called by podfab_sim_run after the dependency lists (children) are built.
 */
int pf_sim_run_flow(podfab_sim_t s, void (*progress)(void *, double), void *arg);

/* Operations without a dependency into s->roots (and their times into s->root_t) by (time, id). */
int pf_sim_roots(podfab_sim_t s);

#endif /* PF_SIM_INTERNAL_H */
