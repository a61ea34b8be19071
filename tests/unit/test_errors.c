/* test_errors.c - error codes, names, messages, details and versions. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

struct err_entry {
	int value;
	const char *name;
	const char *msg;
};

static const struct err_entry errs[] = {
#define X(name, value, msg) {PODFAB_##name, "PODFAB_" #name, msg},
	PODFAB_ERROR_LIST(X)
#undef X
};
#define NERRS ((int)(sizeof errs / sizeof errs[0]))

START_TEST(test_strerror_every_code)
{
	for (int i = 0; i < NERRS; i++) {
		const char *pos = podfab_strerror(errs[i].value);
		const char *neg = podfab_strerror(-errs[i].value);
		ck_assert_msg(pos != NULL && neg != NULL, "strerror(%s) is NULL", errs[i].name);
		ck_assert_str_eq(pos, errs[i].msg);
		ck_assert_str_eq(neg, errs[i].msg);
	}
}
END_TEST

START_TEST(test_errname_every_code)
{
	for (int i = 0; i < NERRS; i++) {
		const char *pos = podfab_errname(errs[i].value);
		const char *neg = podfab_errname(-errs[i].value);
		ck_assert_msg(pos != NULL && neg != NULL, "errname(%d) is NULL", errs[i].value);
		ck_assert_str_eq(pos, errs[i].name);
		ck_assert_str_eq(neg, errs[i].name);
	}
}
END_TEST

START_TEST(test_codes_distinct_and_dense)
{
	/* The enum runs 1 .. PODFAB_ERROR_MAX-1 without holes or repeats. */
	ck_assert_int_eq(NERRS, PODFAB_ERROR_MAX - 1);
	for (int i = 0; i < NERRS; i++) {
		ck_assert_int_eq(errs[i].value, i + 1);
		for (int j = 0; j < i; j++) {
			ck_assert_str_ne(errs[i].name, errs[j].name);
			ck_assert_str_ne(podfab_strerror(errs[i].value), podfab_strerror(errs[j].value));
		}
	}
	ck_assert_int_eq(PODFAB_SUCCESS, 0);
}
END_TEST

START_TEST(test_success_code)
{
	ck_assert_ptr_nonnull(podfab_strerror(0));
	ck_assert_ptr_nonnull(podfab_errname(0));
	/* success is not any error's message */
	for (int i = 0; i < NERRS; i++)
		ck_assert_str_ne(podfab_strerror(0), errs[i].msg);
}
END_TEST

START_TEST(test_unknown_codes)
{
	const int unknown[] = {PODFAB_ERROR_MAX, -PODFAB_ERROR_MAX, PODFAB_ERROR_MAX + 1, 1000,
			       -1000, 99999, INT_MAX, -INT_MAX, INT_MIN};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		const char *m = podfab_strerror(unknown[i]);
		const char *n = podfab_errname(unknown[i]);
		ck_assert_msg(m != NULL, "strerror(%d) is NULL", unknown[i]);
		ck_assert_msg(n != NULL, "errname(%d) is NULL", unknown[i]);
		ck_assert_msg(strstr(m, "unknown") != NULL, "strerror(%d) = '%s' does not say unknown",
			      unknown[i], m);
		ck_assert_msg(strstr(n, "UNKNOWN") != NULL || strstr(n, "unknown") != NULL,
			      "errname(%d) = '%s' does not say unknown", unknown[i], n);
		for (int k = 0; k < NERRS; k++)
			ck_assert_str_ne(n, errs[k].name);
	}
}
END_TEST

START_TEST(test_error_detail)
{
	ck_assert_ptr_nonnull(podfab_error_detail());
	/* A failing call leaves a detail behind that says something. */
	podfab_t pf = NULL;
	ut_assert_rc(podfab_init_version(PODFAB_MAKE_VERSION(99, 0), NULL, &pf), -PODFAB_EVERSION);
	const char *d = podfab_error_detail();
	ck_assert_ptr_nonnull(d);
	ck_assert_msg(strlen(d) > 0, "no detail after a failed podfab_init_version");
	ck_assert_int_eq(podfab_accel_id(NULL), -PODFAB_ENULL);
	ck_assert_ptr_nonnull(podfab_error_detail());
	ck_assert_msg(strlen(podfab_error_detail()) > 0, "no detail after podfab_accel_id(NULL)");
}
END_TEST

START_TEST(test_version_numbers)
{
	ck_assert_uint_eq(podfab_version(), PODFAB_API_VERSION);
	ck_assert_uint_eq(PODFAB_VERSION_GET_MAJOR(podfab_version()), PODFAB_VERSION_MAJOR);
	ck_assert_uint_eq(PODFAB_VERSION_GET_MINOR(podfab_version()), PODFAB_VERSION_MINOR);
	ck_assert_uint_eq(PODFAB_VERSION_GET_MAJOR(PODFAB_MAKE_VERSION(3, 7)), 3);
	ck_assert_uint_eq(PODFAB_VERSION_GET_MINOR(PODFAB_MAKE_VERSION(3, 7)), 7);
	ck_assert(PODFAB_MAKE_VERSION(1, 0) > PODFAB_MAKE_VERSION(0, 65535));
}
END_TEST

START_TEST(test_version_string)
{
	char want[64];
	snprintf(want, sizeof want, "%d.%d.%d", PODFAB_VERSION_MAJOR, PODFAB_VERSION_MINOR,
		 PODFAB_VERSION_PATCH);
	const char *s = podfab_version_string();
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, want);
}
END_TEST

START_TEST(test_init_wrong_version)
{
	ut_clear_env();
	char job[UT_JOB_LEN];
	ut_job(job, sizeof job);
	podfab_params_t p = ut_params(0, 1, job);
	podfab_t sentinel = (podfab_t)&p, pf = sentinel;
	const uint32_t bad[] = {
		PODFAB_MAKE_VERSION(99, 0),
		PODFAB_MAKE_VERSION(PODFAB_VERSION_MAJOR + 1, 0),
		PODFAB_MAKE_VERSION(PODFAB_VERSION_MAJOR, PODFAB_VERSION_MINOR + 1),
		PODFAB_MAKE_VERSION(PODFAB_VERSION_MAJOR, 0xffff),
		0xffffffffu,
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ut_assert_rc(podfab_init_version(bad[i], &p, &pf), -PODFAB_EVERSION);
		ck_assert_ptr_eq(pf, sentinel);
	}
	/* The right version works with the same parameters. */
	ut_assert_rc(podfab_init_version(PODFAB_API_VERSION, &p, &pf), 0);
	ck_assert_ptr_ne(pf, sentinel);
	ut_assert_rc(podfab_finalize(pf), 0);
}
END_TEST

static Suite *errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("errors");
	tcase_add_test(tc, test_strerror_every_code);
	tcase_add_test(tc, test_errname_every_code);
	tcase_add_test(tc, test_codes_distinct_and_dense);
	tcase_add_test(tc, test_success_code);
	tcase_add_test(tc, test_unknown_codes);
	tcase_add_test(tc, test_error_detail);
	suite_add_tcase(s, tc);
	tc = tcase_create("version");
	tcase_add_test(tc, test_version_numbers);
	tcase_add_test(tc, test_version_string);
	tcase_add_test(tc, test_init_wrong_version);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ut_run_suite(errors_suite());
}
