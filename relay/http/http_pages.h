/* http_pages.h: the relay's own pages on its HTTP front: the play page,
 * the tag, gates and trails games' pages and their modules, compiled in from client/js/
 * (the Makefile's generated play_files.c), and GET / sent to /play. */
#ifndef RICOCHET_HTTP_PAGES_H
#define RICOCHET_HTTP_PAGES_H

#include <stddef.h>

struct http_front;

extern const char http_play_html[], http_play_js[], http_ricochet_js[];
extern const size_t http_play_html_len, http_play_js_len, http_ricochet_js_len;
extern const char http_play_lobby_js[], http_tag_html[], http_tag_js[];
extern const size_t http_play_lobby_js_len, http_tag_html_len, http_tag_js_len;
extern const char http_gates_html[], http_gates_js[];
extern const size_t http_gates_html_len, http_gates_js_len;
extern const char http_trails_html[], http_trails_js[];
extern const size_t http_trails_html_len, http_trails_js_len;

/* Registers GET (and HEAD) /play, /play.js, /ricochet.js, /play_lobby.js,
 * /tag, /tag.js, /gates, /gates.js, /trails, /trails.js (another method: 405), / (302 to /play)
 * and /favicon.ico (204) on f. Returns 0, or -1 if f has no room for them. */
int http_pages_add(struct http_front *f);

#endif
