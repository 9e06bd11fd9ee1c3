/* netsim.h: the network impairment model behind ricochet-netsim.
 *
 * ## Impairing the network: ricochet-netsim
 *
 * Where `tc netem` cannot be used (a container, no root, no module),
 * ricochet makes a bad network in user space: `ricochet-netsim` is a UDP
 * proxy that sits between the clients and the relay. Clients send to the proxy instead of the relay; for every client
 * address (ip:port) the proxy opens its own upstream socket, so the relay still
 * sees one distinct peer per client. Each datagram passes through a model, one
 * per direction: "up" is client -> relay, "down" is relay -> client.
 *
 *     ricochet-netsim --relay 127.0.0.1:7777 --loss 5 --delay 20 --jitter 5 --seed 42
 *     # stderr: "listening on 127.0.0.1:PORT"; point the clients at that port
 *
 * Each model setting comes in three options: `--loss 5` sets both
 * directions, `--up-loss 1` and `--down-loss 10` override one of them (their
 * default, -1, means "same as the plain option"). `--jitter-dist`,
 * `--reorder` and `--max-pending` apply to both directions. Percentages are
 * 0..100. A datagram goes through these steps, in this order:
 *
 * Where netem has the same impairment, the option means what tc-netem(8)
 * says of it: a CORRELATION C% makes each random draw depend C% on the one
 * before (the draw is (1 - C) * fresh + C * previous, on a uniform in
 * [0, 1)), as netem's "loss random P C", "delay D J C", "duplicate P C",
 * "corrupt P C" and "reorder P C gap G" do.
 *
 * 1. Independent loss (`--loss P`, `--loss-corr C`): each datagram is dropped
 *    with probability P%; with C = 0, whatever happened to the one before.
 * 2. Bursty loss, Gilbert-Elliott (`--ge-p P --ge-r R --ge-loss-good G
 *    --ge-loss-bad B`): a two-state chain, good and bad. Before each datagram
 *    the chain moves good->bad with probability P% and bad->good with R%; the
 *    datagram is then lost with G% in the good state and B% in the bad one.
 *    With G=0 and B=100 losses come in bursts of mean length 100/R datagrams,
 *    and the long-run loss rate is P/(P+R). This is how Wi-Fi and congested
 *    links lose: several in a row, which hurts more than the same rate spread
 *    evenly. Both loss models apply; a datagram lost to either is dropped.
 * 3. Duplication (`--dup P`, `--dup-corr C`): a surviving datagram is sent
 *    twice with probability P%; each copy is delayed on its own.
 *    Corruption (`--corrupt P`, `--corrupt-corr C`): a copy has one random bit
 *    of one random byte flipped with probability P% (netem's "corrupt"); it
 *    is still forwarded, and the receiver's decoder decides what it is worth.
 * 4. Rate limit (`--rate-kbps K`, 0 = none): a bottleneck link of K kbit/s
 *    with a FIFO in front of it. A datagram of L bytes occupies the link for
 *    L*8/K ms; while the link is busy datagrams wait in the queue, and when
 *    the queue holds `--queue-limit` datagrams (default 1000) or
 *    `--queue-bytes` bytes (0 = no limit) a new one is dropped: a drop-tail
 *    router. A full queue adds queue/rate of delay (bufferbloat).
 * 5. Delay and jitter (`--delay D --jitter J --delay-corr C`, ms): each copy
 *    is held for D+x ms after it leaves the link, never below 0; x is drawn
 *    from `--jitter-dist` (netem's "distribution"): uniform in [-J, +J];
 *    normal with standard deviation J; pareto, a Pareto distribution of
 *    shape 3 moved and scaled to mean 0 and standard deviation J (a long
 *    tail of late datagrams, none much early); paretonormal, three quarters
 *    of a normal draw plus a quarter of a pareto one (both from the same
 *    uniform draw). Normal, pareto and paretonormal are clamped to +-4J, as
 *    netem's tables are, which trims pareto's tail.
 *    Reordering with a probability (`--reorder-pct P --reorder-corr C
 *    --reorder-gap G`, netem's "reorder P C gap G", which needs a delay):
 *    after G - 1 datagrams delayed as above, each further one is sent at
 *    once (no delay) with probability P%, overtaking those held; a datagram
 *    sent at once starts the count again. G = 1 (the default): any datagram
 *    may go at once.
 * 6. Order: without `--reorder` a datagram (not sent at once by
 *    --reorder-pct) is never delivered before one that entered the same
 *    direction earlier (its delivery time is raised to the
 *    previous one's), so jitter only bunches datagrams up; when datagrams
 *    arrive faster than the jitter range, this pushes most delays towards
 *    delay+jitter. With `--reorder` a datagram with a short delay overtakes
 *    one with a long delay, as on a network with several paths. The order
 *    is kept per direction, across all clients.
 * 7. `--max-pending N` (default 65536) bounds the datagrams held per
 *    direction; beyond it they are dropped as "overflow".
 *
 * All randomness comes from `--seed` (printed at start; 0 picks one). Each
 * direction and each model step draws from its own generator, so the same
 * seed and the same datagrams in a direction give the same decisions, and
 * adding jitter does not change which datagrams are lost.
 *
 * The proxy counts exactly what it did, per direction: received, forwarded,
 * dropped by cause (loss, burst, queue, overflow), duplicated, reordered
 * (forwarded after a datagram that entered later: the receivers' definition),
 * discarded at exit, a histogram of the delay the model chose, and how late
 * the proxy actually sent (`late_us`, its own scheduling error). It prints
 * them at exit (SIGINT/SIGTERM or `--duration`) as a table on stderr and one
 * JSON line {"type":"stats","program":"netsim",...,"up":{...},"down":{...},
 * "final":true} on stdout; `--stats-file FILE` also writes it to a file,
 * `--stats-interval S` and SIGUSR1 print intermediate lines. Those counts are
 * the ground truth that ricochet-bench checks its own measurements against.
 * For every direction:
 *     received + duplicated = forwarded + dropped (all causes) + discarded + pending
 * A client address silent for `--flow-timeout` s (default 60) loses its
 * upstream socket; `--max-flows` (default 1024) caps them. `--listen` and
 * `--relay` take any IPv4 or IPv6 endpoint; each side that is not loopback
 * is warned about at start (netsim between machines).
 *
 * ## The pure core (this header)
 *
 * No sockets and no clock: the caller submits datagrams with the current time
 * and asks which ones are due. Times are microseconds on any monotonic clock.
 */
#ifndef RICOCHET_NETSIM_H
#define RICOCHET_NETSIM_H

#include <stddef.h>
#include <stdint.h>

#include "stats/histogram.h"
#include "stats/timehist.h"

#define NETSIM_MAX_DATAGRAM 65536 /* bytes; larger submissions are refused */

enum netsim_dir {
    NETSIM_UP = 0,   /* client -> relay */
    NETSIM_DOWN = 1, /* relay -> client */
    NETSIM_DIRS = 2
};

enum netsim_jitter_dist {
    NETSIM_JITTER_UNIFORM = 0,
    NETSIM_JITTER_NORMAL = 1,
    NETSIM_JITTER_PARETO = 2,
    NETSIM_JITTER_PARETONORMAL = 3
};

/* One direction's impairments. Probabilities are percentages in [0, 100]. */
struct netsim_model {
    double loss_pct;         /* independent loss */
    double loss_corr_pct;    /* its draws' correlation with the previous one */
    double ge_p_pct;         /* Gilbert-Elliott good -> bad per datagram */
    double ge_r_pct;         /* Gilbert-Elliott bad -> good per datagram */
    double ge_loss_good_pct; /* loss in the good state */
    double ge_loss_bad_pct;  /* loss in the bad state */
    double delay_ms;         /* base one-way delay, >= 0 */
    double jitter_ms;        /* uniform half-width, else the stddev, >= 0 */
    double delay_corr_pct;   /* the jitter draws' correlation */
    int jitter_dist;         /* enum netsim_jitter_dist */
    int reorder;             /* nonzero: jitter may reorder datagrams */
    double reorder_pct;      /* sent at once, after reorder_gap - 1 delayed */
    double reorder_corr_pct;
    uint32_t reorder_gap;    /* >= 1 when reorder_pct > 0 */
    double dup_pct;          /* duplication */
    double dup_corr_pct;
    double corrupt_pct;      /* one bit flipped */
    double corrupt_corr_pct;
    double rate_kbps;        /* bottleneck rate in kbit/s; 0 = unlimited */
    uint64_t queue_packets;  /* bottleneck queue limit in datagrams; 0 = none */
    uint64_t queue_bytes;    /* bottleneck queue limit in bytes; 0 = none */
    uint64_t max_pending;    /* copies held in this direction; 0 = no limit */
};

/* Exact counts for one direction. With everything delivered or discarded:
 * received + duplicated == forwarded + dropped_loss + dropped_burst +
 *                          dropped_queue + dropped_overflow + discarded. */
struct netsim_counters {
    uint64_t received;         /* datagrams submitted */
    uint64_t received_bytes;
    uint64_t forwarded;        /* copies handed out by netsim_next_due */
    uint64_t forwarded_bytes;
    uint64_t dropped_loss;     /* independent loss */
    uint64_t dropped_burst;    /* Gilbert-Elliott loss */
    uint64_t dropped_queue;    /* rate-limit queue full */
    uint64_t dropped_overflow; /* max_pending reached */
    uint64_t duplicated;       /* extra copies made (before the queue) */
    uint64_t corrupted;        /* copies with a bit flipped (forwarded all the same) */
    uint64_t sent_at_once;     /* copies --reorder-pct sent without their delay */
    uint64_t reordered;        /* forwarded after a datagram that entered later
                                  (recvstats' definition, entry order as seq) */
    uint64_t discarded;        /* pending copies thrown away by netsim_discard */
    uint64_t ge_bad_datagrams; /* datagrams that met the chain in its bad state */
    uint64_t ge_bursts;        /* good -> bad transitions */
    uint64_t paired;           /* datagrams paired loss judged by their states */
    uint64_t paired_states;    /* ... the states it judged (new ones, each once) */
    uint64_t paired_lost;      /* ... of them, those whose own verdict was a loss (by the
                                  hash of its seq or by the seq-stepped chain's burst) */
    struct histogram delay_us; /* entry -> due time of every forwarded copy */
    struct timehist delay;     /* the same in fixed buckets (--metrics) */
};

/* A datagram handed out by netsim_next_due. */
struct netsim_datagram {
    enum netsim_dir dir;
    uint64_t flow;           /* the caller's key, as submitted */
    uint64_t entry_us;       /* submit time */
    uint64_t due_us;         /* delivery time the model chose */
    size_t len;
    const unsigned char *bytes; /* valid until the next netsim_* call on sim */
    long corrupt_at;         /* the byte whose bit corrupt_bit was flipped, or -1 */
    unsigned corrupt_bit;    /* 0..7: bytes[corrupt_at] ^ (1 << corrupt_bit) is the original */
};

struct netsim;

/* Everything off: a perfect wire. max_pending defaults to 65536. */
void netsim_model_default(struct netsim_model *m);

/* Checks ranges. Returns 0, or -1 with a one-line message in err. */
int netsim_model_check(const struct netsim_model *m, char *err, size_t err_cap);

/* Creates a simulator with a model per direction (copied) and a seed.
 * Returns NULL if a model fails netsim_model_check or memory runs out. */
struct netsim *netsim_create(const struct netsim_model models[NETSIM_DIRS], uint64_t seed);

/* Replaces both directions' models while sim runs (ricochet-netsim's PUT
 * /model): datagrams from now on meet the new ones; copies already held
 * keep the delivery time they were given, the generators and the
 * Gilbert-Elliott chain's state go on. Returns 0, or -1 with a one-line
 * message in err (a model fails netsim_model_check: nothing changed). */
int netsim_set_models(struct netsim *sim, const struct netsim_model models[NETSIM_DIRS],
                      char *err, size_t err_cap);

/* The model in force in dir. */
const struct netsim_model *netsim_model_of(const struct netsim *sim, enum netsim_dir dir);

/* The model's setting i (0, 1, ... until NULL) by the name of
 * ricochet-netsim's option ("loss", "jitter-dist", "rate-kbps"), its value
 * as that option takes it into value ("5", "uniform", "true"). Returns the
 * name, or NULL past the last. */
const char *netsim_model_field(const struct netsim_model *m, size_t i, char *value, size_t cap);

/* Frees sim and every pending copy (NULL is fine). */
void netsim_destroy(struct netsim *sim);

/* Passes one datagram (len bytes, copied) through dir's model at now_us.
 * Returns how many copies were queued (0 = dropped, 1, or 2 if duplicated;
 * running out of memory counts as an overflow drop), or -1 if len is 0 or
 * above NETSIM_MAX_DATAGRAM (nothing counted). now_us must not go backwards. */
int netsim_submit(struct netsim *sim, enum netsim_dir dir, uint64_t flow,
                  const void *bytes, size_t len, uint64_t now_us);

/* Paired loss (ricochet-netsim --paired-loss): netsim_submit for a
 * datagram that carries n states the caller sees for the first time
 * (seqs: their sequence numbers). With n > 0 its loss and burst steps are
 * decided by those states instead of this datagram's draws: a state is
 * lost to --loss when a hash of (the seed, dir, its seq) falls under it,
 * and to the bursts when a Gilbert-Elliott chain of this direction that
 * steps once per sequence number (not per datagram) is lost at its seq;
 * the datagram is dropped if any of its states is. So every flow that
 * carries seq k in dir meets the same fate for it, whatever else it
 * carries and whenever it comes (the lanes of a lesson side by side). The
 * later steps (duplication, the queue, delay) are the datagram's as ever.
 * With n = 0 it is netsim_submit. Returns as netsim_submit. */
int netsim_submit_paired(struct netsim *sim, enum netsim_dir dir, uint64_t flow,
                         const void *bytes, size_t len, uint64_t now_us, const uint32_t *seqs,
                         size_t n);

/* Pops the copy with the earliest due time if it is due at now_us (copies
 * due at the same time come out in the order they were queued). Returns 1
 * and fills out, or 0 if nothing is due yet. */
int netsim_next_due(struct netsim *sim, uint64_t now_us, struct netsim_datagram *out);

/* Due time of the earliest pending copy, or UINT64_MAX if none. */
uint64_t netsim_next_deadline(const struct netsim *sim);

/* Copies pending in dir. */
uint64_t netsim_pending(const struct netsim *sim, enum netsim_dir dir);

/* Throws away every pending copy, counted as discarded (at shutdown). */
void netsim_discard(struct netsim *sim);

/* Calls fn on every pending copy (in no particular order) without taking it
 * out: what netsim_discard would throw away. dg is valid during the call. */
void netsim_each_pending(const struct netsim *sim,
                         void (*fn)(void *ctx, const struct netsim_datagram *dg), void *ctx);

/* Counters of one direction; valid while sim lives. */
const struct netsim_counters *netsim_counters(const struct netsim *sim, enum netsim_dir dir);

/* "up" or "down". */
const char *netsim_dir_name(enum netsim_dir dir);

#endif
