/*
 * pfshmem_rma.h - OpenSHMEM 1.5 contexts (9.4), remote memory access (9.5),
 * signaling (9.6), atomics (9.7), ctx_fence/ctx_quiet (9.9) and
 * point-to-point synchronisation (9.10) (libpodfab-shmem; included by shmem.h).
 *
 * The typed routines are declared from the type tables of pfshmem_types.h;
 * with C11 the generic interfaces (shmem_put, shmem_atomic_add, ...) select
 * them by the type of their first pointer argument, and the context forms
 * when the first argument is a shmem_ctx_t.
 */
#ifndef PFSHMEM_RMA_H
#define PFSHMEM_RMA_H

#include <stddef.h>
#include <stdint.h>

#include "pfshmem_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- 9.4 contexts, 9.9 ordering per context --------------------------------- */
int shmem_ctx_create(long options, shmem_ctx_t *ctx);
void shmem_ctx_destroy(shmem_ctx_t ctx);
void shmem_ctx_fence(shmem_ctx_t ctx);
void shmem_ctx_quiet(shmem_ctx_t ctx);

/* ---- 9.5 RMA and 9.6 put with signal: typed ------------------------------------ */
#define PFSHMEM_DECL_RMA(TYPE, NAME)                                                               \
	void shmem_##NAME##_put(TYPE *dest, const TYPE *source, size_t nelems, int pe);             \
	void shmem_ctx_##NAME##_put(shmem_ctx_t ctx, TYPE *dest, const TYPE *source, size_t nelems, \
				    int pe);                                                          \
	void shmem_##NAME##_get(TYPE *dest, const TYPE *source, size_t nelems, int pe);             \
	void shmem_ctx_##NAME##_get(shmem_ctx_t ctx, TYPE *dest, const TYPE *source, size_t nelems, \
				    int pe);                                                          \
	void shmem_##NAME##_p(TYPE *dest, TYPE value, int pe);                                      \
	void shmem_ctx_##NAME##_p(shmem_ctx_t ctx, TYPE *dest, TYPE value, int pe);                 \
	TYPE shmem_##NAME##_g(const TYPE *source, int pe);                                          \
	TYPE shmem_ctx_##NAME##_g(shmem_ctx_t ctx, const TYPE *source, int pe);                     \
	void shmem_##NAME##_iput(TYPE *dest, const TYPE *source, ptrdiff_t dst, ptrdiff_t sst,      \
				 size_t nelems, int pe);                                              \
	void shmem_ctx_##NAME##_iput(shmem_ctx_t ctx, TYPE *dest, const TYPE *source, ptrdiff_t dst, \
				     ptrdiff_t sst, size_t nelems, int pe);                           \
	void shmem_##NAME##_iget(TYPE *dest, const TYPE *source, ptrdiff_t dst, ptrdiff_t sst,      \
				 size_t nelems, int pe);                                              \
	void shmem_ctx_##NAME##_iget(shmem_ctx_t ctx, TYPE *dest, const TYPE *source, ptrdiff_t dst, \
				     ptrdiff_t sst, size_t nelems, int pe);                           \
	void shmem_##NAME##_put_nbi(TYPE *dest, const TYPE *source, size_t nelems, int pe);         \
	void shmem_ctx_##NAME##_put_nbi(shmem_ctx_t ctx, TYPE *dest, const TYPE *source,            \
					size_t nelems, int pe);                                       \
	void shmem_##NAME##_get_nbi(TYPE *dest, const TYPE *source, size_t nelems, int pe);         \
	void shmem_ctx_##NAME##_get_nbi(shmem_ctx_t ctx, TYPE *dest, const TYPE *source,            \
					size_t nelems, int pe);                                       \
	void shmem_##NAME##_put_signal(TYPE *dest, const TYPE *source, size_t nelems,               \
				       uint64_t *sig_addr, uint64_t signal, int sig_op, int pe);      \
	void shmem_ctx_##NAME##_put_signal(shmem_ctx_t ctx, TYPE *dest, const TYPE *source,         \
					   size_t nelems, uint64_t *sig_addr, uint64_t signal,        \
					   int sig_op, int pe);                                       \
	void shmem_##NAME##_put_signal_nbi(TYPE *dest, const TYPE *source, size_t nelems,           \
					   uint64_t *sig_addr, uint64_t signal, int sig_op, int pe);  \
	void shmem_ctx_##NAME##_put_signal_nbi(shmem_ctx_t ctx, TYPE *dest, const TYPE *source,     \
					       size_t nelems, uint64_t *sig_addr, uint64_t signal,    \
					       int sig_op, int pe);
PFSHMEM_RMA_TYPES(PFSHMEM_DECL_RMA)
#undef PFSHMEM_DECL_RMA

/* ---- 9.5 RMA and 9.6 put with signal: sized (elements of BITS bits) and bytes ----- */
#define PFSHMEM_DECL_SIZED(NAME)                                                                   \
	void shmem_##NAME(void *dest, const void *source, size_t nelems, int pe);                   \
	void shmem_ctx_##NAME(shmem_ctx_t ctx, void *dest, const void *source, size_t nelems, int pe);
#define PFSHMEM_DECL_SIZED_STRIDED(NAME)                                                           \
	void shmem_##NAME(void *dest, const void *source, ptrdiff_t dst, ptrdiff_t sst, size_t nelems, \
			  int pe);                                                                    \
	void shmem_ctx_##NAME(shmem_ctx_t ctx, void *dest, const void *source, ptrdiff_t dst,       \
			      ptrdiff_t sst, size_t nelems, int pe);
#define PFSHMEM_DECL_SIZED_SIGNAL(NAME)                                                            \
	void shmem_##NAME(void *dest, const void *source, size_t nelems, uint64_t *sig_addr,        \
			  uint64_t signal, int sig_op, int pe);                                       \
	void shmem_ctx_##NAME(shmem_ctx_t ctx, void *dest, const void *source, size_t nelems,       \
			      uint64_t *sig_addr, uint64_t signal, int sig_op, int pe);
#define PFSHMEM_DECL_BITS(BITS)                                                                    \
	PFSHMEM_DECL_SIZED(put##BITS)                                                               \
	PFSHMEM_DECL_SIZED(get##BITS)                                                               \
	PFSHMEM_DECL_SIZED(put##BITS##_nbi)                                                         \
	PFSHMEM_DECL_SIZED(get##BITS##_nbi)                                                         \
	PFSHMEM_DECL_SIZED_STRIDED(iput##BITS)                                                      \
	PFSHMEM_DECL_SIZED_STRIDED(iget##BITS)                                                      \
	PFSHMEM_DECL_SIZED_SIGNAL(put##BITS##_signal)                                               \
	PFSHMEM_DECL_SIZED_SIGNAL(put##BITS##_signal_nbi)
PFSHMEM_SIZES(PFSHMEM_DECL_BITS)
PFSHMEM_DECL_SIZED(putmem)
PFSHMEM_DECL_SIZED(getmem)
PFSHMEM_DECL_SIZED(putmem_nbi)
PFSHMEM_DECL_SIZED(getmem_nbi)
PFSHMEM_DECL_SIZED_SIGNAL(putmem_signal)
PFSHMEM_DECL_SIZED_SIGNAL(putmem_signal_nbi)
#undef PFSHMEM_DECL_BITS
#undef PFSHMEM_DECL_SIZED
#undef PFSHMEM_DECL_SIZED_STRIDED
#undef PFSHMEM_DECL_SIZED_SIGNAL

/* ---- 9.6 signals ------------------------------------------------------------ */
uint64_t shmem_signal_fetch(const uint64_t *sig_addr);
uint64_t shmem_signal_wait_until(uint64_t *sig_addr, int cmp, uint64_t cmp_value);

/* ---- 9.7 atomics -------------------------------------------------------------- */
/* Extended types: fetch, set, swap (and their non-blocking fetching forms) */
#define PFSHMEM_DECL_AMO_EXT(TYPE, NAME)                                                           \
	TYPE shmem_##NAME##_atomic_fetch(const TYPE *source, int pe);                               \
	TYPE shmem_ctx_##NAME##_atomic_fetch(shmem_ctx_t ctx, const TYPE *source, int pe);          \
	void shmem_##NAME##_atomic_set(TYPE *dest, TYPE value, int pe);                             \
	void shmem_ctx_##NAME##_atomic_set(shmem_ctx_t ctx, TYPE *dest, TYPE value, int pe);        \
	TYPE shmem_##NAME##_atomic_swap(TYPE *dest, TYPE value, int pe);                            \
	TYPE shmem_ctx_##NAME##_atomic_swap(shmem_ctx_t ctx, TYPE *dest, TYPE value, int pe);       \
	void shmem_##NAME##_atomic_fetch_nbi(TYPE *fetch, const TYPE *source, int pe);              \
	void shmem_ctx_##NAME##_atomic_fetch_nbi(shmem_ctx_t ctx, TYPE *fetch, const TYPE *source,  \
						 int pe);                                             \
	void shmem_##NAME##_atomic_swap_nbi(TYPE *fetch, TYPE *dest, TYPE value, int pe);           \
	void shmem_ctx_##NAME##_atomic_swap_nbi(shmem_ctx_t ctx, TYPE *fetch, TYPE *dest, TYPE value, \
						int pe);
PFSHMEM_AMO_EXT_TYPES(PFSHMEM_DECL_AMO_EXT)
#undef PFSHMEM_DECL_AMO_EXT

/* Standard types: compare_swap, fetch_inc, inc, fetch_add, add */
#define PFSHMEM_DECL_AMO_STD(TYPE, NAME)                                                           \
	TYPE shmem_##NAME##_atomic_compare_swap(TYPE *dest, TYPE cond, TYPE value, int pe);         \
	TYPE shmem_ctx_##NAME##_atomic_compare_swap(shmem_ctx_t ctx, TYPE *dest, TYPE cond,         \
						    TYPE value, int pe);                              \
	TYPE shmem_##NAME##_atomic_fetch_inc(TYPE *dest, int pe);                                   \
	TYPE shmem_ctx_##NAME##_atomic_fetch_inc(shmem_ctx_t ctx, TYPE *dest, int pe);              \
	void shmem_##NAME##_atomic_inc(TYPE *dest, int pe);                                         \
	void shmem_ctx_##NAME##_atomic_inc(shmem_ctx_t ctx, TYPE *dest, int pe);                    \
	TYPE shmem_##NAME##_atomic_fetch_add(TYPE *dest, TYPE value, int pe);                       \
	TYPE shmem_ctx_##NAME##_atomic_fetch_add(shmem_ctx_t ctx, TYPE *dest, TYPE value, int pe);  \
	void shmem_##NAME##_atomic_add(TYPE *dest, TYPE value, int pe);                             \
	void shmem_ctx_##NAME##_atomic_add(shmem_ctx_t ctx, TYPE *dest, TYPE value, int pe);        \
	void shmem_##NAME##_atomic_compare_swap_nbi(TYPE *fetch, TYPE *dest, TYPE cond, TYPE value, \
						    int pe);                                          \
	void shmem_ctx_##NAME##_atomic_compare_swap_nbi(shmem_ctx_t ctx, TYPE *fetch, TYPE *dest,   \
							TYPE cond, TYPE value, int pe);               \
	void shmem_##NAME##_atomic_fetch_inc_nbi(TYPE *fetch, TYPE *dest, int pe);                  \
	void shmem_ctx_##NAME##_atomic_fetch_inc_nbi(shmem_ctx_t ctx, TYPE *fetch, TYPE *dest,      \
						     int pe);                                         \
	void shmem_##NAME##_atomic_fetch_add_nbi(TYPE *fetch, TYPE *dest, TYPE value, int pe);      \
	void shmem_ctx_##NAME##_atomic_fetch_add_nbi(shmem_ctx_t ctx, TYPE *fetch, TYPE *dest,      \
						     TYPE value, int pe);
PFSHMEM_AMO_STD_TYPES(PFSHMEM_DECL_AMO_STD)
#undef PFSHMEM_DECL_AMO_STD

/* Bitwise types: and, or, xor and their fetching forms */
#define PFSHMEM_DECL_AMO_BIT1(TYPE, NAME, OP)                                                      \
	TYPE shmem_##NAME##_atomic_fetch_##OP(TYPE *dest, TYPE value, int pe);                      \
	TYPE shmem_ctx_##NAME##_atomic_fetch_##OP(shmem_ctx_t ctx, TYPE *dest, TYPE value, int pe); \
	void shmem_##NAME##_atomic_##OP(TYPE *dest, TYPE value, int pe);                            \
	void shmem_ctx_##NAME##_atomic_##OP(shmem_ctx_t ctx, TYPE *dest, TYPE value, int pe);       \
	void shmem_##NAME##_atomic_fetch_##OP##_nbi(TYPE *fetch, TYPE *dest, TYPE value, int pe);   \
	void shmem_ctx_##NAME##_atomic_fetch_##OP##_nbi(shmem_ctx_t ctx, TYPE *fetch, TYPE *dest,   \
							TYPE value, int pe);
#define PFSHMEM_DECL_AMO_BIT(TYPE, NAME)                                                           \
	PFSHMEM_DECL_AMO_BIT1(TYPE, NAME, and)                                                      \
	PFSHMEM_DECL_AMO_BIT1(TYPE, NAME, or)                                                       \
	PFSHMEM_DECL_AMO_BIT1(TYPE, NAME, xor)
PFSHMEM_AMO_BIT_TYPES(PFSHMEM_DECL_AMO_BIT)
#undef PFSHMEM_DECL_AMO_BIT
#undef PFSHMEM_DECL_AMO_BIT1

/* Deprecated atomics still listed by 1.5: X(TYPE, TYPENAME) */
#define PFSHMEM_DEPR_AMO_STD_TYPES(X) X(int, int) X(long, long) X(long long, longlong)
#define PFSHMEM_DEPR_AMO_EXT_TYPES(X) PFSHMEM_DEPR_AMO_STD_TYPES(X) X(float, float) X(double, double)
#define PFSHMEM_DECL_DEPR_EXT(TYPE, NAME)                                                          \
	TYPE shmem_##NAME##_fetch(const TYPE *source, int pe);                                      \
	void shmem_##NAME##_set(TYPE *dest, TYPE value, int pe);                                    \
	TYPE shmem_##NAME##_swap(TYPE *dest, TYPE value, int pe);
#define PFSHMEM_DECL_DEPR_STD(TYPE, NAME)                                                          \
	TYPE shmem_##NAME##_cswap(TYPE *dest, TYPE cond, TYPE value, int pe);                       \
	TYPE shmem_##NAME##_finc(TYPE *dest, int pe);                                               \
	void shmem_##NAME##_inc(TYPE *dest, int pe);                                                \
	TYPE shmem_##NAME##_fadd(TYPE *dest, TYPE value, int pe);                                   \
	void shmem_##NAME##_add(TYPE *dest, TYPE value, int pe);
PFSHMEM_DEPR_AMO_EXT_TYPES(PFSHMEM_DECL_DEPR_EXT)
PFSHMEM_DEPR_AMO_STD_TYPES(PFSHMEM_DECL_DEPR_STD)
#undef PFSHMEM_DECL_DEPR_EXT
#undef PFSHMEM_DECL_DEPR_STD
/* The untyped swap of the first specifications (long) */
long shmem_swap(long *dest, long value, int pe);

/* ---- 9.10 point-to-point synchronisation --------------------------------------- */
#define PFSHMEM_DECL_P2P(TYPE, NAME)                                                               \
	void shmem_##NAME##_wait_until(TYPE *ivar, int cmp, TYPE cmp_value);                        \
	void shmem_##NAME##_wait_until_all(TYPE *ivars, size_t nelems, const int *status, int cmp,  \
					   TYPE cmp_value);                                           \
	size_t shmem_##NAME##_wait_until_any(TYPE *ivars, size_t nelems, const int *status, int cmp, \
					     TYPE cmp_value);                                         \
	size_t shmem_##NAME##_wait_until_some(TYPE *ivars, size_t nelems, size_t *indices,          \
					      const int *status, int cmp, TYPE cmp_value);            \
	void shmem_##NAME##_wait_until_all_vector(TYPE *ivars, size_t nelems, const int *status,    \
						  int cmp, TYPE *cmp_values);                         \
	size_t shmem_##NAME##_wait_until_any_vector(TYPE *ivars, size_t nelems, const int *status,  \
						    int cmp, TYPE *cmp_values);                       \
	size_t shmem_##NAME##_wait_until_some_vector(TYPE *ivars, size_t nelems, size_t *indices,   \
						     const int *status, int cmp, TYPE *cmp_values);   \
	int shmem_##NAME##_test(TYPE *ivar, int cmp, TYPE cmp_value);                               \
	int shmem_##NAME##_test_all(TYPE *ivars, size_t nelems, const int *status, int cmp,         \
				    TYPE cmp_value);                                                  \
	size_t shmem_##NAME##_test_any(TYPE *ivars, size_t nelems, const int *status, int cmp,      \
				       TYPE cmp_value);                                               \
	size_t shmem_##NAME##_test_some(TYPE *ivars, size_t nelems, size_t *indices,                \
					const int *status, int cmp, TYPE cmp_value);                  \
	int shmem_##NAME##_test_all_vector(TYPE *ivars, size_t nelems, const int *status, int cmp,  \
					   TYPE *cmp_values);                                         \
	size_t shmem_##NAME##_test_any_vector(TYPE *ivars, size_t nelems, const int *status,        \
					      int cmp, TYPE *cmp_values);                             \
	size_t shmem_##NAME##_test_some_vector(TYPE *ivars, size_t nelems, size_t *indices,         \
					       const int *status, int cmp, TYPE *cmp_values);         \
	void shmem_##NAME##_wait(TYPE *ivar, TYPE cmp_value); /* deprecated: until != cmp_value */
PFSHMEM_P2P_TYPES(PFSHMEM_DECL_P2P)
#undef PFSHMEM_DECL_P2P
/* Deprecated untyped forms (long) */
void shmem_wait(long *ivar, long cmp_value);
void shmem_wait_until(long *ivar, int cmp, long cmp_value);

#ifdef __cplusplus
}
#endif

/* ---- C11 generic interfaces --------------------------------------------------- */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__cplusplus)

/*
 * The types the generic interfaces tell apart: the fixed-width and size types
 * of the tables are typedefs of these.  X(TYPE, TYPENAME, ROUTINE)
 */
#define PFSHMEM_C11_RMA_TYPES(X, R)                                                                \
	X(float, float, R) X(double, double, R) X(long double, longdouble, R) X(char, char, R)      \
	X(signed char, schar, R) X(short, short, R) X(int, int, R) X(long, long, R)                 \
	X(long long, longlong, R) X(unsigned char, uchar, R) X(unsigned short, ushort, R)          \
	X(unsigned int, uint, R) X(unsigned long, ulong, R) X(unsigned long long, ulonglong, R)
#define PFSHMEM_C11_AMO_STD_TYPES(X, R)                                                            \
	X(int, int, R) X(long, long, R) X(long long, longlong, R) X(unsigned int, uint, R)          \
	X(unsigned long, ulong, R) X(unsigned long long, ulonglong, R)
#define PFSHMEM_C11_AMO_EXT_TYPES(X, R) PFSHMEM_C11_AMO_STD_TYPES(X, R) X(float, float, R) X(double, double, R)
#define PFSHMEM_C11_AMO_BIT_TYPES(X, R)                                                            \
	X(unsigned int, uint, R) X(unsigned long, ulong, R) X(unsigned long long, ulonglong, R)     \
	X(int32_t, int32, R) X(int64_t, int64, R)
#define PFSHMEM_C11_P2P_TYPES(X, R)                                                                \
	X(short, short, R) X(int, int, R) X(long, long, R) X(long long, longlong, R)                \
	X(unsigned short, ushort, R) X(unsigned int, uint, R) X(unsigned long, ulong, R)            \
	X(unsigned long long, ulonglong, R)
#define PFSHMEM_C11_DEPR_STD_TYPES(X, R) X(int, int, R) X(long, long, R) X(long long, longlong, R)
#define PFSHMEM_C11_DEPR_EXT_TYPES(X, R) PFSHMEM_C11_DEPR_STD_TYPES(X, R) X(float, float, R) X(double, double, R)

/* Associations: the plain routine, and its context form */
#define PFSHMEM_C11_A(TYPE, NAME, R) TYPE * : shmem_##NAME##_##R,
#define PFSHMEM_C11_CA(TYPE, NAME, R) TYPE * : shmem_ctx_##NAME##_##R,
/* ... also for a pointer to const (the source of g and atomic_fetch) */
#define PFSHMEM_C11_AC(TYPE, NAME, R) TYPE * : shmem_##NAME##_##R, const TYPE * : shmem_##NAME##_##R,
#define PFSHMEM_C11_CAC(TYPE, NAME, R)                                                             \
	TYPE * : shmem_ctx_##NAME##_##R, const TYPE * : shmem_ctx_##NAME##_##R,

/* The first and second arguments (for their types only: never evaluated) */
#define PFSHMEM_C11_ARG0(...) PFSHMEM_C11_ARG0_(__VA_ARGS__, 0)
#define PFSHMEM_C11_ARG0_(a, ...) a
#define PFSHMEM_C11_ARG1(...) PFSHMEM_C11_ARG1_(__VA_ARGS__, 0, 0)
#define PFSHMEM_C11_ARG1_(a, b, ...) b

/* An argument of a type that no routine takes: the call fails to compile here. */
void pfshmem_c11_unsupported_type(void);

/* Select by the first argument, or by the second after a context. */
#define PFSHMEM_C11_SEL(TYPES, A, CA, R, ...)                                                      \
	_Generic(PFSHMEM_C11_ARG0(__VA_ARGS__),                                                     \
		shmem_ctx_t: _Generic(PFSHMEM_C11_ARG1(__VA_ARGS__),                                \
			TYPES(CA, R) default: pfshmem_c11_unsupported_type),                        \
		TYPES(A, R) default: pfshmem_c11_unsupported_type)(__VA_ARGS__)
/* Routines without context forms */
#define PFSHMEM_C11_SEL_NOCTX(TYPES, R, ...)                                                       \
	_Generic(PFSHMEM_C11_ARG0(__VA_ARGS__),                                                     \
		TYPES(PFSHMEM_C11_A, R) default: pfshmem_c11_unsupported_type)(__VA_ARGS__)

#define PFSHMEM_C11_RMA(R, ...) PFSHMEM_C11_SEL(PFSHMEM_C11_RMA_TYPES, PFSHMEM_C11_A, PFSHMEM_C11_CA, R, __VA_ARGS__)
#define shmem_put(...) PFSHMEM_C11_RMA(put, __VA_ARGS__)
#define shmem_get(...) PFSHMEM_C11_RMA(get, __VA_ARGS__)
#define shmem_p(...) PFSHMEM_C11_RMA(p, __VA_ARGS__)
#define shmem_g(...) PFSHMEM_C11_SEL(PFSHMEM_C11_RMA_TYPES, PFSHMEM_C11_AC, PFSHMEM_C11_CAC, g, __VA_ARGS__)
#define shmem_iput(...) PFSHMEM_C11_RMA(iput, __VA_ARGS__)
#define shmem_iget(...) PFSHMEM_C11_RMA(iget, __VA_ARGS__)
#define shmem_put_nbi(...) PFSHMEM_C11_RMA(put_nbi, __VA_ARGS__)
#define shmem_get_nbi(...) PFSHMEM_C11_RMA(get_nbi, __VA_ARGS__)
#define shmem_put_signal(...) PFSHMEM_C11_RMA(put_signal, __VA_ARGS__)
#define shmem_put_signal_nbi(...) PFSHMEM_C11_RMA(put_signal_nbi, __VA_ARGS__)

#define PFSHMEM_C11_EXT(R, ...)                                                                    \
	PFSHMEM_C11_SEL(PFSHMEM_C11_AMO_EXT_TYPES, PFSHMEM_C11_A, PFSHMEM_C11_CA, R, __VA_ARGS__)
#define PFSHMEM_C11_STD(R, ...)                                                                    \
	PFSHMEM_C11_SEL(PFSHMEM_C11_AMO_STD_TYPES, PFSHMEM_C11_A, PFSHMEM_C11_CA, R, __VA_ARGS__)
#define PFSHMEM_C11_BIT(R, ...)                                                                    \
	PFSHMEM_C11_SEL(PFSHMEM_C11_AMO_BIT_TYPES, PFSHMEM_C11_A, PFSHMEM_C11_CA, R, __VA_ARGS__)
#define shmem_atomic_fetch(...)                                                                    \
	PFSHMEM_C11_SEL(PFSHMEM_C11_AMO_EXT_TYPES, PFSHMEM_C11_AC, PFSHMEM_C11_CAC, atomic_fetch, __VA_ARGS__)
#define shmem_atomic_set(...) PFSHMEM_C11_EXT(atomic_set, __VA_ARGS__)
#define shmem_atomic_swap(...) PFSHMEM_C11_EXT(atomic_swap, __VA_ARGS__)
#define shmem_atomic_fetch_nbi(...) PFSHMEM_C11_EXT(atomic_fetch_nbi, __VA_ARGS__)
#define shmem_atomic_swap_nbi(...) PFSHMEM_C11_EXT(atomic_swap_nbi, __VA_ARGS__)
#define shmem_atomic_compare_swap(...) PFSHMEM_C11_STD(atomic_compare_swap, __VA_ARGS__)
#define shmem_atomic_fetch_inc(...) PFSHMEM_C11_STD(atomic_fetch_inc, __VA_ARGS__)
#define shmem_atomic_inc(...) PFSHMEM_C11_STD(atomic_inc, __VA_ARGS__)
#define shmem_atomic_fetch_add(...) PFSHMEM_C11_STD(atomic_fetch_add, __VA_ARGS__)
#define shmem_atomic_add(...) PFSHMEM_C11_STD(atomic_add, __VA_ARGS__)
#define shmem_atomic_compare_swap_nbi(...) PFSHMEM_C11_STD(atomic_compare_swap_nbi, __VA_ARGS__)
#define shmem_atomic_fetch_inc_nbi(...) PFSHMEM_C11_STD(atomic_fetch_inc_nbi, __VA_ARGS__)
#define shmem_atomic_fetch_add_nbi(...) PFSHMEM_C11_STD(atomic_fetch_add_nbi, __VA_ARGS__)
#define shmem_atomic_fetch_and(...) PFSHMEM_C11_BIT(atomic_fetch_and, __VA_ARGS__)
#define shmem_atomic_and(...) PFSHMEM_C11_BIT(atomic_and, __VA_ARGS__)
#define shmem_atomic_fetch_or(...) PFSHMEM_C11_BIT(atomic_fetch_or, __VA_ARGS__)
#define shmem_atomic_or(...) PFSHMEM_C11_BIT(atomic_or, __VA_ARGS__)
#define shmem_atomic_fetch_xor(...) PFSHMEM_C11_BIT(atomic_fetch_xor, __VA_ARGS__)
#define shmem_atomic_xor(...) PFSHMEM_C11_BIT(atomic_xor, __VA_ARGS__)
#define shmem_atomic_fetch_and_nbi(...) PFSHMEM_C11_BIT(atomic_fetch_and_nbi, __VA_ARGS__)
#define shmem_atomic_fetch_or_nbi(...) PFSHMEM_C11_BIT(atomic_fetch_or_nbi, __VA_ARGS__)
#define shmem_atomic_fetch_xor_nbi(...) PFSHMEM_C11_BIT(atomic_fetch_xor_nbi, __VA_ARGS__)

#define PFSHMEM_C11_P2P(R, ...) PFSHMEM_C11_SEL_NOCTX(PFSHMEM_C11_P2P_TYPES, R, __VA_ARGS__)
#define shmem_wait_until(...) PFSHMEM_C11_P2P(wait_until, __VA_ARGS__)
#define shmem_wait_until_all(...) PFSHMEM_C11_P2P(wait_until_all, __VA_ARGS__)
#define shmem_wait_until_any(...) PFSHMEM_C11_P2P(wait_until_any, __VA_ARGS__)
#define shmem_wait_until_some(...) PFSHMEM_C11_P2P(wait_until_some, __VA_ARGS__)
#define shmem_wait_until_all_vector(...) PFSHMEM_C11_P2P(wait_until_all_vector, __VA_ARGS__)
#define shmem_wait_until_any_vector(...) PFSHMEM_C11_P2P(wait_until_any_vector, __VA_ARGS__)
#define shmem_wait_until_some_vector(...) PFSHMEM_C11_P2P(wait_until_some_vector, __VA_ARGS__)
#define shmem_test(...) PFSHMEM_C11_P2P(test, __VA_ARGS__)
#define shmem_test_all(...) PFSHMEM_C11_P2P(test_all, __VA_ARGS__)
#define shmem_test_any(...) PFSHMEM_C11_P2P(test_any, __VA_ARGS__)
#define shmem_test_some(...) PFSHMEM_C11_P2P(test_some, __VA_ARGS__)
#define shmem_test_all_vector(...) PFSHMEM_C11_P2P(test_all_vector, __VA_ARGS__)
#define shmem_test_any_vector(...) PFSHMEM_C11_P2P(test_any_vector, __VA_ARGS__)
#define shmem_test_some_vector(...) PFSHMEM_C11_P2P(test_some_vector, __VA_ARGS__)
#define shmem_wait(...) PFSHMEM_C11_P2P(wait, __VA_ARGS__)

/* Deprecated generic atomics still listed by 1.5 */
#define shmem_fetch(...)                                                                           \
	_Generic(PFSHMEM_C11_ARG0(__VA_ARGS__), PFSHMEM_C11_DEPR_EXT_TYPES(PFSHMEM_C11_AC, fetch)   \
		 default: pfshmem_c11_unsupported_type)(__VA_ARGS__)
#define shmem_set(...) PFSHMEM_C11_SEL_NOCTX(PFSHMEM_C11_DEPR_EXT_TYPES, set, __VA_ARGS__)
#define shmem_swap(...) PFSHMEM_C11_SEL_NOCTX(PFSHMEM_C11_DEPR_EXT_TYPES, swap, __VA_ARGS__)
#define shmem_cswap(...) PFSHMEM_C11_SEL_NOCTX(PFSHMEM_C11_DEPR_STD_TYPES, cswap, __VA_ARGS__)
#define shmem_finc(...) PFSHMEM_C11_SEL_NOCTX(PFSHMEM_C11_DEPR_STD_TYPES, finc, __VA_ARGS__)
#define shmem_inc(...) PFSHMEM_C11_SEL_NOCTX(PFSHMEM_C11_DEPR_STD_TYPES, inc, __VA_ARGS__)
#define shmem_fadd(...) PFSHMEM_C11_SEL_NOCTX(PFSHMEM_C11_DEPR_STD_TYPES, fadd, __VA_ARGS__)
#define shmem_add(...) PFSHMEM_C11_SEL_NOCTX(PFSHMEM_C11_DEPR_STD_TYPES, add, __VA_ARGS__)

#endif /* C11 */

#endif /* PFSHMEM_RMA_H */
