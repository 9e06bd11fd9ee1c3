/* targets.h: fuzz entry points shared by the libFuzzer programs
 * (tests/fuzz/fuzz_*.c) and the deterministic run in make test
 * (tests/test_fuzz_smoke.c, which #includes the target_*.c files).
 *
 * Each entry takes arbitrary bytes, feeds them to one module that reads
 * network bytes, and checks that module's invariants. A broken invariant
 * prints "fuzz check failed: file:line: what" and aborts: libFuzzer saves the
 * input; the smoke test's SIGABRT handler prints it in hex. Returns 0. */
#ifndef RICOCHET_FUZZ_TARGETS_H
#define RICOCHET_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz check failed: %s:%d: %s\n", __FILE__,      \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* The fuzz input as a stream of bytes for targets that turn it into a
 * sequence of operations; 0 once it is used up. */
struct fuzz_input {
    const uint8_t *p;
    size_t left;
};

static inline uint8_t fuzz_byte(struct fuzz_input *in)
{
    if (!in->left)
        return 0;
    in->left--;
    return *in->p++;
}

/* The next len bytes of the input in a new zeroed buffer of len bytes (at
 * least 1), fewer where the input runs out (the rest stays 0). The caller
 * frees it. */
static inline uint8_t *fuzz_take(struct fuzz_input *in, size_t len)
{
    uint8_t *buf = calloc(1, len ? len : 1);
    FUZZ_CHECK(buf != NULL);
    size_t take = len < in->left ? len : in->left;
    memcpy(buf, in->p, take);
    in->p += take;
    in->left -= take;
    return buf;
}

/* proto_state_decode: error codes, untouched output on error, re-encode
 * gives the same bytes, stamping changes only the sender. */
int fuzz_target_state(const uint8_t *data, size_t size);

/* proto_control_decode: no over-read (the input is not NUL-terminated),
 * and decode -> encode -> decode gives an equal message. */
int fuzz_target_control(const uint8_t *data, size_t size);

/* The relay core's input path through a fake transport (target_relay.c). */
int fuzz_target_relay(const uint8_t *data, size_t size);

/* Room scripts (relay/script) on a fake transport: a script that uses
 * every hook and call driven by arbitrary joins, events, states and time
 * (target_script.c). */
int fuzz_target_script(const uint8_t *data, size_t size);

/* The netsim core's queue: counts conserved, bytes delivered intact, order
 * kept without reorder (target_netsim.c). */
int fuzz_target_netsim(const uint8_t *data, size_t size);

/* The client library's receive path through client_receive() on a detached
 * client: events, member table, receive stats (target_client.c). */
int fuzz_target_client(const uint8_t *data, size_t size);

/* statescan_datagram over udp or ENet bytes: no over-read, every state found
 * fits the input (target_statescan.c). */
int fuzz_target_statescan(const uint8_t *data, size_t size);

/* ticket_verify, ticket_read and seal_open: known codes only, and what they
 * accept is valid (target_ticket.c). */
int fuzz_target_ticket(const uint8_t *data, size_t size);

/* The WebRTC edge's readers: STUN, SDP offers, DCEP opens, and a host's
 * input from a checked address answering never more bytes than it got
 * (target_webrtc.c). */
int fuzz_target_webrtc(const uint8_t *data, size_t size);

/* What the QUIC edge and libricochet's QUIC transport read themselves
 * (target_quic.c): a stream's frames (proto/quicmsg.c's reader) read the
 * same whatever the cut, no message over its bound; a datagram's channel
 * byte; a stream's bytes out handed over and acknowledged in any cut; and
 * the edge's router fed datagrams from strangers: answered within three
 * times their bytes, no connection kept. */
int fuzz_target_quic(const uint8_t *data, size_t size);

/* The QUIC edge past the handshake (target_quicedge.c): two connections
 * brought up once (ALPN ricochet and h3), then the bytes of a client's
 * streams (the control stream, its own, WebTransport's with their
 * preambles, HTTP/3's) and DATAGRAM frames through the edge's callbacks
 * into a core; the edge's counts and the core's peers agree, and what the
 * edge queues back is what a client reads. */
int fuzz_target_quicedge(const uint8_t *data, size_t size);

/* libricochet's QUIC transport past the handshake (target_quicclient.c):
 * what its connection hands it (the control stream, the CONNECT's answer,
 * senders' streams and their WebTransport preambles, datagrams) up to the
 * messages it queues for the session, each the way it came. */
int fuzz_target_quicclient(const uint8_t *data, size_t size);

/* The relay's HTTP front: request heads parsed, routed and
 * answered (target_http.c). */
int fuzz_target_http(const uint8_t *data, size_t size);

/* What the local HTTP servers read besides libmicrohttpd's parsing
 * (target_localhttp.c): a Host header's value against the server's
 * address (sys/httpd.c), PUT /model's body as netsim reads it
 * (netsim_model_apply) and as the lesson's page server does
 * (live_controls_to_model, then netsim), and the page's own controls, which
 * both must take. */
int fuzz_target_localhttp(const uint8_t *data, size_t size);

/* WebTransport's HTTP/3 as the quic edge reads it (target_h3.c): frames
 * read the same whatever the cut, kept ones within their bound; SETTINGS;
 * a CONNECT's header block through nghttp3's QPACK decoder, answered; a
 * datagram's quarter stream ID and varints. */
int fuzz_target_h3(const uint8_t *data, size_t size);

/* ippacket_parse, netsim's IP mode reading a packet: what it reads is at
 * its place in the headers and inside the total length (target_ippacket.c). */
int fuzz_target_ippacket(const uint8_t *data, size_t size);

/* tcpstream_segment: a stream cut into segments anyhow names the states the
 * whole stream names (target_tcpstream.c). */
int fuzz_target_tcpstream(const uint8_t *data, size_t size);

/* The relay's guards in front of ENet and the ENet wire reader under them
 * (target_enetguard.c). */
int fuzz_target_enetguard(const uint8_t *data, size_t size);

/* dtlsview_datagram, netsim reading states inside DTLS: records sealed
 * under the flow's keys open (target_dtlsview.c). */
int fuzz_target_dtlsview(const uint8_t *data, size_t size);

/* quicview_datagram, netsim reading states inside QUIC: packets sealed
 * under the flow's keys open (target_quicview.c). */
int fuzz_target_quicview(const uint8_t *data, size_t size);

/* The clients' key log as netsim reads it while it grows (dtlsview.c):
 * every line of the clients' form found, the same read whole or in two
 * (target_keylog.c). */
int fuzz_target_keylog(const uint8_t *data, size_t size);

/* netsim's drop log as the audit and the lesson read it (audit_log.c):
 * each line's fields, the log's states found by their keys; and the lines
 * netsim writes read back (target_droplog.c). */
int fuzz_target_droplog(const uint8_t *data, size_t size);

/* flowscan, netsim reading a flow's datagrams: the wire its first shows,
 * each read as that wire's reader reads it, the states shown for the first
 * time (target_flowscan.c). */
int fuzz_target_flowscan(const uint8_t *data, size_t size);

/* The relay's WebSocket edge once upgraded: a connection's frames, the
 * answer's framing and close codes, no peer kept (target_wsframes.c). */
int fuzz_target_wsframes(const uint8_t *data, size_t size);

/* What the HTTP polling edge reads without I/O (relay/poll/poll_wire.c):
 * a request's query, taken or refused, read back the same; a body's
 * frames counted and fitted whole (target_pollwire.c). */
int fuzz_target_pollwire(const uint8_t *data, size_t size);

/* The source key of any address an edge hands the core, as the kernel
 * fills it (relay/core/source_key.c): never 0, the same for any port, an
 * IPv6 /64, an IPv4 address however spelt (target_sourcekey.c). */
int fuzz_target_sourcekey(const uint8_t *data, size_t size);

/* The relay's HTTP polling edge on its connections (target_poll.c): two
 * keep-alive connections' requests, cut and pipelined anyhow, naming the
 * sessions the input's joins opened; the answers' framing, no GET held
 * and no peer kept once the client is gone. */
int fuzz_target_poll(const uint8_t *data, size_t size);

/* A room's record as a relay reads it back (proto/room_record.c): taken
 * only within its bounds, written again the same and within
 * PROTO_ROOM_RECORD_MAX (target_roomrecord.c). */
int fuzz_target_roomrecord(const uint8_t *data, size_t size);

#endif
