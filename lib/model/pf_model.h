/*
 * pf_model.h - the fabric model's internals (lib/model/).
 *
 *   graph.c      storage, names, building, accessors, load dispatch
 *   encodings.c  built-in encoding profiles
 *   validate.c   structural validation (pf_topo_validate)
 *   route.c      forwarding tables and route queries (pf_routes_*)
 *   gen.c        generator strings and families (pf_gen_*)
 *   load_yaml.c  model files (pf_yaml_load)
 *   plugin.c     shared-object families (pf_plugin_load)
 */
#ifndef PF_MODEL_H
#define PF_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <podfab/topo.h>

struct pf_routes; /* route.c */

struct podfab_topo {
	podfab_node_t *nodes;
	uint32_t nnodes, cap_nodes;
	podfab_link_t *links;
	uint32_t nlinks, cap_links;
	uint32_t **ports;       /* per node: link of each port (nodes[i].port_link points here) */
	uint32_t *port_cap;
	uint32_t *accel_node;   /* accelerator id -> node id */
	uint32_t naccels, cap_accels;
	uint32_t *name_hash;    /* open addressing: node id + 1, 0 = empty */
	uint32_t hash_cap;
	char *family;
	char *spec;
	char *file;             /* model file for messages, or NULL */
	uint32_t family_limit;  /* most accelerators the family allows (0 = none) */
	int finished;
	uint64_t seed;          /* routing: picks among equal paths and planes */
	int spray_address;      /* routing: 1 spray by address (flow >> 8), 0 by hash */
	struct pf_routes *routes;
	void *plugin;           /* dlopen handle */
};

/* graph.c */
int pf_topo_set_origin(podfab_topo_t t, const char *family, const char *spec, const char *file);
/* "file:line: " or "" for messages about an element defined at src_line. */
const char *pf_topo_where(podfab_topo_t t, uint32_t src_line, char *buf, size_t len);

/*
 * units.c: quantities written with their unit.  Accepted:
 *   PF_UNIT_TIME   ps ns us ms s            -> ns      ("150ns", "1.5us")
 *   PF_UNIT_RATE   bps Kbps Mbps Gbps Tbps, and B/s forms (GB/s = 8 Gbps) -> Gb/s
 *   PF_UNIT_BYTES  B KB MB GB (1000s) KiB MiB GiB (1024s) -> bytes
 *   PF_UNIT_NONE   a plain number (ber: "1e-6")
 * A bare number is taken in the target unit only when bare_ok is set.
 * Returns 0, or -1 with *why set to a short reason.
 */
enum pf_unit { PF_UNIT_NONE, PF_UNIT_TIME, PF_UNIT_RATE, PF_UNIT_BYTES };
int pf_parse_quantity(const char *s, enum pf_unit unit, int bare_ok, double *out, const char **why);

/* validate.c: 0 or -PODFAB_EMODEL with a message naming the element. */
int pf_topo_validate(podfab_topo_t t);

/* route.c */
int pf_routes_build(podfab_topo_t t);
void pf_routes_free(podfab_topo_t t);
int pf_routes_query(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow, podfab_hop_t *hops,
		    int max);
/*
 * Hop by hop (route.c): the same route as pf_routes_query, a directed link
 * at a time.  pf_routes_first: 0 with the first link and the mode to pass
 * on, 1 when src is dst, or a negative error.  pf_routes_next: the link
 * after dlink, PF_ROUTE_END when dlink leads to dst, PF_ROUTE_BROKEN when
 * the tables end (a link went down after they were built).
 */
#define PF_ROUTE_DOR 1u
#define PF_ROUTE_END UINT32_MAX
#define PF_ROUTE_BROKEN (UINT32_MAX - 1)
int pf_routes_first(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow, uint32_t *dlink,
		    uint32_t *mode);
uint32_t pf_routes_next(podfab_topo_t t, uint32_t dlink, uint32_t dst, uint64_t flow, uint32_t mode);
int pf_routes_prefetchable(podfab_topo_t t);
/* Per directed link, the node it leads to (valid while the routes are). */
const uint32_t *pf_routes_far(podfab_topo_t t);

/* gen.c: build an unfinished topology from "family:params" (no finish). */
int pf_gen_build(podfab_topo_t t, const char *generator);
const char *const *pf_gen_families(void);
const char *pf_gen_help(const char *family);

/* load_yaml.c: parse a model file into an unfinished topology (no finish). */
int pf_yaml_load(podfab_topo_t t, const char *name, const char *buf, size_t len);

/* plugin.c: "PATH.so[:PARAMS]" into an unfinished topology (no finish). */
int pf_plugin_load(podfab_topo_t t, const char *spec);
void pf_plugin_close(void *handle);

#endif /* PF_MODEL_H */
