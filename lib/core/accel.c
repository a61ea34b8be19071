/* accel.c - attaching an accelerator to its pod, and leaving it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <podfab/topo.h>

#include "podfab_config.h"
#include "pf_internal.h"
#include "pf_model.h"

/*
 * Handles live in a static table so that a finalized handle stays readable and
 * its misuse is reported (-PODFAB_EFINALIZED) instead of touching freed memory.
 * Slots are reused round-robin only after every other slot has been used.
 */
static struct podfab_accel slots[PF_MAX_LOCAL_ACCELS];
static unsigned next_slot;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

int pf_accel_check_slow(podfab_t pf)
{
	if (!pf)
		return pf_err(PODFAB_ENULL, "accelerator handle is NULL");
	if (pf < slots || pf >= slots + PF_MAX_LOCAL_ACCELS)
		return pf_err(PODFAB_EBADHANDLE, "%p is not a podfab accelerator handle", (void *)pf);
	if (pf->state == PF_SLOT_DEAD)
		return pf_err(PODFAB_EFINALIZED, "accelerator handle used after podfab_finalize");
	return pf_err(PODFAB_EBADHANDLE, "accelerator handle %p is not initialised", (void *)pf);
}

static podfab_t slot_take(void)
{
	podfab_t pf = NULL;
	pthread_mutex_lock(&slots_lock);
	for (unsigned i = 0; i < PF_MAX_LOCAL_ACCELS; i++) {
		unsigned k = (next_slot + i) % PF_MAX_LOCAL_ACCELS;
		if (slots[k].state != PF_SLOT_LIVE && slots[k].state != 1u) {
			pf = &slots[k];
			memset(pf, 0, sizeof *pf);
			pf->state = 1u; /* reserved while initialising */
			next_slot = k + 1;
			break;
		}
	}
	pthread_mutex_unlock(&slots_lock);
	return pf;
}

static void slot_release(podfab_t pf, uint32_t state)
{
	pthread_mutex_lock(&slots_lock);
	pf->state = state;
	pthread_mutex_unlock(&slots_lock);
}

/* The resolved configuration of one init call. */
struct pf_config {
	int id, n, timing;
	char job[PF_JOB_MAX + 1];
	const char *transport;
	const char *model;
	uint32_t max_requests, timeout_ms;
	double dilation;
	uint64_t seed;
	int seed_set;
};

static const uint64_t known_fields =
	PODFAB_PARAM_ACCEL_ID | PODFAB_PARAM_NACCELS | PODFAB_PARAM_JOB | PODFAB_PARAM_TRANSPORT |
	PODFAB_PARAM_MODEL | PODFAB_PARAM_TIMING | PODFAB_PARAM_MAX_REQUESTS |
	PODFAB_PARAM_TIMEOUT_MS | PODFAB_PARAM_DILATION | PODFAB_PARAM_SEED;

static int need_env(const char *name, int present)
{
	if (present)
		return 0;
	return pf_err(PODFAB_EENV,
		      "%s is not set: start the program with podfab-run, or pass it in podfab_params_t",
		      name);
}

static int resolve_config(const podfab_params_t *p, const struct pf_boot_ops *boot, struct pf_config *c)
{
	uint64_t mask = p ? p->field_mask : 0;
	long v = 0;
	int present = 0, rc;

	if (mask & ~known_fields)
		return pf_err(PODFAB_EINVAL, "field_mask has bits 0x%llx this library does not know",
			      (unsigned long long)(mask & ~known_fields));

	/*
	 * A launcher with its own bootstrap (PMIx) names the id, size and job
	 * where neither the parameters nor podfab-run's variables do.
	 */
	int lid = -1, ln = 0;
	char ljob[PF_JOB_MAX + 1] = "";
	if (boot->identify &&
	    ((!(mask & PODFAB_PARAM_NACCELS) && !getenv("PODFAB_NACCELS")) ||
	     (!(mask & PODFAB_PARAM_ACCEL_ID) && !getenv("PODFAB_ACCEL_ID")) ||
	     (!(mask & PODFAB_PARAM_JOB) && !getenv("PODFAB_JOB")))) {
		if ((rc = boot->identify(&lid, &ln, ljob, sizeof ljob)) < 0)
			return rc;
		if (ln < 1 || ln > PF_MAX_ACCELS || lid < 0 || lid >= ln || !pf_job_valid(ljob))
			return pf_err(PODFAB_EENV, "the %s bootstrap gave accelerator %d of %d in job '%.64s'",
				      boot->name, lid, ln, ljob);
	}

	if (mask & PODFAB_PARAM_NACCELS) {
		if (p->naccels < 1 || p->naccels > PF_MAX_ACCELS)
			return pf_err(PODFAB_EINVAL, "params.naccels=%d is outside [1, %d]", p->naccels,
				      PF_MAX_ACCELS);
		c->n = p->naccels;
	} else if (ln && !getenv("PODFAB_NACCELS")) {
		c->n = ln;
	} else {
		if ((rc = pf_env_int("PODFAB_NACCELS", 1, PF_MAX_ACCELS, &v, &present)) ||
		    (rc = need_env("PODFAB_NACCELS", present)))
			return rc;
		c->n = (int)v;
	}
	if (mask & PODFAB_PARAM_ACCEL_ID) {
		if (p->accel_id < 0 || p->accel_id >= c->n)
			return pf_err(PODFAB_EINVAL, "params.accel_id=%d is outside [0, %d)", p->accel_id, c->n);
		c->id = p->accel_id;
	} else if (ln && !getenv("PODFAB_ACCEL_ID")) {
		if (lid >= c->n)
			return pf_err(PODFAB_EENV, "the %s bootstrap's accelerator %d is not below %d", boot->name, lid,
				      c->n);
		c->id = lid;
	} else {
		if ((rc = pf_env_int("PODFAB_ACCEL_ID", 0, PF_MAX_ACCELS - 1, &v, &present)) ||
		    (rc = need_env("PODFAB_ACCEL_ID", present)))
			return rc;
		if (v >= c->n)
			return pf_err(PODFAB_EENV, "PODFAB_ACCEL_ID=%ld is not below PODFAB_NACCELS=%d", v, c->n);
		c->id = (int)v;
	}
	const char *job;
	if (mask & PODFAB_PARAM_JOB) {
		if (!p->job)
			return pf_err(PODFAB_ENULL, "params.job is NULL");
		if (!pf_job_valid(p->job))
			return pf_err(PODFAB_EINVAL, "params.job '%.64s' must be 1-%d characters of [A-Za-z0-9_-]",
				      p->job, PF_JOB_MAX);
		job = p->job;
	} else if (ln && !getenv("PODFAB_JOB")) {
		job = ljob;
	} else {
		job = getenv("PODFAB_JOB");
		if ((rc = need_env("PODFAB_JOB", job != NULL)))
			return rc;
		if (!pf_job_valid(job))
			return pf_err(PODFAB_EENV, "PODFAB_JOB='%.64s' must be 1-%d characters of [A-Za-z0-9_-]",
				      job, PF_JOB_MAX);
	}
	strcpy(c->job, job);

	c->transport = (mask & PODFAB_PARAM_TRANSPORT) ? p->transport : getenv("PODFAB_TRANSPORT");
	if ((mask & PODFAB_PARAM_TRANSPORT) && !p->transport)
		return pf_err(PODFAB_ENULL, "params.transport is NULL");
	if (c->transport && !*c->transport)
		c->transport = NULL;

	c->model = (mask & PODFAB_PARAM_MODEL) ? p->model : getenv("PODFAB_MODEL");
	if ((mask & PODFAB_PARAM_MODEL) && !p->model)
		return pf_err(PODFAB_ENULL, "params.model is NULL");

	if (mask & PODFAB_PARAM_TIMING) {
		if ((int)p->timing < 0 || (int)p->timing > PODFAB_TIMING_VIRTUAL)
			return pf_err(PODFAB_EINVAL, "params.timing=%d is not a timing mode", (int)p->timing);
		c->timing = (int)p->timing;
	} else {
		const char *t = getenv("PODFAB_TIMING");
		c->timing = PODFAB_TIMING_FUNCTIONAL;
		if (t && *t && pf_timing_parse(t, &c->timing) < 0)
			return pf_err(PODFAB_EENV, "PODFAB_TIMING='%.32s' is not functional, realtime or virtual", t);
	}
	double dil = 1.0;
	if (mask & PODFAB_PARAM_DILATION) {
		if (!(p->dilation >= 1e-3 && p->dilation <= 1e9))
			return pf_err(PODFAB_EINVAL, "params.dilation=%g is outside [0.001, 1e9]", p->dilation);
		dil = p->dilation;
	} else if ((rc = pf_env_double("PODFAB_DILATION", 1e-3, 1e9, &dil, &present))) {
		return rc;
	}
	c->dilation = dil;
	if (mask & PODFAB_PARAM_SEED) {
		c->seed = p->seed;
		c->seed_set = 1;
	} else if ((rc = pf_env_u64("PODFAB_SEED", &c->seed, &c->seed_set))) {
		return rc;
	}

	if (mask & PODFAB_PARAM_MAX_REQUESTS) {
		if (p->max_requests < 1 || p->max_requests > (1u << 24))
			return pf_err(PODFAB_EINVAL, "params.max_requests=%u is outside [1, 16777216]", p->max_requests);
		c->max_requests = p->max_requests;
	} else {
		if ((rc = pf_env_int("PODFAB_MAX_REQUESTS", 1, 1 << 24, &v, &present)))
			return rc;
		c->max_requests = present ? (uint32_t)v : PF_DEFAULT_MAX_REQUESTS;
	}
	if (mask & PODFAB_PARAM_TIMEOUT_MS) {
		if (p->timeout_ms < 1)
			return pf_err(PODFAB_EINVAL, "params.timeout_ms must be at least 1");
		c->timeout_ms = p->timeout_ms;
	} else {
		if ((rc = pf_env_int("PODFAB_TIMEOUT_MS", 1, 86400000, &v, &present)))
			return rc;
		c->timeout_ms = present ? (uint32_t)v : PODFAB_DEFAULT_TIMEOUT_MS;
	}
	return 0;
}

/* While the bootstrap waits for peers, the transport keeps moving (see pf_boot_ops.set_idle). */
static void boot_idle(void *arg)
{
	podfab_t pf = arg;
	if (!pf->tp) /* closed: finalize's last bootstrap messages */
		return;
	if (pf_progress(pf) < 0)
		pf_detail_clear(); /* reported by the operation that fails, not here */
}

/* A transport's table is usable only when it has our ABI and every slot filled. */
static int check_ops(const struct pf_tp_ops *o)
{
	return o->abi == PF_TP_ABI && o->open && o->addr && o->connect && o->close && o->mem_alloc &&
	       o->mem_reg && o->mem_key && o->mem_published && o->mem_free && o->rkey_import &&
	       o->rkey_release && o->rkey_ptr && o->rkey_caps && o->put && o->get && o->atomic &&
	       o->put_signal && o->fence && o->quiet && o->progress;
}

static void teardown(podfab_t pf)
{
	while (pf->segs)
		pf_seg_destroy(pf, pf->segs);
	pf->sys = NULL;
	pf_seg_records_free(pf);
	if (pf->tp)
		pf->tp_ops->close(pf->tp);
	pf->tp = NULL;
	if (pf->boot)
		pf->boot_ops->close(pf->boot);
	pf->boot = NULL;
	free(pf->reqs);
	pf->reqs = NULL;
	free(pf->model);
	pf->model = NULL;
	pf_pace_fini(pf);
	pf_tm_detach(pf, 0);
	podfab_topo_free(pf->topo);
	pf->topo = NULL;
}

PODFAB_EXPORT int podfab_init_version(uint32_t api_version, const podfab_params_t *params,
				      podfab_t *out)
{
	pf_detail_clear();
	if (PODFAB_VERSION_GET_MAJOR(api_version) != PODFAB_VERSION_MAJOR ||
	    PODFAB_VERSION_GET_MINOR(api_version) > PODFAB_VERSION_MINOR)
		return pf_err(PODFAB_EVERSION, "program built for API %u.%u, library provides %u.%u",
			      PODFAB_VERSION_GET_MAJOR(api_version), PODFAB_VERSION_GET_MINOR(api_version),
			      PODFAB_VERSION_MAJOR, PODFAB_VERSION_MINOR);
	if (!out)
		return pf_err(PODFAB_ENULL, "the output handle pointer is NULL");

	const struct pf_boot_ops *boot = pf_boot_select();
	if (!boot)
		return -PODFAB_EENV;
	struct pf_config c;
	memset(&c, 0, sizeof c);
	int rc = resolve_config(params, boot, &c);
	if (rc)
		return rc;
	const struct pf_tp_ops *ops = c.transport ? pf_transport_find(c.transport) : pf_transport_default();
	if (!ops)
		return pf_err(PODFAB_ETRANSPORT, "transport '%.32s' is not built into this library",
			      c.transport);
	if (!check_ops(ops))
		return pf_err(PODFAB_ETRANSPORT, "transport '%s' has an incomplete ops table", ops->name);

	podfab_t pf = slot_take();
	if (!pf)
		return pf_err(PODFAB_ETOOMANY, "more than %d live accelerator handles in one process",
			      PF_MAX_LOCAL_ACCELS);
	pf->id = c.id;
	pf->n = c.n;
	pf->timing = c.timing;
	pf->timeout_ms = c.timeout_ms;
	pf->tp_ops = ops;
	pf->boot_ops = boot;
	strcpy(pf->job, c.job);
	pf->max_requests = c.max_requests;
	pf->dilation = c.dilation;
	pf->init_ns = pf_mono_ns();
	char gen[64];
	if (c.timing != PODFAB_TIMING_FUNCTIONAL && !(c.model && *c.model)) {
		/* Timed modes need a fabric: take a one-level UALink pod of this size. */
		snprintf(gen, sizeof gen, "ualink-pod:accels=%d", c.n);
		c.model = gen;
		pf_log(PF_LOG_INFO, "no fabric model given: timing over %s", gen);
	}
	if (c.model && *c.model) {
		if (!(pf->model = strdup(c.model))) {
			rc = pf_err(PODFAB_ENOMEM, "model name");
			goto fail;
		}
		/* Every accelerator loads the same model and computes the same routes. */
		if ((rc = podfab_topo_load(c.model, &pf->topo)))
			goto fail;
		if (podfab_topo_naccels(pf->topo) < (uint32_t)c.n) {
			rc = pf_err(PODFAB_EMODEL, "model '%.200s' has %u accelerators, the pod %d", c.model,
				    podfab_topo_naccels(pf->topo), c.n);
			goto fail;
		}
	}
	pf->reqs = calloc(c.max_requests, sizeof *pf->reqs);
	if (!pf->reqs) {
		rc = pf_err(PODFAB_ENOMEM, "%u request records", c.max_requests);
		goto fail;
	}
	for (uint32_t i = 0; i < c.max_requests; i++) {
		pf->reqs[i].pf = pf;
		pf->reqs[i].next_free = i + 1 < c.max_requests ? &pf->reqs[i + 1] : NULL;
	}
	pf->free_reqs = &pf->reqs[0];

	rc = pf->boot_ops->open(pf->job, pf->id, pf->n, pf->timeout_ms, &pf->boot);
	if (rc)
		goto fail;
	struct pf_tp_info info = {.job = pf->job, .accel_id = pf->id, .naccels = pf->n, .boot = pf->boot,
				  .check_peers = pf->boot_ops->check_peers};
	rc = ops->open(&info, &pf->tp);
	/* Share endpoint addresses; a failure anywhere fails everyone. */
	uint8_t blob[1 + PF_ADDR_MAX];
	size_t alen = PF_ADDR_MAX;
	memset(blob, 0, sizeof blob);
	if (rc == 0 && (rc = ops->addr(pf->tp, blob + 1, &alen)) == 0 && alen > PF_ADDR_MAX)
		rc = pf_err(PODFAB_ETRANSPORT, "transport address too long");
	blob[0] = rc ? 1 : 0;
	uint8_t *all = malloc((size_t)pf->n * sizeof blob);
	if (!all) {
		rc = rc ? rc : pf_err(PODFAB_ENOMEM, "address table");
		goto fail;
	}
	int brc = pf->boot_ops->allgather(pf->boot, blob, sizeof blob, all);
	if (brc && !rc)
		rc = brc;
	for (int i = 0; !rc && i < pf->n; i++)
		if (all[(size_t)i * sizeof blob])
			rc = pf_err(PODFAB_ETRANSPORT, "accelerator %d could not open transport %s", i, ops->name);
	if (!rc)
		rc = ops->connect(pf->tp, all + 1, sizeof blob);
	free(all);
	if (rc)
		goto fail;
	if ((ops->flags & PF_TP_NEEDS_PROGRESS) && pf->boot_ops->set_idle)
		pf->boot_ops->set_idle(pf->boot, boot_idle, pf);

	if (pf->timing != PODFAB_TIMING_FUNCTIONAL) {
		pf->seed = c.seed_set ? c.seed : pf->topo->seed;
		if ((rc = pf_tm_attach(pf)) || (rc = pf_tm_agree(pf, pf_pace_init(pf))))
			goto fail;
	}

	rc = pf_seg_alloc_internal(pf, sizeof(struct pf_sysseg), PF_SEG_SYS, &pf->sys);
	if (rc)
		goto fail;
	pf->barrier_rounds = 0;
	while ((1 << pf->barrier_rounds) < pf->n)
		pf->barrier_rounds++;

	slot_release(pf, PF_SLOT_LIVE);
	pf_log(PF_LOG_INFO, "accelerator %d of %d attached to job %s over %s", pf->id, pf->n, pf->job,
	       ops->name);
	*out = pf;
	return 0;
fail:
	teardown(pf);
	slot_release(pf, PF_SLOT_FREE);
	return rc;
}

PODFAB_EXPORT int podfab_finalize(podfab_t pf)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	int qrc = pf_quiet_internal(pf);
	pf_tm_publish(pf);
	/* Nobody may still reach into our memory when we unmap it. */
	int brc = pf->boot_ops->barrier(pf->boot);
	int trc = pf_tm_detach(pf, brc == 0);
	teardown(pf);
	slot_release(pf, PF_SLOT_DEAD);
	return qrc ? qrc : brc ? brc : trc;
}

PODFAB_EXPORT int podfab_accel_id(podfab_t pf)
{
	int rc = pf_accel_check(pf);
	return rc ? rc : pf->id;
}

PODFAB_EXPORT int podfab_naccels(podfab_t pf)
{
	int rc = pf_accel_check(pf);
	return rc ? rc : pf->n;
}

PODFAB_EXPORT int podfab_timing_mode(podfab_t pf)
{
	int rc = pf_accel_check(pf);
	return rc ? rc : pf->timing;
}

PODFAB_EXPORT struct podfab_topo *podfab_model(podfab_t pf)
{
	return pf_accel_check(pf) ? NULL : pf->topo;
}

PODFAB_EXPORT const char *podfab_transport_name(podfab_t pf)
{
	return pf_accel_check(pf) ? NULL : pf->tp_ops->name;
}

PODFAB_EXPORT const char *podfab_peer_transport(podfab_t pf, int peer)
{
	if (pf_accel_check(pf) || peer < 0 || peer >= pf->n)
		return NULL;
	const char *s = pf->tp_ops->peer_name ? pf->tp_ops->peer_name(pf->tp, peer) : NULL;
	return s ? s : pf->tp_ops->name;
}
