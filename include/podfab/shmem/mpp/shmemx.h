/*
 * mpp/shmemx.h - the deprecated header directory (see mpp/shmem.h): the same
 * as <shmemx.h>.
 */
#include "../shmemx.h"
