/* client_fleet.c: a session in a fleet of relays (proto/FLEET.md): a
 * relay's moved sends it to the relay that holds its room (at most
 * CLIENT_HOPS_MAX hops per join), and a session that lost its relay joins
 * again through the address it started from, within its rejoin window.
 * Either way the hop itself happens at the next poll (client_hop), never
 * inside the transport that received the news. */
#include "client.h"
#include "client_internal.h"

#include <stdio.h>
#include <string.h>

#include "../sys/clock.h"
#include "../sys/log.h"
#include "../sys/netaddr.h"

/* Codes of a relay lost (not of a refusal): a fleet's session rejoins. */
static bool relay_lost(const char *code)
{
    static const char *const lost[] = {RICOCHET_END_TIMEOUT, RICOCHET_END_DISCONNECTED,
                                       RICOCHET_END_REFUSED, "shutting_down",
                                       "directory_unavailable", "moved"};
    for (size_t i = 0; i < sizeof lost / sizeof lost[0]; i++)
        if (strcmp(code, lost[i]) == 0)
            return true;
    return false;
}

/* A fleet's session that lost its relay joins again through the address it
 * started from, within its rejoin window; true if it will. */
bool client_rejoin(struct ricochet *c, const char *code)
{
    uint64_t now = clock_now_us();
    if (!c->rejoin_ms || !(c->was_joined || c->lost_us) || !relay_lost(code) ||
        (c->lost_us && now - c->lost_us > (uint64_t)c->rejoin_ms * 1000u))
        return false;
    if (!c->lost_us) {
        c->lost_us = now;
        log_info("client %s: relay %s:%u lost (%s): joining again through %s:%u", c->name,
                 c->host, (unsigned)c->port, code, c->entry_host, (unsigned)c->entry_port);
    }
    client_hold_start(c);
    client_hold_unforwarded(c, false, 0); /* what the lost relay passed on is unknown */
    c->ops->hang_up(c);
    c->hop_pending = true;
    c->hop_at_us = now + REJOIN_PAUSE_US; /* a refusal comes fast: do not spin */
    snprintf(c->hop_host, sizeof c->hop_host, "%s", c->entry_host);
    c->hop_port = c->entry_port;
    c->hop_epoch = 0;
    c->hops = 0;
    snprintf(c->hop_code, sizeof c->hop_code, "rejoin");
    return true;
}

/* A fleet's relay sends me to the one that holds my room: at most
 * CLIENT_HOPS_MAX times per join, never back to a relay of this join. The
 * hop itself happens at the next poll (this runs inside the transport). */
void client_on_moved(struct ricochet *c, const struct proto_control *m)
{
    char to[NETADDR_STR_MAX], text[PROTO_TEXT_MAX + 1];
    netaddr_host_port(m->host, m->port, to, sizeof to);
    if (strcmp(m->room, c->room) != 0 || c->phase == PHASE_DEAD) {
        client_bad_message(c, "moved for another room", PROTO_E_VALUE);
        return;
    }
    if (!(c->caps.modes & (1u << (m->transport == PROTO_MODE_UDP ? PROTO_MODE_UDP
                                                                   : PROTO_MODE_UNSEQUENCED)))) {
        client_wrong_transport(c, m->transport == PROTO_MODE_UDP ? "udp" : "enet",
                               "its room lives on a relay of the other transport");
        return;
    }
    netaddr_host_port(c->host, c->port, c->visited[c->hops], sizeof c->visited[0]);
    bool back = false;
    for (unsigned i = 0; i <= c->hops; i++)
        back |= strcmp(c->visited[i], to) == 0;
    if (back || c->hops >= CLIENT_HOPS_MAX) {
        snprintf(text, sizeof text, "%s %s after %s", back ? "sent back to" : "sent on to",
                 to, c->visited[0]);
        client_go_dead(c, RICOCHET_END_MOVED_TOO_FAR, text);
        return;
    }
    c->hops++;
    client_hold_start(c);
    client_hold_unforwarded(c, m->forwarded, m->seq);
    c->ops->hang_up(c);
    c->hop_pending = true;
    c->hop_at_us = 0;
    snprintf(c->hop_host, sizeof c->hop_host, "%s", m->host);
    c->hop_port = m->port;
    c->hop_epoch = m->epoch;
    snprintf(c->hop_code, sizeof c->hop_code, "moved");
}

/* Goes to hop_host:hop_port: a fresh link, the join again (with the
 * moved's epoch), the room's members forgotten (a WELCOME lists them).
 * Fills *ev with the MOVED event; returns 1, or 0 if the session died. */
int client_hop(struct ricochet *c, struct ricochet_event *ev)
{
    char err[256];
    c->hop_pending = false;
    c->ops->close(c); /* the link is hung up already: nothing to wait for */
    snprintf(c->host, sizeof c->host, "%s", c->hop_host);
    c->port = c->hop_port;
    c->join_epoch = c->hop_epoch;
    c->phase = PHASE_CONNECTING;
    c->id = 0;
    client_members_clear(c);
    c->remove_pending = c->rejoin_pending = c->fail_after_event = false;
    c->farewell_code[0] = c->cookie[0] = '\0';
    c->join_started_us = c->next_join_us = clock_now_us();
    memset(&c->clock, 0, sizeof c->clock);
    memset(&c->announced, 0, sizeof c->announced);
    c->clock_samples = c->ping_backoff = 0;
    c->clock_changed = false;
    c->next_ping_us = 0;
    client_ticket_restart(c); /* the next relay draws the next session's salt */
    struct client_config cfg = {.host = c->host, .port = c->port, .room = c->room,
                                .name = c->name, .mode = c->mode, .reflect = c->reflect,
                                .timeout_ms = c->timeout_ms, .hub = c->hub, .user = c->user};
    if (netaddr_resolve(c->host, c->port, &c->relay, err, sizeof err) != 0 ||
        c->ops->open(c, &cfg, err, sizeof err) != 0) {
        client_go_dead(c, RICOCHET_END_REFUSED, err);
        return 0;
    }
    memset(ev, 0, sizeof *ev);
    ev->type = RICOCHET_EV_MOVED;
    ev->recv_us = clock_now_us();
    snprintf(ev->code, sizeof ev->code, "%s", c->hop_code);
    netaddr_host_port(c->host, c->port, ev->text, sizeof ev->text);
    log_info("client %s: %s: joining %s at %s", c->name, c->hop_code, c->room, ev->text);
    return 1;
}
