/*
 * test-conformance - runs the conformance suite on every transport built into
 * libpodfab: each case of pf-conform with podfab-run on 2, 4 and 8 accelerator
 * processes, and as 1, 3 and 8 accelerator threads of one process; the local
 * cases once per transport.
 *
 *   test-conformance PF_CONFORM        (PODFAB_RUN in the environment names podfab-run)
 *
 * One Check test case per conformance case (CK_RUN_CASE=rma runs one), looped
 * over (transport x mode x size).  PF_CONFORM_SIZES="2,8" restricts the sizes,
 * PF_CONFORM_MODES=proc|threads the modes, PF_CONFORM_SCALE=F scales the
 * iterations of the long cases (pf-conform --scale: for slow transports such
 * as libfabric's tcp on loopback).  Under valgrind (PODFAB_UNDER_VALGRIND)
 * the default matrix is smaller: 2 processes and 3 threads.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <podfab/podfab.h>

extern char **environ;

#define MAX_CASES 64
#define MAX_MODES 16
#define TAIL 3500

static const char *conform_path;
static const char *run_path;
static char *case_names[MAX_CASES];
static int case_local[MAX_CASES];
static int ncases;
static const char *const *transports;
static int ntransports;

/* The modes: (threads?, size). */
static struct {
	int threads, n;
} modes[MAX_MODES];
static int nmodes;

static double timeout_multiplier(void)
{
	const char *m = getenv("CK_TIMEOUT_MULTIPLIER");
	double v = m ? atof(m) : 1.0;
	return v >= 1.0 ? v : 1.0;
}

/*
 * Run argv with stdout and stderr into a pipe.  Returns the wait status; the
 * whole output is copied to our stderr (the test log) and its end kept in tail.
 */
static int run_capture(char *const argv[], char *tail, size_t tailsz)
{
	int fds[2];
	ck_assert_msg(pipe(fds) == 0, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	ck_assert_msg(rc == 0, "cannot start %s: %s", argv[0], strerror(rc));
	size_t cap = 1 << 16, len = 0;
	char *all = malloc(cap);
	ck_assert(all != NULL);
	for (;;) {
		if (len + 4096 > cap) {
			char *bigger = realloc(all, cap * 2);
			ck_assert(bigger != NULL);
			all = bigger;
			cap *= 2;
		}
		ssize_t r = read(fds[0], all + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (len) {
		fwrite(all, 1, len, stderr);
		fflush(stderr);
	}
	size_t keep = len < tailsz - 1 ? len : tailsz - 1;
	memcpy(tail, all + len - keep, keep);
	tail[keep] = '\0';
	free(all);
	return status;
}

static void describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d%s", WEXITSTATUS(status),
			 WEXITSTATUS(status) == 124 ? " (timed out)" : WEXITSTATUS(status) == 3 ? " (pf-conform timeout)" : "");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "wait status 0x%x", status);
}

static void run_and_check(char *const argv[])
{
	char cmd[1024] = "";
	for (int i = 0; argv[i]; i++) {
		strncat(cmd, argv[i], sizeof cmd - strlen(cmd) - 2);
		strncat(cmd, " ", sizeof cmd - strlen(cmd) - 1);
	}
	fprintf(stderr, "+ %s\n", cmd);
	fflush(stderr);
	static char tail[TAIL];
	int status = run_capture(argv, tail, sizeof tail);
	char how[96];
	describe(status, how, sizeof how);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: %s; output ends:\n%s", cmd, how, tail);
}

START_TEST(test_pod)
{
	int per_case = ntransports * nmodes;
	int k = _i / per_case, rest = _i % per_case;
	const char *tp = transports[rest / nmodes];
	int m = rest % nmodes;
	char nbuf[16], tbuf[32];
	snprintf(nbuf, sizeof nbuf, "%d", modes[m].n);
	const char *scale = getenv("PF_CONFORM_SCALE");
	char *argv[16];
	int a = 0;
	if (!modes[m].threads) {
		ck_assert_msg(run_path != NULL, "PODFAB_RUN is not set");
		snprintf(tbuf, sizeof tbuf, "%.0f", 240 * timeout_multiplier());
		argv[a++] = (char *)run_path;
		argv[a++] = "-n";
		argv[a++] = nbuf;
		argv[a++] = "--transport";
		argv[a++] = (char *)tp;
		argv[a++] = "--timeout";
		argv[a++] = tbuf;
		argv[a++] = "--";
	}
	argv[a++] = (char *)conform_path;
	if (modes[m].threads) {
		argv[a++] = "--threads";
		argv[a++] = nbuf;
		argv[a++] = "--transport";
		argv[a++] = (char *)tp;
	}
	if (scale && *scale) {
		argv[a++] = "--scale";
		argv[a++] = (char *)scale;
	}
	argv[a++] = case_names[k];
	argv[a] = NULL;
	run_and_check(argv);
}
END_TEST

START_TEST(test_local)
{
	int k = _i / ntransports;
	const char *tp = transports[_i % ntransports];
	char *argv[] = {(char *)conform_path, "--local", "--transport", (char *)tp, case_names[k], NULL};
	run_and_check(argv);
}
END_TEST

/* Ask pf-conform for its cases ("NAME pod|local DESCRIPTION" lines). */
static int load_cases(void)
{
	char *argv[] = {(char *)conform_path, "--list", NULL};
	int fds[2];
	if (pipe(fds))
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	pid_t pid;
	int rc = posix_spawn(&pid, conform_path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		fprintf(stderr, "test-conformance: cannot run %s: %s\n", conform_path, strerror(rc));
		return -1;
	}
	FILE *f = fdopen(fds[0], "r");
	char line[512];
	while (f && fgets(line, sizeof line, f) && ncases < MAX_CASES) {
		char name[128], kind[16];
		if (sscanf(line, "%127s %15s", name, kind) != 2)
			continue;
		case_names[ncases] = strdup(name);
		case_local[ncases] = strcmp(kind, "local") == 0;
		ncases++;
	}
	if (f)
		fclose(f);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && ncases > 0 ? 0 : -1;
}

static void load_modes(void)
{
	const char *vg = getenv("PODFAB_UNDER_VALGRIND");
	int under_vg = vg && *vg && strcmp(vg, "0") != 0;
	static const int proc_sizes[] = {2, 4, 8}, thread_sizes[] = {1, 3, 8};
	const char *only = getenv("PF_CONFORM_SIZES"), *which = getenv("PF_CONFORM_MODES");
	for (int th = 0; th < 2; th++) {
		if (which && *which && strcmp(which, th ? "threads" : "proc") != 0)
			continue;
		const int *sizes = th ? thread_sizes : proc_sizes;
		for (int i = 0; i < 3 && nmodes < MAX_MODES; i++) {
			int n = sizes[i];
			if (only && *only) {
				char want[16];
				snprintf(want, sizeof want, "%d", n);
				int found = 0;
				char *copy = strdup(only), *save = NULL;
				for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
					found |= strcmp(tok, want) == 0;
				free(copy);
				if (!found)
					continue;
			} else if (under_vg && n != (th ? 3 : 2)) {
				continue;
			}
			modes[nmodes].threads = th;
			modes[nmodes].n = n;
			nmodes++;
		}
	}
}

int main(int argc, char **argv)
{
	conform_path = argc > 1 ? argv[1] : getenv("PF_CONFORM");
	run_path = getenv("PODFAB_RUN");
	if (!conform_path) {
		fprintf(stderr, "usage: test-conformance PATH-TO-pf-conform (and PODFAB_RUN=PATH-TO-podfab-run)\n");
		return 2;
	}
	/* The children get the launcher environment from podfab-run or from their parameters only. */
	unsetenv("PODFAB_JOB");
	unsetenv("PODFAB_ACCEL_ID");
	unsetenv("PODFAB_NACCELS");
	if (load_cases()) {
		fprintf(stderr, "test-conformance: '%s --list' failed\n", conform_path);
		return 1;
	}
	transports = podfab_transports();
	while (transports && transports[ntransports])
		ntransports++;
	/* PF_CONFORM_TRANSPORTS=a,b: only those of the built transports */
	const char *only_tp = getenv("PF_CONFORM_TRANSPORTS");
	if (only_tp && *only_tp) {
		static const char *picked[16];
		int np = 0;
		for (int i = 0; i < ntransports && np < 16; i++) {
			size_t len = strlen(transports[i]);
			for (const char *p = only_tp; *p;) {
				size_t w = strcspn(p, ",");
				if (w == len && !strncmp(p, transports[i], len))
					picked[np++] = transports[i];
				p += w + (p[w] == ',');
			}
		}
		if (!np) {
			fprintf(stderr, "test-conformance: PF_CONFORM_TRANSPORTS=%s names no built transport\n", only_tp);
			return 1;
		}
		transports = picked;
		ntransports = np;
	}
	if (!ntransports) {
		fprintf(stderr, "test-conformance: the library lists no transports\n");
		return 1;
	}
	load_modes();

	Suite *s = suite_create("conformance");
	for (int k = 0; k < ncases; k++) {
		TCase *tc = tcase_create(case_names[k]);
		tcase_set_timeout(tc, 300);
		if (case_local[k])
			tcase_add_loop_test(tc, test_local, k * ntransports, (k + 1) * ntransports);
		else if (nmodes)
			tcase_add_loop_test(tc, test_pod, k * ntransports * nmodes, (k + 1) * ntransports * nmodes);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (int k = 0; k < ncases; k++)
		free(case_names[k]);
	return failed ? 1 : 0;
}
