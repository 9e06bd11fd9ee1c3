/* rtc_stun.c: STUN binding requests and responses (see rtc_stun.h). */
#include "rtc_stun.h"
#include "proto/byteorder.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define ATTR_MAPPED_ADDRESS 0x0001
#define ATTR_USERNAME 0x0006
#define ATTR_INTEGRITY 0x0008
#define ATTR_XOR_MAPPED 0x0020
#define ATTR_PRIORITY 0x0024
#define ATTR_USE_CANDIDATE 0x0025
#define ATTR_FINGERPRINT 0x8028
#define ATTR_CONTROLLED 0x8029
#define ATTR_CONTROLLING 0x802A
#define INTEGRITY_LEN 20
#define FINGERPRINT_XOR 0x5354554Eu

uint32_t rtc_stun_crc32(const uint8_t *p, size_t n)
{
    /* four bits at a time: a table of 16 entries of the reflected polynomial */
    static const uint32_t nibble[16] = {
        0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
        0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
        0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
    };
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ nibble[crc & 15];
        crc = (crc >> 4) ^ nibble[crc & 15];
    }
    return crc ^ 0xFFFFFFFFu;
}

/* XOR-MAPPED-ADDRESS's value (RFC 8489 section 14.2) into out. */
static bool read_xor_mapped(const uint8_t *v, size_t len, const uint8_t *header,
                            union netaddr *out)
{
    memset(out, 0, sizeof *out);
    if (len < 8 || v[0] != 0)
        return false;
    uint16_t port = be16_get(v + 2) ^ (uint16_t)(RTC_STUN_COOKIE >> 16);
    if (v[1] == 0x01 && len == 8) {
        out->v4.sin_family = AF_INET;
        out->v4.sin_port = htons(port);
        uint8_t *a = (uint8_t *)&out->v4.sin_addr;
        for (int i = 0; i < 4; i++)
            a[i] = v[4 + i] ^ header[4 + i]; /* the magic cookie */
        return true;
    }
    if (v[1] == 0x02 && len == 20) {
        out->v6.sin6_family = AF_INET6;
        out->v6.sin6_port = htons(port);
        for (int i = 0; i < 16; i++) /* the magic cookie, then the transaction id */
            out->v6.sin6_addr.s6_addr[i] = v[4 + i] ^ header[4 + i];
        return true;
    }
    return false;
}

/* One attribute of type t and value v[0..len) into m. Returns false if
 * its size is wrong for its type. */
static bool read_attr(struct rtc_stun_msg *m, const uint8_t *p, uint16_t t, const uint8_t *v,
                      size_t len)
{
    switch (t) {
    case ATTR_USERNAME:
        if (len == 0 || len >= RTC_STUN_USERNAME_MAX)
            return false;
        m->username = v;
        m->username_len = len;
        return true;
    case ATTR_PRIORITY:
        if (len != 4)
            return false;
        m->has_priority = true;
        m->priority = be32_get(v);
        return true;
    case ATTR_USE_CANDIDATE:
        m->use_candidate = len == 0;
        return len == 0;
    case ATTR_CONTROLLING:
    case ATTR_CONTROLLED:
        if (len != 8)
            return false;
        m->controlling = t == ATTR_CONTROLLING;
        m->controlled = t == ATTR_CONTROLLED;
        m->tiebreaker = be64_get(v);
        return true;
    case ATTR_XOR_MAPPED:
        m->has_mapped = read_xor_mapped(v, len, p, &m->mapped);
        return m->has_mapped;
    default:
        return true; /* unknown, or not needed here */
    }
}

enum rtc_stun_fault rtc_stun_parse(const uint8_t *p, size_t n, struct rtc_stun_msg *m)
{
    memset(m, 0, sizeof *m);
    if (n < RTC_STUN_HEADER)
        return RTC_STUN_SHORT;
    size_t body = be16_get(p + 2);
    if ((p[0] & 0xC0) || be32_get(p + 4) != RTC_STUN_COOKIE || (body & 3))
        return RTC_STUN_NOT_STUN;
    if (RTC_STUN_HEADER + body > n)
        return RTC_STUN_SHORT;
    m->type = be16_get(p);
    memcpy(m->txid, p + 8, RTC_STUN_TXID);
    m->len = RTC_STUN_HEADER + body;
    size_t at = RTC_STUN_HEADER;
    while (at < m->len) {
        if (m->len - at < 4)
            return RTC_STUN_BAD_ATTR;
        uint16_t t = be16_get(p + at), len = be16_get(p + at + 2);
        size_t padded = (len + 3u) & ~3u;
        if (padded > m->len - at - 4)
            return RTC_STUN_BAD_ATTR;
        const uint8_t *v = p + at + 4;
        if (t == ATTR_FINGERPRINT) {
            /* the last attribute: the CRC of everything before it */
            if (len != 4 || at + 8 != m->len)
                return RTC_STUN_BAD_FINGERPRINT;
            if ((rtc_stun_crc32(p, at) ^ FINGERPRINT_XOR) != be32_get(v))
                return RTC_STUN_BAD_FINGERPRINT;
            m->has_fingerprint = true;
        } else if (m->integrity_at) {
            /* after MESSAGE-INTEGRITY only FINGERPRINT counts */
        } else if (t == ATTR_INTEGRITY) {
            if (len != INTEGRITY_LEN)
                return RTC_STUN_BAD_ATTR;
            m->integrity_at = at;
        } else if (!read_attr(m, p, t, v, len)) {
            return RTC_STUN_BAD_ATTR;
        }
        at += 4 + padded;
    }
    return RTC_STUN_OK;
}

/* HMAC-SHA1 of p[0..at) under key, with the length field reading as if
 * the message ended right after MESSAGE-INTEGRITY (at + 24). Returns false
 * (no tag) for a message longer than the relay reads. */
static bool integrity_of(const uint8_t *p, size_t at, const uint8_t *key, size_t key_len,
                         uint8_t tag[INTEGRITY_LEN])
{
    uint8_t copy[RTC_STUN_MSG_MAX];
    unsigned tag_len = 0;
    if (at > sizeof copy)
        return false;
    memcpy(copy, p, at);
    be16_put(copy + 2, (uint16_t)(at + 4 + INTEGRITY_LEN - RTC_STUN_HEADER));
    return HMAC(EVP_sha1(), key, (int)key_len, copy, at, tag, &tag_len) && tag_len == INTEGRITY_LEN;
}

bool rtc_stun_integrity_ok(const uint8_t *p, const struct rtc_stun_msg *m, const uint8_t *key,
                           size_t key_len)
{
    if (!m->integrity_at || key_len == 0)
        return false;
    uint8_t tag[INTEGRITY_LEN];
    if (!integrity_of(p, m->integrity_at, key, key_len, tag))
        return false;
    return CRYPTO_memcmp(tag, p + m->integrity_at + 4, INTEGRITY_LEN) == 0;
}

bool rtc_stun_username_is(const struct rtc_stun_msg *m, const char *local, const char *remote)
{
    size_t nl = strlen(local), nr = strlen(remote);
    return m->username && m->username_len == nl + 1 + nr &&
           memcmp(m->username, local, nl) == 0 && m->username[nl] == ':' &&
           memcmp(m->username + nl + 1, remote, nr) == 0;
}

size_t rtc_stun_sign(uint8_t *buf, size_t len, size_t cap, const uint8_t *key, size_t key_len)
{
    if (len < RTC_STUN_HEADER || cap < len + 4 + INTEGRITY_LEN + 8)
        return 0;
    uint8_t tag[INTEGRITY_LEN];
    if (!integrity_of(buf, len, key, key_len, tag))
        return 0;
    be16_put(buf + len, ATTR_INTEGRITY);
    be16_put(buf + len + 2, INTEGRITY_LEN);
    memcpy(buf + len + 4, tag, INTEGRITY_LEN);
    len += 4 + INTEGRITY_LEN;
    be16_put(buf + 2, (uint16_t)(len + 8 - RTC_STUN_HEADER));
    uint32_t crc = rtc_stun_crc32(buf, len) ^ FINGERPRINT_XOR;
    be16_put(buf + len, ATTR_FINGERPRINT);
    be16_put(buf + len + 2, 4);
    be32_put(buf + len + 4, crc);
    return len + 8;
}

static void write_header(uint8_t *buf, uint16_t type, const uint8_t txid[RTC_STUN_TXID])
{
    be16_put(buf, type);
    be16_put(buf + 2, 0);
    be32_put(buf + 4, RTC_STUN_COOKIE);
    memcpy(buf + 8, txid, RTC_STUN_TXID);
}

/* Appends attribute t with value v[0..len), zero-padded. */
static size_t put_attr(uint8_t *buf, size_t at, uint16_t t, const void *v, size_t len)
{
    be16_put(buf + at, t);
    be16_put(buf + at + 2, (uint16_t)len);
    memcpy(buf + at + 4, v, len);
    size_t padded = (len + 3) & ~(size_t)3;
    memset(buf + at + 4 + len, 0, padded - len);
    return at + 4 + padded;
}

size_t rtc_stun_write_success(uint8_t *buf, size_t cap, const uint8_t txid[RTC_STUN_TXID],
                              const union netaddr *mapped, const uint8_t *key, size_t key_len)
{
    if (cap < RTC_STUN_ANSWER_MAX)
        return 0;
    write_header(buf, RTC_STUN_BINDING_SUCCESS, txid);
    uint8_t v[20];
    size_t vlen;
    v[0] = 0;
    be16_put(v + 2, netaddr_port(mapped) ^ (uint16_t)(RTC_STUN_COOKIE >> 16));
    if (mapped->sa.sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&mapped->v6.sin6_addr)) {
        v[1] = 0x02;
        for (int i = 0; i < 16; i++)
            v[4 + i] = mapped->v6.sin6_addr.s6_addr[i] ^ buf[4 + i];
        vlen = 20;
    } else {
        /* an IPv4 peer of a dual-stack socket is told its IPv4 address */
        const uint8_t *a = mapped->sa.sa_family == AF_INET
                               ? (const uint8_t *)&mapped->v4.sin_addr
                               : mapped->v6.sin6_addr.s6_addr + 12;
        v[1] = 0x01;
        for (int i = 0; i < 4; i++)
            v[4 + i] = a[i] ^ buf[4 + i];
        vlen = 8;
    }
    size_t len = put_attr(buf, RTC_STUN_HEADER, ATTR_XOR_MAPPED, v, vlen);
    return rtc_stun_sign(buf, len, cap, key, key_len);
}

size_t rtc_stun_write_check(uint8_t *buf, size_t cap, const uint8_t txid[RTC_STUN_TXID],
                            const struct rtc_stun_check *check, const uint8_t *key,
                            size_t key_len)
{
    size_t ulen = strlen(check->username);
    size_t need = RTC_STUN_HEADER + 4 + ((ulen + 3) & ~(size_t)3) + 8 + 12 + 4 + 24 + 8;
    if (ulen == 0 || ulen >= RTC_STUN_USERNAME_MAX || cap < need)
        return 0;
    write_header(buf, RTC_STUN_BINDING_REQUEST, txid);
    size_t at = put_attr(buf, RTC_STUN_HEADER, ATTR_USERNAME, check->username, ulen);
    uint8_t v[8];
    be32_put(v, check->priority);
    at = put_attr(buf, at, ATTR_PRIORITY, v, 4);
    be64_put(v, check->tiebreaker);
    at = put_attr(buf, at, check->controlled ? ATTR_CONTROLLED : ATTR_CONTROLLING, v, 8);
    if (check->use_candidate)
        at = put_attr(buf, at, ATTR_USE_CANDIDATE, v, 0);
    return rtc_stun_sign(buf, at, cap, key, key_len);
}
