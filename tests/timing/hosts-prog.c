/*
 * hosts-prog.c - a timed job whose accelerators may sit on several hosts
 * (PODFAB_HOSTS=N on one machine, or network namespaces): what each prints
 * is compared by hosts.sh between a run on one host and runs on several.
 *
 *   hosts-prog pingpong   a token goes round the ring 0 -> 1 -> .. -> 0 three
 *                         times, as put-with-signal: 8 bytes from 0, 64 KiB
 *                         from the others; each waits for it, checks the
 *                         bytes and passes it on.  Prints "pingpong <model
 *                         ns>" from 0's clock: the same whether or not they
 *                         share a host, because a write's arrival time
 *                         travels with it to the waiter's clock.
 *   hosts-prog incast [K] accelerators 1..K (default all but 0) put 1 MiB to accelerator 0
 *                         at once (blocking), then a barrier.  Prints "incast
 *                         <id> <model ns the put took>" per sender: one host models
 *                         their contention on the link into 0; senders on
 *                         other hosts do not delay each other.
 *   hosts-prog hold DIR   the ping-pong, then each writes DIR/ready.<id> and
 *                         waits (at most a minute) for DIR/go to appear.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <podfab/podfab.h>

#define BIG (1u << 20)
#define SIG_OFF BIG
#define RING_BYTES 65536
#define LAPS 3

static int check(int rc, const char *what)
{
	if (rc >= 0)
		return 0;
	fprintf(stderr, "hosts-prog: %s: %s (%s)\n", what, podfab_strerror(rc), podfab_error_detail());
	return 1;
}

static int pingpong(podfab_t pf, podfab_seg_t seg, int me, int n)
{
	uint64_t *sig = (uint64_t *)((char *)podfab_seg_addr(pf, seg) + SIG_OFF);
	const unsigned char *got = podfab_seg_addr(pf, seg);
	static unsigned char buf[RING_BYTES];
	int next = (me + 1) % n, prev = (me + n - 1) % n;
	size_t len = me == 0 ? 8 : RING_BYTES; /* unequal hops: a clock that missed one cannot hide */
	double t0 = 0, t1 = 0;
	if (check(podfab_time(pf, &t0), "time"))
		return 1;
	for (uint64_t lap = 1; lap <= LAPS; lap++) {
		if (me != 0 || lap > 1) {
			if (check(podfab_signal_wait_until(pf, sig, PODFAB_CMP_GE, me == 0 ? lap - 1 : lap, NULL),
				  "signal_wait_until"))
				return 1;
			size_t plen = prev == 0 ? 8 : RING_BYTES;
			unsigned char want = (unsigned char)(prev + (me == 0 ? lap - 1 : lap)); /* 0 hears lap - 1 */
			if (got[0] != want || got[plen - 1] != want) {
				fprintf(stderr, "hosts-prog: lap %d: the bytes from %d are wrong (%#x)\n", (int)lap, prev,
					got[0]);
				return 1;
			}
		}
		memset(buf, (unsigned char)(me + lap), len);
		if (check(podfab_put_signal(pf, next, seg, 0, buf, len, seg, SIG_OFF, lap, PODFAB_SIGNAL_SET),
			  "put_signal"))
			return 1;
	}
	if (me == 0) {
		if (check(podfab_signal_wait_until(pf, sig, PODFAB_CMP_GE, LAPS, NULL), "signal_wait_until") ||
		    check(podfab_time(pf, &t1), "time"))
			return 1;
		if (got[0] != (unsigned char)(prev + LAPS) || got[RING_BYTES - 1] != (unsigned char)(prev + LAPS)) {
			fprintf(stderr, "hosts-prog: the last lap's bytes are wrong (%#x)\n", got[0]);
			return 1;
		}
		printf("pingpong %.3f\n", t1 - t0);
	}
	return check(podfab_barrier(pf), "barrier");
}

static int incast(podfab_t pf, podfab_seg_t seg, int me, int senders)
{
	if (me != 0 && me <= senders) {
		char *src = malloc(BIG);
		double t0 = 0, t = 0;
		if (!src) {
			fprintf(stderr, "hosts-prog: out of memory\n");
			return 1;
		}
		memset(src, me, BIG);
		int bad = check(podfab_time(pf, &t0), "time") || check(podfab_put(pf, 0, seg, 0, src, BIG), "put") ||
			  check(podfab_time(pf, &t), "time");
		free(src);
		if (bad)
			return 1;
		printf("incast %d %.3f\n", me, t - t0);
	}
	return check(podfab_barrier(pf), "barrier");
}

/* After the ping-pong: DIR/ready.<id>, then wait for DIR/go (podfab-stat reads the regions meanwhile). */
static int hold(podfab_t pf, podfab_seg_t seg, int me, int n, const char *dir)
{
	if (pingpong(pf, seg, me, n))
		return 1;
	char path[4096];
	snprintf(path, sizeof path, "%s/ready.%d", dir, me);
	FILE *f = fopen(path, "w");
	if (!f || fclose(f) != 0) {
		fprintf(stderr, "hosts-prog: cannot write %s\n", path);
		return 1;
	}
	snprintf(path, sizeof path, "%s/go", dir);
	for (int i = 0; i < 6000; i++) { /* at most a minute */
		FILE *g = fopen(path, "r");
		if (g) {
			fclose(g);
			return check(podfab_barrier(pf), "barrier");
		}
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "hosts-prog: %s never appeared\n", path);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || (strcmp(argv[1], "pingpong") && strcmp(argv[1], "incast") && strcmp(argv[1], "hold")) ||
	    (!strcmp(argv[1], "hold") && argc != 3)) {
		fprintf(stderr, "usage: hosts-prog pingpong | incast [SENDERS] | hold DIR (under podfab-run --timing virtual)\n");
		return 2;
	}
	int senders = argc == 3 && strcmp(argv[1], "hold") ? atoi(argv[2]) : INT32_MAX;
	podfab_t pf;
	if (check(podfab_init(NULL, &pf), "podfab_init"))
		return 1;
	int me = podfab_accel_id(pf), n = podfab_naccels(pf), bad = 0;
	podfab_seg_t seg;
	if (n < 2) {
		fprintf(stderr, "hosts-prog: needs 2 or more accelerators\n");
		bad = 1;
	} else if (check(podfab_seg_alloc(pf, BIG + 64, &seg), "seg_alloc")) {
		bad = 1;
	} else {
		bad = !strcmp(argv[1], "pingpong") ? pingpong(pf, seg, me, n)
		      : !strcmp(argv[1], "hold")   ? hold(pf, seg, me, n, argv[2])
						   : incast(pf, seg, me, senders);
		fflush(stdout);
		if (check(podfab_seg_free(pf, seg), "seg_free"))
			bad = 1;
	}
	if (check(podfab_finalize(pf), "podfab_finalize"))
		bad = 1;
	return bad;
}
