/* pattern.c: payloads that check themselves (see pattern.h). */
#include "pattern.h"
#include "proto/byteorder.h"

/* FNV-1a, 32 bits. */
static uint32_t fnv32(const uint8_t *p, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Byte i of what key draws: a splitmix64 step of (key, i). */
static uint8_t drawn(uint32_t key, size_t i)
{
    uint64_t z = ((uint64_t)key << 32 | (uint32_t)i) + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint8_t)(z ^ (z >> 31));
}

static void put_hash(uint8_t *out, size_t len)
{
    uint32_t h = fnv32(out + PATTERN_MIN, len - PATTERN_MIN);
    out[0] = (uint8_t)(h >> 24);
    out[1] = (uint8_t)(h >> 16);
    out[2] = (uint8_t)(h >> 8);
    out[3] = (uint8_t)h;
}

static bool hash_holds(const uint8_t *p, size_t len)
{
    if (!p || len < PATTERN_MIN)
        return false;
    uint32_t h = fnv32(p + PATTERN_MIN, len - PATTERN_MIN);
    return p[0] == (uint8_t)(h >> 24) && p[1] == (uint8_t)(h >> 16) &&
           p[2] == (uint8_t)(h >> 8) && p[3] == (uint8_t)h;
}

/* Are p[from..len) key's draws? */
static bool drawn_from(uint32_t key, const uint8_t *p, size_t from, size_t len)
{
    for (size_t i = from; i < len; i++)
        if (p[i] != drawn(key, i))
            return false;
    return true;
}

void pattern_fill(uint32_t key, uint8_t *out, size_t len)
{
    for (size_t i = PATTERN_MIN; i < len; i++)
        out[i] = drawn(key, i);
    put_hash(out, len);
}

bool pattern_ok(uint32_t key, const uint8_t *p, size_t len)
{
    return hash_holds(p, len) && drawn_from(key, p, PATTERN_MIN, len);
}

void pattern_fill_keyed(uint32_t key, uint8_t *out, size_t len)
{
    for (size_t i = 8; i < len; i++)
        out[i] = drawn(key, i);
    out[4] = (uint8_t)(key >> 24);
    out[5] = (uint8_t)(key >> 16);
    out[6] = (uint8_t)(key >> 8);
    out[7] = (uint8_t)key;
    put_hash(out, len);
}

bool pattern_ok_keyed(const uint8_t *p, size_t len)
{
    if (len < 8 || !hash_holds(p, len))
        return false;
    uint32_t key = be32_get(p + 4);
    return drawn_from(key, p, 8, len);
}
