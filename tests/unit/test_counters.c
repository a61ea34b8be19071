/* test_counters.c - counter names and descriptions, exact counts, reset, partial reads. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

static const char *const names[] = {
#define X(name, str, desc) str,
	PODFAB_COUNTER_LIST(X)
#undef X
};
static const char *const descs[] = {
#define X(name, str, desc) desc,
	PODFAB_COUNTER_LIST(X)
#undef X
};
#define NCTR ((int)(sizeof names / sizeof names[0]))

#define SENT 0xfeedfacecafebeefull

START_TEST(test_names_and_descs)
{
	ck_assert_int_eq(NCTR, PODFAB_CTR_MAX);
	for (int i = 0; i < PODFAB_CTR_MAX; i++) {
		const char *n = podfab_counter_name(i);
		const char *d = podfab_counter_desc(i);
		ck_assert_msg(n != NULL, "counter %d has no name", i);
		ck_assert_msg(d != NULL, "counter %d has no description", i);
		ck_assert_str_eq(n, names[i]);
		ck_assert_str_eq(d, descs[i]);
		ck_assert_uint_gt(strlen(d), 0);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(n, podfab_counter_name(j));
	}
	ck_assert_str_eq(podfab_counter_name(PODFAB_CTR_PUT_OPS), "put_ops");
	ck_assert_str_eq(podfab_counter_name(PODFAB_CTR_ERRORS), "errors");
	const int past[] = {PODFAB_CTR_MAX, PODFAB_CTR_MAX + 1, 1000, INT_MAX, -1, INT_MIN};
	for (size_t i = 0; i < sizeof past / sizeof past[0]; i++) {
		ck_assert_ptr_null(podfab_counter_name(past[i]));
		ck_assert_ptr_null(podfab_counter_desc(past[i]));
	}
}
END_TEST

static void read_all(podfab_t pf, uint64_t *v)
{
	for (int i = 0; i < PODFAB_CTR_MAX; i++)
		v[i] = SENT;
	ut_assert_rc(podfab_counters(pf, v, PODFAB_CTR_MAX), PODFAB_CTR_MAX);
}

static void expect_counts(podfab_t pf, const uint64_t *want, const char *when)
{
	uint64_t got[PODFAB_CTR_MAX];
	read_all(pf, got);
	for (int i = 0; i < PODFAB_CTR_MAX; i++)
		ck_assert_msg(got[i] == want[i], "%s: counter %s is %llu, expected %llu", when,
			      names[i], (unsigned long long)got[i], (unsigned long long)want[i]);
}

START_TEST(test_exact_counts)
{
	ut_clear_env();
	podfab_t pf = ut_init1();
	uint64_t want[PODFAB_CTR_MAX];
	memset(want, 0, sizeof want);
	expect_counts(pf, want, "after podfab_init");

	podfab_seg_t seg = NULL;
	ut_assert_rc(podfab_seg_alloc(pf, 4096, &seg), 0);
	uint8_t buf[256];
	memset(buf, 3, sizeof buf);
	uint64_t res = 0;
	podfab_req_t r = NULL;
	ut_assert_rc(podfab_counters_reset(pf), 0);
	expect_counts(pf, want, "after reset");

	for (int i = 0; i < 3; i++)
		ut_assert_rc(podfab_put(pf, 0, seg, 0, buf, 100), 0);
	want[PODFAB_CTR_PUT_OPS] = 3;
	want[PODFAB_CTR_PUT_BYTES] = 300;
	for (int i = 0; i < 2; i++)
		ut_assert_rc(podfab_get(pf, buf, 0, seg, 0, 50), 0);
	want[PODFAB_CTR_GET_OPS] = 2;
	want[PODFAB_CTR_GET_BYTES] = 100;
	expect_counts(pf, want, "after put and get");

	ut_assert_rc(podfab_put_nb(pf, 0, seg, 0, buf, 10, &r), 0);
	ut_assert_rc(podfab_wait(pf, r), 0);
	want[PODFAB_CTR_PUT_OPS]++;
	want[PODFAB_CTR_PUT_BYTES] += 10;
	want[PODFAB_CTR_NB_OPS]++;
	ut_assert_rc(podfab_get_nb(pf, buf, 0, seg, 0, 20, NULL), 0);
	ut_assert_rc(podfab_quiet(pf), 0);
	want[PODFAB_CTR_GET_OPS]++;
	want[PODFAB_CTR_GET_BYTES] += 20;
	want[PODFAB_CTR_NB_OPS]++;
	want[PODFAB_CTR_QUIETS]++;
	expect_counts(pf, want, "after non-blocking put and get");

	ut_assert_rc(podfab_atomic(pf, 0, seg, 512, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL), 0);
	ut_assert_rc(podfab_atomic(pf, 0, seg, 512, PODFAB_AOP_SET, PODFAB_UINT32, 1, 0, NULL), 0);
	ut_assert_rc(podfab_atomic_add_u64(pf, 0, seg, 520, 5), 0);
	want[PODFAB_CTR_ATOMIC_OPS] = 3;
	ut_assert_rc(podfab_atomic(pf, 0, seg, 512, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, &res), 0);
	ut_assert_rc(podfab_atomic_cswap_u64(pf, 0, seg, 512, res, 9, &res), 0);
	ut_assert_rc(podfab_atomic_fetch_add_u64(pf, 0, seg, 520, 1, &res), 0);
	ck_assert_uint_eq(res, 5);
	want[PODFAB_CTR_FETCH_ATOMIC_OPS] = 3;
	ut_assert_rc(podfab_atomic_nb(pf, 0, seg, 512, PODFAB_AOP_ADD, PODFAB_INT64, 1, 0, &res, &r), 0);
	ut_assert_rc(podfab_wait(pf, r), 0);
	want[PODFAB_CTR_FETCH_ATOMIC_OPS]++;
	want[PODFAB_CTR_NB_OPS]++;
	ut_assert_rc(podfab_atomic_nb(pf, 0, seg, 512, PODFAB_AOP_XOR, PODFAB_INT64, 1, 0, NULL, &r), 0);
	ut_assert_rc(podfab_wait(pf, r), 0);
	want[PODFAB_CTR_ATOMIC_OPS]++;
	want[PODFAB_CTR_NB_OPS]++;
	expect_counts(pf, want, "after atomics");

	/* A put with signal is a put too ("puts with signal included"). */
	ut_assert_rc(podfab_put_signal(pf, 0, seg, 128, buf, 16, seg, 1024, 1, PODFAB_SIGNAL_ADD), 0);
	ut_assert_rc(podfab_put_signal_nb(pf, 0, seg, 128, buf, 8, seg, 1024, 1, PODFAB_SIGNAL_ADD,
					  &r),
		     0);
	ut_assert_rc(podfab_wait(pf, r), 0);
	want[PODFAB_CTR_SIGNAL_OPS] = 2;
	want[PODFAB_CTR_PUT_OPS] += 2;
	want[PODFAB_CTR_PUT_BYTES] += 24;
	want[PODFAB_CTR_NB_OPS]++;
	expect_counts(pf, want, "after puts with signal");

	ut_assert_rc(podfab_fence(pf), 0);
	ut_assert_rc(podfab_fence(pf), 0);
	want[PODFAB_CTR_FENCES] = 2;
	ut_assert_rc(podfab_quiet(pf), 0);
	want[PODFAB_CTR_QUIETS]++;
	uint8_t *base = podfab_seg_addr(pf, seg);
	ut_assert_rc(podfab_signal_wait_until(pf, (const uint64_t *)(void *)(base + 1024),
					      PODFAB_CMP_EQ, 2, &res),
		     0);
	ck_assert_uint_eq(res, 2);
	ut_assert_rc(podfab_wait_until(pf, base + 520, PODFAB_UINT64, PODFAB_CMP_GE, 6), 0);
	want[PODFAB_CTR_WAITS] = 2;
	expect_counts(pf, want, "after fences, quiet and waits");

	/* Failed operations count as errors, and as nothing else. */
	ut_assert_rc(podfab_put(pf, 0, seg, 4096, buf, 1), -PODFAB_EBOUNDS);
	ut_assert_rc(podfab_get(pf, buf, 1, seg, 0, 1), -PODFAB_EACCEL);
	ut_assert_rc(podfab_atomic(pf, 0, seg, 4, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL),
		     -PODFAB_EALIGN);
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 0, buf, 0, &r), -PODFAB_EZEROLEN);
	want[PODFAB_CTR_ERRORS] = 4;
	expect_counts(pf, want, "after failed operations");

	ut_assert_rc(podfab_barrier(pf), 0);
	uint64_t got[PODFAB_CTR_MAX];
	read_all(pf, got);
	ck_assert_uint_eq(got[PODFAB_CTR_BARRIERS], 1);
	for (int i = 0; i < PODFAB_CTR_MAX; i++)
		if (i != PODFAB_CTR_BARRIERS && i != PODFAB_CTR_QUIETS)
			ck_assert_msg(got[i] == want[i], "barrier changed counter %s", names[i]);

	/* Reset: everything back to zero, and counting starts again. */
	ut_assert_rc(podfab_counters_reset(pf), 0);
	memset(want, 0, sizeof want);
	expect_counts(pf, want, "after the second reset");
	ut_assert_rc(podfab_put(pf, 0, seg, 0, buf, 7), 0);
	want[PODFAB_CTR_PUT_OPS] = 1;
	want[PODFAB_CTR_PUT_BYTES] = 7;
	expect_counts(pf, want, "after one more put");

	ut_assert_rc(podfab_seg_free(pf, seg), 0);
	ut_assert_rc(podfab_finalize(pf), 0);
}
END_TEST

START_TEST(test_partial_read)
{
	ut_clear_env();
	podfab_t pf = ut_init1();
	podfab_seg_t seg = NULL;
	ut_assert_rc(podfab_seg_alloc(pf, 64, &seg), 0);
	uint8_t b[8] = {0};
	ut_assert_rc(podfab_put(pf, 0, seg, 0, b, 8), 0);
	ut_assert_rc(podfab_get(pf, b, 0, seg, 0, 4), 0);
	ut_assert_rc(podfab_get(pf, b, 0, seg, 0, 4), 0);

	uint64_t v[PODFAB_CTR_MAX + 8];
	for (int n = 0; n <= PODFAB_CTR_MAX; n++) {
		for (int i = 0; i < PODFAB_CTR_MAX + 8; i++)
			v[i] = SENT;
		ut_assert_rc(podfab_counters(pf, v, n), PODFAB_CTR_MAX);
		for (int i = n; i < PODFAB_CTR_MAX + 8; i++)
			ck_assert_msg(v[i] == SENT, "podfab_counters(n=%d) wrote entry %d", n, i);
		if (n > PODFAB_CTR_PUT_OPS)
			ck_assert_uint_eq(v[PODFAB_CTR_PUT_OPS], 1);
		if (n > PODFAB_CTR_PUT_BYTES)
			ck_assert_uint_eq(v[PODFAB_CTR_PUT_BYTES], 8);
		if (n > PODFAB_CTR_GET_OPS)
			ck_assert_uint_eq(v[PODFAB_CTR_GET_OPS], 2);
		if (n > PODFAB_CTR_GET_BYTES)
			ck_assert_uint_eq(v[PODFAB_CTR_GET_BYTES], 8);
	}
	/* More room than counters: only the counters are written. */
	for (int i = 0; i < PODFAB_CTR_MAX + 8; i++)
		v[i] = SENT;
	ut_assert_rc(podfab_counters(pf, v, PODFAB_CTR_MAX + 8), PODFAB_CTR_MAX);
	for (int i = PODFAB_CTR_MAX; i < PODFAB_CTR_MAX + 8; i++)
		ck_assert_uint_eq(v[i], SENT);
	ck_assert_uint_eq(v[PODFAB_CTR_PUT_OPS], 1);
	ut_assert_rc(podfab_counters(pf, NULL, 0), PODFAB_CTR_MAX);
	ut_assert_rc(podfab_seg_free(pf, seg), 0);
	ut_assert_rc(podfab_finalize(pf), 0);
}
END_TEST

/* Counters belong to one accelerator: accelerator 1's puts are not accelerator 0's. */
static int per_accel(podfab_t pf, int id, void *arg)
{
	(void)arg;
	podfab_seg_t seg = NULL;
	UT_CHECK_RC(id, podfab_seg_alloc(pf, 4096, &seg), 0);
	UT_CHECK_RC(id, podfab_counters_reset(pf), 0);
	UT_SYNC(id, 2);
	uint8_t b[32] = {0};
	for (int i = 0; i < 5 * id; i++)
		UT_CHECK_RC(id, podfab_put(pf, 1 - id, seg, 0, b, 32), 0);
	UT_SYNC(id, 2);
	uint64_t v[PODFAB_CTR_MAX];
	UT_CHECK_RC(id, podfab_counters(pf, v, PODFAB_CTR_MAX), PODFAB_CTR_MAX);
	UT_CHECK_RC(id, v[PODFAB_CTR_PUT_OPS], 5 * id);
	UT_CHECK_RC(id, v[PODFAB_CTR_PUT_BYTES], 160 * id);
	UT_CHECK_RC(id, podfab_barrier(pf), 0);
	UT_CHECK_RC(id, podfab_seg_free(pf, seg), 0);
	return 0;
}

START_TEST(test_per_accelerator)
{
	ut_clear_env();
	char why[512];
	int rc = ut_run_accels(2, per_accel, NULL, why, sizeof why);
	ck_assert_msg(rc == 0, "%s", why);
}
END_TEST

static Suite *counters_suite(void)
{
	Suite *s = suite_create("counters");
	TCase *tc = tcase_create("counters");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_names_and_descs);
	tcase_add_test(tc, test_exact_counts);
	tcase_add_test(tc, test_partial_read);
	tcase_add_test(tc, test_per_accelerator);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ut_run_suite(counters_suite());
}
