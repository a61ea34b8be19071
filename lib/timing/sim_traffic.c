/*
 * sim_traffic.c - generated traffic and trace files for the offline simulator.
 *
 * Every pattern turns into podfab_sim_add() calls, so it uses the simulator's
 * public API only.  Random choices come from a private splitmix64 stream
 * seeded from the spec's seed= key (or the model), never from rand(), so a
 * seed gives the same operations on every machine.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <podfab/sim.h>

#include "pf_internal.h"

#define SPEC_MAX 4096
#define MAX_ROUTE_HOPS 64

/* ---- random numbers ------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (multiply-shift; the bias is below 2^-32 for our n). */
static uint32_t rnd_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(((splitmix64(s) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in (0, 1]. */
static double rnd_unit(uint64_t *s)
{
	return ((double)(splitmix64(s) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* ---- spec parsing -------------------------------------------------------- */

enum key_bit {
	K_BYTES = 1u << 0,
	K_OP = 1u << 1,
	K_ACCELS = 1u << 2,
	K_SEED = 1u << 3,
	K_OPS = 1u << 4,
	K_LOAD = 1u << 5,
	K_K = 1u << 6,
	K_DST = 1u << 7,
	K_FRAC = 1u << 8,
};
#define K_COMMON (K_BYTES | K_OP | K_ACCELS | K_SEED)

struct pattern {
	const char *name;
	unsigned keys;
	uint64_t def_bytes;
	uint64_t def_ops;
	const char *help;
};

static const struct pattern patterns[] = {
	{"uniform", K_COMMON | K_OPS | K_LOAD, 256, 1000,
	 "uniform:ops=N,load=L,bytes=SIZE,op=OP,accels=N,seed=S - every accelerator issues ops "
	 "(1000) operations to random other accelerators at offered load L (0 < L <= 1, default 1) "
	 "of its first link's raw rate, with exponential gaps (a Poisson stream); bytes 256"},
	{"permutation", K_COMMON | K_OPS, 256, 100,
	 "permutation:ops=N,bytes=SIZE,op=OP,accels=N,seed=S - a random permutation without fixed "
	 "points; every accelerator sends ops (100) operations to its partner, all at t=0 (the "
	 "window limits them); bytes 256"},
	{"shift", K_COMMON | K_OPS | K_K, 256, 100,
	 "shift:k=K,ops=N,bytes=SIZE,op=OP,accels=N - accelerator i sends ops (100) operations to "
	 "(i+K) mod n, all at t=0; K defaults to n/2, the adversarial shift of a ring or torus "
	 "dimension; bytes 256"},
	{"alltoall", K_COMMON, 4096, 0,
	 "alltoall:bytes=SIZE,op=OP,accels=N - one operation for every ordered pair (i,j), i != j, "
	 "all at t=0 (pairs added by distance: i to i+1 first, then i+2, ...); bytes 4KiB"},
	{"allreduce-ring", K_COMMON, 1048576, 0,
	 "allreduce-ring:bytes=SIZE,accels=N - ring allreduce of bytes (1MiB) per accelerator: "
	 "2(n-1) steps, in each accelerator i writes bytes/n to i+1 once its own previous step's "
	 "write has completed"},
	{"allreduce-tree", K_COMMON, 1048576, 0,
	 "allreduce-tree:bytes=SIZE,accels=N - binomial-tree reduce of bytes (1MiB) to accelerator 0, "
	 "then broadcast back down the same tree; a write waits for its deepest child's write"},
	{"incast", K_COMMON | K_OPS | K_DST, 256, 100,
	 "incast:dst=D,ops=N,bytes=SIZE,op=OP,accels=N - every accelerator but D (0) sends ops (100) "
	 "operations to D, all at t=0; bytes 256"},
	{"hotspot", K_COMMON | K_OPS | K_LOAD | K_DST | K_FRAC, 256, 1000,
	 "hotspot:frac=F,dst=D,ops=N,load=L,bytes=SIZE,op=OP,accels=N,seed=S - uniform traffic "
	 "(as uniform) of which a fraction F (0.1) goes to accelerator D (0)"},
	{"trace", 0, 0, 0,
	 "trace:PATH - replay a trace file: one operation a line, \"TIME_NS SRC DST OP BYTES\" "
	 "(OP write, read or atomic; BYTES a size such as 4096 or 4KiB); blank lines and # "
	 "comments are ignored"},
};
#define NPATTERNS (sizeof patterns / sizeof patterns[0])

static const char *const pattern_names[] = {
	"uniform", "permutation", "shift", "alltoall", "allreduce-ring", "allreduce-tree",
	"incast", "hotspot", "trace", NULL};

PODFAB_EXPORT const char *const *podfab_sim_patterns(void)
{
	return pattern_names;
}

static const struct pattern *find_pattern(const char *name, size_t len)
{
	for (size_t i = 0; i < NPATTERNS; i++)
		if (strlen(patterns[i].name) == len && !strncmp(patterns[i].name, name, len))
			return &patterns[i];
	return NULL;
}

PODFAB_EXPORT const char *podfab_sim_pattern_help(const char *pattern)
{
	if (!pattern)
		return NULL;
	const struct pattern *p = find_pattern(pattern, strlen(pattern));
	return p ? p->help : NULL;
}

struct params {
	uint64_t bytes;
	podfab_sim_kind_t kind;
	uint32_t accels;
	uint64_t seed;
	int have_seed;
	uint64_t ops;
	double load;
	uint32_t k, dst;
	int have_k;
	double frac;
};

/* A size: a positive integer with an optional unit (B, KB, MB, GB, KiB, MiB, GiB). */
static int parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *name;
		uint64_t scale;
	} units[] = {{"", 1}, {"B", 1}, {"KB", 1000}, {"MB", 1000000}, {"GB", 1000000000},
		     {"KiB", 1024}, {"MiB", 1048576}, {"GiB", 1073741824}};
	if (!s || *s < '0' || *s > '9')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (!strcmp(end, units[i].name)) {
			if (v > UINT64_MAX / units[i].scale)
				return -1;
			*out = (uint64_t)v * units[i].scale;
			return 0;
		}
	}
	return -1;
}

/* A decimal number, or hexadecimal after 0x (a leading 0 is not octal: 010 is ten). */
static int parse_u64(const char *s, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (hex && !((s[2] >= '0' && s[2] <= '9') || (s[2] >= 'a' && s[2] <= 'f') || (s[2] >= 'A' && s[2] <= 'F')))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
	if (errno == ERANGE || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_kind(const char *s, podfab_sim_kind_t *k)
{
	if (!strcmp(s, "write"))
		*k = PODFAB_SIM_WRITE;
	else if (!strcmp(s, "read"))
		*k = PODFAB_SIM_READ;
	else if (!strcmp(s, "atomic"))
		*k = PODFAB_SIM_ATOMIC;
	else
		return -1;
	return 0;
}

static int bad_value(const char *pat, const char *key, const char *val, const char *why)
{
	return pf_err(PODFAB_EINVAL, "traffic %s: %s '%s' %s", pat, key, val, why);
}

/* Parse "key=value,..." (in place) into p, checking each key against the pattern. */
static int parse_keys(const struct pattern *pat, char *s, uint32_t naccels, struct params *p)
{
	while (s && *s) {
		char *next = strchr(s, ',');
		if (next)
			*next++ = '\0';
		char *eq = strchr(s, '=');
		if (!eq)
			return pf_err(PODFAB_EINVAL, "traffic %s: '%s' is not key=value", pat->name, s);
		*eq = '\0';
		const char *key = s, *val = eq + 1;
		unsigned bit = !strcmp(key, "bytes")    ? K_BYTES
			       : !strcmp(key, "op")     ? K_OP
			       : !strcmp(key, "accels") ? K_ACCELS
			       : !strcmp(key, "seed")   ? K_SEED
			       : !strcmp(key, "ops")    ? K_OPS
			       : !strcmp(key, "load")   ? K_LOAD
			       : !strcmp(key, "k")      ? K_K
			       : !strcmp(key, "dst")    ? K_DST
			       : !strcmp(key, "frac")   ? K_FRAC : 0;
		if (!(bit & pat->keys))
			return pf_err(PODFAB_EINVAL, "traffic %s: unknown key '%s' (%s)", pat->name, key,
				      pat->help);
		uint64_t u;
		switch (bit) {
		case K_BYTES:
			if (parse_size(val, &p->bytes) || p->bytes == 0)
				return bad_value(pat->name, key, val,
						 "must be a positive size (4096, 4KiB, 1MiB, ...)");
			break;
		case K_OP:
			if (parse_kind(val, &p->kind))
				return bad_value(pat->name, key, val, "must be write, read or atomic");
			break;
		case K_ACCELS:
			if (parse_u64(val, &u) || u < 2 || u > naccels) {
				char why[96];
				snprintf(why, sizeof why, "must be from 2 to the model's %" PRIu32
					 " accelerators", naccels);
				return bad_value(pat->name, key, val, why);
			}
			p->accels = (uint32_t)u;
			break;
		case K_SEED:
			if (parse_u64(val, &p->seed))
				return bad_value(pat->name, key, val, "must be an unsigned integer");
			p->have_seed = 1;
			break;
		case K_OPS:
			if (parse_u64(val, &p->ops) || p->ops == 0 || p->ops > UINT32_MAX)
				return bad_value(pat->name, key, val, "must be a positive integer");
			break;
		case K_LOAD:
			if (parse_double(val, &p->load) || !(p->load > 0.0 && p->load <= 1.0))
				return bad_value(pat->name, key, val, "must be a number with 0 < load <= 1");
			break;
		case K_K:
			if (parse_u64(val, &u) || u > UINT32_MAX)
				return bad_value(pat->name, key, val, "must be a non-negative integer");
			p->k = (uint32_t)u;
			p->have_k = 1;
			break;
		case K_DST:
			if (parse_u64(val, &u) || u >= naccels)
				return bad_value(pat->name, key, val, "must be an accelerator of the model");
			p->dst = (uint32_t)u;
			break;
		case K_FRAC:
			if (parse_double(val, &p->frac) || !(p->frac >= 0.0 && p->frac <= 1.0))
				return bad_value(pat->name, key, val, "must be a number with 0 <= frac <= 1");
			break;
		default:
			break;
		}
		s = next;
	}
	return 0;
}

/* ---- generators ---------------------------------------------------------- */

struct gen {
	podfab_sim_t sim;
	podfab_topo_t topo;
	const struct pattern *pat;
	struct params p;
	uint64_t rng;
};

static int add_op(struct gen *g, double t, uint32_t src, uint32_t dst, uint64_t bytes,
		  uint64_t after, uint64_t *id)
{
	podfab_sim_op_t op = {.t = t, .src = src, .dst = dst, .kind = g->p.kind, .bytes = bytes,
			      .after = after, .delay = 0.0};
	return podfab_sim_add(g->sim, &op, id);
}

/*
 * Room for the operations a generator will add: only a hint (too many for
 * one simulation, or for the address space, fails later, in podfab_sim_add,
 * with its own message).
 */
static void reserve(struct gen *g, uint64_t ops)
{
	(void)podfab_sim_reserve(g->sim, ops);
}

/* Raw rate of src's first link towards another accelerator, bytes per ns. */
static int first_link_rate(struct gen *g, uint32_t src, double *rate)
{
	podfab_hop_t hops[MAX_ROUTE_HOPS];
	uint32_t other = src == 0 ? 1 : 0;
	int n = podfab_topo_route(g->topo, src, other, 0, hops, MAX_ROUTE_HOPS);
	if (n < 0)
		return pf_err(-n, "traffic %s: accelerator %" PRIu32 " cannot reach accelerator %" PRIu32,
			      g->pat->name, src, other);
	if (n == 0)
		return pf_err(PODFAB_EINVAL, "traffic %s: accelerator %" PRIu32 " has no links",
			      g->pat->name, src);
	const podfab_link_t *l = podfab_topo_link(g->topo, hops[0].dlink / 2);
	*rate = (double)l->lanes * l->lane_gbps / 8.0;
	if (!(*rate > 0.0))
		return pf_err(PODFAB_EINVAL, "traffic %s: accelerator %" PRIu32 "'s first link has no rate",
			      g->pat->name, src);
	return 0;
}

static uint32_t other_than(struct gen *g, uint32_t src, uint32_t n)
{
	uint32_t d = rnd_below(&g->rng, n - 1);
	return d >= src ? d + 1 : d;
}

/* uniform and hotspot: a Poisson stream per source at load x first-link rate. */
static int gen_uniform(struct gen *g, int hotspot)
{
	uint32_t n = g->p.accels;
	reserve(g, (uint64_t)n * g->p.ops);
	for (uint32_t s = 0; s < n; s++) {
		double rate;
		int rc = first_link_rate(g, s, &rate);
		if (rc < 0)
			return rc;
		double gap = (double)g->p.bytes / (g->p.load * rate), t = 0.0;
		for (uint64_t k = 0; k < g->p.ops; k++) {
			uint32_t d;
			if (hotspot && s != g->p.dst && rnd_unit(&g->rng) <= g->p.frac)
				d = g->p.dst;
			else
				d = other_than(g, s, n);
			if ((rc = add_op(g, t, s, d, g->p.bytes, PODFAB_SIM_NONE, NULL)) < 0)
				return rc;
			t += -gap * log(rnd_unit(&g->rng));
		}
	}
	return 0;
}

static int gen_partners(struct gen *g, const uint32_t *partner)
{
	uint32_t n = g->p.accels;
	reserve(g, (uint64_t)n * g->p.ops);
	for (uint32_t s = 0; s < n; s++)
		for (uint64_t k = 0; k < g->p.ops; k++) {
			int rc = add_op(g, 0.0, s, partner[s], g->p.bytes, PODFAB_SIM_NONE, NULL);
			if (rc < 0)
				return rc;
		}
	return 0;
}

static int gen_permutation(struct gen *g, int shift)
{
	uint32_t n = g->p.accels;
	uint32_t *perm = malloc((size_t)n * sizeof *perm);
	if (!perm)
		return pf_err(PODFAB_ENOMEM, "traffic %s: out of memory", g->pat->name);
	if (shift) {
		uint32_t k = g->p.have_k ? g->p.k % n : n / 2;
		if (k == 0) {
			free(perm);
			return pf_err(PODFAB_EINVAL, "traffic shift: k=%" PRIu32 " is a multiple of the %"
				      PRIu32 " accelerators (everyone would send to itself)", g->p.k, n);
		}
		for (uint32_t i = 0; i < n; i++)
			perm[i] = (uint32_t)(((uint64_t)i + k) % n);
	} else {
		/* A uniform derangement by rejection (about e tries), then a repair pass. */
		for (int tries = 0; tries < 64; tries++) {
			for (uint32_t i = 0; i < n; i++)
				perm[i] = i;
			for (uint32_t i = n - 1; i > 0; i--) {
				uint32_t j = rnd_below(&g->rng, i + 1), t = perm[i];
				perm[i] = perm[j];
				perm[j] = t;
			}
			uint32_t fixed = 0;
			for (uint32_t i = 0; i < n; i++)
				fixed += perm[i] == i;
			if (!fixed)
				break;
		}
		for (uint32_t i = 0; i < n; i++) {
			if (perm[i] == i) {
				uint32_t j = (i + 1) % n, t = perm[i];
				perm[i] = perm[j];
				perm[j] = t;
			}
		}
	}
	int rc = gen_partners(g, perm);
	free(perm);
	return rc;
}

static int gen_alltoall(struct gen *g)
{
	uint32_t n = g->p.accels;
	reserve(g, (uint64_t)n * (n - 1));
	for (uint32_t d = 1; d < n; d++)
		for (uint32_t i = 0; i < n; i++) {
			int rc = add_op(g, 0.0, i, (i + d) % n, g->p.bytes, PODFAB_SIM_NONE, NULL);
			if (rc < 0)
				return rc;
		}
	return 0;
}

static int gen_ring(struct gen *g)
{
	uint32_t n = g->p.accels;
	uint64_t chunk = (g->p.bytes + n - 1) / n;
	uint64_t *prev = malloc((size_t)n * sizeof *prev);
	if (!prev)
		return pf_err(PODFAB_ENOMEM, "traffic %s: out of memory", g->pat->name);
	for (uint32_t i = 0; i < n; i++)
		prev[i] = PODFAB_SIM_NONE;
	int rc = 0;
	for (uint32_t s = 0; s < 2 * (n - 1) && rc >= 0; s++)
		for (uint32_t i = 0; i < n && rc >= 0; i++)
			rc = add_op(g, 0.0, i, (i + 1) % n, chunk, prev[i], &prev[i]);
	free(prev);
	return rc < 0 ? rc : 0;
}

static uint32_t lowbit(uint32_t i)
{
	return i & (~i + 1u);
}

/*
 * Binomial tree on 0..n-1 rooted at 0: parent(i) = i with its lowest set bit
 * cleared; the children of i are i + 2^k for 2^k below lowbit(i) (any 2^k for
 * the root).  The child a node waits for is the one whose subtree is deepest
 * (the last to arrive at zero load; ties: the larger one), from ht[].
 */
static uint32_t last_child(uint32_t i, uint32_t n, const uint32_t *ht)
{
	uint32_t lim = i ? lowbit(i) : 0x80000000u, best = UINT32_MAX;
	for (uint32_t b = 1; b < lim && (uint64_t)i + b < n; b <<= 1)
		if (best == UINT32_MAX || ht[i + b] >= ht[best])
			best = i + b;
	return best;
}

static int gen_tree(struct gen *g)
{
	uint32_t n = g->p.accels;
	uint64_t *up = malloc((size_t)n * sizeof *up), *down = malloc((size_t)n * sizeof *down);
	uint32_t *ht = calloc((size_t)n, sizeof *ht);
	int rc = 0;
	if (!up || !down || !ht) {
		free(up);
		free(down);
		free(ht);
		return pf_err(PODFAB_ENOMEM, "traffic %s: out of memory", g->pat->name);
	}
	for (uint32_t i = 0; i < n; i++)
		up[i] = down[i] = PODFAB_SIM_NONE;
	/* Reduce: by level (lowest set bit), so children are added before parents. */
	for (uint32_t b = 1; b < n && rc >= 0; b <<= 1)
		for (uint32_t i = b; i < n && rc >= 0; i += 2 * b) {
			uint32_t c = last_child(i, n, ht);
			ht[i] = c == UINT32_MAX ? 0 : ht[c] + 1;
			rc = add_op(g, 0.0, i, i & (i - 1), g->p.bytes,
				    c == UINT32_MAX ? PODFAB_SIM_NONE : up[c], &up[i]);
		}
	/* Broadcast: the root starts once its last child has reduced into it. */
	uint32_t rc0 = last_child(0, n, ht);
	uint64_t root_ready = rc0 == UINT32_MAX ? PODFAB_SIM_NONE : up[rc0];
	uint32_t top = 1;
	while ((uint64_t)top * 2 < n)
		top *= 2;
	for (uint32_t b = top; b >= 1 && rc >= 0; b >>= 1)
		for (uint32_t i = b; i < n && rc >= 0; i += 2 * b) {
			uint32_t par = i & (i - 1);
			rc = add_op(g, 0.0, par, i, g->p.bytes, par == 0 ? root_ready : down[par],
				    &down[i]);
		}
	free(up);
	free(down);
	free(ht);
	return rc < 0 ? rc : 0;
}

static int gen_incast(struct gen *g)
{
	uint32_t n = g->p.accels, d = g->p.dst;
	if (d >= n)
		return pf_err(PODFAB_EINVAL, "traffic incast: dst=%" PRIu32 " is not among the first %"
			      PRIu32 " accelerators (accels)", d, n);
	for (uint64_t k = 0; k < g->p.ops; k++)
		for (uint32_t s = 0; s < n; s++) {
			if (s == d)
				continue;
			int rc = add_op(g, 0.0, s, d, g->p.bytes, PODFAB_SIM_NONE, NULL);
			if (rc < 0)
				return rc;
		}
	return 0;
}

PODFAB_EXPORT int podfab_sim_traffic(podfab_sim_t sim, const char *spec)
{
	if (!sim || !spec)
		return pf_err(PODFAB_ENULL, "podfab_sim_traffic: NULL %s", sim ? "spec" : "simulator");
	size_t len = strlen(spec);
	const char *colon = strchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : len;
	const struct pattern *pat = find_pattern(spec, nlen);
	if (!pat)
		return pf_err(PODFAB_EINVAL, "traffic '%.*s': unknown pattern (uniform, permutation, "
			      "shift, alltoall, allreduce-ring, allreduce-tree, incast, hotspot, trace)",
			      (int)nlen, spec);
	if (!strcmp(pat->name, "trace")) {
		if (!colon || !colon[1])
			return pf_err(PODFAB_EINVAL, "traffic trace: needs a file (trace:PATH)");
		return podfab_sim_load_trace(sim, colon + 1);
	}
	if (len >= SPEC_MAX)
		return pf_err(PODFAB_EINVAL, "traffic %s: spec longer than %d characters", pat->name,
			      SPEC_MAX - 1);

	struct gen g = {.sim = sim, .topo = podfab_sim_model(sim), .pat = pat};
	uint32_t naccels = g.topo ? podfab_topo_naccels(g.topo) : 0;
	if (naccels < 2)
		return pf_err(PODFAB_EINVAL, "traffic %s: the model has %" PRIu32
			      " accelerators; patterns need at least 2", pat->name, naccels);
	g.p.bytes = pat->def_bytes;
	g.p.kind = PODFAB_SIM_WRITE;
	g.p.accels = naccels;
	g.p.ops = pat->def_ops;
	g.p.load = 1.0;
	g.p.frac = 0.1;
	char buf[SPEC_MAX];
	memcpy(buf, spec, len + 1);
	int rc = parse_keys(pat, colon ? buf + nlen + 1 : NULL, naccels, &g.p);
	if (rc < 0)
		return rc;
	/* Without seed=, the simulator's seed (config.seed, else the model's). */
	uint64_t seed = g.p.have_seed ? g.p.seed : pf_sim_seed(sim);
	g.rng = hash_str(seed ^ 0x5eed5eed5eed5eedull, pat->name);

	if (!strcmp(pat->name, "uniform"))
		return gen_uniform(&g, 0);
	if (!strcmp(pat->name, "hotspot"))
		return gen_uniform(&g, 1);
	if (!strcmp(pat->name, "permutation"))
		return gen_permutation(&g, 0);
	if (!strcmp(pat->name, "shift"))
		return gen_permutation(&g, 1);
	if (!strcmp(pat->name, "alltoall"))
		return gen_alltoall(&g);
	if (!strcmp(pat->name, "allreduce-ring"))
		return gen_ring(&g);
	if (!strcmp(pat->name, "allreduce-tree"))
		return gen_tree(&g);
	return gen_incast(&g);
}

/* ---- trace files --------------------------------------------------------- */

static int trace_err(const char *path, unsigned long line, const char *field, const char *val,
		     const char *why)
{
	return pf_err(PODFAB_EINVAL, "%s:%lu: %s '%s' %s", path, line, field, val, why);
}

PODFAB_EXPORT int podfab_sim_load_trace(podfab_sim_t sim, const char *path)
{
	if (!sim || !path)
		return pf_err(PODFAB_ENULL, "podfab_sim_load_trace: NULL %s", sim ? "path" : "simulator");
	podfab_topo_t topo = podfab_sim_model(sim);
	uint32_t naccels = topo ? podfab_topo_naccels(topo) : 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return pf_err(PODFAB_ESYSTEM, "%s: cannot open: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int rc = 0;
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *fld[6], *save = NULL;
		int nf = 0;
		for (char *tok = strtok_r(line, " \t\r\n", &save); tok && nf < 6;
		     tok = strtok_r(NULL, " \t\r\n", &save))
			fld[nf++] = tok;
		if (nf == 0)
			continue;
		if (nf != 5) {
			rc = pf_err(PODFAB_EINVAL, "%s:%lu: %s fields; a line is \"TIME_NS SRC DST OP BYTES\"",
				    path, lineno, nf < 5 ? "too few" : "too many");
			break;
		}
		podfab_sim_op_t op = {.after = PODFAB_SIM_NONE};
		uint64_t u;
		if (parse_double(fld[0], &op.t) || op.t < 0.0) {
			rc = trace_err(path, lineno, "TIME_NS", fld[0], "must be a number >= 0");
			break;
		}
		if (parse_u64(fld[1], &u) || u >= naccels) {
			char why[80];
			snprintf(why, sizeof why, "is not an accelerator of the model (0..%" PRIu32 ")",
				 naccels ? naccels - 1 : 0);
			rc = trace_err(path, lineno, "SRC", fld[1], why);
			break;
		}
		op.src = (uint32_t)u;
		if (parse_u64(fld[2], &u) || u >= naccels) {
			char why[80];
			snprintf(why, sizeof why, "is not an accelerator of the model (0..%" PRIu32 ")",
				 naccels ? naccels - 1 : 0);
			rc = trace_err(path, lineno, "DST", fld[2], why);
			break;
		}
		op.dst = (uint32_t)u;
		if (parse_kind(fld[3], &op.kind)) {
			rc = trace_err(path, lineno, "OP", fld[3], "must be write, read or atomic");
			break;
		}
		if (parse_size(fld[4], &op.bytes) || op.bytes == 0) {
			rc = trace_err(path, lineno, "BYTES", fld[4], "must be a positive size");
			break;
		}
		if ((rc = podfab_sim_add(sim, &op, NULL)) < 0) {
			char why[256];
			const char *d = podfab_error_detail();
			snprintf(why, sizeof why, "%s", d && *d ? d : podfab_strerror(rc));
			rc = pf_err(-rc, "%s:%lu: %s", path, lineno, why);
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = pf_err(PODFAB_ESYSTEM, "%s: read error", path);
	free(line);
	fclose(f);
	return rc < 0 ? rc : 0;
}
