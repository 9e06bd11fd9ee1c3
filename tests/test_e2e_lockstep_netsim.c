/* test_e2e_lockstep_netsim.c: a lockstep room through netsim at 5% loss,
 * 100 ms delay and 40 ms jitter each way (PROTOCOL.md, "Lockstep rooms"):
 * four libricochet players (ENet unsequenced, sequenced and reliable, and
 * plain UDP) play 15 s at 30 Hz, each sending an input for every tick it
 * aims at. Every player's confirmed log hashes the same as the relay's
 * kept log (--lockstep-log), frame for frame; every input in its slot is
 * the one its player sent (for a tick its aim stepped over, the one it
 * sent next as its newest); every stand-in for a tick its player sent an
 * input for is late by the relay's log; and the inputs the relay took in
 * time (its lockstep.inputs) are exactly the frames' present slots. */

/* tests/run: alone (a neighbour's load stalls the players, and what they
 * send after a stall comes at once, past the relay's message rate) */
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

#define HZ 30
#define STOP (15 * HZ)   /* inputs for ticks before it */
#define END (STOP + 40)  /* frames every player gets: past every input's tick */
#define PLAYERS 4
#define INPUT 3
#define FRAME_MAX (PLAYERS * (INPUT + 2))

struct player {
    struct ricochet *r;
    int32_t slot;
    bool welcomed;
    uint32_t next;
    uint8_t frames[END][FRAME_MAX];
    size_t lens[END];
    bool sent[END];
    bool newest[END]; /* sent as the player's newest tick: it also fills the ticks
                         its aim stepped over since the one before */
    uint32_t next_newest;
    uint8_t input[END][INPUT];
};

static uint64_t fnv(uint64_t h, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static struct ricochet *open_player(uint16_t port, enum ricochet_mode mode, const char *name)
{
    struct ricochet_config *cfg = ricochet_config_new();
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", port), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_room(cfg, "rts"), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, name), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_mode(cfg, mode), RICOCHET_OK);
    struct ricochet_lockstep ls;
    ricochet_lockstep_defaults(&ls);
    ls.hz = HZ;
    ls.slots = PLAYERS;
    ls.input_max = INPUT;
    ls.delay = 6; /* 200 ms: 100 ms and 40 ms of jitter, and the offset's error */
    ls.check_every = 0;
    assert_int_equal(ricochet_config_set_lockstep(cfg, &ls), RICOCHET_OK);
    char err[256];
    struct ricochet *r = ricochet_connect(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    if (!r)
        fail_msg("connect %s: %s", name, err);
    return r;
}

/* One poll of p: frames kept, its input for the tick it aims at sent. */
static void step(struct player *p)
{
    struct ricochet_event ev;
    while (ricochet_poll(p->r, 0, &ev) == 1) {
        if (ev.type == RICOCHET_EV_WELCOME) {
            p->welcomed = true;
            assert_int_equal(ricochet_lockstep(p->r, NULL, &p->slot, NULL), RICOCHET_OK);
            assert_int_equal(ricochet_lockstep_from(p->r, 0), RICOCHET_OK);
        } else if (ev.type == RICOCHET_EV_FRAME) {
            assert_int_equal(ev.id, p->next);
            size_t n;
            const uint8_t *b = ricochet_event_bytes(p->r, &n);
            if (ev.id < END) {
                assert_true(n <= FRAME_MAX);
                memcpy(p->frames[ev.id], b, n);
                p->lens[ev.id] = n;
            }
            p->next++;
        } else if (ev.type == RICOCHET_EV_DISCONNECTED || ev.type == RICOCHET_EV_ERROR) {
            fail_msg("slot %d: %s %s", p->slot, ev.code, ev.text);
        }
    }
    if (!p->welcomed)
        return;
    uint32_t t = ricochet_lockstep_aim(p->r);
    if (t < STOP && !p->sent[t]) {
        uint8_t *in = p->input[t];
        in[0] = (uint8_t)p->slot;
        in[1] = (uint8_t)t;
        in[2] = (uint8_t)(t >> 8);
        if (ricochet_send_input(p->r, t, in, INPUT) == RICOCHET_OK) {
            p->sent[t] = true;
            if (t >= p->next_newest) {
                p->newest[t] = true;
                p->next_newest = t + 1;
            }
        }
    }
}

/* Slot s's entry of frame f (len n): its flag, its bytes into *b, *blen. */
static uint8_t entry(const uint8_t *f, size_t n, int32_t s, const uint8_t **b, size_t *blen)
{
    size_t at = 0;
    for (int32_t i = 0;; i++) {
        assert_true(at < n);
        uint8_t flag = f[at];
        size_t len = (flag == 1 || flag == 2) ? f[at + 1] : 0;
        if (i == s) {
            *b = f + at + 2;
            *blen = len;
            return flag;
        }
        at += (flag == 1 || flag == 2) ? 2 + len : 1;
    }
}

static void frames_agree_through_loss_and_jitter(void **state)
{
    (void)state;
    static struct player ps[PLAYERS];
    memset(ps, 0, sizeof ps);
    char log_path[] = "/tmp/ricochet-lockstep-netsim-XXXXXX";
    int fd = mkstemp(log_path);
    assert_true(fd >= 0);
    close(fd);
    struct spawn_proc relay, enet_sim, udp_sim;
    /* --rate-limit and --rate-burst past the defaults (180 a second, 60 at
     * once): the relay's bucket counts a datagram when it reads it, so a
     * stall of the relay or a netsim under the sanitizers hands it what
     * the plain-UDP player sent meanwhile as one burst (its inputs and
     * acks never came to more than 10 datagrams in 100 ms), told
     * rate_limited, an input dropped;
     * --join-timeout-ms past the default 2 s: an ENet join through this
     * path (its handshake, its join, the relay's cookie, each lost 1 in
     * 20 and ENet's first resend 0.5 s on) now and then took longer, and
     * the relay closed the connection before it came */
    const char *args[] = {"--listen", "enet://127.0.0.1:0", "--listen", "udp://127.0.0.1:0",
                          "--lockstep-log", log_path, "--rate-limit", "400",
                          "--rate-burst", "200", "--join-timeout-ms", "10000", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    char enet_at[32], udp_at[32];
    snprintf(enet_at, sizeof enet_at, "127.0.0.1:%u", harness_edge_port(&relay, "enet"));
    snprintf(udp_at, sizeof udp_at, "127.0.0.1:%u", harness_edge_port(&relay, "udp"));
    const char *sim_enet[] = {"--relay", enet_at, "--loss", "5", "--delay", "100", "--jitter",
                              "40", "--wire", "enet", "--seed", "11", NULL};
    const char *sim_udp[] = {"--relay", udp_at, "--loss", "5", "--delay", "100", "--jitter",
                             "40", "--wire", "udp", "--seed", "12", NULL};
    uint16_t enet = (uint16_t)harness_start_netsim(&enet_sim, sim_enet);
    uint16_t udp = (uint16_t)harness_start_netsim(&udp_sim, sim_udp);
    ps[0].r = open_player(enet, RICOCHET_MODE_UNSEQUENCED, "ana");
    ps[1].r = open_player(enet, RICOCHET_MODE_SEQUENCED, "ben");
    ps[2].r = open_player(enet, RICOCHET_MODE_RELIABLE, "cat");
    ps[3].r = open_player(udp, RICOCHET_MODE_UDP, "dan");
    uint64_t until = ricochet_now_us() + (uint64_t)(END / HZ + 20) * 1000000;
    for (bool done = false; !done && ricochet_now_us() < until;) {
        done = true;
        for (size_t i = 0; i < PLAYERS; i++) {
            step(&ps[i]);
            done &= ps[i].next >= END;
        }
        usleep(1000);
    }
    char *out = harness_relay_finish(&relay); /* its log flushed whole */
    harness_stop(&enet_sim);
    harness_stop(&udp_sim);
    for (size_t i = 0; i < PLAYERS; i++) {
        if (ps[i].next < END)
            fail_msg("player %zu got %u frames of %d", i, ps[i].next, END);
        ricochet_close(ps[i].r);
    }
    char *log = harness_read_text(log_path);
    assert_non_null(log);
    unlink(log_path);

    /* every player's log hashes as the relay's */
    uint64_t relay_hash = 1469598103934665603ull, hash[PLAYERS];
    for (size_t i = 0; i < PLAYERS; i++)
        hash[i] = relay_hash;
    uint8_t bytes[FRAME_MAX];
    long long present = 0, lates = 0, unsent = 0;
    for (uint32_t t = 0; t < END; t++) {
        char key[64];
        snprintf(key, sizeof key, "{\"room\":\"rts\",\"tick\":%u,\"frame\":\"", (unsigned)t);
        const char *at = strstr(log, key);
        assert_non_null(at);
        at += strlen(key);
        size_t n = strcspn(at, "\"") / 2;
        assert_true(n <= FRAME_MAX);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(sscanf(at + 2 * k, "%2hhx", &bytes[k]), 1);
        relay_hash = fnv(relay_hash, bytes, n);
        for (size_t i = 0; i < PLAYERS; i++)
            hash[i] = fnv(hash[i], ps[i].frames[t], ps[i].lens[t]);
        /* each slot as its player sent it, or late by the relay's log */
        for (size_t i = 0; i < PLAYERS; i++) {
            const uint8_t *b;
            size_t blen;
            uint8_t flag = entry(bytes, n, ps[i].slot, &b, &blen);
            if (flag == RICOCHET_SLOT_PRESENT) {
                /* its input for t, or for a tick its aim stepped over (after
                 * a late, or moved on by a clock correction) the input that
                 * next went as its newest: even if its aim came back to t
                 * and it sent one for t after, the relay keeps the first to
                 * come (each input names its slot and tick) */
                uint32_t u = t + 1;
                while (u < STOP && !ps[i].newest[u])
                    u++;
                bool its_own = ps[i].sent[t] && blen == INPUT && !memcmp(b, ps[i].input[t], INPUT);
                bool next = u < STOP && blen == INPUT && !memcmp(b, ps[i].input[u], INPUT);
                if (!its_own && !next)
                    fail_msg("slot %d at tick %u: an input it did not send for it", ps[i].slot,
                             (unsigned)t);
                present++;
            } else if (flag != RICOCHET_SLOT_LEFT && ps[i].sent[t]) {
                char late[96];
                snprintf(late, sizeof late, "{\"room\":\"rts\",\"tick\":%u,\"slot\":%d,\"late_us\":",
                         (unsigned)t, ps[i].slot);
                if (!strstr(log, late))
                    fail_msg("slot %d's stand-in at tick %u: its input was sent, never late",
                             ps[i].slot, (unsigned)t);
                lates++;
            } else if (flag != RICOCHET_SLOT_LEFT) {
                unsent++; /* before its first input, or stepped over by a clock correction */
            }
        }
    }
    for (size_t i = 0; i < PLAYERS; i++)
        assert_true(hash[i] == relay_hash);
    /* no input taken in time is missing from its frame */
    assert_int_equal(harness_stats_field(out, true, "lockstep.inputs"), present);
    print_message("frames %d, present %lld, late stand-ins %lld, unsent %lld, late %lld\n", END,
                  present, lates, unsent, harness_stats_field(out, true, "lockstep.late"));
    assert_true(present > PLAYERS * (STOP - 3 * HZ)); /* most ticks played, not stood in */
    free(out);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frames_agree_through_loss_and_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
