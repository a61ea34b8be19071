/* transport.c - finding a transport by name; helpers shared by transports. */
#include <string.h>

#include "pf_internal.h"
#include "pf_transport_table.h"

const struct pf_tp_ops *pf_transport_find(const char *name)
{
	for (int i = 0; pf_transport_table[i]; i++)
		if (!strcmp(pf_transport_table[i]->name, name))
			return pf_transport_table[i];
	return NULL;
}

const struct pf_tp_ops *pf_transport_default(void)
{
	return pf_transport_table[0];
}

PODFAB_EXPORT const char *const *podfab_transports(void)
{
	return pf_transport_names;
}

