/* test_room_file.c: the rooms a relay keeps in a file (relay/room_file.c;
 * PROTOCOL.md, "Rooms kept"), through the core on a fake transport. 255
 * rooms with their kept events full (a file of 5.6 MB) and a member's kept
 * event changing one every 50 ms for 3 s: the loop's call to the file at
 * each turn (every 5 ms) never holds it 20 ms, the file is written at most
 * 10 times a second and 4 MiB a second (its rate printed), and read back
 * it is the rooms as they were at the stop. A PATH.tmp planted as a
 * symbolic link is removed, never followed (its target untouched), said
 * in one line; a folder others may write is refused at start, in one
 * line; a room file whose record names a reserved sender (0, or the
 * room's own for a player's event) is refused at start in one line, and
 * one that names the highest member id makes no member the room's sender.
 * tests/run: alone (its bound is the loop's longest stall). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "proto/room_record.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "relay/room_file.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "tests/support/fake_relay.h"

#define ROOMS 255
#define RUN_US 3000000u
#define TURN_US 5000u
#define CHANGE_US 50000u
#define STALL_US 20000u

static char dir[64], path[128];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/ricochet-roomfile-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/rooms.json", dir);
    return fake_relay_setup(state);
}

static int teardown(void **state)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return fake_relay_teardown(state);
}

/* This thread's CPU time, µs. */
static uint64_t cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The log's lines, for the cases that count them. */
static char said[4096];
static void keep_line(void *ctx, enum log_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    snprintf(said + strlen(said), sizeof said - strlen(said), "%s\n", msg);
}

static size_t lines_with(const char *what)
{
    size_t n = 0;
    for (const char *p = said; (p = strstr(p, what)); p++)
        n++;
    return n;
}

/* A kept event with stay, from sender, kept by keeper, into rec. */
static void add_kept(struct proto_room_record *rec, uint32_t sender, const char *keeper,
                     const char *key, size_t body_len)
{
    uint8_t body[1000], buf[PROTO_EVENT_MAX];
    memset(body, 'b', sizeof body);
    int n = proto_event_encode_kept(buf, sizeof buf, key, true, body, body_len);
    assert_true(n > 0);
    proto_state_stamp_sender(buf, sender);
    char why[128] = "";
    if (proto_room_record_add_kept(rec, keeper, buf, (size_t)n, why, sizeof why) != 0)
        fail_msg("%s", why);
}

/* A room named name, held, its kept events as full as they go. */
static void full_room(struct relay *r, const char *name)
{
    static struct proto_room_record rec;
    proto_room_record_init(&rec);
    for (int k = 0; k < 16; k++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", k);
        add_kept(&rec, 1 + (uint32_t)k, "0123456789abcdef", key, 990);
    }
    char why[256];
    if (relay_room_restore(r, name, &rec, now_us, why, sizeof why) != 0)
        fail_msg("%s", why);
}

/* peer keeps key = body, with stay. */
static void keep(struct relay *r, uint32_t peer, const char *key, const char *body)
{
    uint8_t buf[PROTO_EVENT_MAX];
    int n = proto_event_encode_kept(buf, sizeof buf, key, true, body, strlen(body));
    assert_true(n > 0);
    assert_int_equal(relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                                       (size_t)n, now_us),
                     0);
}

/* The kept event under key of room name in the file at path, its body
 * into out (cap); false: none. */
static bool file_kept(const char *name, const char *key, char *out, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char text[8 << 20];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    cJSON *o = cJSON_ParseWithLength(text, n);
    assert_non_null(o);
    const cJSON *room = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(o, "rooms"), name);
    static struct proto_room_record rec;
    char why[256];
    assert_int_equal(proto_room_record_read(room, &rec, why, sizeof why), 0);
    cJSON_Delete(o);
    for (uint32_t i = 0; i < rec.n_kept; i++) {
        size_t len;
        const uint8_t *b = proto_room_record_event(&rec, i, &len);
        struct proto_event e;
        assert_int_equal(proto_event_decode(b, len, &e), PROTO_OK);
        if (e.key_len == strlen(key) && memcmp(e.key, key, e.key_len) == 0) {
            snprintf(out, cap, "%.*s", (int)e.len, (const char *)e.body);
            return true;
        }
    }
    return false;
}

static void a_busy_room_file_never_holds_the_loop(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 2);
    for (int i = 0; i < ROOMS; i++) {
        char name[16];
        snprintf(name, sizeof name, "room%03d", i);
        full_room(r, name);
    }
    struct room_file *f = NULL;
    char err[512];
    assert_int_equal(room_file_open(&f, path, r, cfg.max_rooms, now_us, err, sizeof err), 0);
    assert_int_equal(join(r, 0, "room000", "ann", false), 0);
    uint64_t t0 = clock_now_us(), next_change = t0, longest = 0, longest_cpu = 0, bytes = 0;
    uint64_t first_at = 0, last_at = 0, bytes_after = 0; /* the rate between writes */
    uint32_t changes = 0, writes = 0;
    ino_t seen = 0;
    char body[32] = "";
    while (clock_now_us() - t0 < RUN_US) {
        uint64_t now = clock_now_us();
        if (now >= next_change) {
            snprintf(body, sizeof body, "change %u", (unsigned)++changes);
            keep(r, 0, "live", body);
            next_change += CHANGE_US;
        }
        uint64_t a = clock_now_us(), c = cpu_us();
        room_file_tick(f, r, now_us);
        uint64_t took = clock_now_us() - a, cpu = cpu_us() - c;
        longest = took > longest ? took : longest;
        longest_cpu = cpu > longest_cpu ? cpu : longest_cpu;
        struct stat st;
        if (stat(path, &st) == 0 && st.st_ino != seen) { /* each write is a new file */
            seen = st.st_ino;
            writes++;
            bytes += (uint64_t)st.st_size;
            if (first_at)
                bytes_after += (uint64_t)st.st_size;
            else
                first_at = clock_now_us();
            last_at = clock_now_us();
        }
        usleep(TURN_US);
    }
    double s = (clock_now_us() - t0) / 1e6;
    double between = (last_at - first_at) / 1e6;
    print_message("%d rooms, %u changes in %.1f s: the loop's longest call to the file %.2f ms "
                  "(%.2f ms of its CPU); the file written %u times (%.2f MB a write), from the "
                  "first write to the last %.2f writes a second, %.2f MB a second\n",
                  ROOMS, (unsigned)changes, s, longest / 1000.0, longest_cpu / 1000.0,
                  (unsigned)writes, writes ? bytes / (double)writes / 1e6 : 0.0,
                  between > 0 ? (writes - 1) / between : 0.0,
                  between > 0 ? bytes_after / between / 1e6 : 0.0);
    if (longest >= STALL_US)
        fail_msg("the room file held the loop %.2f ms", longest / 1000.0);
    assert_true(writes >= 2);
    assert_true(writes <= s * 10 + 1);
    assert_true(bytes <= s * (4u << 20) + (8u << 20)); /* the rate, and the first write */
    assert_true(bytes_after <= between * (4u << 20) * 1.05 + 1);
    room_file_close(f, r);
    char got[32];
    assert_true(file_kept("room000", "live", got, sizeof got));
    assert_string_equal(got, body); /* the stop wrote the last change */
    assert_true(file_kept("room254", "k15", got, sizeof got));
    relay_destroy(r);
}

static void a_planted_link_is_never_followed(void **state)
{
    (void)state;
    char victim[96], tmp[160];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    FILE *v = fopen(victim, "w");
    assert_non_null(v);
    fputs("victim\n", v);
    fclose(v);
    char inner[96];
    snprintf(inner, sizeof inner, "%s/relay", dir); /* the relay's folder, 0700 */
    assert_int_equal(mkdir(inner, 0700), 0);
    snprintf(path, sizeof path, "%s/rooms.json", inner);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(symlink(victim, tmp), 0);
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 2);
    struct room_file *f = NULL;
    char err[512];
    said[0] = '\0';
    enum log_level was = log_threshold;
    log_threshold = LOG_WARN;
    log_set_sink(keep_line, NULL);
    assert_int_equal(room_file_open(&f, path, r, cfg.max_rooms, now_us, err, sizeof err), 0);
    assert_int_equal(join(r, 0, "den", "ann", false), 0);
    keep(r, 0, "live", "kept");
    assert_int_equal(room_file_save(f, r), 0);
    room_file_close(f, r);
    log_set_sink(NULL, NULL);
    log_threshold = was;
    char got[32];
    v = fopen(victim, "r");
    assert_non_null(v);
    assert_non_null(fgets(got, sizeof got, v));
    fclose(v);
    assert_string_equal(got, "victim\n"); /* untouched */
    assert_true(file_kept("den", "live", got, sizeof got));
    assert_string_equal(got, "kept");
    struct stat st;
    assert_int_equal(lstat(tmp, &st), -1); /* gone, and no new one left */
    print_message("%s", said);
    assert_int_equal(lines_with("rooms.json.tmp was there (a symbolic link): removed, not "
                                "followed"), 1);
    relay_destroy(r);
}

static void a_folder_others_may_write_is_refused(void **state)
{
    (void)state;
    assert_int_equal(chmod(dir, 0777), 0);
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 1);
    struct room_file *f = NULL;
    char err[512];
    assert_int_equal(room_file_open(&f, path, r, cfg.max_rooms, now_us, err, sizeof err), -1);
    print_message("%s\n", err);
    assert_non_null(strstr(err, "is writable by others (mode 0777)"));
    assert_null(strchr(err, '\n'));
    relay_destroy(r);
}

/* A file of one room, den, whose record's kept events are ks (as a
 * record's entries: sender, keeper). */
static void put_file(const uint32_t *senders, const char *const *keepers, size_t n)
{
    static struct proto_room_record rec;
    proto_room_record_init(&rec);
    for (size_t i = 0; i < n; i++) {
        char key[24];
        snprintf(key, sizeof key, "k%zu", i);
        uint8_t buf[PROTO_EVENT_MAX];
        int len = proto_event_encode_kept(buf, sizeof buf, key, true, "x", 1);
        assert_true(len > 0);
        proto_state_stamp_sender(buf, senders[i]);
        /* past the record's own checks: written as a hostile file would be */
        struct proto_room_kept *k = &rec.kept[rec.n_kept++];
        snprintf(k->keeper, sizeof k->keeper, "%s", keepers[i]);
        k->at = (uint16_t)rec.kept_bytes;
        k->len = (uint16_t)len;
        memcpy(rec.bytes + rec.kept_bytes, buf, (size_t)len);
        rec.kept_bytes += (uint32_t)len;
    }
    static char json[PROTO_ROOM_RECORD_MAX + 1];
    assert_true(proto_room_record_encode(json, sizeof json, &rec) > 0);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "{\"v\":1,\"rooms\":{\"den\":%s}}\n", json);
    fclose(fp);
}

static void a_reserved_sender_is_refused_at_start(void **state)
{
    (void)state;
    static const struct {
        uint32_t sender;
        const char *keeper, *why;
    } bad[] = {
        {0, "0123456789abcdef", "sender 0"},
        {UINT32_MAX, "0123456789abcdef", "the room's own sender"},
        {7, PROTO_ROOM_KEEPER, "the room's own keeper"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_file(&bad[i].sender, &bad[i].keeper, 1);
        struct relay_config cfg = unlimited_config();
        struct relay *r = relay_with_peers(&cfg, 1);
        struct room_file *f = NULL;
        char err[512];
        assert_int_equal(room_file_open(&f, path, r, cfg.max_rooms, now_us, err, sizeof err),
                         -1);
        print_message("%s\n", err);
        assert_non_null(strstr(err, "room 'den': room record: kept:"));
        assert_non_null(strstr(err, bad[i].why));
        assert_null(strchr(err, '\n'));
        assert_int_equal(relay_rooms(r), 0);
        relay_destroy(r);
    }
}

/* The id peer's welcome gave it (the events replayed after it passed over). */
static uint32_t welcome_id(uint32_t peer)
{
    for (size_t i = 0; i < fk.n_ctl; i++)
        if (fk.ctl[i].peer == peer && fk.ctl[i].json[0] == '{' &&
            ctl_at(i)->type == PROTO_CTL_WELCOME)
            return dec->id;
    fail_msg("no welcome to %u", (unsigned)peer);
    return 0;
}

static void the_highest_member_id_makes_no_member_the_rooms(void **state)
{
    (void)state;
    const uint32_t senders[] = {UINT32_MAX - 1, UINT32_MAX};
    const char *const keepers[] = {"0123456789abcdef", PROTO_ROOM_KEEPER};
    put_file(senders, keepers, 2);
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, 3);
    struct room_file *f = NULL;
    char err[512];
    assert_int_equal(room_file_open(&f, path, r, cfg.max_rooms, now_us, err, sizeof err), 0);
    for (uint32_t p = 0; p < 3; p++) {
        assert_int_equal(join(r, p, "den", p ? "bob" : "ann", false), 0);
        uint32_t id = welcome_id(p);
        if (id == 0 || id >= UINT32_MAX - 1)
            fail_msg("member %u has id %u", (unsigned)p, (unsigned)id);
    }
    room_file_close(f, r);
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_busy_room_file_never_holds_the_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(a_planted_link_is_never_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(a_folder_others_may_write_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(a_reserved_sender_is_refused_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(the_highest_member_id_makes_no_member_the_rooms, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
