/*
 * podfab_export.h - the one macro that marks a public symbol of libpodfab.
 * The library is built with -fvisibility=hidden; only marked symbols are exported
 * (and the linker version script lists them).
 */
#ifndef PODFAB_EXPORT_H
#define PODFAB_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define PODFAB_EXPORT __attribute__((visibility("default")))
#else
#define PODFAB_EXPORT
#endif

#endif /* PODFAB_EXPORT_H */
