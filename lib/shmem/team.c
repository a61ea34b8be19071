/* team.c - teams (placeholder: being written) */
#include "shmem_internal.h"

int pfs_team_init(void)
{
	return 0;
}

void pfs_team_fini(void)
{
}
