/*
 * cases-basic.c - attach, segments, direct pointers, counters, argument errors,
 * and the local cases (strings, init errors).
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"

/* ---------------------------------------------------------------------- */
/* init                                                                    */
/* ---------------------------------------------------------------------- */

static int check_transport_list(podfab_t pf)
{
	const char *const *tp = podfab_transports();
	CHECK(tp != NULL);
	CHECK(tp[0] != NULL);
	int k = 0;
	for (; tp[k]; k++) {
		CHECK(tp[k][0] != '\0');
		for (int j = 0; j < k; j++)
			CHECKF(strcmp(tp[j], tp[k]) != 0, "transport '%s' listed twice", tp[k]);
		CHECK(k < 64);
	}
	/* The same list every time. */
	const char *const *again = podfab_transports();
	for (int j = 0; j < k; j++)
		CHECK(again[j] && strcmp(again[j], tp[j]) == 0);
	CHECK(again[k] == NULL);
	return 0;
}

static int check_versions(podfab_t pf)
{
	uint32_t v = podfab_version();
	CHECKF(PODFAB_VERSION_GET_MAJOR(v) == PODFAB_VERSION_MAJOR, "library API %u.%u",
	       PODFAB_VERSION_GET_MAJOR(v), PODFAB_VERSION_GET_MINOR(v));
	CHECKF(PODFAB_VERSION_GET_MINOR(v) >= PODFAB_VERSION_MINOR, "library API %u.%u",
	       PODFAB_VERSION_GET_MAJOR(v), PODFAB_VERSION_GET_MINOR(v));
	CHECK(PODFAB_MAKE_VERSION(3, 7) == ((3u << 16) | 7u));
	CHECK(PODFAB_VERSION_GET_MAJOR(PODFAB_MAKE_VERSION(3, 7)) == 3);
	CHECK(PODFAB_VERSION_GET_MINOR(PODFAB_MAKE_VERSION(3, 7)) == 7);
	const char *s = podfab_version_string();
	CHECK(s != NULL);
	unsigned maj = 99, min = 99, pat = 99;
	int got = sscanf(s, "%u.%u.%u", &maj, &min, &pat);
	CHECKF(got == 3, "version string '%s'", s);
	CHECKF(maj == PODFAB_VERSION_GET_MAJOR(v) && min == PODFAB_VERSION_GET_MINOR(v),
	       "version string '%s' but podfab_version() says %u.%u", s, PODFAB_VERSION_GET_MAJOR(v),
	       PODFAB_VERSION_GET_MINOR(v));
	return 0;
}

int case_init(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	CHECKF(n == c->n, "naccels %d, expected %d", n, c->n);
	CHECKF(me == c->me, "accel id %d, expected %d", me, c->me);
	CHECK(me >= 0 && me < n);

	const char *tenv = getenv("PODFAB_TIMING");
	if (!tenv || !*tenv || !strcmp(tenv, "functional"))
		CHECK_EQ(podfab_timing_mode(pf), PODFAB_TIMING_FUNCTIONAL);
	else
		CHECK_EQ(podfab_timing_mode(pf), !strcmp(tenv, "virtual") ? PODFAB_TIMING_VIRTUAL : PODFAB_TIMING_REALTIME);

	const char *tn = podfab_transport_name(pf);
	CHECK(tn != NULL);
	if (c->transport && *c->transport)
		CHECKF(strcmp(tn, c->transport) == 0, "transport '%s', asked for '%s'", tn, c->transport);
	int listed = 0;
	for (const char *const *tp = podfab_transports(); tp && *tp; tp++)
		listed |= strcmp(*tp, tn) == 0;
	CHECKF(listed, "transport '%s' is not in podfab_transports()", tn);
	if (check_transport_list(pf) || check_versions(pf))
		return 1;

	/* Which transport reaches each peer: the one in use, or for hybrid shm on
	 * this host (here: PODFAB_HYBRID_HOSTS=N groups, when set) and ofi beyond. */
	const char *groups = getenv("PODFAB_HYBRID_HOSTS");
	long per = groups && *groups && strcmp(groups, "auto") ? strtol(groups, NULL, 10) : 0;
	/* hybrid: the network transport named by PODFAB_HYBRID_REMOTE, ofi when unset (where built) */
	const char *net = getenv("PODFAB_HYBRID_REMOTE");
	if (!net || !*net) {
		net = "verbs";
		for (const char *const *t = podfab_transports(); *t; t++)
			if (!strcmp(*t, "ofi"))
				net = "ofi";
	}
	for (int p = 0; p < n; p++) {
		const char *pt = podfab_peer_transport(pf, p);
		CHECKF(pt != NULL, "podfab_peer_transport(%d) is NULL", p);
		if (strcmp(tn, "hybrid")) {
			CHECKF(!strcmp(pt, tn), "peer %d is reached over '%s', not the transport '%s'", p, pt, tn);
		} else if (p == me || (c->threads && per <= 0)) {
			CHECKF(!strcmp(pt, "shm"), "hybrid: peer %d (this process) is reached over '%s'", p, pt);
		} else if (per > 0) {
			const char *want = p / per == me / per ? "shm" : net;
			CHECKF(!strcmp(pt, want), "hybrid, %ld per host: peer %d is reached over '%s', not '%s'", per, p,
			       pt, want);
		} else {
			CHECKF(!strcmp(pt, "shm") || !strcmp(pt, net), "hybrid: peer %d is reached over '%s'", p, pt);
		}
	}
	CHECK(podfab_peer_transport(pf, -1) == NULL);
	CHECK(podfab_peer_transport(pf, n) == NULL);
	CHECK(podfab_peer_transport(NULL, 0) == NULL);

	/* Bad handles are reported, not followed. */
	CHECK_ERR(podfab_accel_id(NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_naccels(NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_timing_mode(NULL), PODFAB_ENULL);
	CHECK(podfab_transport_name(NULL) == NULL);
	static _Alignas(64) char fake[4096];
	podfab_t bogus = (podfab_t)(void *)fake;
	CHECK_ERR(podfab_accel_id(bogus), PODFAB_EBADHANDLE);
	CHECK_ERR(podfab_naccels(bogus), PODFAB_EBADHANDLE);
	CHECK_ERR(podfab_barrier(bogus), PODFAB_EBADHANDLE);
	CHECK(podfab_transport_name(bogus) == NULL);

	/* The ids are 0 .. n-1, each exactly once: set a bit and count on accelerator 0. */
	size_t nw = (size_t)n / 64 + 1;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, (nw + 1) * 8, &seg));
	CHECK_OK(podfab_atomic(pf, 0, seg, (size_t)me / 64 * 8, PODFAB_AOP_OR, PODFAB_UINT64,
			       1ull << (me % 64), 0, NULL));
	uint64_t before = ~0ull;
	CHECK_OK(podfab_atomic(pf, 0, seg, nw * 8, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &before));
	CHECKF(before < (uint64_t)n, "fetched count %llu", (unsigned long long)before);
	CHECK_OK(podfab_barrier(pf));
	uint64_t *bits = malloc((nw + 1) * 8);
	CHECK(bits != NULL);
	int rc = podfab_get(pf, bits, 0, seg, 0, (nw + 1) * 8);
	if (rc)
		free(bits);
	CHECK_OK(rc);
	int bad = -1;
	for (int i = 0; i < n; i++)
		if (!(bits[i / 64] >> (i % 64) & 1))
			bad = i;
	for (int i = n; i < (int)nw * 64; i++)
		if (bits[i / 64] >> (i % 64) & 1)
			bad = i;
	uint64_t count = bits[nw];
	free(bits);
	CHECKF(bad < 0, "accelerator id %d is missing or out of range", bad);
	CHECK_EQ(count, n);
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* seg                                                                     */
/* ---------------------------------------------------------------------- */

static int check_fresh(podfab_t pf, podfab_seg_t seg, size_t size)
{
	char *a = podfab_seg_addr(pf, seg);
	CHECK(a != NULL);
	CHECKF(((uintptr_t)a & 4095) == 0, "segment address %p is not 4096-aligned", (void *)a);
	CHECK_EQ(podfab_seg_size(pf, seg), size);
	CHECK_EQ(podfab_seg_owner(pf, seg), podfab_accel_id(pf));
	long nz = pfc_first_nonzero(a, size);
	CHECKF(nz < 0, "byte %ld of a new %zu-byte segment is not zero", nz, size);
	return 0;
}

/* Verify a peer's copy of a segment, reading it in pieces. */
static int verify_remote(podfab_t pf, int peer, podfab_seg_t seg, size_t size, uint64_t tag)
{
	size_t chunk = 256 * 1024;
	char *buf = malloc(chunk);
	CHECK(buf != NULL);
	for (size_t off = 0; off < size; off += chunk) {
		size_t len = size - off < chunk ? size - off : chunk;
		int rc = podfab_get(pf, buf, peer, seg, off, len);
		long bad = rc ? -2 : pfc_verify(buf, len, tag, off);
		if (rc || bad >= 0)
			free(buf);
		CHECK_OK(rc);
		CHECKF(bad < 0, "accelerator %d's copy differs at byte %zu", peer, off + (size_t)bad);
	}
	free(buf);
	return 0;
}

int case_seg(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	static const size_t sizes[] = {1, 8, 100, 4096, 4097, 65536, (3u << 20) + 5};
	enum { NS = sizeof sizes / sizeof sizes[0] };
	podfab_seg_t segs[NS];
	char *addrs[NS];

	/* Several live at once: zeroed, aligned, sized, disjoint. */
	for (int k = 0; k < NS; k++) {
		CHECK_OK(podfab_seg_alloc(pf, sizes[k], &segs[k]));
		if (check_fresh(pf, segs[k], sizes[k]))
			return 1;
		addrs[k] = podfab_seg_addr(pf, segs[k]);
		for (int j = 0; j < k; j++)
			CHECKF(addrs[j] + sizes[j] <= addrs[k] || addrs[k] + sizes[k] <= addrs[j],
			       "segments %d and %d overlap", j, k);
	}
	/* Each accelerator fills its copies locally; everyone reads everyone's. */
	for (int k = 0; k < NS; k++)
		pfc_fill(addrs[k], sizes[k], (uint64_t)me * 100 + (uint64_t)k, 0);
	CHECK_OK(podfab_barrier(pf));
	for (int d = 0; d < n; d++) {
		int p = (me + d) % n;
		for (int k = 0; k < NS; k++)
			if (verify_remote(pf, p, segs[k], sizes[k], (uint64_t)p * 100 + (uint64_t)k))
				return 1;
	}
	CHECK_OK(podfab_barrier(pf));

	/* Free some, allocate more while the others live on, then free in another order. */
	for (int k = 1; k < NS; k += 2)
		CHECK_OK(podfab_seg_free(pf, segs[k]));
	podfab_seg_t more[2];
	static const size_t more_sizes[] = {12345, 8};
	for (int k = 0; k < 2; k++) {
		CHECK_OK(podfab_seg_alloc(pf, more_sizes[k], &more[k]));
		if (check_fresh(pf, more[k], more_sizes[k]))
			return 1;
	}
	for (int k = 0; k < NS; k += 2) {
		long bad = pfc_verify(addrs[k], sizes[k], (uint64_t)me * 100 + (uint64_t)k, 0);
		CHECKF(bad < 0, "segment %d changed at byte %ld after other segments were freed", k, bad);
	}
	CHECK_OK(podfab_seg_free(pf, more[1]));
	for (int k = NS - 1 - (NS - 1) % 2; k >= 0; k -= 2)
		CHECK_OK(podfab_seg_free(pf, segs[k]));
	CHECK_OK(podfab_seg_free(pf, more[0]));

	/* Many small segments at once. */
	enum { MANY = 40 };
	podfab_seg_t many[MANY];
	for (int k = 0; k < MANY; k++) {
		CHECK_OK(podfab_seg_alloc(pf, 64 + (size_t)k * 8, &many[k]));
		uint64_t v = (uint64_t)me << 32 | (uint64_t)k;
		CHECK_OK(podfab_put(pf, (me + 1) % n, many[k], (size_t)k * 8, &v, 8));
	}
	CHECK_OK(podfab_barrier(pf));
	int left = (me + n - 1) % n;
	for (int k = 0; k < MANY; k++) {
		uint64_t *a = podfab_seg_addr(pf, many[k]);
		CHECK(a != NULL);
		CHECK_EQ(a[k], (uint64_t)left << 32 | (uint64_t)k);
		CHECK_EQ(pfc_first_nonzero(a, (size_t)k * 8), -1);
	}
	for (int k = MANY - 1; k >= 0; k--)
		CHECK_OK(podfab_seg_free(pf, many[k]));

	/* Allocate/free cycles: a new segment is zeroed even where an old one had data. */
	long cycles = pfc_iters(c, 40, 4);
	for (long i = 0; i < cycles; i++) {
		size_t size = 4096 * (size_t)(1 + i % 3) + (size_t)i * 8;
		podfab_seg_t s;
		CHECK_OK(podfab_seg_alloc(pf, size, &s));
		if (check_fresh(pf, s, size))
			return 1;
		CHECK_OK(podfab_barrier(pf)); /* nobody writes into it before everyone has checked it */
		char buf[512];
		pfc_fill(buf, sizeof buf, (uint64_t)i * 1000 + (uint64_t)me, 0);
		CHECK_OK(podfab_put(pf, (me + 1) % n, s, size - sizeof buf, buf, sizeof buf));
		pfc_fill(podfab_seg_addr(pf, s), 64, 7, 0);
		CHECK_OK(podfab_barrier(pf));
		char *a = podfab_seg_addr(pf, s);
		long bad = pfc_verify(a + size - sizeof buf, sizeof buf, (uint64_t)i * 1000 + (uint64_t)left, 0);
		CHECKF(bad < 0, "cycle %ld: byte %ld from the left neighbour is wrong", i, bad);
		CHECK_OK(podfab_seg_free(pf, s));
	}

	/* Argument errors (local checks; every accelerator makes the same calls). */
	podfab_seg_t sentinel = (podfab_seg_t)(void *)&sentinel, s = sentinel;
	CHECK_ERR(podfab_seg_alloc(pf, 0, &s), PODFAB_EZEROLEN);
	CHECK(s == sentinel);
	CHECK_ERR(podfab_seg_alloc(pf, 8, NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_seg_alloc(NULL, 8, &s), PODFAB_ENULL);
	CHECK(s == sentinel);
	CHECK_ERR(podfab_seg_free(pf, NULL), PODFAB_ENULL);
	CHECK(podfab_seg_addr(pf, NULL) == NULL);
	CHECK(podfab_seg_size(pf, NULL) == 0);
	CHECK_ERR(podfab_seg_owner(pf, NULL), PODFAB_ENULL);
	CHECK_OK(podfab_barrier(pf));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* ptr                                                                     */
/* ---------------------------------------------------------------------- */

int case_ptr(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	const size_t size = 64 * 1024, region = 64;
	const size_t area2 = 16 * 1024, ctr_off = 48 * 1024;
	/* Direct pointers exist over shm in the functional mode; a timed mode must see every access. */
	int shm = pfc_is_shm(pf) && podfab_timing_mode(pf) == PODFAB_TIMING_FUNCTIONAL;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, size, &seg));
	char *mine = podfab_seg_addr(pf, seg);
	CHECK(mine != NULL);
	char **p = calloc((size_t)n, sizeof *p);
	CHECK(p != NULL);
	int rc = 0;
	for (int t = 0; t < n; t++) {
		p[t] = podfab_ptr(pf, t, seg, 0);
		if (shm && !p[t]) {
			free(p);
			CHECKF(0, "podfab_ptr(%d) is NULL in functional mode over shm", t);
		}
		if (t == me && p[t] && p[t] != mine)
			rc = 1;
		if (p[t] && (podfab_ptr(pf, t, seg, 100) != p[t] + 100 ||
			     podfab_ptr(pf, t, seg, size - 1) != p[t] + size - 1))
			rc = 2;
		if (podfab_ptr(pf, t, seg, size) != NULL || podfab_ptr(pf, t, seg, SIZE_MAX) != NULL)
			rc = 3;
	}
	if (rc)
		free(p);
	CHECKF(rc != 1, "podfab_ptr to myself is not podfab_seg_addr");
	CHECKF(rc != 2, "podfab_ptr(off) is not base + off");
	CHECKF(rc != 3, "podfab_ptr past the end of the segment is not NULL");
	/* Out-of-range ids and bad handles give NULL, and nothing else happens. */
	CHECK(podfab_ptr(pf, -1, seg, 0) == NULL);
	CHECK(podfab_ptr(pf, n, seg, 0) == NULL);
	CHECK(podfab_ptr(pf, INT_MAX, seg, 0) == NULL);
	CHECK(podfab_ptr(pf, INT_MIN, seg, 0) == NULL);
	CHECK(podfab_ptr(NULL, 0, seg, 0) == NULL);
	CHECK(podfab_ptr(pf, 0, NULL, 0) == NULL);

	/* Stores through the pointers are seen by podfab_get and by the owner. */
	for (int t = 0; t < n; t++) {
		char buf[64];
		pfc_fill(buf, region, (uint64_t)me * 1000 + (uint64_t)t, 0);
		if (p[t])
			memcpy(p[t] + (size_t)me * region, buf, region);
		else if ((rc = podfab_put(pf, t, seg, (size_t)me * region, buf, region)))
			break;
	}
	if (!rc)
		rc = podfab_barrier(pf);
	if (rc)
		free(p);
	CHECK_OK(rc);
	for (int w = 0; w < n; w++) {
		long bad = pfc_verify(mine + (size_t)w * region, region, (uint64_t)w * 1000 + (uint64_t)me, 0);
		if (bad >= 0)
			free(p);
		CHECKF(bad < 0, "store by accelerator %d through podfab_ptr: byte %ld wrong at the owner", w, bad);
	}
	for (int t = 0; t < n; t++) {
		char buf[64];
		rc = podfab_get(pf, buf, t, seg, (size_t)me * region, region);
		long bad = rc ? -2 : pfc_verify(buf, region, (uint64_t)me * 1000 + (uint64_t)t, 0);
		if (rc || bad >= 0)
			free(p);
		CHECK_OK(rc);
		CHECKF(bad < 0, "podfab_get from %d does not see a store made through podfab_ptr", t);
	}

	/* Loads through the pointers see what a third accelerator put. */
	for (int t = 0; t < n && !rc; t++) {
		char buf[64];
		pfc_fill(buf, region, 5000 + (uint64_t)me * 100 + (uint64_t)t, 0);
		rc = podfab_put(pf, t, seg, area2 + (size_t)me * region, buf, region);
	}
	if (!rc)
		rc = podfab_barrier(pf);
	if (rc)
		free(p);
	CHECK_OK(rc);
	for (int t = 0; t < n; t++) {
		if (!p[t])
			continue;
		for (int w = 0; w < n; w++) {
			long bad = pfc_verify(p[t] + area2 + (size_t)w * region, region,
					      5000 + (uint64_t)w * 100 + (uint64_t)t, 0);
			if (bad >= 0)
				free(p);
			CHECKF(bad < 0, "a load through podfab_ptr(%d) misses what %d put (byte %ld)", t, w, bad);
		}
	}

	/* C11 atomics through the pointer and podfab atomics are atomic together (shm). */
	long k = pfc_iters(c, 5000, 100);
	for (long i = 0; i < k && !rc; i++) {
		if (shm && p[0] && (i & 1))
			__atomic_fetch_add((uint64_t *)(void *)(p[0] + ctr_off), 1, __ATOMIC_ACQ_REL);
		else
			rc = podfab_atomic_add_u64(pf, 0, seg, ctr_off, 1);
	}
	if (!rc)
		rc = podfab_barrier(pf);
	if (rc)
		free(p);
	CHECK_OK(rc);
	uint64_t total = 0;
	rc = podfab_atomic(pf, 0, seg, ctr_off, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, &total);
	free(p);
	CHECK_OK(rc);
	CHECK_EQ(total, (uint64_t)k * (uint64_t)n);
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* counters                                                                */
/* ---------------------------------------------------------------------- */

static const char *const hdr_ctr_names[] = {
#define X(name, str, desc) str,
	PODFAB_COUNTER_LIST(X)
#undef X
};
static const char *const hdr_ctr_descs[] = {
#define X(name, str, desc) desc,
	PODFAB_COUNTER_LIST(X)
#undef X
};

static int check_counter_names(podfab_t pf)
{
	for (int i = 0; i < PODFAB_CTR_MAX; i++) {
		const char *nm = podfab_counter_name(i), *d = podfab_counter_desc(i);
		CHECKF(nm && strcmp(nm, hdr_ctr_names[i]) == 0, "counter %d is named '%s', not '%s'", i,
		       nm ? nm : "(null)", hdr_ctr_names[i]);
		CHECKF(d && strcmp(d, hdr_ctr_descs[i]) == 0, "counter %d: description '%s'", i, d ? d : "(null)");
	}
	CHECK(podfab_counter_name(-1) == NULL);
	CHECK(podfab_counter_desc(-1) == NULL);
	CHECK(podfab_counter_name(INT_MIN) == NULL);
	CHECK(podfab_counter_desc(INT_MAX) == NULL);
	/* Past the last counter of the library: NULL (the library may have more than the header). */
	int i = PODFAB_CTR_MAX;
	while (i < 4096 && podfab_counter_name(i))
		i++;
	CHECK(i < 4096);
	CHECK(podfab_counter_desc(i) == NULL);
	return 0;
}

int case_counters(podfab_t pf, const struct pfc *c)
{
	(void)c;
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	int t = (me + 1) % n;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, 4096, &seg));
	uint64_t *local = podfab_seg_addr(pf, seg);
	CHECK(local != NULL);
	if (check_counter_names(pf))
		return 1;
	CHECK_OK(podfab_barrier(pf));

	uint64_t v[PODFAB_CTR_MAX + 4];
	uint64_t expect[PODFAB_CTR_MAX];
	memset(expect, 0, sizeof expect);
	CHECK_OK(podfab_counters_reset(pf));
	int nc = podfab_counters(pf, v, PODFAB_CTR_MAX);
	CHECK(nc >= PODFAB_CTR_MAX);
	for (int i = 0; i < PODFAB_CTR_MAX; i++)
		CHECKF(v[i] == 0, "counter %s is %llu after reset", hdr_ctr_names[i], (unsigned long long)v[i]);

	char buf[64];
	memset(buf, 0x5a, sizeof buf);
	/* puts: 3 ops, 60 bytes (to the neighbour and to myself) */
	CHECK_OK(podfab_put(pf, t, seg, 1024 + (size_t)me * 64, buf, 10));
	CHECK_OK(podfab_put(pf, me, seg, 2048, buf, 20));
	CHECK_OK(podfab_put(pf, t, seg, 1024 + (size_t)me * 64, buf, 30));
	expect[PODFAB_CTR_PUT_OPS] += 3;
	expect[PODFAB_CTR_PUT_BYTES] += 60;
	/* gets: 2 ops, 12 bytes */
	CHECK_OK(podfab_get(pf, buf, t, seg, 4000, 5)); /* nobody writes there */
	CHECK_OK(podfab_get(pf, buf, me, seg, 4000, 7));
	expect[PODFAB_CTR_GET_OPS] += 2;
	expect[PODFAB_CTR_GET_BYTES] += 12;
	/* atomics: 5 non-fetching, 5 fetching; words 0..7 are mine on every target */
	size_t w = (size_t)me * 8 % 512;
	uint64_t r64;
	uint32_t r32;
	CHECK_OK(podfab_atomic(pf, t, seg, w, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL));
	CHECK_OK(podfab_atomic(pf, me, seg, w, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL));
	CHECK_OK(podfab_atomic(pf, t, seg, w, PODFAB_AOP_SET, PODFAB_INT64, 3, 0, NULL));
	CHECK_OK(podfab_atomic(pf, t, seg, 3072, PODFAB_AOP_XOR, PODFAB_INT32, 3, 0, NULL));
	CHECK_OK(podfab_atomic_add_u64(pf, t, seg, w, 2));
	expect[PODFAB_CTR_ATOMIC_OPS] += 5;
	CHECK_OK(podfab_atomic(pf, t, seg, w, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, &r64));
	CHECK_OK(podfab_atomic(pf, t, seg, w, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &r64));
	CHECK_OK(podfab_atomic(pf, t, seg, 3076, PODFAB_AOP_CSWAP, PODFAB_UINT32, 1, 0, &r32));
	CHECK_OK(podfab_atomic(pf, me, seg, w, PODFAB_AOP_SWAP, PODFAB_UINT64, 1, 0, &r64));
	CHECK_OK(podfab_atomic_fetch_add_u64(pf, t, seg, w, 1, &r64));
	expect[PODFAB_CTR_FETCH_ATOMIC_OPS] += 5;
	/* non-blocking: put_nb (req), get_nb (NULL req), atomic_nb (fetching, req) */
	podfab_req_t r;
	CHECK_OK(podfab_put_nb(pf, t, seg, 1024 + (size_t)me * 64, buf, 16, &r));
	CHECK_OK(podfab_wait(pf, r));
	CHECK_OK(podfab_get_nb(pf, buf + 32, t, seg, 4000, 8, NULL));
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_atomic_nb(pf, t, seg, w, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, &r64, &r));
	CHECK_OK(podfab_wait(pf, r));
	expect[PODFAB_CTR_PUT_OPS] += 1;
	expect[PODFAB_CTR_PUT_BYTES] += 16;
	expect[PODFAB_CTR_GET_OPS] += 1;
	expect[PODFAB_CTR_GET_BYTES] += 8;
	expect[PODFAB_CTR_FETCH_ATOMIC_OPS] += 1;
	expect[PODFAB_CTR_NB_OPS] += 3;
	expect[PODFAB_CTR_QUIETS] += 1;
	/* puts with signal: 3 (one non-blocking), 4 bytes each; they are puts too */
	CHECK_OK(podfab_put_signal(pf, t, seg, 1024 + (size_t)me * 64, buf, 4, seg, 3584, 1, PODFAB_SIGNAL_ADD));
	CHECK_OK(podfab_put_signal(pf, me, seg, 2048, buf, 4, seg, 3592, 1, PODFAB_SIGNAL_ADD));
	CHECK_OK(podfab_put_signal_nb(pf, t, seg, 1024 + (size_t)me * 64, buf, 4, seg, 3584, 1,
				      PODFAB_SIGNAL_ADD, NULL));
	CHECK_OK(podfab_quiet(pf));
	expect[PODFAB_CTR_SIGNAL_OPS] += 3;
	expect[PODFAB_CTR_PUT_OPS] += 3;
	expect[PODFAB_CTR_PUT_BYTES] += 12;
	expect[PODFAB_CTR_NB_OPS] += 1;
	expect[PODFAB_CTR_QUIETS] += 1;
	/* ordering */
	CHECK_OK(podfab_fence(pf));
	CHECK_OK(podfab_fence(pf));
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_barrier(pf));
	expect[PODFAB_CTR_FENCES] += 2;
	expect[PODFAB_CTR_QUIETS] += 1;
	expect[PODFAB_CTR_BARRIERS] += 2;
	/* waits on local memory (both immediately true) */
	CHECK_OK(podfab_wait_until(pf, &local[500], PODFAB_UINT64, PODFAB_CMP_EQ, 0));
	uint64_t seen = 1;
	CHECK_OK(podfab_signal_wait_until(pf, &local[501], PODFAB_CMP_LE, 0, &seen));
	CHECK_EQ(seen, 0);
	expect[PODFAB_CTR_WAITS] += 2;
	/* two failing operations: counted as errors and as nothing else */
	CHECK_ERR(podfab_put(pf, -1, seg, 0, buf, 8), PODFAB_EACCEL);
	CHECK_ERR(podfab_atomic(pf, t, seg, 4, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL), PODFAB_EALIGN);
	expect[PODFAB_CTR_ERRORS] += 2;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		v[i] = 0xdeadbeefcafef00dull;
	nc = podfab_counters(pf, v, PODFAB_CTR_MAX);
	CHECKF(nc >= PODFAB_CTR_MAX, "podfab_counters returned %d", nc);
	for (int i = 0; i < PODFAB_CTR_MAX; i++)
		CHECKF(v[i] == expect[i], "counter %s is %llu, expected %llu", hdr_ctr_names[i],
		       (unsigned long long)v[i], (unsigned long long)expect[i]);
	CHECK_EQ(v[PODFAB_CTR_MAX], 0xdeadbeefcafef00dull);

	/* A short array gets only its first entries; the return value is still the full count. */
	uint64_t few[5];
	for (int i = 0; i < 5; i++)
		few[i] = 77;
	CHECK_EQ(podfab_counters(pf, few, 3), nc);
	CHECK_EQ(few[0], expect[0]);
	CHECK_EQ(few[2], expect[2]);
	CHECK_EQ(few[3], 77);
	CHECK_EQ(few[4], 77);
	CHECK_EQ(podfab_counters(pf, NULL, 0), nc);
	CHECK_ERR(podfab_counters(pf, few, -1), PODFAB_EINVAL);
	CHECK_ERR(podfab_counters(pf, NULL, 2), PODFAB_ENULL);
	CHECK_ERR(podfab_counters(NULL, few, 2), PODFAB_ENULL);
	CHECK_ERR(podfab_counters_reset(NULL), PODFAB_ENULL);

	/* Reset clears everything; counters are per accelerator, so peers are unaffected. */
	CHECK_OK(podfab_counters_reset(pf));
	CHECK_EQ(podfab_counters(pf, v, PODFAB_CTR_MAX), nc);
	for (int i = 0; i < PODFAB_CTR_MAX; i++)
		CHECKF(v[i] == 0, "counter %s is %llu after reset", hdr_ctr_names[i], (unsigned long long)v[i]);
	CHECK_OK(podfab_put(pf, t, seg, 1024 + (size_t)me * 64, buf, 40));
	CHECK_OK(podfab_barrier(pf));
	CHECK_EQ(podfab_counters(pf, v, PODFAB_CTR_MAX), nc);
	CHECK_EQ(v[PODFAB_CTR_PUT_OPS], 1);
	CHECK_EQ(v[PODFAB_CTR_PUT_BYTES], 40);
	CHECK_EQ(v[PODFAB_CTR_BARRIERS], 1);
	CHECK_EQ(v[PODFAB_CTR_GET_OPS], 0);
	CHECK_EQ(v[PODFAB_CTR_QUIETS], 0);
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* errors                                                                  */
/* ---------------------------------------------------------------------- */

/* A failed call must leave a message in podfab_error_detail(). */
#define CHECK_ERRD(call, code)                                                               \
	do {                                                                                 \
		CHECK_ERR(call, code);                                                       \
		const char *d_ = podfab_error_detail();                                      \
		CHECKF(d_ && *d_, "no podfab_error_detail() after %s", #call);                \
		nfail++;                                                                     \
	} while (0)

int case_errors(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	int t = (me + 1) % n;
	const size_t size = 4096;
	long nfail = 0;
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, size, &seg));
	char *mine = podfab_seg_addr(pf, seg);
	CHECK(mine != NULL);
	pfc_fill(mine, size, 900 + (uint64_t)me, 0);
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_counters_reset(pf));

	char buf[64];
	memset(buf, 0xee, sizeof buf);
	int targets[2] = {t, me};
	for (int k = 0; k < 2; k++) {
		int d = targets[k];
		/* put / get */
		CHECK_ERRD(podfab_put(pf, d, seg, 0, NULL, 8), PODFAB_ENULL);
		CHECK_ERRD(podfab_put(pf, d, NULL, 0, buf, 8), PODFAB_ENULL);
		CHECK_ERRD(podfab_put(pf, -1, seg, 0, buf, 8), PODFAB_EACCEL);
		CHECK_ERRD(podfab_put(pf, n, seg, 0, buf, 8), PODFAB_EACCEL);
		CHECK_ERRD(podfab_put(pf, d, seg, 0, buf, 0), PODFAB_EZEROLEN);
		CHECK_ERRD(podfab_put(pf, d, seg, size, buf, 1), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_put(pf, d, seg, size - 3, buf, 4), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_put(pf, d, seg, 8, buf, SIZE_MAX), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_put(pf, d, seg, SIZE_MAX, buf, 2), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_put(pf, d, seg, SIZE_MAX - 1, buf, 4), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_get(pf, NULL, d, seg, 0, 8), PODFAB_ENULL);
		CHECK_ERRD(podfab_get(pf, buf, d, NULL, 0, 8), PODFAB_ENULL);
		CHECK_ERRD(podfab_get(pf, buf, -1, seg, 0, 8), PODFAB_EACCEL);
		CHECK_ERRD(podfab_get(pf, buf, n, seg, 0, 8), PODFAB_EACCEL);
		CHECK_ERRD(podfab_get(pf, buf, d, seg, 0, 0), PODFAB_EZEROLEN);
		CHECK_ERRD(podfab_get(pf, buf, d, seg, size - 1, 2), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_get(pf, buf, d, seg, 16, SIZE_MAX - 8), PODFAB_EBOUNDS);
		for (size_t i = 0; i < sizeof buf; i++)
			CHECKF((unsigned char)buf[i] == 0xee, "a failed get wrote byte %zu of dest", i);
		/* non-blocking: *req is not written on failure */
		podfab_req_t sentinel = (podfab_req_t)(void *)&sentinel, r = sentinel;
		CHECK_ERRD(podfab_put_nb(pf, d, seg, size, buf, 1, &r), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_put_nb(pf, n, seg, 0, buf, 1, &r), PODFAB_EACCEL);
		CHECK_ERRD(podfab_put_nb(pf, d, seg, 0, buf, 0, NULL), PODFAB_EZEROLEN);
		CHECK_ERRD(podfab_get_nb(pf, buf, d, seg, size - 2, 4, &r), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_get_nb(pf, NULL, d, seg, 0, 4, &r), PODFAB_ENULL);
		CHECK(r == sentinel);
		/* atomics: the result is not written on failure */
		uint64_t res = 0x1122334455667788ull;
		CHECK_ERRD(podfab_atomic(pf, d, seg, 4, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res), PODFAB_EALIGN);
		CHECK_ERRD(podfab_atomic(pf, d, seg, 12, PODFAB_AOP_FETCH, PODFAB_INT64, 1, 0, &res), PODFAB_EALIGN);
		CHECK_ERRD(podfab_atomic(pf, d, seg, 2, PODFAB_AOP_ADD, PODFAB_INT32, 1, 0, &res), PODFAB_EALIGN);
		CHECK_ERRD(podfab_atomic(pf, d, seg, 1, PODFAB_AOP_SET, PODFAB_UINT32, 1, 0, NULL), PODFAB_EALIGN);
		CHECK_ERRD(podfab_atomic(pf, d, seg, 0, PODFAB_AOP_MAX_OP, PODFAB_UINT64, 1, 0, &res), PODFAB_EINVAL);
		CHECK_ERRD(podfab_atomic(pf, d, seg, 0, (podfab_atomic_op_t)-1, PODFAB_UINT64, 1, 0, &res),
			   PODFAB_EINVAL);
		CHECK_ERRD(podfab_atomic(pf, d, seg, 0, PODFAB_AOP_ADD, PODFAB_TYPE_MAX, 1, 0, &res), PODFAB_EINVAL);
		CHECK_ERRD(podfab_atomic(pf, d, seg, 0, PODFAB_AOP_ADD, (podfab_type_t)-1, 1, 0, &res), PODFAB_EINVAL);
		CHECK_ERRD(podfab_atomic(pf, d, seg, 0, PODFAB_AOP_FETCH, PODFAB_UINT64, 0, 0, NULL), PODFAB_ENULL);
		CHECK_ERRD(podfab_atomic(pf, d, NULL, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res), PODFAB_ENULL);
		CHECK_ERRD(podfab_atomic(pf, d, seg, size, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_atomic(pf, d, seg, size, PODFAB_AOP_ADD, PODFAB_UINT32, 1, 0, &res), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_atomic(pf, n, seg, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res), PODFAB_EACCEL);
		CHECK_ERRD(podfab_atomic(pf, -1, seg, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res), PODFAB_EACCEL);
		CHECK_ERRD(podfab_atomic_nb(pf, d, seg, 4, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, &res, &r),
			   PODFAB_EALIGN);
		CHECK_ERRD(podfab_atomic_nb(pf, d, seg, 0, PODFAB_AOP_FETCH, PODFAB_UINT64, 1, 0, NULL, &r),
			   PODFAB_ENULL);
		CHECK_ERRD(podfab_atomic_nb(pf, d, seg, size, PODFAB_AOP_ADD, PODFAB_INT32, 1, 0, NULL, NULL),
			   PODFAB_EBOUNDS);
		CHECK_EQ(res, 0x1122334455667788ull);
		CHECK(r == sentinel);
		/* put with signal */
		CHECK_ERRD(podfab_put_signal(pf, d, seg, 0, buf, 8, seg, 64, 1, (podfab_signal_op_t)2), PODFAB_EINVAL);
		CHECK_ERRD(podfab_put_signal(pf, d, seg, 0, buf, 8, seg, 68, 1, PODFAB_SIGNAL_SET), PODFAB_EALIGN);
		CHECK_ERRD(podfab_put_signal(pf, d, seg, 0, buf, 8, seg, size, 1, PODFAB_SIGNAL_SET), PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_put_signal(pf, d, seg, size - 4, buf, 8, seg, 64, 1, PODFAB_SIGNAL_SET),
			   PODFAB_EBOUNDS);
		CHECK_ERRD(podfab_put_signal(pf, d, seg, 0, buf, 0, seg, 64, 1, PODFAB_SIGNAL_SET), PODFAB_EZEROLEN);
		CHECK_ERRD(podfab_put_signal(pf, d, seg, 0, NULL, 8, seg, 64, 1, PODFAB_SIGNAL_SET), PODFAB_ENULL);
		CHECK_ERRD(podfab_put_signal(pf, d, seg, 0, buf, 8, NULL, 64, 1, PODFAB_SIGNAL_SET), PODFAB_ENULL);
		CHECK_ERRD(podfab_put_signal(pf, n, seg, 0, buf, 8, seg, 64, 1, PODFAB_SIGNAL_SET), PODFAB_EACCEL);
		CHECK_ERRD(podfab_put_signal_nb(pf, d, seg, 0, buf, 8, seg, 66, 1, PODFAB_SIGNAL_ADD, &r),
			   PODFAB_EALIGN);
		CHECK(r == sentinel);
	}
	long data_fails = nfail;

	/* requests */
	int done = 7;
	CHECK_ERR(podfab_test(pf, NULL, &done), PODFAB_ENULL);
	CHECK(done == 7);
	CHECK_ERR(podfab_wait(pf, NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_wait_all(pf, NULL, 2), PODFAB_ENULL);
	CHECK_OK(podfab_wait_all(pf, NULL, 0));
	/* waits on local memory */
	uint64_t words[4] = {0, 0, 0, 0};
	CHECK_ERR(podfab_wait_until(pf, NULL, PODFAB_UINT64, PODFAB_CMP_EQ, 0), PODFAB_ENULL);
	CHECK_ERR(podfab_wait_until(pf, words, PODFAB_TYPE_MAX, PODFAB_CMP_EQ, 0), PODFAB_EINVAL);
	CHECK_ERR(podfab_wait_until(pf, words, PODFAB_UINT64, PODFAB_CMP_MAX, 0), PODFAB_EINVAL);
	CHECK_ERR(podfab_wait_until(pf, words, PODFAB_UINT64, (podfab_cmp_t)-1, 0), PODFAB_EINVAL);
	CHECK_ERR(podfab_wait_until(pf, (char *)words + 4, PODFAB_INT64, PODFAB_CMP_EQ, 0), PODFAB_EALIGN);
	CHECK_ERR(podfab_wait_until(pf, (char *)words + 2, PODFAB_UINT32, PODFAB_CMP_EQ, 0), PODFAB_EALIGN);
	CHECK_ERR(podfab_test_until(pf, NULL, PODFAB_UINT64, PODFAB_CMP_EQ, 0), PODFAB_ENULL);
	CHECK_ERR(podfab_test_until(pf, words, PODFAB_TYPE_MAX, PODFAB_CMP_EQ, 0), PODFAB_EINVAL);
	CHECK_ERR(podfab_test_until(pf, words, PODFAB_UINT32, PODFAB_CMP_MAX, 0), PODFAB_EINVAL);
	CHECK_ERR(podfab_test_until(pf, (char *)words + 1, PODFAB_INT32, PODFAB_CMP_EQ, 0), PODFAB_EALIGN);
	CHECK_ERR(podfab_signal_wait_until(pf, NULL, PODFAB_CMP_EQ, 0, NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_signal_wait_until(pf, words, PODFAB_CMP_MAX, 0, NULL), PODFAB_EINVAL);
	CHECK_ERR(podfab_signal_wait_until(pf, (uint64_t *)(void *)((char *)words + 4), PODFAB_CMP_EQ, 0, NULL),
		  PODFAB_EALIGN);
	/* a NULL handle everywhere */
	CHECK_ERR(podfab_put(NULL, t, seg, 0, buf, 8), PODFAB_ENULL);
	CHECK_ERR(podfab_get(NULL, buf, t, seg, 0, 8), PODFAB_ENULL);
	CHECK_ERR(podfab_atomic(NULL, t, seg, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_fence(NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_quiet(NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_barrier(NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_finalize(NULL), PODFAB_ENULL);
	CHECK_ERR(podfab_wait_until(NULL, words, PODFAB_UINT64, PODFAB_CMP_EQ, 0), PODFAB_ENULL);
	CHECK_ERR(podfab_mem_import(NULL, 1, &seg), PODFAB_ENULL);

	/* Failed operations moved nothing and counted only as errors. */
	uint64_t v[PODFAB_CTR_MAX];
	CHECK(podfab_counters(pf, v, PODFAB_CTR_MAX) >= PODFAB_CTR_MAX);
	CHECKF(v[PODFAB_CTR_ERRORS] >= (uint64_t)data_fails, "errors counter %llu after %ld failed operations",
	       (unsigned long long)v[PODFAB_CTR_ERRORS], data_fails);
	CHECK_EQ(v[PODFAB_CTR_PUT_OPS], 0);
	CHECK_EQ(v[PODFAB_CTR_PUT_BYTES], 0);
	CHECK_EQ(v[PODFAB_CTR_GET_OPS], 0);
	CHECK_EQ(v[PODFAB_CTR_GET_BYTES], 0);
	CHECK_EQ(v[PODFAB_CTR_ATOMIC_OPS], 0);
	CHECK_EQ(v[PODFAB_CTR_FETCH_ATOMIC_OPS], 0);
	CHECK_EQ(v[PODFAB_CTR_SIGNAL_OPS], 0);
	CHECK_EQ(v[PODFAB_CTR_NB_OPS], 0);
	CHECK_OK(podfab_quiet(pf));
	CHECK_OK(podfab_barrier(pf));
	long bad = pfc_verify(mine, size, 900 + (uint64_t)me, 0);
	CHECKF(bad < 0, "failed operations changed byte %ld of my segment", bad);
	CHECK_OK(podfab_barrier(pf)); /* everyone has checked before anyone writes again */

	/*
	 * Threads of one process: another accelerator's segment or request handle is
	 * refused (-PODFAB_EBADHANDLE), even though it is a live one.
	 */
	if (c->threads && n > 1) {
		podfab_req_t r;
		char tmp[8];
		CHECK_OK(podfab_get_nb(pf, tmp, t, seg, 0, 8, &r));
		uintptr_t h[2] = {(uintptr_t)seg, (uintptr_t)r};
		CHECK_OK(podfab_put(pf, t, seg, 128, h, sizeof h));
		CHECK_OK(podfab_barrier(pf));
		uintptr_t theirs[2];
		memcpy(theirs, mine + 128, sizeof theirs);
		podfab_seg_t fseg = (podfab_seg_t)theirs[0];
		podfab_req_t freq = (podfab_req_t)theirs[1];
		CHECK(fseg != seg);
		CHECK_ERR(podfab_put(pf, me, fseg, 0, buf, 8), PODFAB_EBADHANDLE);
		CHECK_ERR(podfab_get(pf, buf, me, fseg, 0, 8), PODFAB_EBADHANDLE);
		CHECK_ERR(podfab_atomic(pf, me, fseg, 0, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL), PODFAB_EBADHANDLE);
		CHECK(podfab_seg_addr(pf, fseg) == NULL);
		CHECK(podfab_seg_size(pf, fseg) == 0);
		CHECK(podfab_ptr(pf, me, fseg, 0) == NULL);
		CHECK_ERR(podfab_seg_owner(pf, fseg), PODFAB_EBADHANDLE);
		CHECK_ERR(podfab_test(pf, freq, &done), PODFAB_EBADHANDLE);
		CHECK_ERR(podfab_wait(pf, freq), PODFAB_EBADHANDLE);
		podfab_req_t arr[2] = {NULL, freq};
		CHECK_ERR(podfab_wait_all(pf, arr, 2), PODFAB_EBADHANDLE);
		CHECK(arr[1] == freq);
		CHECK_OK(podfab_barrier(pf));
		CHECK_OK(podfab_wait(pf, r));
	}
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* local: strings                                                          */
/* ---------------------------------------------------------------------- */

int case_strings(podfab_t pf, const struct pfc *c)
{
	(void)c;
	static const struct {
		int code;
		const char *name, *msg;
	} errs[] = {
#define X(name, value, msg) {value, "PODFAB_" #name, msg},
		PODFAB_ERROR_LIST(X)
#undef X
	};
	int nerr = (int)(sizeof errs / sizeof errs[0]);
	CHECK(PODFAB_ERROR_MAX == errs[nerr - 1].code + 1);
	for (int i = 0; i < nerr; i++) {
		CHECK(errs[i].code == i + 1);
		for (int sign = -1; sign <= 1; sign += 2) {
			int code = sign * errs[i].code;
			const char *m = podfab_strerror(code), *nm = podfab_errname(code);
			CHECKF(m && strcmp(m, errs[i].msg) == 0, "podfab_strerror(%d) is '%s'", code, m ? m : "(null)");
			CHECKF(nm && strcmp(nm, errs[i].name) == 0, "podfab_errname(%d) is '%s'", code,
			       nm ? nm : "(null)");
		}
	}
	static const int odd[] = {0, PODFAB_ERROR_MAX, -PODFAB_ERROR_MAX, 9999, -9999, INT_MAX, INT_MIN + 1, INT_MIN};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		const char *m = podfab_strerror(odd[i]), *nm = podfab_errname(odd[i]);
		CHECKF(m != NULL && *m, "podfab_strerror(%d)", odd[i]);
		CHECKF(nm != NULL && *nm, "podfab_errname(%d)", odd[i]);
		if (odd[i] != 0)
			for (int k = 0; k < nerr; k++)
				CHECKF(strcmp(nm, errs[k].name) != 0, "podfab_errname(%d) is %s", odd[i], nm);
	}
	CHECK(podfab_error_detail() != NULL);
	if (check_counter_names(pf) || check_transport_list(pf) || check_versions(pf))
		return 1;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* local: init errors                                                      */
/* ---------------------------------------------------------------------- */

static void clear_env(void)
{
	static const char *const vars[] = {"PODFAB_JOB", "PODFAB_ACCEL_ID", "PODFAB_NACCELS", "PODFAB_MODEL",
					   "PODFAB_TIMING", "PODFAB_TRANSPORT", "PODFAB_TIMEOUT_MS",
					   "PODFAB_MAX_REQUESTS"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

static void base_params(podfab_params_t *p, const struct pfc *c, const char *job)
{
	memset(p, 0, sizeof *p);
	p->field_mask = PODFAB_PARAM_ACCEL_ID | PODFAB_PARAM_NACCELS | PODFAB_PARAM_JOB;
	p->accel_id = 0;
	p->naccels = 1;
	p->job = job;
	if (c->transport) {
		p->field_mask |= PODFAB_PARAM_TRANSPORT;
		p->transport = c->transport;
	}
}

/* Init must fail with `code` and leave the output alone. */
#define CHECK_INIT_FAILS(params, code)                                      \
	do {                                                                \
		podfab_t out_ = (podfab_t)(void *)&out_;                    \
		CHECK_ERR(podfab_init((params), &out_), code);              \
		CHECK(out_ == (podfab_t)(void *)&out_);                     \
	} while (0)

/* Attach a pod of one with these params, check it, and finalize. */
static int solo_ok(const podfab_params_t *p, uint32_t api)
{
	podfab_t pf = NULL;
	CHECK_OK(podfab_init_version(api, p, &pf));
	CHECK(pf != NULL);
	CHECK_EQ(podfab_accel_id(pf), 0);
	CHECK_EQ(podfab_naccels(pf), 1);
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, 64, &seg));
	uint64_t v = 42, w = 0;
	CHECK_OK(podfab_put(pf, 0, seg, 8, &v, 8));
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_get(pf, &w, 0, seg, 8, 8));
	CHECK_EQ(w, 42);
	CHECK_OK(podfab_finalize(pf));
	CHECK_ERR(podfab_accel_id(pf), PODFAB_EFINALIZED);
	CHECK_ERR(podfab_put(pf, 0, seg, 8, &v, 8), PODFAB_EFINALIZED);
	CHECK_ERR(podfab_finalize(pf), PODFAB_EFINALIZED);
	return 0;
}

/* Names /dev/shm/podfab.<job>.* left behind (local bootstrap over shm), removed. */
static int leftovers(const char *job)
{
	char prefix[96];
	int found = 0;
	snprintf(prefix, sizeof prefix, "podfab.%s.", job);
	DIR *d = opendir("/dev/shm");
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			char name[300];
			snprintf(name, sizeof name, "/%s", e->d_name);
			shm_unlink(name);
			found++;
		}
	}
	closedir(d);
	return found;
}

int case_init_errors(podfab_t pf, const struct pfc *c)
{
	char job[64], job2[64], longjob[64];
	podfab_params_t p;
	snprintf(job, sizeof job, "ie%ld", (long)getpid());
	snprintf(job2, sizeof job2, "ie%ldb", (long)getpid());
	clear_env();
	if (c->transport)
		setenv("PODFAB_TRANSPORT", c->transport, 1);

	/* The environment: missing, partial, malformed. */
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	setenv("PODFAB_JOB", job, 1);
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	setenv("PODFAB_NACCELS", "1", 1);
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	setenv("PODFAB_ACCEL_ID", "x1", 1);
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	setenv("PODFAB_ACCEL_ID", "1", 1);
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	setenv("PODFAB_ACCEL_ID", "-1", 1);
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	setenv("PODFAB_ACCEL_ID", "", 1);
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	setenv("PODFAB_ACCEL_ID", "0", 1);
	setenv("PODFAB_NACCELS", "0", 1);
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	setenv("PODFAB_NACCELS", "1", 1);
	setenv("PODFAB_JOB", "bad/job", 1);
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	setenv("PODFAB_JOB", job, 1);
	setenv("PODFAB_TIMING", "sometimes", 1);
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	unsetenv("PODFAB_TIMING");
	setenv("PODFAB_TIMEOUT_MS", "0", 1);
	CHECK_INIT_FAILS(NULL, PODFAB_EENV);
	unsetenv("PODFAB_TIMEOUT_MS");
	setenv("PODFAB_TRANSPORT", "no-such-transport", 1);
	CHECK_INIT_FAILS(NULL, PODFAB_ETRANSPORT);
	if (c->transport)
		setenv("PODFAB_TRANSPORT", c->transport, 1);
	else
		unsetenv("PODFAB_TRANSPORT");
	/* A complete environment attaches a pod of one; params override the environment. */
	memset(&p, 0, sizeof p);
	if (solo_ok(NULL, PODFAB_API_VERSION))
		return 1;
	setenv("PODFAB_NACCELS", "3", 1);
	setenv("PODFAB_ACCEL_ID", "2", 1);
	p.field_mask = PODFAB_PARAM_NACCELS | PODFAB_PARAM_ACCEL_ID;
	p.naccels = 1;
	p.accel_id = 0;
	if (solo_ok(&p, PODFAB_API_VERSION))
		return 1;
	clear_env();

	/* Versions: another major or a newer minor is refused; an older minor is fine. */
	base_params(&p, c, job);
	podfab_t out = (podfab_t)(void *)&out;
	CHECK_ERR(podfab_init_version(PODFAB_MAKE_VERSION(PODFAB_VERSION_MAJOR + 1, 0), &p, &out), PODFAB_EVERSION);
	CHECK_ERR(podfab_init_version(PODFAB_MAKE_VERSION(PODFAB_VERSION_MAJOR, PODFAB_VERSION_MINOR + 1), &p, &out),
		  PODFAB_EVERSION);
	CHECK(out == (podfab_t)(void *)&out);
	if (solo_ok(&p, PODFAB_MAKE_VERSION(PODFAB_VERSION_MAJOR, 0)))
		return 1;
	CHECK_ERR(podfab_init(&p, NULL), PODFAB_ENULL);

	/* Parameters. */
	base_params(&p, c, job);
	p.field_mask |= 1ull << 40;
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	base_params(&p, c, job);
	p.naccels = 0;
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	base_params(&p, c, job);
	p.naccels = -3;
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	base_params(&p, c, job);
	p.accel_id = 1;
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	base_params(&p, c, job);
	p.accel_id = -1;
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	base_params(&p, c, NULL);
	CHECK_INIT_FAILS(&p, PODFAB_ENULL);
	base_params(&p, c, "");
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	base_params(&p, c, "a.b");
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	memset(longjob, 'j', 49);
	longjob[49] = '\0';
	base_params(&p, c, longjob);
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	base_params(&p, c, job);
	p.field_mask |= PODFAB_PARAM_TRANSPORT;
	p.transport = NULL;
	CHECK_INIT_FAILS(&p, PODFAB_ENULL);
	p.transport = "no-such-transport";
	CHECK_INIT_FAILS(&p, PODFAB_ETRANSPORT);
	base_params(&p, c, job);
	p.field_mask |= PODFAB_PARAM_MODEL;
	p.model = NULL;
	CHECK_INIT_FAILS(&p, PODFAB_ENULL);
	base_params(&p, c, job);
	p.field_mask |= PODFAB_PARAM_TIMING;
	p.timing = (podfab_timing_t)7;
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	base_params(&p, c, job);
	p.field_mask |= PODFAB_PARAM_MAX_REQUESTS;
	p.max_requests = 0;
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	base_params(&p, c, job);
	p.field_mask |= PODFAB_PARAM_TIMEOUT_MS;
	p.timeout_ms = 0;
	CHECK_INIT_FAILS(&p, PODFAB_EINVAL);
	/* Realtime and virtual need the timing engine: not implemented yet, or working. */
	for (int tm = PODFAB_TIMING_REALTIME; tm <= PODFAB_TIMING_VIRTUAL; tm++) {
		base_params(&p, c, job);
		p.field_mask |= PODFAB_PARAM_TIMING;
		p.timing = (podfab_timing_t)tm;
		podfab_t h = NULL;
		int rc = podfab_init(&p, &h);
		CHECKF(rc == -PODFAB_ENOSYS || rc == 0, "timing %d: %s", tm, podfab_errname(rc));
		if (rc == 0) {
			CHECK_EQ(podfab_timing_mode(h), tm);
			CHECK_OK(podfab_finalize(h));
		}
	}

	/* The longest job name, every optional field, and a small request pool (EAGAIN). */
	snprintf(longjob, sizeof longjob, "L%ld", (long)getpid());
	for (size_t i = strlen(longjob); i < 48; i++)
		longjob[i] = 'k';
	longjob[48] = '\0';
	base_params(&p, c, longjob);
	p.field_mask |= PODFAB_PARAM_MODEL | PODFAB_PARAM_TIMING | PODFAB_PARAM_MAX_REQUESTS |
			PODFAB_PARAM_TIMEOUT_MS;
	p.model = "ualink-pod:accels=8,switches=2";
	p.timing = PODFAB_TIMING_FUNCTIONAL;
	p.max_requests = 4;
	p.timeout_ms = 10000;
	podfab_t h = NULL;
	CHECK_OK(podfab_init(&p, &h));
	CHECK_EQ(podfab_timing_mode(h), PODFAB_TIMING_FUNCTIONAL);
	CHECK(podfab_model(h) != NULL);
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(h, 4096, &seg));
	podfab_req_t r[5];
	uint64_t x = 5;
	for (int i = 0; i < 4; i++)
		CHECK_OK(podfab_put_nb(h, 0, seg, (size_t)i * 8, &x, 8, &r[i]));
	r[4] = (podfab_req_t)(void *)&r;
	CHECK_ERR(podfab_put_nb(h, 0, seg, 32, &x, 8, &r[4]), PODFAB_EAGAIN);
	CHECK_ERR(podfab_get_nb(h, &x, 0, seg, 32, 8, &r[4]), PODFAB_EAGAIN);
	CHECK_ERR(podfab_atomic_nb(h, 0, seg, 32, PODFAB_AOP_ADD, PODFAB_UINT64, 1, 0, NULL, &r[4]), PODFAB_EAGAIN);
	CHECK(r[4] == (podfab_req_t)(void *)&r);
	CHECK_ERR(podfab_seg_free(h, seg), PODFAB_EBUSY);
	r[4] = NULL;
	CHECK_OK(podfab_wait(h, r[0]));
	r[0] = NULL;
	CHECK_OK(podfab_put_nb(h, 0, seg, 32, &x, 8, &r[4]));
	CHECK_OK(podfab_wait_all(h, r, 5));
	for (int i = 0; i < 5; i++)
		CHECK(r[i] == NULL);
	CHECK_OK(podfab_seg_free(h, seg));
	CHECK_OK(podfab_finalize(h));

	/* The same job name again after the first pod has finalized. */
	base_params(&p, c, job);
	if (solo_ok(&p, PODFAB_API_VERSION) || solo_ok(&p, PODFAB_API_VERSION))
		return 1;

	/* A pod of two where the other accelerator never comes: -PODFAB_ETIMEDOUT, promptly. */
	base_params(&p, c, job2);
	p.naccels = 2;
	p.field_mask |= PODFAB_PARAM_TIMEOUT_MS;
	p.timeout_ms = 300;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INIT_FAILS(&p, PODFAB_ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECKF(secs >= 0.25 && secs < 10, "the 300 ms init timeout took %.3f s", secs);
	int left = leftovers(job2);
	if (left)
		fprintf(stderr, "note: %d /dev/shm/podfab.%s.* object(s) left after the failed init (removed)\n",
			left, job2);
	CHECKF(leftovers(job) == 0, "objects of finalized job %s left in /dev/shm", job);
	return 0;
}
