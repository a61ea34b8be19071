/*
 * pf_cpu_amo.h - podfab's atomics on local memory with the CPU's atomic
 * instructions.
 *
 * The shm transport runs every atomic this way; ofi and hybrid run the
 * requests they execute at the target, and atomics on the accelerator's own
 * memory, this way too, so that all of them are atomic with one another on
 * one word.  Orders: read-modify-writes acquire and release, SET releases,
 * FETCH acquires.
 */
#ifndef PF_CPU_AMO_H
#define PF_CPU_AMO_H

#include <stdint.h>
#include <string.h>

#include <podfab/podfab.h>

#define PF_CPU_AMO_FN(NAME, T)                                                                     \
	static inline T NAME(T *p, podfab_atomic_op_t op, T v, T c)                                \
	{                                                                                          \
		T old;                                                                             \
		switch (op) {                                                                      \
		case PODFAB_AOP_ADD:                                                               \
			return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL);                         \
		case PODFAB_AOP_AND:                                                               \
			return __atomic_fetch_and(p, v, __ATOMIC_ACQ_REL);                         \
		case PODFAB_AOP_OR:                                                                \
			return __atomic_fetch_or(p, v, __ATOMIC_ACQ_REL);                          \
		case PODFAB_AOP_XOR:                                                               \
			return __atomic_fetch_xor(p, v, __ATOMIC_ACQ_REL);                         \
		case PODFAB_AOP_MIN:                                                               \
			old = __atomic_load_n(p, __ATOMIC_RELAXED);                                 \
			while (v < old &&                                                          \
			       !__atomic_compare_exchange_n(p, &old, v, 1, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) \
				;                                                                  \
			return old;                                                                \
		case PODFAB_AOP_MAX:                                                               \
			old = __atomic_load_n(p, __ATOMIC_RELAXED);                                 \
			while (v > old &&                                                          \
			       !__atomic_compare_exchange_n(p, &old, v, 1, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) \
				;                                                                  \
			return old;                                                                \
		case PODFAB_AOP_SWAP:                                                              \
			return __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL);                        \
		case PODFAB_AOP_CSWAP:                                                             \
			old = c;                                                                   \
			__atomic_compare_exchange_n(p, &old, v, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE); \
			return old;                                                                \
		case PODFAB_AOP_SET:                                                               \
			__atomic_store_n(p, v, __ATOMIC_RELEASE);                                  \
			return 0;                                                                  \
		case PODFAB_AOP_FETCH:                                                             \
		default:                                                                           \
			return __atomic_load_n(p, __ATOMIC_ACQUIRE);                               \
		}                                                                                  \
	}

PF_CPU_AMO_FN(pf_cpu_amo_i32, int32_t)
PF_CPU_AMO_FN(pf_cpu_amo_u32, uint32_t)
PF_CPU_AMO_FN(pf_cpu_amo_i64, int64_t)
PF_CPU_AMO_FN(pf_cpu_amo_u64, uint64_t)
#undef PF_CPU_AMO_FN

/*
 * Run op on the word of `type` at p (aligned to its size); returns the old
 * value, the 32-bit types zero-extended (SET returns 0).
 */
static inline uint64_t pf_cpu_amo(void *p, podfab_atomic_op_t op, podfab_type_t type, uint64_t operand,
				  uint64_t compare)
{
	switch (type) {
	case PODFAB_INT32:
		return (uint32_t)pf_cpu_amo_i32(p, op, (int32_t)(uint32_t)operand, (int32_t)(uint32_t)compare);
	case PODFAB_UINT32:
		return pf_cpu_amo_u32(p, op, (uint32_t)operand, (uint32_t)compare);
	case PODFAB_INT64:
		return (uint64_t)pf_cpu_amo_i64(p, op, (int64_t)operand, (int64_t)compare);
	default:
		return pf_cpu_amo_u64(p, op, operand, compare);
	}
}

/* Store an old value from pf_cpu_amo in a result buffer of the type's size. */
static inline void pf_cpu_amo_result(void *result, podfab_type_t type, uint64_t old)
{
	if (type == PODFAB_INT32 || type == PODFAB_UINT32) {
		uint32_t v = (uint32_t)old;
		memcpy(result, &v, 4);
	} else {
		memcpy(result, &old, 8);
	}
}

#endif
