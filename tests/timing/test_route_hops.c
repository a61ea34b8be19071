/*
 * test_route_hops.c - routing hop by hop (pf_routes_first / pf_routes_next,
 * what the offline simulator moves its messages by) gives, link for link,
 * the route pf_routes_query gives: on every bundled model and on generated
 * ones with the choices that matter (equal-cost paths hashed or sprayed by
 * address, planes, retimers, dimension order, and dimension order falling
 * back to the tables when a link it needs is down), for many flows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <podfab/podfab.h>
#include <podfab/topo.h>

#include "pf_model.h"

#ifndef MODELS_DIR
#error "MODELS_DIR must name the bundled fabric-models directory"
#endif

#define MAXH 64

static podfab_topo_t load(const char *spec)
{
	char path[1024];
	const char *s = spec;
	if (strstr(spec, ".yaml")) {
		snprintf(path, sizeof path, "%s/%s", MODELS_DIR, spec);
		s = path;
	}
	podfab_topo_t t = NULL;
	int rc = podfab_topo_load(s, &t);
	ck_assert_msg(rc == 0, "load %s: %d (%s)", s, rc, podfab_error_detail());
	return t;
}

static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 33;
}

/*
 * Routes src -> dst by both ways agree; returns the number of hops.  (No
 * ck_assert on the way: Check records every one that passes, which would
 * cost more than the routes.)
 */
static int same_route(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow)
{
	podfab_hop_t h[MAXH];
	int n = pf_routes_query(t, src, dst, flow, h, MAXH);
	uint32_t dl = 0, mode = 7;
	int rc = pf_routes_first(t, src, dst, flow, &dl, &mode);
	if (n < 0) {
		if (rc != n)
			ck_abort_msg("%u -> %u: query %d, first %d", src, dst, n, rc);
		return n;
	}
	if (n > MAXH)
		ck_abort_msg("%u -> %u: %d hops", src, dst, n);
	if (src == dst) {
		if (rc != 1 || n != 0)
			ck_abort_msg("%u -> itself: first %d, query %d", src, rc, n);
		return 0;
	}
	if (rc != 0)
		ck_abort_msg("%u -> %u: first %d (%s)", src, dst, rc, podfab_error_detail());
	if (mode != 0 && mode != PF_ROUTE_DOR)
		ck_abort_msg("mode %u", mode);
	for (int i = 0; i < n; i++) {
		if (dl != h[i].dlink)
			ck_abort_msg("%s: %u -> %u flow %llu hop %d: link %u, the query says %u", podfab_topo_spec(t),
				     src, dst, (unsigned long long)flow, i, dl, h[i].dlink);
		dl = pf_routes_next(t, dl, dst, flow, mode);
		if (i + 1 < n && dl >= PF_ROUTE_BROKEN)
			ck_abort_msg("%u -> %u hop %d: %u", src, dst, i + 1, dl);
	}
	if (dl != PF_ROUTE_END)
		ck_abort_msg("%u -> %u: after %d hops, %u instead of the end", src, dst, n, dl);
	return n;
}

/* Every pair (or 3000 random ones on large models), each with a few flows. */
static void all_pairs(podfab_topo_t t, int *dor_seen)
{
	uint32_t A = podfab_topo_naccels(t);
	uint64_t x = 99;
	uint64_t pairs = (uint64_t)A * A, checked = 0;
	for (uint64_t k = 0; k < (pairs > 3000 ? 3000 : pairs); k++) {
		uint32_t s = pairs > 3000 ? (uint32_t)(lcg(&x) % A) : (uint32_t)(k / A);
		uint32_t d = pairs > 3000 ? (uint32_t)(lcg(&x) % A) : (uint32_t)(k % A);
		for (int f = 0; f < 4; f++) {
			uint64_t flow = f == 0 ? 0 : ((lcg(&x) << 20) + (lcg(&x) & 0xfffff));
			same_route(t, s, d, flow);
			uint32_t dl, mode = 0;
			if (s != d && pf_routes_first(t, s, d, flow, &dl, &mode) == 0 && (mode & PF_ROUTE_DOR))
				(*dor_seen)++;
			checked++;
		}
	}
	ck_assert_uint_gt(checked, 0);
}

START_TEST(test_bundled)
{
	const char *m[] = {"clos-1024.yaml", "default.yaml", "dgx-h100.yaml", "mi300x-mesh.yaml", "nvl72.yaml",
			   "pod-4-explicit.yaml", "ring-8.yaml", "torus2d-8x8.yaml", "torus3d-4x4x4.yaml",
			   "ualink-pod-1024-16planes.yaml", "ualink-pod-64.yaml", "ualink-pod-retimers.yaml"};
	for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
		podfab_topo_t t = load(m[i]);
		int dor = 0;
		all_pairs(t, &dor);
		if (strstr(m[i], "torus") || strstr(m[i], "ring"))
			ck_assert_msg(dor > 0, "%s: no route by dimension order", m[i]);
		else
			ck_assert_msg(dor == 0, "%s: a route by dimension order", m[i]);
		podfab_topo_free(t);
	}
}
END_TEST

START_TEST(test_generated)
{
	const char *m[] = {"clos:accels=512,leaves=16,spines=8,uplinks=2",
			   "clos:accels=256,leaves=8,spines=4,spray=address",
			   "clos:accels=128,leaves=8,spines=4,retimers=2",
			   "ualink-pod:accels=32,switches=8,seed=7",
			   "ualink-pod:accels=16,switches=4,spray=address",
			   "torus3d:x=4,y=3,z=5,retimers=1",
			   "torus2d:x=2,y=6",
			   "ring:accels=9",
			   "mesh:accels=8,retimers=1"};
	for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
		podfab_topo_t t = load(m[i]);
		int dor = 0;
		all_pairs(t, &dor);
		podfab_topo_free(t);
	}
}
END_TEST

/* A torus with links down: routes that need them leave dimension order for the tables, whole. */
START_TEST(test_torus_links_down)
{
	podfab_topo_t t = load("torus2d:x=5,y=4");
	uint32_t L = podfab_topo_nlinks(t);
	ck_assert_int_eq(podfab_topo_link_set_up(t, 0, 0), 0);
	ck_assert_int_eq(podfab_topo_link_set_up(t, L / 2, 0), 0);
	int dor = 0, table = 0;
	uint32_t A = podfab_topo_naccels(t);
	for (uint32_t s = 0; s < A; s++)
		for (uint32_t d = 0; d < A; d++) {
			same_route(t, s, d, 12345);
			uint32_t dl, mode = 0;
			if (s != d && pf_routes_first(t, s, d, 12345, &dl, &mode) == 0)
				(mode & PF_ROUTE_DOR) ? dor++ : table++;
		}
	ck_assert_msg(dor > 0 && table > 0, "dimension order %d, tables %d: both expected", dor, table);
	podfab_topo_free(t);
}
END_TEST

/* Bad calls: the same errors as the query. */
START_TEST(test_errors)
{
	podfab_topo_t t = load("ualink-pod:accels=4,switches=1");
	uint32_t dl, mode;
	ck_assert_int_eq(pf_routes_first(t, 0, 4, 0, &dl, &mode), -PODFAB_EACCEL);
	ck_assert_int_eq(pf_routes_first(t, 9, 0, 0, &dl, &mode), -PODFAB_EACCEL);
	ck_assert_int_eq(pf_routes_first(t, 2, 2, 0, &dl, &mode), 1);
	podfab_topo_free(t);
	/* A cut: no route either way. */
	t = load("ring:accels=4");
	ck_assert_int_eq(podfab_topo_link_set_up(t, 0, 0), 0);
	ck_assert_int_eq(podfab_topo_link_set_up(t, 2, 0), 0);
	int unreachable = 0;
	for (uint32_t s = 0; s < 4; s++)
		for (uint32_t d = 0; d < 4; d++)
			unreachable += same_route(t, s, d, 0) == -PODFAB_EUNREACHABLE;
	ck_assert_int_gt(unreachable, 0);
	podfab_topo_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("route-hops");
	TCase *tc = tcase_create("hops");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_bundled);
	tcase_add_test(tc, test_generated);
	tcase_add_test(tc, test_torus_links_down);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
