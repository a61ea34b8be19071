/*
 * test_load.c - model files and plugins, through the public topology API:
 * every bundled model loads with the expected counts, the explicit model
 * has exactly the structure it writes out (with its per-element overrides),
 * families take overrides and additions, units are converted, every file of
 * the bad-input corpus fails with its expected "FILE:LINE: field" message,
 * and plugins load, take parameters and are refused on an ABI mismatch.
 *
 * Environment (set by meson): MODELS_DIR (fabric-models/), BAD_DIR
 * (tests/model/bad/), PLUGIN_RING and PLUGIN_BADABI (the two builds of
 * plugin_ring.c).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <podfab/podfab.h>
#include <podfab/topo.h>

static const char *env_path(const char *name)
{
	const char *v = getenv(name);
	ck_assert_msg(v && *v, "%s is not set (run through meson test)", name);
	return v;
}

static podfab_topo_t load_ok(const char *spec)
{
	podfab_topo_t t = NULL;
	int rc = podfab_topo_load(spec, &t);
	ck_assert_msg(rc == 0, "'%s' failed: %d %s", spec, rc, podfab_error_detail());
	ck_assert_ptr_nonnull(t);
	return t;
}

static podfab_topo_t buf_ok(const char *text)
{
	podfab_topo_t t = NULL;
	int rc = podfab_topo_load_buffer("mem.yaml", text, strlen(text), &t);
	ck_assert_msg(rc == 0, "buffer failed: %d %s\n%s", rc, podfab_error_detail(), text);
	ck_assert_ptr_nonnull(t);
	return t;
}

static void buf_bad(const char *text, const char *want)
{
	podfab_topo_t t = NULL;
	int rc = podfab_topo_load_buffer("mem.yaml", text, strlen(text), &t);
	ck_assert_msg(rc == -PODFAB_EMODEL, "gave %d, not -PODFAB_EMODEL (%s)\n%s", rc, podfab_error_detail(),
		      text);
	ck_assert_ptr_null(t);
	const char *d = podfab_error_detail();
	ck_assert_msg(d && strstr(d, want), "message '%s' lacks '%s'", d ? d : "(null)", want);
}

static char *path_join(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	snprintf(p, n, "%s/%s", dir, file);
	return p;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = malloc(1 << 20);
	ck_assert_ptr_nonnull(buf);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The 1-based line of the first line of text that holds `needle`. */
static uint32_t line_with(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	ck_assert_msg(p != NULL, "'%s' not found", needle);
	uint32_t line = 1;
	for (const char *c = text; c < p; c++)
		line += *c == '\n';
	return line;
}

static uint32_t links_between(podfab_topo_t t, uint32_t a, uint32_t b)
{
	uint32_t n = 0;
	for (uint32_t l = 0; l < podfab_topo_nlinks(t); l++) {
		const podfab_link_t *lk = podfab_topo_link(t, l);
		if ((lk->a == a && lk->b == b) || (lk->a == b && lk->b == a))
			n++;
	}
	return n;
}

/* ---- the bundled library --------------------------------------------------- */

struct bundled {
	const char *file, *family;
	uint32_t nodes, links, accels;
};

static const struct bundled bundled[] = {
	{"default.yaml", "ualink-pod", 12, 32, 8},
	{"ualink-pod-64.yaml", "ualink-pod", 68, 256, 64},
	{"ualink-pod-1024-16planes.yaml", "ualink-pod", 1040, 16384, 1024},
	{"ualink-pod-retimers.yaml", "ualink-pod", 44, 64, 8},
	{"nvl72.yaml", "nvl72", 90, 1296, 72},
	{"dgx-h100.yaml", "dgx-h100", 12, 144, 8},
	{"mi300x-mesh.yaml", "mesh", 8, 28, 8},
	{"clos-1024.yaml", "clos", 1088, 2048, 1024},
	{"torus2d-8x8.yaml", "torus2d", 64, 128, 64},
	{"torus3d-4x4x4.yaml", "torus3d", 64, 192, 64},
	{"ring-8.yaml", "ring", 8, 8, 8},
	{"pod-4-explicit.yaml", "custom", 5, 8, 4},
};
#define NBUNDLED (sizeof bundled / sizeof bundled[0])

START_TEST(test_bundled)
{
	const struct bundled *b = &bundled[_i];
	char *path = path_join(env_path("MODELS_DIR"), b->file);
	podfab_topo_t t = NULL;
	int rc = podfab_topo_load_file(path, &t);
	ck_assert_msg(rc == 0, "%s: %d %s", path, rc, podfab_error_detail());
	ck_assert_str_eq(podfab_topo_family(t), b->family);
	ck_assert_str_eq(podfab_topo_spec(t), path);
	ck_assert_uint_eq(podfab_topo_nnodes(t), b->nodes);
	ck_assert_uint_eq(podfab_topo_nlinks(t), b->links);
	ck_assert_uint_eq(podfab_topo_naccels(t), b->accels);
	/* routes exist between the first and the last accelerator */
	podfab_hop_t hops[64];
	ck_assert_int_gt(podfab_topo_route(t, 0, b->accels - 1, 0, hops, 64), 0);
	podfab_topo_free(t);
	/* podfab_topo_load takes the same path */
	t = load_ok(path);
	ck_assert_uint_eq(podfab_topo_nlinks(t), b->links);
	podfab_topo_free(t);
	/* every bundled file cites its sources and starts with the format version */
	char *text = read_text(path);
	ck_assert_msg(strstr(text, "\nsources:\n  - "), "%s has no sources: list", b->file);
	ck_assert_msg(strstr(text, "\npodfab-model: 1\n"), "%s has no format version", b->file);
	free(text);
	free(path);
}
END_TEST

/* Every file in fabric-models/ is in the table above, and the table is complete. */
START_TEST(test_bundled_complete)
{
	DIR *d = opendir(env_path("MODELS_DIR"));
	ck_assert_ptr_nonnull(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 5, ".yaml"))
			continue;
		size_t i;
		for (i = 0; i < NBUNDLED; i++)
			if (!strcmp(bundled[i].file, e->d_name))
				break;
		ck_assert_msg(i < NBUNDLED, "fabric-models/%s is not checked by test_bundled", e->d_name);
		n++;
	}
	closedir(d);
	ck_assert_uint_eq(n, NBUNDLED);
}
END_TEST

/* ---- the explicit model ----------------------------------------------------- */

START_TEST(test_explicit_structure)
{
	char *path = path_join(env_path("MODELS_DIR"), "pod-4-explicit.yaml");
	char *text = read_text(path);
	podfab_topo_t t = load_ok(path);
	const podfab_encoding_t *ua = podfab_encoding_find("ualink-200g");
	ck_assert_ptr_nonnull(ua);
	uint32_t sw = podfab_topo_find(t, "sw0");
	ck_assert_uint_ne(sw, PODFAB_TOPO_NONE);
	const podfab_node_t *s = podfab_topo_node(t, sw);
	ck_assert_int_eq(s->kind, PODFAB_NODE_SWITCH);
	ck_assert_int_eq(s->accel, -1);
	ck_assert_double_eq_tol(s->latency_ns, 200.0, 1e-9); /* override of defaults.switch.latency */
	ck_assert_uint_eq(s->radix, 64);
	ck_assert_int_eq(s->cut_through, 1);
	ck_assert_uint_eq(s->buffer_bytes, 1u << 20);
	ck_assert_uint_eq(s->nports, 8);
	ck_assert_uint_eq(s->src_line, line_with(text, "{name: sw0"));
	for (uint32_t i = 0; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof name, "gpu%u", i);
		uint32_t id = podfab_topo_find(t, name);
		ck_assert_uint_ne(id, PODFAB_TOPO_NONE);
		ck_assert_uint_eq(podfab_topo_accel_node(t, i), id); /* accelerator ids in file order */
		const podfab_node_t *n = podfab_topo_node(t, id);
		ck_assert_int_eq(n->kind, PODFAB_NODE_ACCEL);
		ck_assert_int_eq(n->accel, (int)i);
		ck_assert_double_eq_tol(n->latency_ns, 20.0, 1e-9);
		ck_assert_double_eq_tol(n->egress_ns, i == 3 ? 30.0 : 20.0, 1e-9);
		ck_assert_uint_eq(n->max_request, 256);
		ck_assert_uint_eq(n->nports, 2);
		char pat[32];
		snprintf(pat, sizeof pat, "{name: %s", name);
		ck_assert_uint_eq(n->src_line, line_with(text, pat));
		ck_assert_uint_eq(links_between(t, id, sw), 2);
		snprintf(pat, sizeof pat, "{a: %s, b: sw0", name);
		uint32_t lline = line_with(text, pat);
		for (uint32_t p = 0; p < n->nports; p++) {
			const podfab_link_t *l = podfab_topo_link(t, n->port_link[p]);
			ck_assert_uint_eq(l->lanes, i == 3 ? 4 : 2);
			ck_assert_double_eq_tol(l->prop_ns, i == 3 ? 8.0 : 5.0, 1e-9);
			ck_assert_double_eq_tol(l->lane_gbps, 200.0, 1e-9);
			ck_assert_ptr_eq(l->enc, ua);
			ck_assert_double_eq_tol(l->ber, 1e-6, 1e-18);
			ck_assert_int_eq(l->up, 1);
			ck_assert_str_eq(l->cls, "accel-switch");
			ck_assert_uint_eq(l->src_line, lline);
		}
	}
	podfab_hop_t hops[4];
	ck_assert_int_eq(podfab_topo_route(t, 0, 3, 0, hops, 4), 2);
	ck_assert_uint_eq(hops[0].node, sw);
	podfab_topo_free(t);
	free(text);
	free(path);
}
END_TEST

/* Units, every node key, defaults of every section, link class and state. */
START_TEST(test_explicit_keys)
{
	const char *text = "podfab-model: 1\n"                                                      /* 1 */
			   "defaults:\n"                                                             /* 2 */
			   "  link: {lanes: 8, lane-rate: 25GB/s, prop: 0.5us, encoding: pcie6}\n" /* 3 */
			   "  switch: {latency: 1.5us, radix: 16, buffer: 2MiB, forwarding: store-and-forward}\n"
			   "  retimer: {latency: 40ns, fec: terminate}\n"
			   "  accel: {ingress: 15ns, egress: 25ns, max-request: 128B}\n"
			   "  routing: {seed: 7, spray: address}\n"
			   "nodes:\n"                                                                /* 8 */
			   "  - {name: a0, kind: accel, coord: [1, 2]}\n"
			   "  - {name: a1, kind: accel, max-request: 1KiB}\n"                        /* 10 */
			   "  - {name: s0, kind: switch, plane: 3, radix: 4, buffer: 64KB}\n"
			   "  - {name: r0, kind: retimer, fec: pass}\n"                              /* 12 */
			   "  - {name: r1, kind: retimer}\n"
			   "links:\n"                                                                /* 14 */
			   "  - {a: a0, b: r0}\n"
			   "  - {a: r0, b: s0, ber: 1e-9, class: cable}\n"                           /* 16 */
			   "  - {a: s0, b: r1, up: false}\n"
			   "  - {a: r1, b: a1, lane-rate: 400Gbps, encoding: eth-800g}\n"           /* 18 */
			   "  - {a: a1, b: s0, up: true}\n";
	podfab_topo_t t = buf_ok(text);
	ck_assert_str_eq(podfab_topo_family(t), "custom");
	ck_assert_str_eq(podfab_topo_spec(t), "mem.yaml");
	ck_assert_uint_eq(podfab_topo_nnodes(t), 5);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 5);
	const podfab_node_t *a0 = podfab_topo_node(t, podfab_topo_find(t, "a0"));
	const podfab_node_t *a1 = podfab_topo_node(t, podfab_topo_find(t, "a1"));
	const podfab_node_t *s0 = podfab_topo_node(t, podfab_topo_find(t, "s0"));
	const podfab_node_t *r0 = podfab_topo_node(t, podfab_topo_find(t, "r0"));
	const podfab_node_t *r1 = podfab_topo_node(t, podfab_topo_find(t, "r1"));
	ck_assert_double_eq_tol(a0->latency_ns, 15.0, 1e-9);
	ck_assert_double_eq_tol(a0->egress_ns, 25.0, 1e-9);
	ck_assert_uint_eq(a0->max_request, 128);
	ck_assert_int_eq(a0->coord[0], 1);
	ck_assert_int_eq(a0->coord[1], 2);
	ck_assert_int_eq(a0->coord[2], -1);
	ck_assert_int_eq(a0->plane, -1);
	ck_assert_uint_eq(a0->src_line, 9);
	ck_assert_uint_eq(a1->max_request, 1024);
	ck_assert_double_eq_tol(s0->latency_ns, 1500.0, 1e-9);
	ck_assert_uint_eq(s0->radix, 4);
	ck_assert_uint_eq(s0->buffer_bytes, 64000);
	ck_assert_int_eq(s0->cut_through, 0);
	ck_assert_int_eq(s0->plane, 3);
	ck_assert_double_eq_tol(r0->latency_ns, 40.0, 1e-9);
	ck_assert_int_eq(r0->fec_terminate, 0);
	ck_assert_int_eq(r1->fec_terminate, 1);
	ck_assert_uint_eq(r1->src_line, 13);
	const podfab_link_t *l0 = podfab_topo_link(t, 0), *l1 = podfab_topo_link(t, 1);
	const podfab_link_t *l2 = podfab_topo_link(t, 2), *l3 = podfab_topo_link(t, 3);
	ck_assert_uint_eq(l0->lanes, 8);
	ck_assert_double_eq_tol(l0->lane_gbps, 200.0, 1e-9); /* 25 GB/s */
	ck_assert_double_eq_tol(l0->prop_ns, 500.0, 1e-9);
	ck_assert_ptr_eq(l0->enc, podfab_encoding_find("pcie6"));
	ck_assert_str_eq(l0->cls, "accel-retimer");
	ck_assert_uint_eq(l0->src_line, 15);
	ck_assert_double_eq_tol(l1->ber, 1e-9, 1e-21);
	ck_assert_str_eq(l1->cls, "cable");
	ck_assert_int_eq(l2->up, 0);
	ck_assert_uint_eq(l2->src_line, 17);
	ck_assert_double_eq_tol(l3->lane_gbps, 400.0, 1e-9);
	ck_assert_ptr_eq(l3->enc, podfab_encoding_find("eth-800g"));
	ck_assert_int_eq(podfab_topo_link(t, 4)->up, 1);
	podfab_topo_free(t);
}
END_TEST

/* A family with per-element overrides and additions. */
START_TEST(test_family_overrides)
{
	const char *text = "podfab-model: 1\n"                                       /* 1 */
			   "family: ualink-pod\n"                                     /* 2 */
			   "params: {accels: 4, switches: 2}\n"                       /* 3 */
			   "defaults:\n"                                              /* 4 */
			   "  link: {lanes: 2, prop: 7ns}\n"                          /* 5 */
			   "  switch: {latency: 180ns}\n"                             /* 6 */
			   "nodes:\n"                                                 /* 7 */
			   "  - {name: sw1, latency: 300ns}\n"                        /* 8 */
			   "  - {name: accel2, kind: accel, egress: 50ns}\n"          /* 9 */
			   "  - {name: spare, kind: accel}\n"                         /* 10 */
			   "links:\n"                                                 /* 11 */
			   "  - {a: accel0, b: sw1, lanes: 1, lane-rate: 100Gbps}\n"  /* 12 */
			   "  - {a: spare, b: sw0, count: 3}\n";                      /* 13 */
	podfab_topo_t t = buf_ok(text);
	ck_assert_str_eq(podfab_topo_family(t), "ualink-pod");
	ck_assert_str_eq(podfab_topo_spec(t), "mem.yaml");
	ck_assert_uint_eq(podfab_topo_nnodes(t), 4 + 2 + 1);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 4 * 2 + 3);
	ck_assert_uint_eq(podfab_topo_naccels(t), 5);
	uint32_t sw0 = podfab_topo_find(t, "sw0"), sw1 = podfab_topo_find(t, "sw1");
	const podfab_node_t *s0 = podfab_topo_node(t, sw0), *s1 = podfab_topo_node(t, sw1);
	ck_assert_double_eq_tol(s0->latency_ns, 180.0, 1e-9); /* defaults: reach the family */
	ck_assert_uint_eq(s0->src_line, 0);                   /* built by the family */
	ck_assert_double_eq_tol(s1->latency_ns, 300.0, 1e-9); /* override */
	ck_assert_uint_eq(s1->src_line, 8);
	ck_assert_int_eq(s1->plane, 1); /* untouched fields keep the family's values */
	const podfab_node_t *a2 = podfab_topo_node(t, podfab_topo_find(t, "accel2"));
	ck_assert_double_eq_tol(a2->egress_ns, 50.0, 1e-9);
	ck_assert_double_eq_tol(a2->latency_ns, 20.0, 1e-9);
	ck_assert_uint_eq(a2->src_line, 9);
	uint32_t sp = podfab_topo_find(t, "spare");
	ck_assert_int_eq(podfab_topo_node(t, sp)->accel, 4);
	ck_assert_uint_eq(podfab_topo_node(t, sp)->src_line, 10);
	ck_assert_uint_eq(links_between(t, sp, sw0), 3);
	uint32_t a0 = podfab_topo_find(t, "accel0");
	for (uint32_t l = 0; l < podfab_topo_nlinks(t); l++) {
		const podfab_link_t *lk = podfab_topo_link(t, l);
		int over = (lk->a == a0 && lk->b == sw1) || (lk->a == sw1 && lk->b == a0);
		int added = lk->a == sp || lk->b == sp;
		ck_assert_uint_eq(lk->lanes, over ? 1 : 2);
		ck_assert_double_eq_tol(lk->lane_gbps, over ? 100.0 : 200.0, 1e-9);
		ck_assert_double_eq_tol(lk->prop_ns, 7.0, 1e-9); /* added links look like the family's */
		ck_assert_uint_eq(lk->src_line, over ? 12u : added ? 13u : 0u);
	}
	podfab_hop_t hops[4];
	ck_assert_int_eq(podfab_topo_route(t, 4, 0, 0, hops, 4), 2);
	podfab_topo_free(t);
}
END_TEST

/* Messages name the buffer, the line and the field; lengths are honoured. */
START_TEST(test_buffer_messages)
{
	buf_bad("podfab-model: 1\nfamily: ring\nparams:\n  accels: 1\n", "mem.yaml:4: accels: ");
	buf_bad("podfab-model: 1\nfamily: ring\nparams: {accels: 8, lane-rate: 200}\n",
		"mem.yaml:3: lane-rate: ring: lane-rate=200: needs a unit");
	buf_bad("podfab-model: 1\nfamily: torus2d\nparams: {x: 4096, y: 4096}\n", "mem.yaml:2: family: ");
	buf_bad("podfab-model: 1\nfamily: ring\ndefaults: {switch: {latency: 3}}\n", "mem.yaml:3: latency: ");
	buf_bad("podfab-model: 1\nfamily: ring\nnodes:\n  - {name: accel0, kind: switch}\n",
		"mem.yaml:4: kind: 'accel0' is of kind accel, not switch");
	buf_bad("", "mem.yaml:1: podfab-model: missing");
	buf_bad("[1, 2]\n", "mem.yaml:1: the model: must be a mapping");
	buf_bad("podfab-model: 1\nfamily: ring\n\t- x\n", "mem.yaml:3: yaml: ");
	/* only len bytes are read: the text after them is not seen */
	const char *text = "podfab-model: 1\nfamily: ring\nbogus: 1\n";
	podfab_topo_t t = NULL;
	ck_assert_int_eq(podfab_topo_load_buffer("cut.yaml", text, strlen("podfab-model: 1\nfamily: ring\n"), &t),
			 0);
	ck_assert_uint_eq(podfab_topo_naccels(t), 8);
	podfab_topo_free(t);
	/* NULL arguments */
	ck_assert_int_eq(podfab_topo_load_buffer(NULL, text, 1, &t), -PODFAB_ENULL);
	ck_assert_int_eq(podfab_topo_load_buffer("x", NULL, 1, &t), -PODFAB_ENULL);
	ck_assert_int_eq(podfab_topo_load_file("/nonexistent/model.yaml", &t), -PODFAB_EMODEL);
	ck_assert_ptr_nonnull(strstr(podfab_error_detail(), "/nonexistent/model.yaml"));
}
END_TEST

/* ---- the bad-input corpus ----------------------------------------------------- */

START_TEST(test_bad_corpus)
{
	const char *dir = env_path("BAD_DIR");
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 5, ".yaml"))
			continue;
		char *path = path_join(dir, e->d_name);
		char *text = read_text(path);
		/* line 1: "# expect: SUFFIX"; the message holds PATH followed by SUFFIX */
		ck_assert_msg(!strncmp(text, "# expect: ", 10), "%s: no '# expect: ' first line", path);
		char *nl = strchr(text, '\n');
		ck_assert_ptr_nonnull(nl);
		*nl = '\0';
		size_t wl = strlen(path) + strlen(text + 10) + 1;
		char *want = malloc(wl);
		ck_assert_ptr_nonnull(want);
		snprintf(want, wl, "%s%s", path, text + 10);
		unsetenv("PLUGIN_RING_BUILT");
		podfab_topo_t t = NULL;
		int rc = podfab_topo_load_file(path, &t);
		ck_assert_msg(rc == -PODFAB_EMODEL, "%s: gave %d, not -PODFAB_EMODEL (%s)", path, rc,
			      podfab_error_detail());
		ck_assert_ptr_null(t);
		const char *msg = podfab_error_detail();
		ck_assert_msg(strstr(msg, want), "%s: message\n  %s\nlacks\n  %s", e->d_name, msg, want);
		free(want);
		free(text);
		free(path);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 60);
}
END_TEST

/* ---- plugins --------------------------------------------------------------- */

static char *plugin_spec(const char *env, const char *params)
{
	const char *so = env_path(env);
	size_t n = strlen(so) + (params ? strlen(params) : 0) + 16;
	char *s = malloc(n);
	ck_assert_ptr_nonnull(s);
	snprintf(s, n, "plugin:%s%s%s", so, params ? ":" : "", params ? params : "");
	return s;
}

START_TEST(test_plugin)
{
	char *spec = plugin_spec("PLUGIN_RING", "accels=6");
	unsetenv("PLUGIN_RING_BUILT");
	podfab_topo_t t = load_ok(spec);
	ck_assert_str_eq(getenv("PLUGIN_RING_BUILT"), "1");
	ck_assert_str_eq(podfab_topo_family(t), "test-ring");
	ck_assert_str_eq(podfab_topo_spec(t), spec);
	ck_assert_uint_eq(podfab_topo_naccels(t), 6);
	ck_assert_uint_eq(podfab_topo_nnodes(t), 6);
	ck_assert_uint_eq(podfab_topo_nlinks(t), 6);
	for (uint32_t i = 0; i < 6; i++) {
		const podfab_node_t *n = podfab_topo_node(t, podfab_topo_accel_node(t, i));
		ck_assert_uint_eq(n->nports, 2);
		ck_assert_int_eq(n->coord[0], (int)i);
	}
	ck_assert_str_eq(podfab_topo_link(t, 0)->cls, "ring");
	podfab_hop_t hops[8];
	ck_assert_int_eq(podfab_topo_route(t, 0, 3, 0, hops, 8), 3);
	podfab_topo_free(t);
	free(spec);
	/* no parameters: the plugin's default of 4 */
	spec = plugin_spec("PLUGIN_RING", NULL);
	t = load_ok(spec);
	ck_assert_uint_eq(podfab_topo_naccels(t), 4);
	podfab_topo_free(t);
	free(spec);
	/* the plugin's own error comes back */
	spec = plugin_spec("PLUGIN_RING", "colour=red");
	t = NULL;
	ck_assert_int_eq(podfab_topo_load(spec, &t), -PODFAB_EMODEL);
	ck_assert_ptr_null(t);
	free(spec);
}
END_TEST

START_TEST(test_plugin_abi_mismatch)
{
	char *spec = plugin_spec("PLUGIN_BADABI", "accels=6");
	unsetenv("PLUGIN_RING_BUILT");
	podfab_topo_t t = NULL;
	ck_assert_int_eq(podfab_topo_load(spec, &t), -PODFAB_EMODEL);
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(strstr(podfab_error_detail(), "plugin ABI 99, library expects 1"));
	ck_assert_ptr_null(getenv("PLUGIN_RING_BUILT")); /* build() was never called */
	free(spec);
}
END_TEST

START_TEST(test_plugin_bad_objects)
{
	podfab_topo_t t = NULL;
	ck_assert_int_eq(podfab_topo_load("plugin:/nonexistent/plugin.so:accels=4", &t), -PODFAB_EMODEL);
	ck_assert_ptr_nonnull(strstr(podfab_error_detail(), "cannot load"));
	ck_assert_ptr_null(t);
	/* a shared object without the entry point */
	ck_assert_int_eq(podfab_topo_load("plugin:libm.so.6", &t), -PODFAB_EMODEL);
	ck_assert_ptr_nonnull(strstr(podfab_error_detail(), "no podfab_topo_plugin_entry"));
	ck_assert_int_eq(podfab_topo_load("plugin:", &t), -PODFAB_EMODEL);
	ck_assert_ptr_null(t);
}
END_TEST

static Suite *load_suite(void)
{
	Suite *s = suite_create("model-load");
	TCase *tc = tcase_create("files");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_bundled, 0, (int)NBUNDLED);
	tcase_add_test(tc, test_bundled_complete);
	tcase_add_test(tc, test_explicit_structure);
	tcase_add_test(tc, test_explicit_keys);
	tcase_add_test(tc, test_family_overrides);
	tcase_add_test(tc, test_buffer_messages);
	tcase_add_test(tc, test_bad_corpus);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("plugins");
	tcase_add_test(tp, test_plugin);
	tcase_add_test(tp, test_plugin_abi_mismatch);
	tcase_add_test(tp, test_plugin_bad_objects);
	suite_add_tcase(s, tp);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(load_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
