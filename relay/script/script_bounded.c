/* script_bounded.c: the library functions whose work no count hook sees,
 * done in pieces within the call's budget (docs/scripts.md, "The
 * sandbox"). Lua runs a C function whole inside one instruction: string.rep
 * loops n times whatever the bytes (string.rep("", 2^62) never ends),
 * table.sort compares long strings with strcoll a zero byte at a time,
 * string.format's %q writes a control byte with a sprintf each, and
 * table.concat, insert, remove and move walk as many elements as they are
 * told. Here each counts its work as instructions (SCRIPT_WORK_BYTES bytes,
 * or an element, as one) through script_vm_work, which stops the call past
 * its budget or its time as the count hook does, between pieces of at
 * most PIECE bytes. What they give is Lua's, but for table.sort's order
 * among equal elements (a heap sort: Lua's quicksort is not stable
 * either) and its comparator's faults (an order function that is no order
 * leaves some order, never "invalid order function"). The other library
 * functions do work linear in the memory a room holds, one step each: the
 * watchdog (script_watch.c) bounds them. Calls no other file of the
 * engine but script_vm.c's script_vm_work. */
#include "script_internal.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

#include <lauxlib.h>

#define PIECE (1024 * 1024) /* bytes copied or compared between two looks */

static void work_bytes(lua_State *L, size_t bytes)
{
    script_vm_work(L, 1 + bytes / SCRIPT_WORK_BYTES);
}

/* ---- string.rep ------------------------------------------------------------------ */

/* string.rep(s, n [, sep]): the result written by doubling what is
 * written already (a multiple of s..sep, so its bytes repeat), in pieces. */
static int sb_rep(lua_State *L)
{
    size_t l, lsep;
    const char *s = luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &lsep);
    size_t unit = l + lsep;
    if (n <= 0 || (l == 0 && (lsep == 0 || n == 1))) {
        lua_pushliteral(L, "");
        return 1;
    }
    if (unit < l || unit > (size_t)LUA_MAXINTEGER / (lua_Unsigned)n)
        return luaL_error(L, "resulting string too large");
    size_t total = (size_t)n * l + (size_t)(n - 1) * lsep;
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, total); /* past the memory cap: stopped there */
    size_t filled = unit < total ? unit : total;
    memcpy(p, s, l < filled ? l : filled);
    if (filled > l)
        memcpy(p + l, sep, filled - l);
    work_bytes(L, filled);
    while (filled < total) {
        size_t k = filled;
        if (k >= total - filled)
            k = total - filled;                   /* the last: any length */
        else if (k > PIECE)
            k = (PIECE / unit ? PIECE / unit : 1) * unit; /* the phase kept */
        work_bytes(L, k);
        memcpy(p + filled, p, k);
        filled += k;
    }
    luaL_pushresultsize(&b, total);
    return 1;
}

/* ---- string.format ---------------------------------------------------------------- */

/* Lua's %q of a string (lstrlib.c's addquoted), in pieces. */
static void add_quoted(lua_State *L, luaL_Buffer *b, const char *s, size_t len)
{
    luaL_addchar(b, '"');
    for (size_t at = 0; at < len;) {
        size_t end = len - at > PIECE / 4 ? at + PIECE / 4 : len;
        work_bytes(L, 4 * (end - at));
        for (; at < end; at++) {
            unsigned char c = (unsigned char)s[at];
            if (c == '"' || c == '\\' || c == '\n') {
                luaL_addchar(b, '\\');
                luaL_addchar(b, (char)c);
            } else if (iscntrl(c)) { /* \ddd, three digits if a digit follows */
                bool digit = at + 1 < len && isdigit((unsigned char)s[at + 1]);
                char esc[4];
                size_t k = 0;
                if (digit || c >= 100)
                    esc[k++] = (char)('0' + c / 100);
                if (digit || c >= 10)
                    esc[k++] = (char)('0' + c / 10 % 10);
                esc[k++] = (char)('0' + c % 10);
                luaL_addchar(b, '\\');
                luaL_addlstring(b, esc, k);
            } else {
                luaL_addchar(b, (char)c);
            }
        }
    }
    luaL_addchar(b, '"');
}

/* string.format(fmt, ...): Lua's own, an item at a time (its text before
 * it, then the item by the original, upvalue 1, with its one argument),
 * each counted; %q of a string written here, in pieces. An argument of
 * the wrong kind is refused naming its own place, as Lua does. */
static int sb_format(lua_State *L)
{
    size_t len;
    const char *f = luaL_checklstring(L, 1, &len), *end = f + len;
    int top = lua_gettop(L), arg = 1;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    while (f < end) {
        const char *pct = memchr(f, '%', (size_t)(end - f));
        size_t lit = (size_t)((pct ? pct : end) - f);
        work_bytes(L, lit);
        luaL_addlstring(&b, f, lit);
        f += lit;
        if (f == end)
            break;
        if (f + 1 < end && f[1] == '%') {
            luaL_addchar(&b, '%');
            f += 2;
            continue;
        }
        size_t span = strspn(f + 1, "-+#0 123456789.");
        size_t item = f + 1 + span < end ? span + 2 : (size_t)(end - f);
        char conv = f + 1 + span < end ? f[1 + span] : '\0';
        if (++arg > top)
            return luaL_argerror(L, arg, "no value");
        if (conv && strchr("cdiouxX", conv))
            luaL_checkinteger(L, arg);
        else if (conv && strchr("aAeEfFgG", conv))
            luaL_checknumber(L, arg);
        if (conv == 'q' && span == 0 && lua_type(L, arg) == LUA_TSTRING) {
            size_t sl;
            const char *s = lua_tolstring(L, arg, &sl);
            add_quoted(L, &b, s, sl);
        } else {
            lua_pushvalue(L, lua_upvalueindex(1));
            lua_pushlstring(L, f, item);
            lua_pushvalue(L, arg);
            lua_call(L, 2, 1);
            size_t out;
            lua_tolstring(L, -1, &out);
            work_bytes(L, out);
            luaL_addvalue(&b);
        }
        f += item;
    }
    luaL_pushresult(&b);
    return 1;
}

/* ---- table.sort ------------------------------------------------------------------- */

/* Is the value at index a less than the one at b? The order function
 * (index 2) if there is one; two strings compared here, in pieces (Lua's
 * strcoll is the bytes' order in the C locale, the relay's); else Lua's
 * `<` (numbers, or a metamethod: instructions the count hook sees). */
static bool sort_less(lua_State *L, int a, int b, bool by_fn)
{
    a = lua_absindex(L, a);
    b = lua_absindex(L, b);
    if (by_fn) {
        lua_pushvalue(L, 2);
        lua_pushvalue(L, a);
        lua_pushvalue(L, b);
        lua_call(L, 2, 1);
        bool less = lua_toboolean(L, -1);
        lua_pop(L, 1);
        script_vm_work(L, 1);
        return less;
    }
    if (lua_type(L, a) != LUA_TSTRING || lua_type(L, b) != LUA_TSTRING) {
        script_vm_work(L, 1);
        return lua_compare(L, a, b, LUA_OPLT);
    }
    size_t la, lb;
    const char *sa = lua_tolstring(L, a, &la), *sb = lua_tolstring(L, b, &lb);
    size_t n = la < lb ? la : lb;
    for (size_t at = 0; at < n && sa != sb;) {
        size_t k = n - at > PIECE ? PIECE : n - at;
        work_bytes(L, k);
        int c = memcmp(sa + at, sb + at, k);
        if (c)
            return c < 0;
        at += k;
    }
    return la < lb;
}

/* Sifts t[i] down the heap t[1..n] (t at index 1). */
static void sift(lua_State *L, lua_Integer i, lua_Integer n, bool by_fn)
{
    lua_geti(L, 1, i);
    int v = lua_gettop(L);
    for (;;) {
        lua_Integer c = 2 * i;
        if (c > n)
            break;
        lua_geti(L, 1, c);
        if (c + 1 <= n) {
            lua_geti(L, 1, c + 1);
            if (sort_less(L, -2, -1, by_fn)) {
                lua_remove(L, -2);
                c++;
            } else {
                lua_pop(L, 1);
            }
        }
        if (!sort_less(L, v, -1, by_fn)) {
            lua_pop(L, 1);
            break;
        }
        lua_seti(L, 1, i); /* the larger child up */
        i = c;
    }
    lua_seti(L, 1, i);
}

static int sb_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n <= 1)
        return 0;
    luaL_argcheck(L, n < INT_MAX, 1, "array too big");
    bool by_fn = !lua_isnoneornil(L, 2);
    if (by_fn)
        luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    luaL_checkstack(L, 8, "table.sort");
    for (lua_Integer i = n / 2; i >= 1; i--)
        sift(L, i, n, by_fn);
    for (lua_Integer last = n; last > 1; last--) {
        lua_geti(L, 1, 1);
        lua_geti(L, 1, last);
        lua_seti(L, 1, 1);
        lua_seti(L, 1, last); /* the largest to its place */
        sift(L, 1, last - 1, by_fn);
    }
    return 0;
}

/* ---- table.concat ----------------------------------------------------------------- */

static void concat_add(lua_State *L, luaL_Buffer *b, lua_Integer i)
{
    lua_geti(L, 1, i);
    if (!lua_isstring(L, -1))
        luaL_error(L, "invalid value (at index %I) in table for 'concat'", i);
    size_t len;
    lua_tolstring(L, -1, &len);
    work_bytes(L, len);
    luaL_addvalue(b);
}

/* table.concat(t [, sep [, i [, j]]]): an element at a time, each counted. */
static int sb_concat(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t lsep;
    const char *sep = luaL_optlstring(L, 2, "", &lsep);
    lua_Integer i = luaL_optinteger(L, 3, 1);
    lua_Integer last = luaL_opt(L, luaL_checkinteger, 4, luaL_len(L, 1));
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (; i < last; i++) {
        concat_add(L, &b, i);
        luaL_addlstring(&b, sep, lsep);
    }
    if (i == last)
        concat_add(L, &b, i);
    luaL_pushresult(&b);
    return 1;
}

/* ---- table.insert, remove, move ---------------------------------------------------- */

/* table.insert, remove and move around the original (upvalue 1): each
 * loops in C over a length the script gives (a __len of 2^40, a range),
 * where no hook looks: no metatable, at most as many elements as the
 * room's memory could hold, and that many counted as work first. */
static int sb_table_bounded(lua_State *L)
{
    struct room_vm *vm = script_vm_of(L);
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    bool move = strcmp(name, "move") == 0;
    luaL_checktype(L, 1, LUA_TTABLE);
    for (int i = 1; i <= lua_gettop(L); i += 4) /* move's destination is argument 5 */
        if (lua_istable(L, i) && lua_getmetatable(L, i))
            return luaL_error(L, "table.%s: not on a table with a metatable", name);
    lua_Integer most = (lua_Integer)(vm->cap / 16), n;
    if (move) {
        lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
        if (e >= f && ((lua_Unsigned)e - (lua_Unsigned)f) >= (lua_Unsigned)most)
            return luaL_error(L, "table.move: more than %I elements", most);
        n = e >= f ? e - f + 1 : 0;
    } else if ((n = (lua_Integer)lua_rawlen(L, 1)) > most) {
        return luaL_error(L, "table.%s: more than %I elements", name, most);
    }
    script_vm_work(L, (uint64_t)n);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* ---- installed ---------------------------------------------------------------------- */

/* Replaces lib[name] (the table at index lib) by fn, with the original as
 * upvalue 1 and the name as upvalue 2. */
static void wrap(lua_State *L, int lib, const char *name, lua_CFunction fn)
{
    lua_getfield(L, lib, name);
    lua_pushstring(L, name);
    lua_pushcclosure(L, fn, 2);
    lua_setfield(L, lib, name);
}

void script_bounded_open(lua_State *L, int string_lib, int table_lib)
{
    wrap(L, string_lib, "rep", sb_rep);
    wrap(L, string_lib, "format", sb_format);
    wrap(L, table_lib, "sort", sb_sort);
    wrap(L, table_lib, "concat", sb_concat);
    static const char *const moved[] = {"insert", "remove", "move", NULL};
    for (const char *const *n = moved; *n; n++)
        wrap(L, table_lib, *n, sb_table_bounded);
}
