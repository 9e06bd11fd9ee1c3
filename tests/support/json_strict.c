/* json_strict.c: duplicate-key checks on JSON output (see json_strict.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "json_strict.h"

void json_strict_no_duplicate_keys(const cJSON *node)
{
    for (const cJSON *a = node ? node->child : NULL; a; a = a->next) {
        if (cJSON_IsObject(node))
            for (const cJSON *b = a->next; b; b = b->next)
                if (strcmp(a->string, b->string) == 0)
                    fail_msg("duplicate JSON key \"%s\" in an object%s%s", a->string,
                             node->string ? " named " : "", node->string ? node->string : "");
        json_strict_no_duplicate_keys(a);
    }
}

cJSON *json_strict_parse(const char *what, const char *text)
{
    cJSON *root = cJSON_Parse(text);
    if (!root)
        fail_msg("%s is not JSON: %.300s", what, text);
    json_strict_no_duplicate_keys(root);
    return root;
}

int json_strict_lines(const char *what, const char *text,
                      void (*each)(const cJSON *tree, void *ctx), void *ctx)
{
    int n = 0;
    char *copy = strdup(text), *save = NULL;
    assert_non_null(copy);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] != '{')
            continue;
        cJSON *tree = json_strict_parse(what, line);
        if (each)
            each(tree, ctx);
        cJSON_Delete(tree);
        n++;
    }
    free(copy);
    return n;
}
