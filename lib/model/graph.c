/* graph.c - the fabric model's storage: nodes, ports, links, names; load dispatch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pf_internal.h"
#include "pf_model.h"

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static int hash_grow(podfab_topo_t t)
{
	uint32_t cap = t->hash_cap ? t->hash_cap * 2 : 64;
	uint32_t *h = calloc(cap, sizeof *h);
	if (!h)
		return pf_err(PODFAB_ENOMEM, "name table of %u entries", cap);
	for (uint32_t i = 0; i < t->nnodes; i++) {
		uint32_t k = (uint32_t)(name_hash(t->nodes[i].name) & (cap - 1));
		while (h[k])
			k = (k + 1) & (cap - 1);
		h[k] = i + 1;
	}
	free(t->name_hash);
	t->name_hash = h;
	t->hash_cap = cap;
	return 0;
}

PODFAB_EXPORT uint32_t podfab_topo_find(podfab_topo_t t, const char *name)
{
	if (!t || !name || !t->hash_cap)
		return PODFAB_TOPO_NONE;
	uint32_t k = (uint32_t)(name_hash(name) & (t->hash_cap - 1));
	while (t->name_hash[k]) {
		uint32_t id = t->name_hash[k] - 1;
		if (!strcmp(t->nodes[id].name, name))
			return id;
		k = (k + 1) & (t->hash_cap - 1);
	}
	return PODFAB_TOPO_NONE;
}

PODFAB_EXPORT int podfab_topo_new(podfab_topo_t *out)
{
	if (!out)
		return pf_err(PODFAB_ENULL, "the output topology pointer is NULL");
	podfab_topo_t t = calloc(1, sizeof *t);
	if (!t)
		return pf_err(PODFAB_ENOMEM, "topology");
	if (pf_topo_set_origin(t, "custom", "custom", NULL)) {
		free(t);
		return -PODFAB_ENOMEM;
	}
	*out = t;
	return 0;
}

int pf_topo_set_origin(podfab_topo_t t, const char *family, const char *spec, const char *file)
{
	char *f = strdup(family), *s = strdup(spec), *fi = file ? strdup(file) : NULL;
	if (!f || !s || (file && !fi)) {
		free(f);
		free(s);
		free(fi);
		return pf_err(PODFAB_ENOMEM, "topology names");
	}
	free(t->family);
	free(t->spec);
	free(t->file);
	t->family = f;
	t->spec = s;
	t->file = fi;
	return 0;
}

const char *pf_topo_where(podfab_topo_t t, uint32_t src_line, char *buf, size_t len)
{
	if (t->file && src_line)
		snprintf(buf, len, "%s:%u: ", t->file, src_line);
	else
		buf[0] = '\0';
	return buf;
}

PODFAB_EXPORT void podfab_topo_free(podfab_topo_t t)
{
	if (!t)
		return;
	pf_routes_free(t);
	for (uint32_t i = 0; i < t->nnodes; i++) {
		free((char *)t->nodes[i].name);
		free(t->ports[i]);
	}
	for (uint32_t i = 0; i < t->nlinks; i++)
		free((char *)t->links[i].cls);
	free(t->nodes);
	free(t->ports);
	free(t->port_cap);
	free(t->links);
	free(t->accel_node);
	free(t->name_hash);
	free(t->family);
	free(t->spec);
	free(t->file);
	if (t->plugin)
		pf_plugin_close(t->plugin);
	free(t);
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	uint32_t c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, (size_t)c * elem);
	if (!q)
		return pf_err(PODFAB_ENOMEM, "topology arrays of %u entries", c);
	memset((char *)q + (size_t)*cap * elem, 0, (size_t)(c - *cap) * elem);
	*p = q;
	*cap = c;
	return 0;
}

PODFAB_EXPORT int podfab_topo_add_node(podfab_topo_t t, const podfab_node_t *tmpl, uint32_t *id)
{
	if (!t || !tmpl)
		return pf_err(PODFAB_ENULL, "%s is NULL", !t ? "topology" : "node template");
	if (t->finished)
		return pf_err(PODFAB_EINVAL, "the topology is finished and read-only");
	if ((unsigned)tmpl->kind >= PODFAB_NODE_KIND_MAX)
		return pf_err(PODFAB_EINVAL, "node kind %d is not a podfab_node_kind_t", (int)tmpl->kind);
	if (t->nnodes >= UINT32_MAX - 1)
		return pf_err(PODFAB_ETOOMANY, "too many nodes");
	char genname[32];
	static const char *const prefix[] = {"accel", "switch", "retimer"};
	const char *name = tmpl->name;
	if (!name) {
		snprintf(genname, sizeof genname, "%s%u", prefix[tmpl->kind],
			 tmpl->kind == PODFAB_NODE_ACCEL ? t->naccels : t->nnodes);
		name = genname;
	}
	if (!*name)
		return pf_err(PODFAB_EMODEL, "a node has an empty name");
	if (podfab_topo_find(t, name) != PODFAB_TOPO_NONE) {
		char w[256];
		return pf_err(PODFAB_EMODEL, "%sduplicate name '%s'", pf_topo_where(t, tmpl->src_line, w, sizeof w),
			      name);
	}
	int rc;
	uint32_t cap = t->cap_nodes;
	if ((rc = grow((void **)&t->nodes, &cap, t->nnodes + 1, sizeof *t->nodes)))
		return rc;
	cap = t->cap_nodes;
	if ((rc = grow((void **)&t->ports, &cap, t->nnodes + 1, sizeof *t->ports)))
		return rc;
	cap = t->cap_nodes;
	if ((rc = grow((void **)&t->port_cap, &cap, t->nnodes + 1, sizeof *t->port_cap)))
		return rc;
	t->cap_nodes = cap;
	if (tmpl->kind == PODFAB_NODE_ACCEL &&
	    (rc = grow((void **)&t->accel_node, &t->cap_accels, t->naccels + 1, sizeof *t->accel_node)))
		return rc;
	if ((t->nnodes + 1) * 2 > t->hash_cap && (rc = hash_grow(t)))
		return rc;
	char *nm = strdup(name);
	if (!nm)
		return pf_err(PODFAB_ENOMEM, "node name");
	uint32_t n = t->nnodes++;
	podfab_node_t *nd = &t->nodes[n];
	*nd = *tmpl;
	nd->id = n;
	nd->name = nm;
	nd->nports = 0;
	nd->port_link = NULL;
	t->ports[n] = NULL;
	t->port_cap[n] = 0;
	if (nd->kind == PODFAB_NODE_ACCEL) {
		nd->accel = (int32_t)t->naccels;
		t->accel_node[t->naccels++] = n;
		if (!nd->max_request)
			nd->max_request = 256;
	} else {
		nd->accel = -1;
	}
	uint32_t k = (uint32_t)(name_hash(nm) & (t->hash_cap - 1));
	while (t->name_hash[k])
		k = (k + 1) & (t->hash_cap - 1);
	t->name_hash[k] = n + 1;
	if (id)
		*id = n;
	return 0;
}

static int add_port(podfab_topo_t t, uint32_t node, uint32_t link, uint32_t *port)
{
	podfab_node_t *nd = &t->nodes[node];
	int rc = grow((void **)&t->ports[node], &t->port_cap[node], nd->nports + 1, sizeof(uint32_t));
	if (rc)
		return rc;
	t->ports[node][nd->nports] = link;
	*port = nd->nports++;
	nd->port_link = t->ports[node];
	return 0;
}

PODFAB_EXPORT int podfab_topo_add_link(podfab_topo_t t, uint32_t a, uint32_t b,
				       const podfab_link_t *tmpl, uint32_t *id)
{
	if (!t || !tmpl)
		return pf_err(PODFAB_ENULL, "%s is NULL", !t ? "topology" : "link template");
	if (t->finished)
		return pf_err(PODFAB_EINVAL, "the topology is finished and read-only");
	char w[256];
	if (a >= t->nnodes || b >= t->nnodes)
		return pf_err(PODFAB_EMODEL, "%sa link names node %u, but there are %u nodes",
			      pf_topo_where(t, tmpl->src_line, w, sizeof w), a >= t->nnodes ? a : b, t->nnodes);
	if (a == b)
		return pf_err(PODFAB_EMODEL, "%sa link from '%s' to itself", pf_topo_where(t, tmpl->src_line, w, sizeof w),
			      t->nodes[a].name);
	int rc;
	if ((rc = grow((void **)&t->links, &t->cap_links, t->nlinks + 1, sizeof *t->links)))
		return rc;
	char *cls = NULL;
	if (tmpl->cls && !(cls = strdup(tmpl->cls)))
		return pf_err(PODFAB_ENOMEM, "link class");
	if (!cls) {
		static const char *const k[] = {"accel", "switch", "retimer"};
		char buf[32];
		int ka = t->nodes[a].kind, kb = t->nodes[b].kind;
		if (ka > kb) {
			int x = ka;
			ka = kb;
			kb = x;
		}
		snprintf(buf, sizeof buf, "%s-%s", k[ka], k[kb]);
		if (!(cls = strdup(buf)))
			return pf_err(PODFAB_ENOMEM, "link class");
	}
	uint32_t l = t->nlinks;
	uint32_t pa, pb;
	if ((rc = add_port(t, a, l, &pa)))
		goto fail;
	if ((rc = add_port(t, b, l, &pb))) {
		t->nodes[a].nports--;
		goto fail;
	}
	t->nlinks++;
	podfab_link_t *lk = &t->links[l];
	*lk = *tmpl;
	lk->id = l;
	lk->a = a;
	lk->b = b;
	lk->a_port = pa;
	lk->b_port = pb;
	lk->cls = cls;
	if (id)
		*id = l;
	return 0;
fail:
	free(cls);
	return rc;
}

PODFAB_EXPORT int podfab_topo_finish(podfab_topo_t t)
{
	if (!t)
		return pf_err(PODFAB_ENULL, "topology is NULL");
	if (t->finished)
		return 0;
	int rc = pf_topo_validate(t);
	if (rc)
		return rc;
	if ((rc = pf_routes_build(t)))
		return rc;
	t->finished = 1;
	return 0;
}

PODFAB_EXPORT uint32_t podfab_topo_nnodes(podfab_topo_t t)
{
	return t ? t->nnodes : 0;
}

PODFAB_EXPORT uint32_t podfab_topo_nlinks(podfab_topo_t t)
{
	return t ? t->nlinks : 0;
}

PODFAB_EXPORT uint32_t podfab_topo_naccels(podfab_topo_t t)
{
	return t ? t->naccels : 0;
}

PODFAB_EXPORT const podfab_node_t *podfab_topo_node(podfab_topo_t t, uint32_t id)
{
	return t && id < t->nnodes ? &t->nodes[id] : NULL;
}

PODFAB_EXPORT const podfab_link_t *podfab_topo_link(podfab_topo_t t, uint32_t id)
{
	return t && id < t->nlinks ? &t->links[id] : NULL;
}

PODFAB_EXPORT uint32_t podfab_topo_accel_node(podfab_topo_t t, uint32_t accel)
{
	return t && accel < t->naccels ? t->accel_node[accel] : PODFAB_TOPO_NONE;
}

PODFAB_EXPORT const char *podfab_topo_family(podfab_topo_t t)
{
	return t ? t->family : NULL;
}

PODFAB_EXPORT const char *podfab_topo_spec(podfab_topo_t t)
{
	return t ? t->spec : NULL;
}

PODFAB_EXPORT int podfab_topo_link_set_up(podfab_topo_t t, uint32_t link, int up)
{
	if (!t)
		return pf_err(PODFAB_ENULL, "topology is NULL");
	if (link >= t->nlinks)
		return pf_err(PODFAB_EINVAL, "link %u does not exist (%u links)", link, t->nlinks);
	t->links[link].up = up ? 1 : 0;
	if (!t->finished)
		return 0;
	pf_routes_free(t);
	return pf_routes_build(t);
}

PODFAB_EXPORT int podfab_topo_route(podfab_topo_t t, uint32_t src, uint32_t dst, uint64_t flow,
				    podfab_hop_t *hops, int max)
{
	if (!t)
		return pf_err(PODFAB_ENULL, "topology is NULL");
	if (!t->finished)
		return pf_err(PODFAB_EINVAL, "the topology is not finished (podfab_topo_finish)");
	if (src >= t->naccels || dst >= t->naccels)
		return pf_err(PODFAB_EACCEL, "accelerator %u is outside [0, %u)", src >= t->naccels ? src : dst,
			      t->naccels);
	if (max > 0 && !hops)
		return pf_err(PODFAB_ENULL, "hops is NULL");
	return pf_routes_query(t, src, dst, flow, hops, max);
}

/* ---- loading ---------------------------------------------------------- */

static int finish_or_free(podfab_topo_t t, int rc, podfab_topo_t *out)
{
	if (!rc)
		rc = podfab_topo_finish(t);
	if (rc) {
		podfab_topo_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

PODFAB_EXPORT int podfab_topo_load_buffer(const char *name, const char *buf, size_t len,
					  podfab_topo_t *out)
{
	if (!name || !buf || !out)
		return pf_err(PODFAB_ENULL, "%s is NULL", !name ? "name" : !buf ? "buf" : "the output pointer");
	podfab_topo_t t;
	int rc = podfab_topo_new(&t);
	if (rc)
		return rc;
	if ((rc = pf_topo_set_origin(t, "custom", name, name)) == 0)
		rc = pf_yaml_load(t, name, buf, len);
	return finish_or_free(t, rc, out);
}

PODFAB_EXPORT int podfab_topo_load_file(const char *path, podfab_topo_t *out)
{
	if (!path || !out)
		return pf_err(PODFAB_ENULL, "%s is NULL", !path ? "path" : "the output pointer");
	FILE *f = fopen(path, "rb");
	if (!f)
		return pf_err(PODFAB_EMODEL, "%s: cannot open: %s", path, strerror(errno));
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > (64u << 20)) {
				free(buf);
				fclose(f);
				return pf_err(PODFAB_EMODEL, "%s: larger than 64 MiB", path);
			}
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return pf_err(PODFAB_ENOMEM, "%s: reading", path);
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		return pf_err(PODFAB_EMODEL, "%s: read error", path);
	}
	int rc = podfab_topo_load_buffer(path, buf, len, out);
	free(buf);
	return rc;
}

PODFAB_EXPORT int podfab_topo_generate(const char *gen, podfab_topo_t *out)
{
	if (!gen || !out)
		return pf_err(PODFAB_ENULL, "%s is NULL", !gen ? "generator" : "the output pointer");
	podfab_topo_t t;
	int rc = podfab_topo_new(&t);
	if (rc)
		return rc;
	rc = pf_gen_build(t, gen);
	return finish_or_free(t, rc, out);
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

PODFAB_EXPORT int podfab_topo_load(const char *spec, podfab_topo_t *out)
{
	if (!spec || !out)
		return pf_err(PODFAB_ENULL, "%s is NULL", !spec ? "spec" : "the output pointer");
	if (!strncmp(spec, "plugin:", 7)) {
		podfab_topo_t t;
		int rc = podfab_topo_new(&t);
		if (rc)
			return rc;
		rc = pf_plugin_load(t, spec + 7);
		return finish_or_free(t, rc, out);
	}
	struct stat st;
	if (ends_with(spec, ".yaml") || ends_with(spec, ".yml") || stat(spec, &st) == 0)
		return podfab_topo_load_file(spec, out);
	return podfab_topo_generate(spec, out);
}

PODFAB_EXPORT const char *const *podfab_topo_families(void)
{
	return pf_gen_families();
}

PODFAB_EXPORT const char *podfab_topo_family_help(const char *family)
{
	return family ? pf_gen_help(family) : NULL;
}
