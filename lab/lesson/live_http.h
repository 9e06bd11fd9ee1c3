/* live_http.h: the page's server (live_http.c), in a thread of its own. */
#ifndef RICOCHET_LIVE_HTTP_H
#define RICOCHET_LIVE_HTTP_H

#include <stddef.h>

struct live;
struct live_http;
struct live_snapshot;

/* Serves the lesson on 127.0.0.1:port (0: a free one) from a thread of
 * its own, reading lv's snapshots (lv->tb) and handing model changes to
 * lv's netsims. Returns NULL with a one-line message in err. */
struct live_http *live_http_start(struct live *lv, int port, char *err, size_t err_cap);

/* "127.0.0.1:PORT". */
const char *live_http_address(const struct live_http *h);

/* The model the page set (every control in force once a page changed
 * one), as netsim's options (a JSON object), for a netsim that starts
 * again; "" if none was set. The loop's to call. */
void live_http_model(struct live_http *h, char *buf, size_t cap);

/* The students' view (live_http.c): the page, read-only, on address:port
 * (port 0: a free one), from a thread of its own. Returns 0, or -1 with a
 * one-line message in err. */
int live_http_view(struct live_http *h, const char *address, int port, char *err,
                   size_t err_cap);

/* "ADDRESS:PORT" of the view, or NULL without one. */
const char *live_http_view_address(const struct live_http *h);

/* The loop's, with the snapshot s it is about to publish: the view's one
 * answer made again from it, when a viewer has asked lately and the last
 * is old enough. NULL h or no view: nothing. */
void live_http_view_take(struct live_http *h, const struct live_snapshot *s);

void live_http_stop(struct live_http *h);

#endif
