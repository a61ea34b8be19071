/*
 * fuzz_load.c - libFuzzer harness for the model-file parser: every input is
 * handed to podfab_topo_load_buffer, which parses, builds (families too),
 * validates and computes routes.  A failed load must leave no topology
 * behind; a successful one must be readable and freed cleanly.  Run by
 * fuzz-load.sh for a bounded time with the seeds in fuzz-corpus/.
 *
 * Families legitimately reach 65,536 accelerators, whose all-pairs routes
 * take minutes: an input whose size keys (params: accels, x, y, z, ...,
 * links: count) multiply past SIZE_LIMIT is skipped, found with libyaml
 * before the loader sees it, so the fuzzer explores parsing, not big builds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include <podfab/podfab.h>
#include <podfab/topo.h>

#define SIZE_LIMIT 1024.0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static double number(yaml_node_t *v)
{
	if (!v || v->type != YAML_SCALAR_NODE)
		return 1.0;
	double x = strtod((const char *)v->data.scalar.value, NULL);
	return x >= 1.0 ? x : 1.0;
}

/* Would this input build a model too big to fuzz quickly? */
static int too_big(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"accels", "switches", "x", "y", "z", "leaves",
					   "spines", "accels-per-leaf", "uplinks", NULL};
	yaml_parser_t p;
	yaml_document_t d;
	int big = 0;
	if (!yaml_parser_initialize(&p))
		return 1;
	yaml_parser_set_input_string(&p, data, size);
	if (yaml_parser_load(&p, &d)) {
		yaml_node_t *root = yaml_document_get_root_node(&d);
		yaml_node_t *params = map_get(&d, root, "params");
		double prod = number(map_get(&d, params, "retimers")) + 1.0;
		for (int i = 0; keys[i]; i++)
			prod *= number(map_get(&d, params, keys[i]));
		yaml_node_t *links = map_get(&d, root, "links");
		double count = 0;
		if (links && links->type == YAML_SEQUENCE_NODE)
			for (yaml_node_item_t *it = links->data.sequence.items.start;
			     it < links->data.sequence.items.top; it++)
				count += number(map_get(&d, yaml_document_get_node(&d, *it), "count"));
		big = prod > SIZE_LIMIT || count > SIZE_LIMIT;
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&p);
	return big;
}
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("PODFAB_LOG", "none", 0); /* errors are expected: keep the output quiet */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024 || too_big(data, size))
		return 0;
	podfab_topo_t t = NULL;
	int rc = podfab_topo_load_buffer("fuzz.yaml", (const char *)data, size, &t);
	if (rc) {
		if (t || !podfab_error_detail())
			abort();
		return 0;
	}
	uint32_t n = podfab_topo_naccels(t);
	if (!n || podfab_topo_nnodes(t) < n)
		abort();
	podfab_hop_t hops[16];
	(void)podfab_topo_route(t, 0, n - 1, 0, hops, 16);
	podfab_topo_free(t);
	return 0;
}
