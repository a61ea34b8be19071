/*
 * ring.c - every accelerator writes into its right neighbour's memory.
 *
 * The accelerators form a ring: i sends to (i + 1) mod N and receives from
 * (i - 1) mod N.  Each round, every accelerator puts a pattern that carries
 * its id and the round number into its neighbour's copy of a symmetric
 * segment, all meet at a barrier (after which every put has arrived), and
 * each checks what its left neighbour wrote.  A second barrier keeps the next
 * round's puts from overwriting data that is still being checked.
 *
 *     podfab-run -n 4 ./podfab-example-ring
 *
 * Prints OK or FAIL per accelerator; the exit status is 0 only when the data
 * arrived intact.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <podfab/podfab.h>

#define WORDS 512 /* 4 KiB per message */
#define ROUNDS 3

static int failed(int rc, const char *what)
{
	if (rc >= 0)
		return 0;
	fprintf(stderr, "ring: %s: %s (%s)\n", what, podfab_strerror(rc), podfab_error_detail());
	return 1;
}

/* The pattern accelerator `from` sends in `round`: every word differs. */
static uint64_t pattern(int from, int round, int word)
{
	return ((uint64_t)(uint32_t)from << 40) | ((uint64_t)(uint32_t)round << 24) |
	       (uint64_t)(uint32_t)word;
}

int main(void)
{
	podfab_t pf;
	podfab_seg_t seg;
	int ok = 1;

	int rc = podfab_init(NULL, &pf);
	if (failed(rc, "podfab_init")) {
		if (rc == -PODFAB_EENV)
			fprintf(stderr, "ring: start me with podfab-run -n N\n");
		return 1;
	}
	int me = podfab_accel_id(pf);
	int n = podfab_naccels(pf);
	if (failed(me, "podfab_accel_id") || failed(n, "podfab_naccels"))
		return 1;
	int right = (me + 1) % n;
	int left = (me + n - 1) % n;

	/*
	 * A symmetric segment: every accelerator allocates the same size, in the
	 * same order, so (accelerator, seg, offset) names memory on any of them.
	 */
	if (failed(podfab_seg_alloc(pf, WORDS * sizeof(uint64_t), &seg), "podfab_seg_alloc"))
		goto fail;
	/* Our own copy: the neighbour on the left writes here. */
	const uint64_t *inbox = podfab_seg_addr(pf, seg);
	if (!inbox) {
		fprintf(stderr, "ring: podfab_seg_addr: %s\n", podfab_error_detail());
		goto fail;
	}

	for (int round = 0; round < ROUNDS; round++) {
		uint64_t msg[WORDS];
		for (int w = 0; w < WORDS; w++)
			msg[w] = pattern(me, round, w);

		/* Copy msg into the right neighbour's segment; msg is reusable on return. */
		if (failed(podfab_put(pf, right, seg, 0, msg, sizeof msg), "podfab_put"))
			goto fail;

		/* The barrier completes our puts and waits for everyone else's. */
		if (failed(podfab_barrier(pf), "podfab_barrier"))
			goto fail;

		int bad = -1;
		for (int w = 0; w < WORDS && bad < 0; w++)
			if (inbox[w] != pattern(left, round, w))
				bad = w;
		if (bad >= 0) {
			fprintf(stderr,
				"ring: accelerator %d, round %d: word %d from %d is 0x%016" PRIx64
				", expected 0x%016" PRIx64 "\n",
				me, round, bad, left, inbox[bad], pattern(left, round, bad));
			ok = 0;
		}

		/* Everyone has checked before anyone writes the next round. */
		if (failed(podfab_barrier(pf), "podfab_barrier"))
			goto fail;
	}

	printf("accelerator %d: %d rounds of %zu bytes from accelerator %d: %s\n", me, ROUNDS,
	       WORDS * sizeof(uint64_t), left, ok ? "OK" : "FAIL");
	/* With timing on (podfab-run --timing virtual), the fabric model says how long that took. */
	double ns = 0;
	if (me == 0 && podfab_timing_mode(pf) != PODFAB_TIMING_FUNCTIONAL && podfab_time(pf, &ns) == 0)
		printf("ring: %d rounds took %.3f us of model time\n", ROUNDS, ns / 1000.0);

	if (failed(podfab_seg_free(pf, seg), "podfab_seg_free"))
		goto fail;
	if (failed(podfab_finalize(pf), "podfab_finalize"))
		return 1;
	return ok ? 0 : 1;

fail:
	/* Leave without the collective clean-up: the launcher stops the others. */
	printf("accelerator %d: FAIL\n", me);
	return 1;
}
