/* An interactive flame graph in SVG (see flamegraph.h). */
#include "lib/flamegraph.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common.h"

struct fnode {
	char *name;
	long long weight;
	struct fnode *child, *next;	/* children sorted by name */
};

struct flame {
	struct fnode root;		/* "all": the total */
	char *title, *unit;
};

/* Layout, in SVG user units (pixels at 100%). */
#define FG_WIDTH 1200.0
#define FG_PAD 10.0
#define FG_FRAME_H 16
#define FG_TOP 48		/* title and the hover line */
#define FG_BOTTOM 10
#define FG_CHAR_W 7.0		/* 12px monospace-ish estimate for labels */
#define FG_MIN_W 0.1		/* narrower boxes are left out: invisible */

struct flame *flame_new(const char *title, const char *unit)
{
	struct flame *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->title = strdup(title ? title : "");
	f->unit = strdup(unit ? unit : "");
	f->root.name = strdup("all");
	if (!f->title || !f->unit || !f->root.name) {
		flame_free(f);
		return NULL;
	}
	return f;
}

static void free_children(struct fnode *n)
{
	struct fnode *c = n->child, *next;

	for (; c; c = next) {
		next = c->next;
		free_children(c);
		free(c->name);
		free(c);
	}
}

void flame_free(struct flame *f)
{
	if (!f)
		return;
	free_children(&f->root);
	free(f->root.name);
	free(f->title);
	free(f->unit);
	free(f);
}

static struct fnode *child(struct fnode *parent, const char *name)
{
	struct fnode **pp = &parent->child, *c;
	int cmp = 1;

	for (; *pp && (cmp = strcmp((*pp)->name, name)) < 0; pp = &(*pp)->next)
		;
	if (*pp && cmp == 0)
		return *pp;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strdup(name))) {
		free(c);
		return NULL;
	}
	c->next = *pp;
	*pp = c;
	return c;
}

int flame_add(struct flame *f, const char *const *frames, int n, long long weight)
{
	struct fnode *node = &f->root;
	int i;

	if (weight <= 0)
		return 0;
	f->root.weight += weight;
	for (i = 0; i < n; i++) {
		node = child(node, frames[i] ? frames[i] : "??");
		if (!node)
			return -ENOMEM;
		node->weight += weight;
	}
	return 0;
}

static int depth(const struct fnode *n)
{
	const struct fnode *c;
	int d = 0, cd;

	for (c = n->child; c; c = c->next)
		if ((cd = depth(c)) > d)
			d = cd;
	return d + 1;
}

/* XML text of a name: no control bytes (sanitize_text escapes them and
 * keeps valid UTF-8), then the five XML specials. */
static void xml(FILE *out, const char *s, size_t max_chars)
{
	char clean[1024];
	const char *p;
	size_t n = 0;

	sanitize_text(clean, sizeof(clean), s);
	for (p = clean; *p; p++) {
		/* Count characters, not UTF-8 continuation bytes. */
		if (((unsigned char)*p & 0xc0) != 0x80 && ++n > max_chars)
			break;
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default: fputc(*p, out);
		}
	}
}

/* A warm colour from the name, stable across runs (flamegraph.pl's look). */
static void colour(const char *name, int *r, int *g, int *b)
{
	unsigned int h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	*r = 205 + (int)(h % 50);
	*g = (int)((h >> 8) % 180);
	*b = (int)((h >> 16) % 55);
}

struct layout {
	FILE *out;
	double total;
	int height;
	const char *unit;
};

static void box(const struct layout *l, const struct fnode *n, double off, int d)
{
	double span = FG_WIDTH - 2 * FG_PAD, fx = off / l->total, fw = n->weight / l->total;
	double x = FG_PAD + fx * span, w = fw * span;
	int y = l->height - FG_BOTTOM - (d + 1) * FG_FRAME_H, r, g, b;
	const struct fnode *c;
	size_t chars;

	if (w < FG_MIN_W)
		return;
	colour(n->name, &r, &g, &b);
	fprintf(l->out, "<g class=\"f\" data-x=\"%.9f\" data-w=\"%.9f\" data-d=\"%d\" data-v=\"%lld\" data-n=\"",
		fx, fw, d, n->weight);
	xml(l->out, n->name, (size_t)-1);
	fputs("\"><title>", l->out);
	xml(l->out, n->name, (size_t)-1);
	fprintf(l->out, " (%lld %s, %.2f%%)</title>", n->weight, l->unit, 100.0 * fw);
	fprintf(l->out, "<rect x=\"%.3f\" y=\"%d\" width=\"%.3f\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>",
		x, y, w, FG_FRAME_H - 1, r, g, b);
	chars = w > 3 * FG_CHAR_W ? (size_t)((w - 6) / FG_CHAR_W) : 0;
	fprintf(l->out, "<text x=\"%.3f\" y=\"%d\">", x + 3, y + FG_FRAME_H - 4);
	if (chars) {
		xml(l->out, n->name, strlen(n->name) > chars ? chars - 2 : chars);
		if (strlen(n->name) > chars)
			fputs("..", l->out);
	}
	fputs("</text></g>\n", l->out);
	for (c = n->child; c; c = c->next) {
		box(l, c, off, d + 1);
		off += c->weight;
	}
}

/* Click to zoom: the clicked box fills the width, its descendants scale
 * with it, its ancestors stay full width, everything else hides.  Boxes
 * carry their place as fractions of the total (data-x, data-w), so the
 * script needs no tree. */
static const char script[] =
"<script type=\"text/ecmascript\"><![CDATA[\n"
"'use strict';\n"
"var W = %.1f, PAD = %.1f, CW = %.1f;\n"
"function fit(g, x, w) {\n"
"  var r = g.querySelector('rect'), t = g.querySelector('text'), n = g.getAttribute('data-n');\n"
"  var px = PAD + x * (W - 2 * PAD), pw = w * (W - 2 * PAD), c = Math.floor((pw - 6) / CW);\n"
"  r.setAttribute('x', px.toFixed(3)); r.setAttribute('width', pw.toFixed(3));\n"
"  t.setAttribute('x', (px + 3).toFixed(3));\n"
"  t.textContent = pw < 3 * CW ? '' : n.length > c ? n.slice(0, c - 2) + '..' : n;\n"
"  g.style.display = '';\n"
"}\n"
"function zoom(z) {\n"
"  var zx = +z.getAttribute('data-x'), zw = +z.getAttribute('data-w'), zd = +z.getAttribute('data-d'), e = 1e-9;\n"
"  document.querySelectorAll('g.f').forEach(function (g) {\n"
"    var x = +g.getAttribute('data-x'), w = +g.getAttribute('data-w'), d = +g.getAttribute('data-d');\n"
"    if (d < zd && x <= zx + e && x + w >= zx + zw - e) fit(g, 0, 1);\n"
"    else if (d >= zd && x >= zx - e && x + w <= zx + zw + e) fit(g, (x - zx) / zw, w / zw);\n"
"    else g.style.display = 'none';\n"
"  });\n"
"  document.getElementById('reset').style.display = zd > 0 ? '' : 'none';\n"
"}\n"
"document.querySelectorAll('g.f').forEach(function (g) {\n"
"  g.addEventListener('click', function () { zoom(g); });\n"
"  g.addEventListener('mouseover', function () {\n"
"    document.getElementById('details').textContent = g.querySelector('title').textContent;\n"
"  });\n"
"  g.addEventListener('mouseout', function () { document.getElementById('details').textContent = ' '; });\n"
"});\n"
"document.getElementById('reset').addEventListener('click', function () {\n"
"  zoom(document.querySelector('g.f[data-d=\"0\"]'));\n"
"});\n"
"]]></script>\n";

void flame_render(const struct flame *f, FILE *out)
{
	struct layout l = { .out = out, .total = f->root.weight > 0 ? (double)f->root.weight : 1,
			    .unit = f->unit };

	l.height = FG_TOP + depth(&f->root) * FG_FRAME_H + FG_BOTTOM;
	fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%d\" "
		"viewBox=\"0 0 %.0f %d\">\n", FG_WIDTH, l.height, FG_WIDTH, l.height);
	fputs("<style>text { font-family: monospace; font-size: 12px; fill: #000; }\n"
	      "g.f { cursor: pointer; } g.f:hover rect { stroke: #000; stroke-width: 0.5; }\n"
	      "g.f text { pointer-events: none; } #title { font-size: 16px; }\n"
	      "#reset { cursor: pointer; fill: #06c; }</style>\n", out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f0\"/>\n");
	fprintf(out, "<text id=\"title\" x=\"%.1f\" y=\"20\" text-anchor=\"middle\">", FG_WIDTH / 2);
	xml(out, f->title, (size_t)-1);
	fputs("</text>\n", out);
	fprintf(out, "<text id=\"reset\" x=\"%.1f\" y=\"20\" style=\"display:none\">Reset zoom</text>\n", FG_PAD);
	fprintf(out, "<text id=\"details\" x=\"%.1f\" y=\"40\"> </text>\n", FG_PAD);
	if (f->root.weight > 0)
		box(&l, &f->root, 0, 0);
	fprintf(out, script, FG_WIDTH, FG_PAD, FG_CHAR_W);
	fputs("</svg>\n", out);
}

int flame_write(const struct flame *f, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int err;

	if (!mem)
		return -errno;
	flame_render(f, mem);
	if (fclose(mem) != 0) {
		free(buf);
		return -ENOMEM;
	}
	err = write_file_atomic(path, buf, len);
	free(buf);
	return err;
}
