/*
 * counter.c - a shared counter updated with remote atomics.
 *
 * One 64-bit counter lives in accelerator 0's copy of a symmetric segment.
 * Every accelerator adds 1 to it K times with a fetching atomic add, which
 * also returns the value before the add.  Atomics on one location never lose
 * an update, however many accelerators race, so after a barrier accelerator 0
 * finds exactly N * K.
 *
 *     podfab-run -n 4 ./podfab-example-counter [K]     (K defaults to 1000)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <podfab/podfab.h>

#define COUNTER_OFF 0 /* where the counter sits in the segment (8-byte aligned) */

static int failed(int rc, const char *what)
{
	if (rc >= 0)
		return 0;
	fprintf(stderr, "counter: %s: %s (%s)\n", what, podfab_strerror(rc), podfab_error_detail());
	return 1;
}

int main(int argc, char **argv)
{
	long k = 1000;
	if (argc > 2) {
		fprintf(stderr, "usage: podfab-run -n N %s [K]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		char *end = NULL;
		errno = 0;
		k = strtol(argv[1], &end, 10);
		if (errno || end == argv[1] || *end || k < 1 || k > 1000000000) {
			fprintf(stderr, "counter: K must be a whole number from 1 to 1000000000, "
					"not '%s'\n",
				argv[1]);
			return 2;
		}
	}

	podfab_t pf;
	podfab_seg_t seg;
	int rc = podfab_init(NULL, &pf);
	if (failed(rc, "podfab_init")) {
		if (rc == -PODFAB_EENV)
			fprintf(stderr, "counter: start me with podfab-run -n N\n");
		return 1;
	}
	int me = podfab_accel_id(pf);
	int n = podfab_naccels(pf);
	if (failed(me, "podfab_accel_id") || failed(n, "podfab_naccels"))
		return 1;

	/* Symmetric and zeroed: the counter starts at 0 on every accelerator. */
	if (failed(podfab_seg_alloc(pf, 4096, &seg), "podfab_seg_alloc"))
		return 1;

	uint64_t total = (uint64_t)n * (uint64_t)k;
	for (long i = 0; i < k; i++) {
		uint64_t before;
		/* counter@0 += 1, atomically; `before` gets the value it replaced. */
		if (failed(podfab_atomic_fetch_add_u64(pf, 0, seg, COUNTER_OFF, 1, &before),
			   "podfab_atomic (fetch-add)"))
			return 1;
		/* Nobody can see the counter at or past the total before the last add. */
		if (before >= total) {
			fprintf(stderr,
				"counter: accelerator %d saw %" PRIu64 " before its add (>= %" PRIu64
				")\n",
				me, before, total);
			return 1;
		}
	}

	/* The barrier completes every accelerator's atomics before anyone passes. */
	if (failed(podfab_barrier(pf), "podfab_barrier"))
		return 1;

	rc = 0;
	if (me == 0) {
		/* An atomic read of our own counter (target 0 is ourselves). */
		uint64_t value = 0;
		rc = podfab_atomic(pf, 0, seg, COUNTER_OFF, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0,
				   &value);
		if (failed(rc, "podfab_atomic (fetch)"))
			return 1;
		int ok = value == total;
		printf("counter = %" PRIu64 " (%d accelerators x %ld increments = %" PRIu64
		       "): %s\n",
		       value, n, k, total, ok ? "OK" : "FAIL");
		rc = ok ? 0 : 1;
	}

	if (failed(podfab_seg_free(pf, seg), "podfab_seg_free"))
		return 1;
	if (failed(podfab_finalize(pf), "podfab_finalize"))
		return 1;
	return rc;
}
