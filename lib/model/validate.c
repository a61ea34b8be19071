/*
 * validate.c - structural validation of a fabric model (pf_topo_validate).
 *
 * Run by podfab_topo_finish before routes are computed.  Every rule returns
 * -PODFAB_EMODEL with a message that names the element ("FILE:LINE: " first
 * when the element came from a model file):
 *   - node and link ids, endpoints and ports are consistent (no dangling link
 *     end, no port used by two links; parallel links between a pair are legal);
 *   - names are unique;
 *   - latencies and propagation delays are finite and not negative;
 *   - every link has lanes > 0, a finite lane rate > 0, an encoding, and a
 *     pre-FEC bit-error rate in [0, 1);
 *   - a switch has no more links than its radix (radix 0: unlimited);
 *   - a retimer has exactly two links, and retimer chains end at
 *     accelerators or switches (a loop of retimers is named);
 *   - there is at least one accelerator, no more than the family allows;
 *   - every accelerator can reach every other over links, up or down.
 * Cost: O(nodes + links) time and memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_internal.h"
#include "pf_model.h"

#define WHERE_LEN 256

static const char *const kind_name[] = {"accelerator", "switch", "retimer"};

static int check_ports(podfab_topo_t t)
{
	char w[WHERE_LEN];
	for (uint32_t l = 0; l < t->nlinks; l++) {
		const podfab_link_t *lk = &t->links[l];
		if (lk->a >= t->nnodes || lk->b >= t->nnodes)
			return pf_err(PODFAB_EMODEL, "%slink %u names node %u, but there are %u nodes",
				      pf_topo_where(t, lk->src_line, w, sizeof w), l,
				      lk->a >= t->nnodes ? lk->a : lk->b, t->nnodes);
		if (lk->a == lk->b)
			return pf_err(PODFAB_EMODEL, "%slink %u joins '%s' to itself",
				      pf_topo_where(t, lk->src_line, w, sizeof w), l, t->nodes[lk->a].name);
		for (int end = 0; end < 2; end++) {
			uint32_t v = end ? lk->b : lk->a, p = end ? lk->b_port : lk->a_port;
			const podfab_node_t *nd = &t->nodes[v];
			if (p >= nd->nports || !nd->port_link)
				return pf_err(PODFAB_EMODEL, "%slink %u ('%s' - '%s') uses port %u of '%s', which has %u ports",
					      pf_topo_where(t, lk->src_line, w, sizeof w), l, t->nodes[lk->a].name,
					      t->nodes[lk->b].name, p, nd->name, nd->nports);
			uint32_t other = nd->port_link[p];
			if (other != l)
				return pf_err(PODFAB_EMODEL, "%slinks %u and %u both use port %u of '%s'",
					      pf_topo_where(t, lk->src_line, w, sizeof w), l, other, p, nd->name);
		}
	}
	for (uint32_t v = 0; v < t->nnodes; v++) {
		const podfab_node_t *nd = &t->nodes[v];
		for (uint32_t p = 0; p < nd->nports; p++) {
			uint32_t l = nd->port_link[p];
			const podfab_link_t *lk = l < t->nlinks ? &t->links[l] : NULL;
			if (!lk || !((lk->a == v && lk->a_port == p) || (lk->b == v && lk->b_port == p)))
				return pf_err(PODFAB_EMODEL, "%sport %u of '%s' names link %u, which does not end there",
					      pf_topo_where(t, nd->src_line, w, sizeof w), p, nd->name, l);
		}
	}
	return 0;
}

static int bad_time(double x)
{
	return !isfinite(x) || x < 0;
}

static int check_nodes(podfab_topo_t t)
{
	char w[WHERE_LEN];
	for (uint32_t v = 0; v < t->nnodes; v++) {
		const podfab_node_t *nd = &t->nodes[v];
		pf_topo_where(t, nd->src_line, w, sizeof w);
		if (!nd->name || !*nd->name)
			return pf_err(PODFAB_EMODEL, "%snode %u has no name", w, v);
		if (podfab_topo_find(t, nd->name) != v)
			return pf_err(PODFAB_EMODEL, "%sduplicate name '%s' (nodes %u and %u)", w, nd->name,
				      podfab_topo_find(t, nd->name), v);
		if ((unsigned)nd->kind >= PODFAB_NODE_KIND_MAX)
			return pf_err(PODFAB_EMODEL, "%snode '%s' has kind %d", w, nd->name, (int)nd->kind);
		if (bad_time(nd->latency_ns))
			return pf_err(PODFAB_EMODEL, "%s%s '%s': latency %g ns is negative or not a number", w,
				      kind_name[nd->kind], nd->name, nd->latency_ns);
		if (bad_time(nd->egress_ns))
			return pf_err(PODFAB_EMODEL, "%s%s '%s': egress latency %g ns is negative or not a number", w,
				      kind_name[nd->kind], nd->name, nd->egress_ns);
		if (nd->kind == PODFAB_NODE_SWITCH && nd->radix && nd->nports > nd->radix)
			return pf_err(PODFAB_EMODEL, "%sswitch '%s' has %u links, more than its radix %u", w, nd->name,
				      nd->nports, nd->radix);
		if (nd->kind == PODFAB_NODE_RETIMER && nd->nports != 2)
			return pf_err(PODFAB_EMODEL, "%sretimer '%s' has %u links; a retimer joins exactly two", w,
				      nd->name, nd->nports);
	}
	return 0;
}

static int check_links(podfab_topo_t t)
{
	char w[WHERE_LEN];
	for (uint32_t l = 0; l < t->nlinks; l++) {
		const podfab_link_t *lk = &t->links[l];
		const char *an = t->nodes[lk->a].name, *bn = t->nodes[lk->b].name;
		pf_topo_where(t, lk->src_line, w, sizeof w);
		if (lk->lanes == 0)
			return pf_err(PODFAB_EMODEL, "%slink %u ('%s' - '%s'): lanes is 0", w, l, an, bn);
		if (!isfinite(lk->lane_gbps) || lk->lane_gbps <= 0)
			return pf_err(PODFAB_EMODEL, "%slink %u ('%s' - '%s'): lane rate %g Gb/s is not positive", w, l,
				      an, bn, lk->lane_gbps);
		if (bad_time(lk->prop_ns))
			return pf_err(PODFAB_EMODEL, "%slink %u ('%s' - '%s'): propagation delay %g ns is negative or not a number",
				      w, l, an, bn, lk->prop_ns);
		if (!lk->enc)
			return pf_err(PODFAB_EMODEL, "%slink %u ('%s' - '%s'): no encoding", w, l, an, bn);
		if (!(lk->ber >= 0 && lk->ber < 1))
			return pf_err(PODFAB_EMODEL, "%slink %u ('%s' - '%s'): bit-error rate %g is outside [0, 1)", w, l,
				      an, bn, lk->ber);
	}
	return 0;
}

/* The link on the other port of retimer r than the one on link `in`. */
static uint32_t retimer_other(podfab_topo_t t, uint32_t r, uint32_t in_port)
{
	return t->nodes[r].port_link[in_port ^ 1u];
}

/* Port of node v that link l uses (its a end when both are v: never, a != b). */
static uint32_t port_of(podfab_topo_t t, uint32_t l, uint32_t v)
{
	const podfab_link_t *lk = &t->links[l];
	return lk->a == v ? lk->a_port : lk->b_port;
}

static uint32_t far_end(podfab_topo_t t, uint32_t l, uint32_t v)
{
	const podfab_link_t *lk = &t->links[l];
	return lk->a == v ? lk->b : lk->a;
}

/* Every retimer has two links here; a chain that never leaves retimers is a loop. */
static int check_retimer_loops(podfab_topo_t t)
{
	uint8_t *seen = calloc(t->nnodes ? t->nnodes : 1, 1);
	if (!seen)
		return pf_err(PODFAB_ENOMEM, "validation marks for %u nodes", t->nnodes);
	int rc = 0;
	for (uint32_t r = 0; r < t->nnodes && !rc; r++) {
		if (t->nodes[r].kind != PODFAB_NODE_RETIMER || seen[r])
			continue;
		/* Walk out of port 0: to a non-retimer (a chain) or back to r (a loop). */
		uint32_t v = r, port = 1, steps = 0;
		for (;;) {
			seen[v] = 1;
			uint32_t l = retimer_other(t, v, port);
			uint32_t u = far_end(t, l, v);
			if (t->nodes[u].kind != PODFAB_NODE_RETIMER)
				break;
			if (u == r) {
				char w[WHERE_LEN], names[200];
				size_t n = 0;
				uint32_t x = r, xp = 1;
				names[0] = '\0';
				for (uint32_t i = 0; i <= steps && i < 4; i++) {
					n += (size_t)snprintf(names + n, sizeof names - n, "%s'%s'", i ? " - " : "",
							      t->nodes[x].name);
					if (n >= sizeof names)
						break;
					uint32_t xl = retimer_other(t, x, xp);
					uint32_t y = far_end(t, xl, x);
					xp = port_of(t, xl, y);
					x = y;
				}
				rc = pf_err(PODFAB_EMODEL, "%sretimers form a loop that reaches no accelerator or switch: %s%s (%u retimers)",
					    pf_topo_where(t, t->nodes[r].src_line, w, sizeof w), names,
					    steps >= 4 ? " - ..." : "", steps + 1);
				break;
			}
			port = port_of(t, l, u);
			v = u;
			steps++;
		}
	}
	free(seen);
	return rc;
}

/* Breadth-first search from accelerator 0 over every link, up or down. */
static int check_connected(podfab_topo_t t)
{
	uint32_t *queue = malloc((size_t)t->nnodes * sizeof *queue);
	uint8_t *seen = calloc(t->nnodes, 1);
	if (!queue || !seen) {
		free(queue);
		free(seen);
		return pf_err(PODFAB_ENOMEM, "validation search over %u nodes", t->nnodes);
	}
	uint32_t head = 0, tail = 0, s = t->accel_node[0];
	queue[tail++] = s;
	seen[s] = 1;
	while (head < tail) {
		uint32_t v = queue[head++];
		const podfab_node_t *nd = &t->nodes[v];
		for (uint32_t p = 0; p < nd->nports; p++) {
			uint32_t u = far_end(t, nd->port_link[p], v);
			if (!seen[u]) {
				seen[u] = 1;
				queue[tail++] = u;
			}
		}
	}
	int rc = 0;
	for (uint32_t a = 1; a < t->naccels; a++) {
		uint32_t v = t->accel_node[a];
		if (!seen[v]) {
			char w[WHERE_LEN];
			rc = pf_err(PODFAB_EMODEL, "%saccelerators 0 ('%s') and %u ('%s') are not connected by any links",
				    pf_topo_where(t, t->nodes[v].src_line, w, sizeof w), t->nodes[s].name, a,
				    t->nodes[v].name);
			break;
		}
	}
	free(queue);
	free(seen);
	return rc;
}

int pf_topo_validate(podfab_topo_t t)
{
	int rc;
	if (!t)
		return pf_err(PODFAB_ENULL, "topology is NULL");
	char w[WHERE_LEN];
	if (t->file)
		snprintf(w, sizeof w, "%s: ", t->file);
	else
		w[0] = '\0';
	if (t->naccels == 0)
		return pf_err(PODFAB_EMODEL, "%sthe model has no accelerators", w);
	if (t->family_limit && t->naccels > t->family_limit)
		return pf_err(PODFAB_EMODEL, "%s%u accelerators, but family '%s' allows at most %u", w, t->naccels,
			      t->family ? t->family : "custom", t->family_limit);
	if ((rc = check_ports(t)) || (rc = check_nodes(t)) || (rc = check_links(t)) ||
	    (rc = check_retimer_loops(t)) || (rc = check_connected(t)))
		return rc;
	return 0;
}
