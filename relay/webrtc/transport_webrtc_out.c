/* transport_webrtc_out.c: the WebRTC edge's datagrams out. What the
 * sessions send (STUN answers, DTLS records carrying SCTP) comes through
 * the host's send callback one datagram at a time, often many in one turn
 * (a fan-out, a flight of handshake records): each is copied into a queue
 * and the queue leaves in one sendmmsg() at the end of the batch, the
 * flush or the tick, or sooner when it is full. */
#include "transport_webrtc.h"

#include <errno.h>
#include <string.h>

#include "../../sys/log.h"

void transport_webrtc_queue(struct relay_webrtc *t, const union netaddr *to,
                            const uint8_t *data, size_t len)
{
    if (len > RTC_DTLS_MTU) {
        /* the modules never write more (RTC_DTLS_MTU): a bug, never a datagram */
        log_error("relay: webrtc: a datagram of %zu bytes over %d: not sent", len,
                  RTC_DTLS_MTU);
        return;
    }
    if (t->nsend == RTC_EDGE_OUT)
        transport_webrtc_out_flush(t);
    unsigned k = t->nsend++;
    uint8_t *copy = t->sbuf + (size_t)k * RTC_DTLS_MTU;
    memcpy(copy, data, len);
    t->sto[k] = *to;
    t->siov[k] = (struct iovec){.iov_base = copy, .iov_len = len};
    t->smsg[k] = (struct mmsghdr){
        .msg_hdr = {.msg_name = &t->sto[k], .msg_namelen = netaddr_len(&t->sto[k]),
                    .msg_iov = &t->siov[k], .msg_iovlen = 1}};
}

void transport_webrtc_out_flush(struct relay_webrtc *t)
{
    unsigned off = 0, failed = 0;
    while (off < t->nsend) {
        int sent = sendmmsg(t->fd, t->smsg + off, t->nsend - off, 0);
        if (sent > 0) {
            off += (unsigned)sent;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
            /* a full socket buffer: the rest would fail alike; SCTP resends
             * what is reliable, the rest is lost as on any network */
            failed += t->nsend - off;
            break;
        }
        log_debug("relay: webrtc: sendmmsg: %s", strerror(errno)); /* this one refused */
        failed++;
        off++;
    }
    for (unsigned i = 0; t->relay && i < failed; i++)
        relay_count_drop(t->relay, RELAY_DROP_SEND_FAILED);
    t->nsend = 0;
}
