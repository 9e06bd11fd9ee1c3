/* test_e2e_lockstep.c: a lockstep room (PROTOCOL.md, "Lockstep rooms")
 * through a real relay and libricochet, over loopback: players over ENet
 * unsequenced, plain UDP and ENet reliable, and a spectator, get the same
 * frames byte for byte, the relay's kept log (--lockstep-log) too, each
 * player's inputs in its slot; an input sent for a tick already closed is
 * a stand-in in its frame, told (RICOCHET_EV_LATE) and in the relay's log
 * with how late it came; a player whose checks diverge from tick 37 is
 * named at tick 40 (checks every 10) and at each check after, no one else;
 * a player that joins later and asks from a tick gets every frame from it,
 * the same as the others' (one on a reliable way too, from the room's first
 * tick, more than 64 frames behind), and one that never asks gets every frame from
 * the room's first once it sends an input; a room's script's on_input
 * (tests/scripts/lockstep.lua) refuses one input (its stand-in, logged
 * once, its copies ignored) and rewrites another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lib/ricochet.h"
#include "tests/support/harness.h"

#define END 90        /* frames every player gets: 3 s at 30 Hz */
#define PLAYERS 3
#define MAX_FRAME 1024

/* What one session got and sent. */
struct player {
    struct ricochet *r;
    int32_t slot;
    bool welcomed, asked;
    uint32_t next;                  /* frames got: ticks from..next-1 */
    uint32_t from;
    uint8_t frames[END + 64][MAX_FRAME];
    size_t lens[END + 64];
    bool sent[END + 64];            /* an input of mine for that tick went */
    uint32_t lates, desyncs;
    uint32_t desync_tick, desync_ids[8]; /* the first desync's */
    size_t n_desync;
    uint32_t diverge_at;            /* its checks lie from this tick (0: never) */
    uint32_t skip;                  /* an input sent late on purpose for this tick (0: none) */
};

static struct spawn_proc relay;
static char log_path[64] = "/tmp/ricochet-lockstep-XXXXXX";

static const char *script; /* the room's script prop ("" none) */

static struct ricochet *open_player(uint16_t port, enum ricochet_mode mode, const char *name,
                                    bool make, bool spectator, const char *room)
{
    struct ricochet_config *cfg = ricochet_config_new();
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", port), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room(cfg, room), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, name), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_mode(cfg, mode), RICOCHET_OK);
    if (make) {
        struct ricochet_lockstep ls;
        ricochet_lockstep_defaults(&ls);
        ls.slots = 4;
        ls.input_max = 4;
        ls.delay = 3;
        ls.check_every = 10;
        assert_int_equal(ricochet_config_set_lockstep(cfg, &ls), RICOCHET_OK);
    }
    assert_int_equal(ricochet_config_set_spectator(cfg, spectator), RICOCHET_OK);
    if (script && script[0])
        assert_int_equal(ricochet_config_set_room_prop(cfg, "script", script), RICOCHET_OK);
    char err[256];
    struct ricochet *r = ricochet_connect(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    if (!r)
        fail_msg("connect: %s", err);
    return r;
}

/* FNV-1a over the frames got so far: a "simulation" every player agrees on. */
static uint64_t sum_of(const struct player *p, uint32_t upto)
{
    uint64_t h = 1469598103934665603ull;
    for (uint32_t t = p->from; t <= upto; t++)
        for (size_t i = 0; i < p->lens[t]; i++)
            h = (h ^ p->frames[t][i]) * 1099511628211ull;
    return h;
}

/* One poll of p: frames kept, checks sent, my input for the tick aimed at. */
static void step(struct player *p)
{
    struct ricochet_event ev;
    /* the skipped one: nothing read around its tick, then it goes once the
     * relay closed it two ticks ago, before its frame is read */
    uint32_t now = p->welcomed ? ricochet_lockstep_tick(p->r) : 0;
    if (p->skip && !p->sent[p->skip] && now + 1 >= p->skip) {
        if (now <= p->skip + 2)
            return;
        uint8_t in[2] = {(uint8_t)p->slot, (uint8_t)p->skip};
        assert_int_equal(ricochet_send_input(p->r, p->skip, in, sizeof in), RICOCHET_OK);
        p->sent[p->skip] = true;
    }
    while (ricochet_poll(p->r, 0, &ev) == 1) {
        switch (ev.type) {
        case RICOCHET_EV_WELCOME:
            p->welcomed = true;
            assert_int_equal(ricochet_lockstep(p->r, NULL, &p->slot, NULL), RICOCHET_OK);
            break;
        case RICOCHET_EV_FRAME: {
            assert_int_equal(ev.id, p->next);
            size_t n;
            const uint8_t *b = ricochet_event_bytes(p->r, &n);
            if (ev.id < END + 64) {
                memcpy(p->frames[ev.id], b, n);
                p->lens[ev.id] = n;
            }
            p->next++;
            if (ev.id % 10 == 0 && ev.id < END && p->slot >= 0) {
                uint64_t sum = sum_of(p, ev.id);
                if (p->diverge_at && ev.id >= p->diverge_at)
                    sum ^= 1;
                int rc = ricochet_send_check(p->r, ev.id, sum);
                if (rc != RICOCHET_OK)
                    fail_msg("check of %u: %d (slot %d)", (unsigned)ev.id, rc, p->slot);
            }
            break;
        }
        case RICOCHET_EV_LATE:
            p->lates++;
            break;
        case RICOCHET_EV_DESYNC:
            if (!p->desyncs++) {
                p->desync_tick = ev.id;
                p->n_desync = ricochet_lockstep_desync(p->r, p->desync_ids, 8);
            }
            assert_int_equal(ricochet_lockstep_desync(p->r, NULL, 0), 1); /* the liar alone */
            break;
        case RICOCHET_EV_DISCONNECTED:
            fail_msg("disconnected: %s %s", ev.code, ev.text);
        default:
            break;
        }
    }
    if (!p->welcomed || p->slot < 0)
        return;
    uint32_t t = ricochet_lockstep_aim(p->r);
    if (t < END + 64 && !p->sent[t] && t != p->skip) {
        uint8_t in[2] = {(uint8_t)p->slot, (uint8_t)t};
        if (ricochet_send_input(p->r, t, in, sizeof in) == RICOCHET_OK)
            p->sent[t] = true;
    }
}

static bool all_done(struct player *ps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ps[i].next < END)
            return false;
    return true;
}

static void run(struct player *ps, size_t n, int max_ms)
{
    uint64_t until = ricochet_now_us() + (uint64_t)max_ms * 1000;
    while (!all_done(ps, n) && ricochet_now_us() < until) {
        for (size_t i = 0; i < n; i++)
            step(&ps[i]);
        usleep(1000);
    }
    for (size_t i = 0; i < n; i++)
        if (ps[i].next < END)
            fail_msg("player %zu got %u frames of %d", i, ps[i].next, END);
}

static char *read_log(void)
{
    harness_stop(&relay); /* the relay flushes its log at its stop */
    char *text = harness_read_text(log_path);
    assert_non_null(text);
    return text;
}

/* The frame of tick t in the relay's log, as hex. */
static bool log_frame(const char *log, const char *room, uint32_t t, char *hex, size_t cap)
{
    char key[96];
    snprintf(key, sizeof key, "{\"room\":\"%s\",\"tick\":%u,\"frame\":\"", room, (unsigned)t);
    const char *at = strstr(log, key);
    if (!at)
        return false;
    at += strlen(key);
    size_t n = strcspn(at, "\"");
    snprintf(hex, cap, "%.*s", (int)n, at);
    return true;
}

static int setup(void **state)
{
    (void)state;
    int fd = mkstemp(log_path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(log_path);
    return 0;
}

static void every_member_gets_the_same_frames(void **state)
{
    (void)state;
    static struct player ps[PLAYERS + 1];
    memset(ps, 0, sizeof ps);
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "udp://127.0.0.1:0",
                          "--lockstep-log", log_path, NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t enet = harness_edge_port(&relay, "enet"), udp = harness_edge_port(&relay, "udp");
    ps[0].r = open_player(enet, RICOCHET_MODE_UNSEQUENCED, "ana", true, false, "rts");
    ps[0].diverge_at = 37;
    ps[0].skip = 45; /* its input for 45 goes after 45 closed */
    /* each would make the room so, whichever join comes first */
    ps[1].r = open_player(udp, RICOCHET_MODE_UDP, "ben", true, false, "rts");
    ps[2].r = open_player(enet, RICOCHET_MODE_RELIABLE, "cat", true, false, "rts");
    ps[3].r = open_player(enet, RICOCHET_MODE_UNSEQUENCED, "spy", true, true, "rts");
    /* every player asks from 0 once welcomed, the spectator too */
    uint64_t until = ricochet_now_us() + 5000000;
    for (bool all = false; !all && ricochet_now_us() < until;) {
        all = true;
        for (size_t i = 0; i <= PLAYERS; i++) {
            step(&ps[i]);
            if (ps[i].welcomed && !ps[i].asked)
                ps[i].asked = ricochet_lockstep_from(ps[i].r, 0) == RICOCHET_OK;
            all &= ps[i].asked;
        }
        usleep(1000);
    }
    assert_int_equal(ps[3].slot, -1);
    run(ps, PLAYERS + 1, 20000); /* the spectator's frames lag 2 s */
    /* the same bytes, frame for frame, and the relay's log the same */
    char *log = read_log();
    char hex[2 * MAX_FRAME + 1], mine[2 * MAX_FRAME + 1];
    for (uint32_t t = 0; t < END; t++) {
        assert_true(log_frame(log, "rts", t, hex, sizeof hex));
        for (size_t i = 0; i <= PLAYERS; i++) {
            for (size_t k = 0; k < ps[i].lens[t]; k++)
                snprintf(mine + 2 * k, 3, "%02x", ps[i].frames[t][k]);
            mine[2 * ps[i].lens[t]] = '\0';
            if (strcmp(mine, hex) != 0)
                fail_msg("player %zu's frame %u: %s, the relay's %s", i, (unsigned)t, mine, hex);
        }
    }
    /* each player's input in its slot, where it sent one in time; the
     * skipped one stood in for, told and logged */
    for (size_t i = 0; i < PLAYERS; i++) {
        uint32_t present = 0;
        for (uint32_t t = 0; t < END; t++) {
            const uint8_t *f = ps[i].frames[t];
            size_t at = 0;
            for (int32_t s = 0; s < ps[i].slot; s++) /* to its slot's entry */
                at += (f[at] == 1 || f[at] == 2) ? 2 + f[at + 1] : 1;
            if (f[at] == 1) {
                /* its input for t, or for a tick its aim stepped over after
                 * the late, the input it sent next */
                uint32_t u = t;
                while (u < END + 63 && !ps[i].sent[u])
                    u++;
                assert_int_equal(f[at + 1], 2);
                assert_int_equal(f[at + 2], ps[i].slot);
                assert_int_equal(f[at + 3], (uint8_t)u);
                present++;
            } else if (ps[i].skip && t == ps[i].skip && f[at] != 2) { /* its last stands in */
                fail_msg("player %zu's skipped tick %u: flag %u", i, (unsigned)t, f[at]);
            }
        }
        print_message("player %zu: its input in %u of %d frames\n", i, (unsigned)present, END);
        if (present <= END - 20) /* all but the first ticks, before it aimed */
            fail_msg("player %zu: %u inputs in its slot of %d frames, %u late", i,
                     (unsigned)present, END, (unsigned)ps[i].lates);
    }
    assert_int_equal(ps[0].lates, 1);
    assert_int_equal(ps[1].lates + ps[2].lates, 0);
    char late[96];
    snprintf(late, sizeof late, "\"tick\":45,\"slot\":%d,\"late_us\":", ps[0].slot);
    assert_non_null(strstr(log, late));
    /* the liar, named at tick 40 (its first lie at 37), by everyone, and at
     * every check after (50, 60, 70, 80) */
    for (size_t i = 0; i <= PLAYERS; i++) {
        assert_int_equal(ps[i].desyncs, 5);
        assert_int_equal(ps[i].desync_tick, 40);
        assert_int_equal(ps[i].n_desync, 1);
        assert_int_equal(ps[i].desync_ids[0], ricochet_id(ps[0].r));
    }
    free(log);
    for (size_t i = 0; i <= PLAYERS; i++)
        ricochet_close(ps[i].r);
}


/* Polls p until its welcome, then asks from `from`. */
static void welcome_and_ask(struct player *p, uint32_t from)
{
    uint64_t until = ricochet_now_us() + 5000000;
    while (!p->welcomed && ricochet_now_us() < until) {
        step(p);
        usleep(1000);
    }
    assert_true(p->welcomed);
    p->from = p->next = from;
    assert_int_equal(ricochet_lockstep_from(p->r, from), RICOCHET_OK);
}

static void a_latecomer_asks_from_a_tick(void **state)
{
    (void)state;
    static struct player ps[4];
    memset(ps, 0, sizeof ps);
    script = "";
    const char *args[] = {"--listen", "enet://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t enet = harness_edge_port(&relay, "enet");
    ps[0].r = open_player(enet, RICOCHET_MODE_UNSEQUENCED, "ana", true, false, "late");
    welcome_and_ask(&ps[0], 0);
    run(ps, 1, 10000); /* ana alone to END */
    ps[1].r = open_player(enet, RICOCHET_MODE_SEQUENCED, "ben", false, false, "late");
    welcome_and_ask(&ps[1], 50); /* as a snapshot of tick 49 would have it */
    /* cat asks nothing: its first input, for a tick past 64, asks from 0 */
    ps[2].r = open_player(enet, RICOCHET_MODE_UNSEQUENCED, "cat", false, false, "late");
    /* dan, on a reliable way, from 0: more frames behind than a client
     * keeps ahead of the one it awaits, each sent once */
    ps[3].r = open_player(enet, RICOCHET_MODE_RELIABLE, "dan", false, false, "late");
    welcome_and_ask(&ps[3], 0);
    uint32_t upto = ps[0].next + 30;
    uint64_t until = ricochet_now_us() + 10000000;
    while ((ps[0].next < upto || ps[1].next < upto || ps[2].next < upto ||
            ps[3].next < upto) && ricochet_now_us() < until) {
        for (size_t i = 0; i < 4; i++)
            step(&ps[i]);
        usleep(1000);
    }
    assert_true(ps[1].next >= upto);
    assert_true(ps[2].next >= upto);
    if (ps[3].next < upto)
        fail_msg("the reliable latecomer got %u frames of %u", (unsigned)ps[3].next,
                 (unsigned)upto);
    assert_true(ricochet_lockstep_aim(ps[2].r) > 64);
    for (uint32_t t = 0; t < END + 30 && t < upto; t++) {
        assert_int_equal(ps[2].lens[t], ps[0].lens[t]);
        assert_memory_equal(ps[2].frames[t], ps[0].frames[t], ps[0].lens[t]);
        assert_int_equal(ps[3].lens[t], ps[0].lens[t]);
        assert_memory_equal(ps[3].frames[t], ps[0].frames[t], ps[0].lens[t]);
        if (t < 50)
            continue;
        assert_int_equal(ps[1].lens[t], ps[0].lens[t]);
        assert_memory_equal(ps[1].frames[t], ps[0].frames[t], ps[0].lens[t]);
    }
    harness_stop(&relay);
    for (size_t i = 0; i < 4; i++)
        ricochet_close(ps[i].r);
}

/* The flag and first byte of slot's entry in frame f. */
static int entry(const uint8_t *f, int32_t slot, uint8_t *flag)
{
    size_t at = 0;
    for (int32_t s = 0; s < slot; s++)
        at += (f[at] == 1 || f[at] == 2) ? 2 + f[at + 1] : 1;
    *flag = f[at];
    return (f[at] == 1 || f[at] == 2) ? f[at + 2] : -1;
}

static void a_script_refuses_and_rewrites_inputs(void **state)
{
    (void)state;
    static struct player p;
    memset(&p, 0, sizeof p);
    script = "lockstep";
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--script-dir", "tests/scripts",
                          "--lockstep-log", log_path, NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t enet = harness_edge_port(&relay, "enet");
    p.r = open_player(enet, RICOCHET_MODE_UNSEQUENCED, "ana", true, false, "ruled");
    script = "";
    welcome_and_ask(&p, 0);
    /* inputs for ticks ahead: 1 as it is, then 2 (rewritten 3), then 255 (refused) */
    uint32_t t = ricochet_lockstep_aim(p.r) + 2;
    const uint8_t ins[3][2] = {{1, 9}, {2, 9}, {255, 9}};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ricochet_send_input(p.r, t + (uint32_t)i, ins[i], 2), RICOCHET_OK);
        p.sent[t + (uint32_t)i] = true;
    }
    uint64_t until = ricochet_now_us() + 5000000;
    while (p.next < t + 3 && ricochet_now_us() < until) {
        step(&p);
        usleep(1000);
    }
    assert_true(p.next >= t + 3);
    uint8_t flag;
    assert_int_equal(entry(p.frames[t], p.slot, &flag), 1);
    assert_int_equal(flag, 1);
    assert_int_equal(entry(p.frames[t + 1], p.slot, &flag), 3);
    assert_int_equal(flag, 1);
    assert_int_equal(entry(p.frames[t + 2], p.slot, &flag), 3); /* its last stands in */
    assert_int_equal(flag, 2);
    assert_int_equal(p.lates, 0);
    /* the refused input was judged once, its copies after it ignored */
    char *log = read_log();
    char refused[96];
    snprintf(refused, sizeof refused, "{\"room\":\"ruled\",\"tick\":%u,\"slot\":%d,\"refused\":true}",
             (unsigned)(t + 2), p.slot);
    const char *at = strstr(log, refused);
    assert_non_null(at);
    if (strstr(at + strlen(refused), "\"refused\":true"))
        fail_msg("refused twice: %s", at);
    free(log);
    ricochet_close(p.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_member_gets_the_same_frames),
        cmocka_unit_test(a_latecomer_asks_from_a_tick),
        cmocka_unit_test(a_script_refuses_and_rewrites_inputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
