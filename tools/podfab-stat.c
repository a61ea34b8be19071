/*
 * podfab-stat - the timing counters of a running (or just finished) podfab
 * job on this host: per-link traffic, busy and queueing time, replays and the
 * accelerators' model clocks, as a text report or JSON, once or at intervals.
 *
 * A job that runs with timing (podfab-run --timing realtime|virtual) has the
 * shared region /dev/shm/podfab.<job>.timing; without -j the jobs that have
 * one are listed, and the only one is reported.  Uses the public API
 * (podfab/stat.h).  See podfab-stat(1).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <podfab/stat.h>

#include "podfab_config.h"

#define PROG "podfab-stat"
#define SHM_DIR "/dev/shm"
#define DEFAULT_TOP 10
#define MAX_JOBS 256

static void usage(FILE *f)
{
	fprintf(f,
		"usage: podfab-stat [-j JOB] [--json] [--top N] [--interval SEC [--count N]]\n"
		"  -j, --job JOB       the job to read (its region " SHM_DIR "/podfab.JOB.timing);\n"
		"                      without it, list the jobs that have a timing region and\n"
		"                      report the only one\n"
		"      --json          one JSON object per sample instead of the text report\n"
		"      --top N         the N busiest directed links in the text report (%d)\n"
		"      --interval SEC  report every SEC seconds (decimals allowed) until the job\n"
		"                      ends or N samples (--count) have been printed\n"
		"      --count N       with --interval: stop after N samples\n"
		"  -h, --help          this help;  -V, --version  the version\n"
		"A job has a timing region while it runs with podfab-run --timing realtime or\n"
		"virtual.  Exit status: 0 success, 1 no such job or a failure, 2 usage error.\n",
		DEFAULT_TOP);
}

/* "podfab-stat: " pre arg post, then the usage; exit status 2. */
static int fail_usage(const char *pre, const char *arg, const char *post)
{
	fprintf(stderr, PROG ": %s%s%s\n", pre, arg ? arg : "", post);
	usage(stderr);
	return 2;
}

static int parse_count(const char *s, long *out)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 1000000000L)
		return -1;
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

/*
 * The length of the job name in a region's name, podfab.<job>.timing (host of
 * accelerator 0) or podfab.<job>.timing.<N> (another host of a job; N > 0), or 0.
 */
static size_t region_job_len(const char *name)
{
	static const char pre[] = "podfab.", suf[] = ".timing";
	size_t len = strlen(name), pl = sizeof pre - 1, sl = sizeof suf - 1;
	if (strncmp(name, pre, pl))
		return 0;
	const char *dot = strrchr(name, '.');
	if (dot && dot[1] >= '1' && dot[1] <= '9' && strspn(dot + 1, "0123456789") == strlen(dot + 1))
		len = (size_t)(dot - name); /* drop ".<N>" */
	if (len <= pl + sl || strncmp(name + len - sl, suf, sl))
		return 0;
	return len - pl - sl;
}

/* Job names found in SHM_DIR as podfab.<job>.timing[.N], at most max; returns how many or -1. */
static int list_jobs(char names[][64], int max)
{
	DIR *d = opendir(SHM_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	static const char pre[] = "podfab.";
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t pl = sizeof pre - 1, jl = region_job_len(e->d_name);
		if (!jl || jl >= 64)
			continue;
		int seen = 0;
		for (int i = 0; i < n && i < max; i++)
			seen |= strlen(names[i]) == jl && !strncmp(names[i], e->d_name + pl, jl);
		if (seen)
			continue;
		if (n < max) {
			memcpy(names[n], e->d_name + pl, jl);
			names[n][jl] = '\0';
		}
		n++;
	}
	closedir(d);
	return n < max ? n : max;
}

/* Whether this host has a region of the job (either name). */
static int region_exists(const char *job)
{
	char path[128];
	snprintf(path, sizeof path, SHM_DIR "/podfab.%s.timing", job);
	if (access(path, F_OK) == 0)
		return 1;
	DIR *d = opendir(SHM_DIR);
	if (!d)
		return 0;
	int found = 0;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		size_t jl = region_job_len(e->d_name);
		found = jl == strlen(job) && !strncmp(e->d_name + 7, job, jl);
	}
	closedir(d);
	return found;
}

static void sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int report(const char *job, int json, int top, double interval, long count)
{
	podfab_stat_t st;
	int rc = podfab_stat_open(job, &st);
	if (rc < 0) {
		const char *d = podfab_error_detail();
		fprintf(stderr, PROG ": job %s: %s\n", job, d && *d ? d : podfab_strerror(rc));
		return 1;
	}
	int status = 0;
	for (long i = 0;; i++) {
		if (interval > 0 && !json && i > 0)
			putchar('\n');
		rc = json ? podfab_stat_json(st, stdout) : podfab_stat_report(st, stdout, top);
		fflush(stdout);
		if (rc < 0) {
			fprintf(stderr, PROG ": job %s: %s\n", job, podfab_error_detail());
			status = 1;
			break;
		}
		if (interval <= 0 || (count > 0 && i + 1 >= count))
			break;
		sleep_s(interval);
		if (!region_exists(job)) {
			fprintf(stderr, PROG ": job %s has ended\n", job);
			break;
		}
	}
	podfab_stat_close(st);
	return status;
}

int main(int argc, char **argv)
{
	const char *job = NULL;
	int json = 0;
	long top = DEFAULT_TOP, count = 0;
	double interval = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		/* Options with a value take it as the next argument or after '='. */
		const char *val = NULL;
		char opt[32];
		const char *eq = strchr(a, '=');
		if (!strncmp(a, "--", 2) && eq && (size_t)(eq - a) < sizeof opt) {
			memcpy(opt, a, (size_t)(eq - a));
			opt[eq - a] = '\0';
			val = eq + 1;
			a = opt;
		}
		int takes = !strcmp(a, "-j") || !strcmp(a, "--job") || !strcmp(a, "--top") ||
			    !strcmp(a, "--interval") || !strcmp(a, "--count");
		if (val && !takes)
			return fail_usage("option '", a, "' does not take a value");
		if (takes && !val) {
			if (i + 1 >= argc)
				return fail_usage("option '", a, "' needs a value");
			val = argv[++i];
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf(PROG " (podfab) %s\nlibpodfab %s\n", PODFAB_VERSION_STRING, podfab_version_string());
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--job")) {
			if (!*val || strchr(val, '/') || strlen(val) > 48)
				return fail_usage("--job '", val, "': not a job name");
			job = val;
		} else if (!strcmp(a, "--top")) {
			if (parse_count(val, &top))
				return fail_usage("--top '", val, "': expected a whole number of links, 1 or more");
		} else if (!strcmp(a, "--interval")) {
			if (parse_seconds(val, &interval))
				return fail_usage("--interval '", val, "': expected a number of seconds greater than 0");
		} else if (!strcmp(a, "--count")) {
			if (parse_count(val, &count))
				return fail_usage("--count '", val, "': expected a whole number of samples, 1 or more");
		} else if (a[0] == '-') {
			return fail_usage("unknown option '", argv[i], "'");
		} else {
			return fail_usage("unexpected argument '", a, "' (give the job with -j)");
		}
	}
	if (count > 0 && interval <= 0)
		return fail_usage("--count goes with --interval", NULL, "");

	if (job)
		return report(job, json, (int)top, interval, count);

	static char names[MAX_JOBS][64];
	int n = list_jobs(names, MAX_JOBS);
	if (n < 0) {
		fprintf(stderr, PROG ": cannot read " SHM_DIR ": %s\n", strerror(errno));
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, PROG ": no job has a timing region in " SHM_DIR
				" (run one with podfab-run --timing realtime or virtual)\n");
		return 1;
	}
	if (n > 1) {
		printf("jobs with a timing region (choose one with -j JOB):\n");
		for (int i = 0; i < n; i++)
			printf("  %s\n", names[i]);
		return 0;
	}
	fprintf(stderr, PROG ": job %s\n", names[0]);
	return report(names[0], json, (int)top, interval, count);
}
