/*
 * pf_boot.h - how accelerators find each other (slow path only).
 *
 * A bootstrap gives every accelerator of a job an allgather of small blobs and a
 * barrier, bounded in time, and tells whether the peers are alive.  The local
 * bootstrap works through one POSIX shared-memory object per job; TCP and PMIx
 * bootstraps fill the same ops table later.
 */
#ifndef PF_BOOT_H
#define PF_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "podfab_config.h"

#define PF_BOOT_BLOB 192u /* bytes each accelerator contributes to one allgather */

struct pf_boot;

struct pf_boot_ops {
	const char *name;
	/* Attach accelerator `id` of `n` to job `job`; waits until all have attached. */
	int (*open)(const char *job, int id, int n, uint32_t timeout_ms, struct pf_boot **boot);
	/* Everyone contributes len (<= PF_BOOT_BLOB) bytes; out (unless NULL) receives n * len bytes. */
	int (*allgather)(struct pf_boot *boot, const void *in, size_t len, void *out);
	int (*barrier)(struct pf_boot *boot);
	/* 0 when every peer is alive, else -PODFAB_EPEERDEAD (rate-limited internally). */
	int (*check_peers)(struct pf_boot *boot);
	/* Leave: marks this accelerator gone and releases the job's resources. */
	void (*close)(struct pf_boot *boot);
	/*
	 * Optional (NULL when the launcher's environment names them): this
	 * process's accelerator id, the job's size and a job name of at most
	 * PF_JOB_MAX characters of [A-Za-z0-9_-], as the launcher (PMIx) knows them.
	 */
	int (*identify)(int *id, int *n, char *job, size_t job_size);
	/*
	 * Optional (NULL when the bootstrap cannot): fn(arg) is to be called
	 * over and over while open, allgather or barrier wait for peers.  The
	 * core keeps a transport with manual progress (libfabric) moving with it:
	 * a peer that is still reading our memory must not wait for us forever
	 * while we wait for it in the bootstrap.
	 */
	void (*set_idle)(struct pf_boot *boot, void (*fn)(void *arg), void *arg);
};

extern const struct pf_boot_ops pf_boot_local_ops;
/* TCP rendezvous (PODFAB_RENDEZVOUS=HOST:PORT; accelerator 0 listens there). */
extern const struct pf_boot_ops pf_boot_tcp_ops;
#if PODFAB_HAVE_PMIX
/* PMIx (launched by mpirun, prterun or srun): put/commit/fence/get. */
extern const struct pf_boot_ops pf_boot_pmix_ops;
#endif

/*
 * The bootstrap of this process: PODFAB_BOOT=local|tcp|pmix when set; else
 * tcp when PODFAB_RENDEZVOUS is set; else PMIx when a PMIx launcher started
 * us (PMIX_RANK in the environment) and PMIx is built in; else local.
 * NULL (with the error detail set) for an unknown or unavailable PODFAB_BOOT.
 */
const struct pf_boot_ops *pf_boot_select(void);

#endif /* PF_BOOT_H */
