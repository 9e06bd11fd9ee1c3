/* ricochet_config.c: the public API's configuration (ricochet.h's
 * ricochet_config_*): each setter checks its value and says why it refuses
 * one, and ricochet_connect turns a configuration into a session
 * (client.c's client_create). */
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

#include "proto/player.h"
#include "proto/ticket.h"
#include "sys/log.h"

#define CONFIG_TIMEOUT_MAX_MS 3600000u
#define CONFIG_PATH_MAX 4095 /* bytes of a key log's path */
#define CONFIG_MORE_RELAYS 7 /* ricochet_config_add_relay's, beside the first */

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
    char more_relays[CONFIG_MORE_RELAYS * 264]; /* "HOST:PORT,...": ricochet_config_add_relay */
    unsigned n_more_relays;
    char ticket[RICOCHET_TICKET_MAX + 1]; /* "" = none */
    enum ricochet_transport transport;
    char keylog[CONFIG_PATH_MAX + 1];     /* "" = none */
    char pin[CLIENT_PIN_HEX + 1];         /* "" = none */
    char key[PROTO_KEY_LEN + 1];          /* an earlier session's player key ("" = none) */
    bool poll_short;                      /* ricochet_config_set_poll's: wait_ms 0 */
    uint32_t poll_wait_ms, poll_interval_ms; /* ... 0: the defaults */
    bool any;                             /* room is a prefix: any room with space */
    bool lobby;                           /* join nothing: ricochet_join later */
    struct client_room_ask room_ask;      /* what the join asks of its room */
    char error[RICOCHET_TEXT_MAX + 1];    /* the last setter's refusal ("" = none) */
    char bad_relay[RICOCHET_TEXT_MAX + 1]; /* a refused relay, room or name, which */
    char bad_room[RICOCHET_TEXT_MAX + 1];  /* ricochet_connect refuses in turn until */
    char bad_name[RICOCHET_TEXT_MAX + 1];  /* a good one is set ("" = none) */
};

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
    if (cfg) {
        sodium_memzero(cfg->ticket, sizeof cfg->ticket); /* it holds keys */
        sodium_memzero(cfg->key, sizeof cfg->key);       /* a player's secret */
    }
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

int ricochet_config_set_key(struct ricochet_config *cfg, const char *key)
{
    if (!cfg)
        return RICOCHET_E_INVALID;
    if (key && key[0] && !proto_key_valid(key))
        return config_refuse(cfg, "key: 32 lowercase hex digits, as ricochet_key gave it");
    snprintf(cfg->key, sizeof cfg->key, "%s", key ? key : "");
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

int ricochet_config_add_relay(struct ricochet_config *cfg, const char *host, uint16_t port)
{
    char one[264];
    size_t len = cfg ? strlen(cfg->more_relays) : 0;
    if (!cfg || !host || !*host || strlen(host) > 255 || strchr(host, ',') || port == 0)
        return config_refuse(cfg, "another relay: a host name or address of 1-255 bytes "
                                  "(no comma) and a port 1-65535");
    if (cfg->n_more_relays == CONFIG_MORE_RELAYS)
        return config_refuse(cfg, "another relay: %d at most", CONFIG_MORE_RELAYS);
    netaddr_host_port(host, port, one, sizeof one);
    snprintf(cfg->more_relays + len, sizeof cfg->more_relays - len, "%s%s", len ? "," : "",
             one);
    cfg->n_more_relays++;
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

/* key = value added to props (key NULL: props cleared). */
static int config_prop(struct ricochet_config *cfg, struct proto_props *props,
                       const char *field, const char *key, const char *value)
{
    char why[RICOCHET_TEXT_MAX + 1];
    if (!cfg)
        return RICOCHET_E_INVALID;
    if (!key) {
        memset(props, 0, sizeof *props);
        return config_ok(cfg);
    }
    if (proto_props_add(props, field, key, value ? value : "", why, sizeof why) != 0)
        return config_refuse(cfg, "%s", why);
    return config_ok(cfg);
}

int ricochet_config_set_room_prop(struct ricochet_config *cfg, const char *key,
                                  const char *value)
{
    return config_prop(cfg, cfg ? &cfg->room_ask.props : NULL, "props", key, value);
}

int ricochet_config_set_room_match(struct ricochet_config *cfg, const char *key,
                                   const char *value)
{
    return config_prop(cfg, cfg ? &cfg->room_ask.match : NULL, "match", key, value);
}

int ricochet_config_set_room_size(struct ricochet_config *cfg, uint32_t size)
{
    if (!cfg)
        return RICOCHET_E_INVALID;
    if (size > PROTO_ROOM_SIZE_MAX)
        return config_refuse(cfg, "room size %u: 1..%d (0: the relay's)", (unsigned)size,
                             PROTO_ROOM_SIZE_MAX);
    cfg->room_ask.size = size;
    return config_ok(cfg);
}

int ricochet_config_set_room_listed(struct ricochet_config *cfg, bool listed)
{
    if (!cfg)
        return RICOCHET_E_INVALID;
    cfg->room_ask.unlisted = !listed;
    return config_ok(cfg);
}

int ricochet_config_set_room_open(struct ricochet_config *cfg, bool open)
{
    if (!cfg)
        return RICOCHET_E_INVALID;
    cfg->room_ask.closed = !open;
    return config_ok(cfg);
}

int ricochet_config_set_room_exists(struct ricochet_config *cfg, bool exists)
{
    if (!cfg)
        return RICOCHET_E_INVALID;
    cfg->room_ask.exists = exists;
    return config_ok(cfg);
}

int ricochet_config_set_lockstep(struct ricochet_config *cfg, const struct ricochet_lockstep *ls)
{
    if (!cfg)
        return RICOCHET_E_INVALID;
    if (!ls) {
        cfg->room_ask.lockstep = false;
        return config_ok(cfg);
    }
    struct proto_lockstep_settings s = {.hz = ls->hz, .delay = ls->delay, .slots = ls->slots,
                                        .input_max = ls->input_max,
                                        .stand_in_last = ls->stand_in_last,
                                        .check_every = ls->check_every,
                                        .spectator_delay = ls->spectator_delay};
    char why[RICOCHET_TEXT_MAX + 1];
    if (proto_lockstep_valid(&s, why, sizeof why) != 0)
        return config_refuse(cfg, "%s", why);
    cfg->room_ask.lockstep = true;
    cfg->room_ask.ls = s;
    return config_ok(cfg);
}

int ricochet_config_set_spectator(struct ricochet_config *cfg, bool spectator)
{
    if (!cfg)
        return RICOCHET_E_INVALID;
    cfg->room_ask.spectator = spectator;
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
                                  .room_ask = &pub->room_ask,
                                  .aoi = pub->aoi,
                                  .timeout_ms = pub->timeout_ms,
                                  .rejoin_ms = pub->rejoin_ms,
                                  .rejoin_after_ms = pub->rejoin_after_ms,
                                  .more_relays = pub->more_relays,
                                  .ticket = pub->ticket[0] ? pub->ticket : NULL,
                                  .transport = pub->transport,
                                  .keylog = pub->keylog[0] ? pub->keylog : NULL,
                                  .pin = pub->pin[0] ? pub->pin : NULL,
                                  .key = pub->key[0] ? pub->key : NULL,
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
