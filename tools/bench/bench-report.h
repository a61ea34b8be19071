/*
 * bench-report.h - what podfab-bench and oshmem-bench share: the clock, the
 * statistics over repetitions, the result table and the JSON file, so that
 * both programs measure and print exactly the same way.
 *
 * Header-only (static inline functions) because oshmem-bench is compiled by
 * tools/bench/run-bench.sh with oshcc, outside the meson build.
 *
 * The JSON file is flat, one "key": value pair per line, so that the driver
 * script can read it with awk alone.  Keys: <metric> (the median),
 * <metric>_best (the best repetition), and a few descriptive fields.
 */
#ifndef PODFAB_BENCH_REPORT_H
#define PODFAB_BENCH_REPORT_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_SMALL_BYTES 8
#define BENCH_BIG_BYTES ((size_t)1 << 20)
#define BENCH_ALIGN 4096
#define BENCH_DEFAULT_ITERS 200000L
#define BENCH_DEFAULT_BW_ITERS 1000L
#define BENCH_DEFAULT_REPS 21

/* The targets, printed next to the figures. */
#define BENCH_TARGET_LAT_RATIO 1.2   /* podfab small ops <= 1.2 x OpenSHMEM */
#define BENCH_TARGET_BARRIER_NS 100.0 /* barrier of 2 accelerators */
#define BENCH_TARGET_BW_RATIO 0.90   /* 1 MiB put >= 90% of memcpy */

/* The metrics, in table order. */
enum bench_metric {
	BM_PUT_LAT,
	BM_GET_LAT,
	BM_FADD_LAT,
	BM_PUT_RATE,
	BM_PUT_BW,
	BM_BARRIER,
	BM_MEMCPY_BW,
	BM_ONE_WAY,
	BM_PUT_PONG,
	BM_COUNT
};

struct bench_metric_info {
	const char *key;   /* JSON key */
	const char *label; /* table label */
	const char *unit;
	int higher_better; /* rates and bandwidths: the best repetition is the largest */
};

static const struct bench_metric_info bench_metrics[BM_COUNT] = {
	[BM_PUT_LAT] = {"put_lat_ns", "8 B put latency", "ns/op", 0},
	[BM_GET_LAT] = {"get_lat_ns", "8 B get latency", "ns/op", 0},
	[BM_FADD_LAT] = {"fadd_lat_ns", "8 B fetch-add latency", "ns/op", 0},
	[BM_PUT_RATE] = {"put_rate_mops", "8 B put_nb message rate", "Mops/s", 1},
	[BM_PUT_BW] = {"put_bw_gbs", "1 MiB put bandwidth", "GB/s", 1},
	[BM_BARRIER] = {"barrier_ns", "barrier latency", "ns", 0},
	[BM_MEMCPY_BW] = {"memcpy_bw_gbs", "1 MiB memcpy bandwidth", "GB/s", 1},
	[BM_ONE_WAY] = {"one_way_ns", "core-to-core one-way (ref)", "ns", 0},
	[BM_PUT_PONG] = {"put_pingpong_ns", "8 B put ping-pong one-way", "ns", 0},
};

/*
 * The hardware reference for the barrier: half the round trip of a cache line
 * between the two CPUs, by plain loads and stores through a direct pointer
 * into the target's memory.  A barrier of 2 accelerators on different cores
 * cannot take less than one such one-way trip.
 */
#if defined(__x86_64__) || defined(__i386__)
#define BENCH_CPU_RELAX() __builtin_ia32_pause()
#else
#define BENCH_CPU_RELAX() ((void)0)
#endif

/*
 * One repetition of the ping-pong on the shared word *w: role 0 sends
 * (*seq + 1) and waits for (*seq + 2); role 1 answers.  n round trips;
 * *seq advances by 2n on both sides, so repetitions follow one another.
 */
static inline void bench_pingpong(_Atomic uint64_t *w, int role, long n, uint64_t *seq)
{
	uint64_t s = *seq;
	long i;

	for (i = 0; i < n; i++, s += 2) {
		if (role == 0) {
			atomic_store_explicit(w, s + 1, memory_order_release);
			while (atomic_load_explicit(w, memory_order_acquire) != s + 2)
				BENCH_CPU_RELAX();
		} else {
			while (atomic_load_explicit(w, memory_order_acquire) != s + 1)
				BENCH_CPU_RELAX();
			atomic_store_explicit(w, s + 2, memory_order_release);
		}
	}
	*seq = s;
}

/* The median and the best of the repetitions of one metric. */
struct bench_stat {
	int valid;
	double median;
	double best;
};

struct bench_options {
	long iters;    /* small operations and barriers per repetition */
	long bw_iters; /* 1 MiB puts and memcpys per repetition */
	int reps;
	const char *json;
};

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sort vals[0..n) in place and summarise them. */
static inline struct bench_stat bench_summarise(double *vals, int n, int higher_better)
{
	struct bench_stat s = {0, 0.0, 0.0};

	if (n <= 0)
		return s;
	qsort(vals, (size_t)n, sizeof(*vals), bench_cmp_double);
	s.valid = 1;
	s.median = n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2.0;
	s.best = higher_better ? vals[n - 1] : vals[0];
	return s;
}

/* Parse a positive integer option value; 0 when it is not one. */
static inline long bench_parse_count(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v <= 0)
		return 0;
	return v;
}

/* The help text of the options both programs accept. */
static inline void bench_print_common_options(FILE *f)
{
	fprintf(f,
		"  --iters N      small operations and barriers per repetition (default %ld)\n"
		"  --bw-iters N   1 MiB puts and memcpys per repetition (default %ld)\n"
		"  --reps N       repetitions; the median and the best are reported (default %d)\n"
		"  --json FILE    also write the results to FILE as flat JSON\n"
		"  --help         print this help\n",
		BENCH_DEFAULT_ITERS, BENCH_DEFAULT_BW_ITERS, BENCH_DEFAULT_REPS);
}

static inline void bench_print_table(FILE *f, const char *title, const struct bench_options *o,
			      const struct bench_stat *st)
{
	int m;

	fprintf(f, "%s\n", title);
	fprintf(f, "  (%ld small ops or barriers and %ld x 1 MiB per repetition, %d repetitions)\n",
		o->iters, o->bw_iters, o->reps);
	fprintf(f, "  %-28s %10s %10s  %s\n", "operation", "median", "best", "unit");
	for (m = 0; m < BM_COUNT; m++) {
		if (!st[m].valid) {
			fprintf(f, "  %-28s %10s %10s  %s\n", bench_metrics[m].label, "-", "-",
				bench_metrics[m].unit);
			continue;
		}
		fprintf(f, "  %-28s %10.2f %10.2f  %s\n", bench_metrics[m].label, st[m].median,
			st[m].best, bench_metrics[m].unit);
	}
	if (st[BM_PUT_BW].valid && st[BM_MEMCPY_BW].valid && st[BM_MEMCPY_BW].median > 0)
		fprintf(f, "  %-28s %10.2f %10s  (target >= %.2f)\n", "1 MiB put / memcpy",
			st[BM_PUT_BW].median / st[BM_MEMCPY_BW].median, "",
			BENCH_TARGET_BW_RATIO);
	if (st[BM_BARRIER].valid)
		fprintf(f, "  %-28s %10.2f %10s  (target < %.0f ns for 2 accelerators)\n",
			"barrier vs target", st[BM_BARRIER].median / BENCH_TARGET_BARRIER_NS, "",
			BENCH_TARGET_BARRIER_NS);
	if (st[BM_BARRIER].valid && st[BM_ONE_WAY].valid && st[BM_ONE_WAY].median > 0)
		fprintf(f, "  %-28s %10.2f %10s  (a barrier needs at least one one-way trip)\n",
			"barrier / one-way", st[BM_BARRIER].median / st[BM_ONE_WAY].median, "");
	fflush(f);
}

/*
 * Called through a volatile pointer so that the compiler cannot drop the
 * repeated copies to the same destination as dead stores.
 */
static void *(*volatile bench_memcpy_fn)(void *, const void *, size_t) = memcpy;

/*
 * The memcpy reference: 1 MiB copies between two 4096-aligned buffers of this
 * process, the same size and alignment as the 1 MiB put.  The benchmarks time
 * a memcpy repetition right after each put repetition, so that both see the
 * same state of the machine and their ratio is not skewed by drift.
 */
struct bench_memcpy {
	unsigned char *src, *dst;
};

/* 0, or -1 when the buffers cannot be allocated. */
static inline int bench_memcpy_init(struct bench_memcpy *m)
{
	m->src = aligned_alloc(BENCH_ALIGN, BENCH_BIG_BYTES);
	m->dst = aligned_alloc(BENCH_ALIGN, BENCH_BIG_BYTES);
	if (!m->src || !m->dst) {
		free(m->src);
		free(m->dst);
		m->src = m->dst = NULL;
		return -1;
	}
	memset(m->src, 0x5a, BENCH_BIG_BYTES);
	memset(m->dst, 0, BENCH_BIG_BYTES);
	return 0;
}

/* One repetition: n copies of 1 MiB; returns GB/s (1e9 bytes/s). */
static inline double bench_memcpy_once(struct bench_memcpy *m, long n)
{
	double t0 = bench_now_ns();
	long i;

	for (i = 0; i < n; i++)
		bench_memcpy_fn(m->dst, m->src, BENCH_BIG_BYTES);
	return (double)BENCH_BIG_BYTES * (double)n / (bench_now_ns() - t0);
}

/* Check that the copies happened and free the buffers: 0, or -1. */
static inline int bench_memcpy_fini(struct bench_memcpy *m)
{
	int bad = m->dst && memcmp(m->dst, m->src, BENCH_BIG_BYTES) != 0;

	free(m->src);
	free(m->dst);
	m->src = m->dst = NULL;
	return bad ? -1 : 0;
}

/* Write the flat JSON file; returns 0, or -1 with a message on stderr. */
static inline int bench_write_json(const char *path, const char *impl, const char *mode, int naccels,
			    const struct bench_options *o, const struct bench_stat *st)
{
	FILE *f = fopen(path, "w");
	int m;

	if (!f) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n");
	fprintf(f, "  \"impl\": \"%s\",\n", impl);
	fprintf(f, "  \"mode\": \"%s\",\n", mode);
	fprintf(f, "  \"naccels\": %d,\n", naccels);
	fprintf(f, "  \"iters\": %ld,\n", o->iters);
	fprintf(f, "  \"bw_iters\": %ld,\n", o->bw_iters);
	fprintf(f, "  \"reps\": %d,\n", o->reps);
	for (m = 0; m < BM_COUNT; m++) {
		if (!st[m].valid) {
			fprintf(f, "  \"%s\": null,\n  \"%s_best\": null,\n", bench_metrics[m].key,
				bench_metrics[m].key);
			continue;
		}
		fprintf(f, "  \"%s\": %.4f,\n  \"%s_best\": %.4f,\n", bench_metrics[m].key,
			st[m].median, bench_metrics[m].key, st[m].best);
	}
	if (st[BM_PUT_BW].valid && st[BM_MEMCPY_BW].valid && st[BM_MEMCPY_BW].median > 0)
		fprintf(f, "  \"put_bw_vs_memcpy\": %.4f\n",
			st[BM_PUT_BW].median / st[BM_MEMCPY_BW].median);
	else
		fprintf(f, "  \"put_bw_vs_memcpy\": null\n");
	fprintf(f, "}\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

#endif /* PODFAB_BENCH_REPORT_H */
