/* gen.c - placeholder until the generator families land (issue 3 work in progress). */
#include "pf_internal.h"
#include "pf_model.h"

static const char *const families[] = {NULL};

int pf_gen_build(podfab_topo_t t, const char *generator)
{
	(void)t;
	return pf_err(PODFAB_ENOSYS, "generator '%s': no families are built yet", generator);
}

const char *const *pf_gen_families(void)
{
	return families;
}

const char *pf_gen_help(const char *family)
{
	(void)family;
	return NULL;
}
