/*
 * test_signal.c - OpenSHMEM 1.5 section 9.6 (signaling): put_signal with
 * SHMEM_SIGNAL_SET to the right neighbour and SHMEM_SIGNAL_ADD from every PE
 * to PE 0, each followed by shmem_signal_wait_until (which returns the value
 * it saw); the non-blocking, sized, putmem, context and generic forms, a
 * signal without data, and shmem_signal_fetch.
 */
#include <stdint.h>
#include <string.h>

#include "shmem_test.h"

#define N 64

static uint64_t gl_sig; /* a global signal word */
static int me, npes, left, right;

int main(void)
{
	shmem_init();
	me = shmem_my_pe();
	npes = shmem_n_pes();
	right = (me + 1) % npes;
	left = (me + npes - 1) % npes;
	long *data = shmem_calloc(N, sizeof(long));
	uint64_t *sig = shmem_calloc(4, sizeof(uint64_t));
	long src[N];
	for (int i = 0; i < N; i++)
		src[i] = me * 1000 + i;

	/* SET: the data are there once the signal is */
	shmem_long_put_signal(data, src, N, &sig[0], (uint64_t)me + 1, SHMEM_SIGNAL_SET, right);
	uint64_t v = shmem_signal_wait_until(&sig[0], SHMEM_CMP_EQ, (uint64_t)left + 1);
	CHECK(v == (uint64_t)left + 1, "signal_wait_until returned %llu", (unsigned long long)v);
	for (int i = 0; i < N; i++)
		CHECK(data[i] == left * 1000 + i, "SET: data[%d] = %ld", i, data[i]);
	CHECK(shmem_signal_fetch(&sig[0]) == (uint64_t)left + 1, "signal_fetch");
	shmem_barrier_all();

	/* ADD: every PE puts its slot on PE 0 and adds 1 */
	long *slots = shmem_calloc((size_t)npes, sizeof(long));
	long mine = 5000 + me;
	shmem_long_put_signal(&slots[me], &mine, 1, &sig[1], 1, SHMEM_SIGNAL_ADD, 0);
	if (me == 0) {
		v = shmem_signal_wait_until(&sig[1], SHMEM_CMP_GE, (uint64_t)npes);
		CHECK(v == (uint64_t)npes, "ADD: signal %llu", (unsigned long long)v);
		for (int i = 0; i < npes; i++)
			CHECK(slots[i] == 5000 + i, "ADD: slot %d = %ld", i, slots[i]);
	}
	shmem_barrier_all();

	/* non-blocking, sized, bytes, context and generic forms: each adds 1 to sig[2] on the right */
	int32_t *w = shmem_calloc(N, sizeof(int32_t));
	char *bytes = shmem_calloc(N, 1);
	double *dd = shmem_calloc(N, sizeof(double));
	int32_t wsrc[N];
	char bsrc[N];
	double dsrc[N];
	for (int i = 0; i < N; i++) {
		wsrc[i] = -(me * 100 + i);
		bsrc[i] = (char)(me + i);
		dsrc[i] = me + i * 0.5;
	}
	shmem_long_put_signal_nbi(data, src, N / 2, &sig[2], 1, SHMEM_SIGNAL_ADD, right);
	shmem_put32_signal(w, wsrc, N / 2, &sig[2], 1, SHMEM_SIGNAL_ADD, right);
	shmem_put32_signal_nbi(w + N / 2, wsrc + N / 2, N / 2, &sig[2], 1, SHMEM_SIGNAL_ADD, right);
	shmem_putmem_signal(bytes, bsrc, N / 2, &sig[2], 1, SHMEM_SIGNAL_ADD, right);
	shmem_putmem_signal_nbi(bytes + N / 2, bsrc + N / 2, N / 2, &sig[2], 1, SHMEM_SIGNAL_ADD, right);
	shmem_ctx_double_put_signal(SHMEM_CTX_DEFAULT, dd, dsrc, N / 2, &sig[2], 1, SHMEM_SIGNAL_ADD, right);
	shmem_put_signal_nbi(SHMEM_CTX_DEFAULT, dd + N / 2, dsrc + N / 2, N / 2, &sig[2], 1, SHMEM_SIGNAL_ADD,
			     right); /* generic, context form */
	shmem_put64_signal(data + N / 2, src + N / 2, 0, &sig[2], 1, SHMEM_SIGNAL_ADD, right); /* no data */
	shmem_quiet();
	v = shmem_signal_wait_until(&sig[2], SHMEM_CMP_EQ, 8);
	CHECK(v == 8, "eight signals: %llu", (unsigned long long)v);
	for (int i = 0; i < N; i++) {
		CHECK(w[i] == -(left * 100 + i), "put32_signal: w[%d] = %d", i, w[i]);
		CHECK(bytes[i] == (char)(left + i), "putmem_signal: byte %d", i);
		CHECK(dd[i] == left + i * 0.5, "double put_signal: %d = %g", i, dd[i]);
	}
	for (int i = 0; i < N / 2; i++)
		CHECK(data[i] == left * 1000 + i, "put_signal_nbi: data[%d] = %ld", i, data[i]);

	/* a global signal word, SET after ADD, and a wait on NE / LT */
	shmem_barrier_all();
	shmem_long_put_signal(data, src, 1, &gl_sig, 40, SHMEM_SIGNAL_ADD, right);
	v = shmem_signal_wait_until(&gl_sig, SHMEM_CMP_NE, 0);
	CHECK(v == 40, "global signal %llu", (unsigned long long)v);
	shmem_barrier_all();
	shmem_put_signal(data, src, 1, &gl_sig, 3, SHMEM_SIGNAL_SET, right); /* generic */
	v = shmem_signal_wait_until(&gl_sig, SHMEM_CMP_LT, 40);
	CHECK(v == 3, "SET after ADD: %llu", (unsigned long long)v);
	CHECK(shmem_signal_fetch(&gl_sig) == 3, "signal_fetch of a global");
	shmem_barrier_all();
	shmem_free(dd);
	shmem_free(bytes);
	shmem_free(w);
	shmem_free(slots);
	shmem_free(sig);
	shmem_free(data);
	shmem_finalize();
	return 0;
}
