/* audit_log.c: netsim's drop log read and indexed for the audit (see
 * audit_log.h): every line of a state, of a TCP segment and of a stream's
 * frame; ENet's unsequenced window and the ordered flows replayed. */
#include "audit_log.h"

#include <enet/enet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lab/netsim/droplog.h"

#define WINDOW_WORDS (ENET_PEER_UNSEQUENCED_WINDOW_SIZE / 32)

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
    struct audit_log bigger = *log;
    bigger.cap = log->cap ? log->cap * 2 : 1024;
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

/* A number of the log ("-" is none). Returns 0, or -1 if it is not one. */
static int log_u32(const char *text, uint32_t *v)
{
    char *end;
    unsigned long n = strtoul(text, &end, 10);
    if (end == text || *end || n > UINT32_MAX || text[0] == '-')
        return -1;
    *v = (uint32_t)n;
    return 0;
}

/* "START:END" of a segment or a stream's frame. Returns 0 or -1. */
static int log_range(const char *text, uint32_t *start, uint32_t *end)
{
    char a[12], b[12];
    const char *colon = strchr(text, ':');
    if (!colon || colon - text >= (long)sizeof a || strlen(colon + 1) >= sizeof b)
        return -1;
    snprintf(a, sizeof a, "%.*s", (int)(colon - text), text);
    snprintf(b, sizeof b, "%s", colon + 1);
    return log_u32(a, start) == 0 && log_u32(b, end) == 0 ? 0 : -1;
}

/* IP mode: a TCP segment of key's flow (no state), into its ordered flow. */
static int log_segment(struct audit_log *log, const struct audit_key *key, int e, uint64_t t_us,
                       uint64_t delay, const char *range, const char *flags)
{
    uint32_t start, end;
    if (log_range(range, &start, &end) != 0 || e == DROPLOG_SENT)
        return -1;
    if (e == DROPLOG_DUP || e == DROPLOG_EXIT || start == end)
        return 0; /* a duplicate's copies show as fwd; a copy held at exit never crossed; the
                     handshake's bare ACK carries no byte */
    /* a corrupted packet's checksum fails in the receiving kernel: a drop */
    struct hold_line l = {.t_us = t_us, .delay_us = delay, .dropped = e != DROPLOG_FWD};
    struct hold_key hk = {.flow = {.ep = key->flow.ep, .peer = -1}, .dir = key->dir};
    return audit_holds_segment(log->holds, &hk, &l, start, end, strchr(flags, 'S') != NULL);
}

/* IP mode: a state netsim named in a stream's frame. */
static int log_stream_state(struct audit_log *log, struct audit_key *key, uint64_t t_us,
                            const char *range)
{
    uint32_t start, end;
    if (log_range(range, &start, &end) != 0)
        return -1;
    key->flow.peer = -1;
    struct audit_entry *x = log_entry(log, key);
    if (!x)
        return -1;
    x->sent++;
    log->states++;
    struct hold_key hk = {.flow = key->flow, .dir = key->dir};
    return audit_holds_stream_state(log->holds, &hk, t_us, start, end, &x->mark);
}

/* A line of a state in a datagram: what happened to it on its flow. */
static int log_datagram_state(struct audit_log *log, struct audit_key *key, int e,
                              uint64_t t_us, uint64_t delay, const char *ev, const char *dir,
                              const char *flow, const char *kind, const char *peer,
                              const char *group)
{
    key->flow.peer = (int16_t)(strcmp(peer, "-") ? atoi(peer) : -1);
    log->states++;
    char dgram[sizeof log->last_dgram];
    snprintf(dgram, sizeof dgram, "%" PRIu64 " %s %s %s %.8s", t_us, ev, dir, flow, peer);
    if (strcmp(dgram, log->last_dgram) != 0) {
        log->datagrams++;
        memcpy(log->last_dgram, dgram, sizeof dgram);
    }
    if (e == DROPLOG_DUP)
        return 0; /* both copies show as fwd (or as a drop) */
    bool discarded = false; /* ENet's window: only on a flow with an ENet peer */
    if (e == DROPLOG_FWD && key->flow.peer >= 0 && strcmp(group, "-") &&
        replay_unsequenced(log, key, (uint16_t)atoi(group), &discarded) != 0)
        return -1;
    struct audit_entry *x = log_entry(log, key);
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
    if (strcmp(kind, "reliable") != 0 || e == DROPLOG_EXIT)
        return 0;
    /* ENet's reliable channel: in order on its flow, whoever sent it */
    struct hold_line l = {.t_us = t_us, .delay_us = delay, .dropped = e != DROPLOG_FWD};
    struct hold_key hk = {.flow = key->flow, .dir = key->dir};
    return audit_holds_reliable(log->holds, &hk, &l, &x->mark);
}

int audit_line_parse(const char *line, struct audit_line *l)
{
    char dir[8];
    memset(l, 0, sizeof *l);
    snprintf(l->peer, sizeof l->peer, "-");
    snprintf(l->group, sizeof l->group, "-");
    int got = sscanf(line, "%" SCNu64 " %15s %7s %47s %15s %15s %15s %" SCNu64 " %23s %15s",
                     &l->t_us, l->ev, dir, l->flow, l->f5, l->f6, l->kind, &l->delay_us,
                     l->peer, l->group);
    l->dir = !strcmp(dir, "up") ? NETSIM_UP : NETSIM_DOWN;
    if (got >= 3 && !strcmp(l->ev, "model")) { /* the model in force from t_us on */
        l->model = true;
        return (strcmp(dir, "up") && strcmp(dir, "down")) ? -1 : 0;
    }
    if (got < 8) /* logs older than the peer and group columns have 8 */
        return -1;
    l->event = droplog_event_parse(l->ev);
    char why[160];
    /* the log's flows are numeric: no name is ever looked up */
    if (l->event < 0 || (strcmp(dir, "up") && strcmp(dir, "down")) ||
        !strchr("0123456789[", l->flow[0]) ||
        netaddr_parse_endpoint(l->flow, &l->ep, why, sizeof why) != 0)
        return -1;
    if (!strcmp(l->kind, "segment"))
        return log_range(l->peer, &l->start, &l->end) == 0 && l->event != DROPLOG_SENT ? 0 : -1;
    if (log_u32(l->f5, &l->sender) != 0 || log_u32(l->f6, &l->seq) != 0)
        return -1;
    if (l->event == DROPLOG_SENT)
        return !strcmp(l->kind, "stream") && log_range(l->peer, &l->start, &l->end) == 0 ? 0
                                                                                          : -1;
    return 0;
}

/* One line into log. Returns 0 (recorded or not a state event) or -1. */
static int log_line(struct audit_log *log, const char *line)
{
    struct audit_line l;
    if (audit_line_parse(line, &l) != 0)
        return -1;
    if (l.model) {
        log->models++;
        return 0;
    }
    struct audit_key key = {.dir = (uint8_t)l.dir, .flow.ep = l.ep, .sender = l.sender,
                            .seq = l.seq};
    if (!strcmp(l.kind, "segment"))
        return log_segment(log, &key, l.event, l.t_us, l.delay_us, l.peer, l.group);
    if (l.event == DROPLOG_SENT)
        return log_stream_state(log, &key, l.t_us, l.peer);
    char dir[8];
    snprintf(dir, sizeof dir, "%s", netsim_dir_name(l.dir));
    return log_datagram_state(log, &key, l.event, l.t_us, l.delay_us, l.ev, dir, l.flow,
                              l.kind, l.peer, l.group);
}

struct audit_log *audit_log_read(FILE *f, char *err, size_t err_cap)
{
    struct audit_log *log = calloc(1, sizeof *log);
    if (!log || !(log->holds = audit_holds_new()) || log_grow(log) != 0) {
        snprintf(err, err_cap, "out of memory");
        audit_log_free(log);
        return NULL;
    }
    char line[1024]; /* a model line names every setting */
    for (size_t n = 1; fgets(line, sizeof line, f); n++) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (log_line(log, line) != 0) {
            snprintf(err, err_cap, "drop log line %zu unreadable: %.60s", n, line);
            audit_log_free(log);
            return NULL;
        }
    }
    if (audit_holds_settle(log->holds) != 0) {
        snprintf(err, err_cap, "out of memory");
        audit_log_free(log);
        return NULL;
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
    audit_holds_free(log->holds);
    free(log);
}

size_t audit_log_states(const struct audit_log *log)
{
    return log->states;
}

const struct audit_entry *audit_log_find(const struct audit_log *log, int dir,
                                          const struct audit_flow *f, uint32_t sender,
                                          uint32_t seq)
{
    struct audit_key key = {.flow = *f, .sender = sender, .seq = seq, .dir = (uint8_t)dir};
    const struct audit_entry *x = log_slot(log, &key);
    return x->used ? x : NULL;
}
