/* http_client.c: see http_client.h. One curl easy handle per request,
 * its options set to behave as the hand-written clients did (HTTP/1.0,
 * one connection, one deadline); the answer's head and body gathered by
 * curl's callbacks into growing buffers, the body cut at the caller's
 * bound by ending the transfer there. */
#include "http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/* A growing NUL-ended buffer; max 0: no bound. */
struct gather {
    char *data;
    size_t len, cap, max;
    bool cut, failed;
};

/* Appends n bytes, at most what max leaves; 0 when out of memory. */
static int gather_add(struct gather *g, const char *p, size_t n)
{
    if (g->max && g->len + n > g->max) {
        n = g->max - g->len;
        g->cut = true;
    }
    if (g->len + n + 1 > g->cap) {
        size_t cap = g->cap ? g->cap : 4096;
        while (cap < g->len + n + 1)
            cap *= 2;
        char *bigger = realloc(g->data, cap);
        if (!bigger) {
            g->failed = true;
            return 0;
        }
        g->data = bigger;
        g->cap = cap;
    }
    memcpy(g->data + g->len, p, n);
    g->len += n;
    g->data[g->len] = '\0';
    return 1;
}

/* curl's body callback: keeps what fits; returning less than it was given
 * ends the transfer (once the bound is reached, the rest is not read). */
static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct gather *g = ctx;
    if (!gather_add(g, p, size * n) || g->cut)
        return 0;
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    return gather_add(ctx, p, size * n) ? size * n : 0;
}

/* The request's extra header lines; NULL when out of memory. */
static struct curl_slist *header_lines(const struct http_client_request *req)
{
    char line[512];
    struct curl_slist *h = curl_slist_append(NULL, "Accept:");
    struct curl_slist *more = h ? curl_slist_append(h, "Expect:") : NULL;
    if (more && req->body)
        more = curl_slist_append(more, "Content-Type: application/json");
    if (more && req->host) {
        snprintf(line, sizeof line, "Host:%s%s", req->host[0] ? " " : "", req->host);
        more = curl_slist_append(more, line);
    }
    if (!more) {
        curl_slist_free_all(h);
        return NULL;
    }
    return h;
}

static void set_options(CURL *c, const struct http_client_request *req, const char *url,
                        struct curl_slist *lines, struct gather *head, struct gather *body,
                        char *errbuf)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_0);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(req->timeout_ms ? req->timeout_ms : 1));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, lines);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, head);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    if (strcmp(req->method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(req->method, "GET") != 0 || req->body)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(req->body));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
    }
}

/* Why a transfer failed, after the endpoint, into err; returns its kind. */
static enum http_client_fault say_why(CURL *c, CURLcode rc,
                                      const struct http_client_request *req,
                                      const char *errbuf, char *err, size_t err_cap)
{
    long os_errno = 0;
    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
        snprintf(err, err_cap, "%s: %s", req->endpoint,
                 os_errno ? strerror((int)os_errno)
                          : errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return HTTP_CLIENT_NO_CONNECTION;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(err, err_cap, "%s: no HTTP answer within %u ms", req->endpoint,
                 req->timeout_ms);
    else
        snprintf(err, err_cap, "%s: no HTTP answer: %s", req->endpoint,
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
    return HTTP_CLIENT_NO_ANSWER;
}

/* The head as received without the blank line that ends it. */
static void head_trim(struct gather *head)
{
    while (head->len > 0 && (head->data[head->len - 1] == '\r' ||
                             head->data[head->len - 1] == '\n'))
        head->data[--head->len] = '\0';
}

enum http_client_fault http_client_send(const struct http_client_request *req,
                                        struct http_client_answer *out, char *err,
                                        size_t err_cap)
{
    memset(out, 0, sizeof *out);
    struct gather head = {0}, body = {.max = req->answer_max};
    char url[1024], errbuf[CURL_ERROR_SIZE] = "";
    int n = snprintf(url, sizeof url, "http://%s%s", req->endpoint, req->path);
    CURL *c = curl_easy_init();
    struct curl_slist *lines = c ? header_lines(req) : NULL;
    enum http_client_fault rc = HTTP_CLIENT_NOT_SENT;
    if (n < 0 || (size_t)n >= sizeof url) {
        snprintf(err, err_cap, "%s: %s %.64s...: too long", req->endpoint, req->method,
                 req->path);
    } else if (!lines) {
        snprintf(err, err_cap, "%s: out of memory", req->endpoint);
    } else {
        set_options(c, req, url, lines, &head, &body, errbuf);
        CURLcode done = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if ((done == CURLE_OK || (done == CURLE_WRITE_ERROR && body.cut)) && status >= 100 &&
            !head.failed && !body.failed && gather_add(&body, "", 0) && head.data) {
            head_trim(&head);
            *out = (struct http_client_answer){.status = (int)status, .headers = head.data,
                                               .body = body.data, .len = body.len,
                                               .cut = body.cut};
            head.data = body.data = NULL;
            rc = HTTP_CLIENT_OK;
        } else {
            rc = say_why(c, done, req, errbuf, err, err_cap);
        }
    }
    curl_slist_free_all(lines);
    if (c)
        curl_easy_cleanup(c);
    free(head.data);
    free(body.data);
    return rc;
}

void http_client_answer_free(struct http_client_answer *a)
{
    free(a->headers);
    free(a->body);
    memset(a, 0, sizeof *a);
}
