/*
 * typical.c - an OpenSHMEM 1.5 program as users write it, with nothing of
 * podfab in it: built by podfab-oshcc and started by podfab-oshrun in the
 * 'shmem-wrapper' test.  A ring of puts into a global array, a counter on PE 0
 * bumped by everyone, and a sum reduction, each checked.
 */
#include <shmem.h>
#include <stdio.h>

#define N 16

long ring[N]; /* a global: symmetric */

int main(void)
{
	shmem_init();
	int me = shmem_my_pe(), npes = shmem_n_pes();
	long *src = shmem_malloc(N * sizeof(long));
	long *counter = shmem_calloc(1, sizeof(long));
	int *value = shmem_malloc(sizeof(int));
	int *sum = shmem_malloc(sizeof(int));
	for (int i = 0; i < N; i++)
		src[i] = me * 1000 + i;
	*value = me + 1;
	shmem_barrier_all();

	shmem_long_put(ring, src, N, (me + 1) % npes);
	shmem_long_atomic_add(counter, me + 1, 0);
	shmem_barrier_all();
	shmem_int_sum_reduce(SHMEM_TEAM_WORLD, sum, value, 1);

	int left = (me + npes - 1) % npes, bad = 0;
	for (int i = 0; i < N; i++)
		bad |= ring[i] != left * 1000 + i;
	long total = shmem_long_g(counter, 0);
	if (total != (long)npes * (npes + 1) / 2 || *sum != npes * (npes + 1) / 2)
		bad = 1;
	printf("PE %d of %d: ring from %d %s, counter %ld, sum %d\n", me, npes, left, bad ? "WRONG" : "ok",
	       total, *sum);
	shmem_free(sum);
	shmem_free(value);
	shmem_free(counter);
	shmem_free(src);
	shmem_finalize();
	return bad;
}
