/* lockstep_json.c: a lockstep room's fields of the JSON control messages
 * (proto/PROTOCOL.md, "Lockstep rooms"): a join's lockstep and spectator,
 * a welcome's lockstep, a joined's slot, and the check, late and desync
 * messages; control.c and control_encode.c call in here for them. */
#include "control.h"
#include "lockstep.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define JSON_INT_MAX 999999999999999.0 /* control.c's bound of a JSON integer */

/* The words of a refusal, as control.c's reader gives them. */
struct why {
    const char **field;
    char *text;
    size_t cap;
};

static int fail(struct why *w, int rc, const char *field, const char *what)
{
    *w->field = field;
    if (w->text && w->cap)
        snprintf(w->text, w->cap, "field \"%s\" %s", field, what);
    return rc;
}

/* An optional integer field in lo..hi (absent: *v as it is). */
static int read_u(struct why *w, const cJSON *o, const char *name, bool required, double lo,
                  double hi, uint64_t *v)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!f || cJSON_IsNull(f))
        return required ? fail(w, PROTO_E_MISSING, name, "is missing") : PROTO_OK;
    if (!cJSON_IsNumber(f))
        return fail(w, PROTO_E_FIELD_TYPE, name, "must be a number");
    if (!(f->valuedouble >= lo && f->valuedouble <= hi) ||
        f->valuedouble != floor(f->valuedouble))
        return fail(w, PROTO_E_VALUE, name, "is out of range");
    *v = (uint64_t)f->valuedouble;
    return PROTO_OK;
}

static int read_u32(struct why *w, const cJSON *o, const char *name, bool required, double lo,
                    double hi, uint32_t *v)
{
    uint64_t x = *v;
    int rc = read_u(w, o, name, required, lo, hi, &x);
    *v = (uint32_t)x;
    return rc;
}

/* The settings of a lockstep object: each absent one left as *s has it. */
static int read_settings(struct why *w, const cJSON *o, struct proto_lockstep_settings *s)
{
    int rc;
    if ((rc = read_u32(w, o, "hz", false, 10, 60, &s->hz)) ||
        (rc = read_u32(w, o, "delay", false, 0, 32, &s->delay)) ||
        (rc = read_u32(w, o, "slots", false, 1, PROTO_LOCKSTEP_SLOTS_MAX, &s->slots)) ||
        (rc = read_u32(w, o, "input_max", false, 1, PROTO_LOCKSTEP_INPUT_MAX, &s->input_max)) ||
        (rc = read_u32(w, o, "check_every", false, 0, 600, &s->check_every)))
        return rc;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "stand_in");
    if (f && !cJSON_IsNull(f)) {
        if (!cJSON_IsString(f))
            return fail(w, PROTO_E_FIELD_TYPE, "stand_in", "must be a string");
        if (strcmp(f->valuestring, "last") != 0 && strcmp(f->valuestring, "none") != 0)
            return fail(w, PROTO_E_VALUE, "stand_in", "is not a valid value");
        s->stand_in_last = f->valuestring[0] == 'l';
    }
    if (s->slots * (s->input_max + 2) > PROTO_LOCKSTEP_FRAME_MAX)
        return fail(w, PROTO_E_VALUE, "input_max", "makes a frame of more than 1024 bytes");
    return read_u32(w, o, "spectator_delay", false, 0, 600, &s->spectator_delay);
}

/* The lockstep object o of a join (the settings, defaults for the rest)
 * or of a welcome (every field). */
static int read_lockstep(struct why *w, const cJSON *o, struct proto_control *m)
{
    if (!cJSON_IsObject(o))
        return fail(w, PROTO_E_FIELD_TYPE, "lockstep", "must be an object");
    struct proto_lockstep *ls = &m->lockstep;
    memset(ls, 0, sizeof *ls);
    proto_lockstep_defaults(&ls->settings);
    if (m->type == PROTO_CTL_JOIN) {
        /* a spectator's delay is two seconds unless said: of the hz asked */
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "spectator_delay");
        int rc = read_settings(w, o, &ls->settings);
        if (rc == PROTO_OK && (!d || cJSON_IsNull(d)))
            ls->settings.spectator_delay = 2 * ls->settings.hz;
        m->has_lockstep = rc == PROTO_OK;
        return rc;
    }
    int rc;
    uint64_t slot = UINT32_MAX;
    if ((rc = read_settings(w, o, &ls->settings)) ||
        (rc = read_u(w, o, "start_us", true, 0, JSON_INT_MAX, &ls->start_us)) ||
        (rc = read_u32(w, o, "tick", true, 0, 4294967295.0, &ls->tick)) ||
        (rc = read_u(w, o, "slot", false, 0, PROTO_LOCKSTEP_SLOTS_MAX - 1, &slot)) ||
        (rc = read_u32(w, o, "kept", false, 0, 4294967295.0, &ls->kept)))
        return rc;
    ls->has_slot = slot != UINT32_MAX;
    ls->slot = ls->has_slot ? (uint32_t)slot : 0;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "players"), *e;
    if (arr && !cJSON_IsArray(arr))
        return fail(w, PROTO_E_FIELD_TYPE, "players", "must be an array");
    cJSON_ArrayForEach(e, arr) {
        if (ls->n_players == PROTO_LOCKSTEP_SLOTS_MAX)
            return fail(w, PROTO_E_VALUE, "players", "lists more than the slots");
        if (!cJSON_IsString(e) || (e->valuestring[0] && !proto_player_valid(e->valuestring)))
            return fail(w, PROTO_E_VALUE, "players", "is not a valid value");
        snprintf(ls->players[ls->n_players++], PROTO_PLAYER_LEN + 1, "%s", e->valuestring);
    }
    if (ls->has_slot && ls->slot >= ls->settings.slots)
        return fail(w, PROTO_E_VALUE, "slot", "is out of range");
    m->has_lockstep = true;
    return PROTO_OK;
}

static int read_desync(struct why *w, const cJSON *o, struct proto_control *m)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(o, "ids"), *e;
    const cJSON *players = cJSON_GetObjectItemCaseSensitive(o, "players");
    if (!ids || cJSON_IsNull(ids))
        return fail(w, PROTO_E_MISSING, "ids", "is missing");
    if (!cJSON_IsArray(ids))
        return fail(w, PROTO_E_FIELD_TYPE, "ids", "must be an array");
    if (players && !cJSON_IsNull(players) && !cJSON_IsArray(players))
        return fail(w, PROTO_E_FIELD_TYPE, "players", "must be an array");
    m->desync_len = 0;
    cJSON_ArrayForEach(e, ids) {
        if (m->desync_len == PROTO_DESYNC_MAX)
            return fail(w, PROTO_E_VALUE, "ids", "lists too many");
        if (!cJSON_IsNumber(e) || e->valuedouble < 1 || e->valuedouble > 4294967295.0 ||
            e->valuedouble != floor(e->valuedouble))
            return fail(w, PROTO_E_VALUE, "ids", "is not a valid value");
        const cJSON *p = players ? cJSON_GetArrayItem(players, (int)m->desync_len) : NULL;
        if (p && (!cJSON_IsString(p) || !proto_player_valid(p->valuestring)))
            return fail(w, PROTO_E_VALUE, "players", "is not a valid value");
        m->desync[m->desync_len].id = (uint32_t)e->valuedouble;
        snprintf(m->desync[m->desync_len].player, PROTO_PLAYER_LEN + 1, "%s",
                 p ? p->valuestring : "");
        m->desync_len++;
    }
    return PROTO_OK;
}

int proto_lockstep_fields_read(const struct cJSON *o, struct proto_control *m,
                               const char **field, char *why, size_t why_cap)
{
    struct why w = {field, why, why_cap};
    const cJSON *f;
    uint64_t slot = UINT32_MAX;
    int rc;
    switch (m->type) {
    case PROTO_CTL_JOIN:
        f = cJSON_GetObjectItemCaseSensitive(o, "spectator");
        if (f && !cJSON_IsNull(f)) {
            if (!cJSON_IsBool(f))
                return fail(&w, PROTO_E_FIELD_TYPE, "spectator", "must be true or false");
            m->spectator = cJSON_IsTrue(f);
        }
        f = cJSON_GetObjectItemCaseSensitive(o, "lockstep");
        return f && !cJSON_IsNull(f) ? read_lockstep(&w, f, m) : PROTO_OK;
    case PROTO_CTL_WELCOME:
        f = cJSON_GetObjectItemCaseSensitive(o, "lockstep");
        return f && !cJSON_IsNull(f) ? read_lockstep(&w, f, m) : PROTO_OK;
    case PROTO_CTL_JOINED:
        rc = read_u(&w, o, "slot", false, 0, PROTO_LOCKSTEP_SLOTS_MAX - 1, &slot);
        m->has_slot = rc == PROTO_OK && slot != UINT32_MAX;
        m->slot = m->has_slot ? (uint32_t)slot : 0;
        return rc;
    case PROTO_CTL_CHECK: {
        char hex[PROTO_SUM_LEN + 1];
        if ((rc = read_u32(&w, o, "tick", true, 0, 4294967295.0, &m->tick)))
            return rc;
        f = cJSON_GetObjectItemCaseSensitive(o, "sum");
        if (!f || cJSON_IsNull(f))
            return fail(&w, PROTO_E_MISSING, "sum", "is missing");
        if (!cJSON_IsString(f))
            return fail(&w, PROTO_E_FIELD_TYPE, "sum", "must be a string");
        if (strlen(f->valuestring) != PROTO_SUM_LEN)
            return fail(&w, PROTO_E_VALUE, "sum", "is not a valid value");
        memcpy(hex, f->valuestring, sizeof hex);
        return proto_sum_parse(hex, &m->sum) == 0
                   ? PROTO_OK : fail(&w, PROTO_E_VALUE, "sum", "is not a valid value");
    }
    case PROTO_CTL_LATE:
        if ((rc = read_u32(&w, o, "tick", true, 0, 4294967295.0, &m->tick)) ||
            (rc = read_u(&w, o, "by_us", true, 0, JSON_INT_MAX, &m->by_us)))
            return rc;
        return read_u32(&w, o, "count", false, 0, 4294967295.0, &m->count);
    case PROTO_CTL_DESYNC:
        if ((rc = read_u32(&w, o, "tick", true, 0, 4294967295.0, &m->tick)))
            return rc;
        return read_desync(&w, o, m);
    default:
        return PROTO_OK;
    }
}

/* The lockstep object of a join (the settings) or a welcome (all). */
static int add_lockstep(cJSON *o, const struct proto_control *m)
{
    const struct proto_lockstep *ls = &m->lockstep;
    const struct proto_lockstep_settings *s = &ls->settings;
    if (proto_lockstep_valid(s, NULL, 0) != 0)
        return PROTO_E_VALUE;
    cJSON *l = cJSON_AddObjectToObject(o, "lockstep");
    if (!l)
        return PROTO_E_SPACE;
    cJSON_AddNumberToObject(l, "hz", s->hz);
    cJSON_AddNumberToObject(l, "delay", s->delay);
    cJSON_AddNumberToObject(l, "slots", s->slots);
    cJSON_AddNumberToObject(l, "input_max", s->input_max);
    cJSON_AddStringToObject(l, "stand_in", s->stand_in_last ? "last" : "none");
    cJSON_AddNumberToObject(l, "check_every", s->check_every);
    cJSON_AddNumberToObject(l, "spectator_delay", s->spectator_delay);
    if (m->type == PROTO_CTL_JOIN)
        return PROTO_OK;
    if ((double)ls->start_us > JSON_INT_MAX || ls->n_players > PROTO_LOCKSTEP_SLOTS_MAX ||
        (ls->has_slot && ls->slot >= s->slots))
        return PROTO_E_VALUE;
    cJSON_AddNumberToObject(l, "start_us", (double)ls->start_us);
    cJSON_AddNumberToObject(l, "tick", ls->tick);
    if (ls->has_slot)
        cJSON_AddNumberToObject(l, "slot", ls->slot);
    cJSON *players = cJSON_AddArrayToObject(l, "players");
    for (uint32_t i = 0; players && i < ls->n_players; i++) {
        if (ls->players[i][0] && !proto_player_valid(ls->players[i]))
            return PROTO_E_VALUE;
        cJSON_AddItemToArray(players, cJSON_CreateString(ls->players[i]));
    }
    cJSON_AddNumberToObject(l, "kept", ls->kept);
    return players ? PROTO_OK : PROTO_E_SPACE;
}

int proto_lockstep_fields_add(struct cJSON *o, const struct proto_control *m)
{
    char hex[PROTO_SUM_LEN + 1];
    switch (m->type) {
    case PROTO_CTL_JOIN:
        if (m->spectator)
            cJSON_AddBoolToObject(o, "spectator", true);
        return m->has_lockstep ? add_lockstep(o, m) : PROTO_OK;
    case PROTO_CTL_WELCOME:
        return m->has_lockstep ? add_lockstep(o, m) : PROTO_OK;
    case PROTO_CTL_JOINED:
        if (m->has_slot && m->slot >= PROTO_LOCKSTEP_SLOTS_MAX)
            return PROTO_E_VALUE;
        if (m->has_slot)
            cJSON_AddNumberToObject(o, "slot", m->slot);
        return PROTO_OK;
    case PROTO_CTL_CHECK:
        cJSON_AddNumberToObject(o, "tick", m->tick);
        proto_sum_format(m->sum, hex);
        cJSON_AddStringToObject(o, "sum", hex);
        return PROTO_OK;
    case PROTO_CTL_LATE:
        if ((double)m->by_us > JSON_INT_MAX)
            return PROTO_E_VALUE;
        cJSON_AddNumberToObject(o, "tick", m->tick);
        cJSON_AddNumberToObject(o, "by_us", (double)m->by_us);
        cJSON_AddNumberToObject(o, "count", m->count);
        return PROTO_OK;
    case PROTO_CTL_DESYNC: {
        if (m->desync_len > PROTO_DESYNC_MAX)
            return PROTO_E_VALUE;
        cJSON_AddNumberToObject(o, "tick", m->tick);
        cJSON *ids = cJSON_AddArrayToObject(o, "ids");
        cJSON *players = cJSON_AddArrayToObject(o, "players");
        if (!ids || !players)
            return PROTO_E_SPACE;
        for (size_t i = 0; i < m->desync_len; i++) {
            if (m->desync[i].id == 0 || !proto_player_valid(m->desync[i].player))
                return PROTO_E_VALUE;
            cJSON_AddItemToArray(ids, cJSON_CreateNumber(m->desync[i].id));
            cJSON_AddItemToArray(players, cJSON_CreateString(m->desync[i].player));
        }
        return PROTO_OK;
    }
    default:
        return PROTO_OK;
    }
}
