/*
 * shared.c - the job's timing regions: link state, counters and clocks that
 * every accelerator of the job on one host sees.
 *
 * One region per host (pf_host_key): its lowest accelerator creates it,
 * /podfab.<job>.timing on accelerator 0's host and /podfab.<job>.timing.<id>
 * elsewhere (mode 0600), during init; the others attach after it has; all
 * check that they run the same model, timing mode and dilation.  A region
 * stays while the job runs so that podfab-stat can read it; its creator
 * removes it at finalize.  Before that, in a job of several hosts,
 * accelerator 0's region receives the other hosts' counters and every clock
 * (merge_hosts), and accelerator 0 writes the JSON report when PODFAB_STATS
 * names a file (PODFAB_STATS_KEEP=1 leaves its region for the launcher,
 * whose sweep removes it).  podfab(7), "Across hosts", says what this models.
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

/* Host of accelerator 0: /podfab.<job>.timing; another host: ....timing.<its lowest id>. */
static void region_name(char *buf, size_t len, const char *job, int leader)
{
	if (leader == 0)
		snprintf(buf, len, "/podfab.%s.timing", job);
	else
		snprintf(buf, len, "/podfab.%s.timing.%d", job, leader);
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

/*
 * Which host each accelerator is on (pf_host_key, one allgather): tm_host[i]
 * is the lowest id of i's host, which creates that host's region.
 */
static int find_hosts(podfab_t pf)
{
	uint64_t key = 0, *keys = malloc((size_t)pf->n * sizeof *keys);
	pf->tm_host = malloc((size_t)pf->n * sizeof *pf->tm_host);
	int rc = pf_host_key(pf->id, &key);
	if (!rc && (!keys || !pf->tm_host))
		rc = pf_err(PODFAB_ENOMEM, "host table of %d accelerators", pf->n);
	/* Everyone joins the allgather, failed or not, so that nobody waits; a failure reads as key 0. */
	uint64_t mine = rc ? 0 : key | 1;
	int brc = pf->boot_ops->allgather(pf->boot, &mine, sizeof mine, keys);
	if (!rc && brc)
		rc = brc;
	for (int i = 0; !rc && i < pf->n; i++)
		if (!keys[i])
			rc = pf_err(PODFAB_EMISMATCH, "accelerator %d could not tell its host", i);
	if (!rc) {
		pf->tm_nhosts = 0;
		for (int i = 0; i < pf->n; i++) {
			int j = 0;
			while (keys[j] != keys[i])
				j++;
			pf->tm_host[i] = j;
			pf->tm_nhosts += j == i;
		}
	}
	free(keys);
	return rc;
}

/* Collective: every accelerator of the job calls it during init. */
int pf_tm_attach(podfab_t pf)
{
	int rc = find_hosts(pf);
	if (rc)
		return rc; /* everyone saw the same failure, or the bootstrap's */
	char name[PF_JOB_MAX + 48];
	int leader = pf->tm_host[pf->id];
	region_name(name, sizeof name, pf->job, leader);
	if (pf->id == leader)
		rc = create_region(pf, name);
	/*
	 * Everyone learns whether the creators succeeded, then whether everyone
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
	if (!rc && all[leader])
		rc = pf_err(PODFAB_ESYSTEM, "accelerator %d could not create the timing region %s", leader, name);
	if (!rc && pf->id != leader)
		rc = open_region(pf, name);
	mine = rc ? 1 : 0;
	brc = pf->boot_ops->allgather(pf->boot, &mine, 1, all);
	if (!rc && brc)
		rc = brc;
	for (int i = 0; !rc && all && i < pf->n; i++)
		if (all[i])
			rc = pf_err(PODFAB_EMISMATCH, "accelerator %d could not attach to the timing region of its host", i);
	/*
	 * Regions of different hosts were created at different moments on
	 * different clocks: for realtime, each creator sets model time 0 to now,
	 * between two rounds that everyone leaves within a bootstrap round trip.
	 */
	if (!rc && pf->tm_nhosts > 1 && pf->timing == PODFAB_TIMING_REALTIME) {
		if (!(rc = pf->boot_ops->barrier(pf->boot)) && pf->id == leader)
			pf->tsh->epoch_ns = mono_ns();
		if (!rc)
			rc = pf->boot_ops->barrier(pf->boot);
	}
	free(all);
	if (rc)
		return rc;
	struct pf_tm_accel *me = &pf_tm_accels(pf->tsh)[pf->id];
	atomic_store_explicit(&me->state, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&pf->tsh->attached, 1, memory_order_relaxed);
	pf->epoch_ns = pf->tsh->epoch_ns;
	if (pf->tm_nhosts > 1 && pf->id == 0)
		pf_log(PF_LOG_INFO, "timing: %d hosts, one timing region each: contention is modelled among the "
				    "accelerators of a host (podfab(7), Across hosts)", pf->tm_nhosts);
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

/*
 * A job of several hosts: accelerator 0's region receives the others' clocks
 * and counters, so that its report (PODFAB_STATS, podfab-run --report) covers
 * the whole job.  Collective; called once every accelerator has flushed.
 * Round 1: each accelerator's record.  Round 2: how many directed links each
 * other host's creator has counts for.  Then as many rounds as the largest of
 * those needs, LINKS_PER_ROUND links of each creator a round.
 */
struct merge_link {
	uint32_t dlink, replays;
	uint64_t messages, bytes, flits, busy_ps, queue_ps, wire_bytes, busy;
};
#define LINKS_PER_ROUND (PF_BOOT_BLOB / sizeof(struct merge_link))

static int merge_hosts(podfab_t pf)
{
	struct pf_tm_shared *sh = pf->tsh;
	struct pf_tm_accel *acc = pf_tm_accels(sh);
	struct pf_tm_link *links = pf_tm_links(sh);
	int zero = pf->id == 0, creator = pf->tm_host[pf->id] == pf->id && pf->id != 0;
	size_t n = (size_t)pf->n;
	struct pf_tm_accel *all = zero ? calloc(n, sizeof *all) : NULL;
	struct merge_link *got = zero ? calloc(n * LINKS_PER_ROUND, sizeof *got) : NULL;
	uint32_t *counts = malloc(n * sizeof *counts);
	int rc = 0;
	if ((zero && (!all || !got)) || !counts)
		rc = pf_err(PODFAB_ENOMEM, "merging the timing counters of %d hosts", pf->tm_nhosts);
	/* Even without memory everyone joins every round (contributing), so that nobody waits. */
	struct pf_tm_accel mine = {0};
	mine.now = atomic_load_explicit(&acc[pf->id].now, memory_order_relaxed);
	mine.stamp = atomic_load_explicit(&acc[pf->id].stamp, memory_order_relaxed);
	mine.ops = atomic_load_explicit(&acc[pf->id].ops, memory_order_relaxed);
	mine.requests = atomic_load_explicit(&acc[pf->id].requests, memory_order_relaxed);
	mine.state = atomic_load_explicit(&acc[pf->id].state, memory_order_relaxed);
	mine.busy_ps = atomic_load_explicit(&acc[pf->id].busy_ps, memory_order_relaxed);
	int brc = pf->boot_ops->allgather(pf->boot, &mine, sizeof mine, rc ? NULL : all);
	if (!rc && brc)
		rc = brc;
	if (brc)
		goto out; /* the bootstrap failed: nobody goes on */
	uint32_t ndl = 2 * sh->nlinks, used = 0;
	if (creator)
		for (uint32_t e = 0; e < ndl; e++)
			used += atomic_load_explicit(&links[e].messages, memory_order_relaxed) != 0;
	if ((brc = pf->boot_ops->allgather(pf->boot, &used, sizeof used, counts)) != 0) {
		rc = rc ? rc : brc;
		goto out;
	}
	uint32_t most = 0;
	for (size_t i = 0; i < n; i++)
		most = counts[i] > most ? counts[i] : most;
	uint32_t next = 0; /* this creator's next directed link to send */
	for (uint32_t round = 0; round * LINKS_PER_ROUND < most; round++) {
		struct merge_link out[LINKS_PER_ROUND];
		for (size_t k = 0; k < LINKS_PER_ROUND; k++) {
			memset(&out[k], 0, sizeof out[k]);
			out[k].dlink = UINT32_MAX;
			while (creator && next < ndl && !atomic_load_explicit(&links[next].messages, memory_order_relaxed))
				next++;
			if (!creator || next >= ndl)
				continue;
			struct pf_tm_link *l = &links[next];
			out[k].dlink = next++;
			uint64_t rp = atomic_load_explicit(&l->replays, memory_order_relaxed);
			out[k].replays = rp > UINT32_MAX ? UINT32_MAX : (uint32_t)rp;
			out[k].messages = atomic_load_explicit(&l->messages, memory_order_relaxed);
			out[k].bytes = atomic_load_explicit(&l->bytes, memory_order_relaxed);
			out[k].flits = atomic_load_explicit(&l->flits, memory_order_relaxed);
			out[k].busy_ps = atomic_load_explicit(&l->busy_ps, memory_order_relaxed);
			out[k].queue_ps = atomic_load_explicit(&l->queue_ps, memory_order_relaxed);
			out[k].wire_bytes = atomic_load_explicit(&l->wire_bytes, memory_order_relaxed);
			out[k].busy = atomic_load_explicit(&l->busy, memory_order_relaxed);
		}
		if ((brc = pf->boot_ops->allgather(pf->boot, out, sizeof out, rc ? NULL : got)) != 0) {
			rc = rc ? rc : brc;
			goto out;
		}
		for (size_t k = 0; zero && !rc && k < n * LINKS_PER_ROUND; k++) {
			const struct merge_link *m = &got[k];
			if (m->dlink >= ndl)
				continue;
			struct pf_tm_link *l = &links[m->dlink];
			atomic_fetch_add_explicit(&l->messages, m->messages, memory_order_relaxed);
			atomic_fetch_add_explicit(&l->bytes, m->bytes, memory_order_relaxed);
			atomic_fetch_add_explicit(&l->flits, m->flits, memory_order_relaxed);
			atomic_fetch_add_explicit(&l->busy_ps, m->busy_ps, memory_order_relaxed);
			atomic_fetch_add_explicit(&l->queue_ps, m->queue_ps, memory_order_relaxed);
			atomic_fetch_add_explicit(&l->replays, m->replays, memory_order_relaxed);
			atomic_fetch_add_explicit(&l->wire_bytes, m->wire_bytes, memory_order_relaxed);
			pf_tm_atomic_max(&l->busy, pf_tm_d(m->busy));
		}
	}
	if (zero && !rc) {
		uint32_t others = 0;
		for (size_t i = 0; i < n; i++) {
			if (pf->tm_host[i] == 0)
				continue;
			struct pf_tm_accel *a = &acc[i];
			pf_tm_atomic_max(&a->now, pf_tm_d(all[i].now));
			pf_tm_atomic_max(&a->stamp, pf_tm_d(all[i].stamp));
			atomic_store_explicit(&a->ops, all[i].ops, memory_order_relaxed);
			atomic_store_explicit(&a->requests, all[i].requests, memory_order_relaxed);
			atomic_store_explicit(&a->busy_ps, all[i].busy_ps, memory_order_relaxed);
			atomic_store_explicit(&a->state, all[i].state, memory_order_release);
			others += all[i].state == 2;
		}
		atomic_fetch_add_explicit(&sh->attached, others, memory_order_relaxed);
		atomic_fetch_add_explicit(&sh->finished, others, memory_order_acq_rel);
	}
out:
	free(all);
	free(got);
	free(counts);
	return rc;
}

/* At finalize, before the closing barrier: publish the clock (collective when the job has several hosts). */
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
	if (pf->tm_nhosts > 1 && merge_hosts(pf) < 0)
		pf_log(PF_LOG_WARN, "accelerator %d: the report of accelerator 0 lacks other hosts' counters: %s",
		       pf->id, podfab_error_detail());
}

/* After the closing barrier (or on a failed init): write the report, unmap, remove. */
int pf_tm_detach(podfab_t pf, int after_barrier)
{
	int rc = 0;
	if (!pf->tsh) {
		free(pf->tm_host);
		pf->tm_host = NULL;
		return 0;
	}
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
	if (pf->tsh_owner) {
		const char *keep = getenv("PODFAB_STATS_KEEP");
		/*
		 * Each host's creator removes its region; accelerator 0 keeps its
		 * own (the whole job's report) for the launcher when asked.  On a
		 * failed init it goes too: nobody will finish the job.
		 */
		if (!(after_barrier && pf->id == 0 && keep && !strcmp(keep, "1"))) {
			char name[PF_JOB_MAX + 48];
			region_name(name, sizeof name, pf->job, pf->id);
			shm_unlink(name);
		}
	}
	munmap(pf->tsh, pf->tsh_size);
	pf->tsh = NULL;
	pf->tsh_size = 0;
	pf->tsh_owner = 0;
	free(pf->tm_host);
	pf->tm_host = NULL;
	return rc;
}
