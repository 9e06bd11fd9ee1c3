/* transport.c: the list of the relay's transports (see transport.h). */
#include "transport.h"

const struct relay_transport_ops *const relay_transports[] = {
    &relay_enet_ops,
    &relay_udp_ops,
    &relay_tcp_ops,
    &relay_ws_ops,
    &relay_wss_ops,
    &relay_webrtc_ops,
    &relay_quic_ops,
    &relay_poll_ops,
    NULL,
};
