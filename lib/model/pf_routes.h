/*
 * pf_routes.h - the routing tables' layout (route.c) and a hop's step, inline
 * for the library's callers that route a message a hop at a time (the
 * offline simulator); everyone else uses the functions of pf_model.h.
 */
#ifndef PF_ROUTES_H
#define PF_ROUTES_H

#include "pf_internal.h"
#include "pf_model.h"

#define PF_RT_NONE UINT32_MAX

/* A set of candidates: one link (cnt 1: first is the directed link), or cnt links at pool[first]. */
struct pf_rset {
	uint32_t cnt, first;
};

struct pf_routes {
	uint32_t naccels, nnodes;
	int wide;              /* rows hold uint32_t (1) or uint16_t (0) */
	void **row;            /* per node: local set number per destination accelerator, or NULL */
	uint32_t *uniform;     /* per node without a row: its local set number for every destination */
	uint32_t *node_first;  /* per node: global number of its local set 1 (0 = no candidates) */
	struct pf_rset *set;   /* per global set: its candidates */
	uint32_t *pool;        /* candidate directed links */
	uint32_t *far;         /* per directed link: the node it leads to (a compact copy of links[]) */
	uint8_t *retimer;      /* per node: 1 for a retimer */
	/* dimension-order routing */
	int dor;
	int ndims;
	int dim[3];            /* which coord[] index each used dimension is */
	uint32_t size[3];
	uint32_t *dor_dlink;   /* [accel][dim][dir] first directed link towards the neighbour, PF_RT_NONE */
};

static inline uint64_t pf_rt_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static inline uint32_t pf_rt_dlink_from(podfab_topo_t t, uint32_t l, uint32_t v)
{
	return 2u * l + (t->links[l].a == v ? 0u : 1u);
}

/* A retimer's other link than `in`. */
static inline uint32_t pf_rt_retimer_out(podfab_topo_t t, uint32_t r, uint32_t in)
{
	const podfab_node_t *nd = &t->nodes[r];
	return nd->port_link[0] == in ? nd->port_link[1] : nd->port_link[0];
}

static inline uint32_t pf_rt_row_get(const struct pf_routes *r, uint32_t v, uint32_t d)
{
	if (!r->row[v])
		return r->uniform[v];
	return r->wide ? ((const uint32_t *)r->row[v])[d] : ((const uint16_t *)r->row[v])[d];
}

/* The directed link a message at non-retimer node cur takes towards accelerator dst, or PF_RT_NONE (no candidates). */
static inline uint32_t pf_rt_table_step(podfab_topo_t t, const struct pf_routes *r, uint32_t cur, uint32_t dst,
				  uint64_t flow)
{
	uint32_t local = pf_rt_row_get(r, cur, dst);
	if (!local)
		return PF_RT_NONE;
	const struct pf_rset *set = &r->set[r->node_first[cur] + local - 1];
	uint32_t n = set->cnt, i;
	if (n == 1)
		return set->first;
	uint64_t h = t->spray_address ? flow >> 8 : pf_rt_mix64(flow ^ pf_rt_mix64(t->seed ^ ((uint64_t)cur << 32 | dst)));
	i = (n & (n - 1)) == 0 ? (uint32_t)(h & (n - 1)) : (uint32_t)(h % n); /* the same; no division for 2^k */
	return r->pool[set->first + i];
}

/* The directed link accelerator node cur (not dst's) takes by dimension order towards accelerator dst. */
static inline uint32_t pf_rt_dor_step(podfab_topo_t t, const struct pf_routes *r, uint32_t cur, uint32_t dst)
{
	const podfab_node_t *cn = &t->nodes[cur], *dn = &t->nodes[t->accel_node[dst]];
	for (int i = 0; i < r->ndims; i++) {
		uint32_t sz = r->size[i], k = (uint32_t)r->dim[i];
		uint32_t f = ((uint32_t)dn->coord[k] + sz - (uint32_t)cn->coord[k]) % sz;
		if (f)
			return r->dor_dlink[(uint32_t)cn->accel * 6 + (uint32_t)i * 2 + (f <= sz - f ? 0 : 1)];
	}
	return PF_RT_NONE;
}

/* pf_routes_next (pf_model.h), for callers in the library that route many messages. */
static inline uint32_t pf_routes_next_inline(podfab_topo_t t, uint32_t dlink, uint32_t dst, uint64_t flow,
					     uint32_t mode)
{
	const struct pf_routes *r = t->routes;
	uint32_t cur = r->far[dlink];
	if (cur == t->accel_node[dst])
		return PF_ROUTE_END;
	if (r->retimer[cur])
		return pf_rt_dlink_from(t, pf_rt_retimer_out(t, cur, dlink >> 1), cur);
	uint32_t dl = mode & PF_ROUTE_DOR ? pf_rt_dor_step(t, r, cur, dst) : pf_rt_table_step(t, r, cur, dst, flow);
	return dl == PF_RT_NONE ? PF_ROUTE_BROKEN : dl;
}

/*
 * pf_routes_first (pf_model.h) for a caller that has checked src and dst
 * (both below the number of accelerators): the same results, the routes by
 * dimension order and the errors through pf_routes_first itself.
 */
static inline int pf_routes_first_inline(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow,
					 uint32_t *dlink, uint32_t *mode)
{
	const struct pf_routes *r = t->routes;
	if (src == dst || r->dor)
		return pf_routes_first(t, src, dst, flow, dlink, mode);
	uint32_t cur = t->accel_node[src];
	uint32_t dl = r->retimer[cur] ? PF_RT_NONE : pf_rt_table_step(t, r, cur, dst, flow);
	if (dl == PF_RT_NONE)
		return pf_routes_first(t, src, dst, flow, dlink, mode);
	*dlink = dl;
	*mode = 0;
	return 0;
}

/*
 * Start loading what pf_routes_next_inline(t, dlink, dst, ...) reads from
 * the tables: stage 0, the entry of dlink's far end for dst; stage 1 (a
 * little later, when that entry has come), the candidate set it names.
 */
static inline void pf_routes_next_prefetch_inline(podfab_topo_t t, uint32_t dlink, uint32_t dst, int stage)
{
	const struct pf_routes *r = t->routes;
	uint32_t cur = r->far[dlink];
	const void *row = r->row[cur];
	if (stage == 0) {
		if (row)
			__builtin_prefetch(r->wide ? (const void *)&((const uint32_t *)row)[dst]
						   : (const void *)&((const uint16_t *)row)[dst]);
		return;
	}
	uint32_t local = pf_rt_row_get(r, cur, dst);
	if (local)
		__builtin_prefetch(&r->set[r->node_first[cur] + local - 1]);
}

#endif /* PF_ROUTES_H */
