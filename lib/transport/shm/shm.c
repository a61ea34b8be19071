/*
 * shm.c - the shared-memory transport.
 *
 * Symmetric segments are POSIX shared-memory objects "/podfab.<job>.a<owner>.s<id>"
 * (mode 0600) that every other process of the job on the host maps (accelerators
 * of one process share the owner's mapping); the owner unlinks the name once all
 * peers have mapped it.  Data moves with memcpy, atomics are C11 atomics
 * on the mapped memory; every operation completes inline, with no lock, allocation
 * or system call.
 *
 * Memory the caller exports (mem_reg) cannot be mapped by another process after
 * the fact: a peer in the same process uses it directly (atomics included); a
 * peer in another process reaches it by cross-memory attach (process_vm_readv /
 * process_vm_writev, one system call per operation), and atomics on it are not
 * possible there (-PODFAB_ENOTSUP).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pf_cpu_amo.h"
#include "pf_internal.h"

#define SHM_KEY_MAGIC 0x73686d6bu /* "shmk" */
enum { KEY_SHM = 1, KEY_CMA = 2 };

struct shm_key {
	uint32_t magic;
	uint32_t kind;
	int32_t owner;
	int32_t pid;
	uint64_t segid;
	uint64_t len;
	uint64_t addr; /* KEY_CMA: address in the owner's process */
	uint64_t nonce;
};
_Static_assert(sizeof(struct shm_key) <= PF_KEY_MAX, "shm key too large");

struct pf_tp {
	char job[PF_JOB_MAX + 1];
	int id;
	int n;
	pid_t pid;
};

struct pf_tp_mr {
	int kind;
	void *addr;
	size_t len;
	uint64_t segid;
	int unlinked;
	char name[PF_JOB_MAX + 48];
};

struct pf_tp_rmr {
	int kind;
	char *base; /* mapped, or local to this process */
	size_t len;
	int mapped;
	pid_t pid;  /* KEY_CMA in another process */
	uint64_t raddr;
};

static void shm_name(char *buf, size_t len, const char *job, int owner, uint64_t segid)
{
	snprintf(buf, len, "/podfab.%s.a%d.s%llu", job, owner, (unsigned long long)segid);
}

static int shm_open_tp(const struct pf_tp_info *info, struct pf_tp **out)
{
	struct pf_tp *tp = calloc(1, sizeof *tp);
	if (!tp)
		return pf_err(PODFAB_ENOMEM, "shm transport state");
	snprintf(tp->job, sizeof tp->job, "%s", info->job);
	tp->id = info->accel_id;
	tp->n = info->naccels;
	tp->pid = getpid();
	*out = tp;
	return 0;
}

static int shm_addr(struct pf_tp *tp, void *buf, size_t *len)
{
	/* Every local accelerator is reached through the job's names: nothing to share
	 * but the pid, which tells peers whether they share a process. */
	int32_t pid = (int32_t)tp->pid;
	memcpy(buf, &pid, sizeof pid);
	*len = sizeof pid;
	return 0;
}

static int shm_connect(struct pf_tp *tp, const void *addrs, size_t stride)
{
	(void)tp;
	(void)addrs;
	(void)stride;
	return 0;
}

static void shm_close(struct pf_tp *tp)
{
	free(tp);
}

static int shm_mem_alloc(struct pf_tp *tp, size_t len, uint32_t segid, void **addr,
			 struct pf_tp_mr **out)
{
	struct pf_tp_mr *mr = calloc(1, sizeof *mr);
	if (!mr)
		return pf_err(PODFAB_ENOMEM, "shm segment record");
	shm_name(mr->name, sizeof mr->name, tp->job, tp->id, segid);
	int fd = shm_open(mr->name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		free(mr);
		return pf_err(e == ENOMEM || e == ENOSPC ? PODFAB_ENOMEM : PODFAB_ESYSTEM,
			      "shm_open(%s): %s", "segment", strerror(e));
	}
	if (ftruncate(fd, (off_t)len) < 0) {
		int e = errno;
		close(fd);
		shm_unlink(mr->name);
		free(mr);
		return pf_err(PODFAB_ENOMEM, "ftruncate of a %zu-byte segment: %s", len, strerror(e));
	}
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED) {
		shm_unlink(mr->name);
		free(mr);
		return pf_err(PODFAB_ENOMEM, "mmap of a %zu-byte segment: %s", len, strerror(e));
	}
	mr->kind = KEY_SHM;
	mr->addr = m;
	mr->len = len;
	mr->segid = segid;
	*addr = m;
	*out = mr;
	return 0;
}

static int shm_mem_reg(struct pf_tp *tp, void *addr, size_t len, struct pf_tp_mr **out)
{
	static atomic_int ptracer_set;
	(void)tp;
	struct pf_tp_mr *mr = calloc(1, sizeof *mr);
	if (!mr)
		return pf_err(PODFAB_ENOMEM, "shm registration record");
	/* Let sibling processes (not only ancestors) use cross-memory attach on us
	 * where the Yama security module restricts ptrace to descendants. */
	if (!atomic_exchange(&ptracer_set, 1))
		(void)prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	mr->kind = KEY_CMA;
	mr->addr = addr;
	mr->len = len;
	mr->unlinked = 1;
	*out = mr;
	return 0;
}

static int shm_mem_key(struct pf_tp *tp, struct pf_tp_mr *mr, void *keybuf)
{
	struct shm_key k = {
		.magic = SHM_KEY_MAGIC,
		.kind = (uint32_t)mr->kind,
		.owner = tp->id,
		.pid = (int32_t)tp->pid,
		.segid = mr->segid,
		.len = mr->len,
		.addr = (uint64_t)(uintptr_t)mr->addr,
	};
	memset(keybuf, 0, PF_KEY_MAX);
	memcpy(keybuf, &k, sizeof k);
	return 0;
}

static void shm_mem_published(struct pf_tp *tp, struct pf_tp_mr *mr)
{
	(void)tp;
	if (mr->kind == KEY_SHM && !mr->unlinked) {
		shm_unlink(mr->name);
		mr->unlinked = 1;
	}
}

static void shm_mem_free(struct pf_tp *tp, struct pf_tp_mr *mr)
{
	shm_mem_published(tp, mr);
	if (mr->kind == KEY_SHM)
		munmap(mr->addr, mr->len);
	free(mr);
}

static int shm_rkey_import(struct pf_tp *tp, int peer, const void *keybuf, size_t keylen,
			   struct pf_tp_rmr **out)
{
	struct shm_key k;
	if (keylen < sizeof k)
		return pf_err(PODFAB_EKEY, "shm key of %zu bytes is too short", keylen);
	memcpy(&k, keybuf, sizeof k);
	if (k.magic != SHM_KEY_MAGIC || k.owner != peer || (k.kind != KEY_SHM && k.kind != KEY_CMA))
		return pf_err(PODFAB_EKEY, "not an shm key of accelerator %d", peer);
	struct pf_tp_rmr *r = calloc(1, sizeof *r);
	if (!r)
		return pf_err(PODFAB_ENOMEM, "shm remote record");
	r->kind = (int)k.kind;
	r->len = (size_t)k.len;
	if (k.kind == KEY_CMA) {
		r->pid = (pid_t)k.pid;
		r->raddr = k.addr;
		if (r->pid == tp->pid)
			r->base = (char *)(uintptr_t)k.addr;
		*out = r;
		return 0;
	}
	if (k.pid == (int32_t)tp->pid) {
		/* An accelerator of this very process: share its mapping (one mapping per
		 * process, and tools such as TSan see one address for one byte). */
		r->base = (char *)(uintptr_t)k.addr;
		*out = r;
		return 0;
	}
	char name[PF_JOB_MAX + 48];
	shm_name(name, sizeof name, tp->job, peer, k.segid);
	int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		free(r);
		return pf_err(PODFAB_ESYSTEM, "shm_open(%s) of accelerator %d's segment: %s", name, peer,
			      strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != k.len || st.st_uid != geteuid()) {
		close(fd);
		free(r);
		return pf_err(PODFAB_EKEY, "segment %s does not match its key", name);
	}
	void *m = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED) {
		free(r);
		return pf_err(PODFAB_ENOMEM, "mmap of accelerator %d's segment: %s", peer, strerror(e));
	}
	r->base = m;
	r->mapped = 1;
	*out = r;
	return 0;
}

static void shm_rkey_release(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	(void)tp;
	if (r->mapped)
		munmap(r->base, r->len);
	free(r);
}

static void *shm_rkey_ptr(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	(void)tp;
	return r->base;
}

static unsigned shm_rkey_caps(struct pf_tp *tp, struct pf_tp_rmr *r)
{
	(void)tp;
	return r->base ? (PF_CAP_ATOMIC | PF_CAP_LOADSTORE) : 0;
}

static int cma_xfer(struct pf_tp_rmr *r, void *local, size_t off, size_t len, int write)
{
	struct iovec l = {.iov_base = local, .iov_len = len};
	struct iovec rv = {.iov_base = (void *)(uintptr_t)(r->raddr + off), .iov_len = len};
	ssize_t n = write ? process_vm_writev(r->pid, &l, 1, &rv, 1, 0)
			  : process_vm_readv(r->pid, &l, 1, &rv, 1, 0);
	if (n == (ssize_t)len)
		return PF_TP_DONE;
	if (n < 0 && (errno == ESRCH))
		return pf_err(PODFAB_EPEERDEAD, "process %d that exported the memory is gone", (int)r->pid);
	if (n < 0 && (errno == EPERM || errno == ENOSYS))
		return pf_err(PODFAB_ENOTSUP,
			      "cross-memory attach to process %d is not permitted here (%s)", (int)r->pid,
			      strerror(errno));
	return pf_err(PODFAB_EREMOTE, "cross-memory %s of %zu bytes at process %d: %s",
		      write ? "write" : "read", len, (int)r->pid, n < 0 ? strerror(errno) : "short transfer");
}

/*
 * A naturally aligned 4- or 8-byte put is one release store, and such a get one
 * acquire load: the OpenSHMEM idiom "put the data, put a flag; the target waits
 * on the flag" is then well defined in C11 (and visible to ThreadSanitizer),
 * at no cost on x86.
 */
static inline void copy_to(char *dst, const void *src, size_t len)
{
	if (len == 8 && !((uintptr_t)dst & 7)) {
		uint64_t v;
		memcpy(&v, src, 8);
		atomic_store_explicit((_Atomic uint64_t *)(void *)dst, v, memory_order_release);
	} else if (len == 4 && !((uintptr_t)dst & 3)) {
		uint32_t v;
		memcpy(&v, src, 4);
		atomic_store_explicit((_Atomic uint32_t *)(void *)dst, v, memory_order_release);
	} else {
		memcpy(dst, src, len);
	}
}

static inline void copy_from(void *dst, const char *src, size_t len)
{
	if (len == 8 && !((uintptr_t)src & 7)) {
		uint64_t v = atomic_load_explicit((_Atomic uint64_t *)(void *)src, memory_order_acquire);
		memcpy(dst, &v, 8);
	} else if (len == 4 && !((uintptr_t)src & 3)) {
		uint32_t v = atomic_load_explicit((_Atomic uint32_t *)(void *)src, memory_order_acquire);
		memcpy(dst, &v, 4);
	} else {
		memcpy(dst, src, len);
	}
}

static int shm_put(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off, const void *src,
		   size_t len, struct pf_tp_ctx *ctx)
{
	(void)tp;
	(void)peer;
	(void)ctx;
	if (pf_likely(r->base != NULL)) {
		copy_to(r->base + off, src, len);
		return PF_TP_DONE;
	}
	return cma_xfer(r, (void *)(uintptr_t)src, off, len, 1);
}

static int shm_get(struct pf_tp *tp, void *dest, int peer, struct pf_tp_rmr *r, size_t off,
		   size_t len, struct pf_tp_ctx *ctx)
{
	(void)tp;
	(void)peer;
	(void)ctx;
	if (pf_likely(r->base != NULL)) {
		copy_from(dest, r->base + off, len);
		return PF_TP_DONE;
	}
	return cma_xfer(r, dest, off, len, 0);
}

/* Run an atomic on local memory p (also used by the core for its own flags). */
static inline void shm_amo(void *p, podfab_atomic_op_t op, podfab_type_t type, uint64_t operand,
			   uint64_t compare, void *result)
{
	uint64_t old = pf_cpu_amo(p, op, type, operand, compare);
	if (result)
		pf_cpu_amo_result(result, type, old);
}

static int shm_atomic(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off,
		      podfab_atomic_op_t op, podfab_type_t type, uint64_t operand, uint64_t compare,
		      void *result, struct pf_tp_ctx *ctx)
{
	(void)tp;
	(void)ctx;
	if (pf_unlikely(r->base == NULL))
		return pf_err(PODFAB_ENOTSUP,
			      "atomics on memory exported by accelerator %d in another process (pid %d) are not possible over shm",
			      peer, (int)r->pid);
	shm_amo(r->base + off, op, type, operand, compare, result);
	return PF_TP_DONE;
}

static int shm_put_signal(struct pf_tp *tp, int peer, struct pf_tp_rmr *r, size_t off,
			  const void *src, size_t len, struct pf_tp_rmr *sr, size_t sig_off,
			  uint64_t signal, podfab_signal_op_t sig_op, struct pf_tp_ctx *ctx)
{
	if (pf_unlikely(sr->base == NULL))
		return pf_err(PODFAB_ENOTSUP, "a signal word in memory exported by another process");
	int rc = shm_put(tp, peer, r, off, src, len, ctx);
	if (rc < 0)
		return rc;
	/* The release in the signal update orders the data before it. */
	shm_amo(sr->base + sig_off, sig_op == PODFAB_SIGNAL_ADD ? PODFAB_AOP_ADD : PODFAB_AOP_SET,
		PODFAB_UINT64, signal, 0, NULL);
	return PF_TP_DONE;
}

static int shm_fence(struct pf_tp *tp, int peer)
{
	(void)tp;
	(void)peer;
	/* Stores to mapped memory become visible in program order once released. */
	atomic_thread_fence(memory_order_release);
	return 0;
}

static int shm_quiet(struct pf_tp *tp)
{
	(void)tp;
	atomic_thread_fence(memory_order_seq_cst);
	return 0;
}

static int shm_progress(struct pf_tp *tp, struct pf_tp_cqe *cqe, int max)
{
	(void)tp;
	(void)cqe;
	(void)max;
	return 0; /* everything completed inline */
}

const struct pf_tp_ops pf_tp_shm_ops = {
	.abi = PF_TP_ABI,
	.name = "shm",
	.open = shm_open_tp,
	.addr = shm_addr,
	.connect = shm_connect,
	.close = shm_close,
	.mem_alloc = shm_mem_alloc,
	.mem_reg = shm_mem_reg,
	.mem_key = shm_mem_key,
	.mem_published = shm_mem_published,
	.mem_free = shm_mem_free,
	.rkey_import = shm_rkey_import,
	.rkey_release = shm_rkey_release,
	.rkey_ptr = shm_rkey_ptr,
	.rkey_caps = shm_rkey_caps,
	.put = shm_put,
	.get = shm_get,
	.atomic = shm_atomic,
	.put_signal = shm_put_signal,
	.fence = shm_fence,
	.quiet = shm_quiet,
	.progress = shm_progress,
};
