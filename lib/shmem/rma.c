/*
 * rma.c - remote memory access (OpenSHMEM 1.5, section 9.5) and put with
 * signal (9.6): typed, sized and byte forms, each with its context form,
 * all generated from the type tables.
 *
 * put: podfab_put (returns when the source may be reused); get: podfab_get
 * (returns with the data); _nbi: podfab_put_nb/get_nb without a request,
 * completed by shmem_quiet; iput/iget: one non-blocking request per element,
 * waited for in batches.
 */
#include <string.h>

#include "ctx_internal.h"

/* Requests of a strided transfer in flight at once (on the stack). */
#define STRIDE_BATCH 64

/* Check the common arguments; returns the world number of pe. */
static inline int rma_args(const char *fn, shmem_ctx_t ctx, int pe)
{
	PFS_NEED_INIT(fn);
	pfs_ctx_check(fn, ctx);
	return pfs_ctx_pe(fn, ctx, pe);
}

static inline void need_ptrs(const char *fn, const void *dest, const void *src, size_t nelems)
{
	if (pfs_unlikely(!dest || !src))
		pfs_fail(fn, "%s is NULL with nelems %zu", dest ? "source" : "dest", nelems);
}

/*
 * put_bytes and get_bytes are inlined into each routine, where size and nbi
 * are constants: the fast path is a few compares before podfab's call.
 */
/*
 * Direct copies: a naturally aligned 4- or 8-byte element is one release
 * store (or acquire load), as in podfab's shm transport, so that "put the
 * data, then a flag" orders the same way through either path.
 */
static inline void pfs_store(char *d, const void *src, size_t len)
{
	if (len == 8 && !((uintptr_t)d & 7)) {
		uint64_t v;
		memcpy(&v, src, 8);
		__atomic_store_n((uint64_t *)(void *)d, v, __ATOMIC_RELEASE);
	} else if (len == 4 && !((uintptr_t)d & 3)) {
		uint32_t v;
		memcpy(&v, src, 4);
		__atomic_store_n((uint32_t *)(void *)d, v, __ATOMIC_RELEASE);
	} else {
		memcpy(d, src, len);
	}
}

static inline void pfs_load(void *dest, const char *s, size_t len)
{
	if (len == 8 && !((uintptr_t)s & 7)) {
		uint64_t v = __atomic_load_n((const uint64_t *)(const void *)s, __ATOMIC_ACQUIRE);
		memcpy(dest, &v, 8);
	} else if (len == 4 && !((uintptr_t)s & 3)) {
		uint32_t v = __atomic_load_n((const uint32_t *)(const void *)s, __ATOMIC_ACQUIRE);
		memcpy(dest, &v, 4);
	} else {
		memcpy(dest, s, len);
	}
}

static inline __attribute__((always_inline)) void put_bytes(const char *fn, shmem_ctx_t ctx, void *dest,
							    const void *src, size_t nelems, size_t size,
							    int pe, int nbi)
{
	pe = rma_args(fn, ctx, pe);
	if (!nelems)
		return;
	need_ptrs(fn, dest, src, nelems);
	size_t len;
	if (pfs_unlikely(__builtin_mul_overflow(nelems, size, &len)))
		pfs_fail(fn, "nelems %zu overflows", nelems);
	podfab_seg_t seg;
	size_t off;
	pfs_xlate_or_fail(fn, "dest", dest, len, &seg, &off);
	char *d = pfs_direct(seg, off, pe);
	if (d) {
		pfs_store(d, src, len);
		return;
	}
	int rc;
	pfs_lock();
	if (nbi)
		PFS_NB(rc, podfab_put_nb(pfs.accel, pe, seg, off, src, len, NULL));
	else
		rc = podfab_put(pfs.accel, pe, seg, off, src, len);
	pfs_unlock();
	pfs_check(fn, rc);
}

static inline __attribute__((always_inline)) void get_bytes(const char *fn, shmem_ctx_t ctx, void *dest,
							    const void *src, size_t nelems, size_t size,
							    int pe, int nbi)
{
	pe = rma_args(fn, ctx, pe);
	if (!nelems)
		return;
	need_ptrs(fn, dest, src, nelems);
	size_t len;
	if (pfs_unlikely(__builtin_mul_overflow(nelems, size, &len)))
		pfs_fail(fn, "nelems %zu overflows", nelems);
	podfab_seg_t seg;
	size_t off;
	pfs_xlate_or_fail(fn, "source", src, len, &seg, &off);
	const char *d = pfs_direct(seg, off, pe);
	if (d) {
		pfs_load(dest, d, len);
		return;
	}
	int rc;
	pfs_lock();
	if (nbi)
		PFS_NB(rc, podfab_get_nb(pfs.accel, dest, pe, seg, off, len, NULL));
	else
		rc = podfab_get(pfs.accel, dest, pe, seg, off, len);
	pfs_unlock();
	pfs_check(fn, rc);
}

static void wait_batch(const char *fn, podfab_req_t *reqs, size_t *n)
{
	if (!*n)
		return;
	pfs_lock();
	int rc = podfab_wait_all(pfs.accel, reqs, *n);
	pfs_unlock();
	pfs_check(fn, rc);
	*n = 0;
}

/*
 * Strided transfer of nelems elements of size bytes: element i goes between
 * remote + i * rstride and local + i * lstride (strides in elements).
 */
static void strided(const char *fn, shmem_ctx_t ctx, int is_put, void *dest, const void *src,
		    ptrdiff_t dst, ptrdiff_t sst, size_t nelems, size_t size, int pe)
{
	int wpe = rma_args(fn, ctx, pe); /* pe in the world's numbering */
	if (!nelems)
		return;
	need_ptrs(fn, dest, src, nelems);
	if (dst == 1 && sst == 1) {
		(is_put ? put_bytes : get_bytes)(fn, ctx, dest, src, nelems, size, pe, 0);
		return;
	}
	pe = wpe;
	podfab_req_t reqs[STRIDE_BATCH];
	size_t n = 0;
	for (size_t i = 0; i < nelems; i++) {
		char *d = (char *)dest + (ptrdiff_t)i * dst * (ptrdiff_t)size;
		const char *s = (const char *)src + (ptrdiff_t)i * sst * (ptrdiff_t)size;
		podfab_seg_t seg;
		size_t off;
		pfs_xlate_or_fail(fn, is_put ? "dest" : "source", is_put ? (const void *)d : s, size, &seg,
				  &off);
		if (n == STRIDE_BATCH)
			wait_batch(fn, reqs, &n);
		int rc;
		pfs_lock();
		if (is_put)
			PFS_NB(rc, podfab_put_nb(pfs.accel, pe, seg, off, s, size, &reqs[n]));
		else
			PFS_NB(rc, podfab_get_nb(pfs.accel, d, pe, seg, off, size, &reqs[n]));
		pfs_unlock();
		pfs_check(fn, rc);
		n++;
	}
	wait_batch(fn, reqs, &n);
}

static void put_signal_bytes(const char *fn, shmem_ctx_t ctx, void *dest, const void *src, size_t nelems,
			     size_t size, uint64_t *sig_addr, uint64_t signal, int sig_op, int pe, int nbi)
{
	pe = rma_args(fn, ctx, pe);
	if (pfs_unlikely(sig_op != SHMEM_SIGNAL_SET && sig_op != SHMEM_SIGNAL_ADD))
		pfs_fail(fn, "sig_op %d is neither SHMEM_SIGNAL_SET nor SHMEM_SIGNAL_ADD", sig_op);
	if (pfs_unlikely(!sig_addr))
		pfs_fail(fn, "sig_addr is NULL");
	if (pfs_unlikely((uintptr_t)sig_addr & 7))
		pfs_fail(fn, "sig_addr %p is not aligned to 8 bytes", (void *)sig_addr);
	podfab_seg_t sseg, seg;
	size_t soff, off, len;
	if (pfs_unlikely(__builtin_mul_overflow(nelems, size, &len)))
		pfs_fail(fn, "nelems %zu overflows", nelems);
	pfs_xlate_or_fail(fn, "sig_addr", sig_addr, sizeof *sig_addr, &sseg, &soff);
	podfab_signal_op_t op = sig_op == SHMEM_SIGNAL_SET ? PODFAB_SIGNAL_SET : PODFAB_SIGNAL_ADD;
	int rc;
	if (!nelems) { /* no data: the signal alone, as an atomic */
		podfab_atomic_op_t aop = op == PODFAB_SIGNAL_SET ? PODFAB_AOP_SET : PODFAB_AOP_ADD;
		pfs_lock();
		if (nbi)
			PFS_NB(rc, podfab_atomic_nb(pfs.accel, pe, sseg, soff, aop, PODFAB_UINT64, signal, 0,
						    NULL, NULL));
		else
			rc = podfab_atomic(pfs.accel, pe, sseg, soff, aop, PODFAB_UINT64, signal, 0, NULL);
		pfs_unlock();
		pfs_check(fn, rc);
		return;
	}
	need_ptrs(fn, dest, src, nelems);
	pfs_xlate_or_fail(fn, "dest", dest, len, &seg, &off);
	pfs_lock();
	if (nbi)
		PFS_NB(rc, podfab_put_signal_nb(pfs.accel, pe, seg, off, src, len, sseg, soff, signal, op, NULL));
	else
		rc = podfab_put_signal(pfs.accel, pe, seg, off, src, len, sseg, soff, signal, op);
	pfs_unlock();
	pfs_check(fn, rc);
}

#define CTX (&pfs_default_ctx)

/* ---- typed ------------------------------------------------------------------ */
#define DEF_RMA(TYPE, NAME)                                                                        \
	PFS_EXPORT void shmem_##NAME##_put(TYPE *dest, const TYPE *source, size_t nelems, int pe)  \
	{                                                                                          \
		put_bytes(__func__, CTX, dest, source, nelems, sizeof(TYPE), pe, 0);                \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME##_put(shmem_ctx_t ctx, TYPE *dest, const TYPE *source,    \
					       size_t nelems, int pe)                              \
	{                                                                                          \
		put_bytes(__func__, ctx, dest, source, nelems, sizeof(TYPE), pe, 0);                \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_get(TYPE *dest, const TYPE *source, size_t nelems, int pe)  \
	{                                                                                          \
		get_bytes(__func__, CTX, dest, source, nelems, sizeof(TYPE), pe, 0);                \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME##_get(shmem_ctx_t ctx, TYPE *dest, const TYPE *source,    \
					       size_t nelems, int pe)                              \
	{                                                                                          \
		get_bytes(__func__, ctx, dest, source, nelems, sizeof(TYPE), pe, 0);                \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_p(TYPE *dest, TYPE value, int pe)                           \
	{                                                                                          \
		put_bytes(__func__, CTX, dest, &value, 1, sizeof(TYPE), pe, 0);                     \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME##_p(shmem_ctx_t ctx, TYPE *dest, TYPE value, int pe)      \
	{                                                                                          \
		put_bytes(__func__, ctx, dest, &value, 1, sizeof(TYPE), pe, 0);                     \
	}                                                                                          \
	PFS_EXPORT TYPE shmem_##NAME##_g(const TYPE *source, int pe)                               \
	{                                                                                          \
		TYPE v;                                                                            \
		memset(&v, 0, sizeof v);                                                           \
		get_bytes(__func__, CTX, &v, source, 1, sizeof(TYPE), pe, 0);                       \
		return v;                                                                          \
	}                                                                                          \
	PFS_EXPORT TYPE shmem_ctx_##NAME##_g(shmem_ctx_t ctx, const TYPE *source, int pe)          \
	{                                                                                          \
		TYPE v;                                                                            \
		memset(&v, 0, sizeof v);                                                           \
		get_bytes(__func__, ctx, &v, source, 1, sizeof(TYPE), pe, 0);                      \
		return v;                                                                          \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_iput(TYPE *dest, const TYPE *source, ptrdiff_t dst,         \
					    ptrdiff_t sst, size_t nelems, int pe)                  \
	{                                                                                          \
		strided(__func__, CTX, 1, dest, source, dst, sst, nelems, sizeof(TYPE), pe);        \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME##_iput(shmem_ctx_t ctx, TYPE *dest, const TYPE *source,   \
						ptrdiff_t dst, ptrdiff_t sst, size_t nelems, int pe) \
	{                                                                                          \
		strided(__func__, ctx, 1, dest, source, dst, sst, nelems, sizeof(TYPE), pe);        \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_iget(TYPE *dest, const TYPE *source, ptrdiff_t dst,         \
					    ptrdiff_t sst, size_t nelems, int pe)                  \
	{                                                                                          \
		strided(__func__, CTX, 0, dest, source, dst, sst, nelems, sizeof(TYPE), pe);        \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME##_iget(shmem_ctx_t ctx, TYPE *dest, const TYPE *source,   \
						ptrdiff_t dst, ptrdiff_t sst, size_t nelems, int pe) \
	{                                                                                          \
		strided(__func__, ctx, 0, dest, source, dst, sst, nelems, sizeof(TYPE), pe);        \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_put_nbi(TYPE *dest, const TYPE *source, size_t nelems, int pe) \
	{                                                                                          \
		put_bytes(__func__, CTX, dest, source, nelems, sizeof(TYPE), pe, 1);                \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME##_put_nbi(shmem_ctx_t ctx, TYPE *dest, const TYPE *source, \
						   size_t nelems, int pe)                          \
	{                                                                                          \
		put_bytes(__func__, ctx, dest, source, nelems, sizeof(TYPE), pe, 1);                \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_get_nbi(TYPE *dest, const TYPE *source, size_t nelems, int pe) \
	{                                                                                          \
		get_bytes(__func__, CTX, dest, source, nelems, sizeof(TYPE), pe, 1);                \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME##_get_nbi(shmem_ctx_t ctx, TYPE *dest, const TYPE *source, \
						   size_t nelems, int pe)                          \
	{                                                                                          \
		get_bytes(__func__, ctx, dest, source, nelems, sizeof(TYPE), pe, 1);                \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_put_signal(TYPE *dest, const TYPE *source, size_t nelems,   \
						  uint64_t *sig_addr, uint64_t signal, int sig_op,  \
						  int pe)                                          \
	{                                                                                          \
		put_signal_bytes(__func__, CTX, dest, source, nelems, sizeof(TYPE), sig_addr, signal, \
				 sig_op, pe, 0);                                                   \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME##_put_signal(shmem_ctx_t ctx, TYPE *dest, const TYPE *source, \
						      size_t nelems, uint64_t *sig_addr,            \
						      uint64_t signal, int sig_op, int pe)          \
	{                                                                                          \
		put_signal_bytes(__func__, ctx, dest, source, nelems, sizeof(TYPE), sig_addr, signal, \
				 sig_op, pe, 0);                                                   \
	}                                                                                          \
	PFS_EXPORT void shmem_##NAME##_put_signal_nbi(TYPE *dest, const TYPE *source, size_t nelems, \
						      uint64_t *sig_addr, uint64_t signal,          \
						      int sig_op, int pe)                           \
	{                                                                                          \
		put_signal_bytes(__func__, CTX, dest, source, nelems, sizeof(TYPE), sig_addr, signal, \
				 sig_op, pe, 1);                                                   \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME##_put_signal_nbi(shmem_ctx_t ctx, TYPE *dest,             \
							  const TYPE *source, size_t nelems,        \
							  uint64_t *sig_addr, uint64_t signal,      \
							  int sig_op, int pe)                       \
	{                                                                                          \
		put_signal_bytes(__func__, ctx, dest, source, nelems, sizeof(TYPE), sig_addr, signal, \
				 sig_op, pe, 1);                                                   \
	}
PFSHMEM_RMA_TYPES(DEF_RMA)

/* ---- sized (BITS per element) and bytes (putmem: 8 bits) ------------------------- */
#define DEF_CONTIG(NAME, FN, BYTES, NBI)                                                           \
	PFS_EXPORT void shmem_##NAME(void *dest, const void *source, size_t nelems, int pe)         \
	{                                                                                          \
		FN(__func__, CTX, dest, source, nelems, BYTES, pe, NBI);                            \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME(shmem_ctx_t ctx, void *dest, const void *source,          \
					 size_t nelems, int pe)                                    \
	{                                                                                          \
		FN(__func__, ctx, dest, source, nelems, BYTES, pe, NBI);                            \
	}
#define DEF_STRIDED(NAME, IS_PUT, BYTES)                                                           \
	PFS_EXPORT void shmem_##NAME(void *dest, const void *source, ptrdiff_t dst, ptrdiff_t sst,  \
				     size_t nelems, int pe)                                        \
	{                                                                                          \
		strided(__func__, CTX, IS_PUT, dest, source, dst, sst, nelems, BYTES, pe);          \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME(shmem_ctx_t ctx, void *dest, const void *source,          \
					 ptrdiff_t dst, ptrdiff_t sst, size_t nelems, int pe)      \
	{                                                                                          \
		strided(__func__, ctx, IS_PUT, dest, source, dst, sst, nelems, BYTES, pe);          \
	}
#define DEF_SIGNAL(NAME, BYTES, NBI)                                                               \
	PFS_EXPORT void shmem_##NAME(void *dest, const void *source, size_t nelems, uint64_t *sig_addr, \
				     uint64_t signal, int sig_op, int pe)                          \
	{                                                                                          \
		put_signal_bytes(__func__, CTX, dest, source, nelems, BYTES, sig_addr, signal, sig_op, \
				 pe, NBI);                                                         \
	}                                                                                          \
	PFS_EXPORT void shmem_ctx_##NAME(shmem_ctx_t ctx, void *dest, const void *source,          \
					 size_t nelems, uint64_t *sig_addr, uint64_t signal,       \
					 int sig_op, int pe)                                       \
	{                                                                                          \
		put_signal_bytes(__func__, ctx, dest, source, nelems, BYTES, sig_addr, signal, sig_op, \
				 pe, NBI);                                                         \
	}
#define DEF_BITS(BITS)                                                                             \
	DEF_CONTIG(put##BITS, put_bytes, (BITS) / 8, 0)                                             \
	DEF_CONTIG(get##BITS, get_bytes, (BITS) / 8, 0)                                             \
	DEF_CONTIG(put##BITS##_nbi, put_bytes, (BITS) / 8, 1)                                       \
	DEF_CONTIG(get##BITS##_nbi, get_bytes, (BITS) / 8, 1)                                       \
	DEF_STRIDED(iput##BITS, 1, (BITS) / 8)                                                      \
	DEF_STRIDED(iget##BITS, 0, (BITS) / 8)                                                      \
	DEF_SIGNAL(put##BITS##_signal, (BITS) / 8, 0)                                               \
	DEF_SIGNAL(put##BITS##_signal_nbi, (BITS) / 8, 1)
PFSHMEM_SIZES(DEF_BITS)
DEF_CONTIG(putmem, put_bytes, 1, 0)
DEF_CONTIG(getmem, get_bytes, 1, 0)
DEF_CONTIG(putmem_nbi, put_bytes, 1, 1)
DEF_CONTIG(getmem_nbi, get_bytes, 1, 1)
DEF_SIGNAL(putmem_signal, 1, 0)
DEF_SIGNAL(putmem_signal_nbi, 1, 1)
