/*
 * sim.c - the offline simulator's core: operations, requests and responses as
 * events in time order across all flows, each hop timed by the engine
 * (pf_tm_hop) over private link state in one timeline.
 *
 * Events (a 4-ary min-heap on (time, sequence): ties go in order of creation,
 * so a run repeats byte for byte):
 *   READY  an operation may be issued (its time, or its dependency's
 *          completion + delay); it waits in its source's queue while the
 *          source has `window` operations in flight;
 *   HOP    a message's head is at the near end of its next link.
 * An issued operation sends all its requests at once (as live does); each
 * request's arrival at the destination sends its response (after the
 * destination's egress latency); the operation completes with its last
 * response, which releases its window slot and the operations that wait for it.
 * The event loop allocates nothing per event: messages come from a pool that
 * grows by doubling.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <podfab/sim.h>

#include "pf_internal.h"
#include "pf_model.h"
#include "pf_timing.h"
#include "sim_internal.h"

/* ---- setup ---------------------------------------------------------- */

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
	free(s->src);
	free(s->ops);
	free(s->children);
	free(s->roots);
	for (uint32_t i = 0; s->queue && i < s->nqueues; i++)
		free(s->queue[i].buf);
	free(s->queue);
	free(s->loose);
	free(s->ext);
	free(s->heap);
	free(s->lat);
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
		struct sim_op *n = realloc(s->ops, cap * sizeof *n);
		if (!n)
			return pf_err(PODFAB_ENOMEM, "%llu operations", (unsigned long long)cap);
		s->ops = n;
		s->cap_ops = cap;
	}
	struct sim_op *o = &s->ops[s->nops];
	memset(o, 0, sizeof *o);
	o->in = *op;
	uint64_t mr = s->tm.max_request[op->src];
	uint64_t nreq = (op->bytes + mr - 1) / mr;
	if (op->kind == PODFAB_SIM_ATOMIC)
		nreq = 1;
	o->nreq = (uint32_t)nreq;
	if (id)
		*id = s->nops;
	s->nops++;
	return 0;
}

/* ---- events -----------------------------------------------------------
 *
 * The heap holds operations that become ready, and the heads of queues of
 * messages.  A message waits in the queue of where it comes from: the
 * directed link it has just crossed (its next hop, or the response or next
 * operation its arrival starts), or its source accelerator for an
 * operation's first requests.  Each queue gets its messages in time order
 * nearly always (a link passes messages on in the order it took them), so
 * the heap merges a few thousand sorted queues instead of holding every
 * message in flight; a message that would go before its queue's tail (a
 * replay, a tail bound, a forwarding accelerator) goes into the heap by
 * itself.  Events leave in (time, sequence) order either way.
 */

static inline int ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t < b->t || (a->t == b->t && (int32_t)(a->seq - b->seq) < 0);
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

/*
 * Start loading what the next events need while this one is processed (with
 * a million messages in flight each one is a miss): the state of the link the
 * next event's message crosses (its message was loaded as a candidate last
 * time), and the messages of the root's children, the candidates for the
 * event after it.
 */
static inline void prefetch_next(podfab_sim_t s)
{
	const struct sim_ev *h = s->heap + HEAP_OFF;
	uint64_t n = s->nheap < 5 ? s->nheap : 5;
	if (n && (h[0].ki & EV_KIND) == EV_QUEUE) {
		const struct sim_queue *Q = &s->queue[h[0].ki & EV_INDEX];
		const struct sim_msg *m = &Q->buf[Q->head];
		if (m->hop < m->nh && m->nh <= SIM_INLINE_HOPS) {
			uint32_t d = m->dl[m->hop];
			__builtin_prefetch(&s->tm.dl[d]);
			__builtin_prefetch(&s->tm.lctr[d]);
			__builtin_prefetch(&s->queue[d]);
		}
	}
	for (uint64_t i = 1; i < n; i++)
		if ((h[i].ki & EV_KIND) == EV_QUEUE) {
			const struct sim_queue *Q = &s->queue[h[i].ki & EV_INDEX];
			__builtin_prefetch(&Q->buf[Q->head]);
		}
}

/* Put e in place of the root and restore the heap order. */
static void heap_sift(podfab_sim_t s, struct sim_ev e)
{
	struct sim_ev *h = s->heap + HEAP_OFF;
	uint64_t i = 0, n = s->nheap;
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

static void heap_pop(podfab_sim_t s)
{
	struct sim_ev last = s->heap[HEAP_OFF + --s->nheap];
	if (s->nheap)
		heap_sift(s, last);
}

static int ready_push(podfab_sim_t s, double t, uint32_t op)
{
	return heap_push(s, t, s->seq++, EV_READY | op);
}

_Static_assert(sizeof(struct sim_msg) == 64, "a message is one cache line");

static int queue_grow(struct sim_queue *Q)
{
	uint32_t cap = Q->buf ? 2 * (Q->mask + 1) : 16;
	if (cap > EV_INDEX)
		return pf_err(PODFAB_ETOOMANY, "more than %u messages queued at one link", EV_INDEX);
	struct sim_msg *n = aligned_alloc(64, (size_t)cap * sizeof *n);
	if (!n)
		return pf_err(PODFAB_ENOMEM, "a queue of %u messages", cap);
	for (uint32_t i = 0; i < Q->count; i++)
		n[i] = Q->buf[(Q->head + i) & Q->mask];
	free(Q->buf);
	Q->buf = n;
	Q->head = 0;
	Q->mask = cap - 1;
	return 0;
}

/* Message *g (its next event at g->t) waits in queue q. */
static int enqueue(podfab_sim_t s, const struct sim_msg *g, uint32_t q)
{
	struct sim_queue *Q = &s->queue[q];
	uint32_t seq = s->seq++;
	if (pf_likely(!Q->count || g->t >= Q->tail_t)) {
		if (pf_unlikely(!Q->buf || Q->count > Q->mask)) {
			int rc = queue_grow(Q);
			if (rc)
				return rc;
		}
		struct sim_msg *d = &Q->buf[(Q->head + Q->count) & Q->mask];
		*d = *g;
		d->seq = seq;
		Q->tail_t = g->t;
		if (Q->count++)
			return 0;
		return heap_push(s, g->t, seq, EV_QUEUE | q);
	}
	uint32_t l = s->free_loose;
	if (l != NONE32) {
		s->free_loose = s->loose[l].op;
	} else {
		if (s->nloose == s->cap_loose) {
			uint32_t cap = s->cap_loose ? 2 * s->cap_loose : 256;
			if (cap > EV_INDEX)
				return pf_err(PODFAB_ETOOMANY, "more than %u messages out of order", EV_INDEX);
			struct sim_msg *n = realloc(s->loose, (size_t)cap * sizeof *n);
			if (!n)
				return pf_err(PODFAB_ENOMEM, "%u messages out of order", cap);
			s->loose = n;
			s->cap_loose = cap;
		}
		l = s->nloose++;
	}
	s->loose[l] = *g;
	s->loose[l].seq = seq;
	return heap_push(s, g->t, seq, EV_MSG | l);
}

/* A slot of SIM_MAX_HOPS links for a long route. */
static int ext_get(podfab_sim_t s, uint32_t *slot)
{
	if (s->free_ext != NONE32) {
		*slot = s->free_ext;
		s->free_ext = s->ext[(size_t)*slot * SIM_MAX_HOPS];
		return 0;
	}
	if (s->next_ext == s->cap_ext) {
		uint32_t cap = s->cap_ext ? 2 * s->cap_ext : 256;
		if (cap > EV_INDEX)
			return pf_err(PODFAB_ETOOMANY, "more than %u long routes in flight", EV_INDEX);
		uint32_t *n = realloc(s->ext, (size_t)cap * SIM_MAX_HOPS * sizeof *n);
		if (!n)
			return pf_err(PODFAB_ENOMEM, "%u long routes in flight", cap);
		s->ext = n;
		s->cap_ext = cap;
	}
	*slot = s->next_ext++;
	return 0;
}

static inline uint32_t msg_dl(const podfab_sim_t s, const struct sim_msg *g, uint32_t i)
{
	return pf_likely(g->nh <= SIM_INLINE_HOPS) ? g->dl[i] : s->ext[(size_t)g->dl[0] * SIM_MAX_HOPS + i];
}

/* Start a message from a to b at time t (before a's egress latency); its first event goes to queue q. */
static int send(podfab_sim_t s, uint32_t op, uint32_t req, int resp, uint32_t a, uint32_t b, uint64_t payload,
		uint64_t flow, int traced, double t, uint32_t q)
{
	podfab_hop_t hops[SIM_MAX_HOPS];
	int nh = pf_routes_query(s->topo, a, b, flow, hops, SIM_MAX_HOPS);
	if (nh < 0)
		return nh;
	if (nh > SIM_MAX_HOPS)
		return pf_err(PODFAB_EMODEL, "route %u -> %u has %d hops, more than %d", a, b, nh, SIM_MAX_HOPS);
	struct sim_msg g;
	uint32_t *dl = g.dl;
	if (pf_unlikely(nh > SIM_INLINE_HOPS)) {
		uint32_t slot = 0;
		int rc = ext_get(s, &slot);
		if (rc)
			return rc;
		g.dl[0] = slot;
		dl = s->ext + (size_t)slot * SIM_MAX_HOPS;
	}
	g.op = op;
	g.req = req;
	g.resp = (uint8_t)resp;
	g.hop = 0;
	g.nh = (uint8_t)nh;
	g.traced = (uint8_t)traced;
	g.payload = (uint32_t)payload;
	for (int i = 0; i < nh; i++)
		dl[i] = hops[i].dlink;
	g.t = g.tail = t + s->tm.egress[a];
	return enqueue(s, &g, q);
}

/* Issue operation id at t; its requests' first events go to queue q. */
static int issue(podfab_sim_t s, uint32_t id, double t, uint32_t q)
{
	struct sim_op *o = &s->ops[id];
	uint64_t mr = s->tm.max_request[o->in.src];
	s->src[o->in.src].inflight++;
	o->ready = t; /* issued now: latency counts from here, not from the wait for a window slot */
	o->left = o->nreq;
	for (uint32_t r = 0; r < o->nreq; r++) {
		uint64_t chunk = o->in.bytes - (uint64_t)r * mr < mr ? o->in.bytes - (uint64_t)r * mr : mr;
		uint64_t payload = o->in.kind == PODFAB_SIM_READ ? 0 : chunk;
		int traced = s->cfg.trace_every && (s->req_counter % s->cfg.trace_every) == 0;
		s->req_counter++;
		uint64_t flow = ((uint64_t)id << 20) + (uint64_t)r * mr;
		int rc = send(s, id, r, 0, o->in.src, o->in.dst, payload, flow, traced, t, q);
		if (rc)
			return rc;
	}
	s->requests += o->nreq;
	return 0;
}

/* Operation id may go: issue it, or queue it behind its source's window. */
static int make_ready(podfab_sim_t s, uint32_t id, double t)
{
	struct sim_op *o = &s->ops[id];
	struct sim_src *q = &s->src[o->in.src];
	o->ready = t;
	if (!s->cfg.window || q->inflight < s->cfg.window)
		return issue(s, id, t, 2 * s->topo->nlinks + o->in.src);
	o->next_wait = NONE32;
	if (q->head == NONE32)
		q->head = id;
	else
		s->ops[q->tail].next_wait = id;
	q->tail = id;
	return 0;
}

/* Operation id completed at t (its last response came from queue from). */
static int op_done(podfab_sim_t s, uint32_t id, double t, uint32_t from)
{
	struct sim_op *o = &s->ops[id];
	o->complete = t;
	if (t > s->end)
		s->end = t;
	s->lat[id] = t - o->ready;
	struct sim_src *q = &s->src[o->in.src];
	q->inflight--;
	for (uint32_t c = 0; c < o->nchild; c++) {
		uint32_t ch = s->children[o->first_child + c];
		double at = t + s->ops[ch].in.delay;
		if (s->ops[ch].in.t > at)
			at = s->ops[ch].in.t;
		int rc = ready_push(s, at, ch);
		if (rc)
			return rc;
	}
	if (q->head != NONE32 && (!s->cfg.window || q->inflight < s->cfg.window)) {
		uint32_t next = q->head;
		q->head = s->ops[next].next_wait;
		if (q->head == NONE32)
			q->tail = NONE32;
		return issue(s, next, t, from);
	}
	return 0;
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
	h->response = g->resp;
	h->dlink = dl;
	h->start_ns = start;
	h->end_ns = end;
	return 0;
}

/* Message *g's event at t: its head is at the near end of its next link, or it has arrived. */
static int on_hop(podfab_sim_t s, struct sim_msg *g, double t)
{
	int rc;
	uint32_t q;
	if (g->hop < g->nh) {
		double start, tail = g->tail;
		uint32_t dl = msg_dl(s, g, g->hop);
		double next = pf_tm_hop(&s->tm, dl, g->resp, g->payload, t, &tail, &start);
		g->tail = tail;
		g->hop++;
		s->hops++;
		if (g->traced && (rc = trace_add(s, g, dl, start, next)))
			return rc;
		if (g->hop < g->nh) {
			g->t = next;
			return enqueue(s, g, dl);
		}
		t = next; /* arrived (the last element is an accelerator: store-and-forward) */
		q = dl;   /* what the arrival starts comes after what came before it on dl */
	} else {
		q = 2 * s->topo->nlinks + s->ops[g->op].in.dst; /* no hops: source = destination */
	}
	/* The message is at its destination. */
	if (pf_unlikely(g->nh > SIM_INLINE_HOPS)) {
		s->ext[(size_t)g->dl[0] * SIM_MAX_HOPS] = s->free_ext;
		s->free_ext = g->dl[0];
	}
	uint32_t op = g->op, req = g->req;
	struct sim_op *o = &s->ops[op];
	if (!g->resp) {
		uint64_t mr = s->tm.max_request[o->in.src];
		uint64_t chunk = o->in.bytes - (uint64_t)req * mr < mr ? o->in.bytes - (uint64_t)req * mr : mr;
		uint64_t payload = o->in.kind == PODFAB_SIM_WRITE ? 0 : chunk;
		uint64_t flow = ((uint64_t)op << 20) + (uint64_t)req * mr;
		return send(s, op, req, 1, o->in.dst, o->in.src, payload, flow, g->traced, t, q);
	}
	s->reqs_done++;
	if (--o->left == 0)
		return op_done(s, op, t, q);
	return 0;
}

struct root_key {
	double t;
	uint32_t id;
};

static int cmp_root(const void *a, const void *b)
{
	const struct root_key *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t ? 1 : (x->id > y->id) - (x->id < y->id);
}

PODFAB_EXPORT int podfab_sim_run(podfab_sim_t s, void (*progress)(void *, double), void *arg)
{
	if (!s)
		return pf_err(PODFAB_ENULL, "the simulator is NULL");
	if (s->ran)
		return pf_err(PODFAB_EBUSY, "the simulation has already run");
	s->ran = 1;
	uint64_t n = s->nops, total = 0;
	s->lat = calloc(n + 1, sizeof *s->lat);
	s->children = calloc(n + 1, sizeof *s->children);
	if (!s->lat || !s->children)
		return pf_err(PODFAB_ENOMEM, "%llu operations", (unsigned long long)n);
	/* Children lists (CSR): count, place, fill. */
	for (uint64_t i = 0; i < n; i++) {
		if (s->ops[i].in.after != PODFAB_SIM_NONE)
			s->ops[s->ops[i].in.after].nchild++;
		total += s->ops[i].nreq;
		s->bytes += s->ops[i].in.bytes;
	}
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
	for (uint32_t a = 0; a < s->topo->naccels; a++)
		s->src[a].head = s->src[a].tail = NONE32;
	s->free_loose = s->free_ext = NONE32;
	s->nqueues = 2 * s->topo->nlinks + s->topo->naccels;
	s->queue = calloc((size_t)s->nqueues + 1, sizeof *s->queue);
	if (!s->queue)
		return pf_err(PODFAB_ENOMEM, "queues of %u links", s->topo->nlinks);
	if (s->cfg.mode == PODFAB_SIM_MODE_FLOW)
		return pf_sim_run_flow(s, progress, arg);
	/*
	 * Operations without a dependency enter from a list sorted by (time, id)
	 * instead of the event queue, which then holds only what is in flight.
	 * They go before events of the same time (they were created first).
	 */
	s->roots = malloc((n + 1) * sizeof *s->roots);
	if (!s->roots)
		return pf_err(PODFAB_ENOMEM, "%llu operations", (unsigned long long)n);
	int sorted = 1;
	for (uint64_t i = 0; i < n; i++) {
		if (s->ops[i].in.after != PODFAB_SIM_NONE)
			continue;
		if (s->nroots && s->ops[s->roots[s->nroots - 1]].in.t > s->ops[i].in.t)
			sorted = 0;
		s->roots[s->nroots++] = (uint32_t)i;
	}
	if (!sorted) {
		struct root_key *k = malloc((s->nroots + 1) * sizeof *k);
		if (!k)
			return pf_err(PODFAB_ENOMEM, "sorting %llu operations", (unsigned long long)s->nroots);
		for (uint64_t i = 0; i < s->nroots; i++) {
			k[i].t = s->ops[s->roots[i]].in.t;
			k[i].id = s->roots[i];
		}
		qsort(k, s->nroots, sizeof *k, cmp_root);
		for (uint64_t i = 0; i < s->nroots; i++)
			s->roots[i] = k[i].id;
		free(k);
	}
	uint64_t tick = 0;
	while (s->nheap || s->next_root < s->nroots) {
		int rc;
		if (s->next_root < s->nroots &&
		    (!s->nheap || s->ops[s->roots[s->next_root]].in.t <= s->heap[HEAP_OFF].t)) {
			uint32_t id = s->roots[s->next_root++];
			rc = make_ready(s, id, s->ops[id].in.t);
		} else {
			struct sim_ev e = s->heap[HEAP_OFF];
			uint32_t idx = e.ki & EV_INDEX;
			struct sim_msg g;
			if ((e.ki & EV_KIND) == EV_QUEUE) {
				struct sim_queue *Q = &s->queue[idx];
				g = Q->buf[Q->head];
				Q->head = (Q->head + 1) & Q->mask;
				if (--Q->count) {
					const struct sim_msg *nx = &Q->buf[Q->head];
					heap_sift(s, (struct sim_ev){nx->t, nx->seq, e.ki});
				} else {
					heap_pop(s);
				}
			} else {
				heap_pop(s);
				if ((e.ki & EV_KIND) == EV_READY) {
					rc = make_ready(s, idx, e.t);
					goto next;
				}
				g = s->loose[idx];
				s->loose[idx].op = s->free_loose;
				s->free_loose = idx;
			}
			prefetch_next(s);
			rc = on_hop(s, &g, e.t);
		}
	next:
		if (rc < 0)
			return rc;
		if (pf_unlikely(++tick % 65536 == 0)) {
			if (progress)
				progress(arg, total ? (double)s->reqs_done / (double)total : 1.0);
			if (tick % (1u << 20) == 0)
				pf_tm_flush(&s->tm); /* the local counters stay far from overflowing */
		}
	}
	pf_tm_flush(&s->tm);
	if (progress)
		progress(arg, 1.0);
	return 0;
}

/* ---- results ---------------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *v, uint64_t n, double q)
{
	if (!n)
		return 0.0;
	uint64_t i = (uint64_t)ceil(q * (double)n);
	if (i > 0)
		i--;
	return v[i < n ? i : n - 1];
}

PODFAB_EXPORT int podfab_sim_result(podfab_sim_t s, podfab_sim_result_t *r)
{
	if (!s || !r)
		return pf_err(PODFAB_ENULL, "%s is NULL", s ? "the result pointer" : "the simulator");
	if (!s->ran)
		return pf_err(PODFAB_EINVAL, "the simulation has not run (podfab_sim_run)");
	memset(r, 0, sizeof *r);
	r->end_ns = s->end;
	r->ops = s->nops;
	r->requests = s->requests;
	r->hops = s->hops;
	r->bytes = s->bytes;
	r->bandwidth_gbs = s->end > 0 ? (double)s->bytes / s->end : 0.0;
	if (s->nops) {
		double *v = malloc(s->nops * sizeof *v), sum = 0;
		if (!v)
			return pf_err(PODFAB_ENOMEM, "latency percentiles");
		memcpy(v, s->lat, s->nops * sizeof *v);
		qsort(v, s->nops, sizeof *v, cmp_d);
		for (uint64_t i = 0; i < s->nops; i++)
			sum += v[i];
		r->lat_mean_ns = sum / (double)s->nops;
		r->lat_p50_ns = pct(v, s->nops, 0.50);
		r->lat_p90_ns = pct(v, s->nops, 0.90);
		r->lat_p99_ns = pct(v, s->nops, 0.99);
		r->lat_max_ns = v[s->nops - 1];
		free(v);
	}
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
		*n = s && s->ran ? s->nops : 0;
	return s && s->ran ? s->lat : NULL;
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
