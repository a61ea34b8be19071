/* Build-time check: the public header compiles alone as strict C99. */
#include <podfab/podfab.h>
#include <podfab/sim.h>
#include <podfab/stat.h>
#include <podfab/topo.h>

int podfab_header_check_c(void);
int podfab_header_check_c(void)
{
	return PODFAB_EINVAL + PODFAB_CTR_MAX + (int)PODFAB_VERSION_GET_MAJOR(PODFAB_API_VERSION);
}
