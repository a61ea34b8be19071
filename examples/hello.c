/*
 * hello.c - the smallest podfab program: attach to the pod, say who we are,
 * meet everyone at a barrier, detach.
 *
 * Run it with the launcher, which starts one process per accelerator and
 * tells each its id through the environment:
 *
 *     podfab-run -n 4 ./podfab-example-hello
 *
 * Every podfab call returns 0 on success or a negative error code, which
 * podfab_strerror() turns into a message; podfab_error_detail() adds what
 * exactly went wrong.
 */
#include <stdio.h>

#include <podfab/podfab.h>

/* Print a failed call's error and return 1 (the exit status), or 0 on success. */
static int failed(int rc, const char *what)
{
	if (rc >= 0)
		return 0;
	fprintf(stderr, "hello: %s: %s (%s)\n", what, podfab_strerror(rc), podfab_error_detail());
	return 1;
}

int main(void)
{
	podfab_t pf;

	/*
	 * NULL parameters: everything (job, id, number of accelerators) comes
	 * from the environment that podfab-run sets.  This is collective: it
	 * returns once every accelerator of the job has attached.
	 */
	int rc = podfab_init(NULL, &pf);
	if (failed(rc, "podfab_init")) {
		if (rc == -PODFAB_EENV) /* not started by podfab-run */
			fprintf(stderr, "hello: start me with podfab-run, e.g. "
					"podfab-run -n 4 ./podfab-example-hello\n");
		return 1;
	}

	int me = podfab_accel_id(pf);
	int n = podfab_naccels(pf);
	if (failed(me, "podfab_accel_id") || failed(n, "podfab_naccels")) {
		podfab_finalize(pf);
		return 1;
	}

	printf("accelerator %d of %d (transport %s)\n", me, n, podfab_transport_name(pf));
	fflush(stdout);

	/* Nobody leaves before everyone has said hello. */
	rc = podfab_barrier(pf);
	if (failed(rc, "podfab_barrier")) {
		podfab_finalize(pf);
		return 1;
	}

	/* Detach (collective too).  The handle is dead afterwards. */
	rc = podfab_finalize(pf);
	if (failed(rc, "podfab_finalize"))
		return 1;
	return 0;
}
