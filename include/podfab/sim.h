/*
 * sim.h - the offline simulator: traffic through a fabric model in one
 * process, in time order across all flows, moving no memory.  It drives the
 * timing engine that live emulation uses (lib/timing), hop by hop: every
 * request and response is an event at each link it crosses.  podfab-sim(1) is
 * its command-line face.
 *
 *   podfab_sim_new(topo, &cfg, &sim);
 *   podfab_sim_traffic(sim, "alltoall:bytes=4096");    (or podfab_sim_add)
 *   podfab_sim_run(sim, NULL, NULL);
 *   podfab_sim_result(sim, &res);
 *
 * Errors are negative podfab codes; podfab_error_detail() says what is wrong.
 */
#ifndef PODFAB_SIM_H
#define PODFAB_SIM_H

#include <stdint.h>
#include <stdio.h>

#include <podfab/podfab.h>
#include <podfab/topo.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct podfab_sim *podfab_sim_t;

/** What an operation does (its requests' and responses' shapes, as live). */
typedef enum podfab_sim_kind {
	PODFAB_SIM_WRITE = 0,  /**< data in the requests, header-only responses */
	PODFAB_SIM_READ = 1,   /**< header-only requests, data in the responses */
	PODFAB_SIM_ATOMIC = 2, /**< operand out, value back (bytes: the operand size) */
	PODFAB_SIM_KIND_MAX
} podfab_sim_kind_t;

#define PODFAB_SIM_NONE UINT64_MAX /**< "no operation" (podfab_sim_op_t.after) */

/** One operation of the traffic. */
typedef struct podfab_sim_op {
	double t;               /**< earliest issue time, ns */
	uint32_t src, dst;      /**< accelerators */
	podfab_sim_kind_t kind;
	uint64_t bytes;         /**< payload (> 0) */
	uint64_t after;         /**< an earlier-added operation that must complete first, or PODFAB_SIM_NONE */
	double delay;           /**< ns after `after` completes (local compute) */
} podfab_sim_op_t;

/** How operations move through the model (podfab_sim_config_t.mode). */
typedef enum podfab_sim_mode {
	/** Every request and response is an event at each link it crosses (queueing, packetisation, replays). */
	PODFAB_SIM_MODE_REQUEST = 0,
	/**
	 * Every operation is a flow over its routes that shares each link's
	 * bandwidth max-min fairly with the flows active with it: fast for very
	 * large messages, where the pipeline of requests is full and queueing
	 * delay is small beside the transfer time (see podfab-sim(1), MODES).
	 */
	PODFAB_SIM_MODE_FLOW = 1,
	PODFAB_SIM_MODE_MAX
} podfab_sim_mode_t;

/** Configuration; set size = sizeof(podfab_sim_config_t) (fields are only appended). */
typedef struct podfab_sim_config {
	uint32_t size;
	uint64_t seed;          /**< bit-error draws and generated traffic (0: the model's seed) */
	uint32_t window;        /**< operations in flight per source accelerator (0: unlimited) */
	uint32_t trace_every;   /**< keep 1 request in N hop by hop for podfab_sim_trace (0: none) */
	podfab_sim_mode_t mode; /**< request-level (default) or flow-level */
} podfab_sim_config_t;

PODFAB_EXPORT int podfab_sim_new(podfab_topo_t topo, const podfab_sim_config_t *cfg, podfab_sim_t *sim);
PODFAB_EXPORT void podfab_sim_free(podfab_sim_t sim);

/** Add one operation; *id (may be NULL) gets its id, 0, 1, 2, ... in order of addition. */
PODFAB_EXPORT int podfab_sim_add(podfab_sim_t sim, const podfab_sim_op_t *op, uint64_t *id);
/**
 * Make room for ops more operations (a hint: adding works without it, but a
 * caller that knows how many it will add saves the copies of growing).
 * Only address space is taken until the operations are added.
 */
PODFAB_EXPORT int podfab_sim_reserve(podfab_sim_t sim, uint64_t ops);

/**
 * Add generated traffic: "PATTERN[:key=value,...]".  Patterns: uniform,
 * permutation, shift, alltoall, allreduce-ring, allreduce-tree, incast,
 * trace.  podfab_sim_patterns() lists them and podfab_sim_pattern_help() gives
 * each one's keys.
 */
PODFAB_EXPORT int podfab_sim_traffic(podfab_sim_t sim, const char *spec);
/** Read a trace file: one operation a line, "TIME_NS SRC DST OP BYTES" (OP: write, read, atomic; # comments). */
PODFAB_EXPORT int podfab_sim_load_trace(podfab_sim_t sim, const char *path);
PODFAB_EXPORT const char *const *podfab_sim_patterns(void);
PODFAB_EXPORT const char *podfab_sim_pattern_help(const char *pattern);

/**
 * Run every added operation to completion.  progress (may be NULL) is called
 * now and then with the fraction of requests done.
 */
PODFAB_EXPORT int podfab_sim_run(podfab_sim_t sim, void (*progress)(void *arg, double done), void *arg);

/** Summary of a run. */
typedef struct podfab_sim_result {
	double end_ns;          /**< the last completion */
	uint64_t ops, requests, hops;
	uint64_t bytes;         /**< payload of all operations */
	double bandwidth_gbs;   /**< bytes / end_ns (GB/s) */
	double lat_mean_ns, lat_p50_ns, lat_p90_ns, lat_p99_ns, lat_max_ns; /**< operation latency: issue to completion */
} podfab_sim_result_t;

PODFAB_EXPORT int podfab_sim_result(podfab_sim_t sim, podfab_sim_result_t *res);
/** When operation id was issued and completed (after a run). */
PODFAB_EXPORT int podfab_sim_op_times(podfab_sim_t sim, uint64_t id, double *issue, double *complete);
/** Counters of directed link dlink (after a run); as podfab_link_stats(). */
PODFAB_EXPORT int podfab_sim_link_stats(podfab_sim_t sim, uint32_t dlink, podfab_link_stats_t *out);
PODFAB_EXPORT podfab_topo_t podfab_sim_model(podfab_sim_t sim);
/** The latency of every operation, in order of addition (after a run; n = ops). */
PODFAB_EXPORT const double *podfab_sim_latencies(podfab_sim_t sim, uint64_t *n);

/** The per-link report as JSON (summary and links) or CSV (one line a directed link). */
PODFAB_EXPORT int podfab_sim_write_json(podfab_sim_t sim, FILE *f);
PODFAB_EXPORT int podfab_sim_write_csv(podfab_sim_t sim, FILE *f);

/** One hop of a sampled request (config.trace_every). */
typedef struct podfab_sim_hop_trace {
	uint64_t op;            /**< operation id */
	uint32_t request;       /**< request of the operation */
	int response;           /**< 0 request, 1 response */
	uint32_t dlink;
	double start_ns, end_ns; /**< on the link: serialisation start, and when the element passed it on */
} podfab_sim_hop_trace_t;
/** The sampled hops, in the order they happened (after a run). */
PODFAB_EXPORT const podfab_sim_hop_trace_t *podfab_sim_trace(podfab_sim_t sim, uint64_t *n);

#ifdef __cplusplus
}
#endif

#endif /* PODFAB_SIM_H */
