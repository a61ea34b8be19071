/*
 * pf_tp_stash.h - completions kept for the core's next progress() call.
 *
 * A network transport (ofi, verbs) completes operations whenever it polls its
 * completion queue - also inside quiet, fence or a wait for a free record -
 * but hands a request's completion (pf_tp_ctx) to the core only through
 * progress().  Those completions wait here.  The array grows (doubling) when
 * more are in flight than it holds; if it cannot, the push fails and the
 * transport makes its next quiet fail (the completion is lost, the
 * operation itself is over).  Popping takes the newest first: the order of
 * completions is not promised.
 */
#ifndef PF_TP_STASH_H
#define PF_TP_STASH_H

#include <stdlib.h>

#include "pf_internal.h"

struct pf_tp_stash {
	struct pf_tp_cqe *e;
	unsigned n, cap;
};

static inline int pf_tp_stash_init(struct pf_tp_stash *s, unsigned cap)
{
	s->n = 0;
	s->cap = cap;
	s->e = calloc(cap, sizeof *s->e);
	return s->e ? 0 : -PODFAB_ENOMEM;
}

static inline void pf_tp_stash_fini(struct pf_tp_stash *s)
{
	free(s->e);
	s->e = NULL;
	s->n = s->cap = 0;
}

/* 0, or -PODFAB_ENOMEM (with the error detail naming who) when it cannot grow. */
static inline int pf_tp_stash_push(struct pf_tp_stash *s, struct pf_tp_ctx *ctx, int status, const char *who)
{
	if (pf_unlikely(s->n == s->cap)) {
		struct pf_tp_cqe *e = realloc(s->e, 2 * (size_t)s->cap * sizeof *e);
		if (!e)
			return pf_err(PODFAB_ENOMEM, "%s: no memory for %u more completion records", who, s->cap);
		s->e = e;
		s->cap *= 2;
	}
	s->e[s->n].ctx = ctx;
	s->e[s->n].status = status;
	s->n++;
	return 0;
}

/* Up to max completions into out; how many. */
static inline int pf_tp_stash_pop(struct pf_tp_stash *s, struct pf_tp_cqe *out, int max)
{
	int k = 0;
	while (k < max && s->n)
		out[k++] = s->e[--s->n];
	return k;
}

#endif /* PF_TP_STASH_H */
