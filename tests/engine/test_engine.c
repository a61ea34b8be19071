/*
 * test_engine.c - the timing engine (lib/timing/engine.c) against closed forms
 * computed here from the model's parameters (closed.h): zero-load latency of
 * every bundled model and some generated ones, bandwidth of one and two
 * streams, store-and-forward against cut-through, ordering over planes, bit
 * errors and replays, links that go down.  The engine runs over private state
 * (links and accelerators in plain memory), one timeline.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <podfab/podfab.h>
#include <podfab/topo.h>

#include "closed.h"
#include "pf_timing.h"

#ifndef MODELS_DIR
#error "MODELS_DIR must name the bundled fabric-models directory"
#endif

/* ---- helpers ------------------------------------------------------------ */

struct eng {
	podfab_topo_t t;
	struct pf_tm_link *links;
	struct pf_tm_accel *accels;
	_Atomic uint64_t *cal; /* NULL: one busy time per link */
	struct pf_tm tm;
};

/* calendar windows per directed link: up to 1024, within 4 MiB for the whole model */
static uint32_t cal_buckets(podfab_topo_t t)
{
	uint64_t nb = 1024, ndl = 2ull * podfab_topo_nlinks(t);
	while (nb > 64 && nb * 8 * ndl > (4u << 20))
		nb /= 2;
	return (uint32_t)nb;
}

static void eng_open(struct eng *e, podfab_topo_t t, uint64_t seed)
{
	e->t = t;
	e->links = calloc(2 * (size_t)podfab_topo_nlinks(t) + 1, sizeof *e->links);
	e->accels = calloc((size_t)podfab_topo_naccels(t) + 1, sizeof *e->accels);
	ck_assert_ptr_nonnull(e->links);
	ck_assert_ptr_nonnull(e->accels);
	int rc = pf_tm_init(&e->tm, t, e->links, e->accels, seed, 0);
	ck_assert_msg(rc == 0, "pf_tm_init: %d %s", rc, podfab_error_detail());
	e->cal = NULL;
}

/* As a job runs it: busy time kept per window of time (the calendar). */
static void eng_open_cal(struct eng *e, podfab_topo_t t, uint64_t seed)
{
	eng_open(e, t, seed);
	e->tm.nbuckets = cal_buckets(t);
	e->cal = calloc(2 * (size_t)podfab_topo_nlinks(t) * e->tm.nbuckets, sizeof *e->cal);
	ck_assert_ptr_nonnull(e->cal);
	e->tm.cal = e->cal;
}

/* Fresh link state: nothing queued, counters zero. */
static void eng_reset(struct eng *e)
{
	pf_tm_flush(&e->tm);
	memset(e->links, 0, (2 * (size_t)podfab_topo_nlinks(e->t) + 1) * sizeof *e->links);
	if (e->cal)
		memset(e->cal, 0, 2 * (size_t)podfab_topo_nlinks(e->t) * e->tm.nbuckets * sizeof *e->cal);
}

static void eng_close(struct eng *e)
{
	pf_tm_fini(&e->tm);
	free(e->cal);
	free(e->links);
	free(e->accels);
}

static uint64_t eng_replays(struct eng *e)
{
	pf_tm_flush(&e->tm);
	uint64_t n = 0;
	for (uint32_t d = 0; d < 2 * podfab_topo_nlinks(e->t); d++)
		n += atomic_load(&e->links[d].replays);
	return n;
}

static podfab_topo_t load(const char *spec)
{
	podfab_topo_t t = NULL;
	int rc = podfab_topo_load(spec, &t);
	ck_assert_msg(rc == 0, "load %s: %d %s", spec, rc, podfab_error_detail());
	return t;
}

static int close_rel(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-12;
}

static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 33;
}

/* Build: accel - sw1 - ... - swk - accel, every link like l, switches like sw. */
static podfab_topo_t chain(uint32_t k, int cut_through, const podfab_encoding_t *enc, double lane_gbps,
			   double ber)
{
	podfab_topo_t t = NULL;
	ck_assert_int_eq(podfab_topo_new(&t), 0);
	podfab_node_t acc, sw;
	memset(&acc, 0, sizeof acc);
	acc.kind = PODFAB_NODE_ACCEL;
	acc.latency_ns = 20;
	acc.egress_ns = 25;
	acc.max_request = 256;
	acc.plane = -1;
	acc.coord[0] = acc.coord[1] = acc.coord[2] = -1;
	sw = acc;
	sw.kind = PODFAB_NODE_SWITCH;
	sw.latency_ns = 150;
	sw.egress_ns = 0;
	sw.max_request = 0;
	sw.radix = 64;
	sw.buffer_bytes = 1 << 20;
	sw.cut_through = cut_through;
	podfab_link_t l;
	memset(&l, 0, sizeof l);
	l.lanes = 4;
	l.lane_gbps = lane_gbps;
	l.prop_ns = 5;
	l.enc = enc;
	l.ber = ber;
	l.up = 1;
	uint32_t prev, id;
	ck_assert_int_eq(podfab_topo_add_node(t, &acc, &prev), 0);
	for (uint32_t i = 0; i < k; i++) {
		ck_assert_int_eq(podfab_topo_add_node(t, &sw, &id), 0);
		ck_assert_int_eq(podfab_topo_add_link(t, prev, id, &l, NULL), 0);
		prev = id;
	}
	ck_assert_int_eq(podfab_topo_add_node(t, &acc, &id), 0);
	ck_assert_int_eq(podfab_topo_add_link(t, prev, id, &l, NULL), 0);
	int rc = podfab_topo_finish(t);
	ck_assert_msg(rc == 0, "finish: %d %s", rc, podfab_error_detail());
	return t;
}

/* ---- 1. zero-load closed form ------------------------------------------ */

static const struct {
	const char *name;
	uint64_t req, resp;
} kinds[] = {{"write 256", 256, 0}, {"read 256", 0, 256}, {"atomic 8/8", 8, 8}};

/* Returns the number of (pair, kind) checked. */
static int check_closed_form_in(const char *spec, int cal)
{
	podfab_topo_t t = load(spec);
	struct eng e;
	if (cal)
		eng_open_cal(&e, t, 1);
	else
		eng_open(&e, t, 1);
	uint32_t n = podfab_topo_naccels(t);
	uint64_t x = 12345;
	int checked = 0;
	uint32_t npairs = n <= 16 ? n * n : 50;
	for (uint32_t i = 0; i < npairs; i++) {
		uint32_t src, dst;
		if (n <= 16) {
			src = i / n;
			dst = i % n;
		} else {
			src = (uint32_t)(lcg(&x) % n);
			dst = (uint32_t)(lcg(&x) % (n - 1));
			dst += dst >= src;
		}
		if (src == dst)
			continue;
		uint64_t flow = lcg(&x) << 8;
		uint32_t mr = podfab_topo_node(t, podfab_topo_accel_node(t, src))->max_request;
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			uint64_t big = kinds[k].req > kinds[k].resp ? kinds[k].req : kinds[k].resp;
			if (mr && big > mr)
				continue; /* several requests: not a one-request closed form */
			eng_reset(&e);
			double want_a, want_c = cf_op(t, src, dst, flow, kinds[k].req, kinds[k].resp, &want_a);
			double a = -1, c = -1;
			int rc = pf_tm_op(&e.tm, src, dst, flow, kinds[k].req, kinds[k].resp, 0.0, NULL, &a, &c);
			ck_assert_msg(rc == 0, "%s: %u -> %u %s: %d %s", spec, src, dst, kinds[k].name, rc,
				      podfab_error_detail());
			ck_assert_msg(eng_replays(&e) == 0, "%s: replays during a zero-load check", spec);
			ck_assert_msg(close_rel(c, want_c, 1e-9),
				      "%s: %u -> %u flow %llu %s: complete %.12g ns, closed form %.12g ns", spec, src,
				      dst, (unsigned long long)flow, kinds[k].name, c, want_c);
			ck_assert_msg(close_rel(a, want_a, 1e-9),
				      "%s: %u -> %u flow %llu %s: arrive %.12g ns, closed form %.12g ns", spec, src,
				      dst, (unsigned long long)flow, kinds[k].name, a, want_a);
			checked++;
		}
	}
	eng_close(&e);
	podfab_topo_free(t);
	return checked;
}

/* Both ways of keeping busy times give the closed form at zero load. */
static int check_closed_form(const char *spec)
{
	int a = check_closed_form_in(spec, 0), b = check_closed_form_in(spec, 1);
	ck_assert_int_eq(a, b);
	return a;
}

START_TEST(closed_form_bundled)
{
	DIR *d = opendir(MODELS_DIR);
	ck_assert_msg(d != NULL, "cannot open %s", MODELS_DIR);
	struct dirent *de;
	int models = 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml"))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", MODELS_DIR, de->d_name);
		int c = check_closed_form(path);
		ck_assert_msg(c > 0, "%s: nothing checked", path);
		models++;
	}
	closedir(d);
	ck_assert_int_ge(models, 10);
}
END_TEST

static const char *const generated[] = {
	"ring:accels=8,ber=0",
	"torus2d:x=4,y=3,ber=0",
	"torus3d:x=3,y=2,z=2,ber=0",
	"clos:accels=16,accels-per-leaf=4,spines=2,ber=0",
	"clos:accels=40,accels-per-leaf=8,forwarding=store-and-forward,ber=0",
	"mesh:accels=5,ber=0",
	"ualink-pod:accels=6,switches=3,ber=0",
	"ualink-pod:accels=4,switches=2,forwarding=store-and-forward,ber=0",
	"ualink-pod:accels=4,switches=2,retimers=2,ber=0",
	"ualink-pod:accels=4,switches=2,retimers=1,retimer-fec=terminate,ber=0",
	"ualink-pod:accels=4,switches=1,encoding=nvlink4,ber=0",
	"ualink-pod:accels=4,switches=1,encoding=eth-800g,ber=0",
	"ualink-pod:accels=4,switches=1,encoding=pcie6,ber=0",
	"dgx-h100:ber=0",
	"nvl72:accels=8,ber=0",
};

START_TEST(closed_form_generated)
{
	int c = check_closed_form(generated[_i]);
	ck_assert_msg(c > 0, "%s: nothing checked", generated[_i]);
}
END_TEST

/* ---- 2. bandwidth ------------------------------------------------------ */

/* The bottleneck of a route for requests of `payload`: min over hops of R payload / w. */
static double bottleneck(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow, uint64_t payload)
{
	podfab_hop_t hops[CF_MAX_HOPS];
	int nh = podfab_topo_route(t, src, dst, flow, hops, CF_MAX_HOPS);
	ck_assert_int_gt(nh, 0);
	double bw = INFINITY;
	for (int i = 0; i < nh; i++) {
		const podfab_link_t *l = podfab_topo_link(t, hops[i].dlink / 2);
		double w = cf_wire(l->enc, l->enc ? l->enc->req_header_bytes : 0, payload);
		double b = cf_rate(l) * (double)payload / w;
		bw = b < bw ? b : bw;
	}
	return bw;
}

#define BW_N 2000

START_TEST(bandwidth_one_stream)
{
	podfab_topo_t t = load("ualink-pod:accels=2,switches=1,ber=0");
	struct eng e;
	eng_open(&e, t, 1);
	double first = 0, last = 0;
	for (int i = 0; i < BW_N; i++) {
		double a, c;
		ck_assert_int_eq(pf_tm_op(&e.tm, 0, 1, 0, 256, 0, 0.0, NULL, &a, &c), 0);
		if (i == 0)
			first = c;
		last = c > last ? c : last;
	}
	double want = bottleneck(t, 0, 1, 0, 256);
	/* steady state: one request's worth of bytes per completion spacing */
	double got = (BW_N - 1) * 256.0 / (last - first);
	ck_assert_msg(close_rel(got, want, 0.02), "one stream: %.6g B/ns, bottleneck %.6g B/ns", got, want);
	/* from the first start (t = 0): N - 1 serialisations behind the first, whose latency is the closed form */
	double ser = 256.0 / want;
	double want_last = (BW_N - 1) * ser + cf_op(t, 0, 1, 0, 256, 0, NULL);
	ck_assert_msg(close_rel(last, want_last, 1e-9), "one stream: last completion %.12g ns, expected %.12g ns",
		      last, want_last);
	double got0 = BW_N * 256.0 / last;
	ck_assert_msg(got0 <= want * (1 + 1e-9), "one stream from t=0: %.6g B/ns above the bottleneck %.6g B/ns", got0,
		      want);
	eng_close(&e);
	podfab_topo_free(t);
}
END_TEST

START_TEST(bandwidth_two_streams)
{
	podfab_topo_t t = load("ualink-pod:accels=3,switches=1,ber=0");
	struct eng e;
	eng_open(&e, t, 1);
	double first[2] = {-1, -1}, last[2] = {0, 0};
	for (int i = 0; i < 2 * BW_N; i++) {
		uint32_t s = (uint32_t)(i & 1);
		double a, c;
		ck_assert_int_eq(pf_tm_op(&e.tm, s, 2, 0, 256, 0, 0.0, NULL, &a, &c), 0);
		if (first[s] < 0)
			first[s] = c;
		last[s] = c > last[s] ? c : last[s];
	}
	double link = bottleneck(t, 0, 2, 0, 256); /* the shared switch -> accel2 link has the same rate */
	for (int s = 0; s < 2; s++) {
		double got = (BW_N - 1) * 256.0 / (last[s] - first[s]);
		ck_assert_msg(close_rel(got, link / 2, 0.05), "stream %d of 2: %.6g B/ns, half the link %.6g B/ns", s,
			      got, link / 2);
	}
	eng_close(&e);
	podfab_topo_free(t);
}
END_TEST

/* ---- 2b. operations of several requests -------------------------------- */

START_TEST(multi_request_ops)
{
	podfab_topo_t t = load("ualink-pod:accels=2,switches=1,ber=0");
	struct eng e;
	eng_open(&e, t, 1);
	const podfab_link_t *l = podfab_topo_link(t, 0);
	const podfab_encoding_t *enc = l->enc;
	double R = cf_rate(l);
	/* a 1024-byte write: 4 requests of 256 pipelined on equal links, each answered */
	double ser = cf_wire(enc, enc->req_header_bytes, 256) / R;
	double a, c, want_a;
	ck_assert_int_eq(pf_tm_op(&e.tm, 0, 1, 0, 1024, 0, 0.0, NULL, &a, &c), 0);
	double want_c = cf_op(t, 0, 1, 0, 256, 0, &want_a);
	/* every request of the op takes its own flow (flow + i x 256): one plane here, so the same route */
	ck_assert_msg(close_rel(a, want_a + 3 * ser, 1e-9), "write 1024: arrive %.12g, expected %.12g", a,
		      want_a + 3 * ser);
	ck_assert_msg(close_rel(c, want_c + 3 * ser, 1e-9), "write 1024: complete %.12g, expected %.12g", c,
		      want_c + 3 * ser);
	/* a 1024-byte read: 4 small requests, 4 responses of 256 queue on the way back */
	eng_reset(&e);
	double rser = cf_wire(enc, enc->resp_header_bytes, 256) / R;
	ck_assert_int_eq(pf_tm_op(&e.tm, 0, 1, 0, 0, 1024, 0.0, NULL, &a, &c), 0);
	want_c = cf_op(t, 0, 1, 0, 0, 256, &want_a);
	double qser = cf_wire(enc, enc->req_header_bytes, 0) / R;
	ck_assert_msg(close_rel(a, want_a + 3 * qser, 1e-9), "read 1024: arrive %.12g, expected %.12g", a,
		      want_a + 3 * qser);
	ck_assert_msg(close_rel(c, want_c + 3 * rser, 1e-9), "read 1024: complete %.12g, expected %.12g", c,
		      want_c + 3 * rser);
	/* the link counters: 4 requests and 4 responses, the payload once each way */
	pf_tm_flush(&e.tm);
	uint64_t msgs = 0, bytes = 0;
	for (uint32_t d = 0; d < 2 * podfab_topo_nlinks(t); d++) {
		msgs += atomic_load(&e.links[d].messages);
		bytes += atomic_load(&e.links[d].bytes);
	}
	ck_assert_uint_eq(msgs, 4 * 2 * 2); /* two hops each way */
	ck_assert_uint_eq(bytes, 1024 * 2);
	eng_close(&e);
	podfab_topo_free(t);
}
END_TEST

/* ---- 2c. the calendar (busy time per window, as in a job) --------------- */

START_TEST(calendar_bandwidth)
{
	podfab_topo_t t = load("ualink-pod:accels=2,switches=1,ber=0");
	struct eng e;
	eng_open_cal(&e, t, 1);
	double first = 0, last = 0;
	for (int i = 0; i < BW_N; i++) {
		double a, c;
		ck_assert_int_eq(pf_tm_op(&e.tm, 0, 1, 0, 256, 0, 0.0, NULL, &a, &c), 0);
		if (i == 0)
			first = c;
		last = c > last ? c : last;
	}
	double want = bottleneck(t, 0, 1, 0, 256);
	double got = (BW_N - 1) * 256.0 / (last - first);
	ck_assert_msg(close_rel(got, want, 0.02), "calendar, one stream: %.6g B/ns, bottleneck %.6g B/ns", got, want);
	/* busy times are kept to the picosecond (rounded up): at most 1 ps per message and hop late */
	double want_last = (BW_N - 1) * (256.0 / want) + cf_op(t, 0, 1, 0, 256, 0, NULL);
	ck_assert_msg(last >= want_last - 1e-6 && last <= want_last + 2 * BW_N * 1e-3,
		      "calendar, one stream: last completion %.12g ns, expected %.12g ns", last, want_last);
	eng_close(&e);
	podfab_topo_free(t);
}
END_TEST

START_TEST(calendar_lagging_clock)
{
	podfab_topo_t t = load("ualink-pod:accels=3,switches=1,ber=0");
	for (int cal = 0; cal < 2; cal++) {
		struct eng e;
		if (cal)
			eng_open_cal(&e, t, 1);
		else
			eng_open(&e, t, 1);
		double a, c, want_a;
		/* accelerator 1 is far ahead: it keeps the link into 2 busy around t = 100 us */
		for (int i = 0; i < 100; i++)
			ck_assert_int_eq(pf_tm_op(&e.tm, 1, 2, 0, 256, 0, 100000.0, NULL, &a, &c), 0);
		/* accelerator 0, still at t = 0, writes to 2 over the same link */
		ck_assert_int_eq(pf_tm_op(&e.tm, 0, 2, 0, 256, 0, 0.0, NULL, &a, &c), 0);
		double want_c = cf_op(t, 0, 2, 0, 256, 0, &want_a);
		if (cal)
			ck_assert_msg(close_rel(a, want_a, 1e-9),
				      "calendar: a write from the past queued behind future traffic: %.12g, zero load %.12g",
				      a, want_a);
		else
			ck_assert_msg(a > 100000.0, "one busy time: the write from t=0 should queue (%.12g)", a);
		(void)want_c;
		eng_close(&e);
	}
	podfab_topo_free(t);
}
END_TEST

/* ---- 3. store-and-forward vs cut-through ------------------------------- */

static void saf_vs_ct(const char *encname, double gbps, uint64_t payload)
{
	const podfab_encoding_t *enc = podfab_encoding_find(encname);
	ck_assert_ptr_nonnull(enc);
	for (uint32_t k = 1; k <= 3; k++) {
		double lat[2];
		podfab_topo_t tt[2];
		for (int ct = 0; ct < 2; ct++) {
			tt[ct] = chain(k, ct, enc, gbps, 0.0);
			struct eng e;
			eng_open(&e, tt[ct], 1);
			double a;
			ck_assert_int_eq(pf_tm_message(&e.tm, 0, 1, 0, 0, payload, 0.0, &a), 0);
			lat[ct] = a;
			ck_assert_msg(close_rel(a, cf_oneway(tt[ct], 0, 1, 0, 0, payload), 1e-9),
				      "%s %u switches %s: %.12g vs closed form %.12g", encname, k,
				      ct ? "cut-through" : "store-and-forward", a, cf_oneway(tt[ct], 0, 1, 0, 0, payload));
			eng_close(&e);
		}
		const podfab_link_t *l = podfab_topo_link(tt[0], 0);
		double w = cf_wire(enc, enc->req_header_bytes, payload);
		double h = enc->fec_codeword_bytes ? enc->fec_codeword_bytes
			   : enc->dl_frame_bytes   ? enc->dl_frame_bytes
						   : enc->flit_bytes;
		if (h > w)
			h = w;
		double want = k * (w - h) / cf_rate(l);
		double got = lat[0] - lat[1];
		ck_assert_msg(fabs(got - want) <= 1e-9 * lat[0],
			      "%s payload %llu, %u switches: SAF - CT = %.12g ns, expected k (w - head) / R = %.12g ns",
			      encname, (unsigned long long)payload, k, got, want);
		podfab_topo_free(tt[0]);
		podfab_topo_free(tt[1]);
	}
}

/*
 * A slow link into a cut-through switch and a fast one out: the message cannot
 * reach the destination before its last byte has crossed the slow link, the
 * switch and the fast link's propagation (the head alone would be earlier).
 */
START_TEST(cut_through_causality)
{
	const podfab_encoding_t *enc = podfab_encoding_find("nvlink4");
	podfab_topo_t t = NULL;
	ck_assert_int_eq(podfab_topo_new(&t), 0);
	podfab_node_t acc, sw;
	memset(&acc, 0, sizeof acc);
	acc.kind = PODFAB_NODE_ACCEL;
	acc.latency_ns = 20;
	acc.egress_ns = 0;
	acc.max_request = 256;
	acc.plane = -1;
	acc.coord[0] = acc.coord[1] = acc.coord[2] = -1;
	sw = acc;
	sw.kind = PODFAB_NODE_SWITCH;
	sw.latency_ns = 100;
	sw.max_request = 0;
	sw.cut_through = 1;
	podfab_link_t in, out;
	memset(&in, 0, sizeof in);
	in.lanes = 1;
	in.lane_gbps = 50.0; /* 6.25 B/ns */
	in.prop_ns = 5;
	in.enc = enc;
	in.up = 1;
	out = in;
	out.lanes = 8;
	out.lane_gbps = 100.0; /* 100 B/ns */
	uint32_t a, b, x;
	ck_assert_int_eq(podfab_topo_add_node(t, &acc, &a), 0);
	ck_assert_int_eq(podfab_topo_add_node(t, &sw, &x), 0);
	ck_assert_int_eq(podfab_topo_add_node(t, &acc, &b), 0);
	ck_assert_int_eq(podfab_topo_add_link(t, a, x, &in, NULL), 0);
	ck_assert_int_eq(podfab_topo_add_link(t, x, b, &out, NULL), 0);
	ck_assert_int_eq(podfab_topo_finish(t), 0);
	struct eng e;
	eng_open(&e, t, 1);
	double arr;
	ck_assert_int_eq(pf_tm_message(&e.tm, 0, 1, 0, 0, 256, 0.0, &arr), 0);
	double w = cf_wire(enc, enc->req_header_bytes, 256);
	/* last byte: w / 6.25 on the slow link, then prop, the switch, prop, ingress */
	double bound = w / 6.25 + 5 + 100 + 5 + 20;
	ck_assert_msg(arr >= bound - 1e-9, "arrival %.6f ns before the last byte could arrive (%.6f ns)", arr, bound);
	ck_assert_msg(arr <= bound + 1e-9, "arrival %.6f ns later than the tail bound %.6f ns on an idle path", arr,
		      bound);
	eng_close(&e);
	podfab_topo_free(t);
}
END_TEST

START_TEST(saf_vs_cut_through)
{
	saf_vs_ct("nvlink4", 100.0, 256);     /* head = one 16-byte flit */
	saf_vs_ct("ualink-200g", 200.0, 4096); /* head = one 680-byte codeword */
	saf_vs_ct("ualink-200g", 200.0, 256);  /* w < a codeword: no difference */
	saf_vs_ct("pcie5", 32.0, 1024);        /* head = one DL frame */
}
END_TEST

/* ---- 4. ordering over planes ------------------------------------------ */

static int plane_of(podfab_topo_t t, uint32_t s, uint32_t d, uint64_t flow)
{
	podfab_hop_t h[CF_MAX_HOPS];
	ck_assert_int_gt(podfab_topo_route(t, s, d, flow, h, CF_MAX_HOPS), 0);
	return podfab_topo_node(t, h[0].node)->plane;
}

/* Returns inversions of arrival order among 300 ops from 0 to 1 with background on plane 0. */
static int ordering_run(podfab_topo_t t, int use_order, int *on_busy)
{
	struct eng e;
	eng_open(&e, t, 1);
	int busy = plane_of(t, 0, 1, 0);
	/* background: accelerator 2 floods accelerator 1 over the plane of flow 0 */
	int nbg = 0;
	for (uint64_t f = 0; nbg < 400; f += 64) {
		if (plane_of(t, 2, 1, f) != busy)
			continue;
		double a, c;
		ck_assert_int_eq(pf_tm_op(&e.tm, 2, 1, f, 256, 0, 0.0, NULL, &a, &c), 0);
		nbg++;
	}
	double order = 0, prev = -1;
	int inv = 0;
	*on_busy = 0;
	for (int i = 0; i < 300; i++) {
		uint64_t f = (uint64_t)i * 256;
		*on_busy += plane_of(t, 0, 1, f) == busy;
		double a, c;
		ck_assert_int_eq(pf_tm_op(&e.tm, 0, 1, f, 256, 0, 5.0 * i, use_order ? &order : NULL, &a, &c), 0);
		if (a < prev)
			inv++;
		prev = a;
	}
	eng_close(&e);
	return inv;
}

START_TEST(ordering_over_planes)
{
	podfab_topo_t t = load("ualink-pod:accels=4,switches=4,ber=0");
	int on_busy;
	int without = ordering_run(t, 0, &on_busy);
	ck_assert_msg(on_busy > 0 && on_busy < 300, "flows should spread over planes: %d of 300 on one", on_busy);
	ck_assert_msg(without > 0, "without the order slot no arrival went backwards: the test would not catch it");
	int with = ordering_run(t, 1, &on_busy);
	ck_assert_msg(with == 0, "with the order slot %d arrivals went backwards", with);
	podfab_topo_free(t);
}
END_TEST

/* ---- 5. bit errors ----------------------------------------------------- */

#define BER_N 200000

static podfab_topo_t direct(const char *encname, double gbps, double ber)
{
	/* two accelerators on one link: a chain of no switches */
	return chain(0, 0, podfab_encoding_find(encname), gbps, ber);
}

/* n messages of 256 B from 0 to 1 at t=0; returns replays, *last = latest arrival. */
static uint64_t ber_run(podfab_topo_t t, uint64_t seed, uint32_t n, double *last)
{
	struct eng e;
	eng_open(&e, t, seed);
	*last = 0;
	for (uint32_t i = 0; i < n; i++) {
		double a;
		ck_assert_int_eq(pf_tm_message(&e.tm, 0, 1, i, 0, 256, 0.0, &a), 0);
		*last = a > *last ? a : *last;
	}
	uint64_t r = eng_replays(&e);
	eng_close(&e);
	return r;
}

static void expect_replays(const char *what, uint64_t got, double p, uint32_t n)
{
	double mean = n * p / (1 - p), sd = sqrt(n * p) / (1 - p);
	ck_assert_msg(fabs((double)got - mean) <= 5 * sd,
		      "%s: %llu replays over %u messages, expected %.1f +- %.1f (p = %.6g per message)", what,
		      (unsigned long long)got, n, mean, sd, p);
}

/* P(more than t of n symbols wrong), symbols wrong with probability q each: own recurrence. */
static double tail(uint32_t n, uint32_t t, double q)
{
	double pmf = pow(1 - q, n), cdf = 0;
	for (uint32_t j = 0; j <= t; j++) {
		cdf += pmf;
		pmf *= (double)(n - j) / (j + 1) * q / (1 - q);
	}
	return 1 - cdf;
}

/* Each replay adds w/R + 2 prop + the encoding's FEC latency to that message's zero-load latency. */
static void replay_latency(podfab_topo_t t, const podfab_encoding_t *enc, uint64_t seed)
{
	struct eng e;
	eng_open(&e, t, seed);
	const podfab_link_t *l = podfab_topo_link(t, 0);
	double ser = cf_wire(enc, enc->req_header_bytes, 256) / cf_rate(l);
	double zero = cf_oneway(t, 0, 1, 0, 0, 256);
	double per = ser + 2 * l->prop_ns + enc->fec_latency_ns;
	int seen = 0;
	for (int i = 0; i < 20000 && seen < 20; i++) {
		eng_reset(&e);
		double a;
		ck_assert_int_eq(pf_tm_message(&e.tm, 0, 1, 0, 0, 256, 0.0, &a), 0);
		uint64_t k = eng_replays(&e);
		ck_assert_msg(close_rel(a, zero + (double)k * per, 1e-9),
			      "%s: message with %llu replays arrived at %.12g, expected %.12g + %llu x %.12g", enc->name,
			      (unsigned long long)k, a, zero, (unsigned long long)k, per);
		seen += k > 0;
	}
	ck_assert_int_ge(seen, 5);
	eng_close(&e);
}

START_TEST(bit_errors_no_fec)
{
	const double ber = 1e-5;
	podfab_topo_t t = direct("nvlink4", 100.0, ber);
	const podfab_encoding_t *enc = podfab_encoding_find("nvlink4");
	double w = cf_wire(enc, enc->req_header_bytes, 256);
	double p = 1 - pow(1 - ber, 8 * w);
	double last1, last2, last3;
	uint64_t r1 = ber_run(t, 42, BER_N, &last1);
	expect_replays("nvlink4 ber 1e-5", r1, p, BER_N);
	uint64_t r2 = ber_run(t, 42, BER_N, &last2);
	ck_assert_msg(r1 == r2 && last1 == last2, "same seed: %llu / %.17g vs %llu / %.17g",
		      (unsigned long long)r1, last1, (unsigned long long)r2, last2);
	uint64_t r3 = ber_run(t, 43, BER_N, &last3);
	ck_assert_msg(r1 != r3 && last1 != last3, "another seed gave the same %llu replays, last %.17g",
		      (unsigned long long)r3, last3);
	/* back-to-back at t=0: the link serialises (n + replays) copies */
	const podfab_link_t *l = podfab_topo_link(t, 0);
	double ser = w / cf_rate(l);
	ck_assert_msg(last1 >= (BER_N + r1 - 1) * ser, "last arrival %.12g before the link could send %llu copies",
		      last1, (unsigned long long)(BER_N + r1));
	replay_latency(t, enc, 7);
	podfab_topo_free(t);
}
END_TEST

START_TEST(bit_errors_fec)
{
	const double ber = 3e-3;
	podfab_topo_t t = direct("ualink-200g", 200.0, ber);
	const podfab_encoding_t *enc = podfab_encoding_find("ualink-200g");
	uint32_t n = enc->fec_codeword_bytes * 8 / 10, k = enc->fec_data_bytes * 8 / 10, tt = (n - k) / 2;
	double q = 1 - pow(1 - ber, 10);
	double pcw = tail(n, tt, q);
	double w = cf_wire(enc, enc->req_header_bytes, 256);
	/* the message spans w / codeword codewords; it fails if any fails */
	double p = 1 - pow(1 - pcw, w / enc->fec_codeword_bytes);
	double last;
	uint64_t r = ber_run(t, 42, BER_N, &last);
	char what[128];
	snprintf(what, sizeof what, "ualink-200g ber 3e-3 (codeword failure %.6g)", pcw);
	expect_replays(what, r, p, BER_N);
	replay_latency(t, enc, 9);
	/* at a ber FEC corrects, nothing is replayed */
	podfab_topo_t t2 = direct("ualink-200g", 200.0, 1e-6);
	ck_assert_uint_eq(ber_run(t2, 42, 20000, &last), 0);
	podfab_topo_free(t2);
	podfab_topo_free(t);
}
END_TEST

/* ---- 6. links down ----------------------------------------------------- */

START_TEST(link_down)
{
	podfab_topo_t t = load("ualink-pod:accels=2,switches=2,ber=0");
	struct eng e;
	eng_open(&e, t, 1);
	podfab_hop_t h[CF_MAX_HOPS];
	ck_assert_int_gt(podfab_topo_route(t, 0, 1, 0, h, CF_MAX_HOPS), 0);
	uint32_t first = h[0].dlink / 2;
	ck_assert_int_eq(podfab_topo_link_set_up(t, first, 0), 0);
	for (uint64_t f = 0; f < 64 * 256; f += 256) {
		int nh = podfab_topo_route(t, 0, 1, f, h, CF_MAX_HOPS);
		ck_assert_int_gt(nh, 0);
		for (int i = 0; i < nh; i++)
			ck_assert_msg(h[i].dlink / 2 != first, "flow %llu still routed over link %u, which is down",
				      (unsigned long long)f, first);
		eng_reset(&e);
		double a, c;
		ck_assert_int_eq(pf_tm_op(&e.tm, 0, 1, f, 256, 0, 0.0, NULL, &a, &c), 0);
		ck_assert_msg(close_rel(c, cf_op(t, 0, 1, f, 256, 0, NULL), 1e-9), "rerouted op: %.12g", c);
	}
	/* every link of accelerator 0 down: no path */
	const podfab_node_t *a0 = podfab_topo_node(t, podfab_topo_accel_node(t, 0));
	for (uint32_t p = 0; p < a0->nports; p++)
		ck_assert_int_eq(podfab_topo_link_set_up(t, a0->port_link[p], 0), 0);
	double a, c;
	int rc = pf_tm_op(&e.tm, 0, 1, 0, 256, 0, 0.0, NULL, &a, &c);
	ck_assert_int_eq(rc, -PODFAB_EUNREACHABLE);
	rc = pf_tm_op(&e.tm, 1, 0, 0, 0, 256, 0.0, NULL, &a, &c);
	ck_assert_int_eq(rc, -PODFAB_EUNREACHABLE);
	/* and back up */
	for (uint32_t p = 0; p < a0->nports; p++)
		ck_assert_int_eq(podfab_topo_link_set_up(t, a0->port_link[p], 1), 0);
	ck_assert_int_eq(pf_tm_op(&e.tm, 0, 1, 0, 256, 0, 0.0, NULL, &a, &c), 0);
	eng_close(&e);
	podfab_topo_free(t);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("closed-form");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, closed_form_bundled);
	tcase_add_loop_test(tc, closed_form_generated, 0, (int)(sizeof generated / sizeof generated[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("behaviour");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, bandwidth_one_stream);
	tcase_add_test(tc, bandwidth_two_streams);
	tcase_add_test(tc, multi_request_ops);
	tcase_add_test(tc, calendar_bandwidth);
	tcase_add_test(tc, calendar_lagging_clock);
	tcase_add_test(tc, saf_vs_cut_through);
	tcase_add_test(tc, cut_through_causality);
	tcase_add_test(tc, ordering_over_planes);
	tcase_add_test(tc, bit_errors_no_fec);
	tcase_add_test(tc, bit_errors_fec);
	tcase_add_test(tc, link_down);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
