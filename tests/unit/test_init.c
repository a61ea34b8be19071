/*
 * test_init.c - podfab_init: parameters (field_mask handling, invalid values),
 * the launcher environment (missing and malformed variables), transports and
 * timing modes.  Every failure must leave the output handle untouched.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <podfab/topo.h>

#include "unit.h"

/* Init with p, expect want; on failure the handle must be untouched, on success finalize. */
static void expect_init(const podfab_params_t *p, int want, const char *what)
{
	podfab_t sentinel = (podfab_t)(void *)&sentinel;
	podfab_t pf = sentinel;
	int rc = podfab_init(p, &pf);
	ck_assert_msg(rc == want, "%s: podfab_init returned %d (%s), expected %d (%s); detail: %s",
		      what, rc, podfab_errname(rc), want, podfab_errname(want), podfab_error_detail());
	if (want == 0) {
		ck_assert_ptr_ne(pf, sentinel);
		ut_assert_rc(podfab_finalize(pf), 0);
	} else {
		ck_assert_msg(pf == sentinel, "%s: failed podfab_init wrote the handle", what);
		ck_assert_msg(strlen(podfab_error_detail()) > 0, "%s: no error detail", what);
	}
}

/* Set the three required variables for accelerator 0 of 1 in a fresh job. */
static void set_good_env(char *job, size_t len)
{
	ut_job(job, len);
	ck_assert_int_eq(setenv("PODFAB_JOB", job, 1), 0);
	ck_assert_int_eq(setenv("PODFAB_ACCEL_ID", "0", 1), 0);
	ck_assert_int_eq(setenv("PODFAB_NACCELS", "1", 1), 0);
}

static void setup(void)
{
	ut_clear_env();
}

/* ---------------------------------------------------------------- */
/* Parameters                                                        */
/* ---------------------------------------------------------------- */

START_TEST(test_params_basic)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	podfab_params_t p = ut_params(0, 1, job);
	podfab_t pf = NULL;
	ut_assert_rc(podfab_init(&p, &pf), 0);
	ut_assert_rc(podfab_accel_id(pf), 0);
	ut_assert_rc(podfab_naccels(pf), 1);
	ut_assert_rc(podfab_timing_mode(pf), PODFAB_TIMING_FUNCTIONAL);
	ck_assert_ptr_nonnull(podfab_transport_name(pf));
	ck_assert_str_eq(podfab_transport_name(pf), "shm");
	ut_assert_rc(podfab_finalize(pf), 0);
}
END_TEST

START_TEST(test_params_null_out)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	podfab_params_t p = ut_params(0, 1, job);
	ut_assert_rc(podfab_init(&p, NULL), -PODFAB_ENULL);
	/* The job was not joined: the same name attaches afterwards. */
	expect_init(&p, 0, "after a NULL handle pointer");
}
END_TEST

START_TEST(test_params_unmasked_fields_ignored)
{
	char job[UT_JOB_LEN];
	set_good_env(job, sizeof job);
	podfab_params_t p;
	memset(&p, 0, sizeof p);
	p.field_mask = 0;
	p.accel_id = 7;
	p.naccels = -5;
	p.job = "not a job name!";
	p.transport = "no-such-transport";
	p.model = NULL;
	p.timing = PODFAB_TIMING_VIRTUAL;
	p.max_requests = 0;
	p.timeout_ms = 0;
	podfab_t pf = NULL;
	ut_assert_rc(podfab_init(&p, &pf), 0);
	ut_assert_rc(podfab_accel_id(pf), 0);
	ut_assert_rc(podfab_naccels(pf), 1);
	ut_assert_rc(podfab_timing_mode(pf), PODFAB_TIMING_FUNCTIONAL);
	ck_assert_str_eq(podfab_transport_name(pf), "shm");
	ut_assert_rc(podfab_finalize(pf), 0);
}
END_TEST

START_TEST(test_params_partial_mask)
{
	char job[UT_JOB_LEN];
	/* The job from params, id and count from the environment. */
	ut_job(job, sizeof job);
	setenv("PODFAB_JOB", "invalid job name", 1);
	setenv("PODFAB_ACCEL_ID", "0", 1);
	setenv("PODFAB_NACCELS", "1", 1);
	podfab_params_t p;
	memset(&p, 0, sizeof p);
	p.field_mask = PODFAB_PARAM_JOB;
	p.job = job;
	p.accel_id = 3;
	p.naccels = 0;
	expect_init(&p, 0, "job from params, id and count from the environment");

	/* Id and count from params: malformed variables are never read. */
	ut_clear_env();
	set_good_env(job, sizeof job);
	setenv("PODFAB_ACCEL_ID", "abc", 1);
	setenv("PODFAB_NACCELS", "-4", 1);
	memset(&p, 0, sizeof p);
	p.field_mask = PODFAB_PARAM_ACCEL_ID | PODFAB_PARAM_NACCELS;
	p.accel_id = 0;
	p.naccels = 1;
	p.job = "ignored because its bit is clear";
	expect_init(&p, 0, "id and count from params, job from the environment");

	/* A field whose bit is set is taken from params even when the environment disagrees. */
	ut_clear_env();
	set_good_env(job, sizeof job);
	setenv("PODFAB_TIMING", "virtual", 1);
	memset(&p, 0, sizeof p);
	p.field_mask = PODFAB_PARAM_TIMING;
	p.timing = PODFAB_TIMING_FUNCTIONAL;
	expect_init(&p, 0, "timing from params overrides PODFAB_TIMING");
	setenv("PODFAB_TIMING", "functional", 1);
	p.timing = PODFAB_TIMING_VIRTUAL;
	expect_init(&p, 0, "virtual timing from params (over a generated pod)");
}
END_TEST

START_TEST(test_params_unknown_mask_bits)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	podfab_params_t p = ut_params(0, 1, job);
	p.field_mask |= 1u << 8;
	expect_init(&p, -PODFAB_EINVAL, "mask bit 8");
	p.field_mask = ut_params(0, 1, job).field_mask | (1ull << 63);
	expect_init(&p, -PODFAB_EINVAL, "mask bit 63");
}
END_TEST

START_TEST(test_params_bad_job)
{
	char long_job[64];
	memset(long_job, 'j', 49);
	long_job[49] = '\0';
	const char *bad[] = {"", "has space", "a/b", "a.b", "tab\tx", "new\nline", "semi;colon",
			     "\xc3\xa4", "star*", long_job};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		podfab_params_t p = ut_params(0, 1, bad[i]);
		char what[96];
		snprintf(what, sizeof what, "job '%.60s'", bad[i]);
		expect_init(&p, -PODFAB_EINVAL, what);
	}
	podfab_params_t p = ut_params(0, 1, NULL);
	expect_init(&p, -PODFAB_ENULL, "NULL job");
}
END_TEST

START_TEST(test_params_longest_job)
{
	/* 48 characters of every allowed kind is a valid name. */
	char job[UT_JOB_LEN], full[64];
	ut_job(job, sizeof job);
	snprintf(full, sizeof full, "%s_Az-09", job);
	size_t n = strlen(full);
	ck_assert_uint_le(n, 48);
	memset(full + n, 'q', 48 - n);
	full[48] = '\0';
	podfab_params_t p = ut_params(0, 1, full);
	expect_init(&p, 0, "a 48-character job name");
}
END_TEST

START_TEST(test_params_bad_naccels)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	const int bad[] = {0, -1, -8, INT_MIN, 65537, INT_MAX};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		podfab_params_t p = ut_params(0, bad[i], job);
		char what[64];
		snprintf(what, sizeof what, "naccels %d", bad[i]);
		expect_init(&p, -PODFAB_EINVAL, what);
	}
}
END_TEST

START_TEST(test_params_bad_accel_id)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	const struct {
		int id, n;
	} bad[] = {{-1, 1}, {1, 1}, {4, 4}, {5, 4}, {INT_MAX, 4}, {INT_MIN, 4}, {-1, 4}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		podfab_params_t p = ut_params(bad[i].id, bad[i].n, job);
		char what[64];
		snprintf(what, sizeof what, "accel_id %d of %d", bad[i].id, bad[i].n);
		expect_init(&p, -PODFAB_EINVAL, what);
	}
}
END_TEST

START_TEST(test_params_timing)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	podfab_params_t p = ut_params(0, 1, job);
	p.field_mask |= PODFAB_PARAM_TIMING;
	p.timing = PODFAB_TIMING_REALTIME;
	expect_init(&p, 0, "realtime timing");
	p.timing = PODFAB_TIMING_VIRTUAL;
	expect_init(&p, 0, "virtual timing");
	p.field_mask |= PODFAB_PARAM_DILATION;
	p.dilation = 0.0;
	expect_init(&p, -PODFAB_EINVAL, "dilation 0");
	p.dilation = 1e12;
	expect_init(&p, -PODFAB_EINVAL, "dilation 1e12");
	p.dilation = 10.0;
	p.timing = PODFAB_TIMING_REALTIME;
	expect_init(&p, 0, "dilation 10");
	p.field_mask &= ~(uint64_t)PODFAB_PARAM_DILATION;
	setenv("PODFAB_DILATION", "fast", 1);
	expect_init(&p, -PODFAB_EENV, "PODFAB_DILATION=fast");
	setenv("PODFAB_DILATION", "-1", 1);
	expect_init(&p, -PODFAB_EENV, "PODFAB_DILATION=-1");
	unsetenv("PODFAB_DILATION");
	setenv("PODFAB_SEED", "0x", 1);
	expect_init(&p, -PODFAB_EENV, "PODFAB_SEED=0x");
	unsetenv("PODFAB_SEED");
	p.model = "ring:accels=1";
	p.field_mask |= PODFAB_PARAM_MODEL;
	expect_init(&p, -PODFAB_EMODEL, "model ring:accels=1 (not a valid ring)");
	p.field_mask &= ~(uint64_t)PODFAB_PARAM_MODEL;
	p.timing = (podfab_timing_t)3;
	expect_init(&p, -PODFAB_EINVAL, "timing 3");
	p.timing = (podfab_timing_t)-1;
	expect_init(&p, -PODFAB_EINVAL, "timing -1");
	p.timing = PODFAB_TIMING_FUNCTIONAL;
	expect_init(&p, 0, "functional timing");
}
END_TEST

START_TEST(test_params_transport)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	podfab_params_t p = ut_params(0, 1, job);
	p.field_mask |= PODFAB_PARAM_TRANSPORT;
	const char *bad[] = {"nope", "SHM", "shm ", "ofi-does-not-exist"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		p.transport = bad[i];
		char what[64];
		snprintf(what, sizeof what, "transport '%s'", bad[i]);
		expect_init(&p, -PODFAB_ETRANSPORT, what);
	}
	p.transport = NULL;
	expect_init(&p, -PODFAB_ENULL, "NULL transport with its bit set");
	p.transport = "shm";
	podfab_t pf = NULL;
	ut_assert_rc(podfab_init(&p, &pf), 0);
	ck_assert_str_eq(podfab_transport_name(pf), "shm");
	ut_assert_rc(podfab_finalize(pf), 0);
}
END_TEST

START_TEST(test_transports_list)
{
	const char *const *tp = podfab_transports();
	ck_assert_ptr_nonnull(tp);
	ck_assert_ptr_nonnull(tp[0]);
	ck_assert_str_eq(tp[0], "shm");
	int n = 0;
	while (n < 64 && tp[n])
		n++;
	ck_assert_msg(n < 64, "podfab_transports() is not NULL-terminated");
	/* Every listed transport can be opened. */
	for (int i = 0; i < n; i++) {
		char job[UT_JOB_LEN];
		ut_job(job, sizeof job);
		podfab_params_t p = ut_params(0, 1, job);
		p.field_mask |= PODFAB_PARAM_TRANSPORT;
		p.transport = tp[i];
		podfab_t pf = NULL;
		int rc = podfab_init(&p, &pf);
		if (rc == -PODFAB_ETRANSPORT && !strcmp(tp[i], "verbs") && strstr(podfab_error_detail(), "no RDMA device")) {
			/* built, but this machine has no RDMA device: the verbs suite tests it in a guest */
			fprintf(stderr, "note: transport verbs not opened here: %s\n", podfab_error_detail());
			continue;
		}
		ut_assert_rc(rc, 0);
		ck_assert_str_eq(podfab_transport_name(pf), tp[i]);
		ut_assert_rc(podfab_finalize(pf), 0);
	}
}
END_TEST

START_TEST(test_params_model)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	podfab_params_t p = ut_params(0, 1, job);
	p.field_mask |= PODFAB_PARAM_MODEL;
	p.model = "ualink-pod:8 (not a generator string)";
	expect_init(&p, -PODFAB_EMODEL, "a model that does not parse");
	p.model = "ring:accels=4";
	podfab_t pf = NULL;
	ut_assert_rc(podfab_init(&p, &pf), 0);
	struct podfab_topo *t = podfab_model(pf);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(podfab_topo_naccels(t), 4);
	ck_assert_str_eq(podfab_topo_family(t), "ring");
	ut_assert_rc(podfab_finalize(pf), 0);
	ck_assert_ptr_null(podfab_model(pf));
	ut_job(job, sizeof job);
	p = ut_params(0, 8, job);
	p.field_mask |= PODFAB_PARAM_MODEL;
	p.model = "ring:accels=4";
	expect_init(&p, -PODFAB_EMODEL, "a model with fewer accelerators than the pod");
	ck_assert_msg(strstr(podfab_error_detail(), "4 accelerators") != NULL, "detail: %s",
		      podfab_error_detail());
	ut_job(job, sizeof job);
	p = ut_params(0, 1, job);
	p.field_mask |= PODFAB_PARAM_MODEL;
	p.model = NULL;
	expect_init(&p, -PODFAB_ENULL, "NULL model with its bit set");
}
END_TEST

START_TEST(test_params_limits)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	podfab_params_t p = ut_params(0, 1, job);
	p.field_mask |= PODFAB_PARAM_MAX_REQUESTS;
	p.max_requests = 0;
	expect_init(&p, -PODFAB_EINVAL, "max_requests 0");
	p.max_requests = (1u << 24) + 1;
	expect_init(&p, -PODFAB_EINVAL, "max_requests 2^24+1");
	p.max_requests = UINT32_MAX;
	expect_init(&p, -PODFAB_EINVAL, "max_requests UINT32_MAX");
	p.field_mask = ut_params(0, 1, job).field_mask | PODFAB_PARAM_TIMEOUT_MS;
	p.timeout_ms = 0;
	expect_init(&p, -PODFAB_EINVAL, "timeout_ms 0");
	p.timeout_ms = 1000;
	expect_init(&p, 0, "timeout_ms 1000");
}
END_TEST

START_TEST(test_params_max_requests_enforced)
{
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	podfab_params_t p = ut_params(0, 1, job);
	p.field_mask |= PODFAB_PARAM_MAX_REQUESTS;
	p.max_requests = 2;
	podfab_t pf = NULL;
	ut_assert_rc(podfab_init(&p, &pf), 0);
	podfab_seg_t seg = NULL;
	ut_assert_rc(podfab_seg_alloc(pf, 4096, &seg), 0);
	uint64_t v = 42;
	podfab_req_t r[3] = {NULL, NULL, NULL};
	podfab_req_t sentinel = (podfab_req_t)(void *)&v;
	r[2] = sentinel;
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 0, &v, sizeof v, &r[0]), 0);
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 8, &v, sizeof v, &r[1]), 0);
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 16, &v, sizeof v, &r[2]), -PODFAB_EAGAIN);
	ck_assert_ptr_eq(r[2], sentinel);
	ut_assert_rc(podfab_wait(pf, r[0]), 0);
	ut_assert_rc(podfab_put_nb(pf, 0, seg, 16, &v, sizeof v, &r[2]), 0);
	ut_assert_rc(podfab_wait(pf, r[1]), 0);
	ut_assert_rc(podfab_wait(pf, r[2]), 0);
	/* Without a request handle no record is held. */
	for (int i = 0; i < 8; i++)
		ut_assert_rc(podfab_put_nb(pf, 0, seg, 24, &v, sizeof v, NULL), 0);
	ut_assert_rc(podfab_quiet(pf), 0);
	ut_assert_rc(podfab_seg_free(pf, seg), 0);
	ut_assert_rc(podfab_finalize(pf), 0);
}
END_TEST

/* ---------------------------------------------------------------- */
/* The launcher environment                                          */
/* ---------------------------------------------------------------- */

START_TEST(test_env_good)
{
	char job[UT_JOB_LEN];
	set_good_env(job, sizeof job);
	podfab_t pf = NULL;
	ut_assert_rc(podfab_init(NULL, &pf), 0);
	ut_assert_rc(podfab_accel_id(pf), 0);
	ut_assert_rc(podfab_naccels(pf), 1);
	ut_assert_rc(podfab_finalize(pf), 0);
	/* Optional variables with good values. */
	set_good_env(job, sizeof job);
	setenv("PODFAB_MODEL", "ring:accels=2", 1);
	setenv("PODFAB_TIMING", "functional", 1);
	setenv("PODFAB_TRANSPORT", "shm", 1);
	setenv("PODFAB_TIMEOUT_MS", "5000", 1);
	setenv("PODFAB_MAX_REQUESTS", "16", 1);
	expect_init(NULL, 0, "all variables set");
	/* An empty PODFAB_TRANSPORT means the default. */
	set_good_env(job, sizeof job);
	setenv("PODFAB_TRANSPORT", "", 1);
	expect_init(NULL, 0, "empty PODFAB_TRANSPORT");
}
END_TEST

START_TEST(test_env_missing)
{
	static const char *const vars[] = {"PODFAB_JOB", "PODFAB_ACCEL_ID", "PODFAB_NACCELS"};
	expect_init(NULL, -PODFAB_EENV, "no environment at all");
	for (size_t i = 0; i < 3; i++) {
		char job[UT_JOB_LEN], what[64];
		set_good_env(job, sizeof job);
		unsetenv(vars[i]);
		snprintf(what, sizeof what, "without %s", vars[i]);
		expect_init(NULL, -PODFAB_EENV, what);
		/* Also with params that set nothing. */
		podfab_params_t p;
		memset(&p, 0, sizeof p);
		expect_init(&p, -PODFAB_EENV, what);
	}
}
END_TEST

static void expect_env_bad(const char *var, const char *value)
{
	char job[UT_JOB_LEN], what[128];
	ut_clear_env();
	set_good_env(job, sizeof job);
	if (!strcmp(var, "PODFAB_ACCEL_ID"))
		setenv("PODFAB_NACCELS", "4", 1); /* so that only the value is wrong */
	/* Should a bad value be taken for a good one, do not wait 120 s for peers. */
	setenv("PODFAB_TIMEOUT_MS", "3000", 1);
	setenv(var, value, 1);
	snprintf(what, sizeof what, "%s='%s'", var, value);
	expect_init(NULL, -PODFAB_EENV, what);
}

START_TEST(test_env_malformed_id)
{
	const char *bad[] = {"abc", "-1", "3x", "", " 0", "0 ", "\t0", "+0", "0x0", "1.0", "4", "5",
			     "99999999999999999999", "-99999999999999999999", "2147483648"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_env_bad("PODFAB_ACCEL_ID", bad[i]);
}
END_TEST

START_TEST(test_env_malformed_count)
{
	const char *bad[] = {"abc", "-1", "0", "3x", "", " 1", "1 ", "+1", "0x1", "1.5", "65537",
			     "99999999999999999999", "4294967297"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_env_bad("PODFAB_NACCELS", bad[i]);
}
END_TEST

START_TEST(test_env_id_not_below_count)
{
	char job[UT_JOB_LEN];
	set_good_env(job, sizeof job);
	setenv("PODFAB_ACCEL_ID", "3", 1);
	setenv("PODFAB_NACCELS", "3", 1);
	expect_init(NULL, -PODFAB_EENV, "PODFAB_ACCEL_ID=3 PODFAB_NACCELS=3");
	setenv("PODFAB_ACCEL_ID", "1", 1);
	setenv("PODFAB_NACCELS", "1", 1);
	expect_init(NULL, -PODFAB_EENV, "PODFAB_ACCEL_ID=1 PODFAB_NACCELS=1");
}
END_TEST

START_TEST(test_env_malformed_job)
{
	char long_job[64];
	memset(long_job, 'k', 49);
	long_job[49] = '\0';
	const char *bad[] = {"", "bad job", "a.b", "../x", "x/y", long_job};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_env_bad("PODFAB_JOB", bad[i]);
}
END_TEST

START_TEST(test_env_timing)
{
	char job[UT_JOB_LEN];
	const char *bad[] = {"bogus", "Functional", "functional ", "1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_env_bad("PODFAB_TIMING", bad[i]);
	ut_clear_env();
	set_good_env(job, sizeof job);
	podfab_t pf = NULL;
	setenv("PODFAB_TIMING", "realtime", 1);
	ut_assert_rc(podfab_init(NULL, &pf), 0);
	ut_assert_rc(podfab_timing_mode(pf), PODFAB_TIMING_REALTIME);
	ut_assert_rc(podfab_finalize(pf), 0);
	setenv("PODFAB_TIMING", "virtual", 1);
	ut_assert_rc(podfab_init(NULL, &pf), 0);
	ut_assert_rc(podfab_timing_mode(pf), PODFAB_TIMING_VIRTUAL);
	ut_assert_rc(podfab_finalize(pf), 0);
	setenv("PODFAB_TIMING", "functional", 1);
	ut_assert_rc(podfab_init(NULL, &pf), 0);
	ut_assert_rc(podfab_timing_mode(pf), PODFAB_TIMING_FUNCTIONAL);
	ut_assert_rc(podfab_finalize(pf), 0);
}
END_TEST

START_TEST(test_env_transport)
{
	char job[UT_JOB_LEN];
	set_good_env(job, sizeof job);
	setenv("PODFAB_TRANSPORT", "nope", 1);
	expect_init(NULL, -PODFAB_ETRANSPORT, "PODFAB_TRANSPORT=nope");
}
END_TEST

START_TEST(test_env_malformed_limits)
{
	const char *bad_timeout[] = {"abc", "0", "-5", "10s", ""};
	for (size_t i = 0; i < sizeof bad_timeout / sizeof bad_timeout[0]; i++)
		expect_env_bad("PODFAB_TIMEOUT_MS", bad_timeout[i]);
	const char *bad_req[] = {"abc", "0", "-1", "16777217", "4k"};
	for (size_t i = 0; i < sizeof bad_req / sizeof bad_req[0]; i++)
		expect_env_bad("PODFAB_MAX_REQUESTS", bad_req[i]);
}
END_TEST

static Suite *init_suite(void)
{
	Suite *s = suite_create("init");
	TCase *tc = tcase_create("params");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_params_basic);
	tcase_add_test(tc, test_params_null_out);
	tcase_add_test(tc, test_params_unmasked_fields_ignored);
	tcase_add_test(tc, test_params_partial_mask);
	tcase_add_test(tc, test_params_unknown_mask_bits);
	tcase_add_test(tc, test_params_bad_job);
	tcase_add_test(tc, test_params_longest_job);
	tcase_add_test(tc, test_params_bad_naccels);
	tcase_add_test(tc, test_params_bad_accel_id);
	tcase_add_test(tc, test_params_timing);
	tcase_add_test(tc, test_params_transport);
	tcase_add_test(tc, test_transports_list);
	tcase_add_test(tc, test_params_model);
	tcase_add_test(tc, test_params_limits);
	tcase_add_test(tc, test_params_max_requests_enforced);
	suite_add_tcase(s, tc);

	tc = tcase_create("environment");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_env_good);
	tcase_add_test(tc, test_env_missing);
	tcase_add_test(tc, test_env_malformed_id);
	tcase_add_test(tc, test_env_malformed_count);
	tcase_add_test(tc, test_env_id_not_below_count);
	tcase_add_test(tc, test_env_malformed_job);
	tcase_add_test(tc, test_env_timing);
	tcase_add_test(tc, test_env_transport);
	tcase_add_test(tc, test_env_malformed_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ut_run_suite(init_suite());
}
