/* transport_enet_proof.c: return routability on the ENet edge (struct
 * enet_proofs; PROTOCOL.md, "Return routability (ENet)").
 *
 * ENet's handshake proves nothing about a source: its VERIFY_CONNECT can be
 * acknowledged blind (the slot is guessable, the session ids are the
 * client's own), and ENet then retransmits every reliable packet to the
 * address until it is acknowledged. So until a peer echoes a cookie sent
 * to its address (cookies.h), the core sees nothing of it: its requests
 * are answered with the cookie, unsequenced and never longer than they
 * were. What the core says to it meanwhile (a refusal at its connect: a
 * full relay, a ban) is held: it goes whole once the peer shows its
 * address, or as the disconnect's code alone, sent once, if it does not
 * within HELD_MS. A client from before cookies is told to upgrade, and
 * closed once it has taken that in (tell_to_upgrade). */
#include "transport_enet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <enet/time.h>

#include "sys/clock.h"
#include "relay/core/cookies.h"

/* A reply (an unsequenced command, 8 bytes, or a reliable one, 6, and the
 * acknowledgement of the request, 8) against a request (a reliable
 * command, 6): what the reply's payload must be shorter than the
 * request's by, so that the datagrams that answer are no longer than the
 * one that asked. */
#define REPLY_OVERHEAD 10
#define REPLIES_MAX 4 /* answers to one connection before its proof */
#define HELD_MS 1000  /* a refusal waits this long for the peer's proof */
#define TOLD_MS 2000  /* the upgrade error waits this long for its acknowledgement */

enum proof { PROOF_OLD, PROOF_ASKED, PROOF_SHOWN, PROOF_REFUSED };

int transport_enet_proof_init(struct relay_enet *t)
{
    if (getrandom(t->proofs.key, sizeof t->proofs.key, 0) != sizeof t->proofs.key)
        return -1;
    t->proofs.of = calloc(t->cfg.peer_cap, sizeof *t->proofs.of);
    return t->proofs.of ? 0 : -1;
}

void transport_enet_proof_free(struct relay_enet *t)
{
    for (size_t i = 0; t->proofs.of && i < t->cfg.peer_cap; i++)
        free(t->proofs.of[i].held);
    free(t->proofs.of);
}

void transport_enet_proof_connect(struct relay_enet *t, uint32_t idx, enet_uint32 data)
{
    free(t->proofs.of[idx].held);
    t->proofs.of[idx] = (struct enet_proof){
        .state = data == PROTO_ENET_ECHOES_COOKIES ? PROOF_ASKED : PROOF_OLD};
}

bool transport_enet_proven(const struct relay_enet *t, uint32_t idx)
{
    return t->proofs.of[idx].state == PROOF_SHOWN;
}

/* Closes peer idx with why as the disconnect's data: one DISCONNECT, not
 * resent (ENet gives up on it at its first retransmission timer, and
 * then tells us, as of a timeout). */
static void close_unproven(struct relay_enet *t, uint32_t idx, enum proto_error_code why)
{
    ENetPeer *p = &t->host->peers[idx];
    t->proofs.of[idx].state = PROOF_REFUSED;
    enet_peer_timeout(p, 1, 1, 1);
    enet_peer_disconnect_later(p, (enet_uint32)why);
    t->queued = true;
}

void transport_enet_proof_hold(struct relay_enet *t, uint32_t idx, const char *json, size_t len)
{
    struct enet_proof *pr = &t->proofs.of[idx];
    if (pr->held || !(pr->held = malloc(len))) /* the first says why: the rest, nothing */
        return;
    memcpy(pr->held, json, len);
    pr->held_len = len;
}

void transport_enet_proof_close(struct relay_enet *t, uint32_t idx, enum proto_error_code why)
{
    struct enet_proof *pr = &t->proofs.of[idx];
    if (pr->state == PROOF_OLD) { /* it could not show its address: the code alone */
        close_unproven(t, idx, why);
        return;
    }
    pr->closing = true;
    pr->why = (uint8_t)why;
    pr->closing_at = enet_time_get() + HELD_MS;
}

/* The refusal held for a peer that has just shown its address: whole,
 * reliable, then the close (as transport_enet_send.c's). */
static void send_held(struct relay_enet *t, uint32_t idx)
{
    struct enet_proof *pr = &t->proofs.of[idx];
    ENetPeer *p = &t->host->peers[idx];
    ENetPacket *pk = pr->held ? enet_packet_create(pr->held, pr->held_len,
                                                   ENET_PACKET_FLAG_RELIABLE) : NULL;
    if (pk && enet_peer_send(p, PROTO_CHANNEL_CONTROL, pk) != 0)
        enet_packet_destroy(pk);
    free(pr->held);
    pr->held = NULL;
    enet_peer_disconnect_later(p, pr->why);
    t->queued = true;
}

void transport_enet_proof_sweep(struct relay_enet *t, uint32_t idx, enet_uint32 now)
{
    struct enet_proof *pr = &t->proofs.of[idx];
    if (pr->closing && pr->state == PROOF_ASKED && ENET_TIME_GREATER_EQUAL(now, pr->closing_at))
        close_unproven(t, idx, (enum proto_error_code)pr->why);
}

/* json to peer idx, unsequenced, if no longer than the request allows
 * and the connection has had fewer than REPLIES_MAX. Not within the
 * budgets of replies to strangers (strangers.h): a peer has done a
 * handshake, and at 1x what a forger gets is what it sent; a connection
 * gets few, and --join-timeout-ms ends it. */
static void reply(struct relay_enet *t, uint32_t idx, const char *json, size_t request_len)
{
    size_t len = strlen(json);
    if (len + REPLY_OVERHEAD > request_len || t->proofs.of[idx].replies >= REPLIES_MAX)
        return;
    t->proofs.of[idx].replies++;
    ENetPacket *pk = enet_packet_create(json, len, ENET_PACKET_FLAG_UNSEQUENCED);
    if (pk && enet_peer_send(&t->host->peers[idx], PROTO_CHANNEL_CONTROL, pk) == 0) {
        t->queued = true;
        return;
    }
    if (pk)
        enet_packet_destroy(pk);
    transport_enet_count(t, RELAY_DROP_SEND_FAILED);
}

/* A client from before cookies, at its first message (request_len
 * bytes): the upgrade error, reliable, then the close. The close waits for
 * the error's acknowledgement: an ENet client that reads a DISCONNECT in
 * the same service as a packet it has not handed over yet drops that
 * packet (enet_peer_reset_queues), so a close right behind the error
 * could take it along. ENet resends either only within what the source
 * sent (enet_ledger.h) and gives up TOLD_MS after the first went
 * unacknowledged. An error longer than the request allows goes as the
 * DISCONNECT's code alone, once. */
static void tell_to_upgrade(struct relay_enet *t, uint32_t idx, size_t request_len)
{
    static const char upgrade[] =
        "{\"type\":\"error\",\"code\":\"bad_version\",\"message\":\"upgrade\"}";
    ENetPeer *p = &t->host->peers[idx];
    transport_enet_count(t, RELAY_DROP_BAD_VERSION);
    ENetPacket *pk = sizeof upgrade - 1 + REPLY_OVERHEAD <= request_len
                         ? enet_packet_create(upgrade, sizeof upgrade - 1,
                                              ENET_PACKET_FLAG_RELIABLE)
                         : NULL;
    if (!pk || enet_peer_send(p, PROTO_CHANNEL_CONTROL, pk) != 0) {
        if (pk) {
            enet_packet_destroy(pk);
            transport_enet_count(t, RELAY_DROP_SEND_FAILED);
        }
        close_unproven(t, idx, PROTO_ERROR_BAD_VERSION);
        return;
    }
    t->proofs.of[idx].state = PROOF_REFUSED;
    enet_peer_timeout(p, 1, TOLD_MS, TOLD_MS);
    enet_peer_disconnect_later(p, PROTO_ERROR_BAD_VERSION);
    t->queued = true;
}

/* The cookie echoed by what came (a control message's "cookie" field)? A
 * `cookie` message, the echo alone, is for no one else: *echo_only. */
static bool echoes(const struct relay_enet *t, const union netaddr *from, const cJSON *o,
                   bool *echo_only)
{
    const cJSON *cookie = cJSON_GetObjectItemCaseSensitive(o, "cookie");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    *echo_only = cJSON_IsString(type) && strcmp(type->valuestring, "cookie") == 0;
    return cJSON_IsString(cookie) &&
           cookies_valid(t->proofs.key, from, cookie->valuestring, clock_now_us());
}

bool transport_enet_proof_pass(struct relay_enet *t, uint32_t idx, uint8_t channel,
                               const ENetPacket *pk)
{
    enum proof state = (enum proof)t->proofs.of[idx].state;
    if (state == PROOF_SHOWN)
        return true;
    if (state == PROOF_REFUSED)
        return false; /* closing: what it still sends is nobody's */
    union netaddr from = transport_enet_address(&t->host->peers[idx].address);
    bool json = channel == PROTO_CHANNEL_CONTROL && pk->dataLength > 0 && pk->data[0] == '{';
    cJSON *o = json ? cJSON_ParseWithLength((const char *)pk->data, pk->dataLength) : NULL;
    bool echo_only = false;
    bool parsed = o != NULL, shown = parsed && echoes(t, &from, o, &echo_only);
    cJSON_Delete(o);
    if (shown) {
        t->proofs.of[idx].state = PROOF_SHOWN;
        if (!t->proofs.of[idx].closing)
            return !echo_only;
        send_held(t, idx); /* the core has closed it: nothing more for the core */
        return false;
    }
    if (state == PROOF_OLD) { /* a client that cannot echo a cookie */
        tell_to_upgrade(t, idx, pk->dataLength);
        return false;
    }
    transport_enet_count(t, RELAY_DROP_UNVERIFIED);
    if (!parsed) /* a state, an event, garbage: nothing to answer */
        return false;
    char cookie[COOKIE_TEXT_LEN + 1], msg[64];
    cookies_write(t->proofs.key, &from, clock_now_us(), cookie);
    snprintf(msg, sizeof msg, "{\"type\":\"cookie\",\"cookie\":\"%s\"}", cookie);
    reply(t, idx, msg, pk->dataLength);
    return false;
}
