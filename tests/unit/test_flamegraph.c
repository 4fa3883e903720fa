/* Unit tests: the flame-graph renderer on hand-built stacks (merged
 * prefixes, widths proportional to weight, XML escaping) and the user
 * mode's --svg renderer on a hand-built model. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/flamegraph.h"
#include "unit.h"
#include "user/user_report.h"

static char *render(const struct flame *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	flame_render(f, m);
	fclose(m);
	return buf;
}

/* The attributes of the box named `name` (as written, XML-escaped):
 * weight and rect width; false when absent. */
static bool box(const char *svg, const char *name, long long *v, double *w)
{
	char pat[256];
	const char *p, *g;

	snprintf(pat, sizeof(pat), "data-n=\"%s\">", name);
	p = strstr(svg, pat);
	if (!p)
		return false;
	for (g = p; g > svg && strncmp(g, "<g ", 3) != 0; g--)
		;
	if (sscanf(strstr(g, "data-v=\"") + 8, "%lld", v) != 1)
		return false;
	return sscanf(strstr(p, "width=\"") + 7, "%lf", w) == 1;
}

static int occurrences(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

UNIT_SUITE(flamegraph)
{
	struct flame *f = flame_new("t <1>", "bytes");
	const char *abc[] = { "a", "b", "c" }, *abd[] = { "a", "b", "d" }, *ae[] = { "a", "e" };
	const char *zero[] = { "z" }, *odd[] = { "<&\"'>", "ctl\x01" };
	long long v = 0;
	double w = 0;
	char *svg;

	CHECK("adds", !flame_add(f, abc, 3, 300) && !flame_add(f, abd, 3, 100) &&
	      !flame_add(f, ae, 2, 500) && !flame_add(f, zero, 1, 0) && !flame_add(f, odd, 2, 100));
	svg = render(f);
	CHECK("an SVG document with a script", strstr(svg, "<svg ") && strstr(svg, "<script") &&
	      strstr(svg, "</svg>\n"));
	CHECK("the root holds every weight, full width (1180)", box(svg, "all", &v, &w) && v == 1000 && w == 1180.0);
	CHECK("stacks sharing a prefix share its box: one 'a'", occurrences(svg, "data-n=\"a\"") == 1);
	CHECK("a: 900 of 1000 -> 1062 px", box(svg, "a", &v, &w) && v == 900 && w == 1062.0);
	CHECK("b: 400 -> 472 px", box(svg, "b", &v, &w) && v == 400 && w == 472.0);
	CHECK("c: 300 -> 354 px", box(svg, "c", &v, &w) && v == 300 && w == 354.0);
	CHECK("d: 100 -> 118 px", box(svg, "d", &v, &w) && v == 100 && w == 118.0);
	CHECK("a zero weight draws nothing", !strstr(svg, "data-n=\"z\""));
	CHECK("XML specials escaped in names", box(svg, "&lt;&amp;&quot;&apos;&gt;", &v, &w) && v == 100);
	CHECK("control bytes escaped as text", strstr(svg, "data-n=\"ctl\\x01\""));
	CHECK("the title escaped", strstr(svg, ">t &lt;1&gt;</text>"));
	CHECK("hover title: name, weight, share", strstr(svg, "<title>b (400 bytes, 40.00%)</title>"));
	CHECK("siblings side by side, by name: <&..., then a; under a, b then e",
	      strstr(svg, "data-x=\"0.500000000\" data-w=\"0.500000000\" data-d=\"2\" data-v=\"500\" data-n=\"e\""));
	CHECK("a long name is cut to its box: d (118 px) shows 16 characters at most",
	      strstr(svg, ">d</text>"));
	free(svg);
	flame_free(f);

	f = flame_new("empty", "bytes");
	svg = render(f);
	CHECK("an empty graph is a document without boxes", strstr(svg, "</svg>") && !strstr(svg, "class=\"f\""));
	free(svg);
	flame_free(f);
}

UNIT_SUITE(user_svg)
{
	struct report_frame fr[2] = {
		{ "leak", "/src/l.c", "app", 7, 0x1130, false },
		{ NULL, NULL, "app", 0, 0x1180, false },
	};
	struct report_stack st[2] = {
		{ .bytes = 3000, .count = 3, .kind = ML_KIND_MALLOC, .nframes = 2, .frames = fr },
		{ .bytes = 1000, .count = 1, .kind = ML_KIND_MMAP, .nframes = 1, .frames = fr + 1 },
	};
	struct user_report r = { .total_bytes = 4000, .nstacks = 2, .stacks = st, .nshown = 2 };
	struct report_opts o = { .pid = 42, .comm = "app" };
	char path[] = "/tmp/unit-svg-XXXXXX", *svg = calloc(1, 1 << 16);
	long long v = 0;
	double w = 0;
	FILE *in;
	int fd = mkstemp(path);

	close(fd);
	CHECK("user_report_svg writes", user_report_svg(&r, &o, path) == 0);
	in = fopen(path, "r");
	if (in) {
		fread(svg, 1, (1 << 16) - 1, in);
		fclose(in);
	}
	unlink(path);
	CHECK("user: the comm at the root, every byte", box(svg, "app", &v, &w) && v == 4000 && w == 1180.0);
	CHECK("user: a frame without a function reads module+0xaddr", box(svg, "app+0x1180", &v, &w) && v == 4000);
	CHECK("user: leak holds 3000 bytes, 885 px", box(svg, "leak", &v, &w) && v == 3000 && w == 885.0);
	CHECK("user: the allocator is the leaf", box(svg, "malloc", &v, &w) && v == 3000);
	CHECK("user: mmap's leaf beside it", box(svg, "mmap", &v, &w) && v == 1000);
	CHECK("user: the title names the process", strstr(svg, "Outstanding bytes of pid 42 (app)"));
	free(svg);
}
