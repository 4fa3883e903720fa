/* Unit tests: serve's request parser and --listen parser (no sockets). */
#include <arpa/inet.h>
#include <string.h>

#include "serve/http.h"
#include "serve/serve_options.h"
#include "unit.h"

static int req(const char *r, bool *m, bool *om)
{
	return http_parse_request(r, strlen(r), m, om);
}

UNIT_SUITE(serve)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool m, om;

	CHECK("http: GET /metrics", req("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &m, &om) == 200 &&
	      m && !om);
	CHECK("http: Accept names OpenMetrics (any case of the header)",
	      req("GET /metrics HTTP/1.1\r\naccept: application/openmetrics-text;version=1.0.0,"
		  "text/plain;q=0.5\r\n\r\n", &m, &om) == 200 && m && om);
	CHECK("http: a query string is ignored", req("GET /metrics?x=1 HTTP/1.0\r\n\r\n", &m, &om) == 200 && m);
	CHECK("http: / is the index", req("GET / HTTP/1.1\r\n\r\n", &m, &om) == 200 && !m);
	CHECK("http: other paths 404", req("GET /metricsx HTTP/1.1\r\n\r\n", &m, &om) == 404 &&
	      req("GET /metric HTTP/1.1\r\n\r\n", &m, &om) == 404);
	CHECK("http: other methods 405", req("POST /metrics HTTP/1.1\r\n\r\n", &m, &om) == 405 &&
	      req("HEADX /metrics HTTP/1.1\r\n\r\n", &m, &om) == 405);
	CHECK("http: garbage 400", req("hello\r\n\r\n", &m, &om) == 400 && req("", &m, &om) == 400 &&
	      req("GET /metrics SPDY/3\r\n", &m, &om) == 400);

	CHECK("listen: IPv4 and port", serve_parse_listen("127.0.0.1:9435", &ss, &len) &&
	      ss.ss_family == AF_INET && ntohs(((struct sockaddr_in *)&ss)->sin_port) == 9435);
	CHECK("listen: bracketed IPv6", serve_parse_listen("[::1]:80", &ss, &len) &&
	      ss.ss_family == AF_INET6);
	CHECK("listen: refused forms", !serve_parse_listen("::1:80", &ss, &len) &&
	      !serve_parse_listen("127.0.0.1", &ss, &len) && !serve_parse_listen(":80", &ss, &len) &&
	      !serve_parse_listen("127.0.0.1:0", &ss, &len) &&
	      !serve_parse_listen("127.0.0.1:65536", &ss, &len) &&
	      !serve_parse_listen("localhost:80", &ss, &len) &&
	      !serve_parse_listen("[::1]x:80", &ss, &len));
}
