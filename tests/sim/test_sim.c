/*
 * test_sim.c - the offline simulator (podfab_sim_*) through its public API
 * against expectations computed here from the model's parameters alone
 * (tests/engine/closed.h): zero-load latency, single-flow bandwidth,
 * all-to-all on one non-blocking switch, saturation under incast,
 * determinism, dependencies and windows, and bad input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <podfab/podfab.h>
#include <podfab/sim.h>
#include <podfab/topo.h>

#include "../engine/closed.h"

#ifndef MODELS_DIR
#error "MODELS_DIR must name the bundled fabric-models directory"
#endif

#define POD1 "ualink-pod:accels=8,switches=1"

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

static podfab_sim_t mksim(podfab_topo_t t, uint32_t window, uint64_t seed)
{
	podfab_sim_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.size = sizeof cfg;
	cfg.window = window;
	cfg.seed = seed;
	podfab_sim_t s = NULL;
	int rc = podfab_sim_new(t, &cfg, &s);
	ck_assert_msg(rc == 0, "sim_new: %s (%s)", podfab_strerror(rc), podfab_error_detail());
	return s;
}

static uint64_t add(podfab_sim_t s, double t, uint32_t src, uint32_t dst, podfab_sim_kind_t kind,
		    uint64_t bytes, uint64_t after, double delay)
{
	podfab_sim_op_t op = {.t = t, .src = src, .dst = dst, .kind = kind, .bytes = bytes,
			      .after = after, .delay = delay};
	uint64_t id = 0;
	int rc = podfab_sim_add(s, &op, &id);
	ck_assert_msg(rc == 0, "sim_add %u->%u: %s (%s)", src, dst, podfab_strerror(rc), podfab_error_detail());
	return id;
}

static void run(podfab_sim_t s)
{
	int rc = podfab_sim_run(s, NULL, NULL);
	ck_assert_msg(rc == 0, "sim_run: %s (%s)", podfab_strerror(rc), podfab_error_detail());
}

static void times(podfab_sim_t s, uint64_t id, double *issue, double *complete)
{
	int rc = podfab_sim_op_times(s, id, issue, complete);
	ck_assert_msg(rc == 0, "op_times %llu: %d", (unsigned long long)id, rc);
}

/* The first link of accelerator a (its only one on a single-plane pod) and the directed links of it. */
static const podfab_link_t *accel_link(podfab_topo_t t, uint32_t a, uint32_t *up, uint32_t *down)
{
	const podfab_node_t *n = podfab_topo_node(t, podfab_topo_accel_node(t, a));
	ck_assert_uint_ge(n->nports, 1);
	uint32_t li = n->port_link[0];
	const podfab_link_t *l = podfab_topo_link(t, li);
	int a_side = l->a == n->id;
	if (up)
		*up = 2 * li + (a_side ? 0 : 1);
	if (down)
		*down = 2 * li + (a_side ? 1 : 0);
	return l;
}

static double wire_req(const podfab_link_t *l, uint64_t payload)
{
	return cf_wire(l->enc, l->enc ? l->enc->req_header_bytes : 0, payload);
}

static double wire_resp(const podfab_link_t *l, uint64_t payload)
{
	return cf_wire(l->enc, l->enc ? l->enc->resp_header_bytes : 0, payload);
}

/*
 * The closed form of one operation over the flows the simulator may give it:
 * the one nearest to x (paths and planes are picked by a flow hash; equal
 * paths have equal latency, so on most models every candidate is the same).
 */
static double cf_near(podfab_topo_t t, uint32_t s, uint32_t d, uint64_t req, uint64_t resp, double x)
{
	double best = NAN;
	for (uint64_t k = 0; k < 256; k++) {
		double m = cf_op(t, s, d, k << 20, req, resp, NULL);
		if (isnan(best) || fabs(m - x) < fabs(best - x))
			best = m;
	}
	return best;
}

static uint64_t total_replays(podfab_sim_t s)
{
	podfab_topo_t t = podfab_sim_model(s);
	uint64_t r = 0;
	for (uint32_t d = 0; d < 2 * podfab_topo_nlinks(t); d++) {
		podfab_link_stats_t st;
		ck_assert_int_eq(podfab_sim_link_stats(s, d, &st), 0);
		r += st.replays;
	}
	return r;
}

/* ---- zero load -------------------------------------------------------- */

static const char *const zero_models[] = {
	"default.yaml", "ring-8.yaml", "torus2d-8x8.yaml", "dgx-h100.yaml", "mi300x-mesh.yaml",
	"nvl72.yaml", "ualink-pod-retimers.yaml", "pod-4-explicit.yaml",
	"ualink-pod:accels=6,switches=1,forwarding=store-and-forward,ber=0",
	"clos:accels=16,accels-per-leaf=4,ber=0",
	"torus3d:x=3,y=3,z=2,encoding=nvlink4,ber=0",
	"ring:accels=5,encoding=pcie6,prop=40ns,ber=0",
	"ualink-pod:accels=4,switches=2,retimers=2,retimer-fec=terminate,ber=0",
};

START_TEST(test_zero_load)
{
	const char *spec = zero_models[_i];
	podfab_topo_t t = load(spec);
	uint32_t n = podfab_topo_naccels(t);
	ck_assert_uint_ge(n, 2);
	podfab_sim_t s = mksim(t, 0, 0);
	struct {
		podfab_sim_kind_t kind;
		uint64_t bytes, req, resp;
	} kinds[] = {
		{PODFAB_SIM_WRITE, 256, 256, 0}, {PODFAB_SIM_WRITE, 8, 8, 0}, {PODFAB_SIM_WRITE, 100, 100, 0},
		{PODFAB_SIM_READ, 256, 0, 256},  {PODFAB_SIM_READ, 64, 0, 64},  {PODFAB_SIM_ATOMIC, 8, 8, 8},
		{PODFAB_SIM_ATOMIC, 16, 16, 16},
	};
	uint32_t dsts[] = {1, n / 2, n - 1};
	uint32_t srcs[] = {0, n - 1};
	double at = 0.0;
	uint64_t nops = 0;
	for (int si = 0; si < 2; si++)
		for (int di = 0; di < 3; di++)
			for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
				uint32_t src = srcs[si], dst = dsts[di];
				if (src == dst)
					continue;
				add(s, at, src, dst, kinds[k].kind, kinds[k].bytes, PODFAB_SIM_NONE, 0.0);
				at += 1e6; /* far apart: every link idle again */
				nops++;
			}
	run(s);
	ck_assert_msg(total_replays(s) == 0, "%s: bit-error replays at zero load; the test needs none", spec);
	podfab_sim_result_t r;
	ck_assert_int_eq(podfab_sim_result(s, &r), 0);
	ck_assert_uint_eq(r.ops, nops);
	uint64_t id = 0;
	at = 0.0;
	for (int si = 0; si < 2; si++)
		for (int di = 0; di < 3; di++)
			for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
				uint32_t src = srcs[si], dst = dsts[di];
				if (src == dst)
					continue;
				double is, co;
				times(s, id, &is, &co);
				ck_assert_msg(is == at, "%s op %llu issued at %.9g, not %.9g", spec,
					      (unsigned long long)id, is, at);
				double m = cf_near(t, src, dst, kinds[k].req, kinds[k].resp, co - is);
				ck_assert_msg(fabs((co - is) - m) <= 1e-9 * m,
					      "%s: %s of %llu B %u->%u took %.12g ns, closed form %.12g", spec,
					      kinds[k].kind == PODFAB_SIM_WRITE  ? "write"
					      : kinds[k].kind == PODFAB_SIM_READ ? "read"
										 : "atomic",
					      (unsigned long long)kinds[k].bytes, src, dst, co - is, m);
				id++;
				at += 1e6;
			}
	podfab_sim_free(s);
	podfab_topo_free(t);
}
END_TEST

/* ---- single flow ------------------------------------------------------ */

static const char *const flow_models[] = {
	"ualink-pod:accels=4,switches=1,ber=0",
	"ualink-pod:accels=4,switches=1,forwarding=store-and-forward,ber=0",
	"ualink-pod:accels=4,switches=1,lanes=2,encoding=nvlink5,ber=0",
};

/* One source streams n writes of 256 B to one destination, all at t=0, no window: end time. */
static double stream(podfab_topo_t t, uint64_t n, double *lat0, double *wr)
{
	podfab_sim_t s = mksim(t, 0, 0);
	for (uint64_t i = 0; i < n; i++)
		add(s, 0.0, 0, 2, PODFAB_SIM_WRITE, 256, PODFAB_SIM_NONE, 0.0);
	run(s);
	podfab_sim_result_t r;
	ck_assert_int_eq(podfab_sim_result(s, &r), 0);
	ck_assert_uint_eq(r.ops, n);
	ck_assert_uint_eq(r.requests, n);
	ck_assert_uint_eq(r.bytes, n * 256);
	double is, co;
	times(s, n - 1, &is, &co);
	ck_assert_msg(co == r.end_ns, "the last write completes at %.9g, the run ends at %.9g", co, r.end_ns);
	/* Every link on the single-plane path has the same rate: the first one is a bottleneck. */
	const podfab_link_t *l = accel_link(t, 0, NULL, NULL);
	double w = wire_req(l, 256), R = cf_rate(l);
	*wr = w / R;
	*lat0 = cf_op(t, 0, 2, 0, 256, 0, NULL);
	podfab_sim_free(s);
	return r.end_ns;
}

START_TEST(test_single_flow)
{
	podfab_topo_t t = load(flow_models[_i]);
	double lat0, wr;
	const uint64_t N = 2000;
	double end = stream(t, N, &lat0, &wr);
	double want = (double)(N - 1) * wr + lat0;
	ck_assert_msg(fabs(end - want) <= 1e-6 * want,
		      "%s: %llu pipelined writes end at %.9g ns; (N-1)*w/R + latency = %.9g (w/R %.6g, latency %.6g)",
		      flow_models[_i], (unsigned long long)N, end, want, wr, lat0);
	const uint64_t BIG = 50000;
	end = stream(t, BIG, &lat0, &wr);
	double bw = (double)BIG * 256.0 / end, cap = 256.0 / wr;
	ck_assert_msg(bw <= cap && bw >= 0.98 * cap, "%s: one flow gets %.6g GB/s of payload, the link %.6g",
		      flow_models[_i], bw, cap);
	podfab_topo_free(t);
}
END_TEST

/* ---- all-to-all on one non-blocking switch ---------------------------- */

START_TEST(test_alltoall)
{
	podfab_topo_t t = load(POD1 ",ber=0");
	uint32_t n = podfab_topo_naccels(t);
	const uint64_t B = 16384;
	podfab_sim_t s = mksim(t, 0, 0);
	for (uint32_t k = 1; k < n; k++)
		for (uint32_t i = 0; i < n; i++)
			add(s, 0.0, i, (i + k) % n, PODFAB_SIM_WRITE, B, PODFAB_SIM_NONE, 0.0);
	run(s);
	podfab_sim_result_t r;
	ck_assert_int_eq(podfab_sim_result(s, &r), 0);
	uint64_t per = (B + 255) / 256;
	ck_assert_uint_eq(r.requests, (uint64_t)n * (n - 1) * per);
	const podfab_link_t *l = accel_link(t, 0, NULL, NULL);
	double R = cf_rate(l);
	/*
	 * Two lower bounds, each nearly reached: (a) the last of an accelerator's
	 * (n-1)*per requests leaves its uplink after all the others, then needs the
	 * rest of one operation's latency; (b) the uplink also carries the responses
	 * to the (n-1)*per requests it receives, and the last thing on it is one of
	 * those, which then needs the rest of a response's trip.
	 */
	double wq = wire_req(l, 256), ws = wire_resp(l, 0);
	double egress = podfab_topo_node(t, podfab_topo_accel_node(t, 0))->egress_ns;
	double lat = cf_op(t, 0, 1, 0, 256, 0, NULL);
	double busy = (double)(n - 1) * (double)per * (wq + ws) / R;
	double lb_a = (double)((n - 1) * per - 1) * wq / R + lat;
	double lb_b = egress + busy + cf_oneway(t, 1, 0, 0, 1, 0) - egress - ws / R;
	double want = lb_a > lb_b ? lb_a : lb_b;
	ck_assert_msg(r.end_ns >= want * (1 - 1e-9) && r.end_ns <= 1.05 * want,
		      "all-to-all of %llu B on %u accelerators ends at %.9g ns, closed form %.9g (bounds %.9g, %.9g)",
		      (unsigned long long)B, n, r.end_ns, want, lb_a, lb_b);
	/* Every uplink and downlink carried exactly its share of payload. */
	for (uint32_t a = 0; a < n; a++) {
		uint32_t up, down;
		accel_link(t, a, &up, &down);
		podfab_link_stats_t su, sd;
		ck_assert_int_eq(podfab_sim_link_stats(s, up, &su), 0);
		ck_assert_int_eq(podfab_sim_link_stats(s, down, &sd), 0);
		ck_assert_uint_eq(su.bytes, (n - 1) * B);
		ck_assert_uint_eq(sd.bytes, (n - 1) * B);
		ck_assert_uint_eq(su.messages, 2 * (n - 1) * per);
		ck_assert_msg(fabs(su.busy_ns - busy) <= 1e-3 * (double)su.messages, "uplink of %u busy %.9g ns, expected %.9g", a,
			      su.busy_ns, busy);
	}
	podfab_sim_free(s);

	/* The generated pattern gives the same traffic. */
	s = mksim(t, 0, 0);
	int rc = podfab_sim_traffic(s, "alltoall:bytes=16KiB");
	ck_assert_msg(rc == 0, "alltoall pattern: %s (%s)", podfab_strerror(rc), podfab_error_detail());
	run(s);
	podfab_sim_result_t r2;
	ck_assert_int_eq(podfab_sim_result(s, &r2), 0);
	ck_assert_uint_eq(r2.ops, (uint64_t)n * (n - 1));
	ck_assert_uint_eq(r2.bytes, (uint64_t)n * (n - 1) * B);
	ck_assert_msg(r2.end_ns >= want * (1 - 1e-9) && r2.end_ns <= 1.05 * want, "alltoall pattern ends at %.9g ns, closed form %.9g",
		      r2.end_ns, want);
	podfab_sim_free(s);
	podfab_topo_free(t);
}
END_TEST

/* ---- saturation ------------------------------------------------------- */

static void check_incast(podfab_sim_t s, podfab_topo_t t, uint64_t ops_per_src, const char *what)
{
	uint32_t n = podfab_topo_naccels(t);
	podfab_sim_result_t r;
	ck_assert_int_eq(podfab_sim_result(s, &r), 0);
	uint32_t down;
	const podfab_link_t *l = accel_link(t, 0, NULL, &down);
	double cap = cf_rate(l) * 256.0 / wire_req(l, 256); /* payload GB/s into accelerator 0 */
	uint64_t payload = (uint64_t)(n - 1) * ops_per_src * 256;
	ck_assert_uint_eq(r.bytes, payload);
	double got = (double)payload / r.end_ns;
	ck_assert_msg(got <= cap && got >= 0.95 * cap, "%s: %.6g GB/s into the destination, its link carries %.6g",
		      what, got, cap);
	podfab_link_stats_t st;
	ck_assert_int_eq(podfab_sim_link_stats(s, down, &st), 0);
	ck_assert_uint_eq(st.bytes, payload);
	ck_assert_uint_eq(st.messages, (n - 1) * ops_per_src);
	double busy = (double)st.messages * wire_req(l, 256) / cf_rate(l);
	/* the counters keep whole picoseconds: at most 1 ps off a message */
	ck_assert_msg(fabs(st.busy_ns - busy) <= 1e-3 * (double)st.messages, "%s: downlink busy %.9g ns, expected %.9g", what,
		      st.busy_ns, busy);
	ck_assert_msg(st.busy_ns <= r.end_ns, "%s: link busy longer than the run", what);
	ck_assert_msg(st.queue_ns > 0.0, "%s: no queueing at the bottleneck", what);
	/* The sources' own links are far from full. */
	uint32_t up;
	accel_link(t, 1, &up, NULL);
	ck_assert_int_eq(podfab_sim_link_stats(s, up, &st), 0);
	ck_assert_msg(st.busy_ns < 0.25 * r.end_ns, "%s: a source's uplink busy %.6g of %.6g ns", what, st.busy_ns,
		      r.end_ns);
}

START_TEST(test_saturation)
{
	podfab_topo_t t = load(POD1 ",ber=0");
	uint32_t n = podfab_topo_naccels(t);
	const uint64_t M = 1000;
	podfab_sim_t s = mksim(t, 0, 0);
	for (uint64_t k = 0; k < M; k++)
		for (uint32_t i = 1; i < n; i++)
			add(s, 0.0, i, 0, PODFAB_SIM_WRITE, 256, PODFAB_SIM_NONE, 0.0);
	run(s);
	check_incast(s, t, M, "incast by hand");
	podfab_sim_free(s);

	/*
	 * A window of 64 per source: 7 x 64 writes in flight is more than the
	 * destination's link holds over one operation's latency (about 230).
	 */
	s = mksim(t, 64, 0);
	int rc = podfab_sim_traffic(s, "incast:dst=0,ops=1000,bytes=256");
	ck_assert_msg(rc == 0, "incast pattern: %s (%s)", podfab_strerror(rc), podfab_error_detail());
	run(s);
	check_incast(s, t, M, "incast pattern, window 64");
	podfab_sim_free(s);
	podfab_topo_free(t);
}
END_TEST

/* ---- determinism ------------------------------------------------------ */

static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 33;
}

/* 4000 random operations; room made first for `reserve` of them (0: none). */
static podfab_sim_t random_run_r(podfab_topo_t t, uint64_t seed, uint32_t window, uint64_t reserve)
{
	podfab_sim_t s = mksim(t, window, seed);
	if (reserve)
		ck_assert_int_eq(podfab_sim_reserve(s, reserve), 0);
	uint32_t n = podfab_topo_naccels(t);
	uint64_t x = 12345;
	for (int i = 0; i < 4000; i++) {
		uint32_t a = (uint32_t)(lcg(&x) % n), b = (uint32_t)(lcg(&x) % (n - 1));
		if (b >= a)
			b++;
		uint64_t bytes = 1 + lcg(&x) % 2048;
		podfab_sim_kind_t k = (podfab_sim_kind_t)(lcg(&x) % 3);
		add(s, (double)(lcg(&x) % 20000), a, b, k, bytes, PODFAB_SIM_NONE, 0.0);
	}
	run(s);
	return s;
}

static podfab_sim_t random_run(podfab_topo_t t, uint64_t seed, uint32_t window)
{
	return random_run_r(t, seed, window, 0);
}

static void same_results(podfab_sim_t a, podfab_sim_t b)
{
	podfab_sim_result_t ra, rb;
	ck_assert_int_eq(podfab_sim_result(a, &ra), 0);
	ck_assert_int_eq(podfab_sim_result(b, &rb), 0);
	ck_assert(memcmp(&ra, &rb, sizeof ra) == 0);
	for (uint64_t i = 0; i < ra.ops; i++) {
		double ia, ca, ib, cb;
		times(a, i, &ia, &ca);
		times(b, i, &ib, &cb);
		ck_assert_msg(ia == ib && ca == cb, "op %llu: %.17g/%.17g vs %.17g/%.17g", (unsigned long long)i, ia,
			      ca, ib, cb);
	}
	podfab_topo_t t = podfab_sim_model(a);
	for (uint32_t d = 0; d < 2 * podfab_topo_nlinks(t); d++) {
		podfab_link_stats_t sa, sb;
		ck_assert_int_eq(podfab_sim_link_stats(a, d, &sa), 0);
		ck_assert_int_eq(podfab_sim_link_stats(b, d, &sb), 0);
		ck_assert_msg(memcmp(&sa, &sb, sizeof sa) == 0, "link %u stats differ", d);
	}
}

START_TEST(test_determinism)
{
	podfab_topo_t t = load("torus2d-8x8.yaml");
	podfab_sim_t a = random_run(t, 7, 4), b = random_run(t, 7, 4);
	same_results(a, b);
	podfab_sim_free(a);
	podfab_sim_free(b);

	/* Generated traffic with a seed repeats too. */
	for (int rep = 0; rep < 2; rep++) {
		podfab_sim_t g[2];
		for (int j = 0; j < 2; j++) {
			g[j] = mksim(t, 0, 99);
			int rc = podfab_sim_traffic(g[j], rep ? "uniform:ops=200,load=0.5,bytes=1KiB,seed=3"
							      : "permutation:ops=20,bytes=512,seed=5");
			ck_assert_msg(rc == 0, "traffic: %s (%s)", podfab_strerror(rc), podfab_error_detail());
			run(g[j]);
		}
		same_results(g[0], g[1]);
		podfab_sim_free(g[0]);
		podfab_sim_free(g[1]);
	}
	podfab_topo_free(t);

	/* Bit errors: the seed draws the replays; the same seed repeats them, another changes them. */
	t = load(POD1 ",ber=1e-3");
	a = random_run(t, 1, 0);
	b = random_run(t, 1, 0);
	podfab_sim_t c = random_run(t, 2, 0);
	same_results(a, b);
	uint64_t ra = total_replays(a), rc = total_replays(c);
	ck_assert_msg(ra > 0, "ber=1e-3 gave no replays");
	ck_assert_msg(rc > 0, "ber=1e-3 gave no replays (seed 2)");
	int differ = ra != rc;
	for (uint32_t d = 0; !differ && d < 2 * podfab_topo_nlinks(t); d++) {
		podfab_link_stats_t sa, sc;
		ck_assert_int_eq(podfab_sim_link_stats(a, d, &sa), 0);
		ck_assert_int_eq(podfab_sim_link_stats(c, d, &sc), 0);
		differ = sa.replays != sc.replays;
	}
	ck_assert_msg(differ, "seeds 1 and 2 drew the same replays on every link");
	podfab_sim_result_t r1, r2;
	ck_assert_int_eq(podfab_sim_result(a, &r1), 0);
	ck_assert_int_eq(podfab_sim_result(c, &r2), 0);
	ck_assert_msg(r1.end_ns != r2.end_ns || r1.lat_mean_ns != r2.lat_mean_ns,
		      "different replays but the same timing");
	podfab_sim_free(a);
	podfab_sim_free(b);
	podfab_sim_free(c);
	podfab_topo_free(t);
}
END_TEST

/* 0..n-1 shuffled (Fisher-Yates on the seeded generator); the caller frees it. */
static uint32_t *shuffled(uint32_t n, uint64_t seed)
{
	uint32_t *perm = malloc(n * sizeof *perm);
	ck_assert_ptr_nonnull(perm);
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	uint64_t x = seed;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(lcg(&x) % (i + 1)), tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
	return perm;
}

/*
 * Operations without a dependency go in time order however they were added:
 * in order (one run), shuffled in a few thousand runs (merged as they go) and
 * in more than 65536 runs (sorted first) - every operation's times agree.
 */
static void root_orders(uint32_t n, uint32_t window)
{
	podfab_topo_t t = load(POD1 ",ber=0");
	uint32_t na = podfab_topo_naccels(t);
	uint32_t *perm = shuffled(n, 777);
	podfab_sim_t a = mksim(t, window, 1), b = mksim(t, window, 1);
	/* Operation k: at 0.37 k ns (distinct times), k % na -> (k * 7 + 1) % na (never itself). */
	for (uint32_t k = 0; k < n; k++)
		add(a, 0.37 * k, k % na, (k % na + 1 + (k / na) % (na - 1)) % na, PODFAB_SIM_WRITE, 64 + k % 512,
		    PODFAB_SIM_NONE, 0.0);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = perm[i];
		add(b, 0.37 * k, k % na, (k % na + 1 + (k / na) % (na - 1)) % na, PODFAB_SIM_WRITE, 64 + k % 512,
		    PODFAB_SIM_NONE, 0.0);
	}
	run(a);
	run(b);
	for (uint32_t i = 0; i < n; i++) {
		double ia, ca, ib, cb;
		times(a, perm[i], &ia, &ca);
		times(b, i, &ib, &cb);
		ck_assert_msg(ia == ib && ca == cb, "op %u (added %u): %.17g/%.17g vs %.17g/%.17g", perm[i], i, ia, ca,
			      ib, cb);
	}
	podfab_sim_result_t ra, rb;
	ck_assert_int_eq(podfab_sim_result(a, &ra), 0);
	ck_assert_int_eq(podfab_sim_result(b, &rb), 0);
	ck_assert_msg(ra.end_ns == rb.end_ns && ra.hops == rb.hops && ra.lat_p99_ns == rb.lat_p99_ns,
		      "results differ: %.17g %.17g", ra.end_ns, rb.end_ns);
	podfab_sim_free(a);
	podfab_sim_free(b);
	podfab_topo_free(t);
	free(perm);
}

/*
 * Operations without a dependency at the same time go in the order they were
 * added (their ids), however many runs they come from: groups of `same`
 * operations share each time, added shuffled (many runs), against the same
 * operations added in (time, id) order (one run).
 */
static uint32_t g_tie_same;
static double tie_t(uint32_t k)
{
	return 0.37 * (double)(k / g_tie_same);
}

static void root_ties(uint32_t n, uint32_t same, uint32_t window)
{
	podfab_topo_t t = load(POD1 ",ber=0");
	uint32_t na = podfab_topo_naccels(t);
	uint32_t *perm = shuffled(n, 4242), *order = malloc(n * sizeof *order);
	ck_assert_ptr_nonnull(order);
	g_tie_same = same;
	/* b: id i is operation perm[i]; c: the same operations by (time, id in b), a counting sort on the time. */
	uint32_t groups = (n + same - 1) / same, *first = calloc(groups + 1, sizeof *first);
	ck_assert_ptr_nonnull(first);
	for (uint32_t i = 0; i < n; i++)
		first[perm[i] / same + 1]++;
	for (uint32_t g = 0; g < groups; g++)
		first[g + 1] += first[g];
	for (uint32_t i = 0; i < n; i++)
		order[first[perm[i] / same]++] = i;
	podfab_sim_t b = mksim(t, window, 1), c = mksim(t, window, 1);
	for (uint32_t pass = 0; pass < 2; pass++)
		for (uint32_t j = 0; j < n; j++) {
			uint32_t k = perm[pass ? order[j] : j];
			add(pass ? c : b, tie_t(k), k % na, (k % na + 1 + (k / na) % (na - 1)) % na, PODFAB_SIM_WRITE,
			    64 + k % 512, PODFAB_SIM_NONE, 0.0);
		}
	run(b);
	run(c);
	for (uint32_t j = 0; j < n; j++) {
		double ib, cb, ic, cc;
		times(b, order[j], &ib, &cb);
		times(c, j, &ic, &cc);
		if (ib != ic || cb != cc)
			ck_abort_msg("%u at one time: op %u (as %u in order): %.17g/%.17g vs %.17g/%.17g", same, order[j],
				     j, ib, cb, ic, cc);
	}
	podfab_sim_free(b);
	podfab_sim_free(c);
	podfab_topo_free(t);
	free(perm);
	free(order);
	free(first);
}

START_TEST(test_root_order)
{
	root_orders(3000, 0);
	root_orders(3000, 4);
	root_orders(140000, 0);
	root_ties(6000, 50, 0); /* 50 at each time: more than an insertion sort takes */
	root_ties(6000, 3, 4);
	root_ties(140000, 7, 0);
}
END_TEST

/* ---- dependencies and windows ----------------------------------------- */

START_TEST(test_dependencies)
{
	podfab_topo_t t = load(POD1 ",ber=0");
	podfab_sim_t s = mksim(t, 0, 0);
	uint64_t a = add(s, 50.0, 0, 1, PODFAB_SIM_WRITE, 4096, PODFAB_SIM_NONE, 0.0);
	uint64_t b = add(s, 0.0, 2, 3, PODFAB_SIM_READ, 1024, a, 123.25);
	uint64_t c = add(s, 0.0, 0, 5, PODFAB_SIM_ATOMIC, 8, b, 0.0);
	uint64_t d = add(s, 1e6, 4, 5, PODFAB_SIM_WRITE, 64, a, 10.0); /* its own time is later */
	uint64_t e = add(s, 0.0, 6, 7, PODFAB_SIM_WRITE, 64, a, 0.0);  /* two children of a */
	run(s);
	double ia, ca, ib, cb, ic, cc, id_, cd, ie, ce;
	times(s, a, &ia, &ca);
	times(s, b, &ib, &cb);
	times(s, c, &ic, &cc);
	times(s, d, &id_, &cd);
	times(s, e, &ie, &ce);
	ck_assert(ia == 50.0);
	ck_assert_msg(ib == ca + 123.25, "b issued at %.17g, a completed at %.17g", ib, ca);
	ck_assert_msg(ic == cb, "c issued at %.17g, b completed at %.17g", ic, cb);
	ck_assert_msg(id_ == 1e6, "d issued at %.17g", id_);
	ck_assert_msg(ie == ca, "e issued at %.17g, a completed at %.17g", ie, ca);
	/* Each alone on the fabric: zero-load latency (one request each but a's 16 and b's 4). */
	ck_assert(fabs((cc - ic) - cf_op(t, 0, 5, 0, 8, 8, NULL)) <= 1e-9 * (cc - ic));
	ck_assert(fabs((cd - id_) - cf_op(t, 4, 5, 0, 64, 0, NULL)) <= 1e-9 * (cd - id_));
	podfab_sim_free(s);

	/* window=1 with an operation of a later time: it issues at its time. */
	s = mksim(t, 1, 0);
	add(s, 0.0, 1, 2, PODFAB_SIM_WRITE, 256, PODFAB_SIM_NONE, 0.0);
	add(s, 5e5, 1, 2, PODFAB_SIM_WRITE, 256, PODFAB_SIM_NONE, 0.0);
	run(s);
	double is, co;
	times(s, 1, &is, &co);
	ck_assert(is == 5e5);
	podfab_sim_free(s);
	podfab_topo_free(t);
}
END_TEST

/* K writes at t=0 from source 3 under window=1, and one from source 5. */
#define WK 12
static podfab_sim_t window_run(podfab_topo_t t, double *lat)
{
	podfab_sim_t s = mksim(t, 1, 0);
	for (int i = 0; i < WK; i++)
		add(s, 0.0, 3, 4, PODFAB_SIM_WRITE, 256, PODFAB_SIM_NONE, 0.0);
	add(s, 0.0, 5, 6, PODFAB_SIM_WRITE, 256, PODFAB_SIM_NONE, 0.0); /* another source is not held */
	run(s);
	*lat = cf_op(t, 3, 4, 0, 256, 0, NULL);
	return s;
}

/* window=1 serialises a source: each operation completes one zero-load latency after the previous. */
START_TEST(test_window)
{
	podfab_topo_t t = load(POD1 ",ber=0");
	double lat, prev = 0.0;
	podfab_sim_t s = window_run(t, &lat);
	for (int i = 0; i < WK; i++) {
		double co;
		times(s, (uint64_t)i, NULL, &co);
		ck_assert_msg(fabs((co - prev) - lat) <= 1e-9 * lat,
			      "op %d completed %.12g ns after the previous one, zero load %.12g", i, co - prev, lat);
		prev = co;
	}
	ck_assert(fabs(prev - WK * lat) <= 1e-9 * WK * lat);
	double is, co;
	times(s, (uint64_t)WK, &is, &co);
	ck_assert(is == 0.0);
	ck_assert(fabs(co - cf_op(t, 5, 6, 0, 256, 0, NULL)) <= 1e-9 * co);
	podfab_sim_result_t r;
	ck_assert_int_eq(podfab_sim_result(s, &r), 0);
	ck_assert(r.end_ns == prev);
	podfab_sim_free(s);
	podfab_topo_free(t);
}
END_TEST

/*
 * Under a window, an operation is issued when a slot frees: op_times gives
 * that time (sim.h: "when operation id was issued"), and its latency
 * ("issue to completion") is then the zero-load latency.
 */
START_TEST(test_window_issue)
{
	podfab_topo_t t = load(POD1 ",ber=0");
	double lat, prev = 0.0;
	podfab_sim_t s = window_run(t, &lat);
	uint64_t n = 0;
	const double *L = podfab_sim_latencies(s, &n);
	ck_assert_uint_eq(n, WK + 1);
	ck_assert_ptr_nonnull(L);
	for (int i = 0; i < WK; i++) {
		double is, co;
		times(s, (uint64_t)i, &is, &co);
		ck_assert_msg(is == prev, "op %d: issued at %.17g, the previous (window 1) completed at %.17g", i,
			      is, prev);
		ck_assert_msg(fabs(L[i] - lat) <= 1e-9 * lat, "op %d: latency %.12g, zero load %.12g", i, L[i], lat);
		prev = co;
	}
	podfab_sim_free(s);
	podfab_topo_free(t);
}
END_TEST

/*
 * The summary's percentiles (found by selection) are the values a sort of
 * the latencies puts at ceil(q n) - 1, the mean their mean and the max their
 * max; on loaded random traffic (many distinct values), on traffic where
 * most latencies are equal, and with one operation.  podfab_sim_reserve
 * makes room ahead without changing any result.
 */
static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void check_summary(podfab_sim_t s)
{
	uint64_t n = 0;
	const double *L = podfab_sim_latencies(s, &n);
	ck_assert_ptr_nonnull(L);
	double *v = malloc(n * sizeof *v), sum = 0;
	ck_assert_ptr_nonnull(v);
	memcpy(v, L, n * sizeof *v);
	for (uint64_t i = 0; i < n; i++)
		sum += L[i];
	qsort(v, n, sizeof *v, cmp_dbl);
	podfab_sim_result_t r, r2;
	ck_assert_int_eq(podfab_sim_result(s, &r), 0);
	const double q[3] = {0.50, 0.90, 0.99}, got[3] = {r.lat_p50_ns, r.lat_p90_ns, r.lat_p99_ns};
	for (int i = 0; i < 3; i++) {
		uint64_t k = (uint64_t)ceil(q[i] * (double)n);
		k = k ? k - 1 : 0;
		ck_assert_msg(got[i] == v[k], "p%g of %llu: %.17g, sorted gives %.17g", 100 * q[i],
			      (unsigned long long)n, got[i], v[k]);
	}
	ck_assert(r.lat_max_ns == v[n - 1]);
	ck_assert(fabs(r.lat_mean_ns - sum / (double)n) <= 1e-12 * r.lat_mean_ns);
	ck_assert(r.ops == n);
	ck_assert_int_eq(podfab_sim_result(s, &r2), 0); /* again: the same */
	ck_assert(memcmp(&r, &r2, sizeof r) == 0);
	/* the latencies themselves are untouched by the selection */
	const double *L2 = podfab_sim_latencies(s, NULL);
	ck_assert_ptr_eq(L2, L);
	for (uint64_t i = 0; i < n; i++)
		if (!(L[i] == v[0] || L[i] >= v[0])) /* every latency is at least the least one */
			ck_abort_msg("latency %llu: %.17g below the least, %.17g", (unsigned long long)i, L[i], v[0]);
	free(v);
}

START_TEST(test_percentiles)
{
	podfab_topo_t t = load("torus2d-8x8.yaml");
	const char *spec[] = {"uniform:ops=300,load=0.9,bytes=1KiB,seed=11", "shift:k=1,ops=50,bytes=256",
			      "permutation:ops=1,bytes=64,seed=2"};
	for (int i = 0; i < 3; i++) {
		podfab_sim_t s = mksim(t, 4, 5);
		ck_assert_int_eq(podfab_sim_traffic(s, spec[i]), 0);
		run(s);
		check_summary(s);
		podfab_sim_free(s);
	}
	podfab_sim_t one = mksim(t, 0, 0);
	add(one, 0.0, 0, 9, PODFAB_SIM_WRITE, 512, PODFAB_SIM_NONE, 0.0);
	run(one);
	check_summary(one);
	podfab_sim_free(one);

	/* Reserving: the same results; bad calls say why. */
	podfab_sim_t a = random_run(t, 3, 2);
	for (int i = 0; i < 3; i++) {
		const uint64_t room[3] = {4000, 100, 1000000}; /* exact, too little, far more */
		podfab_sim_t b = random_run_r(t, 3, 2, room[i]);
		same_results(a, b);
		podfab_sim_free(b);
	}
	check_summary(a);
	ck_assert_int_eq(podfab_sim_reserve(NULL, 1), -PODFAB_ENULL);
	podfab_sim_t c = mksim(t, 0, 0);
	ck_assert_int_eq(podfab_sim_reserve(c, UINT64_MAX), -PODFAB_ETOOMANY);
	ck_assert_int_eq(podfab_sim_reserve(c, 1u << 31), -PODFAB_ETOOMANY);
	add(c, 0.0, 1, 2, PODFAB_SIM_READ, 64, PODFAB_SIM_NONE, 0.0);
	run(c);
	ck_assert_int_eq(podfab_sim_reserve(c, 1), -PODFAB_EBUSY);
	podfab_sim_free(c);
	podfab_sim_free(a);
	podfab_topo_free(t);
}
END_TEST

/* ---- bad input -------------------------------------------------------- */

static void bad_op(podfab_sim_t s, podfab_sim_op_t op, int want, const char *what)
{
	int rc = podfab_sim_add(s, &op, NULL);
	ck_assert_msg(rc == -want, "%s: %d (%s), expected -%d", what, rc, podfab_error_detail(), want);
}

/* Write text to a new temporary file; returns its path (static storage per slot). */
static const char *tmpfile_with(int slot, const char *text)
{
	static char paths[8][64];
	snprintf(paths[slot], sizeof paths[slot], "/tmp/podfab-sim-test.XXXXXX");
	int fd = mkstemp(paths[slot]);
	ck_assert_int_ge(fd, 0);
	size_t len = strlen(text);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return paths[slot];
}

START_TEST(test_bad_input)
{
	podfab_topo_t t = load(POD1);
	podfab_sim_t s = mksim(t, 0, 0);
	podfab_sim_op_t ok = {.t = 0, .src = 0, .dst = 1, .kind = PODFAB_SIM_WRITE, .bytes = 64,
			      .after = PODFAB_SIM_NONE, .delay = 0};
	podfab_sim_op_t op = ok;
	op.bytes = 0;
	bad_op(s, op, PODFAB_EZEROLEN, "0 bytes");
	op = ok;
	op.src = 8;
	bad_op(s, op, PODFAB_EACCEL, "src 8 of 8");
	op = ok;
	op.dst = 1000;
	bad_op(s, op, PODFAB_EACCEL, "dst 1000 of 8");
	op = ok;
	op.kind = PODFAB_SIM_KIND_MAX;
	bad_op(s, op, PODFAB_EINVAL, "kind KIND_MAX");
	op = ok;
	op.kind = (podfab_sim_kind_t)-1;
	bad_op(s, op, PODFAB_EINVAL, "kind -1");
	op = ok;
	op.after = 0; /* nothing added yet: forward */
	bad_op(s, op, PODFAB_EINVAL, "after names no operation");
	op = ok;
	op.t = -1.0;
	bad_op(s, op, PODFAB_EINVAL, "negative time");
	op = ok;
	op.delay = NAN;
	bad_op(s, op, PODFAB_EINVAL, "NaN delay");
	uint64_t id = 99;
	ck_assert_int_eq(podfab_sim_add(s, &ok, &id), 0);
	ck_assert_uint_eq(id, 0);
	op = ok;
	op.after = 1; /* itself: not earlier */
	bad_op(s, op, PODFAB_EINVAL, "after names itself");
	op.after = 0;
	ck_assert_int_eq(podfab_sim_add(s, &op, &id), 0);
	ck_assert_uint_eq(id, 1);
	ck_assert_int_lt(podfab_sim_add(NULL, &ok, NULL), 0);
	ck_assert_int_lt(podfab_sim_add(s, NULL, NULL), 0);
	/* Results before a run are an error. */
	podfab_sim_result_t r;
	ck_assert_int_lt(podfab_sim_result(s, &r), 0);
	ck_assert_int_lt(podfab_sim_op_times(s, 0, NULL, NULL), 0);
	run(s);
	ck_assert_int_lt(podfab_sim_run(s, NULL, NULL), 0);
	ck_assert_int_lt(podfab_sim_add(s, &ok, NULL), 0);
	ck_assert_int_eq(podfab_sim_result(s, &r), 0);
	ck_assert_uint_eq(r.ops, 2);
	ck_assert_int_lt(podfab_sim_op_times(s, 2, NULL, NULL), 0);
	podfab_link_stats_t st;
	ck_assert_int_lt(podfab_sim_link_stats(s, 2 * podfab_topo_nlinks(t), &st), 0);
	podfab_sim_free(s);

	/* podfab_sim_new */
	podfab_sim_config_t cfg = {.size = 0};
	ck_assert_int_lt(podfab_sim_new(t, &cfg, &s), 0);
	ck_assert_int_lt(podfab_sim_new(NULL, NULL, &s), 0);
	ck_assert_int_lt(podfab_sim_new(t, NULL, NULL), 0);

	/* Patterns: unknown names and keys, zero sizes. */
	const char *bad_specs[] = {"nosuch", "uniform:frobnicate=1", "alltoall:bytes=0", "incast:dst=99",
				   "shift:k=x", "uniform:load=0", "", "alltoall:bytes"};
	for (size_t i = 0; i < sizeof bad_specs / sizeof bad_specs[0]; i++) {
		s = mksim(t, 0, 0);
		int rc = podfab_sim_traffic(s, bad_specs[i]);
		ck_assert_msg(rc < 0, "pattern '%s' accepted", bad_specs[i]);
		if (i < 2)
			ck_assert_msg(rc == -PODFAB_EINVAL, "pattern '%s': %d (%s)", bad_specs[i], rc,
				      podfab_error_detail());
		podfab_sim_free(s);
	}
	ck_assert_ptr_null(podfab_sim_pattern_help("nosuch"));
	const char *const *pats = podfab_sim_patterns();
	ck_assert_ptr_nonnull(pats);
	for (int i = 0; pats[i]; i++)
		ck_assert_ptr_nonnull(podfab_sim_pattern_help(pats[i]));

	/* Trace files: good lines load; a malformed line is named file:line. */
	const char *good = tmpfile_with(0, "# time src dst op bytes\n\n0 0 1 write 256\n10.5 1 2 read 4KiB\n"
					   "20 3 4 atomic 8   # trailing comment\n");
	s = mksim(t, 0, 0);
	int rc = podfab_sim_load_trace(s, good);
	ck_assert_msg(rc == 0, "good trace: %s (%s)", podfab_strerror(rc), podfab_error_detail());
	run(s);
	ck_assert_int_eq(podfab_sim_result(s, &r), 0);
	ck_assert_uint_eq(r.ops, 3);
	ck_assert_uint_eq(r.bytes, 256 + 4096 + 8);
	double is;
	ck_assert_int_eq(podfab_sim_op_times(s, 1, &is, NULL), 0);
	ck_assert(is == 10.5);
	unlink(good);
	podfab_sim_free(s);

	struct {
		const char *text;
		int line;
	} bad[] = {
		{"0 0 1 write 256\n0 0 1 bogus 256\n", 2},
		{"# c\n0 0 1 write 256\n\n0 0 1 write\n", 4},
		{"0 0 1 write 0\n", 1},
		{"0 0 1 write 256\n0 0 99 write 256\n", 2},
		{"x 0 1 write 256\n", 1},
		{"0 0 1 write 256\n0 0 1 write 256\n-5 0 1 write 8\n", 3},
		{"0 0 1 write 256 extra\n", 1},
		{"0 0 1 write 12QB\n", 1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *p = tmpfile_with(1, bad[i].text);
		char want[128];
		snprintf(want, sizeof want, "%s:%d", p, bad[i].line);
		s = mksim(t, 0, 0);
		rc = podfab_sim_load_trace(s, p);
		const char *detail = podfab_error_detail();
		ck_assert_msg(rc < 0, "trace %zu accepted", i);
		ck_assert_msg(detail && strstr(detail, want), "trace %zu: detail '%s' lacks '%s'", i,
			      detail ? detail : "(null)", want);
		/* Through the pattern too. */
		podfab_sim_free(s);
		s = mksim(t, 0, 0);
		char spec[128];
		snprintf(spec, sizeof spec, "trace:%s", p);
		rc = podfab_sim_traffic(s, spec);
		detail = podfab_error_detail();
		ck_assert_msg(rc < 0 && detail && strstr(detail, want), "trace pattern %zu: %d '%s'", i, rc,
			      detail ? detail : "(null)");
		podfab_sim_free(s);
		unlink(p);
	}
	s = mksim(t, 0, 0);
	ck_assert_int_lt(podfab_sim_load_trace(s, "/nonexistent/podfab-trace"), 0);
	podfab_sim_free(s);
	podfab_topo_free(t);
}
END_TEST

static Suite *sim_suite(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("sim");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_zero_load, 0, (int)(sizeof zero_models / sizeof zero_models[0]));
	tcase_add_loop_test(tc, test_single_flow, 0, (int)(sizeof flow_models / sizeof flow_models[0]));
	tcase_add_test(tc, test_alltoall);
	tcase_add_test(tc, test_saturation);
	tcase_add_test(tc, test_determinism);
	tcase_add_test(tc, test_root_order);
	tcase_add_test(tc, test_dependencies);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_window_issue);
	tcase_add_test(tc, test_percentiles);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sim_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
