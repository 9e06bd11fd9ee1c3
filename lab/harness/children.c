/* children.c: the relay's and netsim's arguments and records the bench
 * and the lesson share (see children.h). */
#include "children.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "proto/statsrec.h"
#include "sys/options.h"

void children_bin(const char *prog, const char *given, char *out, size_t cap)
{
    char self[PATH_MAX];
    if (given[0]) {
        snprintf(out, cap, "%s", given);
        return;
    }
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    if (strlen(self) >= cap)
        options_fail(prog, "program folder too long: %s (use --bin)", self);
    memcpy(out, self, strlen(self) + 1);
}

size_t children_relay_open(const char **args)
{
    static const char *const open[CHILDREN_OPEN_ARGS] = {
        "--max-per-address", "0", "--rate-limit", "0", "--byte-limit", "0",
        "--kick-ban-s",      "0"};
    for (size_t i = 0; i < CHILDREN_OPEN_ARGS; i++)
        args[i] = open[i];
    return CHILDREN_OPEN_ARGS;
}

size_t children_netsim_model(const struct bench_params *p, uint64_t seed, char (*bufs)[32],
                             const char **args)
{
    double hop[3];
    bench_params_per_hop(p, &hop[0], &hop[1], &hop[2]);
    static const char *const names[3] = {"--loss", "--delay", "--jitter"};
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        snprintf(bufs[i], 32, "%.6f", hop[i]);
        args[n++] = names[i];
        args[n++] = bufs[i];
    }
    snprintf(bufs[3], 32, "%llu", (unsigned long long)seed);
    args[n++] = "--seed";
    args[n++] = bufs[3];
    return n;
}

size_t children_split(const char *s, char *buf, size_t cap, const char **args, size_t max)
{
    size_t n = 0;
    snprintf(buf, cap, "%s", s);
    for (char *tok = strtok(buf, " \t"); tok && n < max; tok = strtok(NULL, " \t"))
        args[n++] = tok;
    return n;
}

int children_edge_port(struct spawn_proc *relay, const char *edge, int timeout_ms, char *err,
                       size_t err_cap)
{
    char marker[40], line[256];
    snprintf(marker, sizeof marker, "(%s)", edge);
    if (spawn_wait_line(relay, marker, timeout_ms, line, sizeof line, err, err_cap) != 0)
        return -1;
    const char *at = strstr(line, "listening on ");
    const char *colon = at ? strrchr(at, ':') : NULL;
    int port = colon ? atoi(colon + 1) : 0;
    if (port <= 0 || port > 65535) {
        snprintf(err, err_cap, "relay: no %s port in \"%.180s\"", edge, line);
        return -1;
    }
    return port;
}

int children_temp_file(const char *owner, const char *kind, char *path, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, cap, "%s/ricochet-%s-%s-XXXXXX", dir && dir[0] ? dir : "/tmp", owner, kind);
    int fd = mkstemp(path);
    if (fd < 0) {
        path[0] = '\0';
        return -1;
    }
    close(fd);
    return 0;
}

uint64_t children_relay_edges_sum(const char *text, const char *name)
{
    uint64_t sum = 0;
    cJSON *root = statsrec_last(text, "relay", false);
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(root, "edges"), *e;
    cJSON_ArrayForEach(e, edges) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, name);
        if (cJSON_IsNumber(v))
            sum += (uint64_t)v->valuedouble;
    }
    cJSON_Delete(root);
    return sum;
}

uint64_t children_relay_drops(const char *text, const char *reason)
{
    uint64_t sum = 0;
    cJSON *root = statsrec_last(text, "relay", false);
    const cJSON *drops = cJSON_GetObjectItemCaseSensitive(root, "drops"), *d;
    cJSON_ArrayForEach(d, drops)
        if (cJSON_IsNumber(d) && (!reason || (d->string && !strcmp(d->string, reason))))
            sum += (uint64_t)d->valuedouble;
    cJSON_Delete(root);
    return sum;
}
