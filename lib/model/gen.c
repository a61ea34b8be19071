/*
 * gen.c - generator strings ("family:key=value,...") and the built-in
 * topology families.
 *
 * Every family accepts its own keys plus the common keys (link, switch,
 * retimer, accelerator and routing parameters).  Parsing is strict: an
 * unknown or repeated key, a value outside its range or a quantity without
 * its unit is an error naming the key.  Building is linear in the number of
 * nodes plus links (no loops over all node pairs except in the full mesh,
 * whose size is bounded), so an 8,192-accelerator Clos builds quickly.
 *
 * Figures used as defaults come from ../shared/reference/fabric-parameters.md
 * and the public sources it cites; the help text of each family marks the
 * uncertain ones.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_internal.h"
#include "pf_model.h"

#define GEN_MAX_ACCELS 65536u /* offline families (Clos, torus, ring) */
#define GEN_MAX_RETIMERS 16u

/* ---- parameters ------------------------------------------------------- */

struct gen_params {
	/* family keys */
	uint32_t accels, switches, x, y, z, leaves, spines, apl, uplinks;
	/* common keys */
	uint32_t lanes;
	double lane_gbps, prop_ns, ber, sw_lat_ns, rt_lat_ns, ingress_ns, egress_ns;
	const podfab_encoding_t *enc;
	uint32_t radix, retimers, max_request;
	uint64_t buffer, seed;
	int cut_through, rt_fec, spray_address;
	uint64_t given; /* bit (1 << key index) for every key in the string */
};

enum key_type { KT_UINT, KT_U64, KT_TIME, KT_RATE, KT_BYTES, KT_REAL, KT_ENC, KT_CHOICE };

enum key_id {
	/* family keys */
	K_ACCELS,
	K_SWITCHES,
	K_X,
	K_Y,
	K_Z,
	K_LEAVES,
	K_SPINES,
	K_APL,
	K_UPLINKS,
	/* common keys */
	K_LANES,
	K_LANE_RATE,
	K_PROP,
	K_ENCODING,
	K_BER,
	K_SW_LAT,
	K_RADIX,
	K_BUFFER,
	K_FORWARDING,
	K_RETIMERS,
	K_RT_LAT,
	K_RT_FEC,
	K_INGRESS,
	K_EGRESS,
	K_MAX_REQUEST,
	K_SEED,
	K_SPRAY,
	K_NKEYS
};

#define KBIT(k) (1ull << (k))
#define COMMON_KEYS (((1ull << K_NKEYS) - 1) & ~((1ull << K_LANES) - 1))

static const char *const fwd_choices[] = {"store-and-forward", "cut-through", NULL};
static const char *const fec_choices[] = {"pass", "terminate", NULL};
static const char *const spray_choices[] = {"hash", "address", NULL};

struct key_def {
	const char *name;
	enum key_type type;
	double min, max;   /* inclusive range of numbers */
	int min_open;      /* the minimum itself is excluded (rates) */
	size_t off;        /* field in struct gen_params */
	const char *const *choices;
};

#define P(f) offsetof(struct gen_params, f)

static const struct key_def keys[K_NKEYS] = {
	[K_ACCELS] = {"accels", KT_UINT, 1, 4294967295.0, 0, P(accels), NULL},
	[K_SWITCHES] = {"switches", KT_UINT, 1, 64, 0, P(switches), NULL},
	[K_X] = {"x", KT_UINT, 1, 4096, 0, P(x), NULL},
	[K_Y] = {"y", KT_UINT, 1, 4096, 0, P(y), NULL},
	[K_Z] = {"z", KT_UINT, 1, 4096, 0, P(z), NULL},
	[K_LEAVES] = {"leaves", KT_UINT, 1, 65536, 0, P(leaves), NULL},
	[K_SPINES] = {"spines", KT_UINT, 1, 65536, 0, P(spines), NULL},
	[K_APL] = {"accels-per-leaf", KT_UINT, 1, 65536, 0, P(apl), NULL},
	[K_UPLINKS] = {"uplinks", KT_UINT, 1, 64, 0, P(uplinks), NULL},
	[K_LANES] = {"lanes", KT_UINT, 1, 32, 0, P(lanes), NULL},
	[K_LANE_RATE] = {"lane-rate", KT_RATE, 0, 1e4, 1, P(lane_gbps), NULL},
	[K_PROP] = {"prop", KT_TIME, 0, 1e9, 0, P(prop_ns), NULL},
	[K_ENCODING] = {"encoding", KT_ENC, 0, 0, 0, P(enc), NULL},
	[K_BER] = {"ber", KT_REAL, 0, 0.5, 0, P(ber), NULL},
	[K_SW_LAT] = {"switch-latency", KT_TIME, 0, 1e9, 0, P(sw_lat_ns), NULL},
	[K_RADIX] = {"switch-radix", KT_UINT, 1, 65536, 0, P(radix), NULL},
	[K_BUFFER] = {"switch-buffer", KT_BYTES, 0, 1099511627776.0, 0, P(buffer), NULL},
	[K_FORWARDING] = {"forwarding", KT_CHOICE, 0, 0, 0, P(cut_through), fwd_choices},
	[K_RETIMERS] = {"retimers", KT_UINT, 0, GEN_MAX_RETIMERS, 0, P(retimers), NULL},
	[K_RT_LAT] = {"retimer-latency", KT_TIME, 0, 1e9, 0, P(rt_lat_ns), NULL},
	[K_RT_FEC] = {"retimer-fec", KT_CHOICE, 0, 0, 0, P(rt_fec), fec_choices},
	[K_INGRESS] = {"accel-ingress", KT_TIME, 0, 1e9, 0, P(ingress_ns), NULL},
	[K_EGRESS] = {"accel-egress", KT_TIME, 0, 1e9, 0, P(egress_ns), NULL},
	[K_MAX_REQUEST] = {"max-request", KT_BYTES, 1, 65536, 0, P(max_request), NULL},
	[K_SEED] = {"seed", KT_U64, 0, 0, 0, P(seed), NULL},
	[K_SPRAY] = {"spray", KT_CHOICE, 0, 0, 0, P(spray_address), spray_choices},
};

#undef P

/* ---- building helpers ------------------------------------------------- */

struct gen {
	podfab_topo_t t;
	const char *family;
	struct gen_params p;
	podfab_link_t lt; /* template of every link */
};

static int add_accel(struct gen *g, uint32_t i, int32_t c0, int32_t c1, int32_t c2, uint32_t *id)
{
	char name[32];
	snprintf(name, sizeof name, "accel%u", i);
	podfab_node_t n = {0};
	n.kind = PODFAB_NODE_ACCEL;
	n.name = name;
	n.latency_ns = g->p.ingress_ns;
	n.egress_ns = g->p.egress_ns;
	n.max_request = g->p.max_request;
	n.plane = -1;
	n.coord[0] = c0;
	n.coord[1] = c1;
	n.coord[2] = c2;
	return podfab_topo_add_node(g->t, &n, id);
}

static int add_switch(struct gen *g, const char *name, int32_t plane, uint32_t radix, uint32_t *id)
{
	podfab_node_t n = {0};
	n.kind = PODFAB_NODE_SWITCH;
	n.name = name;
	n.latency_ns = g->p.sw_lat_ns;
	n.radix = radix;
	n.buffer_bytes = g->p.buffer;
	n.cut_through = g->p.cut_through;
	n.plane = plane;
	n.coord[0] = n.coord[1] = n.coord[2] = -1;
	return podfab_topo_add_node(g->t, &n, id);
}

/*
 * A link a-b with the family's parameters; with retimers=N it becomes the
 * chain a - r0 - ... - r(N-1) - b, each segment with the link's parameters and
 * an equal share of its propagation delay.  `par` numbers parallel links
 * between the same two nodes so that retimer names stay unique.
 */
static int gen_link(struct gen *g, uint32_t a, uint32_t b, uint32_t par)
{
	uint32_t n = g->p.retimers;
	if (!n)
		return podfab_topo_add_link(g->t, a, b, &g->lt, NULL);
	podfab_link_t seg = g->lt;
	seg.prop_ns = g->lt.prop_ns / (double)(n + 1);
	const char *an = podfab_topo_node(g->t, a)->name;
	const char *bn = podfab_topo_node(g->t, b)->name;
	size_t len = strlen(an) + strlen(bn) + 40;
	char *name = malloc(len);
	if (!name)
		return pf_err(PODFAB_ENOMEM, "retimer name");
	int rc = 0;
	uint32_t prev = a;
	for (uint32_t k = 0; k < n; k++) {
		if (par)
			snprintf(name, len, "rt-%s-%s-p%u-%u", an, bn, par, k);
		else
			snprintf(name, len, "rt-%s-%s-%u", an, bn, k);
		podfab_node_t r = {0};
		r.kind = PODFAB_NODE_RETIMER;
		r.name = name;
		r.latency_ns = g->p.rt_lat_ns;
		r.fec_terminate = g->p.rt_fec;
		r.plane = -1;
		r.coord[0] = r.coord[1] = r.coord[2] = -1;
		uint32_t id;
		/* an and bn are separate allocations: they stay valid while the node array grows */
		if ((rc = podfab_topo_add_node(g->t, &r, &id)))
			break;
		if ((rc = podfab_topo_add_link(g->t, prev, id, &seg, NULL)))
			break;
		prev = id;
	}
	free(name);
	if (rc)
		return rc;
	return podfab_topo_add_link(g->t, prev, b, &seg, NULL);
}

/* ---- families ----------------------------------------------------------- */

static int check_limit(struct gen *g, const char *key, uint32_t n, uint32_t limit)
{
	g->t->family_limit = limit;
	if (n > limit)
		return pf_err(PODFAB_EMODEL, "%s=%u exceeds the %s limit of %u", key, n, g->family, limit);
	return 0;
}

static int check_radix(struct gen *g, const char *what, uint32_t need)
{
	if (need > g->p.radix)
		return pf_err(PODFAB_EMODEL, "%s: %s need %u ports, more than switch-radix=%u", g->family,
			      what, need, g->p.radix);
	return 0;
}

static int build_ualink(struct gen *g)
{
	struct gen_params *p = &g->p;
	int rc;
	if ((rc = check_limit(g, "accels", p->accels, 1024)))
		return rc;
	if (p->lanes != 1 && p->lanes != 2 && p->lanes != 4)
		return pf_err(PODFAB_EMODEL,
			      "ualink-pod: lanes=%u: UALink ports are x1, x2 or x4 (lanes=1, 2 or 4)", p->lanes);
	if (!(p->given & KBIT(K_RADIX)))
		p->radix = 512 / p->lanes; /* a 102.4 Tb/s switch: 512 lanes of 200G */
	if ((rc = check_radix(g, "the plane switches (one port per accelerator)", p->accels)))
		return rc;
	for (uint32_t i = 0; i < p->accels; i++)
		if ((rc = add_accel(g, i, -1, -1, -1, NULL)))
			return rc;
	uint32_t sw0 = podfab_topo_nnodes(g->t);
	for (uint32_t s = 0; s < p->switches; s++) {
		char name[32];
		snprintf(name, sizeof name, "sw%u", s);
		if ((rc = add_switch(g, name, (int32_t)s, p->radix, NULL)))
			return rc;
	}
	/* accelerator-major: port s of every accelerator is plane s */
	for (uint32_t i = 0; i < p->accels; i++)
		for (uint32_t s = 0; s < p->switches; s++)
			if ((rc = gen_link(g, podfab_topo_accel_node(g->t, i), sw0 + s, 0)))
				return rc;
	return 0;
}

#define NVL72_TRAYS 9u
#define NVL72_CHIPS_PER_TRAY 2u

static int build_nvl72(struct gen *g)
{
	struct gen_params *p = &g->p;
	int rc;
	if ((rc = check_limit(g, "accels", p->accels, 72)))
		return rc;
	if ((rc = check_radix(g, "the NVSwitch chips (one port per accelerator)", p->accels)))
		return rc;
	for (uint32_t i = 0; i < p->accels; i++)
		if ((rc = add_accel(g, i, -1, -1, -1, NULL)))
			return rc;
	uint32_t sw0 = podfab_topo_nnodes(g->t);
	uint32_t nsw = NVL72_TRAYS * NVL72_CHIPS_PER_TRAY;
	for (uint32_t s = 0; s < nsw; s++) {
		char name[32];
		snprintf(name, sizeof name, "tray%u.sw%u", s / NVL72_CHIPS_PER_TRAY,
			 s % NVL72_CHIPS_PER_TRAY);
		if ((rc = add_switch(g, name, (int32_t)s, p->radix, NULL)))
			return rc;
	}
	for (uint32_t i = 0; i < p->accels; i++)
		for (uint32_t s = 0; s < nsw; s++)
			if ((rc = gen_link(g, podfab_topo_accel_node(g->t, i), sw0 + s, 0)))
				return rc;
	return 0;
}

static int build_dgx(struct gen *g)
{
	static const uint32_t wires[4] = {5, 5, 4, 4};
	struct gen_params *p = &g->p;
	int rc;
	if ((rc = check_limit(g, "accels", p->accels, 8)))
		return rc;
	if ((rc = check_radix(g, "the NVSwitch chips (5 links per accelerator)", p->accels * wires[0])))
		return rc;
	for (uint32_t i = 0; i < p->accels; i++)
		if ((rc = add_accel(g, i, -1, -1, -1, NULL)))
			return rc;
	uint32_t sw0 = podfab_topo_nnodes(g->t);
	for (uint32_t s = 0; s < 4; s++) {
		char name[32];
		snprintf(name, sizeof name, "sw%u", s);
		if ((rc = add_switch(g, name, (int32_t)s, p->radix, NULL)))
			return rc;
	}
	for (uint32_t i = 0; i < p->accels; i++)
		for (uint32_t s = 0; s < 4; s++)
			for (uint32_t j = 0; j < wires[s]; j++)
				if ((rc = gen_link(g, podfab_topo_accel_node(g->t, i), sw0 + s, j)))
					return rc;
	return 0;
}

static int build_mesh(struct gen *g)
{
	struct gen_params *p = &g->p;
	int rc;
	if ((rc = check_limit(g, "accels", p->accels, 64)))
		return rc;
	if (p->accels < 2)
		return pf_err(PODFAB_EMODEL, "mesh: accels=%u: a mesh needs at least 2 accelerators",
			      p->accels);
	for (uint32_t i = 0; i < p->accels; i++)
		if ((rc = add_accel(g, i, -1, -1, -1, NULL)))
			return rc;
	for (uint32_t i = 0; i < p->accels; i++)
		for (uint32_t j = i + 1; j < p->accels; j++)
			if ((rc = gen_link(g, podfab_topo_accel_node(g->t, i),
					   podfab_topo_accel_node(g->t, j), 0)))
				return rc;
	return 0;
}

static int build_clos(struct gen *g)
{
	struct gen_params *p = &g->p;
	int rc;
	if ((rc = check_limit(g, "accels", p->accels, GEN_MAX_ACCELS)))
		return rc;
	uint32_t a = p->accels;
	int have_l = !!(p->given & KBIT(K_LEAVES)), have_p = !!(p->given & KBIT(K_APL));
	if (!have_p)
		p->apl = have_l ? (a + p->leaves - 1) / p->leaves : (a < 32 ? a : 32);
	if (!have_l)
		p->leaves = (a + p->apl - 1) / p->apl;
	if ((uint64_t)p->leaves * p->apl < a)
		return pf_err(PODFAB_EMODEL,
			      "clos: leaves=%u x accels-per-leaf=%u holds %llu accelerators, fewer than accels=%u",
			      p->leaves, p->apl, (unsigned long long)p->leaves * p->apl, a);
	if ((uint64_t)(p->leaves - 1) * p->apl >= a)
		return pf_err(PODFAB_EMODEL,
			      "clos: leaves=%u: with accels-per-leaf=%u only %u leaves hold accelerators",
			      p->leaves, p->apl, (a + p->apl - 1) / p->apl);
	if (!(p->given & KBIT(K_SPINES)))
		p->spines = (p->apl + p->uplinks - 1) / p->uplinks; /* non-blocking: uplinks >= downlinks */
	uint64_t leaf_ports = (uint64_t)p->apl + (uint64_t)p->spines * p->uplinks;
	uint64_t spine_ports = (uint64_t)p->leaves * p->uplinks;
	if (leaf_ports > 65536 || spine_ports > 65536)
		return pf_err(PODFAB_EMODEL, "clos: a switch would need %llu ports (at most 65536)",
			      (unsigned long long)(leaf_ports > spine_ports ? leaf_ports : spine_ports));
	if (p->given & KBIT(K_RADIX)) {
		if ((rc = check_radix(g, "leaves (accels-per-leaf + spines x uplinks)",
				      (uint32_t)leaf_ports)) ||
		    (rc = check_radix(g, "spines (leaves x uplinks)", (uint32_t)spine_ports)))
			return rc;
	} else {
		p->radix = (uint32_t)(leaf_ports > spine_ports ? leaf_ports : spine_ports);
	}
	for (uint32_t i = 0; i < a; i++)
		if ((rc = add_accel(g, i, -1, -1, -1, NULL)))
			return rc;
	uint32_t leaf0 = podfab_topo_nnodes(g->t);
	char name[32];
	for (uint32_t l = 0; l < p->leaves; l++) {
		snprintf(name, sizeof name, "leaf%u", l);
		if ((rc = add_switch(g, name, 0, p->radix, NULL)))
			return rc;
	}
	uint32_t spine0 = podfab_topo_nnodes(g->t);
	for (uint32_t s = 0; s < p->spines; s++) {
		snprintf(name, sizeof name, "spine%u", s);
		if ((rc = add_switch(g, name, 0, p->radix, NULL)))
			return rc;
	}
	for (uint32_t i = 0; i < a; i++)
		if ((rc = gen_link(g, podfab_topo_accel_node(g->t, i), leaf0 + i / p->apl, 0)))
			return rc;
	for (uint32_t l = 0; l < p->leaves; l++)
		for (uint32_t s = 0; s < p->spines; s++)
			for (uint32_t u = 0; u < p->uplinks; u++)
				if ((rc = gen_link(g, leaf0 + l, spine0 + s, u)))
					return rc;
	return 0;
}

/* Tori and rings: accelerator id = x + X*(y + Y*z); each dimension of size
 * n >= 3 is a ring of n links, a dimension of 2 one link, a dimension of 1 none. */
static int build_grid(struct gen *g, uint32_t nd, const uint32_t dim[3])
{
	int rc;
	uint64_t total = (uint64_t)dim[0] * dim[1] * dim[2];
	if (total > GEN_MAX_ACCELS) {
		g->t->family_limit = GEN_MAX_ACCELS;
		if (nd == 1)
			return check_limit(g, "accels", (uint32_t)total, GEN_MAX_ACCELS);
		return pf_err(PODFAB_EMODEL, "%s: %s=%llu accelerators exceeds the %s limit of %u",
			      g->family, nd == 2 ? "x*y" : "x*y*z", (unsigned long long)total, g->family,
			      GEN_MAX_ACCELS);
	}
	g->t->family_limit = GEN_MAX_ACCELS;
	uint32_t n = (uint32_t)total;
	for (uint32_t i = 0; i < n; i++) {
		int32_t c[3] = {-1, -1, -1};
		uint32_t r = i;
		for (uint32_t d = 0; d < nd; d++) {
			c[d] = (int32_t)(r % dim[d]);
			r /= dim[d];
		}
		if ((rc = add_accel(g, i, c[0], c[1], c[2], NULL)))
			return rc;
	}
	uint32_t stride[3] = {1, dim[0], dim[0] * dim[1]};
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t d = 0; d < nd; d++) {
			uint32_t c = (i / stride[d]) % dim[d];
			if (dim[d] < 2 || (dim[d] == 2 && c == 1))
				continue;
			uint32_t nb = i - c * stride[d] + ((c + 1) % dim[d]) * stride[d];
			if ((rc = gen_link(g, podfab_topo_accel_node(g->t, i),
					   podfab_topo_accel_node(g->t, nb), 0)))
				return rc;
		}
	}
	return 0;
}

static int build_torus2d(struct gen *g)
{
	const uint32_t dim[3] = {g->p.x, g->p.y, 1};
	return build_grid(g, 2, dim);
}

static int build_torus3d(struct gen *g)
{
	const uint32_t dim[3] = {g->p.x, g->p.y, g->p.z};
	return build_grid(g, 3, dim);
}

static int build_ring(struct gen *g)
{
	if (g->p.accels < 2)
		return pf_err(PODFAB_EMODEL, "ring: accels=%u: a ring needs at least 2 accelerators",
			      g->p.accels);
	const uint32_t dim[3] = {g->p.accels, 1, 1};
	return build_grid(g, 1, dim);
}

/* ---- family table and help ---------------------------------------------- */

static void defaults_common(struct gen_params *p)
{
	memset(p, 0, sizeof *p);
	p->accels = 8;
	p->switches = 4;
	p->x = p->y = p->z = 4;
	p->uplinks = 1;
	p->lanes = 4;
	p->prop_ns = 5.0;
	p->enc = podfab_encoding_find("ualink-200g");
	p->sw_lat_ns = 150.0;
	p->radix = 64;
	p->buffer = 1u << 20;
	p->cut_through = 1;
	p->rt_lat_ns = 10.0;
	p->ingress_ns = 20.0;
	p->egress_ns = 20.0;
	p->max_request = 256;
}

static void defaults_ualink(struct gen_params *p)
{
	defaults_common(p);
}

static void defaults_nvl72(struct gen_params *p)
{
	defaults_common(p);
	p->accels = 72;
	p->lanes = 2;
	p->enc = podfab_encoding_find("nvlink5");
	p->sw_lat_ns = 100.0;
	p->radix = 72;
}

static void defaults_dgx(struct gen_params *p)
{
	defaults_common(p);
	p->lanes = 2;
	p->enc = podfab_encoding_find("nvlink4");
	p->sw_lat_ns = 100.0;
	p->radix = 64;
}

static void defaults_mesh(struct gen_params *p)
{
	defaults_common(p);
	p->lanes = 16;
	p->enc = podfab_encoding_find("pcie5");
}

static void defaults_clos(struct gen_params *p)
{
	defaults_common(p);
	p->accels = 64;
}

static void defaults_ring(struct gen_params *p)
{
	defaults_common(p);
}

#define HELP_COMMON                                                                                    \
	" Common keys: prop=TIME (link propagation delay, 0 to 1s, default 5ns); ber=X (pre-FEC "      \
	"bit-error rate, 0 to 0.5, default 1e-6 on encodings with FEC and 1e-12 without); "            \
	"switch-buffer=BYTES (buffer per switch port, default 1MiB); "                                 \
	"forwarding=cut-through|store-and-forward (default cut-through); retimers=N (0 to 16, "        \
	"default 0: every link a-b becomes the chain a - rt0 - ... - rtN-1 - b, each segment with "    \
	"the link's parameters and an equal share of prop, retimers named rt-A-B-K, or rt-A-B-pP-K "   \
	"on the P-th of parallel links); "                                                             \
	"retimer-latency=TIME (default 10ns, Astera Labs low-latency mode); "                          \
	"retimer-fec=pass|terminate (default pass); accel-ingress=TIME and accel-egress=TIME "         \
	"(default 20ns each); max-request=BYTES (largest request, 1B to 64KiB, default 256B, the "     \
	"UALink maximum); seed=N (routing seed for equal paths and planes, default 0); "               \
	"spray=hash|address (how flows pick among planes and paths, default hash). Times, rates and "  \
	"sizes need their unit (150ns, 200Gbps or 25GB/s, 1MiB); encoding is one of ualink-200g, "     \
	"nvlink4, nvlink5, pcie5, pcie6, eth-800g; lane-rate defaults to the encoding's lane rate."

static const char help_ualink[] =
	"ualink-pod: a single-level UALink 200G pod: accelerators accel0.. and one switch per plane "
	"(sw0.., plane = index); every accelerator has one port on every plane switch (port p of an "
	"accelerator is plane p). Keys: accels=N (1 to 1024, the UALink 1.0 pod limit, default 8); "
	"switches=N (planes, 1 to 64, default 4); lanes=N (port width x1, x2 or x4: 1, 2 or 4, "
	"default 4); encoding (default ualink-200g); lane-rate=RATE (default 200Gbps); "
	"switch-latency=TIME (default 150ns, the UALink port-to-port target for 400G ports at "
	"25.6 Tb/s); switch-radix=N (ports per switch, 1 to 65536, default 512/lanes: a 102.4 Tb/s "
	"switch, 128 x4 ports; accels must not exceed it)." HELP_COMMON;

static const char help_nvl72[] =
	"nvl72: an NVL72-like rack (GB200 NVL72): 72 accelerators accel0..accel71 and 18 NVSwitch "
	"chips, 2 per tray in 9 trays, named tray0.sw0, tray0.sw1, .. tray8.sw1 (plane = chip index "
	"0..17); one link from every accelerator to every chip (18 links per accelerator). Keys: "
	"accels=N (1 to 72, default 72); lanes=N (1 to 32, default 2); encoding (default nvlink5); "
	"lane-rate=RATE (default the encoding's lane rate; NVLink5 is 100 GB/s per link counting "
	"both directions, 1.8 TB/s per accelerator over 18 links); "
	"switch-latency=TIME (default 100ns: no public NVSwitch figure, uncertain); switch-radix=N "
	"(1 to 65536, default 72)." HELP_COMMON;

static const char help_dgx[] =
	"dgx-h100: a DGX-H100-like board: 8 accelerators accel0..accel7 and 4 NVSwitch chips "
	"sw0..sw3 (plane = index); every accelerator has 5 links to sw0, 5 to sw1, 4 to sw2 and 4 to "
	"sw3 (18 NVLink4 links). Keys: accels=N (1 to 8, default 8); lanes=N (1 to 32, default 2); "
	"encoding (default nvlink4); lane-rate=RATE (default the encoding's lane rate; NVLink4 is "
	"50 GB/s per link counting both directions, 900 GB/s per accelerator); switch-latency=TIME "
	"(default 100ns: no public NVSwitch figure, uncertain); switch-radix=N (1 to 65536, default "
	"64, the third-generation NVSwitch)." HELP_COMMON;

static const char help_mesh[] =
	"mesh: a full mesh of accelerators, MI300X-like: accel0.. each with one link to every other "
	"(an 8-accelerator mesh has 7 links per accelerator, 28 in all); no switches. Keys: accels=N "
	"(2 to 64, default 8); lanes=N (1 to 32, default 16); encoding (default pcie5, standing in "
	"for Infinity Fabric, uncertain); lane-rate=RATE (default 32Gbps, x16 = 64 GB/s per "
	"direction); switch-latency and switch-radix are accepted and unused." HELP_COMMON;

static const char help_clos[] =
	"clos: a two-level leaf-spine Clos: accelerators accel0.., leaves leaf0.. and spines spine0.. "
	"(plane 0); accelerator i hangs off leaf i/accels-per-leaf; every leaf has uplinks links to "
	"every spine. Keys: accels=N (1 to 65536, default 64); accels-per-leaf=N (default "
	"ceil(accels/leaves), or 32 when leaves is not given either); leaves=N (default "
	"ceil(accels/accels-per-leaf); every leaf must hold an accelerator); spines=N (default "
	"ceil(accels-per-leaf/uplinks), non-blocking); uplinks=N (links from each leaf to each spine, "
	"1 to 64, default 1); lanes=N (1 to 32, default 4); encoding (default ualink-200g); "
	"lane-rate=RATE (default 200Gbps); switch-latency=TIME (default 150ns); switch-radix=N (1 to "
	"65536; default just the ports the build needs, max(accels-per-leaf + spines*uplinks, "
	"leaves*uplinks); when given, both leaves and spines are checked against it). Example: "
	"clos:accels=8192,leaves=256,spines=128." HELP_COMMON;

static const char help_torus2d[] =
	"torus2d: a 2D torus (TPU-like) of x*y accelerators (at most 65536) with no switches: "
	"accelerators forward. accel(i) with i = cx + x*cy has coord = (cx, cy, -1) and links to its "
	"+1 neighbour in each dimension with wraparound; a dimension of size 2 gets one link between "
	"its two nodes (not two), a dimension of size 1 none. Keys: x=N and y=N (1 to 4096, default "
	"4); lanes=N (1 to 32, default 4); encoding (default ualink-200g, standing in for ICI, "
	"uncertain); lane-rate=RATE (default 200Gbps: 100 GB/s per direction per port, TPU v5p-like); "
	"switch-latency and switch-radix are accepted and unused." HELP_COMMON;

static const char help_torus3d[] =
	"torus3d: a 3D torus (TPU v4/v5p-like) of x*y*z accelerators (at most 65536) with no "
	"switches: accelerators forward. accel(i) with i = cx + x*(cy + y*cz) has coord = (cx, cy, cz) "
	"and links to its +1 neighbour in each dimension with wraparound (6 ports per accelerator "
	"when every dimension is 3 or more); a dimension of size 2 gets one link between its two "
	"nodes (not two), a dimension of size 1 none. Keys: x=N, y=N and z=N (1 to 4096, default 4); "
	"lanes=N (1 to 32, default 4); encoding (default ualink-200g, standing in for ICI, "
	"uncertain); lane-rate=RATE (default 200Gbps); switch-latency and switch-radix are accepted "
	"and unused." HELP_COMMON;

static const char help_ring[] =
	"ring: accelerators accel0.. in a ring with no switches (accelerators forward); accel(i) has "
	"coord = (i, -1, -1) and a link to accel((i+1) mod accels); a ring of 2 has a single link. "
	"Keys: accels=N (2 to 65536, default 8); lanes=N (1 to 32, default 4); encoding (default "
	"ualink-200g); lane-rate=RATE (default 200Gbps); switch-latency and switch-radix are accepted "
	"and unused." HELP_COMMON;

struct family {
	const char *name;
	uint64_t keys; /* family keys accepted besides the common ones */
	void (*defaults)(struct gen_params *p);
	int (*build)(struct gen *g);
	const char *help;
};

static const struct family fams[] = {
	{"ualink-pod", KBIT(K_ACCELS) | KBIT(K_SWITCHES), defaults_ualink, build_ualink, help_ualink},
	{"nvl72", KBIT(K_ACCELS), defaults_nvl72, build_nvl72, help_nvl72},
	{"dgx-h100", KBIT(K_ACCELS), defaults_dgx, build_dgx, help_dgx},
	{"mesh", KBIT(K_ACCELS), defaults_mesh, build_mesh, help_mesh},
	{"clos", KBIT(K_ACCELS) | KBIT(K_LEAVES) | KBIT(K_SPINES) | KBIT(K_APL) | KBIT(K_UPLINKS),
	 defaults_clos, build_clos, help_clos},
	{"torus2d", KBIT(K_X) | KBIT(K_Y), defaults_ring, build_torus2d, help_torus2d},
	{"torus3d", KBIT(K_X) | KBIT(K_Y) | KBIT(K_Z), defaults_ring, build_torus3d, help_torus3d},
	{"ring", KBIT(K_ACCELS), defaults_ring, build_ring, help_ring},
};

#define NFAMS (sizeof fams / sizeof fams[0])

static const char *const family_names[] = {"ualink-pod", "nvl72", "dgx-h100", "mesh", "clos",
					   "torus2d",    "torus3d", "ring",     NULL};

_Static_assert(sizeof family_names / sizeof family_names[0] == NFAMS + 1, "family_names matches fams");

static const struct family *family_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NFAMS; i++)
		if (strlen(fams[i].name) == len && !strncmp(fams[i].name, name, len))
			return &fams[i];
	return NULL;
}

const char *const *pf_gen_families(void)
{
	return family_names;
}

const char *pf_gen_help(const char *family)
{
	const struct family *f = family ? family_find(family, strlen(family)) : NULL;
	return f ? f->help : NULL;
}

/* ---- parsing ------------------------------------------------------------- */

static void list_keys(const struct family *f, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int k = 0; k < K_NKEYS && n < len; k++) {
		if (!((f->keys | COMMON_KEYS) & KBIT(k)))
			continue;
		int w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", keys[k].name);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	if (!*s)
		return -1;
	for (const char *c = s; *c; c++)
		if (*c < '0' || *c > '9')
			return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int bad_value(const struct family *f, const struct key_def *k, const char *v, const char *why)
{
	return pf_err(PODFAB_EMODEL, "%s: %s=%s: %s", f->name, k->name, v, why);
}

static int parse_value(const struct family *f, const struct key_def *k, const char *v, struct gen_params *p)
{
	char *field = (char *)p + k->off;
	char why[160];
	const char *r = NULL;
	double d;
	uint64_t u;
	switch (k->type) {
	case KT_UINT:
		if (parse_uint(v, (uint64_t)k->max, &u) || (double)u < k->min) {
			snprintf(why, sizeof why, "must be a whole number from %.0f to %.0f", k->min, k->max);
			return bad_value(f, k, v, why);
		}
		*(uint32_t *)(void *)field = (uint32_t)u;
		return 0;
	case KT_U64:
		if (parse_uint(v, UINT64_MAX, &u))
			return bad_value(f, k, v, "must be a whole number from 0 to 18446744073709551615");
		*(uint64_t *)(void *)field = u;
		return 0;
	case KT_TIME:
	case KT_RATE:
	case KT_BYTES:
	case KT_REAL: {
		enum pf_unit unit = k->type == KT_TIME	  ? PF_UNIT_TIME
				    : k->type == KT_RATE  ? PF_UNIT_RATE
				    : k->type == KT_BYTES ? PF_UNIT_BYTES
							  : PF_UNIT_NONE;
		if (pf_parse_quantity(v, unit, 0, &d, &r))
			return bad_value(f, k, v, r);
		const char *u_name = k->type == KT_TIME    ? "ns"
				     : k->type == KT_RATE  ? "Gbps"
				     : k->type == KT_BYTES ? "B"
							   : "";
		if ((k->min_open ? d <= k->min : d < k->min) || d > k->max) {
			snprintf(why, sizeof why, "must be %s %g%s and at most %g%s",
				 k->min_open ? "greater than" : "at least", k->min, u_name, k->max, u_name);
			return bad_value(f, k, v, why);
		}
		if (k->type == KT_BYTES) {
			if (d != floor(d))
				return bad_value(f, k, v, "must be a whole number of bytes");
			if (k->off == offsetof(struct gen_params, buffer))
				*(uint64_t *)(void *)field = (uint64_t)d;
			else
				*(uint32_t *)(void *)field = (uint32_t)d;
		} else {
			*(double *)(void *)field = d;
		}
		return 0;
	}
	case KT_ENC: {
		const podfab_encoding_t *e = podfab_encoding_find(v);
		if (!e) {
			size_t n = 0;
			n += (size_t)snprintf(why, sizeof why, "unknown encoding (one of");
			for (int i = 0; podfab_encoding_get(i) && n < sizeof why; i++)
				n += (size_t)snprintf(why + n, sizeof why - n, " %s",
						      podfab_encoding_get(i)->name);
			if (n < sizeof why)
				snprintf(why + n, sizeof why - n, ")");
			return bad_value(f, k, v, why);
		}
		*(const podfab_encoding_t **)(void *)field = e;
		return 0;
	}
	case KT_CHOICE:
		for (int i = 0; k->choices[i]; i++) {
			if (!strcmp(v, k->choices[i])) {
				*(int *)(void *)field = i;
				return 0;
			}
		}
		snprintf(why, sizeof why, "must be %s or %s", k->choices[0], k->choices[1]);
		return bad_value(f, k, v, why);
	}
	return bad_value(f, k, v, "unsupported key type");
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int parse_params(const struct family *f, char *s, struct gen_params *p)
{
	if (!*trim(s))
		return 0;
	for (char *item = s; item;) {
		char *next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		char *eq = strchr(item, '=');
		if (!eq)
			return pf_err(PODFAB_EMODEL, "%s: '%s' is not key=value", f->name, trim(item));
		*eq = '\0';
		char *k = trim(item), *v = trim(eq + 1);
		int id = -1;
		for (int i = 0; i < K_NKEYS; i++) {
			if (((f->keys | COMMON_KEYS) & KBIT(i)) && !strcmp(keys[i].name, k)) {
				id = i;
				break;
			}
		}
		if (id < 0) {
			char list[400];
			list_keys(f, list, sizeof list);
			return pf_err(PODFAB_EMODEL, "%s: unknown key '%s' (keys: %s)", f->name, k, list);
		}
		if (p->given & KBIT(id))
			return pf_err(PODFAB_EMODEL, "%s: duplicate key '%s'", f->name, k);
		p->given |= KBIT(id);
		int rc = parse_value(f, &keys[id], v, p);
		if (rc)
			return rc;
		item = next;
	}
	return 0;
}

int pf_gen_build(podfab_topo_t t, const char *generator)
{
	if (!t || !generator)
		return pf_err(PODFAB_ENULL, "%s is NULL", !t ? "topology" : "generator");
	const char *colon = strchr(generator, ':');
	size_t flen = colon ? (size_t)(colon - generator) : strlen(generator);
	const struct family *f = family_find(generator, flen);
	if (!f) {
		char list[200];
		size_t n = 0;
		list[0] = '\0';
		for (size_t i = 0; i < NFAMS; i++)
			n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", fams[i].name);
		return pf_err(PODFAB_EMODEL, "unknown generator family '%.*s' (families: %s)",
			      (int)(flen > 64 ? 64 : flen), generator, list);
	}
	struct gen g;
	memset(&g, 0, sizeof g);
	g.t = t;
	g.family = f->name;
	f->defaults(&g.p);
	if (colon) {
		char *params = strdup(colon + 1);
		if (!params)
			return pf_err(PODFAB_ENOMEM, "generator parameters");
		int rc = parse_params(f, params, &g.p);
		free(params);
		if (rc)
			return rc;
	}
	struct gen_params *p = &g.p;
	if (!p->enc)
		return pf_err(PODFAB_EMODEL, "%s: the default encoding is not built in", f->name);
	if (!(p->given & KBIT(K_LANE_RATE)))
		p->lane_gbps = p->enc->lane_gbps;
	if (!(p->given & KBIT(K_BER)))
		p->ber = p->enc->fec_codeword_bytes ? 1e-6 : 1e-12;
	g.lt.lanes = p->lanes;
	g.lt.lane_gbps = p->lane_gbps;
	g.lt.prop_ns = p->prop_ns;
	g.lt.enc = p->enc;
	g.lt.ber = p->ber;
	g.lt.up = 1;
	g.lt.a_port = g.lt.b_port = PODFAB_TOPO_NONE;
	g.lt.a = g.lt.b = PODFAB_TOPO_NONE;
	int rc = f->build(&g);
	if (rc)
		return rc;
	/* from a model file (the loader set t->file): keep its file and spec, name the family */
	if ((rc = pf_topo_set_origin(t, f->name, t->file ? t->spec : generator, t->file)))
		return rc;
	t->seed = p->seed;
	t->spray_address = p->spray_address;
	return 0;
}
