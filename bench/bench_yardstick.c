/* bench_yardstick.c: the floor and the reference relay's cost beside each
 * JSON record of the bench (bench_yardstick.h): apart from the reports,
 * since the mode records (bench_report.c), the world records
 * (bench_world.c) and the lockstep ones (bench_lockstep.c) carry them. */
#include "bench_yardstick.h"

#include <stdlib.h>

void bench_yardstick_floor(cJSON *o, double floor_dps)
{
    if (floor_dps <= 0)
        return;
    cJSON_AddNumberToObject(o, "floor_dgrams_per_s", floor_dps);
    cJSON_AddNumberToObject(o, "floor_us_per_dgram", 1e6 / floor_dps);
}

void bench_yardstick_json(FILE *f, const struct bench_run_info *info, const char *key,
                          cJSON *records)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "command", info->command);
    cJSON_AddStringToObject(root, "date", info->date);
    cJSON *o;
    cJSON_ArrayForEach(o, records)
        bench_yardstick_floor(o, info->floor_dps);
    cJSON_AddItemToObject(root, key, records);
    char *text = cJSON_Print(root);
    if (text)
        fprintf(f, "%s\n", text);
    free(text);
    cJSON_Delete(root);
}

void bench_yardstick_reference(cJSON *o, const struct bench_result *x,
                               const struct bench_result *r, size_t n)
{
    if (!x->relay_measured || !x->delivered)
        return;
    for (size_t i = 0; i < n; i++) {
        const struct bench_result *ref = &r[i];
        if (ref->carrier != BENCH_CARRIER_REFERENCE ||
            !bench_params_equal(&ref->params, &x->params) || !ref->relay_measured ||
            !ref->delivered || ref->relay_us_per_delivery <= 0)
            continue;
        bool paired = x->relay_ratio.rounds &&
                      x->relay_ratio.vs.carrier == BENCH_CARRIER_REFERENCE;
        cJSON_AddNumberToObject(o, "reference_us_per_delivery", ref->relay_us_per_delivery);
        cJSON_AddNumberToObject(o, "x_reference",
                                paired ? x->relay_ratio.median
                                       : x->relay_us_per_delivery / ref->relay_us_per_delivery);
        return;
    }
}
