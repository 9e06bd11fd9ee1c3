/* test_relay_lockstep.c: lockstep rooms (PROTOCOL.md, "Lockstep rooms") in
 * the relay core, through a fake transport and a fake clock: the join that
 * makes the room sets it up and the welcome says it back (its clock, your
 * slot, who holds each, how many kept events follow); the next players take
 * the next slots, a full room refuses one room_full and a spectator joins
 * all the same; a member gets no frame before its first ack; at each
 * deadline the frame holds each slot's input (present), its last (repeated)
 * or nothing (empty), or left; each datagram carries every frame not
 * acknowledged, so a lost one costs a tick; a late input is dropped,
 * counted, logged with how late, and told (late, at most every 100 ms); a
 * copy of one in its frame is a duplicate; an input past the window is
 * refused bad_state; a spectator's frames lag spectator_delay ticks and its
 * inputs are refused; a joiner asking from 0 catches up 4 datagrams a tick;
 * a reliable member gets each frame once; a player that leaves frees its
 * slot (left), its player back with its key takes it again; checks name the
 * member outside the majority (and a late one against what was agreed); the
 * kept log's lines; a room holds its newest frames within --lockstep-keep-kb
 * and says so in held; settings out of range are bad_field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"
#include "proto/lockstep.h"
#include "proto/wire.h"
#include "relay/core/relay.h"
#include "tests/support/fake_relay.h"

#define PERIOD 33333 /* 30 Hz */
#define LINE_MAX_T 2400 /* a kept log line, a frame in hex and more */

/* The kept log's lines, as the sink gets them. */
static char log_lines[256][LINE_MAX_T];
static size_t n_lines;

static void sink_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    assert_true(len < LINE_MAX_T);
    if (n_lines < 256) {
        memcpy(log_lines[n_lines], line, len);
        log_lines[n_lines++][len] = '\0';
    }
}

/* Lines of the log holding text. */
static size_t lines_with(const char *text)
{
    size_t n = 0;
    for (size_t i = 0; i < n_lines; i++)
        n += strstr(log_lines[i], text) != NULL;
    return n;
}

/* A relay whose room "rts" (2 slots of 4-byte inputs, delay 2, checks every
 * 4 ticks) peers 0 and 1 made and joined, the log's sink set. */
static struct relay *rts_of_two(uint32_t peers)
{
    struct relay_config cfg = unlimited_config();
    struct relay *r = relay_with_peers(&cfg, peers);
    n_lines = 0;
    relay_set_lockstep_sink(r, &(struct relay_lockstep_sink){.line = sink_line});
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":3,\"room\":\"rts\","
                                     "\"name\":\"a\",\"lockstep\":{\"hz\":30,\"delay\":2,"
                                     "\"slots\":2,\"input_max\":4,\"check_every\":4,"
                                     "\"stand_in\":\"last\"}}"),
                     0);
    assert_int_equal(join(r, 1, "rts", "b", false), 0);
    return r;
}

/* peer's inputs for ticks first.. (each one byte, its value), ack. */
static int inputs(struct relay *r, uint32_t peer, uint32_t ack, uint32_t first,
                  const uint8_t *vals, size_t n)
{
    const uint8_t *data[PROTO_INPUTS_MAX];
    size_t lens[PROTO_INPUTS_MAX];
    for (size_t i = 0; i < n; i++) {
        data[i] = &vals[i];
        lens[i] = 1;
    }
    uint8_t buf[PROTO_BATCH_MAX];
    int len = proto_inputs_encode(buf, sizeof buf, ack, first, data, lens, n);
    assert_true(len > 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                             (size_t)len, now_us);
}

static int ack(struct relay *r, uint32_t peer, uint32_t from)
{
    return inputs(r, peer, from, 0, NULL, 0);
}

/* The words of the last error peer was sent. */
static const char *last_words(uint32_t peer)
{
    const struct proto_control *m = last_ctl(peer, PROTO_CTL_ERROR);
    return m ? m->text : "";
}

/* Moves the clock to tick t's deadline and lets the relay close it. */
static void close_to(struct relay *r, uint32_t t)
{
    now_us = 1000000 + (uint64_t)(t + 1) * PERIOD; /* fake_relay_setup: the room's start */
    relay_tick(r, now_us);
}

/* The last frames message peer got (decoded into *fr), its index; -1 if none. */
static long last_frames(uint32_t peer, struct proto_frames *fr)
{
    for (size_t i = fk.n_states; i-- > 0;)
        if (fk.states[i].peer == peer && proto_is_frames(fk.states[i].bytes, fk.states[i].len)) {
            assert_int_equal(proto_frames_decode(fk.states[i].bytes, fk.states[i].len, fr),
                             PROTO_OK);
            return (long)i;
        }
    return -1;
}

static size_t frames_to(uint32_t peer)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_states; i++)
        n += fk.states[i].peer == peer && proto_is_frames(fk.states[i].bytes, fk.states[i].len);
    return n;
}

/* Frame k of fr: slot's flag, and its one byte (or -1). */
static int slot_of(const struct proto_frames *fr, uint32_t k, uint32_t slot,
                   enum proto_slot_flag *flag)
{
    size_t at = PROTO_LOCKSTEP_HEAD, n;
    const uint8_t *f = NULL, *data;
    for (uint32_t i = 0; i <= k; i++)
        assert_true(proto_frames_next(fr, &at, &f, &n));
    size_t len;
    assert_int_equal(proto_frame_slot(f, n, fr->slots, slot, flag, &data, &len), 0);
    return data && len == 1 ? data[0] : -1;
}

static void the_join_makes_it_and_the_welcome_says_it(void **state)
{
    (void)state;
    struct relay *r = rts_of_two(4);
    const struct proto_control *w = last_ctl(0, PROTO_CTL_WELCOME);
    assert_true(w->has_lockstep);
    assert_int_equal(w->lockstep.settings.hz, 30);
    assert_int_equal(w->lockstep.settings.delay, 2);
    assert_int_equal(w->lockstep.settings.slots, 2);
    assert_int_equal(w->lockstep.settings.spectator_delay, 60); /* 2 x hz by default */
    assert_int_equal(w->lockstep.start_us, 1000000);
    assert_int_equal(w->lockstep.tick, 0);
    assert_true(w->lockstep.has_slot);
    assert_int_equal(w->lockstep.slot, 0);
    assert_int_equal(w->lockstep.kept, 0);
    w = last_ctl(1, PROTO_CTL_WELCOME);
    assert_int_equal(w->lockstep.slot, 1);
    assert_int_equal(w->lockstep.n_players, 2);
    assert_string_not_equal(w->lockstep.players[0], "");
    assert_string_equal(w->lockstep.players[1], w->player);
    const struct proto_control *j = last_ctl(0, PROTO_CTL_JOINED);
    assert_true(j->has_slot);
    assert_int_equal(j->slot, 1);
    /* the room is full of players: a third is refused, a spectator is not */
    assert_int_equal(join(r, 2, "rts", "c", false), DROP(RELAY_DROP_ROOM_FULL));
    assert_non_null(strstr(last_words(2), "every slot"));
    assert_int_equal(send_text(r, 2, "{\"type\":\"join\",\"version\":3,\"room\":\"rts\","
                                     "\"name\":\"c\",\"spectator\":true}"),
                     0);
    w = last_ctl(2, PROTO_CTL_WELCOME);
    assert_true(w->has_lockstep);
    assert_false(w->lockstep.has_slot);
    assert_false(last_ctl(0, PROTO_CTL_JOINED)->has_slot);
    assert_int_equal(lines_with("\"lockstep\":{\"hz\":30"), 1);
    assert_int_equal(lines_with("\"slot\":1,\"player\":\""), 1);
    assert_int_equal(relay_stats(r)->lockstep.rooms, 1);
    relay_destroy(r);
}

static void frames_hold_inputs_stand_ins_and_what_is_not_acked(void **state)
{
    (void)state;
    struct relay *r = rts_of_two(4);
    fake_clear();
    uint8_t v[] = {7, 8, 9};
    assert_int_equal(inputs(r, 0, 0, 0, v, 3), 0);
    close_to(r, 0);
    struct proto_frames fr;
    assert_true(last_frames(0, &fr) >= 0);
    assert_int_equal(frames_to(1), 0); /* no ack from it yet: nothing */
    assert_int_equal(fr.first, 0);
    assert_int_equal(fr.count, 1);
    enum proto_slot_flag f;
    assert_int_equal(slot_of(&fr, 0, 0, &f), 7);
    assert_int_equal(f, PROTO_SLOT_PRESENT);
    assert_int_equal(slot_of(&fr, 0, 1, &f), -1);
    assert_int_equal(f, PROTO_SLOT_EMPTY); /* b sent nothing ever */
    assert_int_equal(ack(r, 1, 0), 0);
    close_to(r, 1);
    /* neither acked frame 0: each gets 0 and 1 */
    assert_true(last_frames(0, &fr) >= 0);
    assert_int_equal(fr.first, 0);
    assert_int_equal(fr.count, 2);
    assert_int_equal(slot_of(&fr, 1, 0, &f), 8);
    assert_true(last_frames(1, &fr) >= 0);
    assert_int_equal(fr.count, 2);
    /* a acks 2: frame 2 alone; b's input for 2 present, its 3 missing: repeated */
    uint8_t w[] = {1};
    assert_int_equal(inputs(r, 0, 2, 2, &v[2], 1), 0);
    assert_int_equal(inputs(r, 1, 0, 2, w, 1), 0);
    close_to(r, 3); /* two ticks at once: one round of sends */
    assert_true(last_frames(0, &fr) >= 0);
    assert_int_equal(fr.first, 2);
    assert_int_equal(fr.count, 2);
    assert_int_equal(slot_of(&fr, 0, 1, &f), 1);
    assert_int_equal(f, PROTO_SLOT_PRESENT);
    assert_int_equal(slot_of(&fr, 1, 1, &f), 1);
    assert_int_equal(f, PROTO_SLOT_REPEATED);
    assert_int_equal(slot_of(&fr, 1, 0, &f), 9);
    assert_int_equal(f, PROTO_SLOT_REPEATED); /* a's 9, its last, stands in for tick 3 */
    assert_int_equal(relay_stats(r)->lockstep.frames, 4);
    assert_int_equal(relay_stats(r)->lockstep.inputs, 4);
    assert_int_equal(relay_stats(r)->lockstep.stand_ins, 4);
    assert_int_equal(lines_with("\"tick\":3,\"frame\":\"02010902010"), 1);
    /* the frames went on the members' mode's way down: channel 1, unsequenced */
    long i = last_frames(1, &fr);
    assert_int_equal(fk.states[i].channel, PROTO_CHANNEL_STATE);
    assert_int_equal(fk.states[i].flags, PROTO_FLAG_UNSEQUENCED);
    relay_destroy(r);
}

static void late_far_and_duplicate_inputs(void **state)
{
    (void)state;
    struct relay *r = rts_of_two(4);
    uint8_t v[] = {5, 6};
    assert_int_equal(inputs(r, 0, 0, 0, v, 1), 0);
    close_to(r, 0);
    fake_clear();
    /* a copy of a's input in frame 0 again: a duplicate, said nothing */
    assert_int_equal(inputs(r, 0, 0, 0, v, 2), 0);
    assert_int_equal(relay_stats(r)->lockstep.duplicates, 1);
    assert_int_equal(count_ctl(0, PROTO_CTL_LATE), 0);
    /* b's input for tick 0 after it closed: late, told, logged */
    now_us += 5000;
    assert_int_equal(inputs(r, 1, 0, 0, &v[1], 1), 0);
    assert_int_equal(relay_stats(r)->lockstep.late, 1);
    const struct proto_control *l = last_ctl(1, PROTO_CTL_LATE);
    assert_non_null(l);
    assert_int_equal(l->tick, 0);
    assert_int_equal(l->by_us, 5000);
    assert_int_equal(l->count, 1);
    assert_int_equal(lines_with("\"tick\":0,\"slot\":1,\"late_us\":5000"), 1);
    /* its copy again: no new late, no new message */
    assert_int_equal(inputs(r, 1, 0, 0, &v[1], 1), 0);
    assert_int_equal(relay_stats(r)->lockstep.late, 1);
    assert_int_equal(count_ctl(1, PROTO_CTL_LATE), 1);
    /* another late one within 100 ms: counted, told at the next tick past them */
    close_to(r, 1);
    now_us += 1000;
    assert_int_equal(inputs(r, 1, 0, 1, &v[1], 1), 0);
    assert_int_equal(count_ctl(1, PROTO_CTL_LATE), 1);
    close_to(r, 4);
    l = last_ctl(1, PROTO_CTL_LATE);
    assert_int_equal(count_ctl(1, PROTO_CTL_LATE), 2);
    assert_int_equal(l->tick, 1);
    assert_int_equal(l->count, 1);
    /* past the window: refused bad_state, counted far */
    assert_int_equal(inputs(r, 0, 0, 5 + PROTO_LOCKSTEP_WINDOW, v, 1),
                     DROP(RELAY_DROP_BAD_STATE));
    assert_non_null(strstr(last_words(0), "past the window"));
    assert_int_equal(relay_stats(r)->lockstep.far, 1);
    /* too long an input for the room: the datagram refused */
    const uint8_t five[5] = {1, 2, 3, 4, 5}, *d = five;
    size_t n = 5;
    uint8_t buf[64];
    int len = proto_inputs_encode(buf, sizeof buf, 0, 5, &d, &n, 1);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                                       (size_t)len, now_us),
                     DROP(RELAY_DROP_BAD_STATE));
    /* on the control channel: no state way */
    len = proto_inputs_encode(buf, sizeof buf, 0, 5, NULL, NULL, 0);
    assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                                       (size_t)len, now_us),
                     DROP(RELAY_DROP_WRONG_CHANNEL));
    relay_destroy(r);
}

static void inputs_in_a_room_of_states_or_from_a_spectator(void **state)
{
    (void)state;
    struct relay *r = rts_of_two(6);
    assert_int_equal(join(r, 2, "lobby", "c", false), 0);
    assert_int_equal(ack(r, 2, 0), DROP(RELAY_DROP_BAD_STATE));
    assert_non_null(strstr(last_words(2), "no lockstep room"));
    assert_int_equal(ack(r, 3, 0), DROP(RELAY_DROP_NOT_JOINED));
    assert_int_equal(send_text(r, 4, "{\"type\":\"join\",\"version\":3,\"room\":\"rts\","
                                     "\"name\":\"s\",\"spectator\":true}"),
                     0);
    uint8_t v = 1;
    assert_int_equal(inputs(r, 4, 0, 0, &v, 1), DROP(RELAY_DROP_BAD_STATE));
    assert_non_null(strstr(last_words(4), "spectator"));
    /* its frames lag 60 ticks */
    assert_int_equal(ack(r, 4, 0), 0);
    fake_clear();
    close_to(r, 59);
    assert_int_equal(frames_to(4), 0);
    close_to(r, 60);
    struct proto_frames fr;
    assert_true(last_frames(4, &fr) >= 0);
    assert_int_equal(fr.first, 0);
    assert_int_equal(fr.count, 1);
    relay_destroy(r);
}

static void a_joiner_from_zero_catches_up(void **state)
{
    (void)state;
    struct relay *r = rts_of_two(4);
    assert_int_equal(ack(r, 0, 0), 0);
    uint8_t v[4] = {1, 2, 3, 4};
    for (uint32_t t = 0; t < 1000; t++) { /* 1000 ticks of a's 4-byte inputs: 7 KB */
        const uint8_t *d = v;
        size_t n = 4;
        uint8_t buf[64];
        int len = proto_inputs_encode(buf, sizeof buf, t, t, &d, &n, 1);
        assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED,
                                           buf, (size_t)len, now_us), 0);
        close_to(r, t);
    }
    fake_clear();
    assert_int_equal(ack(r, 1, 0), 0); /* b asks from 0 */
    close_to(r, 1000);
    assert_int_equal(frames_to(1), 4); /* 4 datagrams a tick */
    struct proto_frames fr;
    last_frames(1, &fr);
    uint32_t reached = fr.first + fr.count;
    fake_clear();
    close_to(r, 1001); /* going on where it stopped, to the newest */
    assert_int_equal(frames_to(1), 2);
    size_t i = 0;
    while (fk.states[i].peer != 1)
        i++;
    assert_int_equal(proto_frames_decode(fk.states[i].bytes, fk.states[i].len, &fr), PROTO_OK);
    assert_int_equal(fr.first, reached);
    last_frames(1, &fr);
    assert_int_equal(fr.first + fr.count, 1002);
    fake_clear();
    close_to(r, 1002); /* then again from its ack, what it has not acknowledged */
    assert_int_equal(frames_to(1), 4);
    last_frames(1, &fr);
    assert_true(fr.first < 1000);
    assert_true(relay_stats(r)->lockstep.catch_ups >= 3);
    /* with its ack at the newest, one datagram a tick again */
    assert_int_equal(ack(r, 1, 1002), 0);
    fake_clear();
    close_to(r, 1003);
    assert_int_equal(frames_to(1), 1);
    relay_destroy(r);
}

static void a_reliable_member_gets_each_frame_once(void **state)
{
    (void)state;
    struct relay *r = rts_of_two(4);
    assert_int_equal(send_text(r, 2, "{\"type\":\"join\",\"version\":3,\"room\":\"rts\","
                                     "\"name\":\"c\",\"spectator\":true,"
                                     "\"mode\":\"reliable\"}"),
                     0);
    assert_int_equal(relay_on_datagram(r, 2, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE,
                                       (uint8_t[]){1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 12,
                                       now_us),
                     0);
    fake_clear();
    close_to(r, 60);
    close_to(r, 61);
    struct proto_frames fr;
    long i = last_frames(2, &fr);
    assert_int_equal(fk.states[i].channel, PROTO_CHANNEL_RELIABLE);
    assert_int_equal(fk.states[i].flags, PROTO_FLAG_RELIABLE);
    assert_int_equal(fr.first, 1); /* 0 went at 60; never again */
    assert_int_equal(fr.count, 1);
    assert_int_equal(frames_to(2), 2);
    relay_destroy(r);
}

static void a_slot_left_and_taken_back(void **state)
{
    (void)state;
    struct relay *r = rts_of_two(4);
    const char *key = last_ctl(1, PROTO_CTL_WELCOME)->key;
    char kept[PROTO_KEY_LEN + 1];
    memcpy(kept, key, sizeof kept);
    assert_int_equal(ack(r, 0, 0), 0);
    relay_peer_gone(r, 1, PROTO_LEFT_TIMEOUT, now_us);
    fake_clear();
    close_to(r, 0);
    struct proto_frames fr;
    last_frames(0, &fr);
    enum proto_slot_flag f;
    slot_of(&fr, 0, 1, &f);
    assert_int_equal(f, PROTO_SLOT_LEFT);
    assert_int_equal(lines_with("\"slot\":1,\"player\":\"\""), 1);
    /* a new player takes no slot of another's while a never held one is
     * free: here none is: it takes slot 1, free longest; b with its key
     * would have had it back */
    char join_b[256];
    snprintf(join_b, sizeof join_b, "{\"type\":\"join\",\"version\":3,\"room\":\"rts\","
             "\"name\":\"b\",\"key\":\"%s\"}", kept);
    assert_int_equal(send_text(r, 2, join_b), 0);
    assert_int_equal(last_ctl(2, PROTO_CTL_WELCOME)->lockstep.slot, 1);
    close_to(r, 1);
    last_frames(0, &fr);
    slot_of(&fr, 1, 1, &f);
    assert_int_equal(f, PROTO_SLOT_EMPTY); /* in again, nothing sent yet */
    relay_destroy(r);
}

static int check(struct relay *r, uint32_t peer, uint32_t tick, const char *sum)
{
    char json[128];
    snprintf(json, sizeof json, "{\"type\":\"check\",\"tick\":%u,\"sum\":\"%s\"}",
             (unsigned)tick, sum);
    return send_text(r, peer, json);
}

static void checks_name_who_diverged(void **state)
{
    (void)state;
    struct relay *r = rts_of_two(6);
    assert_int_equal(send_text(r, 2, "{\"type\":\"join\",\"version\":3,\"room\":\"rts\","
                                     "\"name\":\"s\",\"spectator\":true}"),
                     0);
    assert_int_equal(ack(r, 0, 0), 0);
    assert_int_equal(ack(r, 1, 0), 0);
    assert_int_equal(ack(r, 2, 0), 0);
    close_to(r, 4);
    assert_int_equal(check(r, 0, 3, "0000000000000001"), DROP(RELAY_DROP_BAD_FIELD));
    assert_int_equal(check(r, 0, 8, "0000000000000001"), DROP(RELAY_DROP_BAD_FIELD));
    assert_int_equal(check(r, 0, 4, "00000000000000aa"), 0);
    assert_int_equal(check(r, 0, 4, "00000000000000aa"), DROP(RELAY_DROP_BAD_FIELD));
    fake_clear();
    assert_int_equal(check(r, 1, 4, "00000000000000bb"), 0);
    /* two players, two sums: no majority, both named */
    const struct proto_control *d = last_ctl(2, PROTO_CTL_DESYNC);
    assert_non_null(d);
    assert_int_equal(d->tick, 4);
    assert_int_equal(d->desync_len, 2);
    /* a spectator's late report: a third, agreeing with b, is named alone? no
     * sum was agreed: it is named */
    assert_int_equal(check(r, 2, 4, "00000000000000bb"), 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_DESYNC), 2);

    /* three reporters at tick 8: the one outside the majority */
    assert_int_equal(join(r, 3, "rts", "x", false), DROP(RELAY_DROP_ROOM_FULL));
    close_to(r, 8);
    fake_clear();
    assert_int_equal(check(r, 0, 8, "00000000000000cc"), 0);
    assert_int_equal(check(r, 2, 8, "00000000000000cc"), 0);
    assert_int_equal(count_ctl(0, PROTO_CTL_DESYNC), 0); /* b has not reported */
    assert_int_equal(check(r, 1, 8, "00000000000000dd"), 0);
    d = last_ctl(0, PROTO_CTL_DESYNC);
    assert_int_equal(d->tick, 8);
    assert_int_equal(d->desync_len, 1);
    assert_int_equal(d->desync[0].id, 2); /* b */
    assert_int_equal(lines_with("\"tick\":8,\"desync\":[2]"), 1);
    /* at tick 12 b never reports: decided when tick 16 closes, a alone agreed */
    close_to(r, 12);
    assert_int_equal(check(r, 0, 12, "00000000000000ee"), 0);
    fake_clear();
    close_to(r, 15);
    assert_int_equal(count_ctl(0, PROTO_CTL_DESYNC), 0);
    close_to(r, 16);
    assert_int_equal(count_ctl(0, PROTO_CTL_DESYNC), 0);
    assert_int_equal(check(r, 1, 12, "00000000000000ff"), 0); /* late, against a's */
    assert_int_equal(last_ctl(0, PROTO_CTL_DESYNC)->desync[0].id, 2);
    assert_int_equal(relay_stats(r)->lockstep.desyncs, 5);
    relay_destroy(r);
}

static void a_room_holds_its_newest_frames(void **state)
{
    (void)state;
    struct relay_config cfg = unlimited_config();
    cfg.lockstep_keep_kb = 16;
    struct relay *r = relay_with_peers(&cfg, 2);
    assert_int_equal(send_text(r, 0, "{\"type\":\"join\",\"version\":3,\"room\":\"big\","
                                     "\"name\":\"a\",\"lockstep\":{\"slots\":4,"
                                     "\"input_max\":200}}"),
                     0);
    uint8_t in[200];
    memset(in, 3, sizeof in);
    for (uint32_t t = 0; t < 200; t++) {
        const uint8_t *d = in;
        size_t n = sizeof in;
        uint8_t buf[PROTO_BATCH_MAX];
        int len = proto_inputs_encode(buf, sizeof buf, t, t, &d, &n, 1);
        assert_int_equal(relay_on_datagram(r, 0, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED,
                                           buf, (size_t)len, now_us), 0);
        close_to(r, t);
    }
    /* 16 KiB of 205-byte frames: fewer than 80 held; a joiner from 0 starts at held */
    assert_int_equal(send_text(r, 1, "{\"type\":\"join\",\"version\":3,\"room\":\"big\","
                                     "\"name\":\"b\"}"),
                     0);
    assert_int_equal(ack(r, 1, 0), 0);
    fake_clear();
    close_to(r, 200);
    struct proto_frames fr;
    assert_true(last_frames(1, &fr) >= 0);
    assert_true(fr.held > 120);
    assert_true(fr.first >= fr.held);
    relay_destroy(r);
}

static void settings_out_of_range_are_bad_field(void **state)
{
    (void)state;
    struct relay *r = relay_with_peers(NULL, 2);
    static const char *const bad[] = {
        "{\"hz\":5}", "{\"hz\":61}", "{\"delay\":33}", "{\"slots\":0}", "{\"slots\":33}",
        "{\"input_max\":0}", "{\"slots\":32,\"input_max\":40}", "{\"stand_in\":\"mean\"}",
        "{\"check_every\":601}", "{\"hz\":\"30\"}", "[]", "3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[200];
        snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":3,\"room\":\"x\","
                 "\"name\":\"a\",\"lockstep\":%s}", bad[i]);
        int rc = send_text(r, 0, json);
        if (rc != DROP(RELAY_DROP_BAD_FIELD))
            fail_msg("lockstep %s: %d", bad[i], rc);
    }
    assert_int_equal(send_text(r, 1, "{\"type\":\"join\",\"version\":3,\"room\":\"x\","
                                     "\"name\":\"a\",\"aoi\":10,\"lockstep\":{}}"),
                     DROP(RELAY_DROP_BAD_FIELD));
    assert_non_null(strstr(last_words(1), "aoi"));
    assert_int_equal(relay_rooms(r), 0);
    relay_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_join_makes_it_and_the_welcome_says_it,
                                        fake_relay_setup, fake_relay_teardown),
        cmocka_unit_test_setup_teardown(frames_hold_inputs_stand_ins_and_what_is_not_acked,
                                        fake_relay_setup, fake_relay_teardown),
        cmocka_unit_test_setup_teardown(late_far_and_duplicate_inputs, fake_relay_setup,
                                        fake_relay_teardown),
        cmocka_unit_test_setup_teardown(inputs_in_a_room_of_states_or_from_a_spectator,
                                        fake_relay_setup, fake_relay_teardown),
        cmocka_unit_test_setup_teardown(a_joiner_from_zero_catches_up, fake_relay_setup,
                                        fake_relay_teardown),
        cmocka_unit_test_setup_teardown(a_reliable_member_gets_each_frame_once,
                                        fake_relay_setup, fake_relay_teardown),
        cmocka_unit_test_setup_teardown(a_slot_left_and_taken_back, fake_relay_setup,
                                        fake_relay_teardown),
        cmocka_unit_test_setup_teardown(checks_name_who_diverged, fake_relay_setup,
                                        fake_relay_teardown),
        cmocka_unit_test_setup_teardown(a_room_holds_its_newest_frames, fake_relay_setup,
                                        fake_relay_teardown),
        cmocka_unit_test_setup_teardown(settings_out_of_range_are_bad_field, fake_relay_setup,
                                        fake_relay_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
