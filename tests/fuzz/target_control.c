/* target_control.c: fuzzes proto_control_decode (see targets.h). */
#include <stdbool.h>
#include <string.h>

#include "proto/control.h"
#include "targets.h"

#define FUZZ_WHY_CAP 96
#define FUZZ_ENC_CAP (512 * 1024) /* far above any welcome the codec builds */

static int fuzz_control_err_known(int rc)
{
    return rc == PROTO_E_JSON || rc == PROTO_E_MISSING ||
           rc == PROTO_E_FIELD_TYPE || rc == PROTO_E_UNKNOWN_TYPE ||
           rc == PROTO_E_VALUE || rc == PROTO_E_LONG || rc == PROTO_E_SHORT;
}

static int fuzz_str_ok(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static int fuzz_float_same(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int fuzz_member_same(const struct proto_member *a,
                            const struct proto_member *b)
{
    if (a->id != b->id || strcmp(a->name, b->name) != 0 || a->mode != b->mode ||
        a->has_state != b->has_state)
        return 0;
    if (!a->has_state)
        return 1;
    const struct proto_state *x = &a->state, *y = &b->state;
    return x->sender == y->sender && x->seq == y->seq &&
           x->send_us == y->send_us && fuzz_float_same(x->x, y->x) &&
           fuzz_float_same(x->y, y->y) && fuzz_float_same(x->vx, y->vx) &&
           fuzz_float_same(x->vy, y->vy) && fuzz_float_same(x->heading, y->heading);
}

/* Every field, whatever the type: both sides start zeroed, so a field the
 * type does not use must stay equal too. But a join's version: the encoder
 * says its own. */
static int fuzz_control_same(const struct proto_control *a,
                             const struct proto_control *b)
{
    if (a->type != b->type || a->id != b->id || strcmp(a->room, b->room) != 0 ||
        strcmp(a->name, b->name) != 0 || a->mode != b->mode ||
        a->reflect != b->reflect || a->reason != b->reason ||
        strcmp(a->code, b->code) != 0 || strcmp(a->text, b->text) != 0 ||
        a->t != b->t || a->roster_len != b->roster_len || strcmp(a->host, b->host) != 0 ||
        a->port != b->port || a->transport != b->transport || a->epoch != b->epoch ||
        a->forwarded != b->forwarded || a->seq != b->seq || a->aoi != b->aoi ||
        a->batch != b->batch || a->lost != b->lost || strcmp(a->ticket, b->ticket) != 0 ||
        strcmp(a->nonce, b->nonce) != 0 || strcmp(a->cookie, b->cookie) != 0 ||
        strcmp(a->salt, b->salt) != 0 || strcmp(a->tag, b->tag) != 0 ||
        !fuzz_member_same(&a->member, &b->member) || a->any != b->any ||
        strcmp(a->prefix, b->prefix) != 0 || strcmp(a->after, b->after) != 0 ||
        a->listing != b->listing || a->more != b->more || a->rooms_len != b->rooms_len)
        return 0;
    for (size_t i = 0; i < a->roster_len; i++)
        if (!fuzz_member_same(&a->roster[i], &b->roster[i]))
            return 0;
    for (size_t i = 0; i < a->rooms_len; i++)
        if (strcmp(a->rooms[i].room, b->rooms[i].room) != 0 ||
            a->rooms[i].members != b->rooms[i].members ||
            a->rooms[i].capacity != b->rooms[i].capacity)
            return 0;
    return 1;
}

/* The decoded message is well formed whatever the input was. */
static void fuzz_control_check_fields(const struct proto_control *m)
{
    FUZZ_CHECK((unsigned)m->type <= PROTO_CTL_ROOM); /* the last type */
    FUZZ_CHECK(strcmp(proto_ctl_type_name(m->type), "?") != 0);
    FUZZ_CHECK(fuzz_str_ok(m->room, sizeof m->room));
    FUZZ_CHECK(fuzz_str_ok(m->name, sizeof m->name));
    FUZZ_CHECK(fuzz_str_ok(m->code, sizeof m->code));
    FUZZ_CHECK(fuzz_str_ok(m->text, sizeof m->text));
    FUZZ_CHECK(fuzz_str_ok(m->host, sizeof m->host));
    FUZZ_CHECK(fuzz_str_ok(m->ticket, sizeof m->ticket));
    FUZZ_CHECK(fuzz_str_ok(m->nonce, sizeof m->nonce));
    FUZZ_CHECK(fuzz_str_ok(m->cookie, sizeof m->cookie));
    FUZZ_CHECK(fuzz_str_ok(m->salt, sizeof m->salt));
    FUZZ_CHECK(fuzz_str_ok(m->tag, sizeof m->tag));
    FUZZ_CHECK((unsigned)m->mode < PROTO_MODE_COUNT);
    FUZZ_CHECK((unsigned)m->reason <= PROTO_LEFT_KICKED);
    FUZZ_CHECK(m->roster_len <= PROTO_ROSTER_MAX);
    FUZZ_CHECK(proto_aoi_valid(m->aoi));
    FUZZ_CHECK(fuzz_str_ok(m->member.name, sizeof m->member.name));
    FUZZ_CHECK((unsigned)m->member.mode < PROTO_MODE_COUNT);
    if (m->type == PROTO_CTL_APPEARED)
        FUZZ_CHECK(proto_name_valid(m->member.name) && m->member.id == m->id);
    for (size_t i = 0; i < m->roster_len; i++) {
        FUZZ_CHECK(fuzz_str_ok(m->roster[i].name, sizeof m->roster[i].name));
        FUZZ_CHECK((unsigned)m->roster[i].mode < PROTO_MODE_COUNT);
    }
    FUZZ_CHECK(proto_prefix_valid(m->prefix) && proto_prefix_valid(m->after));
    FUZZ_CHECK(m->rooms_len <= PROTO_ROOMS_PAGE);
    for (size_t i = 0; i < m->rooms_len; i++)
        FUZZ_CHECK(proto_room_valid(m->rooms[i].room));
    /* What the relay or a client acts on must pass the shared rules. */
    if (m->type == PROTO_CTL_MOVED) {
        FUZZ_CHECK(proto_room_valid(m->room) && proto_host_valid(m->host));
        FUZZ_CHECK(m->port != 0 && m->epoch != 0);
    }
    /* A join names its room and player, but with a ticket: the ticket's
     * count, and the join's may be left out (PROTOCOL.md, whatever the
     * version: the relay refuses a version-2 join with a ticket as
     * bad_version, after decoding). */
    if (m->type == PROTO_CTL_JOIN) {
        bool ticket = m->ticket[0] != '\0';
        FUZZ_CHECK(proto_room_valid(m->room) || (ticket && m->room[0] == '\0'));
        FUZZ_CHECK(proto_name_valid(m->name) || (ticket && m->name[0] == '\0'));
    }
}

int fuzz_target_control(const uint8_t *data, size_t size)
{
    static struct proto_control m, m2;
    static char enc[FUZZ_ENC_CAP], enc2[FUZZ_ENC_CAP];
    char why[FUZZ_WHY_CAP + 8];

    memset(&m, 0, sizeof m);
    memset(why, 0x7E, sizeof why);
    int rc = proto_control_decode((const char *)data, size, &m, why, FUZZ_WHY_CAP);
    if (rc != PROTO_OK) {
        FUZZ_CHECK(rc < 0 && fuzz_control_err_known(rc));
        FUZZ_CHECK(memchr(why, '\0', FUZZ_WHY_CAP) != NULL);
        FUZZ_CHECK(why[0] != '\0'); /* the reason names what was wrong */
        FUZZ_CHECK(m.fault.err == rc && m.fault.field != NULL); /* and the fault says how */
        for (size_t i = FUZZ_WHY_CAP; i < sizeof why; i++)
            FUZZ_CHECK(why[i] == 0x7E); /* no write past why_cap */
        /* NULL why is allowed too. */
        memset(&m, 0, sizeof m);
        FUZZ_CHECK(proto_control_decode((const char *)data, size, &m, NULL, 0) == rc);
        FUZZ_CHECK(m.fault.err == rc); /* with or without words */
        return 0;
    }
    fuzz_control_check_fields(&m);

    /* Round trip: anything accepted can be sent again, and reads back equal. */
    int n = proto_control_encode(enc, sizeof enc, &m);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof enc);
    FUZZ_CHECK(strlen(enc) == (size_t)n);
    memset(&m2, 0, sizeof m2);
    FUZZ_CHECK(proto_control_decode(enc, (size_t)n, &m2, why, FUZZ_WHY_CAP) == PROTO_OK);
    FUZZ_CHECK(fuzz_control_same(&m, &m2));
    int n2 = proto_control_encode(enc2, sizeof enc2, &m2);
    FUZZ_CHECK(n2 == n && memcmp(enc, enc2, (size_t)n) == 0);

    /* A buffer one byte short must be refused, not overrun. */
    FUZZ_CHECK(proto_control_encode(enc2, (size_t)n, &m) == PROTO_E_SPACE);
    return 0;
}
