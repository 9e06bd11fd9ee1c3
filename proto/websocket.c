/* websocket.c: the WebSocket handshake's key and answer, close codes (see
 * websocket.h). */
#include "websocket.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

/* RFC 6455 §1.3: what the server appends to the client's key. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static bool is_base64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

bool proto_ws_key_valid(const char *key, size_t len)
{
    if (!key || len != PROTO_WS_KEY_LEN || key[22] != '=' || key[23] != '=')
        return false;
    for (size_t i = 0; i < 22; i++)
        if (!is_base64(key[i]))
            return false;
    /* 16 bytes end in 4 bits of the 22nd character: the other 2 are zero */
    return strchr("AQgw", key[21]) != NULL;
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
    EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH);
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
