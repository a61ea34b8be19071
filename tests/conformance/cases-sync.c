/* cases-sync.c - signals, waiting on local memory, fence, quiet, barrier. */
#include <stdlib.h>

#include "conform.h"

static uint64_t tag3(uint64_t a, uint64_t b, uint64_t c)
{
	return pfc_mix(a * 1000003ull + b * 1009ull + c + 0x5151);
}

/* ---------------------------------------------------------------------- */
/* signal                                                                  */
/* ---------------------------------------------------------------------- */

#define SG_DATA 0                          /* per-sender data slots */
#define SG_SIG(w) (16384 + (size_t)(w) * 8) /* per-sender signal words */
#define SG_ACK(w) (20480 + (size_t)(w) * 8) /* per-receiver acknowledgements */
#define SG_ALL 24576                       /* one word every sender adds to */
#define SG_CMP 24640                       /* the word of the comparison script */
#define SG_SIZE 32768

int case_signal(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	CHECK(n <= 256);
	int t = (me + 1) % n, left = (me + n - 1) % n;
	size_t slot = (16384 / (size_t)n) & ~(size_t)7;
	if (slot > 1024)
		slot = 1024;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, SG_SIZE, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	uint8_t *buf = malloc(slot);
	CHECK(mine && buf);
	uint64_t *sig_from_left = (uint64_t *)(void *)(mine + SG_SIG(left));
	uint64_t *ack_from_t = (uint64_t *)(void *)(mine + SG_ACK(t));

	/* 1. Ping-pong with SET: data and signal to the right, acknowledgement back. */
	long laps = pfc_iters(c, 200, 10);
	for (long i = 1; i <= laps; i++) {
		size_t len = 1 + (size_t)(i * 37) % slot;
		if (i > 1) {
			uint64_t seen = 0;
			CHECK_OK(podfab_signal_wait_until(pf, ack_from_t, PODFAB_CMP_GE, (uint64_t)i - 1, &seen));
			CHECK_EQ(seen, (uint64_t)i - 1);
		}
		pfc_fill(buf, len, tag3((uint64_t)me, (uint64_t)i, 1), 0);
		podfab_req_t req = NULL;
		switch (i % 3) {
		case 0:
			CHECK_OK(podfab_put_signal(pf, t, seg, SG_DATA + (size_t)me * slot, buf, len, seg, SG_SIG(me),
						   (uint64_t)i, PODFAB_SIGNAL_SET));
			break;
		case 1:
			CHECK_OK(podfab_put_signal_nb(pf, t, seg, SG_DATA + (size_t)me * slot, buf, len, seg, SG_SIG(me),
						      (uint64_t)i, PODFAB_SIGNAL_SET, &req));
			CHECK_OK(podfab_wait(pf, req));
			break;
		default:
			CHECK_OK(podfab_put_signal_nb(pf, t, seg, SG_DATA + (size_t)me * slot, buf, len, seg, SG_SIG(me),
						      (uint64_t)i, PODFAB_SIGNAL_SET, NULL));
			break;
		}
		CHECK_OK(podfab_quiet(pf));
		/* Receive from the left: the signal, then the data it covers. */
		uint64_t seen = 0;
		CHECK_OK(podfab_signal_wait_until(pf, sig_from_left, PODFAB_CMP_GE, (uint64_t)i, &seen));
		CHECKF(seen == (uint64_t)i, "lap %ld: signal %llu", i, (unsigned long long)seen);
		CHECK_EQ(podfab_signal_fetch(pf, sig_from_left), (uint64_t)i);
		long bad = pfc_verify(mine + SG_DATA + (size_t)left * slot, len, tag3((uint64_t)left, (uint64_t)i, 1), 0);
		CHECKF(bad < 0, "lap %ld: the signal arrived before byte %ld of the data", i, bad);
		CHECK_OK(podfab_atomic(pf, left, seg, SG_ACK(me), PODFAB_AOP_SET, PODFAB_UINT64, (uint64_t)i, 0, NULL));
		CHECK_OK(podfab_quiet(pf));
	}
	CHECK_OK(podfab_barrier(pf));

	/* 2. ADD: everyone sends to everyone; the count tells when all the data is there. */
	long rounds = pfc_iters(c, 20, 2);
	for (long r = 0; r < rounds; r++) {
		for (int d = 0; d < n; d++) {
			int p = (me + d) % n;
			pfc_fill(buf, slot, tag3((uint64_t)me, (uint64_t)r, 2), 0);
			if ((r + d) % 2)
				CHECK_OK(podfab_put_signal(pf, p, seg, SG_DATA + (size_t)me * slot, buf, slot, seg, SG_ALL, 1,
							   PODFAB_SIGNAL_ADD));
			else
				CHECK_OK(podfab_put_signal_nb(pf, p, seg, SG_DATA + (size_t)me * slot, buf, slot, seg, SG_ALL,
							      1, PODFAB_SIGNAL_ADD, NULL));
			/* buf is reused: complete the non-blocking one first */
			CHECK_OK(podfab_quiet(pf));
		}
		uint64_t want = (uint64_t)n * (uint64_t)(r + 1), seen = 0;
		CHECK_OK(podfab_signal_wait_until(pf, (uint64_t *)(void *)(mine + SG_ALL), PODFAB_CMP_GE, want, &seen));
		CHECK_EQ(seen, want);
		for (int w = 0; w < n; w++) {
			long bad = pfc_verify(mine + SG_DATA + (size_t)w * slot, slot, tag3((uint64_t)w, (uint64_t)r, 2), 0);
			CHECKF(bad < 0, "round %ld: data from %d incomplete (byte %ld) although the count was reached", r, w,
			       bad);
		}
		CHECK_OK(podfab_barrier(pf));
	}

	/* 3. Every comparison: the left neighbour makes it true after a barrier. */
	static const struct {
		uint64_t init;
		int op; /* 0: SET, 1: ADD */
		uint64_t arg;
		podfab_cmp_t cmp;
		uint64_t value, final;
	} script[] = {
		{0, 0, 77, PODFAB_CMP_EQ, 77, 77},
		{77, 1, 1, PODFAB_CMP_NE, 77, 78},
		{10, 1, 5, PODFAB_CMP_GT, 14, 15},
		{10, 0, 20, PODFAB_CMP_GE, 20, 20},
		{50, 1, (uint64_t)-10, PODFAB_CMP_LT, 41, 40},
		{50, 0, 3, PODFAB_CMP_LE, 3, 3},
		{~0ull - 1, 1, 3, PODFAB_CMP_LT, 5, 1}, /* the ADD wraps */
	};
	uint64_t *cw = (uint64_t *)(void *)(mine + SG_CMP);
	for (size_t k = 0; k < sizeof script / sizeof script[0]; k++) {
		pfc_store64(cw, script[k].init);
		CHECK_EQ(podfab_signal_fetch(pf, cw), script[k].init);
		CHECK_EQ(podfab_test_until(pf, cw, PODFAB_UINT64, script[k].cmp, script[k].value), 0);
		CHECK_OK(podfab_barrier(pf));
		uint64_t x = tag3((uint64_t)me, k, 3);
		CHECK_OK(podfab_put_signal(pf, t, seg, SG_DATA + (size_t)me * slot, &x, 8, seg, SG_CMP, script[k].arg,
					   script[k].op ? PODFAB_SIGNAL_ADD : PODFAB_SIGNAL_SET));
		CHECK_OK(podfab_quiet(pf));
		uint64_t seen = 0;
		CHECK_OK(podfab_signal_wait_until(pf, cw, script[k].cmp, script[k].value, &seen));
		CHECKF(seen == script[k].final, "script %zu (%s): saw %llu", k, pfc_cmp_name(script[k].cmp),
		       (unsigned long long)seen);
		uint64_t got;
		memcpy(&got, mine + SG_DATA + (size_t)left * slot, 8);
		CHECK_EQ(got, tag3((uint64_t)left, k, 3));
		/* Already true: returns at once; seen may be NULL. */
		CHECK_OK(podfab_signal_wait_until(pf, cw, script[k].cmp, script[k].value, NULL));
		CHECK_OK(podfab_barrier(pf));
	}
	/* Immediately true and false comparisons on a local word. */
	pfc_store64(cw, 100);
	static const podfab_cmp_t all[] = {PODFAB_CMP_EQ, PODFAB_CMP_NE, PODFAB_CMP_GT,
					   PODFAB_CMP_GE, PODFAB_CMP_LT, PODFAB_CMP_LE};
	static const uint64_t truth[] = {100, 99, 99, 100, 101, 100};
	for (int k = 0; k < 6; k++) {
		uint64_t seen = 0;
		CHECK_OK(podfab_signal_wait_until(pf, cw, all[k], truth[k], &seen));
		CHECK_EQ(seen, 100);
	}
	CHECK_OK(podfab_barrier(pf));
	free(buf);
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* wait                                                                    */
/* ---------------------------------------------------------------------- */

static const uint64_t wvals[] = {0, 1, 2, 0x7f, 0x80000000u, 0xffffffffu, 0x7fffffffffffffffull,
				 0x8000000000000000ull, ~0ull, ~0ull - 1};
#define NW (sizeof wvals / sizeof wvals[0])

static void store_typed(void *p, podfab_type_t type, uint64_t v)
{
	if (pfc_type_size(type) == 4)
		__atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_RELEASE);
	else
		__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELEASE);
}

static uint64_t load_typed(const void *p, podfab_type_t type)
{
	if (pfc_type_size(type) == 4)
		return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}

/* A (init, final, value) where cmp is false at init and true at final, preferring signedness to matter. */
static int pick_script(podfab_type_t type, podfab_cmp_t cmp, uint64_t *init, uint64_t *final, uint64_t *value)
{
	podfab_type_t other = type == PODFAB_INT32 ? PODFAB_UINT32 : type == PODFAB_UINT32 ? PODFAB_INT32
				: type == PODFAB_INT64 ? PODFAB_UINT64 : PODFAB_INT64;
	int found = 0;
	for (int pass = 0; pass < 2 && !found; pass++)
		for (size_t v = 0; v < NW && !found; v++)
			for (size_t f = 0; f < NW && !found; f++) {
				if (!pfc_cmp_ref(type, cmp, wvals[f], wvals[v]))
					continue;
				if (pass == 0 && pfc_cmp_ref(other, cmp, wvals[f], wvals[v]))
					continue;
				for (size_t i = 0; i < NW && !found; i++)
					if (!pfc_cmp_ref(type, cmp, wvals[i], wvals[v]) &&
					    pfc_type_mask(type, wvals[i]) != pfc_type_mask(type, wvals[f])) {
						*init = wvals[i];
						*final = wvals[f];
						*value = wvals[v];
						found = 1;
					}
			}
	return found;
}

int case_wait(podfab_t pf, const struct pfc *c)
{
	(void)c;
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	int t = (me + 1) % n;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, 4096, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	CHECK(mine != NULL);

	/* test_until on every type, comparison and pair of values, in a segment and on the stack. */
	uint64_t stackw[2];
	for (int type = 0; type < PODFAB_TYPE_MAX; type++) {
		for (size_t i = 0; i < NW; i++) {
			for (size_t j = 0; j < NW; j++) {
				for (int cmp = 0; cmp < PODFAB_CMP_MAX; cmp++) {
					int expect = pfc_cmp_ref((podfab_type_t)type, (podfab_cmp_t)cmp, wvals[i], wvals[j]);
					void *where[2] = {mine + 64, &stackw[1]};
					for (int wi = 0; wi < 2; wi++) {
						store_typed(where[wi], (podfab_type_t)type, wvals[i]);
						int got = podfab_test_until(pf, where[wi], (podfab_type_t)type,
									    (podfab_cmp_t)cmp, wvals[j]);
						CHECKF(got == expect, "test_until %s: 0x%llx %s 0x%llx gave %d, expected %d",
						       pfc_type_name((podfab_type_t)type), (unsigned long long)wvals[i],
						       pfc_cmp_name((podfab_cmp_t)cmp), (unsigned long long)wvals[j], got,
						       expect);
						if (expect)
							CHECK_OK(podfab_wait_until(pf, where[wi], (podfab_type_t)type,
										   (podfab_cmp_t)cmp, wvals[j]));
					}
				}
			}
		}
	}
	/* 32-bit types use only the low half of value. */
	store_typed(mine + 64, PODFAB_INT32, (uint32_t)-1);
	CHECK_EQ(podfab_test_until(pf, mine + 64, PODFAB_INT32, PODFAB_CMP_EQ, 0xabcd0000ffffffffull), 1);
	CHECK_EQ(podfab_test_until(pf, mine + 64, PODFAB_INT32, PODFAB_CMP_LT, 0xffffffff00000000ull), 1);
	CHECK_EQ(podfab_test_until(pf, mine + 64, PODFAB_UINT32, PODFAB_CMP_GT, 0xffffffff00000000ull), 1);
	CHECK_OK(podfab_wait_until(pf, mine + 64, PODFAB_UINT32, PODFAB_CMP_EQ, 0x12345678ffffffffull));
	CHECK_OK(podfab_barrier(pf));

	/* Every type and comparison, made true by the left neighbour's atomic after a barrier. */
	const size_t woff = 256;
	for (int type = 0; type < PODFAB_TYPE_MAX; type++) {
		for (int cmp = 0; cmp < PODFAB_CMP_MAX; cmp++) {
			uint64_t init = 0, final = 0, value = 0;
			CHECKF(pick_script((podfab_type_t)type, (podfab_cmp_t)cmp, &init, &final, &value),
			       "no script for %s %s", pfc_type_name((podfab_type_t)type), pfc_cmp_name((podfab_cmp_t)cmp));
			uint64_t vpass = pfc_type_size((podfab_type_t)type) == 4 ? (value | 0x77aa000000000000ull) : value;
			store_typed(mine + woff, (podfab_type_t)type, init);
			CHECK_EQ(podfab_test_until(pf, mine + woff, (podfab_type_t)type, (podfab_cmp_t)cmp, vpass), 0);
			CHECK_OK(podfab_barrier(pf));
			CHECK_OK(podfab_atomic(pf, t, seg, woff, PODFAB_AOP_SET, (podfab_type_t)type, final, 0, NULL));
			CHECK_OK(podfab_quiet(pf));
			CHECK_OK(podfab_wait_until(pf, mine + woff, (podfab_type_t)type, (podfab_cmp_t)cmp, vpass));
			CHECKF(load_typed(mine + woff, (podfab_type_t)type) == pfc_type_mask((podfab_type_t)type, final),
			       "%s %s: woke with 0x%llx", pfc_type_name((podfab_type_t)type), pfc_cmp_name((podfab_cmp_t)cmp),
			       (unsigned long long)load_typed(mine + woff, (podfab_type_t)type));
			CHECK_EQ(podfab_test_until(pf, mine + woff, (podfab_type_t)type, (podfab_cmp_t)cmp, vpass), 1);
			CHECK_OK(podfab_barrier(pf));
		}
	}

	/* A wait that needs many updates: the left neighbour counts up to 100 one by one. */
	store_typed(mine + woff, PODFAB_UINT64, 0);
	CHECK_OK(podfab_barrier(pf));
	for (int i = 0; i < 100; i++) {
		CHECK_OK(podfab_atomic_add_u64(pf, t, seg, woff, 1));
		if (i % 10 == 9)
			CHECK_OK(podfab_quiet(pf));
	}
	CHECK_OK(podfab_wait_until(pf, mine + woff, PODFAB_INT64, PODFAB_CMP_GE, 100));
	CHECK_EQ(load_typed(mine + woff, PODFAB_UINT64), 100);
	/* A signed wait the other way: the neighbour counts down below zero. */
	CHECK_OK(podfab_barrier(pf));
	for (int i = 0; i < 103; i++)
		CHECK_OK(podfab_atomic(pf, t, seg, woff, PODFAB_AOP_ADD, PODFAB_INT64, (uint64_t)-1, 0, NULL));
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_wait_until(pf, mine + woff, PODFAB_INT64, PODFAB_CMP_LT, 0));
	CHECK_OK(podfab_wait_until(pf, mine + woff, PODFAB_INT64, PODFAB_CMP_EQ, (uint64_t)-3));
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* fence                                                                   */
/* ---------------------------------------------------------------------- */

#define FN_DATA 0      /* 256 bytes, variant A */
#define FN_FLAG 512    /* variant A flag */
#define FN_ACK 576     /* variant A acknowledgement */
#define FN_FLAG2 640   /* variant B flag */
#define FN_SLOTS 4096  /* variant B slots of 64 bytes */

int case_fence(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	int t = (me + 1) % n, left = (me + n - 1) % n;
	long S = pfc_iters(c, 4096, 256);
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, FN_SLOTS + (size_t)S * 64, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	CHECK(mine != NULL);

	/* A: data, fence, flag; the reader acknowledges each before the next. */
	long L = pfc_iters(c, 2000, 50);
	uint64_t words[32];
	for (long i = 1; i <= L; i++) {
		if (i > 1)
			CHECK_OK(podfab_wait_until(pf, mine + FN_ACK, PODFAB_UINT64, PODFAB_CMP_GE, (uint64_t)i - 1));
		for (int k = 0; k < 32; k++)
			words[k] = (uint64_t)i * 1000 + (uint64_t)k;
		if (i % 3 == 0)
			CHECK_OK(podfab_put_nb(pf, t, seg, FN_DATA, words, sizeof words, NULL));
		else
			CHECK_OK(podfab_put(pf, t, seg, FN_DATA, words, sizeof words));
		CHECK_OK(podfab_fence(pf));
		uint64_t f = (uint64_t)i;
		if (i % 2)
			CHECK_OK(podfab_put(pf, t, seg, FN_FLAG, &f, 8));
		else
			CHECK_OK(podfab_atomic(pf, t, seg, FN_FLAG, PODFAB_AOP_SET, PODFAB_UINT64, f, 0, NULL));
		CHECK_OK(podfab_quiet(pf));
		/* Reader side. */
		CHECK_OK(podfab_wait_until(pf, mine + FN_FLAG, PODFAB_UINT64, PODFAB_CMP_GE, (uint64_t)i));
		CHECK_EQ(pfc_load64(mine + FN_FLAG), (uint64_t)i);
		for (int k = 0; k < 32; k++) {
			uint64_t w = pfc_load64(mine + FN_DATA + (size_t)k * 8);
			CHECKF(w == (uint64_t)i * 1000 + (uint64_t)k, "iteration %ld: flag seen but word %d is %llu", i, k,
			       (unsigned long long)w);
		}
		CHECK_OK(podfab_atomic(pf, left, seg, FN_ACK, PODFAB_AOP_SET, PODFAB_UINT64, (uint64_t)i, 0, NULL));
		CHECK_OK(podfab_quiet(pf));
	}
	CHECK_OK(podfab_barrier(pf));

	/* B: a stream of new slots, each followed by fence and a higher flag; the reader polls meanwhile. */
	long checked = 0;
	uint8_t slot[64];
	for (long i = 0; i < S; i++) {
		pfc_fill(slot, sizeof slot, (uint64_t)me * 1000003ull + (uint64_t)i, 0);
		if (i % 4 == 1)
			CHECK_OK(podfab_put_nb(pf, t, seg, FN_SLOTS + (size_t)i * 64, slot, sizeof slot, NULL));
		else
			CHECK_OK(podfab_put(pf, t, seg, FN_SLOTS + (size_t)i * 64, slot, sizeof slot));
		CHECK_OK(podfab_fence(pf));
		uint64_t f = (uint64_t)i + 1;
		if (i % 2)
			CHECK_OK(podfab_put_nb(pf, t, seg, FN_FLAG2, &f, 8, NULL));
		else
			CHECK_OK(podfab_atomic(pf, t, seg, FN_FLAG2, PODFAB_AOP_SET, PODFAB_UINT64, f, 0, NULL));
		if (i % 512 == 511)
			CHECK_OK(podfab_quiet(pf));
		else if (i % 2)
			CHECK_OK(podfab_quiet(pf)); /* put_nb's source (f) is reused */
		uint64_t seen = podfab_signal_fetch(pf, (uint64_t *)(void *)(mine + FN_FLAG2));
		CHECK(seen <= (uint64_t)S);
		for (; checked < (long)seen; checked++) {
			long bad = pfc_verify(mine + FN_SLOTS + (size_t)checked * 64, 64,
					      (uint64_t)left * 1000003ull + (uint64_t)checked, 0);
			CHECKF(bad < 0, "flag %llu seen but slot %ld is incomplete (byte %ld)", (unsigned long long)seen,
			       checked, bad);
		}
	}
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_wait_until(pf, mine + FN_FLAG2, PODFAB_UINT64, PODFAB_CMP_EQ, (uint64_t)S));
	for (; checked < S; checked++)
		CHECK(pfc_verify(mine + FN_SLOTS + (size_t)checked * 64, 64, (uint64_t)left * 1000003ull + (uint64_t)checked,
				 0) < 0);
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* quiet                                                                   */
/* ---------------------------------------------------------------------- */

int case_quiet(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	/* I write to b and tell c; as c I hear from a2 and read what it wrote to b2. */
	int b = (me + 1) % n, cc = (me + 2) % n;
	int a2 = (me + 2 * n - 2) % n, b2 = (me + n - 1) % n;
	const size_t slot = 256;
	const size_t note = (size_t)n * slot, ack = note + (size_t)n * 8, cnt = ack + (size_t)n * 8;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, cnt + (size_t)n * 8, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	CHECK(mine != NULL);
	long L = pfc_iters(c, 300, 20);
	uint8_t buf[256], got[256];
	uint64_t adds = 0;
	for (long i = 1; i <= L; i++) {
		/* Writer. */
		if (i > 1)
			CHECK_OK(podfab_wait_until(pf, mine + ack + (size_t)cc * 8, PODFAB_UINT64, PODFAB_CMP_GE, (uint64_t)i - 1));
		pfc_fill(buf, slot, tag3((uint64_t)me, (uint64_t)i, 4), 0);
		podfab_req_t req = NULL;
		switch (i % 4) {
		case 0:
			CHECK_OK(podfab_put(pf, b, seg, (size_t)me * slot, buf, slot));
			break;
		case 1:
			CHECK_OK(podfab_put_nb(pf, b, seg, (size_t)me * slot, buf, slot, NULL));
			break;
		case 2:
			CHECK_OK(podfab_put_nb(pf, b, seg, (size_t)me * slot, buf, slot, &req));
			break;
		default:
			CHECK_OK(podfab_put(pf, b, seg, (size_t)me * slot, buf, slot));
			CHECK_OK(podfab_atomic_add_u64(pf, b, seg, cnt + (size_t)me * 8, 1));
			break;
		}
		CHECK_OK(podfab_quiet(pf));
		if (req) {
			int done = 0;
			CHECK_OK(podfab_test(pf, req, &done));
			CHECK(done == 1);
		}
		CHECK_OK(podfab_atomic(pf, cc, seg, note + (size_t)me * 8, PODFAB_AOP_SET, PODFAB_UINT64, (uint64_t)i, 0, NULL));
		CHECK_OK(podfab_quiet(pf));
		/* Third party. */
		CHECK_OK(podfab_wait_until(pf, mine + note + (size_t)a2 * 8, PODFAB_UINT64, PODFAB_CMP_GE, (uint64_t)i));
		CHECK_OK(podfab_get(pf, got, b2, seg, (size_t)a2 * slot, slot));
		long bad = pfc_verify(got, slot, tag3((uint64_t)a2, (uint64_t)i, 4), 0);
		CHECKF(bad < 0, "iteration %ld: %d's put to %d not visible to me after its quiet (byte %ld)", i, a2, b2, bad);
		if (i % 4 == 3)
			adds++;
		uint64_t cv = 0;
		CHECK_OK(podfab_atomic(pf, b2, seg, cnt + (size_t)a2 * 8, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, &cv));
		CHECKF(cv == adds, "iteration %ld: %d's atomic count on %d is %llu, expected %llu", i, a2, b2,
		       (unsigned long long)cv, (unsigned long long)adds);
		CHECK_OK(podfab_atomic(pf, a2, seg, ack + (size_t)me * 8, PODFAB_AOP_SET, PODFAB_UINT64, (uint64_t)i, 0, NULL));
		CHECK_OK(podfab_quiet(pf));
	}
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* barrier                                                                 */
/* ---------------------------------------------------------------------- */

int case_barrier(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	int t = (me + 1) % n;
	podfab_seg_t seg;
	const size_t blk = 4096, sum = 16, area = 64;
	CHECK_OK(podfab_seg_alloc(pf, area + (size_t)n * blk, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	CHECK(mine != NULL);

	/* A value written before barrier i is there after it (double-buffered slots). */
	long B = pfc_iters(c, 1000, 50);
	for (long i = 1; i <= B; i++) {
		uint64_t v = (uint64_t)i;
		size_t off = (size_t)(i % 2) * 8;
		switch (i % 3) {
		case 0: CHECK_OK(podfab_put(pf, t, seg, off, &v, 8)); break;
		case 1: CHECK_OK(podfab_put_nb(pf, t, seg, off, &v, 8, NULL)); break;
		default: CHECK_OK(podfab_atomic(pf, t, seg, off, PODFAB_AOP_SET, PODFAB_UINT64, v, 0, NULL)); break;
		}
		CHECK_OK(podfab_barrier(pf));
		uint64_t got = pfc_load64(mine + off);
		CHECKF(got == v, "barrier %ld: slot holds %llu", i, (unsigned long long)got);
	}
	/* Many barriers in a row. */
	for (long i = 0; i < B; i++)
		CHECK_OK(podfab_barrier(pf));

	/* Everyone adds to everyone; after the barrier each sum is exact. */
	long R = pfc_iters(c, 20, 3);
	for (long r = 1; r <= R; r++) {
		for (int d = 0; d < n; d++) {
			int p = (me + d) % n;
			if (r % 2)
				CHECK_OK(podfab_atomic_add_u64(pf, p, seg, sum, (uint64_t)me + 1));
			else
				CHECK_OK(podfab_atomic_nb(pf, p, seg, sum, PODFAB_AOP_ADD, PODFAB_UINT64, (uint64_t)me + 1, 0,
							  NULL, NULL));
		}
		CHECK_OK(podfab_barrier(pf));
		CHECK_EQ(pfc_load64(mine + sum), (uint64_t)r * (uint64_t)n * (uint64_t)(n + 1) / 2);
		CHECK_OK(podfab_barrier(pf));
	}

	/* Blocks to every peer before a barrier, all there after it. */
	uint8_t *buf = malloc(blk);
	CHECK(buf != NULL);
	for (int d = 0; d < n; d++) {
		int p = (me + d) % n;
		pfc_fill(buf, blk, tag3((uint64_t)me, (uint64_t)p, 5), 0);
		CHECK_OK(podfab_put(pf, p, seg, area + (size_t)me * blk, buf, blk));
	}
	free(buf);
	CHECK_OK(podfab_barrier(pf));
	for (int w = 0; w < n; w++)
		CHECKF(pfc_verify(mine + area + (size_t)w * blk, blk, tag3((uint64_t)w, (uint64_t)me, 5), 0) < 0,
		       "block from %d", w);
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}
