/*
 * test_team.c - OpenSHMEM 1.5 section 9.4 (teams): SHMEM_TEAM_WORLD and
 * SHMEM_TEAM_SHARED; shmem_team_split_strided with uneven splits (even PEs,
 * odd PEs, a one-PE team, strides of 3, a copy of the world) where the
 * non-members get SHMEM_TEAM_INVALID, and invalid triplets; team_my_pe,
 * team_n_pes and team_translate_pe both ways (-1 for non-members and for
 * SHMEM_TEAM_INVALID); a split of a split; shmem_team_split_2d with xrange
 * 2, 3 and one larger than the team (uneven last row), on the world and on
 * a subteam; shmem_team_get_config; contexts made from a team
 * (shmem_team_create_ctx) whose puts, gets and atomics take team-relative
 * PE numbers, shmem_ctx_get_team and shmem_team_ptr; shmem_team_sync on
 * teams that run at the same time; shmem_team_destroy and 100 create /
 * destroy cycles.
 */
#include <stdint.h>
#include <string.h>

#include "shmem_test.h"

static int me, npes;
static long gl_ident; /* a global holding this PE's world number */

/* A team given as a strided subset of the world */
struct shape {
	int start, stride, size;
};

static int in_shape(struct shape s, int pe)
{
	return pe >= s.start && (pe - s.start) % s.stride == 0 && (pe - s.start) / s.stride < s.size;
}

static int shape_world(struct shape s, int i)
{
	return s.start + i * s.stride;
}

/*
 * Checks everything that this PE can see of team t, which should hold the
 * world PEs of shape s: the handle, my_pe, n_pes and every translation.
 */
static void check_team(shmem_team_t t, struct shape s, const char *what)
{
	if (!in_shape(s, me)) {
		CHECK(t == SHMEM_TEAM_INVALID, "%s: PE %d is not a member but got a team", what, me);
		CHECK(shmem_team_my_pe(t) == -1, "%s: team_my_pe(SHMEM_TEAM_INVALID) = %d", what,
		      shmem_team_my_pe(t));
		CHECK(shmem_team_n_pes(t) == -1, "%s: team_n_pes(SHMEM_TEAM_INVALID) = %d", what,
		      shmem_team_n_pes(t));
		CHECK(shmem_team_translate_pe(SHMEM_TEAM_WORLD, me, t) == -1,
		      "%s: translate into SHMEM_TEAM_INVALID", what);
		CHECK(shmem_team_translate_pe(t, 0, SHMEM_TEAM_WORLD) == -1,
		      "%s: translate from SHMEM_TEAM_INVALID", what);
		return;
	}
	CHECK(t != SHMEM_TEAM_INVALID, "%s: member PE %d got SHMEM_TEAM_INVALID", what, me);
	int tme = shmem_team_my_pe(t), tn = shmem_team_n_pes(t);
	CHECK(tme == (me - s.start) / s.stride, "%s: team_my_pe %d, want %d", what, tme,
	      (me - s.start) / s.stride);
	CHECK(tn == s.size, "%s: team_n_pes %d, want %d", what, tn, s.size);
	for (int i = 0; i < s.size; i++) {
		int w = shape_world(s, i);
		int got = shmem_team_translate_pe(t, i, SHMEM_TEAM_WORLD);
		CHECK(got == w, "%s: team PE %d -> world %d, want %d", what, i, got, w);
		got = shmem_team_translate_pe(SHMEM_TEAM_WORLD, w, t);
		CHECK(got == i, "%s: world PE %d -> team %d, want %d", what, w, got, i);
		got = shmem_team_translate_pe(t, i, t);
		CHECK(got == i, "%s: team PE %d -> same team %d", what, i, got);
	}
	for (int p = 0; p < npes; p++) {
		int want = in_shape(s, p) ? (p - s.start) / s.stride : -1;
		int got = shmem_team_translate_pe(SHMEM_TEAM_WORLD, p, t);
		CHECK(got == want, "%s: world PE %d -> team %d, want %d", what, p, got, want);
	}
	CHECK(shmem_team_translate_pe(t, s.size, SHMEM_TEAM_WORLD) == -1, "%s: team PE %d (past the end)", what,
	      s.size);
	CHECK(shmem_team_translate_pe(t, -1, SHMEM_TEAM_WORLD) == -1, "%s: team PE -1", what);
	CHECK(shmem_team_translate_pe(t, 0, SHMEM_TEAM_INVALID) == -1, "%s: translate into SHMEM_TEAM_INVALID",
	      what);
	CHECK(shmem_team_translate_pe(SHMEM_TEAM_INVALID, 0, t) == -1, "%s: translate from SHMEM_TEAM_INVALID",
	      what);
}

static void predefined(void)
{
	CHECK(shmem_team_my_pe(SHMEM_TEAM_WORLD) == me, "world my_pe %d", shmem_team_my_pe(SHMEM_TEAM_WORLD));
	CHECK(shmem_team_n_pes(SHMEM_TEAM_WORLD) == npes, "world n_pes %d", shmem_team_n_pes(SHMEM_TEAM_WORLD));
	CHECK(shmem_team_my_pe(SHMEM_TEAM_INVALID) == -1, "my_pe of SHMEM_TEAM_INVALID");
	CHECK(shmem_team_n_pes(SHMEM_TEAM_INVALID) == -1, "n_pes of SHMEM_TEAM_INVALID");
	for (int p = 0; p < npes; p++)
		CHECK(shmem_team_translate_pe(SHMEM_TEAM_WORLD, p, SHMEM_TEAM_WORLD) == p, "world -> world %d", p);
	CHECK(shmem_team_translate_pe(SHMEM_TEAM_WORLD, npes, SHMEM_TEAM_WORLD) == -1, "world PE npes");

	/* the shared team holds the caller, and shmem_ptr reaches all its members */
	int sn = shmem_team_n_pes(SHMEM_TEAM_SHARED), sme = shmem_team_my_pe(SHMEM_TEAM_SHARED);
	CHECK(sn >= 1 && sn <= npes, "shared n_pes %d", sn);
	CHECK(sme >= 0 && sme < sn, "shared my_pe %d of %d", sme, sn);
	CHECK(shmem_team_translate_pe(SHMEM_TEAM_SHARED, sme, SHMEM_TEAM_WORLD) == me, "shared my_pe -> world %d",
	      shmem_team_translate_pe(SHMEM_TEAM_SHARED, sme, SHMEM_TEAM_WORLD));
	long *obj = shmem_malloc(sizeof(long));
	for (int i = 0; i < sn; i++) {
		int w = shmem_team_translate_pe(SHMEM_TEAM_SHARED, i, SHMEM_TEAM_WORLD);
		CHECK(w >= 0 && w < npes, "shared PE %d -> world %d", i, w);
		CHECK(shmem_team_translate_pe(SHMEM_TEAM_WORLD, w, SHMEM_TEAM_SHARED) == i, "world %d -> shared", w);
		CHECK(shmem_ptr(obj, w) != NULL, "shmem_ptr to shared team member %d (world %d) is NULL", i, w);
		CHECK(shmem_team_ptr(SHMEM_TEAM_SHARED, obj, i) == shmem_ptr(obj, w), "team_ptr(shared, %d)", i);
	}
	CHECK(shmem_team_sync(SHMEM_TEAM_SHARED) == 0, "team_sync(shared)");
	CHECK(shmem_team_sync(SHMEM_TEAM_WORLD) == 0, "team_sync(world)");
	shmem_team_config_t cfg;
	CHECK(shmem_team_get_config(SHMEM_TEAM_WORLD, SHMEM_TEAM_NUM_CONTEXTS, &cfg) == 0, "get_config(world)");
	cfg.num_contexts = 77;
	CHECK(shmem_team_get_config(SHMEM_TEAM_INVALID, SHMEM_TEAM_NUM_CONTEXTS, &cfg) != 0,
	      "get_config(SHMEM_TEAM_INVALID) returned 0");
	/*
	 * 1.5 leaves team_sync on SHMEM_TEAM_INVALID undefined; libpodfab-shmem
	 * returns nonzero, as for the other team routines.
	 */
	CHECK(shmem_team_sync(SHMEM_TEAM_INVALID) != 0, "team_sync(SHMEM_TEAM_INVALID) returned 0");

	/* contexts and the world team */
	shmem_team_t t = SHMEM_TEAM_INVALID;
	CHECK(shmem_ctx_get_team(SHMEM_CTX_DEFAULT, &t) == 0 && t == SHMEM_TEAM_WORLD, "ctx_get_team(default)");
	shmem_ctx_t c;
	CHECK(shmem_ctx_create(0, &c) == 0, "ctx_create");
	t = SHMEM_TEAM_INVALID;
	CHECK(shmem_ctx_get_team(c, &t) == 0 && t == SHMEM_TEAM_WORLD, "ctx_get_team of shmem_ctx_create");
	shmem_ctx_destroy(c);
	t = SHMEM_TEAM_WORLD;
	CHECK(shmem_ctx_get_team(SHMEM_CTX_INVALID, &t) != 0, "ctx_get_team(SHMEM_CTX_INVALID) returned 0");
	CHECK(t == SHMEM_TEAM_INVALID, "ctx_get_team(SHMEM_CTX_INVALID) gave a team");
	c = SHMEM_CTX_DEFAULT;
	CHECK(shmem_team_create_ctx(SHMEM_TEAM_INVALID, 0, &c) != 0, "team_create_ctx(SHMEM_TEAM_INVALID) returned 0");
	CHECK(c == SHMEM_CTX_INVALID, "team_create_ctx(SHMEM_TEAM_INVALID) gave a context");
	c = SHMEM_CTX_INVALID;
	CHECK(shmem_team_create_ctx(SHMEM_TEAM_WORLD, 0, &c) == 0 && c != SHMEM_CTX_INVALID, "team_create_ctx(world)");
	CHECK(shmem_ctx_get_team(c, &t) == 0 && t == SHMEM_TEAM_WORLD, "ctx_get_team of a world context");
	CHECK(shmem_ctx_long_g(c, &gl_ident, (me + 1) % npes) == (me + 1) % npes, "g on a world context");
	shmem_ctx_destroy(c);
	shmem_barrier_all();
	shmem_free(obj);
}

/* a split of the world by (start, stride, size), checked; config as given */
static shmem_team_t split(struct shape s, const shmem_team_config_t *cfg, long mask, const char *what)
{
	shmem_team_t t = SHMEM_TEAM_WORLD; /* must be overwritten on non-members too */
	int rc = shmem_team_split_strided(SHMEM_TEAM_WORLD, s.start, s.stride, s.size, cfg, mask, &t);
	CHECK(rc == 0, "%s: split_strided(%d, %d, %d) returned %d", what, s.start, s.stride, s.size, rc);
	check_team(t, s, what);
	return t;
}

/*
 * Through a context made from team t (shape s, num_contexts requested):
 * puts, gets and atomics with team PE numbers land on the translated world
 * PEs, and nothing lands on the others.
 */
static void team_context(shmem_team_t t, struct shape s, long *slots, long *count, const char *what)
{
	memset(slots, 0, 3 * (size_t)npes * sizeof(long));
	*count = 0;
	shmem_barrier_all();
	shmem_ctx_t ctx = SHMEM_CTX_INVALID;
	if (t != SHMEM_TEAM_INVALID) {
		int tme = shmem_team_my_pe(t), tn = shmem_team_n_pes(t);
		CHECK(shmem_team_create_ctx(t, SHMEM_CTX_SERIALIZED, &ctx) == 0 && ctx != SHMEM_CTX_INVALID,
		      "%s: team_create_ctx", what);
		shmem_team_t back = SHMEM_TEAM_INVALID;
		CHECK(shmem_ctx_get_team(ctx, &back) == 0 && back == t, "%s: ctx_get_team is not the team", what);
		int right = (tme + 1) % tn;
		/* team PE right is world PE shape_world(s, right) */
		shmem_ctx_long_p(ctx, &slots[tme], 1000 + me, right);
		long two[2] = {2000 + me, 3000 + me};
		shmem_ctx_long_put(ctx, &slots[npes + 2 * tme], two, 2, right);
		shmem_ctx_long_atomic_add(ctx, count, me + 1, 0); /* team PE 0 */
		for (int i = 0; i < tn; i++) {
			long got = shmem_ctx_long_g(ctx, &gl_ident, i);
			CHECK(got == shape_world(s, i), "%s: g from team PE %d read world PE %ld, want %d", what, i,
			      got, shape_world(s, i));
			CHECK(shmem_team_ptr(t, &gl_ident, i) == shmem_ptr(&gl_ident, shape_world(s, i)),
			      "%s: team_ptr(team PE %d) is not shmem_ptr(world PE %d)", what, i, shape_world(s, i));
		}
		shmem_ctx_quiet(ctx);
	}
	shmem_barrier_all();
	/* what every world PE should hold now */
	for (int p = 0; p < 3 * npes; p++) {
		long want = 0;
		if (in_shape(s, me)) {
			int tme = (me - s.start) / s.stride;
			int left = (tme + s.size - 1) % s.size, lw = shape_world(s, left);
			if (p == left)
				want = 1000 + lw;
			else if (p == npes + 2 * left)
				want = 2000 + lw;
			else if (p == npes + 2 * left + 1)
				want = 3000 + lw;
		}
		CHECK(slots[p] == want, "%s: slot %d holds %ld, want %ld", what, p, slots[p], want);
	}
	long want = 0;
	if (me == s.start)
		for (int i = 0; i < s.size; i++)
			want += shape_world(s, i) + 1;
	CHECK(*count == want, "%s: atomic count %ld on world PE %d, want %ld", what, *count, me, want);
	if (ctx != SHMEM_CTX_INVALID)
		shmem_ctx_destroy(ctx);
	shmem_barrier_all();
}

static void strided(void)
{
	long *slots = shmem_calloc(3 * (size_t)npes, sizeof(long)); /* p, then put pairs */
	long *count = shmem_calloc(1, sizeof(long));
	shmem_team_config_t cfg = {.num_contexts = 2};

	struct shape even = {0, 2, (npes + 1) / 2};
	struct shape odd = {1, 2, npes / 2};
	struct shape last = {npes - 1, 1, 1};
	struct shape three = {0, 3, (npes + 2) / 3};
	struct shape three1 = {1, 3, (npes + 1) / 3};
	struct shape all = {0, 1, npes};

	shmem_team_t te = split(even, &cfg, SHMEM_TEAM_NUM_CONTEXTS, "even");
	shmem_team_t to = SHMEM_TEAM_INVALID;
	if (odd.size > 0)
		to = split(odd, &cfg, SHMEM_TEAM_NUM_CONTEXTS, "odd");
	shmem_team_t tl = split(last, NULL, 0, "last");
	shmem_team_t t3 = split(three, &cfg, SHMEM_TEAM_NUM_CONTEXTS, "stride 3");
	shmem_team_t t31 = SHMEM_TEAM_INVALID;
	if (three1.size > 0)
		t31 = split(three1, NULL, 0, "stride 3 from 1");
	shmem_team_t ta = split(all, &cfg, SHMEM_TEAM_NUM_CONTEXTS, "all");

	/* the configuration given at the split, the default (0 contexts) otherwise */
	shmem_team_config_t got;
	if (te != SHMEM_TEAM_INVALID) {
		got.num_contexts = -1;
		CHECK(shmem_team_get_config(te, SHMEM_TEAM_NUM_CONTEXTS, &got) == 0 && got.num_contexts == 2,
		      "get_config(even): num_contexts %d, want 2", got.num_contexts);
	}
	if (tl != SHMEM_TEAM_INVALID) {
		got.num_contexts = -1;
		CHECK(shmem_team_get_config(tl, SHMEM_TEAM_NUM_CONTEXTS, &got) == 0 && got.num_contexts == 0,
		      "get_config(last): num_contexts %d, want the default 0", got.num_contexts);
	}

	/* translation between two subteams: the common members only */
	if (te != SHMEM_TEAM_INVALID && t3 != SHMEM_TEAM_INVALID) {
		/* even and stride 3 share the world PEs 0, 6, 12, ... */
		for (int i = 0; i < even.size; i++) {
			int w = shape_world(even, i);
			int want = in_shape(three, w) ? (w - three.start) / three.stride : -1;
			int g = shmem_team_translate_pe(te, i, t3);
			CHECK(g == want, "even PE %d (world %d) -> stride-3 team %d, want %d", i, w, g, want);
		}
		for (int i = 0; i < three.size; i++) {
			int w = shape_world(three, i);
			int want = in_shape(even, w) ? w / 2 : -1;
			int g = shmem_team_translate_pe(t3, i, te);
			CHECK(g == want, "stride-3 PE %d (world %d) -> even team %d, want %d", i, w, g, want);
		}
	}
	if (te != SHMEM_TEAM_INVALID && ta != SHMEM_TEAM_INVALID)
		for (int i = 0; i < even.size; i++)
			CHECK(shmem_team_translate_pe(te, i, ta) == 2 * i, "even PE %d -> copy of world", i);

	/* a split of a split: every other PE of the even team = world 0, 4, 8, ... */
	shmem_team_t tee = SHMEM_TEAM_WORLD;
	struct shape ee = {0, 4, (even.size + 1) / 2};
	if (te != SHMEM_TEAM_INVALID) {
		CHECK(shmem_team_split_strided(te, 0, 2, ee.size, NULL, 0, &tee) == 0, "split of the even team");
		check_team(tee, ee, "split of even");
		if (tee != SHMEM_TEAM_INVALID) {
			for (int i = 0; i < ee.size; i++) {
				CHECK(shmem_team_translate_pe(tee, i, te) == 2 * i, "split of even: PE %d -> even", i);
				CHECK(shmem_team_translate_pe(te, 2 * i, tee) == i, "even PE %d -> split of even", 2 * i);
			}
			if (even.size > 1)
				CHECK(shmem_team_translate_pe(te, 1, tee) == -1, "even PE 1 is not in the split of even");
			CHECK(shmem_team_sync(tee) == 0, "team_sync(split of even)");
		}
	} else {
		/* splitting SHMEM_TEAM_INVALID gives SHMEM_TEAM_INVALID without a collective */
		(void)shmem_team_split_strided(SHMEM_TEAM_INVALID, 0, 1, 1, NULL, 0, &tee);
		CHECK(tee == SHMEM_TEAM_INVALID, "split of SHMEM_TEAM_INVALID gave a team");
		check_team(tee, ee, "split of even");
	}
	/* split of the odd team: its last PE alone */
	if (to != SHMEM_TEAM_INVALID) {
		shmem_team_t tol = SHMEM_TEAM_WORLD;
		CHECK(shmem_team_split_strided(to, odd.size - 1, 1, 1, NULL, 0, &tol) == 0, "split of the odd team");
		struct shape ol = {shape_world(odd, odd.size - 1), 1, 1};
		check_team(tol, ol, "split of odd");
		shmem_team_destroy(tol);
	}

	/* contexts on teams, with team-relative PE numbers */
	team_context(te, even, slots, count, "even ctx");
	if (odd.size > 0)
		team_context(to, odd, slots, count, "odd ctx");
	team_context(t3, three, slots, count, "stride-3 ctx");
	team_context(ta, all, slots, count, "all ctx");

	/* invalid triplets: nonzero on every PE and SHMEM_TEAM_INVALID */
	shmem_team_t bad = SHMEM_TEAM_WORLD;
	CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 1, npes + 1, NULL, 0, &bad) != 0,
	      "split of %d PEs out of %d returned 0", npes + 1, npes);
	CHECK(bad == SHMEM_TEAM_INVALID, "too large a split gave a team");
	bad = SHMEM_TEAM_WORLD;
	CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, npes, 1, 1, NULL, 0, &bad) != 0,
	      "split starting at PE %d returned 0", npes);
	CHECK(bad == SHMEM_TEAM_INVALID, "a split past the end gave a team");
	bad = SHMEM_TEAM_WORLD;
	CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 1, 0, NULL, 0, &bad) != 0, "split of size 0 returned 0");
	CHECK(bad == SHMEM_TEAM_INVALID, "a split of size 0 gave a team");

	shmem_team_destroy(tee);
	shmem_team_destroy(ta);
	shmem_team_destroy(t31);
	shmem_team_destroy(t3);
	shmem_team_destroy(tl);
	shmem_team_destroy(to);
	shmem_team_destroy(te);
	shmem_barrier_all();
	shmem_free(count);
	shmem_free(slots);
}

/*
 * split_2d of a parent team of n PEs (this PE is parent PE pme) with xrange
 * xr: x = pme % xr, y = pme / xr; the last row may be short.
 */
static void check_2d(shmem_team_t parent, int xr, const char *what)
{
	int n = shmem_team_n_pes(parent), pme = shmem_team_my_pe(parent);
	shmem_team_config_t xcfg = {.num_contexts = 1};
	shmem_team_t xt = SHMEM_TEAM_INVALID, yt = SHMEM_TEAM_INVALID;
	int rc = shmem_team_split_2d(parent, xr, &xcfg, SHMEM_TEAM_NUM_CONTEXTS, &xt, NULL, 0, &yt);
	CHECK(rc == 0, "%s: split_2d(xrange %d) returned %d", what, xr, rc);
	CHECK(xt != SHMEM_TEAM_INVALID && yt != SHMEM_TEAM_INVALID, "%s: split_2d gave SHMEM_TEAM_INVALID", what);
	int ex = xr > n ? n : xr; /* a larger xrange acts as the team size */
	int x = pme % ex, y = pme / ex;
	int rows = (n + ex - 1) / ex;
	int xn = y < rows - 1 ? ex : n - ex * (rows - 1);
	int yn = (n - x + ex - 1) / ex;
	CHECK(shmem_team_my_pe(xt) == x, "%s xrange %d: x team my_pe %d, want x = %d", what, xr,
	      shmem_team_my_pe(xt), x);
	CHECK(shmem_team_my_pe(yt) == y, "%s xrange %d: y team my_pe %d, want y = %d", what, xr,
	      shmem_team_my_pe(yt), y);
	CHECK(shmem_team_n_pes(xt) == xn, "%s xrange %d: x team n_pes %d, want %d", what, xr, shmem_team_n_pes(xt),
	      xn);
	CHECK(shmem_team_n_pes(yt) == yn, "%s xrange %d: y team n_pes %d, want %d", what, xr, shmem_team_n_pes(yt),
	      yn);
	for (int i = 0; i < xn; i++)
		CHECK(shmem_team_translate_pe(xt, i, parent) == y * ex + i, "%s xrange %d: x team PE %d -> parent %d",
		      what, xr, i, shmem_team_translate_pe(xt, i, parent));
	for (int j = 0; j < yn; j++)
		CHECK(shmem_team_translate_pe(yt, j, parent) == j * ex + x, "%s xrange %d: y team PE %d -> parent %d",
		      what, xr, j, shmem_team_translate_pe(yt, j, parent));
	for (int i = 0; i < xn; i++)
		if (i != x)
			CHECK(shmem_team_translate_pe(xt, i, yt) == -1, "%s xrange %d: x team PE %d is in the y team",
			      what, xr, i);
	CHECK(shmem_team_translate_pe(xt, x, yt) == y, "%s xrange %d: me in x team -> y team", what, xr);
	shmem_team_config_t got = {.num_contexts = -1};
	CHECK(shmem_team_get_config(xt, SHMEM_TEAM_NUM_CONTEXTS, &got) == 0 && got.num_contexts == 1,
	      "%s xrange %d: x team num_contexts %d, want 1", what, xr, got.num_contexts);
	got.num_contexts = -1;
	CHECK(shmem_team_get_config(yt, SHMEM_TEAM_NUM_CONTEXTS, &got) == 0 && got.num_contexts == 0,
	      "%s xrange %d: y team num_contexts %d, want 0", what, xr, got.num_contexts);
	/* rows and columns sync at the same time */
	for (int k = 0; k < 3; k++) {
		CHECK(shmem_team_sync(xt) == 0, "%s: team_sync(x team)", what);
		CHECK(shmem_team_sync(yt) == 0, "%s: team_sync(y team)", what);
	}
	shmem_team_destroy(yt);
	shmem_team_destroy(xt);
}

static void two_d(void)
{
	check_2d(SHMEM_TEAM_WORLD, 1, "world");
	check_2d(SHMEM_TEAM_WORLD, 2, "world");
	check_2d(SHMEM_TEAM_WORLD, 3, "world");
	check_2d(SHMEM_TEAM_WORLD, npes + 3, "world");
	shmem_team_t te;
	CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 2, (npes + 1) / 2, NULL, 0, &te) == 0, "split even");
	if (te != SHMEM_TEAM_INVALID) {
		check_2d(te, 2, "even team");
		check_2d(te, 3, "even team");
	} else {
		shmem_team_t xt = SHMEM_TEAM_WORLD, yt = SHMEM_TEAM_WORLD;
		(void)shmem_team_split_2d(SHMEM_TEAM_INVALID, 2, NULL, 0, &xt, NULL, 0, &yt);
		CHECK(xt == SHMEM_TEAM_INVALID && yt == SHMEM_TEAM_INVALID, "split_2d of SHMEM_TEAM_INVALID gave a team");
	}
	shmem_team_destroy(te);
	shmem_barrier_all();
}

/*
 * team_sync on the even and the odd team at the same time: each round every
 * member adds to a counter on its team's PE 0, completes it with quiet, and
 * syncs; after the sync the team's PE 0 sees every add of the round.
 */
static void syncs(void)
{
	long *count = shmem_calloc(1, sizeof(long));
	shmem_team_t t;
	int start = me % 2;
	struct shape s = {start, 2, start ? npes / 2 : (npes + 1) / 2};
	shmem_team_t te, to = SHMEM_TEAM_INVALID;
	CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 2, (npes + 1) / 2, NULL, 0, &te) == 0, "split even");
	if (npes > 1)
		CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 1, 2, npes / 2, NULL, 0, &to) == 0, "split odd");
	t = start ? to : te;
	CHECK(t != SHMEM_TEAM_INVALID, "PE %d is in neither the even nor the odd team", me);
	for (int r = 1; r <= 20; r++) {
		shmem_long_atomic_add(count, me + 1, start);
		shmem_quiet();
		CHECK(shmem_team_sync(t) == 0, "team_sync round %d", r);
		if (me == start) {
			long want = 0;
			for (int i = 0; i < s.size; i++)
				want += shape_world(s, i) + 1;
			CHECK(*count == r * want, "round %d: count %ld on world PE %d, want %ld", r, *count, me,
			      r * want);
		}
		CHECK(shmem_team_sync(t) == 0, "team_sync round %d (second)", r);
	}
	shmem_team_destroy(to);
	shmem_team_destroy(te);
	shmem_barrier_all();
	shmem_free(count);
}

/* 100 create / destroy cycles, each with a context, and 8 teams alive at once */
static void recycle(void)
{
	shmem_team_config_t cfg = {.num_contexts = 1};
	for (int c = 0; c < 100; c++) {
		struct shape s = {c % npes, 1, npes - c % npes};
		shmem_team_t t = SHMEM_TEAM_WORLD;
		int rc = shmem_team_split_strided(SHMEM_TEAM_WORLD, s.start, s.stride, s.size, &cfg,
						  SHMEM_TEAM_NUM_CONTEXTS, &t);
		CHECK(rc == 0, "cycle %d: split_strided returned %d", c, rc);
		if (in_shape(s, me)) {
			CHECK(t != SHMEM_TEAM_INVALID && shmem_team_my_pe(t) == me - s.start, "cycle %d: my_pe %d", c,
			      shmem_team_my_pe(t));
			shmem_ctx_t ctx;
			CHECK(shmem_team_create_ctx(t, 0, &ctx) == 0, "cycle %d: team_create_ctx", c);
			long got = shmem_ctx_long_g(ctx, &gl_ident, s.size - 1);
			CHECK(got == npes - 1, "cycle %d: g from the last team PE read world PE %ld", c, got);
			shmem_ctx_destroy(ctx);
			CHECK(shmem_team_sync(t) == 0, "cycle %d: team_sync", c);
		} else {
			CHECK(t == SHMEM_TEAM_INVALID, "cycle %d: a non-member got a team", c);
		}
		shmem_team_destroy(t);
	}
	for (int c = 0; c < 10; c++) {
		shmem_team_t ts[8];
		for (int k = 0; k < 8; k++) {
			struct shape s = {k % npes, 1, 1};
			CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, s.start, 1, 1, NULL, 0, &ts[k]) == 0,
			      "round %d: team %d", c, k);
			CHECK((ts[k] != SHMEM_TEAM_INVALID) == in_shape(s, me), "round %d: team %d membership", c, k);
		}
		for (int k = 7; k >= 0; k--)
			shmem_team_destroy(ts[k]);
	}
	shmem_barrier_all();
}

int main(void)
{
	shmem_init();
	me = shmem_my_pe();
	npes = shmem_n_pes();
	gl_ident = me;
	shmem_barrier_all();
	predefined();
	strided();
	two_d();
	syncs();
	recycle();
	shmem_barrier_all();
	shmem_finalize();
	return 0;
}
