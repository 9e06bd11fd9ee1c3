/* quic_relay.c: a relay with a quic edge and its QUIC members (see
 * quic_relay.h). */
#include "quic_relay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

void edges_start(struct edges *e, const char *const *more)
{
    static const char *const schemes[] = {"quic", "ws", "webrtc", "enet", NULL};
    uint16_t port[4];
    harness_start_edges(&e->relay, schemes, more, port);
    e->quic = port[0];
    e->ws = port[1];
    e->webrtc = port[2];
    e->enet = port[3];
}

void edges_stop(struct edges *e)
{
    free(harness_relay_finish(&e->relay));
    spawn_free(&e->relay);
}

struct ricochet *quic_client_over(uint16_t port, const char *room, const char *name,
                                  enum proto_mode mode, const char *pin,
                                  enum ricochet_transport transport)
{
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room, .name = name,
                                .mode = mode, .timeout_ms = 5000, .pin = pin,
                                .transport = transport};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s): %s", name, err);
    return c;
}

struct ricochet *quic_client(uint16_t port, const char *room, const char *name,
                             enum proto_mode mode, const char *pin)
{
    return quic_client_over(port, room, name, mode, pin, RICOCHET_TRANSPORT_QUIC);
}
