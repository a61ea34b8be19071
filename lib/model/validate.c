/* validate.c - placeholder until the validation rules land (issue 3 work in progress). */
#include "pf_internal.h"
#include "pf_model.h"

int pf_topo_validate(podfab_topo_t t)
{
	(void)t;
	return 0;
}
