/*
 * shmem.h - OpenSHMEM 1.5 over podfab (libpodfab-shmem).
 *
 * Build with podfab-oshcc (or `pkg-config --cflags --libs podfab-shmem`) and
 * run with podfab-oshrun -n N ./program (the same launcher as podfab-run).
 * Each processing element (PE) is one podfab accelerator; the symmetric heap
 * is a podfab segment and the program's global and static variables are
 * symmetric too.  In podfab's timed modes every operation is timed by the
 * fabric model as a native one is.
 */
#ifndef PODFAB_SHMEM_H
#define PODFAB_SHMEM_H

#include <stddef.h>
#include <stdint.h>

#include "pfshmem_types.h"

#if defined(__cplusplus)
#define PFSHMEM_NORETURN [[noreturn]]
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define PFSHMEM_NORETURN _Noreturn
#elif defined(__GNUC__)
#define PFSHMEM_NORETURN __attribute__((noreturn))
#else
#define PFSHMEM_NORETURN
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- 9.1 library setup, exit and query ---------------------------------- */
void shmem_init(void);
int shmem_init_thread(int requested, int *provided);
void shmem_query_thread(int *provided);
void shmem_finalize(void);
int shmem_my_pe(void);
int shmem_n_pes(void);
int shmem_pe_accessible(int pe);
int shmem_addr_accessible(const void *addr, int pe);
void *shmem_ptr(const void *dest, int pe);
void shmem_info_get_version(int *major, int *minor);
void shmem_info_get_name(char *name);
PFSHMEM_NORETURN void shmem_global_exit(int status);

/* ---- 9.3 memory management --------------------------------------------- */
void *shmem_malloc(size_t size);
void *shmem_calloc(size_t count, size_t size);
void *shmem_align(size_t alignment, size_t size);
void *shmem_realloc(void *ptr, size_t size);
void shmem_free(void *ptr);
void *shmem_malloc_with_hints(size_t size, long hints);

/* ---- 9.9 memory ordering, 9.11 barrier_all and sync_all ------------------ */
void shmem_fence(void);
void shmem_quiet(void);
void shmem_barrier_all(void);
void shmem_sync_all(void);

/* ---- 9.15 performance control ------------------------------------------- */
void shmem_pcontrol(int level, ...);

/* ---- deprecated names still listed by 1.5 ---------------------------------- */
void start_pes(int npes);
int _my_pe(void);
int _num_pes(void);
int shmem_my_pe_(void);
void *shmalloc(size_t size);
void shfree(void *ptr);
void *shrealloc(void *ptr, size_t size);
void *shmemalign(size_t alignment, size_t size);
void shmem_clear_cache_inv(void);
void shmem_set_cache_inv(void);
void shmem_clear_cache_line_inv(void *dest);
void shmem_set_cache_line_inv(void *dest);
void shmem_udcflush(void);
void shmem_udcflush_line(void *dest);

#ifdef __cplusplus
}
#endif

/* Contexts, RMA, atomics, signals, point-to-point synchronisation */
#include "pfshmem_rma.h"
/* Teams, collectives, locks */
#include "pfshmem_coll.h"

#endif /* PODFAB_SHMEM_H */
