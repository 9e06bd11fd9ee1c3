/* target_netsim.c: fuzzes the netsim core (see targets.h). netsim reads no
 * fields of the datagrams it carries, so this drives its queue instead: the
 * fuzz bytes pick both models, then submit / poll / discard operations with
 * arbitrary lengths and time steps. Checked: counts are conserved, every
 * copy comes out intact, at most twice (once without dup), never early and
 * never before an earlier datagram of its direction unless reorder is on. */
#include <string.h>

#include "lab/netsim/netsim.h"
#include "targets.h"

#define FN_MAX_SEQ 4096
#define FN_MAX_LEN 1500

struct fuzz_netsim {
    struct netsim_model m[NETSIM_DIRS];
    uint8_t copies[FN_MAX_SEQ]; /* copies handed out per datagram */
    uint16_t len[FN_MAX_SEQ];
    uint8_t dir[FN_MAX_SEQ];
    uint64_t entry[FN_MAX_SEQ];
    long last_seq[NETSIM_DIRS]; /* highest seq handed out per direction */
};

static struct fuzz_netsim fn;

static void fn_model(struct fuzz_input *in, struct netsim_model *m)
{
    uint8_t a = fuzz_byte(in), b = fuzz_byte(in), c = fuzz_byte(in), d = fuzz_byte(in);
    netsim_model_default(m);
    m->loss_pct = a & 1 ? (a >> 1) % 101 : 0;
    m->ge_p_pct = b & 1 ? (b >> 1) % 30 : 0;
    m->ge_r_pct = b & 1 ? 10 + (b >> 3) % 90 : 0;
    m->ge_loss_bad_pct = b & 1 ? 100 : 0;
    m->delay_ms = c % 50;
    m->jitter_ms = (c >> 4) * 2.5;
    m->jitter_dist = d & 1 ? NETSIM_JITTER_NORMAL : NETSIM_JITTER_UNIFORM;
    m->reorder = (d >> 1) & 1;
    m->dup_pct = d & 4 ? (d >> 3) % 50 : 0;
    m->rate_kbps = d & 0x40 ? 64 + (a >> 2) * 8 : 0;
    m->queue_packets = d & 0x80 ? 1 + c % 16 : 0;
    m->queue_bytes = (c & 0x30) == 0x30 ? 3000 : 0;
    m->max_pending = (a & 0xC0) == 0xC0 ? 1 + b % 32 : 65536;
}

static void fn_fill(uint8_t *buf, size_t len, uint32_t seq)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seq * 31u + i * 7u);
}

static void fn_check_conserved(const struct netsim *sim, int final)
{
    for (int dir = 0; dir < NETSIM_DIRS; dir++) {
        const struct netsim_counters *c = netsim_counters(sim, (enum netsim_dir)dir);
        uint64_t pending = netsim_pending(sim, (enum netsim_dir)dir);
        FUZZ_CHECK(c->received + c->duplicated ==
                   c->forwarded + c->dropped_loss + c->dropped_burst + c->dropped_queue +
                       c->dropped_overflow + c->discarded + pending);
        if (final)
            FUZZ_CHECK(pending == 0);
        if (fn.m[dir].max_pending)
            FUZZ_CHECK(pending <= fn.m[dir].max_pending);
    }
}

static void fn_drain(struct netsim *sim, uint64_t now)
{
    struct netsim_datagram d;
    while (netsim_next_due(sim, now, &d) == 1) {
        FUZZ_CHECK(d.flow < FN_MAX_SEQ);
        uint32_t seq = (uint32_t)d.flow;
        FUZZ_CHECK(d.dir == (enum netsim_dir)fn.dir[seq]);
        FUZZ_CHECK(d.len == fn.len[seq] && d.entry_us == fn.entry[seq]);
        FUZZ_CHECK(d.due_us >= d.entry_us && d.due_us <= now);
        uint8_t want[FN_MAX_LEN];
        fn_fill(want, d.len, seq);
        FUZZ_CHECK(memcmp(want, d.bytes, d.len) == 0);
        fn.copies[seq]++;
        FUZZ_CHECK(fn.copies[seq] <= (fn.m[d.dir].dup_pct > 0 ? 2 : 1));
        if (!fn.m[d.dir].reorder)
            FUZZ_CHECK((long)seq >= fn.last_seq[d.dir]);
        if ((long)seq > fn.last_seq[d.dir])
            fn.last_seq[d.dir] = seq;
    }
    uint64_t next = netsim_next_deadline(sim);
    FUZZ_CHECK(next > now); /* nothing due was left behind */
}

int fuzz_target_netsim(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    uint8_t buf[FN_MAX_LEN];
    uint64_t now = 1000000;
    uint32_t seq = 0;

    memset(&fn, 0, sizeof fn);
    fn.last_seq[0] = fn.last_seq[1] = -1;
    fn_model(&in, &fn.m[NETSIM_UP]);
    fn_model(&in, &fn.m[NETSIM_DOWN]);
    uint64_t seed = fuzz_byte(&in);
    struct netsim *sim = netsim_create(fn.m, seed);
    FUZZ_CHECK(sim != NULL);

    while (in.left > 0 && seq < FN_MAX_SEQ) {
        uint8_t op = fuzz_byte(&in);
        switch (op % 4) {
        case 0:
        case 1: { /* submit */
            enum netsim_dir dir = (enum netsim_dir)(op >> 7);
            size_t len = fuzz_byte(&in);
            if (len >= 0xF0)
                len = (len - 0xF0) * 100;
            fn_fill(buf, len, seq);
            fn.dir[seq] = (uint8_t)dir;
            fn.len[seq] = (uint16_t)len;
            fn.entry[seq] = now;
            int rc = netsim_submit(sim, dir, seq, buf, len, now);
            if (len == 0)
                FUZZ_CHECK(rc == -1);
            else
                FUZZ_CHECK(rc >= 0 && rc <= 2);
            if (rc == 2)
                FUZZ_CHECK(fn.m[dir].dup_pct > 0);
            seq++;
            break;
        }
        case 2: /* time passes, then what is due comes out */
            now += (uint64_t)fuzz_byte(&in) * (op & 0x80 ? 1000u : 37u);
            fn_drain(sim, now);
            break;
        case 3:
            if (op == 0xFF)
                netsim_discard(sim);
            else
                fn_drain(sim, now);
            break;
        }
        fn_check_conserved(sim, 0);
    }
    /* Everything comes out eventually (the longest delay is bounded). */
    for (int i = 0; i < 2 * FN_MAX_SEQ + 2 && netsim_next_deadline(sim) != UINT64_MAX; i++) {
        uint64_t next = netsim_next_deadline(sim);
        now = next > now ? next : now;
        fn_drain(sim, now);
    }
    netsim_discard(sim);
    fn_check_conserved(sim, 1);
    netsim_destroy(sim);
    return 0;
}
