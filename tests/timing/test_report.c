/*
 * test_report.c - the timing region's reports (lib/timing/report.c): a region
 * built in plain memory over a generated pod, counters filled by hand, then
 * the JSON (keys, numbers, escaping, switches) and the text report (busiest
 * link first), and podfab_stat_* over a real /podfab.<job>.timing object.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <check.h>

#include <podfab/podfab.h>
#include <podfab/stat.h>
#include <podfab/topo.h>

#include "pf_timing.h"

#define SPEC "ualink-pod:accels=4,switches=1"

struct fixture {
	podfab_topo_t topo;
	struct pf_tm_shared *sh;
	uint64_t size;
};

static void fx_init(struct fixture *fx, const char *job)
{
	int rc = podfab_topo_load(SPEC, &fx->topo);
	ck_assert_msg(rc == 0, "load %s: %d %s", SPEC, rc, podfab_error_detail());
	struct pf_tm_shared hdr;
	memset(&hdr, 0, sizeof hdr);
	fx->size = pf_tm_layout(&hdr, podfab_topo_nlinks(fx->topo), podfab_topo_naccels(fx->topo));
	ck_assert_uint_ge(fx->size, sizeof hdr);
	fx->sh = calloc(1, fx->size);
	ck_assert_ptr_nonnull(fx->sh);
	pf_tm_shared_init(fx->sh, fx->topo, PODFAB_TIMING_VIRTUAL, 1.0, 7, job, SPEC);
	atomic_store(&fx->sh->magic, PF_TM_MAGIC);
}

static void fx_fini(struct fixture *fx)
{
	free(fx->sh);
	podfab_topo_free(fx->topo);
}

/* Directed link leaving node `from` over the link between from and to. */
static uint32_t dlink_between(podfab_topo_t t, const char *from, const char *to)
{
	uint32_t a = podfab_topo_find(t, from), b = podfab_topo_find(t, to);
	ck_assert_uint_ne(a, PODFAB_TOPO_NONE);
	ck_assert_uint_ne(b, PODFAB_TOPO_NONE);
	for (uint32_t i = 0; i < podfab_topo_nlinks(t); i++) {
		const podfab_link_t *l = podfab_topo_link(t, i);
		if (l->a == a && l->b == b)
			return 2 * i;
		if (l->a == b && l->b == a)
			return 2 * i + 1;
	}
	ck_abort_msg("no link %s - %s", from, to);
	return 0;
}

static void set_link(struct pf_tm_shared *sh, uint32_t d, uint64_t msgs, uint64_t bytes, uint64_t busy_ps,
		     uint64_t queue_ps, uint64_t replays)
{
	struct pf_tm_link *l = &pf_tm_links(sh)[d];
	atomic_store(&l->messages, msgs);
	atomic_store(&l->bytes, bytes);
	atomic_store(&l->wire_bytes, bytes + bytes / 8);
	atomic_store(&l->flits, (bytes + 63) / 64);
	atomic_store(&l->busy_ps, busy_ps);
	atomic_store(&l->queue_ps, queue_ps);
	atomic_store(&l->replays, replays);
}

/* Accelerator clocks 1000 ns and 2000 ns; two busy links, accel1 -> sw0 the busiest. */
static void fill(struct fixture *fx, uint32_t *d_busy, uint32_t *d_less)
{
	struct pf_tm_accel *a = pf_tm_accels(fx->sh);
	atomic_store(&a[0].now, pf_tm_u(1000.0));
	atomic_store(&a[1].now, pf_tm_u(2000.0));
	atomic_store(&a[0].ops, 10);
	atomic_store(&a[0].requests, 12);
	atomic_store(&a[0].state, 2);
	atomic_store(&a[1].state, 1);
	*d_less = dlink_between(fx->topo, "accel0", "sw0");
	*d_busy = dlink_between(fx->topo, "accel1", "sw0");
	set_link(fx->sh, *d_less, 3, 768, 100000, 5000, 0);     /* 100 ns busy */
	set_link(fx->sh, *d_busy, 40, 10240, 1500000, 250000, 2); /* 1500 ns busy */
}

static char *capture_json(const struct pf_tm_shared *sh, podfab_topo_t t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	int rc = pf_tm_write_json(f, sh, t);
	ck_assert_msg(rc == 0, "write_json: %d %s", rc, podfab_error_detail());
	fclose(f);
	return buf;
}

static char *capture_report(const struct pf_tm_shared *sh, podfab_topo_t t, int top)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	int rc = pf_tm_write_report(f, sh, t, top);
	ck_assert_msg(rc == 0, "write_report: %d %s", rc, podfab_error_detail());
	fclose(f);
	return buf;
}

static void has(const char *text, const char *want)
{
	ck_assert_msg(strstr(text, want) != NULL, "output lacks '%s':\n%s", want, text);
}

/* The number after "key": in text (searching from text), which must exist. */
static double num_after(const char *text, const char *key)
{
	char pat[128];
	snprintf(pat, sizeof pat, "\"%s\": ", key);
	const char *p = strstr(text, pat);
	ck_assert_msg(p != NULL, "no key %s in:\n%s", key, text);
	char *end;
	double v = strtod(p + strlen(pat), &end);
	ck_assert_msg(end != p + strlen(pat), "key %s has no number", key);
	return v;
}

/*
 * A small JSON well-formedness check: balanced brackets outside strings,
 * escapes only of the allowed kinds, no control characters inside strings,
 * no "nan"/"inf" tokens.
 */
static void json_wellformed(const char *s)
{
	int depth = 0, in_str = 0;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (in_str) {
			ck_assert_msg(c >= 0x20, "control character in a string at %td", p - s);
			if (c == '\\') {
				p++;
				ck_assert_msg(*p && strchr("\"\\/bfnrtu", *p), "bad escape at %td", p - s);
			} else if (c == '"') {
				in_str = 0;
			}
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			depth--;
			ck_assert_msg(depth >= 0, "unbalanced at %td", p - s);
		} else {
			ck_assert_msg(!(c == 'n' && !strncmp(p, "nan", 3)) && !(c == 'i' && !strncmp(p, "inf", 3)),
				      "non-finite number at %td", p - s);
		}
	}
	ck_assert_int_eq(in_str, 0);
	ck_assert_int_eq(depth, 0);
}

START_TEST(test_json)
{
	struct fixture fx;
	fx_init(&fx, "job-\"q\"\\x");
	uint32_t d_busy, d_less;
	fill(&fx, &d_busy, &d_less);
	char *j = capture_json(fx.sh, fx.topo);
	json_wellformed(j);
	has(j, "{\"podfab_stats\": 1");
	has(j, "\"job\": \"job-\\\"q\\\"\\\\x\"");
	has(j, "\"model\": \"" SPEC "\"");
	has(j, "\"family\": \"ualink-pod\"");
	has(j, "\"timing\": \"virtual\"");
	ck_assert_double_eq_tol(num_after(j, "dilation"), 1.0, 1e-12);
	ck_assert_double_eq_tol(num_after(j, "time_ns"), 2000.0, 1e-9);
	has(j, "{\"id\": 0, \"time_ns\": 1000, \"ops\": 10, \"requests\": 12, \"state\": \"finished\"}");
	has(j, "{\"id\": 1, \"time_ns\": 2000, \"ops\": 0, \"requests\": 0, \"state\": \"attached\"}");
	has(j, "{\"id\": 3, \"time_ns\": 0, \"ops\": 0, \"requests\": 0, \"state\": \"absent\"}");

	/* The busiest link's entry, with its numbers. */
	char want[256];
	snprintf(want, sizeof want, "{\"link\": %u, \"dlink\": %u, \"from\": \"accel1\", \"to\": \"sw0\"", d_busy / 2,
		 d_busy);
	has(j, want);
	const char *e = strstr(j, want);
	ck_assert_uint_eq((uint64_t)num_after(e, "messages"), 40);
	ck_assert_uint_eq((uint64_t)num_after(e, "bytes"), 10240);
	ck_assert_uint_eq((uint64_t)num_after(e, "wire_bytes"), 11520);
	ck_assert_uint_eq((uint64_t)num_after(e, "flits"), 160);
	ck_assert_double_eq_tol(num_after(e, "busy_ns"), 1500.0, 1e-9);
	ck_assert_double_eq_tol(num_after(e, "queue_ns"), 250.0, 1e-9);
	ck_assert_uint_eq((uint64_t)num_after(e, "replays"), 2);
	ck_assert_double_eq_tol(num_after(e, "utilisation"), 0.75, 1e-12);
	has(e, "\"class\": \"accel-switch\", \"up\": true");
	snprintf(want, sizeof want, "\"dlink\": %u, \"from\": \"accel0\", \"to\": \"sw0\"", d_less);
	has(j, want);

	/* Only the two links with traffic are listed; 2 * 4 - 2 are idle. */
	int entries = 0;
	for (const char *p = j; (p = strstr(p, "\"dlink\": ")); p++)
		entries++;
	ck_assert_int_eq(entries, 2);
	ck_assert_uint_eq((uint64_t)num_after(j, "idle_links"), 6);

	/* sw0 is listed with its ports: accel1's port receives (rx) the busiest link. */
	has(j, "\"switches\": [");
	has(j, "{\"name\": \"sw0\", \"ports\": [");
	const char *sw = strstr(j, "\"switches\"");
	snprintf(want, sizeof want, "\"link\": %u, \"tx\": {\"messages\": 0", d_busy / 2);
	has(sw, want);
	snprintf(want, sizeof want, "\"rx\": {\"messages\": 40, \"bytes\": 10240");
	has(sw, want);
	free(j);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_json_empty)
{
	struct fixture fx;
	fx_init(&fx, "quiet");
	char *j = capture_json(fx.sh, fx.topo);
	json_wellformed(j);
	has(j, "\"time_ns\": 0,");
	has(j, "\"links\": []");
	has(j, "\"switches\": []");
	ck_assert_uint_eq((uint64_t)num_after(j, "idle_links"), 8);
	free(j);
	/* A non-finite clock never reaches the JSON. */
	atomic_store(&pf_tm_accels(fx.sh)[2].now, pf_tm_u(INFINITY));
	j = capture_json(fx.sh, fx.topo);
	json_wellformed(j);
	has(j, "\"time_ns\": 0,");
	free(j);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_report_text)
{
	struct fixture fx;
	fx_init(&fx, "text");
	uint32_t d_busy, d_less;
	fill(&fx, &d_busy, &d_less);
	char *r = capture_report(fx.sh, fx.topo, 5);
	has(r, "podfab: virtual time 2.000 us over 4 accelerators, model " SPEC "\n");
	const char *a = strstr(r, "accel1 -> sw0"), *b = strstr(r, "accel0 -> sw0");
	ck_assert_msg(a && b && a < b, "busiest link not first:\n%s", r);
	has(r, "75.0");
	has(r, "totals: 43 messages, 11008 bytes");
	has(r, "2 replays");
	free(r);

	/* top 1: only the busiest. */
	r = capture_report(fx.sh, fx.topo, 1);
	has(r, "accel1 -> sw0");
	ck_assert_ptr_null(strstr(r, "accel0 -> sw0"));
	has(r, "totals: 43 messages");
	free(r);

	/* Order follows busy time, not message count. */
	set_link(fx.sh, d_less, 3, 768, 1900000, 0, 0);
	r = capture_report(fx.sh, fx.topo, 5);
	a = strstr(r, "accel1 -> sw0");
	b = strstr(r, "accel0 -> sw0");
	ck_assert_msg(a && b && b < a, "busiest link not first:\n%s", r);
	free(r);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_mismatch)
{
	struct fixture fx;
	fx_init(&fx, "mm");
	podfab_topo_t other;
	ck_assert_int_eq(podfab_topo_load("ring:accels=3", &other), 0);
	FILE *f = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pf_tm_write_json(f, fx.sh, other), -PODFAB_EMISMATCH);
	ck_assert_int_eq(pf_tm_write_report(f, fx.sh, other, 3), -PODFAB_EMISMATCH);
	ck_assert_int_eq(pf_tm_write_json(f, NULL, other), -PODFAB_ENULL);
	fclose(f);
	podfab_topo_free(other);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_stat_open)
{
	podfab_stat_t st = NULL;
	char job[64];
	snprintf(job, sizeof job, "tmreport%ld", (long)getpid());
	ck_assert_int_eq(podfab_stat_open(job, &st), -PODFAB_EINVAL);
	has(podfab_error_detail(), "no timing region /podfab.");
	has(podfab_error_detail(), "--timing");
	ck_assert_int_eq(podfab_stat_open(NULL, &st), -PODFAB_ENULL);
	ck_assert_int_eq(podfab_stat_open("a/b", &st), -PODFAB_EINVAL);
	ck_assert_int_eq(podfab_stat_open("", &st), -PODFAB_EINVAL);
	ck_assert_int_eq(podfab_stat_json(NULL, stdout), -PODFAB_ENULL);
	ck_assert_ptr_null(podfab_stat_model(NULL));
	podfab_stat_close(NULL);

	/* A real region in shared memory, as accelerator 0 makes it. */
	struct fixture fx;
	fx_init(&fx, job);
	uint32_t d_busy, d_less;
	fill(&fx, &d_busy, &d_less);
	char name[96];
	snprintf(name, sizeof name, "/podfab.%s.timing", job);
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)fx.size), 0);
	void *p = mmap(NULL, fx.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ck_assert_ptr_ne(p, MAP_FAILED);
	memcpy(p, fx.sh, fx.size);

	int rc = podfab_stat_open(job, &st);
	ck_assert_msg(rc == 0, "stat_open: %d %s", rc, podfab_error_detail());
	ck_assert_double_eq_tol(podfab_stat_time_ns(st), 2000.0, 1e-9);
	ck_assert_uint_eq(podfab_topo_naccels(podfab_stat_model(st)), 4);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(podfab_stat_json(st, f), 0);
	fclose(f);
	json_wellformed(buf);
	has(buf, "\"from\": \"accel1\", \"to\": \"sw0\"");
	free(buf);
	/* The counters are live: a change in the region shows in the next report. */
	struct pf_tm_shared *live = p;
	atomic_store(&pf_tm_links(live)[d_less].busy_ps, 9000000);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(podfab_stat_report(st, f, 2), 0);
	fclose(f);
	const char *a = strstr(buf, "accel0 -> sw0"), *b = strstr(buf, "accel1 -> sw0");
	ck_assert_msg(a && b && a < b, "busiest link not first:\n%s", buf);
	free(buf);
	podfab_stat_close(st);

	/* A region that is not (yet) complete is refused. */
	atomic_store(&live->magic, 0);
	ck_assert_int_eq(podfab_stat_open(job, &st), -PODFAB_EMISMATCH);
	atomic_store(&live->magic, PF_TM_MAGIC);
	live->version = 99;
	ck_assert_int_eq(podfab_stat_open(job, &st), -PODFAB_EVERSION);
	live->version = PF_TM_VERSION;
	live->size = 1;
	ck_assert_int_eq(podfab_stat_open(job, &st), -PODFAB_EMISMATCH);

	munmap(p, fx.size);
	shm_unlink(name);
	fx_fini(&fx);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_json_empty);
	tcase_add_test(tc, test_report_text);
	tcase_add_test(tc, test_mismatch);
	tcase_add_test(tc, test_stat_open);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
