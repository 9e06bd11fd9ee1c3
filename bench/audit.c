/* audit.c: a bench run reconciled with netsim's drop log (see audit.h). */
#include "audit.h"

#include <enet/enet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../netsim/droplog.h"

/* ---- what the run saw ---- */

struct audit_track {
    size_t n, k, cap, words;  /* clients, room size, window sends per sender, bitmap words */
    uint32_t *base;           /* per sender: seq of its first window send */
    bool *based;
    uint64_t *failed;         /* per sender: window sends that failed */
    uint64_t *sent;           /* n x words: window seqs sent, bit seq - base */
    uint64_t *got[3];         /* per enum audit_got, n x k x words: per (receiver, sender's
                                 place in its room) */
};

struct audit_track *audit_track_new(size_t n, size_t k, size_t cap)
{
    struct audit_track *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n = n;
    t->k = k;
    t->cap = cap;
    t->words = cap / 64 + 1;
    t->base = calloc(n, sizeof *t->base);
    t->based = calloc(n, sizeof *t->based);
    t->failed = calloc(n, sizeof *t->failed);
    t->sent = calloc(n * t->words, sizeof *t->sent);
    bool ok = t->base && t->based && t->failed && t->sent;
    for (int g = 0; g < 3; g++)
        ok = (t->got[g] = calloc(n * k * t->words, sizeof *t->got[g])) && ok;
    if (!ok) {
        audit_track_free(t);
        return NULL;
    }
    return t;
}

void audit_track_free(struct audit_track *t)
{
    if (!t)
        return;
    free(t->base);
    free(t->based);
    free(t->failed);
    free(t->sent);
    for (int g = 0; g < 3; g++)
        free(t->got[g]);
    free(t);
}

/* Bit of s's seq, or -1 if s has no window send or seq is outside it. */
static long track_bit(const struct audit_track *t, size_t s, uint32_t seq)
{
    if (s >= t->n || !t->based[s])
        return -1;
    uint32_t d = seq - t->base[s]; /* wrap-safe: seqs count up from the base */
    return d < t->cap ? (long)d : -1;
}

static bool bit_get(const uint64_t *map, long b)
{
    return map[b / 64] >> (b % 64) & 1;
}

static void bit_set(uint64_t *map, long b)
{
    map[b / 64] |= (uint64_t)1 << (b % 64);
}

void audit_track_sent(struct audit_track *t, size_t s, uint32_t seq)
{
    if (s >= t->n)
        return;
    if (!t->based[s]) {
        t->based[s] = true;
        t->base[s] = seq;
    }
    long b = track_bit(t, s, seq);
    if (b >= 0)
        bit_set(t->sent + s * t->words, b);
}

void audit_track_failed(struct audit_track *t, size_t s)
{
    if (s < t->n)
        t->failed[s]++;
}

/* Receiver i's row for sender s, or NULL if s is not in i's room. */
static size_t pair_of(const struct audit_track *t, size_t i, size_t s, bool *ok)
{
    size_t first = i / t->k * t->k;
    *ok = i < t->n && s >= first && s < first + t->k && s < t->n;
    return (i * t->k + (s - first)) * t->words;
}

void audit_track_got(struct audit_track *t, size_t i, size_t s, uint32_t seq,
                     enum audit_got how)
{
    bool ok;
    size_t row = pair_of(t, i, s, &ok);
    long b = track_bit(t, s, seq);
    if (ok && b >= 0 && (unsigned)how < 3)
        bit_set(t->got[how] + row, b);
}

/* ---- netsim's log ---- */

struct audit_key {
    struct bench_flow flow;
    uint32_t sender, seq;
    uint8_t dir;
};

struct audit_entry {
    struct audit_key key;
    bool used;
    uint32_t drops, fwds;
    uint32_t exits;           /* copies still held when netsim stopped */
    uint32_t corrupts;        /* copies forwarded with a bit flipped */
    uint32_t discards;        /* fwds ENet's unsequenced window discards at the receiver */
    uint64_t first_fwd_us, last_fwd_us, last_drop_us;
    size_t first_fwd_line;    /* its line in the log: netsim's sending order, also
                               * among datagrams it sent in the same microsecond */
    uint64_t first_fwd_dgram; /* the datagram of that line (audit_log.datagrams) */
    /* a flow's own entry (dir + AUDIT_FLOW_DIR, sender and seq 0): the
     * receiving ENet peer's unsequenced window, replayed */
    uint16_t incoming;
    uint32_t *window;         /* ENET_PEER_UNSEQUENCED_WINDOW_SIZE bits, or NULL */
};

#define AUDIT_FLOW_DIR 2
#define WINDOW_WORDS (ENET_PEER_UNSEQUENCED_WINDOW_SIZE / 32)

struct audit_log {
    struct audit_entry *slots;
    size_t cap, used;  /* cap a power of two, used <= cap / 2 */
    size_t states;
    /* Datagrams: a run of lines of one time, event, direction and flow is
     * one (an ENet datagram's or a udp batch's states; two datagrams of a
     * flow in one microsecond count as one). */
    uint64_t datagrams;
    char last_dgram[96];
};

static uint64_t key_hash(const struct audit_key *k)
{
    uint8_t ep[NETADDR_KEY_MAX];
    size_t len = netaddr_key(&k->flow.ep, ep);
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a over the endpoint */
    for (size_t i = 0; i < len; i++)
        h = (h ^ ep[i]) * 0x100000001b3u;
    h ^= ((uint64_t)k->sender << 32 | k->seq) * 0x9e3779b97f4a7c15u ^
         ((uint64_t)(uint16_t)k->flow.peer << 8 | k->dir);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}

static bool key_equal(const struct audit_key *a, const struct audit_key *b)
{
    return a->sender == b->sender && a->seq == b->seq && a->dir == b->dir &&
           a->flow.peer == b->flow.peer && netaddr_equal(&a->flow.ep, &b->flow.ep);
}

/* The slot of key: its entry, or the empty slot where it would go. */
static struct audit_entry *log_slot(const struct audit_log *log, const struct audit_key *key)
{
    size_t mask = log->cap - 1;
    for (size_t i = key_hash(key) & mask;; i = (i + 1) & mask)
        if (!log->slots[i].used || key_equal(&log->slots[i].key, key))
            return &log->slots[i];
}

static int log_grow(struct audit_log *log)
{
    struct audit_log bigger = {.cap = log->cap ? log->cap * 2 : 1024, .used = log->used,
                               .states = log->states};
    bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < log->cap; i++)
        if (log->slots[i].used)
            *log_slot(&bigger, &log->slots[i].key) = log->slots[i];
    free(log->slots);
    *log = bigger;
    return 0;
}

/* ENet 1.3.17's enet_protocol_handle_send_unsequenced, replayed: whether the
 * receiving peer discards a command of unsequenced group g (older than its
 * window, or a duplicate), updating the window as ENet does. */
static bool enet_discards(uint16_t *incoming, uint32_t *window, uint16_t g16)
{
    uint32_t g = g16, index = g % ENET_PEER_UNSEQUENCED_WINDOW_SIZE;
    if (g < *incoming)
        g += 0x10000;
    if (g >= (uint32_t)*incoming +
                 ENET_PEER_FREE_UNSEQUENCED_WINDOWS * ENET_PEER_UNSEQUENCED_WINDOW_SIZE)
        return true;
    g &= 0xFFFF;
    if (g - index != *incoming) {
        *incoming = (uint16_t)(g - index);
        memset(window, 0, WINDOW_WORDS * sizeof *window);
    } else if (window[index / 32] & (uint32_t)1 << (index % 32)) {
        return true;
    }
    window[index / 32] |= (uint32_t)1 << (index % 32);
    return false;
}

/* The entry of key, created if new. NULL: out of memory. */
static struct audit_entry *log_entry(struct audit_log *log, const struct audit_key *key)
{
    if ((log->used + 1) * 2 > log->cap && log_grow(log) != 0)
        return NULL;
    struct audit_entry *x = log_slot(log, key);
    if (!x->used) {
        x->used = true;
        x->key = *key;
        log->used++;
    }
    return x;
}

/* A forward of an unsequenced state of group g: replays the receiver's
 * window of that flow. Returns 0 or -1 (out of memory). */
static int replay_unsequenced(struct audit_log *log, const struct audit_key *key,
                              uint16_t g, bool *discarded)
{
    struct audit_key fk = *key;
    fk.dir += AUDIT_FLOW_DIR;
    fk.sender = fk.seq = 0;
    struct audit_entry *flow = log_entry(log, &fk);
    if (!flow)
        return -1;
    if (!flow->window && !(flow->window = calloc(WINDOW_WORDS, sizeof *flow->window)))
        return -1;
    *discarded = enet_discards(&flow->incoming, flow->window, g);
    return 0;
}

/* One line into log. Returns 0 (recorded or not a state event) or -1. */
static int log_line(struct audit_log *log, const char *line)
{
    char ev[16], dir[8], flow[48], kind[16], peer[8] = "-", group[8] = "-";
    uint64_t t_us, delay;
    uint32_t sender, seq;
    int got = sscanf(line, "%" SCNu64 " %15s %7s %47s %" SCNu32 " %" SCNu32 " %15s %" SCNu64
                           " %7s %7s", &t_us, ev, dir, flow, &sender, &seq, kind, &delay, peer,
                     group);
    if (got < 8) /* logs older than the peer and group columns have 8 */
        return -1;
    int e = droplog_event_parse(ev);
    struct audit_key key = {.sender = sender, .seq = seq,
                            .dir = !strcmp(dir, "up") ? NETSIM_UP : NETSIM_DOWN};
    char why[160];
    /* the log's flows are numeric: no name is ever looked up */
    if (e < 0 || (strcmp(dir, "up") && strcmp(dir, "down")) || !strchr("0123456789[", flow[0]) ||
        netaddr_parse_endpoint(flow, &key.flow.ep, why, sizeof why) != 0)
        return -1;
    key.flow.peer = (int16_t)(strcmp(peer, "-") ? atoi(peer) : -1);
    log->states++;
    char dgram[sizeof log->last_dgram];
    snprintf(dgram, sizeof dgram, "%" PRIu64 " %s %s %s %s", t_us, ev, dir, flow, peer);
    if (strcmp(dgram, log->last_dgram) != 0) {
        log->datagrams++;
        memcpy(log->last_dgram, dgram, sizeof dgram);
    }
    if (e == DROPLOG_DUP)
        return 0; /* both copies show as fwd (or as a drop) */
    bool discarded = false;
    if (e == DROPLOG_FWD && strcmp(group, "-") &&
        replay_unsequenced(log, &key, (uint16_t)atoi(group), &discarded) != 0)
        return -1;
    struct audit_entry *x = log_entry(log, &key);
    if (!x)
        return -1;
    if (e == DROPLOG_FWD) {
        if (x->fwds++ == 0) {
            x->first_fwd_us = t_us;
            x->first_fwd_line = log->states;
            x->first_fwd_dgram = log->datagrams;
        }
        x->last_fwd_us = t_us;
        x->discards += discarded;
    } else if (e == DROPLOG_EXIT) {
        x->exits++;
    } else if (e == DROPLOG_CORRUPT) {
        x->corrupts++;
    } else {
        x->drops++;
        x->last_drop_us = t_us;
    }
    return 0;
}

struct audit_log *audit_log_read(FILE *f, char *err, size_t err_cap)
{
    struct audit_log *log = calloc(1, sizeof *log);
    if (!log || log_grow(log) != 0) {
        snprintf(err, err_cap, "out of memory");
        audit_log_free(log);
        return NULL;
    }
    char line[256];
    for (size_t n = 1; fgets(line, sizeof line, f); n++) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (log_line(log, line) != 0) {
            snprintf(err, err_cap, "drop log line %zu unreadable: %.60s", n, line);
            audit_log_free(log);
            return NULL;
        }
    }
    return log;
}

void audit_log_free(struct audit_log *log)
{
    if (!log)
        return;
    for (size_t i = 0; i < log->cap; i++)
        free(log->slots[i].window);
    free(log->slots);
    free(log);
}

size_t audit_log_states(const struct audit_log *log)
{
    return log->states;
}

static const struct audit_entry *log_find(const struct audit_log *log, int dir,
                                          const struct bench_flow *f, uint32_t sender,
                                          uint32_t seq)
{
    struct audit_key key = {.flow = *f, .sender = sender, .seq = seq, .dir = (uint8_t)dir};
    const struct audit_entry *x = log_slot(log, &key);
    return x->used ? x : NULL;
}

/* ---- reconciliation ---- */

const char *audit_where_name(int where)
{
    static const char *const names[] = {"none", "up_fwd", "down_fwd", "up_drop", "down_drop"};
    return where >= 0 && where <= BENCH_WHERE_DOWN_DROP ? names[where] : "?";
}

void audit_flow_str(const struct bench_flow *f, char *buf, size_t cap)
{
    netaddr_format(&f->ep, buf, cap);
    size_t len = strlen(buf);
    if (f->peer >= 0 && len + 1 < cap)
        snprintf(buf + len, cap - (size_t)len, "#%d", f->peer);
}

static void list_item(struct bench_audit *a, const struct audit_client *cl, long s, long i,
                      uint32_t seq, int where)
{
    if (a->listed >= BENCH_AUDIT_LIST)
        return;
    struct bench_audit_item *it = &a->items[a->listed++];
    memset(it, 0, sizeof *it);
    it->seq = seq;
    it->where = (uint8_t)where;
    if (s >= 0) {
        it->sender = cl[s].id;
        it->sender_flow = cl[s].up;
    }
    if (i >= 0) {
        it->receiver = cl[i].id;
        it->receiver_flow = cl[i].down;
    }
}

/* A set of non-zero keys (open addressing, 0 = empty): the audit_log
 * datagrams a receiver's full socket is taken to have dropped, or the
 * states the relay is taken to have shed. */
struct overflowed {
    uint64_t *dgram;
    size_t mask;
};

/* Is dgram in the set? Adds it if not and add is set (the set has room: it
 * holds at most its budget of drops, under half its size). */
static bool overflowed(struct overflowed *o, uint64_t dgram, bool add)
{
    if (!o->dgram)
        return false;
    size_t k = (size_t)(dgram * 0x9e3779b97f4a7c15u) & o->mask;
    for (; o->dgram[k] != 0; k = (k + 1) & o->mask)
        if (o->dgram[k] == dgram)
            return true;
    if (add)
        o->dgram[k] = dgram;
    return false;
}

/* Did i's full socket drop the datagram that carried this state? One
 * socket drop explains every state of its datagram; budget: what is left
 * of the socket's drops. */
static bool lost_in_socket(struct overflowed *o, uint64_t dgram, uint64_t *budget)
{
    if (overflowed(o, dgram, false))
        return true;
    if (*budget == 0)
        return false;
    (*budget)--;
    overflowed(o, dgram, true);
    return true;
}

/* What explaining one run's misses keeps: the socket drops left per
 * receiver (kept at each socket's first client), the datagrams taken as
 * lost in a full socket, and the relay's stale sheds left with the
 * states taken as shed. */
struct miss_ctx {
    const struct audit_track *t;
    const struct audit_client *cl;
    const struct audit_log *log;
    uint64_t listen_end_us;
    struct overflowed o;
    struct overflowed shed;   /* keys: s x cap + bit + 1 */
    uint64_t shed_left;
};

/* Did the relay shed s's state (bit b, seq) as stale? netsim forwarded it
 * up; no member of the room got it, nor does netsim's log show it going
 * down to any of them. One stale drop explains the state for every
 * receiver; budget: the relay's stale count. */
static bool shed_by_relay(struct miss_ctx *m, size_t s, long b, uint32_t seq)
{
    const struct audit_track *t = m->t;
    uint64_t key = (uint64_t)s * t->cap + (uint64_t)b + 1;
    if (overflowed(&m->shed, key, false))
        return true;
    if (m->shed_left == 0)
        return false;
    size_t first = s / t->k * t->k;
    for (size_t i = first; i < first + t->k && i < t->n; i++) {
        bool ok;
        size_t row = pair_of(t, i, s, &ok);
        if (i == s || !ok)
            continue;
        for (int g = 0; g < 3; g++)
            if (bit_get(t->got[g] + row, b))
                return false;
        if (log_find(m->log, NETSIM_DOWN, &m->cl[i].down, m->cl[s].id, seq))
            return false;
    }
    m->shed_left--;
    overflowed(&m->shed, key, true);
    return true;
}

/* One missed state: s's bit b (seq), never delivered to i. budget: what
 * is left of i's socket drops to explain states netsim did hand to its
 * socket. */
static void explain_miss(struct miss_ctx *m, size_t s, size_t i, long b, uint64_t *budget,
                         struct bench_audit *a)
{
    const struct audit_client *cl = m->cl;
    uint32_t seq = m->t->base[s] + (uint32_t)b;
    const struct audit_entry *up = log_find(m->log, NETSIM_UP, &cl[s].up, 0, seq);
    const struct audit_entry *down = log_find(m->log, NETSIM_DOWN, &cl[i].down, cl[s].id, seq);
    int where;
    if (down && down->fwds) {
        if (down->discards == down->fwds) {
            a->enet_window++;
            return;
        }
        if (down->first_fwd_us >= m->listen_end_us) {
            a->late++;
            return;
        }
        if (lost_in_socket(&m->o, down->first_fwd_dgram, budget)) {
            a->overflow++;
            return;
        }
        where = BENCH_WHERE_DOWN_FWD;
    } else if (down && down->drops) {
        a->down++;
        return;
    } else if (down && down->corrupts) {
        a->corrupt++;
        return;
    } else if (down && down->exits) {
        a->late++; /* still in netsim when the run ended */
        return;
    } else if (up && up->fwds) {
        if (up->discards == up->fwds) {
            a->enet_window++;
            return;
        }
        if (shed_by_relay(m, s, b, seq)) {
            a->stale++;
            return;
        }
        where = BENCH_WHERE_UP_FWD;
    } else if (up && up->drops) {
        a->up++;
        return;
    } else if (up && up->corrupts) {
        a->corrupt++;
        return;
    } else if (up && up->exits) {
        a->late++;
        return;
    } else {
        where = BENCH_WHERE_NONE;
    }
    a->unexplained++;
    a->unexplained_where[where]++;
    list_item(a, cl, (long)s, (long)i, seq, where);
}

/* Whether netsim's log shows s's seq dropped on its way to i and never
 * forwarded there: on s's uplink, or on i's downlink. */
static bool dropped_on_the_way(const struct audit_client *cl, const struct audit_log *log,
                               size_t s, size_t i, uint32_t seq)
{
    const struct audit_entry *up = log_find(log, NETSIM_UP, &cl[s].up, 0, seq);
    const struct audit_entry *down = log_find(log, NETSIM_DOWN, &cl[i].down, cl[s].id, seq);
    return (up && up->drops && !up->fwds) || (down && down->drops && !down->fwds);
}

/* A set of at most n keys, under half full. Its dgram is NULL if out of
 * memory (then it holds nothing). */
static struct overflowed set_new(uint64_t n)
{
    struct overflowed o = {.mask = 15};
    while (o.mask < 2 * n)
        o.mask = o.mask * 2 + 1;
    o.dgram = calloc(o.mask + 1, sizeof *o.dgram);
    return o;
}

/* Every state sent in the window to every room member: what netsim
 * dropped of them (from the log alone), and each one a member did not get. */
static void reconcile_misses(const struct audit_track *t, const struct audit_client *cl,
                             const struct audit_log *log, uint64_t listen_end_us,
                             struct bench_audit *a)
{
    /* what is left of each socket's drops, kept at its first client */
    uint64_t *budget = calloc(t->n ? t->n : 1, sizeof *budget), drops = 0;
    for (size_t i = 0; budget && i < t->n; i++)
        drops += budget[i] = cl[i].socket_owner == i ? cl[i].socket_drops : 0;
    struct miss_ctx m = {.t = t, .cl = cl, .log = log, .listen_end_us = listen_end_us,
                         .o = set_new(drops), .shed = set_new(a->relay_stale),
                         .shed_left = a->relay_stale};
    uint64_t none = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint64_t *left = budget && cl[i].socket_owner < t->n ? &budget[cl[i].socket_owner] : &none;
        size_t first = i / t->k * t->k;
        for (size_t s = first; s < first + t->k && s < t->n; s++) {
            if (s == i)
                continue;
            bool ok;
            size_t row = pair_of(t, i, s, &ok);
            const uint64_t *sent = t->sent + s * t->words;
            for (long b = 0; b < (long)t->cap; b++) {
                if (!bit_get(sent, b))
                    continue;
                a->netsim_dropped += dropped_on_the_way(cl, log, s, i, t->base[s] + (uint32_t)b);
                if (bit_get(t->got[AUDIT_GOT] + row, b))
                    continue;
                a->missed++;
                if (bit_get(t->got[AUDIT_TOO_OLD] + row, b))
                    a->too_old++;
                else if (bit_get(t->got[AUDIT_GOT_LATE] + row, b))
                    a->late++;
                else
                    explain_miss(&m, s, i, b, left, a);
            }
        }
    }
    free(budget);
    free(m.o.dgram);
    free(m.shed.dgram);
}

/* Client whose flow in direction dir is f, or -1 (linear: runs through
 * netsim have few clients, and only drops are looked up). */
static long client_of_flow(const struct audit_client *cl, size_t n, int dir,
                           const struct bench_flow *f)
{
    for (size_t c = 0; c < n; c++) {
        const struct bench_flow *g = dir == NETSIM_UP ? &cl[c].up : &cl[c].down;
        if (g->peer == f->peer && netaddr_equal(&g->ep, &f->ep))
            return (long)c;
    }
    return -1;
}

static long client_of_id(const struct audit_client *cl, size_t n, uint32_t id)
{
    for (size_t c = 0; c < n; c++)
        if (cl[c].id == id)
            return (long)c;
    return -1;
}

/* Reliable: every drop of a window state is followed by a forward of it. */
static void reconcile_retransmissions(const struct audit_track *t,
                                      const struct audit_client *cl,
                                      const struct audit_log *log, struct bench_audit *a)
{
    for (size_t k = 0; k < log->cap; k++) {
        const struct audit_entry *x = &log->slots[k];
        if (!x->used || x->drops == 0)
            continue;
        long c = client_of_flow(cl, t->n, x->key.dir, &x->key.flow);
        bool up = x->key.dir == NETSIM_UP;
        long s = up ? c : client_of_id(cl, t->n, x->key.sender);
        long b = c >= 0 && s >= 0 ? track_bit(t, (size_t)s, x->key.seq) : -1;
        if (b < 0 || !bit_get(t->sent + (size_t)s * t->words, b))
            continue; /* not a state of the window (or not one of ours) */
        a->state_drops += x->drops;
        if (x->fwds && x->last_fwd_us > x->last_drop_us) {
            a->retransmitted += x->drops;
        } else if (x->fwds) {
            a->redundant += x->drops;
        } else {
            a->unretransmitted += x->drops;
            list_item(a, cl, s, up ? -1 : c, x->key.seq,
                      up ? BENCH_WHERE_UP_DROP : BENCH_WHERE_DOWN_DROP);
        }
    }
}

void audit_reconcile(const struct audit_track *t, const struct audit_client *clients,
                     const struct audit_log *log, enum proto_mode mode, uint64_t listen_end_us,
                     struct bench_audit *a)
{
    const struct proto_mode_info *mi = proto_mode_info(mode);
    a->log_states = log->states;
    for (size_t i = 0; i < t->n; i++) {
        size_t first = i / t->k * t->k;
        size_t members = t->n - first < t->k ? t->n - first : t->k;
        a->not_sent += t->failed[i] * (members - 1);
        if (clients[i].socket_owner == i) /* a shared socket once */
            a->socket_drops += clients[i].socket_drops;
    }
    reconcile_misses(t, clients, log, listen_end_us, a);
    if (mi->up_flags & PROTO_FLAG_RELIABLE)
        reconcile_retransmissions(t, clients, log, a);
}

bool bench_audit_clean(const struct bench_audit *a)
{
    return a->done && a->unexplained == 0 && a->unretransmitted == 0;
}
