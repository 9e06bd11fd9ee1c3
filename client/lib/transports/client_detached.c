/* client_detached.c: the client library's third transport, the test double
 * (client_create_detached in client_test.h; see client_internal.h).
 *
 * No socket and no clock: client_receive and client_tick feed the session
 * with the caller's bytes and times. It has the capabilities of the
 * transport the mode would pick (client_create_detached copies them), so a
 * test sees that transport's receive rules; and it sends as that transport
 * would with no socket: without a connection into the void (0), with one
 * not at all (-1: the connection never came up). The last control message
 * and the last state message it was given are kept for the test
 * (client_last_control, client_last_state). */
#include "client/lib/client_internal.h"
#include "client/lib/client_test.h"

#include <stdlib.h>
#include <string.h>

struct client_detached {
    bool opening;                            /* the join of open: kept, never refused */
    size_t len;                              /* of the last control message */
    uint8_t last[CTL_SEND_MAX + SEAL_OVERHEAD];
    size_t state_len;                        /* of the last state message */
    uint8_t state[PROTO_STATE_MAX + SEAL_OVERHEAD];
};

static int detached_open(struct ricochet *c, const struct client_config *cfg, char *err,
                         size_t err_cap)
{
    (void)cfg;
    (void)err;
    (void)err_cap;
    struct client_detached *t = calloc(1, sizeof *t);
    if (!(c->tp = t))
        return -1;
    t->opening = true;
    client_join_now(c); /* the join is "sent" (kept) */
    t->opening = false;
    return 0;
}

static void detached_close(struct ricochet *c)
{
    free(c->tp);
    c->tp = NULL;
}

static void detached_nothing(struct ricochet *c)
{
    (void)c;
}

size_t client_last_control(const struct ricochet *c, uint8_t *out, size_t cap)
{
    const struct client_detached *t = c->ops == &client_detached_ops ? c->tp : NULL;
    if (!t || t->len > cap)
        return 0;
    memcpy(out, t->last, t->len);
    return t->len;
}

size_t client_last_state(const struct ricochet *c, uint8_t *out, size_t cap)
{
    const struct client_detached *t = c->ops == &client_detached_ops ? c->tp : NULL;
    if (!t || t->state_len > cap)
        return 0;
    memcpy(out, t->state, t->state_len);
    return t->state_len;
}

/* Nothing ever arrives: client_receive feeds it. */
static int detached_service(struct ricochet *c, uint64_t deadline_us, struct ricochet_event *ev)
{
    (void)c;
    (void)deadline_us;
    (void)ev;
    return 0;
}

static int detached_step(struct ricochet *c, int wait_ms, struct ricochet_event *ev)
{
    (void)wait_ms;
    return detached_service(c, 0, ev);
}

static bool detached_ready(const struct ricochet *c)
{
    return !c->caps.connection;
}

static int detached_send_control(struct ricochet *c, const uint8_t *buf, size_t len)
{
    struct client_detached *t = c->tp;
    if (t && len <= sizeof t->last) {
        memcpy(t->last, buf, len);
        t->len = len;
    }
    return (t && t->opening) || detached_ready(c) ? 0 : -1;
}

static int detached_send_state(struct ricochet *c, const struct proto_mode_info *mi,
                               const uint8_t *buf, size_t len)
{
    (void)mi;
    struct client_detached *t = c->tp;
    if (t && len <= sizeof t->state) {
        memcpy(t->state, buf, len);
        t->state_len = len;
    }
    return detached_ready(c) ? 0 : -1;
}

static int detached_fd(const struct ricochet *c)
{
    (void)c;
    return -1;
}

static void detached_netinfo(const struct ricochet *c, struct client_netinfo *info)
{
    (void)c;
    (void)info;
}

const struct client_transport_ops client_detached_ops = {
    .caps = { 0 }, /* replaced by the mode's transport's (client_create_detached) */
    .open = detached_open,
    .close = detached_close,
    .service = detached_service,
    .step = detached_step,
    .ready = detached_ready,
    .send_control = detached_send_control,
    .send_state = detached_send_state,
    .hang_up = detached_nothing,
    .flush = detached_nothing,
    .fd = detached_fd,
    .netinfo = detached_netinfo,
};
