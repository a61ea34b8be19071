/*
 * plugin_ring.c - a test topology plugin: a ring of N accelerators built
 * through the public topology API ("plugin:PATH.so:accels=N", default 4).
 * Built twice by the tests: as is, and with PLUGIN_RING_ABI set to a wrong
 * ABI number to check that the loader refuses it before calling build()
 * (build() sets PLUGIN_RING_BUILT=1 in the environment, which the test reads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <podfab/topo.h>

#ifndef PLUGIN_RING_ABI
#define PLUGIN_RING_ABI PODFAB_TOPO_PLUGIN_ABI
#endif

static int ring_build(podfab_topo_t topo, const char *params)
{
	unsigned long n = 4;
	if (params && *params) {
		char *end;
		if (strncmp(params, "accels=", 7))
			return -PODFAB_EMODEL;
		n = strtoul(params + 7, &end, 10);
		if (*end || n < 2 || n > 4096)
			return -PODFAB_EMODEL;
	}
	for (unsigned long i = 0; i < n; i++) {
		char name[32];
		podfab_node_t nd;
		memset(&nd, 0, sizeof nd);
		snprintf(name, sizeof name, "ring%lu", i);
		nd.kind = PODFAB_NODE_ACCEL;
		nd.name = name;
		nd.latency_ns = 20.0;
		nd.egress_ns = 20.0;
		nd.plane = -1;
		nd.coord[0] = (int32_t)i;
		nd.coord[1] = nd.coord[2] = -1;
		int rc = podfab_topo_add_node(topo, &nd, NULL);
		if (rc)
			return rc;
	}
	podfab_link_t lk;
	memset(&lk, 0, sizeof lk);
	lk.lanes = 4;
	lk.lane_gbps = 200.0;
	lk.prop_ns = 5.0;
	lk.enc = podfab_encoding_find("ualink-200g");
	lk.ber = 1e-6;
	lk.up = 1;
	lk.cls = "ring";
	for (unsigned long i = 0; i < n; i++) {
		if (n == 2 && i == 1)
			break; /* a ring of two is one link */
		int rc = podfab_topo_add_link(topo, podfab_topo_accel_node(topo, (uint32_t)i),
					      podfab_topo_accel_node(topo, (uint32_t)((i + 1) % n)), &lk, NULL);
		if (rc)
			return rc;
	}
	setenv("PLUGIN_RING_BUILT", "1", 1);
	return 0;
}

static const podfab_topo_plugin_t ring_plugin = {
	.abi = PLUGIN_RING_ABI,
	.family = "test-ring",
	.help = "test-ring: accels=N (2 to 4096, default 4) accelerators ring0.. in a ring",
	.build = ring_build,
};

/* The entry point the loader looks up. */
PODFAB_EXPORT const podfab_topo_plugin_t *podfab_topo_plugin_entry(void);

PODFAB_EXPORT const podfab_topo_plugin_t *podfab_topo_plugin_entry(void)
{
	return &ring_plugin;
}
