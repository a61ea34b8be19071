/*
 * topo.h - the fabric model: accelerators, switches and retimers joined by
 * links, with routes between accelerators.  For tools (podfab-topo, podfab-sim),
 * the timing engine, and researchers' plugins.
 *
 * A model comes from a model file (YAML, fabric-models/), a generator string
 * ("ualink-pod:accels=64,switches=4"), a plugin, or is built in code with
 * podfab_topo_new / add_node / add_link / finish.  Element records are owned by
 * the topology and read through const pointers; new fields are only appended,
 * so a program built against an older header keeps working.
 *
 * Errors are negative podfab codes (podfab.h); podfab_error_detail() then names
 * the file, line and field, or the element, that is wrong.
 */
#ifndef PODFAB_TOPO_H
#define PODFAB_TOPO_H

#include <stddef.h>
#include <stdint.h>

#include <podfab/podfab.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct podfab_topo *podfab_topo_t;

#define PODFAB_TOPO_NONE UINT32_MAX /* "no node / link / port" */

typedef enum podfab_node_kind {
	PODFAB_NODE_ACCEL = 0,
	PODFAB_NODE_SWITCH = 1,
	PODFAB_NODE_RETIMER = 2,
	PODFAB_NODE_KIND_MAX
} podfab_node_kind_t;

/*
 * An encoding profile: how payload becomes wire bytes on a link.
 *   transaction layer: requests/responses carry a header and are cut into
 *     flits of flit_bytes, of which flit_payload_bytes carry payload;
 *   data link layer: flits travel in frames of dl_frame_bytes, of which
 *     dl_overhead_bytes are framing/CRC (0 = none);
 *   FEC: every fec_data_bytes become a codeword of fec_codeword_bytes
 *     (0 = no FEC), costing fec_latency_ns per link.
 */
typedef struct podfab_encoding {
	const char *name;
	const char *source;          /* where the numbers come from */
	double lane_gbps;            /* default data rate per lane, Gb/s */
	uint32_t flit_bytes;
	uint32_t flit_payload_bytes;
	uint32_t dl_frame_bytes;
	uint32_t dl_overhead_bytes;
	uint32_t fec_codeword_bytes;
	uint32_t fec_data_bytes;
	double fec_latency_ns;
	uint32_t req_header_bytes;   /* header of a request (read, write, atomic) */
	uint32_t resp_header_bytes;  /* header of a response */
} podfab_encoding_t;

/** A built-in encoding profile by name ("ualink-200g", "nvlink4", ...), or NULL. */
PODFAB_EXPORT const podfab_encoding_t *podfab_encoding_find(const char *name);
/** The i-th built-in profile, or NULL past the last. */
PODFAB_EXPORT const podfab_encoding_t *podfab_encoding_get(int i);
/** Fraction of the raw lane rate that carries payload (flit, framing and FEC overheads). */
PODFAB_EXPORT double podfab_encoding_efficiency(const podfab_encoding_t *enc);
/**
 * Wire bytes of one request or response: header + payload rounded up to whole
 * flits, then the data-link framing and FEC overhead in proportion (frames and
 * codewords are streamed: several requests share one DL frame), so the result
 * may be fractional.  A NULL encoding carries header + payload as they are.
 */
PODFAB_EXPORT double podfab_encoding_wire_bytes(const podfab_encoding_t *enc, uint32_t header,
						uint64_t payload);
/** Transaction-layer flits of one request or response (header + payload in whole flits). */
PODFAB_EXPORT uint64_t podfab_encoding_flits(const podfab_encoding_t *enc, uint32_t header,
					     uint64_t payload);
/**
 * Bytes a cut-through element receives before it forwards a message of w wire
 * bytes: one FEC codeword when the link has FEC (it must be decoded first),
 * else one DL frame, else one flit; never more than w.
 */
PODFAB_EXPORT double podfab_encoding_head_bytes(const podfab_encoding_t *enc, double w);

typedef struct podfab_node {
	uint32_t id;                 /* index, 0 .. nnodes-1 */
	podfab_node_kind_t kind;
	const char *name;            /* unique in the topology */
	int32_t accel;               /* accelerator id for ACCEL nodes, else -1 */
	uint32_t nports;             /* ports in use */
	const uint32_t *port_link;   /* link id of each port */
	double latency_ns;           /* switch pipeline, retimer latency, accelerator ingress */
	double egress_ns;            /* accelerator egress latency */
	uint32_t radix;              /* switch: most ports it has (0 = unlimited) */
	uint64_t buffer_bytes;       /* switch: buffer per port */
	int cut_through;             /* switch: 1 cut-through, 0 store-and-forward */
	int fec_terminate;           /* retimer: decodes and re-encodes FEC */
	uint32_t max_request;        /* accelerator: largest request in bytes (256) */
	int32_t plane;               /* switch plane, or -1 */
	int32_t coord[3];            /* torus/ring coordinates, or -1 */
	uint32_t src_line;           /* line in the model file that defined it (0: none) */
} podfab_node_t;

typedef struct podfab_link {
	uint32_t id;                 /* index, 0 .. nlinks-1; directed links are 2*id (a->b), 2*id+1 (b->a) */
	uint32_t a, b;               /* node ids */
	uint32_t a_port, b_port;
	uint32_t lanes;
	double lane_gbps;            /* data rate per lane, Gb/s */
	double prop_ns;              /* propagation delay */
	const podfab_encoding_t *enc;
	double ber;                  /* pre-FEC bit-error rate */
	int up;                      /* 1 up, 0 down */
	const char *cls;             /* link class for statistics ("accel-switch", ...) */
	uint32_t src_line;
} podfab_link_t;

/* ---- loading ---------------------------------------------------------- */

/**
 * Load a model: spec is a path to a model file (one that exists, or ends in
 * .yaml/.yml), "plugin:PATH.so[:PARAMS]", or a generator string
 * "family:key=value,...".  Validates it and computes its routes.
 */
PODFAB_EXPORT int podfab_topo_load(const char *spec, podfab_topo_t *topo);
PODFAB_EXPORT int podfab_topo_load_file(const char *path, podfab_topo_t *topo);
/** Parse a model from memory; `name` is used in messages in place of a file name. */
PODFAB_EXPORT int podfab_topo_load_buffer(const char *name, const char *buf, size_t len,
					  podfab_topo_t *topo);
PODFAB_EXPORT int podfab_topo_generate(const char *generator, podfab_topo_t *topo);
PODFAB_EXPORT void podfab_topo_free(podfab_topo_t topo);

/** The generator families, NULL-terminated; and one family's parameter help text. */
PODFAB_EXPORT const char *const *podfab_topo_families(void);
PODFAB_EXPORT const char *podfab_topo_family_help(const char *family);

/* ---- building in code ------------------------------------------------- */

PODFAB_EXPORT int podfab_topo_new(podfab_topo_t *topo);
/**
 * Add a node like tmpl (id, nports, port_link are ignored; a NULL name gets a
 * generated one; accel ids are given in order of addition).  *id may be NULL.
 */
PODFAB_EXPORT int podfab_topo_add_node(podfab_topo_t topo, const podfab_node_t *tmpl, uint32_t *id);
/** Add a link between nodes a and b like tmpl (ports are the next free ones). */
PODFAB_EXPORT int podfab_topo_add_link(podfab_topo_t topo, uint32_t a, uint32_t b,
				       const podfab_link_t *tmpl, uint32_t *id);
/** Validate and compute routes; the topology is read-only afterwards. */
PODFAB_EXPORT int podfab_topo_finish(podfab_topo_t topo);

/* ---- reading ---------------------------------------------------------- */

PODFAB_EXPORT uint32_t podfab_topo_nnodes(podfab_topo_t topo);
PODFAB_EXPORT uint32_t podfab_topo_nlinks(podfab_topo_t topo);
PODFAB_EXPORT uint32_t podfab_topo_naccels(podfab_topo_t topo);
PODFAB_EXPORT const podfab_node_t *podfab_topo_node(podfab_topo_t topo, uint32_t id);
PODFAB_EXPORT const podfab_link_t *podfab_topo_link(podfab_topo_t topo, uint32_t id);
/** Node id of accelerator `accel`, or PODFAB_TOPO_NONE. */
PODFAB_EXPORT uint32_t podfab_topo_accel_node(podfab_topo_t topo, uint32_t accel);
/** Node id by name, or PODFAB_TOPO_NONE. */
PODFAB_EXPORT uint32_t podfab_topo_find(podfab_topo_t topo, const char *name);
/** The family ("ualink-pod", or "custom") and the spec it was loaded from. */
PODFAB_EXPORT const char *podfab_topo_family(podfab_topo_t topo);
PODFAB_EXPORT const char *podfab_topo_spec(podfab_topo_t topo);
/** Set a link up or down (routes are recomputed). */
PODFAB_EXPORT int podfab_topo_link_set_up(podfab_topo_t topo, uint32_t link, int up);

/* ---- routes ----------------------------------------------------------- */

typedef struct podfab_hop {
	uint32_t dlink;              /* directed link: 2*link + (0 if leaving node a, 1 if leaving b) */
	uint32_t node;               /* the element at its far end */
} podfab_hop_t;

/**
 * The hops of a request from accelerator src to accelerator dst.  `flow`
 * (an address or hash) picks among equal paths and planes, deterministically.
 * Writes at most max hops and returns the route's hop count (which may exceed
 * max), or -PODFAB_EUNREACHABLE.  O(hops): tables are computed at load.
 */
PODFAB_EXPORT int podfab_topo_route(podfab_topo_t topo, uint32_t src, uint32_t dst, uint64_t flow,
				    podfab_hop_t *hops, int max);

/* ---- plugins ---------------------------------------------------------- */

#define PODFAB_TOPO_PLUGIN_ABI 1u

/**
 * A plugin is a shared object exporting
 *   const podfab_topo_plugin_t *podfab_topo_plugin_entry(void);
 * The loader checks abi == PODFAB_TOPO_PLUGIN_ABI before calling anything.
 * build() adds nodes and links to an empty topology from the PARAMS text; the
 * loader then finishes it (validation, routes).
 */
typedef struct podfab_topo_plugin {
	uint32_t abi;
	const char *family;
	const char *help;
	int (*build)(podfab_topo_t topo, const char *params);
} podfab_topo_plugin_t;

#ifdef __cplusplus
}
#endif

#endif /* PODFAB_TOPO_H */
