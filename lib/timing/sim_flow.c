/*
 * sim_flow.c - podfab-sim's flow-level mode: every operation is a flow that
 * shares link bandwidth max-min fairly with the flows active with it.
 *
 * An operation is cut into requests as in the request-level mode (sim.c):
 * nreq = ceil(bytes / max_request), request r on route flow id
 * (op << 20) + r * max_request, its response on the reverse route of the same
 * id.  The requests of one operation that take the same pair of routes form a
 * sub-flow.  A sub-flow of P payload bytes moving at x payload bytes per ns
 * loads each directed link l of its routes with c_l x wire bytes per ns, where
 * c_l is the wire bytes its requests (forward links) or responses (reverse
 * links) put on l, per payload byte: so a write's header-only responses and a
 * read's header-only requests take their small share, and a read's data loads
 * the links back to the source.  With expected replays (bit errors) c_l grows
 * by the expected number of transmissions, 1 / P(no replay) per message.
 *
 * Rates are max-min fair with equal weights per sub-flow (progressive filling:
 * the level of every unfrozen sub-flow rises together until a link is full,
 * whose sub-flows then freeze) subject to sum_f c_{f,l} x_f <= R_l on every
 * directed link.  They are computed again only when the set of active
 * sub-flows changes, once for all events of one time.
 *
 * A sub-flow alone drains in max_l (W_l / R_l), W_l its wire bytes on l.  The
 * operation completes when its last sub-flow has drained plus that sub-flow's
 * tail: the zero-load latency of its last request and response less that
 * request's serialisation on the sub-flow's bottleneck link.  So one operation
 * on an idle fabric takes (N-1) w/R + the zero-load latency of one request and
 * response, the request-level mode's closed form, store-and-forward and
 * cut-through alike.
 *
 * The links' counters get what the requests and responses would have put on
 * them (messages, payload, flits, wire bytes, time serialising, expected
 * replays); queue_ns stays 0: there are no queues of messages in this mode.
 *
 * Everything is in a fixed order (operations by (time, id), sub-flows in order
 * of issue, swapped out on completion), so a run repeats exactly.  Memory grows
 * by doubling; the entries of drained sub-flows are compacted away.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pf_internal.h"
#include "pf_model.h"
#include "sim_internal.h"

/* One link a sub-flow loads: c wire bytes on directed link dl per payload byte. */
struct fl_ent {
	uint32_t dl;
	double c;
};

struct fl_sf {
	double rem;   /* payload bytes left */
	double size;  /* payload bytes */
	double x;     /* rate, payload bytes per ns (INFINITY: no link of finite rate) */
	double tail;  /* ns from its draining to its operation's completion */
	uint32_t op, ent, nent;
	uint32_t frozen; /* its rate is set (progressive filling); x may be INFINITY on links of no rate */
};

/* A timed event: an operation ready (READY) or complete (DONE). */
struct fl_ev {
	double t;
	uint64_t seq;
	uint32_t op, done;
};

/* A link in the filling heap: its level key, and the generation it was pushed at. */
struct fl_lk {
	double key;
	uint32_t dl, gen;
};

/* One group of an operation's requests with the same routes (while it is issued). */
struct fl_grp {
	uint64_t hash;
	uint32_t nf, nr, off;  /* forward and reverse hops at route[off..] */
	uint32_t nfull, npart; /* requests of max_request bytes, and the shorter last one (0 or 1) */
	uint32_t last;         /* its last request */
};

struct fl_ctr {
	uint64_t messages, bytes, flits, busy_ps, wire_bytes;
	double replays;
};

struct flow {
	podfab_sim_t s;
	uint32_t ndl;
	double *rate; /* [ndl] bytes per ns, INFINITY for a link of rate 0 (the engine does not time it) */
	struct fl_ctr *ctr;
	/* active sub-flows and their entries */
	struct fl_sf *sf;
	uint64_t nsf, cap_sf;
	struct fl_ent *ent, *spare;
	uint64_t nent, cap_ent, live_ent, cap_spare;
	/* events */
	struct fl_ev *heap;
	uint64_t nheap, cap_heap, seq;
	/* filling scratch, per directed link */
	double *used, *sum;
	uint32_t *cnt, *gen, *start, *touched;
	uint32_t ntouched;
	uint32_t *adj;
	uint64_t cap_adj;
	struct fl_lk *lh;
	uint64_t nlh, cap_lh;
	/* issuing scratch */
	struct fl_grp *grp;
	uint32_t ngrp, cap_grp;
	uint32_t *route;
	uint64_t nroute, cap_route;
	double bytes_done, bytes_total;
};

static int grow(void **p, uint64_t *cap, uint64_t need, size_t size, const char *what)
{
	if (need <= *cap)
		return 0;
	uint64_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *n = realloc(*p, c * size);
	if (!n)
		return pf_err(PODFAB_ENOMEM, "flow-level mode: %llu %s", (unsigned long long)c, what);
	*p = n;
	*cap = c;
	return 0;
}

/* ---- events (a binary heap on (time, sequence)) ----------------------- */

static inline int ev_lt(const struct fl_ev *a, const struct fl_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int ev_push(struct flow *f, double t, uint32_t op, uint32_t done)
{
	int rc = grow((void **)&f->heap, &f->cap_heap, f->nheap + 1, sizeof *f->heap, "events");
	if (rc)
		return rc;
	struct fl_ev e = {t, f->seq++, op, done};
	uint64_t i = f->nheap++;
	while (i > 0 && ev_lt(&e, &f->heap[(i - 1) / 2])) {
		f->heap[i] = f->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	f->heap[i] = e;
	return 0;
}

static struct fl_ev ev_pop(struct flow *f)
{
	struct fl_ev top = f->heap[0], last = f->heap[--f->nheap];
	uint64_t i = 0, n = f->nheap;
	for (;;) {
		uint64_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && ev_lt(&f->heap[c + 1], &f->heap[c]))
			c++;
		if (!ev_lt(&f->heap[c], &last))
			break;
		f->heap[i] = f->heap[c];
		i = c;
	}
	if (n)
		f->heap[i] = last;
	return top;
}

/* ---- links' heap for progressive filling ------------------------------ */

static int lk_push(struct flow *f, double key, uint32_t dl)
{
	int rc = grow((void **)&f->lh, &f->cap_lh, f->nlh + 1, sizeof *f->lh, "link levels");
	if (rc)
		return rc;
	struct fl_lk e = {key, dl, ++f->gen[dl]};
	uint64_t i = f->nlh++;
	while (i > 0) {
		const struct fl_lk *p = &f->lh[(i - 1) / 2];
		if (!(e.key < p->key || (e.key == p->key && e.dl < p->dl)))
			break;
		f->lh[i] = *p;
		i = (i - 1) / 2;
	}
	f->lh[i] = e;
	return 0;
}

static inline int lk_lt(const struct fl_lk *a, const struct fl_lk *b)
{
	return a->key < b->key || (a->key == b->key && a->dl < b->dl);
}

static struct fl_lk lk_pop(struct flow *f)
{
	struct fl_lk top = f->lh[0], last = f->lh[--f->nlh];
	uint64_t i = 0, n = f->nlh;
	for (;;) {
		uint64_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && lk_lt(&f->lh[c + 1], &f->lh[c]))
			c++;
		if (!lk_lt(&f->lh[c], &last))
			break;
		f->lh[i] = f->lh[c];
		i = c;
	}
	if (n)
		f->lh[i] = last;
	return top;
}

/*
 * Max-min fair rates of the active sub-flows (progressive filling).  A link's
 * level is the common rate of its unfrozen sub-flows at which it is full:
 * (R - used by frozen ones) / (sum of the unfrozen ones' c).  The lowest level
 * freezes its sub-flows; levels only rise as sub-flows freeze elsewhere, so a
 * heap with stale entries skipped (by generation) finds each next one.
 */
static int fill(struct flow *f)
{
	f->ntouched = 0;
	uint64_t nadj = 0;
	for (uint64_t i = 0; i < f->nsf; i++) {
		struct fl_sf *g = &f->sf[i];
		g->x = INFINITY;
		g->frozen = 0;
		for (uint32_t k = 0; k < g->nent; k++) {
			const struct fl_ent *e = &f->ent[g->ent + k];
			if (f->cnt[e->dl]++ == 0)
				f->touched[f->ntouched++] = e->dl;
			f->sum[e->dl] += e->c;
			nadj++;
		}
	}
	int rc = grow((void **)&f->adj, &f->cap_adj, nadj + 1, sizeof *f->adj, "link entries");
	if (rc)
		return rc;
	uint32_t pos = 0;
	for (uint32_t i = 0; i < f->ntouched; i++) {
		uint32_t d = f->touched[i];
		f->start[d] = pos;
		pos += f->cnt[d];
	}
	for (uint64_t i = 0; i < f->nsf; i++) {
		const struct fl_sf *g = &f->sf[i];
		for (uint32_t k = 0; k < g->nent; k++) {
			uint32_t d = f->ent[g->ent + k].dl;
			f->adj[f->start[d]++] = (uint32_t)i;
		}
	}
	f->nlh = 0;
	for (uint32_t i = 0; i < f->ntouched; i++) {
		uint32_t d = f->touched[i];
		f->start[d] -= f->cnt[d]; /* back to the first */
		if ((rc = lk_push(f, f->rate[d] / f->sum[d], d)))
			return rc;
	}
	/* cnt[d] now counts link d's unfrozen sub-flows, all at or after adj[start[d]]. */
	while (f->nlh) {
		struct fl_lk top = lk_pop(f);
		uint32_t d = top.dl;
		if (top.gen != f->gen[d] || f->cnt[d] == 0)
			continue;
		/*
		 * Levels only rise, so a link's entry is re-keyed when it comes up
		 * (not each time a sub-flow of it freezes elsewhere): one entry per link.
		 */
		double cur = (f->rate[d] - f->used[d]) / f->sum[d];
		if (cur > top.key * (1.0 + 1e-12) + 1e-300) {
			if ((rc = lk_push(f, cur, d)))
				return rc;
			continue;
		}
		double lam = top.key;
		/* the link's sub-flows: adj[start[d] ..) up to its original count, which frozen ones still occupy */
		for (uint32_t j = f->start[d];; j++) {
			if (f->cnt[d] == 0)
				break;
			struct fl_sf *g = &f->sf[f->adj[j]];
			if (g->frozen)
				continue;
			g->frozen = 1;
			g->x = lam;
			for (uint32_t k = 0; k < g->nent; k++) {
				const struct fl_ent *e = &f->ent[g->ent + k];
				uint32_t d2 = e->dl;
				f->used[d2] += e->c * lam;
				f->sum[d2] -= e->c;
				--f->cnt[d2];
			}
		}
	}
	for (uint32_t i = 0; i < f->ntouched; i++) {
		uint32_t d = f->touched[i];
		f->used[d] = 0.0;
		f->sum[d] = 0.0;
		f->cnt[d] = 0;
	}
	return 0;
}

/* ---- wire bytes and zero-load timing of one message on one link --------- */

struct fl_msg {
	double w;    /* wire bytes of one transmission */
	double k;    /* expected replays */
	uint64_t flits;
};

static inline struct fl_msg msg_on(const struct pf_tm_dl *p, int resp, uint64_t payload)
{
	struct fl_msg m;
	m.w = pf_tm_wire(p, resp, payload, &m.flits);
	m.k = 0.0;
	if (p->log_ok_per_byte < 0.0) {
		double fail = -expm1(m.w * p->log_ok_per_byte);
		m.k = fail < 1.0 ? fail / (1.0 - fail) : 1000.0;
		if (m.k > 1000.0)
			m.k = 1000.0;
	}
	return m;
}

/* Count n messages of one shape on link d. */
static void count(struct flow *f, uint32_t d, int resp, uint64_t payload, uint64_t n)
{
	if (!n)
		return;
	const struct pf_tm_dl *p = &f->s->tm.dl[d];
	struct fl_msg m = msg_on(p, resp, payload);
	struct fl_ctr *c = &f->ctr[d];
	c->messages += n;
	c->bytes += n * payload;
	c->flits += n * (uint64_t)((double)m.flits * (1.0 + m.k) + 0.5);
	c->busy_ps += n * pf_tm_to_ps(m.w * p->ns_per_byte * (1.0 + m.k));
	c->wire_bytes += n * (uint64_t)(m.w * (1.0 + m.k) + 0.5);
	c->replays += (double)n * m.k;
}

/* Zero-load time of one message over the links dl[0..n) from ready (as the engine's hop, no waiting). */
static double zero_load(const struct pf_tm *tm, const uint32_t *dl, uint32_t n, int resp, uint64_t payload,
			double ready)
{
	double tail = ready;
	for (uint32_t i = 0; i < n; i++) {
		const struct pf_tm_dl *p = &tm->dl[dl[i]];
		struct fl_msg m = msg_on(p, resp, payload);
		double ser = m.w * p->ns_per_byte;
		double redo = m.k * (ser + p->replay_ns);
		double end = ready + ser + redo;
		if (end < tail)
			end = tail;
		double next = end + p->prop_ns + p->far_ns;
		tail = next;
		if (p->head_cap > 0.0 && p->head_cap < m.w)
			next = ready + p->head_cap * p->ns_per_byte + redo + p->prop_ns + p->far_ns;
		ready = next;
	}
	return ready;
}

/* ---- operations ------------------------------------------------------- */

static uint64_t route_hash(const uint32_t *dl, uint32_t n, uint32_t nf)
{
	uint64_t h = 0xcbf29ce484222325ull ^ nf;
	for (uint32_t i = 0; i < n; i++) {
		h ^= dl[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/*
 * Drop the entries of drained sub-flows once they are more than half of the
 * pool: the live ones are copied into the spare pool, which becomes the pool.
 */
static int compact(struct flow *f)
{
	if (f->nent < 4096 || f->live_ent * 2 > f->nent)
		return 0;
	int rc = grow((void **)&f->spare, &f->cap_spare, f->live_ent + 1, sizeof *f->spare, "link entries");
	if (rc)
		return rc;
	uint64_t pos = 0;
	for (uint64_t i = 0; i < f->nsf; i++) {
		struct fl_sf *g = &f->sf[i];
		memcpy(f->spare + pos, f->ent + g->ent, g->nent * sizeof *f->ent);
		g->ent = (uint32_t)pos;
		pos += g->nent;
	}
	struct fl_ent *t = f->ent;
	uint64_t c = f->cap_ent;
	f->ent = f->spare;
	f->cap_ent = f->cap_spare;
	f->spare = t;
	f->cap_spare = c;
	f->nent = pos;
	return 0;
}

static int issue(struct flow *f, uint32_t id, double t)
{
	podfab_sim_t s = f->s;
	struct sim_op *o = &s->ops[id];
	const struct pf_tm *tm = &s->tm;
	uint32_t src = o->in.src, dst = o->in.dst;
	uint64_t mr = tm->max_request[src];
	s->src[src].inflight++;
	o->ready = t;
	s->requests += o->nreq;
	f->ngrp = 0;
	f->nroute = 0;
	podfab_hop_t hops[SIM_MAX_HOPS];
	uint32_t dl[2 * SIM_MAX_HOPS];
	uint32_t prev = NONE32;
	uint64_t last_chunk = o->in.bytes - (uint64_t)(o->nreq - 1) * mr;
	if (last_chunk > mr)
		last_chunk = mr; /* an atomic of more than max_request bytes: one request, as sim.c */
	for (uint32_t r = 0; r < o->nreq; r++) {
		uint64_t flow = ((uint64_t)id << 20) + (uint64_t)r * mr;
		int nf = pf_routes_query(s->topo, src, dst, flow, hops, SIM_MAX_HOPS);
		if (nf < 0)
			return nf;
		if (nf > SIM_MAX_HOPS)
			return pf_err(PODFAB_EMODEL, "route %u -> %u has %d hops, more than %d", src, dst, nf,
				      SIM_MAX_HOPS);
		for (int i = 0; i < nf; i++)
			dl[i] = hops[i].dlink;
		int nr = pf_routes_query(s->topo, dst, src, flow, hops, SIM_MAX_HOPS);
		if (nr < 0)
			return nr;
		if (nr > SIM_MAX_HOPS)
			return pf_err(PODFAB_EMODEL, "route %u -> %u has %d hops, more than %d", dst, src, nr,
				      SIM_MAX_HOPS);
		for (int i = 0; i < nr; i++)
			dl[nf + i] = hops[i].dlink;
		uint32_t n = (uint32_t)(nf + nr);
		s->hops += n;
		uint64_t h = route_hash(dl, n, (uint32_t)nf);
		uint32_t g = NONE32;
		if (prev != NONE32 && f->grp[prev].hash == h && f->grp[prev].nf == (uint32_t)nf &&
		    f->grp[prev].nr == (uint32_t)nr && !memcmp(f->route + f->grp[prev].off, dl, n * sizeof *dl))
			g = prev;
		for (uint32_t k = 0; g == NONE32 && k < f->ngrp; k++)
			if (f->grp[k].hash == h && f->grp[k].nf == (uint32_t)nf && f->grp[k].nr == (uint32_t)nr &&
			    !memcmp(f->route + f->grp[k].off, dl, n * sizeof *dl))
				g = k;
		if (g == NONE32) {
			uint64_t cap = f->cap_grp;
			int rc = grow((void **)&f->grp, &cap, f->ngrp + 1ull, sizeof *f->grp, "route groups");
			if (!rc)
				rc = grow((void **)&f->route, &f->cap_route, f->nroute + n, sizeof *f->route, "routes");
			if (rc)
				return rc;
			f->cap_grp = (uint32_t)cap;
			g = f->ngrp++;
			struct fl_grp *G = &f->grp[g];
			memset(G, 0, sizeof *G);
			G->hash = h;
			G->nf = (uint32_t)nf;
			G->nr = (uint32_t)nr;
			G->off = (uint32_t)f->nroute;
			memcpy(f->route + f->nroute, dl, n * sizeof *dl);
			f->nroute += n;
		}
		struct fl_grp *G = &f->grp[g];
		if (r + 1 == o->nreq && last_chunk < mr)
			G->npart++;
		else
			G->nfull++;
		G->last = r;
		prev = g;
	}
	/*
	 * One sub-flow per operation: its requests' groups (routes) load their links
	 * in proportion to the requests that take them, so an operation sprayed
	 * over P planes loads each with its share (the recomputation costs one
	 * flow per operation, not one per pair of routes).  Its tail is that of
	 * the group with the longest transfer (W / R on its worst link).
	 */
	int kind = o->in.kind;
	uint64_t need = f->nent;
	for (uint32_t g = 0; g < f->ngrp; g++)
		need += f->grp[g].nf + f->grp[g].nr;
	uint64_t cap_sf = f->cap_sf;
	int rc = grow((void **)&f->ent, &f->cap_ent, need, sizeof *f->ent, "link entries");
	if (!rc)
		rc = grow((void **)&f->sf, &cap_sf, f->nsf + 1, sizeof *f->sf, "sub-flows");
	if (rc)
		return rc;
	f->cap_sf = cap_sf;
	o->left = 1;
	o->complete = t;
	struct fl_sf *sf = &f->sf[f->nsf++];
	sf->op = id;
	sf->size = sf->rem = (double)o->in.bytes;
	sf->x = 0.0;
	sf->ent = (uint32_t)f->nent;
	sf->nent = 0;
	sf->tail = 0.0;
	double size = (double)o->in.bytes, group_worst = -1.0;
	for (uint32_t g = 0; g < f->ngrp; g++) {
		const struct fl_grp *G = &f->grp[g];
		const uint32_t *rt = f->route + G->off;
		uint64_t lc = (G->last + 1 == o->nreq) ? last_chunk : mr; /* its last request's payload */
		double worst = -1.0, ser_last = 0.0;
		for (uint32_t i = 0; i < G->nf + G->nr; i++) {
			int resp = i >= G->nf;
			uint32_t d = rt[i];
			uint64_t pf = (kind == PODFAB_SIM_WRITE && resp) || (kind == PODFAB_SIM_READ && !resp) ? 0 : mr;
			uint64_t pp = pf ? last_chunk : 0, pl = pf ? lc : 0;
			count(f, d, resp, pf, G->nfull);
			count(f, d, resp, pp, G->npart);
			double R = f->rate[d];
			if (!(R < INFINITY))
				continue;
			const struct pf_tm_dl *p = &tm->dl[d];
			struct fl_msg mf = msg_on(p, resp, pf), mp = msg_on(p, resp, pp), ml = msg_on(p, resp, pl);
			double W = (double)G->nfull * mf.w * (1.0 + mf.k) + (double)G->npart * mp.w * (1.0 + mp.k);
			/* a link of several groups (or of a route through it both ways): one entry */
			uint32_t k = 0;
			while (k < sf->nent && f->ent[sf->ent + k].dl != d)
				k++;
			if (k == sf->nent) {
				f->ent[sf->ent + k].dl = d;
				f->ent[sf->ent + k].c = 0.0;
				sf->nent++;
			}
			f->ent[sf->ent + k].c += W / size;
			if (W / R > worst) {
				worst = W / R;
				ser_last = ml.w * (1.0 + ml.k) / R;
			}
		}
		if (worst > group_worst) {
			/* the tail: zero-load latency of the last request and its response, less one serialisation */
			uint64_t qp = kind == PODFAB_SIM_READ ? 0 : lc, rp = kind == PODFAB_SIM_WRITE ? 0 : lc;
			double a = zero_load(tm, rt, G->nf, 0, qp, tm->egress[src]);
			double c = zero_load(tm, rt + G->nf, G->nr, 1, rp, a + tm->egress[dst]);
			sf->tail = c - ser_last > 0.0 ? c - ser_last : 0.0;
			group_worst = worst;
		}
	}
	f->nent += sf->nent;
	f->live_ent += sf->nent;
	return 0;
}

static int make_ready(struct flow *f, uint32_t id, double t)
{
	podfab_sim_t s = f->s;
	struct sim_op *o = &s->ops[id];
	struct sim_src *q = &s->src[o->in.src];
	o->ready = t;
	if (!s->cfg.window || q->inflight < s->cfg.window)
		return issue(f, id, t);
	pf_sim_wait(s, o->in.src, id);
	return 0;
}

static int op_done(struct flow *f, uint32_t id, double t)
{
	podfab_sim_t s = f->s;
	struct sim_op *o = &s->ops[id];
	o->complete = t;
	if (t > s->end)
		s->end = t;
	s->reqs_done += o->nreq;
	f->bytes_done += (double)o->in.bytes;
	struct sim_src *q = &s->src[o->in.src];
	q->inflight--;
	for (uint32_t c = 0; c < o->nchild; c++) {
		uint32_t ch = s->children[o->first_child + c];
		double at = t + s->ops[ch].in.delay;
		if (s->ops[ch].in.t > at)
			at = s->ops[ch].in.t;
		int rc = ev_push(f, at, ch, 0);
		if (rc)
			return rc;
	}
	uint32_t next = pf_sim_next_waiting(s, o->in.src);
	return next != NONE32 ? issue(f, next, t) : 0;
}

/* ---- the run ----------------------------------------------------------- */

static void flow_free(struct flow *f)
{
	free(f->rate);
	free(f->ctr);
	free(f->sf);
	free(f->ent);
	free(f->spare);
	free(f->heap);
	free(f->used);
	free(f->sum);
	free(f->cnt);
	free(f->gen);
	free(f->start);
	free(f->touched);
	free(f->adj);
	free(f->lh);
	free(f->grp);
	free(f->route);
}

static int run(struct flow *f, uint32_t *roots, uint64_t nroots, void (*progress)(void *, double), void *arg)
{
	podfab_sim_t s = f->s;
	uint64_t next_root = 0, batches = 0;
	double now = 0.0;
	int rc;
	for (;;) {
		double tn = INFINITY;
		if (next_root < nroots)
			tn = s->ops[roots[next_root]].in.t;
		if (f->nheap && f->heap[0].t < tn)
			tn = f->heap[0].t;
		uint64_t first = UINT64_MAX;
		double dmin = INFINITY;
		for (uint64_t i = 0; i < f->nsf; i++) {
			const struct fl_sf *g = &f->sf[i];
			double dt = g->x == INFINITY ? 0.0 : g->rem / g->x;
			if (dt < dmin) {
				dmin = dt;
				first = i;
			}
		}
		if (first != UINT64_MAX && now + dmin < tn)
			tn = now + dmin;
		if (tn == INFINITY) {
			if (f->nsf)
				return pf_err(PODFAB_EMODEL, "flow-level mode: %llu flows make no progress",
					      (unsigned long long)f->nsf);
			break;
		}
		if (tn < now)
			tn = now;
		/* Advance every active sub-flow to tn, and retire the drained ones. */
		double dt = tn - now;
		now = tn;
		int changed = 0;
		if (first != UINT64_MAX && dmin <= dt)
			f->sf[first].rem = 0.0;
		for (uint64_t i = 0; i < f->nsf;) {
			struct fl_sf *g = &f->sf[i];
			if (g->x == INFINITY)
				g->rem = 0.0;
			else
				g->rem -= g->x * dt;
			/*
			 * Drained, or within a picosecond of it: flows that rounding would
			 * otherwise finish one by one, each with its own recomputation, end
			 * together (completion times move by at most 1 ps).
			 */
			if (g->rem > 1e-9 * g->size && !(g->x != INFINITY && g->rem <= g->x * 1e-3)) {
				i++;
				continue;
			}
			struct sim_op *o = &s->ops[g->op];
			double at = now + g->tail;
			if (at > o->complete)
				o->complete = at;
			f->live_ent -= g->nent;
			if (--o->left == 0 && (rc = ev_push(f, o->complete, g->op, 1)))
				return rc;
			*g = f->sf[--f->nsf];
			changed = 1;
		}
		/* Everything due now. */
		for (;;) {
			if (next_root < nroots && s->ops[roots[next_root]].in.t <= now &&
			    (!f->nheap || s->ops[roots[next_root]].in.t <= f->heap[0].t)) {
				uint32_t id = roots[next_root++];
				if ((rc = make_ready(f, id, s->ops[id].in.t)))
					return rc;
				changed = 1;
				continue;
			}
			if (f->nheap && f->heap[0].t <= now) {
				struct fl_ev e = ev_pop(f);
				rc = e.done ? op_done(f, e.op, e.t) : make_ready(f, e.op, e.t);
				if (rc)
					return rc;
				changed = 1;
				continue;
			}
			break;
		}
		if (changed) {
			if ((rc = compact(f)) || (rc = fill(f)))
				return rc;
		}
		if (progress && ++batches % 1024 == 0)
			progress(arg, f->bytes_total > 0 ? f->bytes_done / f->bytes_total : 1.0);
	}
	return 0;
}

int pf_sim_run_flow(podfab_sim_t s, void (*progress)(void *, double), void *arg)
{
	struct flow f;
	memset(&f, 0, sizeof f);
	f.s = s;
	f.ndl = 2 * s->topo->nlinks;
	size_t nd = (size_t)f.ndl + 1;
	f.rate = calloc(nd, sizeof *f.rate);
	f.ctr = calloc(nd, sizeof *f.ctr);
	f.used = calloc(nd, sizeof *f.used);
	f.sum = calloc(nd, sizeof *f.sum);
	f.cnt = calloc(nd, sizeof *f.cnt);
	f.gen = calloc(nd, sizeof *f.gen);
	f.start = calloc(nd, sizeof *f.start);
	f.touched = calloc(nd, sizeof *f.touched);
	int rc = 0;
	if (!f.rate || !f.ctr || !f.used || !f.sum || !f.cnt || !f.gen || !f.start || !f.touched) {
		rc = pf_err(PODFAB_ENOMEM, "flow-level mode for %u links", s->topo->nlinks);
		goto out;
	}
	for (uint32_t d = 0; d < f.ndl; d++)
		f.rate[d] = s->tm.dl[d].ns_per_byte > 0.0 ? 1.0 / s->tm.dl[d].ns_per_byte : INFINITY;
	for (uint64_t i = 0; i < s->nops; i++)
		f.bytes_total += (double)s->ops[i].in.bytes;
	if (progress)
		progress(arg, 0.0);
	rc = run(&f, s->roots, s->nroots, progress, arg);
	if (rc)
		goto out;
	for (uint32_t d = 0; d < f.ndl; d++) {
		const struct fl_ctr *c = &f.ctr[d];
		struct pf_tm_link *L = &s->links[d];
		if (!c->messages)
			continue;
		atomic_fetch_add_explicit(&L->messages, c->messages, memory_order_relaxed);
		atomic_fetch_add_explicit(&L->bytes, c->bytes, memory_order_relaxed);
		atomic_fetch_add_explicit(&L->flits, c->flits, memory_order_relaxed);
		atomic_fetch_add_explicit(&L->busy_ps, c->busy_ps, memory_order_relaxed);
		atomic_fetch_add_explicit(&L->wire_bytes, c->wire_bytes, memory_order_relaxed);
		atomic_fetch_add_explicit(&L->replays, (uint64_t)(c->replays + 0.5), memory_order_relaxed);
	}
	if (progress)
		progress(arg, 1.0);
out:
	flow_free(&f);
	return rc;
}
