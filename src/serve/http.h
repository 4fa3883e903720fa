/* The smallest HTTP/1.1 server `memleakbpf serve` needs: GET /metrics and
 * GET /, one request per connection, answered from a callback that copies
 * a prebuilt buffer (it never waits for a report). */
#ifndef MEMLEAKBPF_SERVE_HTTP_H
#define MEMLEAKBPF_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The body of GET /metrics: malloc'ed into *body, its Content-Type into
 * *type (static).  `openmetrics`: the client's Accept names
 * application/openmetrics-text.  0, or -ENOMEM (answered 500). */
typedef int (*http_metrics_fn)(void *ctx, bool openmetrics, char **body, size_t *len,
			       const char **type);

/* A listening socket on addr (SO_REUSEADDR); -errno on failure. */
int http_listen(const struct sockaddr *addr, socklen_t len);
/* Serves on `fd` until `exiting` (common.h), one client at a time, each
 * bounded in time (5 s) and request size (8 KiB). */
void http_serve(int fd, http_metrics_fn fn, void *ctx);

/* Parses one request head (buffer of `len` bytes, "\r\n\r\n" ended or not):
 * returns the HTTP status to answer (200, 400, 404, 405) and whether the
 * path is /metrics and the client accepts OpenMetrics.  Apart for tests. */
int http_parse_request(const char *req, size_t len, bool *metrics, bool *openmetrics);

#endif
