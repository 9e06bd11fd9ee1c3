/* test_lesson_page.c: what the lesson's page server hands the page besides the
 * figures: every language's words, complete and held to the glossary, and the
 * keys the page asks for. */
/* What the lesson's page server hands the page besides the
 * figures: every language's words (`lab/lesson/lang/LANG.json`) with English's keys
 * and no other, each a non-empty string with the same `{names}`; every key the
 * page asks for (`lesson.html` and its JavaScript modules in `lab/lesson/`) is English's
 * and every one of English's is asked for (those made of the server's names
 * by their family: a lane's, a state's, netsim's event, an error code, the
 * lesson's own sentences); a lane's English title is the lane
 * table's and every lane has one; the words hold to the glossary
 * (`lab/lesson/lang/glossary.md`): every term has a word in each language, each
 * row's word is in that language's page words, student guide or class
 * sheets (`docs/class/`) and none of the words it rejects is; what misled
 * a beginner said right in every language: "1024" beside the ports, a
 * polling lane's state waiting for the receiver's next GET, a lost state's
 * bytes as the sender sent them, the handshake dated on the lesson's clock,
 * a program's lane with the door it sent to and its ports' kinds, a
 * sentence beginning with a name in capitals, a font for Hangul
 * (`fonts-noto-cjk` named in the plans) and its words unbroken; English's "a" and "an" fit the word after them
 * (none before a `{name}`), and no Korean particle that depends on the sound
 * before it follows a `{name}`; the lesson's own English sentences the page
 * says in each language (`srv.`) are the ones its C writes, netsim's events
 * (`event.`) its drop log's names and the relay's errors (`err.`) codes of
 * the error table, in English its words; the page (lesson_words.js, run by
 * node) says a sentence of the lesson's inside another in Korean, its lane's
 * name and the relay's error words too; netsim's model after the lesson's
 * options and the page's changes (the presets, a change naming only the
 * delay) turned back into the controls that made it (`live_controls_in_force`),
 * anything else refused; a rate asked as a share of what the lanes send
 * (the saturated uplink's preset) is that share of it in kbit/s, and
 * refused while nothing is measured */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bench/bench.h"
#include "lab/lesson/live_controls.h"
#include "lab/netsim/droplog.h"
#include "lab/netsim/netsim.h"
#include "lab/netsim/netsim_options.h"
#include "proto/errors.h"
#include "sys/log.h"
#include "tests/support/harness.h"

static const char *const langs[] = {"en", "id", "ko", "vi"};
#define N_LANGS (sizeof langs / sizeof langs[0])

static cJSON *lang_file(const char *lang)
{
    char path[64];
    snprintf(path, sizeof path, "lab/lesson/lang/%s.json", lang);
    char *text = harness_read_text(path);
    if (!text)
        fail_msg("%s cannot be read", path);
    cJSON *j = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(j))
        fail_msg("%s is not a JSON object", path);
    return j;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* text's {name}s, sorted, as "a b c " into out. */
static void names_of(const char *text, char *out, size_t cap)
{
    char names[16][32];
    size_t n = 0;
    for (const char *p = strchr(text, '{'); p && n < 16; p = strchr(p + 1, '{')) {
        size_t len = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_0123456789");
        if (len && len < 32 && p[1 + len] == '}')
            snprintf(names[n++], 32, "%.*s", (int)len, p + 1);
    }
    qsort(names, n, sizeof names[0], by_name);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), cap - strlen(out), "%s ", names[i]);
}

/* The faults of lang's file against English's, each said; how many. */
static int faults_of(const char *lang, const cJSON *en, const cJSON *l)
{
    int faults = 0;
    const cJSON *e, *x;
    cJSON_ArrayForEach(x, l) {
        const cJSON *first = cJSON_GetObjectItemCaseSensitive(l, x->string);
        if (first != x)
            print_error("lab/lesson/lang/%s.json: \"%s\" twice\n", lang, x->string), faults++;
        if (!cJSON_IsString(x) || !x->valuestring[0])
            print_error("lab/lesson/lang/%s.json: \"%s\" is not words\n", lang, x->string), faults++;
        if (!cJSON_GetObjectItemCaseSensitive(en, x->string))
            print_error("lab/lesson/lang/%s.json: \"%s\" is not a key of en.json\n", lang,
                        x->string), faults++;
    }
    cJSON_ArrayForEach(e, en) {
        x = cJSON_GetObjectItemCaseSensitive(l, e->string);
        char want[256], got[256];
        if (!x) {
            print_error("lab/lesson/lang/%s.json: no \"%s\"\n", lang, e->string), faults++;
            continue;
        }
        names_of(cJSON_IsString(e) ? e->valuestring : "", want, sizeof want);
        names_of(cJSON_IsString(x) ? x->valuestring : "", got, sizeof got);
        if (strcmp(want, got) != 0)
            print_error("lab/lesson/lang/%s.json: \"%s\" has {%s} where English has {%s}\n", lang,
                        e->string, got, want), faults++;
    }
    return faults;
}

/* Every language: English's keys, no other, each with English's {names}. */
static void every_language_has_every_key(void **state)
{
    (void)state;
    cJSON *en = lang_file("en");
    int faults = 0;
    assert_true(cJSON_GetArraySize(en) > 50);
    for (size_t i = 0; i < N_LANGS; i++) {
        cJSON *l = lang_file(langs[i]);
        faults += faults_of(langs[i], en, l);
        cJSON_Delete(l);
    }
    cJSON_Delete(en);
    assert_int_equal(faults, 0);
}

/* Is key's family (before its first dot) one of en's keys'? */
static bool a_family(const cJSON *en, const char *key, size_t len)
{
    const cJSON *e;
    size_t fam = strcspn(key, ".");
    cJSON_ArrayForEach(e, en)
        if (strcspn(e->string, ".") == fam && !strncmp(e->string, key, fam) && fam < len)
            return true;
    return false;
}

#define KEY_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

/* The keys text names (a word of a known family, dotted, between quotes or
 * after data-i18n=) missing from en, each said; how many. */
static int unknown_keys(const char *file, const char *text, const cJSON *en)
{
    int faults = 0;
    for (const char *p = text; *p; p++) {
        if (!strchr("\"'`=", *p))
            continue;
        size_t len = strspn(p + 1, KEY_CHARS);
        const char *end = p + 1 + len;
        if (!len || !memchr(p + 1, '.', len) || p[len] == '.' || !*end ||
            !strchr("\"'`> ", *end) || !a_family(en, p + 1, len))
            continue;
        char key[96];
        snprintf(key, sizeof key, "%.*s", (int)len, p + 1);
        if (!cJSON_GetObjectItemCaseSensitive(en, key))
            print_error("%s asks for \"%s\", a key of no language\n", file, key), faults++;
    }
    return faults;
}

/* Does text name key as a word of its own? */
static bool names(const char *text, const char *key)
{
    size_t len = strlen(key);
    for (const char *p = strstr(text, key); p; p = strstr(p + 1, key))
        if ((p == text || !strchr(KEY_CHARS, p[-1])) && !strchr(KEY_CHARS, p[len]))
            return true;
    return false;
}

/* The page asks only for keys English has, and for every one of them but
 * those made of the server's names (lane., state.). */
static void the_page_asks_for_every_key(void **state)
{
    (void)state;
    cJSON *en = lang_file("en");
    static const char *const modules[] = {"lab/lesson/lesson.js", "lab/lesson/lesson_guests.js",
                                          "lab/lesson/lesson_words.js", "lab/lesson/lesson_calls.js",
                                          "lab/lesson/lesson_arena.js", "lab/lesson/lesson_inspect.js"};
    char *html = harness_read_text("lab/lesson/lesson.html"), *js = calloc(1, 1);
    assert_non_null(html);
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) { /* the page's modules */
        char *text = harness_read_text(modules[i]);
        assert_non_null(text);
        js = realloc(js, strlen(js) + strlen(text) + 2);
        assert_non_null(js);
        strcat(strcat(js, "\n"), text);
        free(text);
    }
    int faults = unknown_keys("lab/lesson/lesson.html", html, en) +
                 unknown_keys("the page's modules (lesson/, .js)", js, en);
    static const char *const families[] = {"lane.", "state.", "event.", "err.", "srv."};
    const cJSON *e;
    cJSON_ArrayForEach(e, en) {
        bool by_family = false;
        for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
            by_family |= !strncmp(e->string, families[i], strlen(families[i]));
        if (by_family)
            continue;
        if (!names(html, e->string) && !names(js, e->string))
            print_error("lab/lesson/lang/en.json: \"%s\" is asked for by nothing\n", e->string),
                faults++;
    }
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        char quoted[16];
        snprintf(quoted, sizeof quoted, "\"%s\"", families[i]);
        if (!names(js, quoted))
            print_error("the page asks for no \"%s\" key\n", families[i]), faults++;
    }
    free(html);
    free(js);
    cJSON_Delete(en);
    assert_int_equal(faults, 0);
}

/* Each lane.NAME is a lane of the table, its English its title, and each
 * lane of the lesson has one; the lesson's lane states (live_lanes.c) have their words. */
static void lanes_are_the_tables(void **state)
{
    (void)state;
    cJSON *en = lang_file("en");
    const cJSON *e;
    int faults = 0, lanes = 0;
    cJSON_ArrayForEach(e, en) {
        if (strncmp(e->string, "lane.", 5) != 0)
            continue;
        const struct bench_lane *l = NULL;
        for (int i = 0; i < BENCH_MODES && !l; i++)
            if (bench_lane(i) && !strcmp(bench_lane(i)->name, e->string + 5))
                l = bench_lane(i);
        lanes++;
        if (!l)
            print_error("lab/lesson/lang/en.json: \"%s\" names no lane\n", e->string), faults++;
        else if (strcmp(l->title, e->valuestring) != 0)
            print_error("lab/lesson/lang/en.json: \"%s\" is \"%s\", the lane table's title \"%s\"\n",
                        e->string, e->valuestring, l->title), faults++;
    }
    int rows = 0; /* and every lane of the page has its words */
    for (int i = 0; i < BENCH_MODES; i++)
        rows += bench_lane(i) != NULL;
    assert_int_equal(lanes, rows);
    assert_non_null(cJSON_GetObjectItem(en, "state.missing"));
    assert_non_null(cJSON_GetObjectItem(en, "state.starting"));
    cJSON_Delete(en);
    assert_int_equal(faults, 0);
}

/* ---- the glossary ---- */

/* The terms every language has a word for. */
static const char *const terms[] = {"stream",  "flow", "segment",  "frame",      "message",
                                    "port",    "edge", "datagram", "connection", "endpoint"};

/* Every word lang's page and guide show, one text (the page's words a line each). */
static char *words_of(const char *lang)
{
    char path[64];
    snprintf(path, sizeof path, "docs/sockets%s%s.md", strcmp(lang, "en") ? "." : "",
             strcmp(lang, "en") ? lang : "");
    char *guide = harness_read_text(path);
    if (!guide)
        fail_msg("%s cannot be read", path);
    static const char *const sheets[] = {"plan", "worksheet"}; /* the class's, docs/class/ */
    for (size_t k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "docs/class/%s.%s.md", sheets[k], lang);
        char *sheet = harness_read_text(path);
        if (!sheet)
            fail_msg("%s cannot be read", path);
        guide = realloc(guide, strlen(guide) + strlen(sheet) + 2);
        assert_non_null(guide);
        strcat(strcat(guide, "\n"), sheet);
        free(sheet);
    }
    cJSON *file = lang_file(lang);
    size_t cap = strlen(guide) + 2, len = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, file) cap += strlen(x->valuestring) + 1;
    char *all = malloc(cap);
    assert_non_null(all);
    cJSON_ArrayForEach(x, file) len += (size_t)sprintf(all + len, "%s\n", x->valuestring);
    strcpy(all + len, guide);
    free(guide);
    cJSON_Delete(file);
    return all;
}

/* A glossary row: | term | language | word | the course's word | never |. */
struct row {
    char cell[5][160];
};

/* The rows of the glossary's table (not its header), into rows; how many. */
static size_t glossary(struct row *rows, size_t cap)
{
    char *text = harness_read_text("lab/lesson/lang/glossary.md");
    assert_non_null(text);
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line && n < cap; line = strtok(NULL, "\n")) {
        if (strncmp(line, "| ", 2) != 0 || !strncmp(line, "| term ", 7))
            continue;
        struct row r = {0};
        int k = 0;
        for (char *p = line + 1; *p && k < 5; k++) {
            size_t w = strcspn(p, "|");
            while (w && p[w - 1] == ' ')
                w--;
            while (*p == ' ' && w)
                p++, w--;
            snprintf(r.cell[k], sizeof r.cell[k], "%.*s", (int)w, p);
            p = strchr(p, '|');
            p = p ? p + 1 : p + strlen(p);
        }
        assert_int_equal(k, 5);
        rows[n++] = r;
    }
    free(text);
    return n;
}

/* Each term a word in each language; each word used, none rejected. */
static void the_glossary_holds(void **state)
{
    (void)state;
    static struct row rows[128];
    size_t n = glossary(rows, 128);
    int faults = 0;
    for (size_t t = 0; t < sizeof terms / sizeof terms[0]; t++)
        for (size_t l = 0; l < N_LANGS; l++) {
            bool found = false;
            for (size_t i = 0; i < n; i++)
                found |= !strcmp(rows[i].cell[0], terms[t]) && !strcmp(rows[i].cell[1], langs[l]);
            if (!found)
                print_error("glossary: no %s word for \"%s\"\n", langs[l], terms[t]), faults++;
        }
    for (size_t l = 0; l < N_LANGS; l++) {
        char *words = words_of(langs[l]);
        for (size_t i = 0; i < n; i++) {
            const struct row *r = &rows[i];
            if (strcmp(r->cell[1], langs[l]) != 0)
                continue;
            if (!strstr(words, r->cell[2]))
                print_error("%s: \"%s\" (%s) is used nowhere\n", langs[l], r->cell[2],
                            r->cell[0]), faults++;
            char never[160];
            snprintf(never, sizeof never, "%s", r->cell[4]);
            bool none = !strcmp(r->cell[4], "-");
            for (char *w = strtok(never, ","); w && !none; w = strtok(NULL, ",")) {
                w += strspn(w, " ");
                if (strstr(words, w))
                    print_error("%s: \"%s\" where the glossary says \"%s\" (%s)\n", langs[l], w,
                                r->cell[2], r->cell[0]), faults++;
            }
        }
        free(words);
    }
    assert_true(n >= N_LANGS * (sizeof terms / sizeof terms[0]));
    assert_int_equal(faults, 0);
}

/* What misled a beginner, said right in every language: "1024" beside the
 * ports (a well-known one below it, an ephemeral one above), a state
 * waiting for the receiver's next GET (not "for the question"), a lost
 * state's bytes as the sender sent them, the handshake dated on the
 * lesson's clock and said to date from the connection's start, a
 * program's lane with the door it sent to and its ports' kinds; Hangul
 * in the page's fonts and unbroken in a lane's title, and the Debian
 * package that brings the font named. */
static void the_small_things_said(void **state)
{
    (void)state;
    static const char *const question[N_LANGS] = {"waits for the question", "menunggu pertanyaan",
                                                  "질문을 기다리", "chờ câu hỏi"};
    int faults = 0;
    for (size_t l = 0; l < N_LANGS; l++) {
        cJSON *f = lang_file(langs[l]);
#define WORD(KEY) (cJSON_IsString(cJSON_GetObjectItem(f, KEY)) ? \
                   cJSON_GetObjectItem(f, KEY)->valuestring : "")
        static const char *const with_1024[] = {"ports.key", "ends.client", "port.poll",
                                                "port.quic"};
        for (size_t i = 0; i < 4; i++)
            if (!strstr(WORD(with_1024[i]), "1024"))
                print_error("%s: \"%s\" says no 1024\n", langs[l], with_1024[i]), faults++;
        if (strstr(WORD("http.key"), question[l]))
            print_error("%s: a state \"%s\"\n", langs[l], question[l]), faults++;
        if (!strstr(WORD("hs.segment"), "{t}") || !strstr(WORD("hs.when"), "{t}"))
            print_error("%s: the handshake not dated on the lesson's clock\n", langs[l]), faults++;
        static const char *const ends[] = {"guest.endpoint", "guest.endpoint_proxy"};
        for (size_t i = 0; i < 2; i++)
            if (!strstr(WORD(ends[i]), "{door}") || !strstr(WORD(ends[i]), "{port}") ||
                !strstr(WORD(ends[i]), "{dport}"))
                print_error("%s: \"%s\" leaves out the door or a port\n", langs[l], ends[i]),
                    faults++;
        if (!*WORD("insp.bytes_sent") || !strcmp(WORD("insp.bytes_sent"), WORD("insp.bytes")))
            print_error("%s: a lost state's bytes as the receiver read them\n", langs[l]), faults++;
        if (!strcmp(langs[l], "en") && strstr(WORD("insp.bytes_sent"), "receiver read"))
            print_error("en: a lost state's bytes as the receiver read them\n"), faults++;
#undef WORD
        cJSON_Delete(f);
        char path[64];
        snprintf(path, sizeof path, "docs/class/plan.%s.md", langs[l]);
        char *plan = harness_read_text(path);
        if (!plan || !strstr(plan, "fonts-noto-cjk"))
            print_error("%s: no fonts-noto-cjk\n", path), faults++;
        free(plan);
    }
    static const char *const pages[] = {"lab/lesson/lesson.html", "lab/lesson/worksheet.html"};
    for (size_t i = 0; i < 2; i++) {
        char *html = harness_read_text(pages[i]);
        assert_non_null(html);
        if (!strstr(html, "\"Noto Sans CJK KR\"") || !strstr(html, "word-break: keep-all"))
            print_error("%s: no font for Hangul, or its words broken\n", pages[i]), faults++;
        free(html);
    }
    char *calls = harness_read_text("lab/lesson/lesson_calls.js");
    assert_non_null(calls);
    if (!strstr(calls, "cap(tr(\"calls.client\"") || !strstr(calls, "cap(tr(\"hs.head\""))
        print_error("lesson_calls.js: a sentence that begins with a name in lower case\n"),
            faults++;
    free(calls);
    assert_int_equal(faults, 0);
}

/* Does the English word w start with a vowel's sound ("an")? 1, 0, or -1
 * if that depends on a {name}'s value. */
static int vowel_sound(const char *w)
{
    if (*w == '{')
        return -1;
    if (!strncmp(w, "uni", 3) || !strncmp(w, "us", 2) || !strncmp(w, "one", 3))
        return 0; /* "a unit", "a use", "a one-way" */
    return *w && strchr("aeiou", *w) ? 1 : 0;
}

/* English: "a" before a consonant's sound, "an" before a vowel's, and
 * neither before a {name} (its value decides: "a unsequenced"). */
static void english_articles_fit(void **state)
{
    (void)state;
    cJSON *en = lang_file("en");
    int faults = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, en)
        for (const char *p = e->valuestring; p && *p; p++) {
            bool an = !strncasecmp(p, "an ", 3), a = !strncasecmp(p, "a ", 2);
            if ((p > e->valuestring && isalpha((unsigned char)p[-1])) || (!a && !an))
                continue;
            int v = vowel_sound(p + (an ? 3 : 2)); /* lower case: acronyms say their letters */
            if (v < 0 || (islower((unsigned char)p[an ? 3 : 2]) && v != an))
                print_error("en.json \"%s\": \"%.24s\"\n", e->string, p), faults++;
        }
    cJSON_Delete(en);
    assert_int_equal(faults, 0);
}

/* Korean: no particle whose form depends on the sound before it right after a {name}. */
static void korean_particles_fit_any_value(void **state)
{
    (void)state;
    static const char *const particles[] = {"로", "으로", "을", "를", "이", "가",
                                            "은", "는",   "과", "와"};
    cJSON *ko = lang_file("ko");
    const cJSON *x;
    int faults = 0;
    cJSON_ArrayForEach(x, ko) {
        for (const char *p = strchr(x->valuestring, '}'); p; p = strchr(p + 1, '}'))
            for (size_t i = 0; i < sizeof particles / sizeof particles[0]; i++)
                if (!strncmp(p + 1, particles[i], strlen(particles[i])))
                    print_error("ko.json: \"%s\": %s after a {name}\n", x->string,
                                particles[i]), faults++;
    }
    cJSON_Delete(ko);
    assert_int_equal(faults, 0);
}

/* The string literals of the lesson's C, adjacent ones joined ("a" "b" is "ab"). */
static char *lesson_literals(void)
{
    static const char *const files[] = {"lab/lesson/live_run.c", "lab/lesson/live_clients.c",
                                        "lab/lesson/live_door.c", "lab/lesson/live_http.c",
                                        "lab/lesson/live_calls.c"};
    size_t cap = 1, len = 0;
    char *all = malloc(cap);
    assert_non_null(all);
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char *text = harness_read_text(files[f]);
        assert_non_null(text);
        all = realloc(all, cap += strlen(text));
        assert_non_null(all);
        for (const char *p = text; *p; p++) {
            if (*p == '"' && p[1 + strspn(p + 1, " \t\n")] == '"' && strspn(p + 1, " \t\n")) {
                p += strspn(p + 1, " \t\n") + 1; /* a literal goes on in the next */
                continue;
            }
            all[len++] = *p;
        }
        free(text);
    }
    all[len] = '\0';
    return all;
}

/* Each srv. sentence is the lesson's: its words between {names} (four
 * characters or more) in the lesson's literals; one without names, a literal
 * (or a line the page server answers). */
static void the_lessons_sentences_are_its_own(void **state)
{
    (void)state;
    cJSON *en = lang_file("en");
    char *c = lesson_literals();
    const cJSON *x;
    int faults = 0, sentences = 0;
    cJSON_ArrayForEach(x, en) {
        if (strncmp(x->string, "srv.", 4) != 0)
            continue;
        sentences++;
        const char *s = x->valuestring;
        char piece[256];
        if (!strchr(s, '{')) { /* a literal of its own, or an answer's line */
            char line[260];
            snprintf(piece, sizeof piece, "\"%s\"", s);
            snprintf(line, sizeof line, "\"%s\\n\"", s);
            if (!strstr(c, piece) && !strstr(c, line))
                print_error("en.json: \"%s\" (\"%s\") is no sentence of the lesson's\n",
                            x->string, s), faults++;
            continue;
        }
        for (const char *p = s; *p;) {
            size_t n = strcspn(p, "{");
            snprintf(piece, sizeof piece, "%.*s", (int)n, p);
            if (n >= 4 && !strstr(c, piece))
                print_error("en.json: \"%s\": \"%s\" is in no sentence of the lesson's\n",
                            x->string, piece), faults++;
            p += n;
            if (*p == '{')
                p += strcspn(p, "}") + (p[strcspn(p, "}")] ? 1 : 0);
        }
    }
    free(c);
    cJSON_Delete(en);
    assert_true(sentences > 20);
    assert_int_equal(faults, 0);
}

/* event.NAME: a name of netsim's drop log; err.CODE: a code of the relay's
 * error table, its English the table's words. */
static void events_and_errors_are_netsims_and_the_relays(void **state)
{
    (void)state;
    cJSON *en = lang_file("en");
    const cJSON *x;
    int faults = 0, events = 0, errors = 0;
    cJSON_ArrayForEach(x, en) {
        if (!strncmp(x->string, "event.", 6)) {
            events++;
            if (droplog_event_parse(x->string + 6) < 0)
                print_error("en.json: \"%s\" is no event of netsim's\n", x->string), faults++;
        } else if (!strncmp(x->string, "err.", 4)) {
            errors++;
            enum proto_error_code code = proto_error_from_name(x->string + 4);
            const struct proto_error_info *e = proto_error_info(code);
            if (!e)
                print_error("en.json: \"%s\" is no error code\n", x->string), faults++;
            else if (strcmp(e->text, x->valuestring) != 0)
                print_error("en.json: \"%s\" is not the table's \"%s\"\n", x->string, e->text),
                    faults++;
        }
    }
    cJSON_Delete(en);
    assert_true(events >= 4 && errors >= 10);
    assert_int_equal(faults, 0);
}

/* lang's words of key, each {name} of vars (name, value, ..., NULL) filled in. */
static char *fill(const cJSON *l, const char *key, const char *const *vars)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(l, key);
    assert_true(cJSON_IsString(t));
    char *out = calloc(1, 1024);
    assert_non_null(out);
    for (const char *p = t->valuestring; *p;) {
        const char *value = NULL;
        size_t n = *p == '{' ? strcspn(p, "}") + 1 : 0;
        for (size_t i = 0; n && vars[i]; i += 2)
            if (strlen(vars[i]) == n - 2 && !strncmp(p + 1, vars[i], n - 2))
                value = vars[i + 1];
        if (value)
            strncat(out, value, 1023 - strlen(out));
        else
            strncat(out, p, 1 + (n = 0));
        p += n ? n : 1;
    }
    return out;
}

/* The lesson's sentences as the page says them in Korean (lesson_words.js
 * run by node): a sentence inside another, a lane's name, the relay's error
 * words, each in Korean words and order. */
static void the_lessons_sentences_said(void **state)
{
    (void)state;
    if (system("node --version > /dev/null 2>&1") != 0)
        skip();
    char cwd[512], cmd[2048];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(cmd, sizeof cmd, "node --input-type=module -e '"
             "import { i18n, said } from \"file://%s/lab/lesson/lesson_words.js\";"
             "import fs from \"fs\";"
             "i18n.en = JSON.parse(fs.readFileSync(\"lab/lesson/lang/en.json\"));"
             "i18n.dict = JSON.parse(fs.readFileSync(\"lab/lesson/lang/ko.json\"));"
             "i18n.lang = \"ko\";"
             "console.log(said(\"the relay was killed by signal 9 at 14:03:07; starting it again\"));"
             "console.log(said(\"tcp: its receiver was disconnected at 10:11:50: not_joined "
             "(not a member of a room: join first); it alone connects again; started again at "
             "10:11:52\"));'", cwd);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char got[2][1024] = {"", ""};
    for (int i = 0; i < 2 && fgets(got[i], sizeof got[i], p); i++)
        got[i][strcspn(got[i], "\n")] = '\0';
    assert_int_equal(pclose(p), 0);
    cJSON *ko = lang_file("ko");
    const cJSON *relay = cJSON_GetObjectItem(ko, "srv.the_relay");
    char *killed = fill(ko, "srv.killed", (const char *const[]){"who", relay->valuestring,
                        "signal", "9", "at", "14:03:07", NULL});
    char *want = fill(ko, "srv.starting_again", (const char *const[]){"incident", killed, NULL});
    assert_string_equal(got[0], want);
    char *lost = fill(ko, "srv.client_lost_text", (const char *const[]){
        "role", cJSON_GetObjectItem(ko, "srv.receiver")->valuestring, "at", "10:11:50", "code",
        "not_joined", "text", cJSON_GetObjectItem(ko, "err.not_joined")->valuestring, NULL});
    char *lane = fill(ko, "srv.lane_lost", (const char *const[]){
        "lane", cJSON_GetObjectItem(ko, "lane.tcp")->valuestring, "why", lost, NULL});
    char *again = fill(ko, "srv.started_again", (const char *const[]){"incident", lane, "at",
                       "10:11:52", NULL});
    assert_string_equal(got[1], again);
    print_message("%s\n%s\n", got[0], got[1]);
    free(killed), free(want), free(lost), free(lane), free(again);
    cJSON_Delete(ko);
}

/* ---- the model in force ---- */

/* A netsim as the lesson starts it, --loss, --delay and --jitter the
 * path's per hop (bench_params_per_hop). */
static void netsim_started(struct netsim_options *cfg, double loss, double delay, double jitter)
{
    struct bench_params p = {.loss_pct = loss, .delay_ms = delay, .jitter_ms = jitter};
    char a[3][32];
    bench_params_per_hop(&p, &loss, &delay, &jitter);
    snprintf(a[0], 32, "%.6f", loss);
    snprintf(a[1], 32, "%.6f", delay);
    snprintf(a[2], 32, "%.6f", jitter);
    char *argv[] = {"ricochet-netsim", "--listen", "127.0.0.1:1", "--relay", "127.0.0.1:2",
                    "--loss", a[0], "--delay", a[1], "--jitter", a[2], NULL};
    struct netsim_setup setup;
    netsim_configure(cfg, &setup, 11, argv);
    log_threshold = LOG_OFF;
}

/* netsim's answer to a PUT /model of what the lesson makes of controls
 * (netsim_metrics.c's form: {"up": {...}, "down": {...}}), into out. */
static void netsim_answer(struct netsim_options *cfg, const char *controls, char *out,
                          size_t cap)
{
    char *body = NULL, err[256];
    struct netsim_model models[NETSIM_DIRS];
    assert_int_equal(live_controls_to_model(controls, NULL, &body, err, sizeof err), 0);
    if (netsim_model_apply(cfg, body, models, err, sizeof err) != 0)
        fail_msg("netsim refused %s: %s", body, err);
    free(body);
    cJSON *root = cJSON_CreateObject();
    for (int d = 0; d < NETSIM_DIRS; d++) {
        cJSON *o = cJSON_AddObjectToObject(root, d ? "down" : "up");
        char value[64], *end;
        const char *name;
        for (size_t i = 0; (name = netsim_model_field(&models[d], i, value, sizeof value)); i++) {
            double x = strtod(value, &end);
            if (!strcmp(value, "true") || !strcmp(value, "false"))
                cJSON_AddBoolToObject(o, name, value[0] == 't');
            else if (end != value && !*end)
                cJSON_AddNumberToObject(o, name, x);
        }
    }
    char *text = cJSON_PrintUnformatted(root);
    snprintf(out, cap, "%s", text);
    free(text);
    cJSON_Delete(root);
}

/* The controls in force from answer, each of want's at its value. */
static void in_force_is(const char *answer, const char *want)
{
    char text[2048];
    assert_int_equal(live_controls_in_force(answer, text, sizeof text), 0);
    cJSON *got = cJSON_Parse(text), *w = cJSON_Parse(want);
    const cJSON *x;
    cJSON_ArrayForEach(x, w) {
        const cJSON *g = cJSON_GetObjectItem(got, x->string);
        if (!g || (cJSON_IsNumber(x) ? !cJSON_IsNumber(g) || fabs(g->valuedouble -
                                                                   x->valuedouble) > 0.005
                                     : cJSON_IsTrue(x) != cJSON_IsTrue(g)))
            fail_msg("%s: in force %s, want %s", x->string, text, want);
    }
    cJSON_Delete(got);
    cJSON_Delete(w);
}

static void the_model_in_force_as_controls(void **state)
{
    (void)state;
    struct netsim_options cfg;
    char answer[4096];
    netsim_started(&cfg, 5, 40, 10); /* ricochet-lesson --path-loss 5 --path-delay 40 ... */
    netsim_answer(&cfg, "{}", answer, sizeof answer);
    in_force_is(answer, "{\"path-loss\": 5, \"burst-length\": 0, \"path-delay\": 40,"
                        " \"path-jitter\": 10, \"reorder\": false, \"up-rate-kbps\": 0,"
                        " \"down-rate-kbps\": 0, \"queue-limit\": 1000}");
    static const char *const pages[] = { /* the page's presets, as it sends them */
        "{\"path-loss\": 0.5, \"burst-length\": 0, \"path-delay\": 10, \"path-jitter\": 4,"
        " \"reorder\": true, \"up-rate-kbps\": 0, \"down-rate-kbps\": 0, \"queue-limit\": 100}",
        "{\"path-loss\": 4, \"burst-length\": 10, \"path-delay\": 120, \"path-jitter\": 40,"
        " \"reorder\": true, \"up-rate-kbps\": 0, \"down-rate-kbps\": 0, \"queue-limit\": 100}",
        "{\"path-loss\": 2, \"burst-length\": 3, \"path-delay\": 60, \"path-jitter\": 10,"
        " \"reorder\": false, \"up-rate-kbps\": 112, \"down-rate-kbps\": 256, \"queue-limit\": 100}",
        "{\"path-loss\": 29.5, \"burst-length\": 10, \"path-delay\": 400, \"path-jitter\": 200,"
        " \"reorder\": true, \"up-rate-kbps\": 64, \"down-rate-kbps\": 1024, \"queue-limit\": 100}",
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        netsim_answer(&cfg, pages[i], answer, sizeof answer);
        in_force_is(answer, pages[i]);
    }
    /* a PUT naming some: netsim keeps the rest, a path without its loss has none */
    netsim_answer(&cfg, "{\"path-delay\": 60}", answer, sizeof answer);
    in_force_is(answer, "{\"path-loss\": 0, \"burst-length\": 0, \"path-delay\": 60,"
                        " \"path-jitter\": 0, \"up-rate-kbps\": 64, \"down-rate-kbps\": 1024}");
    char out[256];
    static const char *const bad[] = {"", "x", "{}", "{\"up\": {}}", "[1]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(live_controls_in_force(bad[i], out, sizeof out), -1);
    netsim_answer(&cfg, "{}", answer, sizeof answer);
    assert_int_equal(live_controls_in_force(answer, out, 16), -1); /* too small */
}

/* The saturated uplink's preset asks for a share of what the lanes send:
 * netsim gets that share in kbit/s (steps of 8, at least 8); nothing
 * measured yet, or a share outside (0, 1], is refused with a reason. */
static void a_rate_as_a_share_of_what_the_lanes_send(void **state)
{
    (void)state;
    const double offered[2] = {470.4, 512};
    char *body = NULL, err[256] = "";
    assert_int_equal(live_controls_to_model("{\"up-rate-share\": 0.8, \"down-rate-share\": 0.5}",
                                            offered, &body, err, sizeof err), 0);
    cJSON *o = cJSON_Parse(body);
    assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "up-rate-kbps")) == 376);
    assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "down-rate-kbps")) == 256);
    assert_null(cJSON_GetObjectItem(o, "up-rate-share"));
    cJSON_Delete(o);
    free(body);
    const double little[2] = {3, 0};
    assert_int_equal(live_controls_to_model("{\"up-rate-share\": 0.5}", little, &body, err,
                                            sizeof err), 0);
    assert_non_null(strstr(body, "\"up-rate-kbps\":8"));
    free(body);
    assert_int_equal(live_controls_to_model("{\"up-rate-share\": 0.8}", NULL, &body, err,
                                            sizeof err), -1);
    assert_null(body);
    assert_non_null(strstr(err, "nothing measured yet"));
    assert_int_equal(live_controls_to_model("{\"down-rate-share\": 0.8}", little, &body, err,
                                            sizeof err), -1);
    static const char *const bad[] = {"{\"up-rate-share\": 0}", "{\"up-rate-share\": 1.5}",
                                      "{\"up-rate-share\": \"x\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(live_controls_to_model(bad[i], offered, &body, err, sizeof err), -1);
        assert_non_null(strstr(err, "a share of what the lanes send"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_language_has_every_key),
        cmocka_unit_test(the_page_asks_for_every_key),
        cmocka_unit_test(lanes_are_the_tables),
        cmocka_unit_test(the_glossary_holds),
        cmocka_unit_test(the_small_things_said),
        cmocka_unit_test(english_articles_fit),
        cmocka_unit_test(korean_particles_fit_any_value),
        cmocka_unit_test(the_lessons_sentences_are_its_own),
        cmocka_unit_test(events_and_errors_are_netsims_and_the_relays),
        cmocka_unit_test(the_lessons_sentences_said),
        cmocka_unit_test(the_model_in_force_as_controls),
        cmocka_unit_test(a_rate_as_a_share_of_what_the_lanes_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
