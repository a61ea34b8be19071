/*
 * ring-worker.c - one accelerator of the live side of the live-versus-simulated
 * test (live.sh), run as
 *     podfab-run -n N -m MODEL --timing virtual ./sim-ring-worker K BYTES
 * After a barrier (and a pause that lets the barrier's messages drain),
 * accelerator i does K blocking puts of BYTES to (i+1) mod N and prints
 * "live I NS": the virtual time the K puts took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <podfab/podfab.h>

#define CHECK(cond, what)                                                                     \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "ring-worker: FAIL: %s [%s]\n", what, podfab_error_detail()); \
			exit(1);                                                              \
		}                                                                             \
	} while (0)

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ring-worker K BYTES\n");
		return 2;
	}
	int k = atoi(argv[1]);
	size_t bytes = (size_t)strtoull(argv[2], NULL, 10);
	CHECK(k > 0 && bytes > 0 && bytes <= (1u << 20), "K and BYTES");
	podfab_t pf;
	CHECK(podfab_init(NULL, &pf) == 0, "init");
	int id = podfab_accel_id(pf), n = podfab_naccels(pf);
	CHECK(podfab_timing_mode(pf) == PODFAB_TIMING_VIRTUAL, "virtual timing");
	podfab_seg_t seg;
	CHECK(podfab_seg_alloc(pf, (size_t)k * bytes, &seg) == 0, "seg_alloc");
	unsigned char *buf = malloc(bytes);
	CHECK(buf != NULL, "malloc");
	memset(buf, id + 1, bytes);
	CHECK(podfab_barrier(pf) == 0, "barrier");
	CHECK(podfab_time_advance(pf, 100000.0) == 0, "time_advance");
	double t0, t1;
	CHECK(podfab_time(pf, &t0) == 0, "time");
	for (int i = 0; i < k; i++)
		CHECK(podfab_put(pf, (id + 1) % n, seg, (size_t)i * bytes, buf, bytes) == 0, "put");
	CHECK(podfab_time(pf, &t1) == 0, "time");
	printf("live %d %.6f\n", id, t1 - t0);
	fflush(stdout);
	CHECK(podfab_barrier(pf) == 0, "barrier");
	free(buf);
	CHECK(podfab_seg_free(pf, seg) == 0, "seg_free");
	CHECK(podfab_finalize(pf) == 0, "finalize");
	return 0;
}
