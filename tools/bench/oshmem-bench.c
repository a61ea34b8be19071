/*
 * oshmem-bench - the measurements of podfab-bench, made through an OpenSHMEM
 * implementation (Open MPI's oshmem), as the reference that podfab's figures
 * are compared against.  Same operations, same loops, same output.
 *
 * Not built by meson (the project must build without Open MPI):
 * tools/bench/run-bench.sh compiles it with oshcc and starts it with
 *
 *     oshrun --allow-run-as-root -np 2 --mca osc ^rdma ./oshmem-bench [options]
 *
 * PE 0 measures operations that target PE 1:
 *   8 B put latency      shmem_putmem of 8 bytes in a loop, then shmem_quiet
 *   8 B get latency      shmem_getmem of 8 bytes in a loop
 *   8 B fetch-add        shmem_ulonglong_atomic_fetch_add (64 bits) in a loop
 *   put_nb message rate  shmem_putmem_nbi of 8 bytes in a loop, then shmem_quiet
 *   1 MiB put bandwidth  shmem_putmem of 1 MiB in a loop, then shmem_quiet
 *   barrier latency      every PE loops shmem_barrier_all
 *   core-to-core one-way half the round trip of a cache line between PEs 0
 *                        and 1 (loads and stores through shmem_ptr)
 *   memcpy bandwidth     1 MiB memcpy between two buffers of PE 0, timed
 *                        after each repetition of the 1 MiB put
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmem.h>

#include "bench-report.h"

#define PROG "oshmem-bench"

/*
 * Symmetric data, from shmem_align() and not static: Open MPI maps the
 * symmetric heap of a peer on the same host into this process (shmem_ptr()
 * works), so puts, gets and atomics on it are direct loads and stores; static
 * symmetric variables are served by active messages in software instead,
 * which is tens of times slower.  The layout is that of podfab-bench's
 * segment: the 1 MiB target at 0, then the small-operation word and the
 * fetch-add word on cache lines of their own.
 */
#define SMALL_OFF BENCH_BIG_BYTES
#define FADD_OFF (BENCH_BIG_BYTES + 64)
#define PING_OFF (BENCH_BIG_BYTES + 128)  /* the ping-pong word */
#define AGREE_OFF (BENCH_BIG_BYTES + 192) /* PEs that can ping-pong */
#define SYM_BYTES (BENCH_BIG_BYTES + BENCH_ALIGN)

static unsigned char *sym;        /* symmetric: SYM_BYTES */
static unsigned char *big_dst;    /* sym + 0 */
static uint64_t *small_dst;       /* sym + SMALL_OFF */
/*
 * unsigned long long, not uint64_t: Open MPI 4.1 has no shmem_uint64_* atomics;
 * the unsigned long long ones are the same 64-bit operation.
 */
static unsigned long long *fadd_word; /* sym + FADD_OFF */

static _Atomic uint64_t *ping; /* PEs 0 and 1: the ping-pong word, through shmem_ptr */
static uint64_t ping_seq;
/* Round trips per repetition of the ping-pong: each costs some hundreds of ns. */
#define PINGPONG_ITERS(o) ((o)->iters / 10 > 0 ? (o)->iters / 10 : 1)

static unsigned char *big_src; /* local source of the 1 MiB puts */
static struct bench_memcpy mc;  /* PE 0: the memcpy reference */
static double *mvals;           /* per repetition: the memcpy */
static volatile uint64_t sink; /* keeps the results of gets and fetch-adds alive */

enum { OP_PUT, OP_GET, OP_FADD, OP_PUT_NBI, OP_PUT_BIG, OP_BARRIER, OP_PINGPONG };

/* One repetition of an operation: n iterations, completed. */
static void run_op(int op, long n)
{
	uint64_t v, acc = 0;
	long i;

	switch (op) {
	case OP_PUT:
		for (i = 0; i < n; i++) {
			v = (uint64_t)i;
			shmem_putmem(small_dst, &v, BENCH_SMALL_BYTES, 1);
		}
		shmem_quiet();
		break;
	case OP_GET:
		for (i = 0; i < n; i++) {
			shmem_getmem(&v, small_dst, BENCH_SMALL_BYTES, 1);
			acc += v;
		}
		sink = acc;
		break;
	case OP_FADD:
		for (i = 0; i < n; i++)
			acc += shmem_ulonglong_atomic_fetch_add(fadd_word, 1, 1);
		sink = acc;
		break;
	case OP_PUT_NBI: {
		/* The source must stay unchanged until the quiet. */
		static const uint64_t constant = 42;

		for (i = 0; i < n; i++)
			shmem_putmem_nbi(small_dst, &constant, BENCH_SMALL_BYTES, 1);
		shmem_quiet();
		break;
	}
	case OP_PUT_BIG:
		for (i = 0; i < n; i++)
			shmem_putmem(big_dst, big_src, BENCH_BIG_BYTES, 1);
		shmem_quiet();
		break;
	case OP_BARRIER:
		for (i = 0; i < n; i++)
			shmem_barrier_all();
		break;
	case OP_PINGPONG:
		bench_pingpong(ping, shmem_my_pe(), n, &ping_seq);
		break;
	}
}

/*
 * Measure an operation: a warm-up repetition, then reps timed ones, each
 * between two barriers.  PE 0 times; only the barrier test involves the others.
 * With mc_st non-NULL, PE 0 also times a memcpy repetition after each one of
 * the operation and summarises them in *mc_st.  Returns the summary on PE 0.
 */
static struct bench_stat measure(int op, int metric, long n, const struct bench_options *o,
				 double *vals, struct bench_stat *mc_st)
{
	int me = shmem_my_pe();
	int rep;

	for (rep = -1; rep < o->reps; rep++) {
		double t0, dt, mcbw = 0.0;

		shmem_barrier_all();
		t0 = bench_now_ns();
		if (me == 0 || op == OP_BARRIER || (op == OP_PINGPONG && me == 1))
			run_op(op, n);
		dt = bench_now_ns() - t0;
		if (mc_st && me == 0)
			mcbw = bench_memcpy_once(&mc, n);
		if (rep >= 0) {
			if (metric == BM_PUT_RATE)
				vals[rep] = (double)n / dt * 1e3; /* Mops/s */
			else if (metric == BM_PUT_BW)
				vals[rep] = (double)BENCH_BIG_BYTES * (double)n / dt; /* GB/s */
			else if (metric == BM_ONE_WAY)
				vals[rep] = dt / (double)n / 2.0; /* half a round trip */
			else
				vals[rep] = dt / (double)n; /* ns per operation */
			mvals[rep] = mcbw;
		}
		shmem_barrier_all();
	}
	if (mc_st && me == 0)
		*mc_st = bench_summarise(mvals, o->reps, 1);
	return bench_summarise(vals, o->reps, bench_metrics[metric].higher_better);
}

/*
 * Can PEs 0 and 1 both reach the ping-pong word (on PE 1) with plain loads
 * and stores?  Collective; they agree through an atomic counter so that
 * neither waits for a partner that is not coming.
 */
static int pingpong_possible(void)
{
	unsigned long long *agree = (unsigned long long *)(void *)(sym + AGREE_OFF);
	unsigned long long count = 0;
	int me = shmem_my_pe();

	if (me <= 1) {
		ping = shmem_ptr(sym + PING_OFF, 1);
		shmem_ulonglong_atomic_add(agree, ping ? 1 : 0, 1);
	}
	shmem_barrier_all();
	if (me <= 1)
		count = shmem_ulonglong_atomic_fetch(agree, 1);
	shmem_barrier_all();
	return count == 2;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: oshrun -np 2 " PROG " [options]\n"
		   "Latency, message rate, bandwidth and barrier figures of an OpenSHMEM\n"
		   "library, for comparison with podfab-bench.  PE 0 targets PE 1.\n\n");
	bench_print_common_options(f);
}

static int parse_options(int argc, char **argv, struct bench_options *o)
{
	static const struct option longopts[] = {
		{"iters", required_argument, NULL, 'i'},
		{"bw-iters", required_argument, NULL, 'b'},
		{"reps", required_argument, NULL, 'r'},
		{"json", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	long v;

	o->iters = BENCH_DEFAULT_ITERS;
	o->bw_iters = BENCH_DEFAULT_BW_ITERS;
	o->reps = BENCH_DEFAULT_REPS;
	o->json = NULL;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
		case 'b':
		case 'r':
			v = bench_parse_count(optarg);
			if (!v || (c == 'r' && v > 100000)) {
				fprintf(stderr, PROG ": bad count '%s'\n", optarg);
				return 2;
			}
			if (c == 'i')
				o->iters = v;
			else if (c == 'b')
				o->bw_iters = v;
			else
				o->reps = (int)v;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_options o;
	struct bench_stat st[BM_COUNT];
	char name[SHMEM_MAX_NAME_LEN + 1] = "";
	char title[512];
	int major = 0, minor = 0;
	double *vals;
	int rc, me, npes, status = 0;

	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;

	shmem_init();
	me = shmem_my_pe();
	npes = shmem_n_pes();
	if (npes < 2) {
		if (me == 0)
			fprintf(stderr, PROG ": needs at least 2 PEs (oshrun -np 2)\n");
		shmem_finalize();
		return 1;
	}
	sym = shmem_align(BENCH_ALIGN, SYM_BYTES);
	big_src = aligned_alloc(BENCH_ALIGN, BENCH_BIG_BYTES);
	vals = calloc((size_t)o.reps, sizeof(*vals));
	mvals = calloc((size_t)o.reps, sizeof(*mvals));
	if (!sym || !big_src || !vals || !mvals || (me == 0 && bench_memcpy_init(&mc))) {
		fprintf(stderr, PROG ": out of memory\n");
		shmem_global_exit(1);
		return 1;
	}
	memset(sym, 0, SYM_BYTES);
	big_dst = sym;
	small_dst = (uint64_t *)(void *)(sym + SMALL_OFF);
	fadd_word = (unsigned long long *)(void *)(sym + FADD_OFF);
	memset(big_src, 0xa5, BENCH_BIG_BYTES);
	shmem_barrier_all();
	if (me == 0 && !shmem_ptr(sym, 1))
		fprintf(stderr, PROG ": note: PE 1's heap is not mapped here (shmem_ptr is NULL): "
				"operations go through software, not direct load/store\n");
	memset(st, 0, sizeof(st));

	st[BM_PUT_LAT] = measure(OP_PUT, BM_PUT_LAT, o.iters, &o, vals, NULL);
	st[BM_GET_LAT] = measure(OP_GET, BM_GET_LAT, o.iters, &o, vals, NULL);
	st[BM_FADD_LAT] = measure(OP_FADD, BM_FADD_LAT, o.iters, &o, vals, NULL);
	st[BM_PUT_RATE] = measure(OP_PUT_NBI, BM_PUT_RATE, o.iters, &o, vals, NULL);
	st[BM_PUT_BW] = measure(OP_PUT_BIG, BM_PUT_BW, o.bw_iters, &o, vals, &st[BM_MEMCPY_BW]);
	st[BM_BARRIER] = measure(OP_BARRIER, BM_BARRIER, o.iters, &o, vals, NULL);
	if (pingpong_possible())
		st[BM_ONE_WAY] = measure(OP_PINGPONG, BM_ONE_WAY, PINGPONG_ITERS(&o), &o, vals, NULL);
	if (me == 0 && bench_memcpy_fini(&mc)) {
		fprintf(stderr, PROG ": the memcpy reference copied wrong data\n");
		status = 1;
	}
	shmem_barrier_all();

	/* Check that the operations really reached PE 1. */
	if (me == 1) {
		unsigned long long want = (unsigned long long)(o.reps + 1) *
					  (unsigned long long)o.iters;

		if (*fadd_word != want) {
			fprintf(stderr, PROG ": fetch-add word is %llu, expected %llu\n", *fadd_word,
				want);
			status = 1;
		}
		for (size_t i = 0; i < BENCH_BIG_BYTES; i++)
			if (big_dst[i] != 0xa5) {
				fprintf(stderr, PROG ": 1 MiB put: byte %zu is 0x%02x, expected 0xa5\n",
					i, big_dst[i]);
				status = 1;
				break;
			}
	}

	if (me == 0) {
		shmem_info_get_version(&major, &minor);
		shmem_info_get_name(name);
#ifdef OSHMEM_MAJOR_VERSION
		snprintf(title, sizeof(title),
			 "OpenSHMEM (Open MPI oshmem %d.%d.%d, spec %d.%d): %d PEs, PE 0 -> PE 1",
			 OSHMEM_MAJOR_VERSION, OSHMEM_MINOR_VERSION, OSHMEM_RELEASE_VERSION, major,
			 minor, npes);
#else
		snprintf(title, sizeof(title), "OpenSHMEM (%s, spec %d.%d): %d PEs, PE 0 -> PE 1",
			 name, major, minor, npes);
#endif
		bench_print_table(stdout, title, &o, st);
		if (o.json && bench_write_json(o.json, "openshmem", "processes", npes, &o, st))
			status = 1;
	}
	shmem_barrier_all();
	free(mvals);
	free(vals);
	free(big_src);
	shmem_free(sym);
	shmem_finalize();
	return status;
}
