/*
 * engine.c - per-hop timing of messages and operations over a fabric model.
 *
 * Hot path: pf_tm_message() walks the cached route of one message and, per
 * hop, reserves the directed link with one compare-and-swap on its busy time
 * and adds to its counters; no allocation, lock or system call.
 */
#include <math.h>
#include <stdlib.h>

#include "pf_internal.h"
#include "pf_model.h"
#include "pf_timing.h"

/* FEC symbols are 10 bits wide, as in the RS(544,514) "KP4" code of 802.3 and UALink. */
#define FEC_SYMBOL_BITS 10u

double pf_tm_binomial_tail(uint32_t n, uint32_t t, double p)
{
	if (p <= 0.0 || t >= n)
		return 0.0;
	if (p >= 1.0)
		return 1.0;
	/*
	 * Sum P(X = j) for j > t in log space; the terms fall fast once j > n p.
	 * ln C(n, j) is built up term by term (lgamma is not thread-safe: it sets signgam).
	 */
	double lp = log(p), lq = log1p(-p), sum = 0.0, lc = 0.0;
	for (uint32_t i = 1; i <= t + 1; i++)
		lc += log((double)(n - i + 1)) - log((double)i);
	for (uint32_t j = t + 1; j <= n; j++) {
		double term = exp(lc + j * lp + (n - j) * lq);
		sum += term;
		if (j > n * p && term < sum * 1e-17)
			break;
		lc += log((double)(n - j)) - log((double)(j + 1)); /* C(n, j+1) = C(n, j) (n - j) / (j + 1) */
	}
	return sum > 1.0 ? 1.0 : sum;
}

/*
 * ln P(a message survives) per wire byte.  Without FEC any bit error fails the
 * DL CRC.  With FEC a codeword fails when more than t = (n - k) / 2 of its
 * 10-bit symbols are wrong; the message fails if any codeword it spans fails.
 */
static double log_ok_per_byte(const podfab_link_t *l)
{
	double ber = l->ber;
	if (!(ber > 0.0))
		return 0.0;
	if (ber >= 1.0)
		return -INFINITY;
	const podfab_encoding_t *e = l->enc;
	if (e && e->fec_codeword_bytes && e->fec_data_bytes) {
		uint32_t n = e->fec_codeword_bytes * 8u / FEC_SYMBOL_BITS;
		uint32_t k = e->fec_data_bytes * 8u / FEC_SYMBOL_BITS;
		uint32_t t = (n - k) / 2u;
		double ps = -expm1(FEC_SYMBOL_BITS * log1p(-ber));
		double pcw = pf_tm_binomial_tail(n, t, ps);
		if (pcw >= 1.0)
			return -INFINITY;
		return log1p(-pcw) / (double)e->fec_codeword_bytes;
	}
	return 8.0 * log1p(-ber);
}

static void dl_params(struct pf_tm *tm, podfab_topo_t t, uint32_t d)
{
	const podfab_link_t *l = &t->links[d / 2];
	uint32_t to = (d & 1) ? l->a : l->b;
	const podfab_node_t *v = &t->nodes[to];
	struct pf_tm_dl *p = &tm->dl[d];
	double rate = (double)l->lanes * l->lane_gbps / 8.0; /* bytes per ns */
	const podfab_encoding_t *e = l->enc;
	p->ns_per_byte = rate > 0 ? 1.0 / rate : 0.0;
	p->prop_ns = l->prop_ns;
	int fec_here = e && e->fec_codeword_bytes && !(v->kind == PODFAB_NODE_RETIMER && !v->fec_terminate);
	double fec = fec_here ? e->fec_latency_ns : 0.0;
	p->far_ns = v->latency_ns + fec;
	p->replay_ns = 2.0 * l->prop_ns + (e ? e->fec_latency_ns : 0.0);
	int ct = (v->kind == PODFAB_NODE_SWITCH && v->cut_through) || v->kind == PODFAB_NODE_RETIMER;
	p->head_cap = ct ? podfab_encoding_head_bytes(e, INFINITY) : 0.0;
	if (ct && !(p->head_cap < INFINITY))
		p->head_cap = 0.0; /* no unit to cut through on: whole message */
	p->log_ok_per_byte = log_ok_per_byte(l);
	p->req_hdr = (uint16_t)(e ? e->req_header_bytes : 0);
	if (e && e->flit_payload_bytes && e->flit_bytes) {
		p->flit_payload = e->flit_payload_bytes;
		p->wire_per_flit = podfab_encoding_wire_bytes(e, 0, e->flit_payload_bytes); /* one whole flit */
	}
	p->resp_hdr = (uint16_t)(e ? e->resp_header_bytes : 0);
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int pf_tm_init(struct pf_tm *tm, podfab_topo_t topo, struct pf_tm_link *links, struct pf_tm_accel *accels,
	       uint64_t seed, uint32_t stream)
{
	memset(tm, 0, sizeof *tm);
	if (!topo || !topo->finished)
		return pf_err(PODFAB_EINVAL, "the timing engine needs a finished fabric model");
	tm->topo = topo;
	tm->links = links;
	tm->accels = accels;
	tm->nlinks = topo->nlinks;
	tm->naccels = topo->naccels;
	tm->counters = 1;
	size_t dlsize = (2 * (size_t)topo->nlinks + 1) * sizeof *tm->dl;
	tm->dl = aligned_alloc(64, (dlsize + 63) & ~(size_t)63);
	if (tm->dl)
		memset(tm->dl, 0, dlsize);
	tm->egress = calloc((size_t)topo->naccels + 1, sizeof *tm->egress);
	tm->max_request = calloc((size_t)topo->naccels + 1, sizeof *tm->max_request);
	size_t lsize = (2 * (size_t)topo->nlinks + 1) * sizeof *tm->lctr;
	tm->lctr = aligned_alloc(64, (lsize + 63) & ~(size_t)63);
	if (tm->lctr)
		memset(tm->lctr, 0, lsize);
	tm->dirty = calloc(2 * (size_t)topo->nlinks + 1, sizeof *tm->dirty);
	if (!tm->dl || !tm->egress || !tm->max_request || !tm->lctr || !tm->dirty) {
		pf_tm_fini(tm);
		return pf_err(PODFAB_ENOMEM, "timing tables for %u links", topo->nlinks);
	}
	for (uint32_t d = 0; d < 2 * topo->nlinks; d++) {
		const podfab_encoding_t *e = topo->links[d / 2].enc;
		if (e && (e->req_header_bytes > UINT16_MAX || e->resp_header_bytes > UINT16_MAX)) {
			pf_tm_fini(tm);
			return pf_err(PODFAB_EMODEL, "encoding '%s' has a header above %u bytes", e->name, UINT16_MAX);
		}
		dl_params(tm, topo, d);
	}
	for (uint32_t i = 0; i < topo->nlinks; i++)
		tm->any_down |= !topo->links[i].up;
	for (uint32_t a = 0; a < topo->naccels; a++) {
		const podfab_node_t *n = &topo->nodes[topo->accel_node[a]];
		tm->egress[a] = n->egress_ns;
		tm->max_request[a] = n->max_request ? n->max_request : 256;
	}
	uint64_t x = seed ^ ((uint64_t)stream * 0xd1b54a32d192ed03ull);
	tm->rng[0] = splitmix(&x);
	tm->rng[1] = splitmix(&x);
	if (!(tm->rng[0] | tm->rng[1]))
		tm->rng[1] = 1;
	return 0;
}

void pf_tm_fini(struct pf_tm *tm)
{
	free(tm->dl);
	free(tm->egress);
	free(tm->max_request);
	free(tm->lctr);
	free(tm->dirty);
	tm->lctr = NULL;
	tm->dirty = NULL;
	tm->dl = NULL;
	tm->egress = NULL;
	tm->max_request = NULL;
}

/* One busy time per link: start = max(ready, busy); busy = start + occupy. */
static inline double reserve(struct pf_tm_link *L, double ready, double occupy)
{
	uint64_t old = atomic_load_explicit(&L->busy, memory_order_relaxed);
	for (;;) {
		double b = pf_tm_d(old), start = b > ready ? b : ready;
		if (atomic_compare_exchange_weak_explicit(&L->busy, &old, pf_tm_u(start + occupy), memory_order_acq_rel,
							  memory_order_relaxed))
			return start;
	}
}

/*
 * The calendar (see pf_timing.h): returns the start the message would have
 * had sent in one piece ending where its last piece ends.
 */
static double reserve_cal(struct pf_tm *tm, uint32_t d, double ready, double occupy)
{
	const double G = PF_TM_BUCKET_NS;
	const uint64_t mask = (1ull << PF_TM_OFF_BITS) - 1;
	if (pf_unlikely(!(ready + occupy < PF_TM_CAL_MAX_NS)))
		return reserve(&tm->links[d], ready, occupy);
	_Atomic uint64_t *cal = tm->cal + (size_t)d * tm->nbuckets;
	uint64_t b = (uint64_t)(ready / G);
	double t = ready, left = occupy, first = -1.0, end = ready;
	for (uint32_t round = 0;; round++) {
		if (pf_unlikely(round > tm->nbuckets)) /* cannot happen for a message shorter than the calendar */
			return first >= 0 ? first : reserve(&tm->links[d], ready, occupy);
		_Atomic uint64_t *w = &cal[b & (tm->nbuckets - 1)];
		uint64_t old = atomic_load_explicit(w, memory_order_relaxed);
		double bstart = (double)b * G, bend = bstart + G;
		for (;;) {
			uint64_t tag = old >> PF_TM_OFF_BITS;
			if (tag > b) /* the window was reused for a later time: this message is older than the calendar */
				return first >= 0 ? first : t;
			double busy = tag == b ? bstart + (double)(old & mask) / 1000.0 : bstart;
			double s = busy > t ? busy : t;
			if (s >= bend) {
				end = -1.0;
				break; /* full: the next window */
			}
			double piece = left < bend - s ? left : bend - s;
			double e = s + piece;
			double x = (e - bstart) * 1000.0;
			uint64_t off = (uint64_t)x;
			off += (double)off < x; /* ceil, without a libm call */
			if (off > (uint64_t)(G * 1000.0))
				off = (uint64_t)(G * 1000.0);
			if (atomic_compare_exchange_weak_explicit(w, &old, (b << PF_TM_OFF_BITS) | off, memory_order_acq_rel,
								  memory_order_relaxed)) {
				if (first < 0)
					first = s;
				left -= piece;
				end = e;
				break;
			}
		}
		if (end >= 0 && left <= 0.0)
			return end - occupy > first ? end - occupy : first;
		b++;
		t = bend;
	}
}

double pf_tm_reserve(struct pf_tm *tm, uint32_t d, double ready, double occupy)
{
	return tm->cal ? reserve_cal(tm, d, ready, occupy) : reserve(&tm->links[d], ready, occupy);
}

int pf_tm_message(struct pf_tm *tm, uint32_t src, uint32_t dst, uint64_t flow, int resp, uint64_t payload,
		  double t, double *arrive)
{
	podfab_hop_t hops[PF_TM_MAX_HOPS];
	int nh = pf_routes_query(tm->topo, src, dst, flow, hops, PF_TM_MAX_HOPS);
	if (pf_unlikely(nh < 0))
		return nh;
	if (pf_unlikely(nh > PF_TM_MAX_HOPS))
		return pf_err(PODFAB_EMODEL, "route %u -> %u has %d hops, more than %d", src, dst, nh,
			      PF_TM_MAX_HOPS);
	/*
	 * ready: when the head may go onto the next link; tail: when the whole
	 * message is at the element.  They differ after a cut-through element,
	 * and a message cannot leave an element faster than it arrived there: a
	 * slow link into a cut-through switch and a fast one out of it end no
	 * earlier than the tail (equal rates never meet this bound).
	 */
	double ready = t + tm->egress[src], tail = ready;
	for (int i = 0; i < nh; i++)
		ready = pf_tm_hop_inline(tm, hops[i].dlink, resp, payload, ready, &tail, NULL, 0);
	*arrive = ready;
	if (pf_unlikely(++tm->unflushed >= PF_TM_FLUSH_EVERY))
		pf_tm_flush(tm);
	return 0;
}

void pf_tm_link_read(const struct pf_tm_link *L, int up, podfab_link_stats_t *out)
{
	memset(out, 0, sizeof *out);
	out->messages = atomic_load_explicit(&L->messages, memory_order_relaxed);
	out->bytes = atomic_load_explicit(&L->bytes, memory_order_relaxed);
	out->wire_bytes = atomic_load_explicit(&L->wire_bytes, memory_order_relaxed);
	out->flits = atomic_load_explicit(&L->flits, memory_order_relaxed);
	out->busy_ns = (double)atomic_load_explicit(&L->busy_ps, memory_order_relaxed) / 1000.0;
	out->queue_ns = (double)atomic_load_explicit(&L->queue_ps, memory_order_relaxed) / 1000.0;
	out->replays = atomic_load_explicit(&L->replays, memory_order_relaxed);
	out->up = up;
}

void pf_tm_flush(struct pf_tm *tm)
{
	for (uint32_t i = 0; i < tm->ndirty; i++) {
		uint32_t d = tm->dirty[i];
		struct pf_tm_lctr *c = &tm->lctr[d];
		struct pf_tm_link *L = &tm->links[d];
		atomic_fetch_add_explicit(&L->messages, c->messages, memory_order_relaxed);
		atomic_fetch_add_explicit(&L->bytes, c->bytes, memory_order_relaxed);
		atomic_fetch_add_explicit(&L->flits, c->flits, memory_order_relaxed);
		atomic_fetch_add_explicit(&L->busy_ps, c->busy_ps, memory_order_relaxed);
		atomic_fetch_add_explicit(&L->wire_bytes, c->wire_bytes, memory_order_relaxed);
		if (c->queue_ps)
			atomic_fetch_add_explicit(&L->queue_ps, c->queue_ps, memory_order_relaxed);
		if (c->replays)
			atomic_fetch_add_explicit(&L->replays, c->replays, memory_order_relaxed);
		double busy = c->busy;
		memset(c, 0, sizeof *c);
		c->busy = busy;
	}
	tm->ndirty = 0;
	tm->unflushed = 0;
}

int pf_tm_op(struct pf_tm *tm, uint32_t src, uint32_t dst, uint64_t flow, uint64_t req_bytes,
	     uint64_t resp_bytes, double t, double *order, double *arrive, double *complete)
{
	uint64_t mr = tm->max_request[src];
	uint64_t big = req_bytes > resp_bytes ? req_bytes : resp_bytes;
	if (pf_unlikely(tm->any_down)) {
		/* Both ways must be reachable before any link is reserved: a failed operation leaves no trace. */
		int rc = pf_routes_query(tm->topo, src, dst, flow, NULL, 0);
		if (rc >= 0)
			rc = pf_routes_query(tm->topo, dst, src, flow, NULL, 0);
		if (rc < 0)
			return rc;
	}
	uint64_t nreq = big ? (big + mr - 1) / mr : 1;
	double last_arrive = t, last_done = t;
	for (uint64_t i = 0; i < nreq; i++) {
		uint64_t rq = req_bytes > resp_bytes ? (i + 1 < nreq ? mr : req_bytes - i * mr) : req_bytes;
		uint64_t rs = resp_bytes >= req_bytes && resp_bytes ? (i + 1 < nreq ? mr : resp_bytes - i * mr)
								    : resp_bytes;
		double a, c;
		int rc = pf_tm_message(tm, src, dst, flow + i * mr, 0, rq, t, &a);
		if (pf_unlikely(rc < 0))
			return rc;
		if (order) {
			if (a < *order)
				a = *order; /* same source, same destination: in order */
			*order = a;
		}
		rc = pf_tm_message(tm, dst, src, flow + i * mr, 1, rs, a, &c);
		if (pf_unlikely(rc < 0))
			return rc;
		if (a > last_arrive)
			last_arrive = a;
		if (c > last_done)
			last_done = c;
	}
	if (tm->accels) {
		atomic_fetch_add_explicit(&tm->accels[src].ops, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&tm->accels[src].requests, nreq, memory_order_relaxed);
	}
	*arrive = last_arrive;
	*complete = last_done;
	return 0;
}

int pf_tm_sync_faults(struct pf_tm *tm)
{
	struct pf_tm_shared *sh = tm->sh;
	uint64_t gen = atomic_load_explicit(&sh->fault_gen, memory_order_acquire);
	_Atomic uint8_t *up = pf_tm_up(sh);
	podfab_topo_t t = tm->topo;
	int changed = 0;
	tm->any_down = 0;
	for (uint32_t i = 0; i < t->nlinks; i++) {
		int u = atomic_load_explicit(&up[i], memory_order_relaxed) ? 1 : 0;
		tm->any_down |= !u;
		if (t->links[i].up != u) {
			t->links[i].up = u;
			changed = 1;
		}
	}
	if (changed) {
		int rc = pf_routes_build(t);
		if (rc < 0)
			return rc;
	}
	tm->seen_gen = gen;
	return 0;
}
