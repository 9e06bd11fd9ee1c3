/* test_e2e_lockstep_bindings.c: four players in four bindings in one
 * lockstep room through netsim's IP mode at 100 ms delay and 40 ms jitter
 * each way, and 5% loss each way from the first datagram: libricochet in
 * C (this test, ENet unsequenced), the Python package (ENet sequenced), the
 * JavaScript package in Node (the ws edge) and the managed C# session under
 * mono (ENet, no native library) play 10 s at 30 Hz. Every player's hash of its confirmed log is the
 * relay's kept log's (--lockstep-log), byte for byte; every present input
 * is one its player sent; every input the relay took before its tick's
 * deadline (lockstep.inputs) is a present slot, and the relay dropped no
 * member's datagram (rate_limited, bad_state, ...); every stand-in from a
 * player's first input on is a late input in the relay's log, or a tick
 * whose frame its player held before it came to send (late by its own
 * library), every late input the relay logged a stand-in, and the others
 * are the input delay's ticks between the player's join (the relay's log)
 * and its first input. Each player sends, as a game's fixed step does, an
 * input for every tick from its first aim on, those its loop's stalls
 * stepped over too. */

/* tests/run: alone (four players, netsim and the relay on two cores).
 * LOCKSTEP_PLAY_S=N plays N s instead (make soak-lockstep: 120). The
 * players: tests/support/lockstep/player.py and player.mjs,
 * client/csharp/tests/lockstep/Player.cs; each prints its slot, the ticks
 * it sent, those whose frames came first, and its hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lib/ricochet.h"
#include "lab/harness/netlab.h"
#include "lab/harness/spawn.h"
#include "proto/lockstep.h"
#include "tests/support/harness.h"
#include "tests/support/servers.h"

#define HZ 30
#define DELAY 4      /* 133 ms: under 100 ms +- 40 and the offset's error, now and then late */
#define PLAYERS 4
#define INPUT 3
#define FRAME_MAX (PLAYERS * (INPUT + 2))
#define STEP_MAX 32  /* ticks an aim may step over at once (a late moves it a tick) */
#define JOIN_MS 15000 /* every player's wait for its welcome, and the relay's for a join */

static const char *const names[PLAYERS] = {"c", "py", "js", "cs"};

/* A player as the test reads it: its slot, the ticks it sent an input
 * for and those whose frames it held before it came to them, its hash of
 * frames 0 to end - 1; from the relay's log, the tick it took its slot at. */
struct player {
    int slot;
    bool *sent, *held;
    uint32_t joined, first;
    char hash[17];
};

/* What the relay drops of a member's datagrams before its lockstep room
 * sees them: none may count, or an input could have reached it in time
 * and still be missing from its frame. */
static const char *const input_drops[] = {
    "drops.rate_limited", "drops.throttled", "drops.bad_state", "drops.wrong_channel",
    "drops.too_big", "drops.not_joined", "drops.script_refused", "drops.script_busy"};

static char scratch[64];

static int setup(void **state)
{
    (void)state;
    return harness_install_lib(scratch, sizeof scratch);
}

static int teardown(void **state)
{
    (void)state;
    servers_remove_tree(scratch);
    return 0;
}

static uint64_t fnv(uint64_t h, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* The tick a player took slot at, by the relay's kept log (log_text);
 * UINT32_MAX if none has yet. */
static uint32_t joined_at(const char *log, int slot)
{
    char key[48];
    snprintf(key, sizeof key, ",\"slot\":%d,\"player\":\"", slot);
    for (const char *at = log; (at = strstr(at, key)); at++) {
        const char *line = at;
        while (line > log && line[-1] != '\n')
            line--;
        unsigned t;
        if (at[strlen(key)] != '"' && sscanf(line, "{\"room\":\"four\",\"tick\":%u,", &t) == 1)
            return t;
    }
    return UINT32_MAX;
}

/* The C player, as the others: plays until it has frames 0 to end - 1. */
static void c_player(uint16_t port, uint32_t end, struct player *p)
{
    struct ricochet_config *cfg = ricochet_config_new();
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, "198.19.0.1", port), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room(cfg, "four"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, names[0]), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_timeout_ms(cfg, JOIN_MS), RICOCHET_OK);
    struct ricochet_lockstep ls;
    ricochet_lockstep_defaults(&ls);
    ls.hz = HZ;
    ls.delay = DELAY;
    ls.slots = PLAYERS;
    ls.input_max = INPUT;
    ls.check_every = 0;
    assert_int_equal(ricochet_config_set_lockstep(cfg, &ls), RICOCHET_OK);
    char err[256];
    struct ricochet *r = ricochet_connect(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    if (!r)
        fail_msg("connect: %s", err);
    uint64_t h = 1469598103934665603ull, until = ricochet_now_us() + (end / HZ + 40) * 1000000ull;
    uint32_t next = 0, to_send = UINT32_MAX;
    p->slot = -1;
    while (next < end && ricochet_now_us() < until) {
        struct ricochet_event ev;
        while (ricochet_poll(r, 0, &ev) == 1) {
            if (ev.type == RICOCHET_EV_WELCOME) {
                int32_t slot;
                assert_int_equal(ricochet_lockstep(r, NULL, &slot, NULL), RICOCHET_OK);
                p->slot = slot;
            } else if (ev.type == RICOCHET_EV_FRAME) {
                if (ev.id != next)
                    fail_msg("the C player: frame %u after %u", ev.id, next);
                size_t n;
                const uint8_t *b = ricochet_event_bytes(r, &n);
                if (next++ < end)
                    h = fnv(h, b, n);
            } else if (ev.type == RICOCHET_EV_DISCONNECTED || ev.type == RICOCHET_EV_ERROR) {
                fail_msg("the C player: %s %s", ev.code, ev.text);
            }
        }
        /* an input for every tick from the first aimed at to the aim now */
        uint32_t aim = ricochet_lockstep_aim(r);
        if (p->slot >= 0 && to_send == UINT32_MAX)
            to_send = aim;
        for (; p->slot >= 0 && to_send <= aim && to_send < end; to_send++) {
            uint32_t t = to_send;
            uint8_t in[INPUT] = {(uint8_t)p->slot, (uint8_t)t, (uint8_t)(t >> 8)};
            if (t < next)
                p->held[t] = true; /* its frame came first */
            else
                p->sent[t] = ricochet_send_input(r, t, in, INPUT) == RICOCHET_OK;
        }
        usleep(2000);
    }
    ricochet_close(r);
    if (next < end)
        fail_msg("the C player got %u frames of %u", next, end);
    snprintf(p->hash, sizeof p->hash, "%016" PRIx64, h);
}

/* The line of text starting with key (its rest), or NULL. */
static const char *line_of(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *at = text; at; at = strchr(at, '\n'), at = at ? at + 1 : NULL)
        if (strncmp(at, key, n) == 0)
            return at + n;
    return NULL;
}

/* A player's line of ticks (numbers apart by a space) into is[t]. */
static void ticks_of(const char *line, uint32_t end, bool *is)
{
    for (char *at = (char *)line; *at >= '0' && *at <= '9';) {
        unsigned long t = strtoul(at, &at, 10);
        assert_true(t < end);
        is[t] = true;
        at += *at == ' ';
    }
}

/* Player i's output (scratch/NAME.out) read into p, once it exited 0. */
static void read_player(int i, uint32_t end, struct player *p)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s.rc", scratch, names[i]);
    char *rc = NULL;
    for (int k = 0; k < 900 && (!(rc = harness_read_text(path)) || !rc[0]); k++) {
        free(rc); /* not yet, or not yet written */
        rc = NULL;
        clock_sleep_ms(100);
    }
    snprintf(path, sizeof path, "%s/%s.out", scratch, names[i]);
    char *out = harness_read_text(path);
    const char *trouble = out ? line_of(out, "trouble ") : NULL;
    if (!rc || atoi(rc) != 0)
        fail_msg("the %s player: exit %s: %.200s", names[i], rc ? rc : "(none within 90 s)",
                 trouble ? trouble : out ? out : "");
    free(rc);
    assert_non_null(out);
    const char *slot = line_of(out, "slot "), *sent = line_of(out, "sent ");
    const char *held = line_of(out, "held "), *hash = line_of(out, "hash ");
    assert_true(slot && sent && held && hash);
    p->slot = atoi(slot);
    snprintf(p->hash, sizeof p->hash, "%.16s", hash);
    ticks_of(sent, end, p->sent);
    ticks_of(held, end, p->held);
    free(out);
}

/* The frame of tick t in the relay's kept log, into bytes; its length. */
static size_t logged_frame(const char *log, uint32_t t, uint8_t *bytes)
{
    char key[64];
    snprintf(key, sizeof key, "{\"room\":\"four\",\"tick\":%u,\"frame\":\"", (unsigned)t);
    const char *at = strstr(log, key);
    if (!at)
        fail_msg("no frame %u in the relay's log", (unsigned)t);
    at += strlen(key);
    size_t n = strcspn(at, "\"") / 2;
    assert_true(n <= FRAME_MAX);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(sscanf(at + 2 * k, "%2hhx", &bytes[k]), 1);
    return n;
}

static void four_bindings_confirm_one_log(void **state)
{
    (void)state;
    const char *play = getenv("LOCKSTEP_PLAY_S");
    uint32_t end = (uint32_t)(play && atoi(play) > 0 ? atoi(play) : 10) * HZ; /* ticks */
    if (access("client/js/node_modules/ws/package.json", R_OK) != 0 &&
        system("node -e \"process.exit(globalThis.WebSocket ? 0 : 1)\"") != 0)
        fail_msg("no WebSocket for Node: run .ci/deps test (npm ci in client/js)");
    char cmd[2048], log_path[128], end_text[16], seconds[16], join_ms[16];
    snprintf(cmd, sizeof cmd, "mcs -nologo -warnaserror -out:%s/player.exe "
             "client/csharp/Ricochet/*.cs client/csharp/tests/lockstep/Player.cs 1>&2", scratch);
    assert_int_equal(system(cmd), 0);
    snprintf(log_path, sizeof log_path, "%s/lockstep.log", scratch);
    snprintf(end_text, sizeof end_text, "%u", (unsigned)end);
    snprintf(join_ms, sizeof join_ms, "%d", JOIN_MS);
    snprintf(seconds, sizeof seconds, "%u", (unsigned)(end / HZ + 120));

    struct netlab lab;
    char err[256], line[512];
    if (netlab_open(&lab, err, sizeof err) != 0 || lab.userns) {
        print_message("no network namespaces here that the test can go back from: %s\n",
                      lab.userns ? "a user namespace of its own" : err);
        netlab_close(&lab);
        skip();
    }
    struct spawn_proc netsim, relay;
    const char *sim[] = {"--client-netns", lab.path[NETLAB_CLIENT], "--relay-netns",
                         lab.path[NETLAB_RELAY], "--loss", "5", "--delay", "100", "--jitter", "40",
                         "--seed", "95", "--duration", seconds, NULL};
    assert_int_equal(harness_spawn(&netsim, "ricochet-netsim", sim), 0);
    if (spawn_wait_line(&netsim, "wire up:", 10000, line, sizeof line, err, sizeof err) != 0)
        fail_msg("%s", err);
    /* --rate-limit past the default 180 a second: a player's inputs, acks
     * and pings, bunched by 40 ms of jitter, would pass it now and then
     * (and an input dropped there never reaches its tick); --join-timeout-ms:
     * JOIN_MS; --slow-reader-ms past the default 2 s: the relay closed the
     * C player slow_reader ("824 bytes queued to you and none taken for
     * 2030 ms": nothing heard from it for 2 s) in 1 run of about 60, why
     * not found: a joiner whose welcomes are lost is not it
     * (test_e2e_wire_cookie); this test's own process, the C player,
     * starved that long on two cores would be */
    const char *relay_args[] = {"--listen", "enet://198.19.0.1:0", "--listen", "ws://198.19.0.1:0",
                                "--stale-ms", "0", "--lockstep-log", log_path, "--rate-limit",
                                "400", "--join-timeout-ms", join_ms, "--slow-reader-ms", "10000",
                                NULL};
    assert_int_equal(spawn_start_in(&relay, lab.ns[NETLAB_RELAY], harness_bin_dir(),
                                    "ricochet-relay", relay_args, err, sizeof err), 0);
    if (spawn_wait_listening(&relay, 10000, err, sizeof err) < 0)
        fail_msg("%s", err);
    unsigned enet = harness_edge_port(&relay, "enet"), ws = harness_edge_port(&relay, "ws");

    /* the players in the client's namespace: this thread, and what it starts */
    if (netlab_enter(&lab, NETLAB_CLIENT, err, sizeof err) != 0)
        fail_msg("%s", err);
    snprintf(cmd, sizeof cmd, "(LD_LIBRARY_PATH=%s/usr/lib PYTHONPATH=client/python timeout %s "
             "python3 tests/support/lockstep/player.py 198.19.0.1 %u four py %s > %s/py.out; "
             "echo $? > %s/py.rc) &", scratch, seconds, enet, end_text, scratch, scratch);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "(timeout %s node tests/support/lockstep/player.mjs "
             "ws://198.19.0.1:%u/ four js %s > %s/js.out; echo $? > %s/js.rc) &", seconds, ws,
             end_text, scratch, scratch);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "(mkdir -p %s/empty && LD_LIBRARY_PATH=%s/empty timeout %s mono "
             "%s/player.exe 198.19.0.1 %u four cs %s > %s/cs.out; echo $? > %s/cs.rc) &",
             scratch, scratch, seconds, scratch, enet, end_text, scratch, scratch);
    assert_int_equal(system(cmd), 0);
    struct player ps[PLAYERS];
    for (int i = 0; i < PLAYERS; i++) {
        ps[i].sent = calloc(end, sizeof *ps[i].sent);
        ps[i].held = calloc(end, sizeof *ps[i].held);
        assert_true(ps[i].sent && ps[i].held);
    }
    c_player((uint16_t)enet, end, &ps[0]);
    for (int i = 1; i < PLAYERS; i++)
        read_player(i, end, &ps[i]);
    netlab_enter(&lab, NETLAB_SIDES, err, sizeof err);
    char *out = harness_relay_finish(&relay); /* its log flushed whole */
    spawn_free(&relay);
    assert_int_equal(spawn_stop(&netsim, SIGTERM, 10000), 0);
    char *sim_out = spawn_read_stdout(&netsim); /* what it dropped, each way */
    spawn_free(&netsim);
    netlab_close(&lab);
    long long up = harness_stats_field(sim_out, false, "up.drops.loss");
    long long down = harness_stats_field(sim_out, false, "down.drops.loss");
    free(sim_out);
    assert_true(up > 0 && down > 0);
    char *log = harness_read_text(log_path);
    assert_non_null(log);

    /* each player's slot its own; its first input soon after its join (the
     * input delay, the welcome's way: the aim counts from it until the first
     * pong, 100 ms +- 40 later; a loaded machine), 2 s before the end at
     * the latest */
    for (int i = 0; i < PLAYERS; i++) {
        assert_true(ps[i].slot >= 0 && ps[i].slot < PLAYERS);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(ps[i].slot, ps[j].slot);
        ps[i].joined = joined_at(log, ps[i].slot);
        assert_true(ps[i].joined < end);
        ps[i].first = 0;
        while (ps[i].first < end && !ps[i].sent[ps[i].first] && !ps[i].held[ps[i].first])
            ps[i].first++;
        if (ps[i].first < ps[i].joined || ps[i].first - ps[i].joined > DELAY + 8 ||
            ps[i].first + 2 * HZ > end)
            fail_msg("the %s player took its slot at tick %u, sent its first input for %u",
                     names[i], (unsigned)ps[i].joined, (unsigned)ps[i].first);
    }
    /* the relay's log, frame by frame: its hash; each slot as sent, or late */
    uint64_t h = 1469598103934665603ull;
    long long present = 0, lates = 0, lead_in = 0, held = 0;
    uint8_t bytes[FRAME_MAX];
    for (uint32_t t = 0; t < end; t++) {
        size_t n = logged_frame(log, t, bytes);
        h = fnv(h, bytes, n);
        for (int i = 0; i < PLAYERS; i++) {
            const struct player *p = &ps[i];
            const uint8_t *b;
            size_t blen;
            enum proto_slot_flag flag;
            assert_int_equal(
                proto_frame_slot(bytes, n, PLAYERS, (uint32_t)p->slot, &flag, &b, &blen), 0);
            if (flag == PROTO_SLOT_PRESENT) {
                /* its input for t, or for the tick its aim stepped on to */
                uint32_t u = blen == INPUT ? (uint32_t)b[1] | (uint32_t)b[2] << 8 : 0;
                if (blen != INPUT || b[0] != p->slot || u < t || u - t > STEP_MAX ||
                    u >= end || !p->sent[u])
                    fail_msg("the %s player's slot at tick %u: an input it did not send",
                             names[i], (unsigned)t);
                present++;
            } else if (flag == PROTO_SLOT_LEFT) {
                if (t >= p->joined)
                    fail_msg("the %s player's slot left at tick %u", names[i], (unsigned)t);
            } else if (t >= p->first && p->held[t]) {
                held++; /* late by its own library: the frame came before its input */
            } else if (t >= p->first) {
                char late[96];
                snprintf(late, sizeof late,
                         "{\"room\":\"four\",\"tick\":%u,\"slot\":%d,\"late_us\":",
                         (unsigned)t, p->slot);
                if (!p->sent[t])
                    fail_msg("the %s player's stand-in at tick %u: it sent no input for it",
                             names[i], (unsigned)t);
                if (!strstr(log, late))
                    fail_msg("the %s player's stand-in at tick %u: no late input in the "
                             "relay's log", names[i], (unsigned)t);
                lates++;
            } else if (t >= p->joined) {
                lead_in++; /* the input delay after its join: nothing sent for it */
            } else {
                fail_msg("the %s player's slot at tick %u, before its join", names[i],
                         (unsigned)t);
            }
        }
    }
    char relay_hash[17];
    snprintf(relay_hash, sizeof relay_hash, "%016" PRIx64, h);
    for (int i = 0; i < PLAYERS; i++)
        if (strcmp(ps[i].hash, relay_hash) != 0)
            fail_msg("the %s player's log hashes %s, the relay's %s", names[i], ps[i].hash,
                     relay_hash);
    /* every input taken before its deadline is in its frame, none dropped */
    long long inputs = harness_stats_field(out, true, "lockstep.inputs");
    long long late = harness_stats_field(out, true, "lockstep.late");
    print_message("frames %u, 5%% loss (%lld packets lost up, %lld down; hash "
                  "%s: the relay's log and all four players'), present %lld, stand-ins %lld (late %lld, between a join and its "
                  "first input %lld, its frame held before its input %lld), late inputs in the relay's "
                  "log %lld\n", (unsigned)end, up, down, relay_hash, present,
                  lates + lead_in + held, lates, lead_in, held, late);
    assert_int_equal(inputs, present);
    assert_int_equal(late, lates); /* each late input logged a stand-in, each stand-in late */
    assert_int_equal(harness_stats_field(out, true, "lockstep.far"), 0);
    for (size_t i = 0; i < sizeof input_drops / sizeof input_drops[0]; i++)
        if (harness_stats_field(out, true, input_drops[i]) != 0)
            fail_msg("the relay counted %s: an input may be lost there", input_drops[i]);
    assert_true(present > 2 * lates); /* most ticks played, not stood in */
    for (int i = 0; i < PLAYERS; i++) {
        free(ps[i].sent);
        free(ps[i].held);
    }
    free(out);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_bindings_confirm_one_log),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
