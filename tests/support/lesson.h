/* lesson.h: ricochet-lesson as its tests start it (test_e2e_lesson,
 * test_e2e_lesson_page): the program and its page's address, its JSON,
 * and a failure that shows what the page held. Every wait is bounded; what
 * does not come fails the test (cmocka). */
#ifndef RICOCHET_TEST_LESSON_H
#define RICOCHET_TEST_LESSON_H

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "browser.h"

/* A ricochet-lesson started by a test, and its page's address. */
struct lesson {
    struct spawn_proc proc;
    char at[64];      /* "127.0.0.1:PORT" */
    char url[96];     /* "http://127.0.0.1:PORT/" */
};

/* The end of a page's test: b closed, the folder dir removed, the lesson
 * stopped as Ctrl-C stops it (it must exit 0 within 15 s). */
void lesson_end(struct lesson *l, struct browser *b, const char *dir);

/* Starts dir/prog (ricochet-lesson, or unshare for it) with args and waits
 * up to 30 s for its URL line; fails the test with its stderr without one. */
void lesson_start(struct lesson *l, const char *dir, const char *prog,
                  const char *const *args);

/* GET path's JSON (the caller frees), or NULL unless 200 and JSON. */
cJSON *lesson_get_json(const struct lesson *l, const char *path);

/* The page's words in lang (lab/lesson/lang/LANG.json, read from the top of
 * the tree; the caller frees), and one of them by key (fails without it). */
cJSON *lesson_lang(const char *lang);
const char *lesson_word(const cJSON *file, const char *key);

/* Fails the test with what, the page's snapshot and console beside it. */
void lesson_fail_with_page(struct browser *b, const char *what);

/* The Python program of docs/sockets.md whose first line is first, as the
 * page shows it, into dir/name (its path into path). */
void lesson_doc_program(const char *first, const char *dir, const char *name, char *path,
                        size_t cap);

/* The Python players of docs/sockets.md (UDP, then TCP) written into dir and
 * started through l's door for 120 s (past every check of a busy machine's
 * minute; stopped by the caller), once b says the door. Returns the door's
 * port. */
int lesson_doc_players(const struct lesson *l, struct browser *b, const char *dir,
                       struct spawn_proc *udp, struct spawn_proc *tcp);

/* The door's port the lesson printed (udp:// and tcp:// on 127.0.0.1). */
int lesson_door_port(const struct lesson *l);

/* The port a player of the docs printed ("my port N"), once it has. */
int lesson_player_port(const struct spawn_proc *p);

#endif
