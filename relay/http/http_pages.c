/* http_pages.c: the relay's own pages on its HTTP front (see
 * http_pages.h): each file a route of its own, read with GET or HEAD, and
 * what a browser asks of a page's host beside them: / and /favicon.ico.
 * Nothing is fetched from elsewhere, so they work offline. */
#include "http_pages.h"

#include "http_front.h"

#define READ (HTTP_METHOD(GET) | HTTP_METHOD(HEAD))
#define READ_WHY "this page is read with GET"

static const struct page {
    struct http_route route;
    const char *type;
    const char *body;
    const size_t *len;
} pages[] = {
    {{"/play", READ, READ_WHY, false, NULL, NULL}, "text/html; charset=utf-8", http_play_html,
     &http_play_html_len},
    {{"/play.js", READ, READ_WHY, false, NULL, NULL}, "text/javascript; charset=utf-8",
     http_play_js, &http_play_js_len},
    {{"/ricochet.js", READ, READ_WHY, false, NULL, NULL}, "text/javascript; charset=utf-8",
     http_ricochet_js, &http_ricochet_js_len},
    {{"/play_lobby.js", READ, READ_WHY, false, NULL, NULL}, "text/javascript; charset=utf-8",
     http_play_lobby_js, &http_play_lobby_js_len},
    {{"/tag", READ, READ_WHY, false, NULL, NULL}, "text/html; charset=utf-8", http_tag_html,
     &http_tag_html_len},
    {{"/tag.js", READ, READ_WHY, false, NULL, NULL}, "text/javascript; charset=utf-8",
     http_tag_js, &http_tag_js_len},
    {{"/gates", READ, READ_WHY, false, NULL, NULL}, "text/html; charset=utf-8", http_gates_html,
     &http_gates_html_len},
    {{"/gates.js", READ, READ_WHY, false, NULL, NULL}, "text/javascript; charset=utf-8",
     http_gates_js, &http_gates_js_len},
    {{"/trails", READ, READ_WHY, false, NULL, NULL}, "text/html; charset=utf-8",
     http_trails_html, &http_trails_html_len},
    {{"/trails.js", READ, READ_WHY, false, NULL, NULL}, "text/javascript; charset=utf-8",
     http_trails_js, &http_trails_js_len},
};

static void page(void *ctx, const struct http_req *req, const char *body, struct http_conn *c)
{
    const struct page *p = ctx;
    (void)body;
    http_reply(c, req, 200, p->type, NULL, p->body, *p->len);
}

/* GET /: the play page is the relay's address in a browser. */
static void home(void *ctx, const struct http_req *req, const char *body, struct http_conn *c)
{
    (void)ctx, (void)req, (void)body;
    http_refuse_status(c, 302, NULL);
}

/* What every browser asks a page's host for: nothing, and no error. */
static void favicon(void *ctx, const struct http_req *req, const char *body,
                    struct http_conn *c)
{
    (void)ctx, (void)req, (void)body;
    http_refuse_status(c, 204, NULL);
}

int http_pages_add(struct http_front *f)
{
    static const struct http_route root = {"/", READ, NULL, false, NULL, NULL};
    static const struct http_route icon = {"/favicon.ico", READ, NULL, false, NULL, NULL};
    int rc = 0;
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        rc |= http_front_route(f, &pages[i].route, page, (void *)&pages[i]);
    rc |= http_front_route(f, &root, home, NULL);
    rc |= http_front_route(f, &icon, favicon, NULL);
    return rc ? -1 : 0;
}
