/*
 * test_lock.c - OpenSHMEM 1.5 section 9.11 (distributed locks): a
 * non-atomic read-modify-write (get, add, put) of counters on PE 0 and on
 * the last PE, done many times by every PE under shmem_set_lock /
 * shmem_clear_lock, ends exact; an atomic "inside" count shows that one PE
 * at a time holds the lock; a lock in global (static) memory, one on the
 * symmetric heap and one in a global array; shmem_test_lock returns 0 when
 * it set the lock and 1 while another PE holds it, and can be spun on; two
 * locks held at once; one lock held does not block another.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#endif
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "shmem_test.h"

#define ITER 200

static int me, npes;
static long gl_lock;         /* a lock in global memory */
static long gl_locks[3];     /* three locks side by side */
static long gl_counter[4];   /* counters in global memory */

/* a short sleep in the critical region lets the other PEs run */
static void linger(void)
{
	struct timespec ts = {0, 20000};
	nanosleep(&ts, NULL);
}

/* the critical region: one PE at a time, a get/add/put that is not atomic */
static void critical(long *counter, int pe, long *inside, long add)
{
	long was = shmem_long_atomic_fetch_add(inside, 1, 0);
	CHECK(was == 0, "%ld other PEs inside the critical region", was);
	long v = shmem_long_g(counter, pe);
	linger();
	shmem_long_p(counter, v + add, pe);
	shmem_long_atomic_add(inside, -1, 0);
}

static long sum_adds(void) /* the sum over the PEs of me + 1 */
{
	return (long)npes * (npes + 1) / 2;
}

static void set_clear(long *inside)
{
	/* global lock, counter on PE 0; heap lock, counter on the last PE */
	long *hlock = shmem_calloc(1, sizeof(long));
	long *hcount = shmem_calloc(1, sizeof(long));
	shmem_barrier_all();
	for (int i = 0; i < ITER; i++) {
		shmem_set_lock(&gl_lock);
		critical(&gl_counter[0], 0, inside, me + 1);
		shmem_clear_lock(&gl_lock);
		shmem_set_lock(hlock);
		critical(hcount, npes - 1, inside + 1, 1);
		shmem_clear_lock(hlock);
	}
	shmem_barrier_all();
	CHECK(shmem_long_g(&gl_counter[0], 0) == ITER * sum_adds(), "global lock: counter %ld, want %ld",
	      shmem_long_g(&gl_counter[0], 0), ITER * sum_adds());
	CHECK(shmem_long_g(hcount, npes - 1) == (long)ITER * npes, "heap lock: counter %ld, want %ld",
	      shmem_long_g(hcount, npes - 1), (long)ITER * npes);

	/* test_lock spun on, mixed with set_lock on the same lock */
	shmem_barrier_all();
	for (int i = 0; i < ITER; i++) {
		if ((i + me) % 2) {
			int r;
			long tries = 0;
			while ((r = shmem_test_lock(hlock)) != 0) {
				CHECK(r == 1, "test_lock returned %d", r);
				tries++;
			}
			(void)tries;
		} else {
			shmem_set_lock(hlock);
		}
		critical(&gl_counter[1], 0, inside, 2);
		shmem_clear_lock(hlock);
	}
	shmem_barrier_all();
	CHECK(shmem_long_g(&gl_counter[1], 0) == 2L * ITER * npes, "test_lock + set_lock: counter %ld, want %ld",
	      shmem_long_g(&gl_counter[1], 0), 2L * ITER * npes);
	shmem_barrier_all();
	shmem_free(hcount);
	shmem_free(hlock);
}

/* two locks held at once, always taken in the same order */
static void two_locks(long *inside)
{
	long *data = shmem_calloc(8, sizeof(long));
	shmem_barrier_all();
	int pe = npes / 2;
	for (int i = 0; i < ITER; i++) {
		shmem_set_lock(&gl_locks[0]);
		shmem_set_lock(&gl_locks[2]);
		/* a whole array read, changed and written back */
		long buf[8];
		long was = shmem_long_atomic_fetch_add(inside, 1, 0);
		CHECK(was == 0, "two locks: %ld other PEs inside", was);
		shmem_long_get(buf, data, 8, pe);
		linger();
		for (int k = 0; k < 8; k++)
			buf[k] += k + 1;
		shmem_long_put(data, buf, 8, pe);
		critical(&gl_counter[2], npes - 1, inside + 1, 1);
		shmem_long_atomic_add(inside, -1, 0);
		shmem_clear_lock(&gl_locks[2]);
		shmem_clear_lock(&gl_locks[0]);
	}
	shmem_barrier_all();
	long got[8];
	shmem_long_get(got, data, 8, pe);
	for (int k = 0; k < 8; k++)
		CHECK(got[k] == (long)ITER * npes * (k + 1), "two locks: data[%d] = %ld, want %ld", k, got[k],
		      (long)ITER * npes * (k + 1));
	CHECK(shmem_long_g(&gl_counter[2], npes - 1) == (long)ITER * npes, "two locks: counter %ld",
	      shmem_long_g(&gl_counter[2], npes - 1));
	shmem_barrier_all();
	shmem_free(data);
}

/* test_lock: 0 when it sets the lock, 1 while another PE holds it */
static void test_lock(long *inside)
{
	int holder = npes - 1;
	shmem_barrier_all();
	if (me == holder)
		CHECK(shmem_test_lock(&gl_locks[1]) == 0, "test_lock on a free lock did not set it");
	shmem_barrier_all();
	if (me != holder) {
		CHECK(shmem_test_lock(&gl_locks[1]) == 1, "test_lock on a held lock returned 0");
		/* the lock next to it is not held: set it, use it, clear it */
		shmem_set_lock(&gl_locks[0]);
		critical(&gl_counter[3], 0, inside, 1);
		shmem_clear_lock(&gl_locks[0]);
		CHECK(shmem_test_lock(&gl_locks[1]) == 1, "test_lock on a held lock returned 0 (again)");
	}
	shmem_barrier_all();
	CHECK(shmem_long_g(&gl_counter[3], 0) == npes - 1, "a free lock next to a held one: counter %ld",
	      shmem_long_g(&gl_counter[3], 0));
	if (me == holder)
		shmem_clear_lock(&gl_locks[1]);
	shmem_barrier_all();
	/* now free: the first PE sets it with test_lock, then set_lock waits for it */
	if (me == 0) {
		CHECK(shmem_test_lock(&gl_locks[1]) == 0, "test_lock on a cleared lock did not set it");
		shmem_clear_lock(&gl_locks[1]);
	}
	shmem_barrier_all();
	shmem_set_lock(&gl_locks[1]);
	critical(&gl_counter[3], 0, inside, 1);
	shmem_clear_lock(&gl_locks[1]);
	shmem_barrier_all();
	CHECK(shmem_long_g(&gl_counter[3], 0) == 2L * npes - 1, "counter %ld, want %ld",
	      shmem_long_g(&gl_counter[3], 0), 2L * npes - 1);
	shmem_barrier_all();
}

int main(void)
{
	shmem_init();
	me = shmem_my_pe();
	npes = shmem_n_pes();
	long *inside = shmem_calloc(2, sizeof(long)); /* on PE 0: PEs in each critical region */
	set_clear(inside);
	two_locks(inside);
	test_lock(inside);
	shmem_barrier_all();
	CHECK(inside[0] == 0 && inside[1] == 0, "inside counts %ld %ld", inside[0], inside[1]);
	shmem_free(inside);
	shmem_finalize();
	return 0;
}
