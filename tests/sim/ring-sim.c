/*
 * ring-sim.c - the simulated side of the live-versus-simulated test
 * (live.sh): `sim-ring MODEL N K BYTES` simulates accelerator i, for i < N,
 * doing K blocking writes of BYTES to (i+1) mod N (each write waits for the
 * previous one: an after= chain), and prints "sim I NS" with the time the
 * chain took.
 */
#include <stdio.h>
#include <stdlib.h>

#include <podfab/sim.h>

static int die(const char *what, int rc)
{
	fprintf(stderr, "ring-sim: %s: %s (%s)\n", what, podfab_strerror(rc), podfab_error_detail());
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: ring-sim MODEL N K BYTES\n");
		return 2;
	}
	uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10), k = (uint32_t)strtoul(argv[3], NULL, 10);
	uint64_t bytes = strtoull(argv[4], NULL, 10);
	podfab_topo_t t;
	int rc = podfab_topo_load(argv[1], &t);
	if (rc)
		return die(argv[1], rc);
	if (n < 2 || n > podfab_topo_naccels(t) || k == 0)
		return die("N and K", -PODFAB_EINVAL);
	podfab_sim_t s;
	podfab_sim_config_t cfg = {.size = sizeof cfg};
	if ((rc = podfab_sim_new(t, &cfg, &s)))
		return die("sim_new", rc);
	uint64_t *last = calloc(n, sizeof *last);
	if (!last)
		return die("calloc", -PODFAB_ENOMEM);
	for (uint32_t j = 0; j < k; j++)
		for (uint32_t i = 0; i < n; i++) {
			podfab_sim_op_t op = {.t = 0, .src = i, .dst = (i + 1) % n, .kind = PODFAB_SIM_WRITE,
					      .bytes = bytes, .after = j ? last[i] : PODFAB_SIM_NONE, .delay = 0};
			if ((rc = podfab_sim_add(s, &op, &last[i])))
				return die("sim_add", rc);
		}
	if ((rc = podfab_sim_run(s, NULL, NULL)))
		return die("sim_run", rc);
	for (uint32_t i = 0; i < n; i++) {
		double done;
		if ((rc = podfab_sim_op_times(s, last[i], NULL, &done)))
			return die("op_times", rc);
		printf("sim %u %.6f\n", i, done);
	}
	free(last);
	podfab_sim_free(s);
	podfab_topo_free(t);
	return 0;
}
