/* boot_select.c - which bootstrap a process uses (see pf_boot_select in pf_boot.h). */
#include <stdlib.h>
#include <string.h>

#include "pf_internal.h"

const struct pf_boot_ops *pf_boot_select(void)
{
	const char *b = getenv("PODFAB_BOOT");
	if (b && *b) {
		if (!strcmp(b, "local"))
			return &pf_boot_local_ops;
		if (!strcmp(b, "tcp"))
			return &pf_boot_tcp_ops;
		if (!strcmp(b, "pmix")) {
#if PODFAB_HAVE_PMIX
			return &pf_boot_pmix_ops;
#else
			pf_err(PODFAB_EENV, "PODFAB_BOOT=pmix: this libpodfab was built without PMIx");
			return NULL;
#endif
		}
		pf_err(PODFAB_EENV, "PODFAB_BOOT='%.32s' is not local, tcp or pmix", b);
		return NULL;
	}
	const char *rv = getenv("PODFAB_RENDEZVOUS");
	if (rv && *rv)
		return &pf_boot_tcp_ops;
#if PODFAB_HAVE_PMIX
	const char *rank = getenv("PMIX_RANK");
	if (rank && *rank && !getenv("PODFAB_ACCEL_ID"))
		return &pf_boot_pmix_ops;
#endif
	return &pf_boot_local_ops;
}
