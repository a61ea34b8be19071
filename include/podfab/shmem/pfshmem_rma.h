/* pfshmem_rma.h - placeholder (being written) */
#ifndef PFSHMEM_RMA_H
#define PFSHMEM_RMA_H
#endif
