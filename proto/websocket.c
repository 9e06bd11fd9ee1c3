/* websocket.c: the WebSocket handshake's key and answer, close codes (see
 * websocket.h). base64 is libsodium's, the SHA-1 OpenSSL's. */
#include "websocket.h"

#include <string.h>

#include <openssl/sha.h>
#include <sodium.h>

/* RFC 6455 §1.3: what the server appends to the client's key. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

bool proto_ws_key_valid(const char *key, size_t len)
{
    /* padded, strict: the 2 bits past the 16 bytes must be zero */
    unsigned char bytes[16];
    size_t n = 0;
    const char *end = NULL;
    return key && len == PROTO_WS_KEY_LEN &&
           sodium_base642bin(bytes, sizeof bytes, key, len, NULL, &n, &end,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
           n == sizeof bytes && end == key + len;
}

int proto_ws_accept(const char *key, size_t len, char out[PROTO_WS_ACCEPT_LEN + 1])
{
    if (!proto_ws_key_valid(key, len))
        return -1;
    unsigned char text[PROTO_WS_KEY_LEN + sizeof WS_GUID], digest[SHA_DIGEST_LENGTH];
    memcpy(text, key, len);
    memcpy(text + len, WS_GUID, sizeof WS_GUID - 1);
    SHA1(text, len + sizeof WS_GUID - 1, digest);
    /* 20 bytes: 28 characters and a NUL */
    sodium_bin2base64(out, PROTO_WS_ACCEPT_LEN + 1, digest, SHA_DIGEST_LENGTH,
                      sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

enum proto_ws_close proto_ws_close_code(enum proto_error_code why)
{
    switch (why) {
    case PROTO_ERROR_TOO_BIG: return PROTO_WS_CLOSE_TOO_BIG;
    case PROTO_ERROR_SHUTTING_DOWN: return PROTO_WS_CLOSE_GOING_AWAY;
    case PROTO_ERROR_BAD_STATE:
    case PROTO_ERROR_BAD_JSON:
    case PROTO_ERROR_RATE_LIMITED:
    case PROTO_ERROR_KICKED:
    case PROTO_ERROR_SLOW_READER:
    case PROTO_ERROR_NOT_JOINED:
        return PROTO_WS_CLOSE_POLICY;
    default:
        return PROTO_WS_CLOSE_NORMAL;
    }
}
