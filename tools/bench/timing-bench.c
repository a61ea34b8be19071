/*
 * timing-bench - what the timing engine costs and how well realtime mode
 * keeps to the model.  One process, side by side in one run: the same
 * operations on 2 accelerators (2 threads of this process) in the functional,
 * virtual and realtime modes, over one fabric model.
 *
 *   timing-bench [-m MODEL] [-n ITERS] [-d DILATION] [--size BYTES]
 *
 * Figures (accelerator 0 targets accelerator 1; medians of --reps runs):
 *   functional / virtual ns per 8-byte blocking put, and the virtual mode's
 *     extra cost per hop per message: (virtual - functional) / (hops of the
 *     request + hops of the response);
 *   the same for a 4 KiB put (16 requests of 256 bytes): per request-hop;
 *   modelled latency of the 8-byte put (the virtual clock's step) and the
 *     realtime mode's measured latency (wall clock around each put, median),
 *     their ratio at dilation D (target: within 5% when model x D >= 2 us),
 *     and the realtime overhead beyond the model (measured - model x D);
 *   modelled bandwidth of a stream of --size-byte put_nb (virtual clock) and
 *     the realtime mode's achieved one, and their ratio.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <podfab/podfab.h>
#include <podfab/topo.h>

struct cfg {
	const char *model;
	long iters;
	int reps;
	double dilation;
	size_t size;
};

struct result {
	double put8_ns, put4k_ns;          /* wall ns per blocking put */
	double put8_model_ns, put4k_model_ns; /* virtual clock step per put */
	double put8_rt_median_ns;          /* realtime: median wall latency */
	double bw_model_gbs, bw_wall_gbs;  /* stream of put_nb: GB/s of model time, of wall time */
	int hops;                          /* request + response hops of a put 0 -> 1 */
	int rc;
};

struct thr {
	const struct cfg *cfg;
	int mode, id;
	char job[64];
	struct result *res;
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define TRY(x)                                                                                  \
	do {                                                                                    \
		int rc_ = (x);                                                                  \
		if (rc_ < 0) {                                                                  \
			fprintf(stderr, "timing-bench: %s: %s (%s)\n", #x, podfab_strerror(rc_), \
				podfab_error_detail());                                         \
			t->res->rc = rc_;                                                       \
			return NULL;                                                            \
		}                                                                               \
	} while (0)

static int route_hops(podfab_t pf, int a, int b)
{
	podfab_hop_t h[64];
	int n = podfab_topo_route(podfab_model(pf), (uint32_t)a, (uint32_t)b, 0, h, 64);
	return n < 0 ? 0 : n;
}

static void *run(void *arg)
{
	struct thr *t = arg;
	const struct cfg *c = t->cfg;
	podfab_params_t p;
	memset(&p, 0, sizeof p);
	p.field_mask = PODFAB_PARAM_ACCEL_ID | PODFAB_PARAM_NACCELS | PODFAB_PARAM_JOB | PODFAB_PARAM_MODEL |
		       PODFAB_PARAM_TIMING | PODFAB_PARAM_DILATION;
	p.accel_id = t->id;
	p.naccels = 2;
	p.job = t->job;
	p.model = c->model;
	p.timing = (podfab_timing_t)t->mode;
	p.dilation = t->mode == PODFAB_TIMING_REALTIME ? c->dilation : 1.0;
	podfab_t pf;
	TRY(podfab_init(&p, &pf));
	size_t segsz = c->size > 4096 ? c->size : 4096;
	podfab_seg_t seg;
	TRY(podfab_seg_alloc(pf, segsz, &seg));
	char *buf = calloc(1, segsz);
	if (!buf) {
		t->res->rc = -1;
		return NULL;
	}
	struct result *r = t->res;
	TRY(podfab_barrier(pf));
	if (t->id == 0) {
		r->hops = route_hops(pf, 0, 1) + route_hops(pf, 1, 0);
		double *lat = calloc((size_t)c->reps, sizeof *lat), *lat4 = calloc((size_t)c->reps, sizeof *lat4);
		double *one = calloc((size_t)c->iters, sizeof *one);
		double m0, m1;
		for (int rep = 0; rep < c->reps; rep++) {
			/* 8-byte blocking puts. */
			TRY(podfab_time(pf, &m0));
			double w0 = now_ns();
			for (long i = 0; i < c->iters; i++) {
				double a = t->mode == PODFAB_TIMING_REALTIME ? now_ns() : 0;
				TRY(podfab_put(pf, 1, seg, 0, buf, 8));
				if (t->mode == PODFAB_TIMING_REALTIME)
					one[i] = now_ns() - a;
			}
			double w1 = now_ns();
			TRY(podfab_time(pf, &m1));
			lat[rep] = (w1 - w0) / (double)c->iters;
			r->put8_model_ns = (m1 - m0) / (double)c->iters;
			if (t->mode == PODFAB_TIMING_REALTIME)
				r->put8_rt_median_ns = median(one, (int)c->iters);
			/* 4 KiB blocking puts: 16 requests each. */
			long it4 = c->iters / 4 > 0 ? c->iters / 4 : 1;
			TRY(podfab_time(pf, &m0));
			w0 = now_ns();
			for (long i = 0; i < it4; i++)
				TRY(podfab_put(pf, 1, seg, 0, buf, 4096));
			w1 = now_ns();
			TRY(podfab_time(pf, &m1));
			lat4[rep] = (w1 - w0) / (double)it4;
			r->put4k_model_ns = (m1 - m0) / (double)it4;
		}
		r->put8_ns = median(lat, c->reps);
		r->put4k_ns = median(lat4, c->reps);
		/* A stream of put_nb: bandwidth in model time and, in realtime, in wall time. */
		long nstream = (long)(64.0 * 1024 * 1024 / (double)c->size);
		if (nstream < 16)
			nstream = 16;
		TRY(podfab_quiet(pf));
		TRY(podfab_time(pf, &m0));
		double w0 = now_ns();
		for (long i = 0; i < nstream; i++)
			TRY(podfab_put_nb(pf, 1, seg, 0, buf, c->size, NULL));
		TRY(podfab_quiet(pf));
		double w1 = now_ns();
		TRY(podfab_time(pf, &m1));
		double bytes = (double)nstream * (double)c->size;
		r->bw_model_gbs = bytes / (m1 - m0);
		r->bw_wall_gbs = bytes / (w1 - w0);
		free(lat);
		free(lat4);
		free(one);
	}
	TRY(podfab_barrier(pf));
	free(buf);
	TRY(podfab_seg_free(pf, seg));
	TRY(podfab_finalize(pf));
	return NULL;
}

static int run_mode(const struct cfg *c, int mode, struct result *res)
{
	pthread_t th[2];
	struct thr t[2];
	memset(res, 0, sizeof *res);
	for (int i = 0; i < 2; i++) {
		t[i].cfg = c;
		t[i].mode = mode;
		t[i].id = i;
		t[i].res = res;
		snprintf(t[i].job, sizeof t[i].job, "tbench-%d-%d", (int)getpid(), mode);
		if (pthread_create(&th[i], NULL, run, &t[i]) != 0)
			return -1;
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	return res->rc;
}

int main(int argc, char **argv)
{
	struct cfg c = {"fabric-models/default.yaml", 20000, 5, 4.0, 65536};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-m") && i + 1 < argc)
			c.model = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			c.iters = atol(argv[++i]);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			c.reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			c.dilation = atof(argv[++i]);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			c.size = (size_t)atol(argv[++i]);
		else {
			fprintf(stderr, "usage: timing-bench [-m MODEL] [-n ITERS] [-r REPS] [-d DILATION] [--size BYTES]\n");
			return 2;
		}
	}
	if (c.iters < 1 || c.reps < 1 || !(c.dilation > 0) || c.size < 1) {
		fprintf(stderr, "timing-bench: -n, -r, -d and --size must be positive\n");
		return 2;
	}
	/* What reading the clock twice costs: part of every measured latency. */
	double clk[1001];
	for (int i = 0; i < 1001; i++)
		clk[i] = now_ns();
	for (int i = 0; i < 1000; i++)
		clk[i] = clk[i + 1] - clk[i];
	double clock_ns = median(clk, 1000);
	struct result f, v, rt;
	if (run_mode(&c, PODFAB_TIMING_FUNCTIONAL, &f) || run_mode(&c, PODFAB_TIMING_VIRTUAL, &v) ||
	    run_mode(&c, PODFAB_TIMING_REALTIME, &rt))
		return 1;
	int req4k = 4096 / 256;
	printf("timing-bench: model %s, 2 accelerators as threads, %ld iterations x %d repetitions (medians)\n",
	       c.model, c.iters, c.reps);
	printf("  route 0 -> 1 -> 0: %d hops (request + response)\n", v.hops);
	printf("  8 B put:   functional %.1f ns, virtual %.1f ns per op -> engine cost %.1f ns per hop per message"
	       " (target <= 50)\n", f.put8_ns, v.put8_ns, (v.put8_ns - f.put8_ns) / v.hops);
	printf("  4 KiB put: functional %.1f ns, virtual %.1f ns per op (%d requests) -> %.1f ns per hop per"
	       " message\n", f.put4k_ns, v.put4k_ns, req4k, (v.put4k_ns - f.put4k_ns) / (v.hops * req4k));
	printf("  model latency of an 8 B put: %.1f ns; of a 4 KiB put: %.1f ns\n", v.put8_model_ns,
	       v.put4k_model_ns);
	double want = v.put8_model_ns * c.dilation;
	printf("  realtime, dilation %g: 8 B put median %.1f ns wall vs model x dilation %.1f ns: ratio %.4f"
	       " (%+.2f%%), overhead beyond the model %.1f ns (target <= 100)\n", c.dilation,
	       rt.put8_rt_median_ns, want, rt.put8_rt_median_ns / want,
	       100.0 * (rt.put8_rt_median_ns / want - 1.0), rt.put8_rt_median_ns - want);
	printf("    (the measurement's own clock read costs %.1f ns of that: %.1f ns net)\n", clock_ns,
	       rt.put8_rt_median_ns - want - clock_ns);
	double bw_rt = rt.bw_wall_gbs * c.dilation; /* achieved, in model time */
	printf("  put_nb stream of %zu B: model %.2f GB/s (virtual clock); realtime achieved %.2f GB/s of model"
	       " time (wall %.3f GB/s at dilation %g): ratio %.4f (%+.2f%%)\n", c.size, v.bw_model_gbs, bw_rt,
	       rt.bw_wall_gbs, c.dilation, bw_rt / v.bw_model_gbs, 100.0 * (bw_rt / v.bw_model_gbs - 1.0));
	return 0;
}
