/*
 * ctx.c - communication contexts (OpenSHMEM 1.5, section 9.4) and their
 * ordering routines shmem_ctx_fence and shmem_ctx_quiet (9.9).
 */
#include <stdlib.h>

#include "ctx_internal.h"

struct pfshmem_ctx pfs_default_ctx = {PFS_CTX_MAGIC, 0, NULL, 1, NULL};
PFS_EXPORT shmem_ctx_t const SHMEM_CTX_DEFAULT = &pfs_default_ctx;

int pfs_ctx_init(void)
{
	pfs_default_ctx.magic = PFS_CTX_MAGIC;
	return 0;
}

void pfs_ctx_fini(void)
{
}

int pfs_ctx_new(const char *func, long options, shmem_ctx_t *out)
{
	const long known = SHMEM_CTX_PRIVATE | SHMEM_CTX_SERIALIZED | SHMEM_CTX_NOSTORE;
	if (options & ~known)
		pfs_fail(func, "options 0x%lx include unknown bits", options);
	struct pfshmem_ctx *c = malloc(sizeof *c);
	if (!c)
		return -1;
	*c = (struct pfshmem_ctx){PFS_CTX_MAGIC, options, NULL, 0, NULL};
	*out = c;
	return 0;
}

PFS_EXPORT int shmem_ctx_create(long options, shmem_ctx_t *ctx)
{
	PFS_NEED_INIT("shmem_ctx_create");
	if (!ctx)
		pfs_fail("shmem_ctx_create", "ctx is NULL");
	return pfs_ctx_new("shmem_ctx_create", options, ctx) < 0 ? 1 : 0;
}

PFS_EXPORT void shmem_ctx_destroy(shmem_ctx_t ctx)
{
	static const char *fn = "shmem_ctx_destroy";
	PFS_NEED_INIT(fn);
	if (ctx == SHMEM_CTX_INVALID)
		return; /* 1.5: nothing happens */
	pfs_ctx_check(fn, ctx);
	if (ctx->is_default)
		pfs_fail(fn, "SHMEM_CTX_DEFAULT cannot be destroyed");
	/* Destroying a context completes its operations (as shmem_ctx_quiet). */
	pfs_lock();
	int rc = podfab_quiet(pfs.accel);
	pfs_unlock();
	pfs_check(fn, rc);
	if (ctx->team) { /* off its team's list */
		struct pfshmem_ctx **pp = &ctx->team->ctxs;
		while (*pp && *pp != ctx)
			pp = &(*pp)->next;
		if (*pp)
			*pp = ctx->next;
	}
	ctx->magic = 0;
	free(ctx);
}

PFS_EXPORT int shmem_ctx_get_team(shmem_ctx_t ctx, shmem_team_t *team)
{
	static const char *fn = "shmem_ctx_get_team";
	PFS_NEED_INIT(fn);
	if (!team)
		pfs_fail(fn, "team is NULL");
	if (ctx == SHMEM_CTX_INVALID) {
		*team = SHMEM_TEAM_INVALID;
		return -1;
	}
	pfs_ctx_check(fn, ctx);
	*team = ctx->team ? ctx->team : SHMEM_TEAM_WORLD;
	return 0;
}

PFS_EXPORT void shmem_ctx_fence(shmem_ctx_t ctx)
{
	PFS_NEED_INIT("shmem_ctx_fence");
	if (ctx == SHMEM_CTX_INVALID)
		return; /* 1.5: nothing happens */
	pfs_ctx_check("shmem_ctx_fence", ctx);
	pfs_lock();
	int rc = podfab_fence(pfs.accel);
	pfs_unlock();
	pfs_check("shmem_ctx_fence", rc);
}

PFS_EXPORT void shmem_ctx_quiet(shmem_ctx_t ctx)
{
	PFS_NEED_INIT("shmem_ctx_quiet");
	if (ctx == SHMEM_CTX_INVALID)
		return; /* 1.5: nothing happens */
	pfs_ctx_check("shmem_ctx_quiet", ctx);
	pfs_lock();
	int rc = podfab_quiet(pfs.accel);
	pfs_unlock();
	pfs_check("shmem_ctx_quiet", rc);
}
