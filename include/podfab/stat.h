/*
 * stat.h - read the timing counters of a running (or just finished) job on
 * this host: per-link traffic, busy and queueing time, replays, and the
 * accelerators' model clocks, from the job's timing region
 * /podfab.<job>.timing.  podfab-stat and podfab-run --report use it.
 *
 * The region exists while a job runs with timing (realtime or virtual); a
 * functional job has none.  The reader maps it read-only and never changes it.
 * Errors are negative podfab codes (podfab.h); podfab_error_detail() says more.
 */
#ifndef PODFAB_STAT_H
#define PODFAB_STAT_H

#include <stdio.h>

#include <podfab/podfab.h>
#include <podfab/topo.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A reader of one job's timing counters. */
typedef struct podfab_stat *podfab_stat_t;

/**
 * Map the timing region of job `job` read-only, check it, and load the fabric
 * model it names.  -PODFAB_EINVAL when the job has no timing region.
 */
PODFAB_EXPORT int podfab_stat_open(const char *job, podfab_stat_t *st);
/** Write the counters as one JSON object (see podfab_stat(3)). */
PODFAB_EXPORT int podfab_stat_json(podfab_stat_t st, FILE *f);
/** Write the text report with the `top` busiest directed links (all when negative). */
PODFAB_EXPORT int podfab_stat_report(podfab_stat_t st, FILE *f, int top);
/** The fabric model of the job (owned by the handle). */
PODFAB_EXPORT podfab_topo_t podfab_stat_model(podfab_stat_t st);
/** The job's model time so far: the latest clock of any accelerator, in ns. */
PODFAB_EXPORT double podfab_stat_time_ns(podfab_stat_t st);
/** Unmap the region and free the handle and its model (NULL is ignored). */
PODFAB_EXPORT void podfab_stat_close(podfab_stat_t st);

#ifdef __cplusplus
}
#endif

#endif /* PODFAB_STAT_H */
