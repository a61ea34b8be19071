/*
 * report.c - the timing region's counters as JSON and as a text report, and
 * podfab_stat_*: a read-only reader of a running (or just finished) job's
 * region /podfab.<job>.timing for podfab-stat and podfab-run --report.
 *
 * The writers read every counter with a relaxed load: the numbers of a job
 * that is still running are a snapshot, each one exact, not a consistent cut.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <podfab/stat.h>

#include "pf_internal.h"
#include "pf_timing.h"

/* ---- reading the region ------------------------------------------------ */

static const struct pf_tm_link *rd_links(const struct pf_tm_shared *s)
{
	return (const struct pf_tm_link *)((const char *)s + s->off_links);
}
static const struct pf_tm_accel *rd_accels(const struct pf_tm_shared *s)
{
	return (const struct pf_tm_accel *)((const char *)s + s->off_accels);
}
static const _Atomic uint8_t *rd_up(const struct pf_tm_shared *s)
{
	return (const _Atomic uint8_t *)((const char *)s + s->off_up);
}

static uint64_t ld(const _Atomic uint64_t *p)
{
	return atomic_load_explicit((_Atomic uint64_t *)p, memory_order_relaxed);
}

/* A time word as a finite, non-negative double. */
static double ld_time(const _Atomic uint64_t *p)
{
	double d = pf_tm_d(ld(p));
	return isfinite(d) && d > 0 ? d : 0.0;
}

/* One directed link's counters, loaded once. */
struct dl_ctr {
	uint64_t messages, bytes, wire_bytes, flits, busy_ps, queue_ps, replays;
};

static void load_ctr(const struct pf_tm_link *l, struct dl_ctr *c)
{
	c->messages = ld(&l->messages);
	c->bytes = ld(&l->bytes);
	c->wire_bytes = ld(&l->wire_bytes);
	c->flits = ld(&l->flits);
	c->busy_ps = ld(&l->busy_ps);
	c->queue_ps = ld(&l->queue_ps);
	c->replays = ld(&l->replays);
}

/*
 * Model time of the run: the latest clock of any accelerator.  In realtime
 * mode, while an accelerator is still running, the wall time since the job
 * began (over the dilation) is its clock.
 */
static double model_time(const struct pf_tm_shared *sh)
{
	const struct pf_tm_accel *a = rd_accels(sh);
	double t = 0;
	int running = 0;
	for (uint32_t i = 0; i < sh->naccels; i++) {
		double v = ld_time(&a[i].now);
		if (v > t)
			t = v;
		if (atomic_load_explicit(&a[i].state, memory_order_relaxed) == 1)
			running = 1;
	}
	if (running && sh->timing == PODFAB_TIMING_REALTIME && sh->dilation > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		double v = now > sh->epoch_ns ? (double)(now - sh->epoch_ns) / sh->dilation : 0.0;
		if (v > t)
			t = v;
	}
	return t;
}

static const char *timing_name(uint32_t t)
{
	switch (t) {
	case PODFAB_TIMING_FUNCTIONAL: return "functional";
	case PODFAB_TIMING_REALTIME: return "realtime";
	case PODFAB_TIMING_VIRTUAL: return "virtual";
	default: return "unknown";
	}
}

static const char *state_name(uint64_t s)
{
	switch (s) {
	case 0: return "absent";
	case 1: return "attached";
	case 2: return "finished";
	default: return "unknown";
	}
}

static const char *node_name(podfab_topo_t topo, uint32_t id)
{
	const podfab_node_t *n = podfab_topo_node(topo, id);
	return n && n->name ? n->name : "?";
}

/* Directed link d: from links[d/2].a to .b when d is even, from b to a when odd. */
static void dl_ends(podfab_topo_t topo, uint32_t d, uint32_t *from, uint32_t *to)
{
	const podfab_link_t *l = podfab_topo_link(topo, d / 2);
	*from = (d & 1) ? l->b : l->a;
	*to = (d & 1) ? l->a : l->b;
}

/* The region and the model must describe the same fabric. */
static int check_pair(const struct pf_tm_shared *sh, podfab_topo_t topo)
{
	if (!sh || !topo)
		return pf_err(PODFAB_ENULL, "timing report: %s is NULL", sh ? "the model" : "the region");
	if (sh->nlinks != podfab_topo_nlinks(topo) || sh->naccels != podfab_topo_naccels(topo))
		return pf_err(PODFAB_EMISMATCH,
			      "timing report: the region has %" PRIu32 " links and %" PRIu32
			      " accelerators, the model %" PRIu32 " and %" PRIu32,
			      sh->nlinks, sh->naccels, podfab_topo_nlinks(topo), podfab_topo_naccels(topo));
	return 0;
}

static int finish_stream(FILE *f, const char *what)
{
	if (ferror(f))
		return pf_err(PODFAB_ESYSTEM, "writing the %s failed", what);
	return 0;
}

/* ---- JSON -------------------------------------------------------------- */

void pf_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A number as JSON accepts it: never inf or nan. */
void pf_json_num(FILE *f, double v)
{
	if (!isfinite(v))
		v = 0;
	if (v == 0)
		fputs("0", f);
	else
		fprintf(f, "%.10g", v);
}

static void json_ctr(FILE *f, const struct dl_ctr *c)
{
	fprintf(f, "\"messages\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"wire_bytes\": %" PRIu64
		   ", \"flits\": %" PRIu64 ", \"busy_ns\": ",
		c->messages, c->bytes, c->wire_bytes, c->flits);
	pf_json_num(f, (double)c->busy_ps / 1000.0);
	fputs(", \"queue_ns\": ", f);
	pf_json_num(f, (double)c->queue_ps / 1000.0);
	fprintf(f, ", \"replays\": %" PRIu64, c->replays);
}

/* Whether a switch port's link carried anything, either way. */
static int port_busy(const struct pf_tm_link *links, uint32_t link)
{
	return ld(&links[2 * link].messages) || ld(&links[2 * link + 1].messages);
}

static void json_switches(FILE *f, const struct pf_tm_shared *sh, podfab_topo_t topo)
{
	const struct pf_tm_link *links = rd_links(sh);
	uint32_t nn = podfab_topo_nnodes(topo), nl = podfab_topo_nlinks(topo);
	int first = 1;
	fputs(",\n  \"switches\": [", f);
	for (uint32_t i = 0; i < nn; i++) {
		const podfab_node_t *n = podfab_topo_node(topo, i);
		if (n->kind != PODFAB_NODE_SWITCH)
			continue;
		int busy = 0;
		for (uint32_t p = 0; p < n->nports && !busy; p++)
			busy = n->port_link[p] < nl && port_busy(links, n->port_link[p]);
		if (!busy)
			continue;
		fputs(first ? "\n    {\"name\": " : ",\n    {\"name\": ", f);
		first = 0;
		pf_json_str(f, n->name);
		fputs(", \"ports\": [", f);
		for (uint32_t p = 0; p < n->nports; p++) {
			uint32_t lk = n->port_link[p];
			if (lk >= nl)
				continue;
			const podfab_link_t *l = podfab_topo_link(topo, lk);
			/* The directed link leaving the switch by this port, and the one entering. */
			uint32_t out = 2 * lk + (l->a == i ? 0u : 1u), in = out ^ 1u;
			struct dl_ctr tx, rx;
			load_ctr(&links[out], &tx);
			load_ctr(&links[in], &rx);
			fprintf(f, "%s\n      {\"port\": %" PRIu32 ", \"link\": %" PRIu32 ", \"tx\": {", p ? "," : "",
				p, lk);
			json_ctr(f, &tx);
			fputs("}, \"rx\": {", f);
			json_ctr(f, &rx);
			fputs("}}", f);
		}
		fputs("]}", f);
	}
	fputs(first ? "]" : "\n  ]", f);
}

int pf_tm_write_json(FILE *f, const struct pf_tm_shared *sh, podfab_topo_t topo)
{
	if (!f)
		return pf_err(PODFAB_ENULL, "timing report: the stream is NULL");
	int rc = check_pair(sh, topo);
	if (rc)
		return rc;
	const struct pf_tm_link *links = rd_links(sh);
	const struct pf_tm_accel *accels = rd_accels(sh);
	const _Atomic uint8_t *up = rd_up(sh);
	double t = model_time(sh);

	fputs("{\"podfab_stats\": 1, \"job\": ", f);
	pf_json_str(f, sh->job);
	fputs(", \"model\": ", f);
	pf_json_str(f, sh->model);
	fputs(", \"family\": ", f);
	pf_json_str(f, podfab_topo_family(topo));
	fputs(", \"timing\": ", f);
	pf_json_str(f, timing_name(sh->timing));
	fputs(", \"dilation\": ", f);
	pf_json_num(f, sh->dilation);
	fputs(", \"time_ns\": ", f);
	pf_json_num(f, t);

	fputs(",\n  \"accels\": [", f);
	for (uint32_t i = 0; i < sh->naccels; i++) {
		fprintf(f, "%s\n    {\"id\": %" PRIu32 ", \"time_ns\": ", i ? "," : "", i);
		pf_json_num(f, ld_time(&accels[i].now));
		fprintf(f, ", \"ops\": %" PRIu64 ", \"requests\": %" PRIu64 ", \"state\": ", ld(&accels[i].ops),
			ld(&accels[i].requests));
		pf_json_str(f, state_name(ld(&accels[i].state)));
		fputc('}', f);
	}
	fputs(sh->naccels ? "\n  ]" : "]", f);

	uint64_t idle = 0, tot_msg = 0, tot_bytes = 0, tot_replays = 0;
	int first = 1;
	fputs(",\n  \"links\": [", f);
	for (uint32_t d = 0; d < 2 * sh->nlinks; d++) {
		struct dl_ctr c;
		load_ctr(&links[d], &c);
		if (!c.messages) {
			idle++;
			continue;
		}
		tot_msg += c.messages;
		tot_bytes += c.bytes;
		tot_replays += c.replays;
		const podfab_link_t *l = podfab_topo_link(topo, d / 2);
		uint32_t from, to;
		dl_ends(topo, d, &from, &to);
		fprintf(f, "%s\n    {\"link\": %" PRIu32 ", \"dlink\": %" PRIu32 ", \"from\": ", first ? "" : ",",
			d / 2, d);
		first = 0;
		pf_json_str(f, node_name(topo, from));
		fputs(", \"to\": ", f);
		pf_json_str(f, node_name(topo, to));
		fputs(", \"class\": ", f);
		pf_json_str(f, l->cls ? l->cls : "");
		fprintf(f, ", \"up\": %s, ",
			atomic_load_explicit((_Atomic uint8_t *)&up[d / 2], memory_order_relaxed) ? "true" : "false");
		json_ctr(f, &c);
		fputs(", \"utilisation\": ", f);
		pf_json_num(f, t > 0 ? (double)c.busy_ps / 1000.0 / t : 0.0);
		fputc('}', f);
	}
	fputs(first ? "]" : "\n  ]", f);
	fprintf(f, ",\n  \"idle_links\": %" PRIu64, idle);
	fprintf(f, ",\n  \"totals\": {\"messages\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"replays\": %" PRIu64 "}",
		tot_msg, tot_bytes, tot_replays);
	json_switches(f, sh, topo);
	fputs("\n}\n", f);
	return finish_stream(f, "JSON report");
}

/* ---- text -------------------------------------------------------------- */

struct busy_ent {
	uint64_t busy_ps;
	uint32_t d;
};

/* Busiest first; equal ones in directed-link order. */
static int busy_cmp(const void *pa, const void *pb)
{
	const struct busy_ent *a = pa, *b = pb;
	if (a->busy_ps != b->busy_ps)
		return a->busy_ps > b->busy_ps ? -1 : 1;
	return a->d < b->d ? -1 : a->d > b->d;
}

int pf_tm_write_report(FILE *f, const struct pf_tm_shared *sh, podfab_topo_t topo, int top)
{
	if (!f)
		return pf_err(PODFAB_ENULL, "timing report: the stream is NULL");
	int rc = check_pair(sh, topo);
	if (rc)
		return rc;
	const struct pf_tm_link *links = rd_links(sh);
	double t = model_time(sh);
	uint32_t ndl = 2 * sh->nlinks, nbusy = 0;
	uint64_t tot_msg = 0, tot_bytes = 0, tot_replays = 0;

	fprintf(f, "podfab: %s time %.3f us over %" PRIu32 " accelerator%s, model %s\n", timing_name(sh->timing),
		t / 1000.0, sh->naccels, sh->naccels == 1 ? "" : "s", sh->model);

	struct busy_ent *ent = ndl ? malloc((size_t)ndl * sizeof *ent) : NULL;
	if (ndl && !ent)
		return pf_err(PODFAB_ENOMEM, "timing report: %" PRIu32 " directed links", ndl);
	for (uint32_t d = 0; d < ndl; d++) {
		uint64_t m = ld(&links[d].messages);
		if (!m)
			continue;
		tot_msg += m;
		tot_bytes += ld(&links[d].bytes);
		tot_replays += ld(&links[d].replays);
		ent[nbusy].busy_ps = ld(&links[d].busy_ps);
		ent[nbusy].d = d;
		nbusy++;
	}
	if (nbusy > 1)
		qsort(ent, nbusy, sizeof *ent, busy_cmp);

	uint32_t shown = top < 0 || (uint32_t)top > nbusy ? nbusy : (uint32_t)top;
	if (nbusy == 0) {
		fputs("no link carried a message\n", f);
	} else if (shown > 0) {
		/* Width of the "from -> to" column. */
		int w = 10;
		for (uint32_t i = 0; i < shown; i++) {
			uint32_t from, to;
			dl_ends(topo, ent[i].d, &from, &to);
			int len = (int)(strlen(node_name(topo, from)) + strlen(node_name(topo, to)) + 4);
			if (len > w)
				w = len;
		}
		if (w > 60)
			w = 60;
		fprintf(f, "busiest links (%" PRIu32 " of %" PRIu32 " directed links carried traffic):\n", shown,
			nbusy);
		fprintf(f, "  %-*s %-16s %12s %12s %12s %7s %12s %9s\n", w, "from -> to", "class", "messages", "MB",
			"busy us", "util %", "queue us", "replays");
		for (uint32_t i = 0; i < shown; i++) {
			uint32_t d = ent[i].d, from, to;
			struct dl_ctr c;
			load_ctr(&links[d], &c);
			dl_ends(topo, d, &from, &to);
			const podfab_link_t *l = podfab_topo_link(topo, d / 2);
			char ends[256];
			snprintf(ends, sizeof ends, "%s -> %s", node_name(topo, from), node_name(topo, to));
			double busy_ns = (double)c.busy_ps / 1000.0;
			fprintf(f, "  %-*s %-16s %12" PRIu64 " %12.3f %12.3f %7.1f %12.3f %9" PRIu64 "\n", w, ends,
				l->cls ? l->cls : "-", c.messages, (double)c.bytes / 1e6, busy_ns / 1000.0,
				t > 0 ? 100.0 * busy_ns / t : 0.0, (double)c.queue_ps / 1e6, c.replays);
		}
	}
	free(ent);
	fprintf(f, "totals: %" PRIu64 " messages, %" PRIu64 " bytes (%.3f MB), %" PRIu64 " replays\n", tot_msg,
		tot_bytes, (double)tot_bytes / 1e6, tot_replays);
	return finish_stream(f, "report");
}

/* ---- podfab_stat ------------------------------------------------------- */

#define PF_STAT_MAGIC 0x54415453u /* "STAT" */

struct podfab_stat {
	uint32_t magic;
	const struct pf_tm_shared *sh;
	size_t size;
	podfab_topo_t topo;
};

static int stat_ok(podfab_stat_t st)
{
	if (!st)
		return pf_err(PODFAB_ENULL, "podfab_stat handle is NULL");
	if (st->magic != PF_STAT_MAGIC)
		return pf_err(PODFAB_EBADHANDLE, "not a podfab_stat handle");
	return 0;
}

/* Offsets and sizes of a mapped region that are safe to follow. */
static int region_sane(const struct pf_tm_shared *s, size_t size)
{
	uint64_t links_end = s->off_links + 2ull * s->nlinks * sizeof(struct pf_tm_link);
	uint64_t accels_end = s->off_accels + (uint64_t)s->naccels * sizeof(struct pf_tm_accel);
	uint64_t up_end = s->off_up + s->nlinks;
	return s->size == size && s->off_links >= sizeof *s && links_end <= size && accels_end <= size &&
	       up_end <= size && s->off_links % 8 == 0 && s->off_accels % 8 == 0 &&
	       memchr(s->model, '\0', sizeof s->model) && memchr(s->job, '\0', sizeof s->job);
}

/* The lowest N of this host's /dev/shm/podfab.<job>.timing.N (a host without accelerator 0). */
static int other_host_region(const char *job, long *low)
{
	char prefix[PF_JOB_MAX + 32];
	snprintf(prefix, sizeof prefix, "podfab.%s.timing.", job);
	size_t plen = strlen(prefix);
	DIR *d = opendir("/dev/shm");
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, plen) != 0)
			continue;
		char *end;
		long v = strtol(e->d_name + plen, &end, 10);
		if (*end || v <= 0 || e->d_name[plen] < '1' || e->d_name[plen] > '9')
			continue;
		if (*low < 0 || v < *low)
			*low = v;
	}
	closedir(d);
	return *low > 0;
}

PODFAB_EXPORT int podfab_stat_open(const char *job, podfab_stat_t *out)
{
	if (!job || !out)
		return pf_err(PODFAB_ENULL, "podfab_stat_open: %s is NULL", job ? "the handle pointer" : "job");
	size_t jl = strlen(job);
	if (jl == 0 || jl > PF_JOB_MAX || strchr(job, '/'))
		return pf_err(PODFAB_EINVAL, "podfab_stat_open: '%.80s' is not a job name (1 to %d characters, no '/')",
			      job, PF_JOB_MAX);
	char name[PF_JOB_MAX + 48];
	snprintf(name, sizeof name, "/podfab.%s.timing", job);
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0 && errno == ENOENT) {
		/* Not accelerator 0's host: this host's region is named after its lowest accelerator. */
		long low = -1;
		if (other_host_region(job, &low) && low > 0) {
			snprintf(name, sizeof name, "/podfab.%s.timing.%ld", job, low);
			fd = shm_open(name, O_RDONLY, 0);
		} else {
			errno = ENOENT;
		}
	}
	if (fd < 0) {
		if (errno == ENOENT)
			return pf_err(PODFAB_EINVAL, "no timing region /podfab.%s.timing[.N]: is the job running with --timing?",
				      job);
		return pf_err(PODFAB_ESYSTEM, "shm_open %s: %s", name, strerror(errno));
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		int rc = pf_err(PODFAB_ESYSTEM, "fstat %s: %s", name, strerror(errno));
		close(fd);
		return rc;
	}
	if (sb.st_size < (off_t)sizeof(struct pf_tm_shared)) {
		close(fd);
		return pf_err(PODFAB_EMISMATCH, "%s is not a timing region (%lld bytes)", name, (long long)sb.st_size);
	}
	size_t size = (size_t)sb.st_size;
	void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return pf_err(PODFAB_ESYSTEM, "mmap %s: %s", name, strerror(errno));
	const struct pf_tm_shared *sh = p;
	int rc = 0;
	podfab_topo_t topo = NULL;
	struct podfab_stat *st = NULL;
	if (atomic_load_explicit((_Atomic uint64_t *)&sh->magic, memory_order_acquire) != PF_TM_MAGIC) {
		rc = pf_err(PODFAB_EMISMATCH, "%s is not a timing region, or its job is still creating it", name);
		goto fail;
	}
	if (sh->version != PF_TM_VERSION) {
		rc = pf_err(PODFAB_EVERSION, "%s has version %" PRIu32 ", this library reads %u", name, sh->version,
			    PF_TM_VERSION);
		goto fail;
	}
	if (!region_sane(sh, size)) {
		rc = pf_err(PODFAB_EMISMATCH, "%s is damaged: its size or offsets do not match its %zu bytes", name,
			    size);
		goto fail;
	}
	if ((rc = podfab_topo_load(sh->model, &topo)) < 0)
		goto fail;
	if (podfab_topo_nlinks(topo) != sh->nlinks || podfab_topo_naccels(topo) != sh->naccels ||
	    pf_tm_model_hash(topo) != sh->model_hash) {
		rc = pf_err(PODFAB_EMISMATCH, "model '%.200s' loads differently from the one job %s runs", sh->model,
			    job);
		goto fail;
	}
	if (!(st = calloc(1, sizeof *st))) {
		rc = pf_err(PODFAB_ENOMEM, "podfab_stat handle");
		goto fail;
	}
	st->magic = PF_STAT_MAGIC;
	st->sh = sh;
	st->size = size;
	st->topo = topo;
	*out = st;
	return 0;
fail:
	if (topo)
		podfab_topo_free(topo);
	munmap(p, size);
	return rc;
}

PODFAB_EXPORT int podfab_stat_json(podfab_stat_t st, FILE *f)
{
	int rc = stat_ok(st);
	return rc ? rc : pf_tm_write_json(f, st->sh, st->topo);
}

PODFAB_EXPORT int podfab_stat_report(podfab_stat_t st, FILE *f, int top)
{
	int rc = stat_ok(st);
	return rc ? rc : pf_tm_write_report(f, st->sh, st->topo, top);
}

PODFAB_EXPORT podfab_topo_t podfab_stat_model(podfab_stat_t st)
{
	return stat_ok(st) ? NULL : st->topo;
}

PODFAB_EXPORT double podfab_stat_time_ns(podfab_stat_t st)
{
	return stat_ok(st) ? 0.0 : model_time(st->sh);
}

PODFAB_EXPORT void podfab_stat_close(podfab_stat_t st)
{
	if (!st || st->magic != PF_STAT_MAGIC)
		return;
	st->magic = 0;
	podfab_topo_free(st->topo);
	munmap((void *)st->sh, st->size);
	free(st);
}
