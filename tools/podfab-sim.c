/*
 * podfab-sim - the offline simulator's command line: load a model, add one or
 * more traffic patterns, run them, print a summary and write the requested
 * reports (JSON, CSV, a Chrome/Perfetto trace, a Graphviz drawing of link
 * utilisation, a latency histogram as SVG).
 *
 * Uses only the public API (podfab/sim.h, podfab/topo.h).  See podfab-sim(1).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <podfab/sim.h>

#include "podfab_config.h"

#define MAX_TRAFFIC 64
#define HIST_BINS 40

static void usage(FILE *f)
{
	fprintf(f,
		"usage: podfab-sim [options] MODEL TRAFFIC...\n"
		"MODEL is a model file, a generator string (\"ualink-pod:accels=64,switches=4\") or\n"
		"plugin:PATH.so[:PARAMS]; TRAFFIC is a pattern \"NAME[:key=value,...]\" (--list).\n"
		"Options:\n"
		"  --seed N           seed of bit errors and generated traffic (default: the model's)\n"
		"  --window N         operations in flight per source accelerator (0: unlimited)\n"
		"  --mode MODE        request (every request and response, hop by hop; default) or\n"
		"                     flow (operations share link bandwidth max-min fairly: large messages)\n"
		"  --json FILE        per-link report as JSON\n"
		"  --csv FILE         per-link report as CSV\n"
		"  --trace FILE       sampled requests hop by hop as Chrome/Perfetto trace events\n"
		"  --trace-every N    sample 1 request in N for --trace (1000)\n"
		"  --dot FILE         topology with link utilisation for Graphviz (.svg: rendered by dot)\n"
		"  --histogram FILE   latency histogram as SVG\n"
		"  --quiet            no summary, no progress bar\n"
		"  --progress         a progress bar even when stderr is not a terminal\n"
		"  --list             the traffic patterns and their keys\n"
		"  --help, --version\n");
}

static int fail_usage(const char *pre, const char *arg, const char *post)
{
	fprintf(stderr, "podfab-sim: %s%s%s\n", pre, arg ? arg : "", post);
	usage(stderr);
	return 2;
}

static int fail_lib(const char *what, int rc)
{
	const char *d = podfab_error_detail();
	if (d && *d)
		fprintf(stderr, "podfab-sim: %s: %s\n", what, d);
	else
		fprintf(stderr, "podfab-sim: %s: %s\n", what, podfab_strerror(rc));
	return 1;
}

/*
 * A decimal number, or hexadecimal after 0x (a leading 0 is not octal: 010 is
 * ten): 0, -1 when s is not one, -2 when it is above max.
 */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (hex && !isxdigit((unsigned char)s[2]))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
	if (*end)
		return -1;
	if (errno == ERANGE || v > max)
		return -2;
	*out = v;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* ---- progress bar -------------------------------------------------------- */

struct progress {
	double start, last;
	int shown;
};

static void progress_cb(void *arg, double done)
{
	struct progress *p = arg;
	double t = now_s();
	if (done < 1.0 && t - p->last < 0.1)
		return;
	p->last = t;
	p->shown = 1;
	if (!(done >= 0.0))
		done = 0.0;
	if (done > 1.0)
		done = 1.0;
	int width = 40, fill = (int)(done * width);
	char bar[64];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = '\0';
	double el = t - p->start;
	if (done > 0.0 && done < 1.0) {
		double eta = el * (1.0 - done) / done;
		fprintf(stderr, "\r[%s] %5.1f%%  %.1fs elapsed, ETA %.1fs   ", bar, 100.0 * done, el, eta);
	} else {
		fprintf(stderr, "\r[%s] %5.1f%%  %.1fs elapsed            ", bar, 100.0 * done, el);
	}
	fflush(stderr);
}

/* ---- links --------------------------------------------------------------- */

struct dl_stat {
	uint32_t dl;
	podfab_link_stats_t st;
};

static int by_busy(const void *a, const void *b)
{
	const struct dl_stat *x = a, *y = b;
	if (x->st.busy_ns != y->st.busy_ns)
		return x->st.busy_ns < y->st.busy_ns ? 1 : -1;
	return x->dl < y->dl ? -1 : x->dl > y->dl;
}

static const char *nname(podfab_topo_t t, uint32_t id)
{
	const podfab_node_t *n = podfab_topo_node(t, id);
	return n && n->name ? n->name : "?";
}

static void dl_ends(podfab_topo_t t, uint32_t dl, uint32_t *from, uint32_t *to)
{
	const podfab_link_t *l = podfab_topo_link(t, dl / 2);
	*from = dl & 1 ? l->b : l->a;
	*to = dl & 1 ? l->a : l->b;
}

/* ---- summary ------------------------------------------------------------- */

static void print_summary(podfab_sim_t sim, const podfab_sim_result_t *r, double wall)
{
	podfab_topo_t t = podfab_sim_model(sim);
	printf("model:            %s (%" PRIu32 " accelerators, %" PRIu32 " links)\n",
	       podfab_topo_spec(t), podfab_topo_naccels(t), podfab_topo_nlinks(t));
	printf("operations:       %" PRIu64 " (%" PRIu64 " bytes)\n", r->ops, r->bytes);
	printf("requests:         %" PRIu64 "\n", r->requests);
	printf("request-hops:     %" PRIu64 "\n", r->hops);
	printf("completion time:  %.3f us\n", r->end_ns / 1e3);
	printf("bandwidth:        %.3f GB/s\n", r->bandwidth_gbs);
	printf("latency (us):     mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
	       r->lat_mean_ns / 1e3, r->lat_p50_ns / 1e3, r->lat_p90_ns / 1e3, r->lat_p99_ns / 1e3,
	       r->lat_max_ns / 1e3);
	uint32_t ndl = 2 * podfab_topo_nlinks(t);
	struct dl_stat *v = calloc((size_t)ndl + 1, sizeof *v);
	if (v) {
		uint32_t n = 0;
		for (uint32_t dl = 0; dl < ndl; dl++)
			if (podfab_sim_link_stats(sim, dl, &v[n].st) == 0 && v[n].st.messages)
				v[n++].dl = dl;
		qsort(v, n, sizeof *v, by_busy);
		printf("busiest links:\n");
		for (uint32_t i = 0; i < n && i < 5; i++) {
			uint32_t a, b;
			dl_ends(t, v[i].dl, &a, &b);
			double u = r->end_ns > 0.0 ? v[i].st.busy_ns / r->end_ns : 0.0;
			printf("  %5.1f%%  dlink %-6" PRIu32 " %s -> %s (%s)  %" PRIu64
			       " messages, queued %.3f us\n", 100.0 * u, v[i].dl, nname(t, a), nname(t, b),
			       podfab_topo_link(t, v[i].dl / 2)->cls, v[i].st.messages,
			       v[i].st.queue_ns / 1e3);
		}
		if (n == 0)
			printf("  (none)\n");
		free(v);
	}
	printf("wall time:        %.3f s (%.3g request-hops/s)\n", wall,
	       wall > 0.0 ? (double)r->hops / wall : 0.0);
}

/* ---- output files -------------------------------------------------------- */

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "podfab-sim: %s: %s\n", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *path)
{
	int bad = ferror(f);
	if (fclose(f) || bad) {
		fprintf(stderr, "podfab-sim: %s: write error\n", path);
		return 1;
	}
	return 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int write_report(podfab_sim_t sim, const char *path, int csv)
{
	FILE *f = open_out(path);
	if (!f)
		return 1;
	int rc = csv ? podfab_sim_write_csv(sim, f) : podfab_sim_write_json(sim, f);
	int bad = close_out(f, path);
	if (rc < 0)
		return fail_lib(path, rc);
	return bad;
}

/* Chrome/Perfetto trace events: one complete event per sampled hop. */
static int write_trace(podfab_sim_t sim, const char *path)
{
	podfab_topo_t t = podfab_sim_model(sim);
	uint64_t n = 0;
	const podfab_sim_hop_trace_t *h = podfab_sim_trace(sim, &n);
	uint32_t ndl = 2 * podfab_topo_nlinks(t);
	unsigned char *seen = calloc((size_t)ndl + 1, 1);
	if (!seen) {
		fprintf(stderr, "podfab-sim: out of memory\n");
		return 1;
	}
	FILE *f = open_out(path);
	if (!f) {
		free(seen);
		return 1;
	}
	fputs("{\"displayTimeUnit\": \"ns\", \"traceEvents\": [", f);
	int first = 1;
	for (uint64_t i = 0; h && i < n; i++) {
		const podfab_sim_hop_trace_t *e = &h[i];
		if (e->dlink < ndl && !seen[e->dlink]) {
			uint32_t a, b;
			dl_ends(t, e->dlink, &a, &b);
			seen[e->dlink] = 1;
			fprintf(f, "%s{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": %" PRIu32
				", \"args\": {\"name\": ", first ? "\n" : ",\n", e->dlink);
			char name[512];
			snprintf(name, sizeof name, "dlink %" PRIu32 " %s -> %s", e->dlink, nname(t, a),
				 nname(t, b));
			json_str(f, name);
			fputs("}}", f);
			first = 0;
		}
		double dur = e->end_ns - e->start_ns;
		fprintf(f, "%s{\"name\": \"op %" PRIu64 " %s %" PRIu32 "\", \"cat\": \"%s\", \"ph\": \"X\", "
			"\"pid\": %" PRIu32 ", \"tid\": %" PRIu64 ", \"ts\": %.6f, \"dur\": %.6f, "
			"\"args\": {\"op\": %" PRIu64 ", \"request\": %" PRIu32 ", \"response\": %d}}",
			first ? "\n" : ",\n", e->op, e->response ? "response" : "request", e->request,
			e->response ? "response" : "request", e->dlink, e->op,
			isfinite(e->start_ns) ? e->start_ns / 1e3 : 0.0,
			isfinite(dur) && dur > 0.0 ? dur / 1e3 : 0.0, e->op, e->request, e->response);
		first = 0;
	}
	fputs("\n]}\n", f);
	free(seen);
	return close_out(f, path);
}

/* A colour from green (idle) through yellow to red (busy), as Graphviz HSV. */
static void util_colour(char *buf, size_t len, double u)
{
	if (!(u >= 0.0))
		u = 0.0;
	if (u > 1.0)
		u = 1.0;
	snprintf(buf, len, "%.3f 0.9 0.85", (1.0 - u) * 0.33);
}

static void dot_id(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int write_dot_to(podfab_sim_t sim, const podfab_sim_result_t *r, FILE *f)
{
	podfab_topo_t t = podfab_sim_model(sim);
	uint32_t nn = podfab_topo_nnodes(t), nl = podfab_topo_nlinks(t);
	fputs("graph \"podfab-sim\" {\n\tlabel=", f);
	char label[1024];
	snprintf(label, sizeof label, "%s: link utilisation (busy / %.3f us)", podfab_topo_spec(t),
		 r->end_ns / 1e3);
	dot_id(f, label);
	fputs(";\n\tnode [fontsize=10];\n\tedge [fontsize=8];\n", f);
	for (uint32_t i = 0; i < nn; i++) {
		const podfab_node_t *n = podfab_topo_node(t, i);
		const char *shape = n->kind == PODFAB_NODE_ACCEL    ? "box"
				    : n->kind == PODFAB_NODE_SWITCH ? "ellipse" : "diamond";
		fprintf(f, "\tn%" PRIu32 " [label=", n->id);
		dot_id(f, n->name);
		fprintf(f, ", shape=%s%s];\n", shape,
			n->kind == PODFAB_NODE_ACCEL ? ", style=filled, fillcolor=\"#dde8f6\"" : "");
	}
	for (uint32_t i = 0; i < nl; i++) {
		const podfab_link_t *l = podfab_topo_link(t, i);
		podfab_link_stats_t s0, s1;
		if (podfab_sim_link_stats(sim, 2 * i, &s0) || podfab_sim_link_stats(sim, 2 * i + 1, &s1))
			return -1;
		double b = s0.busy_ns > s1.busy_ns ? s0.busy_ns : s1.busy_ns;
		double u = r->end_ns > 0.0 ? b / r->end_ns : 0.0;
		char col[32];
		util_colour(col, sizeof col, u);
		fprintf(f, "\tn%" PRIu32 " -- n%" PRIu32 " [color=\"%s\", penwidth=%.2f, label=\"%.0f%%\"%s];\n",
			l->a, l->b, col, 1.0 + 7.0 * (u > 1.0 ? 1.0 : u), 100.0 * u,
			l->up ? "" : ", style=dashed");
	}
	fputs("}\n", f);
	return 0;
}

static int dot_on_path(void)
{
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	char buf[4096];
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n > 0 && n + 5 < sizeof buf) {
			memcpy(buf, path, n);
			memcpy(buf + n, "/dot", 5);
			if (access(buf, X_OK) == 0)
				return 1;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return 0;
}

static int write_dot(podfab_sim_t sim, const podfab_sim_result_t *r, const char *path)
{
	int svg = ends_with(path, ".svg");
	if (svg && dot_on_path()) {
		const char *td = getenv("TMPDIR");
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s/podfab-sim-XXXXXX", td && *td ? td : "/tmp");
		int fd = mkstemp(tmp);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f) {
			fprintf(stderr, "podfab-sim: temporary file: %s\n", strerror(errno));
			if (fd >= 0)
				close(fd);
			return 1;
		}
		int bad = write_dot_to(sim, r, f) < 0;
		bad |= close_out(f, tmp);
		int st = 1;
		if (!bad) {
			pid_t pid = fork();
			if (pid == 0) {
				execlp("dot", "dot", "-Tsvg", "-o", path, tmp, (char *)NULL);
				_exit(127);
			}
			if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
				st = 0;
			else
				st = 1;
		}
		unlink(tmp);
		if (bad || st) {
			fprintf(stderr, "podfab-sim: %s: dot -Tsvg failed\n", path);
			return 1;
		}
		return 0;
	}
	char *out = NULL;
	if (svg) {
		size_t n = strlen(path);
		out = malloc(n + 1);
		if (!out)
			return 1;
		memcpy(out, path, n - 4);
		memcpy(out + n - 4, ".dot", 5);
		fprintf(stderr, "podfab-sim: dot is not on PATH; writing %s instead of %s\n", out, path);
	}
	const char *p = out ? out : path;
	FILE *f = open_out(p);
	int rc = 1;
	if (f) {
		int bad = write_dot_to(sim, r, f) < 0;
		rc = close_out(f, p) | bad;
	}
	free(out);
	return rc;
}

/* Latency histogram: log-spaced bins between the smallest and largest latency. */
static int write_histogram(podfab_sim_t sim, const podfab_sim_result_t *r, const char *path)
{
	uint64_t n = 0;
	const double *lat = podfab_sim_latencies(sim, &n);
	double lo = INFINITY, hi = 0.0;
	for (uint64_t i = 0; lat && i < n; i++) {
		if (lat[i] > 0.0 && isfinite(lat[i])) {
			lo = lat[i] < lo ? lat[i] : lo;
			hi = lat[i] > hi ? lat[i] : hi;
		}
	}
	if (!(hi > 0.0)) {
		lo = 1.0;
		hi = 10.0;
	}
	double llo = floor(log10(lo) * 10.0) / 10.0, lhi = ceil(log10(hi) * 10.0) / 10.0;
	if (lhi - llo < 0.2) {
		llo -= 0.1;
		lhi += 0.1;
	}
	uint64_t bins[HIST_BINS] = {0}, peak = 0;
	for (uint64_t i = 0; lat && i < n; i++) {
		if (!(lat[i] > 0.0) || !isfinite(lat[i]))
			continue;
		int b = (int)((log10(lat[i]) - llo) / (lhi - llo) * HIST_BINS);
		b = b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
		bins[b]++;
	}
	for (int b = 0; b < HIST_BINS; b++)
		peak = bins[b] > peak ? bins[b] : peak;
	FILE *f = open_out(path);
	if (!f)
		return 1;
	const double W = 800, H = 480, L = 80, R = 20, T = 50, B = 70;
	const double pw = W - L - R, ph = H - T - B;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H, W, H);
	fprintf(f, "<text x=\"%.0f\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">"
		"Operation latency (%" PRIu64 " operations; p50 %.3f us, p99 %.3f us)</text>\n",
		W / 2, n, r->lat_p50_ns / 1e3, r->lat_p99_ns / 1e3);
	double bw = pw / HIST_BINS;
	for (int b = 0; b < HIST_BINS; b++) {
		if (!bins[b])
			continue;
		double h = peak ? ph * (double)bins[b] / (double)peak : 0.0;
		double x0 = pow(10.0, llo + (lhi - llo) * b / HIST_BINS);
		double x1 = pow(10.0, llo + (lhi - llo) * (b + 1) / HIST_BINS);
		fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#4a7fc1\" "
			"stroke=\"#2a4f81\"><title>%.4g - %.4g ns: %" PRIu64 "</title></rect>\n",
			L + b * bw, T + ph - h, bw, h, x0, x1, bins[b]);
	}
	/* Axes. */
	fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n",
		L, T + ph, L + pw, T + ph);
	fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n",
		L, T, L, T + ph);
	/* x ticks: every 0.5 decade (1, 3.16, 10, ...) within the range. */
	for (double e = ceil(llo * 2.0) / 2.0; e <= lhi + 1e-9; e += 0.5) {
		double x = L + pw * (e - llo) / (lhi - llo);
		double v = pow(10.0, e);
		fprintf(f, "<line x1=\"%.2f\" y1=\"%.0f\" x2=\"%.2f\" y2=\"%.0f\" stroke=\"black\"/>\n",
			x, T + ph, x, T + ph + 6);
		fprintf(f, "<text x=\"%.2f\" y=\"%.0f\" text-anchor=\"middle\">%.3g</text>\n", x,
			T + ph + 20, v);
	}
	/* y ticks: 0, peak/4, ..., peak. */
	for (int k = 0; k <= 4; k++) {
		double y = T + ph - ph * k / 4.0;
		fprintf(f, "<line x1=\"%.0f\" y1=\"%.2f\" x2=\"%.0f\" y2=\"%.2f\" stroke=\"black\"/>\n",
			L - 6, y, L, y);
		fprintf(f, "<text x=\"%.0f\" y=\"%.2f\" text-anchor=\"end\">%.0f</text>\n", L - 9, y + 4,
			(double)peak * k / 4.0);
	}
	/* Percentile markers. */
	const double pv[2] = {r->lat_p50_ns, r->lat_p99_ns};
	const char *pn[2] = {"p50", "p99"};
	for (int k = 0; k < 2; k++) {
		if (!(pv[k] > 0.0) || !isfinite(pv[k]))
			continue;
		double x = L + pw * (log10(pv[k]) - llo) / (lhi - llo);
		fprintf(f, "<line x1=\"%.2f\" y1=\"%.0f\" x2=\"%.2f\" y2=\"%.0f\" stroke=\"#c03030\" "
			"stroke-dasharray=\"4,3\"/>\n<text x=\"%.2f\" y=\"%.0f\" fill=\"#c03030\" "
			"text-anchor=\"middle\">%s</text>\n", x, T, x, T + ph, x, T - 4, pn[k]);
	}
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">latency, ns (log scale)</text>\n",
		L + pw / 2, H - 20);
	fprintf(f, "<text x=\"20\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 20 %.0f)\">"
		"operations</text>\n</svg>\n", T + ph / 2, T + ph / 2);
	return close_out(f, path);
}

static void list_patterns(void)
{
	const char *const *p = podfab_sim_patterns();
	printf("traffic patterns (TRAFFIC \"name:key=value,...\"):\n");
	for (int i = 0; p && p[i]; i++)
		printf("  %s\n    %s\n", p[i], podfab_sim_pattern_help(p[i]));
}

/* The spec with seed=N appended when it is a generator without its own seed. */
static char *with_seed(const char *spec, uint64_t seed, int have)
{
	size_t n = strlen(spec) + 32;
	char *s = malloc(n);
	if (!s)
		return NULL;
	int add = have && strncmp(spec, "trace", 5) != 0 && !strstr(spec, "seed=");
	if (add)
		snprintf(s, n, "%s%sseed=%" PRIu64, spec, strchr(spec, ':') ? "," : ":", seed);
	else
		snprintf(s, n, "%s", spec);
	return s;
}

int main(int argc, char **argv)
{
	const char *json = NULL, *csv = NULL, *trace = NULL, *dot = NULL, *hist = NULL, *mode = "request";
	const char *pos[MAX_TRAFFIC + 1];
	int npos = 0, quiet = 0, force_progress = 0, have_seed = 0, opts = 1;
	uint64_t seed = 0, window = 0, every = 1000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!opts || a[0] != '-' || !a[1]) {
			if (npos > MAX_TRAFFIC)
				return fail_usage("too many traffic specs (at most ", "64", ")");
			pos[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			opts = 0;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--version")) {
			printf("podfab-sim %s\n", PODFAB_VERSION_STRING);
			return 0;
		}
		if (!strcmp(a, "--list")) {
			list_patterns();
			return 0;
		}
		if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = 1;
			continue;
		}
		if (!strcmp(a, "--progress")) {
			force_progress = 1;
			continue;
		}
		const char **sval = !strcmp(a, "--json")	? &json
				    : !strcmp(a, "--csv")	? &csv
				    : !strcmp(a, "--trace")	? &trace
				    : !strcmp(a, "--dot")	? &dot
				    : !strcmp(a, "--histogram") ? &hist
				    : !strcmp(a, "--mode")	? &mode : NULL;
		uint64_t *nval = !strcmp(a, "--seed")		? &seed
				 : !strcmp(a, "--window")	? &window
				 : !strcmp(a, "--trace-every") ? &every : NULL;
		if (!sval && !nval)
			return fail_usage("unknown option '", a, "'");
		if (i + 1 >= argc)
			return fail_usage("option '", a, "' needs a value");
		const char *v = argv[++i];
		if (sval) {
			if (!*v)
				return fail_usage("option '", a, "' needs a file name");
			*sval = v;
		} else {
			uint64_t max = nval == &seed ? UINT64_MAX : UINT32_MAX;
			int prc = parse_u64(v, max, nval);
			if (prc == -2) {
				fprintf(stderr, "podfab-sim: option '%s': %s is out of range (at most %" PRIu64 ")\n", a,
					v, max);
				usage(stderr);
				return 2;
			}
			if (prc || (nval == &every && *nval == 0)) {
				fprintf(stderr, "podfab-sim: option '%s': '%s' is not %s\n", a, v,
					nval == &every ? "a positive integer" : "an unsigned integer");
				usage(stderr);
				return 2;
			}
			if (nval == &seed)
				have_seed = 1;
		}
	}
	if (npos < 2)
		return fail_usage(npos ? "no TRAFFIC after MODEL" : "no MODEL and TRAFFIC", NULL, "");
	podfab_sim_mode_t m = PODFAB_SIM_MODE_REQUEST;
	if (!strcmp(mode, "flow"))
		m = PODFAB_SIM_MODE_FLOW;
	else if (strcmp(mode, "request"))
		return fail_usage("option '--mode': '", mode, "' is not request or flow");

	podfab_topo_t topo;
	int rc = podfab_topo_load(pos[0], &topo);
	if (rc < 0)
		return fail_lib(pos[0], rc);
	podfab_sim_config_t cfg = {.size = sizeof cfg, .seed = seed, .window = (uint32_t)window,
				   .trace_every = trace ? (uint32_t)every : 0, .mode = m};
	podfab_sim_t sim;
	if ((rc = podfab_sim_new(topo, &cfg, &sim)) < 0) {
		int st = fail_lib(pos[0], rc);
		podfab_topo_free(topo);
		return st;
	}
	int status = 0;
	for (int i = 1; i < npos && !status; i++) {
		char *spec = with_seed(pos[i], seed, have_seed);
		rc = spec ? podfab_sim_traffic(sim, spec) : -PODFAB_ENOMEM;
		free(spec);
		if (rc < 0)
			status = fail_lib(pos[i], rc);
	}
	podfab_sim_result_t res;
	double wall = 0.0;
	if (!status) {
		struct progress pr = {.start = now_s()};
		int bar = !quiet && (force_progress || isatty(STDERR_FILENO));
		rc = podfab_sim_run(sim, bar ? progress_cb : NULL, &pr);
		wall = now_s() - pr.start;
		if (bar && pr.shown)
			fputc('\n', stderr);
		if (rc < 0)
			status = fail_lib("run", rc);
	}
	if (!status && (rc = podfab_sim_result(sim, &res)) < 0)
		status = fail_lib("result", rc);
	if (!status && !quiet) {
		print_summary(sim, &res, wall);
		fflush(stdout);
	}
	if (!status && json)
		status = write_report(sim, json, 0);
	if (!status && csv)
		status = write_report(sim, csv, 1);
	if (!status && trace)
		status = write_trace(sim, trace);
	if (!status && dot)
		status = write_dot(sim, &res, dot);
	if (!status && hist)
		status = write_histogram(sim, &res, hist);
	podfab_sim_free(sim);
	podfab_topo_free(topo);
	return status;
}
