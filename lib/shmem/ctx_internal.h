/*
 * ctx_internal.h - libpodfab-shmem's communication contexts, for the parts
 * that make or use them (ctx.c, rma.c, amo.c, p2p.c, team.c).
 *
 * Every context shares the PE's podfab handle: ordering and completion per
 * context (shmem_ctx_fence, shmem_ctx_quiet) are podfab_fence and
 * podfab_quiet on that handle, which order or complete the operations of
 * every context of the PE, a stronger guarantee than the specification's.
 */
#ifndef PF_SHMEM_CTX_INTERNAL_H
#define PF_SHMEM_CTX_INTERNAL_H

#include "shmem_internal.h"

#define PFS_CTX_MAGIC 0x70667378u  /* "pfsx" */
#define PFS_TEAM_MAGIC 0x70667374u /* "pfst" */

struct pfshmem_ctx {
	uint32_t magic;     /* PFS_CTX_MAGIC while the context lives */
	long options;       /* SHMEM_CTX_PRIVATE | SHMEM_CTX_SERIALIZED | SHMEM_CTX_NOSTORE */
	shmem_team_t team;  /* NULL: SHMEM_TEAM_WORLD; team.c sets it for shmem_team_create_ctx */
	int is_default;     /* SHMEM_CTX_DEFAULT: may not be destroyed */
	struct pfshmem_ctx *next; /* the team's list of its contexts */
};

/*
 * A team, or the active set of a deprecated collective: the world PEs
 * start + i x stride for i in [0, size) (every team made by splits is such a
 * progression of world PE numbers).  bar and scratch are symmetric words: the
 * team's slot of the team area, or the caller's pSync for an active set.
 */
struct pfshmem_team {
	uint32_t magic;    /* PFS_TEAM_MAGIC while the team lives */
	int start, stride, size;
	int my_pe;         /* the caller's number in the team */
	int slot;          /* its slot of the team area; -1 for an active set */
	int predefined;    /* SHMEM_TEAM_WORLD, SHMEM_TEAM_SHARED: not destroyed by the user */
	int64_t *bar;      /* PFS_TEAM_BAR_WORDS barrier words (one per dissemination round) */
	int64_t *scratch;  /* PFS_TEAM_SCRATCH_WORDS words published to the team in collectives */
	shmem_team_config_t config;
	long config_mask;
	struct pfshmem_ctx *ctxs;
};
#define PFS_TEAM_BAR_WORDS 32
#define PFS_TEAM_SCRATCH_WORDS 32

/* The world PE of team member i. */
static inline int pfs_team_world(const struct pfshmem_team *t, int i)
{
	return t->start + i * t->stride;
}

/* The member number of world PE w in team t, or -1. */
static inline int pfs_team_index(const struct pfshmem_team *t, int w)
{
	int d = w - t->start;
	if (t->stride == 0)
		return d == 0 && t->size > 0 ? 0 : -1;
	if (d % t->stride)
		return -1;
	int i = d / t->stride;
	return i >= 0 && i < t->size ? i : -1;
}

/*
 * Synchronise the members of t (a dissemination barrier over its barrier
 * words; it does not complete outstanding puts).  0 or a podfab error.
 */
int pfs_team_barrier(struct pfshmem_team *t);
/* Wait until the local 64-bit word at addr is >= value (polls under SHMEM_THREAD_MULTIPLE). */
int pfs_wait_ge(const int64_t *addr, int64_t value);
/* A team argument must be SHMEM_TEAM_INVALID (returns 1) or a live team (0). */
int pfs_team_bad(const char *func, shmem_team_t team);

/* SHMEM_CTX_DEFAULT (the routines without a context use it directly, not through the GOT). */
extern struct pfshmem_ctx pfs_default_ctx;

/*
 * A new context with these options (unknown bits are a fatal error).  Returns
 * 0, or -1 when out of memory (*out untouched).  The caller may set ->team.
 */
int pfs_ctx_new(const char *func, long options, shmem_ctx_t *out);

/* A context argument of an RMA, atomic or ordering routine must be a live context. */
static inline void pfs_ctx_check(const char *func, shmem_ctx_t ctx)
{
	if (pfs_unlikely(ctx == SHMEM_CTX_INVALID))
		pfs_fail(func, "the context is SHMEM_CTX_INVALID");
	if (pfs_unlikely(ctx->magic != PFS_CTX_MAGIC))
		pfs_fail(func, "%p is not a context (or it was destroyed)", (void *)ctx);
}

/*
 * The world PE of `pe` in the numbering of ctx's team (contexts made by
 * shmem_team_create_ctx name PEs by their team number); fatal when it is not
 * one of the team's.
 */
static inline int pfs_ctx_pe(const char *func, shmem_ctx_t ctx, int pe)
{
	const struct pfshmem_team *t = ctx->team;
	if (pfs_likely(!t)) {
		pfs_check_pe(func, pe);
		return pe;
	}
	if (pfs_unlikely(pe < 0 || pe >= t->size))
		pfs_fail(func, "PE %d is not in [0, %d) of the context's team", pe, t->size);
	return pfs_team_world(t, pe);
}

/*
 * A non-blocking podfab call; when podfab's request table is full, complete
 * what is outstanding and try once more.
 */
#define PFS_NB(rc, call)                                                                           \
	do {                                                                                       \
		(rc) = (call);                                                                      \
		if ((rc) == -PODFAB_EAGAIN && ((rc) = podfab_quiet(pfs.accel)) == 0)                \
			(rc) = (call);                                                              \
	} while (0)

#endif /* PF_SHMEM_CTX_INTERNAL_H */
