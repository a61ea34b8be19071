/*
 * signal.c - producer and consumers with put-with-signal and flow control.
 *
 * Accelerator 0 (the producer) sends M messages to every other accelerator
 * (the consumers).  A message travels with podfab_put_signal: the payload
 * goes into one of SLOTS slots of the consumer's segment, then the consumer's
 * "arrived" signal word is incremented.  A consumer that sees the signal grow
 * is guaranteed to see the payload too, so it waits with
 * podfab_signal_wait_until, checks the message, and acknowledges it with an
 * atomic add on its "consumed" word in the producer's segment.  The producer
 * reuses a slot only after the consumer has acknowledged the message that was
 * in it: at most SLOTS messages are in flight per consumer.
 *
 *     podfab-run -n 4 ./podfab-example-signal [M]      (M defaults to 1000)
 *
 * Segment layout (symmetric, the same on every accelerator):
 *
 *     [0, SLOTS * sizeof(struct message))   message slots      (consumers)
 *     ARRIVED_OFF                           arrived signal word (consumers)
 *     CONSUMED_OFF + 8 * c                  consumed count of c (producer)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <podfab/podfab.h>

#define SLOTS 4
#define PAYLOAD_WORDS 30

struct message {
	uint64_t seq;                    /* message number, 0 .. M-1 */
	uint64_t consumer;               /* who it is for */
	uint64_t data[PAYLOAD_WORDS];    /* a pattern derived from seq and consumer */
};

#define ARRIVED_OFF (SLOTS * sizeof(struct message))
#define CONSUMED_OFF (ARRIVED_OFF + sizeof(uint64_t))

static int failed(int rc, const char *what)
{
	if (rc >= 0)
		return 0;
	fprintf(stderr, "signal: %s: %s (%s)\n", what, podfab_strerror(rc), podfab_error_detail());
	return 1;
}

static uint64_t payload_word(uint64_t seq, uint64_t consumer, int w)
{
	return (seq * 0x9e3779b97f4a7c15ull) ^ (consumer << 48) ^ (uint64_t)w;
}

/* Accelerator 0: send m messages to each consumer, never more than SLOTS unread. */
static int produce(podfab_t pf, podfab_seg_t seg, int n, long m)
{
	const uint64_t *consumed = (const uint64_t *)((const char *)podfab_seg_addr(pf, seg) +
						      CONSUMED_OFF);
	for (long seq = 0; seq < m; seq++) {
		for (int c = 1; c < n; c++) {
			/*
			 * Flow control: slot seq % SLOTS last held message
			 * seq - SLOTS; wait until consumer c has acknowledged it.
			 */
			if (seq >= SLOTS &&
			    failed(podfab_wait_until(pf, &consumed[c], PODFAB_UINT64, PODFAB_CMP_GE,
						     (uint64_t)(seq - SLOTS + 1)),
				   "podfab_wait_until (credit)"))
				return 1;

			struct message msg = {.seq = (uint64_t)seq, .consumer = (uint64_t)c};
			for (int w = 0; w < PAYLOAD_WORDS; w++)
				msg.data[w] = payload_word(msg.seq, msg.consumer, w);

			/* Payload into the slot, then arrived += 1 on consumer c. */
			size_t slot_off = (size_t)(seq % SLOTS) * sizeof msg;
			if (failed(podfab_put_signal(pf, c, seg, slot_off, &msg, sizeof msg, seg,
						     ARRIVED_OFF, 1, PODFAB_SIGNAL_ADD),
				   "podfab_put_signal"))
				return 1;
		}
	}
	printf("producer: sent %ld messages to each of %d consumer%s\n", m, n - 1,
	       n == 2 ? "" : "s");
	return 0;
}

/* Accelerators 1 .. N-1: receive and check m messages, acknowledging each. */
static int consume(podfab_t pf, podfab_seg_t seg, int me, long m)
{
	char *base = podfab_seg_addr(pf, seg);
	const uint64_t *arrived = (const uint64_t *)(base + ARRIVED_OFF);
	for (long seq = 0; seq < m; seq++) {
		/* Message seq has arrived once the signal word reaches seq + 1. */
		if (failed(podfab_signal_wait_until(pf, arrived, PODFAB_CMP_GE, (uint64_t)seq + 1,
						    NULL),
			   "podfab_signal_wait_until"))
			return 1;

		struct message msg;
		memcpy(&msg, base + (size_t)(seq % SLOTS) * sizeof msg, sizeof msg);
		int ok = msg.seq == (uint64_t)seq && msg.consumer == (uint64_t)me;
		for (int w = 0; w < PAYLOAD_WORDS && ok; w++)
			ok = msg.data[w] == payload_word((uint64_t)seq, (uint64_t)me, w);
		if (!ok) {
			fprintf(stderr,
				"signal: consumer %d: message %ld is corrupt (seq %" PRIu64
				", for %" PRIu64 ")\n",
				me, seq, msg.seq, msg.consumer);
			printf("consumer %d: FAIL\n", me);
			return 1;
		}

		/* The slot is free again: consumed[me] += 1 in the producer's segment. */
		size_t ack_off = CONSUMED_OFF + (size_t)me * sizeof(uint64_t);
		if (failed(podfab_atomic_add_u64(pf, 0, seg, ack_off, 1), "podfab_atomic (ack)"))
			return 1;
	}
	printf("consumer %d: received %ld messages: OK\n", me, m);
	return 0;
}

int main(int argc, char **argv)
{
	long m = 1000;
	if (argc > 2) {
		fprintf(stderr, "usage: podfab-run -n N %s [M]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		char *end = NULL;
		errno = 0;
		m = strtol(argv[1], &end, 10);
		if (errno || end == argv[1] || *end || m < 1 || m > 1000000000) {
			fprintf(stderr, "signal: M must be a whole number from 1 to 1000000000, "
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
			fprintf(stderr, "signal: start me with podfab-run -n N (N >= 2)\n");
		return 1;
	}
	int me = podfab_accel_id(pf);
	int n = podfab_naccels(pf);
	if (failed(me, "podfab_accel_id") || failed(n, "podfab_naccels"))
		return 1;

	if (n < 2) {
		printf("signal: this example needs at least two accelerators (a producer and a "
		       "consumer); run it with podfab-run -n 2 or more\n");
		return failed(podfab_finalize(pf), "podfab_finalize");
	}

	/* Zeroed: no message has arrived, none has been consumed. */
	size_t size = CONSUMED_OFF + (size_t)n * sizeof(uint64_t);
	if (failed(podfab_seg_alloc(pf, size, &seg), "podfab_seg_alloc"))
		return 1;
	if (!podfab_seg_addr(pf, seg)) {
		fprintf(stderr, "signal: podfab_seg_addr: %s\n", podfab_error_detail());
		return 1;
	}

	rc = me == 0 ? produce(pf, seg, n, m) : consume(pf, seg, me, m);
	if (rc)
		return rc; /* the launcher stops the others */

	if (failed(podfab_barrier(pf), "podfab_barrier"))
		return 1;
	if (failed(podfab_seg_free(pf, seg), "podfab_seg_free"))
		return 1;
	if (failed(podfab_finalize(pf), "podfab_finalize"))
		return 1;
	return 0;
}
