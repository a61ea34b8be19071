/*
 * shmem-ab.c - the OpenSHMEM layer's cost in one job (a benchmark, not a
 * test): PE 0 times 8-byte put, get and fetch-add against PE 1 through
 * podfab's API (podfab_put, podfab_get, podfab_atomic_fetch_add_u64 on a
 * podfab segment) and through libpodfab-shmem (shmem_putmem, shmem_getmem,
 * shmem_uint64_atomic_fetch_add on the symmetric heap), the two alternating
 * round by round, so that a machine whose speed drifts slows both alike.
 * Prints per operation the medians and best rounds (ns per operation) and
 * shmem / native.  Build with podfab-oshcc, start with podfab-oshrun -n 2;
 * PODFAB_SHMEM_DIRECT and PODFAB_TIMING choose the path (shmem-bench.sh).
 *
 *   shmem-ab [ITERS [ROUNDS]]      (default 100000 operations, 15 rounds)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <podfab/podfab.h>
#include <shmem.h>
#include <shmemx.h>

#include "bench-report.h"

#define MAX_ROUNDS 101

static volatile uint64_t sink;

/* One round of operation op (even: podfab, odd: shmem) of iters operations; ns per operation. */
static double round_of(int op, long iters, podfab_t pf, podfab_seg_t seg, uint64_t *heap)
{
	uint64_t v = 0, acc = 0;
	double t0 = bench_now_ns();
	switch (op) {
	case 0:
		for (long i = 0; i < iters; i++) {
			v = (uint64_t)i;
			if (podfab_put(pf, 1, seg, 0, &v, 8) < 0)
				shmem_global_exit(1);
		}
		podfab_quiet(pf);
		break;
	case 1:
		for (long i = 0; i < iters; i++) {
			v = (uint64_t)i;
			shmem_putmem(heap, &v, 8, 1);
		}
		shmem_quiet();
		break;
	case 2:
		for (long i = 0; i < iters; i++) {
			if (podfab_get(pf, &v, 1, seg, 0, 8) < 0)
				shmem_global_exit(1);
			acc += v;
		}
		break;
	case 3:
		for (long i = 0; i < iters; i++) {
			shmem_getmem(&v, heap, 8, 1);
			acc += v;
		}
		break;
	case 4:
		for (long i = 0; i < iters; i++) {
			if (podfab_atomic_fetch_add_u64(pf, 1, seg, 64, 1, &v) < 0)
				shmem_global_exit(1);
			acc += v;
		}
		break;
	default:
		for (long i = 0; i < iters; i++)
			acc += shmem_uint64_atomic_fetch_add(heap + 8, 1, 1);
		break;
	}
	sink = acc;
	return (bench_now_ns() - t0) / (double)iters;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 100000;
	int rounds = argc > 2 ? atoi(argv[2]) : 15;
	if (iters < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: shmem-ab [ITERS [ROUNDS (1-%d)]]\n", MAX_ROUNDS);
		return 2;
	}
	shmem_init();
	if (shmem_n_pes() != 2) {
		if (shmem_my_pe() == 0)
			fprintf(stderr, "shmem-ab: run it on 2 PEs (podfab-oshrun -n 2)\n");
		shmem_finalize();
		return 2;
	}
	podfab_t pf = shmemx_podfab();
	podfab_seg_t seg;
	uint64_t *heap = shmem_align(64, 4096);
	if (!heap || podfab_seg_alloc(pf, 4096, &seg) < 0) {
		fprintf(stderr, "shmem-ab: no memory for the buffers\n");
		shmem_global_exit(1);
	}
	static double t[6][MAX_ROUNDS];
	for (int r = 0; r < rounds; r++)
		for (int op = 0; op < 6; op++) {
			shmem_barrier_all();
			if (shmem_my_pe() == 0)
				t[op][r] = round_of(op, iters, pf, seg, heap);
		}
	shmem_barrier_all();
	if (shmem_my_pe() == 0) {
		static const char *const name[3] = {"8 B put", "8 B get", "8 B fetch-add"};
		printf("%-14s %10s %10s %10s %10s %8s %8s\n", "ns/op", "native med", "shmem med", "native min",
		       "shmem min", "med x", "min x");
		for (int k = 0; k < 3; k++) {
			qsort(t[2 * k], (size_t)rounds, sizeof(double), bench_cmp_double);
			qsort(t[2 * k + 1], (size_t)rounds, sizeof(double), bench_cmp_double);
			double nm = t[2 * k][rounds / 2], sm = t[2 * k + 1][rounds / 2];
			double nb = t[2 * k][0], sb = t[2 * k + 1][0];
			printf("%-14s %10.2f %10.2f %10.2f %10.2f %8.2f %8.2f\n", name[k], nm, sm, nb, sb, sm / nm, sb / nb);
		}
	}
	shmem_barrier_all();
	podfab_seg_free(pf, seg);
	shmem_free(heap);
	shmem_finalize();
	return 0;
}
