/* target_roomrecord.c: fuzzes a room's record as a relay reads it from its
 * room file or a fleet's directory (proto/room_record.c; see targets.h).
 * The input is the record's JSON text. A record taken is within its
 * bounds, names no reserved sender (0; the room's own exactly on the
 * room's own keeper's events), and written again it reads back the same
 * and no longer than PROTO_ROOM_RECORD_MAX. */
#include "proto/room_record.h"
#include "proto/wire.h"
#include "targets.h"

static struct proto_room_record fuzz_rr_a, fuzz_rr_b; /* large: not on the stack */
static char fuzz_rr_text[PROTO_ROOM_RECORD_MAX + 1];

int fuzz_target_roomrecord(const uint8_t *data, size_t size)
{
    char why[256];
    if (proto_room_record_decode((const char *)data, size, &fuzz_rr_a, why, sizeof why) != 0)
        return 0;
    FUZZ_CHECK(fuzz_rr_a.kept_bytes <= PROTO_ROOM_KEPT_BYTES);
    FUZZ_CHECK(fuzz_rr_a.size <= 4095);
    for (uint32_t i = 0; i < fuzz_rr_a.n_kept; i++) { /* no reserved sender taken */
        size_t len;
        const uint8_t *e = proto_room_record_event(&fuzz_rr_a, i, &len);
        uint32_t sender = proto_state_sender(e, len);
        bool rooms = strcmp(fuzz_rr_a.kept[i].keeper, PROTO_ROOM_KEEPER) == 0;
        FUZZ_CHECK(sender != 0 && rooms == (sender == PROTO_ROOM_SENDER));
    }
    int n = proto_room_record_encode(fuzz_rr_text, sizeof fuzz_rr_text, &fuzz_rr_a);
    FUZZ_CHECK(n > 0 && n <= PROTO_ROOM_RECORD_MAX);
    FUZZ_CHECK(proto_room_record_decode(fuzz_rr_text, (size_t)n, &fuzz_rr_b, why, sizeof why) ==
               0);
    FUZZ_CHECK(fuzz_rr_b.n_kept == fuzz_rr_a.n_kept && fuzz_rr_b.size == fuzz_rr_a.size &&
               fuzz_rr_b.open == fuzz_rr_a.open && fuzz_rr_b.listed == fuzz_rr_a.listed &&
               fuzz_rr_b.aoi == fuzz_rr_a.aoi &&
               strcmp(fuzz_rr_b.owner, fuzz_rr_a.owner) == 0 &&
               memcmp(fuzz_rr_b.bytes, fuzz_rr_a.bytes, fuzz_rr_a.kept_bytes) == 0 &&
               fuzz_rr_b.props.len == fuzz_rr_a.props.len &&
               memcmp(fuzz_rr_b.props.kv, fuzz_rr_a.props.kv, fuzz_rr_a.props.len) == 0);
    return 0;
}
