/*
 * podfab-topo - inspect a fabric model: validate it, count what it holds,
 * print a route with its closed-form zero-load latency and bandwidth, draw it
 * for Graphviz, list the generator families and encoding profiles.
 *
 * Uses only the public topology API (podfab/topo.h).  See podfab-topo(1).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <podfab/topo.h>

#include "podfab_config.h"

#define DEFAULT_BYTES 256u
#define MAX_HOPS 256

static int opt_json;
static int opt_collapse;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: podfab-topo [--json] COMMAND [ARGS]\n"
		"  validate SPEC                 check a model; print its size\n"
		"  info SPEC                     counts, links by class, diameter, bisection bandwidth\n"
		"  route SPEC A B [--flow N] [--bytes N] [--op write|read|atomic]\n"
		"                                hops from accelerator A to B and back with the\n"
		"                                zero-load latency of the request and of the whole\n"
		"                                operation (a write of N bytes, 256, by default; one\n"
		"                                request of at most max_request bytes), and the bandwidth\n"
		"  dot SPEC [--collapse]         Graphviz drawing (graph \"podfab\"); --collapse draws\n"
		"                                one node per class of equivalent elements (colour\n"
		"                                refinement), for pods too large to draw whole\n"
		"  list                          generator families and encoding profiles\n"
		"SPEC is a model file (fabric-models/*.yaml), a generator string\n"
		"(\"ualink-pod:accels=64,switches=4\") or plugin:PATH.so[:PARAMS].\n"
		"Options: --json (machine-readable output), --help, --version.\n"
		"Bandwidths are per direction, GB/s = lanes x lane rate x encoding efficiency / 8.\n"
		"Diameter: the most links on a shortest path between two accelerators (BFS from\n"
		"each accelerator over links that are up).  Bisection: the max-flow/min-cut between\n"
		"accelerators 0..n/2-1 and n/2..n-1, each link carrying its bandwidth per direction.\n");
}

/* "podfab-topo: " pre arg post, then the usage; exit status 2. */
static int fail_usage(const char *pre, const char *arg, const char *post)
{
	fprintf(stderr, "podfab-topo: %s%s%s\n", pre, arg ? arg : "", post);
	usage(stderr);
	return 2;
}

/* ---- JSON helpers ------------------------------------------------------- */

static void jstr(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* A number as JSON accepts it (no inf/nan). */
static void jnum(double v)
{
	if (!isfinite(v))
		printf("null");
	else
		printf("%.10g", v);
}

/* ---- model helpers ------------------------------------------------------ */

static const char *kind_name(podfab_node_kind_t k)
{
	switch (k) {
	case PODFAB_NODE_ACCEL: return "accelerator";
	case PODFAB_NODE_SWITCH: return "switch";
	case PODFAB_NODE_RETIMER: return "retimer";
	default: return "unknown";
	}
}

/* Payload bandwidth of a link per direction, GB/s. */
static double link_gbs(const podfab_link_t *l)
{
	double eff = l->enc ? podfab_encoding_efficiency(l->enc) : 1.0;
	return (double)l->lanes * l->lane_gbps * eff / 8.0;
}

/* Raw rate of a link per direction, bytes per ns. */
static double link_raw_bpns(const podfab_link_t *l)
{
	return (double)l->lanes * l->lane_gbps / 8.0;
}

static int load(const char *spec, podfab_topo_t *t)
{
	int rc = podfab_topo_load(spec, t);
	if (rc < 0) {
		const char *d = podfab_error_detail();
		if (d && *d)
			fprintf(stderr, "podfab-topo: %s\n", d);
		else
			fprintf(stderr, "podfab-topo: %s: %s\n", spec, podfab_strerror(rc));
		return 1;
	}
	return 0;
}

static uint32_t count_kind(podfab_topo_t t, podfab_node_kind_t k)
{
	uint32_t n = 0, nn = podfab_topo_nnodes(t);
	for (uint32_t i = 0; i < nn; i++)
		if (podfab_topo_node(t, i)->kind == k)
			n++;
	return n;
}

/* ---- validate ----------------------------------------------------------- */

static int cmd_validate(const char *spec)
{
	podfab_topo_t t;
	if (load(spec, &t))
		return 1;
	uint32_t a = podfab_topo_naccels(t), s = count_kind(t, PODFAB_NODE_SWITCH);
	uint32_t r = count_kind(t, PODFAB_NODE_RETIMER), l = podfab_topo_nlinks(t);
	if (opt_json) {
		printf("{\"spec\": ");
		jstr(spec);
		printf(", \"ok\": true, \"accelerators\": %" PRIu32 ", \"switches\": %" PRIu32
		       ", \"retimers\": %" PRIu32 ", \"links\": %" PRIu32 "}\n", a, s, r, l);
	} else {
		printf("%s: ok (%" PRIu32 " accelerators, %" PRIu32 " switches, %" PRIu32
		       " retimers, %" PRIu32 " links)\n", spec, a, s, r, l);
	}
	podfab_topo_free(t);
	return 0;
}

/* ---- info: diameter (BFS) and bisection (max-flow) ---------------------- */

/* Adjacency over links that are up: for node v, adj[off[v] .. off[v+1]) are link ids. */
struct adj {
	uint32_t *off, *lnk;
};

static int build_adj(podfab_topo_t t, struct adj *g)
{
	uint32_t nn = podfab_topo_nnodes(t), nl = podfab_topo_nlinks(t);
	g->off = calloc((size_t)nn + 1, sizeof *g->off);
	g->lnk = malloc(((size_t)nl * 2 + 1) * sizeof *g->lnk);
	if (!g->off || !g->lnk)
		return -1;
	for (uint32_t i = 0; i < nl; i++) {
		const podfab_link_t *l = podfab_topo_link(t, i);
		if (!l->up)
			continue;
		g->off[l->a + 1]++;
		g->off[l->b + 1]++;
	}
	for (uint32_t v = 0; v < nn; v++)
		g->off[v + 1] += g->off[v];
	uint32_t *fill = calloc((size_t)nn + 1, sizeof *fill);
	if (!fill)
		return -1;
	for (uint32_t i = 0; i < nl; i++) {
		const podfab_link_t *l = podfab_topo_link(t, i);
		if (!l->up)
			continue;
		g->lnk[g->off[l->a] + fill[l->a]++] = i;
		g->lnk[g->off[l->b] + fill[l->b]++] = i;
	}
	free(fill);
	return 0;
}

/* Most links on a shortest path between two accelerators; -1 if some pair is cut off. */
static long diameter(podfab_topo_t t, const struct adj *g)
{
	uint32_t nn = podfab_topo_nnodes(t), na = podfab_topo_naccels(t);
	uint32_t *dist = malloc((size_t)nn * sizeof *dist), *q = malloc((size_t)nn * sizeof *q);
	long best = 0;
	if (!dist || !q) {
		free(dist);
		free(q);
		return -2;
	}
	for (uint32_t a = 0; a < na && best >= 0; a++) {
		uint32_t src = podfab_topo_accel_node(t, a);
		for (uint32_t v = 0; v < nn; v++)
			dist[v] = UINT32_MAX;
		uint32_t head = 0, tail = 0;
		dist[src] = 0;
		q[tail++] = src;
		while (head < tail) {
			uint32_t v = q[head++];
			for (uint32_t k = g->off[v]; k < g->off[v + 1]; k++) {
				const podfab_link_t *l = podfab_topo_link(t, g->lnk[k]);
				uint32_t w = l->a == v ? l->b : l->a;
				if (dist[w] == UINT32_MAX) {
					dist[w] = dist[v] + 1;
					q[tail++] = w;
				}
			}
		}
		for (uint32_t b = 0; b < na; b++) {
			uint32_t d = dist[podfab_topo_accel_node(t, b)];
			if (d == UINT32_MAX) {
				best = -1;
				break;
			}
			if ((long)d > best)
				best = (long)d;
		}
	}
	free(dist);
	free(q);
	return best;
}

/* Dinic max-flow on an undirected graph plus a source and a sink. */
struct flow {
	uint32_t n, m, cap_m;
	uint32_t *head, *next, *to;
	double *cap;
	uint32_t *level, *it, *q;
};

static int flow_edge(struct flow *f, uint32_t u, uint32_t v, double c_uv, double c_vu)
{
	if (f->m + 2 > f->cap_m)
		return -1;
	f->to[f->m] = v; f->cap[f->m] = c_uv; f->next[f->m] = f->head[u]; f->head[u] = f->m++;
	f->to[f->m] = u; f->cap[f->m] = c_vu; f->next[f->m] = f->head[v]; f->head[v] = f->m++;
	return 0;
}

static int flow_bfs(struct flow *f, uint32_t s, uint32_t d)
{
	for (uint32_t v = 0; v < f->n; v++)
		f->level[v] = UINT32_MAX;
	uint32_t h = 0, tl = 0;
	f->level[s] = 0;
	f->q[tl++] = s;
	while (h < tl) {
		uint32_t v = f->q[h++];
		for (uint32_t e = f->head[v]; e != UINT32_MAX; e = f->next[e])
			if (f->cap[e] > 1e-12 && f->level[f->to[e]] == UINT32_MAX) {
				f->level[f->to[e]] = f->level[v] + 1;
				f->q[tl++] = f->to[e];
			}
	}
	return f->level[d] != UINT32_MAX;
}

/* One blocking-flow augmenting path found iteratively (no recursion depth limit). */
static double flow_push(struct flow *f, uint32_t s, uint32_t d, uint32_t *path)
{
	uint32_t depth = 0, v = s;
	for (;;) {
		if (v == d) {
			double push = INFINITY;
			for (uint32_t i = 0; i < depth; i++)
				if (f->cap[path[i]] < push)
					push = f->cap[path[i]];
			for (uint32_t i = 0; i < depth; i++) {
				f->cap[path[i]] -= push;
				f->cap[path[i] ^ 1u] += push;
			}
			return push;
		}
		uint32_t e;
		for (e = f->it[v]; e != UINT32_MAX; e = f->next[e])
			if (f->cap[e] > 1e-12 && f->level[f->to[e]] == f->level[v] + 1)
				break;
		f->it[v] = e;
		if (e != UINT32_MAX) {
			path[depth++] = e;
			v = f->to[e];
			continue;
		}
		if (v == s)
			return 0.0;
		f->level[v] = UINT32_MAX; /* dead end */
		depth--;
		v = f->to[path[depth] ^ 1u];
		f->it[v] = f->next[f->it[v]];
	}
}

/* Max-flow GB/s between accelerators 0..n/2-1 and n/2..n-1; < 0 on failure. */
static double bisection(podfab_topo_t t)
{
	uint32_t nn = podfab_topo_nnodes(t), nl = podfab_topo_nlinks(t), na = podfab_topo_naccels(t);
	if (na < 2)
		return 0.0;
	struct flow f = {0};
	f.n = nn + 2;
	f.cap_m = 2 * (nl + na);
	f.head = malloc(f.n * sizeof *f.head);
	f.next = malloc(f.cap_m * sizeof *f.next);
	f.to = malloc(f.cap_m * sizeof *f.to);
	f.cap = malloc(f.cap_m * sizeof *f.cap);
	f.level = malloc(f.n * sizeof *f.level);
	f.it = malloc(f.n * sizeof *f.it);
	f.q = malloc(f.n * sizeof *f.q);
	uint32_t *path = malloc(f.n * sizeof *path);
	double total = -1.0;
	if (!f.head || !f.next || !f.to || !f.cap || !f.level || !f.it || !f.q || !path)
		goto out;
	for (uint32_t v = 0; v < f.n; v++)
		f.head[v] = UINT32_MAX;
	uint32_t s = nn, d = nn + 1;
	for (uint32_t i = 0; i < nl; i++) {
		const podfab_link_t *l = podfab_topo_link(t, i);
		if (l->up && flow_edge(&f, l->a, l->b, link_gbs(l), link_gbs(l)))
			goto out;
	}
	for (uint32_t a = 0; a < na; a++) {
		uint32_t v = podfab_topo_accel_node(t, a);
		if (a < na / 2 ? flow_edge(&f, s, v, INFINITY, 0) : flow_edge(&f, v, d, INFINITY, 0))
			goto out;
	}
	total = 0.0;
	while (flow_bfs(&f, s, d)) {
		memcpy(f.it, f.head, f.n * sizeof *f.it);
		double p;
		while ((p = flow_push(&f, s, d, path)) > 0.0) {
			if (isinf(p)) { /* an accelerator in both halves cannot happen; guard anyway */
				total = INFINITY;
				goto out;
			}
			total += p;
		}
	}
out:
	free(f.head); free(f.next); free(f.to); free(f.cap);
	free(f.level); free(f.it); free(f.q); free(path);
	return total;
}

struct cls_sum {
	const char *cls;
	uint32_t count, lanes, up;
	double gbs;
};

static int cmd_info(const char *spec)
{
	podfab_topo_t t;
	if (load(spec, &t))
		return 1;
	uint32_t nl = podfab_topo_nlinks(t), nk[PODFAB_NODE_KIND_MAX] = {0};
	for (uint32_t i = 0; i < podfab_topo_nnodes(t); i++) {
		const podfab_node_t *n = podfab_topo_node(t, i);
		if ((unsigned)n->kind < PODFAB_NODE_KIND_MAX)
			nk[n->kind]++;
	}
	struct cls_sum *cs = calloc((size_t)nl + 1, sizeof *cs), tot = {"total", 0, 0, 0, 0.0};
	struct adj g = {0};
	int rc = 1;
	if (!cs || build_adj(t, &g)) {
		fprintf(stderr, "podfab-topo: out of memory\n");
		goto out;
	}
	uint32_t ncls = 0;
	for (uint32_t i = 0; i < nl; i++) {
		const podfab_link_t *l = podfab_topo_link(t, i);
		const char *c = l->cls ? l->cls : "-";
		uint32_t k;
		for (k = 0; k < ncls; k++)
			if (!strcmp(cs[k].cls, c))
				break;
		if (k == ncls)
			cs[ncls++].cls = c;
		cs[k].count++;
		cs[k].lanes += l->lanes;
		cs[k].up += l->up ? 1u : 0u;
		cs[k].gbs += link_gbs(l);
		tot.count++;
		tot.lanes += l->lanes;
		tot.up += l->up ? 1u : 0u;
		tot.gbs += link_gbs(l);
	}
	long diam = diameter(t, &g);
	double bis = bisection(t);
	if (diam == -2 || bis < 0) {
		fprintf(stderr, "podfab-topo: out of memory\n");
		goto out;
	}
	if (opt_json) {
		printf("{\"spec\": ");
		jstr(spec);
		printf(", \"family\": ");
		jstr(podfab_topo_family(t));
		printf(", \"accelerators\": %" PRIu32 ", \"switches\": %" PRIu32 ", \"retimers\": %" PRIu32
		       ", \"links\": %" PRIu32 ",\n \"classes\": [", nk[0], nk[1], nk[2], nl);
		for (uint32_t k = 0; k <= ncls; k++) {
			const struct cls_sum *c = k < ncls ? &cs[k] : &tot;
			if (k == ncls)
				printf("],\n \"total\": ");
			else if (k)
				printf(",\n   ");
			printf("{\"class\": ");
			jstr(c->cls);
			printf(", \"count\": %" PRIu32 ", \"up\": %" PRIu32 ", \"lanes\": %" PRIu32
			       ", \"gbytes_per_s\": ", c->count, c->up, c->lanes);
			jnum(c->gbs);
			printf("}");
		}
		printf(",\n \"diameter_hops\": ");
		if (diam < 0)
			printf("null");
		else
			printf("%ld", diam);
		printf(", \"bisection_gbytes_per_s\": ");
		jnum(bis);
		printf(", \"bisection_method\": \"max-flow between accelerators [0, n/2) and [n/2, n)\"}\n");
	} else {
		printf("model:        %s (family %s)\n", spec, podfab_topo_family(t));
		printf("accelerators: %" PRIu32 "\nswitches:     %" PRIu32 "\nretimers:     %" PRIu32
		       "\nlinks:        %" PRIu32 "\n", nk[0], nk[1], nk[2], nl);
		printf("links by class (bandwidth per direction = lanes x rate x efficiency):\n");
		printf("  %-20s %8s %8s %8s %14s\n", "class", "count", "up", "lanes", "GB/s");
		for (uint32_t k = 0; k <= ncls; k++) {
			const struct cls_sum *c = k < ncls ? &cs[k] : &tot;
			printf("  %-20s %8" PRIu32 " %8" PRIu32 " %8" PRIu32 " %14.3f\n", c->cls, c->count,
			       c->up, c->lanes, c->gbs);
		}
		if (diam < 0)
			printf("diameter:     unreachable pairs\n");
		else
			printf("diameter:     %ld hops (BFS from each accelerator)\n", diam);
		printf("bisection:    %.3f GB/s per direction (max-flow between accelerators [0, n/2) and"
		       " [n/2, n))\n", bis);
	}
	rc = 0;
out:
	free(cs);
	free(g.off);
	free(g.lnk);
	podfab_topo_free(t);
	return rc;
}

/* ---- route -------------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

/* The operations route --op models: what the request and the response carry. */
enum op { OP_WRITE, OP_READ, OP_ATOMIC };
static const char *const op_names[] = {"write", "read", "atomic"};
#define ATOMIC_OPERAND_BYTES 8u

/* The route from accelerator a to b into hops; its hop count, or -1 after a message. */
static int route_hops(podfab_topo_t t, uint32_t a, uint32_t b, uint64_t flow, podfab_hop_t *hops)
{
	int nh = podfab_topo_route(t, a, b, flow, hops, MAX_HOPS);
	if (nh < 0 || nh > MAX_HOPS) {
		const char *d = podfab_error_detail();
		fprintf(stderr, "podfab-topo: route %" PRIu32 " -> %" PRIu32 ": %s\n", a, b,
			nh < 0 ? (d && *d ? d : podfab_strerror(nh)) : "more than 256 hops");
		return -1;
	}
	return nh;
}

/*
 * One message (a request, or a response when resp) of `payload` bytes along
 * hops from node `from0`: prints each hop (text rows, or JSON objects) and
 * returns the sum over hops of s + p + fec + d; *bw gets the smallest link
 * bandwidth on the way (0 for no hops).
 */
static double walk(podfab_topo_t t, uint32_t from0, const podfab_hop_t *hops, int nh, int resp,
		   uint64_t payload, double *bw)
{
	double total = 0.0, minbw = INFINITY;
	double head = 0.0, tail = 0.0; /* head may go on / whole message here (they part after cut-through) */
	uint32_t prev = from0;
	for (int i = 0; i < nh; i++) {
		const podfab_link_t *l = podfab_topo_link(t, hops[i].dlink / 2);
		const podfab_node_t *from = podfab_topo_node(t, prev), *to = podfab_topo_node(t, hops[i].node);
		uint32_t hdr = l->enc ? (resp ? l->enc->resp_header_bytes : l->enc->req_header_bytes) : 0;
		double w = podfab_encoding_wire_bytes(l->enc, hdr, payload);
		double rate = link_raw_bpns(l);
		/* A cut-through switch (or a retimer) forwards after the head; anything else after the whole message. */
		int ct = (to->kind == PODFAB_NODE_SWITCH && to->cut_through) || to->kind == PODFAB_NODE_RETIMER;
		double sbytes = ct ? podfab_encoding_head_bytes(l->enc, w) : w;
		double s = rate > 0 ? sbytes / rate : INFINITY;
		/* FEC is decoded at every element but a retimer that passes it through. */
		int fec_here = l->enc && l->enc->fec_codeword_bytes &&
			       !(to->kind == PODFAB_NODE_RETIMER && !to->fec_terminate);
		double fec = fec_here ? l->enc->fec_latency_ns : 0.0;
		double d = to->latency_ns;
		double hop_ns = s + l->prop_ns + fec + d;
		double gbs = link_gbs(l);
		total += hop_ns;
		/* A message cannot leave an element before its tail has arrived there. */
		double end = head + (rate > 0 ? w / rate : INFINITY);
		if (end < tail)
			end = tail;
		tail = end + l->prop_ns + fec + d;
		head = ct ? head + hop_ns : tail;
		if (gbs < minbw)
			minbw = gbs;
		if (opt_json) {
			printf("%s{\"link\": %" PRIu32 ", \"dlink\": %" PRIu32 ", \"from\": ", i ? ",\n   " : "",
			       l->id, hops[i].dlink);
			jstr(from->name);
			printf(", \"to\": ");
			jstr(to->name);
			printf(", \"to_kind\": \"%s\", \"class\": ", kind_name(to->kind));
			jstr(l->cls);
			printf(", \"encoding\": ");
			jstr(l->enc ? l->enc->name : "");
			printf(", \"lanes\": %" PRIu32 ", \"lane_gbps\": ", l->lanes);
			jnum(l->lane_gbps);
			printf(", \"header_bytes\": %" PRIu32 ", \"flits\": %" PRIu64 ", \"wire_bytes\": ", hdr,
			       podfab_encoding_flits(l->enc, hdr, payload));
			jnum(w);
			printf(", \"cut_through\": %s, \"serialise_bytes\": ", ct ? "true" : "false");
			jnum(sbytes);
			printf(", \"serialise_ns\": ");
			jnum(s);
			printf(", \"prop_ns\": ");
			jnum(l->prop_ns);
			printf(", \"fec_ns\": ");
			jnum(fec);
			printf(", \"element_ns\": ");
			jnum(d);
			printf(", \"hop_ns\": ");
			jnum(hop_ns);
			printf(", \"gbytes_per_s\": ");
			jnum(gbs);
			printf("}");
		} else {
			printf("  %3d %6" PRIu32 " %-16s %-16s %-14s %6" PRIu32 " %9.1f %9.2f %8.3f %8.3f"
			       " %9.3f %9.3f%s\n", i + 1, l->id, from->name, to->name, l->cls ? l->cls : "-",
			       l->lanes, l->lane_gbps, w, s, l->prop_ns, fec, d, ct ? "  (cut-through: head)" : "");
		}
		prev = hops[i].node;
	}
	*bw = nh ? minbw : 0.0;
	if (head > total + 1e-9 && !opt_json)
		printf("  (a slower link before a cut-through element holds the tail back: +%.3f ns over the sum)\n",
		       head - total);
	return head;
}

static void table_head(void)
{
	printf("  %3s %6s %-20s %-20s %-14s %6s %9s %9s %8s %8s %9s %9s\n", "hop", "link", "from",
	       "to", "class", "lanes", "Gb/s", "w(B)", "s(ns)", "p(ns)", "fec(ns)", "d(ns)");
}

static int cmd_route(const char *spec, const char *as, const char *bs, uint64_t flow, uint64_t bytes,
		     enum op op)
{
	uint64_t a, b;
	if (parse_u64(as, &a) || parse_u64(bs, &b))
		return fail_usage("route: A and B must be accelerator numbers, got '",
				  parse_u64(as, &a) ? as : bs, "'");
	podfab_topo_t t;
	if (load(spec, &t))
		return 1;
	uint32_t na = podfab_topo_naccels(t);
	if (a >= na || b >= na) {
		fprintf(stderr, "podfab-topo: route: accelerator %" PRIu64 " out of range (the model has %"
			PRIu32 ")\n", a >= na ? a : b, na);
		podfab_topo_free(t);
		return 1;
	}
	podfab_hop_t req[MAX_HOPS], rsp[MAX_HOPS];
	int nh = route_hops(t, (uint32_t)a, (uint32_t)b, flow, req);
	int nr = nh < 0 ? -1 : route_hops(t, (uint32_t)b, (uint32_t)a, flow, rsp);
	if (nh < 0 || nr < 0) {
		podfab_topo_free(t);
		return 1;
	}
	const podfab_node_t *src = podfab_topo_node(t, podfab_topo_accel_node(t, (uint32_t)a));
	const podfab_node_t *dst = podfab_topo_node(t, podfab_topo_accel_node(t, (uint32_t)b));
	/* One request: at most the source's max_request bytes (0: no limit). */
	uint64_t maxreq = src->max_request ? src->max_request : bytes;
	uint64_t n = bytes < maxreq ? bytes : maxreq;
	int clipped = op != OP_ATOMIC && n < bytes;
	uint64_t req_pl = op == OP_WRITE ? n : op == OP_READ ? 0 : ATOMIC_OPERAND_BYTES;
	uint64_t rsp_pl = op == OP_WRITE ? 0 : op == OP_READ ? n : ATOMIC_OPERAND_BYTES;
	double bw, rbw;

	if (opt_json) {
		printf("{\"spec\": ");
		jstr(spec);
		printf(", \"src\": %" PRIu64 ", \"dst\": %" PRIu64 ", \"flow\": %" PRIu64
		       ", \"request\": \"%s\", \"op\": \"%s\", \"payload_bytes\": %" PRIu64
		       ", \"max_request\": %" PRIu32 ", \"request_payload_bytes\": %" PRIu64
		       ", \"response_payload_bytes\": %" PRIu64 ", \"single_request\": %s, \"egress_ns\": ",
		       a, b, flow, op_names[op], op_names[op], bytes, src->max_request, req_pl, rsp_pl,
		       clipped ? "true" : "false");
		jnum(src->egress_ns);
		printf(",\n \"hops\": [");
	} else {
		printf("route %s: accelerator %" PRIu64 " -> %" PRIu64 " (flow %" PRIu64 "), %d hop%s;",
		       spec, a, b, flow, nh, nh == 1 ? "" : "s");
		if (op == OP_ATOMIC)
			printf(" an atomic (%u-byte operands each way)\n", ATOMIC_OPERAND_BYTES);
		else
			printf(" a %s of %" PRIu64 " payload bytes\n", op_names[op], bytes);
		if (clipped)
			printf("  (more than max_request = %" PRIu32 " bytes of accelerator %" PRIu64 ": the figures"
			       " are for a single request of %" PRIu64 " bytes)\n", src->max_request, a, n);
		printf("  request %" PRIu64 " -> %" PRIu64 ", %" PRIu64 " payload bytes; sender egress e = %.3f ns\n",
		       a, b, req_pl, src->egress_ns);
		table_head();
	}
	double req_ns = src->egress_ns + walk(t, src->id, req, nh, 0, req_pl, &bw);
	if (opt_json) {
		printf("],\n \"response_egress_ns\": ");
		jnum(dst->egress_ns);
		printf(", \"response_hops\": [");
	} else {
		printf("  request latency = e + sum(s + p + fec + d) = %.3f ns\n", req_ns);
		printf("  response %" PRIu64 " -> %" PRIu64 ", %d hop%s, %" PRIu64 " payload bytes;"
		       " responder egress e = %.3f ns\n", b, a, nr, nr == 1 ? "" : "s", rsp_pl, dst->egress_ns);
		table_head();
	}
	double rsp_ns = dst->egress_ns + walk(t, dst->id, rsp, nr, 1, rsp_pl, &rbw);
	double op_ns = req_ns + rsp_ns;

	/* A stream of max-size requests: min over hops of raw rate x payload / wire bytes. */
	uint64_t m = maxreq;
	double sbw = INFINITY;
	for (int i = 0; i < nh; i++) {
		const podfab_link_t *l = podfab_topo_link(t, req[i].dlink / 2);
		double w = podfab_encoding_wire_bytes(l->enc, l->enc ? l->enc->req_header_bytes : 0, m);
		double g = w > 0 ? link_raw_bpns(l) * (double)m / w : 0.0;
		if (g < sbw)
			sbw = g;
	}
	if (nh == 0)
		sbw = 0.0;

	if (opt_json) {
		printf("],\n \"latency_ns\": ");
		jnum(req_ns);
		printf(", \"request_latency_ns\": ");
		jnum(req_ns);
		printf(", \"response_latency_ns\": ");
		jnum(rsp_ns);
		printf(", \"op_latency_ns\": ");
		jnum(op_ns);
		printf(", \"bandwidth_gbytes_per_s\": ");
		jnum(bw);
		printf(", \"stream_request_bytes\": %" PRIu64 ", \"request_stream_gbytes_per_s\": ", m);
		jnum(sbw);
		printf("}\n");
	} else {
		printf("  response latency = e + sum(s + p + fec + d) = %.3f ns\n", rsp_ns);
		printf("  wire bytes w: header + payload in whole flits, then the DL framing and FEC overhead"
		       " in proportion (frames and codewords stream many requests)\n");
		printf("  s = w / (lanes x rate / 8) (store-and-forward), or the head (one FEC codeword,"
		       " DL frame or flit) into a cut-through switch or retimer\n");
		printf("  zero-load latency = e + sum(s + p + fec + d) = %.3f ns (one-way request)\n", req_ns);
		printf("  zero-load %s latency = request + response = %.3f ns%s\n", op_names[op], op_ns,
		       clipped ? " (a single request)" : "");
		printf("  bandwidth = min over hops of lanes x rate x efficiency / 8 = %.3f GB/s\n", bw);
		printf("  request stream bandwidth = min over hops of lanes x rate / 8 x payload / w,"
		       " %" PRIu64 "-byte requests = %.3f GB/s\n", m, sbw);
	}
	podfab_topo_free(t);
	return 0;
}

/* ---- dot ---------------------------------------------------------------- */

static void dot_id(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}


/*
 * dot --collapse: colour refinement.  Every element starts with its kind as
 * its colour; each round an element's new colour is its colour plus the sorted
 * colours of its neighbours (one per port), until the number of colours stops
 * growing.  Elements of one colour are drawn as one node ("72 x accel"), and
 * the links between two colours as one edge carrying their count.
 */
static const uint32_t *cr_colour, *cr_sig, *cr_off;

static int cr_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	if (cr_colour[a] != cr_colour[b])
		return cr_colour[a] < cr_colour[b] ? -1 : 1;
	uint32_t la = cr_off[a + 1] - cr_off[a], lb = cr_off[b + 1] - cr_off[b];
	if (la != lb)
		return la < lb ? -1 : 1;
	for (uint32_t k = 0; k < la; k++)
		if (cr_sig[cr_off[a] + k] != cr_sig[cr_off[b] + k])
			return cr_sig[cr_off[a] + k] < cr_sig[cr_off[b] + k] ? -1 : 1;
	return 0;
}

static int u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return a < b ? -1 : a > b;
}

static int u64_cmp(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	return a < b ? -1 : a > b;
}

static int dot_collapsed(const char *spec, podfab_topo_t t)
{
	uint32_t nn = podfab_topo_nnodes(t), nl = podfab_topo_nlinks(t);
	uint32_t *colour = calloc(nn, sizeof *colour), *next = calloc(nn, sizeof *next);
	uint32_t *off = calloc((size_t)nn + 1, sizeof *off), *order = calloc(nn, sizeof *order);
	uint32_t *sig = calloc((size_t)nl * 2 + 1, sizeof *sig);
	uint64_t *pairs = calloc((size_t)nl + 1, sizeof *pairs);
	if (!colour || !next || !off || !order || !sig || !pairs) {
		fprintf(stderr, "podfab-topo: out of memory\n");
		free(colour); free(next); free(off); free(order); free(sig); free(pairs);
		return 1;
	}
	for (uint32_t i = 0; i < nn; i++) {
		const podfab_node_t *n = podfab_topo_node(t, i);
		colour[i] = (uint32_t)n->kind;
		off[i + 1] = off[i] + n->nports;
	}
	uint32_t ncol = 0;
	for (int round = 0; round <= (int)nn; round++) {
		for (uint32_t i = 0; i < nn; i++) {
			const podfab_node_t *n = podfab_topo_node(t, i);
			for (uint32_t p = 0; p < n->nports; p++) {
				const podfab_link_t *l = podfab_topo_link(t, n->port_link[p]);
				sig[off[i] + p] = colour[l->a == i ? l->b : l->a];
			}
			qsort(sig + off[i], n->nports, sizeof *sig, u32_cmp);
			order[i] = i;
		}
		cr_colour = colour;
		cr_sig = sig;
		cr_off = off;
		qsort(order, nn, sizeof *order, cr_cmp);
		uint32_t c = 0;
		for (uint32_t k = 0; k < nn; k++) {
			if (k && cr_cmp(&order[k - 1], &order[k]))
				c++;
			next[order[k]] = c;
		}
		memcpy(colour, next, nn * sizeof *colour);
		if (c + 1 == ncol)
			break;
		ncol = c + 1;
	}
	printf("graph \"podfab\" {\n\tlabel=");
	dot_id(spec);
	printf(";\n\tnode [fontsize=10];\n\tedge [fontsize=8];\n");
	/* One node per colour, named after its first member. */
	for (uint32_t k = 0; k < nn; k++) {
		uint32_t i = order[k];
		if (k && colour[order[k - 1]] == colour[i])
			continue;
		uint32_t count = 0;
		while (k + count < nn && colour[order[k + count]] == colour[i])
			count++;
		const podfab_node_t *n = podfab_topo_node(t, i);
		char label[160];
		snprintf(label, sizeof label, "%u x %s (%s%s)", count, kind_name(n->kind), n->name,
			 count > 1 ? ", ..." : "");
		printf("\tc%" PRIu32 " [label=", colour[i]);
		dot_id(label);
		printf(", shape=%s];\n", n->kind == PODFAB_NODE_ACCEL ? "box" :
					 n->kind == PODFAB_NODE_SWITCH ? "ellipse" : "diamond");
	}
	for (uint32_t i = 0; i < nl; i++) {
		const podfab_link_t *l = podfab_topo_link(t, i);
		uint32_t a = colour[l->a], b = colour[l->b];
		if (a > b) {
			uint32_t x = a;
			a = b;
			b = x;
		}
		pairs[i] = ((uint64_t)a << 32) | b;
	}
	qsort(pairs, nl, sizeof *pairs, u64_cmp);
	for (uint32_t i = 0; i < nl;) {
		uint32_t j = i;
		while (j < nl && pairs[j] == pairs[i])
			j++;
		printf("\tc%" PRIu32 " -- c%" PRIu32 " [label=\"%" PRIu32 " links\"];\n",
		       (uint32_t)(pairs[i] >> 32), (uint32_t)pairs[i], j - i);
		i = j;
	}
	printf("}\n");
	free(colour); free(next); free(off); free(order); free(sig); free(pairs);
	return 0;
}

static int cmd_dot(const char *spec)
{
	podfab_topo_t t;
	if (load(spec, &t))
		return 1;
	uint32_t nn = podfab_topo_nnodes(t), nl = podfab_topo_nlinks(t);
	if (opt_collapse && !opt_json) {
		int rc = dot_collapsed(spec, t);
		podfab_topo_free(t);
		return rc;
	}
	if (opt_json) {
		printf("{\"spec\": ");
		jstr(spec);
		printf(", \"nodes\": [");
		for (uint32_t i = 0; i < nn; i++) {
			const podfab_node_t *n = podfab_topo_node(t, i);
			printf("%s{\"id\": %" PRIu32 ", \"name\": ", i ? ",\n   " : "", n->id);
			jstr(n->name);
			printf(", \"kind\": \"%s\"}", kind_name(n->kind));
		}
		printf("],\n \"links\": [");
		for (uint32_t i = 0; i < nl; i++) {
			const podfab_link_t *l = podfab_topo_link(t, i);
			printf("%s{\"id\": %" PRIu32 ", \"a\": %" PRIu32 ", \"b\": %" PRIu32 ", \"lanes\": %"
			       PRIu32 ", \"lane_gbps\": ", i ? ",\n   " : "", l->id, l->a, l->b, l->lanes);
			jnum(l->lane_gbps);
			printf(", \"class\": ");
			jstr(l->cls);
			printf(", \"up\": %s}", l->up ? "true" : "false");
		}
		printf("]}\n");
		podfab_topo_free(t);
		return 0;
	}
	printf("graph \"podfab\" {\n\tlabel=");
	dot_id(spec);
	printf(";\n\tnode [fontsize=10];\n\tedge [fontsize=8];\n");
	for (uint32_t i = 0; i < nn; i++) {
		const podfab_node_t *n = podfab_topo_node(t, i);
		const char *shape = n->kind == PODFAB_NODE_ACCEL ? "box" :
				    n->kind == PODFAB_NODE_SWITCH ? "ellipse" : "point";
		printf("\tn%" PRIu32 " [label=", n->id);
		dot_id(n->name);
		printf(", shape=%s];\n", shape);
	}
	for (uint32_t i = 0; i < nl; i++) {
		const podfab_link_t *l = podfab_topo_link(t, i);
		printf("\tn%" PRIu32 " -- n%" PRIu32 " [label=\"%" PRIu32 "x%g\"%s];\n", l->a, l->b, l->lanes,
		       l->lane_gbps, l->up ? "" : ", style=dashed");
	}
	printf("}\n");
	podfab_topo_free(t);
	return 0;
}

/* ---- list --------------------------------------------------------------- */

static int cmd_list(void)
{
	const char *const *fam = podfab_topo_families();
	if (opt_json)
		printf("{\"families\": [");
	else
		printf("generator families (SPEC \"family:key=value,...\"):\n");
	for (int i = 0; fam && fam[i]; i++) {
		const char *h = podfab_topo_family_help(fam[i]);
		if (opt_json) {
			printf("%s{\"name\": ", i ? ",\n   " : "");
			jstr(fam[i]);
			printf(", \"help\": ");
			jstr(h);
			printf("}");
		} else {
			printf("  %s\n", fam[i]);
			if (h)
				printf("    %s\n", h);
		}
	}
	if (opt_json)
		printf("],\n \"encodings\": [");
	else
		printf("encoding profiles:\n");
	for (int i = 0; podfab_encoding_get(i); i++) {
		const podfab_encoding_t *e = podfab_encoding_get(i);
		if (opt_json) {
			printf("%s{\"name\": ", i ? ",\n   " : "");
			jstr(e->name);
			printf(", \"lane_gbps\": ");
			jnum(e->lane_gbps);
			printf(", \"efficiency\": ");
			jnum(podfab_encoding_efficiency(e));
			printf(", \"source\": ");
			jstr(e->source);
			printf("}");
		} else {
			printf("  %-12s %6.1f Gb/s per lane, efficiency %.4f\n", e->name, e->lane_gbps,
			       podfab_encoding_efficiency(e));
		}
	}
	if (opt_json)
		printf("]}\n");
	return 0;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	const char *pos[8];
	int npos = 0;
	uint64_t flow = 0, bytes = DEFAULT_BYTES;
	int have_flow = 0, have_bytes = 0, have_op = 0;
	enum op op = OP_WRITE;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json")) {
			opt_json = 1;
		} else if (!strcmp(a, "--collapse")) {
			opt_collapse = 1;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("podfab-topo %s\n", PODFAB_VERSION_STRING);
			return 0;
		} else if (!strcmp(a, "--flow") || !strcmp(a, "--bytes")) {
			uint64_t v;
			if (i + 1 >= argc || parse_u64(argv[i + 1], &v))
				return fail_usage("", a, " needs a non-negative number");
			if (!strcmp(a, "--flow")) {
				flow = v;
				have_flow = 1;
			} else {
				if (v == 0 || v > (1u << 30))
					return fail_usage("--bytes must be 1 .. 2^30, got '", argv[i + 1], "'");
				bytes = v;
				have_bytes = 1;
			}
			i++;
		} else if (!strcmp(a, "--op")) {
			if (i + 1 >= argc)
				return fail_usage("", a, " needs write, read or atomic");
			int k;
			for (k = 0; k <= OP_ATOMIC; k++)
				if (!strcmp(argv[i + 1], op_names[k]))
					break;
			if (k > OP_ATOMIC)
				return fail_usage("--op must be write, read or atomic, got '", argv[i + 1], "'");
			op = (enum op)k;
			have_op = 1;
			i++;
		} else if (a[0] == '-' && a[1]) {
			return fail_usage("unknown option '", a, "'");
		} else {
			if (npos == 8)
				return fail_usage("too many arguments ('", a, "')");
			pos[npos++] = a;
		}
	}
	if (npos == 0)
		return fail_usage("no command", NULL, "");
	const char *cmd = pos[0];
	if (opt_collapse && strcmp(cmd, "dot"))
		return fail_usage("--collapse goes with dot, not '", cmd, "'");
	if ((have_flow || have_bytes || have_op) && strcmp(cmd, "route"))
		return fail_usage("--flow, --bytes and --op go with route, not '", cmd, "'");
	if (!strcmp(cmd, "list")) {
		if (npos != 1)
			return fail_usage("list takes no arguments ('", pos[1], "')");
		return cmd_list();
	}
	if (!strcmp(cmd, "route")) {
		if (npos != 4)
			return fail_usage("route needs SPEC A B", NULL, "");
		return cmd_route(pos[1], pos[2], pos[3], flow, bytes, op);
	}
	if (!strcmp(cmd, "validate") || !strcmp(cmd, "info") || !strcmp(cmd, "dot")) {
		if (npos != 2)
			return fail_usage("", cmd, " needs exactly one SPEC");
		if (cmd[0] == 'v')
			return cmd_validate(pos[1]);
		return cmd[0] == 'i' ? cmd_info(pos[1]) : cmd_dot(pos[1]);
	}
	return fail_usage("unknown command '", cmd, "'");
}
