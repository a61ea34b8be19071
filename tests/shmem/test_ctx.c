/*
 * test_ctx.c - OpenSHMEM 1.5 section 9.4 (contexts) and shmem_ctx_fence /
 * shmem_ctx_quiet (9.9): create and destroy with each option, puts, gets
 * and atomics through a context completed by shmem_ctx_quiet, ordering by
 * shmem_ctx_fence, the generic interfaces with a context, the no-ops on
 * SHMEM_CTX_INVALID, and two threads with a private context each
 * (SHMEM_THREAD_MULTIPLE).
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "shmem_test.h"

#define N 4096
#define THREADS 2

static int me, npes, left, right;
static long *area;          /* N longs per thread */
static int flags[THREADS];  /* globals: set by the left neighbour's threads */

static void *thread_main(void *arg)
{
	int t = (int)(intptr_t)arg;
	shmem_ctx_t ctx;
	CHECK(shmem_ctx_create(SHMEM_CTX_PRIVATE, &ctx) == 0, "ctx_create in thread %d", t);
	long *src = malloc(N * sizeof(long));
	CHECK(src != NULL, "malloc");
	for (int i = 0; i < N; i++)
		src[i] = me * 100000 + t * 10000 + i;
	shmem_ctx_long_put_nbi(ctx, area + t * N, src, N, right);
	shmem_ctx_quiet(ctx);
	shmem_ctx_int_p(ctx, &flags[t], 1, right);
	shmem_int_wait_until(&flags[t], SHMEM_CMP_EQ, 1); /* polls: other threads keep going */
	for (int i = 0; i < N; i++)
		CHECK(area[t * N + i] == left * 100000 + t * 10000 + i, "thread %d: area[%d] = %ld", t, i,
		      area[t * N + i]);
	shmem_ctx_destroy(ctx);
	free(src);
	return NULL;
}

int main(void)
{
	int provided;
	CHECK(shmem_init_thread(SHMEM_THREAD_MULTIPLE, &provided) == 0 && provided == SHMEM_THREAD_MULTIPLE,
	      "init_thread");
	me = shmem_my_pe();
	npes = shmem_n_pes();
	right = (me + 1) % npes;
	left = (me + npes - 1) % npes;
	area = shmem_calloc(THREADS * N, sizeof(long));

	/* create and destroy, with every option */
	const long opts[] = {0, SHMEM_CTX_PRIVATE, SHMEM_CTX_SERIALIZED, SHMEM_CTX_NOSTORE,
			     SHMEM_CTX_PRIVATE | SHMEM_CTX_SERIALIZED | SHMEM_CTX_NOSTORE};
	for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
		shmem_ctx_t c = SHMEM_CTX_INVALID;
		CHECK(shmem_ctx_create(opts[k], &c) == 0 && c != SHMEM_CTX_INVALID, "ctx_create(%ld)", opts[k]);
		CHECK(c != SHMEM_CTX_DEFAULT, "a new context is not the default one");
		shmem_ctx_destroy(c);
	}
	for (int k = 0; k < 200; k++) { /* many, alive at once */
		shmem_ctx_t cs[8];
		for (int j = 0; j < 8; j++)
			CHECK(shmem_ctx_create(0, &cs[j]) == 0, "create %d", j);
		for (int j = 0; j < 8; j++)
			shmem_ctx_destroy(cs[j]);
	}
	shmem_ctx_destroy(SHMEM_CTX_INVALID); /* no-ops */
	shmem_ctx_quiet(SHMEM_CTX_INVALID);
	shmem_ctx_fence(SHMEM_CTX_INVALID);

	/* puts, gets, atomics through a context */
	shmem_ctx_t ctx;
	CHECK(shmem_ctx_create(SHMEM_CTX_SERIALIZED, &ctx) == 0, "ctx_create");
	long src[64], got[64];
	for (int i = 0; i < 64; i++)
		src[i] = me * 64 + i;
	long *dst = shmem_calloc(64, sizeof(long));
	int *flag = shmem_calloc(1, sizeof(int));
	shmem_ctx_long_put(ctx, dst, src, 32, right);
	shmem_ctx_putmem_nbi(ctx, dst + 32, src + 32, 32 * sizeof(long), right);
	shmem_ctx_fence(ctx); /* the data before the flag */
	shmem_ctx_int_atomic_set(ctx, flag, 1, right);
	shmem_int_wait_until(flag, SHMEM_CMP_EQ, 1);
	for (int i = 0; i < 64; i++)
		CHECK(dst[i] == left * 64 + i, "ctx put + fence: dst[%d] = %ld", i, dst[i]);
	memset(got, 0, sizeof got);
	shmem_ctx_long_get_nbi(ctx, got, dst, 64, right);
	shmem_ctx_quiet(ctx);
	for (int i = 0; i < 64; i++)
		CHECK(got[i] == src[i], "ctx get_nbi: got[%d] = %ld", i, got[i]);
	CHECK(shmem_ctx_long_g(ctx, &dst[5], right) == me * 64 + 5, "ctx g");
	shmem_barrier_all();
	long v = shmem_ctx_long_atomic_fetch_add(ctx, dst, 1000, right);
	CHECK(v == me * 64, "ctx fetch_add %ld", v);
	shmem_put(ctx, dst + 1, src, 1, right); /* generic, context form */
	shmem_p(ctx, dst + 2, -7L, right);
	shmem_ctx_quiet(ctx);
	CHECK(shmem_g(ctx, dst + 1, right) == src[0] && shmem_g(ctx, dst + 2, right) == -7, "generic ctx");
	shmem_barrier_all();
	CHECK(dst[0] == left * 64 + 1000, "ctx atomic arrived: %ld", dst[0]);
	shmem_ctx_destroy(ctx);

	/* threads, each with a private context */
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++)
		CHECK(pthread_create(&th[t], NULL, thread_main, (void *)(intptr_t)t) == 0, "pthread_create");
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	shmem_barrier_all();
	shmem_free(flag);
	shmem_free(dst);
	shmem_free(area);
	shmem_finalize();
	return 0;
}
