/* target_state.c: fuzzes proto_state_decode (see targets.h). */
#include <string.h>

#include "proto/wire.h"
#include "targets.h"

static int fuzz_state_err_known(int rc)
{
    return rc == PROTO_E_SHORT || rc == PROTO_E_VERSION || rc == PROTO_E_TYPE ||
           rc == PROTO_E_VALUE || rc == PROTO_E_LONG;
}

/* Field by field (the struct has tail padding); floats compared as bits. */
static int fuzz_state_same(const struct proto_state *a, const struct proto_state *b)
{
    return a->sender == b->sender && a->seq == b->seq &&
           a->send_us == b->send_us && memcmp(&a->x, &b->x, sizeof a->x) == 0 &&
           memcmp(&a->y, &b->y, sizeof a->y) == 0 &&
           memcmp(&a->vx, &b->vx, sizeof a->vx) == 0 &&
           memcmp(&a->vy, &b->vy, sizeof a->vy) == 0 &&
           memcmp(&a->heading, &b->heading, sizeof a->heading) == 0;
}

int fuzz_target_state(const uint8_t *data, size_t size)
{
    struct proto_state s, poison;
    uint8_t out[PROTO_STATE_SIZE + 8];
    uint8_t stamped[PROTO_STATE_SIZE];

    memset(&poison, 0xA5, sizeof poison);
    s = poison;
    int rc = proto_state_decode(data, size, &s);
    if (rc != PROTO_OK) {
        FUZZ_CHECK(fuzz_state_err_known(rc));
        FUZZ_CHECK(memcmp(&s, &poison, sizeof s) == 0); /* untouched */
        FUZZ_CHECK(strcmp(proto_strerror(rc), "unknown error") != 0);
        return 0;
    }
    FUZZ_CHECK(size >= PROTO_STATE_SIZE && size <= PROTO_STATE_MAX);
    FUZZ_CHECK(data[0] == PROTO_STATE_VERSION && data[1] == PROTO_MSG_STATE);

    /* Whatever decodes must encode again, to the same bytes except the
     * reserved pair (2..3), which the encoder writes as zero. */
    int n = proto_state_encode(out, sizeof out, &s);
    FUZZ_CHECK(n == PROTO_STATE_SIZE);
    FUZZ_CHECK(memcmp(out, data, 2) == 0);
    FUZZ_CHECK(out[2] == 0 && out[3] == 0);
    FUZZ_CHECK(memcmp(out + 4, data + 4, PROTO_STATE_SIZE - 4) == 0);

    /* The relay's stamp changes the sender and nothing else. */
    memcpy(stamped, data, sizeof stamped);
    uint32_t id = s.seq ^ 0x5A5A5A5Au;
    proto_state_stamp_sender(stamped, id);
    struct proto_state t;
    FUZZ_CHECK(proto_state_decode(stamped, sizeof stamped, &t) == PROTO_OK);
    FUZZ_CHECK(t.sender == id);
    t.sender = s.sender;
    FUZZ_CHECK(fuzz_state_same(&t, &s));
    return 0;
}
