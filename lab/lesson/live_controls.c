/* live_controls.c: the lesson page's controls as netsim's model options,
 * and netsim's model back as the controls that make it (see
 * live_controls.h). The path's figures are split per hop by the bench's own
 * rule (bench_params_per_hop), so the page, the lesson's options and the
 * bench mean the same network. */
#include "live_controls.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lab/harness/params.h"

/* A number of obj's, 0 if it has none. */
static double number_of(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static double hundredths(double x)
{
    return round(x * 100) / 100;
}

/* A direction's loss %: its own and its Gilbert-Elliott chain's (long run). */
static double hop_loss(const cJSON *d)
{
    double p = number_of(d, "ge-p"), r = number_of(d, "ge-r");
    double ge = p > 0 && r > 0 ? (r * number_of(d, "ge-loss-good") +
                                  p * number_of(d, "ge-loss-bad")) / (p + r) : 0;
    return 100 * (1 - (1 - number_of(d, "loss") / 100) * (1 - ge / 100));
}

int live_controls_in_force(const char *model, char *out, size_t cap)
{
    cJSON *m = cJSON_Parse(model), *c = cJSON_CreateObject();
    const cJSON *up = cJSON_GetObjectItem(m, "up"), *down = cJSON_GetObjectItem(m, "down");
    int rc = -1;
    if (c && cJSON_IsObject(up) && cJSON_IsObject(down)) {
        double r = number_of(up, "ge-r");
        bool bursty = number_of(up, "ge-p") > 0 && r > 0;
        double path = 100 * (1 - (1 - hop_loss(up) / 100) * (1 - hop_loss(down) / 100));
        cJSON_AddNumberToObject(c, "path-loss", hundredths(path));
        cJSON_AddNumberToObject(c, "burst-length", bursty ? hundredths(100 / r) : 0);
        cJSON_AddNumberToObject(c, "path-delay",
                                hundredths(number_of(up, "delay") + number_of(down, "delay")));
        cJSON_AddNumberToObject(c, "path-jitter",
                                hundredths(number_of(up, "jitter") + number_of(down, "jitter")));
        cJSON_AddBoolToObject(c, "reorder", cJSON_IsTrue(cJSON_GetObjectItem(up, "reorder")));
        cJSON_AddNumberToObject(c, "up-rate-kbps", number_of(up, "rate-kbps"));
        cJSON_AddNumberToObject(c, "down-rate-kbps", number_of(down, "rate-kbps"));
        cJSON_AddNumberToObject(c, "queue-limit", number_of(up, "queue-limit"));
        char *text = cJSON_PrintUnformatted(c);
        if (text && strlen(text) < cap) {
            memcpy(out, text, strlen(text) + 1);
            rc = 0;
        }
        free(text);
    }
    cJSON_Delete(m);
    cJSON_Delete(c);
    return rc;
}

/* A rate as a share of what the lanes send one way (offered, kbit/s):
 * whole kbit/s of it, in steps of 8, into out as netsim's rate-kbps of
 * that way. A share asked is of what the lanes send when it is asked
 * (one sender a lane or four, 20 states a second or 100), so the queue
 * fills as much whatever they are. Returns 0, or -1 with the one-line
 * error in err. */
static int rate_share(const cJSON *v, double offered, const char *rate, cJSON *out, char *err,
                      size_t err_cap)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 1)) {
        snprintf(err, err_cap, "%s: a share of what the lanes send, over 0 and at most 1",
                 v->string);
        return -1;
    }
    if (!(offered > 0)) {
        snprintf(err, err_cap, "%s: nothing measured yet of what the lanes send; "
                 "ask again once netsim's counters came", v->string);
        return -1;
    }
    cJSON_AddNumberToObject(out, rate, fmax(8, round(v->valuedouble * offered / 8) * 8));
    return 0;
}

/* The page's controls as netsim's model options into out (a JSON object):
 * the path's loss, delay and jitter split per hop by the bench's rule,
 * burst-length B turning the loss into bursts (Gilbert-Elliott, mean B
 * datagrams, the same long-run loss), a rate's share of offered (what the
 * lanes send each way, kbit/s) as its kbit/s, everything else as it is.
 * Returns 0, or -1 with the one-line error in err. */
static int to_netsim(const cJSON *in, const double offered[2], cJSON *out, char *err,
                     size_t err_cap)
{
    struct bench_params p = {0};
    double burst = 0;
    bool path = false;
    const cJSON *v;
    cJSON_ArrayForEach(v, in) {
        enum bench_param which = bench_param_parse(v->string);
        if (which == BENCH_P_LOSS || which == BENCH_P_DELAY || which == BENCH_P_JITTER) {
            if (!cJSON_IsNumber(v) ||
                bench_param_set(&p, which, v->valuedouble, err, err_cap) != 0) {
                if (!cJSON_IsNumber(v))
                    snprintf(err, err_cap, "%s: a number", v->string);
                return -1;
            }
            path = true;
        } else if (!strcmp(v->string, "burst-length")) {
            if (!cJSON_IsNumber(v) || !(v->valuedouble == 0 ||
                                        (v->valuedouble >= 1 && v->valuedouble <= 100))) {
                snprintf(err, err_cap, "burst-length: 0 (no bursts) or 1 to 100 datagrams");
                return -1;
            }
            burst = v->valuedouble;
        } else if (!strcmp(v->string, "up-rate-share") ||
                   !strcmp(v->string, "down-rate-share")) {
            bool up = v->string[0] == 'u';
            if (rate_share(v, offered ? offered[!up] : 0, up ? "up-rate-kbps" : "down-rate-kbps",
                           out, err, err_cap) != 0)
                return -1;
        } else {
            cJSON_AddItemToObject(out, v->string, cJSON_Duplicate(v, true));
        }
    }
    if (!path)
        return 0;
    double loss, delay, jitter;
    bench_params_per_hop(&p, &loss, &delay, &jitter);
    cJSON_AddNumberToObject(out, "delay", delay);
    cJSON_AddNumberToObject(out, "jitter", jitter);
    bool bursty = burst >= 1 && loss > 0;
    double r = bursty ? 100.0 / burst : 0; /* bad -> good; long-run loss p / (p + r) */
    cJSON_AddNumberToObject(out, "loss", bursty ? 0 : loss);
    cJSON_AddNumberToObject(out, "ge-r", r);
    cJSON_AddNumberToObject(out, "ge-p", bursty ? r * loss / (100.0 - loss) : 0);
    cJSON_AddNumberToObject(out, "ge-loss-good", 0);
    cJSON_AddNumberToObject(out, "ge-loss-bad", 100);
    return 0;
}

int live_controls_to_model(const char *body, const double offered_kbps[2], char **out,
                           char *err, size_t err_cap)
{
    cJSON *in = cJSON_Parse(body), *o = cJSON_CreateObject();
    int rc = 0;
    *out = NULL;
    if (!cJSON_IsObject(in)) {
        snprintf(err, err_cap, "the body is not a JSON object of the controls");
        rc = -1;
    } else if (to_netsim(in, offered_kbps, o, err, err_cap) != 0) {
        rc = -1;
    } else if (!(*out = cJSON_PrintUnformatted(o))) {
        snprintf(err, err_cap, "out of memory");
        rc = -2;
    }
    cJSON_Delete(in);
    cJSON_Delete(o);
    return rc;
}
