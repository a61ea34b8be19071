/*
 * test_profile.c - the profiling interface (OpenSHMEM 1.5, "Profiling
 * Interface"): a tool wraps shmem_X with its own definition and reaches the
 * library through pshmem_X.  This program is its own tool: it wraps
 * shmem_int_p, shmem_barrier_all and shmem_long_atomic_fetch_add, counts the
 * calls, and checks that the wrapped calls and the pshmem_ twins called
 * directly do what the shmem_ routines do.
 */
#include <pshmem.h>

#include "shmem_test.h"

static int n_p, n_barrier, n_fadd;

void shmem_int_p(int *dest, int value, int pe)
{
	n_p++;
	pshmem_int_p(dest, value, pe);
}

void shmem_barrier_all(void)
{
	n_barrier++;
	pshmem_barrier_all();
}

long shmem_long_atomic_fetch_add(long *dest, long value, int pe)
{
	n_fadd++;
	return pshmem_long_atomic_fetch_add(dest, value, pe);
}

static int ring_in;
static long counter;

int main(void)
{
	pshmem_init();
	int me = shmem_my_pe(), n = shmem_n_pes();
	CHECK(pshmem_my_pe() == me && pshmem_n_pes() == n, "pshmem_my_pe %d, pshmem_n_pes %d", pshmem_my_pe(),
	      pshmem_n_pes());
	int major = 0, minor = 0;
	pshmem_info_get_version(&major, &minor);
	CHECK(major == SHMEM_MAJOR_VERSION && minor == SHMEM_MINOR_VERSION, "pshmem_info_get_version %d.%d", major,
	      minor);
	pshmem_pcontrol(1);

	int b0 = n_barrier;
	shmem_int_p(&ring_in, 1000 + me, (me + 1) % n);
	shmem_barrier_all();
	CHECK(n_p == 1, "the wrapper of shmem_int_p ran %d times, not once", n_p);
	CHECK(n_barrier > b0, "the wrapper of shmem_barrier_all did not run");
	CHECK(ring_in == 1000 + (me + n - 1) % n, "through the wrapper: ring_in %d", ring_in);

	long old = shmem_long_atomic_fetch_add(&counter, 1, 0);
	CHECK(old >= 0 && old < n, "fetch-add through the wrapper returned %ld", old);
	CHECK(n_fadd == 1, "the wrapper of the fetch-add ran %d times", n_fadd);
	pshmem_barrier_all();
	if (me == 0)
		CHECK(counter == n, "counter %ld after %d fetch-adds", counter, n);

	/* the twins alone, without the wrappers */
	int *heap = pshmem_malloc(sizeof *heap);
	CHECK(heap != NULL, "pshmem_malloc");
	*heap = -1;
	pshmem_barrier_all();
	pshmem_int_put(heap, &me, 1, (me + 1) % n);
	pshmem_quiet();
	pshmem_barrier_all();
	CHECK(*heap == (me + n - 1) % n, "pshmem_int_put: %d", *heap);
	CHECK(pshmem_int_g(heap, me) == *heap, "pshmem_int_g");
	CHECK(n_p == 1 && n_fadd == 1, "the pshmem_ twins went through the wrappers (%d, %d)", n_p, n_fadd);
	pshmem_free(heap);
	pshmem_finalize();
	return 0;
}
