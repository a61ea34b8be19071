/*
 * test_route.c - routing (shortest paths, ECMP, planes, dimension order,
 * retimers, link down, cuts) and structural validation, on topologies built
 * in code through the public API.  pf_model.h is included only to set the
 * fields a generator or model file would set (seed, spray, family limit, file).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <podfab/podfab.h>
#include <podfab/topo.h>

#include "pf_model.h"

#define MAXH 64

static podfab_link_t link_tmpl(void)
{
	podfab_link_t l;
	memset(&l, 0, sizeof l);
	l.lanes = 4;
	l.lane_gbps = 200;
	l.prop_ns = 5;
	l.enc = podfab_encoding_find("ualink-200g");
	l.ber = 1e-6;
	l.up = 1;
	return l;
}

static uint32_t add(podfab_topo_t t, podfab_node_kind_t kind, const char *name)
{
	podfab_node_t n;
	memset(&n, 0, sizeof n);
	n.kind = kind;
	n.name = name;
	n.latency_ns = kind == PODFAB_NODE_SWITCH ? 150 : 10;
	n.plane = -1;
	n.coord[0] = n.coord[1] = n.coord[2] = -1;
	uint32_t id = PODFAB_TOPO_NONE;
	ck_assert_int_eq(podfab_topo_add_node(t, &n, &id), 0);
	return id;
}

static uint32_t add_accel_at(podfab_topo_t t, int x, int y)
{
	podfab_node_t n;
	memset(&n, 0, sizeof n);
	n.kind = PODFAB_NODE_ACCEL;
	n.plane = -1;
	n.coord[0] = x;
	n.coord[1] = y;
	n.coord[2] = -1;
	uint32_t id;
	ck_assert_int_eq(podfab_topo_add_node(t, &n, &id), 0);
	return id;
}

static uint32_t join(podfab_topo_t t, uint32_t a, uint32_t b)
{
	podfab_link_t l = link_tmpl();
	uint32_t id = PODFAB_TOPO_NONE;
	ck_assert_int_eq(podfab_topo_add_link(t, a, b, &l, &id), 0);
	return id;
}

static uint32_t dl_from(podfab_topo_t t, uint32_t link, uint32_t from)
{
	return 2 * link + (podfab_topo_link(t, link)->a == from ? 0u : 1u);
}

/* Route src -> dst and check every hop leaves the previous element on a link that is up. */
static int route_ok(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow, podfab_hop_t *h)
{
	int n = podfab_topo_route(t, src, dst, flow, h, MAXH);
	ck_assert_msg(n >= 0, "route %u -> %u: %d %s", src, dst, n, podfab_error_detail());
	ck_assert_int_le(n, MAXH);
	uint32_t cur = podfab_topo_accel_node(t, src);
	for (int i = 0; i < n; i++) {
		const podfab_link_t *l = podfab_topo_link(t, h[i].dlink / 2);
		ck_assert_ptr_nonnull(l);
		ck_assert_int_eq(l->up, 1);
		ck_assert_uint_eq((h[i].dlink & 1) ? l->b : l->a, cur);
		ck_assert_uint_eq((h[i].dlink & 1) ? l->a : l->b, h[i].node);
		cur = h[i].node;
	}
	ck_assert_uint_eq(cur, podfab_topo_accel_node(t, dst));
	return n;
}

static podfab_topo_t new_topo(void)
{
	podfab_topo_t t = NULL;
	ck_assert_int_eq(podfab_topo_new(&t), 0);
	return t;
}

static void finish_ok(podfab_topo_t t)
{
	int rc = podfab_topo_finish(t);
	ck_assert_msg(rc == 0, "finish: %d %s", rc, podfab_error_detail());
}

/* ---- routing -------------------------------------------------------------- */

START_TEST(test_star)
{
	podfab_topo_t t = new_topo();
	uint32_t a[4], l[4];
	for (int i = 0; i < 4; i++)
		a[i] = add(t, PODFAB_NODE_ACCEL, NULL);
	uint32_t sw = add(t, PODFAB_NODE_SWITCH, "sw");
	for (int i = 0; i < 4; i++)
		l[i] = join(t, a[i], sw);
	finish_ok(t);
	podfab_hop_t h[MAXH];
	for (uint32_t s = 0; s < 4; s++)
		for (uint32_t d = 0; d < 4; d++) {
			int n = route_ok(t, s, d, 7, h);
			ck_assert_int_eq(n, s == d ? 0 : 2);
			if (s == d)
				continue;
			ck_assert_uint_eq(h[0].dlink, dl_from(t, l[s], a[s]));
			ck_assert_uint_eq(h[0].node, sw);
			ck_assert_uint_eq(h[1].dlink, dl_from(t, l[d], sw));
			ck_assert_uint_eq(h[1].node, a[d]);
		}
	/* max smaller than the route: the count still comes back */
	ck_assert_int_eq(podfab_topo_route(t, 0, 1, 0, h, 1), 2);
	ck_assert_int_eq(podfab_topo_route(t, 0, 1, 0, NULL, 0), 2);
	podfab_topo_free(t);
}
END_TEST

/* 8 accelerators, each with one port to each of two plane switches. */
static podfab_topo_t two_planes(uint64_t seed, int spray_address, uint32_t *sw)
{
	podfab_topo_t t = new_topo();
	uint32_t a[8];
	for (int i = 0; i < 8; i++)
		a[i] = add(t, PODFAB_NODE_ACCEL, NULL);
	sw[0] = add(t, PODFAB_NODE_SWITCH, "plane0");
	sw[1] = add(t, PODFAB_NODE_SWITCH, "plane1");
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 8; i++)
			join(t, a[i], sw[p]);
	t->seed = seed;
	t->spray_address = spray_address;
	finish_ok(t);
	return t;
}

START_TEST(test_planes_hash)
{
	uint32_t sw[2];
	podfab_topo_t t = two_planes(42, 0, sw), t2 = two_planes(42, 0, sw), t3 = two_planes(43, 0, sw);
	podfab_hop_t h[MAXH], h2[MAXH];
	int used[2] = {0, 0}, differ = 0;
	for (uint64_t f = 0; f < 2000; f++) {
		ck_assert_int_eq(route_ok(t, 0, 5, f, h), 2);
		ck_assert(h[0].node == sw[0] || h[0].node == sw[1]);
		used[h[0].node == sw[1]]++;
		/* deterministic for a seed */
		ck_assert_int_eq(route_ok(t2, 0, 5, f, h2), 2);
		ck_assert_uint_eq(h[0].dlink, h2[0].dlink);
		ck_assert_uint_eq(h[1].dlink, h2[1].dlink);
		route_ok(t3, 0, 5, f, h2);
		differ += h[0].node != h2[0].node;
	}
	ck_assert_msg(used[0] > 800 && used[1] > 800, "planes used %d / %d", used[0], used[1]);
	ck_assert_msg(differ > 500, "another seed changed only %d of 2000 choices", differ);
	podfab_topo_free(t);
	podfab_topo_free(t2);
	podfab_topo_free(t3);
}
END_TEST

START_TEST(test_planes_address)
{
	uint32_t sw[2];
	podfab_topo_t t = two_planes(0, 1, sw);
	podfab_hop_t h[MAXH];
	for (uint64_t i = 0; i < 64; i++) {
		/* consecutive 256-byte blocks alternate planes; bytes within a block do not move */
		ck_assert_int_eq(route_ok(t, 3, 6, i << 8, h), 2);
		ck_assert_uint_eq(h[0].node, sw[i % 2]);
		route_ok(t, 3, 6, (i << 8) + 255, h);
		ck_assert_uint_eq(h[0].node, sw[i % 2]);
	}
	podfab_topo_free(t);
}
END_TEST

/* 4 leaves x 2 accelerators, 4 spines; returns the spine ids. */
static podfab_topo_t clos(uint32_t *spine, uint32_t *leaf, uint32_t ls_link[4][4])
{
	podfab_topo_t t = new_topo();
	uint32_t a[8];
	for (int i = 0; i < 8; i++)
		a[i] = add(t, PODFAB_NODE_ACCEL, NULL);
	for (int i = 0; i < 4; i++)
		leaf[i] = add(t, PODFAB_NODE_SWITCH, NULL);
	for (int i = 0; i < 4; i++)
		spine[i] = add(t, PODFAB_NODE_SWITCH, NULL);
	for (int i = 0; i < 8; i++)
		join(t, a[i], leaf[i / 2]);
	for (int i = 0; i < 4; i++)
		for (int s = 0; s < 4; s++)
			ls_link[i][s] = join(t, leaf[i], spine[s]);
	return t;
}

START_TEST(test_clos_ecmp)
{
	uint32_t spine[4], leaf[4], ls[4][4];
	podfab_topo_t t = clos(spine, leaf, ls);
	finish_ok(t);
	podfab_hop_t h[MAXH];
	int use[4] = {0};
	for (uint64_t f = 0; f < 4000; f++) {
		ck_assert_int_eq(route_ok(t, 0, 7, f, h), 4);
		ck_assert_uint_eq(h[0].node, leaf[0]);
		ck_assert_uint_eq(h[2].node, leaf[3]);
		ck_assert_uint_eq(h[3].node, podfab_topo_accel_node(t, 7));
		int k = -1;
		for (int s = 0; s < 4; s++)
			if (h[1].node == spine[s])
				k = s;
		ck_assert_int_ge(k, 0);
		use[k]++;
	}
	for (int s = 0; s < 4; s++)
		ck_assert_msg(use[s] > 700, "spine %d carried %d of 4000 flows", s, use[s]);
	/* same leaf: two hops, no spine */
	ck_assert_int_eq(route_ok(t, 0, 1, 0, h), 2);
	ck_assert_uint_eq(h[0].node, leaf[0]);
	/* every pair */
	for (uint32_t s = 0; s < 8; s++)
		for (uint32_t d = 0; d < 8; d++)
			ck_assert_int_eq(route_ok(t, s, d, s * 31 + d, h), s == d ? 0 : s / 2 == d / 2 ? 2 : 4);
	/* take spine 2 away from leaf 0: it is never used from there */
	ck_assert_int_eq(podfab_topo_link_set_up(t, ls[0][2], 0), 0);
	for (uint64_t f = 0; f < 1000; f++) {
		ck_assert_int_eq(route_ok(t, 0, 7, f, h), 4);
		ck_assert_uint_ne(h[1].node, spine[2]);
		ck_assert_int_eq(route_ok(t, 7, 0, f, h), 4);
		ck_assert_uint_ne(h[1].node, spine[2]);
	}
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_ring)
{
	podfab_topo_t t = new_topo();
	uint32_t a[6], l[6];
	for (int i = 0; i < 6; i++)
		a[i] = add_accel_at(t, i, -1);
	for (int i = 0; i < 6; i++)
		l[i] = join(t, a[i], a[(i + 1) % 6]); /* l[i]: i -> i+1 */
	finish_ok(t);
	podfab_hop_t h[MAXH];
	ck_assert_int_eq(route_ok(t, 0, 2, 0, h), 2);
	ck_assert_uint_eq(h[0].node, a[1]);
	ck_assert_uint_eq(h[0].dlink, 2 * l[0]);
	ck_assert_uint_eq(h[1].node, a[2]);
	ck_assert_int_eq(route_ok(t, 0, 4, 0, h), 2); /* the short way: 0 -> 5 -> 4 */
	ck_assert_uint_eq(h[0].node, a[5]);
	ck_assert_uint_eq(h[0].dlink, 2 * l[5] + 1);
	ck_assert_uint_eq(h[1].node, a[4]);
	/* a tie goes the + way, whatever the flow */
	for (uint64_t f = 0; f < 50; f++) {
		ck_assert_int_eq(route_ok(t, 1, 4, f, h), 3);
		ck_assert_uint_eq(h[0].node, a[2]);
		ck_assert_uint_eq(h[1].node, a[3]);
		ck_assert_uint_eq(h[2].node, a[4]);
	}
	/* cut 0 - 1: 0 -> 2 goes the long way; then cut 3 - 4 too: unreachable */
	ck_assert_int_eq(podfab_topo_link_set_up(t, l[0], 0), 0);
	ck_assert_int_eq(route_ok(t, 0, 2, 0, h), 4);
	ck_assert_uint_eq(h[0].node, a[5]);
	ck_assert_uint_eq(h[3].node, a[2]);
	ck_assert_int_eq(podfab_topo_link_set_up(t, l[3], 0), 0);
	ck_assert_int_eq(podfab_topo_route(t, 0, 2, 0, h, MAXH), -PODFAB_EUNREACHABLE);
	ck_assert_ptr_nonnull(strstr(podfab_error_detail(), "no route from accelerator 0 to 2"));
	ck_assert_int_eq(route_ok(t, 0, 4, 0, h), 2);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_torus_2d)
{
	podfab_topo_t t = new_topo();
	uint32_t a[4][4]; /* a[x][y] */
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 4; x++)
			a[x][y] = add_accel_at(t, x, y);
	uint32_t xl[4][4], yl[4][4]; /* xl[x][y]: (x,y)-(x+1,y); yl[x][y]: (x,y)-(x,y+1) */
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 4; x++) {
			xl[x][y] = join(t, a[x][y], a[(x + 1) % 4][y]);
			yl[x][y] = join(t, a[x][y], a[x][(y + 1) % 4]);
		}
	finish_ok(t);
	podfab_hop_t h[MAXH];
	uint32_t acc = (uint32_t)podfab_topo_node(t, a[1][0])->accel;
	/* (1,0) -> (3,3): X the + way to (2,0),(3,0); Y the - way to (3,3) */
	uint32_t dst = (uint32_t)podfab_topo_node(t, a[3][3])->accel;
	ck_assert_int_eq(route_ok(t, acc, dst, 9, h), 3);
	ck_assert_uint_eq(h[0].node, a[2][0]);
	ck_assert_uint_eq(h[0].dlink, 2 * xl[1][0]);
	ck_assert_uint_eq(h[1].node, a[3][0]);
	ck_assert_uint_eq(h[2].node, a[3][3]);
	ck_assert_uint_eq(h[2].dlink, 2 * yl[3][3] + 1);
	/* (0,0) -> (2,2): ties both ways: + in X, then + in Y */
	ck_assert_int_eq(route_ok(t, 0, (uint32_t)podfab_topo_node(t, a[2][2])->accel, 3, h), 4);
	ck_assert_uint_eq(h[0].node, a[1][0]);
	ck_assert_uint_eq(h[1].node, a[2][0]);
	ck_assert_uint_eq(h[2].node, a[2][1]);
	ck_assert_uint_eq(h[3].node, a[2][2]);
	/* the X link it needs is down: shortest paths instead, still 3 hops */
	ck_assert_int_eq(podfab_topo_link_set_up(t, xl[1][0], 0), 0);
	for (uint64_t f = 0; f < 100; f++) {
		ck_assert_int_eq(route_ok(t, acc, dst, f, h), 3);
		for (int i = 0; i < 3; i++)
			ck_assert_uint_ne(h[i].dlink / 2, xl[1][0]);
	}
	ck_assert_int_eq(podfab_topo_link_set_up(t, xl[1][0], 1), 0);
	ck_assert_int_eq(route_ok(t, acc, dst, 9, h), 3);
	ck_assert_uint_eq(h[0].node, a[2][0]);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_retimers)
{
	/* a0 - r1 - r2 - sw - a1: four hops, retimers included */
	podfab_topo_t t = new_topo();
	uint32_t a0 = add(t, PODFAB_NODE_ACCEL, "a0"), a1 = add(t, PODFAB_NODE_ACCEL, "a1");
	uint32_t r1 = add(t, PODFAB_NODE_RETIMER, "r1"), r2 = add(t, PODFAB_NODE_RETIMER, "r2");
	uint32_t sw = add(t, PODFAB_NODE_SWITCH, "sw");
	uint32_t l0 = join(t, a0, r1), l1 = join(t, r1, r2), l2 = join(t, r2, sw), l3 = join(t, sw, a1);
	finish_ok(t);
	podfab_hop_t h[MAXH];
	ck_assert_int_eq(route_ok(t, 0, 1, 0, h), 4);
	uint32_t want[4] = {r1, r2, sw, a1};
	uint32_t wdl[4] = {dl_from(t, l0, a0), dl_from(t, l1, r1), dl_from(t, l2, r2), dl_from(t, l3, sw)};
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(h[i].node, want[i]);
		ck_assert_uint_eq(h[i].dlink, wdl[i]);
	}
	ck_assert_int_eq(route_ok(t, 1, 0, 0, h), 4);
	ck_assert_uint_eq(h[0].node, sw);
	ck_assert_uint_eq(h[1].node, r2);
	ck_assert_uint_eq(h[2].node, r1);
	ck_assert_uint_eq(h[3].node, a0);
	/* a link inside the retimer chain goes down: cut */
	ck_assert_int_eq(podfab_topo_link_set_up(t, l1, 0), 0);
	ck_assert_int_eq(podfab_topo_route(t, 0, 1, 0, h, MAXH), -PODFAB_EUNREACHABLE);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_retimer_torus)
{
	/* a ring of 4 with one retimer in every link: dimension order, retimers are hops */
	podfab_topo_t t = new_topo();
	uint32_t a[4], r[4];
	for (int i = 0; i < 4; i++)
		a[i] = add_accel_at(t, i, -1);
	for (int i = 0; i < 4; i++) {
		r[i] = add(t, PODFAB_NODE_RETIMER, NULL);
		join(t, a[i], r[i]);
		join(t, r[i], a[(i + 1) % 4]);
	}
	finish_ok(t);
	podfab_hop_t h[MAXH];
	ck_assert_int_eq(route_ok(t, 0, 3, 0, h), 2);
	ck_assert_uint_eq(h[0].node, r[3]);
	ck_assert_uint_eq(h[1].node, a[3]);
	ck_assert_int_eq(route_ok(t, 0, 2, 0, h), 4);
	ck_assert_uint_eq(h[0].node, r[0]);
	ck_assert_uint_eq(h[3].node, a[2]);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_link_down_reroute)
{
	uint32_t sw[2];
	podfab_topo_t t = two_planes(1, 0, sw);
	podfab_hop_t h[MAXH];
	/* accelerator 0's link to plane 0 is link 0 */
	ck_assert_uint_eq(podfab_topo_link(t, 0)->b, sw[0]);
	ck_assert_int_eq(podfab_topo_link_set_up(t, 0, 0), 0);
	for (uint64_t f = 0; f < 200; f++) {
		ck_assert_int_eq(route_ok(t, 0, 3, f, h), 2);
		ck_assert_uint_eq(h[0].node, sw[1]);
		ck_assert_int_eq(route_ok(t, 3, 0, f, h), 2);
		ck_assert_uint_eq(h[0].node, sw[1]);
		/* other pairs still use both planes */
	}
	int used0 = 0;
	for (uint64_t f = 0; f < 200; f++) {
		route_ok(t, 2, 3, f, h);
		used0 += h[0].node == sw[0];
	}
	ck_assert_int_gt(used0, 40);
	ck_assert_int_eq(podfab_topo_link_set_up(t, 0, 1), 0);
	used0 = 0;
	for (uint64_t f = 0; f < 200; f++) {
		route_ok(t, 0, 3, f, h);
		used0 += h[0].node == sw[0];
	}
	ck_assert_int_gt(used0, 40);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_cut)
{
	podfab_topo_t t = new_topo();
	uint32_t a0 = add(t, PODFAB_NODE_ACCEL, NULL), a1 = add(t, PODFAB_NODE_ACCEL, NULL);
	uint32_t a2 = add(t, PODFAB_NODE_ACCEL, NULL), sw = add(t, PODFAB_NODE_SWITCH, NULL);
	join(t, a0, sw);
	uint32_t l1 = join(t, a1, sw);
	join(t, a2, sw);
	finish_ok(t);
	podfab_hop_t h[MAXH];
	ck_assert_int_eq(podfab_topo_link_set_up(t, l1, 0), 0);
	ck_assert_int_eq(podfab_topo_route(t, 0, 1, 0, h, MAXH), -PODFAB_EUNREACHABLE);
	ck_assert_ptr_nonnull(strstr(podfab_error_detail(), "no route from accelerator 0 to 1"));
	ck_assert_int_eq(podfab_topo_route(t, 1, 2, 0, h, MAXH), -PODFAB_EUNREACHABLE);
	ck_assert_int_eq(route_ok(t, 0, 2, 0, h), 2);
	ck_assert_int_eq(route_ok(t, 1, 1, 0, h), 0);
	ck_assert_int_eq(podfab_topo_route(t, 0, 3, 0, h, MAXH), -PODFAB_EACCEL);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_parallel_links)
{
	/* five parallel links accelerator - switch (DGX style) are legal and all carry traffic */
	podfab_topo_t t = new_topo();
	uint32_t a0 = add(t, PODFAB_NODE_ACCEL, NULL), a1 = add(t, PODFAB_NODE_ACCEL, NULL);
	uint32_t sw = add(t, PODFAB_NODE_SWITCH, NULL);
	for (int i = 0; i < 5; i++)
		join(t, a0, sw);
	join(t, a1, sw);
	finish_ok(t);
	podfab_hop_t h[MAXH];
	int use[5] = {0};
	for (uint64_t f = 0; f < 1000; f++) {
		ck_assert_int_eq(route_ok(t, 0, 1, f, h), 2);
		ck_assert_uint_lt(h[0].dlink / 2, 5);
		use[h[0].dlink / 2]++;
	}
	for (int i = 0; i < 5; i++)
		ck_assert_int_gt(use[i], 100);
	podfab_topo_free(t);
}
END_TEST

/* Every family with its defaults: every pair routes over links that are up. */
START_TEST(test_generated_families)
{
	const char *const *fam = podfab_topo_families();
	if (!fam)
		return;
	for (int i = 0; fam[i]; i++) {
		podfab_topo_t t = NULL;
		int rc = podfab_topo_generate(fam[i], &t);
		if (rc == -PODFAB_ENOSYS)
			continue;
		ck_assert_msg(rc == 0, "%s: %d %s", fam[i], rc, podfab_error_detail());
		uint32_t n = podfab_topo_naccels(t);
		podfab_hop_t h[MAXH];
		for (uint32_t s = 0; s < n && s < 80; s++)
			for (uint32_t d = 0; d < n && d < 80; d++)
				ck_assert_int_eq(route_ok(t, s, d, s ^ (d << 8), h) == 0, s == d);
		podfab_topo_free(t);
	}
}
END_TEST

/*
 * The tables against a reference: distances in links from each destination
 * by a plain BFS over links that are up (a retimer passes a message on, so
 * a path's length is its links).  Every route must be a shortest one, and at
 * every element a route passes, the links taken over many flows must be
 * every link on a shortest path from there (the equal-cost set, whole).
 * Models where accelerators sit behind one switch (filled by groups) and
 * where they do not, with links down.
 */
static void bfs_links(podfab_topo_t t, uint32_t from, uint32_t *dist, uint32_t *q)
{
	uint32_t n = podfab_topo_nnodes(t), qh = 0, qt = 0;
	for (uint32_t v = 0; v < n; v++)
		dist[v] = UINT32_MAX;
	dist[from] = 0;
	q[qt++] = from;
	while (qh < qt) {
		uint32_t v = q[qh++];
		const podfab_node_t *nd = podfab_topo_node(t, v);
		if (nd->kind == PODFAB_NODE_ACCEL && v != from)
			continue; /* accelerators forward only in switchless models: see below */
		for (uint32_t p = 0; p < nd->nports; p++) {
			const podfab_link_t *l = podfab_topo_link(t, nd->port_link[p]);
			uint32_t u = l->a == v ? l->b : l->a;
			if (l->up && dist[u] == UINT32_MAX) {
				dist[u] = dist[v] + 1;
				q[qt++] = u;
			}
		}
	}
}

static void check_reference(const char *spec, const uint32_t *down, int ndown)
{
	podfab_topo_t t = NULL;
	int rc = podfab_topo_load(spec, &t);
	ck_assert_msg(rc == 0, "%s: %d %s", spec, rc, podfab_error_detail());
	for (int i = 0; i < ndown; i++)
		ck_assert_int_eq(podfab_topo_link_set_up(t, down[i], 0), 0);
	uint32_t n = podfab_topo_nnodes(t), A = podfab_topo_naccels(t), L = podfab_topo_nlinks(t);
	uint32_t *dist = malloc(n * sizeof *dist), *q = malloc(n * sizeof *q);
	uint8_t *taken = calloc(2 * (size_t)L, 1), *seen = calloc(n, 1);
	ck_assert(dist && q && taken && seen);
	podfab_hop_t h[MAXH];
	uint32_t step_d = A > 40 ? 7 : 1, step_s = A > 40 ? 11 : 1;
	for (uint32_t d = 0; d < A; d += step_d) {
		uint32_t dn = podfab_topo_accel_node(t, d);
		bfs_links(t, dn, dist, q);
		for (uint32_t s = 0; s < A; s += step_s) {
			if (s == d)
				continue;
			memset(taken, 0, 2 * (size_t)L);
			memset(seen, 0, n);
			for (uint64_t f = 0; f < 160; f++) {
				/* no ck_assert per route: Check records every passing one */
				int k = podfab_topo_route(t, s, d, f * 0x9e3779b97f4a7c15ull, h, MAXH);
				uint32_t cur = podfab_topo_accel_node(t, s);
				if (k < 0 || (uint32_t)k != dist[cur])
					ck_abort_msg("%s: %u -> %u in %d links, the shortest is %u", spec, s, d, k, dist[cur]);
				for (int i = 0; i < k; i++) {
					const podfab_link_t *l = podfab_topo_link(t, h[i].dlink / 2);
					if (!l->up || ((h[i].dlink & 1) ? l->b : l->a) != cur)
						ck_abort_msg("%s: %u -> %u hop %d: link %u does not leave the element before",
							     spec, s, d, i, h[i].dlink / 2);
					taken[h[i].dlink] = 1;
					seen[cur] = 1;
					cur = h[i].node;
				}
				if (cur != dn)
					ck_abort_msg("%s: %u -> %u ends elsewhere", spec, s, d);
			}
			/* at every switch or accelerator passed: the whole equal-cost set */
			for (uint32_t v = 0; v < n; v++) {
				const podfab_node_t *nd = podfab_topo_node(t, v);
				if (!seen[v] || nd->kind == PODFAB_NODE_RETIMER)
					continue;
				for (uint32_t p = 0; p < nd->nports; p++) {
					uint32_t li = nd->port_link[p];
					const podfab_link_t *l = podfab_topo_link(t, li);
					uint32_t u = l->a == v ? l->b : l->a, dl = 2 * li + (l->a == v ? 0u : 1u);
					int on = l->up && dist[u] != UINT32_MAX && dist[u] + 1 == dist[v];
					if (on != taken[dl])
						ck_abort_msg("%s: %u -> %u at %s: link %u %s", spec, s, d,
						      nd->name, li, on ? "is on a shortest path, never taken"
								: "taken, not on a shortest path");
				}
			}
		}
	}
	free(dist);
	free(q);
	free(taken);
	free(seen);
	podfab_topo_free(t);
}

START_TEST(test_tables_reference)
{
	const uint32_t none[1] = {0};
	check_reference("clos:accels=96,leaves=6,spines=4,uplinks=2", none, 0);
	/* accelerator links are the first accels links; leaf-spine links after */
	const uint32_t down[4] = {96 + 0, 96 + 5, 96 + 13, 96 + 40};
	check_reference("clos:accels=96,leaves=6,spines=4,uplinks=2", down, 4);
	check_reference("ualink-pod:accels=24,switches=4", none, 0);
	const uint32_t pod_down[2] = {0, 7};
	check_reference("ualink-pod:accels=24,switches=4", pod_down, 2);
	check_reference("dgx-h100", none, 0);
	const uint32_t dgx_down[3] = {0, 1, 30};
	check_reference("dgx-h100", dgx_down, 3);
}
END_TEST

/* ---- validation ------------------------------------------------------------- */

static void expect_model(podfab_topo_t t, const char *const *needles)
{
	int rc = podfab_topo_finish(t);
	ck_assert_int_eq(rc, -PODFAB_EMODEL);
	const char *msg = podfab_error_detail();
	for (int i = 0; needles[i]; i++)
		ck_assert_msg(strstr(msg, needles[i]) != NULL, "'%s' not in: %s", needles[i], msg);
	podfab_topo_free(t);
}

#define EXPECT(t, ...)                                              \
	do {                                                        \
		const char *const nd_[] = {__VA_ARGS__, NULL};      \
		expect_model((t), nd_);                             \
	} while (0)

/* a0 - sw - a1, named; returns the topology with link ids in l[2]. */
static podfab_topo_t small(uint32_t *sw, uint32_t l[2])
{
	podfab_topo_t t = new_topo();
	uint32_t a0 = add(t, PODFAB_NODE_ACCEL, "gpu0"), a1 = add(t, PODFAB_NODE_ACCEL, "gpu1");
	*sw = add(t, PODFAB_NODE_SWITCH, "nvs");
	l[0] = join(t, a0, *sw);
	l[1] = join(t, a1, *sw);
	return t;
}

static podfab_link_t *mut_link(podfab_topo_t t, uint32_t l)
{
	return (podfab_link_t *)podfab_topo_link(t, l);
}

static podfab_node_t *mut_node(podfab_topo_t t, uint32_t v)
{
	return (podfab_node_t *)podfab_topo_node(t, v);
}

START_TEST(test_valid_small)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	finish_ok(t);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_no_accels)
{
	podfab_topo_t t = new_topo();
	add(t, PODFAB_NODE_SWITCH, "lonely");
	EXPECT(t, "no accelerators");
}
END_TEST

START_TEST(test_disconnected)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	uint32_t a2 = add(t, PODFAB_NODE_ACCEL, "island"), s2 = add(t, PODFAB_NODE_SWITCH, "far");
	join(t, a2, s2);
	EXPECT(t, "'gpu0'", "'island'", "not connected");
}
END_TEST

START_TEST(test_down_is_still_connected)
{
	/* a link that is down at load still counts for connectivity; routes avoid it */
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	mut_link(t, l[1])->up = 0;
	finish_ok(t);
	podfab_hop_t h[4];
	ck_assert_int_eq(podfab_topo_route(t, 0, 1, 0, h, 4), -PODFAB_EUNREACHABLE);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_port_shared)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	mut_link(t, l[1])->b_port = mut_link(t, l[0])->b_port;
	EXPECT(t, "links 1 and 0 both use port 0 of 'nvs'");
}
END_TEST

START_TEST(test_port_out_of_range)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	mut_link(t, l[1])->a_port = 9;
	EXPECT(t, "link 1", "port 9 of 'gpu1'");
}
END_TEST

START_TEST(test_dangling_link)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	mut_link(t, l[1])->b = 99;
	EXPECT(t, "link 1 names node 99");
	/* and through the API: refused at once */
	t = new_topo();
	uint32_t a = add(t, PODFAB_NODE_ACCEL, NULL);
	podfab_link_t lt = link_tmpl();
	ck_assert_int_eq(podfab_topo_add_link(t, a, 5, &lt, NULL), -PODFAB_EMODEL);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_radix)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	mut_node(t, sw)->radix = 2;
	join(t, add(t, PODFAB_NODE_ACCEL, "gpu2"), sw);
	EXPECT(t, "switch 'nvs' has 3 links, more than its radix 2");
	/* radix 0 is unlimited, radix == links is fine */
	t = small(&sw, l);
	mut_node(t, sw)->radix = 2;
	finish_ok(t);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_bad_link_params)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	mut_link(t, l[1])->lanes = 0;
	EXPECT(t, "link 1 ('gpu1' - 'nvs')", "lanes");
	t = small(&sw, l);
	mut_link(t, l[0])->lane_gbps = 0;
	EXPECT(t, "link 0 ('gpu0' - 'nvs')", "lane rate");
	t = small(&sw, l);
	mut_link(t, l[0])->lane_gbps = -200;
	EXPECT(t, "link 0", "lane rate");
	t = small(&sw, l);
	mut_link(t, l[0])->lane_gbps = NAN;
	EXPECT(t, "link 0", "lane rate");
	t = small(&sw, l);
	mut_link(t, l[1])->prop_ns = -1;
	EXPECT(t, "link 1", "propagation delay");
	t = small(&sw, l);
	mut_link(t, l[1])->enc = NULL;
	EXPECT(t, "link 1", "no encoding");
	t = small(&sw, l);
	mut_link(t, l[1])->ber = 1;
	EXPECT(t, "link 1", "bit-error rate");
	t = small(&sw, l);
	mut_link(t, l[1])->ber = -1e-9;
	EXPECT(t, "link 1", "bit-error rate");
	t = small(&sw, l);
	mut_link(t, l[1])->ber = NAN;
	EXPECT(t, "link 1", "bit-error rate");
}
END_TEST

START_TEST(test_bad_node_latency)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	mut_node(t, sw)->latency_ns = -5;
	EXPECT(t, "switch 'nvs'", "latency");
	t = small(&sw, l);
	mut_node(t, 0)->egress_ns = NAN;
	EXPECT(t, "accelerator 'gpu0'", "egress latency");
}
END_TEST

START_TEST(test_duplicate_name)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	podfab_node_t n;
	memset(&n, 0, sizeof n);
	n.kind = PODFAB_NODE_SWITCH;
	n.name = "gpu1";
	ck_assert_int_eq(podfab_topo_add_node(t, &n, NULL), -PODFAB_EMODEL);
	ck_assert_ptr_nonnull(strstr(podfab_error_detail(), "duplicate name 'gpu1'"));
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_retimer_degree)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	uint32_t r = add(t, PODFAB_NODE_RETIMER, "rt-dangling");
	join(t, r, sw);
	EXPECT(t, "retimer 'rt-dangling' has 1 links");
	t = small(&sw, l);
	r = add(t, PODFAB_NODE_RETIMER, "rt3");
	join(t, r, sw);
	join(t, r, 0);
	join(t, r, 1);
	EXPECT(t, "retimer 'rt3' has 3 links");
}
END_TEST

START_TEST(test_retimer_loop)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	uint32_t r1 = add(t, PODFAB_NODE_RETIMER, "ra"), r2 = add(t, PODFAB_NODE_RETIMER, "rb");
	uint32_t r3 = add(t, PODFAB_NODE_RETIMER, "rc");
	join(t, r1, r2);
	join(t, r2, r3);
	join(t, r3, r1);
	EXPECT(t, "loop", "'ra'", "'rb'", "'rc'", "3 retimers");
	/* two retimers joined by two parallel links */
	t = small(&sw, l);
	r1 = add(t, PODFAB_NODE_RETIMER, "rx");
	r2 = add(t, PODFAB_NODE_RETIMER, "ry");
	join(t, r1, r2);
	join(t, r1, r2);
	EXPECT(t, "loop", "'rx'", "'ry'");
}
END_TEST

START_TEST(test_family_limit)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	join(t, add(t, PODFAB_NODE_ACCEL, "gpu2"), sw);
	t->family_limit = 2;
	EXPECT(t, "3 accelerators", "at most 2");
	t = small(&sw, l);
	t->family_limit = 2;
	finish_ok(t);
	podfab_topo_free(t);
}
END_TEST

START_TEST(test_where_file_line)
{
	uint32_t sw, l[2];
	podfab_topo_t t = small(&sw, l);
	free(t->file);
	t->file = malloc(sizeof "pod.yaml");
	ck_assert_ptr_nonnull(t->file);
	memcpy(t->file, "pod.yaml", sizeof "pod.yaml");
	ck_assert_ptr_nonnull(t->file);
	mut_link(t, l[1])->src_line = 17;
	mut_link(t, l[1])->lanes = 0;
	EXPECT(t, "pod.yaml:17: link 1");
}
END_TEST

static Suite *route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("routing");
	tcase_add_test(tc, test_star);
	tcase_add_test(tc, test_planes_hash);
	tcase_add_test(tc, test_planes_address);
	tcase_add_test(tc, test_clos_ecmp);
	tcase_add_test(tc, test_ring);
	tcase_add_test(tc, test_torus_2d);
	tcase_add_test(tc, test_retimers);
	tcase_add_test(tc, test_retimer_torus);
	tcase_add_test(tc, test_link_down_reroute);
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_parallel_links);
	tcase_add_test(tc, test_generated_families);
	tcase_add_test(tc, test_tables_reference);
	suite_add_tcase(s, tc);
	TCase *tv = tcase_create("validation");
	tcase_add_test(tv, test_valid_small);
	tcase_add_test(tv, test_no_accels);
	tcase_add_test(tv, test_disconnected);
	tcase_add_test(tv, test_down_is_still_connected);
	tcase_add_test(tv, test_port_shared);
	tcase_add_test(tv, test_port_out_of_range);
	tcase_add_test(tv, test_dangling_link);
	tcase_add_test(tv, test_radix);
	tcase_add_test(tv, test_bad_link_params);
	tcase_add_test(tv, test_bad_node_latency);
	tcase_add_test(tv, test_duplicate_name);
	tcase_add_test(tv, test_retimer_degree);
	tcase_add_test(tv, test_retimer_loop);
	tcase_add_test(tv, test_family_limit);
	tcase_add_test(tv, test_where_file_line);
	suite_add_tcase(s, tv);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(route_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
