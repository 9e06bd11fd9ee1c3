/* player.c: a player's stable key and its public player id (see player.h). */
#include "player.h"

#include <sodium.h>
#include <string.h>

static bool hex_of_len(const char *s, size_t len)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n == len && s[n] == '\0';
}

bool proto_key_valid(const char *key)
{
    return hex_of_len(key, PROTO_KEY_LEN);
}

bool proto_player_valid(const char *player)
{
    return hex_of_len(player, PROTO_PLAYER_LEN);
}

void proto_key_draw(char *out)
{
    unsigned char raw[PROTO_KEY_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, PROTO_KEY_LEN + 1, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

void proto_player_of(const char *key, char *out)
{
    unsigned char hash[crypto_generichash_BYTES_MIN];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)key, strlen(key), NULL, 0);
    sodium_bin2hex(out, PROTO_PLAYER_LEN + 1, hash, PROTO_PLAYER_LEN / 2);
}
