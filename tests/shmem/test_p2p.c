/*
 * test_p2p.c - OpenSHMEM 1.5 section 9.10 (point-to-point synchronisation):
 * wait_until with every comparison for 2-, 4- and 8-byte types (the left
 * neighbour writes each value only after the previous wait), test, the
 * _all/_any/_some forms with status masks and their vector forms,
 * the empty wait sets, and the deprecated shmem_wait forms.
 */
#include <stdint.h>
#include <string.h>

#include "shmem_test.h"

#define M 8

static int me, npes, left, right;
static long gl_ivar; /* a global variable to wait on */

/*
 * Each value is written by the left neighbour while this PE may already wait
 * for it; before the write the comparison is false.
 */
#define CMPS(TYPE, NAME)                                                                           \
	do {                                                                                       \
		TYPE *iv = shmem_calloc(1, sizeof(TYPE));                                          \
		static const int cmps[6] = {SHMEM_CMP_EQ, SHMEM_CMP_NE, SHMEM_CMP_GT,              \
					    SHMEM_CMP_GE, SHMEM_CMP_LT, SHMEM_CMP_LE};             \
		static const int put[6] = {5, 6, 7, 8, 3, 2}, arg[6] = {5, 5, 6, 8, 4, 2};         \
		for (int k = 0; k < 6; k++) {                                                      \
			CHECK(!shmem_##NAME##_test(iv, cmps[k], (TYPE)arg[k]),                     \
			      #NAME " test %d true before the write", k);                         \
			shmem_barrier_all();                                                       \
			shmem_##NAME##_p(iv, (TYPE)put[k], right);                                 \
			shmem_##NAME##_wait_until(iv, cmps[k], (TYPE)arg[k]);                      \
			CHECK(*iv == (TYPE)put[k], #NAME " wait %d: %lld", k, (long long)*iv);     \
			CHECK(shmem_##NAME##_test(iv, cmps[k], (TYPE)arg[k]), #NAME " test %d", k); \
		}                                                                                  \
		shmem_barrier_all();                                                               \
		shmem_free(iv);                                                                    \
	} while (0)

static void comparisons(void)
{
	CMPS(short, short);
	CMPS(unsigned short, ushort);
	CMPS(int, int);
	CMPS(unsigned int, uint);
	CMPS(long, long);
	CMPS(unsigned long long, ulonglong);
	CMPS(int32_t, int32);
	CMPS(uint64_t, uint64);
	CMPS(size_t, size);
	CMPS(ptrdiff_t, ptrdiff);
	/* signed comparisons: -1 < 0 for int and short, but not for unsigned */
	int *si = shmem_calloc(1, sizeof(int));
	short *ss = shmem_calloc(1, sizeof(short));
	unsigned int *ui = shmem_calloc(1, sizeof(unsigned int));
	shmem_int_p(si, -1, right);
	shmem_short_p(ss, -1, right);
	shmem_uint_p(ui, (unsigned int)-1, right);
	shmem_int_wait_until(si, SHMEM_CMP_LT, 0);
	shmem_short_wait_until(ss, SHMEM_CMP_LT, 0);
	shmem_uint_wait_until(ui, SHMEM_CMP_GT, 0);
	CHECK(*si == -1 && *ss == -1, "negative values");
	CHECK(!shmem_uint_test(ui, SHMEM_CMP_LT, 1), "unsigned compare");
	/* generic and deprecated forms on a global */
	shmem_barrier_all();
	shmem_long_p(&gl_ivar, 9, right);
	shmem_wait_until(&gl_ivar, SHMEM_CMP_EQ, 9); /* generic */
	shmem_barrier_all();
	shmem_long_p(&gl_ivar, 10, right);
	shmem_long_wait(&gl_ivar, 9);
	CHECK(gl_ivar == 10 && shmem_test(&gl_ivar, SHMEM_CMP_EQ, 10), "shmem_long_wait");
	shmem_barrier_all();
	shmem_long_p(&gl_ivar, 11, right);
	(shmem_wait_until)(&gl_ivar, SHMEM_CMP_GE, 11); /* the deprecated function itself */
	shmem_barrier_all();
	shmem_long_p(&gl_ivar, 12, right);
	(shmem_wait)(&gl_ivar, 11);
	CHECK(gl_ivar == 12, "shmem_wait");
	shmem_barrier_all();
	shmem_free(ui);
	shmem_free(ss);
	shmem_free(si);
}

/* flags[1], [3], [5] become 1 (written by the left neighbour), the rest stay 0 */
static void sets(void)
{
	int *flags = shmem_calloc(M, sizeof(int));
	short *sflags = shmem_calloc(M, sizeof(short));
	const int ones[3] = {1, 3, 5};
	for (int k = 0; k < 3; k++) {
		shmem_int_p(&flags[ones[k]], 1, right);
		shmem_short_p(&sflags[ones[k]], 1, right);
	}
	shmem_barrier_all();
	int only_ones[M] = {1, 0, 1, 0, 1, 0, 1, 1}; /* nonzero: excluded */
	int no_ones[M] = {0, 1, 0, 1, 0, 1, 0, 0};
	int all_out[M] = {1, 1, 1, 1, 1, 1, 1, 1};
	size_t idx[M];
	CHECK(shmem_int_test_all(flags, M, NULL, SHMEM_CMP_EQ, 1) == 0, "test_all without status");
	CHECK(shmem_int_test_all(flags, M, only_ones, SHMEM_CMP_EQ, 1) == 1, "test_all with status");
	CHECK(shmem_int_test_all(flags, M, all_out, SHMEM_CMP_EQ, 1) == 1, "test_all of an empty set");
	CHECK(shmem_int_test_any(flags, M, NULL, SHMEM_CMP_EQ, 1) == 1, "test_any: the first");
	CHECK(shmem_int_test_any(flags, M, no_ones, SHMEM_CMP_EQ, 1) == SIZE_MAX, "test_any: none");
	int not1[M] = {0, 1, 0, 0, 0, 0, 0, 0};
	CHECK(shmem_short_test_any(sflags, M, not1, SHMEM_CMP_NE, 0) == 3, "short test_any");
	memset(idx, 0xff, sizeof idx);
	size_t n = shmem_int_test_some(flags, M, idx, NULL, SHMEM_CMP_EQ, 1);
	CHECK(n == 3 && idx[0] == 1 && idx[1] == 3 && idx[2] == 5, "test_some: %zu", n);
	int not3[M] = {0, 0, 0, 1, 0, 0, 0, 0};
	n = shmem_int_test_some(flags, M, idx, not3, SHMEM_CMP_EQ, 1);
	CHECK(n == 2 && idx[0] == 1 && idx[1] == 5, "test_some with status: %zu", n);
	CHECK(shmem_short_test_some(sflags, M, idx, NULL, SHMEM_CMP_EQ, 0) == 5, "short test_some");
	/* vectors: flags[i] compared with want[i] */
	int want[M] = {0, 1, 0, 1, 0, 1, 0, 0};
	int want_bad[M] = {0, 1, 0, 1, 0, 1, 0, 9};
	CHECK(shmem_int_test_all_vector(flags, M, NULL, SHMEM_CMP_EQ, want) == 1, "test_all_vector");
	CHECK(shmem_int_test_all_vector(flags, M, NULL, SHMEM_CMP_EQ, want_bad) == 0, "test_all_vector false");
	CHECK(shmem_int_test_any_vector(flags, M, NULL, SHMEM_CMP_NE, want_bad) == 7, "test_any_vector");
	CHECK(shmem_int_test_some_vector(flags, M, idx, NULL, SHMEM_CMP_LT, want_bad) == 1 && idx[0] == 7,
	      "test_some_vector");
	CHECK(shmem_test_any(flags, M, no_ones, SHMEM_CMP_EQ, 0) == 0, "generic test_any");
	/* waits already satisfied, and empty sets */
	shmem_int_wait_until_all(flags, M, only_ones, SHMEM_CMP_EQ, 1);
	size_t a = shmem_int_wait_until_any(flags, M, NULL, SHMEM_CMP_EQ, 1);
	CHECK(a == 1 || a == 3 || a == 5, "wait_until_any %zu", a);
	CHECK(shmem_int_wait_until_any(flags, M, all_out, SHMEM_CMP_EQ, 1) == SIZE_MAX, "wait_any empty");
	CHECK(shmem_int_wait_until_any(flags, 0, NULL, SHMEM_CMP_EQ, 1) == SIZE_MAX, "wait_any nelems 0");
	CHECK(shmem_int_wait_until_some(flags, M, idx, all_out, SHMEM_CMP_EQ, 1) == 0, "wait_some empty");
	CHECK(shmem_int_wait_until_some(flags, M, idx, NULL, SHMEM_CMP_EQ, 1) == 3, "wait_some");
	shmem_int_wait_until_all_vector(flags, M, NULL, SHMEM_CMP_EQ, want);
	CHECK(shmem_int_wait_until_any_vector(flags, M, all_out, SHMEM_CMP_EQ, want) == SIZE_MAX,
	      "wait_any_vector empty");
	CHECK(shmem_int_wait_until_some_vector(flags, M, idx, NULL, SHMEM_CMP_GE, want) == M,
	      "wait_some_vector");
	shmem_barrier_all();

	/* real waits: the left neighbour writes later elements one by one, no barrier between */
	long *lv = shmem_calloc(M, sizeof(long));
	unsigned short *us = shmem_calloc(M, sizeof(unsigned short));
	for (int i = M - 1; i >= 0; i--) {
		shmem_long_p(&lv[i], i + 1, right);
		shmem_ushort_p(&us[i], (unsigned short)(i + 1), right);
	}
	long lwant[M];
	for (int i = 0; i < M; i++)
		lwant[i] = i + 1;
	shmem_long_wait_until_all_vector(lv, M, NULL, SHMEM_CMP_EQ, lwant);
	for (int i = 0; i < M; i++)
		CHECK(lv[i] == i + 1, "wait_until_all_vector: %d = %ld", i, lv[i]);
	shmem_ushort_wait_until_all(us, M, NULL, SHMEM_CMP_GT, 0);
	for (int i = 0; i < M; i++)
		CHECK(us[i] == i + 1, "ushort wait_until_all: %d = %u", i, us[i]);
	shmem_barrier_all();
	shmem_long_p(&lv[6], 100, right);
	size_t got = shmem_long_wait_until_any(lv, M, NULL, SHMEM_CMP_GE, 100);
	CHECK(got == 6, "wait_until_any after a put: %zu", got);
	shmem_barrier_all();
	shmem_long_p(&lv[2], 200, right);
	shmem_long_p(&lv[4], 200, right);
	int skip6[M] = {0, 0, 0, 0, 0, 0, 1, 0};
	size_t cnt = 0, seen = 0;
	while (cnt < 2) { /* wait_until_some, excluding what was seen */
		size_t k = shmem_long_wait_until_some(lv, M, idx, skip6, SHMEM_CMP_EQ, 200);
		CHECK(k >= 1 && k <= 2, "wait_until_some %zu", k);
		for (size_t j = 0; j < k; j++) {
			CHECK(idx[j] == 2 || idx[j] == 4, "wait_until_some index %zu", idx[j]);
			seen |= (size_t)1 << idx[j];
			skip6[idx[j]] = 1;
		}
		cnt += k;
	}
	CHECK(seen == ((1u << 2) | (1u << 4)), "wait_until_some saw %zx", seen);
	shmem_barrier_all();
	shmem_free(us);
	shmem_free(lv);
	shmem_free(sflags);
	shmem_free(flags);
}

int main(void)
{
	shmem_init();
	me = shmem_my_pe();
	npes = shmem_n_pes();
	right = (me + 1) % npes;
	left = (me + npes - 1) % npes;
	(void)left;
	comparisons();
	sets();
	shmem_finalize();
	return 0;
}
