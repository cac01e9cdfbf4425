/*
 * crashsend - send one file or stdin to an HTTP/1.1 collector.
 *
 *   crashsend [--method PUT|POST] [--retries N] [--timeout S] URL FILE|-
 *
 * A regular FILE goes with Content-Length and can be sent again on a retry;
 * stdin ('-', or a FILE that is a pipe) goes with chunked transfer encoding
 * and is retried only while none of it has been read.  The answer must be
 * 2xx.  One plain-http URL, no TLS: the capture kernel has no certificates
 * and the collector sits on the operator's network.
 *
 * Exit status: 0 the server answered 2xx; 1 usage; 2 the input cannot be
 * read; 3 cannot connect (name, address, refused, connect timeout); 4 the
 * server answered, but not 2xx (a 5xx is tried again, a 4xx not); 5 the transfer failed (connection lost, I/O
 * timeout, a malformed answer).  Static, for the capture initramfs.
 */
#include "http_response.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define VERSION "0.1"

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_INPUT = 2,
	EXIT_CONNECT = 3,
	EXIT_STATUS = 4,
	EXIT_TRANSFER = 5,
};

static const char *program = "crashsend";

struct url {
	char host[256];		/* without brackets */
	char port[8];
	char hostport[270];	/* for the Host header */
	const char *path;	/* starts with '/' */
};

struct opts {
	const char *method;
	int retries;
	int timeout_ms;
	const char *url_text;
	const char *input;
};

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [--method PUT|POST] [--retries N] [--timeout S] URL FILE|-\n"
"       %s --probe [--timeout S] URL\n"
"Send FILE (or stdin: '-') to the http:// URL and check for a 2xx answer.\n"
"--probe sends HEAD instead and prints \"HTTP <status>\" for any answer\n"
"(exit 0): an HTTP server is there, whatever it thinks of HEAD.\n"
"\n"
"  --method M    PUT (default) or POST\n"
"  --retries N   tries in all (default 3); stdin is tried again only while\n"
"                none of it has been read\n"
"  --timeout S   seconds for the connection and for each read or write\n"
"                (default 30)\n"
"  -h, --help    this help\n"
"  -V, --version print the version\n"
"\n"
"A regular file goes with Content-Length, stdin with chunked encoding.\n"
"Exit status: 0 ok (2xx), 1 usage, 2 input unreadable, 3 cannot connect,\n"
"4 the server answered non-2xx, 5 the transfer failed.\n", program, program);
}

/* Parse http://host[:port][/path]; false with a message when malformed. */
static bool parse_url(const char *text, struct url *u)
{
	memset(u, 0, sizeof(*u));
	if (strncmp(text, "https://", 8) == 0) {
		msg("%s: https is not supported (no TLS in the capture kernel): use http://", text);
		return false;
	}
	if (strncmp(text, "http://", 7) != 0) {
		msg("%s: not an http:// URL", text);
		return false;
	}
	const char *p = text + 7;
	const char *slash = strchr(p, '/');
	size_t auth_len = slash ? (size_t)(slash - p) : strlen(p);
	u->path = slash ? slash : "/";
	if (auth_len == 0 || auth_len >= sizeof(u->hostport)) {
		msg("%s: bad host", text);
		return false;
	}
	memcpy(u->hostport, p, auth_len);
	u->hostport[auth_len] = '\0';
	if (memchr(u->hostport, '@', auth_len)) {
		msg("%s: user names in the URL are not supported", text);
		return false;
	}
	const char *host = u->hostport, *port = NULL;
	size_t host_len;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');
		if (!close) {
			msg("%s: bad IPv6 address", text);
			return false;
		}
		host++;
		host_len = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1]) {
			msg("%s: bad host", text);
			return false;
		}
	} else {
		const char *colon = strchr(host, ':');
		host_len = colon ? (size_t)(colon - host) : strlen(host);
		port = colon ? colon + 1 : NULL;
	}
	if (host_len == 0 || host_len >= sizeof(u->host)) {
		msg("%s: bad host", text);
		return false;
	}
	memcpy(u->host, host, host_len);
	u->host[host_len] = '\0';
	if (port) {
		size_t n = strlen(port);
		if (n == 0 || n > 5 || strspn(port, "0123456789") != n || atoi(port) < 1 || atoi(port) > 65535) {
			msg("%s: bad port", text);
			return false;
		}
		memcpy(u->port, port, n + 1);
	} else {
		strcpy(u->port, "80");
	}
	for (const char *c = u->path; *c; c++) {
		if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
			msg("%s: blank or control byte in the path", text);
			return false;
		}
	}
	return true;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events; 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t end = now_ms() + timeout_ms;
	for (;;) {
		int left = (int)(end - now_ms());
		if (left < 0)
			left = 0;
		int n = poll(&p, 1, left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* Connect to the URL's host; a non-blocking socket, or -1 (message given). */
static int connect_to(const struct url *u, int timeout_ms)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc) {
		msg("%s: %s", u->host, gai_strerror(rc));
		return -1;
	}
	int fd = -1, last_err = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			last_err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			int w = wait_fd(fd, POLLOUT, timeout_ms);
			int so = 0;
			socklen_t sl = sizeof(so);
			if (w == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so == 0)
				break;
			last_err = w == 0 ? ETIMEDOUT : (so ? so : errno);
		} else {
			last_err = errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		msg("connecting to %s port %s: %s", u->host, u->port, strerror(last_err));
	return fd;
}

/* Write all of buf; false on error or timeout (errno set). */
static bool send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int w = wait_fd(fd, POLLOUT, timeout_ms);
			if (w == 1)
				continue;
			if (w == 0)
				errno = ETIMEDOUT;
			return false;
		}
		return false;
	}
	return true;
}

/* read() that retries on EINTR. */
static ssize_t read_some(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/*
 * Read the answer head; fills *r.  Returns EXIT_OK when a final (non-1xx)
 * head arrived, else EXIT_TRANSFER with a message.
 */
static int read_answer(int fd, int timeout_ms, struct http_response *r)
{
	static uint8_t buf[HTTP_HEAD_MAX];
	size_t len = 0;
	char err[160];
	for (;;) {
		if (len) {
			enum http_parse_result pr = http_response_parse(buf, len, r, err, sizeof(err));
			if (pr == HTTP_PARSE_BAD) {
				msg("malformed answer: %s", err);
				return EXIT_TRANSFER;
			}
			if (pr == HTTP_PARSE_OK) {
				if (r->status >= 200)
					return EXIT_OK;
				/* 100 Continue and friends: skip the interim head. */
				memmove(buf, buf + r->head_len, len - r->head_len);
				len -= r->head_len;
				continue;
			}
		}
		if (len == sizeof(buf)) {
			msg("malformed answer: head longer than %d bytes", HTTP_HEAD_MAX);
			return EXIT_TRANSFER;
		}
		int w = wait_fd(fd, POLLIN, timeout_ms);
		if (w <= 0) {
			msg("waiting for the answer: %s", w == 0 ? "timed out" : strerror(errno));
			return EXIT_TRANSFER;
		}
		ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			msg("reading the answer: %s", strerror(errno));
			return EXIT_TRANSFER;
		}
		if (n == 0) {
			msg("the server closed the connection %s",
			    len ? "in the middle of its answer" : "without an answer");
			return EXIT_TRANSFER;
		}
		len += (size_t)n;
	}
}

/*
 * --probe: is an HTTP server answering at the URL?  A HEAD request; any
 * well-formed answer counts (a collector may well say 404 or 405 to HEAD),
 * so crashctl status can tell "server up" from "port open" without curl.
 */
static int probe(const struct opts *o, const struct url *u)
{
	int fd = connect_to(u, o->timeout_ms);
	if (fd < 0)
		return EXIT_CONNECT;
	char head[1024];
	int hl = snprintf(head, sizeof(head),
			  "HEAD %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: crashsend/" VERSION
			  "\r\nConnection: close\r\n\r\n", u->path, u->hostport);
	if (hl < 0 || (size_t)hl >= sizeof(head)) {
		msg("URL too long for a request");
		close(fd);
		return EXIT_USAGE;
	}
	if (!send_all(fd, head, (size_t)hl, o->timeout_ms)) {
		close(fd);
		return EXIT_TRANSFER;
	}
	struct http_response r;
	int rc = read_answer(fd, o->timeout_ms, &r);
	close(fd);
	if (rc == EXIT_OK)
		printf("HTTP %d\n", r.status);
	return rc;
}

/*
 * One try.  in_fd is rewound by the caller for files; *consumed tells
 * whether any input was read (stdin cannot be tried again then).
 */
static int try_send(const struct opts *o, const struct url *u, int in_fd, bool chunked,
		    int64_t size, bool *consumed, int *status)
{
	int fd = connect_to(u, o->timeout_ms);
	if (fd < 0)
		return EXIT_CONNECT;
	char head[1024];
	int hl = snprintf(head, sizeof(head),
			  "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: crashsend/" VERSION
			  "\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n",
			  o->method, u->path, u->hostport);
	if (hl < 0 || (size_t)hl >= sizeof(head) - 64) {
		msg("%s: URL too long", o->url_text);
		close(fd);
		return EXIT_USAGE;
	}
	if (chunked)
		hl += snprintf(head + hl, sizeof(head) - (size_t)hl, "Transfer-Encoding: chunked\r\n\r\n");
	else
		hl += snprintf(head + hl, sizeof(head) - (size_t)hl, "Content-Length: %" PRId64 "\r\n\r\n", size);
	int rc = EXIT_OK;
	bool send_failed = false;
	int send_errno = 0;
	if (!send_all(fd, head, (size_t)hl, o->timeout_ms)) {
		send_failed = true;
		send_errno = errno;
	}
	static char buf[65536 + 32];
	int64_t sent = 0;
	while (!send_failed) {
		/* Room for the chunk size line in front. */
		ssize_t n = read_some(in_fd, buf + 16, 65536);
		if (n < 0) {
			msg("%s: reading: %s", o->input, strerror(errno));
			close(fd);
			return EXIT_INPUT;
		}
		if (n > 0)
			*consumed = true;
		if (chunked) {
			char *start;
			size_t len;
			if (n == 0) {
				start = "0\r\n\r\n";
				len = 5;
			} else {
				char sz[16];
				int sl = snprintf(sz, sizeof(sz), "%zx\r\n", (size_t)n);
				start = buf + 16 - sl;
				memcpy(start, sz, (size_t)sl);
				memcpy(buf + 16 + n, "\r\n", 2);
				len = (size_t)sl + (size_t)n + 2;
			}
			if (!send_all(fd, start, len, o->timeout_ms)) {
				send_failed = true;
				send_errno = errno;
			}
		} else if (n > 0) {
			if (sent + n > size) {
				msg("%s: grew while being sent", o->input);
				close(fd);
				return EXIT_INPUT;
			}
			if (!send_all(fd, buf + 16, (size_t)n, o->timeout_ms)) {
				send_failed = true;
				send_errno = errno;
			}
		}
		sent += n;
		if (n == 0)
			break;
	}
	if (!chunked && !send_failed && sent != size) {
		msg("%s: shrank while being sent (%" PRId64 " of %" PRId64 " bytes)", o->input, sent, size);
		close(fd);
		return EXIT_INPUT;
	}
	/* Even after a failed write the server may have answered (413, 507...). */
	struct http_response r;
	rc = read_answer(fd, send_failed ? 2000 : o->timeout_ms, &r);
	close(fd);
	if (rc != EXIT_OK) {
		if (send_failed)
			msg("sending to %s failed after %" PRId64 " bytes: %s", o->url_text, sent,
			    strerror(send_errno));
		return EXIT_TRANSFER;
	}
	*status = r.status;
	if (r.status < 200 || r.status > 299) {
		msg("%s: the server answered %d%s%s", o->url_text, r.status, r.reason[0] ? " " : "", r.reason);
		return EXIT_STATUS;
	}
	if (send_failed) {
		msg("sending to %s failed after %" PRId64 " bytes: %s", o->url_text, sent, strerror(send_errno));
		return EXIT_TRANSFER;
	}
	return EXIT_OK;
}

static bool parse_uint(const char *s, long lo, long hi, long *v)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < lo || n > hi)
		return false;
	*v = n;
	return true;
}

int main(int argc, char **argv)
{
	struct opts o = {.method = "PUT", .retries = 3, .timeout_ms = 30000};
	static const struct option longopts[] = {
		{"method", required_argument, NULL, 'm'},
		{"retries", required_argument, NULL, 'r'},
		{"timeout", required_argument, NULL, 't'},
		{"probe", no_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	long v;
	bool probe_only = false;
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "PUT") && strcmp(optarg, "POST")) {
				msg("--method %s: PUT or POST", optarg);
				return EXIT_USAGE;
			}
			o.method = optarg;
			break;
		case 'r':
			if (!parse_uint(optarg, 1, 100, &v)) {
				msg("--retries %s: a number from 1 to 100", optarg);
				return EXIT_USAGE;
			}
			o.retries = (int)v;
			break;
		case 't':
			if (!parse_uint(optarg, 1, 86400, &v)) {
				msg("--timeout %s: seconds from 1 to 86400", optarg);
				return EXIT_USAGE;
			}
			o.timeout_ms = (int)v * 1000;
			break;
		case 'p':
			probe_only = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("crashsend %s\n", VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (probe_only && argc - optind == 1) {
		struct url pu;
		o.url_text = argv[optind];
		if (!parse_url(o.url_text, &pu))
			return EXIT_USAGE;
		signal(SIGPIPE, SIG_IGN);
		return probe(&o, &pu);
	}
	if (probe_only || argc - optind != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	o.url_text = argv[optind];
	o.input = argv[optind + 1];
	struct url u;
	if (!parse_url(o.url_text, &u))
		return EXIT_USAGE;
	signal(SIGPIPE, SIG_IGN);

	int in_fd = 0;
	bool chunked = true;
	int64_t size = -1;
	if (strcmp(o.input, "-") != 0) {
		in_fd = open(o.input, O_RDONLY | O_CLOEXEC);
		if (in_fd < 0) {
			msg("%s: %s", o.input, strerror(errno));
			return EXIT_INPUT;
		}
		struct stat st;
		if (fstat(in_fd, &st) != 0) {
			msg("%s: %s", o.input, strerror(errno));
			return EXIT_INPUT;
		}
		if (S_ISREG(st.st_mode)) {
			chunked = false;
			size = st.st_size;
		}
	} else {
		o.input = "stdin";
	}
	int rc = EXIT_TRANSFER;
	for (int attempt = 1; attempt <= o.retries; attempt++) {
		bool consumed = false;
		int status = 0;
		if (!chunked && lseek(in_fd, 0, SEEK_SET) != 0) {
			msg("%s: rewinding: %s", o.input, strerror(errno));
			return EXIT_INPUT;
		}
		rc = try_send(&o, &u, in_fd, chunked, size, &consumed, &status);
		if (rc == EXIT_OK || rc == EXIT_INPUT || rc == EXIT_USAGE)
			break;
		/* A 4xx will not change by asking again; a 5xx may. */
		if (rc == EXIT_STATUS && status < 500)
			break;
		if (chunked && consumed) {
			msg("stdin was partly sent: not trying again");
			break;
		}
		if (attempt < o.retries) {
			unsigned delay = attempt < 4 ? 1u << attempt : 10u;
			msg("try %d of %d failed; again in %u s", attempt, o.retries, delay);
			sleep(delay);
		}
	}
	return rc;
}
