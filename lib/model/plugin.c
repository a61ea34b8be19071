/* plugin.c - placeholder until plugin loading lands (issue 3 work in progress). */
#include "pf_internal.h"
#include "pf_model.h"

int pf_plugin_load(podfab_topo_t t, const char *spec)
{
	(void)t;
	return pf_err(PODFAB_ENOSYS, "plugin '%s': plugins are not supported yet", spec);
}

void pf_plugin_close(void *handle)
{
	(void)handle;
}
