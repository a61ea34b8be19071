/*
 * shmem_internal.h - libpodfab-shmem's state, shared by its parts:
 *   core.c    init/finalize, queries, the symmetric heap and the symmetric
 *             data of the program (globals and statics), address translation,
 *             barrier_all/sync_all/fence/quiet, shmem_ptr, global_exit
 *   rma.c amo.c p2p.c ctx.c   contexts, puts/gets, atomics, signals, waits
 *   team.c coll.c lock.c      teams, collectives, distributed locks
 * Everything goes through podfab's public API (podfab.h): the timing modes
 * time SHMEM programs as they time native ones.
 */
#ifndef PF_SHMEM_INTERNAL_H
#define PF_SHMEM_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <podfab/podfab.h>

#include "shmem.h"

#if defined(__GNUC__)
#define PFS_EXPORT __attribute__((visibility("default")))
#define pfs_likely(x) __builtin_expect(!!(x), 1)
#define pfs_unlikely(x) __builtin_expect(!!(x), 0)
#else
#define PFS_EXPORT
#define pfs_likely(x) (x)
#define pfs_unlikely(x) (x)
#endif

struct pfs_block; /* heap bookkeeping (core.c) */

struct pfs {
	podfab_t accel;
	int me, npes;
	int initialized, finalized;
	int thread_level;            /* provided */
	int locking;                 /* SHMEM_THREAD_MULTIPLE: podfab calls under `lock` */
	pthread_mutex_t lock;
	/* the symmetric heap: one podfab segment, offsets agreed by all PEs */
	podfab_seg_t heap_seg;
	char *heap_base;
	size_t heap_size;
	struct pfs_block *blocks;
	size_t nblocks, cap_blocks;
	/* the program's writable data (.data and .bss), aliased onto a podfab segment */
	podfab_seg_t data_seg;
	char *data_base;             /* its address in the program (page aligned) */
	size_t data_size;
	int data_symmetric;          /* 1: aliased (remote access and atomics work) */
	/*
	 * Direct access (podfab_ptr, functional mode, PEs whose memory this
	 * process maps): per world PE, the heap's and the data's base there, or
	 * NULL; direct_amo: C11 atomics through them are atomic with podfab's
	 * (shm and hybrid transports).  PODFAB_SHMEM_DIRECT=0 turns it off.
	 */
	char **heap_direct, **data_direct;
	int direct_amo;
};
extern struct pfs pfs;

/* (seg, off) on world PE pe as a plain address, or NULL: go through podfab. */
static inline char *pfs_direct(podfab_seg_t seg, size_t off, int pe)
{
	char **t = seg == pfs.heap_seg ? pfs.heap_direct : seg == pfs.data_seg ? pfs.data_direct : NULL;
	return t && t[pe] ? t[pe] + off : NULL;
}

/* Fill the direct tables (collective: after the heap and data segments exist); free them. */
void pfs_direct_init(void);
void pfs_direct_fini(void);

/* Serialise podfab calls when several threads may call (SHMEM_THREAD_MULTIPLE). */
static inline void pfs_lock(void)
{
	if (pfs_unlikely(pfs.locking))
		pthread_mutex_lock(&pfs.lock);
}
static inline void pfs_unlock(void)
{
	if (pfs_unlikely(pfs.locking))
		pthread_mutex_unlock(&pfs.lock);
}

/*
 * Where a symmetric address is on every PE: its segment and offset.  Returns 0,
 * or -1 when [addr, addr + len) is not inside one symmetric object area.
 */
static inline __attribute__((always_inline)) int pfs_xlate(const void *addr, size_t len, podfab_seg_t *seg,
						     size_t *off)
{
	const char *p = (const char *)addr;
	if (pfs_likely((size_t)(p - pfs.heap_base) < pfs.heap_size &&
		       len <= pfs.heap_size - (size_t)(p - pfs.heap_base))) {
		*seg = pfs.heap_seg;
		*off = (size_t)(p - pfs.heap_base);
		return 0;
	}
	if (pfs.data_symmetric && (size_t)(p - pfs.data_base) < pfs.data_size &&
	    len <= pfs.data_size - (size_t)(p - pfs.data_base)) {
		*seg = pfs.data_seg;
		*off = (size_t)(p - pfs.data_base);
		return 0;
	}
	return -1;
}

/*
 * A fatal usage error: prints "podfab-shmem: PE n: FUNC: message" (as the
 * specification suggests for wrong arguments) and ends the whole program
 * through shmem_global_exit(1).
 */
_Noreturn void pfs_fail(const char *func, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A podfab error (rc < 0) in FUNC: pfs_fail with podfab's detail. */
_Noreturn void pfs_fail_rc(const char *func, int rc);
static inline void pfs_check(const char *func, int rc)
{
	if (pfs_unlikely(rc < 0))
		pfs_fail_rc(func, rc);
}
#define PFS_NEED_INIT(func)                                                                       \
	do {                                                                                       \
		if (pfs_unlikely(!pfs.initialized))                                                 \
			pfs_fail(func, "called before shmem_init (or after shmem_finalize)");       \
	} while (0)
/* Translate, or fail naming the argument. */
static inline __attribute__((always_inline)) void pfs_xlate_or_fail(const char *func, const char *what,
								 const void *addr, size_t len, podfab_seg_t *seg,
								 size_t *off)
{
	if (pfs_unlikely(pfs_xlate(addr, len, seg, off) < 0))
		pfs_fail(func, "%s %p (%zu bytes) is not symmetric (symmetric heap or global/static data)", what,
			 addr, len);
}
/* The PE number must be in [0, npes). */
static inline void pfs_check_pe(const char *func, int pe)
{
	if (pfs_unlikely(pe < 0 || pe >= pfs.npes))
		pfs_fail(func, "PE %d is not in [0, %d)", pe, pfs.npes);
}

/*
 * Internal symmetric memory (for teams and collectives): collective over all
 * PEs in the same order, no barrier.  NULL when the heap is full.
 */
void *pfs_sym_alloc(size_t align, size_t size);
void pfs_sym_free(void *p);

/*
 * Exit status of a PE that calls shmem_global_exit(0) in a job of several PEs:
 * podfab-run's "end the job with status 0" (podfab-run(1), EXIT STATUS): it
 * stops the other PEs and exits with 0.
 */
#define PFSHMEM_GLOBAL_EXIT_ZERO 251

/* Hooks of the other parts, called by shmem_init_thread and shmem_finalize (in this order). */
int pfs_ctx_init(void);
void pfs_ctx_fini(void);
int pfs_team_init(void);
void pfs_team_fini(void);
void pfs_coll_fini(void);

#endif /* PF_SHMEM_INTERNAL_H */
