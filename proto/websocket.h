/* websocket.h: what both ends of a WebSocket (RFC 6455) agree on beyond
 * wslay's framing: the opening handshake's key and its answer, and the
 * close codes a relay ends a session with (PROTOCOL.md, "WebSocket").
 * Pure: no I/O; the SHA-1 is OpenSSL's (libcrypto), base64 libsodium's,
 * neither written here. */
#ifndef RICOCHET_WEBSOCKET_H
#define RICOCHET_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#define PROTO_WS_KEY_LEN 24     /* Sec-WebSocket-Key: base64 of 16 bytes */
#define PROTO_WS_ACCEPT_LEN 28  /* Sec-WebSocket-Accept: base64 of a SHA-1 */
#define PROTO_WS_VERSION 13     /* Sec-WebSocket-Version, the only one */
#define PROTO_WS_PATH "/"       /* where libricochet asks for the upgrade */

/* Close codes (RFC 6455 §7.4.1) the relay sends. */
enum proto_ws_close {
    PROTO_WS_CLOSE_NORMAL = 1000,     /* the session ended (left, refused) */
    PROTO_WS_CLOSE_GOING_AWAY = 1001, /* the relay shuts down */
    PROTO_WS_CLOSE_PROTOCOL = 1002,   /* a frame RFC 6455 refuses: unmasked, a fragmented
                                         or long control frame, an unknown opcode */
    PROTO_WS_CLOSE_BAD_DATA = 1007,   /* a text message that is not UTF-8 */
    PROTO_WS_CLOSE_POLICY = 1008,     /* kicked: rate, strikes, pings, a slow reader */
    PROTO_WS_CLOSE_TOO_BIG = 1009     /* a message over --max-packet-size */
};

/* Is key[0..len) a Sec-WebSocket-Key: base64 of exactly 16 bytes? */
bool proto_ws_key_valid(const char *key, size_t len);

/* Sec-WebSocket-Accept for key[0..len) (RFC 6455 §4.2.2: base64 of the
 * SHA-1 of the key and the protocol's GUID) into out, NUL-terminated.
 * Returns 0, or -1 if key is not valid (proto_ws_key_valid). */
int proto_ws_accept(const char *key, size_t len, char out[PROTO_WS_ACCEPT_LEN + 1]);

/* The close code a relay ends a session with after error why (its error
 * message went first): too_big 1009, shutting_down 1001, a kick for the
 * client's conduct 1008, else 1000. */
enum proto_ws_close proto_ws_close_code(enum proto_error_code why);

#endif
