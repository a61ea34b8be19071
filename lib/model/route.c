/*
 * route.c - forwarding tables and route queries (pf_routes_*).
 *
 * Routes are shortest paths in hops over links that are up.  A retimer is a
 * hop like any other element (it appears in the route and its link counts),
 * but never a choice point: a request leaves a retimer on its other port.
 * Every equal-cost next hop is kept (ECMP, parallel links included); at a
 * choice point the candidate is picked by a hash of (flow, seed, node, dst),
 * or by (flow >> 8) modulo the number of candidates when the topology sprays
 * by address.  An accelerator with ports to several switch planes is a choice
 * point like any other, so planes are sprayed the same way.
 *
 * Tori and rings (every accelerator has coordinates, there are no switches)
 * use dimension-order routing: X, then Y, then Z, the shorter way around each
 * ring (a tie goes the + way); if a link that route needs is down, the query
 * falls back to the shortest-path tables.
 *
 * Building.  Retimer chains are collapsed first: a "logical edge" leaves a
 * non-retimer node v on one port and runs through zero or more retimers to
 * the next non-retimer u, with weight = number of links, and exists only when
 * every link of the chain is up.  For every destination accelerator d, a
 * shortest-distance search from d over logical edges (Dial's bucket queue:
 * weights are small integers) gives dist_d; the candidates of v for d are the
 * first directed links of v's logical edges e with dist_d(u_e) + w_e ==
 * dist_d(v).  Candidate sets are deduplicated per node (a hash table over
 * (node, set)), so a node keeps one small table entry per destination: a
 * 16-bit local set number (32-bit beyond 65,535 accelerators), and a node
 * whose entry is the same for every destination (an accelerator behind one
 * switch) keeps a single number instead of a row.
 *   time   O(A * (N + E + D)) for A accelerators, N nodes, E links, D the
 *          longest distance, plus the sum of candidate-set sizes;
 *   memory O(N' * A) 16-bit entries for the N' non-retimer nodes while
 *          building (uniform rows are then released), plus the distinct sets.
 * Query: O(hops), no allocation: one table lookup per choice point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_internal.h"
#include "pf_model.h"
#include "pf_routes.h"

#define NONE UINT32_MAX

/* ---- helpers ------------------------------------------------------------ */

static uint32_t far_of(podfab_topo_t t, uint32_t dlink)
{
	const podfab_link_t *lk = &t->links[dlink >> 1];
	return (dlink & 1u) ? lk->a : lk->b;
}

/* ---- build state ---------------------------------------------------------- */

struct ledge {
	uint32_t dlink;  /* first directed link, leaving the node */
	uint32_t to;     /* the non-retimer node at the end of the chain */
	uint32_t w;      /* links in the chain */
};

struct build {
	podfab_topo_t t;
	struct pf_routes *r;
	/* logical graph (CSR over non-retimer nodes) */
	uint32_t *estart;
	struct ledge *edge;
	uint32_t maxw, maxdeg;
	/* distinct candidate sets */
	uint32_t nsets, cap_sets;
	uint32_t *s_node, *s_local, *s_start, *s_cnt, *s_hash;
	uint32_t *stab, stab_cap;
	uint32_t npool, cap_pool;
	uint32_t *nlocal;      /* per node: local sets so far */
	uint32_t *last;        /* per node: the set it used last (global build number + 1) */
	/* search */
	uint32_t *dist;
	uint32_t **bucket, *bucket_n, *bucket_cap;
	uint32_t *cand;
};

static int grow_u32(uint32_t **p, uint32_t *cap, uint32_t need)
{
	if (need <= *cap)
		return 0;
	uint32_t c = *cap ? *cap : 64;
	while (c < need) {
		if (c > UINT32_MAX / 2)
			return pf_err(PODFAB_ENOMEM, "routing tables too large");
		c *= 2;
	}
	uint32_t *q = realloc(*p, (size_t)c * sizeof *q);
	if (!q)
		return pf_err(PODFAB_ENOMEM, "routing tables of %u entries", c);
	*p = q;
	*cap = c;
	return 0;
}

/* Collapse retimer chains into logical edges (only chains whose links are all up). */
static int build_logical(struct build *b)
{
	podfab_topo_t t = b->t;
	uint32_t n = t->nnodes;
	b->estart = calloc((size_t)n + 1, sizeof *b->estart);
	if (!b->estart)
		return pf_err(PODFAB_ENOMEM, "routing adjacency of %u nodes", n);
	size_t total = 0;
	for (uint32_t v = 0; v < n; v++) {
		b->estart[v] = (uint32_t)total;
		if (t->nodes[v].kind != PODFAB_NODE_RETIMER)
			total += t->nodes[v].nports;
	}
	b->estart[n] = (uint32_t)total;
	b->edge = malloc((total ? total : 1) * sizeof *b->edge);
	if (!b->edge)
		return pf_err(PODFAB_ENOMEM, "routing adjacency of %zu edges", total);
	uint32_t k = 0;
	b->maxw = 1;
	b->maxdeg = 1;
	for (uint32_t v = 0; v < n; v++) {
		const podfab_node_t *nd = &t->nodes[v];
		b->estart[v] = k;
		if (nd->kind == PODFAB_NODE_RETIMER)
			continue;
		for (uint32_t p = 0; p < nd->nports; p++) {
			uint32_t l = nd->port_link[p], cur = v, w = 0;
			int up = 1;
			uint32_t first = pf_rt_dlink_from(t, l, v);
			for (;;) {
				if (!t->links[l].up)
					up = 0;
				w++;
				uint32_t u = far_of(t, pf_rt_dlink_from(t, l, cur));
				if (t->nodes[u].kind != PODFAB_NODE_RETIMER || w > n) {
					cur = u;
					break;
				}
				l = pf_rt_retimer_out(t, u, l);
				cur = u;
			}
			if (!up || t->nodes[cur].kind == PODFAB_NODE_RETIMER)
				continue;
			b->edge[k].dlink = first;
			b->edge[k].to = cur;
			b->edge[k].w = w;
			if (w > b->maxw)
				b->maxw = w;
			k++;
		}
		if (k - b->estart[v] > b->maxdeg)
			b->maxdeg = k - b->estart[v];
	}
	b->estart[n] = k;
	return 0;
}

/* Dial's algorithm from node s: dist over logical edges (symmetric: links are bidirectional). */
static int search(struct build *b, uint32_t s)
{
	podfab_topo_t t = b->t;
	uint32_t nb = b->maxw + 1;
	for (uint32_t v = 0; v < t->nnodes; v++)
		b->dist[v] = NONE;
	for (uint32_t i = 0; i < nb; i++)
		b->bucket_n[i] = 0;
	b->dist[s] = 0;
	int rc0 = grow_u32(&b->bucket[0], &b->bucket_cap[0], 1);
	if (rc0)
		return rc0;
	b->bucket[0][b->bucket_n[0]++] = s;
	uint32_t pending = 1;
	for (uint32_t d = 0; pending; d++) {
		uint32_t bi = d % nb;
		/* The bucket may grow while we scan it only with weight-0 edges: none. */
		for (uint32_t i = 0; i < b->bucket_n[bi]; i++) {
			uint32_t v = b->bucket[bi][i];
			pending--;
			if (b->dist[v] != d)
				continue;
			for (uint32_t e = b->estart[v]; e < b->estart[v + 1]; e++) {
				uint32_t u = b->edge[e].to, nd = d + b->edge[e].w;
				if (nd < b->dist[u]) {
					b->dist[u] = nd;
					uint32_t bj = nd % nb;
					int rc = grow_u32(&b->bucket[bj], &b->bucket_cap[bj], b->bucket_n[bj] + 1);
					if (rc)
						return rc;
					b->bucket[bj][b->bucket_n[bj]++] = u;
					pending++;
				}
			}
		}
		b->bucket_n[bi] = 0;
	}
	return 0;
}

static uint32_t set_hash(uint32_t node, const uint32_t *c, uint32_t n)
{
	uint64_t h = pf_rt_mix64(node + 0x9e3779b97f4a7c15ull);
	for (uint32_t i = 0; i < n; i++)
		h = pf_rt_mix64(h ^ c[i]);
	return (uint32_t)h;
}

static int same_set(struct build *b, uint32_t s, uint32_t node, const uint32_t *c, uint32_t n)
{
	return b->s_node[s] == node && b->s_cnt[s] == n && !memcmp(b->r->pool + b->s_start[s], c, n * sizeof *c);
}

static int stab_grow(struct build *b)
{
	uint32_t cap = b->stab_cap ? b->stab_cap * 2 : 1024;
	uint32_t *nt = calloc(cap, sizeof *nt);
	if (!nt)
		return pf_err(PODFAB_ENOMEM, "routing set table of %u entries", cap);
	for (uint32_t s = 0; s < b->nsets; s++) {
		uint32_t k = b->s_hash[s] & (cap - 1);
		while (nt[k])
			k = (k + 1) & (cap - 1);
		nt[k] = s + 1;
	}
	free(b->stab);
	b->stab = nt;
	b->stab_cap = cap;
	return 0;
}

/* The local set number of candidates c[0..n) at node v, adding the set if new. */
static int intern(struct build *b, uint32_t v, const uint32_t *c, uint32_t n, uint32_t *local)
{
	if (b->last[v] && same_set(b, b->last[v] - 1, v, c, n)) {
		*local = b->s_local[b->last[v] - 1];
		return 0;
	}
	uint32_t h = set_hash(v, c, n);
	int rc;
	if ((b->nsets + 1) * 2 > b->stab_cap && (rc = stab_grow(b)))
		return rc;
	uint32_t k = h & (b->stab_cap - 1);
	while (b->stab[k]) {
		uint32_t s = b->stab[k] - 1;
		if (b->s_hash[s] == h && same_set(b, s, v, c, n)) {
			b->last[v] = s + 1;
			*local = b->s_local[s];
			return 0;
		}
		k = (k + 1) & (b->stab_cap - 1);
	}
	uint32_t s = b->nsets, cap = b->cap_sets;
	if ((rc = grow_u32(&b->s_node, &cap, s + 1)))
		return rc;
	cap = b->cap_sets;
	if ((rc = grow_u32(&b->s_local, &cap, s + 1)))
		return rc;
	cap = b->cap_sets;
	if ((rc = grow_u32(&b->s_start, &cap, s + 1)))
		return rc;
	cap = b->cap_sets;
	if ((rc = grow_u32(&b->s_cnt, &cap, s + 1)))
		return rc;
	cap = b->cap_sets;
	if ((rc = grow_u32(&b->s_hash, &cap, s + 1)))
		return rc;
	b->cap_sets = cap;
	if ((rc = grow_u32(&b->r->pool, &b->cap_pool, b->npool + n)))
		return rc;
	memcpy(b->r->pool + b->npool, c, n * sizeof *c);
	b->s_node[s] = v;
	b->s_local[s] = ++b->nlocal[v];
	b->s_start[s] = b->npool;
	b->s_cnt[s] = n;
	b->s_hash[s] = h;
	b->npool += n;
	b->nsets++;
	b->stab[k] = s + 1;
	b->last[v] = s + 1;
	*local = b->s_local[s];
	return 0;
}

static void row_set(struct pf_routes *r, uint32_t v, uint32_t d, uint32_t local)
{
	if (r->wide)
		((uint32_t *)r->row[v])[d] = local;
	else
		((uint16_t *)r->row[v])[d] = (uint16_t)local;
}

/* Fill every node's entry for destination accelerator d (dist is from d). */
static int fill_column(struct build *b, uint32_t d)
{
	podfab_topo_t t = b->t;
	struct pf_routes *r = b->r;
	uint32_t dn = t->accel_node[d];
	for (uint32_t v = 0; v < t->nnodes; v++) {
		if (!r->row[v])
			continue;
		uint32_t dv = b->dist[v], local = 0;
		if (dv != NONE && v != dn) {
			uint32_t n = 0;
			for (uint32_t e = b->estart[v]; e < b->estart[v + 1]; e++) {
				uint32_t du = b->dist[b->edge[e].to];
				if (du != NONE && du + b->edge[e].w == dv)
					b->cand[n++] = b->edge[e].dlink;
			}
			int rc;
			if (n && (rc = intern(b, v, b->cand, n, &local)))
				return rc;
		}
		row_set(r, v, d, local);
	}
	return 0;
}

/*
 * Fill the entries for destination accelerators ds[0..nd), each of whose
 * logical edges all lead to node u (an accelerator behind one switch), from
 * a search from u (b->dist).  A path to such a d passes u last, so for
 * every other node v, dist_d(v) = dist_u(v) + w_d and v's candidates for d
 * are its candidates for u: one pass over the edges serves them all.  At u,
 * the candidates are its edges of least weight to d; d's own entry is 0.
 */
static int fill_group(struct build *b, uint32_t u, const uint32_t *ds, uint32_t nd)
{
	podfab_topo_t t = b->t;
	struct pf_routes *r = b->r;
	for (uint32_t v = 0; v < t->nnodes; v++) {
		if (!r->row[v])
			continue;
		int rc;
		if (v == u) {
			for (uint32_t i = 0; i < nd; i++) {
				uint32_t dn = t->accel_node[ds[i]], wmin = NONE, n = 0, local = 0;
				for (uint32_t e = b->estart[u]; e < b->estart[u + 1]; e++)
					if (b->edge[e].to == dn && b->edge[e].w < wmin)
						wmin = b->edge[e].w;
				for (uint32_t e = b->estart[u]; e < b->estart[u + 1]; e++)
					if (b->edge[e].to == dn && b->edge[e].w == wmin)
						b->cand[n++] = b->edge[e].dlink;
				if (n && (rc = intern(b, u, b->cand, n, &local)))
					return rc;
				row_set(r, u, ds[i], local);
			}
			continue;
		}
		uint32_t dv = b->dist[v], local = 0;
		if (dv != NONE) {
			uint32_t n = 0;
			for (uint32_t e = b->estart[v]; e < b->estart[v + 1]; e++) {
				uint32_t du = b->dist[b->edge[e].to];
				if (du != NONE && du + b->edge[e].w == dv)
					b->cand[n++] = b->edge[e].dlink;
			}
			if (n && (rc = intern(b, v, b->cand, n, &local)))
				return rc;
		}
		for (uint32_t i = 0; i < nd; i++)
			row_set(r, v, ds[i], v == t->accel_node[ds[i]] ? 0 : local);
	}
	return 0;
}

/* The node every logical edge of accelerator d leads to, or NONE (none, or several). */
static uint32_t attached_to(const struct build *b, uint32_t d)
{
	uint32_t dn = b->t->accel_node[d], u = NONE;
	for (uint32_t e = b->estart[dn]; e < b->estart[dn + 1]; e++) {
		if (u != NONE && b->edge[e].to != u)
			return NONE;
		u = b->edge[e].to;
	}
	return u;
}

/* ---- dimension-order routing ----------------------------------------------- */

static int dor_setup(podfab_topo_t t, struct pf_routes *r)
{
	uint32_t A = t->naccels;
	for (uint32_t v = 0; v < t->nnodes; v++)
		if (t->nodes[v].kind == PODFAB_NODE_SWITCH)
			return 0;
	r->ndims = 0;
	uint64_t cells = 1;
	for (int k = 0; k < 3; k++) {
		uint32_t have = 0, mx = 0;
		for (uint32_t a = 0; a < A; a++) {
			int32_t c = t->nodes[t->accel_node[a]].coord[k];
			if (c >= 0) {
				have++;
				if ((uint32_t)c > mx)
					mx = (uint32_t)c;
			}
		}
		if (have == 0)
			continue;
		if (have != A)
			return 0;
		r->dim[r->ndims] = k;
		r->size[r->ndims] = mx + 1;
		cells *= (uint64_t)mx + 1;
		r->ndims++;
		if (cells > 4ull * A + 64)
			return 0; /* sparse coordinates: not a torus */
	}
	if (r->ndims == 0)
		return 0;
	uint32_t *cell = malloc(cells * sizeof *cell);
	r->dor_dlink = malloc((size_t)A * 6 * sizeof *r->dor_dlink);
	if (!cell || !r->dor_dlink) {
		free(cell);
		return pf_err(PODFAB_ENOMEM, "dimension-order tables for %u accelerators", A);
	}
	for (uint64_t i = 0; i < cells; i++)
		cell[i] = NONE;
	int ok = 1;
	for (uint32_t a = 0; a < A && ok; a++) {
		const podfab_node_t *nd = &t->nodes[t->accel_node[a]];
		uint64_t idx = 0;
		for (int i = r->ndims - 1; i >= 0; i--)
			idx = idx * r->size[i] + (uint32_t)nd->coord[r->dim[i]];
		if (cell[idx] != NONE)
			ok = 0; /* two accelerators at one coordinate */
		cell[idx] = a;
	}
	free(cell);
	if (!ok) {
		free(r->dor_dlink);
		r->dor_dlink = NULL;
		return 0;
	}
	for (size_t i = 0; i < (size_t)A * 6; i++)
		r->dor_dlink[i] = NONE;
	for (uint32_t a = 0; a < A; a++) {
		uint32_t v = t->accel_node[a];
		const podfab_node_t *nd = &t->nodes[v];
		for (uint32_t p = 0; p < nd->nports; p++) {
			uint32_t l = nd->port_link[p], cur = v, steps = 0;
			int up = 1;
			for (;;) {
				up &= t->links[l].up != 0;
				uint32_t u = far_of(t, pf_rt_dlink_from(t, l, cur));
				cur = u;
				if (t->nodes[u].kind != PODFAB_NODE_RETIMER || ++steps > t->nnodes)
					break;
				l = pf_rt_retimer_out(t, u, l);
			}
			const podfab_node_t *un = &t->nodes[cur];
			if (un->kind != PODFAB_NODE_ACCEL)
				continue;
			int diff = -1, ndiff = 0;
			for (int i = 0; i < r->ndims; i++)
				if (un->coord[r->dim[i]] != nd->coord[r->dim[i]]) {
					diff = i;
					ndiff++;
				}
			if (ndiff != 1)
				continue;
			uint32_t sz = r->size[diff];
			uint32_t delta = ((uint32_t)un->coord[r->dim[diff]] + sz - (uint32_t)nd->coord[r->dim[diff]]) % sz;
			uint32_t *slot;
			if (delta == 1 && (r->dor_dlink[a * 6 + (uint32_t)diff * 2] == NONE || sz != 2))
				slot = &r->dor_dlink[a * 6 + (uint32_t)diff * 2];
			else if (delta == sz - 1)
				slot = &r->dor_dlink[a * 6 + (uint32_t)diff * 2 + 1];
			else
				continue;
			/* Keep the first chain found, unless it is down and this one is up. */
			if (*slot == NONE || (up && !t->links[*slot >> 1].up))
				*slot = pf_rt_dlink_from(t, nd->port_link[p], v);
		}
	}
	r->dor = 1;
	return 0;
}

/* Dimension-order route; -1 when a link it needs is missing or down. */
static int dor_query(podfab_topo_t t, const struct pf_routes *r, uint32_t src, uint32_t dst,
		     podfab_hop_t *hops, int max)
{
	uint32_t cur = t->accel_node[src];
	const podfab_node_t *dn = &t->nodes[t->accel_node[dst]];
	int count = 0;
	for (int i = 0; i < r->ndims; i++) {
		uint32_t sz = r->size[i], k = (uint32_t)r->dim[i];
		uint32_t f = ((uint32_t)dn->coord[k] + sz - (uint32_t)t->nodes[cur].coord[k]) % sz;
		if (!f)
			continue;
		uint32_t bk = sz - f, dir = f <= bk ? 0 : 1, steps = dir ? bk : f;
		for (uint32_t s = 0; s < steps; s++) {
			uint32_t dl = r->dor_dlink[(uint32_t)t->nodes[cur].accel * 6 + (uint32_t)i * 2 + dir];
			if (dl == NONE)
				return -1;
			for (;;) {
				uint32_t l = dl >> 1;
				if (!t->links[l].up)
					return -1;
				uint32_t u = far_of(t, dl);
				if (count < max) {
					hops[count].dlink = dl;
					hops[count].node = u;
				}
				if (++count > (int)t->nnodes)
					return -1;
				cur = u;
				if (t->nodes[u].kind != PODFAB_NODE_RETIMER)
					break;
				dl = pf_rt_dlink_from(t, pf_rt_retimer_out(t, u, l), u);
			}
			if (t->nodes[cur].kind != PODFAB_NODE_ACCEL)
				return -1;
		}
	}
	return cur == t->accel_node[dst] ? count : -1;
}

/* ---- build, free, query -------------------------------------------------- */

static void build_free(struct build *b)
{
	free(b->estart);
	free(b->edge);
	free(b->s_node);
	free(b->s_local);
	free(b->s_start);
	free(b->s_cnt);
	free(b->s_hash);
	free(b->stab);
	free(b->nlocal);
	free(b->last);
	free(b->dist);
	if (b->bucket)
		for (uint32_t i = 0; i <= b->maxw; i++)
			free(b->bucket[i]);
	free(b->bucket);
	free(b->bucket_n);
	free(b->bucket_cap);
	free(b->cand);
}

static void routes_release(struct pf_routes *r, uint32_t nnodes)
{
	if (!r)
		return;
	if (r->row)
		for (uint32_t v = 0; v < nnodes; v++)
			free(r->row[v]);
	free(r->row);
	free(r->uniform);
	free(r->node_first);
	free(r->set);
	free(r->pool);
	free(r->far);
	free(r->retimer);
	free(r->dor_dlink);
	free(r);
}

void pf_routes_free(podfab_topo_t t)
{
	if (!t)
		return;
	routes_release(t->routes, t->nnodes);
	t->routes = NULL;
}

static int build_tables(struct build *b)
{
	podfab_topo_t t = b->t;
	struct pf_routes *r = b->r;
	uint32_t n = t->nnodes, A = t->naccels;
	int rc;
	if ((rc = build_logical(b)))
		return rc;
	b->nlocal = calloc(n, sizeof *b->nlocal);
	b->last = calloc(n, sizeof *b->last);
	b->dist = malloc((size_t)n * sizeof *b->dist);
	b->cand = malloc((size_t)b->maxdeg * sizeof *b->cand);
	b->bucket = calloc((size_t)b->maxw + 1, sizeof *b->bucket);
	b->bucket_n = calloc((size_t)b->maxw + 1, sizeof *b->bucket_n);
	b->bucket_cap = calloc((size_t)b->maxw + 1, sizeof *b->bucket_cap);
	r->row = calloc(n, sizeof *r->row);
	r->uniform = calloc(n, sizeof *r->uniform);
	r->node_first = calloc(n, sizeof *r->node_first);
	if (!b->nlocal || !b->last || !b->dist || !b->cand || !b->bucket || !b->bucket_n || !b->bucket_cap ||
	    !r->row || !r->uniform || !r->node_first)
		return pf_err(PODFAB_ENOMEM, "routing tables for %u nodes", n);
	r->wide = A > 65535;
	size_t esz = r->wide ? sizeof(uint32_t) : sizeof(uint16_t);
	for (uint32_t v = 0; v < n; v++) {
		if (t->nodes[v].kind == PODFAB_NODE_RETIMER)
			continue; /* pass-through: leaves on its other port */
		if (!(r->row[v] = malloc((size_t)A * esz)))
			return pf_err(PODFAB_ENOMEM, "routing tables: %u nodes x %u accelerators", n, A);
	}
	/*
	 * Destinations behind one node are filled by groups (fill_group), in
	 * order of the node, each group's in order of accelerator; the others
	 * one search each.
	 */
	uint32_t *att = malloc((size_t)A * sizeof *att), *start = calloc((size_t)n + 2, sizeof *start);
	uint32_t *order = malloc((size_t)A * sizeof *order);
	if (!att || !start || !order) {
		free(att);
		free(start);
		free(order);
		return pf_err(PODFAB_ENOMEM, "routing tables for %u accelerators", A);
	}
	for (uint32_t d = 0; d < A; d++) {
		att[d] = attached_to(b, d);
		if (att[d] != NONE)
			start[att[d] + 2]++;
	}
	for (uint32_t v = 0; v < n; v++)
		start[v + 2] += start[v + 1];
	for (uint32_t d = 0; d < A; d++)
		if (att[d] != NONE)
			order[start[att[d] + 1]++] = d;
	rc = 0;
	for (uint32_t u = 0; u < n && !rc; u++) /* group u: order[start[u] .. start[u + 1]) */
		if (start[u + 1] > start[u] && !(rc = search(b, u)))
			rc = fill_group(b, u, order + start[u], start[u + 1] - start[u]);
	for (uint32_t d = 0; d < A && !rc; d++)
		if (att[d] == NONE && !(rc = search(b, t->accel_node[d])))
			rc = fill_column(b, d);
	free(att);
	free(start);
	free(order);
	if (rc)
		return rc;
	/* Release rows that say the same for every destination (own accelerator aside). */
	for (uint32_t v = 0; v < n; v++) {
		if (!r->row[v])
			continue;
		int32_t own = t->nodes[v].accel;
		uint32_t first = NONE;
		int uni = 1;
		for (uint32_t d = 0; d < A && uni; d++) {
			if ((int32_t)d == own)
				continue;
			uint32_t x = pf_rt_row_get(r, v, d);
			if (first == NONE)
				first = x;
			else if (x != first)
				uni = 0;
		}
		if (uni) {
			free(r->row[v]);
			r->row[v] = NULL;
			r->uniform[v] = first == NONE ? 0 : first;
		}
	}
	/* Number the sets node by node: global = node_first[v] + local - 1. */
	uint32_t g = 0;
	for (uint32_t v = 0; v < n; v++) {
		r->node_first[v] = g;
		g += b->nlocal[v];
	}
	r->set = malloc((g ? g : 1) * sizeof *r->set);
	if (!r->set)
		return pf_err(PODFAB_ENOMEM, "routing sets (%u)", g);
	for (uint32_t s = 0; s < b->nsets; s++) {
		uint32_t idx = r->node_first[b->s_node[s]] + b->s_local[s] - 1;
		r->set[idx].cnt = b->s_cnt[s];
		r->set[idx].first = b->s_cnt[s] == 1 ? r->pool[b->s_start[s]] : b->s_start[s];
	}
	return 0;
}

int pf_routes_build(podfab_topo_t t)
{
	if (!t)
		return pf_err(PODFAB_ENULL, "topology is NULL");
	pf_routes_free(t);
	struct pf_routes *r = calloc(1, sizeof *r);
	if (!r)
		return pf_err(PODFAB_ENOMEM, "routing tables");
	r->naccels = t->naccels;
	r->nnodes = t->nnodes;
	struct build b;
	memset(&b, 0, sizeof b);
	b.t = t;
	b.r = r;
	int rc = build_tables(&b);
	if (!rc)
		rc = dor_setup(t, r);
	if (!rc) {
		r->far = malloc((2 * (size_t)t->nlinks + 1) * sizeof *r->far);
		r->retimer = malloc((size_t)t->nnodes + 1);
		if (!r->far || !r->retimer)
			rc = pf_err(PODFAB_ENOMEM, "routing tables for %u links", t->nlinks);
	}
	if (!rc) {
		for (uint32_t d = 0; d < 2 * t->nlinks; d++)
			r->far[d] = far_of(t, d);
		for (uint32_t v = 0; v < t->nnodes; v++)
			r->retimer[v] = t->nodes[v].kind == PODFAB_NODE_RETIMER;
	}
	build_free(&b);
	if (rc) {
		routes_release(r, t->nnodes);
		return rc;
	}
	t->routes = r;
	return 0;
}

static int table_query(podfab_topo_t t, const struct pf_routes *r, uint32_t src, uint32_t dst, uint64_t flow,
		       podfab_hop_t *hops, int max)
{
	uint32_t cur = t->accel_node[src], dn = t->accel_node[dst], in = NONE;
	int count = 0;
	while (cur != dn) {
		uint32_t dl;
		if (r->retimer[cur]) {
			uint32_t l = pf_rt_retimer_out(t, cur, in);
			dl = pf_rt_dlink_from(t, l, cur);
		} else {
			dl = pf_rt_table_step(t, r, cur, dst, flow);
			if (dl == NONE) {
				if (count == 0)
					return pf_err(PODFAB_EUNREACHABLE,
						      "no route from accelerator %u to %u (no path over links that are up)",
						      src, dst);
				return pf_err(PODFAB_EUNREACHABLE,
					      "no route from accelerator %u to %u (the tables end at '%s')", src, dst,
					      t->nodes[cur].name);
			}
		}
		uint32_t u = r->far[dl];
		if (count < max) {
			hops[count].dlink = dl;
			hops[count].node = u;
		}
		if (++count > (int)t->nnodes)
			return pf_err(PODFAB_EUNREACHABLE, "no route from accelerator %u to %u (the tables loop)", src,
				      dst);
		in = dl >> 1;
		cur = u;
	}
	return count;
}

/* Whether pf_routes_next_prefetch_inline (pf_routes.h) is worth calling: routes by tables. */
int pf_routes_prefetchable(podfab_topo_t t)
{
	return t->routes && !t->routes->dor;
}

const uint32_t *pf_routes_far(podfab_topo_t t)
{
	return t->routes ? t->routes->far : NULL;
}

/* A query's arguments: 0, or the error. */
static int routes_check(podfab_topo_t t, uint32_t src, uint32_t dst)
{
	const struct pf_routes *r = t->routes;
	if (!r)
		return pf_err(PODFAB_EINVAL, "the topology has no routes (podfab_topo_finish)");
	if (src >= r->naccels || dst >= r->naccels)
		return pf_err(PODFAB_EACCEL, "accelerator %u is outside [0, %u)", src >= r->naccels ? src : dst,
			      r->naccels);
	return 0;
}

/*
 * Routing hop by hop: the route pf_routes_query(t, src, dst, flow) gives, a
 * link at a time, for a caller that moves many messages and would rather
 * not keep whole routes (the offline simulator).  pf_routes_first gives the
 * first directed link (0), or says src is dst (1), and sets *mode, which
 * pf_routes_next takes: PF_ROUTE_DOR when the route is by dimension order
 * (decided once, for the whole route, as pf_routes_query decides it).
 */
int pf_routes_first(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow, uint32_t *dlink,
		    uint32_t *mode)
{
	const struct pf_routes *r = t->routes;
	int rc = routes_check(t, src, dst);
	if (rc)
		return rc;
	*mode = 0;
	if (src == dst)
		return 1;
	uint32_t cur = t->accel_node[src];
	if (r->dor && dor_query(t, r, src, dst, NULL, 0) >= 0) {
		*mode = PF_ROUTE_DOR;
		*dlink = pf_rt_dor_step(t, r, cur, dst);
		return 0;
	}
	uint32_t dl = r->retimer[cur] ? NONE : pf_rt_table_step(t, r, cur, dst, flow);
	if (dl == NONE)
		return pf_err(PODFAB_EUNREACHABLE, "no route from accelerator %u to %u (no path over links that are up)",
			      src, dst);
	*dlink = dl;
	return 0;
}

uint32_t pf_routes_next(podfab_topo_t t, uint32_t dlink, uint32_t dst, uint64_t flow, uint32_t mode)
{
	return pf_routes_next_inline(t, dlink, dst, flow, mode);
}

int pf_routes_query(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow, podfab_hop_t *hops,
		    int max)
{
	const struct pf_routes *r = t->routes;
	int rc = routes_check(t, src, dst);
	if (rc)
		return rc;
	if (src == dst)
		return 0;
	if (max < 0)
		max = 0;
	if (r->dor) {
		int n = dor_query(t, r, src, dst, hops, max);
		if (n >= 0)
			return n;
	}
	return table_query(t, r, src, dst, flow, hops, max);
}
