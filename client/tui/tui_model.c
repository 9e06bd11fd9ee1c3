/* tui_model.c: ricochet-client's state and rules (see tui_model.h). */
#include "tui_model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sys/log.h"
#include "sys/netaddr.h"
#include "stats/rng.h"

#define PROG "ricochet-client"
#define ROOM_SENDER UINT32_MAX /* what a room's script sends comes from this id */

/* ---- messages ---- */

static void add_msg(struct tui_model *m, uint64_t now, enum tui_msg_color color,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Stamps with the wall clock derived from the session's start, so the
 * model needs no clock of its own. */
static void add_msg(struct tui_model *m, uint64_t now, enum tui_msg_color color,
                    const char *fmt, ...)
{
    struct tui_message *msg = &m->msgs[m->n_msgs % TUI_MSG_CAP];
    char stamp[16];
    time_t at = m->wall_start +
                (time_t)(now > m->started_us ? (now - m->started_us) / 1000000 : 0);
    struct tm tm;
    va_list ap;
    size_t len;

    localtime_r(&at, &tm);
    strftime(stamp, sizeof stamp, "%H:%M:%S ", &tm);
    len = (size_t)snprintf(msg->text, sizeof msg->text, "%s", stamp);
    va_start(ap, fmt);
    vsnprintf(msg->text + len, sizeof msg->text - len, fmt, ap);
    va_end(ap);
    msg->color = color;
    m->n_msgs++;
    m->dirty = true;
    log_info("%s", msg->text + len);
}

/* ---- remotes ---- */

static struct tui_remote *remote_find(struct tui_model *m, uint32_t id, bool create)
{
    struct tui_remote *free_slot = NULL;
    for (size_t i = 0; i < TUI_MAX_REMOTES; i++) {
        if (m->remotes[i].used && m->remotes[i].id == id)
            return &m->remotes[i];
        if (!m->remotes[i].used && !free_slot)
            free_slot = &m->remotes[i];
    }
    if (!create || !free_slot)
        return NULL;
    struct ricochet_interp *ib = free_slot->ib; /* a slot keeps its buffer */
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->used = true;
    free_slot->id = id;
    free_slot->ib = ib ? ib : ricochet_interp_new((uint32_t)m->cfg.extrap_ms, 1000);
    ricochet_interp_clear(free_slot->ib);
    return free_slot;
}

const struct tui_remote *tui_model_remote(const struct tui_model *m, uint32_t id)
{
    for (size_t i = 0; i < TUI_MAX_REMOTES; i++)
        if (m->remotes[i].used && m->remotes[i].id == id)
            return &m->remotes[i];
    return NULL;
}

static void remotes_clear(struct tui_model *m)
{
    for (size_t i = 0; i < TUI_MAX_REMOTES; i++)
        m->remotes[i].used = false;
}

/* Every second: remember (expected, received) so the table can show the
 * loss over the last few seconds, which reacts when someone switches mode. */
static void remotes_snapshot(struct tui_model *m)
{
    for (size_t i = 0; i < m->n_members; i++) {
        const struct ricochet_member *mb = &m->members[i];
        struct tui_remote *r = remote_find(m, mb->id, false);
        if (!r)
            continue;
        r->snap_expected[r->snap_head] = mb->stats.expected;
        r->snap_received[r->snap_head] = mb->stats.received;
        r->snap_head = (r->snap_head + 1) % TUI_SNAPS;
        if (r->snaps < TUI_SNAPS)
            r->snaps++;
    }
}

double tui_model_recent_loss(const struct tui_remote *r, const struct ricochet_member *member)
{
    int oldest;
    uint64_t exp, rec;
    if (r->snaps < 2)
        return -1;
    oldest = r->snaps < TUI_SNAPS ? 0 : r->snap_head;
    exp = member->stats.expected - r->snap_expected[oldest];
    rec = member->stats.received - r->snap_received[oldest];
    if (exp == 0)
        return -1;
    if (rec >= exp)
        return 0;
    return 100.0 * (double)(exp - rec) / (double)exp;
}

/* ---- connection ---- */

/* The members as the session lists them now, into the model. */
static void members_refresh(struct tui_model *m)
{
    size_t n = m->c ? ricochet_members(m->c, m->members, TUI_MAX_REMOTES) : 0;
    m->n_members = n < TUI_MAX_REMOTES ? n : TUI_MAX_REMOTES;
}

int tui_model_connect(struct tui_model *m, char *err, size_t err_cap)
{
    struct ricochet_config *cc = ricochet_config_new();
    if (!cc || ricochet_config_set_relay(cc, m->cfg.host, (uint16_t)m->cfg.port) != 0 ||
        ricochet_config_set_room(cc, m->cfg.room) != 0 ||
        ricochet_config_set_name(cc, m->name) != 0 ||
        ricochet_config_set_mode(cc, (enum ricochet_mode)m->mode) != 0 ||
        ricochet_config_set_reflect(cc, true) != 0 ||
        ricochet_config_set_aoi(cc, (float)m->cfg.aoi) != 0 ||
        ricochet_config_set_timeout_ms(cc, (uint32_t)m->cfg.timeout_ms) != 0 ||
        (m->cfg.ticket[0] && ricochet_config_set_ticket(cc, m->cfg.ticket) != 0)) {
        snprintf(err, err_cap, "client: %s", cc ? ricochet_config_error(cc) : "out of memory");
        ricochet_config_free(cc);
        return -1;
    }
    m->c = m->open_client(cc, err, err_cap);
    ricochet_config_free(cc);
    members_refresh(m);
    if (!m->c)
        return -1;
    m->conn = TUI_CONNECTING;
    m->attempts++;
    remotes_clear(m);
    m->have_rtt = m->have_echo = false;
    return 0;
}

static void lose_relay(struct tui_model *m, uint64_t now, const char *why)
{
    if (m->conn == TUI_LOST)
        return;
    m->conn = TUI_LOST;
    snprintf(m->lost_reason, sizeof m->lost_reason, "%s", why);
    add_msg(m, now, TUI_MSG_WARN, "relay lost: %s", why);
    m->retry_at_us = now + TUI_RETRY_US;
}

static void reconnect(struct tui_model *m, uint64_t now)
{
    char err[256];
    if (m->c) {
        ricochet_close(m->c);
        m->c = NULL;
    }
    add_msg(m, now, TUI_MSG_PLAIN, "connecting to %s:%ld ...", m->cfg.host, m->cfg.port);
    if (tui_model_connect(m, err, sizeof err) != 0) {
        m->conn = TUI_LOST;
        snprintf(m->lost_reason, sizeof m->lost_reason, "%.200s", err);
        m->retry_at_us = now + TUI_RETRY_US;
        add_msg(m, now, TUI_MSG_WARN, "%s", err);
    }
}

void tui_model_close(struct tui_model *m)
{
    if (m->c)
        ricochet_close(m->c);
    m->c = NULL;
    for (size_t i = 0; i < TUI_MAX_REMOTES; i++) {
        ricochet_interp_free(m->remotes[i].ib);
        m->remotes[i].ib = NULL;
        m->remotes[i].used = false;
    }
}

/* ---- events from the relay ---- */

/* The event's name, else the member's, copied into buf. */
static const char *member_name(struct tui_model *m, uint32_t id, const char *fallback,
                               char *buf, size_t cap)
{
    struct ricochet_member cm;
    if (fallback && fallback[0])
        return fallback;
    bool known = m->c && ricochet_member(m->c, id, &cm) == RICOCHET_OK && cm.name[0];
    snprintf(buf, cap, "%s", known ? cm.name : "?");
    return buf;
}

/* What the room itself says (its script's, docs/scripts.md): the words as
 * text, a control character or a byte past ASCII as '?', cut to a line;
 * a kept one with its key ("the room keeps score: ann=1"). */
static void room_word(struct tui_model *m, const uint8_t *b, size_t len, uint64_t now)
{
    char text[96];
    size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
    for (size_t i = 0; i < n; i++)
        text[i] = b[i] < 0x20 || b[i] >= 0x7f ? '?' : (char)b[i];
    text[n] = '\0';
    const char *key = ricochet_event_key(m->c);
    if (key[0])
        add_msg(m, now, TUI_MSG_OK, "the room keeps %s: %s%s", key, n ? text : "(cleared)",
                n < len ? "..." : "");
    else
        add_msg(m, now, TUI_MSG_OK, "the room says: %s%s", text, n < len ? "..." : "");
}

static void on_welcome(struct tui_model *m, uint64_t now)
{
    /* A udp client welcomed again after the relay expired it (or
     * restarted, reusing ids) starts its view of the others afresh. */
    remotes_clear(m);
    size_t n = ricochet_members(m->c, NULL, 0);
    m->conn = TUI_JOINED;
    m->next_send_us = now;
    add_msg(m, now, TUI_MSG_OK, "joined room %s as #%u at %s:%u, %zu other%s here",
            m->cfg.room, (unsigned)ricochet_id(m->c), ricochet_relay_host(m->c),
            (unsigned)ricochet_relay_port(m->c), n, n == 1 ? "" : "s");
}

/* My own state reflected by the relay gives the round-trip time; anyone
 * else's goes into their interpolation buffer. */
static void on_state(struct tui_model *m, const struct ricochet_event *ev)
{
    struct tui_remote *r;
    if (ev->id == ricochet_id(m->c)) {
        double rtt = (double)(int64_t)(ev->recv_us - ev->state.send_us) / 1000.0;
        if (rtt < 0)
            rtt = 0;
        m->rtt_last_ms = rtt;
        m->rtt_avg_ms = m->have_rtt ? m->rtt_avg_ms + (rtt - m->rtt_avg_ms) / 8 : rtt;
        m->have_rtt = true;
        m->echo_x = ev->state.x;
        m->echo_y = ev->state.y;
        m->have_echo = true;
        return;
    }
    r = remote_find(m, ev->id, true);
    if (r) {
        ricochet_interp_push(r->ib, &ev->state, ev->recv_us);
        r->arrived_as = (enum proto_mode)ev->mode;
        r->seen_mode = true;
    }
}

void tui_model_on_event(struct tui_model *m, const struct ricochet_event *ev, uint64_t now)
{
    char name[RICOCHET_NAME_MAX + 1];
    struct tui_remote *r;

    switch (ev->type) {
    case RICOCHET_EV_TOO_OLD: /* counted in the member's stats */
    case RICOCHET_EV_ROOMS:   /* the terminal client asks for no listing */
    case RICOCHET_EV_FRAME:   /* ... and plays in no lockstep room */
    case RICOCHET_EV_LATE:
    case RICOCHET_EV_DESYNC:
        break;
    case RICOCHET_EV_WELCOME:
        on_welcome(m, now);
        break;
    case RICOCHET_EV_STATE:
        on_state(m, ev);
        break;
    case RICOCHET_EV_JOINED:
        add_msg(m, now, TUI_MSG_OK, "%s (#%u) joined, %s", ev->name, (unsigned)ev->id,
                ricochet_mode_name(ev->mode));
        break;
    case RICOCHET_EV_LEFT:
        add_msg(m, now, TUI_MSG_LEFT, "%s (#%u) left: %s",
                member_name(m, ev->id, ev->name, name, sizeof name), (unsigned)ev->id,
                ev->code);
        r = remote_find(m, ev->id, false);
        if (r)
            r->used = false;
        break;
    case RICOCHET_EV_ROOM:
        add_msg(m, now, TUI_MSG_OK, "the room is %s%s now", ricochet_room_open(m->c) ? "open" : "closed",
                ricochet_room_mine(m->c) ? ", and yours" : "");
        break;
    case RICOCHET_EV_REJOINED:
        add_msg(m, now, TUI_MSG_OK, "%s (#%u) is back", ev->name, (unsigned)ev->id);
        break;
    case RICOCHET_EV_APPEARED:
        add_msg(m, now, TUI_MSG_OK, "%s (#%u) came into sight", ev->name, (unsigned)ev->id);
        break;
    case RICOCHET_EV_VANISHED:
        add_msg(m, now, TUI_MSG_LEFT, "%s (#%u) went out of sight",
                member_name(m, ev->id, ev->name, name, sizeof name), (unsigned)ev->id);
        r = remote_find(m, ev->id, false);
        if (r)
            r->used = false;
        break;
    case RICOCHET_EV_CHAT:
        add_msg(m, now, TUI_MSG_CHAT, "<%s> %s",
                member_name(m, ev->id, ev->name, name, sizeof name), ev->text);
        break;
    case RICOCHET_EV_ERROR:
        add_msg(m, now, TUI_MSG_WARN, "relay error %s: %s", ev->code, ev->text);
        break;
    case RICOCHET_EV_EVENT: {
        size_t len = 0;
        const uint8_t *b = ricochet_event_bytes(m->c, &len);
        if (ev->id == ROOM_SENDER) {
            room_word(m, b, len, now);
            break;
        }
        add_msg(m, now, TUI_MSG_OK, "%s (#%u) sent an event of %zu bytes (%s)",
                member_name(m, ev->id, ev->name, name, sizeof name), (unsigned)ev->id, len,
                ev->code);
        break;
    }
    case RICOCHET_EV_MOVED:
        add_msg(m, now, TUI_MSG_OK, "%s: relay %s",
                strcmp(ev->code, "rejoin") == 0 ? "relay lost, joining again" : "room moved",
                ev->text);
        break;
    case RICOCHET_EV_DISCONNECTED: {
        /* "relay refused the join: server_full (...)", "... (timeout)" */
        const char *why = m->c ? ricochet_end_reason(m->c) : "";
        lose_relay(m, now, why[0] ? why : RICOCHET_END_DISCONNECTED);
        break;
    }
    }
}

void tui_model_service(struct tui_model *m, uint64_t now)
{
    struct ricochet_event ev;
    int budget = 2000; /* keep the screen responsive under a flood */

    if (m->c && m->conn != TUI_LOST) {
        while (budget-- > 0) {
            int r = ricochet_poll(m->c, 0, &ev);
            if (r < 0) {
                lose_relay(m, now, RICOCHET_END_DISCONNECTED);
                break;
            }
            if (r == 0)
                break;
            tui_model_on_event(m, &ev, now);
        }
    }
    members_refresh(m);
    if (m->conn == TUI_LOST && m->cfg.retry && now >= m->retry_at_us)
        reconnect(m, now);
}

/* ---- my avatar ---- */

static void move_me(struct tui_model *m, uint64_t now)
{
    double dt = (double)(now - m->last_move_us) / 1e6;
    double v = (double)m->cfg.speed;
    m->last_move_us = now;
    if (dt > 0.25)
        dt = 0.25; /* after a stall, do not teleport */
    m->x += (float)(m->dir_x * v * dt);
    m->y += (float)(m->dir_y * v * dt);
    /* Ricochet off the walls: keep moving, the other way. */
    if (m->x < 0) { m->x = -m->x; m->dir_x = 1; }
    if (m->x > PROTO_ARENA_W) { m->x = 2 * PROTO_ARENA_W - m->x; m->dir_x = -1; }
    if (m->y < 0) { m->y = -m->y; m->dir_y = 1; }
    if (m->y > PROTO_ARENA_H) { m->y = 2 * PROTO_ARENA_H - m->y; m->dir_y = -1; }
}

static void send_state(struct tui_model *m, uint64_t now)
{
    uint64_t period = 1000000ull / (uint64_t)m->rate;
    if (m->conn != TUI_JOINED || !m->c)
        return;
    if (now < m->next_send_us)
        return;
    struct ricochet_state s = { 0 };
    s.send_us = now;
    s.x = m->x;
    s.y = m->y;
    s.vx = (float)(m->dir_x * m->cfg.speed);
    s.vy = (float)(m->dir_y * m->cfg.speed);
    s.heading = (m->dir_x || m->dir_y) ? (float)atan2(m->dir_y, m->dir_x) : 0.0f;
    if (ricochet_send_state(m->c, &s) == RICOCHET_OK)
        m->states_sent++;
    ricochet_flush(m->c); /* out now, not at the next poll: the RTT would include our frame wait */
    m->next_send_us += period;
    if (m->next_send_us + period < now) /* fell behind (stall): do not burst */
        m->next_send_us = now + period;
}

void tui_model_advance(struct tui_model *m, uint64_t now)
{
    move_me(m, now);
    send_state(m, now);
    if (now >= m->next_snap_us) {
        members_refresh(m);
        remotes_snapshot(m);
        m->next_snap_us = now + TUI_SNAP_US;
    }
}

uint64_t tui_model_next_deadline(const struct tui_model *m)
{
    uint64_t d = m->next_draw_us;
    if (m->conn == TUI_JOINED && m->next_send_us < d)
        d = m->next_send_us;
    if (m->conn == TUI_LOST && m->cfg.retry && m->retry_at_us < d)
        d = m->retry_at_us;
    return d;
}

/* ---- keys ---- */

static const int rate_steps[] = { 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120 };

int tui_model_rate_next(int rate, int dir)
{
    int n = (int)(sizeof rate_steps / sizeof rate_steps[0]);
    if (dir > 0) {
        for (int i = 0; i < n; i++)
            if (rate_steps[i] > rate)
                return rate_steps[i];
        return rate_steps[n - 1];
    }
    for (int i = n - 1; i >= 0; i--)
        if (rate_steps[i] < rate)
            return rate_steps[i];
    return rate_steps[0];
}

static void set_mode(struct tui_model *m, enum proto_mode mode, uint64_t now)
{
    if (!proto_mode_info(m->mode)->enet) {
        add_msg(m, now, TUI_MSG_WARN, "%s cannot switch live: restart with --mode",
                proto_mode_name(m->mode));
        return;
    }
    if (m->c && ricochet_set_mode(m->c, (enum ricochet_mode)mode) != RICOCHET_OK) {
        add_msg(m, now, TUI_MSG_WARN, "could not switch to %s", proto_mode_name(mode));
        return;
    }
    m->mode = mode;
    add_msg(m, now, TUI_MSG_PLAIN, "sending %s now", proto_mode_name(mode));
}

/* A key while the chat line is open: edit, send or cancel it. */
static void chat_key(struct tui_model *m, int ch, uint64_t now)
{
    switch (keys_line_edit(&m->line, ch)) {
    case KEYS_EDIT_SUBMIT:
        m->chatting = false;
        if (m->line.len == 0)
            break;
        if (!proto_text_valid(m->line.text))
            add_msg(m, now, TUI_MSG_WARN, "cannot send that line");
        else if (!m->c || m->conn != TUI_JOINED || ricochet_send_chat(m->c, m->line.text) != 0)
            add_msg(m, now, TUI_MSG_WARN, "not connected: chat not sent");
        keys_line_clear(&m->line);
        break;
    case KEYS_EDIT_CANCEL:
        m->chatting = false;
        keys_line_clear(&m->line);
        break;
    case KEYS_EDIT_CONTINUE:
        break;
    }
}

static void steer(struct tui_model *m, int dir_x, int dir_y)
{
    m->dir_x = dir_x;
    m->dir_y = dir_y;
}

/* The view and session keys (everything but steering and quitting). */
static void setting_key(struct tui_model *m, enum keys_action act, int ch, uint64_t now)
{
    enum proto_mode mode;
    switch (act) {
    case KEYS_MODE:
        if (keys_mode_for(ch, &mode) == 0)
            set_mode(m, mode, now);
        break;
    case KEYS_RATE_UP:
    case KEYS_RATE_DOWN:
        m->rate = tui_model_rate_next(m->rate, act == KEYS_RATE_UP ? 1 : -1);
        m->next_send_us = now;
        break;
    case KEYS_DELAY_UP:
        if (m->delay_us < TUI_DELAY_MAX_US)
            m->delay_us += TUI_DELAY_STEP_MS * 1000;
        break;
    case KEYS_DELAY_DOWN:
        m->delay_us = m->delay_us >= TUI_DELAY_STEP_MS * 1000
                          ? m->delay_us - TUI_DELAY_STEP_MS * 1000 : 0;
        break;
    case KEYS_TOGGLE_INTERP: m->interp_on = !m->interp_on; break;
    case KEYS_TOGGLE_GHOST: m->ghost_on = !m->ghost_on; break;
    case KEYS_CHAT:
        m->chatting = true;
        keys_line_clear(&m->line);
        break;
    case KEYS_HELP: m->help_on = true; break;
    case KEYS_RECONNECT:
        if (m->conn == TUI_LOST)
            reconnect(m, now);
        break;
    case KEYS_REDRAW: m->redraw_all = true; break;
    default: break; /* resize: the terminal's size is the drawing's business */
    }
}

bool tui_model_key(struct tui_model *m, int ch, uint64_t now)
{
    enum keys_action act;

    m->dirty = true;
    if (m->chatting) {
        chat_key(m, ch, now);
        return true;
    }
    act = keys_action_for(ch);
    if (m->help_on && act != KEYS_RESIZE) {
        m->help_on = false; /* any key closes the help */
        return act != KEYS_QUIT;
    }
    switch (act) {
    case KEYS_UP: steer(m, 0, -1); break;
    case KEYS_DOWN: steer(m, 0, 1); break;
    case KEYS_LEFT: steer(m, -1, 0); break;
    case KEYS_RIGHT: steer(m, 1, 0); break;
    case KEYS_STOP: steer(m, 0, 0); break;
    case KEYS_QUIT: return false;
    default: setting_key(m, act, ch, now); break;
    }
    return true;
}

/* ---- setup ---- */

void tui_model_default_name(char *out, size_t cap, const char *user, uint64_t seed)
{
    size_t j = 0;
    if (user) {
        for (size_t i = 0; user[i] && j + 1 < cap && j < PROTO_NAME_MAX; i++) {
            char ch = user[i];
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-')
                out[j++] = ch;
        }
    }
    out[j] = '\0';
    if (!proto_name_valid(out))
        snprintf(out, cap, "player%u", (unsigned)(seed % 1000));
}

void tui_model_init(struct tui_model *m, const struct tui_config *cfg, const char *name,
                    uint64_t seed)
{
    struct rng rng;
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    snprintf(m->name, sizeof m->name, "%s", name);
    m->open_client = ricochet_connect;
    rng_seed(&rng, seed);
    m->mode = (enum proto_mode)cfg->mode;
    m->rate = (int)cfg->rate;
    m->delay_us = (uint64_t)cfg->interp_delay_ms * 1000;
    m->interp_on = true;
    m->x = (float)(10.0 + 80.0 * rng_uniform(&rng));
    m->y = (float)(10.0 + 80.0 * rng_uniform(&rng));
    char relay[NETADDR_STR_MAX + 256];
    log_info(PROG ": seed %llu, name %s, relay %s, room %s, mode %s",
             (unsigned long long)seed, m->name,
             netaddr_host_port(cfg->host, cfg->port, relay, sizeof relay), cfg->room,
             proto_mode_name(m->mode));
}

void tui_model_start(struct tui_model *m, uint64_t now, time_t wall, uint64_t seed)
{
    m->started_us = m->last_move_us = m->next_draw_us = m->next_snap_us = now;
    m->wall_start = wall;
    add_msg(m, now, TUI_MSG_PLAIN, "connecting to %s:%ld as %s (seed %llu)", m->cfg.host,
            m->cfg.port, m->name, (unsigned long long)seed);
}
