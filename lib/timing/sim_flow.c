/*
 * sim_flow.c - podfab-sim's flow-level mode (placeholder until it is written).
 */
#include "pf_internal.h"
#include "sim_internal.h"

int pf_sim_run_flow(podfab_sim_t s, void (*progress)(void *, double), void *arg)
{
	(void)s;
	(void)progress;
	(void)arg;
	return pf_err(PODFAB_ENOSYS, "the flow-level mode is not built yet");
}
