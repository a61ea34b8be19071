/*
 * sim_report.c - the offline simulator's per-link report as JSON or CSV.
 *
 * Reads a finished run through the public API only (podfab_sim_result,
 * podfab_sim_link_stats, the model).  Numbers are printed with fixed formats
 * and never as inf or nan, so the output is valid JSON and repeats byte for
 * byte for the same run.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <podfab/sim.h>

#include "pf_internal.h"

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void c_str(FILE *f, const char *s)
{
	if (!s)
		s = "";
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void c_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.10g", v);
}

static const char *node_name(podfab_topo_t t, uint32_t id)
{
	const podfab_node_t *n = podfab_topo_node(t, id);
	return n && n->name ? n->name : "";
}

static int check(podfab_sim_t sim, FILE *f, const char *who, podfab_sim_result_t *res)
{
	if (!sim || !f)
		return pf_err(PODFAB_ENULL, "%s: NULL %s", who, sim ? "file" : "simulator");
	return podfab_sim_result(sim, res);
}

static int finish(FILE *f, const char *who)
{
	if (fflush(f) || ferror(f))
		return pf_err(PODFAB_ESYSTEM, "%s: write error", who);
	return 0;
}

PODFAB_EXPORT int podfab_sim_write_json(podfab_sim_t sim, FILE *f)
{
	podfab_sim_result_t r;
	int rc = check(sim, f, "podfab_sim_write_json", &r);
	if (rc < 0)
		return rc;
	podfab_topo_t t = podfab_sim_model(sim);
	fputs("{\"model\": ", f);
	pf_json_str(f, podfab_topo_spec(t));
	fputs(",\n \"summary\": {", f);
	fputs("\"end_ns\": ", f);
	pf_json_num(f, r.end_ns);
	fprintf(f, ", \"ops\": %" PRIu64 ", \"requests\": %" PRIu64 ", \"hops\": %" PRIu64
		", \"bytes\": %" PRIu64, r.ops, r.requests, r.hops, r.bytes);
	fputs(", \"bandwidth_gbs\": ", f);
	pf_json_num(f, r.bandwidth_gbs);
	fputs(",\n  \"latency_ns\": {\"mean\": ", f);
	pf_json_num(f, r.lat_mean_ns);
	fputs(", \"p50\": ", f);
	pf_json_num(f, r.lat_p50_ns);
	fputs(", \"p90\": ", f);
	pf_json_num(f, r.lat_p90_ns);
	fputs(", \"p99\": ", f);
	pf_json_num(f, r.lat_p99_ns);
	fputs(", \"max\": ", f);
	pf_json_num(f, r.lat_max_ns);
	fputs("}},\n \"links\": [", f);
	uint32_t nl = podfab_topo_nlinks(t);
	int first = 1;
	for (uint32_t dl = 0; dl < 2 * nl; dl++) {
		podfab_link_stats_t st;
		if ((rc = podfab_sim_link_stats(sim, dl, &st)) < 0)
			return rc;
		if (!st.messages)
			continue;
		const podfab_link_t *l = podfab_topo_link(t, dl / 2);
		uint32_t from = dl & 1 ? l->b : l->a, to = dl & 1 ? l->a : l->b;
		fprintf(f, "%s{\"link\": %" PRIu32 ", \"dlink\": %" PRIu32 ", \"from\": ",
			first ? "\n  " : ",\n  ", dl / 2, dl);
		first = 0;
		pf_json_str(f, node_name(t, from));
		fputs(", \"to\": ", f);
		pf_json_str(f, node_name(t, to));
		fputs(", \"class\": ", f);
		pf_json_str(f, l->cls);
		fprintf(f, ", \"messages\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"wire_bytes\": %" PRIu64
			", \"flits\": %" PRIu64 ", \"busy_ns\": ", st.messages, st.bytes, st.wire_bytes,
			st.flits);
		pf_json_num(f, st.busy_ns);
		fputs(", \"queue_ns\": ", f);
		pf_json_num(f, st.queue_ns);
		fprintf(f, ", \"replays\": %" PRIu64 ", \"utilisation\": ", st.replays);
		pf_json_num(f, r.end_ns > 0.0 ? st.busy_ns / r.end_ns : 0.0);
		fputc('}', f);
	}
	fputs(first ? "]}\n" : "\n ]}\n", f);
	return finish(f, "podfab_sim_write_json");
}

PODFAB_EXPORT int podfab_sim_write_csv(podfab_sim_t sim, FILE *f)
{
	podfab_sim_result_t r;
	int rc = check(sim, f, "podfab_sim_write_csv", &r);
	if (rc < 0)
		return rc;
	podfab_topo_t t = podfab_sim_model(sim);
	fputs("link,dlink,from,to,class,up,messages,bytes,wire_bytes,flits,busy_ns,queue_ns,replays,"
	      "utilisation\n", f);
	uint32_t nl = podfab_topo_nlinks(t);
	for (uint32_t dl = 0; dl < 2 * nl; dl++) {
		podfab_link_stats_t st;
		if ((rc = podfab_sim_link_stats(sim, dl, &st)) < 0)
			return rc;
		const podfab_link_t *l = podfab_topo_link(t, dl / 2);
		uint32_t from = dl & 1 ? l->b : l->a, to = dl & 1 ? l->a : l->b;
		fprintf(f, "%" PRIu32 ",%" PRIu32 ",", dl / 2, dl);
		c_str(f, node_name(t, from));
		fputc(',', f);
		c_str(f, node_name(t, to));
		fputc(',', f);
		c_str(f, l->cls);
		fprintf(f, ",%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", st.up, st.messages,
			st.bytes, st.wire_bytes, st.flits);
		c_num(f, st.busy_ns);
		fputc(',', f);
		c_num(f, st.queue_ns);
		fprintf(f, ",%" PRIu64 ",", st.replays);
		c_num(f, r.end_ns > 0.0 ? st.busy_ns / r.end_ns : 0.0);
		fputc('\n', f);
	}
	return finish(f, "podfab_sim_write_csv");
}
