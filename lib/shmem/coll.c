/*
 * coll.c - collectives (OpenSHMEM 1.5, section 9.8) on teams and on the
 * active sets of the deprecated routines: sync, barrier, broadcast,
 * collect, fcollect, alltoall, alltoalls and the reductions.
 *
 * Every member pulls what it needs with gets from the other members'
 * symmetric source objects (which 1.5 requires to be symmetric), between
 * team barriers: one on entry (the sources are ready), one after the reads
 * (the sources may be reused, and a dest that is also a source, as a
 * reduction in place, is written only when nobody reads it any more).  Each
 * call therefore completes before any member starts the next, so calls on
 * the same objects may follow each other without a barrier between them.
 *
 * Reductions combine the members' values in team order on every PE, so all
 * members get the same bits, floating point included.
 *
 * Active sets (PE_start, logPE_stride, PE_size, pSync) are teams whose
 * barrier words are the caller's pSync array (team.c: counting words that
 * rest at SHMEM_SYNC_VALUE), so pSync is back to its original contents when
 * the call returns and may be used again at once, for any active set.
 */
#include <complex.h>
#include <stdlib.h>
#include <string.h>

#include "ctx_internal.h"

#define SCRATCH_COUNT 0 /* scratch word where collect publishes this PE's nelems */
#define RED_CHUNK 16384 /* bytes of one member's values combined at a time */

/* ---- helpers ------------------------------------------------------------------------ */

static void barrier(const char *fn, struct pfshmem_team *t)
{
	pfs_check(fn, pfs_team_barrier(t));
}

static void translate(const char *fn, const char *what, const void *p, size_t len, podfab_seg_t *seg,
		      size_t *off)
{
	pfs_xlate_or_fail(fn, what, p, len, seg, off);
}

/* Start a get of len bytes from world PE w's (seg, off) into local dest; complete with finish(). */
static void pull(const char *fn, void *dest, int w, podfab_seg_t seg, size_t off, size_t len)
{
	if (!len)
		return;
	int rc;
	pfs_lock();
	PFS_NB(rc, podfab_get_nb(pfs.accel, dest, w, seg, off, len, NULL));
	pfs_unlock();
	pfs_check(fn, rc);
}

static void finish(const char *fn)
{
	pfs_lock();
	int rc = podfab_quiet(pfs.accel);
	pfs_unlock();
	pfs_check(fn, rc);
}

static void need(const char *fn, const void *dest, const void *source, size_t len)
{
	if (pfs_unlikely(len && (!dest || !source)))
		pfs_fail(fn, "%s is NULL", dest ? "source" : "dest");
}

static size_t mul(const char *fn, size_t a, size_t b)
{
	if (b && a > SIZE_MAX / b)
		pfs_fail(fn, "%zu x %zu bytes overflows", a, b);
	return a * b;
}

/* ---- active sets ---------------------------------------------------------------------- */

/* The team of an active set, its barrier words in pSync. */
static void aset(const char *fn, int start, int log, int size, long *psync, struct pfshmem_team *t)
{
	PFS_NEED_INIT(fn);
	if (start < 0 || log < 0 || log > 30 || size < 1 ||
	    (long)start + ((long)(size - 1) << log) >= pfs.npes)
		pfs_fail(fn, "the active set PE_start %d, logPE_stride %d, PE_size %d is not inside [0, %d)",
			 start, log, size, pfs.npes);
	if (!psync)
		pfs_fail(fn, "pSync is NULL");
	if ((uintptr_t)psync & 7)
		pfs_fail(fn, "pSync %p is not aligned to 8 bytes", (void *)psync);
	podfab_seg_t seg;
	size_t off;
	translate(fn, "pSync", psync, SHMEM_SYNC_SIZE * sizeof(long), &seg, &off);
	memset(t, 0, sizeof *t);
	t->magic = PFS_TEAM_MAGIC;
	t->start = start;
	t->stride = 1 << log;
	t->size = size;
	t->slot = -1;
	t->my_pe = pfs_team_index(t, pfs.me);
	if (t->my_pe < 0)
		pfs_fail(fn, "PE %d is not in the active set PE_start %d, logPE_stride %d, PE_size %d", pfs.me,
			 start, log, size);
	_Static_assert(sizeof(long) == sizeof(int64_t), "pSync words are 64-bit");
	t->bar = (int64_t *)psync;
	t->scratch = (int64_t *)psync + PFS_TEAM_BAR_WORDS;
}

#define ASET(fn, t) aset(fn, PE_start, logPE_stride, PE_size, pSync, &(t))

/* ---- sync and barrier -------------------------------------------------------------------- */

PFS_EXPORT int shmem_team_sync(shmem_team_t team)
{
	if (pfs_team_bad("shmem_team_sync", team))
		return -1;
	barrier("shmem_team_sync", team);
	return 0;
}

PFS_EXPORT void(shmem_sync)(int PE_start, int logPE_stride, int PE_size, long *pSync)
{
	struct pfshmem_team t;
	ASET("shmem_sync", t);
	barrier("shmem_sync", &t);
}

PFS_EXPORT void shmem_barrier(int PE_start, int logPE_stride, int PE_size, long *pSync)
{
	struct pfshmem_team t;
	ASET("shmem_barrier", t);
	finish("shmem_barrier"); /* a barrier completes this PE's puts first */
	barrier("shmem_barrier", &t);
}

/* ---- data movement ---------------------------------------------------------------------- */

/* broadcast: root_dest 1 updates dest on the root too (1.5 team form; not the deprecated one) */
static int broadcast(const char *fn, struct pfshmem_team *t, void *dest, const void *source, size_t len,
		     int root, int root_dest)
{
	if (root < 0 || root >= t->size)
		pfs_fail(fn, "PE_root %d is not in [0, %d)", root, t->size);
	need(fn, dest, source, len);
	podfab_seg_t seg;
	size_t off;
	if (len) {
		translate(fn, "dest", dest, len, &seg, &off);
		translate(fn, "source", source, len, &seg, &off);
	}
	barrier(fn, t);
	if (t->my_pe != root) {
		pull(fn, dest, pfs_team_world(t, root), seg, off, len);
		finish(fn);
	} else if (root_dest && len && dest != source) {
		memmove(dest, source, len);
	}
	barrier(fn, t);
	return 0;
}

/* collect: each member's count (bytes) may differ; fcollect: all equal */
static int collect(const char *fn, struct pfshmem_team *t, void *dest, const void *source, size_t len,
		   int fixed)
{
	need(fn, dest, source, len);
	/* the source object (symmetric: the others' are where ours is), even when ours is empty */
	podfab_seg_t sseg = NULL, cseg;
	size_t soff = 0, coff;
	int have_src = source && pfs_xlate(source, len ? len : 1, &sseg, &soff) == 0;
	if (len && !have_src)
		translate(fn, "source", source, len, &sseg, &soff);
	translate(fn, "team scratch", &t->scratch[SCRATCH_COUNT], sizeof(int64_t), &cseg, &coff);
	if (!fixed)
		__atomic_store_n(&t->scratch[SCRATCH_COUNT], (int64_t)len, __ATOMIC_RELEASE);
	barrier(fn, t);
	size_t at = 0;
	for (int i = 0; i < t->size; i++) {
		int w = pfs_team_world(t, i);
		size_t n = len;
		if (!fixed && i != t->my_pe) {
			int64_t v;
			pfs_lock();
			int rc = podfab_get(pfs.accel, &v, w, cseg, coff, sizeof v);
			pfs_unlock();
			pfs_check(fn, rc);
			n = (size_t)v;
		}
		if (n) {
			podfab_seg_t dseg;
			size_t doff;
			translate(fn, "dest", (char *)dest + at, n, &dseg, &doff);
			if (i == t->my_pe)
				memcpy((char *)dest + at, source, n);
			else if (!have_src)
				pfs_fail(fn, "source %p is not symmetric", source);
			else
				pull(fn, (char *)dest + at, w, sseg, soff, n);
		}
		at += n;
	}
	finish(fn);
	barrier(fn, t);
	if (!fixed) /* nobody reads our count any more: pSync as it was */
		__atomic_store_n(&t->scratch[SCRATCH_COUNT], SHMEM_SYNC_VALUE, __ATOMIC_RELAXED);
	return 0;
}

/* alltoall: block j of member i's source goes to block i of member j's dest */
static int alltoall(const char *fn, struct pfshmem_team *t, void *dest, const void *source, size_t blk)
{
	size_t len = mul(fn, blk, (size_t)t->size);
	need(fn, dest, source, len);
	podfab_seg_t seg;
	size_t off = 0;
	if (len) {
		translate(fn, "dest", dest, len, &seg, &off);
		translate(fn, "source", source, len, &seg, &off);
	}
	barrier(fn, t);
	for (int k = 1; k <= t->size && len; k++) {
		int i = (t->my_pe + k) % t->size; /* start with the next member: spreads the load */
		char *d = (char *)dest + (size_t)i * blk;
		if (i == t->my_pe)
			memcpy(d, (const char *)source + (size_t)t->my_pe * blk, blk);
		else
			pull(fn, d, pfs_team_world(t, i), seg, off + (size_t)t->my_pe * blk, blk);
	}
	finish(fn);
	barrier(fn, t);
	return 0;
}

/* alltoalls: element k of block j of member i's source, source[sst * (j * nelems + k)], goes to
 * dest[dst * (i * nelems + k)] of member j */
static int alltoalls(const char *fn, struct pfshmem_team *t, void *dest, const void *source, ptrdiff_t dst,
		     ptrdiff_t sst, size_t nelems, size_t size)
{
	if (dst < 1 || sst < 1)
		pfs_fail(fn, "strides dst %td and sst %td must be at least 1", dst, sst);
	size_t total = mul(fn, nelems, (size_t)t->size);
	need(fn, dest, source, total);
	podfab_seg_t seg;
	size_t off = 0;
	if (total) {
		size_t span = mul(fn, mul(fn, total - 1, (size_t)sst) + 1, size);
		size_t dspan = mul(fn, mul(fn, total - 1, (size_t)dst) + 1, size);
		translate(fn, "dest", dest, dspan, &seg, &off);
		translate(fn, "source", source, span, &seg, &off);
	}
	barrier(fn, t);
	for (int k = 1; k <= t->size && total; k++) {
		int i = (t->my_pe + k) % t->size;
		for (size_t e = 0; e < nelems; e++) {
			char *d = (char *)dest + ((size_t)i * nelems + e) * (size_t)dst * size;
			size_t so = ((size_t)t->my_pe * nelems + e) * (size_t)sst * size;
			if (i == t->my_pe)
				memcpy(d, (const char *)source + so, size);
			else
				pull(fn, d, pfs_team_world(t, i), seg, off + so, size);
		}
	}
	finish(fn);
	barrier(fn, t);
	return 0;
}

/* ---- reductions ----------------------------------------------------------------------------- */

typedef void (*combine_fn)(void *acc, const void *in, size_t n);

static int reduce(const char *fn, struct pfshmem_team *t, void *dest, const void *source, size_t nreduce,
		  size_t size, combine_fn combine)
{
	size_t len = mul(fn, nreduce, size);
	need(fn, dest, source, len);
	podfab_seg_t seg;
	size_t off = 0;
	if (len) {
		translate(fn, "dest", dest, len, &seg, &off);
		translate(fn, "source", source, len, &seg, &off);
	}
	char *acc = NULL, *in = NULL;
	if (len) {
		size_t chunk = RED_CHUNK - RED_CHUNK % size;
		acc = malloc(len);
		in = malloc(chunk);
		if (!acc || !in)
			pfs_fail(fn, "out of memory for %zu bytes", len);
		barrier(fn, t);
		for (size_t at = 0; at < len; at += chunk) {
			size_t n = len - at < chunk ? len - at : chunk;
			for (int i = 0; i < t->size; i++) {
				const char *src = (const char *)source + at;
				if (i != t->my_pe) {
					pull(fn, in, pfs_team_world(t, i), seg, off + at, n);
					finish(fn);
					src = in;
				}
				if (i == 0)
					memcpy(acc + at, src, n);
				else
					combine(acc + at, src, n / size);
			}
		}
	} else {
		barrier(fn, t);
	}
	barrier(fn, t); /* every member has read every source: dest (maybe a source) may change */
	if (len)
		memcpy(dest, acc, len);
	free(in);
	free(acc);
	return 0;
}

#define OP_AND(a, b) ((a) & (b))
#define OP_OR(a, b) ((a) | (b))
#define OP_XOR(a, b) ((a) ^ (b))
#define OP_MAX(a, b) ((a) > (b) ? (a) : (b))
#define OP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define OP_SUM(a, b) ((a) + (b))
#define OP_PROD(a, b) ((a) * (b))

#define DEF_COMBINE(TYPE, NAME, OP, MACRO)                                                         \
	static void combine_##NAME##_##OP(void *acc_, const void *in_, size_t n)                    \
	{                                                                                          \
		TYPE *acc = acc_;                                                                  \
		const TYPE *in = in_;                                                              \
		for (size_t i = 0; i < n; i++)                                                     \
			acc[i] = (TYPE)MACRO(acc[i], in[i]);                                       \
	}

#define DEF_REDUCE(TYPE, NAME, OP, MACRO)                                                          \
	DEF_COMBINE(TYPE, NAME, OP, MACRO)                                                         \
	PFS_EXPORT int shmem_##NAME##_##OP##_reduce(shmem_team_t team, TYPE *dest, const TYPE *source, \
						    size_t nreduce)                                \
	{                                                                                          \
		if (pfs_team_bad(__func__, team))                                                  \
			return -1;                                                                 \
		return reduce(__func__, team, dest, source, nreduce, sizeof(TYPE), combine_##NAME##_##OP); \
	}
#define DEF_RED_BIT(TYPE, NAME)                                                                    \
	DEF_REDUCE(TYPE, NAME, and, OP_AND) DEF_REDUCE(TYPE, NAME, or, OP_OR) DEF_REDUCE(TYPE, NAME, xor, OP_XOR)
#define DEF_RED_MINMAX(TYPE, NAME) DEF_REDUCE(TYPE, NAME, max, OP_MAX) DEF_REDUCE(TYPE, NAME, min, OP_MIN)
#define DEF_RED_ARITH(TYPE, NAME) DEF_REDUCE(TYPE, NAME, sum, OP_SUM) DEF_REDUCE(TYPE, NAME, prod, OP_PROD)
PFSHMEM_REDUCE_BIT_TYPES(DEF_RED_BIT)
PFSHMEM_REDUCE_MINMAX_TYPES(DEF_RED_MINMAX)
PFSHMEM_REDUCE_ARITH_TYPES(DEF_RED_ARITH)

/* The deprecated *_to_all forms: on an active set, pWrk unused (the work space is private). */
#define DEF_TO_ALL(TYPE, NAME, OP, MACRO)                                                          \
	PFS_EXPORT void shmem_##NAME##_##OP##_to_all(TYPE *dest, const TYPE *source, int nreduce,  \
						     int PE_start, int logPE_stride, int PE_size,  \
						     TYPE *pWrk, long *pSync)                      \
	{                                                                                          \
		(void)pWrk;                                                                        \
		struct pfshmem_team t;                                                             \
		ASET(__func__, t);                                                                 \
		if (nreduce < 0)                                                                   \
			pfs_fail(__func__, "nreduce %d is negative", nreduce);                     \
		reduce(__func__, &t, dest, source, (size_t)nreduce, sizeof(TYPE), combine_##NAME##_##OP); \
	}
/* combine functions of the to_all types that the team tables lack (short, int, long, long long bitwise) */
#define DEF_TO_ALL_COMBINE_BIT(TYPE, NAME)                                                         \
	DEF_COMBINE(TYPE, NAME, and, OP_AND) DEF_COMBINE(TYPE, NAME, or, OP_OR) DEF_COMBINE(TYPE, NAME, xor, OP_XOR)
DEF_TO_ALL_COMBINE_BIT(short, short)
DEF_TO_ALL_COMBINE_BIT(int, int)
DEF_TO_ALL_COMBINE_BIT(long, long)
DEF_TO_ALL_COMBINE_BIT(long long, longlong)
#define DEF_TO_ALL_BIT(TYPE, NAME)                                                                 \
	DEF_TO_ALL(TYPE, NAME, and, OP_AND) DEF_TO_ALL(TYPE, NAME, or, OP_OR) DEF_TO_ALL(TYPE, NAME, xor, OP_XOR)
#define DEF_TO_ALL_MINMAX(TYPE, NAME) DEF_TO_ALL(TYPE, NAME, max, OP_MAX) DEF_TO_ALL(TYPE, NAME, min, OP_MIN)
#define DEF_TO_ALL_ARITH(TYPE, NAME) DEF_TO_ALL(TYPE, NAME, sum, OP_SUM) DEF_TO_ALL(TYPE, NAME, prod, OP_PROD)
PFSHMEM_TO_ALL_BIT_TYPES(DEF_TO_ALL_BIT)
PFSHMEM_TO_ALL_MINMAX_TYPES(DEF_TO_ALL_MINMAX)
PFSHMEM_TO_ALL_ARITH_TYPES(DEF_TO_ALL_ARITH)

/* ---- typed, mem and deprecated sized entry points ---------------------------------------- */

#define TEAM_OR_RETURN(team)                                                                       \
	do {                                                                                       \
		if (pfs_team_bad(__func__, team))                                                  \
			return -1;                                                                 \
	} while (0)

#define DEF_COLL(TYPE, NAME)                                                                       \
	PFS_EXPORT int shmem_##NAME##_broadcast(shmem_team_t team, TYPE *dest, const TYPE *source,  \
						size_t nelems, int PE_root)                        \
	{                                                                                          \
		TEAM_OR_RETURN(team);                                                              \
		return broadcast(__func__, team, dest, source, mul(__func__, nelems, sizeof(TYPE)), PE_root, 1); \
	}                                                                                          \
	PFS_EXPORT int shmem_##NAME##_collect(shmem_team_t team, TYPE *dest, const TYPE *source,    \
					      size_t nelems)                                       \
	{                                                                                          \
		TEAM_OR_RETURN(team);                                                              \
		return collect(__func__, team, dest, source, mul(__func__, nelems, sizeof(TYPE)), 0); \
	}                                                                                          \
	PFS_EXPORT int shmem_##NAME##_fcollect(shmem_team_t team, TYPE *dest, const TYPE *source,   \
					       size_t nelems)                                      \
	{                                                                                          \
		TEAM_OR_RETURN(team);                                                              \
		return collect(__func__, team, dest, source, mul(__func__, nelems, sizeof(TYPE)), 1); \
	}                                                                                          \
	PFS_EXPORT int shmem_##NAME##_alltoall(shmem_team_t team, TYPE *dest, const TYPE *source,   \
					       size_t nelems)                                      \
	{                                                                                          \
		TEAM_OR_RETURN(team);                                                              \
		return alltoall(__func__, team, dest, source, mul(__func__, nelems, sizeof(TYPE)));  \
	}                                                                                          \
	PFS_EXPORT int shmem_##NAME##_alltoalls(shmem_team_t team, TYPE *dest, const TYPE *source,  \
						ptrdiff_t dst, ptrdiff_t sst, size_t nelems)       \
	{                                                                                          \
		TEAM_OR_RETURN(team);                                                              \
		return alltoalls(__func__, team, dest, source, dst, sst, nelems, sizeof(TYPE));     \
	}
PFSHMEM_RMA_TYPES(DEF_COLL)

PFS_EXPORT int shmem_broadcastmem(shmem_team_t team, void *dest, const void *source, size_t nelems, int PE_root)
{
	TEAM_OR_RETURN(team);
	return broadcast(__func__, team, dest, source, nelems, PE_root, 1);
}
PFS_EXPORT int shmem_collectmem(shmem_team_t team, void *dest, const void *source, size_t nelems)
{
	TEAM_OR_RETURN(team);
	return collect(__func__, team, dest, source, nelems, 0);
}
PFS_EXPORT int shmem_fcollectmem(shmem_team_t team, void *dest, const void *source, size_t nelems)
{
	TEAM_OR_RETURN(team);
	return collect(__func__, team, dest, source, nelems, 1);
}
PFS_EXPORT int shmem_alltoallmem(shmem_team_t team, void *dest, const void *source, size_t nelems)
{
	TEAM_OR_RETURN(team);
	return alltoall(__func__, team, dest, source, nelems);
}
PFS_EXPORT int shmem_alltoallsmem(shmem_team_t team, void *dest, const void *source, ptrdiff_t dst,
				  ptrdiff_t sst, size_t nelems)
{
	TEAM_OR_RETURN(team);
	return alltoalls(__func__, team, dest, source, dst, sst, nelems, 1);
}

#define DEF_DEPR_SIZED(BITS)                                                                       \
	PFS_EXPORT void shmem_broadcast##BITS(void *dest, const void *source, size_t nelems, int PE_root, \
					      int PE_start, int logPE_stride, int PE_size, long *pSync) \
	{                                                                                          \
		struct pfshmem_team t;                                                             \
		ASET(__func__, t);                                                                 \
		broadcast(__func__, &t, dest, source, mul(__func__, nelems, (BITS) / 8), PE_root, 0); \
	}                                                                                          \
	PFS_EXPORT void shmem_collect##BITS(void *dest, const void *source, size_t nelems, int PE_start, \
					    int logPE_stride, int PE_size, long *pSync)            \
	{                                                                                          \
		struct pfshmem_team t;                                                             \
		ASET(__func__, t);                                                                 \
		collect(__func__, &t, dest, source, mul(__func__, nelems, (BITS) / 8), 0);          \
	}                                                                                          \
	PFS_EXPORT void shmem_fcollect##BITS(void *dest, const void *source, size_t nelems, int PE_start, \
					     int logPE_stride, int PE_size, long *pSync)           \
	{                                                                                          \
		struct pfshmem_team t;                                                             \
		ASET(__func__, t);                                                                 \
		collect(__func__, &t, dest, source, mul(__func__, nelems, (BITS) / 8), 1);          \
	}                                                                                          \
	PFS_EXPORT void shmem_alltoall##BITS(void *dest, const void *source, size_t nelems, int PE_start, \
					     int logPE_stride, int PE_size, long *pSync)           \
	{                                                                                          \
		struct pfshmem_team t;                                                             \
		ASET(__func__, t);                                                                 \
		alltoall(__func__, &t, dest, source, mul(__func__, nelems, (BITS) / 8));            \
	}                                                                                          \
	PFS_EXPORT void shmem_alltoalls##BITS(void *dest, const void *source, ptrdiff_t dst,        \
					      ptrdiff_t sst, size_t nelems, int PE_start,          \
					      int logPE_stride, int PE_size, long *pSync)          \
	{                                                                                          \
		struct pfshmem_team t;                                                             \
		ASET(__func__, t);                                                                 \
		alltoalls(__func__, &t, dest, source, dst, sst, nelems, (BITS) / 8);               \
	}
DEF_DEPR_SIZED(32)
DEF_DEPR_SIZED(64)

void pfs_coll_fini(void)
{
}
