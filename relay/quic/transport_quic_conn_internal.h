/* transport_quic_conn_internal.h: transport_quic_conn.c's state in the QUIC
 * edge: its connections' slots (free, half-open, closing, ended) and a
 * connection's life, from its handshake to its end.
 * Private to relay/quic/: transport_quic.h includes it, composing struct
 * relay_quic and struct quic_conn of their parts, and only the file named
 * here writes them; the others move a connection along through the steps
 * transport_quic.h writes once (transport_quic_opened, _joined, _peered,
 * _close_begin). */
#ifndef RICOCHET_QUIC_CONN_INTERNAL_H
#define RICOCHET_QUIC_CONN_INTERNAL_H

/* BY_QUIC_LIFE_C marks what quic_life.c alone writes (a connection's
 * life): const in every other file in the writers check (sys/writer.h;
 * quic_life.c defines it empty before its includes), nothing in the build
 * that is linked. */
#include "sys/writer.h"
#ifndef BY_QUIC_LIFE_C
#define BY_QUIC_LIFE_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stdint.h>

#include "relay/core/waiting.h"

/* The edge's slots (t->slots). transport_quic.c makes and frees their
 * arrays with the edge; transport_quic_conn.c writes them, but the counts
 * of the half-open and the closing, which quic_life.c keeps. */
struct quic_slots {
    uint32_t *free, n_free;   /* slots free to take */
    uint32_t *gone, n_gone;   /* peers whose connection ended, to report */
    uint8_t *gone_why;        /* ... and why (enum proto_left_reason) */
    unsigned half_open;       /* connections not yet peers */
    unsigned closing;         /* connections in QUIC_PHASE_CLOSING */
    struct waiting waiting;   /* which of the half-open gives way to a newcomer */
};

/* A connection's life (c->life), written by quic_life.c. */
struct quic_life {
    uint8_t phase;            /* enum quic_phase */
    uint64_t since_us;        /* created, opened or closing since */
    uint64_t heard_us;        /* the client's last packet read (h3: its idle timeout) */
    uint64_t ending_us;       /* ENDING: freed then */
    bool gone_reported;       /* the core heard of its end */
    bool draining;            /* ENDING: the client closed; nothing is sent */
    uint8_t close_resends;    /* ENDING: close packets sent again so far */
    BY_QUIC_LIFE_C uint8_t *close_pkt; /* ENDING (closing): the CONNECTION_CLOSE packet */
    uint16_t close_len;
    uint64_t close_code;      /* CLOSING: the application error code to close with */
};

#endif
