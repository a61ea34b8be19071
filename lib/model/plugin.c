/*
 * plugin.c - topology families from shared objects ("plugin:PATH.so[:PARAMS]").
 *
 * The object is opened with RTLD_NOW | RTLD_LOCAL and must export
 * podfab_topo_plugin_entry(), returning a podfab_topo_plugin_t whose abi is
 * checked against PODFAB_TOPO_PLUGIN_ABI before anything else in it is used.
 * The handle stays open for the topology's lifetime (the plugin's strings
 * and encoding profiles may be referenced by its elements) and is closed by
 * podfab_topo_free through pf_plugin_close.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_internal.h"
#include "pf_model.h"

typedef const podfab_topo_plugin_t *(*pf_plugin_entry_fn)(void);

int pf_plugin_load(podfab_topo_t t, const char *spec)
{
	if (!t || !spec)
		return pf_err(PODFAB_ENULL, "%s is NULL", !t ? "topology" : "plugin spec");
	if (t->plugin)
		return pf_err(PODFAB_EINVAL, "plugin '%s': the topology already has a plugin", spec);
	/* PATH ends at the first ".so:"; what follows is PARAMS */
	const char *sep = strstr(spec, ".so:");
	size_t plen = sep ? (size_t)(sep - spec) + 3 : strlen(spec);
	const char *params = sep ? sep + 4 : "";
	if (!plen)
		return pf_err(PODFAB_EMODEL, "plugin: no path given (plugin:PATH.so[:PARAMS])");
	char *path = malloc(plen + 1);
	if (!path)
		return pf_err(PODFAB_ENOMEM, "plugin path");
	memcpy(path, spec, plen);
	path[plen] = '\0';
	dlerror();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		int rc = pf_err(PODFAB_EMODEL, "plugin '%s': cannot load: %s", path, e ? e : "unknown error");
		free(path);
		return rc;
	}
	pf_plugin_entry_fn entry;
	void *sym = dlsym(h, "podfab_topo_plugin_entry");
	memcpy(&entry, &sym, sizeof entry); /* object pointer to function pointer, as POSIX allows */
	int rc = 0;
	const podfab_topo_plugin_t *pl = NULL;
	if (!sym)
		rc = pf_err(PODFAB_EMODEL, "plugin '%s': no podfab_topo_plugin_entry symbol", path);
	else if (!(pl = entry()))
		rc = pf_err(PODFAB_EMODEL, "plugin '%s': podfab_topo_plugin_entry returned NULL", path);
	else if (pl->abi != PODFAB_TOPO_PLUGIN_ABI)
		rc = pf_err(PODFAB_EMODEL, "plugin '%s': plugin ABI %u, library expects %u", path, pl->abi,
			    PODFAB_TOPO_PLUGIN_ABI);
	else if (!pl->build)
		rc = pf_err(PODFAB_EMODEL, "plugin '%s': no build function", path);
	if (rc) {
		dlclose(h);
		free(path);
		return rc;
	}
	t->plugin = h;
	size_t slen = strlen(spec) + 8;
	char *full = malloc(slen);
	if (!full) {
		free(path);
		return pf_err(PODFAB_ENOMEM, "plugin spec");
	}
	snprintf(full, slen, "plugin:%s", spec);
	rc = pf_topo_set_origin(t, pl->family && *pl->family ? pl->family : "plugin", full, NULL);
	free(full);
	if (!rc) {
		rc = pl->build(t, params);
		if (rc > 0 || (rc < 0 && -rc >= PODFAB_ERROR_MAX))
			rc = pf_err(PODFAB_EMODEL, "plugin '%s': build returned %d", path, rc);
	}
	free(path);
	return rc;
}

void pf_plugin_close(void *handle)
{
	if (handle)
		dlclose(handle);
}
