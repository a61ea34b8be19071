/*
 * shmemx.h - podfab's extensions to OpenSHMEM (libpodfab-shmem).
 */
#ifndef PODFAB_SHMEMX_H
#define PODFAB_SHMEMX_H

#include "shmem.h"

#include <podfab/podfab.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The podfab accelerator handle under this PE (for podfab_time, podfab_link_stats, ...). */
podfab_t shmemx_podfab(void);
/** This PE's model time in ns (podfab_time): 0 in the functional mode. */
double shmemx_wtime_model(void);

#ifdef __cplusplus
}
#endif

#endif /* PODFAB_SHMEMX_H */
