/* ricochet.c: the public API's plain side (ricochet.h): the configuration,
 * what a session knows copied out as plain numbers, versions, modes and
 * logs. The session itself (connect, poll, send) is client.c and the files
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

#include "../../proto/ticket.h"
#include "../../sys/clock.h"
#include "../../sys/log.h"

#define CONFIG_TIMEOUT_MAX_MS 3600000u
#define CONFIG_PATH_MAX 4095 /* bytes of a key log's path */

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

struct ricochet_config {
    char host[256];
    uint16_t port;
    char room[PROTO_ROOM_MAX + 1];
    char name[PROTO_NAME_MAX + 1];
    enum proto_mode mode;
    bool reflect;
    float aoi;
    uint32_t timeout_ms;
    uint32_t rejoin_ms;
    uint32_t rejoin_after_ms;
    char ticket[RICOCHET_TICKET_MAX + 1]; /* "" = none */
    enum ricochet_transport transport;
    char keylog[CONFIG_PATH_MAX + 1];     /* "" = none */
    char pin[CLIENT_PIN_HEX + 1];         /* "" = none */
    bool poll_short;                      /* ricochet_config_set_poll's: wait_ms 0 */
    uint32_t poll_wait_ms, poll_interval_ms; /* ... 0: the defaults */
    bool any;                             /* room is a prefix: any room with space */
    bool lobby;                           /* join nothing: ricochet_join later */
    char error[RICOCHET_TEXT_MAX + 1];    /* the last setter's refusal ("" = none) */
    char bad_relay[RICOCHET_TEXT_MAX + 1]; /* a refused relay, room or name, which */
    char bad_room[RICOCHET_TEXT_MAX + 1];  /* ricochet_connect refuses in turn until */
    char bad_name[RICOCHET_TEXT_MAX + 1];  /* a good one is set ("" = none) */
};

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

/* ---- configuration ---- */

/* A setter's answers: RICOCHET_OK, forgetting the last refusal, or
 * RICOCHET_E_INVALID with why in words (ricochet_config_error). */
static int config_ok(struct ricochet_config *cfg)
{
    cfg->error[0] = '\0';
    return RICOCHET_OK;
}

__attribute__((format(printf, 2, 3))) static int config_refuse(struct ricochet_config *cfg,
                                                              const char *fmt, ...)
{
    va_list ap;
    if (!cfg)
        return RICOCHET_E_INVALID;
    va_start(ap, fmt);
    vsnprintf(cfg->error, sizeof cfg->error, fmt, ap);
    va_end(ap);
    return RICOCHET_E_INVALID;
}

/* A relay, room or name setter's answer: as config_ok or config_refuse,
 * and the refusal kept in bad until a good value is set. */
static int config_keep(struct ricochet_config *cfg, int rc, char *bad, size_t cap)
{
    snprintf(bad, cap, "%s", rc == RICOCHET_OK ? "" : cfg->error);
    return rc;
}

const char *ricochet_config_error(const struct ricochet_config *cfg)
{
    return cfg ? cfg->error : "";
}

struct ricochet_config *ricochet_config_new(void)
{
    struct ricochet_config *cfg = calloc(1, sizeof *cfg);
    if (cfg) {
        cfg->port = PROTO_DEFAULT_PORT;
        cfg->mode = PROTO_MODE_UNSEQUENCED;
    }
    return cfg; /* timeout_ms 0: the library's default */
}

void ricochet_config_free(struct ricochet_config *cfg)
{
    if (cfg)
        sodium_memzero(cfg->ticket, sizeof cfg->ticket); /* it holds keys */
    free(cfg);
}

int ricochet_config_set_relay(struct ricochet_config *cfg, const char *host, uint16_t port)
{
    int rc;
    if (!cfg)
        return RICOCHET_E_INVALID;
    if (!host || !*host || strlen(host) >= sizeof cfg->host)
        rc = config_refuse(cfg, "relay: a host name or address of 1-%zu bytes",
                           sizeof cfg->host - 1);
    else if (port == 0)
        rc = config_refuse(cfg, "relay port 0: 1-65535");
    else {
        snprintf(cfg->host, sizeof cfg->host, "%s", host);
        cfg->port = port;
        rc = config_ok(cfg);
    }
    return config_keep(cfg, rc, cfg->bad_relay, sizeof cfg->bad_relay);
}

/* Checks of a room and a name: 1 if valid, else 0 with the rule broken
 * in words into why. */
static int room_check(const char *room, char *why, size_t why_cap)
{
    snprintf(why, why_cap, "%s", CLIENT_ROOM_RULE);
    return proto_room_valid(room);
}

static int name_check(const char *name, char *why, size_t why_cap)
{
    return proto_name_check(name, PROTO_NAME_MAX, why, why_cap);
}

/* set_room and set_name: a name of the protocol's rule into out. */
static int config_set_name(struct ricochet_config *cfg, const char *what, const char *value,
                           int (*check)(const char *, char *, size_t), char *out, size_t cap,
                           char *bad, size_t bad_cap)
{
    char why[RICOCHET_TEXT_MAX + 1];
    int rc;
    if (!cfg)
        return RICOCHET_E_INVALID;
    if (!check(value ? value : "", why, sizeof why) || !value) {
        client_name_refusal(cfg->error, sizeof cfg->error, what, value, why);
        rc = RICOCHET_E_INVALID;
    } else {
        snprintf(out, cap, "%s", value);
        rc = config_ok(cfg);
    }
    return config_keep(cfg, rc, bad, bad_cap);
}

int ricochet_config_set_room(struct ricochet_config *cfg, const char *room)
{
    return cfg ? config_set_name(cfg, "room", room, room_check, cfg->room,
                                 sizeof cfg->room, cfg->bad_room, sizeof cfg->bad_room)
               : RICOCHET_E_INVALID;
}

int ricochet_config_set_name(struct ricochet_config *cfg, const char *name)
{
    return cfg ? config_set_name(cfg, "name", name, name_check, cfg->name,
                                 sizeof cfg->name, cfg->bad_name, sizeof cfg->bad_name)
               : RICOCHET_E_INVALID;
}

int ricochet_config_set_mode(struct ricochet_config *cfg, enum ricochet_mode mode)
{
    if (!cfg || !proto_mode_info((enum proto_mode)mode))
        return config_refuse(cfg, "mode %d: 0-%d (enum ricochet_mode)", (int)mode,
                             PROTO_MODE_COUNT - 1);
    cfg->mode = (enum proto_mode)mode;
    return config_ok(cfg);
}

int ricochet_config_set_transport(struct ricochet_config *cfg,
                                  enum ricochet_transport transport)
{
    if (!cfg || (int)transport < RICOCHET_TRANSPORT_DEFAULT ||
        transport > RICOCHET_TRANSPORT_POLL)
        return config_refuse(cfg, "transport %d: 0-%d (enum ricochet_transport)",
                             (int)transport, RICOCHET_TRANSPORT_POLL);
    cfg->transport = transport;
    return config_ok(cfg);
}

int ricochet_config_set_keylog(struct ricochet_config *cfg, const char *path)
{
    if (!cfg || (path && (!*path || strlen(path) > CONFIG_PATH_MAX)))
        return config_refuse(cfg, "key log: a path of 1-%d bytes", CONFIG_PATH_MAX);
    snprintf(cfg->keylog, sizeof cfg->keylog, "%s", path ? path : "");
    return config_ok(cfg);
}

int ricochet_config_set_pin(struct ricochet_config *cfg, const char *sha256)
{
    char hex[CLIENT_PIN_HEX + 1];
    if (!cfg || (sha256 && client_pin_parse(sha256, hex) != 0))
        return config_refuse(cfg, "pin: a SHA-256 in 64 hex digits, a colon between bytes "
                                  "or none");
    snprintf(cfg->pin, sizeof cfg->pin, "%s", sha256 ? hex : "");
    return config_ok(cfg);
}

int ricochet_config_set_poll(struct ricochet_config *cfg, uint32_t wait_ms, uint32_t interval_ms)
{
    if (!cfg || wait_ms > RICOCHET_POLL_WAIT_MAX_MS ||
        (wait_ms == 0 && (interval_ms == 0 || interval_ms > RICOCHET_POLL_INTERVAL_MAX_MS)))
        return config_refuse(cfg, "poll: a long poll's wait 1-%d ms, or 0 and a short poll's "
                                  "interval 1-%d ms", RICOCHET_POLL_WAIT_MAX_MS,
                             RICOCHET_POLL_INTERVAL_MAX_MS);
    cfg->poll_short = wait_ms == 0;
    cfg->poll_wait_ms = wait_ms;
    cfg->poll_interval_ms = wait_ms == 0 ? interval_ms : 0;
    return config_ok(cfg);
}

int ricochet_config_set_reflect(struct ricochet_config *cfg, bool reflect)
{
    if (!cfg)
        return RICOCHET_E_INVALID;
    cfg->reflect = reflect;
    return config_ok(cfg);
}

int ricochet_config_set_aoi(struct ricochet_config *cfg, float radius)
{
    if (!cfg || !proto_aoi_valid(radius))
        return config_refuse(cfg, "radius %g: 0 (none) or 0.01..100000", (double)radius);
    cfg->aoi = radius;
    return config_ok(cfg);
}

int ricochet_config_set_timeout_ms(struct ricochet_config *cfg, uint32_t timeout_ms)
{
    if (!cfg || timeout_ms == 0 || timeout_ms > CONFIG_TIMEOUT_MAX_MS)
        return config_refuse(cfg, "timeout %" PRIu32 " ms: 1..%u", timeout_ms,
                             CONFIG_TIMEOUT_MAX_MS);
    cfg->timeout_ms = timeout_ms;
    return config_ok(cfg);
}

int ricochet_config_set_rejoin(struct ricochet_config *cfg, uint32_t window_ms)
{
    if (!cfg || window_ms > CONFIG_TIMEOUT_MAX_MS)
        return config_refuse(cfg, "rejoin window %" PRIu32 " ms: 0..%u", window_ms,
                             CONFIG_TIMEOUT_MAX_MS);
    cfg->rejoin_ms = window_ms;
    return config_ok(cfg);
}

int ricochet_config_set_rejoin_after(struct ricochet_config *cfg, uint32_t silent_ms)
{
    if (!cfg || silent_ms < 100 || silent_ms > CONFIG_TIMEOUT_MAX_MS)
        return config_refuse(cfg, "rejoin after %" PRIu32 " ms of silence: 100..%u",
                             silent_ms, CONFIG_TIMEOUT_MAX_MS);
    cfg->rejoin_after_ms = silent_ms;
    return config_ok(cfg);
}

int ricochet_config_set_ticket(struct ricochet_config *cfg, const char *ticket)
{
    struct ticket_claims claims;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    if (!cfg)
        return RICOCHET_E_INVALID;
    if (!ticket) {
        sodium_memzero(cfg->ticket, sizeof cfg->ticket);
        return config_ok(cfg);
    }
    /* as read from a file: the line's newline (or CRLF, a copy's spaces) is
     * not the ticket's */
    while (isspace((unsigned char)*ticket))
        ticket++;
    size_t len = strlen(ticket);
    while (len && isspace((unsigned char)ticket[len - 1]))
        len--;
    char text[RICOCHET_TICKET_MAX + 1];
    if (len > RICOCHET_TICKET_MAX)
        return config_refuse(cfg, "ticket: not one ricochet-ticket mint made, or cut short");
    memcpy(text, ticket, len);
    text[len] = '\0';
    int bad = ticket_read(text, &claims, pass, sizeof pass);
    sodium_memzero(&claims, sizeof claims);
    if (bad) {
        sodium_memzero(text, sizeof text);
        return config_refuse(cfg, "ticket: not one ricochet-ticket mint made, or cut short");
    }
    snprintf(cfg->ticket, sizeof cfg->ticket, "%s", text);
    sodium_memzero(text, sizeof text);
    return config_ok(cfg);
}

int ricochet_config_set_any_room(struct ricochet_config *cfg, bool any)
{
    if (!cfg)
        return RICOCHET_E_INVALID;
    cfg->any = any;
    return config_ok(cfg);
}

int ricochet_config_set_lobby(struct ricochet_config *cfg, bool lobby)
{
    if (!cfg)
        return RICOCHET_E_INVALID;
    cfg->lobby = lobby;
    return config_ok(cfg);
}

static void config_from_public(const struct ricochet_config *pub, struct client_config *cfg)
{
    *cfg = (struct client_config){.host = pub->host[0] ? pub->host : NULL,
                                  .port = pub->port,
                                  .room = pub->room[0] ? pub->room : NULL,
                                  .any = pub->any,
                                  .lobby = pub->lobby,
                                  .name = pub->name[0] ? pub->name : NULL,
                                  .mode = pub->mode,
                                  .reflect = pub->reflect,
                                  .aoi = pub->aoi,
                                  .timeout_ms = pub->timeout_ms,
                                  .rejoin_ms = pub->rejoin_ms,
                                  .rejoin_after_ms = pub->rejoin_after_ms,
                                  .ticket = pub->ticket[0] ? pub->ticket : NULL,
                                  .transport = pub->transport,
                                  .keylog = pub->keylog[0] ? pub->keylog : NULL,
                                  .pin = pub->pin[0] ? pub->pin : NULL,
                                  .poll_short = pub->poll_short,
                                  .poll_wait_ms = pub->poll_wait_ms,
                                  .poll_interval_ms = pub->poll_interval_ms};
}

/* ricochet_connect, with the socket's transport or the test double. */
static struct ricochet *connect_with(struct ricochet *(*create)(const struct client_config *,
                                                                 char *, size_t),
                                     const struct ricochet_config *cfg, char *err,
                                     size_t err_cap)
{
    char none[1];
    if (!err || err_cap == 0) {
        err = none;
        err_cap = sizeof none;
    }
    if (!cfg) {
        snprintf(err, err_cap, "client: no configuration");
        return NULL;
    }
    /* a refused relay, room or name: that refusal, not "none set" */
    const char *bad = cfg->bad_relay[0] ? cfg->bad_relay
                      : cfg->ticket[0]  ? ""
                      : cfg->bad_room[0] ? cfg->bad_room
                                         : cfg->bad_name;
    if (bad[0]) {
        snprintf(err, err_cap, "client: %s", bad);
        return NULL;
    }
    struct client_config cc;
    config_from_public(cfg, &cc);
    return create(&cc, err, err_cap);
}

struct ricochet *ricochet_connect(const struct ricochet_config *cfg, char *err, size_t err_cap)
{
    return connect_with(client_create, cfg, err, err_cap);
}

struct ricochet *client_connect_detached(const struct ricochet_config *cfg, char *err,
                                         size_t err_cap)
{
    return connect_with(client_create_detached, cfg, err, err_cap);
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

uint32_t client_next_seq(const struct ricochet *c)
{
    return c->next_seq;
}

void client_set_next_seq(struct ricochet *c, uint32_t seq)
{
    c->next_seq = seq;
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
