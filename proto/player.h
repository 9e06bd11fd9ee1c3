/* player.h: a player's stable key and its public player id (PROTOCOL.md,
 * "Players who come back"). The key is a bearer secret the relay draws at
 * a player's first join and the client sends in each later join of its
 * session; the player id, a hash of it, is what the others see.
 *
 * Pure: no I/O, no state (libsodium's hash and random bytes). */
#ifndef RICOCHET_PLAYER_H
#define RICOCHET_PLAYER_H

#include <stdbool.h>

#define PROTO_KEY_LEN 32    /* hex digits of a player's key: 128 random bits */
#define PROTO_PLAYER_LEN 16 /* hex digits of a player id: 64 bits of the key's hash */

/* A key: exactly PROTO_KEY_LEN lowercase hex digits. */
bool proto_key_valid(const char *key);

/* A player id: exactly PROTO_PLAYER_LEN lowercase hex digits. */
bool proto_player_valid(const char *player);

/* Draws a fresh key into out (PROTO_KEY_LEN + 1 bytes, NUL-terminated).
 * libsodium must be initialised (sodium_init). */
void proto_key_draw(char *out);

/* The player id of a valid key into out (PROTO_PLAYER_LEN + 1 bytes): the
 * first 8 bytes of BLAKE2b-128 of the key's text, in hex. Who sees it
 * cannot find the key from it. */
void proto_player_of(const char *key, char *out);

#endif
