/* load_yaml.c - placeholder until the model-file loader lands (issue 3 work in progress). */
#include "pf_internal.h"
#include "pf_model.h"

int pf_yaml_load(podfab_topo_t t, const char *name, const char *buf, size_t len)
{
	(void)t; (void)buf; (void)len;
	return pf_err(PODFAB_ENOSYS, "%s: model files are not supported yet", name);
}
