/*
 * test_rma_errors.c - wrong arguments end the job with a message (run with
 * one argument naming the mistake; meson expects every run to fail):
 *   pe    a PE number past the last one        addr  a private (stack) target
 *   null  a NULL target with nelems > 0        ctx   SHMEM_CTX_INVALID
 *   cmp   a comparison that is not SHMEM_CMP_*  amo   a misaligned atomic
 * and shmem_global_exit from the last PE while the others wait in a barrier:
 *   exit0 shmem_global_exit(0): the job must end with status 0
 *   exit5 shmem_global_exit(5): the job must end with status 5
 */
#include <string.h>

#include "shmem_test.h"

long target[4];

int main(int argc, char **argv)
{
	shmem_init();
	const char *what = argc > 1 ? argv[1] : "";
	int n = shmem_n_pes();
	long local[4] = {0};
	if (!strcmp(what, "pe"))
		shmem_long_p(target, 1, n);
	else if (!strcmp(what, "addr"))
		shmem_long_put(local, target, 4, 0);
	else if (!strcmp(what, "null"))
		shmem_long_put(NULL, local, 1, 0);
	else if (!strcmp(what, "ctx"))
		shmem_ctx_long_put(SHMEM_CTX_INVALID, target, local, 4, 0);
	else if (!strcmp(what, "cmp"))
		shmem_long_wait_until(target, 42, 0);
	else if (!strcmp(what, "amo"))
		shmem_int_atomic_add((int *)((char *)target + 2), 1, 0);
	else if (!strncmp(what, "exit", 4)) {
		if (shmem_my_pe() == n - 1)
			shmem_global_exit(what[4] - '0');
		shmem_barrier_all(); /* never completes: the last PE is gone */
		return 3;
	}
	shmem_finalize();
	return 0; /* reached only when the mistake went unnoticed */
}
