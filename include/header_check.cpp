// Build-time check: the public header compiles from C++.
#include <podfab/podfab.h>
#include <podfab/sim.h>
#include <podfab/stat.h>
#include <podfab/topo.h>

int podfab_header_check_cpp();
int podfab_header_check_cpp()
{
	podfab_t accel = nullptr;
	return podfab_accel_id(accel) + PODFAB_EBOUNDS;
}
