/* segment.c - symmetric segments (collective), exported and imported memory. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pf_internal.h"

int pf_seg_check_slow(podfab_t pf, podfab_seg_t seg)
{
	if (!seg)
		return pf_err(PODFAB_ENULL, "segment handle is NULL");
	if (seg->magic != PF_SEG_MAGIC)
		return pf_err(PODFAB_EBADHANDLE, "not a live segment handle (freed already?)");
	return pf_err(PODFAB_EBADHANDLE, "the segment belongs to accelerator %d's handle, not to accelerator %d's",
		      seg->pf ? seg->pf->id : -1, pf->id);
}

static void seg_link(podfab_t pf, podfab_seg_t s)
{
	s->next = pf->segs;
	s->prev = NULL;
	if (pf->segs)
		pf->segs->prev = s;
	pf->segs = s;
}

static void seg_unlink(podfab_t pf, podfab_seg_t s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		pf->segs = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

/*
 * Segment records come from per-accelerator chunks that live until finalize, and
 * a freed record waits in a FIFO behind PF_SEG_REUSE_DELAY others before it is
 * used again: a stale handle then reads a dead record (-PODFAB_EBADHANDLE)
 * instead of freed memory.
 */
#define PF_SEG_CHUNK 64u
#define PF_SEG_REUSE_DELAY 64u

static podfab_seg_t seg_record(podfab_t pf)
{
	if (pf->seg_nfree > PF_SEG_REUSE_DELAY) {
		podfab_seg_t s = pf->seg_free_head;
		pf->seg_free_head = s->next;
		if (!pf->seg_free_head)
			pf->seg_free_tail = NULL;
		pf->seg_nfree--;
		memset(s, 0, sizeof *s);
		return s;
	}
	if (pf->seg_next % PF_SEG_CHUNK == 0) {
		uint32_t k = pf->seg_next / PF_SEG_CHUNK;
		struct podfab_seg **c = realloc(pf->seg_chunks, (k + 1) * sizeof *c);
		if (!c)
			return NULL;
		pf->seg_chunks = c;
		if (!(c[k] = calloc(PF_SEG_CHUNK, sizeof **c)))
			return NULL;
	}
	podfab_seg_t s = &pf->seg_chunks[pf->seg_next / PF_SEG_CHUNK][pf->seg_next % PF_SEG_CHUNK];
	pf->seg_next++;
	return s;
}

static void seg_record_free(podfab_t pf, podfab_seg_t s)
{
	s->magic = 0;
	s->next = NULL;
	if (pf->seg_free_tail)
		pf->seg_free_tail->next = s;
	else
		pf->seg_free_head = s;
	pf->seg_free_tail = s;
	pf->seg_nfree++;
}

/* At finalize, once every segment is destroyed. */
void pf_seg_records_free(podfab_t pf)
{
	for (uint32_t k = 0; k * PF_SEG_CHUNK < pf->seg_next; k++)
		free(pf->seg_chunks[k]);
	free(pf->seg_chunks);
	pf->seg_chunks = NULL;
	pf->seg_next = pf->seg_nfree = 0;
	pf->seg_free_head = pf->seg_free_tail = NULL;
}

static podfab_seg_t seg_new(podfab_t pf, int kind, size_t nremote)
{
	podfab_seg_t s = seg_record(pf);
	if (!s)
		return NULL;
	s->rmr = calloc(nremote, sizeof *s->rmr);
	s->direct = calloc(nremote, sizeof *s->direct);
	if (!s->rmr || !s->direct) {
		free(s->rmr);
		free(s->direct);
		seg_record_free(pf, s);
		return NULL;
	}
	s->kind = (uint32_t)kind;
	s->pf = pf;
	s->owner = pf->id;
	return s;
}

/* Release everything a segment holds (local, not collective). */
static void seg_release(podfab_t pf, podfab_seg_t s)
{
	size_t nr = (s->kind == PF_SEG_SYM || s->kind == PF_SEG_SYS) ? (size_t)pf->n : 1;
	for (size_t i = 0; i < nr; i++)
		if (s->rmr[i])
			pf->tp_ops->rkey_release(pf->tp, s->rmr[i]);
	if (s->kind == PF_SEG_EXPORT && s->magic == PF_SEG_MAGIC && pf->sys) {
		struct pf_sysseg *sys = pf->sys->local;
		atomic_store_explicit(&sys->exports[s->id].w[PF_EX_GEN], 0, memory_order_release);
		pf->export_used[s->id] = 0;
	}
	if (s->mr)
		pf->tp_ops->mem_free(pf->tp, s->mr);
	free(s->rmr);
	free(s->direct);
	s->rmr = NULL;
	s->direct = NULL;
	seg_record_free(pf, s);
}

void pf_seg_destroy(podfab_t pf, podfab_seg_t s)
{
	seg_unlink(pf, s);
	seg_release(pf, s);
}

/* What each accelerator contributes to a collective allocation. */
struct alloc_blob {
	int32_t status;
	uint32_t segid;
	uint64_t size;
	uint8_t key[PF_KEY_MAX];
};
_Static_assert(sizeof(struct alloc_blob) <= PF_BOOT_BLOB, "alloc blob too large");

int pf_seg_alloc_internal(podfab_t pf, size_t size, int kind, podfab_seg_t *out)
{
	const struct pf_tp_ops *o = pf->tp_ops;
	struct alloc_blob mine;
	memset(&mine, 0, sizeof mine);
	mine.segid = pf->next_segid++;
	mine.size = size;
	podfab_seg_t s = seg_new(pf, kind, (size_t)pf->n);
	struct alloc_blob *all = malloc((size_t)pf->n * sizeof *all);
	int rc = (s && all) ? 0 : pf_err(PODFAB_ENOMEM, "segment records");
	if (!rc)
		rc = o->mem_alloc(pf->tp, size, mine.segid, &s->local, &s->mr);
	if (!rc)
		rc = o->mem_key(pf->tp, s->mr, mine.key);
	mine.status = rc;

	/* Round 1: keys and sizes.  Everyone takes part even after a local failure. */
	/* Even without a table to receive into, our status reaches the peers. */
	int brc = pf->boot_ops->allgather(pf->boot, &mine, sizeof mine, all);
	if (!rc && brc)
		rc = brc;
	for (int i = 0; !rc && i < pf->n; i++) {
		if (all[i].status)
			rc = pf_err(-all[i].status, "accelerator %d could not allocate its %llu-byte segment: %s", i,
				    (unsigned long long)all[i].size, podfab_strerror(all[i].status));
		else if (all[i].size != size || all[i].segid != mine.segid)
			rc = pf_err(PODFAB_EMISMATCH,
				    "segment allocation #%u: accelerator %d asked for %llu bytes (allocation #%u), accelerator %d for %zu",
				    mine.segid, i, (unsigned long long)all[i].size, all[i].segid, pf->id, size);
	}
	/* Every peer maps every other's segment (and its own, through the same path). */
	for (int i = 0; !rc && i < pf->n; i++) {
		rc = o->rkey_import(pf->tp, i, all[i].key, sizeof all[i].key, &s->rmr[i]);
		if (!rc)
			s->direct[i] = o->rkey_ptr(pf->tp, s->rmr[i]);
	}
	/* Round 2: did everyone import?  Then the names can go. */
	int32_t st = rc, *sts = malloc((size_t)pf->n * sizeof *sts);
	if (!sts) {
		rc = rc ? rc : pf_err(PODFAB_ENOMEM, "status table");
		st = rc;
		brc = pf->boot_ops->allgather(pf->boot, &st, sizeof st, NULL);
	} else {
		brc = pf->boot_ops->allgather(pf->boot, &st, sizeof st, sts);
		for (int i = 0; !rc && !brc && i < pf->n; i++)
			if (sts[i])
				rc = pf_err(-sts[i], "accelerator %d could not map the new segment: %s", i,
					    podfab_strerror(sts[i]));
		free(sts);
	}
	if (!rc && brc)
		rc = brc;
	free(all);
	if (s && s->mr)
		o->mem_published(pf->tp, s->mr);
	if (rc) {
		if (s)
			seg_release(pf, s);
		return rc;
	}
	s->size = size;
	s->id = mine.segid;
	s->magic = PF_SEG_MAGIC;
	seg_link(pf, s);
	*out = s;
	return 0;
}

PODFAB_EXPORT int podfab_seg_alloc(podfab_t pf, size_t size, podfab_seg_t *out)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	if (!out)
		return pf_err(PODFAB_ENULL, "the output segment pointer is NULL");
	if (size == 0)
		return pf_err(PODFAB_EZEROLEN, "a segment of 0 bytes");
	if (size > ((size_t)1 << 46))
		return pf_err(PODFAB_ENOMEM, "a segment of %zu bytes is larger than 64 TiB", size);
	return pf_seg_alloc_internal(pf, size, PF_SEG_SYM, out);
}

PODFAB_EXPORT int podfab_seg_free(podfab_t pf, podfab_seg_t seg)
{
	int rc = pf_accel_check(pf);
	if (rc || (rc = pf_seg_check(pf, seg)))
		return rc;
	if (seg->kind == PF_SEG_SYS)
		return pf_err(PODFAB_EINVAL, "the system segment is freed by podfab_finalize");
	if (seg->outstanding)
		return pf_err(PODFAB_EBUSY, "%llu requests on this segment have not been completed with podfab_test or podfab_wait",
			      (unsigned long long)seg->outstanding);
	if (seg->kind == PF_SEG_SYM) {
		/* Collective: nobody may reach into it once it is gone. */
		if ((rc = pf_quiet_internal(pf)) || (rc = pf->boot_ops->barrier(pf->boot)))
			return rc;
	} else if ((pf->pending || pf->nheap) && (rc = pf_quiet_internal(pf))) {
		/* Operations without a request (or deferred by realtime pacing) may still use it. */
		return rc;
	}
	pf_seg_destroy(pf, seg);
	return 0;
}

PODFAB_EXPORT void *podfab_seg_addr(podfab_t pf, podfab_seg_t seg)
{
	if (pf_accel_check(pf) || pf_seg_check(pf, seg))
		return NULL;
	if (seg->kind == PF_SEG_IMPORT) {
		pf_err(PODFAB_EINVAL, "an imported segment has no local address");
		return NULL;
	}
	return seg->local;
}

PODFAB_EXPORT size_t podfab_seg_size(podfab_t pf, podfab_seg_t seg)
{
	if (pf_accel_check(pf) || pf_seg_check(pf, seg))
		return 0;
	return seg->size;
}

PODFAB_EXPORT int podfab_seg_owner(podfab_t pf, podfab_seg_t seg)
{
	int rc = pf_accel_check(pf);
	if (rc || (rc = pf_seg_check(pf, seg)))
		return rc;
	return seg->owner;
}

/* key: owner (16 bits) | export slot (16 bits) | generation (32 bits, even, non-zero) */
#define KEY_OWNER(k) ((int)((k) >> 48))
#define KEY_SLOT(k) ((unsigned)(((k) >> 32) & 0xffffu))
#define KEY_GEN(k) ((uint32_t)(k))

PODFAB_EXPORT int podfab_mem_export(podfab_t pf, void *addr, size_t size, podfab_seg_t *out,
				    podfab_key_t *key)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	if (!addr || !out || !key)
		return pf_err(PODFAB_ENULL, "%s is NULL", !addr ? "addr" : !out ? "the output segment pointer" : "the output key pointer");
	if (size == 0)
		return pf_err(PODFAB_EZEROLEN, "exporting 0 bytes");
	if (pf->id > 0xffff)
		return pf_err(PODFAB_ETOOMANY, "accelerators above 65535 cannot export memory");
	unsigned slot;
	for (slot = 0; slot < PF_MAX_EXPORTS && pf->export_used[slot]; slot++)
		;
	if (slot == PF_MAX_EXPORTS)
		return pf_err(PODFAB_ETOOMANY, "more than %d exported regions", PF_MAX_EXPORTS);
	podfab_seg_t s = seg_new(pf, PF_SEG_EXPORT, 1);
	if (!s)
		return pf_err(PODFAB_ENOMEM, "segment record");
	struct pf_sysseg *sys = pf->sys->local;
	struct pf_export_entry *e = &sys->exports[slot];
	uint8_t kb[PF_KEY_MAX];
	rc = pf->tp_ops->mem_reg(pf->tp, addr, size, &s->mr);
	if (!rc)
		rc = pf->tp_ops->mem_key(pf->tp, s->mr, kb);
	if (!rc)
		rc = pf->tp_ops->rkey_import(pf->tp, pf->id, kb, sizeof kb, &s->rmr[0]);
	if (rc) {
		seg_release(pf, s);
		return rc;
	}
	pf->export_gen += 2;
	if (pf->export_gen == 0)
		pf->export_gen = 2;
	uint32_t gen = pf->export_gen;
	/* Publish like a seqlock: odd while the entry is written. */
	uint64_t kw[PF_KEY_MAX / 8];
	memcpy(kw, kb, sizeof kw);
	atomic_store_explicit(&e->w[PF_EX_GEN], (uint64_t)gen - 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&e->w[PF_EX_SIZE], size, memory_order_relaxed);
	atomic_store_explicit(&e->w[PF_EX_ALIGN], (uintptr_t)addr & 7u, memory_order_relaxed);
	for (unsigned i = 0; i < PF_KEY_MAX / 8; i++)
		atomic_store_explicit(&e->w[PF_EX_KEY + i], kw[i], memory_order_relaxed);
	atomic_store_explicit(&e->w[PF_EX_GEN], gen, memory_order_release);
	pf->export_used[slot] = 1;
	s->local = addr;
	s->size = size;
	s->id = slot;
	s->align = (unsigned)((uintptr_t)addr & 7u);
	s->caps = pf->tp_ops->rkey_caps(pf->tp, s->rmr[0]);
	s->direct[0] = pf->tp_ops->rkey_ptr(pf->tp, s->rmr[0]);
	s->magic = PF_SEG_MAGIC;
	seg_link(pf, s);
	*out = s;
	*key = ((uint64_t)(unsigned)pf->id << 48) | ((uint64_t)slot << 32) | gen;
	return 0;
}

/* An atomic 64-bit read of the owner's system segment (slow path). */
static int remote_fetch64(podfab_t pf, int owner, size_t off, uint64_t *v)
{
	struct pf_tp_ctx ctx = {0, 0};
	int rc = pf->tp_ops->atomic(pf->tp, owner, pf->sys->rmr[owner], off, PODFAB_AOP_FETCH,
				    PODFAB_UINT64, 0, 0, v, &ctx);
	if (rc == PF_TP_POSTED) {
		pf->pending++; /* its completion entry is counted off by pf_progress */
		rc = pf_progress_until(pf, &ctx);
	}
	return rc < 0 ? rc : 0;
}

PODFAB_EXPORT int podfab_mem_import(podfab_t pf, podfab_key_t key, podfab_seg_t *out)
{
	int rc = pf_accel_check(pf);
	if (rc)
		return rc;
	if (!out)
		return pf_err(PODFAB_ENULL, "the output segment pointer is NULL");
	int owner = KEY_OWNER(key);
	unsigned slot = KEY_SLOT(key);
	uint32_t gen = KEY_GEN(key);
	if (owner >= pf->n || slot >= PF_MAX_EXPORTS || gen == 0 || (gen & 1))
		return pf_err(PODFAB_EKEY, "key 0x%016llx is not an export key of this pod",
			      (unsigned long long)key);
	/* Read the owner's export entry through the transport, seqlock style. */
	uint64_t w[PF_EX_WORDS], g2 = 0;
	size_t eoff = offsetof(struct pf_sysseg, exports) + slot * sizeof(struct pf_export_entry);
	for (int tries = 0;; tries++) {
		for (int i = 0; i < PF_EX_WORDS && rc == 0; i++)
			rc = remote_fetch64(pf, owner, eoff + (size_t)i * 8, &w[i]);
		if (rc == 0)
			rc = remote_fetch64(pf, owner, eoff, &g2);
		if (rc < 0)
			return rc;
		if (w[PF_EX_GEN] == g2 && !(g2 & 1))
			break;
		if (tries > 1000)
			return pf_err(PODFAB_EKEY, "export entry of key 0x%016llx keeps changing", (unsigned long long)key);
	}
	if (g2 != gen)
		return pf_err(PODFAB_EKEY, "key 0x%016llx was revoked or never issued by accelerator %d",
			      (unsigned long long)key, owner);
	uint8_t kb[PF_KEY_MAX];
	memcpy(kb, &w[PF_EX_KEY], sizeof kb);
	podfab_seg_t s = seg_new(pf, PF_SEG_IMPORT, 1);
	if (!s)
		return pf_err(PODFAB_ENOMEM, "segment record");
	rc = pf->tp_ops->rkey_import(pf->tp, owner, kb, sizeof kb, &s->rmr[0]);
	if (rc) {
		seg_release(pf, s);
		return rc;
	}
	s->owner = owner;
	s->size = (size_t)w[PF_EX_SIZE];
	s->align = (unsigned)w[PF_EX_ALIGN];
	s->id = slot;
	s->caps = pf->tp_ops->rkey_caps(pf->tp, s->rmr[0]);
	s->direct[0] = pf->tp_ops->rkey_ptr(pf->tp, s->rmr[0]);
	s->magic = PF_SEG_MAGIC;
	seg_link(pf, s);
	*out = s;
	return 0;
}
