/*
 * conform.h - the podfab conformance suite: shared declarations of pf-conform.
 *
 * Every case is a function `int case_xxx(podfab_t pf, const struct pfc *c)` that
 * every accelerator of the pod runs; it returns 0 when every check held and
 * non-zero at the first check that failed, after printing
 * "accel ID: FILE:LINE: check failed: EXPR".  Cases use the public API only, so
 * that the same suite runs unchanged on every transport.
 */
#ifndef PF_CONFORM_H
#define PF_CONFORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <podfab/podfab.h>

/* What the harness tells a case. */
struct pfc {
	int me;                /* the accelerator id the harness expects (launcher or thread index) */
	int n;                 /* the pod size the harness expects */
	int threads;           /* non-zero: all accelerators are threads of this one process */
	const char *transport; /* the transport asked for, or NULL for the default */
	double scale;          /* multiply iteration counts by this (smaller under valgrind) */
	int argc;              /* arguments after the case name */
	char **argv;
};

typedef int (*pfc_case_fn)(podfab_t pf, const struct pfc *c);

/* A check failed: report it (prefixed by the accelerator id) and return non-zero. */
void pfc_report(podfab_t pf, const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define CHECK(expr)                                                          \
	do {                                                                 \
		if (!(expr)) {                                               \
			pfc_report(pf, __FILE__, __LINE__, #expr, NULL);     \
			return 1;                                            \
		}                                                            \
	} while (0)

/* CHECK with a printf-style explanation appended (values seen, iteration). */
#define CHECKF(expr, ...)                                                    \
	do {                                                                 \
		if (!(expr)) {                                               \
			pfc_report(pf, __FILE__, __LINE__, #expr, __VA_ARGS__); \
			return 1;                                            \
		}                                                            \
	} while (0)

/* A call that must return 0; on failure the error name and detail are printed. */
#define CHECK_OK(call)                                                                  \
	do {                                                                            \
		int pfc_rc_ = (call);                                                   \
		if (pfc_rc_ != 0) {                                                     \
			pfc_report(pf, __FILE__, __LINE__, #call " == 0", "returned %d %s (%s)", \
				   pfc_rc_, podfab_errname(pfc_rc_), podfab_error_detail()); \
			return 1;                                                       \
		}                                                                       \
	} while (0)

/* A call that must fail with exactly -PODFAB_<code>. */
#define CHECK_ERR(call, code)                                                            \
	do {                                                                             \
		int pfc_rc_ = (call);                                                    \
		if (pfc_rc_ != -(code)) {                                                \
			pfc_report(pf, __FILE__, __LINE__, #call " == -" #code,          \
				   "returned %d %s, expected %s (detail: %s)", pfc_rc_,    \
				   podfab_errname(pfc_rc_), podfab_errname(code),          \
				   podfab_error_detail());                                 \
			return 1;                                                        \
		}                                                                        \
	} while (0)

/* Two unsigned 64-bit values must be equal. */
#define CHECK_EQ(a, b)                                                                  \
	do {                                                                            \
		uint64_t pfc_a_ = (uint64_t)(a), pfc_b_ = (uint64_t)(b);                \
		if (pfc_a_ != pfc_b_) {                                                 \
			pfc_report(pf, __FILE__, __LINE__, #a " == " #b,                \
				   "0x%llx != 0x%llx", (unsigned long long)pfc_a_,      \
				   (unsigned long long)pfc_b_);                         \
			return 1;                                                       \
		}                                                                       \
	} while (0)

/* Iteration count `base` scaled for this run, at least `min`. */
long pfc_iters(const struct pfc *c, long base, long min);

/* Whether the transport is the shared-memory one (some results are exact there). */
int pfc_is_shm(podfab_t pf);

/* A small deterministic generator (splitmix64). */
static inline uint64_t pfc_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint64_t pfc_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ull;
	uint64_t x = *state;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Fill `len` bytes with the pattern named by `tag`, starting at pattern position `pos`. */
void pfc_fill(void *buf, size_t len, uint64_t tag, size_t pos);
/* The first position (>= 0) where buf differs from the pattern, or -1 when it matches. */
long pfc_verify(const void *buf, size_t len, uint64_t tag, size_t pos);
/* The first non-zero byte of buf, or -1. */
long pfc_first_nonzero(const void *buf, size_t len);

/* Atomic load and store of local words shared with other accelerators. */
static inline uint64_t pfc_load64(const void *p)
{
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
}
static inline void pfc_store64(void *p, uint64_t v)
{
	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELEASE);
}

/* The reference model of podfab atomics: the new value of a target holding `old`. */
uint64_t pfc_amo_ref(podfab_atomic_op_t op, podfab_type_t type, uint64_t old, uint64_t operand,
		     uint64_t compare);
/* Keep the bits a value of `type` has (the low 32 for the 32-bit types). */
uint64_t pfc_type_mask(podfab_type_t type, uint64_t v);
/* Whether `v cmp value` holds for a value of `type` (as podfab_test_until compares). */
int pfc_cmp_ref(podfab_type_t type, podfab_cmp_t cmp, uint64_t v, uint64_t value);
size_t pfc_type_size(podfab_type_t type);
const char *pfc_op_name(podfab_atomic_op_t op);
const char *pfc_type_name(podfab_type_t type);
const char *pfc_cmp_name(podfab_cmp_t cmp);

/* The cases (see pf-conform.c for the table). */
#define PFC_POD_CASES(X)                                                                        \
	X(init, "attach: ids, sizes, timing mode, transport, versions, handle checks")          \
	X(seg, "symmetric segments: sizes, zeroing, alignment, several live, alloc/free cycles") \
	X(export, "mem_export/mem_import/seg_owner: put/get on imported memory, atomics rule")   \
	X(rma, "blocking put/get of 1 B .. 1 MiB at odd offsets, to self and every peer")        \
	X(alltoall, "all-to-all exchange by put and by get, verified")                           \
	X(ring, "a token passed around the ring with put, fence and flag")                        \
	X(nb, "put_nb/get_nb, test, wait, wait_all, NULL requests and quiet, EAGAIN, EBUSY")     \
	X(atomics, "every atomic op on every type, fetching/non-fetching/nb, exact results")     \
	X(atomic_concurrent, "fetch-adds and other atomics from all accelerators at once")       \
	X(lock, "a CSWAP lock giving mutual exclusion around a get-modify-put")                  \
	X(signal, "put_signal (SET/ADD, blocking/nb), signal_fetch, signal_wait_until")          \
	X(wait, "wait_until/test_until on all types and comparisons")                            \
	X(fence, "put(data); fence; put(flag): the flag never overtakes the data")               \
	X(quiet, "after quiet a third accelerator sees the data")                                \
	X(barrier, "values written before a barrier are visible after it, many barriers")        \
	X(ptr, "podfab_ptr: direct loads/stores and their agreement with put/get/atomics")      \
	X(counters, "counters count a known sequence exactly; names, descriptions, reset")       \
	X(errors, "argument errors return the documented code and touch nothing")               \
	X(stress, "randomized mixed operations checked against a model")

#define PFC_LOCAL_CASES(X)                                                           \
	X(strings, "error names and messages, counter names, versions, transports")  \
	X(init_errors, "podfab_init argument, environment, version and timeout errors")

#define PFC_DECLARE(name, desc) int case_##name(podfab_t pf, const struct pfc *c);
PFC_POD_CASES(PFC_DECLARE)
PFC_LOCAL_CASES(PFC_DECLARE)
#undef PFC_DECLARE

#endif /* PF_CONFORM_H */
