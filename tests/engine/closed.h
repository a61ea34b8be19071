/*
 * closed.h - the timing model's closed forms, written from the model's
 * parameters alone (DESIGN.md, "The timing model"), for the engine tests and
 * tm-worker: nothing here calls the timing engine or the encoding helpers.
 */
#ifndef ENGINE_CLOSED_H
#define ENGINE_CLOSED_H

#include <math.h>
#include <stdint.h>

#include <podfab/topo.h>

#define CF_MAX_HOPS 64

/* Wire bytes: header + payload in whole flits, then DL framing and FEC in proportion. */
static inline double cf_wire(const podfab_encoding_t *e, uint32_t hdr, uint64_t payload)
{
	double b = (double)hdr + (double)payload;
	if (!e || !e->flit_bytes || !e->flit_payload_bytes)
		return b;
	double w = ceil(b / e->flit_payload_bytes) * e->flit_bytes;
	if (e->dl_frame_bytes > e->dl_overhead_bytes)
		w *= (double)e->dl_frame_bytes / (double)(e->dl_frame_bytes - e->dl_overhead_bytes);
	if (e->fec_codeword_bytes && e->fec_data_bytes)
		w *= (double)e->fec_codeword_bytes / (double)e->fec_data_bytes;
	return w;
}

/* What a cut-through element receives before forwarding: a codeword, else a DL frame, else a flit. */
static inline double cf_head(const podfab_encoding_t *e, double w)
{
	double h = w;
	if (e && e->fec_codeword_bytes)
		h = e->fec_codeword_bytes;
	else if (e && e->dl_frame_bytes)
		h = e->dl_frame_bytes;
	else if (e && e->flit_bytes)
		h = e->flit_bytes;
	return h < w ? h : w;
}

static inline double cf_rate(const podfab_link_t *l)
{
	return (double)l->lanes * l->lane_gbps / 8.0; /* bytes per ns */
}

/* One hop over directed link d into node v: s + p + fec + d_v. */
static inline double cf_hop(podfab_topo_t t, uint32_t dlink, int resp, uint64_t payload)
{
	const podfab_link_t *l = podfab_topo_link(t, dlink / 2);
	uint32_t to = (dlink & 1) ? l->a : l->b;
	const podfab_node_t *v = podfab_topo_node(t, to);
	const podfab_encoding_t *e = l->enc;
	double R = cf_rate(l);
	double w = cf_wire(e, e ? (resp ? e->resp_header_bytes : e->req_header_bytes) : 0, payload);
	int ct = (v->kind == PODFAB_NODE_SWITCH && v->cut_through) || v->kind == PODFAB_NODE_RETIMER;
	double s = (ct ? cf_head(e, w) : w) / R;
	int fec = e && e->fec_codeword_bytes && !(v->kind == PODFAB_NODE_RETIMER && !v->fec_terminate);
	return s + l->prop_ns + (fec ? e->fec_latency_ns : 0.0) + v->latency_ns;
}

/* Zero-load one-way time of one message from accelerator src to dst (from leaving src). */
static inline double cf_oneway(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow, int resp,
			       uint64_t payload)
{
	podfab_hop_t hops[CF_MAX_HOPS];
	int nh = podfab_topo_route(t, src, dst, flow, hops, CF_MAX_HOPS);
	if (nh < 0 || nh > CF_MAX_HOPS)
		return NAN;
	double x = podfab_topo_node(t, podfab_topo_accel_node(t, src))->egress_ns;
	for (int i = 0; i < nh; i++)
		x += cf_hop(t, hops[i].dlink, resp, payload);
	return x;
}

/* Zero-load operation of one request and one response: *arrive (request) and return value (complete). */
static inline double cf_op(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow, uint64_t req,
			   uint64_t resp, double *arrive)
{
	double a = cf_oneway(t, src, dst, flow, 0, req);
	if (arrive)
		*arrive = a;
	return a + cf_oneway(t, dst, src, flow, 1, resp);
}

#endif /* ENGINE_CLOSED_H */
