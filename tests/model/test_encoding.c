/*
 * test_encoding.c - the wire-bytes formula of the encoding profiles
 * (podfab_encoding_flits, podfab_encoding_wire_bytes, podfab_encoding_head_bytes):
 * for every built-in profile, values worked out by hand from the profile's
 * figures for a few payloads; a NULL encoding; and that a long stream of
 * requests carries payload at podfab_encoding_efficiency() of the raw rate.
 *
 * Each message is header + payload rounded up to whole flits; the data-link
 * framing and the FEC overhead are then applied in proportion (frames and
 * codewords are shared by the requests that stream through them), so the
 * wire bytes may be fractional.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <podfab/podfab.h>
#include <podfab/topo.h>

#define TOL 1e-9
#define NPAYLOAD 5

static const uint64_t payloads[NPAYLOAD] = {0, 1, 64, 256, 4096};

/*
 * By hand, for each profile: the flits of a request of each payload, its wire
 * bytes, and the head a cut-through element waits for (one FEC codeword, else
 * one DL frame, else one flit, at most the whole message).
 */
struct expect {
	const char *name;
	uint32_t req_header;
	uint64_t flits[NPAYLOAD];
	double wire[NPAYLOAD];
	double head_max; /* head_bytes = min(head_max, wire) */
};

static const struct expect expected[] = {
	/* 64-byte flits, 12 of every 640 DL bytes framing, 640 data bytes in a
	 * 680-byte codeword; 16-byte header: 16, 17, 80, 272, 4112 bytes ->
	 * 1, 1, 2, 5, 65 flits of 64. */
	{"ualink-200g", 16, {1, 1, 2, 5, 65},
	 {64.0 * 640 / 628 * 680 / 640, 64.0 * 640 / 628 * 680 / 640, 128.0 * 640 / 628 * 680 / 640,
	  320.0 * 640 / 628 * 680 / 640, 4160.0 * 640 / 628 * 680 / 640},
	 680.0},
	/* 16-byte flits, no framing, no FEC: 16, 17, 80, 272, 4112 -> 1, 2, 5, 17, 257 flits. */
	{"nvlink4", 16, {1, 2, 5, 17, 257}, {16.0, 32.0, 80.0, 272.0, 4112.0}, 16.0},
	/* as nvlink4, then RS(544,514). */
	{"nvlink5", 16, {1, 2, 5, 17, 257},
	 {16.0 * 544 / 514, 32.0 * 544 / 514, 80.0 * 544 / 514, 272.0 * 544 / 514, 4112.0 * 544 / 514},
	 544.0},
	/* 1-byte "flits", 2 of every 130 bytes framing (128b/130b); 24-byte header. */
	{"pcie5", 24, {24, 25, 88, 280, 4120},
	 {24.0 * 130 / 128, 25.0 * 130 / 128, 88.0 * 130 / 128, 280.0 * 130 / 128, 4120.0 * 130 / 128},
	 130.0},
	/* 256-byte FLITs carrying 236 bytes: 16, 17, 80, 272, 4112 -> 1, 1, 1, 2, 18 FLITs. */
	{"pcie6", 16, {1, 1, 1, 2, 18}, {256.0, 256.0, 256.0, 512.0, 18.0 * 256}, 256.0},
	/* bytes; 256b/257b; RS(544,514); 78 bytes of headers, preamble and gap. */
	{"eth-800g", 78, {78, 79, 142, 334, 4174},
	 {78.0 * 257 / 256 * 544 / 514, 79.0 * 257 / 256 * 544 / 514, 142.0 * 257 / 256 * 544 / 514,
	  334.0 * 257 / 256 * 544 / 514, 4174.0 * 257 / 256 * 544 / 514},
	 544.0},
};

#define NEXPECT (int)(sizeof expected / sizeof expected[0])

/* Every built-in profile has its hand-worked values here, and no more. */
START_TEST(test_profiles_covered)
{
	int n = 0;
	while (podfab_encoding_get(n))
		n++;
	ck_assert_int_eq(n, NEXPECT);
	ck_assert_ptr_null(podfab_encoding_get(-1));
	for (int i = 0; i < NEXPECT; i++) {
		const podfab_encoding_t *e = podfab_encoding_get(i);
		ck_assert_ptr_nonnull(e);
		ck_assert_ptr_eq(podfab_encoding_find(expected[i].name), e);
	}
}
END_TEST

START_TEST(test_profile_values)
{
	const struct expect *x = &expected[_i];
	const podfab_encoding_t *e = podfab_encoding_find(x->name);
	ck_assert_msg(e != NULL, "no profile %s", x->name);
	ck_assert_uint_eq(e->req_header_bytes, x->req_header);
	for (int k = 0; k < NPAYLOAD; k++) {
		uint64_t p = payloads[k];
		ck_assert_msg(podfab_encoding_flits(e, x->req_header, p) == x->flits[k],
			      "%s, %llu bytes: %llu flits, want %llu", x->name, (unsigned long long)p,
			      (unsigned long long)podfab_encoding_flits(e, x->req_header, p),
			      (unsigned long long)x->flits[k]);
		double w = podfab_encoding_wire_bytes(e, x->req_header, p);
		ck_assert_msg(fabs(w - x->wire[k]) < TOL, "%s, %llu bytes: %.9f wire bytes, want %.9f",
			      x->name, (unsigned long long)p, w, x->wire[k]);
		double h = x->head_max < x->wire[k] ? x->head_max : x->wire[k];
		ck_assert_double_eq_tol(podfab_encoding_head_bytes(e, w), h, TOL);
		/* The response header is the request header in every built-in profile. */
		ck_assert_double_eq_tol(podfab_encoding_wire_bytes(e, e->resp_header_bytes, p), x->wire[k],
					TOL);
	}
	/* No header: the payload alone, in whole flits. */
	ck_assert_uint_eq(podfab_encoding_flits(e, 0, 0), 0);
	ck_assert_double_eq_tol(podfab_encoding_wire_bytes(e, 0, 0), 0.0, TOL);
	ck_assert_double_eq_tol(podfab_encoding_head_bytes(e, 0.0), 0.0, TOL);
	/* A flit's worth of payload is one flit; one byte more is two. */
	ck_assert_uint_eq(podfab_encoding_flits(e, 0, e->flit_payload_bytes), 1);
	ck_assert_uint_eq(podfab_encoding_flits(e, 0, e->flit_payload_bytes + 1u), 2);
	/* Wire bytes grow with the payload and never fall below header + payload. */
	double prev = 0.0;
	for (int k = 0; k < NPAYLOAD; k++) {
		double w = podfab_encoding_wire_bytes(e, x->req_header, payloads[k]);
		ck_assert(w >= prev);
		ck_assert(w >= (double)x->req_header + (double)payloads[k]);
		prev = w;
	}
}
END_TEST

START_TEST(test_null_encoding)
{
	for (int k = 0; k < NPAYLOAD; k++) {
		uint64_t p = payloads[k];
		ck_assert_uint_eq(podfab_encoding_flits(NULL, 16, p), 16 + p);
		ck_assert_double_eq_tol(podfab_encoding_wire_bytes(NULL, 16, p), 16.0 + (double)p, TOL);
		ck_assert_double_eq_tol(podfab_encoding_wire_bytes(NULL, 0, p), (double)p, TOL);
		/* No flits, frames or codewords: a cut-through element waits for the whole message. */
		ck_assert_double_eq_tol(podfab_encoding_head_bytes(NULL, 16.0 + (double)p), 16.0 + (double)p,
					TOL);
	}
	ck_assert_double_eq_tol(podfab_encoding_efficiency(NULL), 0.0, TOL);
	ck_assert_ptr_null(podfab_encoding_find(NULL));
	ck_assert_ptr_null(podfab_encoding_find("no-such-encoding"));
}
END_TEST

/*
 * A long stream: payload / wire bytes approaches the profile's efficiency
 * (the header and the last partial flit become negligible, and framing and
 * FEC are charged in proportion).  For 1 GiB the gap is below 1e-6.
 */
START_TEST(test_stream_efficiency)
{
	const podfab_encoding_t *e = podfab_encoding_get(_i);
	ck_assert_ptr_nonnull(e);
	double eff = podfab_encoding_efficiency(e);
	ck_assert(eff > 0.0 && eff <= 1.0);
	uint64_t big = (uint64_t)1 << 30;
	double got = (double)big / podfab_encoding_wire_bytes(e, e->req_header_bytes, big);
	ck_assert_msg(fabs(got - eff) < 1e-6, "%s: stream efficiency %.9f, profile %.9f", e->name, got,
		      eff);
	ck_assert(got <= eff + 1e-12);
	/* Whole flits of payload and no header: exactly the efficiency. */
	uint64_t whole = (uint64_t)e->flit_payload_bytes * 1000u;
	ck_assert_double_eq_tol((double)whole / podfab_encoding_wire_bytes(e, 0, whole), eff, 1e-12);
	/* And a 256-byte request does worse than the long stream. */
	double small = 256.0 / podfab_encoding_wire_bytes(e, e->req_header_bytes, 256);
	ck_assert(small < got);
}
END_TEST

static Suite *encoding_suite(void)
{
	Suite *s = suite_create("encoding");
	TCase *tc = tcase_create("wire-bytes");
	tcase_add_test(tc, test_profiles_covered);
	tcase_add_loop_test(tc, test_profile_values, 0, NEXPECT);
	tcase_add_test(tc, test_null_encoding);
	tcase_add_loop_test(tc, test_stream_efficiency, 0, NEXPECT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(encoding_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
