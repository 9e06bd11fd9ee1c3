/* raw.h: hand-driven sockets for tests that must send what the client
 * library never would: plain UDP datagrams and an ENet peer that sends any
 * bytes on any channel, to a relay on 127.0.0.1. Every wait is bounded;
 * failures to set up fail the test (cmocka). */
#ifndef RICOCHET_TEST_RAW_H
#define RICOCHET_TEST_RAW_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <enet/enet.h>

#include "proto/control.h"

/* 127.0.0.1:port. */
struct sockaddr_in raw_loopback(uint16_t port);

/* Reads fd empty (non-blocking); returns the bytes read and adds the
 * datagrams to *datagrams when not NULL. */
uint64_t raw_udp_drain(int fd, uint64_t *datagrams);

/* Waits up to ms for the next control datagram on fd, decoded into out.
 * Returns 0, or -1 if none came. */
int raw_udp_next(int fd, int ms, struct proto_control *out);

/* Waits up to ms for a control datagram of type (and code if not NULL) on
 * fd, decoded into out. Returns 0, or -1 if none came. */
int raw_udp_expect(int fd, enum proto_ctl_type type, const char *code, int ms,
                   struct proto_control *out);

/* A field of the host's "Udp:" counters (/proc/net/snmp), for drops the
 * kernel made; -1 if unreadable. */
long long raw_udp_snmp(const char *field);

/* Moves the process into a network namespace of its own, its loopback up,
 * so the kernel's counters (raw_udp_snmp) count only its own traffic; the
 * relays it spawns go with it. Returns 0, or -1 with errno set. */
int raw_own_netns(void);

/* What a relay's stats line (harness_stats_field) counts as lost: its
 * drops by reason, and what its ENet edge held back on the way out. */
long long raw_relay_losses(const char *stats, bool final);

/* A proxy on 127.0.0.1 between the clients of one address (near) and a
 * relay (far) that carries every datagram but the relay's cookies
 * ("type":"cookie", or the message type drop_type names), while drop_left
 * lasts, and counts the joins the clients sent ("type":"join"). */
struct raw_cookie_proxy {
    int near, far;             /* the clients' side (bound), the relay's (connected) */
    struct sockaddr_in client; /* where the clients send from */
    bool client_known;
    int drop_left;             /* datagrams still to drop: set by the test */
    const char *drop_type;     /* NULL: "cookie" */
    int cookies_dropped, joins; /* cookies_dropped: of drop_type */
};

void raw_cookie_proxy_open(struct raw_cookie_proxy *px, uint16_t relay_port);
uint16_t raw_cookie_proxy_port(const struct raw_cookie_proxy *px);
/* Carries what waits on either side, now (never blocks). */
void raw_cookie_proxy_pump(struct raw_cookie_proxy *px);
void raw_cookie_proxy_close(struct raw_cookie_proxy *px);

/* A hand-driven ENet peer: sends whatever bytes on whatever channel. */
struct raw_enet {
    ENetHost *host;
    ENetPeer *peer;
    bool disconnected;
    uint32_t id;               /* from the welcome */
    char last_error[PROTO_CODE_MAX + 1]; /* code of the last error received */
    uint64_t states_received;
};

/* Services re for ms: remembers the welcome's id and the last error, counts
 * states, notes a disconnect; with found, stops early once a control of
 * type want (and code if not NULL) arrived, decoded into out (may be NULL
 * without found), and sets *found. */
void raw_enet_service(struct raw_enet *re, int ms, enum proto_ctl_type want,
                      const char *code, int *found, struct proto_control *out);

/* Connects to 127.0.0.1:port with `channels` channels (throttle off), the
 * CONNECT carrying data (PROTO_ENET_ECHOES_COOKIES, or 0 as a client from
 * before cookies); proves nothing. Returns 0, or -1 if not connected
 * within ms. */
int raw_enet_connect(struct raw_enet *re, uint16_t port, size_t channels, enet_uint32 data,
                     int ms);

/* Shows the relay that peer (of host, connected) receives at its address:
 * asks for a cookie and echoes it (PROTOCOL.md, return routability).
 * Returns 0, or -1 if no cookie came within ms. */
int raw_enet_prove(ENetHost *host, ENetPeer *peer, int ms);

/* Connects to 127.0.0.1:port with `channels` channels (throttle off) and
 * proves (with every ricochet channel; with fewer the relay refuses it).
 * Returns 0, or -1 if not done within ms (5 s for the other two). */
int raw_enet_open_within(struct raw_enet *re, uint16_t port, size_t channels, int ms);
int raw_enet_open_channels(struct raw_enet *re, uint16_t port, size_t channels);
int raw_enet_open(struct raw_enet *re, uint16_t port);

/* Sends len bytes on channel with ENet packet flags, flushed at once. */
void raw_enet_send(struct raw_enet *re, uint8_t channel, uint32_t flags, const void *bytes,
                   size_t len);

/* Services until a control of type (and code if not NULL) arrives, up to
 * ms. Returns 0 with it in out, or -1. */
int raw_enet_expect(struct raw_enet *re, enum proto_ctl_type type, const char *code, int ms,
                    struct proto_control *out);

/* Sends a join (room, name, mode) and services until the welcome, up to
 * ms. Returns 0 with re->id set, or -1. */
int raw_enet_join(struct raw_enet *re, const char *room, const char *name,
                  enum proto_mode mode, int ms);

/* Disconnects (now) and destroys the host; safe on a closed one. */
void raw_enet_close(struct raw_enet *re);

/* A state datagram from sender with seq, sent now, zero-padded to len (at
 * least PROTO_STATE_SIZE) in buf (cap bytes). Returns its length. */
size_t raw_state_bytes(uint8_t *buf, size_t cap, uint32_t sender, uint32_t seq, size_t len);

#endif
