/* A pprof profile (profile.proto) of outstanding memory, built from a
 * mode's resolved model and written gzipped: what go tool pprof, Pyroscope
 * and Parca read.  Mode-neutral: a mode adds mappings, locations and
 * samples; this file knows the message layout and the sample types. */
#ifndef MEMLEAKBPF_PPROF_H
#define MEMLEAKBPF_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pprof;

/* One source line of a location: innermost (inlined) first. */
struct pprof_line {
	const char *function;	/* NULL: unknown (the location keeps its address) */
	const char *file;	/* NULL: unknown */
	long long line;		/* 0: unknown */
};

/* time_nanos: when the report was taken; sample_every: -s N, stated as
 * the period (1 in N allocations, counts not scaled). */
struct pprof *pprof_new(long long time_nanos, unsigned long long sample_every);
void pprof_free(struct pprof *p);
/* A mapping per file, deduplicated by name; build_id may be NULL or "".
 * `symbolized`: every frame of it carries names, so pprof must not try to
 * symbolize it again from a local binary.  Returns its id (>= 1). */
uint64_t pprof_mapping(struct pprof *p, const char *file, const char *build_id, bool symbolized);
/* A location (one address of a mapping, deduplicated by the pair) with its
 * lines, innermost first; mapping 0 is none.  Returns its id (>= 1). */
uint64_t pprof_location(struct pprof *p, uint64_t mapping, unsigned long long address,
			const struct pprof_line *lines, int nlines);
/* A string label of a sample ("kind": the allocator that made it). */
struct pprof_label {
	const char *key, *value;	/* value NULL: left out */
};

/* A sample: locations innermost first, outstanding objects and bytes. */
void pprof_sample(struct pprof *p, const uint64_t *locations, size_t n, long long objects,
		  long long bytes, const struct pprof_label *labels, int nlabels);
/* A free-form line pprof shows with the profile (-comments). */
void pprof_comment(struct pprof *p, const char *text);
/* Encodes, gzips and replaces `path` atomically (a reader never sees a
 * half-written profile).  0 or negative errno. */
int pprof_write(struct pprof *p, const char *path);
/* The same into memory (ungzipped), for tests: the encoded profile. */
int pprof_encode(struct pprof *p, unsigned char **data, size_t *len);

#endif
