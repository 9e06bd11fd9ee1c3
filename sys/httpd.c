/* httpd.c: see httpd.h. */
#include "httpd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    struct httpd *h = cls;
    (void)version;
    (void)upload;
    (void)upload_size; /* answered at once, before any body */
    (void)con_cls;
    struct httpd_reply r = { .status = MHD_HTTP_OK, .content_type = "text/plain" };
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        plain(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    } else {
        const struct httpd_route *route = h->routes;
        while (route->path && strcmp(route->path, url) != 0)
            route++;
        if (route->path)
            route->handler(h->ctx, &r);
        else
            plain(&r, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    return answer(c, &r);
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
