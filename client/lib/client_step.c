/* client_step.c: where the client library reads, once for the transports
 * that take messages out of a buffer they fill (tcp, ws, quic, webrtc).
 * Each transport says how to take its next whole message, how to read or
 * progress when none is left, and how to wait on its socket (struct
 * client_reader); the order of those, a batch's states handed out before
 * the next message, and a fleet's silent relay noticed before waiting, are
 * the same for all and written here. */
#include "client_internal.h"

#include "sys/clock.h"

int client_read_step(struct ricochet *c, struct client_batch *batch,
                     const struct client_reader *r, int wait_ms, struct ricochet_event *ev)
{
    for (;;) {
        if (batch->len > 0) {
            int rc = client_batch_step(c, batch, ev);
            if (rc != 0)
                return rc;
            continue;
        }
        int rc = r->next(c, ev);
        if (c->phase == PHASE_DEAD)
            return 0;
        if (rc > 0)
            return rc;
        if (rc == 0)
            continue;
        int more = r->more(c);
        if (more > 0)
            continue;
        if (more < 0 || c->phase == PHASE_DEAD)
            return 0; /* the link ended: the session says how */
        if (!client_silence_check(c, clock_now_us()))
            return 0; /* nothing left to read: a fleet's relay silent too long is lost */
        if (wait_ms > 0) /* alive: the check ends a session only when it says false */
            r->wait(c, wait_ms);
        return 0;
    }
}
