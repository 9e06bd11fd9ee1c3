/* httpd.c: see httpd.h. */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "log.h"

#define CONNECTIONS_MAX 64       /* at once; more are refused at accept */
#define CONNECTIONS_PER_IP 16
#define IDLE_TIMEOUT_S 10        /* a silent connection is closed after this */
#define REQUEST_MEMORY (16 * 1024) /* per connection: request line and headers */

struct httpd {
    struct MHD_Daemon *daemon;
    const struct httpd_route *routes;
    void *ctx;
    char address[NETADDR_STR_MAX];
};

int httpd_parse_listen(const char *text, union netaddr *out, char *err, size_t err_cap)
{
    if (text[0] && strspn(text, "0123456789") == strlen(text)) {
        long port = strtol(text, NULL, 10);
        if (strlen(text) > 5 || port > 65535) {
            snprintf(err, err_cap, "'%s': the port must be 0 to 65535", text);
            return -1;
        }
        return netaddr_resolve("127.0.0.1", (uint16_t)port, out, err, err_cap);
    }
    return netaddr_parse_endpoint(text, out, err, err_cap);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[256];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_warn("http: %s", line);
}

static enum MHD_Result answer(struct MHD_Connection *c, struct httpd_reply *r)
{
    static const char oom[] = "out of memory\n";
    struct MHD_Response *resp;
    if (r->body)
        resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    else if (r->static_body)
        resp = MHD_create_response_from_buffer(r->len, (void *)r->static_body,
                                               MHD_RESPMEM_PERSISTENT);
    else {
        r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        r->content_type = "text/plain; charset=utf-8";
        resp = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom,
                                               MHD_RESPMEM_PERSISTENT);
    }
    if (!resp) {
        free(r->body);
        return MHD_NO; /* MHD closes the connection */
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static void plain(struct httpd_reply *r, unsigned status, const char *text)
{
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    r->static_body = text;
    r->len = strlen(text);
}

const char *httpd_arg(const struct httpd_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool httpd_peer(const struct httpd_request *req, union netaddr *out)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    socklen_t len = sa && sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                     : sizeof(struct sockaddr_in);
    return sa && netaddr_from_sockaddr(out, sa, len) == 0;
}

/* Splits a Host header's value into its host (brackets removed: *v6 set)
 * and checks the port, if any, is a port: "name", "name:port", "[v6]",
 * "[v6]:port". Returns false for anything else (an IPv6 address without
 * its brackets, a user part, a second colon, an empty host). */
static bool host_split(const char *value, char *host, size_t cap, bool *v6)
{
    const char *end, *after;
    *v6 = value[0] == '[';
    if (*v6) {
        value++;
        if (!(end = strchr(value, ']')))
            return false;
        after = end + 1;
    } else {
        end = after = value + strcspn(value, ":");
    }
    if (*after == ':') { /* port = *DIGIT (RFC 3986), at most 65535 */
        after++;
        size_t digits = strspn(after, "0123456789");
        if (after[digits] || digits > 5 || strtol(after, NULL, 10) > 65535)
            return false;
    } else if (*after) {
        return false;
    }
    size_t len = (size_t)(end - value);
    if (len == 0 || len >= cap)
        return false;
    memcpy(host, value, len);
    host[len] = '\0';
    return true;
}

bool httpd_host_names(const char *value, const union netaddr *local)
{
    char host[NETADDR_STR_MAX];
    bool v6;
    if (!host_split(value, host, sizeof host, &v6))
        return false;
    if (!v6 && strcasecmp(host, "localhost") == 0)
        return true;
    /* (libmicrohttpd's IPv6 socket is IPv6-only: no IPv4-mapped address) */
    unsigned char want[16];
    if (v6)
        return local->sa.sa_family == AF_INET6 && inet_pton(AF_INET6, host, want) == 1 &&
               memcmp(want, &local->v6.sin6_addr, 16) == 0;
    return local->sa.sa_family == AF_INET && inet_pton(AF_INET, host, want) == 1 &&
           memcmp(want, &local->v4.sin_addr, 4) == 0;
}

/* Whether a request's Host names this server: localhost, or as an IP
 * literal the very address connection c came to (getsockname: the one a
 * scraper elsewhere used when bound to 0.0.0.0), with a port or without.
 * A page of another name that DNS rebinding pointed here names that name,
 * and is refused; the port is not compared, as it proves nothing of the
 * kind and a port mapping (a container's) changes it. */
static bool host_is_ours(struct MHD_Connection *c, const char *value)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    union netaddr local;
    if (!info || getsockname(info->connect_fd, (struct sockaddr *)&ss, &len) != 0 ||
        netaddr_from_sockaddr(&local, (struct sockaddr *)&ss, len) != 0)
        memset(&local, 0, sizeof local); /* no address known: localhost only */
    return httpd_host_names(value, &local);
}

/* The route for url and method: the one that takes it, or (*path_known)
 * one of that path only; NULL if none. */
static const struct httpd_route *route_of(const struct httpd *h, const char *url,
                                          const char *method, bool *path_known)
{
    *path_known = false;
    for (const struct httpd_route *r = h->routes; r->path; r++) {
        if (strcmp(r->path, url) != 0)
            continue;
        *path_known = true;
        bool plain_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
        if (r->method ? !strcmp(r->method, method) : plain_get)
            return r;
    }
    return NULL;
}

/* A body being read, between the calls of one request. */
struct upload {
    const struct httpd_route *route;
    char *data;
    size_t len;
    bool too_long; /* past the route's bound: the rest is read and passed over */
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    struct httpd *h = cls;
    (void)version;
    struct httpd_reply r = { .status = MHD_HTTP_OK, .content_type = "text/plain" };
    struct httpd_request req = { .method = method, .conn = c };
    struct upload *up = *con_cls;
    if (!up) {
        /* Before any route: a DNS-rebinding page must not read or change
         * anything (a body is refused unread). Every HTTP/1.1 client sends
         * Host (libmicrohttpd answers 400 itself to one without) and so
         * do HTTP/1.0's (curl, Prometheus); one without is malformed, not
         * misdirected: 400 too. */
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_HOST);
        if (!host || !host[0]) {
            plain(&r, MHD_HTTP_BAD_REQUEST, "a request needs a Host header\n");
            return answer(c, &r);
        }
        if (!host_is_ours(c, host)) {
            plain(&r, MHD_HTTP_MISDIRECTED_REQUEST,
                  "misdirected: the Host must be localhost or this server's address\n");
            return answer(c, &r);
        }
        bool known;
        const struct httpd_route *route = route_of(h, url, method, &known);
        const char *announced = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                            MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (route && route->method && announced &&
            strtoull(announced, NULL, 10) > route->body_max) {
            plain(&r, MHD_HTTP_CONTENT_TOO_LARGE, "request body too long\n");
            return answer(c, &r); /* before the body: MHD reads none of it */
        }
        if (route && route->method) { /* its body comes in the calls that follow */
            if (!(up = calloc(1, sizeof *up)))
                return MHD_NO;
            up->route = route;
            *con_cls = up;
            return MHD_YES;
        }
        if (route)
            route->handler(h->ctx, &req, &r);
        else if (known)
            plain(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed on this path\n");
        else if (strcmp(method, "GET") && strcmp(method, "HEAD"))
            plain(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        else
            plain(&r, MHD_HTTP_NOT_FOUND, "not found\n");
        return answer(c, &r);
    }
    if (*upload_size) { /* a piece of the body: kept within the route's bound */
        if (!up->too_long && up->len + *upload_size > up->route->body_max) {
            up->too_long = true; /* read on, kept no more (a body of unannounced length) */
            free(up->data);
            up->data = NULL;
        }
        if (!up->too_long) {
            char *more = realloc(up->data, up->len + *upload_size + 1);
            if (!more)
                return MHD_NO;
            memcpy(more + up->len, upload, *upload_size);
            up->data = more;
            up->len += *upload_size;
            up->data[up->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (up->too_long) {
        plain(&r, MHD_HTTP_CONTENT_TOO_LARGE, "request body too long\n");
        return answer(c, &r);
    }
    req.body = up->data ? up->data : "";
    req.len = up->len;
    up->route->handler(h->ctx, &req, &r);
    return answer(c, &r);
}

/* A request is over (answered or not): its body goes. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)c;
    (void)why;
    struct upload *up = *con_cls;
    if (up) {
        free(up->data);
        free(up);
        *con_cls = NULL;
    }
}

struct httpd *httpd_start(const union netaddr *addr, const struct httpd_route *routes,
                          void *ctx, char *err, size_t err_cap)
{
    struct httpd *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    h->routes = routes;
    h->ctx = ctx;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (addr->sa.sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    h->daemon = MHD_start_daemon(
        flags, netaddr_port(addr), NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, /* first: it applies from here on */
        MHD_OPTION_SOCK_ADDR, &addr->sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONNECTIONS_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)REQUEST_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_END);
    char where[NETADDR_STR_MAX];
    netaddr_format(addr, where, sizeof where);
    if (!h->daemon) {
        snprintf(err, err_cap, "http on %s: %s", where,
                 errno ? strerror(errno) : "libmicrohttpd could not start");
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon,
                                                           MHD_DAEMON_INFO_BIND_PORT);
    union netaddr bound = *addr;
    if (info)
        netaddr_set_port(&bound, info->port);
    netaddr_format(&bound, h->address, sizeof h->address);
    return h;
}

const char *httpd_address(const struct httpd *h)
{
    return h->address;
}

void httpd_stop(struct httpd *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
