/*
 * boot-prog.c - the program of the bootstrap tests.
 *
 *   boot-prog                 attach (podfab_init), put a word to the right
 *                             neighbour, barrier, check the word from the left,
 *                             barrier, finalize; prints "boot-prog: accelerator
 *                             I of N ok"
 *   boot-prog --die ID        as above, but accelerator ID _exit(3)s after init
 *                             while the others wait in podfab_barrier
 *   boot-prog --threads N     N accelerators as threads of this process, each
 *                             podfab_init with params (id, N, PODFAB_JOB), then
 *                             the same exchange
 *   boot-prog --free-port     print a TCP port of 127.0.0.1 that is free now
 *
 * Exit status 0 on success; on a library error the message names the call,
 * the error (PODFAB_E...) and its detail, and the status is 1.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <podfab/podfab.h>

#define MAX_THREADS 16

static int failed(int id, int rc, const char *what)
{
	if (rc >= 0)
		return 0;
	fprintf(stderr, "boot-prog: accelerator %d: %s: %s: %s\n", id, what, podfab_errname(rc),
		podfab_error_detail());
	return 1;
}

/* One accelerator's run; params NULL: from the launcher's environment. */
static int run(const podfab_params_t *params, int die)
{
	podfab_t pf;
	const char *env_id = getenv("PODFAB_ACCEL_ID");
	int who = params ? params->accel_id : env_id ? atoi(env_id) : -1;
	int rc = podfab_init(params, &pf);
	if (failed(who, rc, "podfab_init"))
		return 1;
	int me = podfab_accel_id(pf);
	int n = podfab_naccels(pf);
	podfab_seg_t seg;
	if (failed(me, podfab_seg_alloc(pf, 4096, &seg), "podfab_seg_alloc"))
		return 1;
	if (me == die) {
		fprintf(stderr, "boot-prog: accelerator %d: dying on purpose\n", me);
		fflush(stderr);
		_exit(3);
	}
	const volatile uint64_t *inbox = podfab_seg_addr(pf, seg);
	uint64_t word = 0xb007000000000000ull | (uint64_t)me;
	int right = (me + 1) % n, left = (me + n - 1) % n;
	if (failed(me, podfab_put(pf, right, seg, 0, &word, sizeof word), "podfab_put") ||
	    failed(me, podfab_barrier(pf), "podfab_barrier"))
		return 1;
	if (*inbox != (0xb007000000000000ull | (uint64_t)left)) {
		fprintf(stderr, "boot-prog: accelerator %d: got 0x%llx from accelerator %d\n", me,
			(unsigned long long)*inbox, left);
		return 1;
	}
	if (failed(me, podfab_barrier(pf), "podfab_barrier") ||
	    failed(me, podfab_finalize(pf), "podfab_finalize"))
		return 1;
	printf("boot-prog: accelerator %d of %d ok\n", me, n);
	fflush(stdout);
	return 0;
}

struct thread_arg {
	podfab_params_t params;
	int rc;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	a->rc = run(&a->params, -1);
	return NULL;
}

static int run_threads(int n)
{
	const char *job = getenv("PODFAB_JOB");
	if (!job) {
		fprintf(stderr, "boot-prog: --threads needs PODFAB_JOB\n");
		return 2;
	}
	struct thread_arg args[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	int rc = 0;
	for (int i = 0; i < n; i++) {
		memset(&args[i], 0, sizeof args[i]);
		args[i].params.field_mask = PODFAB_PARAM_ACCEL_ID | PODFAB_PARAM_NACCELS | PODFAB_PARAM_JOB;
		args[i].params.accel_id = i;
		args[i].params.naccels = n;
		args[i].params.job = job;
		if (pthread_create(&tid[i], NULL, thread_main, &args[i]) != 0) {
			fprintf(stderr, "boot-prog: pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(tid[i], NULL);
		rc |= args[i].rc;
	}
	return rc;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("boot-prog: --free-port");
		return 1;
	}
	printf("%u\n", (unsigned)ntohs(sa.sin_port));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--free-port"))
		return free_port();
	if (argc == 3 && !strcmp(argv[1], "--die"))
		return run(NULL, atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "--threads")) {
		int n = atoi(argv[2]);
		if (n < 1 || n > MAX_THREADS) {
			fprintf(stderr, "boot-prog: --threads 1..%d\n", MAX_THREADS);
			return 2;
		}
		return run_threads(n);
	}
	if (argc != 1) {
		fprintf(stderr, "usage: boot-prog [--die ID | --threads N | --free-port]\n");
		return 2;
	}
	return run(NULL, -1);
}
