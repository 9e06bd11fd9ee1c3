/* droplog.c: lines of ricochet-netsim --drop-log (see droplog.h). */
#include "droplog.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const droplog_names[DROPLOG_EVENTS] = {
    "loss", "burst", "queue", "overflow", "dup", "fwd", "exit", "corrupt", "sent"};

const char *droplog_event_name(enum droplog_event ev)
{
    return (unsigned)ev < DROPLOG_EVENTS ? droplog_names[ev] : "?";
}

int droplog_event_parse(const char *name)
{
    for (int i = 0; i < DROPLOG_EVENTS; i++)
        if (strcmp(name, droplog_names[i]) == 0)
            return i;
    return -1;
}

void droplog_header(FILE *out, const char *wire)
{
    fprintf(out, "# ricochet-netsim drop log, %s datagrams\n"
                 "# t_us event dir flow sender seq kind delay_us peer group\n", wire);
}

void droplog_datagram(FILE *out, struct droplog_counts *c, enum droplog_event ev,
                      enum netsim_dir dir, const char *flow, uint64_t t_us, uint64_t delay_us,
                      const struct statescan_result *r, const struct statescan_ref *refs)
{
    if (r->malformed || r->compressed)
        c->unreadable++;
    char peer[12] = "-";
    if (r->peer >= 0)
        snprintf(peer, sizeof peer, "%d", r->peer);
    for (size_t i = 0; i < r->states && i < STATESCAN_MAX; i++) {
        char group[8] = "-";
        if (refs[i].kind == STATESCAN_UNSEQUENCED && r->peer >= 0) /* ENet's, not WebRTC's */
            snprintf(group, sizeof group, "%u", (unsigned)refs[i].group);
        fprintf(out, "%" PRIu64 " %s %s %s %" PRIu32 " %" PRIu32 " %s %" PRIu64 " %s %s\n", t_us,
                droplog_event_name(ev), netsim_dir_name(dir), flow, refs[i].sender,
                refs[i].seq, statescan_kind_name(refs[i].kind), delay_us, peer, group);
        c->states[ev]++;
    }
}

void droplog_segment(FILE *out, struct droplog_counts *c, enum droplog_event ev,
                     enum netsim_dir dir, const char *flow, uint64_t t_us, uint64_t delay_us,
                     const struct ippacket *p)
{
    char flags[IPPACKET_FLAGS_MAX];
    fprintf(out, "%" PRIu64 " %s %s %s - - segment %" PRIu64 " %" PRIu32 ":%" PRIu32 " %s\n",
            t_us, droplog_event_name(ev), netsim_dir_name(dir), flow, delay_us, p->seq,
            (uint32_t)(p->seq + p->seq_len), ippacket_flags(p->flags, flags));
    c->segments[ev]++;
}

void droplog_stream_state(FILE *out, struct droplog_counts *c, enum netsim_dir dir,
                          const char *flow, uint64_t t_us, const struct statescan_ref *ref,
                          uint32_t start, uint32_t end)
{
    fprintf(out, "%" PRIu64 " sent %s %s %" PRIu32 " %" PRIu32 " stream 0 %" PRIu32 ":%" PRIu32
                 " -\n", t_us, netsim_dir_name(dir), flow, ref->sender, ref->seq, start, end);
    c->states[DROPLOG_SENT]++;
}

void droplog_model(FILE *out, uint64_t t_us, enum netsim_dir dir, const struct netsim_model *m,
                   const struct netsim_model *base, bool start)
{
    char value[64], was[64];
    const char *name;
    fprintf(out, "%s%" PRIu64 " model %s", start ? "# " : "", t_us, netsim_dir_name(dir));
    for (size_t i = 0; (name = netsim_model_field(m, i, value, sizeof value)); i++)
        if (!netsim_model_field(base, i, was, sizeof was) || strcmp(value, was) != 0)
            fprintf(out, " %s=%s", name, value);
    fputc('\n', out);
}

void droplog_mark(struct droplog_mark *m, const struct netsim_counters *c)
{
    m->n[DROPLOG_LOSS] = c->dropped_loss;
    m->n[DROPLOG_BURST] = c->dropped_burst;
    m->n[DROPLOG_QUEUE] = c->dropped_queue;
    m->n[DROPLOG_OVERFLOW] = c->dropped_overflow;
    m->n[DROPLOG_DUP] = c->duplicated;
}
