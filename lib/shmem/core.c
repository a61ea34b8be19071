/*
 * core.c - libpodfab-shmem's setup and queries, the symmetric heap, the
 * program's symmetric data, ordering and barrier_all (OpenSHMEM 1.5,
 * sections 9.1, 9.3, 9.9, 9.11, 9.15).
 *
 * The symmetric heap is one podfab segment of SHMEM_SYMMETRIC_SIZE bytes
 * (default 128 MiB; suffixes K, M, G).  Every PE runs the same allocator over
 * it with its bookkeeping in private memory, and as allocations are
 * collective and made in the same order everywhere, an object has the same
 * offset on every PE: a symmetric address is (heap segment, its offset).
 *
 * Global and static variables: at shmem_init the writable part of the
 * program image (.data and .bss, after the part made read-only after
 * relocation) is copied into a second podfab segment, whose shared memory is
 * then mapped over it at the same address (mremap of a shared mapping with an
 * old size of 0 maps the same pages twice).  The variables keep their
 * addresses and values, and other PEs reach them through podfab like heap
 * objects, atomics included.  This needs a transport whose segments are
 * shared mappings (shm); elsewhere globals are not symmetric and using one
 * remotely is reported as an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shmem_internal.h"
#include "shmemx.h"

struct pfs pfs = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- errors ------------------------------------------------------------- */

_Noreturn void pfs_fail(const char *func, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (pfs.initialized)
		fprintf(stderr, "podfab-shmem: PE %d: %s: %s\n", pfs.me, func, msg);
	else
		fprintf(stderr, "podfab-shmem: %s: %s\n", func, msg);
	shmem_global_exit(1);
}

_Noreturn void pfs_fail_rc(const char *func, int rc)
{
	const char *d = podfab_error_detail();
	pfs_fail(func, "%s (%s)", d && *d ? d : podfab_strerror(rc), podfab_errname(rc));
}

/* ---- the specification's environment variables ---------------------------- */

/* SHMEM_<name>, else the deprecated SMA_<name> (OpenSHMEM 1.5, "Environment Variables"). */
static const char *shmem_env(const char *name)
{
	char buf[64];
	snprintf(buf, sizeof buf, "SHMEM_%s", name);
	const char *v = getenv(buf);
	if (!v) {
		snprintf(buf, sizeof buf, "SMA_%s", name);
		v = getenv(buf);
	}
	return v;
}

/* SHMEM_DEBUG (SMA_DEBUG) or PODFAB_SHMEM_DEBUG: where the heap and the data are. */
static int debug_on(void)
{
	return shmem_env("DEBUG") || getenv("PODFAB_SHMEM_DEBUG");
}

/* SHMEM_VERSION and SHMEM_INFO: PE 0 prints at start-up. */
static void startup_messages(void)
{
	if (pfs.me != 0)
		return;
	if (shmem_env("VERSION"))
		printf("podfab-shmem: OpenSHMEM %d.%d, %s, podfab %s\n", SHMEM_MAJOR_VERSION, SHMEM_MINOR_VERSION,
		       SHMEM_VENDOR_STRING, podfab_version_string());
	if (shmem_env("INFO"))
		printf("podfab-shmem: OpenSHMEM %d.%d over podfab %s (podfab-shmem(7)); environment variables:\n"
		       "  SHMEM_SYMMETRIC_SIZE  bytes of symmetric heap per PE, optional K/M/G/T (now %zu)\n"
		       "  SHMEM_DEBUG           when set, each PE prints where its heap and data are\n"
		       "  SHMEM_VERSION         when set, PE 0 prints the library version at start-up\n"
		       "  SHMEM_INFO            when set, PE 0 prints this text at start-up\n"
		       "  (SMA_SYMMETRIC_SIZE, SMA_DEBUG, SMA_VERSION, SMA_INFO: the older names)\n"
		       "  PODFAB_SHMEM_DIRECT   0: every put, get and atomic through podfab's API\n"
		       "  PODFAB_SHMEM_NO_GLOBALS  when set, global and static variables stay private\n"
		       "  podfab's own (PODFAB_TIMING, PODFAB_MODEL, ...): podfab(7)\n",
		       SHMEM_MAJOR_VERSION, SHMEM_MINOR_VERSION, podfab_version_string(), pfs.heap_size);
	fflush(stdout);
}

/* ---- the symmetric heap ------------------------------------------------ */

struct pfs_block {
	size_t off, size;
	int used;
};

#define HEAP_ALIGN 64 /* every object starts on a cache line */

static size_t heap_size_from_env(const char *func)
{
	const char *v = shmem_env("SYMMETRIC_SIZE");
	if (!v || !*v)
		return (size_t)128 << 20;
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	double mult = 1;
	switch (*end) {
	case 'k': case 'K': mult = 1024.0; end++; break;
	case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
	case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
	case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
	default: break;
	}
	if (errno || end == v || *end || !(x > 0) || x * mult < 4096 || x * mult > (double)(1ull << 46))
		pfs_fail(func, "SHMEM_SYMMETRIC_SIZE='%s' is not a size from 4K to 64T (a number with an optional K, M, G or T)", v);
	return ((size_t)(x * mult) + 4095) & ~(size_t)4095;
}

static int blocks_reserve(size_t n)
{
	if (n <= pfs.cap_blocks)
		return 0;
	size_t cap = pfs.cap_blocks ? 2 * pfs.cap_blocks : 64;
	while (cap < n)
		cap *= 2;
	struct pfs_block *b = realloc(pfs.blocks, cap * sizeof *b);
	if (!b)
		return -1;
	pfs.blocks = b;
	pfs.cap_blocks = cap;
	return 0;
}

static void block_insert(size_t at, struct pfs_block b)
{
	memmove(&pfs.blocks[at + 1], &pfs.blocks[at], (pfs.nblocks - at) * sizeof b);
	pfs.blocks[at] = b;
	pfs.nblocks++;
}

static void block_remove(size_t at)
{
	memmove(&pfs.blocks[at], &pfs.blocks[at + 1], (pfs.nblocks - at - 1) * sizeof *pfs.blocks);
	pfs.nblocks--;
}

/* First fit; the same calls give the same offsets on every PE.  NULL when nothing fits. */
static void *heap_alloc(size_t align, size_t size)
{
	if (align < HEAP_ALIGN)
		align = HEAP_ALIGN;
	if (size > pfs.heap_size)
		return NULL;
	size = (size + HEAP_ALIGN - 1) & ~(size_t)(HEAP_ALIGN - 1);
	if (!size)
		size = HEAP_ALIGN;
	if (blocks_reserve(pfs.nblocks + 2) < 0)
		return NULL;
	for (size_t i = 0; i < pfs.nblocks; i++) {
		struct pfs_block *b = &pfs.blocks[i];
		if (b->used)
			continue;
		size_t start = (b->off + align - 1) & ~(align - 1);
		size_t pad = start - b->off;
		if (pad > b->size || b->size - pad < size)
			continue;
		size_t rest = b->size - pad - size;
		size_t off = b->off, bsize = b->size;
		(void)bsize;
		if (pad) { /* the padding stays a free block before */
			b->size = pad;
			block_insert(i + 1, (struct pfs_block){start, size + rest, 0});
			i++;
			b = &pfs.blocks[i];
		}
		b->off = start;
		b->size = size;
		b->used = 1;
		if (rest)
			block_insert(i + 1, (struct pfs_block){start + size, rest, 0});
		(void)off;
		return pfs.heap_base + start;
	}
	return NULL;
}

static size_t block_find(const void *p)
{
	size_t off = (size_t)((const char *)p - pfs.heap_base), lo = 0, hi = pfs.nblocks;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (pfs.blocks[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < pfs.nblocks && pfs.blocks[lo].off == off && pfs.blocks[lo].used ? lo : (size_t)-1;
}

static void heap_free_at(size_t i)
{
	pfs.blocks[i].used = 0;
	if (i + 1 < pfs.nblocks && !pfs.blocks[i + 1].used) {
		pfs.blocks[i].size += pfs.blocks[i + 1].size;
		block_remove(i + 1);
	}
	if (i > 0 && !pfs.blocks[i - 1].used) {
		pfs.blocks[i - 1].size += pfs.blocks[i].size;
		block_remove(i);
	}
}

static int heap_owns(const void *p)
{
	return (size_t)((const char *)p - pfs.heap_base) < pfs.heap_size;
}

void *pfs_sym_alloc(size_t align, size_t size)
{
	void *p = heap_alloc(align, size);
	if (p)
		memset(p, 0, size);
	return p;
}

void pfs_sym_free(void *p)
{
	if (!p)
		return;
	size_t i = block_find(p);
	if (i != (size_t)-1)
		heap_free_at(i);
}

/* ---- the program's data as symmetric memory ------------------------------ */

struct image {
	uintptr_t start, end; /* the writable PT_LOAD of the program, past its RELRO part */
};

static int find_image(struct dl_phdr_info *info, size_t sz, void *arg)
{
	(void)sz;
	struct image *im = arg;
	uintptr_t relro_end = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_GNU_RELRO)
			relro_end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
		if (relro_end > s && relro_end < e)
			s = relro_end;
		im->start = s;
		im->end = e;
		break;
	}
	return 1; /* the first object is the program */
}

/*
 * Copy whole pages of the program's data, padding between variables included
 * (which AddressSanitizer would report through memcpy: its red zones).
 */
#if defined(__clang__) || defined(__GNUC__)
__attribute__((no_sanitize_address))
#endif
static void copy_pages(void *to, const void *from, size_t n)
{
	volatile uint64_t *d = to;
	const volatile uint64_t *f = from;
	for (size_t i = 0; i < n / sizeof *d; i++)
		d[i] = f[i];
}

/*
 * The other way to map the pages of a shared mapping again: through its file
 * in /proc/self/map_files (the segment's name is gone from /dev/shm by now).
 */
static void *map_again(void *seg, size_t size, void *at)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return MAP_FAILED;
	char line[4096], path[128] = "";
	unsigned long lo = 0, hi = 0, fo = 0;
	uintptr_t a = (uintptr_t)seg;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &fo) == 3 && a >= lo && a < hi) {
			snprintf(path, sizeof path, "/proc/self/map_files/%lx-%lx", lo, hi);
			break;
		}
	}
	fclose(f);
	if (!*path || a + size > hi)
		return MAP_FAILED;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return MAP_FAILED;
	void *m = mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, (off_t)(fo + (a - lo)));
	close(fd);
	return m;
}

/*
 * Alias the program's writable data onto a symmetric segment (collective: every
 * PE allocates it).  On failure the data stay private and data_symmetric is 0.
 */
static int data_setup(void)
{
	struct image im = {0, 0};
	dl_iterate_phdr(find_image, &im);
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t s = im.start & ~(uintptr_t)(page - 1), e = (im.end + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
	size_t size = e > s ? e - s : (size_t)page;
	int rc = podfab_seg_alloc(pfs.accel, size, &pfs.data_seg);
	if (rc < 0)
		return rc;
	if (e <= s || getenv("PODFAB_SHMEM_NO_GLOBALS"))
		return 0;
	char *seg = podfab_seg_addr(pfs.accel, pfs.data_seg);
	const char *why = NULL;
	if (!seg || ((uintptr_t)seg & (uintptr_t)(page - 1))) {
		why = "the segment is not page aligned";
	} else {
		/*
		 * mremap with an old size of 0 maps the same pages of a shared mapping
		 * a second time: the program's data become a view of the segment.
		 */
		copy_pages(seg, (void *)s, size);
		void *m = mremap(seg, 0, size, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)s);
		if (m == MAP_FAILED) /* the data are untouched; valgrind, for one, refuses this */
			m = map_again(seg, size, (void *)s);
		if (m == MAP_FAILED)
			why = "the transport's segments are not shared mappings";
	}
	if (why) {
		if (debug_on())
			fprintf(stderr, "podfab-shmem: PE %d: global and static variables are not symmetric: %s\n",
				pfs.me, why);
		return 0;
	}
	pfs.data_base = (char *)s;
	pfs.data_size = size;
	pfs.data_symmetric = 1;
	if (debug_on())
		fprintf(stderr, "podfab-shmem: PE %d: heap %p + %zu, data %p + %zu\n", pfs.me,
			(void *)pfs.heap_base, pfs.heap_size, (void *)pfs.data_base, pfs.data_size);
	return 0;
}

/* ---- setup ---------------------------------------------------------------- */

PFS_EXPORT int shmem_init_thread(int requested, int *provided)
{
	static const char *fn = "shmem_init_thread";
	if (pfs.initialized) {
		if (provided)
			*provided = pfs.thread_level;
		return 0;
	}
	if (pfs.finalized)
		pfs_fail(fn, "OpenSHMEM cannot be initialised again after shmem_finalize");
	if (requested < SHMEM_THREAD_SINGLE || requested > SHMEM_THREAD_MULTIPLE)
		pfs_fail(fn, "thread level %d is not one of SHMEM_THREAD_SINGLE..SHMEM_THREAD_MULTIPLE", requested);
	size_t heap = heap_size_from_env(fn);
	int rc = podfab_init(NULL, &pfs.accel);
	if (rc < 0) {
		const char *d = podfab_error_detail();
		fprintf(stderr, "podfab-shmem: shmem_init: %s\n", d && *d ? d : podfab_strerror(rc));
		if (!getenv("PODFAB_ACCEL_ID"))
			fprintf(stderr, "podfab-shmem: start the program with podfab-oshrun -n N (or podfab-run)\n");
		fflush(stderr);
		_exit(1);
	}
	pfs.me = podfab_accel_id(pfs.accel);
	pfs.npes = podfab_naccels(pfs.accel);
	pfs.initialized = 1;
	if ((rc = podfab_seg_alloc(pfs.accel, heap, &pfs.heap_seg)) < 0)
		pfs_fail_rc(fn, rc);
	pfs.heap_base = podfab_seg_addr(pfs.accel, pfs.heap_seg);
	pfs.heap_size = heap;
	if (blocks_reserve(64) < 0)
		pfs_fail(fn, "out of memory");
	pfs.blocks[0] = (struct pfs_block){0, heap, 0};
	pfs.nblocks = 1;
	if ((rc = data_setup()) < 0)
		pfs_fail_rc(fn, rc);
	pfs.thread_level = requested;
	pfs.locking = requested == SHMEM_THREAD_MULTIPLE;
	if ((rc = pfs_ctx_init()) < 0 || (rc = pfs_team_init()) < 0)
		pfs_fail_rc(fn, rc);
	pfs_direct_init();
	startup_messages();
	if ((rc = podfab_barrier(pfs.accel)) < 0)
		pfs_fail_rc(fn, rc);
	if (provided)
		*provided = pfs.thread_level;
	return 0;
}

PFS_EXPORT void shmem_init(void)
{
	shmem_init_thread(SHMEM_THREAD_SINGLE, NULL);
}

PFS_EXPORT void shmem_query_thread(int *provided)
{
	PFS_NEED_INIT("shmem_query_thread");
	if (provided)
		*provided = pfs.thread_level;
}

/*
 * Where podfab gives a direct pointer to a PE's heap (podfab_ptr: functional
 * mode, memory this process maps), RMA and atomics on it are plain loads,
 * stores and C11 atomics, as shmem_ptr would give them to the program: no
 * library call on the way.  They are not counted by podfab's counters.
 */
static char **direct_table(podfab_seg_t seg)
{
	char **t = calloc((size_t)pfs.npes, sizeof *t);
	int any = 0;
	for (int pe = 0; t && pe < pfs.npes; pe++)
		any |= (t[pe] = podfab_ptr(pfs.accel, pe, seg, 0)) != NULL;
	if (!any) {
		free(t);
		return NULL;
	}
	return t;
}

void pfs_direct_init(void)
{
	const char *e = getenv("PODFAB_SHMEM_DIRECT");
	if (e && !strcmp(e, "0"))
		return;
	const char *tn = podfab_transport_name(pfs.accel);
	pfs.direct_amo = tn && (!strcmp(tn, "shm") || !strcmp(tn, "hybrid"));
	pfs.heap_direct = direct_table(pfs.heap_seg);
	if (pfs.data_symmetric)
		pfs.data_direct = direct_table(pfs.data_seg);
}

void pfs_direct_fini(void)
{
	free(pfs.heap_direct);
	free(pfs.data_direct);
	pfs.heap_direct = pfs.data_direct = NULL;
	pfs.direct_amo = 0;
}

/* Undo the aliasing of the program's data: private anonymous memory with the same contents. */
static void data_teardown(void)
{
	if (!pfs.data_symmetric)
		return;
	void *copy = malloc(pfs.data_size);
	if (copy) {
		copy_pages(copy, pfs.data_base, pfs.data_size);
		void *m = mmap(pfs.data_base, pfs.data_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (m != MAP_FAILED)
			copy_pages(pfs.data_base, copy, pfs.data_size);
		free(copy);
		pfs.data_symmetric = 0;
	}
}

PFS_EXPORT void shmem_finalize(void)
{
	if (!pfs.initialized)
		return;
	int rc = podfab_barrier(pfs.accel);
	if (rc < 0)
		pfs_fail_rc("shmem_finalize", rc);
	pfs_coll_fini();
	pfs_team_fini();
	pfs_ctx_fini();
	/*
	 * The data stay aliased onto the segment until the segment goes: put them
	 * back in private memory first, so that the program's variables outlive
	 * podfab_finalize (atexit handlers, destructors).
	 */
	pfs_direct_fini();
	data_teardown();
	podfab_finalize(pfs.accel);
	free(pfs.blocks);
	pfs.blocks = NULL;
	pfs.nblocks = pfs.cap_blocks = 0;
	pfs.heap_base = NULL;
	pfs.heap_size = 0;
	pfs.initialized = 0;
	pfs.finalized = 1;
	pfs.accel = NULL;
}

PFS_EXPORT int shmem_my_pe(void)
{
	PFS_NEED_INIT("shmem_my_pe");
	return pfs.me;
}

PFS_EXPORT int shmem_n_pes(void)
{
	PFS_NEED_INIT("shmem_n_pes");
	return pfs.npes;
}

PFS_EXPORT int shmem_pe_accessible(int pe)
{
	PFS_NEED_INIT("shmem_pe_accessible");
	return pe >= 0 && pe < pfs.npes;
}

PFS_EXPORT int shmem_addr_accessible(const void *addr, int pe)
{
	PFS_NEED_INIT("shmem_addr_accessible");
	podfab_seg_t seg;
	size_t off;
	return pe >= 0 && pe < pfs.npes && pfs_xlate(addr, 1, &seg, &off) == 0;
}

PFS_EXPORT void *shmem_ptr(const void *dest, int pe)
{
	PFS_NEED_INIT("shmem_ptr");
	podfab_seg_t seg;
	size_t off;
	if (pe < 0 || pe >= pfs.npes || pfs_xlate(dest, 1, &seg, &off) < 0)
		return NULL;
	if (pe == pfs.me)
		return (void *)dest;
	pfs_lock();
	void *p = podfab_ptr(pfs.accel, pe, seg, off); /* NULL in timed modes: every access is timed */
	pfs_unlock();
	return p;
}

PFS_EXPORT void shmem_info_get_version(int *major, int *minor)
{
	if (major)
		*major = SHMEM_MAJOR_VERSION;
	if (minor)
		*minor = SHMEM_MINOR_VERSION;
}

PFS_EXPORT void shmem_info_get_name(char *name)
{
	if (name) {
		strncpy(name, SHMEM_VENDOR_STRING, SHMEM_MAX_NAME_LEN - 1);
		name[SHMEM_MAX_NAME_LEN - 1] = '\0';
	}
}

/*
 * The whole program ends with status: this PE exits, and the launcher
 * (podfab-run) stops the others when a PE exits with a non-zero status.
 */
PFS_EXPORT PFSHMEM_NORETURN void shmem_global_exit(int status)
{
	fflush(stdout);
	fflush(stderr);
	if (status == 0 && pfs.initialized && pfs.npes > 1) {
		/* podfab-run stops the others, and the job's status is 0 */
		_exit(PFSHMEM_GLOBAL_EXIT_ZERO);
	}
	_exit(status);
}

PFS_EXPORT void shmem_pcontrol(int level, ...)
{
	(void)level; /* no profiling levels: accepted and ignored, as the specification allows */
}

/* ---- memory management ---------------------------------------------------- */

static void *alloc_collective(const char *fn, size_t align, size_t size, int zero)
{
	PFS_NEED_INIT(fn);
	if (align & (align - 1))
		pfs_fail(fn, "alignment %zu is not a power of two", align);
	void *p = NULL;
	if (size) {
		p = heap_alloc(align, size);
		if (p && zero)
			memset(p, 0, size);
	}
	shmem_barrier_all();
	return p;
}

PFS_EXPORT void *shmem_malloc(size_t size)
{
	return alloc_collective("shmem_malloc", HEAP_ALIGN, size, 0);
}

PFS_EXPORT void *shmem_malloc_with_hints(size_t size, long hints)
{
	/* Every placement already suits remote atomics and signals: the hints change nothing. */
	if (hints & ~(SHMEM_MALLOC_ATOMICS_REMOTE | SHMEM_MALLOC_SIGNAL_REMOTE))
		pfs_fail("shmem_malloc_with_hints", "hints 0x%lx include unknown bits", hints);
	return alloc_collective("shmem_malloc_with_hints", HEAP_ALIGN, size, 0);
}

PFS_EXPORT void *shmem_calloc(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		pfs_fail("shmem_calloc", "%zu x %zu bytes overflows", count, size);
	return alloc_collective("shmem_calloc", HEAP_ALIGN, count * size, 1);
}

PFS_EXPORT void *shmem_align(size_t alignment, size_t size)
{
	if (!alignment)
		pfs_fail("shmem_align", "alignment 0");
	return alloc_collective("shmem_align", alignment, size, 0);
}

PFS_EXPORT void shmem_free(void *ptr)
{
	PFS_NEED_INIT("shmem_free");
	shmem_barrier_all();
	if (!ptr)
		return;
	size_t i = heap_owns(ptr) ? block_find(ptr) : (size_t)-1;
	if (i == (size_t)-1)
		pfs_fail("shmem_free", "%p was not returned by shmem_malloc, shmem_calloc, shmem_align or shmem_realloc (or is freed already)", ptr);
	heap_free_at(i);
}

PFS_EXPORT void *shmem_realloc(void *ptr, size_t size)
{
	static const char *fn = "shmem_realloc";
	PFS_NEED_INIT(fn);
	if (!ptr)
		return shmem_malloc(size);
	if (!size) {
		shmem_free(ptr);
		return NULL;
	}
	size_t i = heap_owns(ptr) ? block_find(ptr) : (size_t)-1;
	if (i == (size_t)-1)
		pfs_fail(fn, "%p was not returned by a symmetric allocation (or is freed already)", ptr);
	shmem_barrier_all(); /* no PE may still be writing to the old object when it moves */
	size_t want = (size + HEAP_ALIGN - 1) & ~(size_t)(HEAP_ALIGN - 1), have = pfs.blocks[i].size;
	void *out = ptr;
	if (want <= have) {
		if (have - want >= HEAP_ALIGN && blocks_reserve(pfs.nblocks + 1) == 0) {
			pfs.blocks[i].size = want; /* the tail becomes free */
			block_insert(i + 1, (struct pfs_block){pfs.blocks[i].off + want, have - want, 0});
			if (i + 2 < pfs.nblocks && !pfs.blocks[i + 2].used) {
				pfs.blocks[i + 1].size += pfs.blocks[i + 2].size;
				block_remove(i + 2);
			}
		}
	} else if (i + 1 < pfs.nblocks && !pfs.blocks[i + 1].used && have + pfs.blocks[i + 1].size >= want) {
		size_t left = have + pfs.blocks[i + 1].size - want;
		pfs.blocks[i].size = want;
		if (left) {
			pfs.blocks[i + 1].off = pfs.blocks[i].off + want;
			pfs.blocks[i + 1].size = left;
		} else {
			block_remove(i + 1);
		}
	} else {
		out = heap_alloc(HEAP_ALIGN, size);
		if (out) {
			memcpy(out, ptr, have < size ? have : size);
			size_t j = block_find(ptr);
			heap_free_at(j);
		}
	}
	shmem_barrier_all();
	return out;
}

/* ---- ordering and barrier_all -------------------------------------------- */

PFS_EXPORT void shmem_quiet(void)
{
	PFS_NEED_INIT("shmem_quiet");
	pfs_lock();
	int rc = podfab_quiet(pfs.accel);
	pfs_unlock();
	pfs_check("shmem_quiet", rc);
}

PFS_EXPORT void shmem_fence(void)
{
	PFS_NEED_INIT("shmem_fence");
	pfs_lock();
	int rc = podfab_fence(pfs.accel);
	pfs_unlock();
	pfs_check("shmem_fence", rc);
}

PFS_EXPORT void shmem_barrier_all(void)
{
	PFS_NEED_INIT("shmem_barrier_all");
	pfs_lock();
	int rc = podfab_barrier(pfs.accel); /* quiet, then all PEs */
	pfs_unlock();
	pfs_check("shmem_barrier_all", rc);
}

PFS_EXPORT void shmem_sync_all(void)
{
	PFS_NEED_INIT("shmem_sync_all");
	pfs_lock();
	int rc = podfab_barrier(pfs.accel); /* podfab's barrier also completes this PE's operations: stronger than sync */
	pfs_unlock();
	pfs_check("shmem_sync_all", rc);
}

/* ---- extensions ------------------------------------------------------------ */

PFS_EXPORT podfab_t shmemx_podfab(void)
{
	return pfs.accel;
}

PFS_EXPORT double shmemx_wtime_model(void)
{
	double t = 0;
	if (pfs.initialized)
		podfab_time(pfs.accel, &t);
	return t;
}

/* ---- deprecated names ------------------------------------------------------- */

PFS_EXPORT void start_pes(int npes)
{
	(void)npes; /* the number of PEs comes from the launcher, as in 1.x */
	shmem_init();
}

PFS_EXPORT int _my_pe(void)
{
	return shmem_my_pe();
}

PFS_EXPORT int _num_pes(void)
{
	return shmem_n_pes();
}

PFS_EXPORT int shmem_my_pe_(void)
{
	return shmem_my_pe();
}

PFS_EXPORT void *shmalloc(size_t size)
{
	return shmem_malloc(size);
}

PFS_EXPORT void shfree(void *ptr)
{
	shmem_free(ptr);
}

PFS_EXPORT void *shrealloc(void *ptr, size_t size)
{
	return shmem_realloc(ptr, size);
}

PFS_EXPORT void *shmemalign(size_t alignment, size_t size)
{
	return shmem_align(alignment, size);
}

/* Cache management: memory is coherent here, so these do nothing (as 1.5 describes them). */
PFS_EXPORT void shmem_clear_cache_inv(void) {}
PFS_EXPORT void shmem_set_cache_inv(void) {}
PFS_EXPORT void shmem_clear_cache_line_inv(void *dest) { (void)dest; }
PFS_EXPORT void shmem_set_cache_line_inv(void *dest) { (void)dest; }
PFS_EXPORT void shmem_udcflush(void) {}
PFS_EXPORT void shmem_udcflush_line(void *dest) { (void)dest; }
