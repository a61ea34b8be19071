/* ctx.c - contexts (placeholder: being written) */
#include "shmem_internal.h"

int pfs_ctx_init(void)
{
	return 0;
}

void pfs_ctx_fini(void)
{
}
