/*
 * test_coll.c - OpenSHMEM 1.5 section 9.8 (collectives), on the world team,
 * on the even and the odd team at the same time, and on a team of stride
 * 3: broadcast of every standard RMA type from the first and the last team
 * PE (the root's dest is updated too) and broadcastmem; collect with a
 * different nelems on every PE (0 on some), fcollect, alltoall and
 * alltoalls with strides, for every type and the *mem forms; every
 * reduction (and, or, xor, max, min, sum, prod) on every type of its table,
 * complex values included, into a separate dest and in place, with nreduce
 * 0 and a long nreduce; collectives back to back with no sync between them
 * (the dest of one the source of a later one); the C11 generic names.
 * Then the deprecated active-set forms, on all PEs, on PEs 0, 2, 4, ...
 * and 1, 3, 5, ... at the same time, on stride 4 and on PEs 1..n-1:
 * shmem_barrier and shmem_sync reusing one pSync, broadcast32/64 (the root's
 * dest is not updated), collect, fcollect, alltoall, alltoalls 32/64 and
 * every *_to_all reduction with pWrk and pSync, checking that pSync is
 * restored on return.
 */
#include <complex.h>
#include <stdint.h>
#include <string.h>

#include "shmem_test.h"

#define BUF 16384 /* bytes in each symmetric scratch buffer */
#define NB 9      /* broadcast length */
#define NF 3      /* fcollect length */
#define NA 2      /* alltoall block */
#define DST 2     /* alltoalls strides */
#define SST 3
#define NR 5      /* short reductions */
#define NRL 300   /* a long reduction */

static int me, npes;
static char *bs, *bd, *b2, *b3, *b4, *b5, *b6, *b7, *pwrk; /* symmetric scratch */

/* pSync arrays of the active-set forms (globals are symmetric) */
static long ps_bar[SHMEM_BARRIER_SYNC_SIZE];
static long ps_sync[SHMEM_BARRIER_SYNC_SIZE];
static long ps_bcast[SHMEM_BCAST_SYNC_SIZE];
static long ps_coll[SHMEM_COLLECT_SYNC_SIZE];
static long ps_a2a[SHMEM_ALLTOALL_SYNC_SIZE];
static long ps_a2as[SHMEM_ALLTOALLS_SYNC_SIZE];
static long ps_red[SHMEM_REDUCE_SYNC_SIZE];
static long gl_dest[NB + 1]; /* a global as a broadcast dest */

/* A team (or an active set) as a strided subset of the world */
struct group {
	shmem_team_t t;
	int start, stride, size, me; /* me: this PE's number in the group */
	int log;                     /* active sets: log2(stride) */
	const char *name;
};

static int W(const struct group *g, int i)
{
	return g->start + i * g->stride;
}

static void tsync(const struct group *g)
{
	CHECK(shmem_team_sync(g->t) == 0, "%s: team_sync", g->name);
}

/* elements of PE w: broadcast / collect, alltoall block j */
#define V1(w, k) ((w) * 7 + (k) + 1)
#define V2(w, j, k) ((w) * 16 + (j) * 2 + (k) + 1)

/* how many elements team PE i gives to collect: 0 for i = 1, 4, 7, ... */
static size_t cnt(int i)
{
	return i % 3 == 1 ? 0 : (size_t)(i % 5) + 1;
}

/* ---- team broadcast, collect, fcollect, alltoall, alltoalls on every type ---------------- */

#define BCAST(TYPE, NAME)                                                                          \
	for (int ri = 0; ri < 2; ri++) {                                                           \
		int root = ri ? g->size - 1 : 0;                                                   \
		TYPE *d = (TYPE *)bd, *s = (TYPE *)bs;                                             \
		for (int k = 0; k <= NB; k++) {                                                    \
			s[k] = (TYPE)V1(me, k);                                                    \
			d[k] = (TYPE)0;                                                            \
		}                                                                                  \
		tsync(g);                                                                          \
		CHECK(shmem_##NAME##_broadcast(g->t, d, s, NB, root) == 0, "%s: " #NAME "_broadcast rc", \
		      g->name);                                                                    \
		for (int k = 0; k < NB; k++)                                                       \
			CHECK(d[k] == (TYPE)V1(W(g, root), k) && s[k] == (TYPE)V1(me, k),          \
			      "%s: " #NAME "_broadcast from team PE %d: dest[%d] = %g, want %d", g->name, \
			      root, k, (double)d[k], V1(W(g, root), k));                          \
		CHECK(d[NB] == 0, "%s: " #NAME "_broadcast wrote past nelems", g->name);           \
	}

#define COLLECT(TYPE, NAME)                                                                        \
	do {                                                                                       \
		TYPE *d = (TYPE *)bd, *s = (TYPE *)bs;                                             \
		size_t tot = 0, mine = cnt(g->me);                                                 \
		for (int i = 0; i < g->size; i++)                                                  \
			tot += cnt(i);                                                             \
		for (size_t k = 0; k < mine; k++)                                                  \
			s[k] = (TYPE)V1(me, (int)k);                                               \
		for (size_t k = 0; k <= tot; k++)                                                  \
			d[k] = (TYPE)0;                                                            \
		tsync(g);                                                                          \
		CHECK(shmem_##NAME##_collect(g->t, d, s, mine) == 0, "%s: " #NAME "_collect rc", g->name); \
		size_t off = 0;                                                                    \
		for (int i = 0; i < g->size; i++) {                                                \
			for (size_t k = 0; k < cnt(i); k++)                                        \
				CHECK(d[off + k] == (TYPE)V1(W(g, i), (int)k),                    \
				      "%s: " #NAME "_collect: dest[%zu] (team PE %d, element %zu) = %g, " \
				      "want %d", g->name, off + k, i, k, (double)d[off + k],               \
				      V1(W(g, i), (int)k));                                               \
			off += cnt(i);                                                             \
		}                                                                                  \
		CHECK(d[tot] == 0, "%s: " #NAME "_collect wrote past %zu elements", g->name, tot);  \
	} while (0);

#define FCOLLECT(TYPE, NAME)                                                                       \
	do {                                                                                       \
		TYPE *d = (TYPE *)bd, *s = (TYPE *)bs;                                             \
		for (int k = 0; k < NF; k++)                                                       \
			s[k] = (TYPE)V1(me, k);                                                    \
		for (int k = 0; k <= NF * g->size; k++)                                            \
			d[k] = (TYPE)0;                                                            \
		tsync(g);                                                                          \
		CHECK(shmem_##NAME##_fcollect(g->t, d, s, NF) == 0, "%s: " #NAME "_fcollect rc", g->name); \
		for (int i = 0; i < g->size; i++)                                                  \
			for (int k = 0; k < NF; k++)                                               \
				CHECK(d[i * NF + k] == (TYPE)V1(W(g, i), k),                       \
				      "%s: " #NAME "_fcollect: dest[%d] = %g, want %d", g->name,   \
				      i * NF + k, (double)d[i * NF + k], V1(W(g, i), k));          \
		CHECK(d[NF * g->size] == 0, "%s: " #NAME "_fcollect wrote past the end", g->name);  \
	} while (0);

#define ALLTOALL(TYPE, NAME)                                                                       \
	do {                                                                                       \
		TYPE *d = (TYPE *)bd, *s = (TYPE *)bs;                                             \
		for (int j = 0; j < g->size; j++)                                                  \
			for (int k = 0; k < NA; k++)                                               \
				s[j * NA + k] = (TYPE)V2(me, j, k);                                \
		for (int k = 0; k <= NA * g->size; k++)                                            \
			d[k] = (TYPE)0;                                                            \
		tsync(g);                                                                          \
		CHECK(shmem_##NAME##_alltoall(g->t, d, s, NA) == 0, "%s: " #NAME "_alltoall rc", g->name); \
		for (int i = 0; i < g->size; i++)                                                  \
			for (int k = 0; k < NA; k++)                                               \
				CHECK(d[i * NA + k] == (TYPE)V2(W(g, i), g->me, k),                \
				      "%s: " #NAME "_alltoall: dest[%d] = %g, want %d", g->name,   \
				      i * NA + k, (double)d[i * NA + k], V2(W(g, i), g->me, k));   \
		CHECK(d[NA * g->size] == 0, "%s: " #NAME "_alltoall wrote past the end", g->name);  \
	} while (0);

#define ALLTOALLS(TYPE, NAME)                                                                      \
	do {                                                                                       \
		TYPE *d = (TYPE *)bd, *s = (TYPE *)bs;                                             \
		for (int e = 0; e < SST * NA * g->size; e++)                                       \
			s[e] = (TYPE)99;                                                           \
		for (int j = 0; j < g->size; j++)                                                  \
			for (int k = 0; k < NA; k++)                                               \
				s[SST * (j * NA + k)] = (TYPE)V2(me, j, k);                        \
		for (int e = 0; e <= DST * NA * g->size; e++)                                      \
			d[e] = (TYPE)0;                                                            \
		tsync(g);                                                                          \
		CHECK(shmem_##NAME##_alltoalls(g->t, d, s, DST, SST, NA) == 0, "%s: " #NAME "_alltoalls rc", \
		      g->name);                                                                    \
		for (int i = 0; i < g->size; i++)                                                  \
			for (int k = 0; k < NA; k++) {                                             \
				int e = DST * (i * NA + k);                                        \
				CHECK(d[e] == (TYPE)V2(W(g, i), g->me, k) && d[e + 1] == 0,        \
				      "%s: " #NAME "_alltoalls: dest[%d] = %g, want %d; dest[%d] = %g, " \
				      "want 0", g->name, e, (double)d[e], V2(W(g, i), g->me, k), e + 1, \
				      (double)d[e + 1]);                                          \
			}                                                                          \
	} while (0);

static void data_movement(const struct group *g)
{
	PFSHMEM_RMA_TYPES(BCAST)
	PFSHMEM_RMA_TYPES(COLLECT)
	PFSHMEM_RMA_TYPES(FCOLLECT)
	PFSHMEM_RMA_TYPES(ALLTOALL)
	PFSHMEM_RMA_TYPES(ALLTOALLS)

	/* the *mem forms: bytes, odd lengths */
	unsigned char *d = (unsigned char *)bd, *s = (unsigned char *)bs;
	for (int k = 0; k < 64; k++)
		s[k] = (unsigned char)(me * 31 + k);
	memset(d, 0xee, 256);
	tsync(g);
	int root = g->size / 2;
	CHECK(shmem_broadcastmem(g->t, d, s, 13, root) == 0, "%s: broadcastmem rc", g->name);
	for (int k = 0; k < 13; k++)
		CHECK(d[k] == (unsigned char)(W(g, root) * 31 + k), "%s: broadcastmem: byte %d = %d", g->name, k, d[k]);
	CHECK(d[13] == 0xee, "%s: broadcastmem wrote past 13 bytes", g->name);
	tsync(g);
	CHECK(shmem_fcollectmem(g->t, d, s, 5) == 0, "%s: fcollectmem rc", g->name);
	for (int i = 0; i < g->size; i++)
		for (int k = 0; k < 5; k++)
			CHECK(d[i * 5 + k] == (unsigned char)(W(g, i) * 31 + k), "%s: fcollectmem: byte %d", g->name,
			      i * 5 + k);
	memset(d, 0xee, 256);
	tsync(g);
	size_t mine = cnt(g->me) * 3, off = 0; /* bytes: 3, 0, 9, 12, 0, ... */
	CHECK(shmem_collectmem(g->t, d, s, mine) == 0, "%s: collectmem rc", g->name);
	for (int i = 0; i < g->size; i++) {
		for (size_t k = 0; k < cnt(i) * 3; k++)
			CHECK(d[off + k] == (unsigned char)(W(g, i) * 31 + (int)k), "%s: collectmem: byte %zu",
			      g->name, off + k);
		off += cnt(i) * 3;
	}
	CHECK(d[off] == 0xee, "%s: collectmem wrote past %zu bytes", g->name, off);
	for (int j = 0; j < g->size; j++)
		for (int k = 0; k < 3; k++)
			s[j * 3 + k] = (unsigned char)(me * 40 + j * 3 + k);
	memset(d, 0xee, 256);
	tsync(g);
	CHECK(shmem_alltoallmem(g->t, d, s, 3) == 0, "%s: alltoallmem rc", g->name);
	for (int i = 0; i < g->size; i++)
		for (int k = 0; k < 3; k++)
			CHECK(d[i * 3 + k] == (unsigned char)(W(g, i) * 40 + g->me * 3 + k), "%s: alltoallmem: byte %d",
			      g->name, i * 3 + k);
	CHECK(d[3 * g->size] == 0xee, "%s: alltoallmem wrote past the end", g->name);
	for (int j = 0; j < g->size; j++)
		for (int k = 0; k < 2; k++)
			s[4 * (j * 2 + k)] = (unsigned char)(me * 40 + j * 2 + k);
	memset(d, 0xee, 256);
	tsync(g);
	CHECK(shmem_alltoallsmem(g->t, d, s, 3, 4, 2) == 0, "%s: alltoallsmem rc", g->name);
	for (int i = 0; i < g->size; i++)
		for (int k = 0; k < 2; k++) {
			int e = 3 * (i * 2 + k);
			CHECK(d[e] == (unsigned char)(W(g, i) * 40 + g->me * 2 + k) && d[e + 1] == 0xee &&
				      d[e + 2] == 0xee,
			      "%s: alltoallsmem: byte %d = %d", g->name, e, d[e]);
		}

	/* nelems 0: nothing moves */
	memset(d, 0xee, 256);
	tsync(g);
	CHECK(shmem_long_broadcast(g->t, (long *)bd, (long *)bs, 0, 0) == 0, "%s: broadcast of 0", g->name);
	CHECK(shmem_long_fcollect(g->t, (long *)bd, (long *)bs, 0) == 0, "%s: fcollect of 0", g->name);
	CHECK(shmem_long_collect(g->t, (long *)bd, (long *)bs, 0) == 0, "%s: collect of 0 everywhere", g->name);
	CHECK(shmem_long_alltoall(g->t, (long *)bd, (long *)bs, 0) == 0, "%s: alltoall of 0", g->name);
	for (int k = 0; k < 256; k++)
		CHECK(d[k] == 0xee, "%s: a collective of 0 elements wrote byte %d", g->name, k);

	/* a global (static) variable as the dest */
	long *ls = (long *)bs;
	for (int k = 0; k <= NB; k++) {
		ls[k] = V1(me, k);
		gl_dest[k] = -1;
	}
	tsync(g);
	CHECK(shmem_long_broadcast(g->t, gl_dest, ls, NB, g->size - 1) == 0, "%s: broadcast to a global", g->name);
	for (int k = 0; k < NB; k++)
		CHECK(gl_dest[k] == V1(W(g, g->size - 1), k), "%s: broadcast to a global: [%d] = %ld", g->name, k,
		      gl_dest[k]);
	CHECK(gl_dest[NB] == -1, "%s: broadcast to a global wrote past the end", g->name);
	tsync(g);
}

/* ---- reductions --------------------------------------------------------------------------- */

/* the value PE w gives to reduction element k, for each operation */
#define SIGNED(TYPE) ((TYPE)-1 < (TYPE)1)
#define V_AND(TYPE, w, k) ((TYPE)~(1ULL << (((w) + (k)) % 8)))
#define V_OR(TYPE, w, k) ((TYPE)(1ULL << (((w) + (k)) % 8)))
#define V_XOR(TYPE, w, k) ((TYPE)(((w) * 37 + (k) * 11) & 0x7f))
#define V_MM(TYPE, w, k) ((TYPE)(((w) * 7 + (k) * 3) % 11 - (SIGNED(TYPE) ? 5 : 0)))
#define V_SUM(TYPE, w, k) ((TYPE)((w) + (k)))
#define V_PROD(TYPE, w, k) ((TYPE)((((w) + (k)) % 3 == 0) ? 2 : 1))
#define V_CSUM(TYPE, w, k) ((TYPE)((double)((w) + (k)) + (double)(2 * (w)) * I))
#define V_CPROD(TYPE, w, k) ((TYPE)((((w) + (k)) % 3 == 0) ? I : 1.0))
#define F_AND(a, b) ((a) & (b))
#define F_OR(a, b) ((a) | (b))
#define F_XOR(a, b) ((a) ^ (b))
#define F_MAX(a, b) ((a) > (b) ? (a) : (b))
#define F_MIN(a, b) ((a) < (b) ? (a) : (b))
#define F_SUM(a, b) ((a) + (b))
#define F_PROD(a, b) ((a) * (b))

/* the expected result of element k over the PEs of g */
#define WANT(TYPE, VAL, FOLD, g, k, out)                                                           \
	do {                                                                                       \
		out = VAL(TYPE, W(g, 0), k);                                                       \
		for (int i_ = 1; i_ < (g)->size; i_++)                                             \
			out = (TYPE)FOLD(out, VAL(TYPE, W(g, i_), k));                             \
	} while (0)

/* one reduction into a separate dest, then in place; R elements */
#define RED(TYPE, NAME, OP, VAL, FOLD, R)                                                          \
	do {                                                                                       \
		TYPE *d = (TYPE *)bd, *s = (TYPE *)bs, want;                                       \
		for (int k = 0; k <= (R); k++) {                                                   \
			WANT(TYPE, VAL, FOLD, g, k, want);                                         \
			s[k] = VAL(TYPE, me, k);                                                   \
			d[k] = (TYPE)(want + (TYPE)1);                                             \
		}                                                                                  \
		tsync(g);                                                                          \
		CHECK(shmem_##NAME##_##OP##_reduce(g->t, d, s, (size_t)(R)) == 0,                  \
		      "%s: " #NAME "_" #OP "_reduce rc", g->name);                                \
		for (int k = 0; k < (R); k++) {                                                    \
			WANT(TYPE, VAL, FOLD, g, k, want);                                         \
			CHECK(d[k] == want, "%s: " #NAME "_" #OP "_reduce of %d: [%d] = %g, want %g", \
			      g->name, (R), k, (double)d[k], (double)want);                        \
			CHECK(s[k] == VAL(TYPE, me, k), "%s: " #NAME "_" #OP "_reduce changed the source", \
			      g->name);                                                            \
		}                                                                                  \
		WANT(TYPE, VAL, FOLD, g, (R), want);                                               \
		CHECK(d[R] == (TYPE)(want + (TYPE)1), "%s: " #NAME "_" #OP "_reduce wrote past %d", \
		      g->name, (R));                                                               \
		tsync(g);                                                                          \
		CHECK(shmem_##NAME##_##OP##_reduce(g->t, s, s, (size_t)(R)) == 0,                  \
		      "%s: in-place " #NAME "_" #OP "_reduce rc", g->name);                       \
		for (int k = 0; k < (R); k++) {                                                    \
			WANT(TYPE, VAL, FOLD, g, k, want);                                         \
			CHECK(s[k] == want, "%s: in-place " #NAME "_" #OP "_reduce: [%d] = %g, want %g", \
			      g->name, k, (double)s[k], (double)want);                             \
		}                                                                                  \
		CHECK(s[R] == VAL(TYPE, me, (R)), "%s: in-place " #NAME "_" #OP "_reduce wrote past %d", \
		      g->name, (R));                                                               \
	} while (0);

#define RED_AND(TYPE, NAME) RED(TYPE, NAME, and, V_AND, F_AND, NR)
#define RED_OR(TYPE, NAME) RED(TYPE, NAME, or, V_OR, F_OR, NR)
#define RED_XOR(TYPE, NAME) RED(TYPE, NAME, xor, V_XOR, F_XOR, NR)
#define RED_MAX(TYPE, NAME) RED(TYPE, NAME, max, V_MM, F_MAX, NR)
#define RED_MIN(TYPE, NAME) RED(TYPE, NAME, min, V_MM, F_MIN, NR)
#define RED_SUM(TYPE, NAME) RED(TYPE, NAME, sum, V_SUM, F_SUM, NR)
#define RED_PROD(TYPE, NAME) RED(TYPE, NAME, prod, V_PROD, F_PROD, NR)

static void reductions(const struct group *g)
{
	PFSHMEM_REDUCE_BIT_TYPES(RED_AND)
	PFSHMEM_REDUCE_BIT_TYPES(RED_OR)
	PFSHMEM_REDUCE_BIT_TYPES(RED_XOR)
	PFSHMEM_REDUCE_MINMAX_TYPES(RED_MAX)
	PFSHMEM_REDUCE_MINMAX_TYPES(RED_MIN)
	PFSHMEM_REDUCE_ARITH_TYPES(RED_SUM)
	PFSHMEM_REDUCE_ARITH_TYPES(RED_PROD)
	/* complex values with an imaginary part */
	RED(double _Complex, complexd, sum, V_CSUM, F_SUM, NR)
	RED(float _Complex, complexf, sum, V_CSUM, F_SUM, NR)
	RED(double _Complex, complexd, prod, V_CPROD, F_PROD, NR)
	RED(float _Complex, complexf, prod, V_CPROD, F_PROD, NR)
	/* long reductions */
	RED(long, long, sum, V_SUM, F_SUM, NRL)
	RED(double, double, max, V_MM, F_MAX, NRL)
	RED(uint64_t, uint64, xor, V_XOR, F_XOR, NRL)
	RED(float, float, min, V_MM, F_MIN, NRL)

	/* nreduce 0: nothing changes */
	long *d = (long *)bd, *s = (long *)bs;
	d[0] = -5;
	s[0] = me;
	tsync(g);
	CHECK(shmem_long_sum_reduce(g->t, d, s, 0) == 0, "%s: sum_reduce of 0 rc", g->name);
	CHECK(shmem_int_max_reduce(g->t, (int *)bd, (int *)bs, 0) == 0, "%s: max_reduce of 0 rc", g->name);
	CHECK(shmem_uint_and_reduce(g->t, (unsigned int *)bd, (unsigned int *)bs, 0) == 0, "%s: and_reduce of 0 rc",
	      g->name);
	CHECK(d[0] == -5, "%s: a reduction of 0 elements wrote dest", g->name);
	tsync(g);
}

/* ---- back to back ------------------------------------------------------------------------- */

/*
 * Collectives one after another with no sync between them: the same source
 * read by several, the dest of one the source of a later one, a reduction
 * in place on an earlier dest; every result checked at the end.
 */
static void back_to_back(const struct group *g)
{
	const int n = 4, m = g->size;
	long *S = (long *)bs, *A = (long *)bd, *B = (long *)b2, *C = (long *)b3, *D = (long *)b4, *E = (long *)b5,
	     *F = (long *)b6, *G = (long *)b7;
	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < n * m; k++)
			S[k] = V1(me, k) + round;
		for (int k = 0; k < 64; k++)
			A[k] = B[k] = C[k] = D[k] = E[k] = F[k] = G[k] = -1;
		tsync(g);
		size_t mine = cnt(g->me), tot = 0;
		for (int i = 0; i < m; i++)
			tot += cnt(i);
		int rc = shmem_long_broadcast(g->t, A, S, (size_t)n, 0);
		rc |= shmem_long_broadcast(g->t, B, S, (size_t)n, m - 1);
		rc |= shmem_long_fcollect(g->t, C, S, (size_t)n);
		rc |= shmem_long_collect(g->t, D, S, mine);
		rc |= shmem_long_alltoall(g->t, E, C, (size_t)n / 2); /* C: m blocks of n/2 */
		rc |= shmem_long_sum_reduce(g->t, F, A, (size_t)n);
		rc |= shmem_long_sum_reduce(g->t, D, D, tot); /* in place */
		rc |= shmem_long_max_reduce(g->t, G, E, (size_t)(n / 2 * m));
		rc |= shmem_long_broadcast(g->t, B + n, B, (size_t)n, m / 2);
		CHECK(rc == 0, "%s: back to back: a collective returned nonzero", g->name);
		/* check */
		for (int k = 0; k < n; k++) {
			CHECK(A[k] == V1(W(g, 0), k) + round, "%s: back to back round %d: broadcast A[%d] = %ld", g->name,
			      round, k, A[k]);
			CHECK(B[k] == V1(W(g, m - 1), k) + round, "%s: back to back round %d: broadcast B[%d] = %ld",
			      g->name, round, k, B[k]);
			CHECK(B[n + k] == B[k], "%s: back to back round %d: broadcast of B[%d]", g->name, round, k);
			CHECK(F[k] == (long)m * A[k], "%s: back to back round %d: sum of A [%d] = %ld", g->name, round,
			      k, F[k]);
		}
		for (int i = 0; i < m; i++)
			for (int k = 0; k < n; k++)
				CHECK(C[i * n + k] == V1(W(g, i), k) + round, "%s: back to back round %d: fcollect C[%d]",
				      g->name, round, i * n + k);
		size_t off = 0;
		for (int i = 0; i < m; i++) {
			for (size_t k = 0; k < cnt(i); k++)
				CHECK(D[off + k] == (long)m * (V1(W(g, i), (int)k) + round),
				      "%s: back to back round %d: collect then sum in place: D[%zu] = %ld", g->name,
				      round, off + k, D[off + k]);
			off += cnt(i);
		}
		CHECK(D[tot] == -1, "%s: back to back: D past the end", g->name);
		/* E on PE t: block i = C block t of PE i = C[t*n/2 ..] = the fcollect row of team PE */
		for (int i = 0; i < m; i++)
			for (int k = 0; k < n / 2; k++) {
				int e = g->me * (n / 2) + k; /* index into C */
				long want = V1(W(g, e / n), e % n) + round;
				CHECK(E[i * (n / 2) + k] == want, "%s: back to back round %d: alltoall E[%d] = %ld, want %ld",
				      g->name, round, i * (n / 2) + k, E[i * (n / 2) + k], want);
			}
		for (int e = 0; e < n / 2 * m; e++) {
			/* the max over the team PEs t of E_t[e], which is C[t * n/2 + e % (n/2)] */
			long want = 0;
			int k = e % (n / 2);
			for (int t = 0; t < m; t++) {
				int c = t * (n / 2) + k;
				long v = V1(W(g, c / n), c % n) + round;
				if (t == 0 || v > want)
					want = v;
			}
			CHECK(G[e] == want, "%s: back to back round %d: max of E [%d] = %ld, want %ld", g->name, round, e,
			      G[e], want);
		}
	}
	tsync(g);
}

/* ---- C11 generic names -------------------------------------------------------------------- */

static void generic(const struct group *g)
{
	int *di = (int *)bd, *si = (int *)bs;
	for (int k = 0; k < NB; k++)
		si[k] = V1(me, k);
	tsync(g);
	CHECK(shmem_broadcast(g->t, di, si, NB, 0) == 0, "%s: shmem_broadcast", g->name);
	for (int k = 0; k < NB; k++)
		CHECK(di[k] == V1(W(g, 0), k), "%s: shmem_broadcast [%d] = %d", g->name, k, di[k]);
	double *dd = (double *)b2, *sd = (double *)b3;
	for (int k = 0; k < NF; k++)
		sd[k] = V1(me, k) + 0.5;
	tsync(g);
	CHECK(shmem_fcollect(g->t, dd, sd, NF) == 0, "%s: shmem_fcollect", g->name);
	for (int i = 0; i < g->size; i++)
		CHECK(dd[i * NF + 1] == V1(W(g, i), 1) + 0.5, "%s: shmem_fcollect", g->name);
	tsync(g);
	CHECK(shmem_collect(g->t, dd, sd, 1) == 0, "%s: shmem_collect", g->name);
	for (int i = 0; i < g->size; i++)
		CHECK(dd[i] == V1(W(g, i), 0) + 0.5, "%s: shmem_collect [%d] = %g", g->name, i, dd[i]);
	long *dl = (long *)b4, *sl = (long *)b5, *sls = (long *)b6;
	for (int j = 0; j < g->size; j++) {
		sl[j] = V2(me, j, 0);
		sls[j * SST] = V2(me, j, 1);
	}
	tsync(g);
	CHECK(shmem_alltoall(g->t, dl, sl, 1) == 0, "%s: shmem_alltoall", g->name);
	for (int i = 0; i < g->size; i++)
		CHECK(dl[i] == V2(W(g, i), g->me, 0), "%s: shmem_alltoall [%d] = %ld", g->name, i, dl[i]);
	tsync(g);
	CHECK(shmem_alltoalls(g->t, dl, sls, 1, SST, 1) == 0, "%s: shmem_alltoalls", g->name);
	for (int i = 0; i < g->size; i++)
		CHECK(dl[i] == V2(W(g, i), g->me, 1), "%s: shmem_alltoalls [%d] = %ld", g->name, i, dl[i]);

	/* reductions by the type of dest */
	double *rd = (double *)b6;
	sd[0] = me;
	tsync(g);
	CHECK(shmem_sum_reduce(g->t, rd, sd, 1) == 0, "%s: shmem_sum_reduce", g->name);
	double wd = 0;
	for (int i = 0; i < g->size; i++)
		wd += W(g, i);
	CHECK(rd[0] == wd, "%s: shmem_sum_reduce %g, want %g", g->name, rd[0], wd);
	si[0] = -me;
	tsync(g);
	CHECK(shmem_max_reduce(g->t, di, si, 1) == 0 && di[0] == -g->start, "%s: shmem_max_reduce %d", g->name, di[0]);
	tsync(g);
	CHECK(shmem_min_reduce(g->t, di, si, 1) == 0 && di[0] == -W(g, g->size - 1), "%s: shmem_min_reduce %d",
	      g->name, di[0]);
	unsigned int *du = (unsigned int *)b7, *su = (unsigned int *)b2;
	su[0] = ~(1u << me);
	su[1] = 1u << me;
	su[2] = 1u << me;
	tsync(g);
	CHECK(shmem_and_reduce(g->t, du, su, 1) == 0, "%s: shmem_and_reduce", g->name);
	CHECK(shmem_or_reduce(g->t, du + 1, su + 1, 1) == 0, "%s: shmem_or_reduce", g->name);
	CHECK(shmem_xor_reduce(g->t, du + 2, su + 2, 1) == 0, "%s: shmem_xor_reduce", g->name);
	unsigned int bits = 0;
	for (int i = 0; i < g->size; i++)
		bits |= 1u << W(g, i);
	CHECK(du[0] == ~bits && du[1] == bits && du[2] == bits, "%s: shmem_and/or/xor_reduce %x %x %x, want %x", g->name,
	      du[0], du[1], du[2], bits);
	/* the signed exact-width types of the bitwise reductions, and shmem_sync(team) */
	int32_t *d32 = (int32_t *)b7, *s32 = (int32_t *)b2;
	int64_t *d64 = (int64_t *)b6, *s64 = (int64_t *)b5;
	CHECK(shmem_sync(g->t) == 0, "%s: shmem_sync(team)", g->name);
	s32[0] = (int32_t)(1u << me);
	s64[0] = (int64_t)1 << (me + 32);
	tsync(g);
	CHECK(shmem_or_reduce(g->t, d32, s32, 1) == 0 && d32[0] == (int32_t)bits, "%s: shmem_or_reduce(int32_t) %x",
	      g->name, (unsigned)d32[0]);
	CHECK(shmem_xor_reduce(g->t, d64, s64, 1) == 0 && d64[0] == (int64_t)bits << 32,
	      "%s: shmem_xor_reduce(int64_t) %llx", g->name, (unsigned long long)d64[0]);
	double _Complex *cd = (double _Complex *)b3, *cs = (double _Complex *)b4;
	cs[0] = (me % 2) ? I : 1.0;
	tsync(g);
	CHECK(shmem_prod_reduce(g->t, cd, cs, 1) == 0, "%s: shmem_prod_reduce", g->name);
	double _Complex wc = 1.0;
	for (int i = 0; i < g->size; i++)
		wc *= (W(g, i) % 2) ? I : 1.0;
	CHECK(cd[0] == wc, "%s: shmem_prod_reduce (%g, %g), want (%g, %g)", g->name, creal(cd[0]), cimag(cd[0]),
	      creal(wc), cimag(wc));
	tsync(g);
}

static void team_suite(const struct group *g)
{
	data_movement(g);
	reductions(g);
	back_to_back(g);
	generic(g);
}

static void teams(void)
{
	struct group world = {SHMEM_TEAM_WORLD, 0, 1, npes, me, 0, "world"};
	team_suite(&world);
	shmem_barrier_all();

	/* the even and the odd team run the suite at the same time */
	shmem_team_t te = SHMEM_TEAM_INVALID, to = SHMEM_TEAM_INVALID, t3 = SHMEM_TEAM_INVALID;
	CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 2, (npes + 1) / 2, NULL, 0, &te) == 0, "split even");
	if (npes > 1)
		CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 1, 2, npes / 2, NULL, 0, &to) == 0, "split odd");
	struct group half = {me % 2 ? to : te, me % 2, 2, me % 2 ? npes / 2 : (npes + 1) / 2, me / 2, 0,
			     me % 2 ? "odd team" : "even team"};
	CHECK(half.t != SHMEM_TEAM_INVALID && shmem_team_my_pe(half.t) == half.me && shmem_team_n_pes(half.t) == half.size,
	      "%s: my_pe %d n_pes %d", half.name, shmem_team_my_pe(half.t), shmem_team_n_pes(half.t));
	team_suite(&half);
	shmem_barrier_all();

	/* stride 3: PEs 0, 3, 6, ...; the others wait */
	CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 3, (npes + 2) / 3, NULL, 0, &t3) == 0, "split stride 3");
	if (me % 3 == 0) {
		struct group three = {t3, 0, 3, (npes + 2) / 3, me / 3, 0, "stride-3 team"};
		team_suite(&three);
	}
	shmem_barrier_all();
	shmem_team_destroy(t3);
	shmem_team_destroy(to);
	shmem_team_destroy(te);
}

/* ---- deprecated active-set forms ---------------------------------------------------------- */

static void psync_restored(const long *ps, int n, const struct group *g, const char *what)
{
	for (int k = 0; k < n; k++)
		CHECK(ps[k] == SHMEM_SYNC_VALUE, "%s: pSync[%d] = %ld after %s, not SHMEM_SYNC_VALUE", g->name, k, ps[k],
		      what);
}

static void aset_barrier(const struct group *g)
{
	shmem_barrier(g->start, g->log, g->size, ps_bar);
}

/* barrier and sync reusing one pSync: a value put before is there after */
static void aset_barriers(const struct group *g, long *slots)
{
	int right = W(g, (g->me + 1) % g->size), left = W(g, (g->me + g->size - 1) % g->size);
	for (int r = 1; r <= 20; r++) {
		shmem_long_p(&slots[r % 2], r * 100 + me, right);
		shmem_barrier(g->start, g->log, g->size, ps_bar);
		CHECK(slots[r % 2] == r * 100 + left, "%s: after barrier %d: %ld, want %d", g->name, r, slots[r % 2],
		      r * 100 + left);
	}
	for (int r = 21; r <= 40; r++) {
		shmem_long_p(&slots[r % 2], r * 100 + me, right);
		shmem_quiet();
		shmem_sync(g->start, g->log, g->size, ps_sync);
		CHECK(slots[r % 2] == r * 100 + left, "%s: after sync %d: %ld, want %d", g->name, r, slots[r % 2],
		      r * 100 + left);
	}
	aset_barrier(g);
}

#define DEPR_SIZED(BITS, T)                                                                        \
	do {                                                                                       \
		T *d = (T *)bd, *s = (T *)bs;                                                      \
		/* broadcast: the root's dest keeps its value */                                   \
		for (int ri = 0; ri < 2; ri++) {                                                   \
			int root = ri ? g->size - 1 : g->size / 2;                                 \
			for (int k = 0; k <= NB; k++) {                                            \
				s[k] = (T)V1(me, k);                                               \
				d[k] = (T)0;                                                       \
			}                                                                          \
			aset_barrier(g);                                                           \
			shmem_broadcast##BITS(d, s, NB, root, g->start, g->log, g->size, ps_bcast); \
			psync_restored(ps_bcast, SHMEM_BCAST_SYNC_SIZE, g, "broadcast" #BITS);    \
			for (int k = 0; k <= NB; k++) {                                            \
				T want = (T)(g->me == root || k == NB ? 0 : V1(W(g, root), k));    \
				CHECK(d[k] == want, "%s: broadcast" #BITS " from %d: dest[%d] = %lld, want %lld", \
				      g->name, root, k, (long long)d[k], (long long)want);        \
			}                                                                          \
		}                                                                                  \
		/* collect with a different nelems on each PE */                                  \
		size_t tot = 0, mine = cnt(g->me);                                                 \
		for (int i = 0; i < g->size; i++)                                                  \
			tot += cnt(i);                                                             \
		for (size_t k = 0; k < mine; k++)                                                  \
			s[k] = (T)V1(me, (int)k);                                                  \
		for (size_t k = 0; k <= tot; k++)                                                  \
			d[k] = (T)0;                                                               \
		aset_barrier(g);                                                                   \
		shmem_collect##BITS(d, s, mine, g->start, g->log, g->size, ps_coll);               \
		psync_restored(ps_coll, SHMEM_COLLECT_SYNC_SIZE, g, "collect" #BITS);              \
		size_t off = 0;                                                                    \
		for (int i = 0; i < g->size; i++) {                                                \
			for (size_t k = 0; k < cnt(i); k++)                                        \
				CHECK(d[off + k] == (T)V1(W(g, i), (int)k), "%s: collect" #BITS ": dest[%zu] = %lld", \
				      g->name, off + k, (long long)d[off + k]);                   \
			off += cnt(i);                                                             \
		}                                                                                  \
		CHECK(d[tot] == 0, "%s: collect" #BITS " wrote past the end", g->name);            \
		/* fcollect */                                                                     \
		for (int k = 0; k < NF; k++)                                                       \
			s[k] = (T)V1(me, k);                                                       \
		for (int k = 0; k <= NF * g->size; k++)                                            \
			d[k] = (T)0;                                                               \
		aset_barrier(g);                                                                   \
		shmem_fcollect##BITS(d, s, NF, g->start, g->log, g->size, ps_coll);                \
		psync_restored(ps_coll, SHMEM_COLLECT_SYNC_SIZE, g, "fcollect" #BITS);             \
		for (int i = 0; i < g->size; i++)                                                  \
			for (int k = 0; k < NF; k++)                                               \
				CHECK(d[i * NF + k] == (T)V1(W(g, i), k), "%s: fcollect" #BITS ": dest[%d] = %lld", \
				      g->name, i * NF + k, (long long)d[i * NF + k]);             \
		CHECK(d[NF * g->size] == 0, "%s: fcollect" #BITS " wrote past the end", g->name);   \
		/* alltoall */                                                                     \
		for (int j = 0; j < g->size; j++)                                                  \
			for (int k = 0; k < NA; k++)                                               \
				s[j * NA + k] = (T)V2(me, j, k);                                   \
		for (int k = 0; k <= NA * g->size; k++)                                            \
			d[k] = (T)0;                                                               \
		aset_barrier(g);                                                                   \
		shmem_alltoall##BITS(d, s, NA, g->start, g->log, g->size, ps_a2a);                 \
		psync_restored(ps_a2a, SHMEM_ALLTOALL_SYNC_SIZE, g, "alltoall" #BITS);             \
		for (int i = 0; i < g->size; i++)                                                  \
			for (int k = 0; k < NA; k++)                                               \
				CHECK(d[i * NA + k] == (T)V2(W(g, i), g->me, k),                   \
				      "%s: alltoall" #BITS ": dest[%d] = %lld, want %d", g->name, i * NA + k, \
				      (long long)d[i * NA + k], V2(W(g, i), g->me, k));            \
		CHECK(d[NA * g->size] == 0, "%s: alltoall" #BITS " wrote past the end", g->name);   \
		/* alltoalls */                                                                    \
		for (int e = 0; e < SST * NA * g->size; e++)                                       \
			s[e] = (T)99;                                                              \
		for (int j = 0; j < g->size; j++)                                                  \
			for (int k = 0; k < NA; k++)                                               \
				s[SST * (j * NA + k)] = (T)V2(me, j, k);                           \
		for (int e = 0; e <= DST * NA * g->size; e++)                                      \
			d[e] = (T)0;                                                               \
		aset_barrier(g);                                                                   \
		shmem_alltoalls##BITS(d, s, DST, SST, NA, g->start, g->log, g->size, ps_a2as);     \
		psync_restored(ps_a2as, SHMEM_ALLTOALLS_SYNC_SIZE, g, "alltoalls" #BITS);          \
		for (int i = 0; i < g->size; i++)                                                  \
			for (int k = 0; k < NA; k++) {                                             \
				int e = DST * (i * NA + k);                                        \
				CHECK(d[e] == (T)V2(W(g, i), g->me, k) && d[e + 1] == 0,           \
				      "%s: alltoalls" #BITS ": dest[%d] = %lld, want %d", g->name, e, \
				      (long long)d[e], V2(W(g, i), g->me, k));                     \
			}                                                                          \
	} while (0)

/* one *_to_all reduction (separate dest, then in place) over the active set */
#define TO_ALL(TYPE, NAME, OP, VAL, FOLD, R)                                                       \
	do {                                                                                       \
		TYPE *d = (TYPE *)bd, *s = (TYPE *)bs, want;                                       \
		for (int k = 0; k <= (R); k++) {                                                   \
			WANT(TYPE, VAL, FOLD, g, k, want);                                         \
			s[k] = VAL(TYPE, me, k);                                                   \
			d[k] = (TYPE)(want + (TYPE)1);                                             \
		}                                                                                  \
		aset_barrier(g);                                                                   \
		shmem_##NAME##_##OP##_to_all(d, s, (R), g->start, g->log, g->size, (TYPE *)pwrk, ps_red); \
		psync_restored(ps_red, SHMEM_REDUCE_SYNC_SIZE, g, #NAME "_" #OP "_to_all");        \
		for (int k = 0; k < (R); k++) {                                                    \
			WANT(TYPE, VAL, FOLD, g, k, want);                                         \
			CHECK(d[k] == want, "%s: " #NAME "_" #OP "_to_all of %d: [%d] = %g, want %g", \
			      g->name, (R), k, (double)d[k], (double)want);                        \
		}                                                                                  \
		WANT(TYPE, VAL, FOLD, g, (R), want);                                               \
		CHECK(d[R] == (TYPE)(want + (TYPE)1), "%s: " #NAME "_" #OP "_to_all wrote past %d", \
		      g->name, (R));                                                               \
		aset_barrier(g);                                                                   \
		shmem_##NAME##_##OP##_to_all(s, s, (R), g->start, g->log, g->size, (TYPE *)pwrk, ps_red); \
		for (int k = 0; k < (R); k++) {                                                    \
			WANT(TYPE, VAL, FOLD, g, k, want);                                         \
			CHECK(s[k] == want, "%s: in-place " #NAME "_" #OP "_to_all: [%d] = %g, want %g", \
			      g->name, k, (double)s[k], (double)want);                             \
		}                                                                                  \
	} while (0);

#define TA_AND(TYPE, NAME) TO_ALL(TYPE, NAME, and, V_AND, F_AND, NR)
#define TA_OR(TYPE, NAME) TO_ALL(TYPE, NAME, or, V_OR, F_OR, NR)
#define TA_XOR(TYPE, NAME) TO_ALL(TYPE, NAME, xor, V_XOR, F_XOR, NR)
#define TA_MAX(TYPE, NAME) TO_ALL(TYPE, NAME, max, V_MM, F_MAX, NR)
#define TA_MIN(TYPE, NAME) TO_ALL(TYPE, NAME, min, V_MM, F_MIN, NR)
#define TA_SUM(TYPE, NAME) TO_ALL(TYPE, NAME, sum, V_SUM, F_SUM, NR)
#define TA_PROD(TYPE, NAME) TO_ALL(TYPE, NAME, prod, V_PROD, F_PROD, NR)

static void aset_suite(const struct group *g, long *slots)
{
	aset_barriers(g, slots);
	DEPR_SIZED(32, int32_t);
	DEPR_SIZED(64, int64_t);
	PFSHMEM_TO_ALL_BIT_TYPES(TA_AND)
	PFSHMEM_TO_ALL_BIT_TYPES(TA_OR)
	PFSHMEM_TO_ALL_BIT_TYPES(TA_XOR)
	PFSHMEM_TO_ALL_MINMAX_TYPES(TA_MAX)
	PFSHMEM_TO_ALL_MINMAX_TYPES(TA_MIN)
	PFSHMEM_TO_ALL_ARITH_TYPES(TA_SUM)
	PFSHMEM_TO_ALL_ARITH_TYPES(TA_PROD)
	TO_ALL(double _Complex, complexd, sum, V_CSUM, F_SUM, NR)
	TO_ALL(float _Complex, complexf, prod, V_CPROD, F_PROD, NR)
	/* long ones: pWrk of nreduce/2 + 1 elements is all there is */
	TO_ALL(int, int, sum, V_SUM, F_SUM, NRL)
	TO_ALL(double, double, max, V_MM, F_MAX, NRL)
	TO_ALL(long, long, and, V_AND, F_AND, NRL)
	TO_ALL(short, short, min, V_MM, F_MIN, NRL)
	/* the barrier on a pSync just used by a reduction, once it is free again */
	aset_barrier(g);
	shmem_barrier(g->start, g->log, g->size, ps_red);
	shmem_barrier(g->start, g->log, g->size, ps_red);
	psync_restored(ps_red, SHMEM_REDUCE_SYNC_SIZE, g, "shmem_barrier on the reduction pSync");
	aset_barrier(g);
}

static int aset_member(int start, int log, int size)
{
	int stride = 1 << log;
	return me >= start && (me - start) % stride == 0 && (me - start) / stride < size;
}

static void active_sets(void)
{
	long *slots = shmem_calloc(2, sizeof(long));
	shmem_barrier_all();
	/* all PEs */
	struct group all = {SHMEM_TEAM_INVALID, 0, 1, npes, me, 0, "active set (0, 0, n)"};
	aset_suite(&all, slots);
	shmem_barrier_all();
	/* PEs 0, 2, 4, ... and 1, 3, 5, ... at the same time, with the same pSync arrays */
	int odd = me % 2;
	struct group half = {SHMEM_TEAM_INVALID, odd, 2, odd ? npes / 2 : (npes + 1) / 2, me / 2, 1,
			     odd ? "active set (1, 1, n/2)" : "active set (0, 1, (n+1)/2)"};
	aset_suite(&half, slots);
	shmem_barrier_all();
	/* stride 4 */
	struct group four = {SHMEM_TEAM_INVALID, 0, 4, (npes + 3) / 4, me / 4, 2, "active set (0, 2, (n+3)/4)"};
	if (aset_member(four.start, four.log, four.size))
		aset_suite(&four, slots);
	shmem_barrier_all();
	/* PEs 1 .. n-1 */
	struct group tail = {SHMEM_TEAM_INVALID, 1, 1, npes - 1, me - 1, 0, "active set (1, 0, n-1)"};
	if (npes > 1 && me >= 1)
		aset_suite(&tail, slots);
	shmem_barrier_all();
	/* consecutive barriers over all PEs on one pSync */
	for (int k = 0; k < 100; k++)
		shmem_barrier(0, 0, npes, ps_bar);
	psync_restored(ps_bar, SHMEM_BARRIER_SYNC_SIZE, &all, "100 barriers");
	shmem_barrier_all();
	shmem_free(slots);
}

int main(void)
{
	shmem_init();
	me = shmem_my_pe();
	npes = shmem_n_pes();
	char **bufs[] = {&bs, &bd, &b2, &b3, &b4, &b5, &b6, &b7, &pwrk};
	for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; k++) {
		*bufs[k] = shmem_malloc(BUF);
		CHECK(*bufs[k] != NULL, "shmem_malloc(%d)", BUF);
	}
	long *pss[] = {ps_bar, ps_sync, ps_bcast, ps_coll, ps_a2a, ps_a2as, ps_red};
	for (size_t j = 0; j < sizeof pss / sizeof pss[0]; j++)
		for (int k = 0; k < SHMEM_SYNC_SIZE; k++)
			pss[j][k] = SHMEM_SYNC_VALUE;
	shmem_barrier_all();
	teams();
	active_sets();
	shmem_barrier_all();
	for (size_t k = sizeof bufs / sizeof bufs[0]; k-- > 0;)
		shmem_free(*bufs[k]);
	shmem_finalize();
	return 0;
}
