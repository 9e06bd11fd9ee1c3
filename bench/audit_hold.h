/* audit_hold.h: what a loss held back on an ordered flow, from netsim's
 * drop log (the bench's audit, audit.h).
 *
 * On an ordered flow nothing is lost, only late: a TCP stream delivers a
 * byte once every byte before it has arrived, and ENet's reliable channel
 * a command once every command before it has. So a state that went
 * through at once may still wait at the receiver for an earlier piece
 * netsim dropped: it is *held*, and the dropped piece that held it is the
 * one whose gap was filled last, by its retransmission.
 *
 * A flow (one direction of one client's flow, as the log names it) is a
 * line of numbers: a stream's sequence numbers from its SYN, or the places
 * of a reliable channel's states in the order netsim first saw them. Its
 * *pieces* are what netsim read, each dropped or forwarded; its *marks*
 * are the states, each ending at a number. A mark's first transmission is
 * the piece that first carried its end (numbers go out in order the first
 * time). The mark is held when that piece was dropped, or when, as netsim
 * handed it on, some number before it had not been handed on yet (a
 * forward's time is exact in the log; what it read when is not); it is
 * complete when the forwards reach its end without a gap. Every piece
 * netsim read is in the log, so a gap is always some dropped piece's until
 * its retransmission crosses.
 *
 * Pure: lines in, results out; nothing read or written. */
#ifndef RICOCHET_AUDIT_HOLD_H
#define RICOCHET_AUDIT_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"

/* One direction of one flow (dir: NETSIM_UP or NETSIM_DOWN). */
struct hold_key {
    struct bench_flow flow;
    uint8_t dir;
};

/* What a mark's state went through. */
enum hold_state {
    HOLD_NONE = 0,       /* complete as netsim read it: nothing before it was missing */
    HOLD_RESOLVED,       /* held by a dropped piece, complete once its retransmission crossed */
    HOLD_UNRESOLVED,     /* held, and never complete in the log (no retransmission, or
                            netsim stopped first) */
    HOLD_UNATTRIBUTED    /* held, but no dropped piece covers its gap (a log that misses
                            a line: a bug) */
};

struct hold_result {
    struct hold_key key;
    uint32_t sender, seq;
    enum hold_state state;
    uint64_t seen_us;        /* netsim first read its end */
    uint64_t arrive_us;      /* when the forward that completed it was handed on (held:
                                the retransmission that closed its last gap; 0: never) */
    uint64_t drop_us;        /* held: when netsim dropped the piece that held it */
    uint64_t drop_start, drop_end; /* ... its numbers, from the flow's start */
};

struct audit_holds;

struct audit_holds *audit_holds_new(void);
void audit_holds_free(struct audit_holds *h);

/* A line's time and delay (a forward: read at t_us - delay_us, handed on
 * at t_us; a drop: read at t_us), and whether it was dropped. */
struct hold_line {
    uint64_t t_us, delay_us;
    bool dropped;
};

/* A TCP segment line: [start, end) as on the wire; syn: it carries a SYN,
 * whose number starts the flow (a new SYN, a new connection). Returns 0,
 * or -1 when out of memory. */
int audit_holds_segment(struct audit_holds *h, const struct hold_key *k,
                        const struct hold_line *l, uint32_t start, uint32_t end, bool syn);

/* A state found in a stream (a "sent ... stream" line): its frame took
 * [start, end) of the flow's sequence numbers, netsim read its end at
 * t_us. Returns 0, or -1 when out of memory. */
int audit_holds_stream_state(struct audit_holds *h, const struct hold_key *k, uint64_t t_us,
                             uint32_t sender, uint32_t seq, uint32_t start, uint32_t end);

/* A reliable state's line on an ENet flow (dropped or corrupted, or
 * forwarded): first gives it its place on the flow (its first line: *place
 * is set; later lines pass it back). Returns 0, or -1. */
int audit_holds_reliable(struct audit_holds *h, const struct hold_key *k,
                         const struct hold_line *l, uint32_t sender, uint32_t seq, bool first,
                         uint64_t *place);

/* After the log's last line: every mark judged. Returns 0, or -1. */
int audit_holds_settle(struct audit_holds *h);

/* The marks and what became of them (after audit_holds_settle), i from 0
 * while it returns true. */
bool audit_holds_result(const struct audit_holds *h, size_t i, struct hold_result *out);

/* Pieces netsim dropped, over every flow. */
uint64_t audit_holds_drops(const struct audit_holds *h);

#endif
