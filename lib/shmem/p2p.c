/*
 * p2p.c - point-to-point synchronisation (OpenSHMEM 1.5, section 9.10) and
 * the signal routines shmem_signal_fetch and shmem_signal_wait_until (9.6).
 *
 * 4- and 8-byte variables are tested with podfab_test_until and waited for
 * with podfab_wait_until (podfab's progress and model time follow the wait).
 * 2-byte variables (short, unsigned short) have no podfab type: they are
 * polled with an atomic load.  With SHMEM_THREAD_MULTIPLE a wait polls, so
 * that the lock around podfab calls is not held while it waits.
 */
#include <sched.h>

#include "ctx_internal.h"

/* How to read a variable: its size and signedness. */
struct kind {
	unsigned char size;
	unsigned char is_signed;
};

static inline int cmp_valid(int cmp)
{
	return cmp >= SHMEM_CMP_EQ && cmp <= SHMEM_CMP_LE;
}

static inline podfab_cmp_t pf_cmp(int cmp)
{
	static const podfab_cmp_t map[] = {PODFAB_CMP_EQ, PODFAB_CMP_NE, PODFAB_CMP_GT,
					   PODFAB_CMP_GE, PODFAB_CMP_LT, PODFAB_CMP_LE};
	return map[cmp];
}

static inline podfab_type_t pf_type(struct kind k)
{
	if (k.size == 4)
		return k.is_signed ? PODFAB_INT32 : PODFAB_UINT32;
	return k.is_signed ? PODFAB_INT64 : PODFAB_UINT64;
}

#define CMP(a, cmp, b)                                                                             \
	((cmp) == SHMEM_CMP_EQ   ? (a) == (b)                                                      \
	 : (cmp) == SHMEM_CMP_NE ? (a) != (b)                                                      \
	 : (cmp) == SHMEM_CMP_GT ? (a) > (b)                                                       \
	 : (cmp) == SHMEM_CMP_GE ? (a) >= (b)                                                      \
	 : (cmp) == SHMEM_CMP_LT ? (a) < (b)                                                       \
				 : (a) <= (b))

/* One look at a variable: 1 when `*addr cmp value` holds, else 0. */
static int test_one(const char *fn, const void *addr, struct kind k, int cmp, uint64_t value)
{
	if (k.size == 2) {
		uint16_t v = __atomic_load_n((const uint16_t *)addr, __ATOMIC_ACQUIRE);
		if (k.is_signed)
			return CMP((int16_t)v, cmp, (int16_t)(uint16_t)value);
		return CMP(v, cmp, (uint16_t)value);
	}
	pfs_lock();
	int rc = podfab_test_until(pfs.accel, addr, pf_type(k), pf_cmp(cmp), value);
	pfs_unlock();
	pfs_check(fn, rc);
	return rc;
}

static inline void pause_poll(void)
{
	sched_yield();
}

static void wait_one(const char *fn, const void *addr, struct kind k, int cmp, uint64_t value)
{
	if (k.size != 2 && !pfs.locking) {
		int rc = podfab_wait_until(pfs.accel, addr, pf_type(k), pf_cmp(cmp), value);
		pfs_check(fn, rc);
		return;
	}
	while (!test_one(fn, addr, k, cmp, value))
		pause_poll();
}

static void args(const char *fn, const void *ivars, size_t nelems, int cmp)
{
	PFS_NEED_INIT(fn);
	if (pfs_unlikely(!cmp_valid(cmp)))
		pfs_fail(fn, "comparison %d is not one of SHMEM_CMP_EQ..SHMEM_CMP_LE", cmp);
	if (pfs_unlikely(!ivars && nelems))
		pfs_fail(fn, "ivars is NULL with nelems %zu", nelems);
}

/* The comparison value of element i: the scalar, or values[i] of a vector form. */
static inline uint64_t value_at(const void *values, size_t i, struct kind k, uint64_t scalar)
{
	if (!values)
		return scalar;
	const char *p = (const char *)values + i * k.size;
	switch (k.size) {
	case 2: {
		uint16_t v;
		__builtin_memcpy(&v, p, 2);
		return k.is_signed ? (uint64_t)(int64_t)(int16_t)v : v;
	}
	case 4: {
		uint32_t v;
		__builtin_memcpy(&v, p, 4);
		return k.is_signed ? (uint64_t)(int64_t)(int32_t)v : v;
	}
	default: {
		uint64_t v;
		__builtin_memcpy(&v, p, 8);
		return v;
	}
	}
}

static inline int active(const int *status, size_t i)
{
	return !status || status[i] == 0;
}

struct set {
	const char *fn;
	const char *ivars;
	size_t nelems;
	const int *status;
	int cmp;
	struct kind k;
	const void *values; /* NULL: scalar */
	uint64_t scalar;
};

static inline int test_elem(const struct set *s, size_t i)
{
	return test_one(s->fn, s->ivars + i * s->k.size, s->k, s->cmp, value_at(s->values, i, s->k, s->scalar));
}

static int set_test_all(const struct set *s)
{
	for (size_t i = 0; i < s->nelems; i++)
		if (active(s->status, i) && !test_elem(s, i))
			return 0;
	return 1;
}

static size_t set_test_any(const struct set *s)
{
	for (size_t i = 0; i < s->nelems; i++)
		if (active(s->status, i) && test_elem(s, i))
			return i;
	return SIZE_MAX;
}

static size_t set_test_some(const struct set *s, size_t *indices)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nelems; i++)
		if (active(s->status, i) && test_elem(s, i)) {
			if (indices)
				indices[n] = i;
			n++;
		}
	return n;
}

static int set_empty(const struct set *s)
{
	for (size_t i = 0; i < s->nelems; i++)
		if (active(s->status, i))
			return 0;
	return 1;
}

static void set_wait_all(const struct set *s)
{
	for (size_t i = 0; i < s->nelems; i++)
		if (active(s->status, i))
			wait_one(s->fn, s->ivars + i * s->k.size, s->k, s->cmp, value_at(s->values, i, s->k, s->scalar));
}

static size_t set_wait_any(const struct set *s)
{
	if (set_empty(s))
		return SIZE_MAX;
	size_t r;
	while ((r = set_test_any(s)) == SIZE_MAX)
		pause_poll();
	return r;
}

static size_t set_wait_some(const struct set *s, size_t *indices)
{
	if (set_empty(s))
		return 0;
	size_t n;
	while ((n = set_test_some(s, indices)) == 0)
		pause_poll();
	return n;
}

#define IS_SIGNED(TYPE) ((TYPE)-1 < (TYPE)1)
#define KIND(TYPE) ((struct kind){sizeof(TYPE), IS_SIGNED(TYPE)})
#define VAL(TYPE, v) (IS_SIGNED(TYPE) ? (uint64_t)(int64_t)(v) : (uint64_t)(v))
#define SET(TYPE, VALUES, SCALAR)                                                                  \
	struct set s = {__func__, (const char *)ivars, nelems, status, cmp, KIND(TYPE), VALUES, SCALAR}; \
	args(__func__, ivars, nelems, cmp)

#define SIZE_OK(TYPE, NAME)                                                                        \
	_Static_assert(sizeof(TYPE) == 2 || sizeof(TYPE) == 4 || sizeof(TYPE) == 8,                \
		       "point-to-point type " #NAME " is not 2, 4 or 8 bytes");
PFSHMEM_P2P_TYPES(SIZE_OK)

#define DEF_P2P(TYPE, NAME)                                                                        \
	PFS_EXPORT void shmem_##NAME##_wait_until(TYPE *ivar, int cmp, TYPE cmp_value)             \
	{                                                                                          \
		args(__func__, ivar, 1, cmp);                                                      \
		wait_one(__func__, ivar, KIND(TYPE), cmp, VAL(TYPE, cmp_value));                   \
	}                                                                                          \
	PFS_EXPORT int shmem_##NAME##_test(TYPE *ivar, int cmp, TYPE cmp_value)                    \
	{                                                                                          \
		args(__func__, ivar, 1, cmp);                                                      \
		return test_one(__func__, ivar, KIND(TYPE), cmp, VAL(TYPE, cmp_value));            \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_wait(TYPE *ivar, TYPE cmp_value)                            \
	{                                                                                          \
		int cmp = SHMEM_CMP_NE;                                                            \
		args(__func__, ivar, 1, cmp);                                                      \
		wait_one(__func__, ivar, KIND(TYPE), cmp, VAL(TYPE, cmp_value));                   \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_wait_until_all(TYPE *ivars, size_t nelems, const int *status, \
						      int cmp, TYPE cmp_value)                      \
	{                                                                                          \
		SET(TYPE, NULL, VAL(TYPE, cmp_value));                                             \
		set_wait_all(&s);                                                                  \
	}                                                                                          \
	PFS_EXPORT size_t shmem_##NAME##_wait_until_any(TYPE *ivars, size_t nelems,                \
							const int *status, int cmp, TYPE cmp_value) \
	{                                                                                          \
		SET(TYPE, NULL, VAL(TYPE, cmp_value));                                             \
		return set_wait_any(&s);                                                           \
	}                                                                                          \
	PFS_EXPORT size_t shmem_##NAME##_wait_until_some(TYPE *ivars, size_t nelems, size_t *indices, \
							 const int *status, int cmp, TYPE cmp_value) \
	{                                                                                          \
		SET(TYPE, NULL, VAL(TYPE, cmp_value));                                             \
		return set_wait_some(&s, indices);                                                 \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_wait_until_all_vector(TYPE *ivars, size_t nelems,           \
							     const int *status, int cmp,           \
							     TYPE *cmp_values)                     \
	{                                                                                          \
		SET(TYPE, cmp_values, 0);                                                          \
		set_wait_all(&s);                                                                  \
	}                                                                                          \
	PFS_EXPORT size_t shmem_##NAME##_wait_until_any_vector(TYPE *ivars, size_t nelems,         \
							       const int *status, int cmp,         \
							       TYPE *cmp_values)                   \
	{                                                                                          \
		SET(TYPE, cmp_values, 0);                                                          \
		return set_wait_any(&s);                                                           \
	}                                                                                          \
	PFS_EXPORT size_t shmem_##NAME##_wait_until_some_vector(TYPE *ivars, size_t nelems,        \
								size_t *indices, const int *status, \
								int cmp, TYPE *cmp_values)         \
	{                                                                                          \
		SET(TYPE, cmp_values, 0);                                                          \
		return set_wait_some(&s, indices);                                                 \
	}                                                                                          \
	PFS_EXPORT int shmem_##NAME##_test_all(TYPE *ivars, size_t nelems, const int *status,      \
					       int cmp, TYPE cmp_value)                            \
	{                                                                                          \
		SET(TYPE, NULL, VAL(TYPE, cmp_value));                                             \
		return set_test_all(&s);                                                           \
	}                                                                                          \
	PFS_EXPORT size_t shmem_##NAME##_test_any(TYPE *ivars, size_t nelems, const int *status,   \
						  int cmp, TYPE cmp_value)                          \
	{                                                                                          \
		SET(TYPE, NULL, VAL(TYPE, cmp_value));                                             \
		return set_test_any(&s);                                                           \
	}                                                                                          \
	PFS_EXPORT size_t shmem_##NAME##_test_some(TYPE *ivars, size_t nelems, size_t *indices,    \
						   const int *status, int cmp, TYPE cmp_value)      \
	{                                                                                          \
		SET(TYPE, NULL, VAL(TYPE, cmp_value));                                             \
		return set_test_some(&s, indices);                                                 \
	}                                                                                          \
	PFS_EXPORT int shmem_##NAME##_test_all_vector(TYPE *ivars, size_t nelems, const int *status, \
						      int cmp, TYPE *cmp_values)                    \
	{                                                                                          \
		SET(TYPE, cmp_values, 0);                                                          \
		return set_test_all(&s);                                                           \
	}                                                                                          \
	PFS_EXPORT size_t shmem_##NAME##_test_any_vector(TYPE *ivars, size_t nelems,               \
							 const int *status, int cmp,               \
							 TYPE *cmp_values)                         \
	{                                                                                          \
		SET(TYPE, cmp_values, 0);                                                          \
		return set_test_any(&s);                                                           \
	}                                                                                          \
	PFS_EXPORT size_t shmem_##NAME##_test_some_vector(TYPE *ivars, size_t nelems,              \
							  size_t *indices, const int *status,      \
							  int cmp, TYPE *cmp_values)               \
	{                                                                                          \
		SET(TYPE, cmp_values, 0);                                                          \
		return set_test_some(&s, indices);                                                 \
	}
PFSHMEM_P2P_TYPES(DEF_P2P)

/* ---- deprecated untyped forms (long) ---------------------------------------------- */
PFS_EXPORT void(shmem_wait)(long *ivar, long cmp_value)
{
	shmem_long_wait(ivar, cmp_value);
}

PFS_EXPORT void(shmem_wait_until)(long *ivar, int cmp, long cmp_value)
{
	shmem_long_wait_until(ivar, cmp, cmp_value);
}

/* ---- 9.6 signals ------------------------------------------------------------------ */
static void sig_args(const char *fn, const uint64_t *sig_addr)
{
	PFS_NEED_INIT(fn);
	if (pfs_unlikely(!sig_addr))
		pfs_fail(fn, "sig_addr is NULL");
	if (pfs_unlikely((uintptr_t)sig_addr & 7))
		pfs_fail(fn, "sig_addr %p is not aligned to 8 bytes", (const void *)sig_addr);
}

PFS_EXPORT uint64_t shmem_signal_fetch(const uint64_t *sig_addr)
{
	sig_args("shmem_signal_fetch", sig_addr);
	pfs_lock();
	uint64_t v = podfab_signal_fetch(pfs.accel, sig_addr);
	pfs_unlock();
	return v;
}

PFS_EXPORT uint64_t shmem_signal_wait_until(uint64_t *sig_addr, int cmp, uint64_t cmp_value)
{
	static const char *fn = "shmem_signal_wait_until";
	sig_args(fn, sig_addr);
	if (pfs_unlikely(!cmp_valid(cmp)))
		pfs_fail(fn, "comparison %d is not one of SHMEM_CMP_EQ..SHMEM_CMP_LE", cmp);
	if (!pfs.locking) {
		uint64_t seen = 0;
		int rc = podfab_signal_wait_until(pfs.accel, sig_addr, pf_cmp(cmp), cmp_value, &seen);
		pfs_check(fn, rc);
		return seen;
	}
	for (;;) {
		uint64_t v = __atomic_load_n(sig_addr, __ATOMIC_ACQUIRE);
		if (CMP(v, cmp, cmp_value))
			return v;
		test_one(fn, sig_addr, (struct kind){8, 0}, cmp, cmp_value); /* podfab's progress */
		pause_poll();
	}
}
