/* ricochet.c: the public API's plain side (ricochet.h): what a session
 * knows copied out as plain numbers, versions, modes and logs (the
 * configuration and the connect are ricochet_config.c's). The session itself (connect, poll, send) is client.c and the files
 * below it; this file is above them all. */
#include "client.h"
#include "client_internal.h"
#include "client_test.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ticket.h"
#include "sys/clock.h"
#include "sys/log.h"

/* The public header repeats the wire's limits and enums (it includes
 * nothing of ricochet's); they must agree. */
_Static_assert(RICOCHET_NAME_MAX == PROTO_NAME_MAX && RICOCHET_ROOM_MAX == PROTO_ROOM_MAX &&
                   RICOCHET_TEXT_MAX == PROTO_TEXT_MAX && RICOCHET_CODE_MAX == PROTO_CODE_MAX &&
                   RICOCHET_MEMBERS_MAX == PROTO_ROSTER_MAX &&
                   RICOCHET_DEFAULT_PORT == PROTO_DEFAULT_PORT &&
                   RICOCHET_TICKET_MAX == TICKET_TEXT_MAX &&
                   RICOCHET_DEFAULT_TIMEOUT_MS == PROTO_TIMEOUT_MS,
               "ricochet.h's limits are the protocol's");
_Static_assert((int)RICOCHET_MODE_UNSEQUENCED == (int)PROTO_MODE_UNSEQUENCED &&
                   (int)RICOCHET_MODE_SEQUENCED == (int)PROTO_MODE_SEQUENCED &&
                   (int)RICOCHET_MODE_RELIABLE == (int)PROTO_MODE_RELIABLE &&
                   (int)RICOCHET_MODE_UDP == (int)PROTO_MODE_UDP &&
                   (int)RICOCHET_MODE_TCP == (int)PROTO_MODE_TCP &&
                   (int)RICOCHET_MODE_WS == (int)PROTO_MODE_WS &&
                   (int)RICOCHET_MODE_STREAMS == (int)PROTO_MODE_STREAMS && PROTO_MODE_COUNT == 7,
               "ricochet.h's modes are the mode table's");
_Static_assert(RICOCHET_PAYLOAD_MAX == SEAL_STATE_MAX - PROTO_STATE_SIZE &&
                   RICOCHET_EVENT_MAX == PROTO_EVENT_BODY_MAX &&
                   RICOCHET_TO_ROOM == PROTO_EVENT_ROOM,
               "ricochet.h's payload and event limits are the wire's");
_Static_assert((int)RICOCHET_LOG_DEBUG == (int)LOG_DEBUG && (int)RICOCHET_LOG_OFF == (int)LOG_OFF,
               "ricochet.h's log levels are log.h's");

/* ---- versions and modes ---- */

#define STRINGIFY(x) #x
#define VERSION_STRING(a, b, c) STRINGIFY(a) "." STRINGIFY(b) "." STRINGIFY(c)
#define STRINGIFY_VALUE(x) STRINGIFY(x)

const char *ricochet_version(void)
{
    return VERSION_STRING(RICOCHET_VERSION_MAJOR, RICOCHET_VERSION_MINOR,
                          RICOCHET_VERSION_PATCH);
}

unsigned ricochet_version_number(void)
{
    return RICOCHET_VERSION_NUMBER;
}

unsigned ricochet_protocol_version(void)
{
    return PROTO_VERSION;
}

const char *ricochet_strerror(int status)
{
    switch (status) {
    case RICOCHET_OK: return "ok";
    case RICOCHET_E_INVALID: return "invalid argument (NULL, a bad name, mode or value)";
    case RICOCHET_E_NOT_JOINED: return "not in a room (not yet, or not any more)";
    case RICOCHET_E_SEND: return "the transport could not send it";
    case RICOCHET_E_UNSUPPORTED: return "not on this transport";
    case RICOCHET_E_TOO_BIG: return "too big: a payload over " STRINGIFY_VALUE(
        RICOCHET_PAYLOAD_MAX) " bytes or an event over " STRINGIFY_VALUE(RICOCHET_EVENT_MAX)
        " bytes, not sent";
    default: return "unknown status";
    }
}

const char *ricochet_mode_name(enum ricochet_mode mode)
{
    const struct proto_mode_info *mi = proto_mode_info((enum proto_mode)mode);
    return mi ? mi->name : NULL;
}

int ricochet_mode_parse(const char *name, enum ricochet_mode *mode)
{
    enum proto_mode pm;
    if (!name || !mode || proto_mode_parse(name, &pm) != 0)
        return RICOCHET_E_INVALID;
    *mode = client_public_mode(pm);
    return RICOCHET_OK;
}

/* ---- what the session knows ---- */

const char *ricochet_end_reason(const struct ricochet *c)
{
    return c && c->phase == PHASE_DEAD ? c->ends.dead_why : "";
}

bool ricochet_joined(const struct ricochet *c)
{
    return c && c->phase == PHASE_JOINED;
}

bool ricochet_sealed(const struct ricochet *c)
{
    return c && client_ticket_sealed(c);
}

uint32_t ricochet_id(const struct ricochet *c)
{
    return c ? c->id : 0; /* set by the welcome only */
}

const char *ricochet_key(const struct ricochet *c)
{
    return c ? c->key : NULL;
}

const char *ricochet_player(const struct ricochet *c, uint32_t id)
{
    if (!c)
        return NULL;
    if (id == 0 || id == c->id)
        return c->player;
    const struct client_member *m = client_member(c, id);
    return m ? m->player : NULL;
}

float ricochet_room_aoi(const struct ricochet *c)
{
    return c ? c->room_aoi : 0;
}

const char *ricochet_room_name(const struct ricochet *c)
{
    return c ? c->room : "";
}

size_t ricochet_rooms(const struct ricochet *c, struct ricochet_room *out, size_t cap,
                      bool *more)
{
    if (more)
        *more = c && c->listing.more;
    if (!c)
        return 0;
    for (size_t i = 0; out && i < c->listing.len && i < cap; i++) {
        snprintf(out[i].room, sizeof out[i].room, "%s", c->listing.page[i].room);
        out[i].members = c->listing.page[i].members;
        out[i].capacity = c->listing.page[i].capacity;
    }
    return c->listing.len;
}

size_t ricochet_listed_props(const struct ricochet *c, size_t i, struct ricochet_prop *out,
                             size_t cap, bool *open)
{
    if (open)
        *open = c && i < c->listing.len && !c->listing.page[i].closed;
    if (!c || i >= c->listing.len)
        return 0;
    const struct proto_props *p = &c->listing.props[i];
    const char *value;
    size_t n = 0;
    for (const char *k = proto_props_next(p, NULL, &value); k; k = proto_props_next(p, k, &value), n++)
        if (out && n < cap) {
            snprintf(out[n].key, sizeof out[n].key, "%s", k);
            snprintf(out[n].value, sizeof out[n].value, "%s", value);
        }
    return n;
}

const char *ricochet_left_creator(const struct ricochet *c)
{
    return c ? c->left_owner : "";
}

bool ricochet_room_mine(const struct ricochet *c)
{
    return c && c->room_mine;
}

enum ricochet_mode ricochet_mode(const struct ricochet *c)
{
    return client_public_mode(c ? c->mode : PROTO_MODE_UNSEQUENCED);
}

enum ricochet_transport ricochet_transport(const struct ricochet *c)
{
    return c ? c->transport : RICOCHET_TRANSPORT_DEFAULT;
}

enum proto_mode client_mode(const struct ricochet *c)
{
    return c->mode;
}

int client_socket(const struct ricochet *c)
{
    return c->ops->socket ? c->ops->socket(c) : c->ops->fd(c);
}

int client_socket_up(const struct ricochet *c)
{
    return c->ops->socket_up ? c->ops->socket_up(c) : client_socket(c);
}

const char *client_name(const struct ricochet *c)
{
    return c->name;
}

int ricochet_fd(const struct ricochet *c)
{
    return c ? c->ops->fd(c) : -1;
}

const char *ricochet_relay_host(const struct ricochet *c)
{
    return c ? c->host : "";
}

uint16_t ricochet_relay_port(const struct ricochet *c)
{
    return c ? c->port : 0;
}

/* A receiver's statistics of one sender as plain numbers. */
static void public_stats(const struct recv_stats *rs, uint64_t bound_us,
                         struct ricochet_stats *out)
{
    *out = (struct ricochet_stats){.received = rs->received,
                                   .expected = recv_stats_expected(rs),
                                   .lost = recv_stats_lost(rs),
                                   .duplicates = rs->duplicates,
                                   .reordered = rs->reordered,
                                   .too_old = rs->too_old,
                                   .no_latency = rs->no_latency,
                                   .latency_max_us = rs->latency_max_us,
                                   .latency_bound_us = bound_us,
                                   .latency_mean_us = recv_stats_latency_mean(rs),
                                   .jitter_us = rs->jitter_us};
}

static void public_member(const struct client_member *m, struct ricochet_member *out)
{
    memset(out, 0, sizeof *out);
    out->id = m->id;
    snprintf(out->name, sizeof out->name, "%s", m->name);
    out->mode = client_public_mode(m->mode);
    out->has_state = m->has_state;
    if (m->has_state)
        client_public_state(&m->last, &out->last);
    out->last_recv_us = m->last_recv_us;
    public_stats(&m->stats, m->lat_bound_us, &out->stats);
}

size_t ricochet_members(const struct ricochet *c, struct ricochet_member *out, size_t cap)
{
    if (!c)
        return 0;
    for (size_t i = 0; out && i < c->roster.n_members && i < cap; i++)
        public_member(&c->roster.members[i], &out[i]);
    return c->roster.n_members;
}

int ricochet_member(const struct ricochet *c, uint32_t id, struct ricochet_member *out)
{
    const struct client_member *m = c && out ? client_member(c, id) : NULL;
    if (!m)
        return RICOCHET_E_INVALID;
    public_member(m, out);
    return RICOCHET_OK;
}

void ricochet_clock(const struct ricochet *c, struct ricochet_clock *out)
{
    if (!c || !out)
        return;
    *out = (struct ricochet_clock){.known = c->sync.clock.valid,
                                   .offset_us = c->sync.clock.offset_us,
                                   .bound_us = c->sync.clock.bound_us};
}

static void public_distribution(const struct histogram *h, struct ricochet_distribution *out)
{
    memset(out, 0, sizeof *out);
    if (!h || h->total == 0)
        return;
    out->count = h->total;
    out->p50_us = histogram_percentile(h, 50);
    out->p90_us = histogram_percentile(h, 90);
    out->p99_us = histogram_percentile(h, 99);
    out->max_us = h->max;
    out->mean_us = (uint64_t)llround(histogram_mean(h));
}

void ricochet_latency(const struct ricochet *c, struct ricochet_distribution *out)
{
    if (c && out)
        public_distribution(c->latency, out);
}

void ricochet_rtt(const struct ricochet *c, struct ricochet_distribution *out,
                  struct ricochet_stats *stats)
{
    if (!c)
        return;
    if (out)
        public_distribution(c->rtt, out);
    if (stats)
        public_stats(&c->reflect_stats, 0, stats);
}

const struct histogram *client_latency(const struct ricochet *c)
{
    return c->latency;
}

const struct histogram *client_rtt(const struct ricochet *c)
{
    return c->rtt;
}

const struct recv_stats *client_reflect_stats(const struct ricochet *c)
{
    return &c->reflect_stats;
}

void client_netinfo(const struct ricochet *c, struct client_netinfo *info)
{
    client_wire_netinfo(&c->wire, info);
    info->pings_sent = c->sync.pings;
    info->pongs_received = c->sync.clock_samples;
    c->ops->netinfo(c, info);
}

/* ---- sending a state, time and logs ---- */

int ricochet_send_state(struct ricochet *c, const struct ricochet_state *s)
{
    return ricochet_send_state_payload(c, s, NULL, 0);
}

int ricochet_send_state_payload(struct ricochet *c, const struct ricochet_state *s,
                                const void *payload, size_t len)
{
    if (!c || !s || (!payload && len > 0))
        return RICOCHET_E_INVALID;
    if (len > RICOCHET_PAYLOAD_MAX)
        return RICOCHET_E_TOO_BIG;
    struct proto_state ps = {.send_us = s->send_us ? s->send_us : clock_now_us(),
                             .x = s->x, .y = s->y, .vx = s->vx, .vy = s->vy,
                             .heading = s->heading};
    return client_send_state_payload(c, &ps, payload, len);
}

uint64_t ricochet_now_us(void)
{
    return clock_now_us();
}

/* The program's log function (process-wide, as log.h's sink is). */
static ricochet_log_fn log_fn;
static void *log_fn_ctx;

static void log_to_program(void *ctx, enum log_level level, const char *msg)
{
    (void)ctx;
    log_fn(log_fn_ctx, (enum ricochet_log_level)level, msg);
}

void ricochet_set_log(enum ricochet_log_level level, ricochet_log_fn fn, void *ctx)
{
    log_threshold = (unsigned)level <= RICOCHET_LOG_OFF ? (enum log_level)level : LOG_OFF;
    log_fn = fn;
    log_fn_ctx = ctx;
    log_set_sink(fn ? log_to_program : NULL, NULL);
}
