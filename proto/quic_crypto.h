/* quic_crypto.h: what ricochet's two QUIC ends hand ngtcp2 alike, shared
 * by the client library's connection (client/lib/transports/client_quic_conn.c) and the
 * relay's quic edge (relay/quic/):
 *
 *   - ngtcp2_crypto's callbacks (on GnuTLS) taken as they are: the
 *     handshake's data, packet protection, key updates, path challenges,
 *     version negotiation; each end adds its own first-flight callbacks
 *     (the client's client_initial and recv_retry, the relay's
 *     recv_client_initial) and its event handlers;
 *   - random bytes from the kernel, for connection IDs and for ngtcp2's
 *     own rand callback. */
#ifndef RICOCHET_QUIC_CRYPTO_H
#define RICOCHET_QUIC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

/* Inside a const ngtcp2_callbacks' designated initializer: the callbacks
 * both ends set the same. */
#define QUIC_CRYPTO_CALLBACKS                                                 \
    .recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb,                    \
    .encrypt = ngtcp2_crypto_encrypt_cb,                                      \
    .decrypt = ngtcp2_crypto_decrypt_cb,                                      \
    .hp_mask = ngtcp2_crypto_hp_mask_cb,                                      \
    .rand = quic_random_cb,                                                   \
    .update_key = ngtcp2_crypto_update_key_cb,                                \
    .delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,        \
    .delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb,    \
    .get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb,      \
    .version_negotiation = ngtcp2_crypto_version_negotiation_cb

/* Fills dest with len bytes of getrandom(2) (zeros if the kernel's pool
 * failed, which Linux never does once seeded). */
void quic_random(uint8_t *dest, size_t len);

/* ngtcp2's rand callback: quic_random. */
void quic_random_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx);

#endif
