/* json_strict.h: test support: JSON as a strict consumer reads it.
 * cJSON keeps both members of an object that names a key twice; ordinary
 * parsers (Python's json, jq, JavaScript) keep only the last, so a
 * duplicate silently loses a figure. These fail the test (cmocka). */
#ifndef RICOCHET_JSON_STRICT_H
#define RICOCHET_JSON_STRICT_H

#include <cjson/cJSON.h>

/* Fails the test if any object inside node (node included) names a key
 * twice, naming the key and the object it is in. */
void json_strict_no_duplicate_keys(const cJSON *node);

/* Parses text (what names it, for messages) and checks it as above. Fails
 * the test if it is not JSON. Returns the tree; the caller deletes it. */
cJSON *json_strict_parse(const char *what, const char *text);

/* json_strict_parse on every line of text that starts with '{' (JSON
 * lines), each tree handed to each(tree, ctx) if not NULL. Returns how many
 * lines there were. */
int json_strict_lines(const char *what, const char *text,
                      void (*each)(const cJSON *tree, void *ctx), void *ctx);

#endif
