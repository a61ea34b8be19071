/*
 * verbs-fail.c - failures over an RDMA transport (verbs; ofi where it applies).
 *
 *   verbs-fail badkey   2 accelerators.  Accelerator 1 exports a buffer,
 *                       accelerator 0 imports it; accelerator 1 frees the
 *                       export (its registration goes); accelerator 0's put,
 *                       get and atomic on the stale handle must each fail with
 *                       PODFAB_EREMOTE; the buffer must be unchanged; and the
 *                       two must go on working (a word put and a barrier).
 *   verbs-fail dies     accelerator 1 _exit(3)s after a barrier; the others put
 *                       to it until an error comes: it must be
 *                       PODFAB_EPEERDEAD within 60 s.  Prints the time taken.
 *
 * Prints "verbs-fail: accelerator I: CASE ok ..." and exits 0 on success; a
 * failed check prints what differed and exits 1 (accelerator 1 of `dies`
 * exits 3 on purpose).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <podfab/podfab.h>

#define BUF 4096

static int me = -1;

static int bad(const char *what, int rc)
{
	fprintf(stderr, "verbs-fail: accelerator %d: %s: %s (%s)\n", me, what, podfab_errname(rc),
		rc < 0 ? podfab_error_detail() : "");
	return 1;
}

#define OK(call)                                   \
	do {                                       \
		int rc_ = (call);                  \
		if (rc_ < 0)                       \
			return bad(#call, rc_);    \
	} while (0)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The error of an operation without its own completion: the call's, else quiet's. */
static int op_or_quiet(podfab_t pf, int rc)
{
	int q = podfab_quiet(pf);
	return rc < 0 ? rc : q;
}

static int badkey(podfab_t pf)
{
	podfab_seg_t keys, ex = NULL, stale = NULL;
	OK(podfab_seg_alloc(pf, 64, &keys));
	volatile uint64_t *kw = podfab_seg_addr(pf, keys);
	uint8_t *buf = aligned_alloc(4096, BUF);
	if (!buf)
		return bad("aligned_alloc", -PODFAB_ENOMEM);
	for (int i = 0; i < BUF; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	if (me == 1) {
		podfab_key_t k;
		OK(podfab_mem_export(pf, buf, BUF, &ex, &k));
		OK(podfab_put(pf, 0, keys, 0, &k, 8));
	}
	OK(podfab_barrier(pf));
	if (me == 0)
		OK(podfab_mem_import(pf, kw[0], &stale));
	/* a valid access first: the connection works */
	if (me == 0) {
		uint64_t w = 0;
		OK(podfab_get(pf, &w, 1, stale, 8, 8));
		uint64_t want;
		memcpy(&want, buf + 8, 8); /* the same pattern on both sides */
		if (w != want) {
			fprintf(stderr, "verbs-fail: accelerator 0: get before the revocation read 0x%llx, not 0x%llx\n",
				(unsigned long long)w, (unsigned long long)want);
			return 1;
		}
	}
	OK(podfab_barrier(pf));
	if (me == 1)
		OK(podfab_seg_free(pf, ex)); /* the registration goes: its remote key is dead */
	OK(podfab_barrier(pf));
	if (me == 0) {
		uint8_t data[256];
		memset(data, 0xee, sizeof data);
		int rp = op_or_quiet(pf, podfab_put(pf, 1, stale, 0, data, 16));
		int rb = op_or_quiet(pf, podfab_put(pf, 1, stale, 512, data, sizeof data));
		uint64_t got = 0, old = 0;
		int rg = podfab_get(pf, &got, 1, stale, 0, 8);
		int ra = podfab_atomic(pf, 1, stale, 64, PODFAB_AOP_ADD, PODFAB_UINT64, 5, 0, &old);
		const char *name[4] = {"put of 16 bytes", "put of 256 bytes", "get", "fetch-add"};
		int rcs[4] = {rp, rb, rg, ra};
		for (int i = 0; i < 4; i++) {
			if (rcs[i] != -PODFAB_EREMOTE) {
				fprintf(stderr, "verbs-fail: accelerator 0: %s on a revoked key returned %s, not PODFAB_EREMOTE\n",
					name[i], podfab_errname(rcs[i]));
				return 1;
			}
		}
		printf("verbs-fail: accelerator 0: put, get and atomic on a revoked key: PODFAB_EREMOTE (%s)\n",
		       podfab_error_detail());
		/* the connection is replaced: a word to accelerator 1 wakes it */
		uint64_t one = 1;
		OK(podfab_put(pf, 1, keys, 8, &one, 8));
		OK(podfab_quiet(pf));
	} else {
		OK(podfab_wait_until(pf, (const void *)&kw[1], PODFAB_UINT64, PODFAB_CMP_EQ, 1));
		for (int i = 0; i < BUF; i++)
			if (buf[i] != (uint8_t)(i * 7 + 1)) {
				fprintf(stderr, "verbs-fail: accelerator 1: byte %d of the revoked buffer changed (0x%02x)\n", i,
					buf[i]);
				return 1;
			}
	}
	OK(podfab_barrier(pf));
	if (me == 0)
		OK(podfab_seg_free(pf, stale));
	OK(podfab_barrier(pf));
	OK(podfab_seg_free(pf, keys));
	free(buf);
	printf("verbs-fail: accelerator %d: badkey ok\n", me);
	return 0;
}

static int dies(podfab_t pf)
{
	podfab_seg_t seg;
	OK(podfab_seg_alloc(pf, BUF, &seg));
	OK(podfab_barrier(pf));
	if (me == 1) {
		fprintf(stderr, "verbs-fail: accelerator 1: dying on purpose\n");
		fflush(stderr);
		_exit(3);
	}
	char *src = podfab_seg_addr(pf, seg); /* registered: the put waits for its completion */
	double t0 = now_s();
	int rc = 0;
	long n = 0;
	while (rc == 0 && now_s() - t0 < 60) {
		rc = podfab_put(pf, 1, seg, 0, src, 1024);
		if (rc == 0)
			rc = podfab_quiet(pf);
		n++;
	}
	double dt = now_s() - t0;
	if (rc != -PODFAB_EPEERDEAD) {
		fprintf(stderr, "verbs-fail: accelerator %d: after %.1f s and %ld puts: %s, not PODFAB_EPEERDEAD\n", me, dt, n,
			podfab_errname(rc));
		return 1;
	}
	printf("verbs-fail: accelerator %d: dies ok: PODFAB_EPEERDEAD after %.2f s and %ld puts (%s)\n", me, dt, n,
	       podfab_error_detail());
	fflush(stdout);
	_exit(0); /* the job is broken: no finalize */
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "badkey") && strcmp(argv[1], "dies"))) {
		fprintf(stderr, "usage: verbs-fail badkey|dies\n");
		return 2;
	}
	podfab_t pf;
	int rc = podfab_init(NULL, &pf);
	if (rc < 0)
		return bad("podfab_init", rc);
	me = podfab_accel_id(pf);
	if (podfab_naccels(pf) < 2) {
		fprintf(stderr, "verbs-fail: needs 2 or more accelerators\n");
		return 2;
	}
	rc = !strcmp(argv[1], "badkey") ? badkey(pf) : dies(pf);
	if (rc)
		return rc;
	rc = podfab_finalize(pf);
	return rc < 0 ? bad("podfab_finalize", rc) : 0;
}
