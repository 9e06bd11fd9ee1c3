/* test_tui_model.c: ricochet-client's model without a terminal or a socket.
 * The model runs on detached clients (client/lib/client_test.h); the test plays
 * the relay with client_receive and the clock by passing `now`: movement
 * and wall bounces, the send schedule, reconnecting (by key and with
 * --retry), every key's effect, remote players and the round-trip time,
 * message stamps, the default name; what a room's script says, as words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <curses.h> /* KEY_* constants only; nothing is called */

#include "client/lib/client_test.h"
#include "client/tui/tui_model.h"
#include "sys/log.h"

#define T0 1000000000ull /* the session starts here on the monotonic clock */
#define MS 1000ull
#define SEC 1000000ull

static int opened;       /* connections the model asked for */
static char logged[256];  /* the model's last log line (our sink: no clock, no stderr) */

static void log_to_buffer(void *ctx, enum log_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    snprintf(logged, sizeof logged, "%s", msg);
}
static bool refuse_open; /* the next connections fail */

static struct ricochet *open_detached(const struct ricochet_config *cfg, char *err,
                                      size_t err_cap)
{
    opened++;
    if (refuse_open) {
        snprintf(err, err_cap, "cannot resolve the relay");
        return NULL;
    }
    return client_connect_detached(cfg, err, err_cap);
}

static void default_config(struct tui_config *cfg, enum proto_mode mode)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->host, sizeof cfg->host, "127.0.0.1");
    cfg->port = 7777;
    snprintf(cfg->room, sizeof cfg->room, "lobby");
    cfg->mode = (int)mode;
    cfg->rate = 20;
    cfg->interp_delay_ms = 100;
    cfg->extrap_ms = 250;
    cfg->speed = 25;
    cfg->timeout_ms = 5000;
    cfg->fps = 30;
}

/* A model connected (detached) and started at T0, not yet welcomed. */
static struct tui_model *model_new(enum proto_mode mode, bool retry)
{
    static struct tui_model m; /* large: the room's tables */
    struct tui_config cfg;
    char err[256];
    default_config(&cfg, mode);
    cfg.retry = retry;
    tui_model_init(&m, &cfg, "me", 42);
    m.open_client = open_detached;
    opened = 0;
    refuse_open = false;
    assert_int_equal(tui_model_connect(&m, err, sizeof err), 0);
    tui_model_start(&m, T0, 0, 42);
    return &m;
}

static uint8_t control_channel(const struct tui_model *m)
{
    return m->mode == PROTO_MODE_UDP ? PROTO_CHANNEL_DATAGRAM : PROTO_CHANNEL_CONTROL;
}

/* The relay sends ctl to the model's client at now; the event, if any,
 * goes to the model. Returns client_receive's answer. */
static int relay_says(struct tui_model *m, const struct proto_control *ctl, uint64_t now)
{
    static char json[PROTO_CONTROL_MAX];
    struct ricochet_event ev;
    int len = proto_control_encode(json, sizeof json, ctl);
    assert_true(len > 0);
    int r = client_receive(m->c, control_channel(m), PROTO_FLAG_RELIABLE,
                           (const uint8_t *)json, (size_t)len, now, &ev);
    if (r == 1)
        tui_model_on_event(m, &ev, now);
    return r;
}

static void welcome(struct tui_model *m, uint32_t my_id, uint32_t other_id, uint64_t now)
{
    static struct proto_control ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.type = PROTO_CTL_WELCOME;
    ctl.id = my_id;
    snprintf(ctl.room, sizeof ctl.room, "lobby");
    if (other_id) {
        ctl.roster_len = 1;
        ctl.roster[0].id = other_id;
        snprintf(ctl.roster[0].name, sizeof ctl.roster[0].name, "bob");
        ctl.roster[0].mode = m->mode;
    }
    assert_int_equal(relay_says(m, &ctl, now), 1);
}

static void notice(struct tui_model *m, enum proto_ctl_type type, uint32_t id, const char *name,
                   uint64_t now)
{
    static struct proto_control ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.type = type;
    ctl.id = id;
    ctl.mode = m->mode;
    snprintf(ctl.name, sizeof ctl.name, "%s", name);
    assert_int_equal(relay_says(m, &ctl, now), 1);
}

/* A state from sender as the relay forwards it in the model's mode. */
static void relay_state(struct tui_model *m, uint32_t sender, uint32_t seq, float x,
                        uint64_t send_us, uint64_t now)
{
    uint8_t buf[PROTO_STATE_SIZE];
    struct proto_state s = { .sender = sender, .seq = seq, .send_us = send_us, .x = x, .y = 50 };
    const struct proto_mode_info *mi = proto_mode_info(m->mode);
    struct ricochet_event ev;
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    assert_int_equal(client_receive(m->c, mi->down_channel, mi->down_flags, buf, sizeof buf,
                                     now, &ev), 1);
    tui_model_on_event(m, &ev, now);
}

static const char *last_msg(const struct tui_model *m)
{
    assert_true(m->n_msgs > 0);
    /* past the "HH:MM:SS " stamp */
    return m->msgs[(m->n_msgs - 1) % TUI_MSG_CAP].text + 9;
}

static void keys(struct tui_model *m, const char *typed, uint64_t now)
{
    for (size_t i = 0; typed[i]; i++)
        assert_true(tui_model_key(m, (unsigned char)typed[i], now));
}

/* ---- movement ---- */

static void moves_with_the_keys(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UDP, false);
    m->x = 50;
    m->y = 50;
    tui_model_advance(m, T0 + 100 * MS);
    assert_float_equal(m->x, 50, 1e-4); /* no direction yet: standing still */
    assert_true(tui_model_key(m, KEY_RIGHT, T0 + 100 * MS));
    for (int i = 2; i <= 11; i++) /* 1 s in 100 ms frames at 25 units/s */
        tui_model_advance(m, T0 + (uint64_t)i * 100 * MS);
    assert_float_equal(m->x, 75, 1e-3);
    assert_float_equal(m->y, 50, 1e-4);
    keys(m, "w", T0 + 1100 * MS); /* up: y shrinks, x stays */
    tui_model_advance(m, T0 + 1300 * MS);
    assert_float_equal(m->x, 75, 1e-3);
    assert_float_equal(m->y, 45, 1e-3);
    keys(m, " ", T0 + 1300 * MS); /* stop */
    tui_model_advance(m, T0 + 1500 * MS);
    assert_float_equal(m->y, 45, 1e-3);
    assert_int_equal(m->dir_x, 0);
    assert_int_equal(m->dir_y, 0);
    tui_model_close(m);
}

static void bounces_off_walls_and_never_teleports(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UDP, false);
    m->x = 99;
    m->y = 1;
    keys(m, "d", T0);
    tui_model_advance(m, T0 + 100 * MS); /* 2.5 units right: 1.5 past the wall */
    assert_float_equal(m->x, 98.5f, 1e-3);
    assert_int_equal(m->dir_x, -1);
    keys(m, "k", T0 + 100 * MS); /* up from y = 1 */
    tui_model_advance(m, T0 + 200 * MS);
    assert_float_equal(m->y, 1.5f, 1e-3);
    assert_int_equal(m->dir_y, 1);
    /* A 10 s stall moves as far as 0.25 s does. */
    tui_model_advance(m, T0 + 10200 * MS);
    assert_float_equal(m->y, 1.5f + 25 * 0.25f, 1e-3);
    tui_model_close(m);
}

/* ---- sending ---- */

static void sends_at_the_rate_once_joined(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UDP, false);
    tui_model_advance(m, T0 + 100 * MS);
    assert_int_equal(m->states_sent, 0); /* not joined: nothing sent */
    assert_int_equal(m->conn, TUI_CONNECTING);
    welcome(m, 3, 0, T0 + 100 * MS);
    assert_int_equal(m->conn, TUI_JOINED);
    assert_string_equal(last_msg(m), "joined room lobby as #3 at 127.0.0.1:7777, 0 others here");
    tui_model_advance(m, T0 + 100 * MS); /* due at once */
    assert_int_equal(m->states_sent, 1);
    assert_int_equal(client_next_seq(m->c), 2); /* seq 1 went out */
    tui_model_advance(m, T0 + 149 * MS); /* 20 Hz: the next at +50 ms */
    assert_int_equal(m->states_sent, 1);
    assert_int_equal(tui_model_next_deadline(m), T0); /* the first frame is due at the start */
    m->next_draw_us = T0 + 1 * SEC;
    assert_int_equal(tui_model_next_deadline(m), T0 + 150 * MS);
    tui_model_advance(m, T0 + 150 * MS);
    assert_int_equal(m->states_sent, 2);
    /* After a 5 s stall: one state, then the schedule restarts from now
     * instead of bursting the 100 missed ones. */
    tui_model_advance(m, T0 + 5150 * MS);
    tui_model_advance(m, T0 + 5160 * MS);
    assert_int_equal(m->states_sent, 3);
    assert_int_equal(m->next_send_us, T0 + 5200 * MS);
    tui_model_close(m);
}

static void rate_keys_step_and_send_now(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UDP, false);
    welcome(m, 3, 0, T0);
    tui_model_advance(m, T0);
    assert_int_equal(m->rate, 20);
    keys(m, "+", T0 + 10 * MS);
    assert_int_equal(m->rate, 30);
    assert_int_equal(m->next_send_us, T0 + 10 * MS);
    tui_model_advance(m, T0 + 10 * MS);
    assert_int_equal(m->states_sent, 2);
    keys(m, "---", T0 + 20 * MS);
    assert_int_equal(m->rate, 10);
    assert_int_equal(tui_model_rate_next(120, 1), 120);
    assert_int_equal(tui_model_rate_next(1, -1), 1);
    assert_int_equal(tui_model_rate_next(7, 1), 10);
    assert_int_equal(tui_model_rate_next(7, -1), 5);
    tui_model_close(m);
}

/* ---- connection ---- */

static void lost_relay_waits_for_r_without_retry(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UDP, false);
    struct ricochet_event ev = { .type = RICOCHET_EV_DISCONNECTED };
    welcome(m, 3, 0, T0);
    tui_model_advance(m, T0);
    assert_int_equal(m->states_sent, 1);
    tui_model_on_event(m, &ev, T0 + 1 * SEC);
    assert_int_equal(m->conn, TUI_LOST);
    assert_string_equal(m->lost_reason, "disconnected");
    assert_string_equal(last_msg(m), "relay lost: disconnected");
    assert_string_equal(logged, "relay lost: disconnected"); /* logged, unstamped */
    assert_int_equal(m->retry_at_us, T0 + 3 * SEC);
    tui_model_service(m, T0 + 60 * SEC); /* no --retry: stays lost */
    assert_int_equal(m->conn, TUI_LOST);
    assert_int_equal(opened, 1);
    tui_model_advance(m, T0 + 61 * SEC);
    assert_int_equal(m->states_sent, 1); /* the one sent before: nothing while lost */
    keys(m, "r", T0 + 62 * SEC);
    assert_int_equal(opened, 2);
    assert_int_equal(m->attempts, 2);
    assert_int_equal(m->conn, TUI_CONNECTING);
    assert_string_equal(last_msg(m), "connecting to 127.0.0.1:7777 ...");
    keys(m, "r", T0 + 63 * SEC); /* only when lost */
    assert_int_equal(opened, 2);
    tui_model_close(m);
}

static void retry_reconnects_every_two_seconds(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UNSEQUENCED, true);
    static struct proto_control err;
    memset(&err, 0, sizeof err);
    err.type = PROTO_CTL_ERROR;
    snprintf(err.code, sizeof err.code, "room_full");
    snprintf(err.text, sizeof err.text, "room lobby is full");
    relay_says(m, &err, T0); /* a join refused ends the session: the client dies */
    assert_string_equal(last_msg(m), "relay error room_full: room lobby is full");
    tui_model_service(m, T0 + 1 * MS);
    assert_int_equal(m->conn, TUI_LOST);
    /* the relay's code and message, not a generic join failure */
    assert_string_equal(m->lost_reason, "relay refused the join: room_full (room lobby is full)");
    refuse_open = true;
    tui_model_service(m, T0 + 2000 * MS); /* 1 ms early */
    assert_int_equal(opened, 1);
    m->next_draw_us = T0 + 10 * SEC; /* no frame due before the retry */
    assert_int_equal(tui_model_next_deadline(m), T0 + 2001 * MS);
    tui_model_service(m, T0 + 2001 * MS); /* due: fails, so lost again for 2 s */
    assert_int_equal(opened, 2);
    assert_null(m->c);
    assert_int_equal(m->conn, TUI_LOST);
    assert_string_equal(m->lost_reason, "cannot resolve the relay");
    assert_int_equal(m->retry_at_us, T0 + 4001 * MS);
    refuse_open = false;
    tui_model_service(m, T0 + 4001 * MS);
    assert_int_equal(opened, 3);
    assert_int_equal(m->conn, TUI_CONNECTING);
    assert_int_equal(m->attempts, 2); /* connections opened */
    welcome(m, 5, 0, T0 + 4100 * MS);
    assert_int_equal(m->conn, TUI_JOINED);
    tui_model_close(m);
}

/* ---- others ---- */

static void remote_players_and_round_trip(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UNSEQUENCED, false);
    welcome(m, 3, 7, T0);
    assert_string_equal(last_msg(m), "joined room lobby as #3 at 127.0.0.1:7777, 1 other here");
    relay_state(m, 7, 1, 10, 500, T0 + 10 * MS);
    relay_state(m, 7, 2, 20, 50500, T0 + 60 * MS);
    const struct tui_remote *r = tui_model_remote(m, 7);
    assert_non_null(r);
    struct ricochet_interp_point at; /* both kept: drawn between them, halfway */
    assert_int_equal(ricochet_interp_at(r->ib, T0 + 35 * MS, &at), RICOCHET_INTERP_BETWEEN);
    assert_int_equal(at.seq_a, 1);
    assert_int_equal(at.seq_b, 2);
    assert_float_equal(at.x, 15, 1e-3);
    assert_int_equal(r->arrived_as, PROTO_MODE_UNSEQUENCED);
    assert_null(tui_model_remote(m, 3)); /* my reflected state is not a remote */
    relay_state(m, 3, 1, 40, T0 + 100 * MS, T0 + 130 * MS);
    assert_true(m->have_rtt);
    assert_float_equal(m->rtt_last_ms, 30.0, 1e-9);
    assert_float_equal(m->echo_x, 40, 1e-6);
    relay_state(m, 3, 2, 41, T0 + 200 * MS, T0 + 222 * MS);
    assert_float_equal(m->rtt_avg_ms, 30.0 + (22.0 - 30.0) / 8, 1e-9); /* smoothed by 1/8 */
    notice(m, PROTO_CTL_LEFT, 7, "bob", T0 + 300 * MS);
    assert_null(tui_model_remote(m, 7));
    assert_string_equal(last_msg(m), "bob (#7) left: quit");
    notice(m, PROTO_CTL_JOINED, 8, "carol", T0 + 400 * MS);
    assert_string_equal(last_msg(m), "carol (#8) joined, unsequenced");
    tui_model_close(m);
}

static void recent_loss_over_the_snapshots(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UNSEQUENCED, false);
    welcome(m, 3, 7, T0);
    relay_state(m, 7, 1, 10, 1000, T0 + 10 * MS);
    tui_model_advance(m, T0 + 1 * SEC); /* snapshot 1: expected 1, received 1 */
    const struct tui_remote *r = tui_model_remote(m, 7);
    struct ricochet_member bob;
    assert_int_equal(ricochet_member(m->c, 7, &bob), RICOCHET_OK);
    assert_float_equal(tui_model_recent_loss(r, &bob), -1, 0); /* one snapshot: no window */
    relay_state(m, 7, 5, 10, 5000, T0 + 1500 * MS);           /* 2, 3, 4 lost */
    tui_model_advance(m, T0 + 2 * SEC);
    assert_int_equal(ricochet_member(m->c, 7, &bob), RICOCHET_OK);
    assert_float_equal(tui_model_recent_loss(r, &bob), 75.0, 1e-9);
    tui_model_close(m);
}

/* ---- keys ---- */

static void view_keys(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UNSEQUENCED, false);
    keys(m, "]]", T0);
    assert_int_equal(m->delay_us, 150 * MS);
    keys(m, "[[[[[[[[", T0);
    assert_int_equal(m->delay_us, 0); /* floored at 0 */
    for (int i = 0; i < 100; i++)
        keys(m, "]", T0);
    assert_int_equal(m->delay_us, TUI_DELAY_MAX_US); /* capped at 2 s */
    keys(m, "ig", T0);
    assert_false(m->interp_on);
    assert_true(m->ghost_on);
    m->dirty = false;
    assert_true(tui_model_key(m, 12 /* Ctrl-L */, T0));
    assert_true(m->redraw_all);
    assert_true(m->dirty);
    /* The help: any key but a resize closes it; q closes it and quits. */
    keys(m, "?", T0);
    assert_true(m->help_on);
    assert_true(tui_model_key(m, KEY_RESIZE, T0));
    assert_true(m->help_on);
    assert_true(tui_model_key(m, 'x', T0));
    assert_false(m->help_on);
    assert_int_equal(m->dir_x, 0); /* x closed the help, did not act */
    m->dir_x = 1;
    keys(m, "?", T0);
    assert_true(tui_model_key(m, 'x', T0));
    assert_int_equal(m->dir_x, 1);
    keys(m, "?", T0);
    assert_false(tui_model_key(m, 'q', T0));
    assert_false(m->help_on);
    assert_false(tui_model_key(m, 'q', T0));
    tui_model_close(m);
}

static void mode_keys(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UNSEQUENCED, false);
    enum proto_mode reliable;
    int key = 0;
    for (int ch = '1'; ch <= '9' && !key; ch++)
        if (keys_mode_for(ch, &reliable) == 0 && reliable == PROTO_MODE_RELIABLE)
            key = ch;
    assert_true(key != 0);
    assert_true(tui_model_key(m, key, T0));
    assert_int_equal(m->mode, PROTO_MODE_RELIABLE);
    assert_int_equal(client_mode(m->c), PROTO_MODE_RELIABLE);
    assert_string_equal(last_msg(m), "sending reliable now");
    tui_model_close(m);

    m = model_new(PROTO_MODE_UDP, false);
    assert_true(tui_model_key(m, key, T0));
    assert_int_equal(m->mode, PROTO_MODE_UDP);
    assert_string_equal(last_msg(m), "udp cannot switch live: restart with --mode");
    tui_model_close(m);

    m = model_new(PROTO_MODE_TCP, false);
    assert_true(tui_model_key(m, key, T0));
    assert_int_equal(m->mode, PROTO_MODE_TCP);
    assert_string_equal(last_msg(m), "tcp cannot switch live: restart with --mode");
    tui_model_close(m);
}

static void chat_line(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UDP, false);
    size_t before = m->n_msgs;
    keys(m, "c", T0);
    assert_true(m->chatting);
    keys(m, "qhi", T0); /* q types, does not quit */
    assert_string_equal(m->line.text, "qhi");
    keys(m, "\r", T0);
    assert_false(m->chatting);
    assert_string_equal(last_msg(m), "not connected: chat not sent");
    welcome(m, 3, 0, T0);
    before = m->n_msgs;
    keys(m, "chello\r", T0);
    assert_int_equal(m->n_msgs, before); /* sent: no complaint */
    assert_int_equal(m->line.len, 0);
    keys(m, "cabc", T0);
    assert_true(tui_model_key(m, 27 /* Esc */, T0));
    assert_false(m->chatting);
    assert_int_equal(m->line.len, 0);
    assert_int_equal(m->n_msgs, before);
    tui_model_close(m);
}

/* An event from sender as the relay forwards it (kept under key, unless
 * NULL), its bytes body. */
static void relay_event(struct tui_model *m, uint32_t sender, const char *key, const char *body,
                        uint64_t now)
{
    uint8_t buf[PROTO_EVENT_HEAD + PROTO_EVENT_BODY_MAX];
    struct ricochet_event ev;
    int len = key ? proto_event_encode_kept(buf, sizeof buf, key, true, body, strlen(body))
                  : proto_event_encode(buf, sizeof buf, PROTO_EVENT_ROOM, body, strlen(body));
    assert_true(len > 0);
    proto_state_stamp_sender(buf, sender);
    assert_int_equal(client_receive(m->c, control_channel(m), PROTO_FLAG_RELIABLE, buf,
                                    (size_t)len, now, &ev), 1);
    tui_model_on_event(m, &ev, now);
}

/* What a room's script says (sender 4294967295) is shown as words, its
 * kept ones with their key; a member's event only by its size. */
static void room_words(void **state)
{
    (void)state;
    struct tui_model *m = model_new(PROTO_MODE_UNSEQUENCED, false);
    welcome(m, 3, 7, T0);
    relay_event(m, UINT32_MAX, "score", "ann=1,bob=2", T0);
    assert_string_equal(last_msg(m), "the room keeps score: ann=1,bob=2");
    relay_event(m, UINT32_MAX, NULL, "fix 7 41.89 3.66\x1b[2J", T0);
    assert_string_equal(last_msg(m), "the room says: fix 7 41.89 3.66?[2J");
    relay_event(m, 7, NULL, "hello", T0);
    assert_string_equal(last_msg(m), "bob (#7) sent an event of 5 bytes (room)");
    tui_model_close(m);
}

/* ---- setup ---- */

static void messages_are_stamped_from_the_session_start(void **state)
{
    (void)state;
    static struct tui_model m;
    struct tui_config cfg;
    char err[256];
    setenv("TZ", "UTC", 1);
    default_config(&cfg, PROTO_MODE_UDP);
    tui_model_init(&m, &cfg, "me", 7);
    m.open_client = open_detached;
    assert_int_equal(tui_model_connect(&m, err, sizeof err), 0);
    tui_model_start(&m, T0, 3600 + 2 * 60 + 3, 7); /* 01:02:03 UTC */
    assert_string_equal(m.msgs[0].text, "01:02:03 connecting to 127.0.0.1:7777 as me (seed 7)");
    assert_int_equal(m.msgs[0].color, TUI_MSG_PLAIN);
    keys(&m, "c", T0 + 62 * SEC);
    keys(&m, "x\r", T0 + 62 * SEC);
    assert_string_equal(m.msgs[1].text, "01:03:05 not connected: chat not sent");
    assert_int_equal(m.msgs[1].color, TUI_MSG_WARN);
    /* the same seed, the same start position, inside the arena's middle */
    float x = m.x, y = m.y;
    tui_model_close(&m);
    tui_model_init(&m, &cfg, "me", 7);
    assert_float_equal(m.x, x, 0);
    assert_float_equal(m.y, y, 0);
    assert_true(x >= 10 && x <= 90 && y >= 10 && y <= 90);
    tui_model_init(&m, &cfg, "me", 8);
    assert_true(m.x != x || m.y != y);
}

static void default_name(void **state)
{
    (void)state;
    char name[PROTO_NAME_MAX + 1];
    tui_model_default_name(name, sizeof name, "jo hn!", 1);
    assert_string_equal(name, "john");
    tui_model_default_name(name, sizeof name, NULL, 12345);
    assert_string_equal(name, "player345");
    tui_model_default_name(name, sizeof name, "!!!", 7);
    assert_string_equal(name, "player7");
    char user[3 * PROTO_NAME_MAX];
    memset(user, 'a', sizeof user - 1);
    user[sizeof user - 1] = '\0';
    tui_model_default_name(name, sizeof name, user, 7); /* cut at PROTO_NAME_MAX */
    assert_int_equal(strlen(name), PROTO_NAME_MAX);
}

int main(void)
{
    log_set_sink(log_to_buffer, NULL); /* the model logs every message at info */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(moves_with_the_keys),
        cmocka_unit_test(bounces_off_walls_and_never_teleports),
        cmocka_unit_test(sends_at_the_rate_once_joined),
        cmocka_unit_test(rate_keys_step_and_send_now),
        cmocka_unit_test(lost_relay_waits_for_r_without_retry),
        cmocka_unit_test(retry_reconnects_every_two_seconds),
        cmocka_unit_test(remote_players_and_round_trip),
        cmocka_unit_test(recent_loss_over_the_snapshots),
        cmocka_unit_test(view_keys),
        cmocka_unit_test(mode_keys),
        cmocka_unit_test(chat_line),
        cmocka_unit_test(room_words),
        cmocka_unit_test(messages_are_stamped_from_the_session_start),
        cmocka_unit_test(default_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
