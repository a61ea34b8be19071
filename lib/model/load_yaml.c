/*
 * load_yaml.c - model files (fabric-models/README.md describes the format).
 *
 * The file is parsed with libyaml's document API into a node tree, which is
 * then walked against fixed key tables: any unknown or repeated key, a value
 * of the wrong type, a missing required key or a quantity without its unit is
 * an error "FILE:LINE: FIELD: problem", LINE being 1-based from libyaml's
 * marks.  A file names a generator family (family: + params: + defaults:,
 * turned into a generator string for pf_gen_build) or lists nodes: and
 * links: explicitly; in both forms node and link entries override the
 * elements the family built (matched by name, or by the pair of end names)
 * or add new ones.  Every element added or overridden records its line.
 *
 * The walk visits only the fixed structure of the format (at most four
 * levels), never a general recursion, so aliases and deep or cyclic anchors
 * cost nothing beyond libyaml's own parse.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "pf_internal.h"
#include "pf_model.h"

#define LD_PROBLEM_LEN 400
#define LD_MAX_COUNT 65536u

/* One key=value of the generator string, with the line and field it came from. */
struct gen_pair {
	const char *key;   /* generator key */
	const char *field; /* as written in the file */
	const char *value;
	unsigned long line;
};

struct ld {
	podfab_topo_t t;
	const char *name;
	yaml_document_t *doc;
	struct gen_pair *pairs;
	size_t npairs, cap_pairs;
	/* templates of new elements */
	podfab_link_t lt;
	podfab_node_t nt[PODFAB_NODE_KIND_MAX];
	uint64_t seed;
	int spray_address, have_routing;
	int family_mode;
	uint32_t ngen_links; /* links built by the family (ids below this) */
};

static const char *const kind_names[] = {"accel", "switch", "retimer", NULL};
static const char *const fwd_choices[] = {"store-and-forward", "cut-through", NULL};
static const char *const fec_choices[] = {"pass", "terminate", NULL};
static const char *const spray_choices[] = {"hash", "address", NULL};
static const char *const bool_choices[] = {"false", "true", NULL};

static unsigned long line_of(const yaml_node_t *n)
{
	return n ? (unsigned long)n->start_mark.line + 1 : 1;
}

static int bad(struct ld *L, const yaml_node_t *n, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(struct ld *L, const yaml_node_t *n, const char *field, const char *fmt, ...)
{
	char problem[LD_PROBLEM_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(problem, sizeof problem, fmt, ap);
	va_end(ap);
	return pf_err(PODFAB_EMODEL, "%s:%lu: %s: %s", L->name, line_of(n), field, problem);
}

static yaml_node_t *node_at(struct ld *L, int idx)
{
	return yaml_document_get_node(L->doc, idx);
}

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "empty";
	}
}

/* The text of a scalar node (NUL-terminated by libyaml), or an error. */
static int scalar(struct ld *L, const yaml_node_t *v, const char *field, const char **out)
{
	if (!v || v->type != YAML_SCALAR_NODE)
		return bad(L, v, field, "must be a single value, not %s", v ? type_name(v) : "empty");
	const char *s = (const char *)v->data.scalar.value;
	if (strlen(s) != v->data.scalar.length)
		return bad(L, v, field, "contains a NUL character");
	*out = s;
	return 0;
}

static int need_type(struct ld *L, const yaml_node_t *v, yaml_node_type_t type, const char *field)
{
	if (!v || v->type != type)
		return bad(L, v, field, "must be %s, not %s",
			   type == YAML_MAPPING_NODE ? "a mapping (key: value)" : "a list",
			   v ? type_name(v) : "empty");
	return 0;
}

static int get_uint(struct ld *L, const yaml_node_t *v, const char *field, uint64_t min, uint64_t max,
		    uint64_t *out)
{
	const char *s = NULL;
	int rc = scalar(L, v, field, &s);
	if (rc)
		return rc;
	uint64_t x = 0;
	int ok = *s != '\0';
	for (const char *c = s; *c && ok; c++) {
		if (*c < '0' || *c > '9' || x > (UINT64_MAX - 9) / 10)
			ok = 0;
		else
			x = x * 10 + (uint64_t)(*c - '0');
	}
	if (!ok || x < min || x > max)
		return bad(L, v, field, "'%s' must be a whole number from %llu to %llu", s,
			   (unsigned long long)min, (unsigned long long)max);
	*out = x;
	return 0;
}

static int get_quantity(struct ld *L, const yaml_node_t *v, const char *field, enum pf_unit unit,
			double min, double max, int min_open, double *out)
{
	const char *s = NULL, *why = NULL;
	double d;
	int rc = scalar(L, v, field, &s);
	if (rc)
		return rc;
	if (pf_parse_quantity(s, unit, 0, &d, &why))
		return bad(L, v, field, "'%s': %s", s, why);
	const char *u = unit == PF_UNIT_TIME ? "ns" : unit == PF_UNIT_RATE ? "Gbps" : unit == PF_UNIT_BYTES ? "B" : "";
	if ((min_open ? d <= min : d < min) || d > max)
		return bad(L, v, field, "'%s' must be %s %g%s and at most %g%s", s,
			   min_open ? "greater than" : "at least", min, u, max, u);
	if (unit == PF_UNIT_BYTES && d != (double)(uint64_t)d)
		return bad(L, v, field, "'%s' must be a whole number of bytes", s);
	*out = d;
	return 0;
}

static int get_choice(struct ld *L, const yaml_node_t *v, const char *field, const char *const *choices,
		      int *out)
{
	const char *s = NULL;
	int rc = scalar(L, v, field, &s);
	if (rc)
		return rc;
	char list[200];
	size_t n = 0;
	list[0] = '\0';
	for (int i = 0; choices[i]; i++) {
		if (!strcmp(s, choices[i])) {
			*out = i;
			return 0;
		}
		int w = snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", choices[i]);
		if (w > 0 && (size_t)w < sizeof list - n)
			n += (size_t)w;
	}
	return bad(L, v, field, "'%s' is not one of: %s", s, list);
}

static int get_encoding(struct ld *L, const yaml_node_t *v, const char *field, const podfab_encoding_t **out)
{
	const char *s = NULL;
	int rc = scalar(L, v, field, &s);
	if (rc)
		return rc;
	const podfab_encoding_t *e = podfab_encoding_find(s);
	if (e) {
		*out = e;
		return 0;
	}
	char list[200];
	size_t n = 0;
	list[0] = '\0';
	for (int i = 0; podfab_encoding_get(i); i++) {
		int w = snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", podfab_encoding_get(i)->name);
		if (w > 0 && (size_t)w < sizeof list - n)
			n += (size_t)w;
	}
	return bad(L, v, field, "unknown encoding '%s' (one of: %s)", s, list);
}

/*
 * Walk a mapping whose keys must come from `keys` (NULL-terminated): vals[i]
 * receives the value of keys[i] and lines of keys[i] in kn[i] (both NULL when
 * absent).  Unknown and repeated keys are errors.
 */
static int walk_map(struct ld *L, const yaml_node_t *m, const char *field, const char *const *keys,
		    yaml_node_t **vals, yaml_node_t **kn)
{
	int rc = need_type(L, m, YAML_MAPPING_NODE, field);
	if (rc)
		return rc;
	size_t nk = 0;
	while (keys[nk])
		nk++;
	for (size_t i = 0; i < nk; i++)
		vals[i] = kn[i] = NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(L, p->key), *v = node_at(L, p->value);
		const char *ks = NULL;
		if ((rc = scalar(L, k, field, &ks)))
			return rc;
		size_t i;
		for (i = 0; i < nk; i++)
			if (!strcmp(ks, keys[i]))
				break;
		if (i == nk) {
			char list[400];
			size_t n = 0;
			list[0] = '\0';
			for (size_t j = 0; j < nk; j++) {
				int w = snprintf(list + n, sizeof list - n, "%s%s", j ? ", " : "", keys[j]);
				if (w > 0 && (size_t)w < sizeof list - n)
					n += (size_t)w;
			}
			return bad(L, k, ks, "unknown key in %s (keys: %s)", field, list);
		}
		if (kn[i])
			return bad(L, k, ks, "repeated key (first at line %lu)", line_of(kn[i]));
		kn[i] = k;
		vals[i] = v;
	}
	return 0;
}

/* ---- generator pairs ---------------------------------------------------- */

static int add_pair(struct ld *L, const yaml_node_t *kn, const char *key, const char *field, const yaml_node_t *v)
{
	const char *s = NULL;
	int rc = scalar(L, v, field, &s);
	if (rc)
		return rc;
	if (!*s)
		return bad(L, v, field, "empty value");
	if (strchr(s, ',') || strchr(s, '='))
		return bad(L, v, field, "'%s' must not contain ',' or '='", s);
	for (size_t i = 0; i < L->npairs; i++)
		if (!strcmp(L->pairs[i].key, key))
			return bad(L, kn, field, "'%s' is already given at line %lu", key, L->pairs[i].line);
	if (L->npairs == L->cap_pairs) {
		size_t cap = L->cap_pairs ? L->cap_pairs * 2 : 16;
		struct gen_pair *np = realloc(L->pairs, cap * sizeof *np);
		if (!np)
			return pf_err(PODFAB_ENOMEM, "%s: generator parameters", L->name);
		L->pairs = np;
		L->cap_pairs = cap;
	}
	L->pairs[L->npairs++] = (struct gen_pair){key, field, s, line_of(kn)};
	return 0;
}

/* ---- defaults: ----------------------------------------------------------- */

static const char *const def_sections[] = {"link", "switch", "retimer", "accel", "routing", NULL};
enum { DS_LINK, DS_SWITCH, DS_RETIMER, DS_ACCEL, DS_ROUTING, DS_N };

static const char *const link_def_keys[] = {"lanes", "lane-rate", "prop", "encoding", "ber", NULL};
static const char *const link_def_gen[] = {"lanes", "lane-rate", "prop", "encoding", "ber"};
static const char *const switch_def_keys[] = {"latency", "radix", "buffer", "forwarding", NULL};
static const char *const switch_def_gen[] = {"switch-latency", "switch-radix", "switch-buffer", "forwarding"};
static const char *const retimer_def_keys[] = {"latency", "fec", NULL};
static const char *const retimer_def_gen[] = {"retimer-latency", "retimer-fec"};
static const char *const accel_def_keys[] = {"ingress", "egress", "max-request", NULL};
static const char *const accel_def_gen[] = {"accel-ingress", "accel-egress", "max-request"};
static const char *const routing_def_keys[] = {"seed", "spray", NULL};
static const char *const routing_def_gen[] = {"seed", "spray"};

/* Link fields shared by defaults.link and links: entries (index in link_def_keys). */
static int set_link_field(struct ld *L, int i, const yaml_node_t *v, const char *field, podfab_link_t *lk)
{
	uint64_t u;
	double d;
	int rc;
	switch (i) {
	case 0:
		if ((rc = get_uint(L, v, field, 1, 32, &u)))
			return rc;
		lk->lanes = (uint32_t)u;
		return 0;
	case 1:
		if ((rc = get_quantity(L, v, field, PF_UNIT_RATE, 0, 1e4, 1, &d)))
			return rc;
		lk->lane_gbps = d;
		return 0;
	case 2:
		if ((rc = get_quantity(L, v, field, PF_UNIT_TIME, 0, 1e9, 0, &d)))
			return rc;
		lk->prop_ns = d;
		return 0;
	case 3:
		return get_encoding(L, v, field, &lk->enc);
	default:
		if ((rc = get_quantity(L, v, field, PF_UNIT_NONE, 0, 0.5, 0, &d)))
			return rc;
		lk->ber = d;
		return 0;
	}
}

static int set_switch_field(struct ld *L, int i, const yaml_node_t *v, const char *field, podfab_node_t *n)
{
	uint64_t u;
	double d;
	int rc;
	switch (i) {
	case 0:
		if ((rc = get_quantity(L, v, field, PF_UNIT_TIME, 0, 1e9, 0, &d)))
			return rc;
		n->latency_ns = d;
		return 0;
	case 1:
		if ((rc = get_uint(L, v, field, 1, 65536, &u)))
			return rc;
		n->radix = (uint32_t)u;
		return 0;
	case 2:
		if ((rc = get_quantity(L, v, field, PF_UNIT_BYTES, 0, 1099511627776.0, 0, &d)))
			return rc;
		n->buffer_bytes = (uint64_t)d;
		return 0;
	default:
		return get_choice(L, v, field, fwd_choices, &n->cut_through);
	}
}

static int set_retimer_field(struct ld *L, int i, const yaml_node_t *v, const char *field, podfab_node_t *n)
{
	double d;
	int rc;
	if (i == 0) {
		if ((rc = get_quantity(L, v, field, PF_UNIT_TIME, 0, 1e9, 0, &d)))
			return rc;
		n->latency_ns = d;
		return 0;
	}
	return get_choice(L, v, field, fec_choices, &n->fec_terminate);
}

static int set_accel_field(struct ld *L, int i, const yaml_node_t *v, const char *field, podfab_node_t *n)
{
	double d;
	int rc;
	if (i == 2) {
		if ((rc = get_quantity(L, v, field, PF_UNIT_BYTES, 1, 65536, 0, &d)))
			return rc;
		n->max_request = (uint32_t)d;
		return 0;
	}
	if ((rc = get_quantity(L, v, field, PF_UNIT_TIME, 0, 1e9, 0, &d)))
		return rc;
	if (i == 0)
		n->latency_ns = d;
	else
		n->egress_ns = d;
	return 0;
}

static void builtin_defaults(struct ld *L)
{
	podfab_link_t *lt = &L->lt;
	memset(lt, 0, sizeof *lt);
	lt->lanes = 4;
	lt->enc = podfab_encoding_find("ualink-200g");
	lt->lane_gbps = lt->enc ? lt->enc->lane_gbps : 200.0;
	lt->prop_ns = 5.0;
	lt->ber = lt->enc && lt->enc->fec_codeword_bytes ? 1e-6 : 1e-12;
	lt->up = 1;
	for (int k = 0; k < PODFAB_NODE_KIND_MAX; k++) {
		podfab_node_t *n = &L->nt[k];
		memset(n, 0, sizeof *n);
		n->kind = (podfab_node_kind_t)k;
		n->plane = -1;
		n->coord[0] = n->coord[1] = n->coord[2] = -1;
	}
	L->nt[PODFAB_NODE_ACCEL].latency_ns = 20.0;
	L->nt[PODFAB_NODE_ACCEL].egress_ns = 20.0;
	L->nt[PODFAB_NODE_ACCEL].max_request = 256;
	L->nt[PODFAB_NODE_SWITCH].latency_ns = 150.0;
	L->nt[PODFAB_NODE_SWITCH].buffer_bytes = 1u << 20;
	L->nt[PODFAB_NODE_SWITCH].cut_through = 1;
	L->nt[PODFAB_NODE_RETIMER].latency_ns = 10.0;
}

static int load_defaults(struct ld *L, const yaml_node_t *m)
{
	yaml_node_t *sec[DS_N], *seck[DS_N];
	int rc = walk_map(L, m, "defaults", def_sections, sec, seck);
	if (rc)
		return rc;
	int ber_given = 0;
	for (int s = 0; s < DS_N; s++) {
		if (!sec[s])
			continue;
		const char *const *keys = s == DS_LINK	    ? link_def_keys
					  : s == DS_SWITCH  ? switch_def_keys
					  : s == DS_RETIMER ? retimer_def_keys
					  : s == DS_ACCEL   ? accel_def_keys
							    : routing_def_keys;
		const char *const *gen = s == DS_LINK	   ? link_def_gen
					 : s == DS_SWITCH  ? switch_def_gen
					 : s == DS_RETIMER ? retimer_def_gen
					 : s == DS_ACCEL   ? accel_def_gen
							   : routing_def_gen;
		yaml_node_t *v[8], *k[8];
		if ((rc = walk_map(L, sec[s], def_sections[s], keys, v, k)))
			return rc;
		for (int i = 0; keys[i]; i++) {
			if (!v[i])
				continue;
			const char *field = keys[i];
			uint64_t u;
			switch (s) {
			case DS_LINK:
				rc = set_link_field(L, i, v[i], field, &L->lt);
				if (i == 4)
					ber_given = 1;
				break;
			case DS_SWITCH:
				rc = set_switch_field(L, i, v[i], field, &L->nt[PODFAB_NODE_SWITCH]);
				break;
			case DS_RETIMER:
				rc = set_retimer_field(L, i, v[i], field, &L->nt[PODFAB_NODE_RETIMER]);
				break;
			case DS_ACCEL:
				rc = set_accel_field(L, i, v[i], field, &L->nt[PODFAB_NODE_ACCEL]);
				break;
			default:
				L->have_routing = 1;
				if (i == 0) {
					rc = get_uint(L, v[i], field, 0, UINT64_MAX, &u);
					L->seed = u;
				} else {
					rc = get_choice(L, v[i], field, spray_choices, &L->spray_address);
				}
				break;
			}
			if (rc || (rc = add_pair(L, k[i], gen[i], field, v[i])))
				return rc;
		}
		if (s == DS_LINK && L->lt.enc && !v[1])
			L->lt.lane_gbps = L->lt.enc->lane_gbps;
	}
	if (!ber_given && L->lt.enc)
		L->lt.ber = L->lt.enc->fec_codeword_bytes ? 1e-6 : 1e-12;
	return 0;
}

/* ---- family: and params: ------------------------------------------------ */

static int valid_key(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

static int load_params(struct ld *L, const yaml_node_t *m)
{
	int rc = need_type(L, m, YAML_MAPPING_NODE, "params");
	if (rc)
		return rc;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(L, p->key), *v = node_at(L, p->value);
		const char *ks = NULL;
		if ((rc = scalar(L, k, "params", &ks)))
			return rc;
		if (!valid_key(ks))
			return bad(L, k, "params", "'%s' is not a generator key (letters, digits and '-')", ks);
		if ((rc = add_pair(L, k, ks, ks, v)))
			return rc;
	}
	return 0;
}

/* Turn the family and its pairs into a generator string and build it. */
static int build_family(struct ld *L, const yaml_node_t *fam_node, const char *family)
{
	if (!valid_key(family))
		return bad(L, fam_node, "family", "'%s' is not a family name", family);
	size_t len = strlen(family) + 2;
	for (size_t i = 0; i < L->npairs; i++)
		len += strlen(L->pairs[i].key) + strlen(L->pairs[i].value) + 2;
	char *gen = malloc(len);
	if (!gen)
		return pf_err(PODFAB_ENOMEM, "%s: generator string", L->name);
	size_t n = (size_t)snprintf(gen, len, "%s", family);
	for (size_t i = 0; i < L->npairs; i++)
		n += (size_t)snprintf(gen + n, len - n, "%c%s=%s", i ? ',' : ':', L->pairs[i].key,
				      L->pairs[i].value);
	int rc = pf_gen_build(L->t, gen);
	free(gen);
	if (rc != -PODFAB_EMODEL)
		return rc;
	/* Locate the generator's complaint: the pair whose key it names, else family:. */
	char msg[LD_PROBLEM_LEN];
	snprintf(msg, sizeof msg, "%s", podfab_error_detail() ? podfab_error_detail() : "invalid");
	unsigned long line = line_of(fam_node);
	const char *field = "family";
	for (size_t i = 0; i < L->npairs; i++) {
		char pat1[80], pat2[80];
		snprintf(pat1, sizeof pat1, " %s=", L->pairs[i].key);
		snprintf(pat2, sizeof pat2, "'%s'", L->pairs[i].key);
		if (strstr(msg, pat1) || strstr(msg, pat2) || !strncmp(msg, pat1 + 1, strlen(pat1 + 1))) {
			line = L->pairs[i].line;
			field = L->pairs[i].field;
			break;
		}
	}
	return pf_err(PODFAB_EMODEL, "%s:%lu: %s: %s", L->name, line, field, msg);
}

/* After the family is built: new elements look like the family's first ones. */
static void templates_from_family(struct ld *L)
{
	podfab_topo_t t = L->t;
	if (t->nlinks) {
		const podfab_link_t *l = &t->links[0];
		L->lt.lanes = l->lanes;
		L->lt.lane_gbps = l->lane_gbps;
		L->lt.prop_ns = l->prop_ns;
		L->lt.enc = l->enc;
		L->lt.ber = l->ber;
	}
	int done[PODFAB_NODE_KIND_MAX] = {0};
	for (uint32_t i = 0; i < t->nnodes; i++) {
		const podfab_node_t *n = &t->nodes[i];
		if (done[n->kind])
			continue;
		done[n->kind] = 1;
		podfab_node_t *d = &L->nt[n->kind];
		d->latency_ns = n->latency_ns;
		d->egress_ns = n->egress_ns;
		d->radix = n->radix;
		d->buffer_bytes = n->buffer_bytes;
		d->cut_through = n->cut_through;
		d->fec_terminate = n->fec_terminate;
		d->max_request = n->max_request;
	}
}

/* ---- nodes: --------------------------------------------------------------- */

static const char *const node_keys[] = {"name",	      "kind", "latency", "ingress", "egress", "max-request",
					"radix",      "buffer", "forwarding", "fec",   "plane",  "coord",
					NULL};
enum { NK_NAME, NK_KIND, NK_LATENCY, NK_INGRESS, NK_EGRESS, NK_MAXREQ, NK_RADIX, NK_BUFFER, NK_FWD,
       NK_FEC, NK_PLANE, NK_COORD, NK_N };

/* Which kinds take each key: bit (1 << kind). */
static const unsigned node_key_kinds[NK_N] = {7, 7, 6, 1, 1, 1, 2, 2, 2, 4, 7, 7};

static int node_fields(struct ld *L, yaml_node_t **v, yaml_node_t **k, podfab_node_t *n)
{
	int rc = 0;
	for (int i = NK_LATENCY; i < NK_N && !rc; i++) {
		if (!v[i])
			continue;
		const char *f = node_keys[i];
		if (!(node_key_kinds[i] & (1u << n->kind))) {
			char list[200];
			size_t len = 0;
			list[0] = '\0';
			for (int j = 0; j < NK_N; j++) {
				if (!(node_key_kinds[j] & (1u << n->kind)))
					continue;
				int w = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", node_keys[j]);
				if (w > 0 && (size_t)w < sizeof list - len)
					len += (size_t)w;
			}
			return bad(L, k[i], f, "not a key of %s nodes (keys: %s)", kind_names[n->kind], list);
		}
		uint64_t u;
		switch (i) {
		case NK_LATENCY:
			rc = n->kind == PODFAB_NODE_SWITCH ? set_switch_field(L, 0, v[i], f, n)
							   : set_retimer_field(L, 0, v[i], f, n);
			break;
		case NK_INGRESS:
		case NK_EGRESS:
		case NK_MAXREQ:
			rc = set_accel_field(L, i - NK_INGRESS, v[i], f, n);
			break;
		case NK_RADIX:
		case NK_BUFFER:
		case NK_FWD:
			rc = set_switch_field(L, i - NK_RADIX + 1, v[i], f, n);
			break;
		case NK_FEC:
			rc = set_retimer_field(L, 1, v[i], f, n);
			break;
		case NK_PLANE:
			if (!(rc = get_uint(L, v[i], f, 0, 65535, &u)))
				n->plane = (int32_t)u;
			break;
		default: {
			if ((rc = need_type(L, v[i], YAML_SEQUENCE_NODE, f)))
				break;
			yaml_node_item_t *it = v[i]->data.sequence.items.start;
			size_t cnt = (size_t)(v[i]->data.sequence.items.top - it);
			if (cnt < 1 || cnt > 3) {
				rc = bad(L, v[i], f, "must list 1 to 3 coordinates, not %zu", cnt);
				break;
			}
			int32_t c[3] = {-1, -1, -1};
			for (size_t j = 0; j < cnt && !rc; j++)
				if (!(rc = get_uint(L, node_at(L, it[j]), f, 0, 65535, &u)))
					c[j] = (int32_t)u;
			memcpy(n->coord, c, sizeof c);
			break;
		}
		}
	}
	return rc;
}

static int load_node(struct ld *L, const yaml_node_t *m)
{
	yaml_node_t *v[NK_N], *k[NK_N];
	int rc = walk_map(L, m, "nodes", node_keys, v, k);
	if (rc)
		return rc;
	const char *name;
	if (!v[NK_NAME])
		return bad(L, m, "name", "missing (every node needs a name)");
	if ((rc = scalar(L, v[NK_NAME], "name", &name)))
		return rc;
	if (!*name)
		return bad(L, v[NK_NAME], "name", "empty");
	int kind = -1;
	if (v[NK_KIND] && (rc = get_choice(L, v[NK_KIND], "kind", kind_names, &kind)))
		return rc;
	podfab_topo_t t = L->t;
	uint32_t id = podfab_topo_find(t, name);
	unsigned long line = line_of(m);
	if (id != PODFAB_TOPO_NONE) {
		podfab_node_t *cur = &t->nodes[id];
		if (cur->src_line)
			return bad(L, v[NK_NAME], "name", "node '%s' is already defined at line %u", name,
				   cur->src_line);
		if (kind >= 0 && (podfab_node_kind_t)kind != cur->kind)
			return bad(L, v[NK_KIND], "kind", "'%s' is of kind %s, not %s", name, kind_names[cur->kind],
				   kind_names[kind]);
		podfab_node_t n = *cur;
		if ((rc = node_fields(L, v, k, &n)))
			return rc;
		cur->latency_ns = n.latency_ns;
		cur->egress_ns = n.egress_ns;
		cur->radix = n.radix;
		cur->buffer_bytes = n.buffer_bytes;
		cur->cut_through = n.cut_through;
		cur->fec_terminate = n.fec_terminate;
		cur->max_request = n.max_request;
		cur->plane = n.plane;
		memcpy(cur->coord, n.coord, sizeof n.coord);
		cur->src_line = (uint32_t)line;
		return 0;
	}
	if (kind < 0)
		return bad(L, v[NK_KIND] ? v[NK_KIND] : m, "kind", "missing for the new node '%s' (accel, switch or retimer)",
			   name);
	podfab_node_t n = L->nt[kind];
	n.name = name;
	n.src_line = (uint32_t)line;
	if ((rc = node_fields(L, v, k, &n)))
		return rc;
	return podfab_topo_add_node(t, &n, NULL);
}

/* ---- links: --------------------------------------------------------------- */

static const char *const link_keys[] = {"lanes", "lane-rate", "prop", "encoding", "ber",
					"a",	 "b",	      "count", "up",	   "class", NULL};
enum { LK_A = 5, LK_B, LK_COUNT, LK_UP, LK_CLASS, LK_N };

static int link_end(struct ld *L, yaml_node_t *v, const char *field, const yaml_node_t *m, uint32_t *id)
{
	const char *s = NULL;
	if (!v)
		return bad(L, m, field, "missing (a link joins nodes a and b)");
	int rc = scalar(L, v, field, &s);
	if (rc)
		return rc;
	*id = podfab_topo_find(L->t, s);
	if (*id == PODFAB_TOPO_NONE)
		return bad(L, v, field, "no node named '%s'", s);
	return 0;
}

static int link_fields(struct ld *L, yaml_node_t **v, podfab_link_t *lk, const char **cls)
{
	int rc;
	for (int i = 0; i < 5; i++)
		if (v[i] && (rc = set_link_field(L, i, v[i], link_keys[i], lk)))
			return rc;
	if (v[LK_UP]) {
		int up;
		if ((rc = get_choice(L, v[LK_UP], "up", bool_choices, &up)))
			return rc;
		lk->up = up;
	}
	*cls = NULL;
	if (v[LK_CLASS]) {
		if ((rc = scalar(L, v[LK_CLASS], "class", cls)))
			return rc;
		if (!**cls)
			return bad(L, v[LK_CLASS], "class", "empty");
	}
	return 0;
}

static int load_link(struct ld *L, const yaml_node_t *m)
{
	yaml_node_t *v[LK_N], *k[LK_N];
	int rc = walk_map(L, m, "links", link_keys, v, k);
	if (rc)
		return rc;
	uint32_t a, b;
	if ((rc = link_end(L, v[LK_A], "a", m, &a)) || (rc = link_end(L, v[LK_B], "b", m, &b)))
		return rc;
	if (a == b)
		return bad(L, v[LK_B], "b", "a link from '%s' to itself", L->t->nodes[a].name);
	uint64_t count = 1;
	if (v[LK_COUNT] && (rc = get_uint(L, v[LK_COUNT], "count", 1, LD_MAX_COUNT, &count)))
		return rc;
	podfab_topo_t t = L->t;
	uint32_t line = (uint32_t)line_of(m);
	/* links the family built between a and b are overridden */
	uint32_t nfam = 0;
	const podfab_node_t *na = &t->nodes[a];
	for (uint32_t p = 0; p < na->nports; p++) {
		const podfab_link_t *lk = &t->links[na->port_link[p]];
		if (lk->id < L->ngen_links && (lk->a == b || lk->b == b)) {
			if (lk->src_line)
				return bad(L, m, "a", "the links between '%s' and '%s' are already overridden at line %u",
					   na->name, t->nodes[b].name, lk->src_line);
			nfam++;
		}
	}
	const char *cls;
	if (nfam) {
		if (v[LK_COUNT] && count != nfam)
			return bad(L, v[LK_COUNT], "count",
				   "the family joins '%s' and '%s' with %u link(s); an override applies to all of them",
				   na->name, t->nodes[b].name, nfam);
		for (uint32_t p = 0; p < na->nports; p++) {
			podfab_link_t *lk = &t->links[na->port_link[p]];
			if (lk->id >= L->ngen_links || (lk->a != b && lk->b != b))
				continue;
			if ((rc = link_fields(L, v, lk, &cls)))
				return rc;
			if (cls) {
				char *c = strdup(cls);
				if (!c)
					return pf_err(PODFAB_ENOMEM, "%s: link class", L->name);
				free((char *)lk->cls);
				lk->cls = c;
			}
			lk->src_line = line;
		}
		return 0;
	}
	podfab_link_t lt = L->lt;
	if ((rc = link_fields(L, v, &lt, &cls)))
		return rc;
	lt.cls = cls;
	lt.src_line = line;
	lt.a = lt.b = lt.a_port = lt.b_port = PODFAB_TOPO_NONE;
	for (uint64_t i = 0; i < count; i++)
		if ((rc = podfab_topo_add_link(t, a, b, &lt, NULL)))
			return rc;
	return 0;
}

/* ---- the document ------------------------------------------------------- */

static const char *const top_keys[] = {"podfab-model", "name",	   "description", "sources", "family",
				       "params",       "defaults", "nodes",	  "links",   NULL};
enum { TK_VERSION, TK_NAME, TK_DESC, TK_SOURCES, TK_FAMILY, TK_PARAMS, TK_DEFAULTS, TK_NODES, TK_LINKS,
       TK_N };

static int each_item(struct ld *L, const yaml_node_t *seq, const char *field,
		     int (*fn)(struct ld *, const yaml_node_t *))
{
	int rc = need_type(L, seq, YAML_SEQUENCE_NODE, field);
	if (rc)
		return rc;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++)
		if ((rc = fn(L, node_at(L, *it))))
			return rc;
	return 0;
}

static int load_doc(struct ld *L, const yaml_node_t *root)
{
	yaml_node_t *v[TK_N], *k[TK_N];
	int rc = walk_map(L, root, "the model", top_keys, v, k);
	if (rc)
		return rc;
	uint64_t ver;
	if (!v[TK_VERSION])
		return bad(L, root, "podfab-model", "missing (the format version, 1)");
	if ((rc = get_uint(L, v[TK_VERSION], "podfab-model", 0, UINT32_MAX, &ver)))
		return rc;
	if (ver != 1)
		return bad(L, v[TK_VERSION], "podfab-model", "format version %llu is not supported (this library reads 1)",
			   (unsigned long long)ver);
	const char *s = NULL;
	if (v[TK_NAME] && (rc = scalar(L, v[TK_NAME], "name", &s)))
		return rc;
	if (v[TK_DESC] && (rc = scalar(L, v[TK_DESC], "description", &s)))
		return rc;
	if (v[TK_SOURCES]) {
		const yaml_node_t *sq = v[TK_SOURCES];
		if ((rc = need_type(L, sq, YAML_SEQUENCE_NODE, "sources")))
			return rc;
		for (yaml_node_item_t *it = sq->data.sequence.items.start; it < sq->data.sequence.items.top; it++) {
			yaml_node_t *item = node_at(L, *it);
			if ((rc = scalar(L, item, "sources", &s)))
				return rc;
			if (!*s)
				return bad(L, item, "sources", "an empty citation");
		}
	}
	if (v[TK_PARAMS] && !v[TK_FAMILY])
		return bad(L, k[TK_PARAMS], "params", "given without family:");
	if (!v[TK_FAMILY] && !v[TK_NODES])
		return bad(L, root, "nodes", "missing (a model names a family: or lists nodes:)");
	builtin_defaults(L);
	const char *fam = NULL;
	if (v[TK_FAMILY] && (rc = scalar(L, v[TK_FAMILY], "family", &fam)))
		return rc;
	if (v[TK_PARAMS] && (rc = load_params(L, v[TK_PARAMS])))
		return rc;
	if (v[TK_DEFAULTS] && (rc = load_defaults(L, v[TK_DEFAULTS])))
		return rc;
	if (fam) {
		if ((rc = build_family(L, v[TK_FAMILY], fam)))
			return rc;
		L->family_mode = 1;
		L->ngen_links = L->t->nlinks;
		templates_from_family(L);
	} else {
		if ((rc = pf_topo_set_origin(L->t, "custom", L->t->spec ? L->t->spec : L->name, L->name)))
			return rc;
		if (L->have_routing) {
			L->t->seed = L->seed;
			L->t->spray_address = L->spray_address;
		}
	}
	if (v[TK_NODES] && (rc = each_item(L, v[TK_NODES], "nodes", load_node)))
		return rc;
	if (v[TK_LINKS] && (rc = each_item(L, v[TK_LINKS], "links", load_link)))
		return rc;
	return 0;
}

static int syntax_error(struct ld *L, yaml_parser_t *p, const char *buf, size_t len)
{
	if (p->error == YAML_MEMORY_ERROR)
		return pf_err(PODFAB_ENOMEM, "%s: parsing", L->name);
	const yaml_mark_t *mk = &p->problem_mark;
	if (p->error == YAML_READER_ERROR) {
		/* the reader reports a byte offset, not a mark */
		unsigned long line = 1;
		for (size_t i = 0; buf && i < p->problem_offset && i < len; i++)
			line += buf[i] == '\n';
		return pf_err(PODFAB_EMODEL, "%s:%lu: yaml: %s (byte %lu)", L->name, line,
			      p->problem ? p->problem : "unreadable input", (unsigned long)p->problem_offset);
	}
	if (p->context)
		return pf_err(PODFAB_EMODEL, "%s:%lu: yaml: %s %s (line %lu)", L->name,
			      (unsigned long)mk->line + 1, p->problem ? p->problem : "syntax error", p->context,
			      (unsigned long)p->context_mark.line + 1);
	return pf_err(PODFAB_EMODEL, "%s:%lu: yaml: %s", L->name, (unsigned long)mk->line + 1,
		      p->problem ? p->problem : "syntax error");
}

int pf_yaml_load(podfab_topo_t t, const char *name, const char *buf, size_t len)
{
	if (!t || !name || (!buf && len))
		return pf_err(PODFAB_ENULL, "%s is NULL", !t ? "topology" : !name ? "name" : "buf");
	struct ld L;
	memset(&L, 0, sizeof L);
	L.t = t;
	L.name = name;
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return pf_err(PODFAB_ENOMEM, "%s: parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)(buf ? buf : ""), len);
	yaml_document_t doc;
	int rc;
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(&L, &parser, buf, len);
		yaml_parser_delete(&parser);
		return rc;
	}
	L.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = pf_err(PODFAB_EMODEL, "%s:1: podfab-model: missing (the file is empty)", name);
	} else {
		yaml_document_t next;
		if (!yaml_parser_load(&parser, &next)) {
			rc = syntax_error(&L, &parser, buf, len);
		} else {
			yaml_node_t *r2 = yaml_document_get_root_node(&next);
			rc = r2 ? pf_err(PODFAB_EMODEL, "%s:%lu: yaml: a second document (a model file holds one)",
					 name, line_of(r2))
				: load_doc(&L, root);
			yaml_document_delete(&next);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(L.pairs);
	return rc;
}
