/* states.c: states (see core.h): validated, stamped with their
 * sender's relay id, forwarded to the sender's room. */
#include "core.h"

int core_on_state(struct relay *r, uint32_t peer, enum proto_mode mode,
                  uint8_t *bytes, size_t len, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    struct proto_state s;
    int err = proto_state_decode(bytes, len, &s);
    if (err == PROTO_E_LONG)
        return core_reject(r, peer, RELAY_DROP_TOO_BIG, now_us,
                           "state of %zu bytes, max %d", len, PROTO_STATE_MAX);
    if (err < 0) {
        switch (err) {
        case PROTO_E_SHORT: r->stats.state_errors[RELAY_STATE_ERR_SHORT]++; break;
        case PROTO_E_VERSION: r->stats.state_errors[RELAY_STATE_ERR_VERSION]++; break;
        case PROTO_E_TYPE: r->stats.state_errors[RELAY_STATE_ERR_TYPE]++; break;
        default: r->stats.state_errors[RELAY_STATE_ERR_VALUE]++; break;
        }
        return core_reject(r, peer, RELAY_DROP_BAD_STATE, now_us, "state: %s",
                           proto_strerror(err));
    }
    if (!p->joined)
        return core_reject(r, peer, RELAY_DROP_NOT_JOINED, now_us,
                           "state before join: send join first");

    /* A fleet's room whose claim is unconfirmed: another relay may hold it
     * now, so its states wait rather than flow on two relays. */
    if (r->rooms[p->room].held) {
        r->stats.drops[RELAY_DROP_UNCONFIRMED]++;
        return -1 - (int)RELAY_DROP_UNCONFIRMED;
    }

    /* The relay is the authority on identity: whatever the client wrote in
     * the sender field is replaced by its relay id. */
    proto_state_stamp_sender(bytes, p->id);
    s.sender = p->id;
    /* Later joiners' rosters get the sender's newest state. A late one is
     * still forwarded, in every mode: only the receiver can tell whether
     * it is late where it arrives (a sequenced state late here may be in
     * time there, behind a newer one lost on the way down). */
    if (!p->has_state || proto_seq_after(s.seq, p->last.seq))
        p->last = s;
    p->has_state = true;
    core_interest_move(r, peer, p->last.x, p->last.y);
    r->stats.states_in++;
    r->stats.states_in_mode[mode]++;
    r->rooms[p->room].states_in++;
    const struct proto_mode_info *mi = proto_mode_info(mode);

    /* Downstream channel and flags come from the mode table: a sequenced
     * state goes down unsequenced, its order kept per sender by seq. */
    if (r->cfg.tick_us)
        return core_hold(r, peer, mi->down_channel, mi->down_flags, bytes, len, now_us);
    if (core_shed_stale(r, mi->down_flags, core_arrived_by(r, now_us), now_us))
        return -1 - (int)RELAY_DROP_STALE; /* counted, no error: the relay fell behind */
    core_fan_out(r, peer, mi->down_channel, mi->down_flags, bytes, len);
    return 0;
}
