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

#define PFS_CTX_MAGIC 0x70667378u /* "pfsx" */

struct pfshmem_ctx {
	uint32_t magic;     /* PFS_CTX_MAGIC while the context lives */
	long options;       /* SHMEM_CTX_PRIVATE | SHMEM_CTX_SERIALIZED | SHMEM_CTX_NOSTORE */
	shmem_team_t team;  /* NULL: SHMEM_TEAM_WORLD; team.c sets it for shmem_team_create_ctx */
	int is_default;     /* SHMEM_CTX_DEFAULT: may not be destroyed */
};

/*
 * A new context with these options (unknown bits are a fatal error).  Returns
 * 0, or -1 when out of memory (*out untouched).  The caller may set ->team.
 */
int pfs_ctx_new(long options, shmem_ctx_t *out);

/* A context argument of an RMA, atomic or ordering routine must be a live context. */
static inline void pfs_ctx_check(const char *func, shmem_ctx_t ctx)
{
	if (pfs_unlikely(ctx == SHMEM_CTX_INVALID))
		pfs_fail(func, "the context is SHMEM_CTX_INVALID");
	if (pfs_unlikely(ctx->magic != PFS_CTX_MAGIC))
		pfs_fail(func, "%p is not a context (or it was destroyed)", (void *)ctx);
}

#endif /* PF_SHMEM_CTX_INTERNAL_H */
