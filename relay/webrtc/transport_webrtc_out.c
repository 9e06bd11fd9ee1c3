/* transport_webrtc_out.c: the WebRTC edge's datagrams out. What the
 * sessions send (STUN answers, DTLS records carrying SCTP) comes through
 * the host's send callback one datagram at a time, often many in one turn
 * (a fan-out, a flight of handshake records): each is copied into a queue
 * and the queue leaves in one sendmmsg() at the end of the batch, the
 * flush or the tick, or sooner when it is full. */
#include "transport_webrtc.h"

#include "sys/log.h"

void transport_webrtc_queue(struct relay_webrtc *t, const union netaddr *to,
                            const uint8_t *data, size_t len)
{
    if (len > RTC_DTLS_MTU) {
        /* the modules never write more (RTC_DTLS_MTU): a bug, never a datagram */
        log_error("relay: webrtc: a datagram of %zu bytes over %d: not sent", len,
                  RTC_DTLS_MTU);
        return;
    }
    if (t->out.n == t->out.cap)
        transport_webrtc_out_flush(t);
    dgram_out_add(&t->out, to, data, len);
}

/* A full socket buffer fails what is left: SCTP resends what is reliable,
 * the rest is lost as on any network. */
void transport_webrtc_out_flush(struct relay_webrtc *t)
{
    unsigned failed = dgram_out_send(&t->out, t->fd, "webrtc");
    for (unsigned i = 0; t->relay && i < failed; i++)
        relay_count_drop(t->relay, RELAY_DROP_SEND_FAILED);
}
