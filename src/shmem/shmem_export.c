/* The shmem report as a flame graph (--svg): bytes per writer and stack. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/flamegraph.h"
#include "shmem/shmem_int.h"

int sh_report_svg(const struct sh_report *r, const char *path)
{
	struct flame *f = flame_new("Shared memory bytes per writer and stack (memleakbpf shmem)",
				    "bytes");
	const char **frames = NULL;
	char who[64];
	size_t i;
	int k, n, err = 0;

	if (!f)
		return -ENOMEM;
	for (i = 0; i < r->nwriters && !err; i++) {
		const struct sh_writer *w = r->writers[i];

		free(frames);
		frames = calloc(w->nframes + 1, sizeof(*frames));
		if (!frames) {
			err = -ENOMEM;
			break;
		}
		/* The writer at the root, its stack (--stacks; innermost
		 * first in the model) above it. */
		if (w->tgid)
			snprintf(who, sizeof(who), "%.*s (pid %u)", SHMEM_COMM_LEN, w->comm, w->tgid);
		else
			snprintf(who, sizeof(who), "writer unknown");
		n = 0;
		frames[n++] = who;
		for (k = w->nframes - 1; k >= 0; k--)
			frames[n++] = w->frames[k];
		err = flame_add(f, frames, n, (long long)w->bytes);
	}
	if (!err)
		err = flame_write(f, path);
	free(frames);
	flame_free(f);
	return err;
}
