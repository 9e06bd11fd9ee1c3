/* target_droplog.c: fuzzes the reader of netsim's drop log
 * (lab/audit/audit_log.c: audit_line_parse, audit_log_read), what the bench's
 * audit and the lesson (lab/lesson/live_log.c) read netsim's --drop-log with
 * (see targets.h). The first byte picks what the rest is:
 *   0  a log's text. Each line as fgets cuts it (1023 bytes at most), the
 *      comments aside: one that parses holds the log's fields (a known
 *      event and its name, a direction, the flow's endpoint), and written
 *      back as netsim writes a line parses the same. Then the whole text
 *      read as the audit reads it: refused with a reason, or holding every
 *      state line, each found by its key (direction, flow, peer, sender,
 *      sequence number) with what happened to it counted;
 *   1  lines netsim's writers write (lab/netsim/droplog.c: a datagram's states,
 *      a TCP segment, a stream's state, a model) from fields of the input,
 *      each parsed back to those fields, and the whole read by the audit. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "lab/audit/audit.h"
#include "lab/audit/audit_log.h"
#include "lab/netsim/droplog.h"
#include "lab/netsim/ippacket.h"
#include "lab/netsim/netsim_options.h"
#include "lab/netsim/statescan.h"
#include "targets.h"

#define FDL_LINES 256  /* lines checked per input, at most */
#define FDL_LINE 1024  /* the audit's line buffer */

/* The key the audit files a state line under (audit_log.c's log_line). */
static int16_t fdl_peer(const struct audit_line *l)
{
    if (l->event == DROPLOG_SENT)
        return -1;
    return (int16_t)(strcmp(l->peer, "-") ? atoi(l->peer) : -1);
}

static void fdl_same(const struct audit_line *a, const struct audit_line *b)
{
    FUZZ_CHECK(a->t_us == b->t_us && a->dir == b->dir && a->model == b->model);
    if (a->model)
        return;
    FUZZ_CHECK(!strcmp(a->ev, b->ev) && a->event == b->event && !strcmp(a->flow, b->flow));
    FUZZ_CHECK(netaddr_equal(&a->ep, &b->ep));
    FUZZ_CHECK(!strcmp(a->f5, b->f5) && !strcmp(a->f6, b->f6) && !strcmp(a->kind, b->kind));
    FUZZ_CHECK(a->sender == b->sender && a->seq == b->seq && a->delay_us == b->delay_us);
    FUZZ_CHECK(!strcmp(a->peer, b->peer) && !strcmp(a->group, b->group));
    FUZZ_CHECK(a->start == b->start && a->end == b->end);
}

/* One line the audit took: its fields, and the same written back. */
static void fdl_check_line(const struct audit_line *l)
{
    FUZZ_CHECK(l->dir == NETSIM_UP || l->dir == NETSIM_DOWN);
    char again[FDL_LINE];
    if (l->model) {
        snprintf(again, sizeof again, "%" PRIu64 " model %s", l->t_us,
                 netsim_dir_name((enum netsim_dir)l->dir));
    } else {
        FUZZ_CHECK(l->event >= 0 && l->event < DROPLOG_EVENTS);
        FUZZ_CHECK(!strcmp(droplog_event_name((enum droplog_event)l->event), l->ev));
        FUZZ_CHECK(l->ep.sa.sa_family == AF_INET || l->ep.sa.sa_family == AF_INET6);
        snprintf(again, sizeof again, "%" PRIu64 " %s %s %s %s %s %s %" PRIu64 " %s %s",
                 l->t_us, l->ev, netsim_dir_name((enum netsim_dir)l->dir), l->flow, l->f5,
                 l->f6, l->kind, l->delay_us, l->peer, l->group);
    }
    struct audit_line b;
    FUZZ_CHECK(audit_line_parse(again, &b) == 0);
    fdl_same(l, &b);
}

/* text[0..n) as a log: its lines, then the audit's reading. */
static void fdl_log(const char *text, size_t n)
{
    if (n == 0)
        return;
    static struct audit_line lines[FDL_LINES];
    size_t n_lines = 0, states = 0;
    bool all = true; /* every line the audit reads parses */
    FILE *f = fmemopen((void *)text, n, "r");
    FUZZ_CHECK(f != NULL);
    char line[FDL_LINE];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        struct audit_line l;
        if (audit_line_parse(line, &l) != 0) {
            all = false;
            continue;
        }
        fdl_check_line(&l);
        if (!l.model && strcmp(l.kind, "segment")) {
            states++;
            if (n_lines < FDL_LINES)
                lines[n_lines++] = l;
        }
    }
    fclose(f);
    f = fmemopen((void *)text, n, "r");
    FUZZ_CHECK(f != NULL);
    char err[160] = "";
    struct audit_log *log = audit_log_read(f, err, sizeof err);
    fclose(f);
    if (!log) {
        FUZZ_CHECK(err[0] != '\0');
        return;
    }
    FUZZ_CHECK(all); /* a line it cannot parse refuses the log */
    FUZZ_CHECK(audit_log_states(log) == states);
    for (size_t i = 0; i < n_lines; i++) {
        const struct audit_line *l = &lines[i];
        if (l->event == DROPLOG_DUP)
            continue; /* its copies show as fwd (or as drops) */
        struct audit_flow fl = {.ep = l->ep, .peer = fdl_peer(l)};
        const struct audit_entry *x = audit_log_find(log, l->dir, &fl, l->sender, l->seq);
        FUZZ_CHECK(x != NULL);
        switch (l->event) {
        case DROPLOG_FWD:
            FUZZ_CHECK(x->fwds >= 1);
            break;
        case DROPLOG_EXIT:
            FUZZ_CHECK(x->exits >= 1);
            break;
        case DROPLOG_CORRUPT:
            FUZZ_CHECK(x->corrupts >= 1);
            break;
        case DROPLOG_SENT:
            FUZZ_CHECK(x->sent >= 1);
            break;
        default:
            FUZZ_CHECK(x->drops >= 1);
            break;
        }
    }
    audit_log_free(log);
}

/* ---- netsim's own lines ---- */

/* A flow's endpoint as netsim names it (netaddr_format): IPv4, IPv6, or
 * IPv6 link-local with its interface's index. */
static void fdl_flow(struct fuzz_input *in, char *out, size_t cap, union netaddr *a)
{
    uint8_t how = fuzz_byte(in);
    memset(a, 0, sizeof *a);
    uint16_t port = (uint16_t)(fuzz_byte(in) << 8 | fuzz_byte(in));
    if (how % 3 == 0) {
        a->v4.sin_family = AF_INET;
        uint8_t *b = (uint8_t *)&a->v4.sin_addr;
        for (int i = 0; i < 4; i++)
            b[i] = fuzz_byte(in);
        a->v4.sin_port = htons(port);
    } else {
        a->v6.sin6_family = AF_INET6;
        for (int i = 0; i < 16; i++)
            a->v6.sin6_addr.s6_addr[i] = fuzz_byte(in);
        a->v6.sin6_port = htons(port);
        if (how % 3 == 2) { /* link-local: a scope */
            memset(a->v6.sin6_addr.s6_addr, 0, 8);
            a->v6.sin6_addr.s6_addr[0] = 0xfe;
            a->v6.sin6_addr.s6_addr[1] = 0x80;
            a->v6.sin6_scope_id = (uint32_t)fuzz_byte(in) << 8 | fuzz_byte(in);
        }
    }
    netaddr_format(a, out, cap);
}

static uint64_t fdl_u64(struct fuzz_input *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | fuzz_byte(in);
    return v;
}

static uint32_t fdl_u32(struct fuzz_input *in)
{
    return (uint32_t)fdl_u64(in);
}

/* Lines netsim writes, from the input: each parsed back; then all read. */
static void fdl_written(const uint8_t *p, size_t n)
{
    struct fuzz_input in = {p, n};
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    FUZZ_CHECK(out != NULL);
    droplog_header(out, "enet");
    struct droplog_counts counts = {0};
    struct netsim_model models[NETSIM_DIRS], base[NETSIM_DIRS];
    FUZZ_CHECK(netsim_default_models(base) == 0);
    for (int k = 0; k < 32 && in.left > 0; k++) {
        uint8_t what = fuzz_byte(&in);
        enum netsim_dir dir = what & 0x80 ? NETSIM_DOWN : NETSIM_UP;
        char flow[NETADDR_STR_MAX];
        union netaddr ep;
        fdl_flow(&in, flow, sizeof flow, &ep);
        uint64_t t_us = fdl_u64(&in), delay_us = fdl_u64(&in);
        long at = ftell(out);
        struct statescan_ref refs[4];
        struct statescan_result r = {0};
        struct ippacket seg = {0};
        uint32_t start = 0, end = 0;
        switch (what & 3) {
        case 0: /* a datagram's states */
            r.states = 1 + fuzz_byte(&in) % 4;
            r.peer = fuzz_byte(&in) & 1 ? (int)(fuzz_byte(&in) << 8 | fuzz_byte(&in)) % 4096 : -1;
            for (size_t i = 0; i < r.states; i++) {
                refs[i] = (struct statescan_ref){.sender = fdl_u32(&in), .seq = fdl_u32(&in),
                                                 .kind = fuzz_byte(&in) % (STATESCAN_DATAGRAM + 1),
                                                 .group = (uint16_t)fdl_u32(&in)};
            }
            droplog_datagram(out, &counts, (enum droplog_event)((what >> 2) % DROPLOG_SENT), dir,
                             flow, t_us, delay_us, &r, refs);
            break;
        case 1: /* a TCP segment */
            seg.seq = fdl_u32(&in);
            seg.seq_len = fdl_u32(&in) & 0xffff;
            seg.flags = fuzz_byte(&in);
            droplog_segment(out, &counts, (enum droplog_event)((what >> 2) % DROPLOG_SENT), dir,
                            flow, t_us, delay_us, &seg);
            break;
        case 2: /* a stream's state */
            refs[0] = (struct statescan_ref){.sender = fdl_u32(&in), .seq = fdl_u32(&in)};
            start = fdl_u32(&in);
            end = fdl_u32(&in);
            droplog_stream_state(out, &counts, dir, flow, t_us, &refs[0], start, end);
            break;
        default: /* a model */
            memcpy(models, base, sizeof models);
            models[dir].loss_pct = fuzz_byte(&in) % 101;
            models[dir].delay_ms = fuzz_byte(&in);
            droplog_model(out, t_us, dir, &models[dir], &base[dir], false);
            break;
        }
        FUZZ_CHECK(fflush(out) == 0);
        /* each line written, parsed back */
        size_t line_i = 0;
        for (char *s = text + at, *nl; (nl = strchr(s, '\n')); s = nl + 1, line_i++) {
            *nl = '\0';
            struct audit_line l;
            FUZZ_CHECK(audit_line_parse(s, &l) == 0);
            *nl = '\n';
            FUZZ_CHECK(l.t_us == t_us && l.dir == (int)dir);
            if ((what & 3) == 3) {
                FUZZ_CHECK(l.model);
                continue;
            }
            FUZZ_CHECK(!strcmp(l.flow, flow) && netaddr_equal(&l.ep, &ep));
            if ((what & 3) == 0) {
                const struct statescan_ref *x = &refs[line_i];
                FUZZ_CHECK(l.event == (int)((what >> 2) % DROPLOG_SENT) && l.delay_us == delay_us);
                FUZZ_CHECK(l.sender == x->sender && l.seq == x->seq);
                FUZZ_CHECK(!strcmp(l.kind, statescan_kind_name(x->kind)));
                FUZZ_CHECK(r.peer < 0 ? !strcmp(l.peer, "-") : atoi(l.peer) == r.peer);
            } else if ((what & 3) == 1) {
                FUZZ_CHECK(!strcmp(l.kind, "segment") && l.delay_us == delay_us);
                FUZZ_CHECK(l.start == seg.seq && l.end == (uint32_t)(seg.seq + seg.seq_len));
            } else {
                FUZZ_CHECK(l.event == DROPLOG_SENT && !strcmp(l.kind, "stream"));
                FUZZ_CHECK(l.sender == refs[0].sender && l.seq == refs[0].seq);
                FUZZ_CHECK(l.start == start && l.end == end);
            }
        }
    }
    FUZZ_CHECK(fclose(out) == 0);
    /* what netsim writes, the audit reads */
    FILE *f = fmemopen(text, text_len, "r");
    FUZZ_CHECK(f != NULL);
    char err[160] = "";
    struct audit_log *log = audit_log_read(f, err, sizeof err);
    fclose(f);
    if (!log)
        fprintf(stderr, "the audit refused netsim's log: %s\n", err);
    FUZZ_CHECK(log != NULL);
    audit_log_free(log);
    free(text);
}

int fuzz_target_droplog(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fdl_written(data + 1, size - 1);
    else
        fdl_log((const char *)data + 1, size - 1);
    return 0;
}
