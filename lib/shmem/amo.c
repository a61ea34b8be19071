/*
 * amo.c - atomic memory operations (OpenSHMEM 1.5, section 9.7), blocking
 * and non-blocking fetching forms, each with its context form, and the
 * deprecated names that 1.5 still lists.
 *
 * Every AMO type is 4 or 8 bytes (checked at compile time) and runs as
 * podfab's UINT32 or UINT64 atomic on the value's bit pattern: two's
 * complement makes add the same for signed types, and float and double
 * fetch, set and swap move their bits.
 */
#include <string.h>

#include "ctx_internal.h"
#include "pf_cpu_amo.h" /* through a direct pointer: the atomics podfab's shm transport uses */

#define SIZE_OK(TYPE, NAME)                                                                        \
	_Static_assert(sizeof(TYPE) == 4 || sizeof(TYPE) == 8, "AMO type " #NAME " is not 4 or 8 bytes");
PFSHMEM_AMO_EXT_TYPES(SIZE_OK)

/* The bit pattern of a 4- or 8-byte value. */
static inline uint64_t bits(const void *v, size_t size)
{
	if (size == 4) {
		uint32_t u;
		memcpy(&u, v, 4);
		return u;
	}
	uint64_t u;
	memcpy(&u, v, 8);
	return u;
}

/*
 * One atomic on (pe, dest): result (local, size bytes) receives the old value
 * when non-NULL; nbi: the result is there after shmem_quiet.
 */
static inline __attribute__((always_inline)) void amo(const char *fn, shmem_ctx_t ctx, const void *dest,
							size_t size, int pe, podfab_atomic_op_t op,
							uint64_t operand, uint64_t compare, void *result,
							int nbi)
{
	PFS_NEED_INIT(fn);
	pfs_ctx_check(fn, ctx);
	pe = pfs_ctx_pe(fn, ctx, pe);
	if (pfs_unlikely(!dest))
		pfs_fail(fn, "dest is NULL");
	if (pfs_unlikely(nbi && !result))
		pfs_fail(fn, "fetch is NULL");
	if (pfs_unlikely((uintptr_t)dest & (size - 1)))
		pfs_fail(fn, "dest %p is not aligned to %zu bytes", dest, size);
	podfab_seg_t seg;
	size_t off;
	pfs_xlate_or_fail(fn, "dest", dest, size, &seg, &off);
	char *d = pfs.direct_amo ? pfs_direct(seg, off, pe) : NULL;
	if (d) {
		uint64_t old = size == 4 ? pf_cpu_amo_u32((uint32_t *)(void *)d, op, (uint32_t)operand, (uint32_t)compare)
					 : pf_cpu_amo_u64((uint64_t *)(void *)d, op, operand, compare);
		if (result)
			memcpy(result, &old, size); /* little-endian: the low bytes */
		return;
	}
	podfab_type_t t = size == 4 ? PODFAB_UINT32 : PODFAB_UINT64;
	int rc;
	pfs_lock();
	if (nbi)
		PFS_NB(rc, podfab_atomic_nb(pfs.accel, pe, seg, off, op, t, operand, compare, result, NULL));
	else
		rc = podfab_atomic(pfs.accel, pe, seg, off, op, t, operand, compare, result);
	pfs_unlock();
	pfs_check(fn, rc);
}

#define CTX (&pfs_default_ctx)
#define B(v) bits(&(v), sizeof(v))

/* A routine and its context form: RET NAME(PARAMS) { BODY } with ctx in scope. */
#define BOTH(RET, NAME, PARAMS, BODY)                                                              \
	PFS_EXPORT RET shmem_ctx_##NAME(shmem_ctx_t ctx, PARAMS)                                    \
	{                                                                                          \
		BODY                                                                               \
	}                                                                                          \
	PFS_EXPORT RET shmem_##NAME(PARAMS)                                                        \
	{                                                                                          \
		shmem_ctx_t ctx = CTX;                                                             \
		BODY                                                                               \
	}
#define P(...) __VA_ARGS__

/* Fetching: TYPE r; amo(...); return r */
#define FETCHING(TYPE, OP, OPERAND, COMPARE)                                                       \
	TYPE r;                                                                                    \
	memset(&r, 0, sizeof r);                                                                   \
	amo(__func__, ctx, dest, sizeof(TYPE), pe, OP, OPERAND, COMPARE, &r, 0);                   \
	return r;
#define NONFETCHING(TYPE, OP, OPERAND) amo(__func__, ctx, dest, sizeof(TYPE), pe, OP, OPERAND, 0, NULL, 0);
#define NBI(TYPE, OP, OPERAND, COMPARE) amo(__func__, ctx, dest, sizeof(TYPE), pe, OP, OPERAND, COMPARE, fetch, 1);

#define DEF_EXT(TYPE, NAME)                                                                        \
	PFS_EXPORT TYPE shmem_ctx_##NAME##_atomic_fetch(shmem_ctx_t ctx, const TYPE *source, int pe) \
	{                                                                                          \
		const TYPE *dest = source;                                                         \
		FETCHING(TYPE, PODFAB_AOP_FETCH, 0, 0)                                             \
	}                                                                                          \
	PFS_EXPORT TYPE shmem_##NAME##_atomic_fetch(const TYPE *source, int pe)                    \
	{                                                                                          \
		shmem_ctx_t ctx = CTX;                                                             \
		const TYPE *dest = source;                                                         \
		FETCHING(TYPE, PODFAB_AOP_FETCH, 0, 0)                                             \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME##_atomic_fetch_nbi(shmem_ctx_t ctx, TYPE *fetch,          \
							    const TYPE *source, int pe)            \
	{                                                                                          \
		const TYPE *dest = source;                                                         \
		NBI(TYPE, PODFAB_AOP_FETCH, 0, 0)                                                  \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_atomic_fetch_nbi(TYPE *fetch, const TYPE *source, int pe)   \
	{                                                                                          \
		shmem_ctx_t ctx = CTX;                                                             \
		const TYPE *dest = source;                                                         \
		NBI(TYPE, PODFAB_AOP_FETCH, 0, 0)                                                  \
	}                                                                                          \
	BOTH(void, NAME##_atomic_set, P(TYPE *dest, TYPE value, int pe),                           \
	     NONFETCHING(TYPE, PODFAB_AOP_SET, B(value)))                                          \
	BOTH(TYPE, NAME##_atomic_swap, P(TYPE *dest, TYPE value, int pe),                          \
	     FETCHING(TYPE, PODFAB_AOP_SWAP, B(value), 0))                                         \
	BOTH(void, NAME##_atomic_swap_nbi, P(TYPE *fetch, TYPE *dest, TYPE value, int pe),         \
	     NBI(TYPE, PODFAB_AOP_SWAP, B(value), 0))
PFSHMEM_AMO_EXT_TYPES(DEF_EXT)

#define DEF_STD(TYPE, NAME)                                                                        \
	BOTH(TYPE, NAME##_atomic_compare_swap, P(TYPE *dest, TYPE cond, TYPE value, int pe),      \
	     FETCHING(TYPE, PODFAB_AOP_CSWAP, B(value), B(cond)))                                  \
	BOTH(TYPE, NAME##_atomic_fetch_inc, P(TYPE *dest, int pe), FETCHING(TYPE, PODFAB_AOP_ADD, 1, 0)) \
	BOTH(void, NAME##_atomic_inc, P(TYPE *dest, int pe), NONFETCHING(TYPE, PODFAB_AOP_ADD, 1))  \
	BOTH(TYPE, NAME##_atomic_fetch_add, P(TYPE *dest, TYPE value, int pe),                     \
	     FETCHING(TYPE, PODFAB_AOP_ADD, B(value), 0))                                          \
	BOTH(void, NAME##_atomic_add, P(TYPE *dest, TYPE value, int pe),                           \
	     NONFETCHING(TYPE, PODFAB_AOP_ADD, B(value)))                                          \
	BOTH(void, NAME##_atomic_compare_swap_nbi, P(TYPE *fetch, TYPE *dest, TYPE cond, TYPE value, int pe), \
	     NBI(TYPE, PODFAB_AOP_CSWAP, B(value), B(cond)))                                       \
	BOTH(void, NAME##_atomic_fetch_inc_nbi, P(TYPE *fetch, TYPE *dest, int pe),                \
	     NBI(TYPE, PODFAB_AOP_ADD, 1, 0))                                                      \
	BOTH(void, NAME##_atomic_fetch_add_nbi, P(TYPE *fetch, TYPE *dest, TYPE value, int pe),    \
	     NBI(TYPE, PODFAB_AOP_ADD, B(value), 0))
PFSHMEM_AMO_STD_TYPES(DEF_STD)

#define DEF_BIT1(TYPE, NAME, OP, AOP)                                                              \
	BOTH(TYPE, NAME##_atomic_fetch_##OP, P(TYPE *dest, TYPE value, int pe),                    \
	     FETCHING(TYPE, AOP, B(value), 0))                                                     \
	BOTH(void, NAME##_atomic_##OP, P(TYPE *dest, TYPE value, int pe), NONFETCHING(TYPE, AOP, B(value))) \
	BOTH(void, NAME##_atomic_fetch_##OP##_nbi, P(TYPE *fetch, TYPE *dest, TYPE value, int pe), \
	     NBI(TYPE, AOP, B(value), 0))
#define DEF_BIT(TYPE, NAME)                                                                        \
	DEF_BIT1(TYPE, NAME, and, PODFAB_AOP_AND)                                                   \
	DEF_BIT1(TYPE, NAME, or, PODFAB_AOP_OR)                                                     \
	DEF_BIT1(TYPE, NAME, xor, PODFAB_AOP_XOR)
PFSHMEM_AMO_BIT_TYPES(DEF_BIT)

/* ---- deprecated names still listed by 1.5 ------------------------------------------ */
#define DEF_DEPR_EXT(TYPE, NAME)                                                                   \
	PFS_EXPORT TYPE shmem_##NAME##_fetch(const TYPE *source, int pe)                           \
	{                                                                                          \
		return shmem_##NAME##_atomic_fetch(source, pe);                                    \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_set(TYPE *dest, TYPE value, int pe)                         \
	{                                                                                          \
		shmem_##NAME##_atomic_set(dest, value, pe);                                        \
	}                                                                                          \
	PFS_EXPORT TYPE shmem_##NAME##_swap(TYPE *dest, TYPE value, int pe)                        \
	{                                                                                          \
		return shmem_##NAME##_atomic_swap(dest, value, pe);                                \
	}
#define DEF_DEPR_STD(TYPE, NAME)                                                                   \
	PFS_EXPORT TYPE shmem_##NAME##_cswap(TYPE *dest, TYPE cond, TYPE value, int pe)            \
	{                                                                                          \
		return shmem_##NAME##_atomic_compare_swap(dest, cond, value, pe);                  \
	}                                                                                          \
	PFS_EXPORT TYPE shmem_##NAME##_finc(TYPE *dest, int pe)                                    \
	{                                                                                          \
		return shmem_##NAME##_atomic_fetch_inc(dest, pe);                                  \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_inc(TYPE *dest, int pe)                                     \
	{                                                                                          \
		shmem_##NAME##_atomic_inc(dest, pe);                                               \
	}                                                                                          \
	PFS_EXPORT TYPE shmem_##NAME##_fadd(TYPE *dest, TYPE value, int pe)                        \
	{                                                                                          \
		return shmem_##NAME##_atomic_fetch_add(dest, value, pe);                           \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_add(TYPE *dest, TYPE value, int pe)                         \
	{                                                                                          \
		shmem_##NAME##_atomic_add(dest, value, pe);                                        \
	}
PFSHMEM_DEPR_AMO_EXT_TYPES(DEF_DEPR_EXT)
PFSHMEM_DEPR_AMO_STD_TYPES(DEF_DEPR_STD)

PFS_EXPORT long(shmem_swap)(long *dest, long value, int pe)
{
	return shmem_long_atomic_swap(dest, value, pe);
}
