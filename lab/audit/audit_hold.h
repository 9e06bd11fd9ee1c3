/* audit_hold.h: what a loss held back on an ordered flow, from netsim's
 * drop log (the bench's audit, audit.h).
 *
 * On an ordered flow nothing is lost, only late. A TCP stream hands a byte
 * to the receiver once every byte before it has arrived, and ENet's
 * reliable channel a command once every command before it has: a state
 * that crossed at once may still wait at the receiver for an earlier piece
 * netsim dropped (held at the receiver). And a TCP sender that lost a
 * segment sends little or nothing new until the retransmission is
 * acknowledged (its congestion window collapsed): a state written then
 * leaves late (held at the sender). Either way the dropped piece that held
 * it is the one whose retransmission it waited for.
 *
 * A flow (one direction of one client's flow, as the log names it) is a
 * line of numbers: a stream's sequence numbers from its SYN, or the places
 * of a reliable channel's states in the order netsim first saw them. Its
 * *pieces* are what netsim read, each dropped or forwarded; its *marks*
 * are the states, each ending at a number. A mark's first transmission is
 * the piece that first carried its end (numbers go out in order the first
 * time). It is held at the receiver when that piece was dropped, or when,
 * as netsim handed it on, some number before it had not been handed on
 * yet (a forward's time is exact in the log: its line's; when netsim read
 * it is not); it is complete when the forwards reach its end without a
 * gap. It is held at the sender when netsim first saw it well after its
 * sender wrote it (a time the log does not have: the caller's) while a
 * dropped piece of its flow was not recovered yet. Every piece netsim read
 * is in the log, so a gap is always some dropped piece's until its
 * retransmission crosses.
 *
 * Pure: lines in, results out; nothing read or written. */
#ifndef RICOCHET_AUDIT_HOLD_H
#define RICOCHET_AUDIT_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"

/* One direction of one flow (dir: NETSIM_UP or NETSIM_DOWN). */
struct hold_key {
    struct audit_flow flow;
    uint8_t dir;
};

/* A line's time and delay (a forward: handed on at t_us, after delay_us;
 * a drop: read at t_us), and whether it was dropped. */
struct hold_line {
    uint64_t t_us, delay_us;
    bool dropped;
};

/* A state on an ordered flow, as audit_holds_* hand it out (0: none). */
typedef uint64_t hold_mark_id;

/* What a mark's state went through. */
enum hold_state {
    HOLD_NONE = 0,       /* complete as it crossed, sent when written: nothing held it */
    HOLD_RESOLVED,       /* held by a dropped piece, complete once its retransmission crossed */
    HOLD_UNRESOLVED,     /* held, and never complete in the log (no retransmission, or
                            netsim stopped first) */
    HOLD_UNATTRIBUTED    /* held, but no dropped piece covers its gap (a log that misses
                            a line: a bug) */
};

struct hold_result {
    enum hold_state state;
    bool at_sender;          /* held at the sender (HOLD_RESOLVED): it left late */
    uint64_t seen_us;        /* netsim first read its end */
    uint64_t arrive_us;      /* the forward that completed it was handed on (0: never) */
    uint64_t drop_us;        /* held: when netsim dropped the piece that held it */
    uint64_t drop_start, drop_end; /* ... its numbers, from the flow's start */
};

struct audit_holds;

struct audit_holds *audit_holds_new(void);
void audit_holds_free(struct audit_holds *h);

/* A TCP segment line: [start, end) as on the wire; syn: it carries a SYN,
 * whose number starts the flow (a new SYN, a new connection). Returns 0,
 * or -1 when out of memory. */
int audit_holds_segment(struct audit_holds *h, const struct hold_key *k,
                        const struct hold_line *l, uint32_t start, uint32_t end, bool syn);

/* A state found in a stream (a "sent ... stream" line): its frame took
 * [start, end) of the flow's sequence numbers, netsim read its end at
 * t_us. *id gets the mark. Returns 0, or -1 when out of memory. */
int audit_holds_stream_state(struct audit_holds *h, const struct hold_key *k, uint64_t t_us,
                             uint32_t start, uint32_t end, hold_mark_id *id);

/* A reliable state's line on an ENet flow (dropped or corrupted, or
 * forwarded): the first (*id 0) gives it its place on the flow and sets
 * *id; later lines pass *id back. Returns 0, or -1. */
int audit_holds_reliable(struct audit_holds *h, const struct hold_key *k,
                         const struct hold_line *l, hold_mark_id *id);

/* After the log's last line: every mark judged at the receiver, every
 * drop's retransmission found. Returns 0, or -1 when out of memory. */
int audit_holds_settle(struct audit_holds *h);

/* A stream's state (after audit_holds_settle) was written by its sender
 * at written_us (the caller's clock, netsim's too): if netsim first saw it
 * more than slack_us later while a dropped piece of its flow, dropped
 * before it was seen, was not recovered yet (the retransmission's
 * acknowledgement not back: one hop after it crossed), it was held at the
 * sender by that piece (the one recovered last). */
void audit_holds_written(struct audit_holds *h, hold_mark_id id, uint64_t written_us,
                         uint64_t slack_us);

/* The mark's result (after audit_holds_settle). Returns false for no mark. */
bool audit_holds_get(const struct audit_holds *h, hold_mark_id id, struct hold_result *out);

/* Pieces netsim dropped, over every flow. */
uint64_t audit_holds_drops(const struct audit_holds *h);

#endif
