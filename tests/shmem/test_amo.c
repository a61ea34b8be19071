/*
 * test_amo.c - OpenSHMEM 1.5 section 9.7 (atomics): every PE adds on PE 0
 * (the sum is exact and fetch_inc hands out each old value once), a
 * compare_swap election, swap/set/fetch on float and double, the bitwise
 * operations, the non-blocking fetching forms, context and generic forms,
 * the deprecated names, and a global variable as the target.
 */
#include <stdint.h>
#include <string.h>

#include "shmem_test.h"

static long gl_counter; /* a global as an atomic target */
static int me, npes, left, right;

/* fetch_add, add, inc, fetch_inc of one standard type, all on PE 0 */
#define SUM_ON_PE0(TYPE, NAME)                                                                     \
	do {                                                                                       \
		TYPE *c = shmem_calloc(1, sizeof(TYPE));                                           \
		TYPE want = (TYPE)(npes * (npes + 1) / 2 + npes * (npes - 1) + 2 * npes);          \
		TYPE old = shmem_##NAME##_atomic_fetch_add(c, (TYPE)(me + 1), 0);                  \
		CHECK(old <= want - (TYPE)(me + 1), #NAME " fetch_add old %lld", (long long)old);   \
		shmem_##NAME##_atomic_add(c, (TYPE)(2 * me), 0);                                   \
		shmem_##NAME##_atomic_inc(c, 0);                                                   \
		(void)shmem_##NAME##_atomic_fetch_inc(c, 0);                                       \
		shmem_barrier_all();                                                               \
		TYPE got = shmem_##NAME##_atomic_fetch(c, 0);                                      \
		CHECK(got == want, #NAME " sum on PE 0: %lld, want %lld", (long long)got, (long long)want); \
		shmem_barrier_all();                                                               \
		shmem_free(c);                                                                     \
	} while (0)

static void sums(void)
{
	SUM_ON_PE0(int, int);
	SUM_ON_PE0(long, long);
	SUM_ON_PE0(long long, longlong);
	SUM_ON_PE0(unsigned int, uint);
	SUM_ON_PE0(unsigned long, ulong);
	SUM_ON_PE0(unsigned long long, ulonglong);
	SUM_ON_PE0(int32_t, int32);
	SUM_ON_PE0(int64_t, int64);
	SUM_ON_PE0(uint32_t, uint32);
	SUM_ON_PE0(uint64_t, uint64);
	SUM_ON_PE0(size_t, size);
	SUM_ON_PE0(ptrdiff_t, ptrdiff);

	/* fetch_inc hands out 0 .. npes-1, each once */
	int *ticket = shmem_calloc(1, sizeof(int));
	int *seen = shmem_calloc((size_t)npes, sizeof(int));
	int mine = shmem_int_atomic_fetch_inc(ticket, 0);
	CHECK(mine >= 0 && mine < npes, "ticket %d", mine);
	shmem_int_atomic_inc(&seen[mine], 0);
	shmem_barrier_all();
	if (me == 0)
		for (int i = 0; i < npes; i++)
			CHECK(seen[i] == 1, "ticket %d handed out %d times", i, seen[i]);
	/* negative values through the bit patterns */
	shmem_long_atomic_add(&gl_counter, -(long)(me + 1), 0);
	shmem_barrier_all();
	CHECK(shmem_long_atomic_fetch(&gl_counter, 0) == -(long)npes * (npes + 1) / 2, "global counter %ld",
	      shmem_long_g(&gl_counter, 0));
	shmem_barrier_all();
	shmem_free(seen);
	shmem_free(ticket);
}

static void election(void)
{
	int *leader = shmem_malloc(sizeof(int));
	int *wins = shmem_calloc(1, sizeof(int));
	*leader = -1;
	shmem_barrier_all();
	int old = shmem_int_atomic_compare_swap(leader, -1, me, 0);
	if (old == -1) {
		shmem_int_atomic_inc(wins, 0);
		CHECK(shmem_int_g(leader, 0) == me, "the winner is not the leader");
	} else {
		CHECK(old >= 0 && old < npes, "compare_swap returned %d", old);
	}
	shmem_barrier_all();
	CHECK(shmem_int_g(wins, 0) == 1, "%d winners", shmem_int_g(wins, 0));
	/* a compare_swap that does not match changes nothing */
	int ldr = shmem_int_g(leader, 0);
	CHECK(shmem_int_atomic_compare_swap(leader, npes + 5, 77, 0) == ldr, "failed cswap return");
	CHECK(shmem_int_g(leader, 0) == ldr, "failed cswap changed the value");
	shmem_barrier_all();
	shmem_free(wins);
	shmem_free(leader);
}

static void floating(void)
{
	double *d = shmem_calloc(1, sizeof(double));
	float *f = shmem_calloc(1, sizeof(float));
	shmem_double_atomic_set(d, me + 0.5, right);
	shmem_float_atomic_set(f, me + 0.25f, right);
	shmem_barrier_all();
	CHECK(*d == left + 0.5 && *f == left + 0.25f, "set: %g %g", *d, (double)*f);
	shmem_barrier_all();
	double od = shmem_double_atomic_swap(d, -1.5 * me, right);
	float of = shmem_float_atomic_swap(f, -0.75f * (float)me, right);
	CHECK(od == me + 0.5 && of == me + 0.25f, "swap old %g %g", od, (double)of);
	shmem_barrier_all();
	CHECK(shmem_double_atomic_fetch(d, right) == -1.5 * me, "double fetch");
	CHECK(shmem_float_atomic_fetch(f, right) == -0.75f * (float)me, "float fetch");
	/* the deprecated names */
	shmem_barrier_all();
	CHECK(shmem_double_swap(d, 2.0, right) == -1.5 * me, "shmem_double_swap");
	CHECK(shmem_double_fetch(d, right) == 2.0, "shmem_double_fetch");
	shmem_float_set(f, 8.0f, right);
	shmem_fence(); /* the set arrives before the fetch */
	CHECK(shmem_float_fetch(f, right) == 8.0f, "shmem_float_set/fetch");
	/* generic */
	shmem_barrier_all();
	shmem_atomic_set(d, 3.0, right);
	shmem_fence();
	CHECK(shmem_atomic_swap(d, 4.0, right) == 3.0, "generic swap");
	CHECK(shmem_atomic_fetch(d, right) == 4.0, "generic fetch");
	shmem_barrier_all();
	shmem_free(f);
	shmem_free(d);
}

static void bitwise(void)
{
	uint64_t *u = shmem_calloc(1, sizeof(uint64_t));
	uint32_t *w = shmem_calloc(1, sizeof(uint32_t));
	int64_t *s = shmem_malloc(sizeof(int64_t));
	*s = -1;
	shmem_barrier_all();
	uint64_t bit = (uint64_t)1 << me, all = ((uint64_t)1 << npes) - 1;
	shmem_uint64_atomic_or(u, bit, 0);
	uint32_t ow = shmem_uint32_atomic_fetch_or(w, (uint32_t)bit, 0);
	CHECK((ow & bit) == 0, "fetch_or: my bit already set");
	shmem_int64_atomic_and(s, ~(int64_t)bit, 0);
	shmem_barrier_all();
	CHECK(shmem_uint64_g(u, 0) == all, "or: %llx", (unsigned long long)shmem_uint64_g(u, 0));
	CHECK(shmem_uint32_g(w, 0) == (uint32_t)all, "fetch_or: %x", shmem_uint32_g(w, 0));
	CHECK(shmem_int64_g(s, 0) == ~(int64_t)all, "and: %llx", (unsigned long long)shmem_int64_g(s, 0));
	shmem_barrier_all();
	shmem_uint64_atomic_xor(u, bit, 0);
	uint32_t ox = shmem_uint32_atomic_fetch_xor(w, (uint32_t)bit | 0x80000000u, 0);
	CHECK(ox & bit, "fetch_xor: my bit was clear");
	int64_t oa = shmem_int64_atomic_fetch_and(s, 0, 0);
	(void)oa;
	shmem_barrier_all();
	CHECK(shmem_uint64_g(u, 0) == 0, "xor back to 0");
	CHECK(shmem_uint32_g(w, 0) == (npes % 2 ? 0x80000000u : 0), "fetch_xor: %x", shmem_uint32_g(w, 0));
	CHECK(shmem_int64_g(s, 0) == 0, "fetch_and 0");
	/* other types and the generic forms */
	unsigned int *ui = shmem_calloc(1, sizeof(unsigned int));
	unsigned long long *ull = shmem_calloc(1, sizeof(unsigned long long));
	int32_t *i32 = shmem_calloc(1, sizeof(int32_t));
	shmem_atomic_or(ui, 1u << me, 0);
	shmem_atomic_fetch_or(ull, 1ull << me, 0);
	shmem_atomic_xor(i32, (int32_t)1 << me, 0);
	shmem_barrier_all();
	CHECK(shmem_uint_g(ui, 0) == all && shmem_ulonglong_g(ull, 0) == all &&
		      shmem_int32_g(i32, 0) == (int32_t)all,
	      "generic bitwise");
	shmem_barrier_all();
	shmem_free(i32);
	shmem_free(ull);
	shmem_free(ui);
	shmem_free(s);
	shmem_free(w);
	shmem_free(u);
}

/* Non-blocking fetching forms, each on the right neighbour's own slot */
static void nonblocking(void)
{
	long *slot = shmem_malloc(8 * sizeof(long));
	double *dd = shmem_malloc(sizeof(double));
	for (int i = 0; i < 8; i++)
		slot[i] = me * 10 + i;
	*dd = me + 0.125;
	shmem_barrier_all();
	long f[8];
	double fd = 0;
	memset(f, 0, sizeof f);
	shmem_long_atomic_fetch_add_nbi(&f[0], &slot[0], 5, right);
	shmem_long_atomic_fetch_inc_nbi(&f[1], &slot[1], right);
	shmem_long_atomic_compare_swap_nbi(&f[2], &slot[2], right * 10 + 2, -2, right);
	shmem_long_atomic_swap_nbi(&f[3], &slot[3], -3, right);
	shmem_long_atomic_fetch_nbi(&f[4], &slot[4], right);
	shmem_int64_atomic_fetch_and_nbi((int64_t *)&f[5], (int64_t *)&slot[5], 1, right);
	shmem_int64_atomic_fetch_or_nbi((int64_t *)&f[6], (int64_t *)&slot[6], 0x100, right);
	shmem_int64_atomic_fetch_xor_nbi((int64_t *)&f[7], (int64_t *)&slot[7], 0x3, right);
	shmem_double_atomic_swap_nbi(&fd, dd, 9.5, right);
	shmem_quiet();
	for (int i = 0; i < 8; i++)
		CHECK(f[i] == right * 10 + i, "nbi %d fetched %ld, want %d", i, f[i], right * 10 + i);
	CHECK(fd == right + 0.125, "double swap_nbi fetched %g", fd);
	shmem_barrier_all();
	long b = me * 10;
	long want[8] = {b + 5, b + 2, -2, -3, b + 4, (b + 5) & 1, (b + 6) | 0x100, (b + 7) ^ 3};
	for (int i = 0; i < 8; i++)
		CHECK(slot[i] == want[i], "after nbi: slot[%d] = %ld, want %ld", i, slot[i], want[i]);
	CHECK(*dd == 9.5, "double after swap_nbi: %g", *dd);
	shmem_barrier_all();
	/* generic nbi and context forms */
	long g = 0;
	shmem_atomic_fetch_add_nbi(&g, &slot[0], 1, right);
	shmem_ctx_long_atomic_add(SHMEM_CTX_DEFAULT, &slot[1], 100, right);
	shmem_ctx_fence(SHMEM_CTX_DEFAULT);
	long h = shmem_ctx_long_atomic_fetch_add(SHMEM_CTX_DEFAULT, &slot[1], 0, right);
	shmem_atomic_add(SHMEM_CTX_DEFAULT, &slot[2], 1, right);
	shmem_quiet();
	CHECK(g == right * 10 + 5, "generic fetch_add_nbi %ld", g);
	CHECK(h == right * 10 + 102, "ctx fetch_add %ld", h);
	shmem_barrier_all();
	CHECK(slot[2] == -1, "generic ctx add: %ld", slot[2]);
	shmem_barrier_all();
	shmem_free(dd);
	shmem_free(slot);
}

static void deprecated(void)
{
	int *ci = shmem_calloc(1, sizeof(int));
	long *cl = shmem_calloc(1, sizeof(long));
	long long *cll = shmem_calloc(1, sizeof(long long));
	shmem_int_add(ci, 2, 0);
	(void)shmem_int_finc(ci, 0);
	shmem_long_inc(cl, 0);
	(void)shmem_long_fadd(cl, 3, 0);
	(void)shmem_longlong_cswap(cll, 0, 1, 0); /* only the first succeeds */
	shmem_barrier_all();
	CHECK(shmem_int_fetch(ci, 0) == 3 * npes, "int add/finc %d", shmem_int_fetch(ci, 0));
	CHECK(shmem_long_fetch(cl, 0) == 4 * npes, "long inc/fadd %ld", shmem_long_fetch(cl, 0));
	CHECK(shmem_longlong_fetch(cll, 0) == 1, "longlong cswap %lld", shmem_longlong_fetch(cll, 0));
	shmem_barrier_all();
	if (me == 0) {
		shmem_long_set(cl, 7, 0);
		shmem_fence();
		CHECK(shmem_swap(cl, 8, 0) == 7, "shmem_swap");
		CHECK(shmem_long_swap(cl, 9, 0) == 8, "shmem_long_swap");
		CHECK(shmem_int_swap(ci, 1, 0) == 3 * npes, "shmem_int_swap");
	}
	shmem_barrier_all();
	shmem_free(cll);
	shmem_free(cl);
	shmem_free(ci);
}

int main(void)
{
	shmem_init();
	me = shmem_my_pe();
	npes = shmem_n_pes();
	right = (me + 1) % npes;
	left = (me + npes - 1) % npes;
	sums();
	election();
	floating();
	bitwise();
	nonblocking();
	deprecated();
	shmem_barrier_all();
	shmem_finalize();
	return 0;
}
