/*
 * test_rma.c - OpenSHMEM 1.5 section 9.5 (RMA): put, get, p and g round trips
 * to the right-hand neighbour for many types (long double and int8 among
 * them), strided iput/iget, the non-blocking forms completed by quiet, the
 * sized and putmem/getmem forms, the C11 generic interfaces, puts to
 * oneself, zero-length transfers and global/static variables as targets.
 */
#include <stdint.h>
#include <string.h>

#include "shmem_test.h"

#define N 16
#define BIG (64 * 1024)

static long gl_target[N];   /* .bss: symmetric */
int gl_flag;                /* written by the left neighbour */
double gl_dbl = 3.5;        /* .data */

static int me, npes, left, right;

/* put/get/p/g of one type to the right neighbour and back */
#define ROUND_TRIP(TYPE, NAME)                                                                     \
	do {                                                                                       \
		TYPE *dst = shmem_calloc(N, sizeof(TYPE));                                         \
		TYPE src[N], back[N];                                                              \
		CHECK(dst != NULL, #NAME ": calloc");                                              \
		for (int i = 0; i < N; i++)                                                        \
			src[i] = (TYPE)(me * 7 + i + 1);                                           \
		shmem_##NAME##_put(dst, src, N, right);                                            \
		shmem_barrier_all();                                                               \
		for (int i = 0; i < N; i++)                                                        \
			CHECK(dst[i] == (TYPE)(left * 7 + i + 1), #NAME " put: dst[%d] = %g", i,   \
			      (double)dst[i]);                                                     \
		memset(back, 0, sizeof back);                                                      \
		shmem_##NAME##_get(back, dst, N, right); /* what I put there */                    \
		for (int i = 0; i < N; i++)                                                        \
			CHECK(back[i] == src[i], #NAME " get: back[%d] = %g", i, (double)back[i]); \
		shmem_barrier_all();                                                               \
		shmem_##NAME##_p(&dst[N - 1], (TYPE)(me + 100), right);                            \
		shmem_barrier_all();                                                               \
		CHECK(dst[N - 1] == (TYPE)(left + 100), #NAME " p: %g", (double)dst[N - 1]);       \
		TYPE g = shmem_##NAME##_g(&dst[N - 1], left); /* left got it from its left */      \
		CHECK(g == (TYPE)((left + npes - 1) % npes + 100), #NAME " g: %g", (double)g);    \
		shmem_free(dst);                                                                   \
	} while (0)

static void round_trips(void)
{
	ROUND_TRIP(int8_t, int8);
	ROUND_TRIP(char, char);
	ROUND_TRIP(unsigned char, uchar);
	ROUND_TRIP(short, short);
	ROUND_TRIP(int, int);
	ROUND_TRIP(long, long);
	ROUND_TRIP(unsigned long long, ulonglong);
	ROUND_TRIP(uint16_t, uint16);
	ROUND_TRIP(uint64_t, uint64);
	ROUND_TRIP(size_t, size);
	ROUND_TRIP(ptrdiff_t, ptrdiff);
	ROUND_TRIP(float, float);
	ROUND_TRIP(double, double);
	ROUND_TRIP(long double, longdouble);
}

static void strided(void)
{
	int *dst = shmem_calloc(3 * N, sizeof(int));
	int src[2 * N];
	for (int i = 0; i < 2 * N; i++)
		src[i] = me * 1000 + i;
	/* every other source element to every third destination element */
	shmem_int_iput(dst, src, 3, 2, N, right);
	shmem_barrier_all();
	for (int i = 0; i < 3 * N; i++) {
		int want = i % 3 == 0 ? left * 1000 + 2 * (i / 3) : 0;
		CHECK(dst[i] == want, "iput: dst[%d] = %d, want %d", i, dst[i], want);
	}
	/* iget: elements 0, 3, 6 ... of right's dst into every second local slot */
	int got[2 * N];
	memset(got, -1, sizeof got);
	shmem_int_iget(got, dst, 2, 3, N, right);
	for (int i = 0; i < 2 * N; i++) {
		int want = i % 2 == 0 ? me * 1000 + i : -1;
		CHECK(got[i] == want, "iget: got[%d] = %d, want %d", i, got[i], want);
	}
	/* long double, and the sized strided forms */
	long double *ld = shmem_calloc(2 * N, sizeof(long double));
	long double lsrc[N];
	for (int i = 0; i < N; i++)
		lsrc[i] = me + i / 4.0L;
	shmem_longdouble_iput(ld, lsrc, 2, 1, N, right);
	uint16_t *h = shmem_calloc(2 * N, sizeof(uint16_t));
	uint16_t hsrc[N];
	for (int i = 0; i < N; i++)
		hsrc[i] = (uint16_t)(me * 100 + i);
	shmem_iput16(h, hsrc, 2, 1, N, right);
	shmem_barrier_all();
	for (int i = 0; i < N; i++) {
		CHECK(ld[2 * i] == left + i / 4.0L && ld[2 * i + 1] == 0, "longdouble iput %d", i);
		CHECK(h[2 * i] == left * 100 + i && h[2 * i + 1] == 0, "iput16 %d: %u", i, h[2 * i]);
	}
	uint64_t q[N];
	memset(q, 0xff, sizeof q);
	shmem_iget64(q, gl_target, 1, 2, N / 2, right); /* zeros from a global, strided */
	for (int i = 0; i < N; i++)
		CHECK(q[i] == (i < N / 2 ? 0 : UINT64_MAX), "iget64 from a global: q[%d] = %llx", i,
		      (unsigned long long)q[i]);
	shmem_barrier_all();
	shmem_free(h);
	shmem_free(ld);
	shmem_free(dst);
}

static void nonblocking(void)
{
	long *big = shmem_calloc(BIG, sizeof(long));
	long *src = malloc(BIG * sizeof(long));
	CHECK(big && src, "alloc");
	for (int i = 0; i < BIG; i++)
		src[i] = (long)me << 32 | i;
	shmem_long_put_nbi(big, src, BIG, right);
	shmem_quiet(); /* delivered: now the flag */
	shmem_int_p(&gl_flag, 1, right);
	shmem_int_wait_until(&gl_flag, SHMEM_CMP_EQ, 1);
	for (int i = 0; i < BIG; i++)
		CHECK(big[i] == ((long)left << 32 | i), "put_nbi: big[%d] = %lx", i, big[i]);
	memset(src, 0, BIG * sizeof(long));
	shmem_long_get_nbi(src, big, BIG, right);
	shmem_quiet();
	for (int i = 0; i < BIG; i++)
		CHECK(src[i] == ((long)me << 32 | i), "get_nbi: %d = %lx", i, src[i]);
	shmem_barrier_all();
	gl_flag = 0;
	free(src);
	shmem_free(big);
}

static void sized(void)
{
	char *buf = shmem_calloc(1024, 1);
	char src[1024];
	for (int i = 0; i < 1024; i++)
		src[i] = (char)(me + i);
	shmem_putmem(buf, src, 100, right);           /* bytes 0..99 */
	shmem_put32(buf + 100, src + 100, 3, right);  /* 100..111 */
	shmem_put64(buf + 112, src + 112, 2, right);  /* 112..127 */
	shmem_put128(buf + 128, src + 128, 2, right); /* 128..159 */
	shmem_put8(buf + 160, src + 160, 40, right);  /* 160..199 */
	shmem_put16_nbi(buf + 200, src + 200, 28, right); /* 200..255 */
	shmem_putmem_nbi(buf + 256, src + 256, 768, right);
	shmem_barrier_all();
	for (int i = 0; i < 1024; i++)
		CHECK(buf[i] == (char)(left + i), "sized puts: byte %d = %d", i, buf[i]);
	char got[1024];
	memset(got, 0, sizeof got);
	shmem_getmem(got, buf, 64, right);
	shmem_get128(got + 64, buf + 64, 4, right);
	shmem_get32_nbi(got + 128, buf + 128, 32, right);
	shmem_getmem_nbi(got + 256, buf + 256, 768, right);
	shmem_quiet();
	for (int i = 0; i < 1024; i++)
		CHECK(got[i] == (char)(me + i), "sized gets: byte %d = %d", i, got[i]);
	shmem_barrier_all();
	shmem_free(buf);
}

static void globals_and_generic(void)
{
	long src[N];
	for (int i = 0; i < N; i++)
		src[i] = -(me * N + i);
	shmem_put(gl_target, src, N, right); /* C11 generic -> shmem_long_put */
	shmem_p(&gl_dbl, 0.5 + me, right);
	shmem_barrier_all();
	for (int i = 0; i < N; i++)
		CHECK(gl_target[i] == -(left * N + i), "global target[%d] = %ld", i, gl_target[i]);
	CHECK(gl_dbl == 0.5 + left, "global double %g", gl_dbl);
	double d = shmem_g(&gl_dbl, right);
	CHECK(d == 0.5 + me, "g of a global: %g", d);
	long back[N];
	shmem_get(back, gl_target, N, right);
	for (int i = 0; i < N; i++)
		CHECK(back[i] == src[i], "generic get %d", i);
	/* to oneself, and nothing at all */
	long self = 42, *mine = shmem_malloc(sizeof(long));
	shmem_long_put(mine, &self, 1, me);
	CHECK(*mine == 42, "put to myself: %ld", *mine);
	CHECK(shmem_long_g(mine, me) == 42, "g from myself");
	shmem_long_put(NULL, NULL, 0, right);
	shmem_getmem(NULL, NULL, 0, right);
	shmem_long_iput(NULL, NULL, 1, 1, 0, right);
	shmem_free(mine);
}

int main(void)
{
	shmem_init();
	me = shmem_my_pe();
	npes = shmem_n_pes();
	right = (me + 1) % npes;
	left = (me + npes - 1) % npes;
	round_trips();
	strided();
	nonblocking();
	sized();
	globals_and_generic();
	shmem_barrier_all();
	shmem_finalize();
	return 0;
}
