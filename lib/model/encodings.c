/*
 * encodings.c - built-in encoding profiles.  Figures come from the public
 * sources named in each entry; "(uncertain)" marks a value the sources do not
 * pin down, kept as a parameter default.
 */
#include <string.h>

#include "pf_internal.h"
#include "pf_model.h"

static const podfab_encoding_t encodings[] = {
	{
		.name = "ualink-200g",
		.source = "UALink 200G 1.0 specification overview (UALink Consortium blog): 200 Gb/s lanes, "
			  "64-byte TL flits in 640-byte DL flits, RS(544,514) FEC (a 640-byte DL flit in a "
			  "680-byte codeword), 93% claimed effective bandwidth; DL flit overhead of 12 bytes "
			  "and FEC latency of 100 ns (uncertain)",
		.lane_gbps = 200.0,
		.flit_bytes = 64,
		.flit_payload_bytes = 64,
		.dl_frame_bytes = 640,
		.dl_overhead_bytes = 12,
		.fec_codeword_bytes = 680,
		.fec_data_bytes = 640,
		.fec_latency_ns = 100.0,
		.req_header_bytes = 16,
		.resp_header_bytes = 16,
	},
	{
		.name = "nvlink4",
		.source = "NVIDIA Hopper/NVLink product pages: 900 GB/s over 18 links, i.e. 50 GB/s per "
			  "link counting both directions (25 GB/s each way over 2 lanes of 100G); 16-byte "
			  "flits and 16-byte headers, no FEC (uncertain)",
		.lane_gbps = 100.0,
		.flit_bytes = 16,
		.flit_payload_bytes = 16,
		.dl_frame_bytes = 0,
		.dl_overhead_bytes = 0,
		.fec_codeword_bytes = 0,
		.fec_data_bytes = 0,
		.fec_latency_ns = 0.0,
		.req_header_bytes = 16,
		.resp_header_bytes = 16,
	},
	{
		.name = "nvlink5",
		.source = "NVIDIA Blackwell/NVLink product pages: 1.8 TB/s over 18 links, i.e. 100 GB/s per "
			  "link counting both directions (50 GB/s each way over 2 lanes of 200G); flit "
			  "format and RS(544,514) FEC assumed like 200G Ethernet-class SerDes (uncertain)",
		.lane_gbps = 200.0,
		.flit_bytes = 16,
		.flit_payload_bytes = 16,
		.dl_frame_bytes = 0,
		.dl_overhead_bytes = 0,
		.fec_codeword_bytes = 544,
		.fec_data_bytes = 514,
		.fec_latency_ns = 100.0,
		.req_header_bytes = 16,
		.resp_header_bytes = 16,
	},
	{
		.name = "pcie5",
		.source = "PCI Express 5.0: 32 GT/s per lane, 128b/130b encoding; TLP of a 16-byte header "
			  "plus 2 bytes framing and 6 bytes sequence number and LCRC",
		.lane_gbps = 32.0,
		.flit_bytes = 1,
		.flit_payload_bytes = 1,
		.dl_frame_bytes = 130,
		.dl_overhead_bytes = 2,
		.fec_codeword_bytes = 0,
		.fec_data_bytes = 0,
		.fec_latency_ns = 0.0,
		.req_header_bytes = 24,
		.resp_header_bytes = 24,
	},
	{
		.name = "pcie6",
		.source = "PCI Express 6.0: 64 GT/s PAM4 per lane, 256-byte FLITs of 236 bytes TLP, 6 bytes "
			  "DLP, 8 bytes CRC and 6 bytes FEC; FEC latency about 2 ns.  Modelled as a 250-byte "
			  "flit (TLP, DLP, CRC) in a 256-byte FEC codeword",
		.lane_gbps = 64.0,
		.flit_bytes = 250,
		.flit_payload_bytes = 236,
		.dl_frame_bytes = 0,
		.dl_overhead_bytes = 0,
		.fec_codeword_bytes = 256,
		.fec_data_bytes = 250,
		.fec_latency_ns = 2.0,
		.req_header_bytes = 16,
		.resp_header_bytes = 16,
	},
	{
		.name = "eth-800g",
		.source = "IEEE 802.3df/dj 800GbE: 4 lanes of 200G, 256b/257b transcoding, RS(544,514) FEC "
			  "with about 100-120 ns encode+decode; per-packet overhead of Ethernet, IP, UDP and "
			  "RoCE-like headers, preamble and inter-frame gap of 78 bytes (uncertain)",
		.lane_gbps = 200.0,
		.flit_bytes = 1,
		.flit_payload_bytes = 1,
		.dl_frame_bytes = 257,
		.dl_overhead_bytes = 1,
		.fec_codeword_bytes = 544,
		.fec_data_bytes = 514,
		.fec_latency_ns = 110.0,
		.req_header_bytes = 78,
		.resp_header_bytes = 78,
	},
};

#define NENC (int)(sizeof encodings / sizeof encodings[0])

PODFAB_EXPORT const podfab_encoding_t *podfab_encoding_find(const char *name)
{
	for (int i = 0; name && i < NENC; i++)
		if (!strcmp(encodings[i].name, name))
			return &encodings[i];
	return NULL;
}

PODFAB_EXPORT const podfab_encoding_t *podfab_encoding_get(int i)
{
	return i >= 0 && i < NENC ? &encodings[i] : NULL;
}

PODFAB_EXPORT double podfab_encoding_efficiency(const podfab_encoding_t *e)
{
	if (!e || !e->flit_bytes)
		return 0.0;
	double eff = (double)e->flit_payload_bytes / (double)e->flit_bytes;
	if (e->dl_frame_bytes)
		eff *= (double)(e->dl_frame_bytes - e->dl_overhead_bytes) / (double)e->dl_frame_bytes;
	if (e->fec_codeword_bytes)
		eff *= (double)e->fec_data_bytes / (double)e->fec_codeword_bytes;
	return eff;
}

PODFAB_EXPORT uint64_t podfab_encoding_flits(const podfab_encoding_t *e, uint32_t header, uint64_t payload)
{
	uint64_t b = (uint64_t)header + payload;
	if (!e || !e->flit_payload_bytes)
		return b;
	return (b + e->flit_payload_bytes - 1) / e->flit_payload_bytes;
}

PODFAB_EXPORT double podfab_encoding_wire_bytes(const podfab_encoding_t *e, uint32_t header,
						uint64_t payload)
{
	if (!e || !e->flit_payload_bytes || !e->flit_bytes)
		return (double)header + (double)payload;
	double w = (double)podfab_encoding_flits(e, header, payload) * (double)e->flit_bytes;
	if (e->dl_frame_bytes && e->dl_frame_bytes > e->dl_overhead_bytes)
		w = w * (double)e->dl_frame_bytes / (double)(e->dl_frame_bytes - e->dl_overhead_bytes);
	if (e->fec_codeword_bytes && e->fec_data_bytes)
		w = w * (double)e->fec_codeword_bytes / (double)e->fec_data_bytes;
	return w;
}

PODFAB_EXPORT double podfab_encoding_head_bytes(const podfab_encoding_t *e, double w)
{
	double h = w;
	if (e) {
		if (e->fec_codeword_bytes)
			h = e->fec_codeword_bytes;
		else if (e->dl_frame_bytes)
			h = e->dl_frame_bytes;
		else if (e->flit_bytes)
			h = e->flit_bytes;
	}
	return h < w ? h : w;
}
