/* cases-atomic.c - every atomic on every type, concurrent atomics, a CSWAP lock. */
#include <sched.h>
#include <stdlib.h>

#include "conform.h"

/* Interesting values of each type, as bit patterns: zero, small, negative, extremes, wrap. */
static const uint64_t vals32s[] = {0, 1, 5, 0xffffffffu /* -1 */, 0xfffffffbu /* -5 */, 0x7fffffffu,
				   0x80000000u, 0x12345678u};
static const uint64_t vals32u[] = {0, 1, 5, 0xffffffffu, 0xfffffffbu, 0x7fffffffu, 0x80000000u, 0xfffffff0u};
static const uint64_t vals64s[] = {0, 1, 5, ~0ull /* -1 */, ~0ull - 4 /* -5 */, 0x7fffffffffffffffull,
				   0x8000000000000000ull, 0x123456789abcdef0ull};
static const uint64_t vals64u[] = {0, 1, 5, ~0ull, ~0ull - 4, 0x7fffffffffffffffull, 0x8000000000000000ull,
				   0xfffffffffffffff0ull};
#define NVALS 8

static const uint64_t *type_vals(podfab_type_t t)
{
	switch (t) {
	case PODFAB_INT32: return vals32s;
	case PODFAB_UINT32: return vals32u;
	case PODFAB_INT64: return vals64s;
	default: return vals64u;
	}
}

#define GUARD 0xa5a5a5a5a5a5a5a5ull
#define RES_FILL 0xccccccccccccccccull

enum variant { V_BLOCK, V_BLOCK_FETCH, V_NB_REQ_FETCH, V_NB_NULL, V_NB_NULL_FETCH, V_NB_REQ, V_COUNT };

/*
 * One atomic on target t at off (16 bytes: the word, then a guard word):
 * initialise to x with a put, run op with operand v (and compare cmp) in the
 * given variant, then check the fetched old value, the new value and the guards.
 */
static int one_atomic(podfab_t pf, int t, podfab_seg_t seg, size_t off, podfab_atomic_op_t op, podfab_type_t type,
		      uint64_t x, uint64_t v, uint64_t cmp, int var)
{
	size_t sz = pfc_type_size(type);
	uint64_t init[2] = {GUARD, GUARD};
	memcpy(init, &x, sz); /* little-endian hosts: the low bytes of x */
	CHECK_OK(podfab_put(pf, t, seg, off, init, sizeof init));
	CHECK_OK(podfab_quiet(pf));
	if (op == PODFAB_AOP_SET && (var == V_BLOCK_FETCH || var == V_NB_REQ_FETCH || var == V_NB_NULL_FETCH))
		var = V_BLOCK;
	if (op == PODFAB_AOP_FETCH && (var == V_BLOCK || var == V_NB_NULL || var == V_NB_REQ))
		var = V_BLOCK_FETCH;
	/* 32-bit types ignore the high half of operand and compare. */
	uint64_t operand = sz == 4 ? (v | 0x5a5a5a5a00000000ull) : v;
	uint64_t compare = sz == 4 ? (cmp | 0x3c3c3c3c00000000ull) : cmp;
	uint64_t res = RES_FILL;
	podfab_req_t req = NULL;
	int fetch = 0;
	switch (var) {
	case V_BLOCK:
		CHECK_OK(podfab_atomic(pf, t, seg, off, op, type, operand, compare, NULL));
		CHECK_OK(podfab_quiet(pf));
		break;
	case V_BLOCK_FETCH:
		CHECK_OK(podfab_atomic(pf, t, seg, off, op, type, operand, compare, &res));
		fetch = 1;
		break;
	case V_NB_REQ_FETCH:
		CHECK_OK(podfab_atomic_nb(pf, t, seg, off, op, type, operand, compare, &res, &req));
		CHECK(req != NULL);
		CHECK_OK(podfab_wait(pf, req));
		fetch = 1;
		break;
	case V_NB_NULL:
		CHECK_OK(podfab_atomic_nb(pf, t, seg, off, op, type, operand, compare, NULL, NULL));
		CHECK_OK(podfab_quiet(pf));
		break;
	case V_NB_NULL_FETCH:
		CHECK_OK(podfab_atomic_nb(pf, t, seg, off, op, type, operand, compare, &res, NULL));
		CHECK_OK(podfab_quiet(pf));
		fetch = 1;
		break;
	default:
		CHECK_OK(podfab_atomic_nb(pf, t, seg, off, op, type, operand, compare, NULL, &req));
		CHECK(req != NULL);
		CHECK_OK(podfab_quiet(pf));
		{
			int done = 0;
			CHECK_OK(podfab_test(pf, req, &done));
			CHECK(done == 1);
		}
		break;
	}
	uint64_t expect = pfc_amo_ref(op, type, x, v, cmp);
	uint64_t after[2] = {0, 0};
	CHECK_OK(podfab_get(pf, after, t, seg, off, sizeof after));
	uint64_t got = 0;
	memcpy(&got, after, sz);
	CHECKF(got == expect, "%s %s on %d, variant %d: 0x%llx op 0x%llx (cmp 0x%llx) gave 0x%llx, expected 0x%llx",
	       pfc_op_name(op), pfc_type_name(type), t, var, (unsigned long long)x, (unsigned long long)v,
	       (unsigned long long)cmp, (unsigned long long)got, (unsigned long long)expect);
	if (sz == 4)
		CHECKF(after[0] >> 32 == (GUARD >> 32), "%s %s wrote past its 4 bytes", pfc_op_name(op), pfc_type_name(type));
	CHECKF(after[1] == GUARD, "%s %s wrote past its word", pfc_op_name(op), pfc_type_name(type));
	if (fetch) {
		uint64_t old = 0;
		memcpy(&old, &res, sz);
		CHECKF(old == pfc_type_mask(type, x), "%s %s on %d, variant %d: fetched 0x%llx, expected 0x%llx",
		       pfc_op_name(op), pfc_type_name(type), t, var, (unsigned long long)old,
		       (unsigned long long)pfc_type_mask(type, x));
		if (sz == 4)
			CHECKF(res >> 32 == (RES_FILL >> 32), "a 32-bit %s wrote 8 bytes of result", pfc_op_name(op));
	} else {
		CHECK(res == RES_FILL);
	}
	return 0;
}

int case_atomics(podfab_t pf, const struct pfc *c)
{
	(void)c;
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	podfab_seg_t seg;
	size_t size = 64 + (size_t)n * 16 + 4096;
	CHECK_OK(podfab_seg_alloc(pf, size, &seg));
	size_t off = 64 + (size_t)me * 16; /* my word on every target */
	int targets[2] = {(me + 1) % n, me};
	long k = 0;
	for (int ti = 0; ti < 2; ti++) {
		int t = targets[ti];
		for (int type = 0; type < PODFAB_TYPE_MAX; type++) {
			const uint64_t *vs = type_vals((podfab_type_t)type);
			for (int op = 0; op < PODFAB_AOP_MAX_OP; op++) {
				for (int i = 0; i < NVALS; i++) {
					for (int j = 0; j < NVALS; j++) {
						uint64_t cmp = (i + j) % 2 ? vs[i] : vs[j];
						int var = (int)((k++ + ti) % V_COUNT);
						if (one_atomic(pf, t, seg, off, (podfab_atomic_op_t)op, (podfab_type_t)type,
							       vs[i], vs[j], cmp, var))
							return 1;
					}
				}
			}
		}
	}

	/* A few exact results spelled out (the model above could share a mistake with a library). */
	int t = (me + 1) % n;
	int32_t r32;
	uint32_t u32;
	int64_t r64;
	uint64_t u64;
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_SET, PODFAB_INT32, (uint32_t)-7, 0, NULL));
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_MIN, PODFAB_INT32, 3, 0, &r32));
	CHECK(r32 == -7);
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_MAX, PODFAB_INT32, (uint32_t)-9, 0, &r32));
	CHECK(r32 == -7);
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_MAX, PODFAB_INT32, 2, 0, &r32));
	CHECK(r32 == -7);
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_FETCH, PODFAB_INT32, 0, 0, &r32));
	CHECK(r32 == 2);
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_SET, PODFAB_UINT32, 0xfffffffeu, 0, NULL));
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_ADD, PODFAB_UINT32, 3, 0, &u32));
	CHECK(u32 == 0xfffffffeu);
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_FETCH, PODFAB_UINT32, 0, 0, &u32));
	CHECK(u32 == 1); /* wrapped */
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_MIN, PODFAB_UINT32, 0x80000000u, 0, &u32));
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_FETCH, PODFAB_UINT32, 0, 0, &u32));
	CHECK(u32 == 1); /* unsigned: 0x80000000 is large */
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_SET, PODFAB_INT32, 0x7fffffffu, 0, NULL));
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_ADD, PODFAB_INT32, 1, 0, NULL));
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_FETCH, PODFAB_INT32, 0, 0, &r32));
	CHECK(r32 == INT32_MIN);
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_SET, PODFAB_INT64, (uint64_t)-100, 0, NULL));
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_MAX, PODFAB_INT64, (uint64_t)-200, 0, &r64));
	CHECK(r64 == -100);
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_MIN, PODFAB_UINT64, 5, 0, &u64));
	CHECK(u64 == (uint64_t)-100);
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_CSWAP, PODFAB_UINT64, 9, 4, &u64));
	CHECK(u64 == 5); /* no swap: 5 != 4 */
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_CSWAP, PODFAB_UINT64, 9, 5, &u64));
	CHECK(u64 == 5);
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_SWAP, PODFAB_INT64, 11, 0, &r64));
	CHECK(r64 == 9);

	/* The typed inline helpers. */
	CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_SET, PODFAB_UINT64, 40, 0, NULL));
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_atomic_add_u64(pf, t, seg, off, 2));
	CHECK_OK(podfab_quiet(pf));
	u64 = 0;
	CHECK_OK(podfab_atomic_fetch_add_u64(pf, t, seg, off, ~0ull, &u64));
	CHECK_EQ(u64, 42);
	CHECK_OK(podfab_atomic_cswap_u64(pf, t, seg, off, 41, 1000, &u64));
	CHECK_EQ(u64, 41);
	CHECK_OK(podfab_atomic_cswap_u64(pf, t, seg, off, 41, 2000, &u64));
	CHECK_EQ(u64, 1000);
	CHECK_OK(podfab_atomic_cswap_u64(pf, t, seg, off, 1000, 3000, NULL));
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_atomic_fetch_add_u64(pf, t, seg, off, 0, &u64));
	CHECK_EQ(u64, 3000);
	CHECK_ERR(podfab_atomic_add_u64(pf, t, seg, off + 4, 1), PODFAB_EALIGN);
	CHECK_ERR(podfab_atomic_fetch_add_u64(pf, n, seg, off, 1, &u64), PODFAB_EACCEL);
	CHECK_ERR(podfab_atomic_cswap_u64(pf, t, seg, size, 0, 1, &u64), PODFAB_EBOUNDS);
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* atomic_concurrent                                                       */
/* ---------------------------------------------------------------------- */

enum {
	AC_CTR = 0,     /* u64: fetch-add 1 by everyone */
	AC_U32 = 8,     /* u32: non-fetching add 3 by everyone, starts near the wrap */
	AC_XOR = 16,    /* u64 xor */
	AC_OR = 24,     /* u64 or */
	AC_AND = 32,    /* u64 and, starts all ones */
	AC_MIN64 = 40,  /* i64 min, starts INT64_MAX */
	AC_MAX32 = 48,  /* i32 max, starts INT32_MIN */
	AC_MINU32 = 52, /* u32 min, starts UINT32_MAX */
	AC_VALS = 4096  /* fetched values: K per writer */
};

static uint64_t ac_val(int w, long i, int which)
{
	return pfc_mix(((uint64_t)w << 40) ^ ((uint64_t)i << 4) ^ (uint64_t)which);
}

int case_atomic_concurrent(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	long K = pfc_iters(c, 10000, 200);
	size_t size = AC_VALS + (size_t)n * (size_t)K * 8;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, size, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	CHECK(mine != NULL);
	uint32_t u32init = 0xfffffff0u, u32max = 0xffffffffu;
	int32_t i32min = INT32_MIN;
	int64_t i64max = INT64_MAX;
	uint64_t ones = ~0ull;
	memcpy(mine + AC_U32, &u32init, 4);
	memcpy(mine + AC_AND, &ones, 8);
	memcpy(mine + AC_MIN64, &i64max, 8);
	memcpy(mine + AC_MAX32, &i32min, 4);
	memcpy(mine + AC_MINU32, &u32max, 4);
	uint64_t *fetched = malloc((size_t)n * (size_t)K * 8);
	CHECK(fetched != NULL);
	CHECK_OK(podfab_barrier(pf));

	int rc = 0;
	for (long i = 0; i < K && !rc; i++) {
		for (int d = 0; d < n && !rc; d++) {
			int p = (me + d) % n;
			rc = podfab_atomic_fetch_add_u64(pf, p, seg, AC_CTR, 1, &fetched[(size_t)p * (size_t)K + (size_t)i]);
		}
		int p = (int)((me + i) % n);
		if (!rc)
			rc = podfab_atomic(pf, p, seg, AC_U32, PODFAB_AOP_ADD, PODFAB_UINT32, 3, 0, NULL);
		if (!rc)
			rc = podfab_atomic(pf, p, seg, AC_XOR, PODFAB_AOP_XOR, PODFAB_UINT64, ac_val(me, i, 1), 0, NULL);
		if (!rc)
			rc = podfab_atomic_nb(pf, p, seg, AC_OR, PODFAB_AOP_OR, PODFAB_UINT64,
					      1ull << ((uint64_t)(me * 7 + i) % 64) & ac_val(me, i, 2), 0, NULL, NULL);
		if (!rc)
			rc = podfab_atomic(pf, p, seg, AC_AND, PODFAB_AOP_AND, PODFAB_UINT64,
					   ~(1ull << (ac_val(me, i, 3) % 61)), 0, NULL);
		if (!rc)
			rc = podfab_atomic(pf, p, seg, AC_MIN64, PODFAB_AOP_MIN, PODFAB_INT64, ac_val(me, i, 4), 0, NULL);
		if (!rc)
			rc = podfab_atomic(pf, p, seg, AC_MAX32, PODFAB_AOP_MAX, PODFAB_INT32, ac_val(me, i, 5), 0, NULL);
		if (!rc)
			rc = podfab_atomic(pf, p, seg, AC_MINU32, PODFAB_AOP_MIN, PODFAB_UINT32, ac_val(me, i, 6), 0, NULL);
	}
	if (rc)
		free(fetched);
	CHECK_OK(rc);
	/* My own fetches of one counter come back strictly increasing. */
	for (int p = 0; p < n; p++)
		for (long i = 1; i < K; i++)
			if (fetched[(size_t)p * (size_t)K + (size_t)i] <= fetched[(size_t)p * (size_t)K + (size_t)i - 1]) {
				free(fetched);
				CHECKF(0, "fetches %ld and %ld on %d's counter are not increasing", i - 1, i, p);
			}
	for (int p = 0; p < n && !rc; p++)
		rc = podfab_put(pf, p, seg, AC_VALS + (size_t)me * (size_t)K * 8, &fetched[(size_t)p * (size_t)K],
				(size_t)K * 8);
	free(fetched);
	CHECK_OK(rc);
	CHECK_OK(podfab_barrier(pf));

	/* My counter: total exact; every fetched value distinct, so they are exactly 0 .. n*K-1. */
	uint64_t total = (uint64_t)n * (uint64_t)K, ctr;
	memcpy(&ctr, mine + AC_CTR, 8);
	CHECK_EQ(ctr, total);
	uint8_t *seen = calloc((size_t)total / 8 + 1, 1);
	CHECK(seen != NULL);
	const uint64_t *vals = (const uint64_t *)(const void *)(mine + AC_VALS);
	for (uint64_t i = 0; i < total; i++) {
		uint64_t v = vals[i];
		if (v >= total || (seen[v / 8] >> (v % 8) & 1)) {
			free(seen);
			CHECKF(0, "fetched value %llu (from accelerator %llu) is out of range or seen twice",
			       (unsigned long long)v, (unsigned long long)(i / (uint64_t)K));
		}
		seen[v / 8] |= (uint8_t)(1u << (v % 8));
	}
	free(seen);

	/* The other words: fold every operation aimed at me. */
	uint32_t e_u32 = u32init, e_max32u = (uint32_t)INT32_MIN, e_minu32 = u32max;
	uint64_t e_xor = 0, e_or = 0, e_and = ones, e_min64 = (uint64_t)i64max;
	for (int w = 0; w < n; w++) {
		for (long i = 0; i < K; i++) {
			if ((w + i) % n != me)
				continue;
			e_u32 += 3;
			e_xor ^= ac_val(w, i, 1);
			e_or |= 1ull << ((uint64_t)(w * 7 + i) % 64) & ac_val(w, i, 2);
			e_and &= ~(1ull << (ac_val(w, i, 3) % 61));
			e_min64 = pfc_amo_ref(PODFAB_AOP_MIN, PODFAB_INT64, e_min64, ac_val(w, i, 4), 0);
			e_max32u = (uint32_t)pfc_amo_ref(PODFAB_AOP_MAX, PODFAB_INT32, e_max32u, ac_val(w, i, 5), 0);
			e_minu32 = (uint32_t)pfc_amo_ref(PODFAB_AOP_MIN, PODFAB_UINT32, e_minu32, ac_val(w, i, 6), 0);
		}
	}
	uint32_t g32;
	uint64_t g64;
	memcpy(&g32, mine + AC_U32, 4);
	CHECK_EQ(g32, e_u32);
	memcpy(&g64, mine + AC_XOR, 8);
	CHECK_EQ(g64, e_xor);
	memcpy(&g64, mine + AC_OR, 8);
	CHECK_EQ(g64, e_or);
	memcpy(&g64, mine + AC_AND, 8);
	CHECK_EQ(g64, e_and);
	memcpy(&g64, mine + AC_MIN64, 8);
	CHECK_EQ(g64, e_min64);
	memcpy(&g32, mine + AC_MAX32, 4);
	CHECK_EQ(g32, e_max32u);
	memcpy(&g32, mine + AC_MINU32, 4);
	CHECK_EQ(g32, e_minu32);
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* lock                                                                    */
/* ---------------------------------------------------------------------- */

enum { LK_LOCK = 0, LK_REC = 64, LK_COUNT = 128 };

struct lock_rec {
	uint64_t a, b, holder;
};

int case_lock(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	long L = pfc_iters(c, 300, 20);
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, 4096, &seg));
	CHECK_OK(podfab_barrier(pf));
	int home = n - 1; /* the lock lives on the last accelerator */
	for (long i = 0; i < L; i++) {
		uint64_t old = 1;
		long tries = 0;
		for (;;) {
			CHECK_OK(podfab_atomic_cswap_u64(pf, home, seg, LK_LOCK, 0, (uint64_t)me + 1, &old));
			if (old == 0)
				break;
			CHECKF(old <= (uint64_t)n, "lock word holds %llu", (unsigned long long)old);
			if (++tries % 4 == 0)
				sched_yield();
		}
		/* Inside: a plain get-modify-put that only mutual exclusion keeps exact. */
		struct lock_rec r;
		CHECK_OK(podfab_get(pf, &r, home, seg, LK_REC, sizeof r));
		CHECKF(r.holder == 0, "iteration %ld: record held by %llu while I hold the lock", i,
		       (unsigned long long)r.holder);
		CHECKF(r.a == r.b, "record torn: %llu != %llu", (unsigned long long)r.a, (unsigned long long)r.b);
		r.a++;
		r.b++;
		r.holder = (uint64_t)me + 1;
		CHECK_OK(podfab_put(pf, home, seg, LK_REC, &r, sizeof r));
		CHECK_OK(podfab_quiet(pf));
		struct lock_rec back;
		CHECK_OK(podfab_get(pf, &back, home, seg, LK_REC, sizeof back));
		CHECK(back.a == r.a && back.b == r.b && back.holder == r.holder);
		uint64_t zero = 0;
		CHECK_OK(podfab_put(pf, home, seg, LK_REC + offsetof(struct lock_rec, holder), &zero, 8));
		if (i % 2)
			CHECK_OK(podfab_fence(pf));
		else
			CHECK_OK(podfab_quiet(pf));
		CHECK_OK(podfab_atomic(pf, home, seg, LK_LOCK, PODFAB_AOP_SWAP, PODFAB_UINT64, 0, 0, &old));
		CHECKF(old == (uint64_t)me + 1, "unlock found %llu in the lock word", (unsigned long long)old);
		CHECK_OK(podfab_atomic_add_u64(pf, home, seg, LK_COUNT, 1));
	}
	CHECK_OK(podfab_barrier(pf));
	struct lock_rec r;
	uint64_t lock, count;
	CHECK_OK(podfab_get(pf, &r, home, seg, LK_REC, sizeof r));
	CHECK_OK(podfab_get(pf, &lock, home, seg, LK_LOCK, 8));
	CHECK_OK(podfab_get(pf, &count, home, seg, LK_COUNT, 8));
	CHECK_EQ(lock, 0);
	CHECK_EQ(count, (uint64_t)n * (uint64_t)L);
	CHECK_EQ(r.a, (uint64_t)n * (uint64_t)L);
	CHECK_EQ(r.b, (uint64_t)n * (uint64_t)L);
	CHECK_EQ(r.holder, 0);
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}
