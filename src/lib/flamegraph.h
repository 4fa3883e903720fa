/* An interactive flame graph (SVG + a little JavaScript: hover titles,
 * click to zoom) of weighted stacks, written by memleakbpf itself.  Each
 * mode feeds (frames outermost first, weight) pairs from its model. */
#ifndef MEMLEAKBPF_FLAMEGRAPH_H
#define MEMLEAKBPF_FLAMEGRAPH_H

#include <stdio.h>

struct flame;

/* title: the heading; unit: what a weight counts ("bytes"). */
struct flame *flame_new(const char *title, const char *unit);
void flame_free(struct flame *f);
/* Adds `weight` along frames[0] (outermost) .. frames[n-1] (innermost);
 * stacks sharing a prefix share its boxes.  Weights <= 0 are ignored.
 * 0 or -ENOMEM. */
int flame_add(struct flame *f, const char *const *frames, int n, long long weight);
/* The SVG document: box widths proportional to weight. */
void flame_render(const struct flame *f, FILE *out);
/* Renders into `path`, replaced atomically.  0 or negative errno. */
int flame_write(const struct flame *f, const char *path);

#endif
