/*
 * pf_timing.h - the timing engine (lib/timing/): packetisation, per-hop timing
 * with contention and link-level replay, over a fabric model.
 *
 *   engine.c  per-directed-link parameters, message and operation timing (pure
 *             computation over state that may live anywhere: shared memory for
 *             a job, plain memory for podfab-sim and the tests)
 *   shared.c  the job's timing regions /podfab.<job>.timing[.<id>], one per host:
 *             link state and counters every accelerator on the host sees, clocks
 *   pace.c    the modes inside libpodfab: virtual clocks, realtime pacing and
 *             the due-time queue of deferred operations
 *   report.c  counters as JSON and as a text report (podfab-stat, podfab-run)
 *
 * Times are model nanoseconds held in doubles.  A shared time word holds the
 * bits of a non-negative double: such bit patterns order like the numbers, so
 * "atomic max" is a compare-and-swap loop on the integer.
 *
 * For a message of w wire bytes crossing directed link e into element v
 * (DESIGN.md, "The timing model"):
 *   start_e = max(ready, busy_e)       waits behind earlier traffic on e
 *   busy_e  = start_e + (1 + k) w/R_e  k replays drawn from the link's error rate
 *   ready'  = start_e + s_e + k (w/R_e + replay_e) + p_e + fec_e + d_v
 * s_e = w/R_e (store-and-forward), or the head bytes / R_e into a cut-through
 * switch or a retimer; fec_e where the FEC is decoded (not in a pass-through
 * retimer); the first hop starts at t + the sender's egress latency.  With
 * cut-through the tail trails the head: a link's sending ends no earlier than
 * the tail's arrival at its near end (binding only when a slower link feeds a
 * faster one through a cut-through element).
 *
 * busy_e as one number is exact for one timeline (podfab-sim, the tests).  In
 * a job, accelerators' virtual clocks run apart between synchronisations, and
 * a link that one of them has reserved far into its future would make another
 * accelerator, still in the past, queue behind traffic that has not happened
 * yet.  So a job keeps busy_e per window of time (a calendar): one word per
 * window of PF_TM_BUCKET_NS holds the window's number and how far into it the
 * link is reserved.  A message takes the link from max(ready, the busy time of
 * ready's window), spilling into the next windows when it does not fit.  For
 * traffic in time order this is the same busy_e; traffic from an accelerator
 * whose clock lags fills the link's idle windows of its own time.  A message
 * older than the whole calendar (PF_TM_BUCKETS windows behind the link's
 * newest) meets no contention.
 */
#ifndef PF_TIMING_H
#define PF_TIMING_H

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <podfab/topo.h>

#define PF_TM_MAX_HOPS 64

/* ---- shared state ------------------------------------------------------ */

/* One directed link: when it is next free, and its counters (one cache line). */
struct pf_tm_link {
	_Atomic uint64_t busy;       /* double bits: model ns when the link is next free */
	_Atomic uint64_t messages;   /* requests and responses serialised */
	_Atomic uint64_t bytes;      /* payload bytes carried */
	_Atomic uint64_t flits;      /* transaction-layer flits */
	_Atomic uint64_t busy_ps;    /* serialising, replays included (picoseconds) */
	_Atomic uint64_t queue_ps;   /* messages waiting behind earlier traffic (picoseconds) */
	_Atomic uint64_t replays;    /* link-level replays */
	_Atomic uint64_t wire_bytes; /* wire bytes, replays included (rounded) */
};

/* One accelerator's clock and counters (one cache line). */
struct pf_tm_accel {
	_Atomic uint64_t now;        /* double bits: its model time (virtual clock), published */
	_Atomic uint64_t stamp;      /* double bits: latest modelled arrival of a write into its memory */
	_Atomic uint64_t ops;        /* operations timed */
	_Atomic uint64_t requests;   /* requests it sent */
	_Atomic uint64_t state;      /* 0 absent, 1 attached, 2 finished */
	_Atomic uint64_t busy_ps;    /* sum of operation latencies (picoseconds) */
	uint64_t pad[2];
};

#define PF_TM_MAGIC 0x474e494d49544650ull /* "PFTIMING" */
#define PF_TM_VERSION 2u
#define PF_TM_BUCKET_NS 64.0            /* calendar window (<= 131 ns: the offset has 17 bits of ps) */
#define PF_TM_OFF_BITS 17
#define PF_TM_CAL_BUDGET (32u << 20)    /* bytes for all calendars of a region */
/* Window numbers have 64 - PF_TM_OFF_BITS bits; past this model time (about 52 days) one busy_e per link. */
#define PF_TM_CAL_MAX_NS (PF_TM_BUCKET_NS * (double)(1ull << 46))
#define PF_TM_MODEL_MAX 1024

/*
 * The region: this header, then links[2 * nlinks], accels[naccels], up[nlinks]
 * at the offsets given.  The creator writes magic last (release).
 */
struct pf_tm_shared {
	_Atomic uint64_t magic;
	uint32_t version;
	uint32_t timing;             /* podfab_timing_t */
	uint64_t model_hash;         /* nodes, links and their parameters */
	uint32_t nlinks, nnodes, naccels, pad0;
	double dilation;             /* realtime: wall ns per model ns */
	uint64_t epoch_ns;           /* CLOCK_MONOTONIC at creation: model time 0 in realtime */
	uint64_t seed;
	uint64_t size;               /* bytes of the whole region */
	uint64_t off_links, off_accels, off_up, off_cal;
	uint32_t nbuckets, pad1;     /* calendar windows per directed link (a power of 2) */
	_Atomic uint64_t fault_gen;  /* bumped by every link state change */
	_Atomic uint32_t attached, finished;
	char job[64];
	char model[PF_TM_MODEL_MAX]; /* the model spec, a file made absolute */
};

static inline struct pf_tm_link *pf_tm_links(struct pf_tm_shared *s)
{
	return (struct pf_tm_link *)((char *)s + s->off_links);
}
static inline struct pf_tm_accel *pf_tm_accels(struct pf_tm_shared *s)
{
	return (struct pf_tm_accel *)((char *)s + s->off_accels);
}
static inline _Atomic uint8_t *pf_tm_up(struct pf_tm_shared *s)
{
	return (_Atomic uint8_t *)((char *)s + s->off_up);
}
static inline _Atomic uint64_t *pf_tm_cal(struct pf_tm_shared *s)
{
	return (_Atomic uint64_t *)((char *)s + s->off_cal);
}

/* Layout and size of a region for a model; fills the offsets of *hdr. */
uint64_t pf_tm_layout(struct pf_tm_shared *hdr, uint32_t nlinks, uint32_t naccels);
/* Initialise a zeroed region of pf_tm_layout() bytes (everything but magic). */
void pf_tm_shared_init(struct pf_tm_shared *s, podfab_topo_t topo, int timing, double dilation,
		       uint64_t seed, const char *job, const char *model);
uint64_t pf_tm_model_hash(podfab_topo_t topo);

static inline double pf_tm_d(uint64_t bits)
{
	double d;
	memcpy(&d, &bits, sizeof d);
	return d;
}
static inline uint64_t pf_tm_u(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}
/* *w = max(*w, v) for non-negative doubles held as bits. */
static inline void pf_tm_atomic_max(_Atomic uint64_t *w, double v)
{
	uint64_t nv = pf_tm_u(v), old = atomic_load_explicit(w, memory_order_relaxed);
	while (old < nv &&
	       !atomic_compare_exchange_weak_explicit(w, &old, nv, memory_order_acq_rel, memory_order_relaxed))
		;
}

/* ---- the engine ------------------------------------------------------- */

/* Parameters of one directed link, computed from the model (local memory; one cache line). */
struct pf_tm_dl {
	double ns_per_byte;          /* 8 / (lanes x lane rate); 0 if the rate is 0 */
	double prop_ns;
	double far_ns;               /* far element's latency + FEC decode there */
	double replay_ns;            /* delay of one replay beyond re-serialising */
	double head_cap;             /* cut-through: bytes before forwarding; 0 = store-and-forward */
	double log_ok_per_byte;      /* ln(P(no replay)) per wire byte; 0 = error-free */
	double wire_per_flit;        /* wire bytes of one flit with framing and FEC (podfab_encoding_wire_bytes) */
	uint32_t flit_payload;       /* payload bytes of one flit; 0 = no flits (header + payload as they are) */
	uint16_t req_hdr, resp_hdr;
};

/* Counters of one directed link gathered by one engine before they go to the shared ones. */
struct pf_tm_lctr {
	uint64_t messages, bytes, flits, busy_ps, queue_ps, wire_bytes;
	uint32_t replays;
	uint32_t dirty;
	double busy;                 /* the link's busy time when the engine keeps it here (local_busy) */
};

#define PF_TM_FLUSH_EVERY 4096u /* messages between flushes of the local counters */

struct pf_tm {
	podfab_topo_t topo;
	struct pf_tm_lctr *lctr;     /* [2 * nlinks]: counted here, added to links[] by pf_tm_flush */
	uint32_t *dirty;             /* directed links with local counts */
	uint32_t ndirty, unflushed;
	struct pf_tm_shared *sh;     /* may be NULL: then links/accels are private */
	struct pf_tm_link *links;    /* [2 * nlinks] */
	struct pf_tm_accel *accels;  /* [naccels] */
	struct pf_tm_dl *dl;         /* [2 * nlinks] */
	double *egress;              /* per accelerator */
	uint32_t *max_request;       /* per accelerator */
	uint32_t nlinks, naccels;
	uint64_t seen_gen;           /* fault_gen last applied to topo */
	_Atomic uint64_t *cal;       /* calendars [2 * nlinks][nbuckets], or NULL: one busy_e per link */
	int any_down;                /* some link is down: check reachability before reserving anything */
	uint32_t nbuckets;
	uint64_t rng[2];
	int counters;                /* 1: count per link */
	int local_busy;              /* 1: busy times in lctr[].busy, one timeline in this process (podfab-sim) */
};

/* Shape of an operation: payload carried by each direction, split into requests. */
enum pf_tm_kind { PF_TM_WRITE = 0, PF_TM_READ = 1, PF_TM_ATOMIC = 2 };

/*
 * Set up an engine over topo with state at links/accels (2 * nlinks and naccels
 * records, zeroed or shared).  Allocates tm->dl etc.; pf_tm_fini frees them.
 */
int pf_tm_init(struct pf_tm *tm, podfab_topo_t topo, struct pf_tm_link *links, struct pf_tm_accel *accels,
	       uint64_t seed, uint32_t stream);
void pf_tm_fini(struct pf_tm *tm);

/*
 * Time one message (request or response) of `payload` bytes with the header of
 * its kind (resp = 0 request, 1 response) from accelerator src to dst, leaving
 * src at time t (before its egress latency).  Returns the time it has arrived
 * at dst (after dst's ingress latency) or a negative error (-PODFAB_EUNREACHABLE).
 * Updates the links' busy times and counters.
 */
int pf_tm_message(struct pf_tm *tm, uint32_t src, uint32_t dst, uint64_t flow, int resp, uint64_t payload,
		  double t, double *arrive);

/*
 * Time an operation from src to dst issued at t: req_bytes of data travel in
 * requests (writes, atomics' operands), resp_bytes in responses (reads,
 * fetched values); the larger is cut into requests of at most src's largest
 * request, each answered by one response.  *order (may be NULL) is the latest
 * arrival of an earlier request from src to dst: arrivals never overtake it,
 * and it is updated.  *arrive: when the last request has arrived (the data is
 * visible at dst); *complete: when the last response is back at src.
 */
int pf_tm_op(struct pf_tm *tm, uint32_t src, uint32_t dst, uint64_t flow, uint64_t req_bytes,
	     uint64_t resp_bytes, double t, double *order, double *arrive, double *complete);

/* A directed link's shared counters as the public record (relaxed reads). */
void pf_tm_link_read(const struct pf_tm_link *L, int up, podfab_link_stats_t *out);

/* Add the locally gathered counters to the shared ones (quiet, barrier, finalize, readers). */
void pf_tm_flush(struct pf_tm *tm);

/* Apply link up/down changes published in the shared region (slow path). */
int pf_tm_sync_faults(struct pf_tm *tm);
static inline int pf_tm_check_faults(struct pf_tm *tm)
{
	if (tm->sh && atomic_load_explicit(&tm->sh->fault_gen, memory_order_acquire) != tm->seen_gen)
		return pf_tm_sync_faults(tm);
	return 0;
}

/* Uniform double in [0, 1) from the engine's seeded generator (xorshift128+: fast, and enough for drawing replays). */
static inline double pf_tm_uniform(struct pf_tm *tm)
{
	uint64_t s1 = tm->rng[0];
	const uint64_t s0 = tm->rng[1];
	tm->rng[0] = s0;
	s1 ^= s1 << 23;
	tm->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return (double)((tm->rng[1] + s0) >> 11) * 0x1.0p-53;
}

/* Picoseconds from nanoseconds, rounded (the counters' unit). */
static inline uint64_t pf_tm_to_ps(double ns)
{
	return ns > 0 ? (uint64_t)(ns * 1000.0 + 0.5) : 0;
}

/*
 * Wire bytes of one message (resp: a response) with `payload` bytes on
 * directed link p, and its flits in *flits (its bytes on a link without
 * flits): podfab_encoding_flits and _wire_bytes, without the calls.
 */
static inline double pf_tm_wire(const struct pf_tm_dl *p, int resp, uint64_t payload, uint64_t *flits)
{
	uint64_t bytes = (uint64_t)(resp ? p->resp_hdr : p->req_hdr) + payload;
	if (__builtin_expect(!p->flit_payload, 0)) {
		*flits = bytes;
		return (double)bytes;
	}
	uint32_t fp = p->flit_payload;
	uint64_t up = bytes + fp - 1;
	*flits = (fp & (fp - 1)) == 0 ? up >> __builtin_ctz(fp) : up / fp; /* flits of 2^k bytes: no division */
	return (double)*flits * p->wire_per_flit;
}

/* Reserve directed link d shared with other engines (its busy time, or calendar): the start (engine.c). */
double pf_tm_reserve(struct pf_tm *tm, uint32_t d, double ready, double occupy);

/*
 * One hop of a message (resp: a response) carrying `payload` bytes, inline
 * for the callers that time many (pf_tm_message, podfab-sim): the head is
 * ready to go onto directed link d at `ready`, its tail at *tail (start a
 * message with both at its send time + the sender's egress latency,
 * tm->egress).  Reserves the link and counts; returns when the head may go on
 * from the far element; updates *tail; *start_out (may be NULL) gets the
 * start of serialisation on the link.  local: 1 when the caller knows that
 * tm->local_busy and tm->counters are both set (the offline simulator: one
 * timeline, counted), which leaves the shared paths out; 0 reads them.
 */
static inline double pf_tm_hop_inline(struct pf_tm *tm, uint32_t d, int resp, uint64_t payload, double ready,
				      double *tail, double *start_out, int local)
{
	const struct pf_tm_dl *p = &tm->dl[d];
	uint64_t flits;
	double w = pf_tm_wire(p, resp, payload, &flits);
	double ser = w * p->ns_per_byte;
	uint32_t k = 0;
	if (__builtin_expect(p->log_ok_per_byte < 0.0, 0)) {
		/*
		 * Replays while a draw is below the chance of a bad message,
		 * fail = 1 - e^x <= -x (x = w ln P(ok per byte) <= 0): a draw at
		 * or above -x (a little more, for expm1's rounding) is no replay
		 * without computing fail, which the draws then meet exactly as
		 * they would have.
		 */
		double x = w * p->log_ok_per_byte, u = pf_tm_uniform(tm);
		if (__builtin_expect(u < -x * (1.0 + 0x1p-40), 0)) {
			double fail = -expm1(x);
			if (u < fail) {
				k = 1;
				while (k < 1000u && pf_tm_uniform(tm) < fail)
					k++;
			}
		}
	}
	double occupy = ser * (1.0 + k);
	double start;
	struct pf_tm_lctr *c = &tm->lctr[d];
	if (local || tm->local_busy) {
		start = c->busy > ready ? c->busy : ready;
		c->busy = start + occupy;
	} else {
		start = pf_tm_reserve(tm, d, ready, occupy);
	}
	double redo = k * (ser + p->replay_ns);
	double end = start + ser + redo;
	if (end < *tail)
		end = *tail;
	double next = end + p->prop_ns + p->far_ns;
	*tail = next;
	if (p->head_cap > 0.0 && p->head_cap < w) /* cut-through: the head goes on */
		next = start + p->head_cap * p->ns_per_byte + redo + p->prop_ns + p->far_ns;
	if (local || tm->counters) {
		if (!c->dirty) {
			c->dirty = 1;
			tm->dirty[tm->ndirty++] = d;
		}
		c->messages++;
		c->bytes += payload;
		c->flits += flits * (1 + k);
		c->busy_ps += pf_tm_to_ps(occupy);
		c->wire_bytes += (uint64_t)(w * (1.0 + k) + 0.5);
		c->queue_ps += start > ready ? pf_tm_to_ps(start - ready) : 0;
		c->replays += k;
	}
	if (start_out)
		*start_out = start;
	return next;
}

/* Probability that one codeword of n symbols fails when more than t of its symbols are wrong (p each). */
double pf_tm_binomial_tail(uint32_t n, uint32_t t, double p);

/* sim.c: the seed a simulator resolved (config, else the model's), for its traffic generators. */
struct podfab_sim;
uint64_t pf_sim_seed(struct podfab_sim *sim);

/* report.c */
#include <stdio.h>
int pf_tm_write_json(FILE *f, const struct pf_tm_shared *sh, podfab_topo_t topo);
/* A JSON string (escaped) and a JSON number (never inf or nan: 0 instead). */
void pf_json_str(FILE *f, const char *s);
void pf_json_num(FILE *f, double v);
int pf_tm_write_report(FILE *f, const struct pf_tm_shared *sh, podfab_topo_t topo, int top);

#endif /* PF_TIMING_H */
