/*
 * test_sim_flow.c - podfab-sim's flow-level mode against the request-level
 * mode (itself checked against closed forms in test_sim.c) and against
 * max-min sharing worked out here: one large transfer, two and N flows on one
 * bottleneck, all-to-all on one switch, reads, dependencies, the window,
 * determinism and bad configuration.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <podfab/podfab.h>
#include <podfab/sim.h>
#include <podfab/topo.h>

#ifndef MODELS_DIR
#error "MODELS_DIR must name the bundled fabric-models directory"
#endif

#define POD1 "ualink-pod:accels=8,switches=1"
#define MiB (1024.0 * 1024.0)

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
	ck_assert_msg(rc == 0, "load %s: %s (%s)", s, podfab_strerror(rc), podfab_error_detail());
	return t;
}

static podfab_sim_t mksim(podfab_topo_t t, podfab_sim_mode_t mode, uint32_t window)
{
	podfab_sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.size = sizeof cfg;
	cfg.window = window;
	cfg.mode = mode;
	podfab_sim_t s = NULL;
	int rc = podfab_sim_new(t, &cfg, &s);
	ck_assert_msg(rc == 0, "sim_new: %s (%s)", podfab_strerror(rc), podfab_error_detail());
	return s;
}

static uint64_t add(podfab_sim_t s, double t, uint32_t src, uint32_t dst, podfab_sim_kind_t kind, uint64_t bytes,
		    uint64_t after, double delay)
{
	podfab_sim_op_t op = {.t = t, .src = src, .dst = dst, .kind = kind, .bytes = bytes, .after = after,
			      .delay = delay};
	uint64_t id = 0;
	int rc = podfab_sim_add(s, &op, &id);
	ck_assert_msg(rc == 0, "sim_add: %s (%s)", podfab_strerror(rc), podfab_error_detail());
	return id;
}

static void run(podfab_sim_t s)
{
	int rc = podfab_sim_run(s, NULL, NULL);
	ck_assert_msg(rc == 0, "sim_run: %s (%s)", podfab_strerror(rc), podfab_error_detail());
}

static double end_of(podfab_sim_t s)
{
	podfab_sim_result_t r;
	ck_assert_int_eq(podfab_sim_result(s, &r), 0);
	return r.end_ns;
}

static double done_at(podfab_sim_t s, uint64_t id)
{
	double i = 0, c = 0;
	ck_assert_int_eq(podfab_sim_op_times(s, id, &i, &c), 0);
	return c;
}

static void near(double got, double want, double rel, const char *what)
{
	ck_assert_msg(fabs(got - want) <= rel * fabs(want), "%s: %.6g, expected %.6g (within %.2g%%)", what, got, want,
		      100 * rel);
}

/* One transfer of `bytes` alone, in a mode. */
static double alone(podfab_topo_t t, podfab_sim_mode_t mode, podfab_sim_kind_t kind, uint64_t bytes)
{
	podfab_sim_t s = mksim(t, mode, 0);
	add(s, 0, 0, 1, kind, bytes, PODFAB_SIM_NONE, 0);
	run(s);
	double e = end_of(s);
	podfab_sim_free(s);
	return e;
}

/* A large write or read alone takes what the request-level mode says, on every bundled kind of pod. */
START_TEST(test_alone)
{
	static const char *models[] = {POD1, "ualink-pod:accels=4,switches=1,forwarding=store-and-forward",
				       "default.yaml", "nvl72.yaml", "clos-1024.yaml"};
	for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
		podfab_topo_t t = load(models[i]);
		for (int k = 0; k < 2; k++) {
			podfab_sim_kind_t kind = k ? PODFAB_SIM_READ : PODFAB_SIM_WRITE;
			double r = alone(t, PODFAB_SIM_MODE_REQUEST, kind, (uint64_t)(16 * MiB));
			double f = alone(t, PODFAB_SIM_MODE_FLOW, kind, (uint64_t)(16 * MiB));
			char what[160];
			snprintf(what, sizeof what, "%s: 16 MiB %s, flow vs request", models[i], k ? "read" : "write");
			near(f, r, 0.01, what);
		}
		podfab_topo_free(t);
	}
}
END_TEST

/* N writes from N sources into one destination share its link: N times one alone. */
START_TEST(test_incast_shares)
{
	podfab_topo_t t = load(POD1);
	double one = alone(t, PODFAB_SIM_MODE_FLOW, PODFAB_SIM_WRITE, (uint64_t)(8 * MiB));
	for (uint32_t n = 2; n <= 7; n += 5) {
		podfab_sim_t s = mksim(t, PODFAB_SIM_MODE_FLOW, 0);
		uint64_t id[8];
		for (uint32_t i = 0; i < n; i++)
			id[i] = add(s, 0, i + 1, 0, PODFAB_SIM_WRITE, (uint64_t)(8 * MiB), PODFAB_SIM_NONE, 0);
		run(s);
		/* fair shares: all finish together, at n x the transfer time (the latency once) */
		for (uint32_t i = 1; i < n; i++)
			near(done_at(s, id[i]), done_at(s, id[0]), 1e-9, "equal shares finish together");
		near(end_of(s), n * one, 0.01, "incast of n = n x one alone");
		podfab_sim_free(s);
	}
	podfab_topo_free(t);
}
END_TEST

/*
 * Max-min, not equal split: flows A (0->1) and B (2->1) share 1's link; flow C
 * (0->3) shares only 0's link with A.  1's link is the bottleneck of A and B
 * (1/2 each); C then gets what A leaves on 0's link (1/2), so all three take
 * twice as long as alone; a fourth flow D (4->5) on its own links is
 * unaffected.  Made unequal: C carries 3 times the bytes, so after A and B end
 * it has the link alone: 2T + (3T - T) = 4T.
 */
START_TEST(test_maxmin)
{
	podfab_topo_t t = load(POD1);
	uint64_t B = (uint64_t)(8 * MiB);
	double one = alone(t, PODFAB_SIM_MODE_FLOW, PODFAB_SIM_WRITE, B);
	double three = alone(t, PODFAB_SIM_MODE_FLOW, PODFAB_SIM_WRITE, 3 * B);
	podfab_sim_t s = mksim(t, PODFAB_SIM_MODE_FLOW, 0);
	uint64_t a = add(s, 0, 0, 1, PODFAB_SIM_WRITE, B, PODFAB_SIM_NONE, 0);
	uint64_t b = add(s, 0, 2, 1, PODFAB_SIM_WRITE, B, PODFAB_SIM_NONE, 0);
	uint64_t c = add(s, 0, 0, 3, PODFAB_SIM_WRITE, 3 * B, PODFAB_SIM_NONE, 0);
	uint64_t d = add(s, 0, 4, 5, PODFAB_SIM_WRITE, B, PODFAB_SIM_NONE, 0);
	run(s);
	double lat = 3 * one - three; /* one's fixed part: one = T + L, three = 3T + L */
	double T = one - lat;
	near(done_at(s, a), 2 * T + lat, 0.01, "A at half rate");
	near(done_at(s, b), 2 * T + lat, 0.01, "B at half rate");
	near(done_at(s, c), 4 * T + lat, 0.01, "C: half rate, then the whole link");
	near(done_at(s, d), one, 0.01, "D alone");
	podfab_sim_free(s);
	podfab_topo_free(t);
}
END_TEST

/* All-to-all of large messages on one switch: flow and request modes agree. */
START_TEST(test_alltoall)
{
	podfab_topo_t t = load(POD1);
	double e[2];
	for (int m = 0; m < 2; m++) {
		podfab_sim_t s = mksim(t, m ? PODFAB_SIM_MODE_FLOW : PODFAB_SIM_MODE_REQUEST, 0);
		ck_assert_int_eq(podfab_sim_traffic(s, "alltoall:bytes=1048576"), 0);
		run(s);
		e[m] = end_of(s);
		podfab_sim_free(s);
	}
	near(e[1], e[0], 0.05, "all-to-all 1 MiB, flow vs request");
	podfab_topo_free(t);
}
END_TEST

/* Dependencies and the window are honoured as in request mode. */
START_TEST(test_deps_window)
{
	podfab_topo_t t = load(POD1);
	uint64_t B = (uint64_t)(4 * MiB);
	double one = alone(t, PODFAB_SIM_MODE_FLOW, PODFAB_SIM_WRITE, B);
	podfab_sim_t s = mksim(t, PODFAB_SIM_MODE_FLOW, 1);
	uint64_t a = add(s, 0, 0, 1, PODFAB_SIM_WRITE, B, PODFAB_SIM_NONE, 0);
	uint64_t b = add(s, 0, 0, 2, PODFAB_SIM_WRITE, B, PODFAB_SIM_NONE, 0); /* waits for the window */
	uint64_t c = add(s, 0, 3, 4, PODFAB_SIM_WRITE, B, a, 500.0);        /* after a, + 500 ns */
	run(s);
	double ia, ca, ib, cb, ic, cc;
	ck_assert_int_eq(podfab_sim_op_times(s, a, &ia, &ca), 0);
	ck_assert_int_eq(podfab_sim_op_times(s, b, &ib, &cb), 0);
	ck_assert_int_eq(podfab_sim_op_times(s, c, &ic, &cc), 0);
	near(ca, one, 1e-6, "a alone");
	near(ib, ca, 1e-9, "b issued when a completes (window 1)");
	near(cb - ib, one, 1e-6, "b then alone");
	near(ic, ca + 500.0, 1e-9, "c issued 500 ns after a");
	podfab_sim_free(s);
	podfab_topo_free(t);
}
END_TEST

/* Same input, same output; a bad mode is refused. */
START_TEST(test_determinism_bad)
{
	podfab_topo_t t = load("ualink-pod:accels=16,switches=4");
	double first[64];
	for (int r = 0; r < 2; r++) {
		podfab_sim_t s = mksim(t, PODFAB_SIM_MODE_FLOW, 4);
		ck_assert_int_eq(podfab_sim_traffic(s, "uniform:ops=4,bytes=1MiB,seed=5"), 0);
		run(s);
		for (uint64_t i = 0; i < 64; i++) {
			double c = done_at(s, i);
			if (r == 0)
				first[i] = c;
			else
				ck_assert_msg(c == first[i], "op %llu: %.17g vs %.17g", (unsigned long long)i, c, first[i]);
		}
		podfab_sim_free(s);
	}
	podfab_sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.size = sizeof cfg;
	cfg.mode = (podfab_sim_mode_t)7;
	podfab_sim_t s = NULL;
	ck_assert_int_eq(podfab_sim_new(t, &cfg, &s), -PODFAB_EINVAL);
	ck_assert_ptr_null(s);
	podfab_topo_free(t);
}
END_TEST

static Suite *flow_suite(void)
{
	Suite *s = suite_create("sim-flow");
	TCase *tc = tcase_create("flow");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_alone);
	tcase_add_test(tc, test_incast_shares);
	tcase_add_test(tc, test_maxmin);
	tcase_add_test(tc, test_alltoall);
	tcase_add_test(tc, test_deps_window);
	tcase_add_test(tc, test_determinism_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(flow_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
