/*
 * shared.c - the job's timing region: link state, counters and clocks that
 * every accelerator of the job on this host sees.
 *
 * Accelerator 0 creates /podfab.<job>.timing (mode 0600) during init; the
 * others attach after it has; all check that they run the same model, timing
 * mode and dilation.  The region stays while the job runs so that podfab-stat
 * can read it; accelerator 0 removes it at finalize, after writing the JSON
 * report when PODFAB_STATS names a file (PODFAB_STATS_KEEP=1 leaves it for the
 * launcher, whose sweep removes it).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pf_internal.h"
#include "pf_model.h"
#include "pf_timing.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t pf_tm_layout(struct pf_tm_shared *h, uint32_t nlinks, uint32_t naccels)
{
	uint64_t off = (sizeof *h + 63) & ~(uint64_t)63;
	h->off_links = off;
	off += 2ull * nlinks * sizeof(struct pf_tm_link);
	h->off_accels = off;
	off += (uint64_t)naccels * sizeof(struct pf_tm_accel);
	h->off_up = off;
	off += nlinks;
	off = (off + 63) & ~(uint64_t)63;
	h->off_cal = off;
	uint64_t ndl = nlinks ? 2ull * nlinks : 1, nb = 4096;
	while (nb > 64 && nb * 8 * ndl > PF_TM_CAL_BUDGET)
		nb /= 2;
	h->nbuckets = (uint32_t)nb;
	off += nb * 8 * 2ull * nlinks;
	h->size = (off + 4095) & ~(uint64_t)4095;
	h->nlinks = nlinks;
	h->naccels = naccels;
	return h->size;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return h;
}

uint64_t pf_tm_model_hash(podfab_topo_t t)
{
	uint64_t h = 0xcbf29ce484222325ull;
	h = fnv(h, &t->nnodes, sizeof t->nnodes);
	h = fnv(h, &t->nlinks, sizeof t->nlinks);
	for (uint32_t i = 0; i < t->nnodes; i++) {
		const podfab_node_t *n = &t->nodes[i];
		h = fnv(h, &n->kind, sizeof n->kind);
		h = fnv(h, &n->accel, sizeof n->accel);
		h = fnv(h, &n->latency_ns, sizeof n->latency_ns);
		h = fnv(h, &n->egress_ns, sizeof n->egress_ns);
		h = fnv(h, &n->cut_through, sizeof n->cut_through);
		h = fnv(h, &n->max_request, sizeof n->max_request);
		h = fnv(h, &n->fec_terminate, sizeof n->fec_terminate);
	}
	for (uint32_t i = 0; i < t->nlinks; i++) {
		const podfab_link_t *l = &t->links[i];
		h = fnv(h, &l->a, sizeof l->a);
		h = fnv(h, &l->b, sizeof l->b);
		h = fnv(h, &l->lanes, sizeof l->lanes);
		h = fnv(h, &l->lane_gbps, sizeof l->lane_gbps);
		h = fnv(h, &l->prop_ns, sizeof l->prop_ns);
		h = fnv(h, &l->ber, sizeof l->ber);
		h = fnv(h, &l->up, sizeof l->up);
		if (l->enc) {
			const podfab_encoding_t *e = l->enc;
			uint32_t f[9] = {e->flit_bytes, e->flit_payload_bytes, e->dl_frame_bytes, e->dl_overhead_bytes,
					 e->fec_codeword_bytes, e->fec_data_bytes, e->req_header_bytes,
					 e->resp_header_bytes, 0};
			h = fnv(h, f, sizeof f);
			h = fnv(h, &e->fec_latency_ns, sizeof e->fec_latency_ns);
		}
	}
	return h;
}

void pf_tm_shared_init(struct pf_tm_shared *s, podfab_topo_t topo, int timing, double dilation, uint64_t seed,
		       const char *job, const char *model)
{
	pf_tm_layout(s, topo->nlinks, topo->naccels);
	s->version = PF_TM_VERSION;
	s->timing = (uint32_t)timing;
	s->model_hash = pf_tm_model_hash(topo);
	s->nnodes = topo->nnodes;
	s->dilation = dilation;
	s->epoch_ns = mono_ns();
	s->seed = seed;
	snprintf(s->job, sizeof s->job, "%s", job ? job : "");
	snprintf(s->model, sizeof s->model, "%s", model ? model : "");
	_Atomic uint8_t *up = pf_tm_up(s);
	for (uint32_t i = 0; i < topo->nlinks; i++)
		atomic_store_explicit(&up[i], (uint8_t)(topo->links[i].up ? 1 : 0), memory_order_relaxed);
}

static void region_name(char *buf, size_t len, const char *job)
{
	snprintf(buf, len, "/podfab.%s.timing", job);
}

/* The model spec others can load: a file made absolute. */
static void model_spec(const char *spec, char *out, size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	const char *s = spec ? spec : "";
	if (spec && stat(spec, &st) == 0 && S_ISREG(st.st_mode) && realpath(spec, path) && strlen(path) < len)
		s = path;
	size_t n = strlen(s);
	if (n >= len)
		n = len - 1; /* podfab-stat will say it cannot load the model; the timing is unaffected */
	memcpy(out, s, n);
	out[n] = '\0';
}

static int create_region(podfab_t pf, const char *name)
{
	struct pf_tm_shared hdr;
	memset(&hdr, 0, sizeof hdr);
	uint64_t size = pf_tm_layout(&hdr, pf->topo->nlinks, pf->topo->naccels);
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd < 0)
		return pf_err(errno == EEXIST ? PODFAB_EBUSY : PODFAB_ESYSTEM,
			      "shm_open %s: %s%s", name, strerror(errno),
			      errno == EEXIST ? " (a job of this name is running, or a crashed one left it: remove it)"
					      : "");
	if (ftruncate(fd, (off_t)size) < 0) {
		int rc = pf_err(PODFAB_ESYSTEM, "ftruncate %s to %llu bytes: %s", name, (unsigned long long)size,
				strerror(errno));
		close(fd);
		shm_unlink(name);
		return rc;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		shm_unlink(name);
		return pf_err(PODFAB_ESYSTEM, "mmap %s: %s", name, strerror(errno));
	}
	struct pf_tm_shared *s = p;
	char spec[PF_TM_MODEL_MAX];
	model_spec(pf->model, spec, sizeof spec);
	pf_tm_shared_init(s, pf->topo, pf->timing, pf->dilation, pf->seed, pf->job, spec);
	atomic_store_explicit(&s->magic, PF_TM_MAGIC, memory_order_release);
	pf->tsh = s;
	pf->tsh_size = size;
	pf->tsh_owner = 1;
	return 0;
}

static int open_region(podfab_t pf, const char *name)
{
	int fd = shm_open(name, O_RDWR, 0);
	if (fd < 0)
		return pf_err(PODFAB_ESYSTEM, "shm_open %s: %s", name, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(struct pf_tm_shared)) {
		close(fd);
		return pf_err(PODFAB_ESYSTEM, "%s is too small", name);
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return pf_err(PODFAB_ESYSTEM, "mmap %s: %s", name, strerror(errno));
	struct pf_tm_shared *s = p;
	pf->tsh = s;
	pf->tsh_size = (size_t)st.st_size;
	if (atomic_load_explicit(&s->magic, memory_order_acquire) != PF_TM_MAGIC || s->version != PF_TM_VERSION ||
	    s->size != (uint64_t)st.st_size)
		return pf_err(PODFAB_EMISMATCH, "%s is not a timing region of this podfab version", name);
	if (s->model_hash != pf_tm_model_hash(pf->topo) || s->nlinks != pf->topo->nlinks ||
	    s->naccels != pf->topo->naccels)
		return pf_err(PODFAB_EMISMATCH, "accelerator %d loaded another fabric model than accelerator 0 (%.200s)",
			      pf->id, s->model);
	if (s->timing != (uint32_t)pf->timing || s->dilation != pf->dilation)
		return pf_err(PODFAB_EMISMATCH, "accelerator %d runs timing mode %d dilation %g, accelerator 0 %u, %g",
			      pf->id, pf->timing, pf->dilation, s->timing, s->dilation);
	return 0;
}

/* Collective: every accelerator of the job calls it during init. */
int pf_tm_attach(podfab_t pf)
{
	char name[PF_JOB_MAX + 32];
	region_name(name, sizeof name, pf->job);
	int rc = 0;
	if (pf->id == 0)
		rc = create_region(pf, name);
	/*
	 * Everyone learns whether the creator succeeded, then whether everyone
	 * attached.  Without memory for the table an accelerator still joins both
	 * rounds (contributing only), so that nobody waits for it.
	 */
	int8_t *all = malloc((size_t)pf->n);
	if (!all && !rc)
		rc = pf_err(PODFAB_ENOMEM, "attach table");
	int8_t mine = rc ? 1 : 0;
	int brc = pf->boot_ops->allgather(pf->boot, &mine, 1, all);
	if (!rc && brc)
		rc = brc;
	if (!rc && all[0])
		rc = pf_err(PODFAB_ESYSTEM, "accelerator 0 could not create the timing region %s", name);
	if (!rc && pf->id != 0)
		rc = open_region(pf, name);
	mine = rc ? 1 : 0;
	brc = pf->boot_ops->allgather(pf->boot, &mine, 1, all);
	if (!rc && brc)
		rc = brc;
	for (int i = 0; !rc && all && i < pf->n; i++)
		if (all[i])
			rc = pf_err(PODFAB_EMISMATCH, "accelerator %d could not attach to the timing region", i);
	free(all);
	if (rc)
		return rc;
	struct pf_tm_accel *me = &pf_tm_accels(pf->tsh)[pf->id];
	atomic_store_explicit(&me->state, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&pf->tsh->attached, 1, memory_order_relaxed);
	pf->epoch_ns = pf->tsh->epoch_ns;
	return 0;
}

/* Collective: 0 when every accelerator's rc is 0, else the first failure's (the local one first). */
int pf_tm_agree(podfab_t pf, int rc)
{
	int8_t *all = malloc((size_t)pf->n);
	if (!all && !rc)
		rc = pf_err(PODFAB_ENOMEM, "agreement table");
	int8_t mine = rc ? 1 : 0;
	int brc = pf->boot_ops->allgather(pf->boot, &mine, 1, all);
	if (!rc && brc)
		rc = brc;
	for (int i = 0; !rc && all && i < pf->n; i++)
		if (all[i])
			rc = pf_err(PODFAB_EMISMATCH, "accelerator %d could not set up its timing engine", i);
	free(all);
	return rc;
}

/* At finalize, before the closing barrier: publish the clock. */
void pf_tm_publish(podfab_t pf)
{
	if (!pf->tsh)
		return;
	struct pf_tm_accel *me = &pf_tm_accels(pf->tsh)[pf->id];
	double now = 0;
	if (pf->tm)
		pf_tm_flush(pf->tm);
	podfab_time(pf, &now);
	pf_tm_atomic_max(&me->now, now);
	atomic_store_explicit(&me->state, 2, memory_order_release);
	atomic_fetch_add_explicit(&pf->tsh->finished, 1, memory_order_acq_rel);
}

/* After the closing barrier (or on a failed init): write the report, unmap, remove. */
int pf_tm_detach(podfab_t pf, int after_barrier)
{
	int rc = 0;
	if (!pf->tsh)
		return 0;
	if (after_barrier && pf->id == 0) {
		const char *path = getenv("PODFAB_STATS");
		if (path && *path) {
			FILE *f = fopen(path, "w");
			if (!f)
				rc = pf_err(PODFAB_ESYSTEM, "PODFAB_STATS=%.200s: %s", path, strerror(errno));
			else {
				rc = pf_tm_write_json(f, pf->tsh, pf->topo);
				if (fclose(f) != 0 && !rc)
					rc = pf_err(PODFAB_ESYSTEM, "writing %.200s: %s", path, strerror(errno));
			}
		}
	}
	if (pf->id == 0) {
		const char *keep = getenv("PODFAB_STATS_KEEP");
		/* On a failed init accelerator 0 removes it too: nobody will finish the job. */
		if (!(after_barrier && keep && !strcmp(keep, "1"))) {
			char name[PF_JOB_MAX + 32];
			region_name(name, sizeof name, pf->job);
			if (pf->tsh_owner)
				shm_unlink(name);
		}
	}
	munmap(pf->tsh, pf->tsh_size);
	pf->tsh = NULL;
	pf->tsh_size = 0;
	return rc;
}
