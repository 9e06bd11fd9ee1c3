/* room_record.c: a room the relay keeps (see room_record.h): built, written
 * to JSON and read back strictly. The kept events travel as one base64
 * string of entries (length, keeper, event): compact enough that the
 * largest record stays within PROTO_ROOM_RECORD_MAX. */
#include "room_record.h"
#include "byteorder.h"
#include "control.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* Base64 of the largest "kept": every entry's head and event. */
#define KEPT_RAW_MAX (PROTO_ROOM_KEPT_BYTES + PROTO_ROOM_KEPT_ENTRY_HEAD * PROTO_ROOM_KEPT_MAX)
#define KEPT_B64_MAX (4 * ((KEPT_RAW_MAX + 2) / 3))

_Static_assert(KEPT_B64_MAX + 1024 <= PROTO_ROOM_RECORD_MAX,
               "a full record's JSON fits PROTO_ROOM_RECORD_MAX");

static int say(char *why, size_t cap, int rc, const char *fmt, ...)
{
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return rc;
}

void proto_room_record_init(struct proto_room_record *rec)
{
    memset(&rec->props, 0, sizeof rec->props);
    rec->size = 0;
    rec->listed = rec->open = true;
    rec->aoi = 0;
    rec->owner[0] = '\0';
    rec->n_kept = rec->kept_bytes = 0;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A player id's 8 bytes, and back. */
static void player_pack(uint8_t out[8], const char *player)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(hex_digit(player[2 * i]) << 4 | hex_digit(player[2 * i + 1]));
}

static void player_unpack(char out[PROTO_PLAYER_LEN + 1], const uint8_t in[8])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[PROTO_PLAYER_LEN] = '\0';
}

int proto_room_record_add_kept(struct proto_room_record *rec, const char *keeper,
                               const uint8_t *event, size_t len, char *why, size_t why_cap)
{
    struct proto_event e;
    if (!keeper || !proto_player_valid(keeper))
        return say(why, why_cap, -1, "kept: a keeper is not a player id (16 hex digits)");
    if (proto_event_decode(event, len, &e) != PROTO_OK)
        return say(why, why_cap, -1, "kept: an entry is not an event");
    if (!(e.flags & PROTO_EVENT_STAY) || e.len == 0)
        return say(why, why_cap, -1, "kept: an entry is not a kept event with stay and a body");
    if (e.to != PROTO_EVENT_ROOM)
        return say(why, why_cap, -1, "kept: an entry is not to the room");
    uint32_t sender = proto_state_sender(event, len);
    bool rooms = strcmp(keeper, PROTO_ROOM_KEEPER) == 0;
    if (sender == 0)
        return say(why, why_cap, -1, "kept: an entry names sender 0, no one's");
    if (rooms && sender != PROTO_ROOM_SENDER)
        return say(why, why_cap, -1, "kept: an entry of the room's own keeper names sender "
                   "%" PRIu32 ", a member's", sender);
    if (!rooms && sender == PROTO_ROOM_SENDER)
        return say(why, why_cap, -1, "kept: an entry of player %s names the room's own sender "
                   "(%" PRIu32 ")", keeper, sender);
    for (uint32_t i = 0; i < rec->n_kept; i++) {
        size_t n;
        const uint8_t *b = proto_room_record_event(rec, i, &n);
        if (b[3] == e.key_len && memcmp(b + PROTO_EVENT_HEAD, e.key, e.key_len) == 0)
            return say(why, why_cap, -1, "kept: the key '%.*s' comes twice", (int)e.key_len,
                       (const char *)e.key);
    }
    if (rec->kept_bytes + len > PROTO_ROOM_KEPT_BYTES || rec->n_kept >= PROTO_ROOM_KEPT_MAX)
        return say(why, why_cap, -1, "kept: the events pass %u bytes",
                   (unsigned)PROTO_ROOM_KEPT_BYTES);
    struct proto_room_kept *k = &rec->kept[rec->n_kept++];
    memcpy(k->keeper, keeper, PROTO_PLAYER_LEN + 1);
    k->at = (uint16_t)rec->kept_bytes;
    k->len = (uint16_t)len;
    memcpy(rec->bytes + rec->kept_bytes, event, len);
    rec->kept_bytes += (uint32_t)len;
    return 0;
}

/* rec's kept entries as base64 into out (KEPT_B64_MAX + 1 bytes). */
static void kept_b64(char *out, const struct proto_room_record *rec, uint8_t *raw)
{
    size_t at = 0;
    for (uint32_t i = 0; i < rec->n_kept; i++) {
        size_t len;
        const uint8_t *b = proto_room_record_event(rec, i, &len);
        be16_put(raw + at, (uint16_t)len);
        player_pack(raw + at + 2, rec->kept[i].keeper);
        memcpy(raw + at + PROTO_ROOM_KEPT_ENTRY_HEAD, b, len);
        at += PROTO_ROOM_KEPT_ENTRY_HEAD + len;
    }
    sodium_bin2base64(out, KEPT_B64_MAX + 1, raw, at, sodium_base64_VARIANT_ORIGINAL);
}

cJSON *proto_room_record_json(const struct proto_room_record *rec)
{
    cJSON *o = cJSON_CreateObject();
    uint8_t *raw = malloc(KEPT_RAW_MAX);
    char *b64 = malloc(KEPT_B64_MAX + 1);
    bool ok = o && raw && b64;
    if (ok) {
        kept_b64(b64, rec, raw);
        ok = cJSON_AddNumberToObject(o, "v", PROTO_ROOM_RECORD_VERSION) &&
             proto_props_add_json(o, "props", &rec->props) == PROTO_OK &&
             cJSON_AddNumberToObject(o, "size", rec->size) &&
             cJSON_AddBoolToObject(o, "listed", rec->listed) &&
             cJSON_AddBoolToObject(o, "open", rec->open) &&
             cJSON_AddNumberToObject(o, "aoi", rec->aoi) &&
             cJSON_AddStringToObject(o, "owner", rec->owner) &&
             cJSON_AddStringToObject(o, "kept", b64);
    }
    free(raw);
    free(b64);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int proto_room_record_encode(char *buf, size_t cap, const struct proto_room_record *rec)
{
    cJSON *o = proto_room_record_json(rec);
    if (!o)
        return -1;
    bool ok = cJSON_PrintPreallocated(o, buf, (int)(cap > INT32_MAX ? INT32_MAX : cap), false);
    cJSON_Delete(o);
    return ok ? (int)strlen(buf) : -1;
}

static const char *const FIELDS[] = {"v",   "props", "size", "listed",
                                     "open", "aoi",  "owner", "kept"};
#define N_FIELDS (sizeof FIELDS / sizeof *FIELDS)

/* o's fields: each of FIELDS once, no other. */
static int fields_check(const cJSON *o, char *why, size_t cap)
{
    unsigned seen = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, o) {
        size_t i = 0;
        while (i < N_FIELDS && (!f->string || strcmp(f->string, FIELDS[i]) != 0))
            i++;
        if (i == N_FIELDS)
            return say(why, cap, PROTO_E_VALUE, "room record: unknown field \"%.32s\"",
                       f->string ? f->string : "");
        if (seen & 1u << i)
            return say(why, cap, PROTO_E_VALUE, "room record: field \"%s\" given twice",
                       FIELDS[i]);
        seen |= 1u << i;
    }
    for (size_t i = 0; i < N_FIELDS; i++)
        if (!(seen & 1u << i))
            return say(why, cap, PROTO_E_MISSING, "room record: field \"%s\" is missing",
                       FIELDS[i]);
    return PROTO_OK;
}

static int bool_field(const cJSON *o, const char *name, bool *out, char *why, size_t cap)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsBool(f))
        return say(why, cap, PROTO_E_FIELD_TYPE, "room record: \"%s\" must be true or false",
                   name);
    *out = cJSON_IsTrue(f);
    return PROTO_OK;
}

/* The entries of "kept" (base64 text) into rec. */
static int kept_read(const char *text, struct proto_room_record *rec, char *why, size_t cap)
{
    size_t tlen = strlen(text), n = 0;
    if (tlen > KEPT_B64_MAX)
        return say(why, cap, PROTO_E_VALUE, "room record: \"kept\" is longer than %u characters",
                   (unsigned)KEPT_B64_MAX);
    uint8_t *raw = malloc(KEPT_RAW_MAX);
    if (!raw)
        return say(why, cap, PROTO_E_SPACE, "room record: out of memory");
    const char *end = NULL;
    int rc = PROTO_OK;
    if (sodium_base642bin(raw, KEPT_RAW_MAX, text, tlen, NULL, &n, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || end != text + tlen)
        rc = say(why, cap, PROTO_E_VALUE, "room record: \"kept\" is not base64");
    for (size_t at = 0; rc == PROTO_OK && at < n;) {
        size_t len;
        char keeper[PROTO_PLAYER_LEN + 1], sub[96];
        if (n - at < PROTO_ROOM_KEPT_ENTRY_HEAD ||
            (len = be16_get(raw + at)) > n - at - PROTO_ROOM_KEPT_ENTRY_HEAD) {
            rc = say(why, cap, PROTO_E_VALUE, "room record: \"kept\" ends inside an entry");
            break;
        }
        player_unpack(keeper, raw + at + 2);
        if (proto_room_record_add_kept(rec, keeper, raw + at + PROTO_ROOM_KEPT_ENTRY_HEAD, len,
                                       sub, sizeof sub) != 0)
            rc = say(why, cap, PROTO_E_VALUE, "room record: %s", sub);
        at += PROTO_ROOM_KEPT_ENTRY_HEAD + len;
    }
    free(raw);
    return rc;
}

int proto_room_record_read(const cJSON *o, struct proto_room_record *rec, char *why,
                           size_t why_cap)
{
    proto_room_record_init(rec);
    if (!cJSON_IsObject(o))
        return say(why, why_cap, PROTO_E_JSON, "room record: not a JSON object");
    int rc = fields_check(o, why, why_cap);
    if (rc != PROTO_OK)
        return rc;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "v");
    if (!cJSON_IsNumber(v))
        return say(why, why_cap, PROTO_E_FIELD_TYPE, "room record: \"v\" must be a number");
    if (v->valuedouble != PROTO_ROOM_RECORD_VERSION)
        return say(why, why_cap, PROTO_E_VERSION, "room record: version %g, this relay reads %d",
                   v->valuedouble, PROTO_ROOM_RECORD_VERSION);
    char sub[96];
    rc = proto_props_read(cJSON_GetObjectItemCaseSensitive(o, "props"), "props", &rec->props, sub,
                          sizeof sub);
    if (rc != PROTO_OK)
        return say(why, why_cap, rc, "room record: %s", sub);
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "size");
    if (!cJSON_IsNumber(size))
        return say(why, why_cap, PROTO_E_FIELD_TYPE, "room record: \"size\" must be a number");
    double s = size->valuedouble;
    if (!(s >= 0 && s <= PROTO_ROOM_SIZE_MAX) || s != floor(s))
        return say(why, why_cap, PROTO_E_VALUE, "room record: \"size\" is out of range (0..%d)",
                   PROTO_ROOM_SIZE_MAX);
    rec->size = (uint32_t)s;
    if ((rc = bool_field(o, "listed", &rec->listed, why, why_cap)) != PROTO_OK ||
        (rc = bool_field(o, "open", &rec->open, why, why_cap)) != PROTO_OK)
        return rc;
    const cJSON *aoi = cJSON_GetObjectItemCaseSensitive(o, "aoi");
    if (!cJSON_IsNumber(aoi))
        return say(why, why_cap, PROTO_E_FIELD_TYPE, "room record: \"aoi\" must be a number");
    double a = aoi->valuedouble;
    if (!(a == 0 || (a >= PROTO_AOI_MIN && a <= PROTO_AOI_MAX)))
        return say(why, why_cap, PROTO_E_VALUE, "room record: \"aoi\" is neither 0 nor %g..%g",
                   (double)PROTO_AOI_MIN, (double)PROTO_AOI_MAX);
    rec->aoi = (float)a;
    const cJSON *owner = cJSON_GetObjectItemCaseSensitive(o, "owner");
    if (!cJSON_IsString(owner))
        return say(why, why_cap, PROTO_E_FIELD_TYPE, "room record: \"owner\" must be a string");
    if (owner->valuestring[0] && !proto_player_valid(owner->valuestring))
        return say(why, why_cap, PROTO_E_VALUE,
                   "room record: \"owner\" is neither \"\" nor a player id (16 hex digits)");
    snprintf(rec->owner, sizeof rec->owner, "%s", owner->valuestring);
    const cJSON *kept = cJSON_GetObjectItemCaseSensitive(o, "kept");
    if (!cJSON_IsString(kept))
        return say(why, why_cap, PROTO_E_FIELD_TYPE, "room record: \"kept\" must be a string");
    return kept_read(kept->valuestring, rec, why, why_cap);
}

int proto_room_record_decode(const char *text, size_t len, struct proto_room_record *rec,
                             char *why, size_t why_cap)
{
    proto_room_record_init(rec);
    if (len > PROTO_ROOM_RECORD_MAX)
        return say(why, why_cap, PROTO_E_LONG, "room record: longer than %d bytes",
                   PROTO_ROOM_RECORD_MAX);
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!o)
        return say(why, why_cap, PROTO_E_JSON, "room record: not JSON");
    int rc = proto_room_record_read(o, rec, why, why_cap);
    cJSON_Delete(o);
    return rc;
}
