/* test_e2e_quic.c: the quic edge and libricochet over QUIC end to end: Debian's
 * ngtcp2-client (`gtlsclient`, HTTP/3) answered with a Retry first, then let in
 * on ALPN `h3` (WebTransport's), its GET answered 405, read from its output and
 * the edge's counters (`wt_refused`); QUIC members of every mode
 * (`unsequenced`, `sequenced` in datagrams, `reliable` on the control stream,
 * `streams` on streams of their own) and libricochet's WebTransport sessions
 * (`unsequenced`, `reliable`, `streams`, on the edge's ALPN `h3`) in one room
 * with ENet, WebSocket and WebRTC members, every state under its sender's id
 * both ways, the reliable ones all; a member that stops reading while it is
 * sent states in datagrams and events of 1 KiB closed `slow_reader` within
 * `--slow-reader-ms` and a second (a datagram written is not one taken);
 * through ricochet-netsim dropping a tenth of the receivers' packets, a
 * `streams` member receiving one sender's states while another sender's lost
 * state is resent, where a `reliable` member (one stream) waits, read from the
 * receivers' timelines; an unsequenced sender through netsim losing a tenth of
 * its packets told by its transport which datagrams the relay acknowledged and
 * which were lost (`client_set_fate`), never both, matching what the receiver
 * got and missed; a member whose socket changes six times (connection
 * migration) keeping its id and room; `--tls-cert`/`--tls-key` served, and a
 * client pinning another certificate refused; the certificate's log line, drawn
 * or given, the one `docs/operations.md` and PROTOCOL.md quote; netsim's IP
 * mode between two namespaces carrying QUIC as UDP, three `streams` bots
 * through 5% loss each way getting every state, none reordered (skipped without
 * the privilege for namespaces) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../client/lib/client.h"
#include "../lab/harness/netlab.h"
#include "../sys/clock.h"
#include "support/harness.h"

#define WAIT_MS 15000

/* A relay with quic, ws (the offers), webrtc and ENet edges. */
struct edges {
    struct spawn_proc relay;
    uint16_t quic, ws, webrtc, enet;
};

static void edges_start(struct edges *e, const char *const *more)
{
    static const char *const schemes[] = {"quic", "ws", "webrtc", "enet", NULL};
    uint16_t port[4];
    harness_start_edges(&e->relay, schemes, more, port);
    e->quic = port[0];
    e->ws = port[1];
    e->webrtc = port[2];
    e->enet = port[3];
}

static void edges_stop(struct edges *e)
{
    free(harness_relay_finish(&e->relay));
    spawn_free(&e->relay);
}

/* A QUIC member of room at port (the relay's quic edge, or netsim), over
 * QUIC or WebTransport (transport). */
static struct ricochet *quic_client_over(uint16_t port, const char *room, const char *name,
                                         enum proto_mode mode, const char *pin,
                                         enum ricochet_transport transport)
{
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room, .name = name,
                                .mode = mode, .timeout_ms = 5000, .pin = pin,
                                .transport = transport};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s): %s", name, err);
    return c;
}

static struct ricochet *quic_client(uint16_t port, const char *room, const char *name,
                                    enum proto_mode mode, const char *pin)
{
    return quic_client_over(port, room, name, mode, pin, RICOCHET_TRANSPORT_QUIC);
}

/* ---- an independent client ---------------------------------------------------------- */

/* gtlsclient (ngtcp2's example client on GnuTLS, HTTP/3): its Initial gets
 * a Retry, then its handshake is let in on ALPN h3 (WebTransport's), where
 * its GET is no WebTransport CONNECT: answered 405 (counted wt_refused). */
static void ngtcp2_client_reaches_the_edge(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    char port[8], err[256];
    snprintf(port, sizeof port, "%u", harness_edge_port(&relay, "quic"));
    const char *cl[] = {"--timeout=2s", "--exit-on-all-streams-close", "127.0.0.1", port,
                        "https://127.0.0.1/", NULL};
    struct spawn_proc gtls;
    assert_int_equal(spawn_start(&gtls, "/usr/bin", "gtlsclient", cl, err, sizeof err), 0);
    spawn_stop(&gtls, 0, 10000);
    char *out = spawn_read_stdout(&gtls), *log = spawn_read_stderr(&gtls);
    assert_non_null(out);
    assert_non_null(log);
    size_t n = strlen(out) + strlen(log) + 2;
    char *all = malloc(n);
    snprintf(all, n, "%s\n%s", out, log);
    /* address validation first: a Retry, then its Initial again with the token */
    assert_non_null(strstr(all, "type=Retry"));
    bool refused = strstr(all, "CONNECTION_CLOSE(0x1c) error_code=CRYPTO_ERROR(0x178)") != NULL;
    bool let_in = strstr(all, "Negotiated ALPN is") != NULL;
    assert_true(refused != let_in);
    char *stats = harness_relay_stats_now(&relay);
    assert_non_null(stats);
    assert_true(harness_stats_field(stats, false, "edges.quic.retries") >= 1);
    assert_int_equal(harness_stats_field(stats, false, "edges.quic.alpn_refused"), refused);
    assert_int_equal(harness_stats_field(stats, false, "edges.quic.handshakes") >= 1, let_in);
    assert_true(let_in); /* h3 is WebTransport's */
    for (int k = 0; k < 50 && harness_stats_field(stats, false, "edges.quic.wt_refused") < 1; k++) {
        free(stats);
        clock_sleep_ms(100);
        stats = harness_relay_stats_now(&relay);
    }
    assert_int_equal(harness_stats_field(stats, false, "edges.quic.wt_refused"), 1);
    assert_int_equal(harness_stats_field(stats, false, "edges.quic.wt_sessions"), 0);
    if (refused) /* refused cleanly: no peer, no state left */
        assert_int_equal(harness_stats_field(stats, false, "edges.quic.clients"), 0);
    print_message("gtlsclient let in on h3, its GET refused (405)\n");
    free(stats);
    free(all);
    free(out);
    free(log);
    spawn_free(&gtls);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* ---- a room of every edge ----------------------------------------------------------- */

/* A member and the way it comes. */
enum way { BY_QUIC, BY_WT, BY_ENET, BY_WS, BY_WEBRTC };

struct member {
    const char *name;
    enum proto_mode mode;
    enum way way;
};

static struct ricochet *member_client(const struct edges *e, const struct member *m,
                                      const char *room)
{
    if (m->way == BY_QUIC || m->way == BY_WT)
        return quic_client_over(e->quic, room, m->name, m->mode, NULL,
                                m->way == BY_WT ? RICOCHET_TRANSPORT_WEBTRANSPORT
                                                : RICOCHET_TRANSPORT_QUIC);
    uint16_t port = m->way == BY_ENET ? e->enet : e->ws;
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room,
                                .name = m->name, .mode = m->mode, .timeout_ms = 5000,
                                .transport = m->way == BY_WEBRTC ? RICOCHET_TRANSPORT_WEBRTC
                                                                 : RICOCHET_TRANSPORT_DEFAULT};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s): %s", m->name, err);
    return c;
}

/* The mode receiver r gets sender s's states in: a WebSocket member gets
 * everything as ws; a streams member a reliable sender's as streams; a
 * ws sender's reach the others as unsequenced, a streams sender's as
 * reliable; else the sender's own. */
static enum proto_mode seen_as(const struct member *r, const struct member *s)
{
    bool reliable = proto_mode_info(s->mode)->down_flags & PROTO_FLAG_RELIABLE;
    if (r->mode == PROTO_MODE_WS)
        return PROTO_MODE_WS;
    if (r->mode == PROTO_MODE_STREAMS && reliable)
        return PROTO_MODE_STREAMS;
    if (s->mode == PROTO_MODE_WS)
        return PROTO_MODE_UNSEQUENCED;
    return reliable ? PROTO_MODE_RELIABLE : s->mode;
}

#define MIXED 10

/* The mixed room's members, their ids and the rounds sent, for its wait. */
static const struct member *mixed_members;
static uint32_t mixed_ids[MIXED];
static int mixed_rounds;

/* Every member of a lossless mode has every lossless sender's states
 * (harness_poll_until's done, on a struct harness_rec). */
static bool lossless_all_there(void *ctx)
{
    const struct harness_rec *r = ctx;
    for (size_t i = 0; i < MIXED; i++)
        for (size_t j = 0; j < MIXED; j++)
            if (i != j && proto_mode_lossless(mixed_members[i].mode) &&
                proto_mode_lossless(mixed_members[j].mode) &&
                r->states[i][mixed_ids[j]] < (uint64_t)mixed_rounds)
                return false;
    return true;
}

/* QUIC members of every QUIC mode and WebTransport members (libricochet's
 * session as a page opens one: datagrams, one stream, a stream per sender)
 * beside ENet, WebSocket and WebRTC ones: every state under its sender's
 * id, both ways, in the mode its receiver gets it in; every reliable
 * sender's state to every member that loses nothing; chat across; the
 * edge's counters; a close is a quit. */
static void a_room_mixes_quic_wt_enet_ws_and_webrtc_members(void **state)
{
    (void)state;
    static struct edges e;
    edges_start(&e, NULL);
    static const struct member m[MIXED] = {
        {"qun", PROTO_MODE_UNSEQUENCED, BY_QUIC}, {"qseq", PROTO_MODE_SEQUENCED, BY_QUIC},
        {"qrel", PROTO_MODE_RELIABLE, BY_QUIC},   {"qstr", PROTO_MODE_STREAMS, BY_QUIC},
        {"enet", PROTO_MODE_RELIABLE, BY_ENET},   {"web", PROTO_MODE_WS, BY_WS},
        {"rtc", PROTO_MODE_SEQUENCED, BY_WEBRTC}, {"wun", PROTO_MODE_UNSEQUENCED, BY_WT},
        {"wrel", PROTO_MODE_RELIABLE, BY_WT},     {"wstr", PROTO_MODE_STREAMS, BY_WT}};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = MIXED;
    for (size_t i = 0; i < MIXED; i++)
        r.c[i] = member_client(&e, &m[i], "every");
    assert_int_equal(harness_poll_until(r.c, MIXED, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    assert_int_equal(ricochet_transport(r.c[0]), RICOCHET_TRANSPORT_QUIC);
    assert_int_equal(ricochet_transport(r.c[7]), RICOCHET_TRANSPORT_WEBTRANSPORT);
    uint32_t id[MIXED];
    for (size_t i = 0; i < MIXED; i++)
        id[i] = ricochet_id(r.c[i]);
    const int rounds = 40;
    harness_send_rounds(&r, rounds);
    /* the last rounds may still be on their way on a loaded machine: wait
     * for the lossless ones (bounded), then a little for the others */
    mixed_members = m;
    memcpy(mixed_ids, id, sizeof id);
    mixed_rounds = rounds;
    harness_poll_until(r.c, MIXED, WAIT_MS, harness_rec_event, lossless_all_there, &r);
    harness_poll_for(r.c, MIXED, 300, harness_rec_event, &r);
    for (size_t i = 0; i < MIXED; i++) {
        assert_int_equal(r.states_bad_id[i], 0);
        assert_int_equal(r.self_states[i], 0);
        for (size_t j = 0; j < MIXED; j++) {
            if (i == j)
                continue;
            if (proto_mode_lossless(m[j].mode) && proto_mode_lossless(m[i].mode))
                assert_int_equal(r.states[i][id[j]], rounds);
            else
                assert_in_range(r.states[i][id[j]], rounds * 8 / 10, rounds);
            if (r.arrived_as[i][id[j]] != seen_as(&m[i], &m[j]))
                fail_msg("%s got %s's states as %s, not %s", m[i].name, m[j].name,
                         proto_mode_name(r.arrived_as[i][id[j]]),
                         proto_mode_name(seen_as(&m[i], &m[j])));
        }
    }
    assert_int_equal(ricochet_send_chat(r.c[3], "over quic"), RICOCHET_OK);
    harness_poll_for(r.c, MIXED, 300, harness_rec_event, &r);
    for (size_t i = 0; i < MIXED; i++)
        assert_true(i == 3 || r.n_chat[i] >= 1);
    char *out = harness_relay_stats_now(&e.relay);
    assert_non_null(out);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.members"), 7);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.states_in"), 7 * rounds);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.handshakes"), 7);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.retries"), 7);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.wt_sessions"), 3);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.wt_refused"), 0);
    /* each streams member's senders of reliable states (qrel, qstr, enet,
     * wrel, wstr but itself): a stream each */
    assert_int_equal(harness_stats_field(out, false, "edges.quic.sender_streams"), 8);
    free(out);
    ricochet_close(r.c[3]); /* CONNECTION_CLOSE: leaving, over QUIC and WebTransport */
    ricochet_close(r.c[9]);
    r.c[3] = r.c[9] = NULL;
    harness_poll_for(r.c, MIXED, 500, harness_rec_event, &r);
    for (size_t i = 0; i < MIXED; i++)
        for (size_t k = 3; k <= 9; k += 6)
            assert_true(i == 3 || i == 9 || harness_rec_saw_left(&r, i, id[k], PROTO_LEFT_QUIT));
    for (size_t i = 0; i < MIXED; i++)
        ricochet_close(r.c[i]);
    edges_stop(&e);
}

/* ---- a stream per sender under loss -------------------------------------------------- */

#define TIMELINE_MAX 4096

/* A receiver's timeline: each state it got, when sent and when got. */
struct arrival {
    uint32_t sender, seq;
    uint64_t sent_us, got_us;
};

#define SENDERS 5

struct timeline {
    struct ricochet *c[SENDERS + 1]; /* the senders, then the receiver */
    struct arrival a[TIMELINE_MAX];
    size_t n;
    bool welcomed[SENDERS + 1];
};

static void timeline_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct timeline *tl = ctx;
    if (ev->type == RICOCHET_EV_WELCOME)
        tl->welcomed[i] = true;
    if (i == SENDERS && ev->type == RICOCHET_EV_STATE && tl->n < TIMELINE_MAX)
        tl->a[tl->n++] = (struct arrival){ev->id, ev->state.seq, ev->state.send_us, ev->recv_us};
}

static bool timeline_ready(void *ctx)
{
    const struct timeline *tl = ctx;
    for (int i = 0; i <= SENDERS; i++)
        if (!tl->welcomed[i])
            return false;
    return ricochet_members(tl->c[SENDERS], NULL, 0) == SENDERS;
}

/* What the holds of one run showed: states held (late); states of the
 * other senders sent while one was held (after it, before its release) and
 * how many of them overtook it (came before its release); states of one
 * sender out of its order. */
struct holds {
    size_t held, pairs, passed, out_of_order;
};

/* Reads tl: a state is held when it took more than hold_us; for each, the
 * other senders' states sent from its send to 1 ms before its arrival. */
static struct holds read_holds(const struct timeline *tl, uint64_t hold_us)
{
    struct holds h = {0};
    for (size_t i = 0; i < tl->n; i++) {
        const struct arrival *s = &tl->a[i];
        for (size_t k = 0; k < i; k++)
            h.out_of_order += tl->a[k].sender == s->sender && tl->a[k].seq > s->seq;
        if (s->got_us - s->sent_us <= hold_us)
            continue;
        h.held++;
        for (size_t k = 0; k < tl->n; k++) {
            const struct arrival *x = &tl->a[k];
            if (x->sender == s->sender || x->sent_us <= s->sent_us ||
                x->sent_us + 1000 > s->got_us)
                continue;
            h.pairs++;
            h.passed += x->got_us + 500 < s->got_us; /* it overtook s */
        }
    }
    return h;
}

/* SENDERS reliable senders on the relay, a receiver of `mode` through
 * netsim losing 10% of what the relay sends it; 8 s at 20 Hz each, the
 * senders' phases spread over a period (--tick-ms 0: each state in a
 * packet of its own, but for resendings). */
static struct holds run_through_loss(uint16_t quic, enum proto_mode mode, const char *room)
{
    char relay[32];
    snprintf(relay, sizeof relay, "127.0.0.1:%u", quic);
    const char *nargs[] = {"--relay", relay, "--down-loss", "10", "--seed", "7", NULL};
    struct spawn_proc netsim;
    uint16_t via = (uint16_t)harness_start_netsim(&netsim, nargs);
    static struct timeline tl;
    memset(&tl, 0, sizeof tl);
    static const char *const names[SENDERS] = {"ann", "bob", "cat", "dan", "eve"};
    for (int i = 0; i < SENDERS; i++)
        tl.c[i] = quic_client(quic, room, names[i], PROTO_MODE_RELIABLE, NULL);
    tl.c[SENDERS] = quic_client(via, room, "rec", mode, NULL);
    assert_int_equal(harness_poll_until(tl.c, SENDERS + 1, WAIT_MS, timeline_event,
                                        timeline_ready, &tl), 0);
    tl.n = 0;
    uint64_t start = clock_now_us(), period = 50000, next[SENDERS];
    for (int s = 0; s < SENDERS; s++)
        next[s] = start + period * (uint64_t)s / SENDERS;
    while (clock_now_us() < start + 8000000) {
        for (int s = 0; s < SENDERS; s++) {
            if (clock_now_us() < next[s])
                continue;
            struct ricochet_state st = {.x = 1, .y = 2};
            assert_int_equal(ricochet_send_state(tl.c[s], &st), RICOCHET_OK);
            next[s] += period;
        }
        harness_poll_for(tl.c, SENDERS + 1, 1, timeline_event, &tl);
    }
    harness_poll_for(tl.c, SENDERS + 1, 1000, timeline_event, &tl);
    assert_true(tl.n >= SENDERS * 150); /* nothing lost for good */
    struct holds h = read_holds(&tl, 10000);
    for (int i = 0; i <= SENDERS; i++)
        ricochet_close(tl.c[i]);
    assert_int_equal(spawn_stop(&netsim, SIGTERM, 5000), 0);
    spawn_free(&netsim);
    return h;
}

/* One sender's lost state holds back only that sender's states at a
 * member of the mode streams: other senders' states sent while it is held
 * overtake it; at a reliable member (one stream) none ever does. Each
 * sender's states in order at both. */
static void a_stream_per_sender_holds_back_only_its_sender(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", "--tick-ms", "0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t quic = harness_edge_port(&relay, "quic");
    struct holds streams = run_through_loss(quic, PROTO_MODE_STREAMS, "perstream");
    struct holds one = run_through_loss(quic, PROTO_MODE_RELIABLE, "onestream");
    print_message("streams: %zu held, %zu of %zu states of the other sender passed; "
                  "one stream: %zu held, %zu of %zu passed\n",
                  streams.held, streams.passed, streams.pairs, one.held, one.passed, one.pairs);
    assert_int_equal(streams.out_of_order, 0);
    assert_int_equal(one.out_of_order, 0);
    assert_true(streams.held >= 10 && one.held >= 10);
    assert_true(streams.pairs >= 10 && one.pairs >= 10);
    assert_int_equal(one.passed, 0);  /* one stream: nothing overtakes a held state */
    assert_true(streams.passed >= 3); /* a stream each: others' states overtake it (those
                                         not lost themselves, nor in a packet with its
                                         own resending) */
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* ---- migration ---------------------------------------------------------------------- */

/* ---- what the sender knew ----------------------------------------------------------- */

#define FATES 400

/* What the sender's transport said of each seq from first on: 1
 * acknowledged, 2 lost. */
struct fates {
    uint32_t first;
    uint8_t of[FATES];
};

static void fate_seen(void *ctx, struct ricochet *c, uint32_t seq, bool lost)
{
    (void)c;
    struct fates *f = ctx;
    if (seq - f->first < FATES)
        f->of[seq - f->first] |= lost ? 2 : 1;
}

/* An unsequenced sender through netsim losing a tenth of what it sends:
 * its transport says of its datagrams which the relay acknowledged and
 * which ngtcp2 declared lost (client_set_fate), never both of one; what the
 * receiver got is what was acknowledged (but for a state the relay shed),
 * and what it missed what was declared lost (but for a loss declared
 * early: a late acknowledgement after it). */
static void the_sender_knows_its_lost_datagrams(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", "--tick-ms", "0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t quic = harness_edge_port(&relay, "quic");
    char at[32];
    snprintf(at, sizeof at, "127.0.0.1:%u", quic);
    const char *nargs[] = {"--relay", at, "--up-loss", "10", "--delay", "5", "--seed", "3",
                           NULL};
    struct spawn_proc netsim;
    uint16_t via = (uint16_t)harness_start_netsim(&netsim, nargs);
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = quic_client(via, "fates", "sender", PROTO_MODE_UNSEQUENCED, NULL);
    r.c[1] = quic_client(quic, "fates", "receiver", PROTO_MODE_UNSEQUENCED, NULL);
    assert_int_equal(harness_poll_until(r.c, 2, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    static struct fates f;
    memset(&f, 0, sizeof f);
    f.first = client_next_seq(r.c[0]);
    client_set_fate(r.c[0], fate_seen, &f);
    static uint8_t got[FATES];
    memset(got, 0, sizeof got);
    uint32_t sender = ricochet_id(r.c[0]);
    for (int k = 0; k < 300; k++) {
        struct ricochet_state st = {.x = 1, .y = 2};
        assert_int_equal(ricochet_send_state(r.c[0], &st), RICOCHET_OK);
        uint64_t until = clock_now_us() + 10000;
        struct ricochet_event ev;
        while (clock_now_us() < until)
            for (int i = 0; i < 2; i++)
                while (ricochet_poll(r.c[i], 0, &ev) == 1)
                    if (i == 1 && ev.type == RICOCHET_EV_STATE && ev.id == sender &&
                        ev.state.seq - f.first < FATES)
                        got[ev.state.seq - f.first] = 1;
    }
    uint64_t until = clock_now_us() + 1500000; /* the last acknowledgements and losses */
    struct ricochet_event ev;
    while (clock_now_us() < until)
        for (int i = 0; i < 2; i++)
            while (ricochet_poll(r.c[i], 1, &ev) == 1)
                if (i == 1 && ev.type == RICOCHET_EV_STATE && ev.id == sender &&
                    ev.state.seq - f.first < FATES)
                    got[ev.state.seq - f.first] = 1;
    unsigned acked = 0, lost = 0, acked_got = 0, lost_missed = 0;
    for (uint32_t q = 0; q < 300; q++) {
        assert_int_not_equal(f.of[q], 3); /* never both */
        acked += f.of[q] == 1;
        lost += f.of[q] == 2;
        acked_got += f.of[q] == 1 && got[q];
        lost_missed += f.of[q] == 2 && !got[q];
    }
    print_message("fates: %u acknowledged (%u received), %u lost (%u missed), of 300\n", acked,
                  acked_got, lost, lost_missed);
    assert_true(lost >= 10 && lost <= 60);   /* about a tenth */
    assert_true(acked + lost >= 280);        /* nearly every datagram's fate known */
    /* acknowledged datagrams reach the receiver, but for the few the relay's edge
       replaced by the sender's newer one while the receiver's window was full (a loaded
       machine: 94.8% once) */
    assert_true(acked_got * 100 >= acked * 90);
    assert_true(lost_missed * 100 >= lost * 80);
    struct client_netinfo ni;
    client_netinfo(r.c[0], &ni);
    assert_true(ni.quic_datagrams_lost >= lost && ni.quic_datagrams_acked >= acked);
    ricochet_close(r.c[0]);
    ricochet_close(r.c[1]);
    assert_int_equal(spawn_stop(&netsim, SIGTERM, 5000), 0);
    spawn_free(&netsim);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

static uint16_t local_port(const struct ricochet *c)
{
    union netaddr a;
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(client_socket(c), &a.sa, &len), 0);
    return netaddr_port(&a);
}

/* ---- a member that stops reading --------------------------------------------------- */

#define SLOW_READER_MS 2000 /* the relay's --slow-reader-ms, its default */

/* A QUIC member stops reading (never polled again, as a process stopped)
 * while an ENet member sends it unsequenced states at 30 a second (in
 * datagrams) and events of 1 KiB at 100 a second (on its control stream):
 * the relay must close it slow_reader once nothing of it was acknowledged
 * for --slow-reader-ms, and the sender hear it leave (kicked) within a
 * second more. A datagram the relay wrote is not one the client took:
 * probes carrying them kept the member open twice as long. */
static void a_stopped_member_hearing_datagrams_is_closed_in_time(void **state)
{
    (void)state;
    static struct edges e;
    edges_start(&e, NULL);
    struct harness_rec r = {.n = 2};
    r.c[0] = quic_client(e.quic, "stop", "stopped", PROTO_MODE_UNSEQUENCED, NULL);
    r.c[1] = harness_client(e.enet, "stop", "sender", PROTO_MODE_UNSEQUENCED, false);
    assert_int_equal(harness_poll_until(r.c, 2, WAIT_MS, harness_rec_event, harness_all_see_all,
                                        &r), 0);
    uint32_t stopped = ricochet_id(r.c[0]);
    struct harness_rec sender = {.n = 1};
    sender.c[0] = r.c[1];
    uint8_t body[1024];
    memset(body, 0x5a, sizeof body);
    uint64_t start = clock_now_ms(), states = 0, events = 0, took = 0;
    while (!took && clock_now_ms() - start < 4 * SLOW_READER_MS) {
        uint64_t t = clock_now_ms() - start;
        for (; states < t * 30 / 1000; states++) {
            struct ricochet_state st = {.x = 1, .y = 2};
            assert_int_equal(ricochet_send_state(sender.c[0], &st), RICOCHET_OK);
        }
        for (; events < t * 100 / 1000; events++)
            assert_int_equal(ricochet_send_event(sender.c[0], RICOCHET_TO_ROOM, body,
                                                 sizeof body), RICOCHET_OK);
        harness_poll_for(sender.c, 1, 5, harness_rec_event, &sender);
        if (harness_rec_saw_left(&sender, 0, stopped, PROTO_LEFT_KICKED))
            took = clock_now_ms() - start;
    }
    print_message("the stopped member left (kicked) %llu ms after it stopped\n",
                  (unsigned long long)took);
    assert_in_range(took, SLOW_READER_MS, SLOW_READER_MS + 1000);
    ricochet_close(r.c[0]);
    ricochet_close(r.c[1]);
    char *out = harness_relay_finish(&e.relay);
    char *err = spawn_read_stderr(&e.relay);
    assert_non_null(strstr(err, "slow_reader"));
    free(out);
    free(err);
    spawn_free(&e.relay);
}

/* A member whose socket changes (a new port: connection migration, as a
 * NAT rebinding or a network change looks) is the same member: its id, no
 * left notice, no second welcome, its states still flowing both ways; and
 * again a few times over (the relay issues new connection IDs as old ones
 * retire), its table of them bounded. */
static void a_member_that_moves_stays(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t quic = harness_edge_port(&relay, "quic");
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = quic_client(quic, "moving", "mover", PROTO_MODE_UNSEQUENCED, NULL);
    r.c[1] = quic_client(quic, "moving", "stay", PROTO_MODE_STREAMS, NULL);
    assert_int_equal(harness_poll_until(r.c, 2, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, &r), 0);
    uint32_t mover = ricochet_id(r.c[0]), stay = ricochet_id(r.c[1]);
    /* the two handshakes race: a stay welcomed before the mover joined
     * heard its JOINED then, before any move */
    size_t joined = r.n_joined[1];
    harness_send_rounds(&r, 10);
    int moves = 0;
    uint64_t end = clock_now_ms() + WAIT_MS;
    for (int k = 0; k < 6; k++) {
        uint16_t was = local_port(r.c[0]);
        uint64_t heard = r.states[1][mover];
        if (client_rebind(r.c[0]) == 0) {
            moves++;
            assert_int_not_equal(local_port(r.c[0]), was);
        }
        harness_send_rounds(&r, 10);
        /* the relay heard the new socket before the next move: a relay
         * slowed past two moves would see one */
        while (r.states[1][mover] == heard && clock_now_ms() < end)
            harness_send_rounds(&r, 1);
    }
    while ((r.states[1][mover] < 60 || r.states[0][stay] < 70) && clock_now_ms() < end)
        harness_poll_for(r.c, 2, 50, harness_rec_event, &r);
    assert_true(moves >= 3);
    assert_int_equal(ricochet_id(r.c[0]), mover);
    if (r.n_left[1] != 0) { /* who left, why, and what the relay said of it */
        for (size_t k = 0; k < r.n_left[1]; k++)
            print_message("left: id %u (the mover is %u), reason %s\n", (unsigned)r.left[1][k],
                          (unsigned)mover, proto_left_reason_name(r.left_reason[1][k]));
        char *err = spawn_read_stderr(&relay);
        print_message("the relay's stderr:\n%s\n", err ? err : "(none)");
        free(err);
    }
    assert_int_equal(r.n_left[1], 0);
    assert_int_equal(r.n_joined[1], joined);
    assert_true(r.states[1][mover] >= 60); /* from every socket */
    assert_true(r.states[0][stay] >= 70);  /* to every socket: reliable, all of them */
    char *out = harness_relay_stats_now(&relay);
    assert_non_null(out);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.migrations"), moves);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.members"), 2);
    assert_int_equal(harness_stats_field(out, false, "edges.quic.handshakes"), 2);
    free(out);
    ricochet_close(r.c[0]);
    ricochet_close(r.c[1]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* ---- certificates --------------------------------------------------------------------- */

/* The SHA-256 of a PEM certificate's DER bytes, as openssl prints it. */
static void fingerprint_of(const char *cert, char *out, size_t cap)
{
    char err[256];
    const char *args[] = {"x509", "-in", cert, "-noout", "-fingerprint", "-sha256", NULL};
    struct spawn_proc ssl;
    assert_int_equal(spawn_start(&ssl, "/usr/bin", "openssl", args, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&ssl, 0, 10000), 0);
    char *text = spawn_read_stdout(&ssl), *eq = text ? strchr(text, '=') : NULL;
    assert_non_null(eq);
    snprintf(out, cap, "%.95s", eq + 1);
    out[strcspn(out, "\n")] = '\0';
    free(text);
    spawn_free(&ssl);
}

/* Does the document at path quote text (its whitespace runs as one space)? */
static void documented(const char *path, const char *text)
{
    char *doc = harness_read_text(path);
    assert_non_null(doc);
    size_t n = 0;
    for (const char *p = doc; *p; p++) /* runs of white space as one space */
        if (!(p[0] == ' ' || p[0] == '\n') || !(n && doc[n - 1] == ' '))
            doc[n++] = p[0] == '\n' ? ' ' : p[0];
    doc[n] = '\0';
    if (!strstr(doc, text))
        fail_msg("%s does not quote %s", path, text);
    free(doc);
}

/* Without --tls-cert the relay draws a certificate and logs it on the line
 * the docs quote: its address, its end of validity, its SHA-256. */
static void a_drawn_certificate_is_logged_as_documented(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t quic = harness_edge_port(&relay, "quic");
    char *log = spawn_read_stderr(&relay), head[96];
    assert_non_null(log);
    snprintf(head, sizeof head, "relay: quic: 127.0.0.1:%u: a certificate drawn, valid until ",
             quic);
    const char *at = strstr(log, head);
    if (!at)
        fail_msg("no line \"%s...\" in:\n%s", head, log);
    char *end;
    long long until = strtoll(at + strlen(head), &end, 10);
    assert_true(until > (long long)time(NULL) + 12 * 86400 && until < (long long)time(NULL) + 14 * 86400);
    assert_memory_equal(end, ", SHA-256 ", 10);
    for (int i = 0; i < 95; i++) /* AB:CD:... 32 bytes */
        assert_true(i % 3 == 2 ? end[10 + i] == ':' : strchr("0123456789ABCDEF", end[10 + i]) != NULL);
    print_message("%.*s\n", (int)strcspn(at, "\n"), at);
    free(log);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    static const char quote[] = "`relay: quic: HOST:PORT: a certificate drawn, valid until "
                                "UNIX-TIME, SHA-256 AB:CD:...`";
    documented("docs/operations.md", quote);
    documented("proto/PROTOCOL.md", quote);
}

/* --tls-cert and --tls-key: the relay's certificate is the file's (its
 * fingerprint logged); a client pinning it joins, one pinning another is
 * refused at the handshake; one of the two files alone is one line. */
static void a_certificate_of_its_own_and_a_pin(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-quic-XXXXXX", cert[64], key[64], err[256], fp[128];
    assert_non_null(mkdtemp(dir));
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    const char *mk[] = {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj",
                        "/CN=127.0.0.1", NULL};
    struct spawn_proc ssl;
    assert_int_equal(spawn_start(&ssl, "/usr/bin", "openssl", mk, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&ssl, 0, 10000), 0);
    spawn_free(&ssl);
    fingerprint_of(cert, fp, sizeof fp);

    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                          NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t quic = harness_edge_port(&relay, "quic");
    char pin[CLIENT_PIN_HEX + 1], wrong[CLIENT_PIN_HEX + 1];
    assert_int_equal(client_pin_parse(fp, pin), 0);
    snprintf(wrong, sizeof wrong, "%s", pin);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = quic_client(quic, "pinned", "good", PROTO_MODE_RELIABLE, pin);
    r.c[1] = quic_client(quic, "pinned", "bad", PROTO_MODE_RELIABLE, wrong);
    harness_poll_for(r.c, 2, 1500, harness_rec_event, &r);
    assert_true(r.welcomed[0]);
    assert_false(r.welcomed[1]);
    assert_true(r.disconnected[1]);
    char *log = spawn_read_stderr(&relay), line[400];
    assert_non_null(log);
    snprintf(line, sizeof line, "relay: quic: 127.0.0.1:%u: certificate %s, SHA-256 %s", quic,
             cert, fp);
    if (!strstr(log, line)) /* the fingerprint logged at start, as the docs quote it */
        fail_msg("no line \"%s\" in:\n%s", line, log);
    free(log);
    documented("docs/operations.md", "`relay: quic: HOST:PORT: certificate FILE, SHA-256 AB:CD:...`");
    ricochet_close(r.c[0]);
    ricochet_close(r.c[1]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);

    const char *half[] = {"--listen", "quic://127.0.0.1:0", "--tls-cert", cert, NULL};
    assert_int_equal(harness_spawn(&relay, "ricochet-relay", half), 0);
    assert_int_equal(spawn_stop(&relay, 0, 10000), 1);
    log = spawn_read_stderr(&relay);
    assert_non_null(strstr(log, "--tls-cert and --tls-key go together"));
    free(log);
    spawn_free(&relay);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

/* ---- through netsim's IP mode ------------------------------------------------------ */

static const cJSON *json_at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_non_null(v);
    return v;
}

/* netsim in IP mode between a lab's two namespaces, the relay's quic edge
 * in one, three bots of the mode streams in the other, 5% of the packets
 * lost each way: QUIC's packets are UDP to netsim, and its streams resend
 * what it drops, so every bot gets every other's states, in order (a lost
 * one would show as lost below the newest, a late one as reordered). */
static void quic_through_netsim_ip_mode(void **state)
{
    (void)state;
    struct netlab lab;
    char err[256];
    if (netlab_open(&lab, err, sizeof err) != 0) {
        print_message("no network namespaces here: %s\n", err);
        skip();
    }
    struct spawn_proc netsim, relay, bot;
    const char *nargs[] = {"--client-netns", lab.path[NETLAB_CLIENT], "--relay-netns",
                           lab.path[NETLAB_RELAY], "--loss", "5", "--delay", "5", "--seed", "11",
                           "--duration", "60", NULL};
    assert_int_equal(harness_spawn(&netsim, "ricochet-netsim", nargs), 0);
    char line[512];
    if (spawn_wait_line(&netsim, "wire up:", 10000, line, sizeof line, err, sizeof err) != 0)
        fail_msg("%s", err);
    const char *rargs[] = {"--listen", "quic://198.19.0.1:0", NULL};
    assert_int_equal(spawn_start_in(&relay, lab.ns[NETLAB_RELAY], harness_bin_dir(),
                                    "ricochet-relay", rargs, err, sizeof err), 0);
    int port = spawn_wait_listening(&relay, 10000, err, sizeof err);
    if (port <= 0)
        fail_msg("%s", err);
    char port_text[8];
    snprintf(port_text, sizeof port_text, "%d", port);
    const char *bargs[] = {"--transport", "quic", "--host", "198.19.0.1", "--port", port_text,
                           "--mode", "streams", "--count", "3", "--rate", "30", "--duration",
                           "3", "--seed", "5", "--json", NULL};
    assert_int_equal(spawn_start_in(&bot, lab.ns[NETLAB_CLIENT], harness_bin_dir(),
                                    "ricochet-bot", bargs, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&bot, 0, 30000), 0);
    char *out = spawn_read_stdout(&bot);
    spawn_free(&bot);
    assert_non_null(out);
    cJSON *root = cJSON_Parse(out);
    assert_non_null(root);
    const cJSON *bots = json_at(root, "bots"), *b;
    assert_int_equal(cJSON_GetArraySize(bots), 3);
    cJSON_ArrayForEach(b, bots) {
        assert_true(cJSON_IsTrue(json_at(b, "connected")));
        assert_int_equal(cJSON_GetArraySize(json_at(b, "from")), 2);
        const cJSON *f;
        cJSON_ArrayForEach(f, json_at(b, "from")) {
            assert_string_equal(json_at(f, "mode")->valuestring, "streams");
            assert_true(json_at(f, "received")->valuedouble >= 60);
            assert_true(json_at(f, "lost")->valuedouble == 0);
            assert_true(json_at(f, "reordered")->valuedouble == 0);
        }
    }
    cJSON_Delete(root);
    free(out);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 10000), 0);
    spawn_free(&relay);
    assert_int_equal(spawn_stop(&netsim, SIGTERM, 10000), 0);
    char *report = spawn_read_stdout(&netsim);
    spawn_free(&netsim);
    netlab_close(&lab);
    /* the loss was real: netsim dropped QUIC's packets both ways */
    assert_non_null(report);
    cJSON *st = cJSON_Parse(report);
    assert_non_null(st);
    assert_true(json_at(json_at(st, "up"), "dropped")->valuedouble > 0);
    assert_true(json_at(json_at(st, "down"), "dropped")->valuedouble > 0);
    cJSON_Delete(st);
    free(report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ngtcp2_client_reaches_the_edge),
        cmocka_unit_test(a_room_mixes_quic_wt_enet_ws_and_webrtc_members),
        cmocka_unit_test(a_stream_per_sender_holds_back_only_its_sender),
        cmocka_unit_test(the_sender_knows_its_lost_datagrams),
        cmocka_unit_test(a_stopped_member_hearing_datagrams_is_closed_in_time),
        cmocka_unit_test(a_member_that_moves_stays),
        cmocka_unit_test(a_drawn_certificate_is_logged_as_documented),
        cmocka_unit_test(a_certificate_of_its_own_and_a_pin),
        cmocka_unit_test(quic_through_netsim_ip_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
