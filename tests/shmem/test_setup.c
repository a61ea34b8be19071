/*
 * test_setup.c - OpenSHMEM 1.5 sections 9.1 (setup, exit, query) and 9.3
 * (memory management): init and queries, the symmetric heap's agreement
 * across PEs, alignment, calloc, realloc in place and moved, free and reuse,
 * and global/static variables as symmetric memory.
 */
#include <stdint.h>
#include <string.h>

#include "shmem_test.h"
#include <mpp/shmem.h> /* the deprecated header directory, still required: the same header */
#include <mpp/shmemx.h>

int global_counter = 7;             /* .data */
static long static_array[1000];     /* .bss */
static const char *const tag = "setup";

int main(void)
{
	int provided = -1;
	CHECK(shmem_init_thread(SHMEM_THREAD_MULTIPLE, &provided) == 0, "init_thread failed");
	CHECK(provided == SHMEM_THREAD_MULTIPLE, "provided %d", provided);
	int q = -1;
	shmem_query_thread(&q);
	CHECK(q == provided, "query_thread %d", q);
	shmem_init(); /* again: allowed, does nothing */
	int me = shmem_my_pe(), n = shmem_n_pes();
	CHECK(n >= 1 && me >= 0 && me < n, "me %d of %d", me, n);
	CHECK(_my_pe() == me && _num_pes() == n, "deprecated queries");
	int major = 0, minor = 0;
	shmem_info_get_version(&major, &minor);
	CHECK(major == 1 && minor == 5, "version %d.%d", major, minor);
	char name[SHMEM_MAX_NAME_LEN];
	shmem_info_get_name(name);
	CHECK(strlen(name) > 0 && strlen(name) < SHMEM_MAX_NAME_LEN, "name '%s'", name);
	CHECK(shmem_pe_accessible(n - 1) && !shmem_pe_accessible(n) && !shmem_pe_accessible(-1), "pe_accessible");

	/* The heap: the same offsets everywhere, so every PE gets the same addresses relative to the first. */
	char *a = shmem_malloc(100);
	double *b = shmem_align(4096, 3 * sizeof(double));
	int *c = shmem_calloc(50, sizeof(int));
	CHECK(a && b && c, "allocation failed");
	CHECK(((uintptr_t)b & 4095) == 0, "align: %p", (void *)b);
	CHECK(((uintptr_t)a & 7) == 0, "malloc alignment: %p", (void *)a);
	for (int i = 0; i < 50; i++)
		CHECK(c[i] == 0, "calloc: c[%d] = %d", i, c[i]);
	CHECK(shmem_addr_accessible(a, (me + 1) % n) && shmem_addr_accessible(c + 49, 0), "heap addresses accessible");
	int local = 0;
	CHECK(!shmem_addr_accessible(&local, 0), "a stack variable is not symmetric");
	CHECK(shmem_addr_accessible(&global_counter, 0) && shmem_addr_accessible(&static_array[999], n - 1),
	      "global and static variables are symmetric");
	CHECK(shmem_malloc(0) == NULL, "malloc(0) gives NULL");

	/* realloc: grows in place when the next block is free, keeps contents when it moves */
	memset(a, 0x5a, 100);
	char *a2 = shmem_realloc(a, 200);
	CHECK(a2 != NULL, "realloc");
	for (int i = 0; i < 100; i++)
		CHECK(a2[i] == 0x5a, "realloc kept byte %d", i);
	char *d = shmem_malloc(64);
	char *a3 = shmem_realloc(a2, 1 << 20); /* cannot grow in place past d: moves */
	CHECK(a3 && a3 != a2, "realloc moved");
	for (int i = 0; i < 100; i++)
		CHECK(a3[i] == 0x5a, "moved realloc kept byte %d", i);
	shmem_free(d);
	shmem_free(a3);
	shmem_free(b);
	shmem_free(c);
	shmem_free(NULL);
	/* Everything is free again: the next allocation starts where the first did. */
	char *again = shmem_malloc(100);
	CHECK(again == a, "freed space is reused: %p vs %p", (void *)again, (void *)a);
	shmem_free(again);
	void *h = shmem_malloc_with_hints(256, SHMEM_MALLOC_ATOMICS_REMOTE | SHMEM_MALLOC_SIGNAL_REMOTE);
	CHECK(h != NULL, "malloc_with_hints");
	shmem_free(h);

	/* Globals keep their values and are reachable through shmem_ptr where memory is mapped. */
	CHECK(global_counter == 7 && strcmp(tag, "setup") == 0, "globals kept their values");
	static_array[me % 1000] = 1000 + me;
	global_counter = 100 + me;
	shmem_barrier_all();
	int right = (me + 1) % n;
	int *rp = shmem_ptr(&global_counter, right);
	long *ra = shmem_ptr(static_array, right);
	if (rp) { /* NULL in the timed modes (every access is timed) */
		CHECK(*rp == 100 + right, "right's global_counter = %d", *rp);
		CHECK(ra && ra[right % 1000] == 1000 + right, "right's static_array");
	}
	CHECK(shmem_ptr(&local, right) == NULL, "shmem_ptr of a private address is NULL");
	shmem_barrier_all();
	shmem_finalize();
	/* After finalize the program's variables are still there. */
	return global_counter == 100 + me ? 0 : 1;
}
