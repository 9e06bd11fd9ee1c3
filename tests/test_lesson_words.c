/* test_lesson_words.c: the lesson page's words hold to the glossary
 * (`lesson/lang/glossary.md`): every term has a word in each of the four
 * languages, each row's word is in that language's page words or student
 * guide and none of the words it rejects is; no Korean particle that depends
 * on the sound before it follows a `{name}`; the lesson's own English
 * sentences the page says in each language (the `srv.` keys) are the ones
 * its C writes, netsim's events (`event.`) netsim's drop log's names and the
 * relay's errors (`err.`) codes of the error table, in English its words */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../netsim/droplog.h"
#include "../proto/errors.h"
#include "support/harness.h"

static const char *const langs[] = {"en", "id", "ko", "vi"};
#define N_LANGS (sizeof langs / sizeof langs[0])

/* The terms every language has a word for. */
static const char *const terms[] = {"stream",  "flow", "segment",  "frame",      "message",
                                    "port",    "edge", "datagram", "connection", "endpoint"};

static cJSON *lang_file(const char *lang)
{
    char path[64];
    snprintf(path, sizeof path, "lesson/lang/%s.json", lang);
    char *text = harness_read_text(path);
    if (!text)
        fail_msg("%s cannot be read", path);
    cJSON *j = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(j))
        fail_msg("%s is not a JSON object", path);
    return j;
}

/* Every word lang's page and guide show, one text (the page's words a line each). */
static char *words_of(const char *lang)
{
    char path[64];
    snprintf(path, sizeof path, "docs/sockets%s%s.md", strcmp(lang, "en") ? "." : "",
             strcmp(lang, "en") ? lang : "");
    char *guide = harness_read_text(path);
    if (!guide)
        fail_msg("%s cannot be read", path);
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
    char *text = harness_read_text("lesson/lang/glossary.md");
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
            for (char *w = strtok(never, ","); w && strcmp(r->cell[4], "-"); w = strtok(NULL, ",")) {
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
    static const char *const files[] = {"lesson/live_run.c", "lesson/live_clients.c",
                                        "lesson/live_door.c", "lesson/live_http.c"};
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
            const struct proto_error_info *e = proto_error_info(proto_error_from_name(x->string + 4));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_glossary_holds),
        cmocka_unit_test(korean_particles_fit_any_value),
        cmocka_unit_test(the_lessons_sentences_are_its_own),
        cmocka_unit_test(events_and_errors_are_netsims_and_the_relays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
