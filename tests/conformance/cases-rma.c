/* cases-rma.c - exported memory, put/get, all-to-all, ring, non-blocking operations. */
#include <stdlib.h>

#include "conform.h"

static uint64_t tag3(uint64_t a, uint64_t b, uint64_t c)
{
	return pfc_mix(a * 1000003ull + b * 1009ull + c);
}

/* ---------------------------------------------------------------------- */
/* export                                                                  */
/* ---------------------------------------------------------------------- */

/* Layout of the exported buffer A (64 KiB). */
#define EXA_SIZE (64 * 1024)
#define EXA_ATOM(w) (1024 + (size_t)(w) * 8)      /* writer w's atomic word */
#define EXA_SIG(w) (2048 + (size_t)(w) * 8)       /* writer w's signal word */
#define EXA_REG(w) (4096 + (size_t)(w) * 256)     /* writer w's 256-byte region */
#define EXA_PAT 32768                              /* read-only pattern, to the end */
/* What a writer managed, told to the owner through the key segment. */
enum { EX_PUT = 1, EX_ATOMIC = 2, EX_SIGNAL = 4, EX_B_ATOMIC = 8 };

/*
 * Atomics on memory exported by another accelerator: the shm transport runs
 * them exactly when both live in one process; other transports may or may not.
 */
static int atomic_rule(podfab_t pf, const struct pfc *c, int owner, int me, int rc, int *ok)
{
	int same = c->threads || owner == me;
	if (pfc_is_shm(pf)) {
		if (same)
			CHECKF(rc == 0, "atomic on memory exported by %d (same process): %s (%s)", owner,
			       podfab_errname(rc), podfab_error_detail());
		else
			CHECKF(rc == -PODFAB_ENOTSUP, "atomic on memory exported by %d in another process returned %s, expected PODFAB_ENOTSUP",
			       owner, podfab_errname(rc));
	} else {
		CHECKF(rc == 0 || rc == -PODFAB_ENOTSUP, "atomic on exported memory of %d: %s (%s)", owner,
		       podfab_errname(rc), podfab_error_detail());
	}
	*ok = rc == 0;
	return 0;
}

static int export_peer(podfab_t pf, const struct pfc *c, int p, podfab_key_t ka, podfab_key_t kb,
		       size_t bsize, uint8_t *status)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	podfab_seg_t ia, ib;
	podfab_seg_t sentinel = (podfab_seg_t)(void *)&sentinel;
	*status = 0;
	CHECK_OK(podfab_mem_import(pf, ka, &ia));
	CHECK_OK(podfab_mem_import(pf, kb, &ib));
	CHECK_EQ(podfab_seg_owner(pf, ia), p);
	CHECK_EQ(podfab_seg_owner(pf, ib), p);
	CHECK_EQ(podfab_seg_size(pf, ia), EXA_SIZE);
	CHECK_EQ(podfab_seg_size(pf, ib), bsize);
	CHECK(podfab_seg_addr(pf, ia) == NULL);
	CHECK(podfab_seg_addr(pf, ib) == NULL);

	/* Read the owner's pattern, whole and at odd places. */
	size_t plen = EXA_SIZE - EXA_PAT;
	uint8_t *buf = malloc(plen + 16);
	CHECK(buf != NULL);
	int rc = podfab_get(pf, buf + 1, p, ia, EXA_PAT, plen);
	int skip = rc == -PODFAB_ENOTSUP && !c->threads && p != me;
	long bad = -1;
	if (!rc)
		bad = pfc_verify(buf + 1, plen, 7000 + (uint64_t)p, EXA_PAT);
	if (!rc && bad < 0) {
		rc = podfab_get(pf, buf, p, ia, EXA_PAT + 5, 13);
		if (!rc)
			bad = pfc_verify(buf, 13, 7000 + (uint64_t)p, EXA_PAT + 5);
	}
	free(buf);
	if (skip) {
		/* The system forbids cross-memory attach: say so, and skip put/get. */
		fprintf(stderr, "note: accel %d: get on memory exported by %d: %s (%s)\n", me, p,
			podfab_errname(rc), podfab_error_detail());
	} else {
		CHECK_OK(rc);
		CHECKF(bad < 0, "exported memory of %d differs at %ld", p, bad);
		/* Write my region of A and of B; read it back. */
		uint8_t w[256], back[256];
		pfc_fill(w, sizeof w, tag3(8, (uint64_t)me, (uint64_t)p), 0);
		CHECK_OK(podfab_put(pf, p, ia, EXA_REG(me), w, sizeof w));
		CHECK_OK(podfab_put(pf, p, ib, 8 + (size_t)me * 16 + 1, w, 15));
		CHECK_OK(podfab_put(pf, p, ib, 8 + (size_t)me * 16, w + 100, 1));
		CHECK_OK(podfab_quiet(pf));
		CHECK_OK(podfab_get(pf, back, p, ia, EXA_REG(me), sizeof back));
		CHECK(memcmp(w, back, sizeof w) == 0);
		CHECK_OK(podfab_get(pf, back, p, ib, 8 + (size_t)me * 16, 16));
		CHECK(back[0] == w[100] && memcmp(back + 1, w, 15) == 0);
		*status |= EX_PUT;
	}

	/* Only the owner may be named; the bounds are the exported size. */
	uint64_t x = 1;
	if (n > 1)
		CHECK_ERR(podfab_put(pf, (p + 1) % n, ia, 0, &x, 8), PODFAB_EINVAL);
	CHECK_ERR(podfab_get(pf, &x, p, ib, bsize - 4, 8), PODFAB_EBOUNDS);
	CHECK_ERR(podfab_put(pf, p, ia, EXA_SIZE, &x, 1), PODFAB_EBOUNDS);

	/* Atomics: exactly where the transport can run them. */
	uint64_t old = 99;
	int ok;
	rc = podfab_atomic(pf, p, ia, EXA_ATOM(me), PODFAB_AOP_ADD, PODFAB_UINT64, 5, 0, &old);
	if (atomic_rule(pf, c, p, me, rc, &ok))
		return 1;
	if (ok) {
		CHECK_EQ(old, 0);
		CHECK_OK(podfab_atomic(pf, p, ia, EXA_ATOM(me), PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, &old));
		CHECK_EQ(old, 5);
		*status |= EX_ATOMIC;
	} else {
		CHECK_EQ(old, 99);
	}
	/* B starts 3 bytes into a malloc'ed block: offset 1 is 4-aligned, offset 0 is not. */
	CHECK_ERR(podfab_atomic(pf, p, ib, 0, PODFAB_AOP_ADD, PODFAB_INT32, 1, 0, NULL), PODFAB_EALIGN);
	CHECK_ERR(podfab_atomic(pf, p, ib, 2, PODFAB_AOP_ADD, PODFAB_INT32, 1, 0, NULL), PODFAB_EALIGN);
	rc = podfab_atomic(pf, p, ib, 1, PODFAB_AOP_ADD, PODFAB_INT32, 1, 0, NULL);
	if (atomic_rule(pf, c, p, me, rc, &ok))
		return 1;
	if (ok)
		*status |= EX_B_ATOMIC;
	/* A signal word in exported memory follows the same rule; nothing moves on failure. */
	uint64_t sdata = tag3(9, (uint64_t)me, (uint64_t)p);
	rc = podfab_put_signal(pf, p, ia, EXA_REG(me) + 248, &sdata, 8, ia, EXA_SIG(me), 3, PODFAB_SIGNAL_ADD);
	if (atomic_rule(pf, c, p, me, rc, &ok))
		return 1;
	if (ok)
		*status |= EX_SIGNAL;
	CHECK_OK(podfab_quiet(pf));

	/* Direct pointers: the owner's memory where this process has it mapped, else NULL. */
	char *dp = podfab_ptr(pf, p, ia, 0);
	if (pfc_is_shm(pf) && podfab_timing_mode(pf) == PODFAB_TIMING_FUNCTIONAL)
		CHECKF((dp != NULL) == (c->threads || p == me), "podfab_ptr to memory exported by %d is %p", p,
		       (void *)dp);
	else if (podfab_timing_mode(pf) != PODFAB_TIMING_FUNCTIONAL)
		CHECKF(dp == NULL, "podfab_ptr gave %p in a timed mode, where every access must be timed", (void *)dp);
	if (dp)
		CHECK(pfc_verify(dp + EXA_PAT, 64, 7000 + (uint64_t)p, EXA_PAT) < 0);
	if (n > 1)
		CHECK(podfab_ptr(pf, (p + 1) % n, ia, 0) == NULL);
	CHECK(podfab_ptr(pf, p, ia, EXA_SIZE) == NULL);

	CHECK_OK(podfab_seg_free(pf, ia));
	CHECK_OK(podfab_seg_free(pf, ib));
	CHECK(sentinel == (podfab_seg_t)(void *)&sentinel);
	return 0;
}

int case_export(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	CHECK(n <= 100); /* the layout of A has room for 112 writers */
	uint8_t *A = aligned_alloc(64, EXA_SIZE);
	size_t bsize = 8 + 16 * (size_t)n;
	uint8_t *Braw = malloc(bsize + 16);
	CHECK(A != NULL && Braw != NULL);
	uint8_t *B = Braw + 3;
	memset(A, 0, EXA_PAT);
	pfc_fill(A + EXA_PAT, EXA_SIZE - EXA_PAT, 7000 + (uint64_t)me, EXA_PAT);
	memset(B, 0, bsize);

	podfab_seg_t ea, eb, s;
	podfab_key_t ka, kb, k;
	CHECK_ERR(podfab_mem_export(pf, NULL, 8, &s, &k), PODFAB_ENULL);
	CHECK_ERR(podfab_mem_export(pf, A, 0, &s, &k), PODFAB_EZEROLEN);
	CHECK_ERR(podfab_mem_export(pf, A, 8, NULL, &k), PODFAB_ENULL);
	CHECK_ERR(podfab_mem_export(pf, A, 8, &s, NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_mem_import(pf, 1, NULL), PODFAB_ENULL);
	CHECK_OK(podfab_mem_export(pf, A, EXA_SIZE, &ea, &ka));
	CHECK_OK(podfab_mem_export(pf, B, bsize, &eb, &kb));
	CHECK(ka != kb);
	CHECK_EQ(podfab_seg_owner(pf, ea), me);
	CHECK_EQ(podfab_seg_size(pf, ea), EXA_SIZE);
	CHECK(podfab_seg_addr(pf, ea) == A);
	CHECK(podfab_seg_addr(pf, eb) == B);
	CHECK_EQ(podfab_seg_size(pf, eb), bsize);

	/* Publish the keys: put them into every accelerator's key segment, then barrier. */
	podfab_seg_t keys;
	size_t st_off = (size_t)n * 16;
	CHECK_OK(podfab_seg_alloc(pf, st_off + (size_t)n * 8, &keys));
	podfab_key_t mykeys[2] = {ka, kb};
	for (int p = 0; p < n; p++)
		CHECK_OK(podfab_put(pf, p, keys, (size_t)me * 16, mykeys, sizeof mykeys));
	CHECK_OK(podfab_barrier(pf));
	podfab_key_t *kt = podfab_seg_addr(pf, keys);
	CHECK(kt[2 * me] == ka && kt[2 * me + 1] == kb);

	for (int d = 0; d < n; d++) {
		int p = (me + d) % n;
		uint8_t status = 0;
		if (export_peer(pf, c, p, kt[2 * p], kt[2 * p + 1], bsize, &status))
			return 1;
		uint64_t st = status;
		CHECK_OK(podfab_put(pf, p, keys, st_off + (size_t)me * 8, &st, 8));
	}
	CHECK_OK(podfab_barrier(pf));

	/* The owner sees every writer's data and exactly the atomics that succeeded. */
	const uint64_t *sts = (const uint64_t *)(const void *)((const char *)kt + st_off);
	int b_atomics = 0;
	for (int w = 0; w < n; w++) {
		uint64_t st = sts[w];
		if (pfc_is_shm(pf) && (c->threads || w == me))
			CHECKF(st & EX_PUT, "accelerator %d could not put into my export", w);
		uint8_t expect[256];
		pfc_fill(expect, sizeof expect, tag3(8, (uint64_t)w, (uint64_t)me), 0);
		if (st & EX_SIGNAL) {
			uint64_t sd = tag3(9, (uint64_t)w, (uint64_t)me);
			memcpy(expect + 248, &sd, 8);
		}
		if (st & EX_PUT) {
			CHECKF(memcmp(A + EXA_REG(w), expect, 256) == 0, "region of writer %d in my export", w);
			CHECK(B[8 + (size_t)w * 16] == expect[100]);
			CHECK(memcmp(B + 8 + (size_t)w * 16 + 1, expect, 15) == 0);
		} else {
			CHECK(pfc_first_nonzero(A + EXA_REG(w), 248) < 0);
		}
		uint64_t av, sv;
		memcpy(&av, A + EXA_ATOM(w), 8);
		memcpy(&sv, A + EXA_SIG(w), 8);
		CHECKF(av == ((st & EX_ATOMIC) ? 5u : 0u), "atomic word of writer %d is %llu", w, (unsigned long long)av);
		CHECKF(sv == ((st & EX_SIGNAL) ? 3u : 0u), "signal word of writer %d is %llu", w, (unsigned long long)sv);
		b_atomics += (st & EX_B_ATOMIC) != 0;
	}
	int32_t bv;
	memcpy(&bv, B + 1, 4);
	CHECK_EQ(bv, b_atomics);
	CHECK(pfc_verify(A + EXA_PAT, EXA_SIZE - EXA_PAT, 7000 + (uint64_t)me, EXA_PAT) < 0);
	CHECK_OK(podfab_barrier(pf));

	/* Freeing an export revokes its key, for everyone. */
	CHECK_OK(podfab_seg_free(pf, ea));
	CHECK_OK(podfab_barrier(pf));
	podfab_seg_t out = (podfab_seg_t)(void *)&out;
	for (int p = 0; p < n; p++)
		CHECK_ERR(podfab_mem_import(pf, kt[2 * p], &out), PODFAB_EKEY);
	CHECK_ERR(podfab_mem_import(pf, 0, &out), PODFAB_EKEY);
	CHECK_ERR(podfab_mem_import(pf, ~0ull, &out), PODFAB_EKEY);
	CHECK_ERR(podfab_mem_import(pf, ((uint64_t)(unsigned)n << 48) | 2, &out), PODFAB_EKEY);
	CHECK_ERR(podfab_mem_import(pf, ka + 1, &out), PODFAB_EKEY);
	CHECK(out == (podfab_seg_t)(void *)&out);
	/* Exporting the same memory again gives a new key; the old one stays dead. */
	CHECK_OK(podfab_mem_export(pf, A, EXA_SIZE, &ea, &k));
	CHECK(k != ka);
	CHECK_ERR(podfab_mem_import(pf, ka, &out), PODFAB_EKEY);
	podfab_seg_t again;
	CHECK_OK(podfab_mem_import(pf, k, &again));
	uint64_t word = 0;
	CHECK_OK(podfab_get(pf, &word, me, again, EXA_ATOM(0), 8));
	CHECK_EQ(word, (sts[0] & EX_ATOMIC) ? 5u : 0u);
	CHECK_OK(podfab_seg_free(pf, again));
	CHECK_OK(podfab_seg_free(pf, ea));
	CHECK_OK(podfab_seg_free(pf, eb));
	/* At most 256 exports at a time; freeing one makes room again. */
	podfab_seg_t *many = calloc(256, sizeof *many);
	CHECK(many != NULL);
	int nexp = 0, rc = 0;
	while (nexp < 256 && (rc = podfab_mem_export(pf, A + nexp * 8, 8, &many[nexp], &k)) == 0)
		nexp++;
	int rc_over = nexp == 256 ? podfab_mem_export(pf, A, 8, &s, &k) : 0;
	int rc_again = -1;
	if (nexp == 256 && podfab_seg_free(pf, many[--nexp]) == 0 &&
	    (rc_again = podfab_mem_export(pf, A, 8, &many[nexp], &k)) == 0)
		nexp++;
	for (int i = 0; i < nexp; i++)
		if (podfab_seg_free(pf, many[i]))
			rc = -1;
	free(many);
	CHECKF(nexp == 256, "export %d failed: %s", nexp, podfab_errname(rc));
	CHECK_ERR(rc_over, PODFAB_ETOOMANY);
	CHECK_OK(rc_again);
	CHECK(rc == 0 || rc == -PODFAB_ETOOMANY);
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, keys));
	free(A);
	free(Braw);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* rma                                                                     */
/* ---------------------------------------------------------------------- */

struct piece {
	size_t off, len;
};

/* Pieces of 1 B .. 1 MiB at odd offsets, separated by gaps, and one ending at the segment's end. */
static size_t rma_layout(struct piece *pc, int *np)
{
	static const size_t lens[] = {1, 7, 8, 4096, 65537, 1u << 20};
	static const size_t pads[] = {0, 1, 3, 7};
	size_t cur = 0;
	int k = 0;
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		int npads = lens[i] >= (1u << 20) ? 2 : 4;
		for (int j = 0; j < npads; j++) {
			size_t pad = lens[i] >= (1u << 20) ? pads[j + 1] + 2 : pads[j];
			pc[k].off = cur + pad;
			pc[k].len = lens[i];
			cur = ((pc[k].off + pc[k].len + 7) & ~(size_t)7) + 8;
			k++;
		}
	}
	size_t size = cur + 64;
	pc[k].off = size - 13;
	pc[k].len = 13;
	k++;
	*np = k;
	return size;
}

int case_rma(podfab_t pf, const struct pfc *c)
{
	(void)c;
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	struct piece pc[32];
	int np;
	size_t size = rma_layout(pc, &np);
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, size, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	uint8_t *src = malloc((1u << 20) + 16), *dst = malloc((1u << 20) + 16);
	CHECK(mine && src && dst);

	/* Round r: everyone writes to (me + r) % n, so each receives from one writer; r = 0 is myself. */
	for (int r = 0; r < n; r++) {
		int t = (me + r) % n, from = (me + n - r) % n;
		for (int k = 0; k < np; k++) {
			uint8_t *s = src + 1 + (size_t)k % 5;
			pfc_fill(s, pc[k].len, tag3((uint64_t)r, (uint64_t)me, (uint64_t)k), 0);
			CHECK_OK(podfab_put(pf, t, seg, pc[k].off, s, pc[k].len));
		}
		CHECK_OK(podfab_quiet(pf));
		for (int k = 0; k < np; k++) {
			uint8_t *d = dst + 3 + (size_t)k % 4;
			CHECK_OK(podfab_get(pf, d, t, seg, pc[k].off, pc[k].len));
			long bad = pfc_verify(d, pc[k].len, tag3((uint64_t)r, (uint64_t)me, (uint64_t)k), 0);
			CHECKF(bad < 0, "round %d: get of %zu bytes at %zu from %d differs at %ld", r, pc[k].len,
			       pc[k].off, t, bad);
		}
		CHECK_OK(podfab_barrier(pf));
		size_t cur = 0;
		for (int k = 0; k < np; k++) {
			long nz = pfc_first_nonzero(mine + cur, pc[k].off - cur);
			CHECKF(nz < 0, "round %d: byte %zu outside every put is not zero", r, cur + (size_t)nz);
			long bad = pfc_verify(mine + pc[k].off, pc[k].len, tag3((uint64_t)r, (uint64_t)from, (uint64_t)k), 0);
			CHECKF(bad < 0, "round %d: put of %zu bytes at %zu from %d differs at %ld", r, pc[k].len,
			       pc[k].off, from, bad);
			cur = pc[k].off + pc[k].len;
		}
		CHECK(cur == size);
		memset(mine, 0, size);
		CHECK_OK(podfab_barrier(pf));
	}

	/* The ring: each accelerator reads its left neighbour's whole segment after a fill. */
	pfc_fill(mine, size, tag3(77, (uint64_t)me, 0), 0);
	CHECK_OK(podfab_barrier(pf));
	int left = (me + n - 1) % n;
	for (size_t off = 0; off < size; off += 1u << 20) {
		size_t len = size - off < (1u << 20) ? size - off : (1u << 20);
		CHECK_OK(podfab_get(pf, dst + 1, left, seg, off, len));
		long bad = pfc_verify(dst + 1, len, tag3(77, (uint64_t)left, 0), off);
		CHECKF(bad < 0, "left neighbour's segment differs at %zu", off + (size_t)bad);
	}
	CHECK_OK(podfab_barrier(pf));
	free(src);
	free(dst);
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* alltoall                                                                */
/* ---------------------------------------------------------------------- */

int case_alltoall(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	const size_t blk = 1003, stride = 1008;
	const size_t area2 = (size_t)n * stride;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, 2 * area2, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	uint8_t *buf = malloc(blk * (size_t)n + 8);
	podfab_req_t *reqs = calloc((size_t)n, sizeof *reqs);
	CHECK(mine && buf && reqs);
	long iters = pfc_iters(c, 20, 3);
	for (long it = 0; it < iters; it++) {
		/* By put: slot w of every accelerator is written by w (blocking, NULL-req and req forms). */
		for (int d = 0; d < n; d++) {
			int t = (me + d) % n;
			uint8_t *b = buf + (size_t)t * blk;
			pfc_fill(b, blk, tag3((uint64_t)it, (uint64_t)me, (uint64_t)t), 0);
			int form = (int)((it + d) % 3);
			if (form == 0)
				CHECK_OK(podfab_put(pf, t, seg, (size_t)me * stride, b, blk));
			else if (form == 1)
				CHECK_OK(podfab_put_nb(pf, t, seg, (size_t)me * stride, b, blk, NULL));
			else
				CHECK_OK(podfab_put_nb(pf, t, seg, (size_t)me * stride, b, blk, &reqs[t]));
		}
		/* By get: I prepare in area2 slot t what t should fetch. */
		for (int t = 0; t < n; t++)
			pfc_fill(mine + area2 + (size_t)t * stride, blk, tag3((uint64_t)it + 500, (uint64_t)me, (uint64_t)t), 0);
		CHECK_OK(podfab_quiet(pf));
		CHECK_OK(podfab_wait_all(pf, reqs, (size_t)n));
		CHECK_OK(podfab_barrier(pf));
		for (int w = 0; w < n; w++) {
			long bad = pfc_verify(mine + (size_t)w * stride, blk, tag3((uint64_t)it, (uint64_t)w, (uint64_t)me), 0);
			CHECKF(bad < 0, "iteration %ld: block from %d differs at %ld", it, w, bad);
		}
		for (int d = 0; d < n; d++) {
			int s = (me + d) % n;
			if (it % 2)
				CHECK_OK(podfab_get_nb(pf, buf + (size_t)s * blk, s, seg, area2 + (size_t)me * stride, blk,
						       &reqs[s]));
			else
				CHECK_OK(podfab_get(pf, buf + (size_t)s * blk, s, seg, area2 + (size_t)me * stride, blk));
		}
		CHECK_OK(podfab_wait_all(pf, reqs, (size_t)n));
		for (int s = 0; s < n; s++) {
			long bad = pfc_verify(buf + (size_t)s * blk, blk, tag3((uint64_t)it + 500, (uint64_t)s, (uint64_t)me), 0);
			CHECKF(bad < 0, "iteration %ld: block got from %d differs at %ld", it, s, bad);
		}
		CHECK_OK(podfab_barrier(pf));
	}
	free(buf);
	free(reqs);
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* ring                                                                    */
/* ---------------------------------------------------------------------- */

int case_ring(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	int next = (me + 1) % n;
	const size_t data = 0, flag = 512, dlen = 200;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, 1024, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	CHECK(mine != NULL);
	long laps = pfc_iters(c, 200, 10);
	long hops = laps * n;
	uint8_t buf[256];
	/* Hop h is made by accelerator h % n: it checks token h-1, writes token h to next, raises next's flag to h+1. */
	for (long h = me; h < hops; h += n) {
		if (h > 0) {
			CHECK_OK(podfab_wait_until(pf, mine + flag, PODFAB_UINT64, PODFAB_CMP_GE, (uint64_t)h));
			uint64_t f = pfc_load64(mine + flag);
			CHECKF(f == (uint64_t)h, "hop %ld: flag is %llu", h, (unsigned long long)f);
			long bad = pfc_verify(mine + data, dlen, tag3(3, (uint64_t)h - 1, 0), 0);
			CHECKF(bad < 0, "hop %ld: token differs at %ld", h, bad);
		}
		pfc_fill(buf, dlen, tag3(3, (uint64_t)h, 0), 0);
		uint64_t f = (uint64_t)h + 1;
		switch (h / n % 3) {
		case 0:
			CHECK_OK(podfab_put(pf, next, seg, data, buf, dlen));
			CHECK_OK(podfab_fence(pf));
			CHECK_OK(podfab_put(pf, next, seg, flag, &f, 8));
			break;
		case 1:
			CHECK_OK(podfab_put_signal(pf, next, seg, data, buf, dlen, seg, flag, f, PODFAB_SIGNAL_SET));
			break;
		default:
			CHECK_OK(podfab_put_nb(pf, next, seg, data, buf, dlen, NULL));
			CHECK_OK(podfab_fence(pf));
			CHECK_OK(podfab_atomic(pf, next, seg, flag, PODFAB_AOP_SET, PODFAB_UINT64, f, 0, NULL));
			break;
		}
		CHECK_OK(podfab_quiet(pf));
	}
	CHECK_OK(podfab_barrier(pf));
	/* The last hop reached accelerator hops % n == 0 with flag hops. */
	if (me == 0)
		CHECK_EQ(pfc_load64(mine + flag), (uint64_t)hops);
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* nb                                                                      */
/* ---------------------------------------------------------------------- */

int case_nb(podfab_t pf, const struct pfc *c)
{
	(void)c;
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	const size_t blk = 4096;
	const size_t a1 = 0, a2 = (size_t)n * blk, a3 = 2 * (size_t)n * blk;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, a3 + 65536, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	uint8_t *out = malloc((size_t)n * blk), *in = malloc((size_t)n * blk);
	podfab_req_t *reqs = calloc(2 * (size_t)n + 9, sizeof *reqs);
	CHECK(mine && out && in && reqs);

	/* 1. put_nb with requests to everyone; wait_all over an array with NULL holes. */
	for (int t = 0; t < n; t++) {
		pfc_fill(out + (size_t)t * blk, blk, tag3(1, (uint64_t)me, (uint64_t)t), 0);
		CHECK_OK(podfab_put_nb(pf, t, seg, a1 + (size_t)me * blk, out + (size_t)t * blk, blk, &reqs[2 * t + 1]));
		CHECK(reqs[2 * t + 1] != NULL);
	}
	CHECK_OK(podfab_wait_all(pf, reqs, 2 * (size_t)n + 1));
	for (int i = 0; i < 2 * n + 1; i++)
		CHECK(reqs[i] == NULL);
	CHECK_OK(podfab_barrier(pf));
	for (int w = 0; w < n; w++)
		CHECKF(pfc_verify(mine + a1 + (size_t)w * blk, blk, tag3(1, (uint64_t)w, (uint64_t)me), 0) < 0,
		       "block put_nb by %d", w);

	/* 2. get_nb with requests; reap half with test, half with wait; a reaped request is dead. */
	memset(in, 0, (size_t)n * blk);
	for (int s = 0; s < n; s++)
		CHECK_OK(podfab_get_nb(pf, in + (size_t)s * blk, s, seg, a1 + (size_t)s * blk, blk, &reqs[s]));
	for (int s = 0; s < n; s++) {
		if (s % 2) {
			CHECK_OK(podfab_wait(pf, reqs[s]));
			CHECK_ERR(podfab_wait(pf, reqs[s]), PODFAB_EBADHANDLE);
		} else {
			int done = 0;
			long spins = 0;
			while (!done) {
				done = -1;
				CHECK_OK(podfab_test(pf, reqs[s], &done));
				CHECK(done == 0 || done == 1);
				CHECK(++spins < 100000000);
			}
			CHECK_ERR(podfab_test(pf, reqs[s], &done), PODFAB_EBADHANDLE);
		}
		reqs[s] = NULL;
		CHECKF(pfc_verify(in + (size_t)s * blk, blk, tag3(1, (uint64_t)s, (uint64_t)s), 0) < 0,
		       "block got by get_nb from %d", s);
	}

	/* 3. NULL requests: quiet completes puts and gets. */
	memset(in, 0, (size_t)n * blk);
	for (int t = 0; t < n; t++) {
		pfc_fill(out + (size_t)t * blk, blk, tag3(3, (uint64_t)me, (uint64_t)t), 0);
		CHECK_OK(podfab_put_nb(pf, t, seg, a2 + (size_t)me * blk, out + (size_t)t * blk, blk, NULL));
		CHECK_OK(podfab_get_nb(pf, in + (size_t)t * blk, t, seg, a1 + (size_t)me * blk, blk, NULL));
	}
	CHECK_OK(podfab_quiet(pf));
	for (int t = 0; t < n; t++)
		CHECKF(pfc_verify(in + (size_t)t * blk, blk, tag3(1, (uint64_t)me, (uint64_t)t), 0) < 0,
		       "NULL-request get_nb from %d after quiet", t);
	CHECK_OK(podfab_barrier(pf));
	for (int w = 0; w < n; w++)
		CHECKF(pfc_verify(mine + a2 + (size_t)w * blk, blk, tag3(3, (uint64_t)w, (uint64_t)me), 0) < 0,
		       "NULL-request put_nb by %d after quiet and barrier", w);

	/* 4. quiet completes requests too; they are still reaped (done at once, status 0). */
	uint64_t vals[8];
	for (int i = 0; i < 8; i++) {
		vals[i] = tag3(4, (uint64_t)me, (uint64_t)i);
		CHECK_OK(podfab_put_nb(pf, (me + i) % n, seg, a3 + (size_t)me * 64 + (size_t)i * 8, &vals[i], 8, &reqs[i]));
	}
	CHECK_OK(podfab_quiet(pf));
	for (int i = 0; i < 8; i++) {
		int done = 0;
		CHECK_OK(podfab_test(pf, reqs[i], &done));
		CHECKF(done == 1, "request %d not complete after quiet", i);
		reqs[i] = NULL;
	}
	/* 5. wait_all with a dead entry fails and leaves the live ones alone. */
	const size_t quiet_area = a3 + 60000; /* nobody writes there */
	CHECK_OK(podfab_get_nb(pf, &vals[0], me, seg, quiet_area, 8, &reqs[0]));
	CHECK_OK(podfab_get_nb(pf, &vals[1], me, seg, quiet_area + 8, 8, &reqs[1]));
	podfab_req_t dead = reqs[1];
	CHECK_OK(podfab_wait(pf, reqs[1]));
	CHECK_ERR(podfab_wait_all(pf, reqs, 2), PODFAB_EBADHANDLE);
	CHECK(reqs[0] != NULL && reqs[1] == dead);
	CHECK_OK(podfab_wait(pf, reqs[0]));
	reqs[0] = reqs[1] = NULL;
	CHECK_OK(podfab_wait_all(pf, reqs, 0));
	CHECK_OK(podfab_wait_all(pf, reqs, 4)); /* all NULL */
	int done = 3;
	CHECK_ERR(podfab_test(pf, reqs[0], &done), PODFAB_ENULL);
	CHECK_OK(podfab_get_nb(pf, &vals[0], me, seg, quiet_area, 8, &reqs[0]));
	CHECK_ERR(podfab_test(pf, reqs[0], NULL), PODFAB_ENULL);
	CHECK_OK(podfab_wait(pf, reqs[0]));
	CHECK_OK(podfab_barrier(pf));
	for (int w = 0; w < n; w++)
		for (int i = 0; i < 8; i++)
			if ((w + i) % n == me) {
				uint64_t v;
				memcpy(&v, mine + a3 + (size_t)w * 64 + (size_t)i * 8, 8);
				CHECK_EQ(v, tag3(4, (uint64_t)w, (uint64_t)i));
			}

	/* 6. The request pool: EAGAIN once every record is in use (default 4096), fine after reaping. */
	const char *mr = getenv("PODFAB_MAX_REQUESTS");
	size_t cap = 1u << 16, got = 0;
	podfab_req_t *many = calloc(cap, sizeof *many);
	CHECK(many != NULL);
	uint64_t one = 1;
	int rc = 0;
	while (got < cap) {
		podfab_req_t *slot = &many[got];
		rc = podfab_put_nb(pf, me, seg, a3 + 4096 + (got % 1024) * 8, &one, 8, slot);
		if (rc)
			break;
		got++;
	}
	int rc2 = podfab_put_nb(pf, me, seg, a3, &one, 8, NULL);
	int rc3 = podfab_wait_all(pf, many, got);
	free(many);
	CHECKF(rc == -PODFAB_EAGAIN, "request %zu: %s", got, podfab_errname(rc));
	if (!mr || !*mr)
		CHECKF(got == 4096, "EAGAIN after %zu requests, expected the default 4096", got);
	CHECKF(rc2 == 0 || rc2 == -PODFAB_EAGAIN, "NULL-request put_nb with the pool empty: %s", podfab_errname(rc2));
	CHECK_OK(rc3);
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_put_nb(pf, me, seg, a3, &one, 8, &reqs[0]));
	CHECK_OK(podfab_wait(pf, reqs[0]));

	/* 7. A segment with outstanding requests is not freed (EBUSY), and stays usable. */
	podfab_seg_t s2;
	CHECK_OK(podfab_seg_alloc(pf, 4096, &s2));
	uint64_t x = 0x5555;
	CHECK_OK(podfab_put_nb(pf, (me + 1) % n, s2, (size_t)me * 8 % 4096, &x, 8, &reqs[0]));
	CHECK_ERR(podfab_seg_free(pf, s2), PODFAB_EBUSY);
	CHECK_OK(podfab_atomic_nb(pf, (me + 1) % n, s2, 2048, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL, &reqs[1]));
	CHECK_OK(podfab_wait(pf, reqs[0]));
	CHECK_ERR(podfab_seg_free(pf, s2), PODFAB_EBUSY);
	CHECK_OK(podfab_wait(pf, reqs[1]));
	CHECK_OK(podfab_barrier(pf));
	uint64_t *s2a = podfab_seg_addr(pf, s2);
	CHECK(s2a != NULL);
	CHECK_EQ(s2a[(size_t)((me + n - 1) % n) * 8 % 4096 / 8], 0x5555);
	CHECK_EQ(s2a[256], 1);
	CHECK_OK(podfab_seg_free(pf, s2));

	free(out);
	free(in);
	free(reqs);
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}
