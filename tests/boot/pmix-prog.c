/*
 * pmix-prog.c - the program of the PMIx bootstrap tests, started by a PMIx
 * launcher (mpirun, prterun, srun) without any PODFAB_ACCEL_ID, PODFAB_NACCELS
 * or PODFAB_JOB: the launcher's PMIx server names them.
 *
 *   pmix-prog N               podfab_init(NULL), check that there are N
 *                             accelerators, put this id to the right
 *                             neighbour's symmetric segment, barrier, check
 *                             the word from the left, finalize; prints
 *                             "pmix-prog: accelerator I of N ok"
 *   pmix-prog N --twice       the same twice in one process (init after finalize)
 *   pmix-prog N --die ID      accelerator ID _exit(3)s after init while the
 *                             others wait in podfab_barrier; they print
 *                             "pmix-prog: accelerator I: podfab_barrier: PODFAB_E..."
 *                             and exit 1
 *   pmix-prog N --exit-before ID   rank ID (PMIX_RANK) _exit(3)s before
 *                             podfab_init; the others fail in podfab_init
 *                             within PODFAB_TIMEOUT_MS
 *
 * Exit status 0 on success, 1 on a library error (the message names the call,
 * the error and its detail), 2 on bad usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <podfab/podfab.h>

static int failed(int id, int rc, const char *what)
{
	if (rc >= 0)
		return 0;
	fprintf(stderr, "pmix-prog: accelerator %d: %s: %s: %s\n", id, what, podfab_errname(rc),
		podfab_error_detail());
	fflush(stderr);
	return 1;
}

static int run(int expect_n, int die, int exit_before)
{
	podfab_t pf;
	const char *rank = getenv("PMIX_RANK");
	if (exit_before >= 0 && rank && atoi(rank) == exit_before) {
		fprintf(stderr, "pmix-prog: rank %d: exiting before podfab_init on purpose\n", exit_before);
		fflush(stderr);
		_exit(3);
	}
	if (failed(-1, podfab_init(NULL, &pf), "podfab_init"))
		return 1;
	int me = podfab_accel_id(pf);
	int n = podfab_naccels(pf);
	if (n != expect_n) {
		fprintf(stderr, "pmix-prog: accelerator %d: podfab_naccels is %d, expected %d\n", me, n, expect_n);
		return 1;
	}
	podfab_seg_t seg;
	if (failed(me, podfab_seg_alloc(pf, 4096, &seg), "podfab_seg_alloc"))
		return 1;
	if (me == die) {
		fprintf(stderr, "pmix-prog: accelerator %d: dying on purpose\n", me);
		fflush(stderr);
		_exit(3);
	}
	const volatile uint64_t *inbox = podfab_seg_addr(pf, seg);
	uint64_t word = 0x9e1c000000000000ull | (uint64_t)me;
	int right = (me + 1) % n, left = (me + n - 1) % n;
	if (failed(me, podfab_put(pf, right, seg, 0, &word, sizeof word), "podfab_put") ||
	    failed(me, podfab_barrier(pf), "podfab_barrier"))
		return 1;
	if (*inbox != (0x9e1c000000000000ull | (uint64_t)left)) {
		fprintf(stderr, "pmix-prog: accelerator %d: got 0x%llx, expected the id of accelerator %d\n", me,
			(unsigned long long)*inbox, left);
		return 1;
	}
	if (failed(me, podfab_barrier(pf), "podfab_barrier") || failed(me, podfab_finalize(pf), "podfab_finalize"))
		return 1;
	printf("pmix-prog: accelerator %d of %d ok\n", me, n);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	int die = -1, exit_before = -1, rounds = 1;
	if (argc < 2 || atoi(argv[1]) < 1)
		goto usage;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--twice"))
			rounds = 2;
		else if (!strcmp(argv[i], "--die") && i + 1 < argc)
			die = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--exit-before") && i + 1 < argc)
			exit_before = atoi(argv[++i]);
		else
			goto usage;
	}
	for (int r = 0; r < rounds; r++)
		if (run(atoi(argv[1]), die, exit_before))
			return 1;
	return 0;
usage:
	fprintf(stderr, "usage: pmix-prog N [--twice | --die ID | --exit-before ID]\n");
	return 2;
}
