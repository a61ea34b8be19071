/*
 * lock.c - distributed locks (OpenSHMEM 1.5, section 9.11): shmem_set_lock,
 * shmem_test_lock, shmem_clear_lock on a symmetric long that starts at 0.
 *
 * A ticket lock kept in PE 0's copy of the variable: its low 32-bit half
 * hands out tickets, its high half is the ticket being served (each half is
 * updated by its own 32-bit atomic, so neither carries into the other).  A
 * PE takes a ticket with one fetch-add and polls the served half until its
 * turn: locks are granted in the order they were asked for.  shmem_test_lock
 * takes a ticket only when the lock is free (one compare-and-swap of the
 * whole word).  shmem_clear_lock first completes the PE's puts (so the next
 * holder sees them), then serves the next ticket.
 */
#include <sched.h>

#include "ctx_internal.h"

#define HOME 0 /* the PE whose copy of the variable is the lock */

struct lockw {
	podfab_seg_t seg;
	size_t off;
};

static struct lockw lock_args(const char *fn, long *lock)
{
	PFS_NEED_INIT(fn);
	_Static_assert(sizeof(long) == 8, "a lock is a 64-bit long");
	if (!lock)
		pfs_fail(fn, "lock is NULL");
	if ((uintptr_t)lock & 7)
		pfs_fail(fn, "lock %p is not aligned to 8 bytes", (void *)lock);
	struct lockw l;
	pfs_xlate_or_fail(fn, "lock", lock, sizeof *lock, &l.seg, &l.off);
	return l;
}

/* A 32-bit atomic on one half of the lock on HOME; fetch: returns the old value. */
static uint32_t atomic32(const char *fn, struct lockw l, size_t half, podfab_atomic_op_t op, uint32_t v,
			 int fetch)
{
	uint32_t old = 0;
	pfs_lock();
	int rc = podfab_atomic(pfs.accel, HOME, l.seg, l.off + half, op, PODFAB_UINT32, v, 0,
			       fetch ? &old : NULL);
	pfs_unlock();
	pfs_check(fn, rc);
	return old;
}

/* Byte offsets of the halves in the little-endian word: tickets low, served high. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TICKETS 0
#define SERVED 4
#else
#define TICKETS 4
#define SERVED 0
#endif

PFS_EXPORT void shmem_set_lock(long *lock)
{
	static const char *fn = "shmem_set_lock";
	struct lockw l = lock_args(fn, lock);
	uint32_t mine = atomic32(fn, l, TICKETS, PODFAB_AOP_ADD, 1, 1);
	while (atomic32(fn, l, SERVED, PODFAB_AOP_FETCH, 0, 1) != mine)
		sched_yield();
}

PFS_EXPORT int shmem_test_lock(long *lock)
{
	static const char *fn = "shmem_test_lock";
	struct lockw l = lock_args(fn, lock);
	uint64_t v = 0, old = 0;
	pfs_lock();
	int rc = podfab_atomic(pfs.accel, HOME, l.seg, l.off, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, &v);
	pfs_unlock();
	pfs_check(fn, rc);
	uint32_t tickets = (uint32_t)(v >> (TICKETS * 8)), served = (uint32_t)(v >> (SERVED * 8));
	if (tickets != served)
		return 1; /* held (or asked for) by another PE */
	uint64_t next = ((uint64_t)(uint32_t)(tickets + 1) << (TICKETS * 8)) | ((uint64_t)served << (SERVED * 8));
	pfs_lock();
	rc = podfab_atomic(pfs.accel, HOME, l.seg, l.off, PODFAB_AOP_CSWAP, PODFAB_UINT64, next, v, &old);
	pfs_unlock();
	pfs_check(fn, rc);
	return old == v ? 0 : 1;
}

PFS_EXPORT void shmem_clear_lock(long *lock)
{
	static const char *fn = "shmem_clear_lock";
	struct lockw l = lock_args(fn, lock);
	pfs_lock();
	int rc = podfab_quiet(pfs.accel);
	pfs_unlock();
	pfs_check(fn, rc);
	atomic32(fn, l, SERVED, PODFAB_AOP_ADD, 1, 0);
}
