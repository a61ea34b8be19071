/*
 * sim.c - the offline simulator's core: operations, requests and responses as
 * events in time order across all flows, each hop timed by the engine
 * (pf_tm_hop_inline) over private link state in one timeline.
 *
 * Events, in (time, sequence) order (ties go in order of creation, so a run
 * repeats byte for byte):
 *   READY  an operation may be issued (its time, or its dependency's
 *          completion + delay); it waits in its source's queue while the
 *          source has `window` operations in flight;
 *   HOP    a message's head is at the near end of its next link;
 *   DONE   an operation's last response has arrived.
 * An issued operation sends all its requests at once (as live does); each
 * request's arrival at the destination sends its response (after the
 * destination's egress latency); the operation completes with its last
 * response, which releases its window slot and the operations that wait for it.
 * HOP events run by windows of the model's lookahead, link by link (see
 * "events" below).  A message is routed a hop at a time (pf_routes_next:
 * the route of pf_routes_query, without keeping it), so it takes 32 bytes.
 * The event loop allocates nothing per event in the steady state: messages
 * live in 16 KiB chunks that are reused.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <podfab/sim.h>

#include "pf_internal.h"
#include "pf_model.h"
#include "pf_routes.h"
#include "pf_timing.h"
#include "sim_internal.h"

/* ---- setup ---------------------------------------------------------- */

/*
 * Arrays of many operations or messages: mapped memory, in 2 MiB pages where
 * the kernel gives them on request (fewer TLB misses and page faults when the
 * run streams through them).  The mapping's size is kept just before the
 * array.
 */
#define SIM_BIG_HDR 64
#define SIM_HUGE ((size_t)2 << 20)

static size_t big_size(size_t bytes)
{
	size_t sz = bytes + SIM_BIG_HDR;
	return sz >= SIM_HUGE ? (sz + SIM_HUGE - 1) & ~(SIM_HUGE - 1) : (sz + 4095) & ~(size_t)4095;
}

/* sz bytes of fresh mapped memory, on a 2 MiB boundary when sz is a multiple of 2 MiB. */
static char *big_map(size_t sz)
{
	size_t extra = sz >= SIM_HUGE ? SIM_HUGE : 0;
	char *r = mmap(NULL, sz + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	if (!extra)
		return r;
	char *a = (char *)(((uintptr_t)r + SIM_HUGE - 1) & ~(uintptr_t)(SIM_HUGE - 1));
	if (a > r)
		munmap(r, (size_t)(a - r));
	if (r + sz + extra > a + sz)
		munmap(a + sz, (size_t)(r + sz + extra - (a + sz)));
#ifdef MADV_HUGEPAGE
	(void)madvise(a, sz, MADV_HUGEPAGE); /* advice only: without it the pages are small */
#endif
	return a;
}

static void *big_alloc(size_t bytes)
{
	size_t sz = big_size(bytes);
	char *b = big_map(sz);
	if (!b)
		return NULL;
	memcpy(b, &sz, sizeof sz);
	return b + SIM_BIG_HDR;
}

static void big_free(void *p)
{
	if (p) {
		char *b = (char *)p - SIM_BIG_HDR;
		size_t sz;
		memcpy(&sz, b, sizeof sz);
		munmap(b, sz);
	}
}

/* Grow array *p (may be NULL) of n elements of `size` bytes to cap elements. */
static int big_grow(void **p, size_t size, uint64_t n, uint64_t cap)
{
	void *q = big_alloc(cap * size);
	if (!q)
		return -1;
	if (*p && n)
		memcpy(q, *p, n * size);
	big_free(*p);
	*p = q;
	return 0;
}

PODFAB_EXPORT int podfab_sim_new(podfab_topo_t topo, const podfab_sim_config_t *cfg, podfab_sim_t *out)
{
	if (!topo || !out)
		return pf_err(PODFAB_ENULL, "%s is NULL", topo ? "the output pointer" : "the topology");
	if (!topo->finished)
		return pf_err(PODFAB_EINVAL, "the topology is not finished (podfab_topo_finish)");
	if (cfg && cfg->size < sizeof(uint32_t))
		return pf_err(PODFAB_EINVAL, "config.size must be sizeof(podfab_sim_config_t)");
	podfab_sim_t s = calloc(1, sizeof *s);
	if (!s)
		return pf_err(PODFAB_ENOMEM, "simulator");
	if (cfg) {
		size_t n = cfg->size < sizeof s->cfg ? cfg->size : sizeof s->cfg;
		memcpy(&s->cfg, cfg, n);
	}
	s->cfg.size = sizeof s->cfg;
	if ((unsigned)s->cfg.mode >= PODFAB_SIM_MODE_MAX) {
		int m = (int)s->cfg.mode;
		free(s);
		return pf_err(PODFAB_EINVAL, "config.mode %d is not a podfab_sim_mode_t", m);
	}
	if (!s->cfg.seed)
		s->cfg.seed = topo->seed;
	if (2 * (uint64_t)topo->nlinks > MSG_DL) {
		free(s);
		return pf_err(PODFAB_ETOOMANY, "a model of %u links (the simulator takes up to %u)", topo->nlinks,
			      MSG_DL / 2);
	}
	s->topo = topo;
	s->links = calloc(2 * (size_t)topo->nlinks + 1, sizeof *s->links);
	s->accels = calloc((size_t)topo->naccels + 1, sizeof *s->accels);
	s->src = calloc((size_t)topo->naccels + 1, sizeof *s->src);
	int rc = 0;
	if (!s->links || !s->accels || !s->src)
		rc = pf_err(PODFAB_ENOMEM, "simulator state for %u links", topo->nlinks);
	if (!rc)
		rc = pf_tm_init(&s->tm, topo, s->links, s->accels, s->cfg.seed, 0);
	s->tm.local_busy = 1; /* one timeline: busy times beside the counters, no atomics */
	if (rc) {
		podfab_sim_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

PODFAB_EXPORT void podfab_sim_free(podfab_sim_t s)
{
	if (!s)
		return;
	pf_tm_fini(&s->tm);
	free(s->links);
	free(s->accels);
	big_free(s->wq);
	free(s->src);
	big_free(s->ops);
	big_free(s->children);
	big_free(s->roots);
	big_free(s->root_t);
	free(s->rh);
	free(s->rl);
	for (uint32_t i = 0; i < s->nslab; i++)
		big_free(s->slab[i]);
	free(s->slab);
	free(s->ovf);
	free(s->gall);
	free(s->gsub);
	free(s->gpart);
	free(s->gdl);
	free(s->gord);
	free(s->glink);
	free(s->gl);
	free(s->gkey);
	for (uint32_t i = 0; i < SIM_EVRING; i++)
		free(s->evq[i].e);
	free(s->evs);
	free(s->evcnt);
	free(s->rb);
	free(s->rbs);
	free(s->heap);
	big_free(s->lat);
	free(s->trace);
	free(s);
}

uint64_t pf_sim_seed(podfab_sim_t s)
{
	return s->cfg.seed;
}

PODFAB_EXPORT podfab_topo_t podfab_sim_model(podfab_sim_t s)
{
	return s ? s->topo : NULL;
}

PODFAB_EXPORT int podfab_sim_reserve(podfab_sim_t s, uint64_t ops)
{
	if (!s)
		return pf_err(PODFAB_ENULL, "the simulator is NULL");
	if (s->ran)
		return pf_err(PODFAB_EBUSY, "the simulation has run: make a new one to add operations");
	if (ops > EV_INDEX - s->nops)
		return pf_err(PODFAB_ETOOMANY, "room for %llu more operations (at most %u in all)",
			      (unsigned long long)ops, EV_INDEX);
	uint64_t need = s->nops + ops, need_roots = s->nroots + ops;
	if (need > s->cap_ops) {
		if (big_grow((void **)&s->ops, sizeof *s->ops, s->nops, need))
			return pf_err(PODFAB_ENOMEM, "room for %llu operations", (unsigned long long)need);
		s->cap_ops = need;
	}
	if (need_roots > s->cap_roots) {
		if (big_grow((void **)&s->roots, sizeof *s->roots, s->nroots, need_roots) ||
		    big_grow((void **)&s->root_t, sizeof *s->root_t, s->nroots, need_roots))
			return pf_err(PODFAB_ENOMEM, "room for %llu operations", (unsigned long long)need_roots);
		s->cap_roots = need_roots;
	}
	return 0;
}

PODFAB_EXPORT int podfab_sim_add(podfab_sim_t s, const podfab_sim_op_t *op, uint64_t *id)
{
	if (!s || !op)
		return pf_err(PODFAB_ENULL, "%s is NULL", s ? "op" : "the simulator");
	if (s->ran)
		return pf_err(PODFAB_EBUSY, "the simulation has run: make a new one to add operations");
	uint32_t na = s->topo->naccels;
	if (op->src >= na || op->dst >= na)
		return pf_err(PODFAB_EACCEL, "accelerator %u is outside [0, %u)", op->src >= na ? op->src : op->dst, na);
	if ((unsigned)op->kind >= PODFAB_SIM_KIND_MAX)
		return pf_err(PODFAB_EINVAL, "operation kind %d is not a podfab_sim_kind_t", (int)op->kind);
	if (op->bytes == 0)
		return pf_err(PODFAB_EZEROLEN, "an operation of 0 bytes");
	if (op->bytes > (1ull << 40))
		return pf_err(PODFAB_EINVAL, "an operation of %llu bytes (at most 1 TiB)", (unsigned long long)op->bytes);
	if (!(op->t >= 0.0) || !isfinite(op->t) || !(op->delay >= 0.0) || !isfinite(op->delay))
		return pf_err(PODFAB_EINVAL, "time %g and delay %g must be finite and >= 0", op->t, op->delay);
	if (op->after != PODFAB_SIM_NONE && op->after >= s->nops)
		return pf_err(PODFAB_EINVAL, "after=%llu names no earlier operation (%llu added)",
			      (unsigned long long)op->after, (unsigned long long)s->nops);
	if (s->nops >= EV_INDEX)
		return pf_err(PODFAB_ETOOMANY, "more than %u operations", EV_INDEX);
	if (s->nops == s->cap_ops) {
		uint64_t cap = s->cap_ops ? 2 * s->cap_ops : 1024;
		if (big_grow((void **)&s->ops, sizeof *s->ops, s->nops, cap))
			return pf_err(PODFAB_ENOMEM, "%llu operations", (unsigned long long)cap);
		s->cap_ops = cap;
	}
	if (op->after == PODFAB_SIM_NONE && s->nroots == s->cap_roots) {
		uint64_t cap = s->cap_roots ? 2 * s->cap_roots : 1024;
		if (big_grow((void **)&s->roots, sizeof *s->roots, s->nroots, cap) ||
		    big_grow((void **)&s->root_t, sizeof *s->root_t, s->nroots, cap))
			return pf_err(PODFAB_ENOMEM, "%llu operations", (unsigned long long)cap);
		s->cap_roots = cap;
	}
	struct sim_op *o = &s->ops[s->nops];
	memset(o, 0, sizeof *o);
	o->in = *op;
	o->in.t += 0.0; /* -0 is 0 */
	uint64_t mr = s->tm.max_request[op->src];
	uint64_t nreq = (op->bytes + mr - 1) / mr;
	if (op->kind == PODFAB_SIM_ATOMIC)
		nreq = 1;
	o->nreq = (uint32_t)nreq;
	s->total_req += nreq;
	s->src[op->src].nops++;
	s->bytes += op->bytes;
	if (op->after != PODFAB_SIM_NONE) {
		s->ops[op->after].nchild++;
		s->nafter++;
	} else {
		if (s->nroots && o->in.t < s->root_t[s->nroots - 1]) {
			s->roots_unsorted = 1;
			s->nruns++;
		}
		s->root_t[s->nroots] = o->in.t;
		s->roots[s->nroots++] = (uint32_t)s->nops;
	}
	if (id)
		*id = s->nops;
	s->nops++;
	return 0;
}

/* ---- events -----------------------------------------------------------
 *
 * Requests and responses move by time windows as long as the model's
 * lookahead: the shortest time from a message's head reaching a link to
 * anything that event causes (the head at the next link, or its arrival and
 * what that starts) - the link's least serialisation (a header, or a
 * cut-through element's head) plus propagation and the far element's
 * latency.  What happens at a link within one window therefore causes
 * nothing in the same window, and the links' events of a window can run
 * link by link, each link's in (time, sequence) order, with the same result
 * as one global time order: a link's state is its own, an operation's
 * outstanding count and completion time do not depend on the order of its
 * responses.  A window's messages wait in its bucket; the run groups them
 * by link, sorts each link's few by time and runs them, reading each link's
 * state once and the messages in an order known ahead (so that what they
 * need is fetched before it is needed): with a million messages in flight
 * the run streams through memory instead of waiting on it at every event.
 *
 * What must stay in time order across accelerators - an operation issued
 * when one of its source's window completes, operations released by the
 * completion they wait for - runs first in each window from a heap of the
 * accelerators' events (and the sorted list of operations without a
 * dependency), in (time, sequence) order; it can only send messages, whose
 * first events are in this window or later.
 */

struct sim_key {
	double t;
	uint32_t seq, i;
};

static inline int ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t < b->t || (a->t == b->t && (int32_t)(a->seq - b->seq) < 0);
}

static inline int msg_before(const struct sim_msg *a, const struct sim_msg *b)
{
	return a->t < b->t || (a->t == b->t && (int32_t)(a->seq - b->seq) < 0);
}

/* The same, 0 or 1 without branches (for a test that is rarely true). */
static inline uint32_t msg_before_nb(const struct sim_msg *a, const struct sim_msg *b)
{
	return (uint32_t)(a->t < b->t) | ((uint32_t)(a->t == b->t) & ((int32_t)(a->seq - b->seq) < 0));
}

static int heap_push(podfab_sim_t s, double t, uint32_t seq, uint32_t ki)
{
	if (pf_unlikely(s->nheap + HEAP_OFF >= s->cap_heap)) {
		uint64_t cap = s->cap_heap ? 2 * s->cap_heap : 4096;
		struct sim_ev *n = aligned_alloc(64, cap * sizeof *n);
		if (!n)
			return pf_err(PODFAB_ENOMEM, "event queue of %llu", (unsigned long long)cap);
		if (s->heap)
			memcpy(n, s->heap, (s->nheap + HEAP_OFF) * sizeof *n);
		free(s->heap);
		s->heap = n;
		s->cap_heap = cap;
	}
	struct sim_ev *h = s->heap + HEAP_OFF;
	struct sim_ev e = {t, seq, ki};
	uint64_t i = s->nheap++;
	while (i > 0) {
		uint64_t p = (i - 1) / 4;
		if (!ev_before(&e, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
	return 0;
}

static void heap_pop(podfab_sim_t s)
{
	struct sim_ev *h = s->heap + HEAP_OFF;
	struct sim_ev e = h[--s->nheap];
	uint64_t i = 0, n = s->nheap;
	if (!n)
		return;
	for (;;) {
		uint64_t c = 4 * i + 1, best = c;
		if (c >= n)
			break;
		uint64_t end = c + 4 < n ? c + 4 : n;
		for (uint64_t k = c + 1; k < end; k++)
			if (ev_before(&h[k], &h[best]))
				best = k;
		if (!ev_before(&h[best], &e))
			break;
		h[i] = h[best];
		i = best;
	}
	h[i] = e;
}

static inline uint64_t win_of(const podfab_sim_t s, double t)
{
	double w = t * s->inv_width;
	return w < 9.0e18 ? (uint64_t)w : (uint64_t)9e18;
}

/* Double the room of array *e of events (*cap, the first time `first`): 0, or -1 when memory ran out. */
static int ev_grow(struct sim_ev **e, uint32_t *cap, uint32_t first)
{
	uint32_t c = *cap ? 2 * *cap : first;
	struct sim_ev *n = c > *cap ? realloc(*e, (size_t)c * sizeof *n) : NULL;
	if (!n)
		return -1;
	*e = n;
	*cap = c;
	return 0;
}

/*
 * An accelerator's event (kind | index) at t: into the calendar when its
 * window is one of the next SIM_EVRING after the one being run, or else into
 * the heap (see run_window).
 */
static int ev_add(podfab_sim_t s, double t, uint32_t ki)
{
	uint32_t seq = s->seq++;
	uint64_t w = win_of(s, t);
	if (pf_unlikely(w <= s->cw || w - s->cw >= SIM_EVRING))
		return heap_push(s, t, seq, ki);
	struct sim_evq *q = &s->evq[w & (SIM_EVRING - 1)];
	if (pf_unlikely(q->n == q->cap) && ev_grow(&q->e, &q->cap, 64))
		return pf_err(PODFAB_ENOMEM, "%u events in one window", q->n);
	q->e[q->n++] = (struct sim_ev){t, seq, ki};
	s->nevq++;
	return 0;
}

_Static_assert(sizeof(struct sim_msg) == 32, "two messages to a cache line");
_Static_assert(sizeof(struct sim_chunk) == 16384, "a chunk is 16 KiB");

/* The overflow heap (messages more than SIM_RING windows ahead): a binary heap of messages. */
static int ovf_push(podfab_sim_t s, const struct sim_msg *g)
{
	if (s->novf == s->cap_ovf) {
		uint64_t cap = s->cap_ovf ? 2 * s->cap_ovf : 1024;
		struct sim_msg *n = realloc(s->ovf, cap * sizeof *n);
		if (!n)
			return pf_err(PODFAB_ENOMEM, "%llu messages far ahead", (unsigned long long)cap);
		s->ovf = n;
		s->cap_ovf = cap;
	}
	uint64_t i = s->novf++;
	while (i > 0 && msg_before(g, &s->ovf[(i - 1) / 2])) {
		s->ovf[i] = s->ovf[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->ovf[i] = *g;
	return 0;
}

static void ovf_pop(podfab_sim_t s)
{
	struct sim_msg e = s->ovf[--s->novf];
	uint64_t i = 0, n = s->novf;
	while (2 * i + 1 < n) {
		uint64_t c = 2 * i + 1;
		if (c + 1 < n && msg_before(&s->ovf[c + 1], &s->ovf[c]))
			c++;
		if (!msg_before(&s->ovf[c], &e))
			break;
		s->ovf[i] = s->ovf[c];
		i = c;
	}
	if (n)
		s->ovf[i] = e;
}

/* A chunk from the pool, which grows by slabs of SIM_SLAB chunks (4 MiB). */
#define SIM_SLAB 256
static struct sim_chunk *chunk_get(podfab_sim_t s)
{
	struct sim_chunk *c = s->free_chunk;
	if (pf_unlikely(!c)) {
		if (s->nslab == s->cap_slab) {
			uint32_t cap = s->cap_slab ? 2 * s->cap_slab : 16;
			struct sim_chunk **n = realloc(s->slab, cap * sizeof *n);
			if (!n)
				return NULL;
			s->slab = n;
			s->cap_slab = cap;
		}
		struct sim_chunk *slab = big_alloc(SIM_SLAB * sizeof *slab);
		if (!slab)
			return NULL;
		s->slab[s->nslab++] = slab;
		for (uint32_t i = 0; i < SIM_SLAB; i++)
			slab[i].next = i + 1 < SIM_SLAB ? &slab[i + 1] : NULL;
		c = slab;
	}
	s->free_chunk = c->next;
	c->next = NULL;
	c->n = 0;
	return c;
}

static void bucket_release(podfab_sim_t s, struct sim_bucket *b)
{
	if (b->tail) {
		b->tail->next = s->free_chunk;
		s->free_chunk = b->head;
	}
	b->head = b->tail = NULL;
	b->n = 0;
}

/*
 * A place for a message whose next event is at t (its window's bucket), or
 * NULL when it must go to the overflow heap (*far set) or memory ran out.
 */
static inline struct sim_msg *slot(podfab_sim_t s, double t, int *far)
{
	uint64_t w = win_of(s, t);
	if (w < s->cw)
		w = s->cw; /* rounding: at most a few ulps early */
	if (pf_unlikely(w - s->cw >= SIM_RING)) {
		*far = 1;
		return NULL;
	}
	struct sim_bucket *b = &s->ring[w & (SIM_RING - 1)];
	struct sim_chunk *c = b->tail;
	if (pf_unlikely(!c || c->n == SIM_CHUNK)) {
		if (!(c = chunk_get(s)))
			return NULL;
		if (b->tail)
			b->tail->next = c;
		else
			b->head = c;
		b->tail = c;
	}
	b->n++;
	s->ring_n++;
	if (c->n + 4 < SIM_CHUNK)
		__builtin_prefetch(&c->m[c->n + 4], 1); /* the bucket's next cache lines, to be written */
	return &c->m[c->n++];
}

/* Message *g (its seq set) waits for its next event. */
static int place(podfab_sim_t s, const struct sim_msg *g)
{
	int far = 0;
	struct sim_msg *d = slot(s, g->t, &far);
	if (pf_likely(d != NULL)) {
		*d = *g;
		return 0;
	}
	if (far)
		return ovf_push(s, g);
	return pf_err(PODFAB_ENOMEM, "messages in flight");
}

static int arrive(podfab_sim_t s, const struct sim_msg *g, double t);

/* Start a message (flags: MSG_RESP, MSG_TRACED) from a to b at time t (before a's egress latency). */
static int send(podfab_sim_t s, uint32_t op, uint32_t req, uint32_t flags, uint32_t a, uint32_t b, uint64_t flow,
		double t)
{
	uint32_t dl = 0, mode = 0;
	int rc = pf_routes_first_inline(s->topo, a, b, flow, &dl, &mode);
	if (rc < 0)
		return rc;
	struct sim_msg g;
	g.t = g.tail = t + s->tm.egress[a];
	g.seq = s->seq++;
	g.op = op;
	g.req = req;
	g.dl = (rc ? 0 : dl) | flags | (mode & PF_ROUTE_DOR ? MSG_DOR : 0);
	if (pf_unlikely(rc == 1))
		return arrive(s, &g, g.t); /* source = destination: no link */
	return place(s, &g);
}

/* Issue operation id at t. */
static int issue(podfab_sim_t s, uint32_t id, double t)
{
	struct sim_op *o = &s->ops[id];
	uint64_t mr = s->tm.max_request[o->in.src];
	s->src[o->in.src].inflight++;
	o->ready = t; /* issued now: latency counts from here, not from the wait for a window slot */
	o->left = o->nreq;
	s->requests += o->nreq;
	for (uint32_t r = 0; r < o->nreq; r++) {
		int traced = s->cfg.trace_every && (s->req_counter % s->cfg.trace_every) == 0;
		s->req_counter++;
		uint64_t flow = ((uint64_t)id << 20) + (uint64_t)r * mr;
		int rc = send(s, id, r, traced ? MSG_TRACED : 0, o->in.src, o->in.dst, flow, t);
		if (rc)
			return rc;
	}
	return 0;
}

/* Operation id may go: issue it, or queue it behind its source's window. */
static int make_ready(podfab_sim_t s, uint32_t id, double t)
{
	struct sim_op *o = &s->ops[id];
	struct sim_src *q = &s->src[o->in.src];
	o->ready = t;
	if (!s->cfg.window || q->inflight < s->cfg.window)
		return issue(s, id, t);
	pf_sim_wait(s, o->in.src, id);
	return 0;
}

/* Operation id completed at t. */
static int op_done(podfab_sim_t s, uint32_t id, double t)
{
	struct sim_op *o = &s->ops[id];
	s->end = t > s->end ? t : s->end;
	struct sim_src *q = &s->src[o->in.src];
	q->inflight--;
	for (uint32_t c = 0; c < o->nchild; c++) {
		uint32_t ch = s->children[o->first_child + c];
		double at = t + s->ops[ch].in.delay;
		if (s->ops[ch].in.t > at)
			at = s->ops[ch].in.t;
		int rc = ev_add(s, at, EV_READY | ch);
		if (rc)
			return rc;
	}
	uint32_t next = pf_sim_next_waiting(s, o->in.src);
	return next != NONE32 ? issue(s, next, t) : 0;
}

static int trace_add(podfab_sim_t s, const struct sim_msg *g, uint32_t dl, double start, double end)
{
	if (s->ntrace == s->cap_trace) {
		uint64_t cap = s->cap_trace ? 2 * s->cap_trace : 1024;
		podfab_sim_hop_trace_t *n = realloc(s->trace, cap * sizeof *n);
		if (!n)
			return pf_err(PODFAB_ENOMEM, "trace of %llu hops", (unsigned long long)cap);
		s->trace = n;
		s->cap_trace = cap;
	}
	podfab_sim_hop_trace_t *h = &s->trace[s->ntrace++];
	h->op = g->op;
	h->request = g->req;
	h->response = (g->dl & MSG_RESP) != 0;
	h->dlink = dl;
	h->start_ns = start;
	h->end_ns = end;
	return 0;
}

/* Message *g has arrived at its destination at t. */
static int arrive(podfab_sim_t s, const struct sim_msg *g, double t)
{
	uint32_t op = g->op, req = g->req;
	struct sim_op *o = &s->ops[op];
	if (!(g->dl & MSG_RESP)) {
		uint64_t flow = ((uint64_t)op << 20) + (uint64_t)req * s->tm.max_request[o->in.src];
		return send(s, op, req, MSG_RESP | (g->dl & MSG_TRACED), o->in.dst, o->in.src, flow, t);
	}
	s->reqs_done++;
	if (t > o->complete)
		o->complete = t;
	if (--o->left == 0)
		return ev_add(s, o->complete, EV_DONE | op);
	return 0;
}

/* Message *g's head is at the near end of link dl (= its g->dl & MSG_DL) at g->t. */
static inline int on_hop(podfab_sim_t s, const struct sim_msg *g, uint32_t dl)
{
	const struct sim_op *o = &s->ops[g->op];
	uint32_t resp = (g->dl & MSG_RESP) != 0;
	uint64_t mr = s->tm.max_request[o->in.src], off = (uint64_t)g->req * mr;
	uint64_t chunk = o->in.bytes - off < mr ? o->in.bytes - off : mr;
	uint64_t payload = o->in.kind == (resp ? PODFAB_SIM_WRITE : PODFAB_SIM_READ) ? 0 : chunk;
	double start, tail = g->tail;
	double next = pf_tm_hop_inline(&s->tm, dl, (int)resp, payload, g->t, &tail, &start, 1); /* local_busy, counters */
	s->hops++;
	if (pf_unlikely(g->dl & MSG_TRACED)) {
		int rc = trace_add(s, g, dl, start, next);
		if (rc)
			return rc;
	}
	uint32_t to = resp ? o->in.src : o->in.dst;
	uint32_t nd = pf_routes_next_inline(s->topo, dl, to, ((uint64_t)g->op << 20) + off,
					    g->dl & MSG_DOR ? PF_ROUTE_DOR : 0);
	if (nd == PF_ROUTE_END)
		return arrive(s, g, next); /* the last element is an accelerator: store-and-forward */
	if (pf_unlikely(nd == PF_ROUTE_BROKEN))
		return pf_err(PODFAB_EUNREACHABLE, "no route from accelerator %u to %u (the tables end at '%s')",
			      resp ? o->in.dst : o->in.src, to,
			      s->topo->nodes[dl & 1 ? s->topo->links[dl >> 1].a : s->topo->links[dl >> 1].b].name);
	int far = 0;
	struct sim_msg *d = slot(s, next, &far);
	if (pf_unlikely(!d)) {
		if (!far)
			return pf_err(PODFAB_ENOMEM, "messages in flight");
		struct sim_msg x = *g;
		x.t = next;
		x.tail = tail;
		x.dl = nd | (g->dl & ~MSG_DL);
		x.seq = s->seq++;
		return ovf_push(s, &x);
	}
	d->t = next;
	d->tail = tail;
	d->seq = s->seq++;
	d->op = g->op;
	d->req = g->req;
	d->dl = nd | (g->dl & ~MSG_DL);
	return 0;
}

#define SIM_SORT_SMALL 24 /* a link's messages of a part up to this many are sorted by insertion */

static int grow_groups(podfab_sim_t s, uint64_t n)
{
	uint64_t cap = s->cap_g ? s->cap_g : 4096;
	while (cap < n)
		cap *= 2;
	uint32_t *a = realloc(s->gdl, cap * sizeof *a);
	if (a)
		s->gdl = a;
	uint32_t *b = realloc(s->gord, cap * sizeof *b);
	if (b)
		s->gord = b;
	if (!a || !b)
		return pf_err(PODFAB_ENOMEM, "a window of %llu messages", (unsigned long long)n);
	s->cap_g = cap;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct sim_key *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (int32_t)(x->seq - y->seq) < 0 ? -1 : 1;
}

/* Sort ord[0..n) (indexes of p) by their messages' (time, sequence). */
static int sort_group(podfab_sim_t s, struct sim_msg *const *p, uint32_t *ord, uint32_t n)
{
	if (n <= SIM_SORT_SMALL) {
		for (uint32_t i = 1; i < n; i++) {
			uint32_t x = ord[i], j = i;
			while (j > 0 && msg_before(p[x], p[ord[j - 1]])) {
				ord[j] = ord[j - 1];
				j--;
			}
			ord[j] = x;
		}
		return 0;
	}
	if (n > s->cap_key) {
		struct sim_key *k = realloc(s->gkey, (size_t)n * sizeof *k);
		if (!k)
			return pf_err(PODFAB_ENOMEM, "sorting %u messages", n);
		s->gkey = k;
		s->cap_key = n;
	}
	for (uint32_t i = 0; i < n; i++)
		s->gkey[i] = (struct sim_key){p[ord[i]]->t, p[ord[i]]->seq, ord[i]};
	qsort(s->gkey, n, sizeof *s->gkey, cmp_key);
	for (uint32_t i = 0; i < n; i++)
		ord[i] = s->gkey[i].i;
	return 0;
}

/* A message about to run: start loading what routes it on from link dl's far end (stage: see pf_routes.h). */
static inline void prefetch_route(podfab_sim_t s, const struct sim_msg *g, int stage)
{
	const struct sim_op *o = &s->ops[g->op];
	pf_routes_next_prefetch_inline(s->topo, g->dl & MSG_DL, g->dl & MSG_RESP ? o->in.src : o->in.dst, stage);
}

/* Run messages ptr[0..n) (all in window s->cw): group them by link, each link's in time order. */
static int run_links(podfab_sim_t s, struct sim_msg **ptr, uint32_t n)
{
	if (n > s->cap_g && grow_groups(s, n))
		return -PODFAB_ENOMEM;
	if (pf_unlikely(++s->stamp == 0)) { /* wrapped: no count may look current */
		memset(s->gl, 0, (2 * (size_t)s->topo->nlinks + 1) * sizeof *s->gl);
		s->stamp = 1;
	}
	uint32_t stamp = s->stamp, ng = 0, *dl = s->gdl, *ord = s->gord, *glink = s->glink;
	const int big = s->big;
	/*
	 * A counting sort by link, the links in the order they first appear:
	 * count each link's messages (without a branch on whether it is new),
	 * place the links, then the messages.
	 */
	for (uint32_t i = 0; i < n; i++) {
		if (big && i + 16 < n)
			__builtin_prefetch(ptr[i + 16]);
		if (big && i + 8 < n)
			__builtin_prefetch(&s->gl[ptr[i + 8]->dl & MSG_DL]);
		uint32_t d = ptr[i]->dl & MSG_DL;
		struct sim_gl *l = &s->gl[d];
		uint32_t fresh = l->stamp != stamp;
		l->stamp = stamp;
		l->cnt = (l->cnt & (fresh - 1)) + 1; /* 1 when fresh */
		glink[ng] = d;
		ng += fresh;
		dl[i] = d;
	}
	int large = 0;
	for (uint32_t g = 0, pos = 0; g < ng; g++) {
		struct sim_gl *l = &s->gl[glink[g]];
		l->pos = pos;
		pos += l->cnt;
		large |= l->cnt > SIM_SORT_SMALL;
	}
	for (uint32_t i = 0; i < n; i++)
		ord[s->gl[dl[i]].pos++] = i;
	/* Each link's messages in (time, sequence) order: the many of a link by keys, then the few by insertion. */
	for (uint32_t g = 0; large && g < ng; g++) {
		const struct sim_gl *l = &s->gl[glink[g]];
		if (l->cnt > SIM_SORT_SMALL) {
			int rc = sort_group(s, ptr, ord + l->pos - l->cnt, l->cnt);
			if (rc)
				return rc;
		}
	}
	for (uint32_t j = 1; j < n; j++) {
		uint32_t x = ord[j], d = dl[x];
		uint32_t out = (uint32_t)(dl[ord[j - 1]] == d) & msg_before_nb(ptr[x], ptr[ord[j - 1]]);
		__asm__("" : "+r"(out)); /* one branch on the whole test, which is rarely true, not one on each half */
		if (pf_likely(!out))
			continue;
		uint32_t k = j;
		do {
			ord[k] = ord[k - 1];
			k--;
		} while (k > 0 && dl[ord[k - 1]] == d && msg_before(ptr[x], ptr[ord[k - 1]]));
		ord[k] = x;
	}
	if (big)
		for (uint32_t j = 0; j < n && j < 8; j++) {
			__builtin_prefetch(&s->tm.dl[dl[ord[j]]]);
			__builtin_prefetch(&s->tm.lctr[dl[ord[j]]]);
		}
	/* Run them in that order, loading ahead what the next ones need. */
	for (uint32_t j = 0; j < n; j++) {
		if (big && j + 8 < n) {
			uint32_t e = dl[ord[j + 8]];
			__builtin_prefetch(&s->tm.dl[e]);
			__builtin_prefetch(&s->tm.lctr[e]);
		}
		if (big && j + 12 < n)
			__builtin_prefetch(ptr[ord[j + 12]]);
		if (j + 9 < n) { /* operations: many may be in flight whatever the model's size */
			const struct sim_msg *m = ptr[ord[j + 9]];
			pf_sim_prefetch_op(s, m->op);
			if (big)
				__builtin_prefetch(&s->far[m->dl & MSG_DL]);
		}
		if (big && s->route_pf) {
			if (j + 6 < n)
				prefetch_route(s, ptr[ord[j + 6]], 0);
			if (j + 3 < n)
				prefetch_route(s, ptr[ord[j + 3]], 1);
		}
		uint32_t x = ord[j];
		int rc = on_hop(s, ptr[x], dl[x]);
		if (rc)
			return rc;
	}
	return 0;
}

static inline uint32_t sub_of(double t, double t0, double scale, uint32_t m)
{
	double x = (t - t0) * scale;
	return x <= 0.0 ? 0 : x >= (double)(m - 1) ? m - 1 : (uint32_t)x;
}

/*
 * Run bucket s->cur: its messages in one group, or, when there are more than
 * fit in the cache, in parts of the window in time order (each part's after
 * the one before at every link; nothing they cause falls in this window).
 */
#define SIM_PART 1024
static int run_bucket(podfab_sim_t s)
{
	uint64_t n = s->cur.n;
	if (n >= NONE32)
		return pf_err(PODFAB_ETOOMANY, "more than %u messages in one window", NONE32 - 1);
	if (n > s->cap_all) {
		uint64_t cap = s->cap_all ? s->cap_all : 4096;
		while (cap < n)
			cap *= 2;
		struct sim_msg **a = realloc(s->gall, cap * sizeof *a);
		if (a)
			s->gall = a;
		uint32_t *b = realloc(s->gsub, cap * sizeof *b);
		if (b)
			s->gsub = b;
		if (!a || !b)
			return pf_err(PODFAB_ENOMEM, "a window of %llu messages", (unsigned long long)n);
		s->cap_all = cap;
	}
	struct sim_msg **all = s->gall;
	uint32_t m = n > SIM_PART ? (uint32_t)((n + SIM_PART - 1) / SIM_PART) : 1, i = 0;
	if (m == 1) {
		for (struct sim_chunk *c = s->cur.head; c; c = c->next)
			for (uint32_t j = 0; j < c->n; j++)
				all[i++] = &c->m[j];
		return run_links(s, all, (uint32_t)n);
	}
	if (m + 1 > s->cap_part) {
		uint32_t *p = realloc(s->gpart, (size_t)(m + 1) * sizeof *p);
		if (!p)
			return pf_err(PODFAB_ENOMEM, "a window of %llu messages", (unsigned long long)n);
		s->gpart = p;
		s->cap_part = m + 1;
	}
	/* A counting sort on the part: the messages are read once (their parts kept in sub[]), loading ahead. */
	uint32_t *cnt = s->gpart, *sub = s->gsub;
	memset(cnt, 0, (size_t)(m + 1) * sizeof *cnt);
	double t0 = (double)s->cw * s->width, scale = (double)m * s->inv_width;
	for (struct sim_chunk *c = s->cur.head; c; c = c->next) {
		if (c->next)
			__builtin_prefetch(c->next);
		for (uint32_t j = 0; j < c->n; j++) {
			if (j + 16 < c->n)
				__builtin_prefetch(&c->m[j + 16]);
			uint32_t k = sub_of(c->m[j].t, t0, scale, m);
			sub[i++] = k;
			cnt[k + 1]++;
		}
	}
	for (uint32_t k = 0; k < m; k++)
		cnt[k + 1] += cnt[k];
	i = 0;
	for (struct sim_chunk *c = s->cur.head; c; c = c->next)
		for (uint32_t j = 0; j < c->n; j++)
			all[cnt[sub[i++]]++] = &c->m[j];
	for (uint32_t k = 0, start = 0; k < m; k++) {
		uint32_t end = cnt[k];
		if (end > start) {
			int rc = run_links(s, all + start, end - start);
			if (rc)
				return rc;
		}
		start = end;
	}
	return 0;
}

/*
 * The lookahead (see above): the least time from a head at a link to the
 * next event it causes, less a little for rounding; at least 1 ps (a model
 * with header-less messages on links without latency runs its events less
 * than 1 ps apart link by link rather than in time order).
 */
static double lookahead(const podfab_sim_t s)
{
	double la = INFINITY;
	for (uint32_t d = 0; d < 2 * s->topo->nlinks; d++) {
		const struct pf_tm_dl *p = &s->tm.dl[d];
		uint64_t hdr = p->req_hdr < p->resp_hdr ? p->req_hdr : p->resp_hdr;
		double w = p->flit_payload ? (double)((hdr + p->flit_payload - 1) / p->flit_payload) * p->wire_per_flit
					   : (double)hdr;
		double first = w * p->ns_per_byte;
		if (p->head_cap > 0.0 && p->head_cap * p->ns_per_byte < first)
			first = p->head_cap * p->ns_per_byte;
		double l = first + p->prop_ns + p->far_ns;
		if (l < la)
			la = l;
	}
	if (!isfinite(la))
		return 1.0;
	la *= 1.0 - 1e-9;
	return la > 1e-3 ? la : 1e-3;
}

/*
 * Operations without a dependency come from runs of them added in time
 * order (one per source for generated traffic), merged on (time, id) by a
 * tree of losers over the runs' heads: the same order as sorting them all,
 * without a pass over them before the run, and one comparison per level of
 * the tree for each operation.  rl[0] is the run at the head of the merge;
 * rl[1..k) the losers of the tree's matches, the runs' heads its leaves
 * k..2k-1.  A run that is done has the head (infinity, NONE32).
 */
static inline int rh_before(const struct sim_rhead *a, const struct sim_rhead *b)
{
	return a->t < b->t || (a->t == b->t && a->id < b->id);
}

/* The time of the head of the merge, when there is one. */
static inline int root_time(const podfab_sim_t s, double *t)
{
	if (!s->nrh)
		return 0;
	*t = s->rh[s->rl[0]].t;
	return 1;
}

/* Run w (the head of the merge) goes on at p: its new head takes its place in the tree. */
static inline void root_seat(podfab_sim_t s, uint32_t w, uint64_t p)
{
	uint32_t k = s->nruns_m;
	struct sim_rhead *h = &s->rh[w];
	h->pos = p;
	if (p < h->end) {
		h->t = s->root_t[p];
		h->id = s->roots[p];
	} else {
		h->t = INFINITY;
		h->id = NONE32;
		s->nrh--;
	}
	for (uint32_t node = (w + k) >> 1; node > 0; node >>= 1) {
		uint32_t o = s->rl[node];
		const struct sim_rhead *a = &s->rh[o], *b = &s->rh[w];
		uint32_t ob = -((uint32_t)(a->t < b->t) | ((uint32_t)(a->t == b->t) & (a->id < b->id))); /* rh_before */
		s->rl[node] = (w & ob) | (o & ~ob);                                                     /* no branches */
		w = (o & ob) | (w & ~ob);
	}
	s->rl[0] = w;
}

/*
 * This window's operations without a dependency, into s->rb: from the run at
 * the head of the merge, all those in the window (read in order), then the
 * next run, while the head is in the window.  They are then sorted
 * (sort_window): the merge's tree is replayed once per run and window rather
 * than once per operation.
 */
static int roots_gather(podfab_sim_t s)
{
	double rt;
	s->nrb = 0;
	s->rb_runs = 0;
	while (root_time(s, &rt) && win_of(s, rt) <= s->cw) {
		uint32_t w = s->rl[0];
		const struct sim_rhead *h = &s->rh[w];
		uint64_t p = h->pos, end = h->end;
		do {
			if (pf_unlikely(s->nrb == s->cap_rb) && ev_grow(&s->rb, &s->cap_rb, 1024))
				return pf_err(PODFAB_ENOMEM, "%u operations in one window", s->nrb);
			s->rb[s->nrb++] = (struct sim_ev){s->root_t[p], s->roots[p], 0};
			p++;
		} while (p < end && win_of(s, s->root_t[p]) <= s->cw);
		root_seat(s, w, p);
		s->rb_runs++;
	}
	return 0;
}

/* Runs of roots in time order: more than SIM_MAX_RUNS are sorted into one first. */
#define SIM_MAX_RUNS 65536
static int roots_merge_init(podfab_sim_t s)
{
	if (s->nruns + 1 > SIM_MAX_RUNS) {
		int rc = pf_sim_roots(s);
		if (rc)
			return rc;
	}
	uint64_t n = s->nroots, runs = n ? 1 : 0;
	for (uint64_t i = 1; i < n; i++)
		runs += s->root_t[i] < s->root_t[i - 1];
	s->rh = malloc((runs + 1) * sizeof *s->rh);
	s->rl = malloc((2 * runs + 1) * sizeof *s->rl);
	if (!s->rh || !s->rl)
		return pf_err(PODFAB_ENOMEM, "%llu runs of operations", (unsigned long long)runs);
	for (uint64_t i = 0; i < n;) {
		uint64_t j = i + 1;
		while (j < n && s->root_t[j] >= s->root_t[j - 1])
			j++;
		s->rh[s->nrh++] = (struct sim_rhead){s->root_t[i], s->roots[i], i, j};
		i = j;
	}
	/* The matches from the leaves up: win[] (after the losers) holds each match's winner. */
	uint32_t k = s->nrh, *win = s->rl + k;
	s->nruns_m = k;
	s->rl[0] = 0;
	for (uint32_t node = k; node-- > 1;) {
		uint32_t a = 2 * node >= k ? 2 * node - k : win[2 * node];
		uint32_t b = 2 * node + 1 >= k ? 2 * node + 1 - k : win[2 * node + 1];
		int ab = rh_before(&s->rh[a], &s->rh[b]) || (!rh_before(&s->rh[b], &s->rh[a]) && a < b);
		win[node] = ab ? a : b;
		s->rl[node] = ab ? b : a;
	}
	if (k > 1)
		s->rl[0] = win[1];
	return 0;
}

static inline uint32_t key_before(const struct sim_ev *a, const struct sim_ev *b, int ids)
{
	uint32_t tie = ids ? a->seq < b->seq : (uint32_t)((int32_t)(a->seq - b->seq) < 0);
	return (uint32_t)(a->t < b->t) | ((uint32_t)(a->t == b->t) & tie);
}

static int cmp_key_ids(const void *a, const void *b)
{
	return key_before(a, b, 1) ? -1 : key_before(b, a, 1) ? 1 : 0;
}

static int cmp_key_seq(const void *a, const void *b)
{
	return key_before(a, b, 0) ? -1 : key_before(b, a, 0) ? 1 : 0;
}

/*
 * Keys e[0..n) (of window s->cw) in (time, seq) order into *buf (grown as
 * needed; *cap its room): seq is an event's sequence number, which wraps, or
 * with ids set an operation's id.  A counting sort on the times' places in
 * the window, then, within each place, a sort of the many (operations all
 * issued at one time, say) and an insertion sort of the few.  NULL when
 * memory ran out.
 */
static const struct sim_ev *sort_window(podfab_sim_t s, struct sim_ev **buf, uint32_t *cap, const struct sim_ev *e,
					uint32_t n, int ids)
{
	uint32_t nb = 1;
	while (nb < n && nb < (1u << 20))
		nb <<= 1;
	if (n > *cap) {
		struct sim_ev *v = realloc(*buf, (size_t)n * sizeof *v);
		if (!v) {
			pf_err(PODFAB_ENOMEM, "sorting %u events", n);
			return NULL;
		}
		*buf = v;
		*cap = n;
	}
	if (nb + 1 > s->cap_cnt) {
		uint32_t *c = realloc(s->evcnt, ((size_t)nb + 1) * sizeof *c);
		if (!c) {
			pf_err(PODFAB_ENOMEM, "sorting %u events", n);
			return NULL;
		}
		s->evcnt = c;
		s->cap_cnt = nb + 1;
	}
	struct sim_ev *v = *buf;
	uint32_t *cnt = s->evcnt;
	if (n <= 8) {
		memcpy(v, e, n * sizeof *v);
	} else {
		double t0 = (double)s->cw * s->width, scale = (double)nb * s->inv_width;
		memset(cnt, 0, (nb + 1) * sizeof *cnt);
		for (uint32_t i = 0; i < n; i++)
			cnt[sub_of(e[i].t, t0, scale, nb) + 1]++;
		for (uint32_t k = 0; k < nb; k++)
			cnt[k + 1] += cnt[k];
		for (uint32_t i = 0; i < n; i++)
			v[cnt[sub_of(e[i].t, t0, scale, nb)]++] = e[i];
		if (n > SIM_SORT_SMALL) /* cnt[k] is now where place k ends */
			for (uint32_t k = 0, lo = 0; k < nb; lo = cnt[k++]) {
				if (cnt[k] - lo <= SIM_SORT_SMALL)
					continue;
				uint32_t i = lo + 1;
				while (i < cnt[k] && !key_before(&v[i], &v[i - 1], ids))
					i++;
				if (i < cnt[k]) /* not in order already (as one run of operations is) */
					qsort(v + lo, cnt[k] - lo, sizeof *v, ids ? cmp_key_ids : cmp_key_seq);
			}
	}
	for (uint32_t i = 1; i < n; i++) {
		if (pf_likely(!key_before(&v[i], &v[i - 1], ids)))
			continue;
		struct sim_ev x = v[i];
		uint32_t j = i;
		do {
			v[j] = v[j - 1];
			j--;
		} while (j > 0 && key_before(&x, &v[j - 1], ids));
		v[j] = x;
	}
	return v;
}

/*
 * Run window s->cw: the accelerators' events in it, then its messages link
 * by link.  The events come in (time, sequence) order from three places:
 * the operations without a dependency (first at a tie of time), the
 * window's list in the calendar, sorted, and the heap (events made for this
 * window while it runs, or that were further ahead than the calendar).
 */
static int run_window(podfab_sim_t s)
{
	struct sim_evq *q = &s->evq[s->cw & (SIM_EVRING - 1)];
	const struct sim_ev *e = NULL;
	uint32_t ne = q->n, i = 0;
	if (ne) {
		if (!(e = sort_window(s, &s->evs, &s->cap_evs, q->e, ne, 0)))
			return -PODFAB_ENOMEM;
		s->nevq -= ne;
		q->n = 0; /* nothing is added to this window's list while it runs */
	}
	const struct sim_ev *rv = NULL;
	uint32_t nr, ir = 0;
	int rc = roots_gather(s);
	if (rc)
		return rc;
	if ((nr = s->nrb) && s->rb_runs == 1)
		rv = s->rb; /* from one run: in order already */
	else if (nr && !(rv = sort_window(s, &s->rbs, &s->cap_rbs, s->rb, nr, 1)))
		return -PODFAB_ENOMEM;
	for (;;) {
		const struct sim_ev *x = i < ne ? &e[i] : NULL, *h = s->heap + HEAP_OFF;
		int from_heap = s->nheap && (!x || ev_before(h, x));
		if (from_heap)
			x = h;
		int root = ir < nr && (!x || rv[ir].t <= x->t);
		double t = root ? rv[ir].t : x ? x->t : INFINITY;
		if (!(t < INFINITY) || win_of(s, t) > s->cw)
			break;
		if (root) {
			if (ir + 8 < nr)
				pf_sim_prefetch_op(s, rv[ir + 8].seq);
			rc = make_ready(s, rv[ir++].seq, t);
		} else {
			uint32_t ki = x->ki;
			if (from_heap)
				heap_pop(s);
			else
				i++;
			rc = (ki & EV_KIND) == EV_DONE ? op_done(s, ki & EV_INDEX, t) : make_ready(s, ki & EV_INDEX, t);
		}
		if (rc)
			return rc;
	}
	struct sim_bucket *b = &s->ring[s->cw & (SIM_RING - 1)];
	while (b->n) {
		s->cur = *b;
		s->ring_n -= b->n;
		b->head = b->tail = NULL;
		b->n = 0;
		rc = run_bucket(s);
		bucket_release(s, &s->cur);
		if (rc)
			return rc;
	}
	return 0;
}

/* The next window with anything to run after s->cw (s->cw itself at the start), or 0 when none is left. */
static int next_window(podfab_sim_t s, int first)
{
	uint64_t na = UINT64_MAX;
	double rt;
	if (root_time(s, &rt))
		na = win_of(s, rt);
	if (s->nheap) {
		uint64_t w = win_of(s, s->heap[HEAP_OFF].t);
		na = w < na ? w : na;
	}
	if (s->novf) {
		uint64_t w = win_of(s, s->ovf[0].t);
		na = w < na ? w : na;
	}
	uint64_t w = first ? s->cw : s->cw + 1;
	if (!s->ring_n && !s->nevq) {
		if (na == UINT64_MAX)
			return 0;
		if (na > w)
			w = na;
	} else {
		while (w < na && !s->ring[w & (SIM_RING - 1)].n && !s->evq[w & (SIM_EVRING - 1)].n)
			w++;
	}
	s->cw = w;
	while (s->novf && win_of(s, s->ovf[0].t) - w < SIM_RING) {
		struct sim_msg g = s->ovf[0];
		ovf_pop(s);
		int far = 0;
		struct sim_msg *d = slot(s, g.t, &far);
		if (!d)
			return pf_err(PODFAB_ENOMEM, "messages in flight");
		*d = g;
	}
	return 1;
}

static int cmp_trace(const void *a, const void *b)
{
	const podfab_sim_hop_trace_t *x = a, *y = b;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->op != y->op)
		return x->op < y->op ? -1 : 1;
	if (x->request != y->request)
		return x->request < y->request ? -1 : 1;
	if (x->response != y->response)
		return x->response < y->response ? -1 : 1;
	return (x->end_ns > y->end_ns) - (x->end_ns < y->end_ns);
}

/*
 * Sort the roots by (time, id): a stable radix sort on the times' bits (a
 * time >= 0 orders as its IEEE bits do), a byte at a time from the lowest,
 * skipping the bytes all times share; ids come in ascending order, so ties
 * keep it.
 */
static int sort_roots(podfab_sim_t s)
{
	uint64_t n = s->nroots;
	uint64_t *key = big_alloc((n + 1) * sizeof *key), *key2 = big_alloc((n + 1) * sizeof *key2);
	uint32_t *id2 = big_alloc((n + 1) * sizeof *id2);
	uint64_t(*cnt)[256] = calloc(8, sizeof *cnt);
	if (!key || !key2 || !id2 || !cnt) {
		big_free(key);
		big_free(key2);
		big_free(id2);
		free(cnt);
		return pf_err(PODFAB_ENOMEM, "sorting %llu operations", (unsigned long long)n);
	}
	uint32_t *id = s->roots;
	for (uint64_t i = 0; i < n; i++) {
		double t = s->root_t[i] + 0.0; /* -0 is 0 */
		uint64_t u;
		memcpy(&u, &t, sizeof u);
		key[i] = u;
		for (int b = 0; b < 8; b++)
			cnt[b][(u >> (8 * b)) & 0xff]++;
	}
	for (int b = 0; b < 8; b++) {
		uint64_t pos = 0, *c = cnt[b];
		if (c[(key[0] >> (8 * b)) & 0xff] == n)
			continue; /* every time has this byte */
		for (int v = 0; v < 256; v++) {
			uint64_t k = c[v];
			c[v] = pos;
			pos += k;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t d = c[(key[i] >> (8 * b)) & 0xff]++;
			key2[d] = key[i];
			id2[d] = id[i];
		}
		uint64_t *tk = key;
		key = key2;
		key2 = tk;
		uint32_t *ti = id;
		id = id2;
		id2 = ti;
	}
	if (id != s->roots) {
		memcpy(s->roots, id, n * sizeof *id);
		id2 = id;
	}
	for (uint64_t i = 0; i < n; i++)
		memcpy(&s->root_t[i], &key[i], sizeof key[i]);
	big_free(key);
	big_free(key2);
	big_free(id2);
	free(cnt);
	return 0;
}

int pf_sim_roots(podfab_sim_t s)
{
	if (s->roots_unsorted) {
		int rc = sort_roots(s);
		if (rc)
			return rc;
		s->roots_unsorted = 0;
	}
	return 0;
}

PODFAB_EXPORT int podfab_sim_run(podfab_sim_t s, void (*progress)(void *, double), void *arg)
{
	if (!s)
		return pf_err(PODFAB_ENULL, "the simulator is NULL");
	if (s->ran)
		return pf_err(PODFAB_EBUSY, "the simulation has already run");
	s->ran = 1;
	uint64_t n = s->nops, total = s->total_req;
	s->children = s->nafter ? big_alloc((n + 1) * sizeof *s->children) : NULL;
	if (s->nafter && !s->children)
		return pf_err(PODFAB_ENOMEM, "%llu operations", (unsigned long long)n);
	/* Children lists (CSR; counted by podfab_sim_add): place, fill. */
	if (s->nafter) {
		uint32_t pos = 0;
		for (uint64_t i = 0; i < n; i++) {
			s->ops[i].first_child = pos;
			pos += s->ops[i].nchild;
			s->ops[i].nchild = 0;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t a = s->ops[i].in.after;
			if (a != PODFAB_SIM_NONE)
				s->children[s->ops[a].first_child + s->ops[a].nchild++] = (uint32_t)i;
		}
	}
	/*
	 * The operations waiting for a window slot: each waits at most once, at
	 * its source, so each source's queue is a part of one array as long as
	 * the operations it issues, read and written in order (no ring, no growth).
	 */
	s->wq = big_alloc((n + 1) * sizeof *s->wq);
	if (!s->wq)
		return pf_err(PODFAB_ENOMEM, "%llu operations", (unsigned long long)n);
	for (uint32_t a = 0, pos = 0; a < s->topo->naccels; a++) {
		s->src[a].wq = s->wq + pos;
		pos += s->src[a].nops;
	}
	int rc;
	if (s->cfg.mode == PODFAB_SIM_MODE_FLOW) {
		if (!(rc = pf_sim_roots(s)))
			rc = pf_sim_run_flow(s, progress, arg);
	} else {
		if ((rc = roots_merge_init(s)))
			return rc;
		size_t nd = 2 * (size_t)s->topo->nlinks + 1;
		s->gl = calloc(nd, sizeof *s->gl);
		s->glink = malloc(nd * sizeof *s->glink);
		if (!s->gl || !s->glink)
			return pf_err(PODFAB_ENOMEM, "simulator state for %u links", s->topo->nlinks);
		s->route_pf = pf_routes_prefetchable(s->topo);
		s->big = 2 * (uint64_t)s->topo->nlinks > SIM_SMALL_DLINKS;
		s->far = pf_routes_far(s->topo);
		s->width = lookahead(s);
		s->inv_width = 1.0 / s->width;
		s->cw = 0;
		uint64_t flushed = 0, shown = 0;
		for (int first = 1; (rc = next_window(s, first)) > 0; first = 0) {
			if ((rc = run_window(s)))
				break;
			if (pf_unlikely(s->hops - flushed >= (1u << 20))) {
				pf_tm_flush(&s->tm); /* the local counters stay far from overflowing */
				flushed = s->hops;
			}
			if (progress && s->hops - shown >= (1u << 16)) {
				progress(arg, total ? (double)s->reqs_done / (double)total : 1.0);
				shown = s->hops;
			}
		}
		pf_tm_flush(&s->tm);
	}
	if (rc < 0)
		return rc;
	if (s->ntrace)
		qsort(s->trace, s->ntrace, sizeof *s->trace, cmp_trace);
	if (progress)
		progress(arg, 1.0);
	return 0;
}

/* ---- results ---------------------------------------------------------- */

/* An operation's latency: issue to completion, or 0 when it did not complete (a run that failed). */
static inline double op_lat(const struct sim_op *o)
{
	return o->left == 0 && o->complete >= o->ready ? o->complete - o->ready : 0.0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * Put v[lo..hi) in an order where v[k] is the value it would hold sorted,
 * with nothing greater before it and nothing smaller after it: quickselect
 * by Hoare's partition around a median of three, sorting instead when the
 * partitions stop shrinking fast (O(n) expected, O(n log n) at worst).
 */
static void select_nth(double *v, uint64_t lo, uint64_t hi, uint64_t k)
{
	for (int budget = 2 * 64; hi - lo > 16; budget--) {
		if (budget == 0)
			break;
		uint64_t mid = lo + (hi - lo) / 2;
		double a = v[lo], b = v[mid], c = v[hi - 1];
		double p = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
		uint64_t i = lo, j = hi - 1;
		for (;;) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i >= j)
				break;
			double x = v[i];
			v[i++] = v[j];
			v[j--] = x;
		}
		/* v[lo..j] <= p <= v[j+1..hi) */
		if (j + 1 <= lo || j + 1 >= hi)
			break;
		if (k <= j)
			hi = j + 1;
		else
			lo = j + 1;
	}
	qsort(v + lo, hi - lo, sizeof *v, cmp_d);
}

static uint64_t pct_index(uint64_t n, double q)
{
	uint64_t i = (uint64_t)ceil(q * (double)n);
	if (i > 0)
		i--;
	return i < n ? i : n - 1;
}

/* The summary, computed at the first call after the run (percentiles by selection, not a sort). */
static int result_compute(podfab_sim_t s)
{
	podfab_sim_result_t *r = &s->res;
	memset(r, 0, sizeof *r);
	r->end_ns = s->end;
	r->ops = s->nops;
	r->requests = s->requests;
	r->hops = s->hops;
	r->bytes = s->bytes;
	r->bandwidth_gbs = s->end > 0 ? (double)s->bytes / s->end : 0.0;
	uint64_t n = s->nops;
	if (n) {
		double *v = big_alloc(n * sizeof *v), sum = 0, max = op_lat(&s->ops[0]);
		if (!v)
			return pf_err(PODFAB_ENOMEM, "latency percentiles of %llu operations", (unsigned long long)n);
		for (uint64_t i = 0; i < n; i++) {
			double x = op_lat(&s->ops[i]);
			v[i] = x;
			sum += x;
			max = x > max ? x : max;
		}
		r->lat_mean_ns = sum / (double)n;
		static const double q[3] = {0.50, 0.90, 0.99};
		double *out[3] = {&r->lat_p50_ns, &r->lat_p90_ns, &r->lat_p99_ns};
		uint64_t lo = 0;
		for (int i = 0; i < 3; i++) {
			uint64_t k = pct_index(n, q[i]);
			select_nth(v, lo, n, k); /* the earlier selections left v[lo..n) >= everything before */
			*out[i] = v[k];
			lo = k;
		}
		r->lat_max_ns = max;
		big_free(v);
	}
	s->have_res = 1;
	return 0;
}

PODFAB_EXPORT int podfab_sim_result(podfab_sim_t s, podfab_sim_result_t *r)
{
	if (!s || !r)
		return pf_err(PODFAB_ENULL, "%s is NULL", s ? "the result pointer" : "the simulator");
	if (!s->ran)
		return pf_err(PODFAB_EINVAL, "the simulation has not run (podfab_sim_run)");
	if (!s->have_res) {
		int rc = result_compute(s);
		if (rc)
			return rc;
	}
	*r = s->res;
	return 0;
}

PODFAB_EXPORT int podfab_sim_op_times(podfab_sim_t s, uint64_t id, double *issue_ns, double *complete_ns)
{
	if (!s)
		return pf_err(PODFAB_ENULL, "the simulator is NULL");
	if (!s->ran)
		return pf_err(PODFAB_EINVAL, "the simulation has not run (podfab_sim_run)");
	if (id >= s->nops)
		return pf_err(PODFAB_EINVAL, "operation %llu does not exist (%llu)", (unsigned long long)id,
			      (unsigned long long)s->nops);
	if (issue_ns)
		*issue_ns = s->ops[id].ready;
	if (complete_ns)
		*complete_ns = s->ops[id].complete;
	return 0;
}

PODFAB_EXPORT const double *podfab_sim_latencies(podfab_sim_t s, uint64_t *n)
{
	if (n)
		*n = 0;
	if (!s || !s->ran)
		return NULL;
	if (!s->lat) { /* made at the first call: the run itself keeps only the operations' times */
		if (!(s->lat = big_alloc((s->nops + 1) * sizeof *s->lat))) {
			pf_err(PODFAB_ENOMEM, "latencies of %llu operations", (unsigned long long)s->nops);
			return NULL;
		}
		for (uint64_t i = 0; i < s->nops; i++)
			s->lat[i] = op_lat(&s->ops[i]);
	}
	if (n)
		*n = s->nops;
	return s->lat;
}

PODFAB_EXPORT const podfab_sim_hop_trace_t *podfab_sim_trace(podfab_sim_t s, uint64_t *n)
{
	if (n)
		*n = s && s->ran ? s->ntrace : 0;
	return s && s->ran ? s->trace : NULL;
}

PODFAB_EXPORT int podfab_sim_link_stats(podfab_sim_t s, uint32_t dlink, podfab_link_stats_t *out)
{
	if (!s || !out)
		return pf_err(PODFAB_ENULL, "%s is NULL", s ? "out" : "the simulator");
	if (dlink >= 2 * s->topo->nlinks)
		return pf_err(PODFAB_EINVAL, "directed link %u does not exist (%u directed links)", dlink,
			      2 * s->topo->nlinks);
	pf_tm_link_read(&s->links[dlink], s->topo->links[dlink / 2].up, out);
	return 0;
}
