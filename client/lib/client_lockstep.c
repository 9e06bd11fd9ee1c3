/* client_lockstep.c: a lockstep room as a session keeps it (see
 * client_lockstep_internal.h; PROTOCOL.md, "Lockstep rooms"), and the
 * public calls of ricochet.h's "lockstep rooms". Frames are handed to the
 * game one at a time in tick order, never one skipped: those that came
 * ahead wait for the ticks before them; my inputs go out again in every
 * inputs message until their frames came; what came is acknowledged in
 * each inputs message, or alone half a tick after frames came. */
#define BY_CLIENT_LOCKSTEP_C /* this file writes the parts BY_CLIENT_LOCKSTEP_C marks */
#include "client.h"
#include "client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/log.h"

#define AHEAD CLIENT_FRAMES_AHEAD
#define PENDING CLIENT_INPUTS_PENDING

static struct client_lockstep *ls_of(struct ricochet *c)
{
    return &c->lockstep;
}

void client_lockstep_end(struct ricochet *c)
{
    struct client_lockstep *ls = ls_of(c);
    free(ls->ahead_tick);
    free(ls->ahead_len);
    free(ls->ahead);
    free(ls->pending);
    memset(ls, 0, sizeof *ls);
}

void client_lockstep_welcomed(struct ricochet *c, const struct proto_control *m, uint64_t now)
{
    struct client_lockstep *ls = ls_of(c);
    client_lockstep_end(c);
    if (!m->has_lockstep)
        return;
    const struct proto_lockstep *w = &m->lockstep;
    ls->set = w->settings;
    ls->period_us = proto_lockstep_period_us(w->settings.hz);
    ls->start_us = w->start_us;
    ls->welcome_tick = w->tick;
    ls->welcome_at_us = now;
    ls->has_slot = w->has_slot;
    ls->slot = w->slot;
    ls->kept = w->kept;
    for (uint32_t i = 0; i < w->n_players && i < PROTO_LOCKSTEP_SLOTS_MAX; i++)
        memcpy(ls->players[i], w->players[i], sizeof ls->players[i]);
    ls->frame_max = (size_t)w->settings.slots * (w->settings.input_max + 2);
    ls->ahead_tick = calloc(AHEAD, sizeof *ls->ahead_tick);
    ls->ahead_len = calloc(AHEAD, sizeof *ls->ahead_len);
    ls->ahead = malloc(AHEAD * ls->frame_max);
    ls->pending = ls->has_slot ? calloc(PENDING, sizeof *ls->pending) : NULL;
    if (!ls->ahead_tick || !ls->ahead_len || !ls->ahead || (ls->has_slot && !ls->pending)) {
        log_warn("client %s: out of memory: the lockstep room is not followed", c->name);
        client_lockstep_end(c);
        return;
    }
    ls->on = true;
}

void client_lockstep_joined(struct ricochet *c, const struct proto_control *m)
{
    struct client_lockstep *ls = ls_of(c);
    if (ls->on && m->has_slot && m->slot < ls->set.slots)
        memcpy(ls->players[m->slot], m->player, sizeof ls->players[m->slot]);
}

/* ---- what goes up ---- */

/* The first frame I do not hold: the next to hand over, past those kept. */
static uint32_t ack_of(const struct client_lockstep *ls)
{
    uint32_t t = ls->next;
    while (t - ls->next < AHEAD && ls->ahead_tick[t % AHEAD] == t + 1)
        t++;
    return t;
}

/* An input of mine kept at tick % PENDING and not yet in a frame handed
 * over. */
static bool pending_at(const struct client_lockstep *ls, uint32_t tick)
{
    const struct client_input *in = &ls->pending[tick % PENDING];
    return in->used && in->tick == tick && (!ls->started || tick >= ls->next);
}

/* An inputs message of my pending inputs from tick first on, as many as
 * follow one another and fit a datagram (sealed or not), with my ack,
 * sent. Returns the tick after the last it carried (first with none). */
static uint32_t send_run(struct ricochet *c, uint32_t first, int *rc)
{
    struct client_lockstep *ls = ls_of(c);
    const uint8_t *data[PROTO_INPUTS_MAX];
    size_t lens[PROTO_INPUTS_MAX], n = 0, size = PROTO_LOCKSTEP_HEAD;
    while (ls->pending && n < PROTO_INPUTS_MAX && pending_at(ls, first + (uint32_t)n)) {
        const struct client_input *in = &ls->pending[(first + n) % PENDING];
        if (size + 1 + in->len > SEAL_STATE_MAX)
            break;
        size += 1 + in->len;
        data[n] = in->bytes;
        lens[n++] = in->len;
    }
    uint8_t buf[SEAL_STATE_MAX];
    int len = proto_inputs_encode(buf, sizeof buf, ack_of(ls), first, data, lens, n);
    int sent = len < 0 ? RICOCHET_E_INVALID : client_send_way_up(c, buf, (size_t)len);
    if (sent != RICOCHET_OK)
        *rc = sent;
    ls->ack_due = false;
    return first + (uint32_t)n;
}

/* Every input not yet confirmed, a message for each run of ticks that
 * follow one another (a game that skipped a tick has two); with none, the
 * ack alone. Returns RICOCHET_OK or a send's error. */
static int send_inputs(struct ricochet *c)
{
    struct client_lockstep *ls = ls_of(c);
    int rc = RICOCHET_OK;
    bool sent = false;
    for (size_t i = 0; ls->pending && i < PENDING; i++) {
        uint32_t t = ls->pending[i].tick;
        if (!pending_at(ls, t) || pending_at(ls, t - 1))
            continue; /* not one of mine, or not where a run starts */
        while (pending_at(ls, t))
            t = send_run(c, t, &rc);
        sent = true;
    }
    if (!sent)
        send_run(c, 0, &rc);
    return rc;
}

/* ---- frames in ---- */

/* Hands the frame awaited over, if it came: a FRAME event. */
static int hand_over(struct ricochet *c, uint64_t now, struct ricochet_event *ev)
{
    struct client_lockstep *ls = ls_of(c);
    uint32_t k = ls->next % AHEAD;
    if (!ls->on || !ls->started || ls->ahead_tick[k] != ls->next + 1)
        return 0;
    size_t len = ls->ahead_len[k];
    memcpy(c->ev_bytes, ls->ahead + k * ls->frame_max, len);
    c->ev_len = len;
    ls->ahead_tick[k] = 0;
    ev->type = RICOCHET_EV_FRAME;
    ev->id = ls->next;
    ev->recv_us = now;
    /* my inputs up to it are settled: in it, or stood in for */
    if (ls->pending && ls->pending[ls->next % PENDING].tick == ls->next)
        ls->pending[ls->next % PENDING].used = false;
    ls->next++;
    ls->gone_said = false;
    return 1;
}

int client_lockstep_frames(struct ricochet *c, const uint8_t *buf, size_t len, uint64_t now,
                           struct ricochet_event *ev)
{
    struct client_lockstep *ls = ls_of(c);
    struct proto_frames fr;
    int err = proto_frames_decode(buf, len, &fr);
    if (err != PROTO_OK || !ls->on || fr.slots != ls->set.slots)
        return err != PROTO_OK ? err : PROTO_E_VALUE;
    if (!ls->started)
        return 0; /* frames I did not ask for (yet) */
    size_t at = PROTO_LOCKSTEP_HEAD, n;
    const uint8_t *f;
    for (uint32_t t = fr.first; proto_frames_next(&fr, &at, &f, &n); t++) {
        if (t < ls->next || t - ls->next >= AHEAD || n > ls->frame_max)
            continue; /* had it, or too far ahead: it comes again */
        ls->ahead_tick[t % AHEAD] = t + 1;
        ls->ahead_len[t % AHEAD] = (uint16_t)n;
        memcpy(ls->ahead + (t % AHEAD) * ls->frame_max, f, n);
    }
    if (!ls->ack_due) {
        ls->ack_due = true;
        ls->ack_due_us = now + ls->period_us / 2;
    }
    if (ls->next < fr.held && !ls->gone_said) {
        /* the relay let go of the frames I need next: from held on */
        ls->gone_said = true;
        ls->next = fr.held;
        ev->type = RICOCHET_EV_ERROR;
        snprintf(ev->code, sizeof ev->code, "frames_gone");
        snprintf(ev->text, sizeof ev->text, "the relay holds frames from tick %u on: "
                 "those before are gone", (unsigned)fr.held);
        return 1;
    }
    return hand_over(c, now, ev);
}

int client_lockstep_event(struct ricochet *c, uint64_t now, struct ricochet_event *ev)
{
    struct client_lockstep *ls = ls_of(c);
    if (!ls->on)
        return 0;
    if (ls->extra && now - ls->late_at_us > CLIENT_LATE_CALM_US) {
        ls->extra--;
        ls->late_at_us = now;
    }
    if (ls->ack_due && now >= ls->ack_due_us && c->phase == PHASE_JOINED && c->ops->ready(c))
        send_inputs(c);
    return hand_over(c, now, ev);
}

int client_lockstep_told(struct ricochet *c, const struct proto_control *m, uint64_t now,
                         struct ricochet_event *ev)
{
    struct client_lockstep *ls = ls_of(c);
    if (!ls->on)
        return 0;
    ev->id = m->tick;
    ev->recv_us = now;
    if (m->type == PROTO_CTL_LATE) {
        ls->late_tick = m->tick;
        ls->late_by_us = m->by_us;
        ls->late_count = m->count;
        ls->late_at_us = now;
        if (ls->extra < ls->set.delay) {
            ls->extra++; /* aim further ahead */
            ls->jumped++;
        }
        ev->type = RICOCHET_EV_LATE;
        return 1;
    }
    ls->n_desync = 0;
    for (size_t i = 0; i < m->desync_len && i < PROTO_DESYNC_MAX; i++)
        ls->desync[ls->n_desync++] = m->desync[i].id;
    ev->type = RICOCHET_EV_DESYNC;
    return 1;
}

/* ---- the public calls ---- */

void ricochet_lockstep_defaults(struct ricochet_lockstep *out)
{
    struct proto_lockstep_settings s;
    proto_lockstep_defaults(&s);
    if (out)
        *out = (struct ricochet_lockstep){.hz = s.hz, .delay = s.delay, .slots = s.slots,
                                          .input_max = s.input_max,
                                          .stand_in_last = s.stand_in_last,
                                          .check_every = s.check_every,
                                          .spectator_delay = s.spectator_delay};
}

int ricochet_lockstep(const struct ricochet *c, struct ricochet_lockstep *out, int32_t *slot,
                      uint32_t *kept)
{
    if (!c)
        return RICOCHET_E_INVALID;
    if (c->phase != PHASE_JOINED)
        return RICOCHET_E_NOT_JOINED;
    const struct client_lockstep *ls = &c->lockstep;
    if (!ls->on)
        return RICOCHET_E_UNSUPPORTED;
    if (out)
        *out = (struct ricochet_lockstep){.hz = ls->set.hz, .delay = ls->set.delay,
                                          .slots = ls->set.slots,
                                          .input_max = ls->set.input_max,
                                          .stand_in_last = ls->set.stand_in_last,
                                          .check_every = ls->set.check_every,
                                          .spectator_delay = ls->set.spectator_delay};
    if (slot)
        *slot = ls->has_slot ? (int32_t)ls->slot : -1;
    if (kept)
        *kept = ls->kept;
    return RICOCHET_OK;
}

int ricochet_lockstep_from(struct ricochet *c, uint32_t tick)
{
    if (!c)
        return RICOCHET_E_INVALID;
    struct client_lockstep *ls = ls_of(c);
    if (c->phase != PHASE_JOINED)
        return RICOCHET_E_NOT_JOINED;
    if (!ls->on)
        return RICOCHET_E_UNSUPPORTED;
    if (ls->started && tick < ls->next)
        return RICOCHET_E_INVALID; /* an ack only moves forward */
    ls->started = true;
    ls->next = tick;
    memset(ls->ahead_tick, 0, AHEAD * sizeof *ls->ahead_tick);
    return send_inputs(c);
}

uint32_t client_lockstep_tick_at(const struct ricochet *c, uint64_t now)
{
    if (!c || !c->lockstep.on)
        return 0;
    const struct client_lockstep *ls = &c->lockstep;
    if (!c->sync.clock.valid) /* from the welcome: late by its way here */
        return ls->welcome_tick + (uint32_t)((now - ls->welcome_at_us) / ls->period_us);
    int64_t relay_now = (int64_t)now + c->sync.clock.offset_us;
    if (relay_now < (int64_t)ls->start_us)
        return 0;
    return (uint32_t)(((uint64_t)relay_now - ls->start_us) / ls->period_us);
}

uint32_t ricochet_lockstep_tick(const struct ricochet *c)
{
    return client_lockstep_tick_at(c, ricochet_now_us());
}

void client_lockstep_clock_moved(struct ricochet *c, uint32_t before, uint64_t now)
{
    struct client_lockstep *ls = &c->lockstep;
    uint32_t after = client_lockstep_tick_at(c, now);
    if (ls->on && after > before)
        ls->jumped += after - before;
}

uint32_t ricochet_lockstep_aim(const struct ricochet *c)
{
    if (!c || !c->lockstep.on)
        return 0;
    return ricochet_lockstep_tick(c) + c->lockstep.set.delay + c->lockstep.extra;
}

/* My input for tick, kept until its frame comes. */
static void keep_input(struct client_lockstep *ls, uint32_t tick, const void *data, size_t len)
{
    struct client_input *in = &ls->pending[tick % PENDING];
    *in = (struct client_input){.tick = tick, .used = true, .len = (uint8_t)len};
    if (len)
        memcpy(in->bytes, data, len);
}

int ricochet_send_input(struct ricochet *c, uint32_t tick, const void *data, size_t len)
{
    if (!c || (!data && len > 0))
        return RICOCHET_E_INVALID;
    struct client_lockstep *ls = ls_of(c);
    if (c->phase != PHASE_JOINED || !c->ops->ready(c))
        return RICOCHET_E_NOT_JOINED;
    if (!ls->on || !ls->has_slot)
        return RICOCHET_E_UNSUPPORTED;
    if (len > ls->set.input_max)
        return RICOCHET_E_TOO_BIG;
    /* a tick whose frame I have, or where an input of mine 64 ticks apart
     * waits for its frame */
    const struct client_input *there = &ls->pending[tick % PENDING];
    if ((ls->started && tick < ls->next) || (pending_at(ls, there->tick) && there->tick != tick))
        return RICOCHET_E_INVALID;
    if (!ls->started) { /* a player that sends asks for the frames from the room's first */
        ls->started = true;
        ls->next = 0;
    }
    keep_input(ls, tick, data, len);
    if (ls->newest && tick >= ls->newest) {
        /* the ticks my aim stepped over since my newest input (a late moved
         * it on): this input goes for them too, else they would have none */
        for (uint32_t t = tick - 1; t >= ls->newest && tick - t <= ls->jumped; t--)
            if (t >= ls->next && !pending_at(ls, ls->pending[t % PENDING].tick))
                keep_input(ls, t, data, len);
    }
    if (!ls->newest || tick >= ls->newest) {
        ls->newest = tick + 1;
        ls->jumped = 0;
    }
    return send_inputs(c);
}

int ricochet_frame_input(const struct ricochet *c, uint32_t slot, const uint8_t **data,
                         size_t *len)
{
    if (!c || !c->lockstep.on || c->ev_len == 0)
        return RICOCHET_E_INVALID;
    enum proto_slot_flag flag;
    const uint8_t *d;
    size_t n;
    if (proto_frame_slot(c->ev_bytes, c->ev_len, c->lockstep.set.slots, slot, &flag, &d,
                         &n) != 0)
        return RICOCHET_E_INVALID;
    if (data)
        *data = d;
    if (len)
        *len = n;
    return (int)flag;
}

int ricochet_send_check(struct ricochet *c, uint32_t tick, uint64_t sum)
{
    if (!c)
        return RICOCHET_E_INVALID;
    if (c->phase != PHASE_JOINED || !c->ops->ready(c))
        return RICOCHET_E_NOT_JOINED;
    if (!c->lockstep.on)
        return RICOCHET_E_UNSUPPORTED;
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_CHECK);
    m.tick = tick;
    m.sum = sum;
    return client_send_message(c, &m) == 0 ? RICOCHET_OK : RICOCHET_E_SEND;
}

int ricochet_lockstep_late(const struct ricochet *c, uint32_t *tick, uint64_t *by_us,
                           uint32_t *count)
{
    if (!c || !c->lockstep.on)
        return RICOCHET_E_INVALID;
    if (tick)
        *tick = c->lockstep.late_tick;
    if (by_us)
        *by_us = c->lockstep.late_by_us;
    if (count)
        *count = c->lockstep.late_count;
    return RICOCHET_OK;
}

size_t ricochet_lockstep_desync(const struct ricochet *c, uint32_t *ids, size_t cap)
{
    if (!c || !c->lockstep.on)
        return 0;
    for (size_t i = 0; ids && i < cap && i < c->lockstep.n_desync; i++)
        ids[i] = c->lockstep.desync[i];
    return c->lockstep.n_desync;
}

const char *ricochet_lockstep_player(const struct ricochet *c, uint32_t slot)
{
    if (!c || !c->lockstep.on || slot >= c->lockstep.set.slots)
        return NULL;
    return c->lockstep.players[slot];
}
