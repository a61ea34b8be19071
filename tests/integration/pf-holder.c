/*
 * pf-holder.c - an accelerator program for the launcher's integration tests.
 *
 *   pf-holder hold DIR       attach, allocate a segment, create the shared-memory
 *                            object /podfab.<job>.test<id>, write DIR/ready.<id>
 *                            (this process's pid), then sleep until killed
 *   pf-holder init-hang DIR  write DIR/ready.<id>; the last accelerator then sleeps
 *                            without attaching, the others block in podfab_init
 *   pf-holder noleak         attach, allocate, and check that the library left no
 *                            name of the job in /dev/shm once every accelerator
 *                            has mapped everything
 *   pf-holder env            attach with podfab_init(NULL) and check that what the
 *                            library reports matches the launcher's environment
 *
 * Exit status 0 on success; a failure prints one line to stderr.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <podfab/podfab.h>

static int env_int(const char *name)
{
	const char *s = getenv(name);
	return s ? atoi(s) : -1;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "pf-holder[%s]: %s: %s (%s) %s\n", getenv("PODFAB_ACCEL_ID"), what,
		podfab_errname(rc), podfab_strerror(rc), podfab_error_detail());
	return 1;
}

/* DIR/ready.<id> holding our pid, written under another name and renamed into place. */
static int write_ready(const char *dir)
{
	char tmp[4096], name[4096];
	snprintf(tmp, sizeof tmp, "%s/.ready.%d", dir, env_int("PODFAB_ACCEL_ID"));
	snprintf(name, sizeof name, "%s/ready.%d", dir, env_int("PODFAB_ACCEL_ID"));
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, name);
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

static int hold(const char *dir)
{
	podfab_t pf;
	podfab_seg_t seg;
	int rc = podfab_init(NULL, &pf);
	if (rc)
		return fail("podfab_init", rc);
	if ((rc = podfab_seg_alloc(pf, 65536, &seg)) || (rc = podfab_barrier(pf)))
		return fail("podfab_seg_alloc", rc);
	char name[128];
	snprintf(name, sizeof name, "/podfab.%s.test%d", getenv("PODFAB_JOB"),
		 env_int("PODFAB_ACCEL_ID"));
	int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0) {
		perror(name);
		return 1;
	}
	close(fd);
	if (write_ready(dir) < 0) {
		perror(dir);
		return 1;
	}
	sleep_forever();
	return 0;
}

static int init_hang(const char *dir)
{
	if (write_ready(dir) < 0) {
		perror(dir);
		return 1;
	}
	if (env_int("PODFAB_ACCEL_ID") == env_int("PODFAB_NACCELS") - 1)
		sleep_forever();
	podfab_t pf;
	int rc = podfab_init(NULL, &pf);
	return fail("podfab_init returned although an accelerator never attached", rc);
}

/* How many names of this job are in /dev/shm (printing them), or -1. */
static int job_names_left(void)
{
	char prefix[128];
	snprintf(prefix, sizeof prefix, "podfab.%s.", getenv("PODFAB_JOB"));
	DIR *d = opendir("/dev/shm");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			fprintf(stderr, "pf-holder[%s]: /dev/shm/%s still exists\n",
				getenv("PODFAB_ACCEL_ID"), e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static int noleak(void)
{
	podfab_t pf;
	podfab_seg_t a, b;
	int rc = podfab_init(NULL, &pf);
	if (rc)
		return fail("podfab_init", rc);
	if ((rc = podfab_seg_alloc(pf, 4096, &a)) || (rc = podfab_seg_alloc(pf, 1 << 20, &b)))
		return fail("podfab_seg_alloc", rc);
	int me = podfab_accel_id(pf), n = podfab_naccels(pf);
	uint64_t v = (uint64_t)me + 1;
	if ((rc = podfab_put(pf, (me + 1) % n, b, 8 * (size_t)me, &v, 8)) || (rc = podfab_barrier(pf)))
		return fail("podfab_put/barrier", rc);
	int left = job_names_left();
	if ((rc = podfab_barrier(pf)))
		return fail("podfab_barrier", rc);
	if ((rc = podfab_seg_free(pf, a)) || (rc = podfab_seg_free(pf, b)))
		return fail("podfab_seg_free", rc);
	if ((rc = podfab_finalize(pf)))
		return fail("podfab_finalize", rc);
	if (left != 0) {
		fprintf(stderr, "pf-holder[%d]: %d shared-memory names of the job remain after "
				"every accelerator has mapped everything\n",
			me, left);
		return 1;
	}
	printf("accelerator %d of %d: no names left: OK\n", me, n);
	return 0;
}

/* The mode PODFAB_TIMING asks for (functional when unset). */
static int env_timing(void)
{
	const char *t = getenv("PODFAB_TIMING");
	if (t && !strcmp(t, "realtime"))
		return PODFAB_TIMING_REALTIME;
	if (t && !strcmp(t, "virtual"))
		return PODFAB_TIMING_VIRTUAL;
	return PODFAB_TIMING_FUNCTIONAL;
}

static int env_check(void)
{
	podfab_t pf;
	int rc = podfab_init(NULL, &pf);
	if (rc)
		return fail("podfab_init", rc);
	int ok = podfab_accel_id(pf) == env_int("PODFAB_ACCEL_ID") &&
		 podfab_naccels(pf) == env_int("PODFAB_NACCELS") &&
		 podfab_timing_mode(pf) == env_timing() &&
		 podfab_transport_name(pf) && !strcmp(podfab_transport_name(pf), "shm");
	printf("accelerator %d of %d, timing %d, transport %s: %s\n", podfab_accel_id(pf),
	       podfab_naccels(pf), podfab_timing_mode(pf), podfab_transport_name(pf),
	       ok ? "OK" : "MISMATCH");
	fflush(stdout);
	if ((rc = podfab_finalize(pf)))
		return fail("podfab_finalize", rc);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "hold"))
		return hold(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "init-hang"))
		return init_hang(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "noleak"))
		return noleak();
	if (argc >= 2 && !strcmp(argv[1], "env"))
		return env_check();
	fprintf(stderr, "usage: pf-holder hold DIR | init-hang DIR | noleak | env\n");
	return 2;
}
