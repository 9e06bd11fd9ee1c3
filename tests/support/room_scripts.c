/* room_scripts.c: see room_scripts.h. */
#include "room_scripts.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/control.h"
#include "fake_relay.h"
#include "harness.h"

void scripts_dir_new(char dir[SCRIPTS_DIR_MAX])
{
    snprintf(dir, SCRIPTS_DIR_MAX, "/tmp/ricochet-scripts-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

void scripts_put(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.lua", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

void scripts_dir_free(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *de; (de = readdir(d));) {
        char path[512];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

const struct room_scripts_heavy room_scripts_heavy[] = {
    {"repetition", "rep_empty", "local n = #string.rep('', 2^62) + #string.rep('', 2^31)\n"
                                "if n ~= 0 then error('not empty') end", false},
    {"repetition", "rep_many", "while true do local s = string.rep('x', 450000) end", true},
    {"repetition", "rep_sep", "local s = string.rep('', 2^40, 'x')", true},
    {"sorting", "sort_same", "local s = string.rep('\\0', 400000) local t = {}\n"
                             "for i = 1, 120 do t[i] = s end table.sort(t)", false},
    {"sorting", "sort_zeros", "local a = string.rep('\\0', 250000) local b = a:sub(2) .. '\\1'\n"
                              "local t = {} for i = 1, 120 do t[i] = i % 2 == 0 and a or b end\n"
                              "while true do table.sort(t) end", true},
    {"sorting", "sort_by_fn", "local a = string.rep('\\0', 250000) local b = a:sub(2) .. '\\1'\n"
                              "local t = {} for i = 1, 120 do t[i] = i % 2 == 0 and a or b end\n"
                              "table.sort(t, function(x, y) return x < y end)", true},
    {"concatenation", "concat", "local s = string.rep('\\0', 250000)\n"
                                "while true do local t = s .. s end", true},
    {"concatenation", "table_concat", "local t = {} for i = 1, 20000 do t[i] = 'xxxxxxxx' end\n"
                                      "while true do local s = table.concat(t, ',') end", true},
    {"formatting", "format_q", "local s = string.rep('\\0', 100000)\n"
                               "while true do local q = string.format('%q', s) end", true},
    {"formatting", "format_many", "local t = {} for i = 1, 8000 do t[i] = 'x' end\n"
                                  "local f = string.rep('%s', 8000)\n"
                                  "while true do local s = string.format(f, table.unpack(t)) end",
     true},
    {"patterns", "find", "local s = string.rep('a', 400000)\n"
                         "local p = string.rep('a', 3000) .. 'b'\n"
                         "while true do local x = string.find(s, p) end", true},
    {"patterns", "match", "local s = string.rep('a', 400000)\n"
                          "local x = string.match(s, string.rep('a*', 30) .. 'b')", true},
    {"utf8", "utf8_len", "local s = string.rep('\\0', 450000)\n"
                         "while true do local n = utf8.len(s) end", true},
    {"utf8", "utf8_char", "local t = {} for i = 1, 15000 do t[i] = 0x10ffff end\n"
                          "while true do local s = utf8.char(table.unpack(t)) end", true},
    {"comparison", "compare", "local s = string.rep('\\0', 450000)\n"
                              "while true do local x = s < s end", true},
};
const size_t room_scripts_n_heavy = sizeof room_scripts_heavy / sizeof room_scripts_heavy[0];

int scripts_relay_start(struct spawn_proc *relay, const char *dir)
{
    const char *args[] = {"--script-dir", dir, "--kick-after", "0", "--max-per-address", "0",
                          "--log-level", "error", NULL};
    int port = harness_start_relay(relay, args);
    assert_true(port > 0);
    return port;
}

static void settings(struct script_settings *s, const char *dir, const char *def,
                     uint32_t memory_kb, uint64_t budget)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->default_name, sizeof s->default_name, "%s", def ? def : "");
    s->memory_kb = memory_kb ? memory_kb : 1024;
    s->budget = budget ? budget : 1000000;
    s->share = 50;
}

int scripts_engine_try(struct relay *r, const char *dir, const char *def, char *err,
                       size_t cap)
{
    struct script_settings s;
    settings(&s, dir, def, 0, 0);
    struct script_engine *e;
    int rc = script_engine_open(&e, r, &s, err, cap);
    script_engine_close(rc == 0 ? e : NULL);
    return rc;
}

static struct script_engine *open_asserted(struct relay *r, const struct script_settings *s)
{
    struct script_engine *e = NULL;
    char err[512] = "";
    if (script_engine_open(&e, r, s, err, sizeof err) != 0)
        fail_msg("the engine did not start: %s", err);
    return e;
}

struct script_engine *scripts_engine_share(struct relay *r, const char *dir, uint64_t budget,
                                           uint32_t share)
{
    struct script_settings s;
    settings(&s, dir, "", 0, budget);
    s.share = share;
    return open_asserted(r, &s);
}

struct script_engine *scripts_engine_pinned(struct relay *r, const char *dir, const char *pins,
                                            int failed)
{
    struct script_settings s;
    settings(&s, dir, "", 0, 0);
    snprintf(s.pins, sizeof s.pins, "%s", pins);
    s.failed = failed;
    return open_asserted(r, &s);
}

struct script_engine *scripts_engine(struct relay *r, const char *dir, const char *def,
                                     uint32_t memory_kb, uint64_t budget)
{
    struct script_settings s;
    settings(&s, dir, def, memory_kb, budget);
    struct script_engine *e = NULL;
    char err[512] = "";
    if (script_engine_open(&e, r, &s, err, sizeof err) != 0)
        fail_msg("the engine did not start: %s", err);
    return e;
}

int join_script(struct relay *r, uint32_t peer, const char *room, const char *name,
                const char *script)
{
    struct proto_control m;
    proto_control_init(&m, PROTO_CTL_JOIN);
    snprintf(m.room, sizeof m.room, "%s", room);
    snprintf(m.name, sizeof m.name, "%s", name);
    m.mode = PROTO_MODE_UNSEQUENCED;
    if (script)
        assert_int_equal(proto_props_add(&m.props, "props", "script", script, NULL, 0), 0);
    return send_control_msg(r, peer, PROTO_CHANNEL_CONTROL, &m);
}

int send_event(struct relay *r, uint32_t peer, uint32_t to, const char *body)
{
    uint8_t buf[PROTO_EVENT_MAX];
    int n = proto_event_encode(buf, sizeof buf, to, body, strlen(body));
    assert_true(n > 0);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, buf,
                             (size_t)n, now_us);
}

int send_state_xy(struct relay *r, uint32_t peer, uint32_t seq, float x, float y)
{
    uint8_t buf[PROTO_STATE_SIZE];
    struct proto_state s = {.seq = seq, .send_us = 5000000 + seq, .x = x, .y = y};
    assert_int_equal(proto_state_encode(buf, sizeof buf, &s), PROTO_STATE_SIZE);
    return relay_on_datagram(r, peer, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED, buf,
                             sizeof buf, now_us);
}

size_t events_to(uint32_t peer)
{
    size_t n = 0;
    for (size_t i = 0; i < fk.n_ctl; i++)
        n += fk.ctl[i].peer == peer &&
             proto_is_event((const uint8_t *)fk.ctl[i].json, fk.ctl[i].len);
    return n;
}

bool last_event(uint32_t peer, struct proto_event *e, char *body, size_t cap)
{
    for (size_t i = fk.n_ctl; i-- > 0;) {
        const uint8_t *b = (const uint8_t *)fk.ctl[i].json;
        if (fk.ctl[i].peer != peer || !proto_is_event(b, fk.ctl[i].len))
            continue;
        assert_int_equal(proto_event_decode(b, fk.ctl[i].len, e), PROTO_OK);
        snprintf(body, cap, "%.*s", (int)e->len, (const char *)e->body);
        return true;
    }
    return false;
}

bool last_state(uint32_t peer, struct proto_state *s)
{
    for (size_t i = fk.n_states; i-- > 0;)
        if (fk.states[i].peer == peer)
            return proto_state_decode(fk.states[i].bytes, fk.states[i].len, s) == PROTO_OK;
    return false;
}
