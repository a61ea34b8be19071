/*
 * cases-stress.c - a randomized mix of every operation, checked against a model.
 *
 *   pf-conform stress [SEED [STEPS]]      (or PF_CONFORM_SEED in the environment)
 *
 * Every accelerator runs a pseudo-random sequence seeded by (SEED, its id).
 * Each writes only its own slots in every target (words, bytes, private atomic
 * words), so their final contents follow from its sequence; shared words get
 * only commutative atomics (add, xor, and, or, min, max), so their final value
 * follows from all the sequences.  The writer orders what needs ordering
 * (fence before overwriting an unfenced write, quiet before reading one back) and
 * checks every read of its own slots (and of a read-only area) and every fetched
 * old value of its private words exactly.  At the end each accelerator recomputes all the sequences and
 * compares its whole segment byte for byte.
 */
#include <stdlib.h>

#include "conform.h"

enum { SW = 16, SBR = 128, SP = 8, SS = 24, SRO = 1024, MAXPEND = 32 };

struct layout {
	int n;
	size_t words, bytes, priv, shared, ro, size, units;
};

static void layout_init(struct layout *L, int n)
{
	L->n = n;
	L->words = 0;
	L->bytes = (size_t)n * SW * 8;
	L->priv = L->bytes + (size_t)n * SBR;
	L->shared = L->priv + (size_t)n * SP * 8;
	L->ro = L->shared + SS * 8;
	L->size = L->ro + SRO;
	L->units = L->size / 8;
}

static size_t off_word(int w, size_t j) { return ((size_t)w * SW + j) * 8; }
static size_t off_byte(const struct layout *L, int w, size_t b) { return L->bytes + (size_t)w * SBR + b; }
static size_t off_priv(const struct layout *L, int w, int k) { return L->priv + ((size_t)w * SP + (size_t)k) * 8; }
static size_t off_shared(const struct layout *L, int k) { return L->shared + (size_t)k * 8; }
static podfab_type_t priv_type(int k) { return (podfab_type_t)(k % 4); }
static podfab_type_t shared_type(int k) { return (podfab_type_t)(k / 6 % 4); }
static podfab_atomic_op_t shared_op(int k)
{
	static const podfab_atomic_op_t ops[6] = {PODFAB_AOP_ADD, PODFAB_AOP_XOR, PODFAB_AOP_AND,
						  PODFAB_AOP_OR, PODFAB_AOP_MIN, PODFAB_AOP_MAX};
	return ops[k % 6];
}

static uint64_t shared_init(int k)
{
	podfab_type_t t = shared_type(k);
	int is32 = pfc_type_size(t) == 4, sgn = t == PODFAB_INT32 || t == PODFAB_INT64;
	switch (shared_op(k)) {
	case PODFAB_AOP_AND: return is32 ? 0xffffffffu : ~0ull;
	case PODFAB_AOP_MIN: return is32 ? (sgn ? 0x7fffffffu : 0xffffffffu) : (sgn ? 0x7fffffffffffffffull : ~0ull);
	case PODFAB_AOP_MAX: return is32 ? (sgn ? 0x80000000u : 0) : (sgn ? 0x8000000000000000ull : 0);
	default: return 0;
	}
}

/* One writer's view of its own slots in every target. */
struct wmodel {
	uint64_t *words; /* [t][SW] */
	uint8_t *bytes;  /* [t][SBR] */
	uint64_t *priv;  /* [t][SP] */
};

static int wmodel_alloc(struct wmodel *m, int n)
{
	m->words = calloc((size_t)n * SW, 8);
	m->bytes = calloc((size_t)n * SBR, 1);
	m->priv = calloc((size_t)n * SP, 8);
	return m->words && m->bytes && m->priv ? 0 : -1;
}

static void wmodel_free(struct wmodel *m)
{
	free(m->words);
	free(m->bytes);
	free(m->priv);
}

/* K_GET_RO reads the read-only area that each owner filled before the first barrier. */
enum sop_kind { K_PUT_WORDS, K_PUT_BYTES, K_GET_WORDS, K_GET_BYTES, K_GET_RO, K_SHARED, K_PRIV, K_FENCE, K_QUIET };

static uint64_t ro_tag(int owner)
{
	return 0xab0000 + (uint64_t)owner;
}

struct sop {
	int kind, t, form; /* form: 0 blocking, 1 non-blocking NULL request, 2 non-blocking with request */
	size_t a, len;     /* words: first word and count; bytes and read-only area: offset and length */
	uint64_t seed;
	int k, fetch;
	podfab_atomic_op_t op;
	uint64_t operand, compare;
};

static void gen(uint64_t *rng, int n, const struct layout *L, const struct wmodel *m, struct sop *o)
{
	memset(o, 0, sizeof *o);
	unsigned r = (unsigned)(pfc_rand(rng) % 100);
	o->t = (int)(pfc_rand(rng) % (uint64_t)n);
	o->form = (int)(pfc_rand(rng) % 3);
	if (r < 20 || (r >= 40 && r < 45)) {
		o->kind = r < 20 ? K_PUT_WORDS : K_GET_WORDS;
		o->a = pfc_rand(rng) % SW;
		o->len = 1 + pfc_rand(rng) % 4;
		if (o->a + o->len > SW)
			o->len = SW - o->a;
		o->seed = pfc_rand(rng);
	} else if (r < 40 || (r >= 45 && r < 50)) {
		o->kind = r < 40 ? K_PUT_BYTES : K_GET_BYTES;
		o->a = pfc_rand(rng) % SBR;
		o->len = 1 + pfc_rand(rng) % (SBR - o->a);
		o->seed = pfc_rand(rng);
	} else if (r < 53) {
		o->kind = K_GET_RO;
		o->a = pfc_rand(rng) % SRO;
		size_t maxlen = SRO - o->a < SBR ? SRO - o->a : SBR;
		o->len = 1 + pfc_rand(rng) % maxlen;
	} else if (r < 75) {
		o->kind = K_SHARED;
		o->k = (int)(pfc_rand(rng) % SS);
		o->op = shared_op(o->k);
		o->operand = pfc_rand(rng);
		if (pfc_rand(rng) % 4 == 0) /* small values too, so that add and min/max hit interesting ranges */
			o->operand = (uint64_t)((int64_t)(pfc_rand(rng) % 33) - 16);
		o->fetch = (int)(pfc_rand(rng) % 2);
	} else if (r < 93) {
		o->kind = K_PRIV;
		o->k = (int)(pfc_rand(rng) % SP);
		o->op = (podfab_atomic_op_t)(pfc_rand(rng) % PODFAB_AOP_MAX_OP);
		o->operand = pfc_rand(rng);
		if (pfc_rand(rng) % 3 == 0)
			o->operand = (uint64_t)((int64_t)(pfc_rand(rng) % 9) - 4);
		o->compare = pfc_rand(rng) % 2 ? m->priv[(size_t)o->t * SP + (size_t)o->k] : pfc_rand(rng);
		o->fetch = o->op == PODFAB_AOP_FETCH ? 1 : o->op == PODFAB_AOP_SET ? 0 : (int)(pfc_rand(rng) % 2);
	} else if (r < 97) {
		o->kind = K_FENCE;
	} else {
		o->kind = K_QUIET;
	}
}

/* What the operation leaves in the writer's model. */
static void apply(struct wmodel *m, const struct sop *o)
{
	size_t t = (size_t)o->t;
	switch (o->kind) {
	case K_PUT_WORDS:
		for (size_t i = 0; i < o->len; i++)
			m->words[t * SW + o->a + i] = pfc_mix(o->seed + i);
		break;
	case K_PUT_BYTES:
		pfc_fill(m->bytes + t * SBR + o->a, o->len, o->seed, 0);
		break;
	case K_PRIV:
		m->priv[t * SP + (size_t)o->k] = pfc_amo_ref(o->op, priv_type(o->k), m->priv[t * SP + (size_t)o->k],
							    o->operand, o->compare);
		break;
	default:
		break;
	}
}

static uint64_t writer_seed(uint64_t seed, int w)
{
	return pfc_mix(seed ^ ((uint64_t)(w + 1) * 0x9e3779b97f4a7c15ull));
}

/* ---- the executor ------------------------------------------------------ */

struct pend {
	int used;          /* entries never move: their buffers may be in flight */
	podfab_req_t req;  /* NULL: completed by the next quiet */
	int check;         /* 0: nothing; 1: compare buf with expect (len bytes) */
	size_t len;
	uint8_t buf[SBR];  /* source of a put, destination of a get, result of an atomic */
	uint8_t expect[SBR];
	long step;
};

struct exec {
	podfab_t pf;
	podfab_seg_t seg;
	const struct layout *L;
	int n;
	uint8_t *wdirty, *rpend; /* [t][unit]: unfenced writes, incomplete reads */
	struct pend pend[MAXPEND];
	int npend;
	long forced_fences, forced_quiets, reaped_by_test;
};

static uint64_t vget(const void *p, size_t len)
{
	uint64_t v = 0;
	memcpy(&v, p, len < 8 ? len : 8);
	return v;
}

static int check_pend(podfab_t pf, struct pend *p)
{
	if (p->check) {
		uint64_t got = vget(p->buf, p->len), want = vget(p->expect, p->len);
		CHECKF(memcmp(p->buf, p->expect, p->len) == 0,
		       "step %ld: a non-blocking read of my own slots (%zu bytes) got other data (first 8 bytes 0x%llx, expected 0x%llx)",
		       p->step, p->len, (unsigned long long)got, (unsigned long long)want);
	}
	return 0;
}

static void pend_remove(struct exec *e, int i)
{
	e->pend[i].used = 0;
	e->npend--;
}

/* quiet: complete everything; NULL-request entries are checked now, the others when reaped. */
static int do_quiet(struct exec *e)
{
	podfab_t pf = e->pf;
	CHECK_OK(podfab_quiet(pf));
	memset(e->wdirty, 0, (size_t)e->n * e->L->units);
	memset(e->rpend, 0, (size_t)e->n * e->L->units);
	for (int i = 0; i < MAXPEND; i++) {
		if (e->pend[i].used && !e->pend[i].req) {
			if (check_pend(pf, &e->pend[i]))
				return 1;
			pend_remove(e, i);
		}
	}
	return 0;
}

static int do_fence(struct exec *e)
{
	podfab_t pf = e->pf;
	CHECK_OK(podfab_fence(pf));
	memset(e->wdirty, 0, (size_t)e->n * e->L->units);
	return 0;
}

static int reap(struct exec *e, int i, int by_test)
{
	podfab_t pf = e->pf;
	struct pend *p = &e->pend[i];
	if (by_test) {
		int done = 0;
		CHECK_OK(podfab_test(pf, p->req, &done));
		if (!done)
			return 0;
		e->reaped_by_test++;
	} else {
		CHECK_OK(podfab_wait(pf, p->req));
	}
	/* A completed read is no longer pending; a completed write is still unfenced. */
	if (check_pend(pf, p))
		return 1;
	pend_remove(e, i);
	return 0;
}

static int overlaps(const uint8_t *map, size_t u0, size_t u1)
{
	for (size_t u = u0; u <= u1; u++)
		if (map[u])
			return 1;
	return 0;
}

static void mark(uint8_t *map, size_t u0, size_t u1)
{
	for (size_t u = u0; u <= u1; u++)
		map[u] = 1;
}

/* A free pending entry, reaping (or quieting) when all are in use. */
static int pend_slot(struct exec *e, struct pend **out)
{
	if (e->npend == MAXPEND) {
		for (int i = 0; i < MAXPEND; i++)
			if (e->pend[i].used && e->pend[i].req && reap(e, i, 0))
				return 1;
		if (e->npend == MAXPEND && do_quiet(e))
			return 1;
	}
	for (int i = 0; i < MAXPEND; i++) {
		if (!e->pend[i].used) {
			*out = &e->pend[i];
			memset(*out, 0, offsetof(struct pend, buf));
			(*out)->used = 1;
			e->npend++;
			return 0;
		}
	}
	podfab_t pf = e->pf;
	CHECKF(0, "no free pending entry (%d in use)", e->npend);
	return 1;
}

static int run_op(struct exec *e, const struct sop *o, const struct wmodel *m, int me, long step)
{
	podfab_t pf = e->pf;
	const struct layout *L = e->L;
	uint8_t *wd = e->wdirty + (size_t)o->t * L->units, *rp = e->rpend + (size_t)o->t * L->units;
	size_t off = 0, len = 0;
	int writes = 0, reads = 0, own = 1;
	switch (o->kind) {
	case K_FENCE: return do_fence(e);
	case K_QUIET: return do_quiet(e);
	case K_PUT_WORDS: off = off_word(me, o->a); len = o->len * 8; writes = 1; break;
	case K_GET_WORDS: off = off_word(me, o->a); len = o->len * 8; reads = 1; break;
	case K_PUT_BYTES: off = off_byte(L, me, o->a); len = o->len; writes = 1; break;
	case K_GET_BYTES: off = off_byte(L, me, o->a); len = o->len; reads = 1; break;
	case K_GET_RO: off = L->ro + o->a; len = o->len; own = 0; break;
	case K_SHARED: off = off_shared(L, o->k); len = pfc_type_size(shared_type(o->k)); own = 0; break;
	default:
		off = off_priv(L, me, o->k);
		len = pfc_type_size(priv_type(o->k));
		writes = o->op != PODFAB_AOP_FETCH;
		reads = o->fetch;
		break;
	}
	size_t u0 = off / 8, u1 = (off + len - 1) / 8;
	if (own) {
		if (reads && overlaps(wd, u0, u1)) {
			e->forced_quiets++;
			if (do_quiet(e))
				return 1;
		}
		if (writes && overlaps(rp, u0, u1)) {
			e->forced_quiets++;
			if (do_quiet(e))
				return 1;
		}
		if (writes && overlaps(wd, u0, u1)) {
			e->forced_fences++;
			if (do_fence(e))
				return 1;
		}
	}
	struct pend *p = NULL;
	uint8_t local[SBR + 8];
	uint8_t *data = local;
	int nb = o->form != 0;
	if (nb && pend_slot(e, &p))
		return 1;
	if (p) {
		p->step = step;
		p->len = len <= SBR ? len : 0;
		data = p->buf;
	}
	podfab_req_t *rq = nb && o->form == 2 ? &p->req : NULL;
	size_t t = (size_t)o->t;
	int rc;
	switch (o->kind) {
	case K_PUT_WORDS:
		for (size_t i = 0; i < o->len; i++) {
			uint64_t v = pfc_mix(o->seed + i);
			memcpy(data + i * 8, &v, 8);
		}
		rc = nb ? podfab_put_nb(pf, o->t, e->seg, off, data, len, rq) : podfab_put(pf, o->t, e->seg, off, data, len);
		break;
	case K_PUT_BYTES:
		pfc_fill(data, len, o->seed, 0);
		rc = nb ? podfab_put_nb(pf, o->t, e->seg, off, data, len, rq) : podfab_put(pf, o->t, e->seg, off, data, len);
		break;
	case K_GET_WORDS:
	case K_GET_BYTES: {
		const uint8_t *exp = o->kind == K_GET_WORDS ? (const uint8_t *)(m->words + t * SW + o->a)
							    : m->bytes + t * SBR + o->a;
		if (p) {
			memcpy(p->expect, exp, len);
			p->check = 1;
		}
		memset(data, 0xee, len);
		rc = nb ? podfab_get_nb(pf, data, o->t, e->seg, off, len, rq) : podfab_get(pf, data, o->t, e->seg, off, len);
		if (!rc && !nb)
			CHECKF(memcmp(data, exp, len) == 0, "step %ld: get of %zu bytes of my slots at %zu on %d: other data", step,
			       len, off, o->t);
		break;
	}
	case K_GET_RO:
		if (p) {
			pfc_fill(p->expect, len, ro_tag(o->t), o->a);
			p->check = 1;
		}
		memset(data, 0xee, len);
		rc = nb ? podfab_get_nb(pf, data, o->t, e->seg, off, len, rq) : podfab_get(pf, data, o->t, e->seg, off, len);
		if (!rc && !nb)
			CHECKF(pfc_verify(data, len, ro_tag(o->t), o->a) < 0, "step %ld: get of %zu bytes of %d's read-only area at %zu: other data",
			       step, len, o->t, o->a);
		break;
	case K_SHARED: {
		podfab_type_t ty = shared_type(o->k);
		void *res = o->fetch ? data : NULL;
		if (p)
			p->len = 0;
		rc = nb ? podfab_atomic_nb(pf, o->t, e->seg, off, o->op, ty, o->operand, 0, res, rq)
			: podfab_atomic(pf, o->t, e->seg, off, o->op, ty, o->operand, 0, res);
		break;
	}
	default: {
		podfab_type_t ty = priv_type(o->k);
		uint64_t old = m->priv[t * SP + (size_t)o->k];
		void *res = o->fetch ? data : NULL;
		if (p && o->fetch) {
			memcpy(p->expect, &old, len);
			p->check = 1;
		} else if (p) {
			p->len = 0;
		}
		rc = nb ? podfab_atomic_nb(pf, o->t, e->seg, off, o->op, ty, o->operand, o->compare, res, rq)
			: podfab_atomic(pf, o->t, e->seg, off, o->op, ty, o->operand, o->compare, res);
		if (!rc && !nb && o->fetch)
			CHECKF(memcmp(data, &old, len) == 0, "step %ld: %s %s on my word %d of %d fetched the wrong old value (0x%llx, expected 0x%llx)",
			       step, pfc_op_name(o->op), pfc_type_name(ty), o->k, o->t, (unsigned long long)vget(data, len),
			       (unsigned long long)old);
		break;
	}
	}
	CHECKF(rc == 0, "step %ld: operation kind %d form %d on %d failed: %s (%s)", step, o->kind, o->form, o->t,
	       podfab_errname(rc), podfab_error_detail());
	if (own) {
		/* Blocking fetching atomics and blocking gets are complete on return. */
		int done_now = !nb && (o->kind == K_GET_WORDS || o->kind == K_GET_BYTES ||
				       (o->kind == K_PRIV && o->fetch));
		if (writes && !done_now)
			mark(wd, u0, u1);
		if (reads && nb)
			mark(rp, u0, u1);
	}
	return 0;
}

/* ---- the case ---------------------------------------------------------- */

int case_stress(podfab_t pf, const struct pfc *c)
{
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	uint64_t seed = 0x5eed;
	const char *es = getenv("PF_CONFORM_SEED");
	if (c->argc >= 1)
		seed = strtoull(c->argv[0], NULL, 0);
	else if (es && *es)
		seed = strtoull(es, NULL, 0);
	long steps = c->argc >= 2 ? atol(c->argv[1]) : pfc_iters(c, 50000, 1000);
	struct layout L;
	layout_init(&L, n);
	podfab_seg_t seg;
	CHECK_OK(podfab_seg_alloc(pf, L.size, &seg));
	uint8_t *mine = podfab_seg_addr(pf, seg);
	CHECK(mine != NULL);
	for (int k = 0; k < SS; k++) {
		uint64_t v = shared_init(k);
		memcpy(mine + off_shared(&L, k), &v, 8);
	}
	pfc_fill(mine + L.ro, SRO, ro_tag(me), 0);
	CHECK_OK(podfab_barrier(pf));

	struct exec e;
	memset(&e, 0, sizeof e);
	e.pf = pf;
	e.seg = seg;
	e.L = &L;
	e.n = n;
	e.wdirty = calloc((size_t)n, L.units);
	e.rpend = calloc((size_t)n, L.units);
	struct wmodel m;
	CHECK(e.wdirty && e.rpend && wmodel_alloc(&m, n) == 0);
	uint64_t rng = writer_seed(seed, me), ctl = pfc_mix(seed + 77 + (uint64_t)me);
	for (long s = 0; s < steps; s++) {
		struct sop o;
		gen(&rng, n, &L, &m, &o);
		if (run_op(&e, &o, &m, me, s)) {
			fprintf(stderr, "accel %d: stress seed 0x%llx steps %ld failed at step %ld\n", me,
				(unsigned long long)seed, steps, s);
			return 1;
		}
		apply(&m, &o);
		/* Reap now and then, by test or by wait (this does not change memory). */
		uint64_t x = pfc_rand(&ctl);
		if (x % 8 == 0 && e.npend) {
			int i = (int)(x / 8 % MAXPEND);
			if (e.pend[i].used && e.pend[i].req && reap(&e, i, (int)(x / 1024 % 2)))
				return 1;
		}
	}
	for (int i = 0; i < MAXPEND; i++)
		if (e.pend[i].used && e.pend[i].req && reap(&e, i, 0))
			return 1;
	if (do_quiet(&e))
		return 1;
	CHECK(e.npend == 0);

	/* My view of my slots everywhere matches what the targets hold (once everyone is done). */
	CHECK_OK(podfab_barrier(pf));
	uint8_t *buf = malloc(L.size);
	CHECK(buf != NULL);
	for (int t = 0; t < n; t++) {
		CHECK_OK(podfab_get(pf, buf, t, seg, 0, L.size));
		CHECK(memcmp(buf + off_word(me, 0), m.words + (size_t)t * SW, SW * 8) == 0);
		CHECK(memcmp(buf + off_byte(&L, me, 0), m.bytes + (size_t)t * SBR, SBR) == 0);
		for (int k = 0; k < SP; k++) {
			uint64_t v;
			memcpy(&v, buf + off_priv(&L, me, k), 8);
			CHECKF(v == m.priv[(size_t)t * SP + (size_t)k], "my private word %d on %d: 0x%llx, model 0x%llx", k, t,
			       (unsigned long long)v, (unsigned long long)m.priv[(size_t)t * SP + (size_t)k]);
		}
	}
	free(buf);
	wmodel_free(&m);
	CHECK_OK(podfab_barrier(pf));

	/* Recompute everyone's sequence and compare my whole segment. */
	uint8_t *expect = calloc(1, L.size);
	CHECK(expect != NULL);
	uint64_t shared[SS];
	for (int k = 0; k < SS; k++)
		shared[k] = shared_init(k);
	for (int w = 0; w < n; w++) {
		struct wmodel wm;
		CHECK(wmodel_alloc(&wm, n) == 0);
		uint64_t r = writer_seed(seed, w);
		for (long s = 0; s < steps; s++) {
			struct sop o;
			gen(&r, n, &L, &wm, &o);
			if (o.kind == K_SHARED && o.t == me)
				shared[o.k] = pfc_amo_ref(o.op, shared_type(o.k), shared[o.k], o.operand, 0);
			apply(&wm, &o);
		}
		memcpy(expect + off_word(w, 0), wm.words + (size_t)me * SW, SW * 8);
		memcpy(expect + off_byte(&L, w, 0), wm.bytes + (size_t)me * SBR, SBR);
		memcpy(expect + off_priv(&L, w, 0), wm.priv + (size_t)me * SP, SP * 8);
		wmodel_free(&wm);
	}
	for (int k = 0; k < SS; k++)
		memcpy(expect + off_shared(&L, k), &shared[k], 8);
	pfc_fill(expect + L.ro, SRO, ro_tag(me), 0);
	size_t bad = 0;
	while (bad < L.size && mine[bad] == expect[bad])
		bad++;
	free(expect);
	free(e.wdirty);
	free(e.rpend);
	CHECKF(bad == L.size, "seed 0x%llx: byte %zu of my segment differs from the model (words end %zu, bytes end %zu, private end %zu, shared end %zu)",
	       (unsigned long long)seed, bad, L.bytes, L.priv, L.shared, L.ro);
	if (getenv("PF_CONFORM_VERBOSE"))
		fprintf(stderr, "accel %d: stress seed 0x%llx: %ld steps, %ld forced fences, %ld forced quiets, %ld reaped by test\n",
			me, (unsigned long long)seed, steps, e.forced_fences, e.forced_quiets, e.reaped_by_test);
	CHECK_OK(podfab_barrier(pf));
	CHECK_OK(podfab_seg_free(pf, seg));
	return 0;
}
