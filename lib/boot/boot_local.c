/*
 * boot_local.c - the local bootstrap: accelerators of one job on one host meet in
 * a POSIX shared-memory object "/podfab.<job>.ctl" (mode 0600).  The first to
 * arrive creates it; accelerator 0 unlinks it once everyone has attached, so a
 * finished or crashed job leaves no name behind (podfab-run sweeps the window).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pf_internal.h"

#define CTL_MAGIC 0x706f646661626331ull /* "podfabc1" */
#define CTL_VERSION 1u
#define SLOT_EMPTY 0u
#define SLOT_ATTACHED 1u
#define SLOT_GONE 2u

struct ctl_hdr {
	_Alignas(64) uint64_t magic;
	uint32_t version;
	uint32_t naccels;
	_Atomic uint64_t ready;
	_Atomic uint32_t attached;
};

struct ctl_slot {
	_Alignas(64) _Atomic int32_t pid;
	_Atomic uint32_t state;
	_Atomic uint64_t seq;
	uint8_t blob[2][PF_BOOT_BLOB];
};

/*
 * Accelerators of one process share one mapping of the control object: the
 * first maps it, the others find it here while the job is still attaching.
 */
struct ctl_map {
	char name[PF_JOB_MAX + 32];
	void *base;
	size_t len;
	int refs;
	int findable;
	struct ctl_map *next;
};
static struct ctl_map *ctl_maps;
static pthread_mutex_t ctl_maps_lock = PTHREAD_MUTEX_INITIALIZER;

struct pf_boot {
	struct ctl_map *map;
	struct ctl_hdr *hdr;
	struct ctl_slot *slots;
	int id;
	int n;
	uint32_t timeout_ms;
	uint64_t seq;
	pid_t pid;
	char name[PF_JOB_MAX + 32];
	uint64_t last_check_ns;
	void (*idle)(void *arg); /* called while waiting (set_idle) */
	void *idle_arg;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int boot_check_peers(struct pf_boot *b)
{
	for (int i = 0; i < b->n; i++) {
		if (i == b->id)
			continue;
		struct ctl_slot *s = &b->slots[i];
		uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
		if (st == SLOT_GONE)
			return pf_err(PODFAB_EPEERDEAD, "accelerator %d left the job (finalized) while accelerator %d waits for it",
				      i, b->id);
		int32_t pid = atomic_load_explicit(&s->pid, memory_order_relaxed);
		if (pid > 0 && pid != b->pid && kill(pid, 0) < 0 && errno == ESRCH)
			return pf_err(PODFAB_EPEERDEAD, "accelerator %d (pid %d) died", i, (int)pid);
	}
	return 0;
}

/*
 * Wait until cond(b, arg) holds: spin, then yield; every 50 ms look at the peers;
 * give up after the timeout.  `what` names the wait in messages.
 */
typedef int (*wait_cond_fn)(struct pf_boot *b, uint64_t arg, int *missing);

static int boot_wait(struct pf_boot *b, wait_cond_fn cond, uint64_t arg, const char *what)
{
	uint64_t start = 0, next_check = 0;
	int missing = -1;
	for (uint64_t spins = 0;; spins++) {
		if (cond(b, arg, &missing))
			return 0;
		if (b->idle)
			b->idle(b->idle_arg);
		if (spins < 2000) {
			pf_cpu_relax();
			continue;
		}
		sched_yield();
		if ((spins & 63) != 0)
			continue;
		uint64_t t = now_ns();
		if (!start) {
			start = t;
			next_check = t;
		}
		if (t >= next_check) {
			int rc = boot_check_peers(b);
			/* A peer may have arrived, passed and left since we last looked. */
			if (rc && cond(b, arg, &missing))
				return 0;
			if (rc)
				return rc;
			next_check = t + 50000000ull;
		}
		if (t - start > (uint64_t)b->timeout_ms * 1000000ull)
			return pf_err(PODFAB_ETIMEDOUT,
				      "accelerator %d waited %u ms in %s of job '%s'; accelerator %d has not arrived",
				      b->id, b->timeout_ms, what, b->name, missing);
	}
}

static int cond_all_attached(struct pf_boot *b, uint64_t arg, int *missing)
{
	(void)arg;
	if (atomic_load_explicit(&b->hdr->attached, memory_order_acquire) >= (uint32_t)b->n)
		return 1;
	for (int i = 0; i < b->n; i++)
		if (atomic_load_explicit(&b->slots[i].state, memory_order_relaxed) == SLOT_EMPTY) {
			*missing = i;
			break;
		}
	return 0;
}

static int cond_all_seq(struct pf_boot *b, uint64_t k, int *missing)
{
	for (int i = 0; i < b->n; i++) {
		if (atomic_load_explicit(&b->slots[i].seq, memory_order_acquire) < k) {
			*missing = i;
			return 0;
		}
	}
	return 1;
}

static int cond_ready(struct pf_boot *b, uint64_t arg, int *missing)
{
	(void)arg;
	(void)missing;
	return atomic_load_explicit(&b->hdr->ready, memory_order_acquire) == CTL_MAGIC;
}

static int open_ctl(struct pf_boot *b, size_t len, int *created)
{
	uint64_t deadline = now_ns() + (uint64_t)b->timeout_ms * 1000000ull;
	for (;;) {
		int fd = shm_open(b->name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (ftruncate(fd, (off_t)len) < 0) {
				int e = errno;
				close(fd);
				shm_unlink(b->name);
				return pf_err(PODFAB_ESYSTEM, "ftruncate(%s, %zu): %s", b->name, len, strerror(e));
			}
			*created = 1;
			return fd;
		}
		if (errno != EEXIST)
			return pf_err(PODFAB_ESYSTEM, "shm_open(%s): %s", b->name, strerror(errno));
		fd = shm_open(b->name, O_RDWR | O_CLOEXEC, 0);
		if (fd >= 0) {
			/* Wait for the creator to size it. */
			struct stat st;
			for (;;) {
				if (fstat(fd, &st) < 0) {
					int e = errno;
					close(fd);
					return pf_err(PODFAB_ESYSTEM, "fstat(%s): %s", b->name, strerror(e));
				}
				if (st.st_uid != geteuid()) {
					close(fd);
					return pf_err(PODFAB_ESYSTEM, "%s belongs to another user (uid %u)", b->name,
						      (unsigned)st.st_uid);
				}
				if (st.st_size != 0)
					break;
				if (now_ns() > deadline) {
					close(fd);
					return pf_err(PODFAB_ETIMEDOUT, "%s was never sized by its creator", b->name);
				}
				sched_yield();
			}
			if ((size_t)st.st_size != len) {
				close(fd);
				return pf_err(PODFAB_EMISMATCH,
					      "job '%s' was started with a different accelerator count (control object is %lld bytes, %d accelerators need %zu)",
					      b->name, (long long)st.st_size, b->n, len);
			}
			*created = 0;
			return fd;
		}
		if (errno != ENOENT)
			return pf_err(PODFAB_ESYSTEM, "shm_open(%s): %s", b->name, strerror(errno));
		if (now_ns() > deadline)
			return pf_err(PODFAB_ETIMEDOUT, "could not open %s", b->name);
		/* Unlinked between our two calls: try again. */
	}
}

/* Find this process's mapping of the job's control object, or map it. */
static int ctl_attach(struct pf_boot *b, size_t len, int *created)
{
	int rc = 0;
	*created = 0;
	pthread_mutex_lock(&ctl_maps_lock);
	for (struct ctl_map *m = ctl_maps; m; m = m->next) {
		if (m->findable && !strcmp(m->name, b->name)) {
			if (m->len != len) {
				rc = pf_err(PODFAB_EMISMATCH, "job '%s' is attaching with a different accelerator count in this process",
					    b->name);
			} else {
				m->refs++;
				b->map = m;
			}
			pthread_mutex_unlock(&ctl_maps_lock);
			return rc;
		}
	}
	struct ctl_map *m = calloc(1, sizeof *m);
	if (!m) {
		pthread_mutex_unlock(&ctl_maps_lock);
		return pf_err(PODFAB_ENOMEM, "control mapping record");
	}
	int fd = open_ctl(b, len, created);
	if (fd < 0) {
		pthread_mutex_unlock(&ctl_maps_lock);
		free(m);
		return fd;
	}
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (base == MAP_FAILED) {
		if (*created)
			shm_unlink(b->name);
		pthread_mutex_unlock(&ctl_maps_lock);
		free(m);
		return pf_err(PODFAB_ESYSTEM, "mmap of the control object %s: %s", b->name, strerror(e));
	}
	if (*created) {
		struct ctl_hdr *h = base;
		h->magic = CTL_MAGIC;
		h->version = CTL_VERSION;
		h->naccels = (uint32_t)b->n;
		atomic_store_explicit(&h->ready, CTL_MAGIC, memory_order_release);
	}
	snprintf(m->name, sizeof m->name, "%s", b->name);
	m->base = base;
	m->len = len;
	m->refs = 1;
	m->findable = 1;
	m->next = ctl_maps;
	ctl_maps = m;
	b->map = m;
	pthread_mutex_unlock(&ctl_maps_lock);
	return 0;
}

static void ctl_detach(struct pf_boot *b, int unfindable_only)
{
	pthread_mutex_lock(&ctl_maps_lock);
	struct ctl_map *m = b->map;
	m->findable = 0;
	if (!unfindable_only && --m->refs == 0) {
		for (struct ctl_map **pp = &ctl_maps; *pp; pp = &(*pp)->next) {
			if (*pp == m) {
				*pp = m->next;
				break;
			}
		}
		munmap(m->base, m->len);
		free(m);
	}
	pthread_mutex_unlock(&ctl_maps_lock);
}

static int boot_open(const char *job, int id, int n, uint32_t timeout_ms, struct pf_boot **out)
{
	struct pf_boot *b = calloc(1, sizeof *b);
	if (!b)
		return pf_err(PODFAB_ENOMEM, "bootstrap state");
	b->id = id;
	b->n = n;
	b->timeout_ms = timeout_ms;
	b->pid = getpid();
	snprintf(b->name, sizeof b->name, "/podfab.%s.ctl", job);
	size_t len = sizeof(struct ctl_hdr) + (size_t)n * sizeof(struct ctl_slot);
	int created = 0;
	int rc = ctl_attach(b, len, &created);
	if (rc) {
		free(b);
		return rc;
	}
	b->hdr = b->map->base;
	b->slots = (struct ctl_slot *)((char *)b->map->base + sizeof(struct ctl_hdr));
	rc = boot_wait(b, cond_ready, 0, "attach");
	if (rc)
		goto fail;
	if (b->hdr->version != CTL_VERSION || b->hdr->naccels != (uint32_t)n) {
		rc = pf_err(PODFAB_EMISMATCH, "job '%s': control object has version %u and %u accelerators, expected %u and %d",
			    job, b->hdr->version, b->hdr->naccels, CTL_VERSION, n);
		goto fail;
	}
	uint32_t expect = SLOT_EMPTY;
	if (!atomic_compare_exchange_strong(&b->slots[id].state, &expect, SLOT_ATTACHED)) {
		rc = pf_err(PODFAB_EMISMATCH, "accelerator id %d of job '%s' is attached twice (or the job name was reused)",
			    id, job);
		goto fail;
	}
	atomic_store_explicit(&b->slots[id].pid, (int32_t)b->pid, memory_order_relaxed);
	atomic_fetch_add_explicit(&b->hdr->attached, 1, memory_order_acq_rel);
	rc = boot_wait(b, cond_all_attached, 0, "attach");
	if (rc) {
		atomic_store(&b->slots[id].state, SLOT_GONE);
		goto fail;
	}
	/* Everyone is in: the name can go, and a later job of the same name starts afresh. */
	ctl_detach(b, 1);
	if (id == 0)
		shm_unlink(b->name);
	*out = b;
	return 0;
fail:
	ctl_detach(b, 0);
	if (created)
		shm_unlink(b->name);
	free(b);
	return rc;
}

static int boot_allgather(struct pf_boot *b, const void *in, size_t len, void *out)
{
	if (len > PF_BOOT_BLOB)
		return pf_err(PODFAB_EINVAL, "bootstrap blob of %zu bytes exceeds %u", len, PF_BOOT_BLOB);
	uint64_t k = ++b->seq;
	struct ctl_slot *me = &b->slots[b->id];
	if (len)
		memcpy(me->blob[k & 1], in, len);
	atomic_store_explicit(&me->seq, k, memory_order_release);
	int rc = boot_wait(b, cond_all_seq, k, "a collective call");
	if (rc)
		return rc;
	for (int i = 0; len && out && i < b->n; i++) /* out NULL: contribute only */
		memcpy((char *)out + (size_t)i * len, b->slots[i].blob[k & 1], len);
	return 0;
}

static int boot_barrier(struct pf_boot *b)
{
	return boot_allgather(b, NULL, 0, NULL);
}

static int boot_check_peers_limited(struct pf_boot *b)
{
	uint64_t t = now_ns();
	if (t - b->last_check_ns < 50000000ull)
		return 0;
	b->last_check_ns = t;
	return boot_check_peers(b);
}

static void boot_close(struct pf_boot *b)
{
	if (!b)
		return;
	atomic_store_explicit(&b->slots[b->id].state, SLOT_GONE, memory_order_release);
	ctl_detach(b, 0);
	free(b);
}

static void boot_set_idle(struct pf_boot *b, void (*fn)(void *arg), void *arg)
{
	b->idle = fn;
	b->idle_arg = arg;
}

const struct pf_boot_ops pf_boot_local_ops = {
	.set_idle = boot_set_idle,
	.name = "local",
	.open = boot_open,
	.allgather = boot_allgather,
	.barrier = boot_barrier,
	.check_peers = boot_check_peers_limited,
	.close = boot_close,
};
