/* test_room_record.c: a room the relay keeps as a record
 * (proto/room_record.c): round trips (empty, full, at every bound, the
 * largest within PROTO_ROOM_RECORD_MAX), events refused as they are added
 * (no stay, no body, a key twice, a bad keeper, past the bytes), and
 * decodes that refuse in words: every field missing, mistyped, out of
 * range (size, aoi), unknown or twice, a wrong version, base64 that is not, entries
 * cut short, text too long, garbage */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/room_record.h"
#include "proto/control.h"

static struct proto_room_record a, b; /* large: not on the stack */
static char text[PROTO_ROOM_RECORD_MAX + 1];
static char why[256];

static const char P1[] = "0123456789abcdef", P2[] = "fedcba9876543210";

/* A kept event with stay, key and a body of len bytes of c, sender stamped. */
static size_t kept_event(uint8_t *buf, const char *key, size_t len, char c, bool stay)
{
    uint8_t body[PROTO_EVENT_BODY_MAX];
    memset(body, c, len);
    int n = proto_event_encode_kept(buf, PROTO_EVENT_MAX, key, stay, body, len);
    assert_true(n > 0);
    proto_state_stamp_sender(buf, 7);
    buf[2] |= PROTO_EVENT_KEPT;
    return (size_t)n;
}

static void same(const struct proto_room_record *x, const struct proto_room_record *y)
{
    assert_int_equal(x->props.n, y->props.n);
    assert_memory_equal(x->props.kv, y->props.kv, x->props.len);
    assert_int_equal(x->size, y->size);
    assert_int_equal(x->listed, y->listed);
    assert_int_equal(x->open, y->open);
    assert_true(x->aoi == y->aoi);
    assert_string_equal(x->owner, y->owner);
    assert_int_equal(x->n_kept, y->n_kept);
    assert_int_equal(x->kept_bytes, y->kept_bytes);
    for (uint32_t i = 0; i < x->n_kept; i++) {
        size_t lx, ly;
        const uint8_t *bx = proto_room_record_event(x, i, &lx);
        const uint8_t *by = proto_room_record_event(y, i, &ly);
        assert_int_equal(lx, ly);
        assert_memory_equal(bx, by, lx);
        assert_string_equal(x->kept[i].keeper, y->kept[i].keeper);
    }
}

static void round_trip(const struct proto_room_record *x)
{
    int n = proto_room_record_encode(text, sizeof text, x);
    assert_true(n > 0 && n <= PROTO_ROOM_RECORD_MAX);
    assert_int_equal(proto_room_record_decode(text, (size_t)n, &b, why, sizeof why), PROTO_OK);
    same(x, &b);
}

static void round_trips(void **state)
{
    (void)state;
    uint8_t ev[PROTO_EVENT_MAX];
    proto_room_record_init(&a);
    assert_true(a.listed && a.open && a.size == 0 && a.owner[0] == '\0');
    round_trip(&a);
    assert_int_equal(proto_props_add(&a.props, "props", "map", "arena \"quoted\" é", NULL, 0), 0);
    a.size = 3;
    a.open = false;
    a.listed = false;
    a.aoi = 12.5f;
    memcpy(a.owner, P1, sizeof P1);
    size_t n = kept_event(ev, "coin0", 5, 'c', true);
    assert_int_equal(proto_room_record_add_kept(&a, P2, ev, n, why, sizeof why), 0);
    n = kept_event(ev, "door", 1, 'd', true);
    assert_int_equal(proto_room_record_add_kept(&a, P1, ev, n, why, sizeof why), 0);
    round_trip(&a);
    size_t len;
    const uint8_t *e = proto_room_record_event(&b, 0, &len);
    assert_int_equal(proto_state_sender(e, len), 7);
    assert_string_equal(b.kept[0].keeper, P2);
    a.size = PROTO_ROOM_SIZE_MAX;
    round_trip(&a);
}

/* Every bound at once: props at theirs, kept events of the smallest size
 * until the bytes are full: the largest record fits its bound. */
static void largest(void **state)
{
    (void)state;
    uint8_t ev[PROTO_EVENT_MAX];
    proto_room_record_init(&a);
    for (int k = 0; k < PROTO_PROPS_KEYS; k++) {
        char key[16], value[33];
        snprintf(key, sizeof key, "key%d", k);
        memset(value, '"', 28);
        value[28] = '\0';
        assert_int_equal(proto_props_add(&a.props, "props", key, value, NULL, 0), 0);
    }
    memcpy(a.owner, P1, sizeof P1);
    a.size = PROTO_ROOM_SIZE_MAX;
    for (uint32_t i = 0;; i++) {
        char key[16];
        snprintf(key, sizeof key, "%x", i);
        size_t n = kept_event(ev, key, 1, 'x', true);
        if (proto_room_record_add_kept(&a, i % 2 ? P1 : P2, ev, n, why, sizeof why) != 0) {
            assert_non_null(strstr(why, "16384 bytes"));
            break;
        }
    }
    assert_true(a.kept_bytes > PROTO_ROOM_KEPT_BYTES - 20);
    int n = proto_room_record_encode(text, sizeof text, &a);
    print_message("the largest record: %d bytes, %u events\n", n, a.n_kept);
    assert_true(n > 0 && n <= PROTO_ROOM_RECORD_MAX);
    round_trip(&a);
    /* events of the largest size, as many as fit */
    proto_room_record_init(&a);
    for (int i = 0; a.kept_bytes + PROTO_EVENT_MAX <= PROTO_ROOM_KEPT_BYTES; i++) {
        char key[16];
        snprintf(key, sizeof key, "big%d", i);
        size_t n1 = kept_event(ev, key, PROTO_EVENT_BODY_MAX - strlen(key), 'y', true);
        assert_int_equal(proto_room_record_add_kept(&a, P1, ev, n1, why, sizeof why), 0);
    }
    assert_int_equal(a.kept_bytes, PROTO_ROOM_KEPT_BYTES / PROTO_EVENT_MAX * PROTO_EVENT_MAX);
    round_trip(&a);
}

static void events_refused(void **state)
{
    (void)state;
    uint8_t ev[PROTO_EVENT_MAX];
    proto_room_record_init(&a);
    size_t n = kept_event(ev, "coin0", 3, 'c', false);
    assert_int_equal(proto_room_record_add_kept(&a, P1, ev, n, why, sizeof why), -1);
    assert_non_null(strstr(why, "stay"));
    n = kept_event(ev, "coin0", 3, 'c', true);
    assert_int_equal(proto_room_record_add_kept(&a, "nobody", ev, n, why, sizeof why), -1);
    assert_non_null(strstr(why, "keeper"));
    assert_int_equal(proto_room_record_add_kept(&a, P1, ev, 5, why, sizeof why), -1);
    assert_non_null(strstr(why, "not an event"));
    assert_int_equal(proto_room_record_add_kept(&a, P1, ev, n, why, sizeof why), 0);
    assert_int_equal(proto_room_record_add_kept(&a, P2, ev, n, why, sizeof why), -1);
    assert_string_equal(why, "kept: the key 'coin0' comes twice");
    n = kept_event(ev, "empty", 0, 'c', true); /* a clear is never kept */
    assert_int_equal(proto_room_record_add_kept(&a, P1, ev, n, why, sizeof why), -1);
    assert_int_equal(a.n_kept, 1);
}

/* json decoded: rc, and why holding words. */
static void refused(const char *json, int rc, const char *words)
{
    int got = proto_room_record_decode(json, strlen(json), &b, why, sizeof why);
    if (got != rc || !strstr(why, words))
        fail_msg("%s: %d \"%s\", wanted %d \"%s\"", json, got, why, rc, words);
}

#define OK_TAIL "\"listed\":true,\"open\":true,\"aoi\":0,\"owner\":\"\",\"kept\":\"\"}"

static void decodes_refused(void **state)
{
    (void)state;
    const char *good = "{\"v\":1,\"props\":{},\"size\":0," OK_TAIL;
    assert_int_equal(proto_room_record_decode(good, strlen(good), &b, why, sizeof why), PROTO_OK);
    refused("", PROTO_E_JSON, "not JSON");
    refused("[1]", PROTO_E_JSON, "not a JSON object");
    refused("{\"v\":1,\"props\":{},\"size\":0,\"listed\":true}", PROTO_E_MISSING,
            "\"open\" is missing");
    refused("{\"v\":1,\"v\":1,\"props\":{},\"size\":0," OK_TAIL, PROTO_E_VALUE, "twice");
    refused("{\"x\":1,\"v\":1,\"props\":{},\"size\":0," OK_TAIL, PROTO_E_VALUE,
            "unknown field \"x\"");
    refused("{\"v\":2,\"props\":{},\"size\":0," OK_TAIL, PROTO_E_VERSION, "version 2");
    refused("{\"v\":\"1\",\"props\":{},\"size\":0," OK_TAIL, PROTO_E_FIELD_TYPE, "\"v\"");
    refused("{\"v\":1,\"props\":[],\"size\":0," OK_TAIL, PROTO_E_FIELD_TYPE, "props");
    refused("{\"v\":1,\"props\":{\"a\":1},\"size\":0," OK_TAIL, PROTO_E_FIELD_TYPE, "props");
    refused("{\"v\":1,\"props\":{\"a b\":\"1\"},\"size\":0," OK_TAIL, PROTO_E_VALUE, "props");
    refused("{\"v\":1,\"props\":{},\"size\":4096," OK_TAIL, PROTO_E_VALUE, "0..4095");
    refused("{\"v\":1,\"props\":{},\"size\":-1," OK_TAIL, PROTO_E_VALUE, "0..4095");
    refused("{\"v\":1,\"props\":{},\"size\":2.5," OK_TAIL, PROTO_E_VALUE, "0..4095");
    refused("{\"v\":1,\"props\":{},\"size\":1e999," OK_TAIL, PROTO_E_VALUE, "0..4095");
    refused("{\"v\":1,\"props\":{},\"size\":0,\"listed\":true,\"open\":true,\"aoi\":-1,"
            "\"owner\":\"\",\"kept\":\"\"}", PROTO_E_VALUE, "\"aoi\"");
    refused("{\"v\":1,\"props\":{},\"size\":0,\"listed\":true,\"open\":true,\"aoi\":1e6,"
            "\"owner\":\"\",\"kept\":\"\"}", PROTO_E_VALUE, "\"aoi\"");
    refused("{\"v\":1,\"props\":{},\"size\":null," OK_TAIL, PROTO_E_FIELD_TYPE, "\"size\"");
    refused("{\"v\":1,\"props\":{},\"size\":0,\"listed\":1,\"open\":true,\"aoi\":0,"
            "\"owner\":\"\",\"kept\":\"\"}", PROTO_E_FIELD_TYPE, "\"listed\"");
    refused("{\"v\":1,\"props\":{},\"size\":0,\"listed\":true,\"open\":true,\"aoi\":0,"
            "\"owner\":\"ABC\",\"kept\":\"\"}", PROTO_E_VALUE, "\"owner\"");
    refused("{\"v\":1,\"props\":{},\"size\":0,\"listed\":true,\"open\":true,\"aoi\":0,"
            "\"owner\":1,\"kept\":\"\"}", PROTO_E_FIELD_TYPE, "\"owner\"");
    refused("{\"v\":1,\"props\":{},\"size\":0,\"listed\":true,\"open\":true,\"aoi\":0,"
            "\"owner\":\"\",\"kept\":\"%%%\"}", PROTO_E_VALUE, "not base64");
    refused("{\"v\":1,\"props\":{},\"size\":0,\"listed\":true,\"open\":true,\"aoi\":0,"
            "\"owner\":\"\",\"kept\":\"AAE=\"}", PROTO_E_VALUE, "ends inside an entry");
    refused("{\"v\":1,\"props\":{},\"size\":0,\"listed\":true,\"open\":true,\"aoi\":0,"
            "\"owner\":\"\",\"kept\":[]}", PROTO_E_FIELD_TYPE, "\"kept\"");
    /* an entry whose length is right but whose bytes are no event */
    uint8_t raw[PROTO_ROOM_KEPT_ENTRY_HEAD + 4] = {0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9};
    char b64[64], json[256];
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t at = 0;
    for (size_t i = 0; i < sizeof raw; i += 3) { /* 14 bytes: base64 by hand */
        uint32_t v = (uint32_t)raw[i] << 16 | (i + 1 < sizeof raw ? raw[i + 1] << 8 : 0) |
                     (i + 2 < sizeof raw ? raw[i + 2] : 0);
        b64[at++] = digits[v >> 18 & 63];
        b64[at++] = digits[v >> 12 & 63];
        b64[at++] = i + 1 < sizeof raw ? digits[v >> 6 & 63] : '=';
        b64[at++] = i + 2 < sizeof raw ? digits[v & 63] : '=';
    }
    b64[at] = '\0';
    snprintf(json, sizeof json, "{\"v\":1,\"props\":{},\"size\":0,\"listed\":true,\"open\":true,"
             "\"aoi\":0,\"owner\":\"\",\"kept\":\"%s\"}", b64);
    refused(json, PROTO_E_VALUE, "not an event");
    /* too long, unread */
    static char big[PROTO_ROOM_RECORD_MAX + 2];
    memset(big, ' ', sizeof big - 1);
    assert_int_equal(proto_room_record_decode(big, sizeof big - 1, &b, why, sizeof why),
                     PROTO_E_LONG);
}

/* Garbage: every prefix of a full record, and bytes flipped, never crash
 * (ASan watches) and never pass unless the text still reads the same. */
static void garbage(void **state)
{
    (void)state;
    uint8_t ev[PROTO_EVENT_MAX];
    proto_room_record_init(&a);
    assert_int_equal(proto_props_add(&a.props, "props", "map", "arena", NULL, 0), 0);
    memcpy(a.owner, P1, sizeof P1);
    size_t n = kept_event(ev, "coin0", 5, 'c', true);
    assert_int_equal(proto_room_record_add_kept(&a, P2, ev, n, why, sizeof why), 0);
    int len = proto_room_record_encode(text, sizeof text, &a);
    assert_true(len > 0);
    for (int i = 0; i < len; i++)
        assert_int_not_equal(proto_room_record_decode(text, (size_t)i, &b, why, sizeof why),
                             PROTO_OK);
    srand(7);
    for (int round = 0; round < 5000; round++) {
        char t[1024];
        memcpy(t, text, (size_t)len);
        for (int k = 0; k < 3; k++)
            t[rand() % len] = (char)(rand() % 256);
        (void)proto_room_record_decode(t, (size_t)len, &b, why, sizeof why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(largest),
        cmocka_unit_test(events_refused),
        cmocka_unit_test(decodes_refused),
        cmocka_unit_test(garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
