/*
 * pfshmem_coll.h - OpenSHMEM 1.5 teams (9.4), collectives (9.8) and
 * distributed locks (9.11), with the active-set collectives, the *_to_all
 * reductions and the sized broadcast/collect/alltoall routines that 1.5
 * still lists as deprecated (libpodfab-shmem; included by shmem.h).
 */
#ifndef PFSHMEM_COLL_H
#define PFSHMEM_COLL_H

#include <stddef.h>
#include <stdint.h>

#include "pfshmem_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- 9.4 teams -------------------------------------------------------------------- */
int shmem_team_my_pe(shmem_team_t team);
int shmem_team_n_pes(shmem_team_t team);
int shmem_team_get_config(shmem_team_t team, long config_mask, shmem_team_config_t *config);
int shmem_team_translate_pe(shmem_team_t src_team, int src_pe, shmem_team_t dest_team);
int shmem_team_split_strided(shmem_team_t parent_team, int start, int stride, int size,
			     const shmem_team_config_t *config, long config_mask, shmem_team_t *new_team);
int shmem_team_split_2d(shmem_team_t parent_team, int xrange, const shmem_team_config_t *xaxis_config,
			long xaxis_mask, shmem_team_t *xaxis_team, const shmem_team_config_t *yaxis_config,
			long yaxis_mask, shmem_team_t *yaxis_team);
void shmem_team_destroy(shmem_team_t team);
int shmem_team_create_ctx(shmem_team_t team, long options, shmem_ctx_t *ctx);
int shmem_ctx_get_team(shmem_ctx_t ctx, shmem_team_t *team);
void *shmem_team_ptr(shmem_team_t team, const void *dest, int pe);

/* ---- 9.8 collectives on teams ----------------------------------------------------- */
int shmem_team_sync(shmem_team_t team);
void shmem_sync(int PE_start, int logPE_stride, int PE_size, long *pSync); /* deprecated form */
void shmem_barrier(int PE_start, int logPE_stride, int PE_size, long *pSync); /* deprecated */

#define PFSHMEM_DECL_COLL(TYPE, NAME)                                                              \
	int shmem_##NAME##_broadcast(shmem_team_t team, TYPE *dest, const TYPE *source, size_t nelems, \
				     int PE_root);                                                    \
	int shmem_##NAME##_collect(shmem_team_t team, TYPE *dest, const TYPE *source, size_t nelems); \
	int shmem_##NAME##_fcollect(shmem_team_t team, TYPE *dest, const TYPE *source, size_t nelems); \
	int shmem_##NAME##_alltoall(shmem_team_t team, TYPE *dest, const TYPE *source, size_t nelems); \
	int shmem_##NAME##_alltoalls(shmem_team_t team, TYPE *dest, const TYPE *source, ptrdiff_t dst, \
				     ptrdiff_t sst, size_t nelems);
PFSHMEM_RMA_TYPES(PFSHMEM_DECL_COLL)
#undef PFSHMEM_DECL_COLL
int shmem_broadcastmem(shmem_team_t team, void *dest, const void *source, size_t nelems, int PE_root);
int shmem_collectmem(shmem_team_t team, void *dest, const void *source, size_t nelems);
int shmem_fcollectmem(shmem_team_t team, void *dest, const void *source, size_t nelems);
int shmem_alltoallmem(shmem_team_t team, void *dest, const void *source, size_t nelems);
int shmem_alltoallsmem(shmem_team_t team, void *dest, const void *source, ptrdiff_t dst, ptrdiff_t sst,
		       size_t nelems);

#define PFSHMEM_DECL_REDUCE(TYPE, NAME, OP)                                                        \
	int shmem_##NAME##_##OP##_reduce(shmem_team_t team, TYPE *dest, const TYPE *source, size_t nreduce);
#define PFSHMEM_DECL_REDUCE_BIT(TYPE, NAME)                                                        \
	PFSHMEM_DECL_REDUCE(TYPE, NAME, and) PFSHMEM_DECL_REDUCE(TYPE, NAME, or)                    \
	PFSHMEM_DECL_REDUCE(TYPE, NAME, xor)
#define PFSHMEM_DECL_REDUCE_MINMAX(TYPE, NAME)                                                     \
	PFSHMEM_DECL_REDUCE(TYPE, NAME, max) PFSHMEM_DECL_REDUCE(TYPE, NAME, min)
#define PFSHMEM_DECL_REDUCE_ARITH(TYPE, NAME)                                                      \
	PFSHMEM_DECL_REDUCE(TYPE, NAME, sum) PFSHMEM_DECL_REDUCE(TYPE, NAME, prod)
PFSHMEM_REDUCE_BIT_TYPES(PFSHMEM_DECL_REDUCE_BIT)
PFSHMEM_REDUCE_MINMAX_TYPES(PFSHMEM_DECL_REDUCE_MINMAX)
PFSHMEM_REDUCE_ARITH_TYPES(PFSHMEM_DECL_REDUCE_ARITH)
#undef PFSHMEM_DECL_REDUCE_BIT
#undef PFSHMEM_DECL_REDUCE_MINMAX
#undef PFSHMEM_DECL_REDUCE_ARITH

/* ---- deprecated active-set collectives (PE_start, logPE_stride, PE_size, pSync) ---- */
#define PFSHMEM_DECL_DEPR_SIZED(BITS)                                                              \
	void shmem_broadcast##BITS(void *dest, const void *source, size_t nelems, int PE_root,      \
				   int PE_start, int logPE_stride, int PE_size, long *pSync);         \
	void shmem_collect##BITS(void *dest, const void *source, size_t nelems, int PE_start,       \
				 int logPE_stride, int PE_size, long *pSync);                         \
	void shmem_fcollect##BITS(void *dest, const void *source, size_t nelems, int PE_start,      \
				  int logPE_stride, int PE_size, long *pSync);                        \
	void shmem_alltoall##BITS(void *dest, const void *source, size_t nelems, int PE_start,      \
				  int logPE_stride, int PE_size, long *pSync);                        \
	void shmem_alltoalls##BITS(void *dest, const void *source, ptrdiff_t dst, ptrdiff_t sst,    \
				   size_t nelems, int PE_start, int logPE_stride, int PE_size,        \
				   long *pSync);
PFSHMEM_DECL_DEPR_SIZED(32)
PFSHMEM_DECL_DEPR_SIZED(64)
#undef PFSHMEM_DECL_DEPR_SIZED

/* Types of the *_to_all reductions (1.5, table 11, deprecated): bitwise, min/max, sum/prod */
#define PFSHMEM_TO_ALL_BIT_TYPES(X) X(short, short) X(int, int) X(long, long) X(long long, longlong)
#define PFSHMEM_TO_ALL_MINMAX_TYPES(X)                                                             \
	PFSHMEM_TO_ALL_BIT_TYPES(X) X(float, float) X(double, double) X(long double, longdouble)
#define PFSHMEM_TO_ALL_ARITH_TYPES(X)                                                              \
	PFSHMEM_TO_ALL_MINMAX_TYPES(X) X(double _Complex, complexd) X(float _Complex, complexf)
#define PFSHMEM_DECL_TO_ALL(TYPE, NAME, OP)                                                        \
	void shmem_##NAME##_##OP##_to_all(TYPE *dest, const TYPE *source, int nreduce, int PE_start, \
					  int logPE_stride, int PE_size, TYPE *pWrk, long *pSync);
#define PFSHMEM_DECL_TO_ALL_BIT(TYPE, NAME)                                                        \
	PFSHMEM_DECL_TO_ALL(TYPE, NAME, and) PFSHMEM_DECL_TO_ALL(TYPE, NAME, or)                    \
	PFSHMEM_DECL_TO_ALL(TYPE, NAME, xor)
#define PFSHMEM_DECL_TO_ALL_MINMAX(TYPE, NAME)                                                     \
	PFSHMEM_DECL_TO_ALL(TYPE, NAME, max) PFSHMEM_DECL_TO_ALL(TYPE, NAME, min)
#define PFSHMEM_DECL_TO_ALL_ARITH(TYPE, NAME)                                                      \
	PFSHMEM_DECL_TO_ALL(TYPE, NAME, sum) PFSHMEM_DECL_TO_ALL(TYPE, NAME, prod)
PFSHMEM_TO_ALL_BIT_TYPES(PFSHMEM_DECL_TO_ALL_BIT)
PFSHMEM_TO_ALL_MINMAX_TYPES(PFSHMEM_DECL_TO_ALL_MINMAX)
PFSHMEM_TO_ALL_ARITH_TYPES(PFSHMEM_DECL_TO_ALL_ARITH)
#undef PFSHMEM_DECL_TO_ALL
#undef PFSHMEM_DECL_TO_ALL_BIT
#undef PFSHMEM_DECL_TO_ALL_MINMAX
#undef PFSHMEM_DECL_TO_ALL_ARITH

/* ---- 9.11 distributed locks -------------------------------------------------------- */
void shmem_set_lock(long *lock);
void shmem_clear_lock(long *lock);
int shmem_test_lock(long *lock);

#ifdef __cplusplus
}
#endif

/* ---- C11 generic collectives: selected by the type of dest (the second argument) ---- */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__cplusplus)
#define PFSHMEM_C11_REDUCE_UNSIGNED_TYPES(X, R)                                                    \
	X(unsigned char, uchar, R) X(unsigned short, ushort, R) X(unsigned int, uint, R)            \
	X(unsigned long, ulong, R) X(unsigned long long, ulonglong, R)
/* and, or, xor: the unsigned types and the signed exact-width ones (table 10) */
#define PFSHMEM_C11_REDUCE_BIT_TYPES(X, R)                                                         \
	PFSHMEM_C11_REDUCE_UNSIGNED_TYPES(X, R) X(int8_t, int8, R) X(int16_t, int16, R)             \
	X(int32_t, int32, R) X(int64_t, int64, R)
#define PFSHMEM_C11_REDUCE_MINMAX_TYPES(X, R)                                                      \
	X(char, char, R) X(signed char, schar, R) X(short, short, R) X(int, int, R) X(long, long, R) \
	X(long long, longlong, R) PFSHMEM_C11_REDUCE_UNSIGNED_TYPES(X, R) X(float, float, R)        \
	X(double, double, R) X(long double, longdouble, R)
#define PFSHMEM_C11_REDUCE_ARITH_TYPES(X, R)                                                       \
	PFSHMEM_C11_REDUCE_MINMAX_TYPES(X, R) X(double _Complex, complexd, R) X(float _Complex, complexf, R)
#define PFSHMEM_C11_SEL_DEST(TYPES, R, ...)                                                        \
	_Generic(PFSHMEM_C11_ARG1(__VA_ARGS__),                                                     \
		TYPES(PFSHMEM_C11_A, R) default: pfshmem_c11_unsupported_type)(__VA_ARGS__)
#define shmem_broadcast(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_RMA_TYPES, broadcast, __VA_ARGS__)
#define shmem_collect(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_RMA_TYPES, collect, __VA_ARGS__)
#define shmem_fcollect(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_RMA_TYPES, fcollect, __VA_ARGS__)
#define shmem_alltoall(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_RMA_TYPES, alltoall, __VA_ARGS__)
#define shmem_alltoalls(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_RMA_TYPES, alltoalls, __VA_ARGS__)
#define shmem_and_reduce(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_REDUCE_BIT_TYPES, and_reduce, __VA_ARGS__)
#define shmem_or_reduce(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_REDUCE_BIT_TYPES, or_reduce, __VA_ARGS__)
#define shmem_xor_reduce(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_REDUCE_BIT_TYPES, xor_reduce, __VA_ARGS__)
#define shmem_max_reduce(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_REDUCE_MINMAX_TYPES, max_reduce, __VA_ARGS__)
#define shmem_min_reduce(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_REDUCE_MINMAX_TYPES, min_reduce, __VA_ARGS__)
#define shmem_sum_reduce(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_REDUCE_ARITH_TYPES, sum_reduce, __VA_ARGS__)
#define shmem_prod_reduce(...) PFSHMEM_C11_SEL_DEST(PFSHMEM_C11_REDUCE_ARITH_TYPES, prod_reduce, __VA_ARGS__)
/* 9.9.4: shmem_sync(team) is shmem_team_sync; with an int first the deprecated active-set form */
#define shmem_sync(...)                                                                            \
	_Generic(PFSHMEM_C11_ARG0(__VA_ARGS__), shmem_team_t: shmem_team_sync, default: shmem_sync)(__VA_ARGS__)
#endif /* C11 */

#endif /* PFSHMEM_COLL_H */
