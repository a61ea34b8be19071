/*
 * test_gen.c - the generator families, through the public topology API:
 * node and link counts, kinds, names, degrees, coordinates, retimer chains,
 * parameters, help text, and every kind of bad generator string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <podfab/podfab.h>
#include <podfab/topo.h>

static podfab_topo_t gen_ok(const char *s)
{
	podfab_topo_t t = NULL;
	int rc = podfab_topo_generate(s, &t);
	ck_assert_msg(rc == 0, "'%s' failed: %d %s", s, rc, podfab_error_detail());
	ck_assert_ptr_nonnull(t);
	return t;
}

/* The generator string fails with EMODEL and a message holding every string given. */
static void gen_bad(const char *s, const char *want1, const char *want2)
{
	podfab_topo_t t = NULL;
	int rc = podfab_topo_generate(s, &t);
	ck_assert_msg(rc == -PODFAB_EMODEL, "'%s' gave %d, not -PODFAB_EMODEL (%s)", s, rc,
		      podfab_error_detail());
	ck_assert_ptr_null(t);
	const char *d = podfab_error_detail();
	ck_assert_ptr_nonnull(d);
	ck_assert_msg(strstr(d, want1) != NULL, "'%s': message '%s' lacks '%s'", s, d, want1);
	if (want2)
		ck_assert_msg(strstr(d, want2) != NULL, "'%s': message '%s' lacks '%s'", s, d, want2);
}

static uint32_t other_end(const podfab_link_t *l, uint32_t n)
{
	return l->a == n ? l->b : l->a;
}

/* The node at the far end of port p of node n. */
static const podfab_node_t *peer(podfab_topo_t t, const podfab_node_t *n, uint32_t p)
{
	ck_assert_uint_lt(p, n->nports);
	return podfab_topo_node(t, other_end(podfab_topo_link(t, n->port_link[p]), n->id));
}

/* Links joining nodes u and v (read from u's ports, checked against v's). */
static uint32_t links_between(podfab_topo_t t, uint32_t u, uint32_t v)
{
	const podfab_node_t *nu = podfab_topo_node(t, u);
	uint32_t n = 0;
	for (uint32_t p = 0; p < nu->nports; p++) {
		const podfab_link_t *l = podfab_topo_link(t, nu->port_link[p]);
		ck_assert(l->a == u || l->b == u);
		ck_assert_uint_eq(l->a == u ? l->a_port : l->b_port, p);
		if (other_end(l, u) == v)
			n++;
	}
	return n;
}

static uint32_t count_kind(podfab_topo_t t, podfab_node_kind_t k)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < podfab_topo_nnodes(t); i++)
		if (podfab_topo_node(t, i)->kind == k)
			n++;
	return n;
}

static uint32_t node(podfab_topo_t t, const char *name)
{
	uint32_t id = podfab_topo_find(t, name);
	ck_assert_msg(id != PODFAB_TOPO_NONE, "no node '%s'", name);
	return id;
}

static uint32_t accel(podfab_topo_t t, uint32_t i)
{
	uint32_t id = podfab_topo_accel_node(t, i);
	ck_assert(id != PODFAB_TOPO_NONE);
	return id;
}

static void check_links(podfab_topo_t t, uint32_t lanes, double gbps, double prop, const char *enc,
			const char *cls)
{
	for (uint32_t i = 0; i < podfab_topo_nlinks(t); i++) {
		const podfab_link_t *l = podfab_topo_link(t, i);
		ck_assert_uint_eq(l->id, i);
		ck_assert_uint_eq(l->lanes, lanes);
		ck_assert_double_eq_tol(l->lane_gbps, gbps, 1e-9);
		ck_assert_double_eq_tol(l->prop_ns, prop, 1e-9);
		ck_assert_ptr_nonnull(l->enc);
		ck_assert_str_eq(l->enc->name, enc);
		ck_assert_int_eq(l->up, 1);
		if (cls)
			ck_assert_str_eq(l->cls, cls);
	}
}

/* ---- families and help ---------------------------------------------------- */

static const char *const common_keys[] = {
	"lanes", "lane-rate", "prop", "encoding", "ber", "switch-latency", "switch-radix", "switch-buffer",
	"forwarding", "retimers", "retimer-latency", "retimer-fec", "accel-ingress", "accel-egress",
	"max-request", "seed", "spray", NULL};

static const struct {
	const char *family;
	const char *keys[6];
} family_keys[] = {
	{"ualink-pod", {"accels", "switches", NULL}},
	{"nvl72", {"accels", NULL}},
	{"dgx-h100", {"accels", NULL}},
	{"mesh", {"accels", NULL}},
	{"clos", {"accels", "leaves", "spines", "accels-per-leaf", "uplinks", NULL}},
	{"torus2d", {"x", "y", NULL}},
	{"torus3d", {"x", "y", "z", NULL}},
	{"ring", {"accels", NULL}},
};

#define NFAM (sizeof family_keys / sizeof family_keys[0])

START_TEST(test_families_and_help)
{
	const char *const *f = podfab_topo_families();
	ck_assert_ptr_nonnull(f);
	size_t n = 0;
	while (f[n])
		n++;
	ck_assert_uint_eq(n, NFAM);
	for (size_t i = 0; i < NFAM; i++) {
		ck_assert_str_eq(f[i], family_keys[i].family);
		const char *h = podfab_topo_family_help(f[i]);
		ck_assert_ptr_nonnull(h);
		ck_assert_msg(!strncmp(h, f[i], strlen(f[i])), "help of %s starts with its name", f[i]);
		ck_assert_ptr_null(strchr(h, '\n'));
		char want[64];
		for (int k = 0; family_keys[i].keys[k]; k++) {
			snprintf(want, sizeof want, "%s=", family_keys[i].keys[k]);
			ck_assert_msg(strstr(h, want), "help of %s lacks %s", f[i], want);
		}
		for (int k = 0; common_keys[k]; k++)
			ck_assert_msg(strstr(h, common_keys[k]), "help of %s lacks %s", f[i], common_keys[k]);
		ck_assert_msg(strstr(h, "default"), "help of %s gives defaults", f[i]);
		/* the family itself builds with defaults, with or without the colon */
		podfab_topo_t t = gen_ok(f[i]);
		ck_assert_str_eq(podfab_topo_family(t), f[i]);
		ck_assert_str_eq(podfab_topo_spec(t), f[i]);
		podfab_topo_free(t);
		snprintf(want, sizeof want, "%s:", f[i]);
		t = gen_ok(want);
		ck_assert_str_eq(podfab_topo_spec(t), want);
		podfab_topo_free(t);
	}
	ck_assert_ptr_null(podfab_topo_family_help("nosuch"));
	ck_assert_ptr_null(podfab_topo_family_help(NULL));
	ck_assert_ptr_nonnull(strstr(podfab_topo_family_help("nvl72"), "uncertain"));
	ck_assert_ptr_nonnull(strstr(podfab_topo_family_help("dgx-h100"), "uncertain"));
}
END_TEST

/* ---- ualink-pod --------------------------------------------------------- */

START_TEST(test_ualink_default)
{
	podfab_topo_t t = gen_ok("ualink-pod");
	ck_assert_str_eq(podfab_topo_family(t), "ualink-pod");
	ck_assert_uint_eq(podfab_topo_nnodes(t), 12);
	ck_assert_uint_eq(podfab_topo_naccels(t), 8);
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_SWITCH), 4);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 32);
	check_links(t, 4, 200.0, 5.0, "ualink-200g", "accel-switch");
	for (uint32_t i = 0; i < 8; i++) {
		char name[16];
		snprintf(name, sizeof name, "accel%u", i);
		const podfab_node_t *a = podfab_topo_node(t, accel(t, i));
		ck_assert_str_eq(a->name, name);
		ck_assert_int_eq(a->kind, PODFAB_NODE_ACCEL);
		ck_assert_int_eq(a->accel, (int)i);
		ck_assert_uint_eq(a->nports, 4);
		ck_assert_uint_eq(a->max_request, 256);
		ck_assert_double_eq(a->latency_ns, 20.0);
		ck_assert_double_eq(a->egress_ns, 20.0);
		ck_assert_int_eq(a->plane, -1);
		for (uint32_t p = 0; p < 4; p++) {
			const podfab_node_t *s = peer(t, a, p);
			ck_assert_int_eq(s->kind, PODFAB_NODE_SWITCH);
			ck_assert_int_eq(s->plane, (int)p); /* port p is plane p */
		}
	}
	for (uint32_t s = 0; s < 4; s++) {
		char name[16];
		snprintf(name, sizeof name, "sw%u", s);
		const podfab_node_t *sw = podfab_topo_node(t, node(t, name));
		ck_assert_int_eq(sw->kind, PODFAB_NODE_SWITCH);
		ck_assert_int_eq(sw->accel, -1);
		ck_assert_int_eq(sw->plane, (int)s);
		ck_assert_uint_eq(sw->nports, 8);
		ck_assert_uint_eq(sw->radix, 128);
		ck_assert_double_eq(sw->latency_ns, 150.0);
		ck_assert_uint_eq(sw->buffer_bytes, 1u << 20);
		ck_assert_int_eq(sw->cut_through, 1);
		for (uint32_t i = 0; i < 8; i++)
			ck_assert_uint_eq(links_between(t, sw->id, accel(t, i)), 1);
	}
	ck_assert_double_eq(podfab_topo_link(t, 0)->ber, 1e-6); /* FEC encoding */
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_ualink_params)
{
	const char *s = "ualink-pod:accels=64,switches=16,lanes=2,lane-rate=25GB/s,prop=1.5us,"
			"switch-latency=200ns,switch-buffer=2MiB,forwarding=store-and-forward,ber=1e-9,"
			"accel-ingress=30ns,accel-egress=40ns,max-request=128B,seed=42,spray=address";
	podfab_topo_t t = gen_ok(s);
	ck_assert_str_eq(podfab_topo_spec(t), s);
	ck_assert_uint_eq(podfab_topo_naccels(t), 64);
	ck_assert_uint_eq(podfab_topo_nnodes(t), 80);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 64 * 16);
	check_links(t, 2, 200.0, 1500.0, "ualink-200g", "accel-switch");
	ck_assert_double_eq_tol(podfab_topo_link(t, 7)->ber, 1e-9, 1e-20);
	const podfab_node_t *sw = podfab_topo_node(t, node(t, "sw15"));
	ck_assert_int_eq(sw->plane, 15);
	ck_assert_uint_eq(sw->nports, 64);
	ck_assert_uint_eq(sw->radix, 256); /* 512 lanes / x2 */
	ck_assert_double_eq(sw->latency_ns, 200.0);
	ck_assert_uint_eq(sw->buffer_bytes, 2u << 20);
	ck_assert_int_eq(sw->cut_through, 0);
	const podfab_node_t *a = podfab_topo_node(t, accel(t, 63));
	ck_assert_uint_eq(a->nports, 16);
	ck_assert_double_eq(a->latency_ns, 30.0);
	ck_assert_double_eq(a->egress_ns, 40.0);
	ck_assert_uint_eq(a->max_request, 128);
	podfab_topo_free(t);

	/* another encoding: its lane rate is the default; an explicit one wins */
	t = gen_ok("ualink-pod:accels=2,switches=1,encoding=pcie6");
	check_links(t, 4, 64.0, 5.0, "pcie6", NULL);
	podfab_topo_free(t);
	t = gen_ok("ualink-pod:accels=2,switches=1,encoding=pcie6,lane-rate=0.1Tbps,lanes=1");
	check_links(t, 1, 100.0, 5.0, "pcie6", NULL);
	podfab_topo_free(t);
	/* the largest pod, 16 planes, x1 ports, a radix that fits */
	t = gen_ok("ualink-pod:accels=1024,switches=16,lanes=1,switch-radix=1024");
	ck_assert_uint_eq(podfab_topo_nnodes(t), 1040);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 1024 * 16);
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "sw3"))->nports, 1024);
	podfab_topo_free(t);
	/* x1 ports: default radix 512 */
	t = gen_ok("ualink-pod:accels=512,switches=1,lanes=1");
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "sw0"))->radix, 512);
	podfab_topo_free(t);
}
END_TEST

/* ---- nvl72, dgx-h100, mesh ------------------------------------------------ */

START_TEST(test_nvl72)
{
	podfab_topo_t t = gen_ok("nvl72");
	ck_assert_uint_eq(podfab_topo_naccels(t), 72);
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_SWITCH), 18);
	ck_assert_uint_eq(podfab_topo_nnodes(t), 90);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 72 * 18);
	check_links(t, 2, podfab_encoding_find("nvlink5")->lane_gbps, 5.0, "nvlink5", "accel-switch");
	for (uint32_t tray = 0; tray < 9; tray++) {
		for (uint32_t c = 0; c < 2; c++) {
			char name[32];
			snprintf(name, sizeof name, "tray%u.sw%u", tray, c);
			const podfab_node_t *s = podfab_topo_node(t, node(t, name));
			ck_assert_int_eq(s->plane, (int)(tray * 2 + c));
			ck_assert_uint_eq(s->nports, 72);
			ck_assert_uint_eq(s->radix, 72);
			ck_assert_double_eq(s->latency_ns, 100.0);
			for (uint32_t i = 0; i < 72; i += 7)
				ck_assert_uint_eq(links_between(t, s->id, accel(t, i)), 1);
		}
	}
	for (uint32_t i = 0; i < 72; i++) {
		const podfab_node_t *a = podfab_topo_node(t, accel(t, i));
		ck_assert_uint_eq(a->nports, 18);
		for (uint32_t p = 0; p < 18; p++) {
			const podfab_node_t *s = peer(t, a, p);
			ck_assert_int_eq(s->plane, (int)p);
		}
	}
	podfab_topo_free(t);
	t = gen_ok("nvl72:accels=36");
	ck_assert_uint_eq(podfab_topo_nlinks(t), 36 * 18);
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "tray8.sw1"))->nports, 36);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_dgx_h100)
{
	static const uint32_t wires[4] = {5, 5, 4, 4};
	podfab_topo_t t = gen_ok("dgx-h100");
	ck_assert_uint_eq(podfab_topo_naccels(t), 8);
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_SWITCH), 4);
	ck_assert_uint_eq(podfab_topo_nnodes(t), 12);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 8 * 18);
	check_links(t, 2, podfab_encoding_find("nvlink4")->lane_gbps, 5.0, "nvlink4", "accel-switch");
	ck_assert_double_eq(podfab_topo_link(t, 0)->ber, 1e-12); /* no FEC on nvlink4 */
	for (uint32_t i = 0; i < 8; i++) {
		ck_assert_uint_eq(podfab_topo_node(t, accel(t, i))->nports, 18);
		for (uint32_t s = 0; s < 4; s++) {
			char name[8];
			snprintf(name, sizeof name, "sw%u", s);
			ck_assert_uint_eq(links_between(t, accel(t, i), node(t, name)), wires[s]);
		}
	}
	for (uint32_t s = 0; s < 4; s++) {
		char name[8];
		snprintf(name, sizeof name, "sw%u", s);
		const podfab_node_t *sw = podfab_topo_node(t, node(t, name));
		ck_assert_uint_eq(sw->nports, 8 * wires[s]);
		ck_assert_uint_eq(sw->radix, 64);
		ck_assert_int_eq(sw->plane, (int)s);
	}
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_mesh)
{
	podfab_topo_t t = gen_ok("mesh");
	ck_assert_uint_eq(podfab_topo_nnodes(t), 8);
	ck_assert_uint_eq(podfab_topo_naccels(t), 8);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 28);
	check_links(t, 16, 32.0, 5.0, "pcie5", "accel-accel");
	/* x16 at 32 Gb/s: 64 GB/s per direction per pair, MI300X-like */
	const podfab_link_t *l = podfab_topo_link(t, 0);
	ck_assert_double_eq_tol(l->lanes * l->lane_gbps / 8.0, 64.0, 1e-9);
	for (uint32_t i = 0; i < 8; i++) {
		ck_assert_uint_eq(podfab_topo_node(t, accel(t, i))->nports, 7);
		for (uint32_t j = 0; j < 8; j++)
			ck_assert_uint_eq(links_between(t, accel(t, i), accel(t, j)), i == j ? 0 : 1);
	}
	podfab_topo_free(t);
	t = gen_ok("mesh:accels=64,lanes=8,lane-rate=64Gbps");
	ck_assert_uint_eq(podfab_topo_nlinks(t), 64 * 63 / 2);
	check_links(t, 8, 64.0, 5.0, "pcie5", "accel-accel");
	ck_assert_uint_eq(podfab_topo_node(t, accel(t, 40))->nports, 63);
	podfab_topo_free(t);
	t = gen_ok("mesh:accels=2");
	ck_assert_uint_eq(podfab_topo_nlinks(t), 1);
	podfab_topo_free(t);
}
END_TEST

/* ---- clos ------------------------------------------------------------------- */

START_TEST(test_clos)
{
	podfab_topo_t t = gen_ok("clos");
	/* 64 accels, 32 per leaf: 2 leaves, 32 spines (non-blocking) */
	ck_assert_uint_eq(podfab_topo_naccels(t), 64);
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_SWITCH), 34);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 64 + 2 * 32);
	const podfab_node_t *leaf = podfab_topo_node(t, node(t, "leaf1"));
	ck_assert_uint_eq(leaf->nports, 64);
	ck_assert_uint_eq(leaf->radix, 64);
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "spine31"))->nports, 2);
	ck_assert_uint_eq(links_between(t, accel(t, 33), leaf->id), 1);
	ck_assert_uint_eq(links_between(t, accel(t, 31), leaf->id), 0);
	ck_assert_str_eq(podfab_topo_link(t, 0)->cls, "accel-switch");
	ck_assert_str_eq(podfab_topo_link(t, 64)->cls, "switch-switch");
	podfab_topo_free(t);

	t = gen_ok("clos:accels=48,leaves=4,uplinks=2,spines=3");
	ck_assert_uint_eq(podfab_topo_nlinks(t), 48 + 4 * 3 * 2);
	ck_assert_uint_eq(links_between(t, node(t, "leaf3"), node(t, "spine2")), 2);
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "leaf0"))->nports, 12 + 6);
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "spine0"))->nports, 8);
	ck_assert_uint_eq(links_between(t, accel(t, 47), node(t, "leaf3")), 1);
	podfab_topo_free(t);

	/* uneven: the last leaf holds fewer accelerators */
	t = gen_ok("clos:accels=10,accels-per-leaf=4");
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_SWITCH), 3 + 4);
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "leaf2"))->nports, 2 + 4);
	podfab_topo_free(t);

	/* 8,192 accelerators */
	t = gen_ok("clos:accels=8192,leaves=256,spines=128");
	ck_assert_uint_eq(podfab_topo_naccels(t), 8192);
	ck_assert_uint_eq(podfab_topo_nnodes(t), 8192 + 256 + 128);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 8192 + 256 * 128);
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "leaf255"))->nports, 32 + 128);
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "spine127"))->nports, 256);
	ck_assert_uint_eq(links_between(t, accel(t, 8191), node(t, "leaf255")), 1);
	ck_assert_uint_eq(links_between(t, accel(t, 32), node(t, "leaf1")), 1);
	podfab_topo_free(t);
	t = gen_ok("clos:accels=8192,leaves=256,spines=128,switch-radix=256");
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "spine0"))->radix, 256);
	podfab_topo_free(t);
}
END_TEST

/* ---- tori and rings ----------------------------------------------------- */

static uint32_t grid_id(const uint32_t dim[3], uint32_t x, uint32_t y, uint32_t z)
{
	return x + dim[0] * (y + dim[1] * z);
}

/* links between node me and the accelerator at (x, y, z) of grid dim */
#define LINKED(me, x, y, z) links_between(t, (me), accel(t, grid_id(dim, (x), (y), (z))))

START_TEST(test_torus3d)
{
	const uint32_t dim[3] = {4, 4, 4};
	podfab_topo_t t = gen_ok("torus3d:x=4,y=4,z=4");
	ck_assert_uint_eq(podfab_topo_nnodes(t), 64);
	ck_assert_uint_eq(podfab_topo_naccels(t), 64);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 64 * 3);
	check_links(t, 4, 200.0, 5.0, "ualink-200g", "accel-accel");
	for (uint32_t z = 0; z < 4; z++)
		for (uint32_t y = 0; y < 4; y++)
			for (uint32_t x = 0; x < 4; x++) {
				uint32_t me = accel(t, grid_id(dim, x, y, z));
				const podfab_node_t *n = podfab_topo_node(t, me);
				ck_assert_int_eq(n->coord[0], (int)x);
				ck_assert_int_eq(n->coord[1], (int)y);
				ck_assert_int_eq(n->coord[2], (int)z);
				ck_assert_uint_eq(n->nports, 6);
				ck_assert_uint_eq(LINKED(me, (x + 1) % 4, y, z), 1);
				ck_assert_uint_eq(LINKED(me, (x + 3) % 4, y, z), 1);
				ck_assert_uint_eq(LINKED(me, x, (y + 1) % 4, z), 1);
				ck_assert_uint_eq(LINKED(me, x, (y + 3) % 4, z), 1);
				ck_assert_uint_eq(LINKED(me, x, y, (z + 1) % 4), 1);
				ck_assert_uint_eq(LINKED(me, x, y, (z + 3) % 4), 1);
			}
	/* the wraparound link itself */
	ck_assert_uint_eq(LINKED(accel(t, grid_id(dim, 3, 2, 1)), 0, 2, 1), 1);
	podfab_topo_free(t);

	/* size 2: one link, not two; size 1: none */
	const uint32_t d2[3] = {2, 3, 1};
	t = gen_ok("torus3d:x=2,y=3,z=1");
	ck_assert_uint_eq(podfab_topo_nnodes(t), 6);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 3 + 2 * 3);
	for (uint32_t i = 0; i < 6; i++)
		ck_assert_uint_eq(podfab_topo_node(t, accel(t, i))->nports, 3);
	ck_assert_uint_eq(links_between(t, accel(t, grid_id(d2, 0, 1, 0)), accel(t, grid_id(d2, 1, 1, 0))),
			  1);
	ck_assert_int_eq(podfab_topo_node(t, accel(t, 5))->coord[2], 0);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_torus2d)
{
	const uint32_t dim[3] = {5, 3, 1};
	podfab_topo_t t = gen_ok("torus2d:x=5,y=3,lanes=2");
	ck_assert_uint_eq(podfab_topo_nnodes(t), 15);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 30);
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_SWITCH), 0);
	check_links(t, 2, 200.0, 5.0, "ualink-200g", "accel-accel");
	for (uint32_t y = 0; y < 3; y++)
		for (uint32_t x = 0; x < 5; x++) {
			uint32_t me = accel(t, grid_id(dim, x, y, 0));
			const podfab_node_t *n = podfab_topo_node(t, me);
			ck_assert_int_eq(n->coord[0], (int)x);
			ck_assert_int_eq(n->coord[1], (int)y);
			ck_assert_int_eq(n->coord[2], -1);
			ck_assert_uint_eq(n->nports, 4);
			ck_assert_uint_eq(LINKED(me, (x + 1) % 5, y, 0), 1);
			ck_assert_uint_eq(LINKED(me, x, (y + 1) % 3, 0), 1);
		}
	podfab_topo_free(t);
	t = gen_ok("torus2d");
	ck_assert_uint_eq(podfab_topo_nnodes(t), 16);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 32);
	podfab_topo_free(t);
	t = gen_ok("torus2d:x=2,y=2");
	ck_assert_uint_eq(podfab_topo_nlinks(t), 4);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_ring)
{
	podfab_topo_t t = gen_ok("ring");
	ck_assert_uint_eq(podfab_topo_nnodes(t), 8);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 8);
	check_links(t, 4, 200.0, 5.0, "ualink-200g", "accel-accel");
	for (uint32_t i = 0; i < 8; i++) {
		const podfab_node_t *n = podfab_topo_node(t, accel(t, i));
		ck_assert_int_eq(n->coord[0], (int)i);
		ck_assert_int_eq(n->coord[1], -1);
		ck_assert_int_eq(n->coord[2], -1);
		ck_assert_uint_eq(n->nports, 2);
		ck_assert_uint_eq(links_between(t, n->id, accel(t, (i + 1) % 8)), 1);
		ck_assert_uint_eq(links_between(t, n->id, accel(t, (i + 7) % 8)), 1);
	}
	podfab_topo_free(t);
	t = gen_ok("ring:accels=2");
	ck_assert_uint_eq(podfab_topo_nlinks(t), 1);
	podfab_topo_free(t);
	t = gen_ok("ring:accels=3");
	ck_assert_uint_eq(podfab_topo_nlinks(t), 3);
	podfab_topo_free(t);
}
END_TEST

/* ---- retimers ----------------------------------------------------------- */

START_TEST(test_retimers_chain)
{
	podfab_topo_t t = gen_ok("ualink-pod:accels=2,switches=1,retimers=2,prop=9ns,retimer-latency=7ns,"
				 "retimer-fec=terminate,lanes=2,lane-rate=100Gbps");
	ck_assert_uint_eq(podfab_topo_naccels(t), 2);
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_SWITCH), 1);
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_RETIMER), 4);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 6);
	check_links(t, 2, 100.0, 3.0, "ualink-200g", NULL); /* 9 ns split over three segments */
	/* accel1 - rt-accel1-sw0-0 - rt-accel1-sw0-1 - sw0, in that order */
	uint32_t a1 = accel(t, 1), r0 = node(t, "rt-accel1-sw0-0"), r1 = node(t, "rt-accel1-sw0-1"),
		 sw = node(t, "sw0");
	ck_assert_uint_eq(links_between(t, a1, r0), 1);
	ck_assert_uint_eq(links_between(t, r0, r1), 1);
	ck_assert_uint_eq(links_between(t, r1, sw), 1);
	ck_assert_uint_eq(links_between(t, a1, sw), 0);
	ck_assert_uint_eq(links_between(t, a1, r1), 0);
	for (uint32_t r = 0; r < podfab_topo_nnodes(t); r++) {
		const podfab_node_t *n = podfab_topo_node(t, r);
		if (n->kind != PODFAB_NODE_RETIMER)
			continue;
		ck_assert_uint_eq(n->nports, 2);
		ck_assert_double_eq(n->latency_ns, 7.0);
		ck_assert_int_eq(n->fec_terminate, 1);
		ck_assert_int_eq(n->accel, -1);
		ck_assert_ptr_nonnull(strstr(n->name, "rt-"));
	}
	const podfab_node_t *rn = podfab_topo_node(t, r0);
	ck_assert_str_eq(podfab_topo_link(t, rn->port_link[0])->cls, "accel-retimer");
	ck_assert_str_eq(podfab_topo_link(t, rn->port_link[1])->cls, "retimer-retimer");
	ck_assert_str_eq(podfab_topo_link(t, podfab_topo_node(t, r1)->port_link[1])->cls, "switch-retimer");
	ck_assert_uint_eq(podfab_topo_node(t, sw)->nports, 2);
	podfab_topo_free(t);

	t = gen_ok("ring:accels=4,retimers=1");
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_RETIMER), 4);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 8);
	ck_assert_int_eq(podfab_topo_node(t, node(t, "rt-accel3-accel0-0"))->fec_terminate, 0);
	ck_assert_double_eq(podfab_topo_node(t, node(t, "rt-accel3-accel0-0"))->latency_ns, 10.0);
	check_links(t, 4, 200.0, 2.5, "ualink-200g", "accel-retimer");
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_retimers_parallel)
{
	/* parallel links (dgx-h100 5/5/4/4) keep unique retimer names */
	podfab_topo_t t = gen_ok("dgx-h100:retimers=1");
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_RETIMER), 144);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 288);
	ck_assert_uint_eq(podfab_topo_nnodes(t), 12 + 144);
	for (uint32_t i = 0; i < 8; i++)
		ck_assert_uint_eq(podfab_topo_node(t, accel(t, i))->nports, 18);
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "sw0"))->nports, 40);
	ck_assert_uint_eq(podfab_topo_node(t, node(t, "sw3"))->nports, 32);
	podfab_topo_free(t);
	t = gen_ok("clos:accels=8,accels-per-leaf=4,spines=2,uplinks=2,retimers=3");
	ck_assert_uint_eq(count_kind(t, PODFAB_NODE_RETIMER), (8 + 2 * 2 * 2) * 3);
	ck_assert_uint_eq(podfab_topo_nlinks(t), (8 + 8) * 4);
	podfab_topo_free(t);
}
END_TEST

/* ---- bad input ---------------------------------------------------------- */

static const struct {
	const char *gen;
	const char *want1, *want2;
} bad[] = {
	{"nosuch", "unknown generator family 'nosuch'", "ualink-pod"},
	{"nosuch:accels=4", "unknown generator family 'nosuch'", "torus3d"},
	{"", "unknown generator family", NULL},
	{"ualink-pod:foo=1", "unknown key 'foo'", "accels, switches, lanes"},
	{"mesh:x=4", "unknown key 'x'", "accels"},
	{"torus2d:z=4", "unknown key 'z'", "x, y"},
	{"torus2d:accels=4", "unknown key 'accels'", NULL},
	{"ualink-pod:accels=4,accels=8", "duplicate key 'accels'", NULL},
	{"ualink-pod:prop=1ns,lanes=2,prop=2ns", "duplicate key 'prop'", NULL},
	{"ualink-pod:accels", "'accels' is not key=value", NULL},
	{"ualink-pod:accels=4,,lanes=2", "is not key=value", NULL},
	{"ualink-pod:accels=2000", "accels=2000 exceeds the ualink-pod limit of 1024", NULL},
	{"nvl72:accels=73", "accels=73 exceeds the nvl72 limit of 72", NULL},
	{"dgx-h100:accels=9", "accels=9 exceeds the dgx-h100 limit of 8", NULL},
	{"mesh:accels=65", "accels=65 exceeds the mesh limit of 64", NULL},
	{"ring:accels=70000", "accels=70000 exceeds the ring limit of 65536", NULL},
	{"torus3d:x=64,y=64,z=64", "x*y*z=262144", "limit of 65536"},
	{"ualink-pod:accels=0", "accels=0", "whole number"},
	{"ualink-pod:accels=-4", "accels=-4", "whole number"},
	{"ualink-pod:accels=4.5", "accels=4.5", NULL},
	{"ualink-pod:accels=", "accels=", "whole number"},
	{"ualink-pod:accels=8x", "accels=8x", NULL},
	{"ualink-pod:accels=99999999999999999999", "accels=", "whole number"},
	{"ualink-pod:accels=5000000", "accels=5000000 exceeds the ualink-pod limit of 1024", NULL},
	{"ualink-pod:switches=0", "switches=0", NULL},
	{"ualink-pod:lanes=3", "lanes=3", "x1, x2 or x4"},
	{"ualink-pod:lanes=0", "lanes=0", NULL},
	{"ualink-pod:accels=200", "switch-radix=128", "200 ports"},
	{"ualink-pod:lane-rate=200", "lane-rate=200", "unit"},
	{"ualink-pod:lane-rate=200Gbz", "lane-rate=200Gbz", "unit"},
	{"ualink-pod:lane-rate=0Gbps", "lane-rate=0Gbps", "greater than"},
	{"ualink-pod:lane-rate=-5Gbps", "lane-rate=-5Gbps", NULL},
	{"ualink-pod:lane-rate=fast", "lane-rate=fast", NULL},
	{"ualink-pod:prop=5", "prop=5", "unit"},
	{"ualink-pod:prop=-1ns", "prop=-1ns", "at least"},
	{"ualink-pod:prop=5Gbps", "prop=5Gbps", NULL},
	{"ualink-pod:switch-latency=-1ns", "switch-latency=-1ns", NULL},
	{"ualink-pod:retimer-latency=3", "retimer-latency=3", "unit"},
	{"ualink-pod:accel-ingress=-2ns", "accel-ingress", NULL},
	{"ualink-pod:accel-egress=x", "accel-egress", NULL},
	{"ualink-pod:switch-buffer=1024", "switch-buffer=1024", "unit"},
	{"ualink-pod:switch-buffer=1.5B", "switch-buffer=1.5B", "whole"},
	{"ualink-pod:max-request=256", "max-request=256", "unit"},
	{"ualink-pod:max-request=0B", "max-request=0B", NULL},
	{"ualink-pod:max-request=1MiB", "max-request=1MiB", NULL},
	{"ualink-pod:encoding=foo", "encoding=foo", "ualink-200g"},
	{"ualink-pod:forwarding=maybe", "forwarding=maybe", "cut-through"},
	{"ualink-pod:retimer-fec=yes", "retimer-fec=yes", "terminate"},
	{"ualink-pod:spray=random", "spray=random", "address"},
	{"ualink-pod:retimers=17", "retimers=17", NULL},
	{"ualink-pod:retimers=-1", "retimers=-1", NULL},
	{"ualink-pod:ber=2", "ber=2", NULL},
	{"ualink-pod:ber=-1e-6", "ber=-1e-6", NULL},
	{"ualink-pod:ber=1e-6x", "ber=1e-6x", NULL},
	{"ualink-pod:seed=-1", "seed=-1", NULL},
	{"ualink-pod:switch-radix=0", "switch-radix=0", NULL},
	{"mesh:accels=1", "accels=1", "at least 2"},
	{"ring:accels=1", "accels=1", "at least 2"},
	{"clos:accels=64,leaves=60", "leaves=60", "accels-per-leaf=2"},
	{"clos:accels=64,leaves=2,accels-per-leaf=16", "accels-per-leaf=16", "fewer than accels=64"},
	{"clos:accels=8192,leaves=256,spines=128,switch-radix=64", "switch-radix=64", "160 ports"},
	{"clos:accels=64,uplinks=0", "uplinks=0", NULL},
	{"clos:accels=70000", "accels=70000 exceeds the clos limit of 65536", NULL},
	{"torus3d:x=0", "x=0", NULL},
	{"torus2d:y=4097", "y=4097", NULL},
};

START_TEST(test_bad_input)
{
	gen_bad(bad[_i].gen, bad[_i].want1, bad[_i].want2);
}
END_TEST

START_TEST(test_null_and_spaces)
{
	podfab_topo_t t = NULL;
	ck_assert_int_eq(podfab_topo_generate(NULL, &t), -PODFAB_ENULL);
	ck_assert_int_eq(podfab_topo_generate("mesh", NULL), -PODFAB_ENULL);
	/* spaces around keys and values are tolerated */
	t = gen_ok("mesh: accels = 4 , lanes=4");
	ck_assert_uint_eq(podfab_topo_nlinks(t), 6);
	check_links(t, 4, 32.0, 5.0, "pcie5", NULL);
	podfab_topo_free(t);
	/* the largest value of a 64-bit seed */
	t = gen_ok("ring:seed=18446744073709551615,spray=hash,forwarding=cut-through");
	podfab_topo_free(t);
	gen_bad("ring:seed=18446744073709551616", "seed=18446744073709551616", NULL);
	/* also through podfab_topo_load: a generator string is not a file */
	ck_assert_int_eq(podfab_topo_load("torus3d:x=2,y=2,z=2", &t), 0);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 12);
	podfab_topo_free(t);
}
END_TEST

static Suite *gen_suite(void)
{
	Suite *s = suite_create("gen");
	TCase *tc = tcase_create("families");
	tcase_set_timeout(tc, 300); /* the 8,192-accelerator Clos under the sanitizers on a loaded machine */
	tcase_add_test(tc, test_families_and_help);
	tcase_add_test(tc, test_ualink_default);
	tcase_add_test(tc, test_ualink_params);
	tcase_add_test(tc, test_nvl72);
	tcase_add_test(tc, test_dgx_h100);
	tcase_add_test(tc, test_mesh);
	tcase_add_test(tc, test_clos);
	tcase_add_test(tc, test_torus3d);
	tcase_add_test(tc, test_torus2d);
	tcase_add_test(tc, test_ring);
	tcase_add_test(tc, test_retimers_chain);
	tcase_add_test(tc, test_retimers_parallel);
	tcase_add_loop_test(tc, test_bad_input, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_null_and_spaces);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gen_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
