/*
 * pfshmem_types.h - OpenSHMEM 1.5 constants, handle types and the type tables
 * that the declarations of the typed interfaces are generated from
 * (libpodfab-shmem; included by shmem.h).
 */
#ifndef PFSHMEM_TYPES_H
#define PFSHMEM_TYPES_H

#include <stddef.h>
#include <stdint.h>

#define SHMEM_MAJOR_VERSION 1
#define SHMEM_MINOR_VERSION 5
#define _SHMEM_MAJOR_VERSION SHMEM_MAJOR_VERSION
#define _SHMEM_MINOR_VERSION SHMEM_MINOR_VERSION
#define SHMEM_MAX_NAME_LEN 256
#define _SHMEM_MAX_NAME_LEN SHMEM_MAX_NAME_LEN
#define SHMEM_VENDOR_STRING "podfab OpenSHMEM (libpodfab-shmem)"
#define _SHMEM_VENDOR_STRING SHMEM_VENDOR_STRING

/* Thread levels */
enum {
	SHMEM_THREAD_SINGLE = 0,
	SHMEM_THREAD_FUNNELED = 1,
	SHMEM_THREAD_SERIALIZED = 2,
	SHMEM_THREAD_MULTIPLE = 3
};

/* Comparisons of the point-to-point synchronisation routines */
enum {
	SHMEM_CMP_EQ = 0,
	SHMEM_CMP_NE = 1,
	SHMEM_CMP_GT = 2,
	SHMEM_CMP_GE = 3,
	SHMEM_CMP_LT = 4,
	SHMEM_CMP_LE = 5
};
#define _SHMEM_CMP_EQ SHMEM_CMP_EQ
#define _SHMEM_CMP_NE SHMEM_CMP_NE
#define _SHMEM_CMP_GT SHMEM_CMP_GT
#define _SHMEM_CMP_GE SHMEM_CMP_GE
#define _SHMEM_CMP_LT SHMEM_CMP_LT
#define _SHMEM_CMP_LE SHMEM_CMP_LE

/* Signal operations */
#define SHMEM_SIGNAL_SET 0
#define SHMEM_SIGNAL_ADD 1

/* Context options */
#define SHMEM_CTX_PRIVATE 0x1L
#define SHMEM_CTX_SERIALIZED 0x2L
#define SHMEM_CTX_NOSTORE 0x4L

/* Memory hints */
#define SHMEM_MALLOC_ATOMICS_REMOTE 0x1L
#define SHMEM_MALLOC_SIGNAL_REMOTE 0x2L

/* Synchronisation arrays of the deprecated active-set collectives */
#define SHMEM_SYNC_VALUE (-1L)
#define SHMEM_SYNC_SIZE 64
#define SHMEM_BCAST_SYNC_SIZE SHMEM_SYNC_SIZE
#define SHMEM_BARRIER_SYNC_SIZE SHMEM_SYNC_SIZE
#define SHMEM_REDUCE_SYNC_SIZE SHMEM_SYNC_SIZE
#define SHMEM_COLLECT_SYNC_SIZE SHMEM_SYNC_SIZE
#define SHMEM_ALLTOALL_SYNC_SIZE SHMEM_SYNC_SIZE
#define SHMEM_ALLTOALLS_SYNC_SIZE SHMEM_SYNC_SIZE
#define SHMEM_REDUCE_MIN_WRKDATA_SIZE 1
#define _SHMEM_SYNC_VALUE SHMEM_SYNC_VALUE
#define _SHMEM_SYNC_SIZE SHMEM_SYNC_SIZE
#define _SHMEM_BCAST_SYNC_SIZE SHMEM_BCAST_SYNC_SIZE
#define _SHMEM_BARRIER_SYNC_SIZE SHMEM_BARRIER_SYNC_SIZE
#define _SHMEM_REDUCE_SYNC_SIZE SHMEM_REDUCE_SYNC_SIZE
#define _SHMEM_COLLECT_SYNC_SIZE SHMEM_COLLECT_SYNC_SIZE
#define _SHMEM_ALLTOALL_SYNC_SIZE SHMEM_ALLTOALL_SYNC_SIZE
#define _SHMEM_ALLTOALLS_SYNC_SIZE SHMEM_ALLTOALLS_SYNC_SIZE
#define _SHMEM_REDUCE_MIN_WRKDATA_SIZE SHMEM_REDUCE_MIN_WRKDATA_SIZE

/* Handles */
typedef struct pfshmem_ctx *shmem_ctx_t;
typedef struct pfshmem_team *shmem_team_t;

typedef struct {
	int num_contexts;
} shmem_team_config_t;
#define SHMEM_TEAM_NUM_CONTEXTS (1L << 0)

extern shmem_ctx_t const SHMEM_CTX_DEFAULT;
#define SHMEM_CTX_INVALID ((shmem_ctx_t)NULL)
extern shmem_team_t const SHMEM_TEAM_WORLD;
extern shmem_team_t const SHMEM_TEAM_SHARED;
#define SHMEM_TEAM_INVALID ((shmem_team_t)NULL)

/*
 * Type tables (OpenSHMEM 1.5, tables 5-9 of sections 9.5-9.10): X(TYPE, TYPENAME).
 */
/* Standard RMA types (put, get, p, g, iput, iget, *_nbi, put_signal, broadcast, collect, alltoall) */
#define PFSHMEM_RMA_TYPES(X)                                                                       \
	X(float, float) X(double, double) X(long double, longdouble) X(char, char)                  \
	X(signed char, schar) X(short, short) X(int, int) X(long, long) X(long long, longlong)      \
	X(unsigned char, uchar) X(unsigned short, ushort) X(unsigned int, uint)                     \
	X(unsigned long, ulong) X(unsigned long long, ulonglong) X(int8_t, int8)                    \
	X(int16_t, int16) X(int32_t, int32) X(int64_t, int64) X(uint8_t, uint8)                     \
	X(uint16_t, uint16) X(uint32_t, uint32) X(uint64_t, uint64) X(size_t, size)                 \
	X(ptrdiff_t, ptrdiff)
/* Sizes of the sized RMA routines (putmem aside): X(BITS) */
#define PFSHMEM_SIZES(X) X(8) X(16) X(32) X(64) X(128)
/* Standard AMO types (fetch_inc, inc, fetch_add, add, compare_swap + the extended ones) */
#define PFSHMEM_AMO_STD_TYPES(X)                                                                   \
	X(int, int) X(long, long) X(long long, longlong) X(unsigned int, uint)                      \
	X(unsigned long, ulong) X(unsigned long long, ulonglong) X(int32_t, int32)                  \
	X(int64_t, int64) X(uint32_t, uint32) X(uint64_t, uint64) X(size_t, size)                   \
	X(ptrdiff_t, ptrdiff)
/* Extended AMO types (fetch, set, swap): the standard ones and float, double */
#define PFSHMEM_AMO_EXT_TYPES(X) PFSHMEM_AMO_STD_TYPES(X) X(float, float) X(double, double)
/* Bitwise AMO types (and, or, xor and their fetching forms) */
#define PFSHMEM_AMO_BIT_TYPES(X)                                                                   \
	X(unsigned int, uint) X(unsigned long, ulong) X(unsigned long long, ulonglong)              \
	X(int32_t, int32) X(int64_t, int64) X(uint32_t, uint32) X(uint64_t, uint64)
/* Point-to-point synchronisation types (wait_until, test, and their _all/_any/_some/vector forms) */
#define PFSHMEM_P2P_TYPES(X)                                                                       \
	X(short, short) X(int, int) X(long, long) X(long long, longlong) X(unsigned short, ushort)  \
	X(unsigned int, uint) X(unsigned long, ulong) X(unsigned long long, ulonglong)              \
	X(int32_t, int32) X(int64_t, int64) X(uint32_t, uint32) X(uint64_t, uint64)                 \
	X(size_t, size) X(ptrdiff_t, ptrdiff)
/* Reduction types: bitwise (and, or, xor), min/max, arithmetic (sum, prod) */
#define PFSHMEM_REDUCE_BIT_TYPES(X)                                                                \
	X(unsigned char, uchar) X(unsigned short, ushort) X(unsigned int, uint)                     \
	X(unsigned long, ulong) X(unsigned long long, ulonglong) X(int8_t, int8)                    \
	X(int16_t, int16) X(int32_t, int32) X(int64_t, int64) X(uint8_t, uint8)                     \
	X(uint16_t, uint16) X(uint32_t, uint32) X(uint64_t, uint64) X(size_t, size)
#define PFSHMEM_REDUCE_MINMAX_TYPES(X)                                                             \
	X(char, char) X(signed char, schar) X(short, short) X(int, int) X(long, long)               \
	X(long long, longlong) X(ptrdiff_t, ptrdiff) X(unsigned char, uchar)                        \
	X(unsigned short, ushort) X(unsigned int, uint) X(unsigned long, ulong)                     \
	X(unsigned long long, ulonglong) X(int8_t, int8) X(int16_t, int16) X(int32_t, int32)        \
	X(int64_t, int64) X(uint8_t, uint8) X(uint16_t, uint16) X(uint32_t, uint32)                 \
	X(uint64_t, uint64) X(size_t, size) X(float, float) X(double, double)                       \
	X(long double, longdouble)
#define PFSHMEM_REDUCE_ARITH_TYPES(X)                                                              \
	PFSHMEM_REDUCE_MINMAX_TYPES(X) X(double _Complex, complexd) X(float _Complex, complexf)

#endif /* PFSHMEM_TYPES_H */
