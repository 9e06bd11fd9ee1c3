/* session.h: a session of clients (client library) of a spawned relay,
 * honest or not, for abuse tests: each sends at its own rate (the swarm
 * driver, client/swarm/swarm.h: client i of the session is the swarm's adopted
 * client i) while a hook misbehaves next to them; events are counted per
 * receiver (states by sender, errors, left notices, disconnects), so a test
 * can tell what the honest ones still got. */
#ifndef RICOCHET_TEST_SESSION_H
#define RICOCHET_TEST_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/lib/client.h"
#include "client/swarm/swarm.h"
#include "proto/control.h"

#define SESSION_MAX_PEERS 64

struct session {
    struct swarm *sw;                   /* drives the clients (NULL until the first) */
    struct ricochet *c[SESSION_MAX_PEERS]; /* swarm_client(sw, i), for the tests */
    size_t n;
    bool honest[SESSION_MAX_PEERS];
    uint64_t sent[SESSION_MAX_PEERS];   /* states sent (failed sends not counted) */
    uint32_t id[SESSION_MAX_PEERS];     /* relay id once welcomed */
    bool dead[SESSION_MAX_PEERS];       /* DISCONNECTED seen */
    uint64_t got_from[SESSION_MAX_PEERS][SESSION_MAX_PEERS]; /* states receiver <- sender index */
    uint64_t got_unknown[SESSION_MAX_PEERS];         /* states from ids not in the session */
    uint64_t got_as_self[SESSION_MAX_PEERS];         /* states stamped with my own id */
    char errors[SESSION_MAX_PEERS][8][PROTO_CODE_MAX + 1]; /* first error codes received */
    size_t n_errors[SESSION_MAX_PEERS];
    int kicked_error_at[SESSION_MAX_PEERS]; /* index in errors of "kicked", -1 */
    uint32_t left_id[SESSION_MAX_PEERS][8]; /* left notices: id and reason */
    enum proto_left_reason left_reason[SESSION_MAX_PEERS][8];
    size_t n_left[SESSION_MAX_PEERS];
};

/* Zeroes s (no client yet). */
void session_init(struct session *s);

/* Adds a client of 127.0.0.1:port in room, sending rate_hz states a second
 * while the session runs (0: never). Returns its index, or -1 (message on
 * stderr). */
int session_add(struct session *s, uint16_t port, const char *room, const char *name,
                enum proto_mode mode, bool honest, double rate_hz);

/* session_add for a client the test created (its own config); the session
 * owns it from then on. Returns its index, or -1 (message on stderr). */
int session_adopt(struct session *s, struct ricochet *c, const char *name, bool honest,
                  double rate_hz);

/* Did client i receive an error with code? */
bool session_has_error(const struct session *s, size_t i, const char *code);

/* Services until every client in [from, to) is welcomed and sees the others
 * of that range; fails the test after 15 s. */
void session_wait_ready(struct session *s, size_t from, size_t to);

/* Runs the session for ms: each client sends at its rate from now (a send
 * while not joined fails and is not counted); hook(ctx) runs after every
 * step of the swarm (the abuse; a few ms apart at most). Then ms_drain of
 * servicing only, so reliable resends and late datagrams arrive. */
void session_run(struct session *s, int ms, int ms_drain, void (*hook)(void *ctx),
                 void *hook_ctx);

/* Delivery among honest clients: received / sent over every ordered pair
 * (got and want stored when not NULL). */
double session_delivery(const struct session *s, uint64_t *got_out, uint64_t *want_out);

/* Destroys every client (the swarm). */
void session_free(struct session *s);

struct CMUnitTest;

/* The main of an abuse test binary: SIGPIPE ignored, ENet initialised, the
 * n tests run as group name, every child killed. Returns the exit status. */
int session_run_tests(const char *name, const struct CMUnitTest *tests, size_t n);

#endif
