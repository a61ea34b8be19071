/*
 * team.c - teams (OpenSHMEM 1.5, section 9.4): SHMEM_TEAM_WORLD,
 * SHMEM_TEAM_SHARED, split_strided, split_2d, translate, config, team
 * contexts, destroy; and the team barrier that the collectives build on.
 *
 * Every team is a progression of world PEs (start + i x stride), as splits
 * of progressions are progressions.  Its synchronisation words live in one
 * of PFS_TEAM_SLOTS slots of a symmetric area allocated at shmem_init; the
 * members of a new team agree on a slot that is free on all of them (each
 * publishes its mask of free slots to the parent team; all read the same
 * masks, so all choose the same slot), as OpenSHMEM implementations usually do.
 *
 * The barrier is a dissemination barrier (ceil(log2 n) rounds) over
 * counting words that rest at SHMEM_SYNC_VALUE: in round r a member adds 1 to
 * word r of member my_pe + 2^r, waits until its own word r is above
 * SHMEM_SYNC_VALUE, and takes that arrival back (adds -1).  A partner that has
 * already gone on to the next barrier leaves its arrival counted for it, and
 * when every member has returned every word is at SHMEM_SYNC_VALUE again, so
 * the same words (the user's pSync for an active set) serve any later
 * barrier, of any set of PEs, as the specification requires of pSync.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "ctx_internal.h"

#define PFS_TEAM_SLOTS 64 /* one bit of a uint64_t mask each */
#define SLOT_WORDS (PFS_TEAM_BAR_WORDS + PFS_TEAM_SCRATCH_WORDS)
#define SLOT_WORLD 0
#define SLOT_SHARED 1
#define SCRATCH_MASK 1 /* scratch word where team creation publishes the free-slot mask */

static int64_t *area;     /* PFS_TEAM_SLOTS x SLOT_WORDS symmetric words */
static uint64_t free_mask; /* bit s: slot s is free on this PE */
static struct pfshmem_team world_team, shared_team;

PFS_EXPORT shmem_team_t const SHMEM_TEAM_WORLD = &world_team;
PFS_EXPORT shmem_team_t const SHMEM_TEAM_SHARED = &shared_team;

static void slot_reset(int slot)
{
	int64_t *w = area + (size_t)slot * SLOT_WORDS;
	for (int i = 0; i < SLOT_WORDS; i++)
		__atomic_store_n(&w[i], SHMEM_SYNC_VALUE, __ATOMIC_RELAXED);
}

static void team_setup(struct pfshmem_team *t, int start, int stride, int size, int slot)
{
	memset(t, 0, sizeof *t);
	t->magic = PFS_TEAM_MAGIC;
	t->start = start;
	t->stride = stride;
	t->size = size;
	t->slot = slot;
	t->my_pe = pfs_team_index(t, pfs.me);
	t->bar = area + (size_t)slot * SLOT_WORDS;
	t->scratch = t->bar + PFS_TEAM_BAR_WORDS;
	free_mask &= ~(UINT64_C(1) << slot);
}

int pfs_team_init(void)
{
	area = pfs_sym_alloc(64, sizeof(int64_t) * SLOT_WORDS * PFS_TEAM_SLOTS);
	if (!area)
		return -PODFAB_ENOMEM;
	for (int s = 0; s < PFS_TEAM_SLOTS; s++)
		slot_reset(s);
	free_mask = ~UINT64_C(0);
	team_setup(&world_team, 0, 1, pfs.npes, SLOT_WORLD);
	world_team.predefined = 1;
	/*
	 * SHMEM_TEAM_SHARED: the PEs whose memory shmem_ptr reaches.  podfab maps
	 * either every PE (functional mode on shm) or, in the timed modes, none but
	 * the caller, the same answer on every PE.
	 */
	int all = 1;
	for (int pe = 0; pe < pfs.npes && all; pe++)
		if (pe != pfs.me && !podfab_ptr(pfs.accel, pe, pfs.heap_seg, 0))
			all = 0;
	if (all)
		team_setup(&shared_team, 0, 1, pfs.npes, SLOT_SHARED);
	else
		team_setup(&shared_team, pfs.me, 1, 1, SLOT_SHARED);
	shared_team.predefined = 1;
	return 0;
}

void pfs_team_fini(void)
{
	world_team.magic = 0;
	shared_team.magic = 0;
	area = NULL; /* the heap goes with podfab_finalize */
}

int pfs_team_bad(const char *func, shmem_team_t team)
{
	PFS_NEED_INIT(func);
	if (team == SHMEM_TEAM_INVALID)
		return 1;
	if (pfs_unlikely(team->magic != PFS_TEAM_MAGIC))
		pfs_fail(func, "%p is not a team (or it was destroyed)", (void *)team);
	return 0;
}

int pfs_wait_ge(const int64_t *addr, int64_t value)
{
	if (!pfs.locking)
		return podfab_wait_until(pfs.accel, addr, PODFAB_INT64, PODFAB_CMP_GE, (uint64_t)value);
	for (;;) {
		pfs_lock();
		int rc = podfab_test_until(pfs.accel, addr, PODFAB_INT64, PODFAB_CMP_GE, (uint64_t)value);
		pfs_unlock();
		if (rc != 0)
			return rc < 0 ? rc : 0;
		sched_yield();
	}
}

int pfs_team_barrier(struct pfshmem_team *t)
{
	if (t->size <= 1)
		return 0;
	podfab_seg_t seg;
	size_t off;
	if (pfs_xlate(t->bar, sizeof(int64_t) * PFS_TEAM_BAR_WORDS, &seg, &off) < 0)
		return -PODFAB_EINVAL;
	for (int r = 0, d = 1; d < t->size; r++, d <<= 1) {
		int to = pfs_team_world(t, (t->my_pe + d) % t->size);
		size_t w = off + (size_t)r * sizeof(int64_t);
		pfs_lock();
		int rc = podfab_atomic(pfs.accel, to, seg, w, PODFAB_AOP_ADD, PODFAB_INT64, 1, 0, NULL);
		pfs_unlock();
		if (rc < 0)
			return rc;
		if ((rc = pfs_wait_ge(&t->bar[r], SHMEM_SYNC_VALUE + 1)) < 0)
			return rc;
		/* take this arrival back: the word returns to SHMEM_SYNC_VALUE once all are taken */
		pfs_lock();
		rc = podfab_atomic(pfs.accel, pfs.me, seg, w, PODFAB_AOP_ADD, PODFAB_INT64, (uint64_t)-1, 0, NULL);
		pfs_unlock();
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- queries ---------------------------------------------------------------------- */
PFS_EXPORT int shmem_team_my_pe(shmem_team_t team)
{
	if (pfs_team_bad("shmem_team_my_pe", team))
		return -1;
	return team->my_pe;
}

PFS_EXPORT int shmem_team_n_pes(shmem_team_t team)
{
	if (pfs_team_bad("shmem_team_n_pes", team))
		return -1;
	return team->size;
}

PFS_EXPORT int shmem_team_get_config(shmem_team_t team, long config_mask, shmem_team_config_t *config)
{
	static const char *fn = "shmem_team_get_config";
	if (pfs_team_bad(fn, team))
		return -1;
	if (config_mask & ~SHMEM_TEAM_NUM_CONTEXTS)
		pfs_fail(fn, "config_mask 0x%lx includes unknown bits", config_mask);
	if (config_mask && !config)
		pfs_fail(fn, "config is NULL");
	if (config_mask & SHMEM_TEAM_NUM_CONTEXTS)
		config->num_contexts = team->config.num_contexts;
	return 0;
}

PFS_EXPORT int shmem_team_translate_pe(shmem_team_t src_team, int src_pe, shmem_team_t dest_team)
{
	static const char *fn = "shmem_team_translate_pe";
	if (pfs_team_bad(fn, src_team) || pfs_team_bad(fn, dest_team))
		return -1;
	if (src_pe < 0 || src_pe >= src_team->size)
		return -1;
	return pfs_team_index(dest_team, pfs_team_world(src_team, src_pe));
}

/* ---- creation --------------------------------------------------------------------- */

/*
 * Collective over the parent's members: each passes the world progression of
 * the team it joins (size 0: none).  Returns a new team, NULL when this PE
 * joins none, or sets *failed when no slot is free on all of its members (the
 * same outcome for every member).
 */
static struct pfshmem_team *team_make(const char *fn, struct pfshmem_team *parent, int start, int stride,
				      int size, const shmem_team_config_t *config, long config_mask,
				      int *failed)
{
	*failed = 0;
	/* publish this PE's free slots to the parent, then read those of the new members */
	__atomic_store_n(&parent->scratch[SCRATCH_MASK], (int64_t)free_mask, __ATOMIC_RELEASE);
	int rc = pfs_team_barrier(parent);
	pfs_check(fn, rc);
	struct pfshmem_team *t = NULL;
	if (size > 0) {
		uint64_t common = ~UINT64_C(0);
		podfab_seg_t seg;
		size_t off;
		if (pfs_xlate(&parent->scratch[SCRATCH_MASK], sizeof(int64_t), &seg, &off) < 0)
			pfs_fail(fn, "team area is not symmetric");
		for (int i = 0; i < size; i++) {
			int w = start + i * stride;
			uint64_t m;
			if (w == pfs.me) {
				m = free_mask;
			} else {
				pfs_lock();
				rc = podfab_get(pfs.accel, &m, w, seg, off, sizeof m);
				pfs_unlock();
				pfs_check(fn, rc);
			}
			common &= m;
		}
		t = common ? malloc(sizeof *t) : NULL;
		/* every member sees the same masks; only an out-of-memory PE differs (then it fails the job) */
		if (!common) {
			*failed = 1;
		} else if (!t) {
			pfs_fail(fn, "out of memory");
		} else {
			int slot = __builtin_ctzll(common);
			slot_reset(slot);
			team_setup(t, start, stride, size, slot);
			if (config && (config_mask & SHMEM_TEAM_NUM_CONTEXTS))
				t->config.num_contexts = config->num_contexts;
			t->config_mask = config_mask;
		}
	}
	/* nobody uses the new slots until every member has reset its words */
	rc = pfs_team_barrier(parent);
	pfs_check(fn, rc);
	return t;
}

static void config_check(const char *fn, const shmem_team_config_t *config, long mask)
{
	if (mask & ~SHMEM_TEAM_NUM_CONTEXTS)
		pfs_fail(fn, "config_mask 0x%lx includes unknown bits", mask);
	if (mask && !config)
		pfs_fail(fn, "config is NULL with config_mask 0x%lx", mask);
	if ((mask & SHMEM_TEAM_NUM_CONTEXTS) && config->num_contexts < 0)
		pfs_fail(fn, "num_contexts %d is negative", config->num_contexts);
}

PFS_EXPORT int shmem_team_split_strided(shmem_team_t parent, int start, int stride, int size,
					const shmem_team_config_t *config, long config_mask,
					shmem_team_t *new_team)
{
	static const char *fn = "shmem_team_split_strided";
	PFS_NEED_INIT(fn);
	if (!new_team)
		pfs_fail(fn, "new_team is NULL");
	*new_team = SHMEM_TEAM_INVALID;
	if (pfs_team_bad(fn, parent))
		return -1;
	config_check(fn, config, config_mask);
	/* the same arguments on every member of the parent: a bad set fails everywhere alike */
	long last = (long)start + (long)stride * (size - 1);
	if (size < 1 || start < 0 || start >= parent->size || last < 0 || last >= parent->size ||
	    (stride == 0 && size > 1))
		return -1;
	int wstart = pfs_team_world(parent, start), wstride = parent->stride * stride;
	struct pfshmem_team probe = {.start = wstart, .stride = wstride, .size = size};
	int member = pfs_team_index(&probe, pfs.me) >= 0;
	int failed;
	struct pfshmem_team *t =
		team_make(fn, parent, wstart, wstride, member ? size : 0, config, config_mask, &failed);
	if (failed)
		return -1;
	*new_team = t ? t : SHMEM_TEAM_INVALID;
	return 0;
}

PFS_EXPORT int shmem_team_split_2d(shmem_team_t parent, int xrange, const shmem_team_config_t *xaxis_config,
				   long xaxis_mask, shmem_team_t *xaxis_team,
				   const shmem_team_config_t *yaxis_config, long yaxis_mask,
				   shmem_team_t *yaxis_team)
{
	static const char *fn = "shmem_team_split_2d";
	PFS_NEED_INIT(fn);
	if (!xaxis_team || !yaxis_team)
		pfs_fail(fn, "%s is NULL", xaxis_team ? "yaxis_team" : "xaxis_team");
	*xaxis_team = *yaxis_team = SHMEM_TEAM_INVALID;
	if (pfs_team_bad(fn, parent))
		return -1;
	config_check(fn, xaxis_config, xaxis_mask);
	config_check(fn, yaxis_config, yaxis_mask);
	if (xrange < 1)
		return -1;
	int n = parent->size;
	if (xrange > n)
		xrange = n;
	int p = parent->my_pe, x = p % xrange, y = p / xrange;
	/* the x-axis team: this PE's row (xrange consecutive members, the last row shorter) */
	int xsize = n - y * xrange < xrange ? n - y * xrange : xrange;
	int failed;
	struct pfshmem_team *xt = team_make(fn, parent, pfs_team_world(parent, y * xrange), parent->stride,
					    xsize, xaxis_config, xaxis_mask, &failed);
	if (failed)
		return -1;
	/* the y-axis team: this PE's column */
	int ysize = (n - x + xrange - 1) / xrange;
	struct pfshmem_team *yt = team_make(fn, parent, pfs_team_world(parent, x), parent->stride * xrange,
					    ysize, yaxis_config, yaxis_mask, &failed);
	if (failed) {
		shmem_team_destroy(xt);
		return -1;
	}
	*xaxis_team = xt;
	*yaxis_team = yt;
	return 0;
}

PFS_EXPORT void shmem_team_destroy(shmem_team_t team)
{
	static const char *fn = "shmem_team_destroy";
	if (pfs_team_bad(fn, team))
		return;
	if (team->predefined)
		pfs_fail(fn, "%s cannot be destroyed",
			 team == SHMEM_TEAM_WORLD ? "SHMEM_TEAM_WORLD" : "SHMEM_TEAM_SHARED");
	/* its contexts go with it (their operations completed) */
	while (team->ctxs)
		shmem_ctx_destroy(team->ctxs);
	int rc = pfs_team_barrier(team);
	pfs_check(fn, rc);
	free_mask |= UINT64_C(1) << team->slot;
	team->magic = 0;
	free(team);
}

PFS_EXPORT int shmem_team_create_ctx(shmem_team_t team, long options, shmem_ctx_t *ctx)
{
	static const char *fn = "shmem_team_create_ctx";
	PFS_NEED_INIT(fn);
	if (!ctx)
		pfs_fail(fn, "ctx is NULL");
	if (pfs_team_bad(fn, team)) {
		*ctx = SHMEM_CTX_INVALID;
		return -1;
	}
	shmem_ctx_t c;
	if (pfs_ctx_new(fn, options, &c) < 0) {
		*ctx = SHMEM_CTX_INVALID;
		return -1;
	}
	if (team != SHMEM_TEAM_WORLD) { /* world contexts keep the world's fast path */
		c->team = team;
		c->next = team->ctxs;
		team->ctxs = c;
	}
	*ctx = c;
	return 0;
}

PFS_EXPORT void *shmem_team_ptr(shmem_team_t team, const void *dest, int pe)
{
	if (pfs_team_bad("shmem_team_ptr", team) || pe < 0 || pe >= team->size)
		return NULL;
	return shmem_ptr(dest, pfs_team_world(team, pe));
}
