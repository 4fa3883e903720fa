/* Minimal HTTP/1.1 for /metrics (see http.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/common.h"
#include "serve/http.h"

#define REQ_MAX 8192
#define CLIENT_TIMEOUT_S 5

int http_listen(const struct sockaddr *addr, socklen_t len)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, addr, len) || listen(fd, 16)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The value of header `name` in the head, or NULL; *vlen its length. */
static const char *header(const char *req, size_t len, const char *name, size_t *vlen)
{
	const char *p = req, *end = req + len, *eol;
	size_t n = strlen(name);

	/* skip the request line */
	p = memchr(p, '\n', end - p);
	while (p && ++p < end) {
		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > n && p[n] == ':' && !strncasecmp(p, name, n)) {
			p += n + 1;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			*vlen = eol - p;
			return p;
		}
		p = eol < end ? eol : NULL;
	}
	return NULL;
}

int http_parse_request(const char *req, size_t len, bool *metrics, bool *openmetrics)
{
	const char *sp1, *sp2, *eol, *accept;
	size_t plen, alen = 0;

	*metrics = *openmetrics = false;
	eol = memchr(req, '\n', len);
	if (!eol)
		return 400;
	sp1 = memchr(req, ' ', eol - req);
	if (!sp1)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', eol - sp1 - 1);
	if (!sp2 || strncmp(sp2 + 1, "HTTP/1.", 7))
		return 400;
	if (sp1 - req != 3 || strncmp(req, "GET", 3))
		return 405;
	plen = sp2 - sp1 - 1;
	/* the query string, if any, is ignored */
	for (size_t i = 0; i < plen; i++)
		if (sp1[1 + i] == '?')
			plen = i;
	if (plen == 1 && sp1[1] == '/')
		return 200;
	if (plen != 8 || strncmp(sp1 + 1, "/metrics", 8))
		return 404;
	*metrics = true;
	accept = header(req, len, "Accept", &alen);
	*openmetrics = accept && memmem(accept, alen, "application/openmetrics-text", 28);
	return 200;
}

static void send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= w;
	}
}

static void respond(int fd, int status, const char *type, const char *body, size_t len)
{
	static const char *const reasons[] = { [0] = "OK", [1] = "Bad Request", [2] = "Not Found",
					       [3] = "Method Not Allowed",
					       [4] = "Internal Server Error" };
	const char *reason = status == 200 ? reasons[0] : status == 400 ? reasons[1] :
			     status == 404 ? reasons[2] : status == 405 ? reasons[3] : reasons[4];
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "%sConnection: close\r\n\r\n",
		     status, reason, type, len, status == 405 ? "Allow: GET\r\n" : "");
	send_all(fd, head, n);
	send_all(fd, body, len);
}

static void handle(int fd, http_metrics_fn fn, void *ctx)
{
	static const char index_page[] =
		"memleakbpf serve: metrics at /metrics\n";
	struct timeval tv = { CLIENT_TIMEOUT_S, 0 };
	char req[REQ_MAX + 1];
	size_t len = 0;
	bool metrics, om;
	int status;

	/* A client that sends nothing, or a head larger than REQ_MAX, is cut
	 * off: the next one is never held longer than the timeout. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < REQ_MAX) {
		ssize_t r = recv(fd, req + len, REQ_MAX - len, 0);

		if (r < 0 && errno == EINTR && !exiting)
			continue;
		if (r <= 0)
			break;
		len += r;
		req[len] = '\0';
		if (memmem(req, len, "\r\n\r\n", 4) || memmem(req, len, "\n\n", 2))
			break;
	}
	if (!len)
		return;
	req[len] = '\0';
	if (len >= REQ_MAX && !memmem(req, len, "\r\n\r\n", 4)) {
		respond(fd, 400, "text/plain; charset=utf-8", "request too large\n", 18);
		return;
	}
	status = http_parse_request(req, len, &metrics, &om);
	if (status == 200 && metrics) {
		const char *type = NULL;
		char *body = NULL;
		size_t blen = 0;

		if (fn(ctx, om, &body, &blen, &type) == 0)
			respond(fd, 200, type, body, blen);
		else
			respond(fd, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
		free(body);
	} else if (status == 200) {
		respond(fd, 200, "text/plain; charset=utf-8", index_page, sizeof(index_page) - 1);
	} else {
		char msg[64];
		int n = snprintf(msg, sizeof(msg), "%d\n", status);

		respond(fd, status, "text/plain; charset=utf-8", msg, n);
	}
}

void http_serve(int fd, http_metrics_fn fn, void *ctx)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int c;

	while (!exiting) {
		if (poll(&p, 1, 200) <= 0)
			continue;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		handle(c, fn, ctx);
		close(c);
	}
}
