/* pfshmem_coll.h - placeholder (being written) */
#ifndef PFSHMEM_COLL_H
#define PFSHMEM_COLL_H
#endif
