/* statsrec.c: the last stats record of a kind in a program's output. */
#include "statsrec.h"

#include <string.h>

static bool is_record(const cJSON *o, const char *program, bool want_final)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *prog = cJSON_GetObjectItemCaseSensitive(o, "program");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "stats") != 0)
        return false;
    if (program && !(cJSON_IsString(prog) && strcmp(prog->valuestring, program) == 0))
        return false;
    return !want_final || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "final"));
}

cJSON *statsrec_last(const char *text, const char *program, bool want_final)
{
    cJSON *last = NULL;
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        cJSON *o = len && line[0] == '{' ? cJSON_ParseWithLength(line, len) : NULL;
        if (o && is_record(o, program, want_final)) {
            cJSON_Delete(last);
            last = o;
        } else {
            cJSON_Delete(o);
        }
        line = eol ? eol + 1 : NULL;
    }
    return last;
}
