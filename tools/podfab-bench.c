/*
 * podfab-bench - latency, message rate, bandwidth and barrier figures of
 * podfab in functional mode, with 2 accelerators:
 *
 *     podfab-run -n 2 podfab-bench [options]      one process per accelerator
 *     podfab-bench --threads [options]            2 accelerators as 2 threads
 *
 * Accelerator 0 measures operations that target accelerator 1:
 *   8 B put latency      podfab_put of 8 bytes in a loop, then podfab_quiet
 *   8 B get latency      podfab_get of 8 bytes in a loop
 *   8 B fetch-add        podfab_atomic (ADD, UINT64, with a result) in a loop
 *   put_nb message rate  podfab_put_nb of 8 bytes with a NULL request in a
 *                        loop, then podfab_quiet (Mops/s)
 *   1 MiB put bandwidth  podfab_put of 1 MiB in a loop, then podfab_quiet
 *   barrier latency      every accelerator loops podfab_barrier
 *   put ping-pong        half the round trip of an 8-byte podfab_put answered
 *                        by the peer's podfab_put once podfab_wait_until saw
 *                        it: one-way latency through podfab, comparable with
 *                        fi_pingpong's over a network transport
 *   core-to-core one-way half the round trip of a cache line between
 *                        accelerators 0 and 1 (loads and stores through
 *                        podfab_ptr): the floor under any 2-party barrier
 *   memcpy bandwidth     1 MiB memcpy between two buffers of this process,
 *                        the reference for the put bandwidth, timed after
 *                        each repetition of the 1 MiB put
 * Each measurement is a warm-up repetition and then --reps timed ones
 * (CLOCK_MONOTONIC, between two barriers); the median and the best are
 * reported.  tools/bench/oshmem-bench.c makes the same measurements through
 * OpenSHMEM and tools/bench/run-bench.sh compares the two.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <podfab/podfab.h>

#include "bench/bench-report.h"

#define PROG "podfab-bench"
#define NTHREADS 2 /* accelerators in --threads mode */

/*
 * The symmetric segment: the 1 MiB put target at offset 0, then the word of
 * the small puts and gets and the fetch-add word, on cache lines of their own
 * (oshmem-bench uses the same layout).
 */
#define SMALL_OFF BENCH_BIG_BYTES
#define FADD_OFF (BENCH_BIG_BYTES + 64)
#define PING_OFF (BENCH_BIG_BYTES + 128)  /* the ping-pong word */
#define AGREE_OFF (BENCH_BIG_BYTES + 192) /* accelerators that can ping-pong */
#define PONG_OFF (BENCH_BIG_BYTES + 256)  /* the put ping-pong word */
#define SEG_BYTES (BENCH_BIG_BYTES + 2 * BENCH_ALIGN)
#define NB_CONSTANT 42u /* what the put_nb test writes */
/* Round trips per repetition of the ping-pong: each costs some hundreds of ns. */
#define PINGPONG_ITERS(o) ((o)->iters / 10 > 0 ? (o)->iters / 10 : 1)

enum { OP_PUT, OP_GET, OP_FADD, OP_PUT_NB, OP_PUT_BIG, OP_BARRIER, OP_PINGPONG, OP_PUT_PONG };

struct options {
	struct bench_options b;
	int threads;
};

/* One accelerator of the benchmark. */
struct accel {
	const struct options *opt;
	int thread_id;   /* --threads: this thread's accelerator id; -1: from podfab-run */
	const char *job; /* --threads: the job name shared by the threads */
	int cpu;         /* --threads: the CPU to pin to, or -1 */
	podfab_t pf;
	podfab_seg_t seg;
	int me, n;
	unsigned char *src; /* 1 MiB source of the big puts */
	struct bench_memcpy mc; /* accelerator 0: the memcpy reference */
	_Atomic uint64_t *ping; /* accelerators 0 and 1: the ping-pong word */
	uint64_t ping_seq;
	uint64_t pong_seq; /* the put ping-pong's last value */
	double *vals, *mvals;   /* per repetition: the operation, the memcpy */
	int status; /* exit status of this accelerator */
};

static volatile uint64_t sink; /* keeps the results of gets and fetch-adds alive */

/* A failed podfab call is fatal for the benchmark: report it and exit. */
static void check(int rc, const struct accel *a, const char *what)
{
	if (rc >= 0)
		return;
	fprintf(stderr, PROG ": accelerator %d: %s: %s (%s%s%s)\n", a->me, what,
		podfab_strerror(rc), podfab_errname(rc), *podfab_error_detail() ? ": " : "",
		podfab_error_detail());
	exit(1);
}

/* One repetition of an operation: n iterations, completed. */
static void run_op(struct accel *a, int op, long n)
{
	static const uint64_t constant = NB_CONSTANT; /* put_nb source, never changes */
	uint64_t v, acc = 0;
	long i;
	int rc = 0;

	switch (op) {
	case OP_PUT:
		for (i = 0; i < n && rc == 0; i++) {
			v = (uint64_t)i;
			rc = podfab_put(a->pf, 1, a->seg, SMALL_OFF, &v, BENCH_SMALL_BYTES);
		}
		check(rc, a, "podfab_put");
		check(podfab_quiet(a->pf), a, "podfab_quiet");
		break;
	case OP_GET:
		for (i = 0; i < n && rc == 0; i++) {
			rc = podfab_get(a->pf, &v, 1, a->seg, SMALL_OFF, BENCH_SMALL_BYTES);
			acc += v;
		}
		check(rc, a, "podfab_get");
		sink = acc;
		break;
	case OP_FADD:
		for (i = 0; i < n && rc == 0; i++) {
			rc = podfab_atomic(a->pf, 1, a->seg, FADD_OFF, PODFAB_AOP_ADD, PODFAB_UINT64,
					   1, 0, &v);
			acc += v;
		}
		check(rc, a, "podfab_atomic (fetch-add)");
		sink = acc;
		break;
	case OP_PUT_NB:
		for (i = 0; i < n; i++) {
			rc = podfab_put_nb(a->pf, 1, a->seg, SMALL_OFF, &constant,
					   BENCH_SMALL_BYTES, NULL);
			if (rc == -PODFAB_EAGAIN) {
				/* Too many in flight: complete them and issue again. */
				check(podfab_quiet(a->pf), a, "podfab_quiet");
				i--;
				continue;
			}
			check(rc, a, "podfab_put_nb");
		}
		check(podfab_quiet(a->pf), a, "podfab_quiet");
		break;
	case OP_PUT_BIG:
		for (i = 0; i < n && rc == 0; i++)
			rc = podfab_put(a->pf, 1, a->seg, 0, a->src, BENCH_BIG_BYTES);
		check(rc, a, "podfab_put (1 MiB)");
		check(podfab_quiet(a->pf), a, "podfab_quiet");
		break;
	case OP_BARRIER:
		for (i = 0; i < n && rc == 0; i++)
			rc = podfab_barrier(a->pf);
		check(rc, a, "podfab_barrier");
		break;
	case OP_PINGPONG:
		bench_pingpong(a->ping, a->me, n, &a->ping_seq);
		break;
	case OP_PUT_PONG: {
		const uint64_t *mine = (const uint64_t *)((const unsigned char *)podfab_seg_addr(a->pf, a->seg) + PONG_OFF);
		int peer = 1 - a->me;
		for (i = 0; i < n && rc == 0; i++) {
			v = ++a->pong_seq;
			if (a->me == 1)
				rc = podfab_wait_until(a->pf, mine, PODFAB_UINT64, PODFAB_CMP_EQ, v);
			if (rc == 0)
				rc = podfab_put(a->pf, peer, a->seg, PONG_OFF, &v, 8);
			if (rc == 0 && a->me == 0)
				rc = podfab_wait_until(a->pf, mine, PODFAB_UINT64, PODFAB_CMP_EQ, v);
		}
		check(rc, a, "put ping-pong");
		break;
	}
	}
}

/*
 * Measure an operation: a warm-up repetition, then reps timed ones, each
 * between two barriers.  Accelerator 0 times; only the barrier test involves
 * the others.  With mc_st non-NULL, accelerator 0 also times a memcpy
 * repetition after each one of the operation and summarises them in *mc_st.
 * Returns the summary on accelerator 0.
 */
static struct bench_stat measure(struct accel *a, int op, int metric, long n,
				 struct bench_stat *mc_st)
{
	const struct bench_options *o = &a->opt->b;
	int rep;

	for (rep = -1; rep < o->reps; rep++) {
		double t0, dt, mc = 0.0;

		check(podfab_barrier(a->pf), a, "podfab_barrier");
		t0 = bench_now_ns();
		if (a->me == 0 || op == OP_BARRIER || ((op == OP_PINGPONG || op == OP_PUT_PONG) && a->me == 1))
			run_op(a, op, n);
		dt = bench_now_ns() - t0;
		if (mc_st && a->me == 0)
			mc = bench_memcpy_once(&a->mc, n);
		if (rep >= 0) {
			if (metric == BM_PUT_RATE)
				a->vals[rep] = (double)n / dt * 1e3; /* Mops/s */
			else if (metric == BM_PUT_BW)
				a->vals[rep] = (double)BENCH_BIG_BYTES * (double)n / dt; /* GB/s */
			else if (metric == BM_ONE_WAY || metric == BM_PUT_PONG)
				a->vals[rep] = dt / (double)n / 2.0; /* half a round trip */
			else
				a->vals[rep] = dt / (double)n; /* ns per operation */
			a->mvals[rep] = mc;
		}
		check(podfab_barrier(a->pf), a, "podfab_barrier");
	}
	if (mc_st && a->me == 0)
		*mc_st = bench_summarise(a->mvals, o->reps, 1);
	return bench_summarise(a->vals, o->reps, bench_metrics[metric].higher_better);
}

/*
 * Can accelerators 0 and 1 both reach the ping-pong word (in accelerator 1's
 * segment) with plain loads and stores?  Collective; they agree through an
 * atomic counter so that neither waits for a partner that is not coming.
 */
static int pingpong_possible(struct accel *a)
{
	uint64_t count = 0;

	if (a->me <= 1) {
		a->ping = podfab_ptr(a->pf, 1, a->seg, PING_OFF);
		check(podfab_atomic_add_u64(a->pf, 1, a->seg, AGREE_OFF, a->ping ? 1 : 0), a,
		      "podfab_atomic (add)");
	}
	check(podfab_barrier(a->pf), a, "podfab_barrier");
	if (a->me <= 1)
		check(podfab_atomic(a->pf, 1, a->seg, AGREE_OFF, PODFAB_AOP_FETCH, PODFAB_UINT64, 0,
				    0, &count),
		      a, "podfab_atomic (fetch)");
	check(podfab_barrier(a->pf), a, "podfab_barrier");
	return count == 2;
}

/* On the target: did the operations of the benchmark really arrive? */
static int verify_target(struct accel *a)
{
	const unsigned char *mem = podfab_seg_addr(a->pf, a->seg);
	uint64_t want = (uint64_t)(a->opt->b.reps + 1) * (uint64_t)a->opt->b.iters;
	uint64_t fadd, small;
	size_t i;

	if (!mem) {
		fprintf(stderr, PROG ": podfab_seg_addr failed\n");
		return 1;
	}
	memcpy(&fadd, mem + FADD_OFF, sizeof(fadd));
	memcpy(&small, mem + SMALL_OFF, sizeof(small));
	if (fadd != want) {
		fprintf(stderr, PROG ": fetch-add word is %llu, expected %llu\n",
			(unsigned long long)fadd, (unsigned long long)want);
		return 1;
	}
	if (small != NB_CONSTANT) {
		fprintf(stderr, PROG ": put word is %llu, expected %u\n", (unsigned long long)small,
			NB_CONSTANT);
		return 1;
	}
	for (i = 0; i < BENCH_BIG_BYTES; i++)
		if (mem[i] != 0xa5) {
			fprintf(stderr, PROG ": 1 MiB put: byte %zu is 0x%02x, expected 0xa5\n", i,
				mem[i]);
			return 1;
		}
	return 0;
}

static const char *timing_name(int mode)
{
	switch (mode) {
	case PODFAB_TIMING_FUNCTIONAL:
		return "functional";
	case PODFAB_TIMING_REALTIME:
		return "realtime";
	case PODFAB_TIMING_VIRTUAL:
		return "virtual";
	default:
		return "unknown";
	}
}

/* How this accelerator is placed, for the title: "CPU 3" or "unbound". */
static void describe_placement(char *buf, size_t size)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1)
		snprintf(buf, size, "accel 0 bound to CPU %d", sched_getcpu());
	else
		snprintf(buf, size, "accel 0 not bound to one CPU");
}

static void report(struct accel *a, const struct bench_stat *st)
{
	const char *mode = a->thread_id >= 0 ? "threads" : "processes";
	char title[512], place[64];

	describe_placement(place, sizeof(place));
	snprintf(title, sizeof(title),
		 "podfab %s (transport %s, timing %s): %d accelerators as %s, accel 0 -> accel 1, "
		 "%s",
		 podfab_version_string(), podfab_transport_name(a->pf),
		 timing_name(podfab_timing_mode(a->pf)), a->n, mode, place);
	bench_print_table(stdout, title, &a->opt->b, st);
	if (a->opt->b.json &&
	    bench_write_json(a->opt->b.json, "podfab", mode, a->n, &a->opt->b, st))
		a->status = 1;
}

/* Everything one accelerator does, in its process or its thread. */
static void run_accel(struct accel *a)
{
	const struct bench_options *o = &a->opt->b;
	struct bench_stat st[BM_COUNT];
	int rc;

	a->me = -1;
	if (a->thread_id >= 0) {
		podfab_params_t p;

		memset(&p, 0, sizeof(p));
		p.field_mask = PODFAB_PARAM_ACCEL_ID | PODFAB_PARAM_NACCELS | PODFAB_PARAM_JOB;
		p.accel_id = a->thread_id;
		p.naccels = NTHREADS;
		p.job = a->job;
		rc = podfab_init(&p, &a->pf);
	} else {
		rc = podfab_init(NULL, &a->pf);
		if (rc == -PODFAB_EENV) {
			fprintf(stderr, PROG ": no launcher environment: run me as "
					"'podfab-run -n 2 " PROG "', or use --threads\n");
			exit(1);
		}
	}
	check(rc, a, "podfab_init");
	a->me = podfab_accel_id(a->pf);
	check(a->me, a, "podfab_accel_id");
	a->n = podfab_naccels(a->pf);
	check(a->n, a, "podfab_naccels");
	if (a->n < 2) {
		fprintf(stderr, PROG ": needs at least 2 accelerators (podfab-run -n 2)\n");
		exit(1);
	}
	check(podfab_seg_alloc(a->pf, SEG_BYTES, &a->seg), a, "podfab_seg_alloc");
	a->src = aligned_alloc(BENCH_ALIGN, BENCH_BIG_BYTES);
	a->vals = calloc((size_t)o->reps, sizeof(*a->vals));
	a->mvals = calloc((size_t)o->reps, sizeof(*a->mvals));
	if (!a->src || !a->vals || !a->mvals || (a->me == 0 && bench_memcpy_init(&a->mc))) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
	memset(a->src, 0xa5, BENCH_BIG_BYTES);
	memset(st, 0, sizeof(st));

	st[BM_PUT_LAT] = measure(a, OP_PUT, BM_PUT_LAT, o->iters, NULL);
	st[BM_GET_LAT] = measure(a, OP_GET, BM_GET_LAT, o->iters, NULL);
	st[BM_FADD_LAT] = measure(a, OP_FADD, BM_FADD_LAT, o->iters, NULL);
	st[BM_PUT_RATE] = measure(a, OP_PUT_NB, BM_PUT_RATE, o->iters, NULL);
	st[BM_PUT_BW] = measure(a, OP_PUT_BIG, BM_PUT_BW, o->bw_iters, &st[BM_MEMCPY_BW]);
	st[BM_BARRIER] = measure(a, OP_BARRIER, BM_BARRIER, o->iters, NULL);
	st[BM_PUT_PONG] = measure(a, OP_PUT_PONG, BM_PUT_PONG, PINGPONG_ITERS(o), NULL);
	if (pingpong_possible(a))
		st[BM_ONE_WAY] = measure(a, OP_PINGPONG, BM_ONE_WAY, PINGPONG_ITERS(o), NULL);
	else if (a->me == 0)
		fprintf(stderr, PROG ": note: no direct pointer to accelerator 1's segment: "
				"no core-to-core reference\n");
	if (a->me == 0 && bench_memcpy_fini(&a->mc)) {
		fprintf(stderr, PROG ": the memcpy reference copied wrong data\n");
		a->status = 1;
	}

	if (a->me == 1)
		a->status |= verify_target(a);
	check(podfab_barrier(a->pf), a, "podfab_barrier"); /* the verdict comes first */
	if (a->me == 0)
		report(a, st);

	check(podfab_seg_free(a->pf, a->seg), a, "podfab_seg_free");
	check(podfab_finalize(a->pf), a, "podfab_finalize");
	free(a->mvals);
	free(a->vals);
	free(a->src);
}

static void *thread_main(void *arg)
{
	struct accel *a = arg;

	if (a->cpu >= 0) {
		cpu_set_t set;
		int rc;

		CPU_ZERO(&set);
		CPU_SET(a->cpu, &set);
		rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (rc)
			fprintf(stderr, PROG ": warning: cannot pin accelerator %d to CPU %d: %s\n",
				a->thread_id, a->cpu, strerror(rc));
	}
	run_accel(a);
	return NULL;
}

/* --threads: the accelerators as threads of this process, each on its own CPU. */
static int run_threads(const struct options *opt)
{
	struct accel accels[NTHREADS];
	pthread_t tids[NTHREADS];
	int cpus[NTHREADS];
	char job[64];
	cpu_set_t set;
	int i, c, ncpus = 0, status = 0;
	struct timespec ts;

	/* Spread the threads over the CPUs this process may use, when there are enough. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= NTHREADS)
		for (c = 0; c < CPU_SETSIZE && ncpus < NTHREADS; c++)
			if (CPU_ISSET(c, &set))
				cpus[ncpus++] = c;
	if (ncpus < NTHREADS)
		fprintf(stderr, PROG ": fewer than %d CPUs: the accelerator threads are not pinned\n",
			NTHREADS);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(job, sizeof(job), "bench-%ld-%ld", (long)getpid(), (long)ts.tv_nsec);
	for (i = 0; i < NTHREADS; i++) {
		memset(&accels[i], 0, sizeof(accels[i]));
		accels[i].opt = opt;
		accels[i].thread_id = i;
		accels[i].job = job;
		accels[i].cpu = ncpus >= NTHREADS ? cpus[i] : -1;
	}
	for (i = 0; i < NTHREADS; i++) {
		int rc = pthread_create(&tids[i], NULL, thread_main, &accels[i]);

		if (rc) {
			fprintf(stderr, PROG ": pthread_create: %s\n", strerror(rc));
			exit(1);
		}
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(tids[i], NULL);
		status |= accels[i].status;
	}
	return status;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: podfab-run -n 2 " PROG " [options]\n"
		"       " PROG " --threads [options]\n"
		"Latency, message rate, bandwidth and barrier figures of podfab: accelerator 0\n"
		"runs 8-byte puts, gets and fetch-adds, 8-byte non-blocking puts and 1 MiB puts\n"
		"against accelerator 1, all accelerators run barriers, and 1 MiB memcpy gives\n"
		"the reference bandwidth.  Medians and best of the repetitions are printed.\n\n"
		"  --threads      run 2 accelerators as 2 threads of this process, each pinned\n"
		"                 to its own CPU (instead of the processes of podfab-run)\n");
	bench_print_common_options(f);
}

/* 0: run; 1: exit 0 (--help); 2: usage error. */
static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{"threads", no_argument, NULL, 't'},
		{"iters", required_argument, NULL, 'i'},
		{"bw-iters", required_argument, NULL, 'b'},
		{"reps", required_argument, NULL, 'r'},
		{"json", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	long v;

	memset(opt, 0, sizeof(*opt));
	opt->b.iters = BENCH_DEFAULT_ITERS;
	opt->b.bw_iters = BENCH_DEFAULT_BW_ITERS;
	opt->b.reps = BENCH_DEFAULT_REPS;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			opt->threads = 1;
			break;
		case 'i':
		case 'b':
		case 'r':
			v = bench_parse_count(optarg);
			if (!v || (c == 'r' && v > 100000)) {
				fprintf(stderr, PROG ": bad count '%s'\n", optarg);
				return 2;
			}
			if (c == 'i')
				opt->b.iters = v;
			else if (c == 'b')
				opt->b.bw_iters = v;
			else
				opt->b.reps = (int)v;
			break;
		case 'j':
			opt->b.json = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, PROG ": try '" PROG " --help'\n");
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
	struct options opt;
	struct accel a;
	int rc = parse_options(argc, argv, &opt);

	if (rc)
		return rc == 1 ? 0 : rc;
	if (opt.threads)
		return run_threads(&opt);
	memset(&a, 0, sizeof(a));
	a.opt = &opt;
	a.thread_id = -1;
	a.cpu = -1;
	run_accel(&a);
	return a.status;
}
