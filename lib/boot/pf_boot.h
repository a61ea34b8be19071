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

#define PF_BOOT_BLOB 128u /* bytes each accelerator contributes to one allgather */

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
};

extern const struct pf_boot_ops pf_boot_local_ops;

#endif /* PF_BOOT_H */
