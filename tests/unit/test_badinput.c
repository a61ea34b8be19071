/*
 * test_badinput.c - every kind of bad input gets its own error code, and a
 * failed call writes nothing: not the target memory (filled with a pattern
 * first and compared afterwards), not a local buffer, not an output handle.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define SEG 4096u
#define PAT 0xa5
#define SRC_PAT 0x5a

static podfab_t pf;
static podfab_seg_t seg;
static uint8_t *base;
static uint8_t src[3 * SEG]; /* larger than any length a test passes that could be read */
static uint8_t dst[3 * SEG];

static void setup(void)
{
	ut_clear_env();
	pf = ut_init1();
	seg = NULL;
	ut_assert_rc(podfab_seg_alloc(pf, SEG, &seg), 0);
	base = podfab_seg_addr(pf, seg);
	ck_assert_ptr_nonnull(base);
	memset(base, PAT, SEG);
	memset(src, SRC_PAT, sizeof src);
	memset(dst, PAT, sizeof dst);
}

static void teardown(void)
{
	if (!pf)
		return;
	if (seg)
		ut_assert_rc(podfab_seg_free(pf, seg), 0);
	ut_assert_rc(podfab_finalize(pf), 0);
	pf = NULL;
}

/* The segment and the local destination buffer still hold their patterns. */
#define assert_untouched(what)                                                             \
	do {                                                                               \
		for (size_t i_ = 0; i_ < SEG; i_++)                                        \
			ck_assert_msg(base[i_] == PAT, "%s: segment byte %zu changed to 0x%02x", \
				      (what), i_, base[i_]);                                \
		for (size_t i_ = 0; i_ < sizeof dst; i_++)                                 \
			ck_assert_msg(dst[i_] == PAT, "%s: local buffer byte %zu changed", (what), i_); \
	} while (0)

/* A value no call may write: results and request handles are preset to it. */
#define RES_SENTINEL 0x1122334455667788ull
static podfab_req_t req_sentinel(void)
{
	return (podfab_req_t)(void *)&pf;
}

/* ---------------------------------------------------------------- */

START_TEST(test_bad_accel_id)
{
	const int bad[] = {-1, 1, 2, 1000, INT_MAX, INT_MIN};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int d = bad[i];
		podfab_req_t r = req_sentinel();
		uint64_t res = RES_SENTINEL;
		ut_assert_rc(podfab_put(pf, d, seg, 0, src, 64), -PODFAB_EACCEL);
		ut_assert_rc(podfab_get(pf, dst, d, seg, 0, 64), -PODFAB_EACCEL);
		ut_assert_rc(podfab_put_nb(pf, d, seg, 0, src, 64, &r), -PODFAB_EACCEL);
		ut_assert_rc(podfab_put_nb(pf, d, seg, 0, src, 64, NULL), -PODFAB_EACCEL);
		ut_assert_rc(podfab_get_nb(pf, dst, d, seg, 0, 64, &r), -PODFAB_EACCEL);
		ut_assert_rc(podfab_atomic(pf, d, seg, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res),
			     -PODFAB_EACCEL);
		ut_assert_rc(podfab_atomic(pf, d, seg, 0, PODFAB_AOP_SET, PODFAB_UINT32, 1, 0, NULL),
			     -PODFAB_EACCEL);
		ut_assert_rc(podfab_atomic_nb(pf, d, seg, 0, PODFAB_AOP_SWAP, PODFAB_UINT64, 1, 0, &res,
					      &r),
			     -PODFAB_EACCEL);
		ut_assert_rc(podfab_put_signal(pf, d, seg, 0, src, 64, seg, 512, 1, PODFAB_SIGNAL_ADD),
			     -PODFAB_EACCEL);
		ut_assert_rc(podfab_put_signal_nb(pf, d, seg, 0, src, 64, seg, 512, 1,
						  PODFAB_SIGNAL_SET, &r),
			     -PODFAB_EACCEL);
		ck_assert_ptr_null(podfab_ptr(pf, d, seg, 0));
		ck_assert_ptr_eq(r, req_sentinel());
		ck_assert_uint_eq(res, RES_SENTINEL);
		ck_assert_msg(strlen(podfab_error_detail()) > 0, "no detail for accelerator %d", d);
	}
	assert_untouched("bad accelerator ids");
}
END_TEST

START_TEST(test_bounds)
{
	const struct {
		size_t off, len;
	} bad[] = {
		{SEG, 1},
		{SEG - 7, 8},
		{SEG - 1, 2},
		{0, SEG + 1},
		{1, SEG},
		{SEG + 1, 1},
		{SIZE_MAX, 1},
		{SIZE_MAX, 8},
		{SIZE_MAX - 3, 8},	      /* off + len wraps to 4 */
		{1, SIZE_MAX},		      /* off + len wraps to 0 */
		{SEG / 2, SIZE_MAX - SEG / 2 + 2}, /* wraps to 1 */
		{SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t off = bad[i].off, len = bad[i].len;
		podfab_req_t r = req_sentinel();
		char what[96];
		snprintf(what, sizeof what, "off %zu len %zu", off, len);
		ut_assert_rc(podfab_put(pf, 0, seg, off, src, len), -PODFAB_EBOUNDS);
		ut_assert_rc(podfab_get(pf, dst, 0, seg, off, len), -PODFAB_EBOUNDS);
		ut_assert_rc(podfab_put_nb(pf, 0, seg, off, src, len, &r), -PODFAB_EBOUNDS);
		ut_assert_rc(podfab_put_nb(pf, 0, seg, off, src, len, NULL), -PODFAB_EBOUNDS);
		ut_assert_rc(podfab_get_nb(pf, dst, 0, seg, off, len, &r), -PODFAB_EBOUNDS);
		ut_assert_rc(podfab_put_signal(pf, 0, seg, off, src, len, seg, 0, 1, PODFAB_SIGNAL_SET),
			     -PODFAB_EBOUNDS);
		ck_assert_ptr_eq(r, req_sentinel());
		assert_untouched(what);
	}
	ut_assert_rc(podfab_quiet(pf), 0);
	assert_untouched("after quiet");
}
END_TEST

START_TEST(test_bounds_atomics_and_signals)
{
	const size_t bad64[] = {SEG, SEG + 8, SIZE_MAX - 7, SIZE_MAX & ~(size_t)7, SIZE_MAX / 2 + 1};
	const size_t bad32[] = {SEG, SEG + 4, SIZE_MAX - 3};
	for (size_t i = 0; i < sizeof bad64 / sizeof bad64[0]; i++) {
		uint64_t res = RES_SENTINEL;
		podfab_req_t r = req_sentinel();
		for (int op = 0; op < PODFAB_AOP_MAX_OP; op++) {
			ut_assert_rc(podfab_atomic(pf, 0, seg, bad64[i], (podfab_atomic_op_t)op,
						   PODFAB_UINT64, 1, 0, &res),
				     -PODFAB_EBOUNDS);
			ut_assert_rc(podfab_atomic_nb(pf, 0, seg, bad64[i], (podfab_atomic_op_t)op,
						      PODFAB_INT64, 1, 0, &res, &r),
				     -PODFAB_EBOUNDS);
		}
		ut_assert_rc(podfab_put_signal(pf, 0, seg, 0, src, 64, seg, bad64[i], 1,
					       PODFAB_SIGNAL_ADD),
			     -PODFAB_EBOUNDS);
		ut_assert_rc(podfab_put_signal_nb(pf, 0, seg, 0, src, 64, seg, bad64[i], 1,
						  PODFAB_SIGNAL_ADD, &r),
			     -PODFAB_EBOUNDS);
		ck_assert_uint_eq(res, RES_SENTINEL);
		ck_assert_ptr_eq(r, req_sentinel());
	}
	for (size_t i = 0; i < sizeof bad32 / sizeof bad32[0]; i++) {
		uint32_t res = 0x55aa55aau;
		ut_assert_rc(podfab_atomic(pf, 0, seg, bad32[i], PODFAB_AOP_FETCH, PODFAB_UINT32, 0, 0,
					   &res),
			     -PODFAB_EBOUNDS);
		ut_assert_rc(podfab_atomic(pf, 0, seg, bad32[i], PODFAB_AOP_ADD, PODFAB_INT32, 1, 0,
					   NULL),
			     -PODFAB_EBOUNDS);
		ck_assert_uint_eq(res, 0x55aa55aau);
	}
	assert_untouched("atomics and signals out of bounds");
}
END_TEST

START_TEST(test_bounds_edges_ok)
{
	/* The last byte, the last word and the whole segment are inside. */
	ut_assert_rc(podfab_put(pf, 0, seg, SEG - 1, src, 1), 0);
	ck_assert_uint_eq(base[SEG - 1], SRC_PAT);
	ck_assert_uint_eq(base[SEG - 2], PAT);
	ut_assert_rc(podfab_get(pf, dst, 0, seg, 0, SEG), 0);
	ck_assert_uint_eq(dst[SEG - 1], SRC_PAT);
	ck_assert_uint_eq(dst[SEG], PAT);
	uint64_t res = 0;
	ut_assert_rc(podfab_atomic(pf, 0, seg, SEG - 8, PODFAB_AOP_SWAP, PODFAB_UINT64, 7, 0, &res), 0);
	ck_assert_uint_eq(res, 0x5aa5a5a5a5a5a5a5ull); /* the last byte is the one put above */
	ut_assert_rc(podfab_put_signal(pf, 0, seg, 0, src, SEG - 8, seg, SEG - 8, 1,
				       PODFAB_SIGNAL_ADD),
		     0);
	uint64_t sig;
	memcpy(&sig, base + SEG - 8, 8);
	ck_assert_uint_eq(sig, 8);
	ck_assert_ptr_eq(podfab_ptr(pf, 0, seg, SEG - 1), base + SEG - 1);
	ck_assert_ptr_eq(podfab_ptr(pf, 0, seg, 0), base);
	ck_assert_uint_eq(podfab_seg_size(pf, seg), SEG);
}
END_TEST

START_TEST(test_misaligned_atomics)
{
	const size_t off64[] = {1, 2, 3, 4, 5, 6, 7, 12, SEG - 12}; /* in bounds, misaligned */
	const size_t off32[] = {1, 2, 3, 6, SEG - 6};
	for (size_t i = 0; i < sizeof off64 / sizeof off64[0]; i++) {
		for (int op = 0; op < PODFAB_AOP_MAX_OP; op++) {
			uint64_t res = RES_SENTINEL;
			podfab_req_t r = req_sentinel();
			for (int t = PODFAB_INT64; t <= PODFAB_UINT64; t++) {
				ut_assert_rc(podfab_atomic(pf, 0, seg, off64[i], (podfab_atomic_op_t)op,
							   (podfab_type_t)t, 1, 0xa5a5a5a5a5a5a5a5ull,
							   &res),
					     -PODFAB_EALIGN);
				ut_assert_rc(podfab_atomic_nb(pf, 0, seg, off64[i],
							      (podfab_atomic_op_t)op, (podfab_type_t)t,
							      1, 0xa5a5a5a5a5a5a5a5ull, &res, &r),
					     -PODFAB_EALIGN);
				if (op != PODFAB_AOP_FETCH)
					ut_assert_rc(podfab_atomic(pf, 0, seg, off64[i],
								   (podfab_atomic_op_t)op,
								   (podfab_type_t)t, 1, 0, NULL),
						     -PODFAB_EALIGN);
			}
			ck_assert_uint_eq(res, RES_SENTINEL);
			ck_assert_ptr_eq(r, req_sentinel());
		}
	}
	for (size_t i = 0; i < sizeof off32 / sizeof off32[0]; i++) {
		for (int op = 0; op < PODFAB_AOP_MAX_OP; op++) {
			uint32_t res = 0x55aa55aau;
			for (int t = PODFAB_INT32; t <= PODFAB_UINT32; t++)
				ut_assert_rc(podfab_atomic(pf, 0, seg, off32[i], (podfab_atomic_op_t)op,
							   (podfab_type_t)t, 1, 0xa5a5a5a5u, &res),
					     -PODFAB_EALIGN);
			ck_assert_uint_eq(res, 0x55aa55aau);
		}
	}
	assert_untouched("misaligned atomics");
	/* 32-bit atomics need only 4-byte alignment. */
	uint32_t old = 0;
	ut_assert_rc(podfab_atomic(pf, 0, seg, 4, PODFAB_AOP_FETCH, PODFAB_UINT32, 0, 0, &old), 0);
	ck_assert_uint_eq(old, 0xa5a5a5a5u);
}
END_TEST

START_TEST(test_misaligned_signals)
{
	const size_t off[] = {1, 2, 4, 7, 12, SEG - 12};
	for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
		podfab_req_t r = req_sentinel();
		ut_assert_rc(podfab_put_signal(pf, 0, seg, 0, src, 256, seg, off[i], 1,
					       PODFAB_SIGNAL_SET),
			     -PODFAB_EALIGN);
		ut_assert_rc(podfab_put_signal_nb(pf, 0, seg, 0, src, 256, seg, off[i], 1,
						  PODFAB_SIGNAL_ADD, &r),
			     -PODFAB_EALIGN);
		ck_assert_ptr_eq(r, req_sentinel());
		const uint64_t *sig = (const uint64_t *)(const void *)(base + off[i]);
		uint64_t seen = RES_SENTINEL;
		ut_assert_rc(podfab_signal_wait_until(pf, sig, PODFAB_CMP_NE, 0, &seen),
			     -PODFAB_EALIGN);
		ck_assert_uint_eq(seen, RES_SENTINEL);
		ut_assert_rc(podfab_wait_until(pf, base + off[i], PODFAB_UINT64, PODFAB_CMP_NE, 0),
			     -PODFAB_EALIGN);
		ut_assert_rc(podfab_test_until(pf, base + off[i], PODFAB_INT64, PODFAB_CMP_NE, 0),
			     -PODFAB_EALIGN);
	}
	/* 32-bit waits need 4-byte alignment only. */
	ut_assert_rc(podfab_test_until(pf, base + 2, PODFAB_UINT32, PODFAB_CMP_NE, 0), -PODFAB_EALIGN);
	ut_assert_rc(podfab_test_until(pf, base + 4, PODFAB_UINT32, PODFAB_CMP_EQ, 0xa5a5a5a5u), 1);
	ut_assert_rc(podfab_test_until(pf, base + 8, PODFAB_UINT64, PODFAB_CMP_EQ, 0), 0);
	assert_untouched("misaligned signal words");
}
END_TEST

START_TEST(test_misaligned_export)
{
	/* Alignment is about the memory: an export that starts 4 bytes into a word. */
	_Alignas(8) uint8_t buf[72];
	memset(buf, PAT, sizeof buf);
	podfab_seg_t ex = NULL;
	podfab_key_t key = 0;
	ut_assert_rc(podfab_mem_export(pf, buf + 4, 64, &ex, &key), 0);
	uint64_t res = RES_SENTINEL;
	ut_assert_rc(podfab_atomic(pf, 0, ex, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res),
		     -PODFAB_EALIGN);
	ck_assert_uint_eq(res, RES_SENTINEL);
	ut_assert_rc(podfab_atomic(pf, 0, ex, 4, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, &res), 0);
	ck_assert_uint_eq(res, 0xa5a5a5a5a5a5a5a5ull);
	ut_assert_rc(podfab_atomic(pf, 0, ex, 0, PODFAB_AOP_FETCH, PODFAB_UINT32, 0, 0, &res), 0);
	for (size_t i = 0; i < sizeof buf; i++)
		ck_assert_uint_eq(buf[i], PAT);
	ut_assert_rc(podfab_seg_free(pf, ex), 0);
}
END_TEST

START_TEST(test_null_pointers)
{
	podfab_req_t r = req_sentinel();
	int done = 77;
	/* data pointers */
	ut_assert_rc(podfab_put(pf, 0, seg, 0, NULL, 8), -PODFAB_ENULL);
	ut_assert_rc(podfab_get(pf, NULL, 0, seg, 0, 8), -PODFAB_ENULL);
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 0, NULL, 8, &r), -PODFAB_ENULL);
	ut_assert_rc(podfab_get_nb(pf, NULL, 0, seg, 0, 8, &r), -PODFAB_ENULL);
	ut_assert_rc(podfab_put_signal(pf, 0, seg, 0, NULL, 8, seg, 64, 1, PODFAB_SIGNAL_SET),
		     -PODFAB_ENULL);
	ut_assert_rc(podfab_put_signal_nb(pf, 0, seg, 0, NULL, 8, seg, 64, 1, PODFAB_SIGNAL_SET, &r),
		     -PODFAB_ENULL);
	/* segment handles */
	ut_assert_rc(podfab_put(pf, 0, NULL, 0, src, 8), -PODFAB_ENULL);
	ut_assert_rc(podfab_get(pf, dst, 0, NULL, 0, 8), -PODFAB_ENULL);
	ut_assert_rc(podfab_put_nb(pf, 0, NULL, 0, src, 8, &r), -PODFAB_ENULL);
	ut_assert_rc(podfab_get_nb(pf, dst, 0, NULL, 0, 8, &r), -PODFAB_ENULL);
	ut_assert_rc(podfab_atomic(pf, 0, NULL, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL),
		     -PODFAB_ENULL);
	ut_assert_rc(podfab_atomic_nb(pf, 0, NULL, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL, &r),
		     -PODFAB_ENULL);
	ut_assert_rc(podfab_put_signal(pf, 0, NULL, 0, src, 8, seg, 64, 1, PODFAB_SIGNAL_SET),
		     -PODFAB_ENULL);
	ut_assert_rc(podfab_put_signal(pf, 0, seg, 0, src, 8, NULL, 64, 1, PODFAB_SIGNAL_SET),
		     -PODFAB_ENULL);
	ut_assert_rc(podfab_seg_free(pf, NULL), -PODFAB_ENULL);
	ut_assert_rc(podfab_seg_owner(pf, NULL), -PODFAB_ENULL);
	ck_assert_ptr_null(podfab_seg_addr(pf, NULL));
	ck_assert_uint_eq(podfab_seg_size(pf, NULL), 0);
	ck_assert_ptr_null(podfab_ptr(pf, 0, NULL, 0));
	/* output pointers */
	ut_assert_rc(podfab_seg_alloc(pf, SEG, NULL), -PODFAB_ENULL);
	podfab_seg_t s = (podfab_seg_t)(void *)&r;
	podfab_key_t key = 12345;
	uint8_t buf[64];
	ut_assert_rc(podfab_mem_export(pf, NULL, sizeof buf, &s, &key), -PODFAB_ENULL);
	ut_assert_rc(podfab_mem_export(pf, buf, sizeof buf, NULL, &key), -PODFAB_ENULL);
	ut_assert_rc(podfab_mem_export(pf, buf, sizeof buf, &s, NULL), -PODFAB_ENULL);
	ck_assert_ptr_eq(s, (podfab_seg_t)(void *)&r);
	ck_assert_uint_eq(key, 12345);
	ut_assert_rc(podfab_mem_import(pf, 0, NULL), -PODFAB_ENULL);
	/* the result of a fetch */
	ut_assert_rc(podfab_atomic(pf, 0, seg, 0, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, NULL),
		     -PODFAB_ENULL);
	ut_assert_rc(podfab_atomic(pf, 0, seg, 0, PODFAB_AOP_FETCH, PODFAB_INT32, 0, 0, NULL),
		     -PODFAB_ENULL);
	ut_assert_rc(podfab_atomic_nb(pf, 0, seg, 0, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, NULL, &r),
		     -PODFAB_ENULL);
	/* local words */
	ut_assert_rc(podfab_signal_wait_until(pf, NULL, PODFAB_CMP_EQ, 0, NULL), -PODFAB_ENULL);
	ut_assert_rc(podfab_wait_until(pf, NULL, PODFAB_UINT64, PODFAB_CMP_EQ, 0), -PODFAB_ENULL);
	ut_assert_rc(podfab_test_until(pf, NULL, PODFAB_UINT32, PODFAB_CMP_EQ, 0), -PODFAB_ENULL);
	ck_assert_uint_eq(podfab_signal_fetch(pf, NULL), 0);
	/* requests */
	ut_assert_rc(podfab_test(pf, NULL, &done), -PODFAB_ENULL);
	ck_assert_int_eq(done, 77);
	ut_assert_rc(podfab_wait(pf, NULL), -PODFAB_ENULL);
	ut_assert_rc(podfab_wait_all(pf, NULL, 2), -PODFAB_ENULL);
	ut_assert_rc(podfab_wait_all(pf, NULL, 0), 0);
	ck_assert_ptr_eq(r, req_sentinel());
	podfab_req_t live = NULL;
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 0, src, 8, &live), 0);
	ut_assert_rc(podfab_test(pf, live, NULL), -PODFAB_ENULL);
	ut_assert_rc(podfab_wait(pf, live), 0); /* still live after the failed test */
	ck_assert_uint_eq(base[0], SRC_PAT);
	memset(base, PAT, 8);
	/* counters */
	ut_assert_rc(podfab_counters(pf, NULL, 3), -PODFAB_ENULL);
	ut_assert_rc(podfab_counters(pf, NULL, 0), PODFAB_CTR_MAX);
	assert_untouched("NULL pointers");
}
END_TEST

START_TEST(test_null_handle)
{
	podfab_req_t r = req_sentinel();
	uint64_t word = 0, res = RES_SENTINEL, ctr[PODFAB_CTR_MAX];
	int done = 77;
	podfab_seg_t s = seg;
	podfab_key_t key = 99;
	ut_assert_rc(podfab_finalize(NULL), -PODFAB_ENULL);
	ut_assert_rc(podfab_accel_id(NULL), -PODFAB_ENULL);
	ut_assert_rc(podfab_naccels(NULL), -PODFAB_ENULL);
	ut_assert_rc(podfab_timing_mode(NULL), -PODFAB_ENULL);
	ck_assert_ptr_null(podfab_transport_name(NULL));
	ut_assert_rc(podfab_seg_alloc(NULL, SEG, &s), -PODFAB_ENULL);
	ut_assert_rc(podfab_seg_free(NULL, seg), -PODFAB_ENULL);
	ck_assert_ptr_null(podfab_seg_addr(NULL, seg));
	ck_assert_uint_eq(podfab_seg_size(NULL, seg), 0);
	ut_assert_rc(podfab_seg_owner(NULL, seg), -PODFAB_ENULL);
	ut_assert_rc(podfab_mem_export(NULL, &word, 8, &s, &key), -PODFAB_ENULL);
	ut_assert_rc(podfab_mem_import(NULL, 1, &s), -PODFAB_ENULL);
	ut_assert_rc(podfab_put(NULL, 0, seg, 0, src, 8), -PODFAB_ENULL);
	ut_assert_rc(podfab_get(NULL, dst, 0, seg, 0, 8), -PODFAB_ENULL);
	ut_assert_rc(podfab_put_nb(NULL, 0, seg, 0, src, 8, &r), -PODFAB_ENULL);
	ut_assert_rc(podfab_get_nb(NULL, dst, 0, seg, 0, 8, &r), -PODFAB_ENULL);
	ut_assert_rc(podfab_test(NULL, r, &done), -PODFAB_ENULL);
	ut_assert_rc(podfab_wait(NULL, r), -PODFAB_ENULL);
	ut_assert_rc(podfab_wait_all(NULL, &r, 1), -PODFAB_ENULL);
	ut_assert_rc(podfab_atomic(NULL, 0, seg, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res),
		     -PODFAB_ENULL);
	ut_assert_rc(podfab_atomic_nb(NULL, 0, seg, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res, &r),
		     -PODFAB_ENULL);
	ut_assert_rc(podfab_put_signal(NULL, 0, seg, 0, src, 8, seg, 64, 1, PODFAB_SIGNAL_SET),
		     -PODFAB_ENULL);
	ut_assert_rc(podfab_put_signal_nb(NULL, 0, seg, 0, src, 8, seg, 64, 1, PODFAB_SIGNAL_SET, &r),
		     -PODFAB_ENULL);
	ck_assert_uint_eq(podfab_signal_fetch(NULL, &word), 0);
	ut_assert_rc(podfab_signal_wait_until(NULL, &word, PODFAB_CMP_EQ, 0, &res), -PODFAB_ENULL);
	ut_assert_rc(podfab_wait_until(NULL, &word, PODFAB_UINT64, PODFAB_CMP_EQ, 0), -PODFAB_ENULL);
	ut_assert_rc(podfab_test_until(NULL, &word, PODFAB_UINT64, PODFAB_CMP_EQ, 0), -PODFAB_ENULL);
	ut_assert_rc(podfab_fence(NULL), -PODFAB_ENULL);
	ut_assert_rc(podfab_quiet(NULL), -PODFAB_ENULL);
	ut_assert_rc(podfab_barrier(NULL), -PODFAB_ENULL);
	ck_assert_ptr_null(podfab_ptr(NULL, 0, seg, 0));
	ut_assert_rc(podfab_counters(NULL, ctr, PODFAB_CTR_MAX), -PODFAB_ENULL);
	ut_assert_rc(podfab_counters_reset(NULL), -PODFAB_ENULL);
	ck_assert_ptr_eq(r, req_sentinel());
	ck_assert_ptr_eq(s, seg);
	ck_assert_uint_eq(key, 99);
	ck_assert_uint_eq(res, RES_SENTINEL);
	ck_assert_int_eq(done, 77);
	assert_untouched("NULL accelerator handle");
}
END_TEST

START_TEST(test_garbage_handles)
{
	/* Pointers that were never handles: rejected without being used. */
	uint64_t junk[64];
	memset(junk, 0, sizeof junk);
	podfab_t bad = (podfab_t)(void *)junk;
	ut_assert_rc(podfab_accel_id(bad), -PODFAB_EBADHANDLE);
	ut_assert_rc(podfab_put(bad, 0, seg, 0, src, 8), -PODFAB_EBADHANDLE);
	ut_assert_rc(podfab_barrier(bad), -PODFAB_EBADHANDLE);
	ut_assert_rc(podfab_finalize(bad), -PODFAB_EBADHANDLE);
	ck_assert_ptr_null(podfab_transport_name(bad));
	/* A segment handle that is not one. */
	podfab_seg_t bseg = (podfab_seg_t)(void *)junk;
	ut_assert_rc(podfab_put(pf, 0, bseg, 0, src, 8), -PODFAB_EBADHANDLE);
	ut_assert_rc(podfab_get(pf, dst, 0, bseg, 0, 8), -PODFAB_EBADHANDLE);
	ut_assert_rc(podfab_seg_free(pf, bseg), -PODFAB_EBADHANDLE);
	ck_assert_ptr_null(podfab_seg_addr(pf, bseg));
	/* A request handle that is not one. */
	podfab_req_t breq = (podfab_req_t)(void *)junk;
	int done = 77;
	ut_assert_rc(podfab_wait(pf, breq), -PODFAB_EBADHANDLE);
	ut_assert_rc(podfab_test(pf, breq, &done), -PODFAB_EBADHANDLE);
	ck_assert_int_eq(done, 77);
	for (size_t i = 0; i < 64; i++)
		ck_assert_uint_eq(junk[i], 0);
	assert_untouched("garbage handles");
}
END_TEST

START_TEST(test_zero_length)
{
	podfab_req_t r = req_sentinel();
	ut_assert_rc(podfab_put(pf, 0, seg, 0, src, 0), -PODFAB_EZEROLEN);
	ut_assert_rc(podfab_get(pf, dst, 0, seg, 0, 0), -PODFAB_EZEROLEN);
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 0, src, 0, &r), -PODFAB_EZEROLEN);
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 0, src, 0, NULL), -PODFAB_EZEROLEN);
	ut_assert_rc(podfab_get_nb(pf, dst, 0, seg, 0, 0, &r), -PODFAB_EZEROLEN);
	ck_assert_ptr_eq(r, req_sentinel());
	podfab_seg_t s = (podfab_seg_t)(void *)&r;
	ut_assert_rc(podfab_seg_alloc(pf, 0, &s), -PODFAB_EZEROLEN);
	ck_assert_ptr_eq(s, (podfab_seg_t)(void *)&r);
	uint8_t buf[16];
	podfab_key_t key = 4242;
	ut_assert_rc(podfab_mem_export(pf, buf, 0, &s, &key), -PODFAB_EZEROLEN);
	ck_assert_ptr_eq(s, (podfab_seg_t)(void *)&r);
	ck_assert_uint_eq(key, 4242);
	assert_untouched("zero lengths");
	/* Nothing was allocated: the next allocation works and is the only new one. */
	ut_assert_rc(podfab_seg_alloc(pf, 64, &s), 0);
	ut_assert_rc(podfab_seg_free(pf, s), 0);
}
END_TEST

START_TEST(test_use_after_finalize)
{
	podfab_seg_t old = seg;
	podfab_req_t live = NULL;
	uint64_t word = 5, res = RES_SENTINEL, ctr[PODFAB_CTR_MAX];
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 0, src, 8, &live), 0);
	podfab_t dead = pf;
	ut_assert_rc(podfab_finalize(dead), 0);
	pf = NULL; /* the fixture must not finalize again */
	seg = NULL;

	const int F = -PODFAB_EFINALIZED;
	podfab_req_t r = (podfab_req_t)(void *)&word;
	podfab_seg_t s = (podfab_seg_t)(void *)&word;
	podfab_key_t key = 99;
	int done = 77;
	ut_assert_rc(podfab_finalize(dead), F);
	ut_assert_rc(podfab_finalize(dead), F);
	ut_assert_rc(podfab_accel_id(dead), F);
	ut_assert_rc(podfab_naccels(dead), F);
	ut_assert_rc(podfab_timing_mode(dead), F);
	ck_assert_ptr_null(podfab_transport_name(dead));
	ut_assert_rc(podfab_seg_alloc(dead, SEG, &s), F);
	ut_assert_rc(podfab_seg_free(dead, old), F);
	ck_assert_ptr_null(podfab_seg_addr(dead, old));
	ck_assert_uint_eq(podfab_seg_size(dead, old), 0);
	ut_assert_rc(podfab_seg_owner(dead, old), F);
	ut_assert_rc(podfab_mem_export(dead, &word, 8, &s, &key), F);
	ut_assert_rc(podfab_mem_import(dead, 1, &s), F);
	ut_assert_rc(podfab_put(dead, 0, old, 0, src, 8), F);
	ut_assert_rc(podfab_get(dead, dst, 0, old, 0, 8), F);
	ut_assert_rc(podfab_put_nb(dead, 0, old, 0, src, 8, &r), F);
	ut_assert_rc(podfab_get_nb(dead, dst, 0, old, 0, 8, &r), F);
	ut_assert_rc(podfab_test(dead, live, &done), F);
	ut_assert_rc(podfab_wait(dead, live), F);
	ut_assert_rc(podfab_wait_all(dead, &live, 1), F);
	ut_assert_rc(podfab_atomic(dead, 0, old, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res), F);
	ut_assert_rc(podfab_atomic_nb(dead, 0, old, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res, &r),
		     F);
	ut_assert_rc(podfab_put_signal(dead, 0, old, 0, src, 8, old, 64, 1, PODFAB_SIGNAL_SET), F);
	ut_assert_rc(podfab_put_signal_nb(dead, 0, old, 0, src, 8, old, 64, 1, PODFAB_SIGNAL_SET, &r),
		     F);
	ck_assert_uint_eq(podfab_signal_fetch(dead, &word), 0);
	ut_assert_rc(podfab_signal_wait_until(dead, &word, PODFAB_CMP_EQ, 5, &res), F);
	ut_assert_rc(podfab_wait_until(dead, &word, PODFAB_UINT64, PODFAB_CMP_EQ, 5), F);
	ut_assert_rc(podfab_test_until(dead, &word, PODFAB_UINT64, PODFAB_CMP_EQ, 5), F);
	ut_assert_rc(podfab_fence(dead), F);
	ut_assert_rc(podfab_quiet(dead), F);
	ut_assert_rc(podfab_barrier(dead), F);
	ck_assert_ptr_null(podfab_ptr(dead, 0, old, 0));
	ut_assert_rc(podfab_counters(dead, ctr, PODFAB_CTR_MAX), F);
	ut_assert_rc(podfab_counters_reset(dead), F);
	ck_assert_ptr_eq(r, (podfab_req_t)(void *)&word);
	ck_assert_ptr_eq(s, (podfab_seg_t)(void *)&word);
	ck_assert_uint_eq(key, 99);
	ck_assert_uint_eq(res, RES_SENTINEL);
	ck_assert_int_eq(done, 77);
	ck_assert_uint_eq(word, 5);

	/* A new handle works while the dead one stays dead. */
	podfab_t fresh = ut_init1();
	ck_assert_ptr_ne(fresh, dead);
	ut_assert_rc(podfab_accel_id(dead), F);
	ut_assert_rc(podfab_accel_id(fresh), 0);
	ut_assert_rc(podfab_finalize(fresh), 0);
}
END_TEST

START_TEST(test_busy_segment)
{
	uint64_t v = 0x0102030405060708ull, back = 0, res = 0;
	podfab_req_t r1 = NULL, r2 = NULL, r3 = NULL;
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 0, &v, sizeof v, &r1), 0);
	ck_assert_ptr_nonnull(r1);
	ut_assert_rc(podfab_seg_free(pf, seg), -PODFAB_EBUSY);
	/* The segment is intact and usable. */
	ck_assert_ptr_eq(podfab_seg_addr(pf, seg), base);
	ck_assert_uint_eq(podfab_seg_size(pf, seg), SEG);
	ut_assert_rc(podfab_put(pf, 0, seg, 64, &v, sizeof v), 0);
	ut_assert_rc(podfab_get(pf, &back, 0, seg, 64, sizeof back), 0);
	ck_assert_uint_eq(back, v);
	ut_assert_rc(podfab_get_nb(pf, &back, 0, seg, 0, sizeof back, &r2), 0);
	ut_assert_rc(podfab_atomic_nb(pf, 0, seg, 128, PODFAB_AOP_ADD, PODFAB_UINT64, 3, 0, &res, &r3),
		     0);
	ut_assert_rc(podfab_wait(pf, r1), 0);
	ut_assert_rc(podfab_seg_free(pf, seg), -PODFAB_EBUSY); /* r2, r3 still out */
	ut_assert_rc(podfab_quiet(pf), 0);
	ut_assert_rc(podfab_seg_free(pf, seg), -PODFAB_EBUSY); /* quiet does not reap */
	int done = 0;
	while (!done)
		ut_assert_rc(podfab_test(pf, r2, &done), 0);
	ck_assert_uint_eq(back, v);
	ut_assert_rc(podfab_seg_free(pf, seg), -PODFAB_EBUSY);
	podfab_req_t all[3] = {NULL, r3, NULL};
	ut_assert_rc(podfab_wait_all(pf, all, 3), 0);
	ck_assert_ptr_null(all[1]);
	ck_assert_uint_eq(res, 0xa5a5a5a5a5a5a5a5ull);
	/* A request without a handle does not hold the segment. */
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 256, &v, sizeof v, NULL), 0);
	ut_assert_rc(podfab_quiet(pf), 0);
	/* put with signal */
	ut_assert_rc(podfab_put_signal_nb(pf, 0, seg, 512, &v, 8, seg, 1024, 1, PODFAB_SIGNAL_ADD, &r1),
		     0);
	ut_assert_rc(podfab_seg_free(pf, seg), -PODFAB_EBUSY);
	ut_assert_rc(podfab_wait(pf, r1), 0);
	ut_assert_rc(podfab_seg_free(pf, seg), 0);
	seg = NULL;
}
END_TEST

START_TEST(test_bad_requests)
{
	uint64_t v = 1;
	podfab_req_t a = NULL, b = NULL;
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 0, &v, 8, &a), 0);
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 8, &v, 8, &b), 0);
	ut_assert_rc(podfab_wait(pf, a), 0);
	/* reaped already */
	ut_assert_rc(podfab_wait(pf, a), -PODFAB_EBADHANDLE);
	int done = 77;
	ut_assert_rc(podfab_test(pf, a, &done), -PODFAB_EBADHANDLE);
	ck_assert_int_eq(done, 77);
	/* wait_all checks every entry first and leaves them all untouched */
	podfab_req_t list[3] = {b, a, NULL};
	ut_assert_rc(podfab_wait_all(pf, list, 3), -PODFAB_EBADHANDLE);
	ck_assert_ptr_eq(list[0], b);
	ck_assert_ptr_eq(list[1], a);
	ut_assert_rc(podfab_seg_free(pf, seg), -PODFAB_EBUSY); /* b is still outstanding */
	ut_assert_rc(podfab_wait(pf, b), 0);
}
END_TEST

START_TEST(test_invalid_enums)
{
	const int bad_ops[] = {PODFAB_AOP_MAX_OP, PODFAB_AOP_MAX_OP + 1, 1000, -1, INT_MIN};
	const int bad_types[] = {PODFAB_TYPE_MAX, PODFAB_TYPE_MAX + 1, -1, INT_MAX};
	const int bad_cmps[] = {PODFAB_CMP_MAX, PODFAB_CMP_MAX + 7, -1, INT_MIN};
	const int bad_sig_ops[] = {2, 3, -1, 255, INT_MAX};
	uint64_t res = RES_SENTINEL;
	podfab_req_t r = req_sentinel();
	for (size_t i = 0; i < sizeof bad_ops / sizeof bad_ops[0]; i++) {
		podfab_atomic_op_t op = (podfab_atomic_op_t)bad_ops[i];
		ut_assert_rc(podfab_atomic(pf, 0, seg, 0, op, PODFAB_UINT64, 1, 0, &res), -PODFAB_EINVAL);
		ut_assert_rc(podfab_atomic(pf, 0, seg, 0, op, PODFAB_UINT64, 1, 0, NULL), -PODFAB_EINVAL);
		ut_assert_rc(podfab_atomic_nb(pf, 0, seg, 0, op, PODFAB_INT32, 1, 0, &res, &r),
			     -PODFAB_EINVAL);
	}
	for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
		podfab_type_t t = (podfab_type_t)bad_types[i];
		ut_assert_rc(podfab_atomic(pf, 0, seg, 0, PODFAB_AOP_ADD, t, 1, 0, &res), -PODFAB_EINVAL);
		ut_assert_rc(podfab_atomic_nb(pf, 0, seg, 0, PODFAB_AOP_SET, t, 1, 0, NULL, &r),
			     -PODFAB_EINVAL);
		ut_assert_rc(podfab_wait_until(pf, base, t, PODFAB_CMP_EQ, 0), -PODFAB_EINVAL);
		ut_assert_rc(podfab_test_until(pf, base, t, PODFAB_CMP_EQ, 0), -PODFAB_EINVAL);
	}
	for (size_t i = 0; i < sizeof bad_cmps / sizeof bad_cmps[0]; i++) {
		podfab_cmp_t c = (podfab_cmp_t)bad_cmps[i];
		uint64_t seen = RES_SENTINEL;
		ut_assert_rc(podfab_wait_until(pf, base, PODFAB_UINT64, c, 0), -PODFAB_EINVAL);
		ut_assert_rc(podfab_test_until(pf, base, PODFAB_UINT32, c, 0), -PODFAB_EINVAL);
		ut_assert_rc(podfab_signal_wait_until(pf, (const uint64_t *)(void *)base, c, 0, &seen),
			     -PODFAB_EINVAL);
		ck_assert_uint_eq(seen, RES_SENTINEL);
	}
	for (size_t i = 0; i < sizeof bad_sig_ops / sizeof bad_sig_ops[0]; i++) {
		podfab_signal_op_t so = (podfab_signal_op_t)bad_sig_ops[i];
		ut_assert_rc(podfab_put_signal(pf, 0, seg, 0, src, 64, seg, 512, 1, so), -PODFAB_EINVAL);
		ut_assert_rc(podfab_put_signal_nb(pf, 0, seg, 0, src, 64, seg, 512, 1, so, &r),
			     -PODFAB_EINVAL);
	}
	ck_assert_uint_eq(res, RES_SENTINEL);
	ck_assert_ptr_eq(r, req_sentinel());
	assert_untouched("invalid enum values");
}
END_TEST

START_TEST(test_bad_keys)
{
	podfab_seg_t s = (podfab_seg_t)(void *)&s;
	const podfab_key_t bad[] = {
		0,
		~(podfab_key_t)0,
		0xdeadbeefcafef00dull,
		((podfab_key_t)1 << 48) | 2,	   /* owner 1 of a 1-accelerator pod */
		((podfab_key_t)0xffff << 48) | 2,   /* owner 65535 */
		((podfab_key_t)300 << 32) | 2,	   /* slot 300 */
		3,				   /* odd generation */
		2,				   /* slot 0 generation 2: never exported */
		((podfab_key_t)5 << 32) | 1000,	   /* slot 5: never exported */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = podfab_mem_import(pf, bad[i], &s);
		ck_assert_msg(rc == -PODFAB_EKEY, "import of key 0x%016llx returned %d (%s)",
			      (unsigned long long)bad[i], rc, podfab_errname(rc));
		ck_assert_ptr_eq(s, (podfab_seg_t)(void *)&s);
	}
	assert_untouched("garbage keys");
}
END_TEST

START_TEST(test_freed_segment)
{
	/* A freed segment handle is refused (not a live segment). */
	podfab_seg_t s = NULL;
	ut_assert_rc(podfab_seg_alloc(pf, 64, &s), 0);
	ut_assert_rc(podfab_seg_free(pf, s), 0);
	ut_assert_rc(podfab_put(pf, 0, s, 0, src, 8), -PODFAB_EBADHANDLE);
	ut_assert_rc(podfab_seg_free(pf, s), -PODFAB_EBADHANDLE);
	assert_untouched("a freed segment");
}
END_TEST

START_TEST(test_ptr_bad_input)
{
	ck_assert_ptr_eq(podfab_ptr(pf, 0, seg, 16), base + 16);
	ck_assert_ptr_null(podfab_ptr(NULL, 0, seg, 0));
	ck_assert_ptr_null(podfab_ptr(pf, 0, NULL, 0));
	ck_assert_ptr_null(podfab_ptr(pf, -1, seg, 0));
	ck_assert_ptr_null(podfab_ptr(pf, 1, seg, 0));
	ck_assert_ptr_null(podfab_ptr(pf, INT_MIN, seg, 0));
	ck_assert_ptr_null(podfab_ptr(pf, 0, seg, SEG));
	ck_assert_ptr_null(podfab_ptr(pf, 0, seg, SEG + 1));
	ck_assert_ptr_null(podfab_ptr(pf, 0, seg, SIZE_MAX));
}
END_TEST

/* ---------------------------------------------------------------- */
/* Two accelerators in one process                                    */
/* ---------------------------------------------------------------- */

struct two {
	podfab_seg_t seg[2];
	podfab_req_t req[2];
	podfab_key_t key, old_key;
};

static int foreign_handles(podfab_t a, int id, void *arg)
{
	struct two *t = arg;
	podfab_seg_t mine = NULL;
	UT_CHECK_RC(id, podfab_seg_alloc(a, SEG, &mine), 0);
	uint8_t *mem = podfab_seg_addr(a, mine);
	UT_CHECK(id, mem != NULL);
	memset(mem, PAT, SEG);
	t->seg[id] = mine;
	UT_SYNC(id, 2);

	podfab_seg_t other = t->seg[1 - id];
	uint8_t buf[64], res[8];
	memset(buf, SRC_PAT, sizeof buf);
	memset(res, 0x11, sizeof res);
	podfab_req_t r = (podfab_req_t)(void *)buf;
	const int B = -PODFAB_EBADHANDLE;
	UT_CHECK_RC(id, podfab_put(a, 1 - id, other, 0, buf, 8), B);
	UT_CHECK_RC(id, podfab_put(a, id, other, 0, buf, 8), B);
	UT_CHECK_RC(id, podfab_get(a, buf, 1 - id, other, 0, 8), B);
	UT_CHECK_RC(id, podfab_put_nb(a, 1 - id, other, 0, buf, 8, &r), B);
	UT_CHECK_RC(id, podfab_get_nb(a, buf, 1 - id, other, 0, 8, &r), B);
	UT_CHECK_RC(id, podfab_atomic(a, 1 - id, other, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, res),
		    B);
	UT_CHECK_RC(id, podfab_atomic_nb(a, 1 - id, other, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0,
					 NULL, &r),
		    B);
	UT_CHECK_RC(id, podfab_put_signal(a, 1 - id, other, 0, buf, 8, mine, 64, 1, PODFAB_SIGNAL_SET),
		    B);
	UT_CHECK_RC(id, podfab_put_signal(a, 1 - id, mine, 0, buf, 8, other, 64, 1, PODFAB_SIGNAL_SET),
		    B);
	UT_CHECK_RC(id, podfab_seg_free(a, other), B);
	UT_CHECK_RC(id, podfab_seg_owner(a, other), B);
	UT_CHECK(id, podfab_seg_addr(a, other) == NULL);
	UT_CHECK(id, podfab_seg_size(a, other) == 0);
	UT_CHECK(id, podfab_ptr(a, 1 - id, other, 0) == NULL);
	UT_CHECK(id, r == (podfab_req_t)(void *)buf);
	for (int i = 0; i < 8; i++)
		UT_CHECK(id, res[i] == 0x11);
	/* accelerator ids of a 2-accelerator pod */
	UT_CHECK_RC(id, podfab_put(a, 2, mine, 0, buf, 8), -PODFAB_EACCEL);
	UT_CHECK_RC(id, podfab_get(a, buf, -1, mine, 0, 8), -PODFAB_EACCEL);
	UT_SYNC(id, 2);
	for (size_t i = 0; i < SEG; i++)
		UT_CHECK(id, mem[i] == PAT);

	/* Requests belong to the accelerator that made them. */
	uint64_t v = 7;
	UT_CHECK_RC(id, podfab_put_nb(a, id, mine, 0, &v, 8, &t->req[id]), 0);
	UT_SYNC(id, 2);
	int done = 77;
	UT_CHECK_RC(id, podfab_wait(a, t->req[1 - id]), B);
	UT_CHECK_RC(id, podfab_test(a, t->req[1 - id], &done), B);
	UT_CHECK(id, done == 77);
	UT_SYNC(id, 2);
	UT_CHECK_RC(id, podfab_wait(a, t->req[id]), 0);
	UT_CHECK_RC(id, podfab_barrier(a), 0);
	UT_CHECK_RC(id, podfab_seg_free(a, mine), 0);
	return 0;
}

START_TEST(test_foreign_handles)
{
	struct two t;
	memset(&t, 0, sizeof t);
	char why[512];
	int rc = ut_run_accels(2, foreign_handles, &t, why, sizeof why);
	ck_assert_msg(rc == 0, "%s", why);
}
END_TEST

static int revoked_key(podfab_t a, int id, void *arg)
{
	struct two *t = arg;
	static _Alignas(8) uint8_t exported[256];
	podfab_seg_t ex = NULL, im = NULL;
	podfab_key_t old = 0;
	if (id == 0) {
		memset(exported, PAT, sizeof exported);
		UT_CHECK_RC(id, podfab_mem_export(a, exported, sizeof exported, &ex, &t->key), 0);
	}
	UT_SYNC(id, 2);
	if (id == 1) {
		UT_CHECK_RC(id, podfab_mem_import(a, t->key, &im), 0);
		UT_CHECK_RC(id, podfab_seg_owner(a, im), 0);
		UT_CHECK(id, podfab_seg_size(a, im) == sizeof exported);
		UT_CHECK_RC(id, podfab_seg_free(a, im), 0);
		/* a neighbouring slot, and a wrong generation, were never issued */
		podfab_seg_t s = (podfab_seg_t)(void *)&im;
		UT_CHECK_RC(id, podfab_mem_import(a, t->key ^ ((podfab_key_t)1 << 32), &s),
			    -PODFAB_EKEY);
		UT_CHECK_RC(id, podfab_mem_import(a, t->key + 2, &s), -PODFAB_EKEY);
		UT_CHECK(id, s == (podfab_seg_t)(void *)&im);
	}
	UT_SYNC(id, 2);
	if (id == 0) {
		old = t->key;
		UT_CHECK_RC(id, podfab_seg_free(a, ex), 0);
		/* a new export may reuse the slot, but not the key */
		UT_CHECK_RC(id, podfab_mem_export(a, exported, sizeof exported, &ex, &t->key), 0);
		UT_CHECK(id, t->key != old);
		t->old_key = old;
	}
	UT_SYNC(id, 2);
	if (id == 1) {
		podfab_seg_t s = (podfab_seg_t)(void *)&im;
		old = t->old_key;
		UT_CHECK_RC(id, podfab_mem_import(a, old, &s), -PODFAB_EKEY);
		UT_CHECK(id, s == (podfab_seg_t)(void *)&im);
		UT_CHECK_RC(id, podfab_mem_import(a, t->key, &s), 0);
		UT_CHECK_RC(id, podfab_seg_free(a, s), 0);
	}
	UT_SYNC(id, 2);
	if (id == 0) {
		UT_CHECK_RC(id, podfab_seg_free(a, ex), 0);
		for (size_t i = 0; i < sizeof exported; i++)
			UT_CHECK(id, exported[i] == PAT);
	}
	UT_SYNC(id, 2);
	if (id == 1) {
		podfab_seg_t s = (podfab_seg_t)(void *)&im;
		UT_CHECK_RC(id, podfab_mem_import(a, t->key, &s), -PODFAB_EKEY);
	}
	return 0;
}

START_TEST(test_revoked_key)
{
	struct two t;
	memset(&t, 0, sizeof t);
	char why[512];
	int rc = ut_run_accels(2, revoked_key, &t, why, sizeof why);
	ck_assert_msg(rc == 0, "%s", why);
}
END_TEST

static Suite *badinput_suite(void)
{
	Suite *s = suite_create("badinput");
	TCase *tc = tcase_create("single");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bad_accel_id);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_bounds_atomics_and_signals);
	tcase_add_test(tc, test_bounds_edges_ok);
	tcase_add_test(tc, test_misaligned_atomics);
	tcase_add_test(tc, test_misaligned_signals);
	tcase_add_test(tc, test_misaligned_export);
	tcase_add_test(tc, test_null_pointers);
	tcase_add_test(tc, test_null_handle);
	tcase_add_test(tc, test_garbage_handles);
	tcase_add_test(tc, test_zero_length);
	tcase_add_test(tc, test_use_after_finalize);
	tcase_add_test(tc, test_busy_segment);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_invalid_enums);
	tcase_add_test(tc, test_bad_keys);
	tcase_add_test(tc, test_freed_segment);
	tcase_add_test(tc, test_ptr_bad_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("two");
	tcase_add_checked_fixture(tc, ut_clear_env, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_foreign_handles);
	tcase_add_test(tc, test_revoked_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ut_run_suite(badinput_suite());
}
