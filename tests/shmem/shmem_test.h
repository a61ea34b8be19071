/*
 * shmem_test.h - helpers of the OpenSHMEM tests: each test is a SHMEM program
 * that podfab-run starts on 1, 2, 4 and 7 PEs; a failed check prints where and
 * why and ends the whole job with status 1.
 */
#ifndef SHMEM_TEST_H
#define SHMEM_TEST_H

#include <stdio.h>
#include <stdlib.h>

#include <shmem.h>

#define CHECK(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                      \
			fprintf(stderr, "%s:%d: PE %d: check failed: %s: ", __FILE__, __LINE__,     \
				shmem_my_pe(), #cond);                                              \
			fprintf(stderr, __VA_ARGS__);                                               \
			fputc('\n', stderr);                                                        \
			shmem_global_exit(1);                                                       \
		}                                                                                  \
	} while (0)

#endif /* SHMEM_TEST_H */
