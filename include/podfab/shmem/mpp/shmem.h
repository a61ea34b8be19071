/*
 * mpp/shmem.h - the header directory of SGI SHMEM, deprecated since
 * OpenSHMEM 1.1 and still required by 1.5 and 1.6 (Annex: deprecated
 * interfaces) so that older programs build unchanged: the same as <shmem.h>.
 */
#include "../shmem.h"
