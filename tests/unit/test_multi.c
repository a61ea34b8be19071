/*
 * test_multi.c - several accelerators as threads of one process: a ring of
 * puts, a barrier, atomics from everyone on accelerator 0 with an exact total,
 * and the collective error paths (mismatched sizes, a barrier nobody joins).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"

#define NACC 8
#define K 250 /* atomics per accelerator */
#define RING_WORDS 64
#define CTR_OFF 4096    /* 64-bit counter on accelerator 0 */
#define CTR32_OFF 4104  /* 32-bit counter */
#define MAX_OFF 4112    /* running maximum */
#define SEGSZ 8192

struct shared {
	atomic_uchar seen[NACC * K]; /* every old value a fetch-add returned */
};

static uint64_t ring_word(int from, int w)
{
	return ((uint64_t)(unsigned)from << 32) | (uint64_t)(unsigned)w | 0xab00000000000000ull;
}

static int ring_and_atomics(podfab_t pf, int id, void *arg)
{
	struct shared *sh = arg;
	const int n = NACC;
	UT_CHECK_RC(id, podfab_accel_id(pf), id);
	UT_CHECK_RC(id, podfab_naccels(pf), n);
	podfab_seg_t seg = NULL;
	UT_CHECK_RC(id, podfab_seg_alloc(pf, SEGSZ, &seg), 0);
	uint64_t *mine = podfab_seg_addr(pf, seg);
	UT_CHECK(id, mine != NULL);
	UT_CHECK(id, ((uintptr_t)mine & 4095) == 0);
	for (int i = 0; i < SEGSZ / 8; i++)
		UT_CHECK(id, mine[i] == 0); /* zeroed */
	UT_CHECK_RC(id, podfab_barrier(pf), 0); /* nobody writes before everyone has checked */

	/* Ring: write to the right neighbour, read what the left one wrote. */
	uint64_t msg[RING_WORDS];
	for (int w = 0; w < RING_WORDS; w++)
		msg[w] = ring_word(id, w);
	int right = (id + 1) % n, left = (id + n - 1) % n;
	UT_CHECK_RC(id, podfab_put(pf, right, seg, 0, msg, sizeof msg), 0);
	UT_CHECK_RC(id, podfab_barrier(pf), 0);
	for (int w = 0; w < RING_WORDS; w++)
		UT_CHECK(id, mine[w] == ring_word(left, w));
	/* and read the right neighbour's copy back: it holds our message */
	uint64_t back[RING_WORDS];
	UT_CHECK_RC(id, podfab_get(pf, back, right, seg, 0, sizeof back), 0);
	UT_CHECK(id, memcmp(back, msg, sizeof msg) == 0);

	/* Atomics: everyone on accelerator 0. */
	for (int i = 0; i < K; i++) {
		uint64_t old = UINT64_MAX;
		UT_CHECK_RC(id, podfab_atomic_fetch_add_u64(pf, 0, seg, CTR_OFF, 1, &old), 0);
		UT_CHECK(id, old < (uint64_t)n * K);
		UT_CHECK(id, atomic_exchange(&sh->seen[old], 1) == 0); /* each old value once */
		UT_CHECK_RC(id, podfab_atomic(pf, 0, seg, CTR32_OFF, PODFAB_AOP_ADD, PODFAB_UINT32, 2,
					      0, NULL),
			    0);
		UT_CHECK_RC(id, podfab_atomic(pf, 0, seg, MAX_OFF, PODFAB_AOP_MAX, PODFAB_INT64,
					      (uint64_t)(id * K + i), 0, NULL),
			    0);
	}
	UT_CHECK_RC(id, podfab_barrier(pf), 0);
	uint64_t total = 0, max = 0;
	uint32_t total32 = 0;
	UT_CHECK_RC(id, podfab_get(pf, &total, 0, seg, CTR_OFF, 8), 0);
	UT_CHECK_RC(id, podfab_get(pf, &total32, 0, seg, CTR32_OFF, 4), 0);
	UT_CHECK_RC(id, podfab_atomic(pf, 0, seg, MAX_OFF, PODFAB_AOP_FETCH, PODFAB_INT64, 0, 0, &max),
		    0);
	UT_CHECK_RC(id, total, (uint64_t)n * K);
	UT_CHECK_RC(id, total32, 2u * n * K);
	UT_CHECK_RC(id, max, (uint64_t)(n * K - 1));
	if (id == 0)
		UT_CHECK_RC(id, mine[CTR_OFF / 8], (uint64_t)n * K);
	else
		UT_CHECK_RC(id, mine[CTR_OFF / 8], 0); /* only accelerator 0's copy counted */
	UT_CHECK_RC(id, podfab_barrier(pf), 0);
	UT_CHECK_RC(id, podfab_seg_free(pf, seg), 0);
	return 0;
}

START_TEST(test_eight_accelerators)
{
	ut_clear_env();
	struct shared *sh = calloc(1, sizeof *sh);
	ck_assert_ptr_nonnull(sh);
	char why[512];
	int rc = ut_run_accels(NACC, ring_and_atomics, sh, why, sizeof why);
	ck_assert_msg(rc == 0, "%s", why);
	for (int i = 0; i < NACC * K; i++)
		ck_assert_msg(atomic_load(&sh->seen[i]) == 1, "no fetch-add returned %d", i);
	free(sh);
}
END_TEST

static int several_rounds(podfab_t pf, int id, void *arg)
{
	(void)arg;
	/* Repeated collectives in the same order: allocate, use, free. */
	for (int round = 0; round < 5; round++) {
		podfab_seg_t seg = NULL;
		size_t sz = (size_t)4096 << round;
		UT_CHECK_RC(id, podfab_seg_alloc(pf, sz, &seg), 0);
		UT_CHECK(id, podfab_seg_size(pf, seg) == sz);
		UT_CHECK_RC(id, podfab_seg_owner(pf, seg), id);
		UT_CHECK_RC(id, podfab_atomic_add_u64(pf, round % 4, seg, sz - 8, 1), 0);
		UT_CHECK_RC(id, podfab_barrier(pf), 0);
		uint64_t *p = podfab_ptr(pf, round % 4, seg, sz - 8);
		UT_CHECK(id, p != NULL);
		UT_CHECK_RC(id, *p, 4);
		UT_CHECK_RC(id, podfab_barrier(pf), 0);
		UT_CHECK_RC(id, podfab_seg_free(pf, seg), 0);
	}
	return 0;
}

START_TEST(test_repeated_collectives)
{
	ut_clear_env();
	char why[512];
	int rc = ut_run_accels(4, several_rounds, NULL, why, sizeof why);
	ck_assert_msg(rc == 0, "%s", why);
}
END_TEST

static int mismatch(podfab_t pf, int id, void *arg)
{
	(void)arg;
	podfab_seg_t sentinel = (podfab_seg_t)(void *)&sentinel, seg = sentinel;
	UT_CHECK_RC(id, podfab_seg_alloc(pf, id == 0 ? 4096 : 8192, &seg), -PODFAB_EMISMATCH);
	UT_CHECK(id, seg == sentinel);
	/* The pod is still usable after a failed collective. */
	UT_CHECK_RC(id, podfab_seg_alloc(pf, 4096, &seg), 0);
	UT_CHECK_RC(id, podfab_barrier(pf), 0);
	UT_CHECK_RC(id, podfab_seg_free(pf, seg), 0);
	return 0;
}

START_TEST(test_alloc_mismatch)
{
	ut_clear_env();
	char why[512];
	int rc = ut_run_accels(2, mismatch, NULL, why, sizeof why);
	ck_assert_msg(rc == 0, "%s", why);
}
END_TEST

/* A barrier that the other accelerator never joins ends with ETIMEDOUT. */
struct lonely {
	char job[UT_JOB_LEN];
	int rc[2];
	double secs;
	pthread_mutex_t m;
	pthread_cond_t c;
	int barrier_done;
};

static void *lonely_main(void *arg)
{
	struct lonely *l = arg;
	static int next;
	pthread_mutex_lock(&l->m);
	int id = next++;
	pthread_mutex_unlock(&l->m);
	podfab_params_t p = ut_params(id, 2, l->job);
	p.field_mask |= PODFAB_PARAM_TIMEOUT_MS;
	p.timeout_ms = 500;
	podfab_t pf = NULL;
	l->rc[id] = podfab_init(&p, &pf);
	if (l->rc[id] != 0)
		return NULL;
	if (id == 0) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		l->rc[0] = podfab_barrier(pf);
		clock_gettime(CLOCK_MONOTONIC, &b);
		l->secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		pthread_mutex_lock(&l->m);
		l->barrier_done = 1;
		pthread_cond_broadcast(&l->c);
		pthread_mutex_unlock(&l->m);
	} else {
		pthread_mutex_lock(&l->m);
		while (!l->barrier_done)
			pthread_cond_wait(&l->c, &l->m);
		pthread_mutex_unlock(&l->m);
	}
	podfab_finalize(pf);
	return NULL;
}

START_TEST(test_barrier_timeout)
{
	ut_clear_env();
	struct lonely l;
	memset(&l, 0, sizeof l);
	pthread_mutex_init(&l.m, NULL);
	pthread_cond_init(&l.c, NULL);
	ut_job(l.job, sizeof l.job);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, lonely_main, &l), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ck_assert_msg(l.rc[1] == 0, "init of accelerator 1: %s", podfab_errname(l.rc[1]));
	ck_assert_msg(l.rc[0] == -PODFAB_ETIMEDOUT, "lonely barrier returned %d (%s)", l.rc[0],
		      podfab_errname(l.rc[0]));
	ck_assert_msg(l.secs >= 0.4 && l.secs < 10, "the barrier gave up after %.2f s, timeout 0.5 s",
		      l.secs);
}
END_TEST

static Suite *multi_suite(void)
{
	Suite *s = suite_create("multi");
	TCase *tc = tcase_create("threads");
	tcase_add_checked_fixture(tc, ut_clear_env, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_eight_accelerators);
	tcase_add_test(tc, test_repeated_collectives);
	tcase_add_test(tc, test_alloc_mismatch);
	suite_add_tcase(s, tc);
	tc = tcase_create("timeouts");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_barrier_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ut_run_suite(multi_suite());
}
