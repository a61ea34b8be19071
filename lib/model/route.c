/* route.c - placeholder until routing lands (issue 3 work in progress). */
#include "pf_internal.h"
#include "pf_model.h"

int pf_routes_build(podfab_topo_t t)
{
	(void)t;
	return 0;
}

void pf_routes_free(podfab_topo_t t)
{
	(void)t;
}

int pf_routes_query(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow, podfab_hop_t *hops,
		    int max)
{
	(void)t; (void)src; (void)dst; (void)flow; (void)hops; (void)max;
	return pf_err(PODFAB_ENOSYS, "routing is not built yet");
}
