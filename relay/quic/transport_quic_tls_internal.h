/* transport_quic_tls_internal.h: transport_quic_tls.c's state in the QUIC
 * edge: the certificates it serves, drawn or given, and GnuTLS's priority;
 * in a connection, its session and the certificate it took.
 * Private to relay/quic/: transport_quic.h includes it, composing struct
 * relay_quic and struct quic_conn of their parts, and only the file named
 * here writes them. */
#ifndef RICOCHET_QUIC_TLS_INTERNAL_H
#define RICOCHET_QUIC_TLS_INTERNAL_H

/* BY_TRANSPORT_QUIC_TLS_C marks what transport_quic_tls.c alone writes (a
 * connection's TLS): const in every other file in the writers check
 * (sys/writer.h; transport_quic_tls.c defines it empty before its
 * includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_TRANSPORT_QUIC_TLS_C
#define BY_TRANSPORT_QUIC_TLS_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

/* A certificate drawn by the relay (no --tls-cert) meets what a browser's
 * serverCertificateHashes takes: ECDSA P-256, valid under 14 days. */
#define QUIC_CERT_GENS 3           /* drawn certificates held at once (connections' too) */
#define QUIC_CERT_BEFORE_S 3600    /* valid from this long before it was drawn */
#define QUIC_CERT_VALID_S (13 * 86400) /* ... until this long after */
#define QUIC_CERT_RENEW_S (6 * 86400)  /* a new one drawn this long after the newest */

/* A certificate the edge serves, and the connections whose handshake took
 * it (GnuTLS keeps a pointer to its credentials). */
struct quic_cert {
    gnutls_certificate_credentials_t cred; /* NULL: a free slot */
    uint8_t sha256[32];       /* of its DER bytes: a page's serverCertificateHashes */
    int64_t expires_s;        /* Unix time it expires (drawn ones) */
    uint64_t drawn_us;        /* the loop's clock when drawn */
    uint32_t conns;           /* connections holding it */
};

/* The edge's certificates (t->tls), written by transport_quic_tls.c. */
struct quic_tls {
    struct quic_cert certs[QUIC_CERT_GENS]; /* --tls-cert's in certs[0], or those drawn */
    uint8_t cert_now;         /* the slot new connections take */
    bool drawn;               /* drawn certificates (no --tls-cert): renewed */
    gnutls_priority_t priority;
};

/* A connection's TLS (c->tls), written by transport_quic_tls.c. */
struct quic_conn_tls {
    gnutls_session_t session;
    uint8_t cert;             /* the certificate its handshake took: a slot of certs */
};

#endif
