/*
 * podfab.h - the public API of libpodfab, an emulated scale-up accelerator fabric.
 *
 * An accelerator (a handle of type podfab_t) exposes memory segments and reads,
 * writes and runs atomics on the segments of the other accelerators of its pod.
 * Every function returns 0 (or a documented non-negative value) on success and a
 * negative podfab error code (-PODFAB_E...) on failure; podfab_strerror() turns a
 * code into a message.  Output parameters are written only on success.
 *
 * Threading: a podfab_t handle is used by one thread at a time.  Several handles
 * may live in one process and be driven by different threads concurrently.
 *
 * Reference documentation: docs/man/ (one page per group of functions).
 */
#ifndef PODFAB_PODFAB_H
#define PODFAB_PODFAB_H

#include <stddef.h>
#include <stdint.h>

#include <podfab/podfab_export.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Versions                                                            */
/* ------------------------------------------------------------------ */

#define PODFAB_VERSION_MAJOR 0
#define PODFAB_VERSION_MINOR 1
#define PODFAB_VERSION_PATCH 0

/** Pack a major/minor pair into one comparable number. */
#define PODFAB_MAKE_VERSION(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
/** The API version this header describes; podfab_init() passes it to the library. */
#define PODFAB_API_VERSION PODFAB_MAKE_VERSION(PODFAB_VERSION_MAJOR, PODFAB_VERSION_MINOR)
#define PODFAB_VERSION_GET_MAJOR(v) ((uint32_t)(v) >> 16)
#define PODFAB_VERSION_GET_MINOR(v) ((uint32_t)(v) & 0xffffu)

/** The API version of the library that is running (PODFAB_MAKE_VERSION form). */
PODFAB_EXPORT uint32_t podfab_version(void);
/** The library's full version as text, for example "0.1.0". */
PODFAB_EXPORT const char *podfab_version_string(void);

/* ------------------------------------------------------------------ */
/* Errors: one list generates the codes, names and messages            */
/* ------------------------------------------------------------------ */

/* X(name, value, message) */
#define PODFAB_ERROR_LIST(X)                                                         \
	X(EINVAL, 1, "invalid argument")                                               \
	X(ENULL, 2, "NULL pointer argument")                                            \
	X(EACCEL, 3, "accelerator id out of range")                                     \
	X(EBOUNDS, 4, "access outside the segment")                                     \
	X(EALIGN, 5, "misaligned atomic or signal address")                             \
	X(EZEROLEN, 6, "zero length where a length is required")                        \
	X(EFINALIZED, 7, "handle used after podfab_finalize")                           \
	X(EBADHANDLE, 8, "not a podfab handle, or a handle of another accelerator")     \
	X(EBUSY, 9, "resource busy: operations are still outstanding")                  \
	X(EENV, 10, "launcher environment missing or malformed")                        \
	X(ENOMEM, 11, "out of memory")                                                  \
	X(ENOSYS, 12, "operation not implemented by this transport or build")           \
	X(ENOTSUP, 13, "operation not supported for this target")                       \
	X(ETIMEDOUT, 14, "timed out")                                                   \
	X(EPEERDEAD, 15, "a peer accelerator died or left the job")                     \
	X(EMISMATCH, 16, "collective call arguments differ between accelerators")       \
	X(ESYSTEM, 17, "a system call failed")                                          \
	X(EAGAIN, 18, "resource temporarily exhausted; complete some requests")         \
	X(EVERSION, 19, "API version mismatch between header and library")              \
	X(EKEY, 20, "invalid or revoked memory key")                                    \
	X(ETRANSPORT, 21, "unknown or unavailable transport")                           \
	X(EREMOTE, 22, "remote access error reported by the transport")                 \
	X(ETOOMANY, 23, "too many accelerators, segments or handles")                   \
	X(EMODEL, 24, "invalid fabric model (see podfab_error_detail for where)")       \
	X(EUNREACHABLE, 25, "no route between the accelerators in the fabric model")

/** Error codes.  Functions return their negation (-PODFAB_EINVAL). */
enum podfab_error {
	PODFAB_SUCCESS = 0,
#define PODFAB_X_ENUM(name, value, msg) PODFAB_##name = (value),
	PODFAB_ERROR_LIST(PODFAB_X_ENUM)
#undef PODFAB_X_ENUM
	PODFAB_ERROR_MAX
};

/** A message for an error code (either sign); never NULL. */
PODFAB_EXPORT const char *podfab_strerror(int err);
/** The symbolic name of an error code ("PODFAB_EINVAL"); never NULL. */
PODFAB_EXPORT const char *podfab_errname(int err);
/**
 * Details of the last error that this thread got from the library, naming the
 * argument, value or system call that failed ("" when there is none).
 */
PODFAB_EXPORT const char *podfab_error_detail(void);

/* ------------------------------------------------------------------ */
/* Handles                                                             */
/* ------------------------------------------------------------------ */

/** One emulated accelerator attached to a pod. */
typedef struct podfab_accel *podfab_t;
/** A memory segment: symmetric (allocated by all) or exported (one owner). */
typedef struct podfab_seg *podfab_seg_t;
/** A non-blocking operation in flight. */
typedef struct podfab_req *podfab_req_t;
/** The key that names exported memory to other accelerators (see podfab_mem_export). */
typedef uint64_t podfab_key_t;

/* ------------------------------------------------------------------ */
/* Init and finalize                                                   */
/* ------------------------------------------------------------------ */

/**
 * Timing modes (see DESIGN.md and podfab(7)).  Timed modes need a fabric model
 * (PODFAB_MODEL or params.model); without one the accelerators get the
 * generated "ualink-pod:accels=N" pod.
 */
typedef enum podfab_timing {
	PODFAB_TIMING_FUNCTIONAL = 0, /**< no modelled delays */
	PODFAB_TIMING_REALTIME = 1,   /**< paced against the wall clock */
	PODFAB_TIMING_VIRTUAL = 2     /**< virtual clocks advanced by the model */
} podfab_timing_t;

/** Bits of podfab_params_t.field_mask: which fields the caller has set. */
enum podfab_param_field {
	PODFAB_PARAM_ACCEL_ID = 1u << 0,
	PODFAB_PARAM_NACCELS = 1u << 1,
	PODFAB_PARAM_JOB = 1u << 2,
	PODFAB_PARAM_TRANSPORT = 1u << 3,
	PODFAB_PARAM_MODEL = 1u << 4,
	PODFAB_PARAM_TIMING = 1u << 5,
	PODFAB_PARAM_MAX_REQUESTS = 1u << 6,
	PODFAB_PARAM_TIMEOUT_MS = 1u << 7,
	PODFAB_PARAM_DILATION = 1u << 8,
	PODFAB_PARAM_SEED = 1u << 9
};

/**
 * Parameters of podfab_init().  Set field_mask to the PODFAB_PARAM_* bits of the
 * fields you filled in; fields without their bit are taken from the launcher's
 * environment (PODFAB_ACCEL_ID, PODFAB_NACCELS, PODFAB_JOB, ...) or defaults.
 * New fields are only ever appended, with new mask bits, so a program built
 * against an older header keeps working.
 */
typedef struct podfab_params {
	uint64_t field_mask;
	int accel_id;          /**< this accelerator's id, 0 .. naccels-1 */
	int naccels;           /**< accelerators in the pod */
	const char *job;       /**< job name shared by all accelerators ([A-Za-z0-9_-], <= 48 chars) */
	const char *transport; /**< "shm" (default) */
	const char *model;     /**< fabric model: file, generator string or "plugin:..." */
	podfab_timing_t timing;
	uint32_t max_requests; /**< non-blocking requests outstanding at once (default 4096) */
	uint32_t timeout_ms;   /**< bound on waits for peers in collectives (default 120000) */
	double dilation;       /**< realtime: wall-clock ns per model ns (default 1; PODFAB_DILATION) */
	uint64_t seed;         /**< seed of the bit-error draws (default: the model's; PODFAB_SEED) */
} podfab_params_t;

/**
 * Attach this accelerator to its pod.  Collective over all accelerators of the
 * job: it returns when every one has attached.  params may be NULL (all from
 * the environment).  Use the podfab_init() macro, which passes the API version.
 */
PODFAB_EXPORT int podfab_init_version(uint32_t api_version, const podfab_params_t *params,
				      podfab_t *accel);
#define podfab_init(params, accel) podfab_init_version(PODFAB_API_VERSION, (params), (accel))

/**
 * Detach: completes outstanding operations, waits for all accelerators (it is
 * collective), frees every segment.  The handle may not be used afterwards;
 * doing so returns -PODFAB_EFINALIZED.
 */
PODFAB_EXPORT int podfab_finalize(podfab_t accel);

/** This accelerator's id (>= 0) or a negative error. */
PODFAB_EXPORT int podfab_accel_id(podfab_t accel);
/** The number of accelerators in the pod (> 0) or a negative error. */
PODFAB_EXPORT int podfab_naccels(podfab_t accel);
/** The timing mode in force, or a negative error. */
PODFAB_EXPORT int podfab_timing_mode(podfab_t accel);
/**
 * The accelerator's model time in nanoseconds: its virtual clock (virtual),
 * wall time since the job began divided by the dilation (realtime), or wall
 * time since init (functional).
 */
PODFAB_EXPORT int podfab_time(podfab_t accel, double *ns);
/**
 * Let ns nanoseconds of model time pass on this accelerator (local compute):
 * advances the virtual clock, or waits ns x dilation of wall time (realtime)
 * or ns (functional).
 */
PODFAB_EXPORT int podfab_time_advance(podfab_t accel, double ns);

/** Counters of one directed link (timed modes); see podfab_link_stats(). */
typedef struct podfab_link_stats {
	uint64_t messages;   /**< requests and responses serialised on it */
	uint64_t bytes;      /**< payload bytes */
	uint64_t wire_bytes; /**< bytes on the wire (flits, framing, FEC, replays) */
	uint64_t flits;      /**< transaction-layer flits (replays included) */
	double busy_ns;      /**< time spent serialising */
	double queue_ns;     /**< time messages waited behind earlier traffic */
	uint64_t replays;    /**< link-level replays after bit errors */
	int up;              /**< 1 up, 0 down */
} podfab_link_stats_t;

/**
 * Counters of directed link dlink (2 x link id, + 1 for the b->a direction; see
 * podfab/topo.h) summed over the whole job.  Needs a timed mode
 * (-PODFAB_ENOTSUP in functional).
 */
PODFAB_EXPORT int podfab_link_stats(podfab_t accel, uint32_t dlink, podfab_link_stats_t *out);
/**
 * Take a link of the model down (up = 0) or up again, for every accelerator of
 * the job: later operations are routed around it, or fail with
 * -PODFAB_EUNREACHABLE when no other path exists.  Needs a timed mode.
 */
PODFAB_EXPORT int podfab_link_set_up(podfab_t accel, uint32_t link, int up);

/** The name of the transport in use ("shm"), or NULL for a bad handle. */
PODFAB_EXPORT const char *podfab_transport_name(podfab_t accel);
/**
 * The name of the transport that carries operations to peer: the transport
 * in use, or, for "hybrid", "shm" for the accelerators of this host and "ofi"
 * for the others.  NULL for a bad handle or peer.
 */
PODFAB_EXPORT const char *podfab_peer_transport(podfab_t accel, int peer);
/** The transports built into this library, as a NULL-terminated list. */
PODFAB_EXPORT const char *const *podfab_transports(void);

struct podfab_topo;
/**
 * The fabric model this accelerator's pod was started with (podfab-run -m,
 * PODFAB_MODEL or params.model; read it with <podfab/topo.h>), or NULL when
 * none was given.  Owned by the handle until podfab_finalize.
 */
PODFAB_EXPORT struct podfab_topo *podfab_model(podfab_t accel);

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

/**
 * Allocate a symmetric segment of `size` bytes on every accelerator
 * (collective: all call it in the same order with the same size).  The memory
 * is zeroed and aligned to at least 4096 bytes.
 */
PODFAB_EXPORT int podfab_seg_alloc(podfab_t accel, size_t size, podfab_seg_t *seg);
/**
 * Free a segment.  For a symmetric segment this is collective.  Returns
 * -PODFAB_EBUSY, and frees nothing, while requests on the segment are outstanding.
 */
PODFAB_EXPORT int podfab_seg_free(podfab_t accel, podfab_seg_t seg);
/** This accelerator's local address of a segment it owns (NULL on error). */
PODFAB_EXPORT void *podfab_seg_addr(podfab_t accel, podfab_seg_t seg);
/** The size of a segment in bytes (0 on error). */
PODFAB_EXPORT size_t podfab_seg_size(podfab_t accel, podfab_seg_t seg);

/**
 * Export memory this accelerator already owns (not symmetric).  The segment
 * handle serves local calls; *key names it to other accelerators, which pass it
 * to podfab_mem_import().  Atomics on exported memory are supported where the
 * transport can run them atomically (shm: when the accessing accelerator lives
 * in the same process); elsewhere they return -PODFAB_ENOTSUP.
 */
PODFAB_EXPORT int podfab_mem_export(podfab_t accel, void *addr, size_t size, podfab_seg_t *seg,
				    podfab_key_t *key);
/** Turn another accelerator's export key into a segment handle for remote access. */
PODFAB_EXPORT int podfab_mem_import(podfab_t accel, podfab_key_t key, podfab_seg_t *seg);
/** The accelerator that owns a segment (for an imported one, the exporter). */
PODFAB_EXPORT int podfab_seg_owner(podfab_t accel, podfab_seg_t seg);

/* ------------------------------------------------------------------ */
/* Remote access                                                       */
/* ------------------------------------------------------------------ */
/*
 * A remote location is (accelerator, segment, offset).  For a symmetric segment
 * any accelerator id may be named; for an imported segment only its owner.
 */

/** Copy len bytes from local src to (dst, seg, off).  Returns when src may be reused. */
PODFAB_EXPORT int podfab_put(podfab_t accel, int dst, podfab_seg_t seg, size_t off, const void *src,
			     size_t len);
/** Copy len bytes from (src_accel, seg, off) into local dest. */
PODFAB_EXPORT int podfab_get(podfab_t accel, void *dest, int src_accel, podfab_seg_t seg, size_t off,
			     size_t len);
/**
 * Non-blocking put.  With req non-NULL a request handle is returned, to be
 * passed to podfab_test() or podfab_wait(); with req NULL the operation is
 * completed by podfab_quiet().  src must not change until completion.
 */
PODFAB_EXPORT int podfab_put_nb(podfab_t accel, int dst, podfab_seg_t seg, size_t off,
				const void *src, size_t len, podfab_req_t *req);
/** Non-blocking get; dest holds the data once the request completes. */
PODFAB_EXPORT int podfab_get_nb(podfab_t accel, void *dest, int src_accel, podfab_seg_t seg,
				size_t off, size_t len, podfab_req_t *req);

/** Test a request: *done = 1 (and the handle is released) or 0.  Returns the operation's status. */
PODFAB_EXPORT int podfab_test(podfab_t accel, podfab_req_t req, int *done);
/** Wait for a request to complete, release it, and return the operation's status. */
PODFAB_EXPORT int podfab_wait(podfab_t accel, podfab_req_t req);
/** Wait for n requests (NULL entries are skipped); the first failing status is returned. */
PODFAB_EXPORT int podfab_wait_all(podfab_t accel, podfab_req_t *reqs, size_t n);

/* ------------------------------------------------------------------ */
/* Atomics                                                             */
/* ------------------------------------------------------------------ */

typedef enum podfab_atomic_op {
	PODFAB_AOP_ADD = 0,
	PODFAB_AOP_AND,
	PODFAB_AOP_OR,
	PODFAB_AOP_XOR,
	PODFAB_AOP_MIN,
	PODFAB_AOP_MAX,
	PODFAB_AOP_SWAP,  /**< store operand; with a result, returns the old value */
	PODFAB_AOP_CSWAP, /**< store operand if the value equals compare */
	PODFAB_AOP_SET,   /**< atomic store (non-fetching) */
	PODFAB_AOP_FETCH, /**< atomic load (result required) */
	PODFAB_AOP_MAX_OP
} podfab_atomic_op_t;

typedef enum podfab_type {
	PODFAB_INT32 = 0,
	PODFAB_UINT32,
	PODFAB_INT64,
	PODFAB_UINT64,
	PODFAB_TYPE_MAX
} podfab_type_t;

/**
 * Run an atomic on (dst, seg, off), which must be aligned to the type's size.
 * operand and compare hold the value in their low 32 bits for 32-bit types.
 * With result non-NULL the old value is written there (4 or 8 bytes by type):
 * a fetching atomic.  PODFAB_AOP_FETCH requires a result.
 */
PODFAB_EXPORT int podfab_atomic(podfab_t accel, int dst, podfab_seg_t seg, size_t off,
				podfab_atomic_op_t op, podfab_type_t type, uint64_t operand,
				uint64_t compare, void *result);
/** Non-blocking atomic; *result is valid once the request completes. */
PODFAB_EXPORT int podfab_atomic_nb(podfab_t accel, int dst, podfab_seg_t seg, size_t off,
				   podfab_atomic_op_t op, podfab_type_t type, uint64_t operand,
				   uint64_t compare, void *result, podfab_req_t *req);

/* Typed conveniences for the common cases. */
static inline int podfab_atomic_add_u64(podfab_t a, int dst, podfab_seg_t s, size_t off, uint64_t v)
{
	return podfab_atomic(a, dst, s, off, PODFAB_AOP_ADD, PODFAB_UINT64, v, 0, NULL);
}
static inline int podfab_atomic_fetch_add_u64(podfab_t a, int dst, podfab_seg_t s, size_t off,
					      uint64_t v, uint64_t *old)
{
	return podfab_atomic(a, dst, s, off, PODFAB_AOP_ADD, PODFAB_UINT64, v, 0, old);
}
static inline int podfab_atomic_cswap_u64(podfab_t a, int dst, podfab_seg_t s, size_t off,
					  uint64_t compare, uint64_t v, uint64_t *old)
{
	return podfab_atomic(a, dst, s, off, PODFAB_AOP_CSWAP, PODFAB_UINT64, v, compare, old);
}

/* ------------------------------------------------------------------ */
/* Signals and waiting on local memory                                 */
/* ------------------------------------------------------------------ */

typedef enum podfab_signal_op {
	PODFAB_SIGNAL_SET = 0, /**< the signal word becomes the value */
	PODFAB_SIGNAL_ADD = 1  /**< the value is added to the signal word */
} podfab_signal_op_t;

typedef enum podfab_cmp {
	PODFAB_CMP_EQ = 0,
	PODFAB_CMP_NE,
	PODFAB_CMP_GT,
	PODFAB_CMP_GE,
	PODFAB_CMP_LT,
	PODFAB_CMP_LE,
	PODFAB_CMP_MAX
} podfab_cmp_t;

/**
 * Put len bytes, then update the 64-bit signal word at (dst, sig_seg, sig_off):
 * a waiter that sees the signal also sees the data.
 */
PODFAB_EXPORT int podfab_put_signal(podfab_t accel, int dst, podfab_seg_t seg, size_t off,
				    const void *src, size_t len, podfab_seg_t sig_seg,
				    size_t sig_off, uint64_t signal, podfab_signal_op_t sig_op);
PODFAB_EXPORT int podfab_put_signal_nb(podfab_t accel, int dst, podfab_seg_t seg, size_t off,
				       const void *src, size_t len, podfab_seg_t sig_seg,
				       size_t sig_off, uint64_t signal, podfab_signal_op_t sig_op,
				       podfab_req_t *req);
/** Read a local signal word atomically. */
PODFAB_EXPORT uint64_t podfab_signal_fetch(podfab_t accel, const uint64_t *sig_addr);
/**
 * Wait until the local signal word compares true against value; the value seen
 * is stored in *seen when seen is non-NULL.
 */
PODFAB_EXPORT int podfab_signal_wait_until(podfab_t accel, const uint64_t *sig_addr,
					   podfab_cmp_t cmp, uint64_t value, uint64_t *seen);
/**
 * Wait until the local integer at addr (of the given type, naturally aligned,
 * inside one of this accelerator's segments or any local memory) compares true
 * against value (low 32 bits used for 32-bit types).
 */
PODFAB_EXPORT int podfab_wait_until(podfab_t accel, const void *addr, podfab_type_t type,
				    podfab_cmp_t cmp, uint64_t value);
/** Like podfab_wait_until but returns at once: 1 if true, 0 if not, or an error. */
PODFAB_EXPORT int podfab_test_until(podfab_t accel, const void *addr, podfab_type_t type,
				    podfab_cmp_t cmp, uint64_t value);

/* ------------------------------------------------------------------ */
/* Ordering and synchronisation                                        */
/* ------------------------------------------------------------------ */

/** Order delivery: puts/atomics to each destination issued before arrive before those after. */
PODFAB_EXPORT int podfab_fence(podfab_t accel);
/** Complete every outstanding operation of this accelerator (explicit requests stay valid to reap). */
PODFAB_EXPORT int podfab_quiet(podfab_t accel);
/** Quiet, then wait for every accelerator of the pod to arrive. */
PODFAB_EXPORT int podfab_barrier(podfab_t accel);

/* ------------------------------------------------------------------ */
/* Direct load/store                                                   */
/* ------------------------------------------------------------------ */

/**
 * A pointer for plain loads and stores to (target, seg, off), where that is
 * possible and legal: the transport maps the memory (same host) and no timing
 * model is active that the access would bypass.  NULL otherwise.
 */
PODFAB_EXPORT void *podfab_ptr(podfab_t accel, int target, podfab_seg_t seg, size_t off);

/* ------------------------------------------------------------------ */
/* Counters                                                            */
/* ------------------------------------------------------------------ */

/* X(NAME, "name", description) */
#define PODFAB_COUNTER_LIST(X)                                                   \
	X(PUT_OPS, "put_ops", "put operations (puts with signal included)")       \
	X(PUT_BYTES, "put_bytes", "bytes put")                                    \
	X(GET_OPS, "get_ops", "get operations")                                   \
	X(GET_BYTES, "get_bytes", "bytes got")                                    \
	X(ATOMIC_OPS, "atomic_ops", "non-fetching atomics")                       \
	X(FETCH_ATOMIC_OPS, "fetch_atomic_ops", "fetching atomics")               \
	X(SIGNAL_OPS, "signal_ops", "puts with signal")                           \
	X(NB_OPS, "nb_ops", "non-blocking operations issued")                     \
	X(FENCES, "fences", "fences")                                             \
	X(QUIETS, "quiets", "quiets")                                             \
	X(BARRIERS, "barriers", "barriers")                                       \
	X(WAITS, "waits", "waits on local memory or signals")                     \
	X(ERRORS, "errors", "puts, gets, atomics and signals that returned an error")

typedef enum podfab_counter {
#define PODFAB_X_CTR(name, str, desc) PODFAB_CTR_##name,
	PODFAB_COUNTER_LIST(PODFAB_X_CTR)
#undef PODFAB_X_CTR
	PODFAB_CTR_MAX
} podfab_counter_t;

/**
 * Copy up to n counters (indexed by podfab_counter_t) into values.  Returns the
 * number of counters the library has (which may exceed n) or a negative error.
 */
PODFAB_EXPORT int podfab_counters(podfab_t accel, uint64_t *values, int n);
/** The short name ("put_ops") of a counter, or NULL past the last one. */
PODFAB_EXPORT const char *podfab_counter_name(int counter);
/** A one-line description of a counter, or NULL past the last one. */
PODFAB_EXPORT const char *podfab_counter_desc(int counter);
/** Reset this accelerator's counters to zero. */
PODFAB_EXPORT int podfab_counters_reset(podfab_t accel);

#ifdef __cplusplus
}
#endif

#endif /* PODFAB_PODFAB_H */
