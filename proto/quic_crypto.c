/* quic_crypto.c: the random bytes both QUIC ends draw (see quic_crypto.h;
 * used by client/lib/transports/client_quic_conn.c and the relay's relay/quic). */
#include "quic_crypto.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

void quic_random(uint8_t *dest, size_t len)
{
    while (len > 0) {
        ssize_t n = getrandom(dest, len, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            memset(dest, 0, len); /* the kernel's pool failed: never reached on Linux */
            return;
        }
        dest += n;
        len -= (size_t)n;
    }
}

void quic_random_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
    (void)ctx;
    quic_random(dest, len);
}
