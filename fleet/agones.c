/* agones.c: see agones.h. Each call one request through the HTTP client
 * (sys/http_client.h), whose one timeout bounds every step (connect, send,
 * the answer). */
#include "agones.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sys/http_client.h"

int agones_port_from_env(uint16_t *port, char *err, size_t err_cap)
{
    const char *v = getenv("AGONES_SDK_HTTP_PORT");
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long p = strtol(v, &end, 10);
    if (errno || *end || p < 1 || p > 65535) {
        snprintf(err, err_cap, "AGONES_SDK_HTTP_PORT='%s': not a port (1 to 65535)", v);
        return -1;
    }
    *port = (uint16_t)p;
    return 1;
}

int agones_request(const struct agones_sdk *s, const char *method, const char *path,
                   const char *body, char *answer, size_t answer_cap, char *err,
                   size_t err_cap)
{
    char endpoint[32], host[32], why[256];
    snprintf(endpoint, sizeof endpoint, "127.0.0.1:%u", s->port);
    snprintf(host, sizeof host, "localhost:%u", s->port);
    struct http_client_request req = {.endpoint = endpoint, .method = method, .path = path,
                                      .host = host, .body = body, .timeout_ms = s->timeout_ms,
                                      .answer_max = AGONES_ANSWER_MAX};
    struct http_client_answer a;
    enum http_client_fault fault = http_client_send(&req, &a, why, sizeof why);
    if (fault != HTTP_CLIENT_OK) {
        /* A sidecar that took the connection heard the call: name it. */
        if (fault == HTTP_CLIENT_NO_ANSWER)
            snprintf(err, err_cap, "agones sdk: %s %s: %s", method, path, why);
        else
            snprintf(err, err_cap, "agones sdk %s", why);
        return -1;
    }
    if (answer)
        snprintf(answer, answer_cap, "%s", a.body);
    int status = a.status;
    http_client_answer_free(&a);
    return status;
}

int agones_call(const struct agones_sdk *s, const char *method, const char *path,
                const char *body, char *err, size_t err_cap)
{
    return agones_request(s, method, path, body, NULL, 0, err, err_cap);
}

int agones_ready(const struct agones_sdk *s, char *err, size_t err_cap)
{
    return agones_call(s, "POST", "/ready", "{}", err, err_cap);
}

int agones_health(const struct agones_sdk *s, char *err, size_t err_cap)
{
    return agones_call(s, "POST", "/health", "{}", err, err_cap);
}

int agones_shutdown(const struct agones_sdk *s, char *err, size_t err_cap)
{
    return agones_call(s, "POST", "/shutdown", "{}", err, err_cap);
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Kubernetes label syntax (a key's name part, or a value). */
static bool label_text_valid(const char *t, bool may_be_empty)
{
    size_t n = strlen(t);
    if (n == 0)
        return may_be_empty;
    if (n > 63 || !is_alnum(t[0]) || !is_alnum(t[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(t[i]) && t[i] != '-' && t[i] != '_' && t[i] != '.')
            return false;
    return true;
}

int agones_label(const struct agones_sdk *s, const char *key, const char *value, char *err,
                 size_t err_cap)
{
    if (!label_text_valid(key, false) || !label_text_valid(value, true)) {
        snprintf(err, err_cap, "agones sdk: label '%s'='%s' is not a Kubernetes label", key,
                 value);
        return -1;
    }
    char body[200]; /* the label syntax needs no JSON escapes */
    snprintf(body, sizeof body, "{\"key\":\"%s\",\"value\":\"%s\"}", key, value);
    return agones_call(s, "PUT", "/metadata/label", body, err, err_cap);
}

/* The GameServer's status.address and the port named "default" (else the
 * first) in a GET /gameserver answer. */
static int parse_gameserver(const char *json, char *host, size_t host_cap, uint16_t *port)
{
    cJSON *gs = cJSON_Parse(json);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(gs, "status");
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive(st, "address");
    const cJSON *ports = cJSON_GetObjectItemCaseSensitive(st, "ports");
    const cJSON *chosen = NULL, *p;
    cJSON_ArrayForEach(p, ports) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "name");
        if (!chosen || (cJSON_IsString(name) && strcmp(name->valuestring, "default") == 0))
            chosen = p;
    }
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(chosen, "port");
    int rc = -1;
    if (cJSON_IsString(addr) && addr->valuestring[0] && strlen(addr->valuestring) < host_cap &&
        cJSON_IsNumber(num) && num->valuedouble >= 1 && num->valuedouble <= 65535) {
        snprintf(host, host_cap, "%s", addr->valuestring);
        *port = (uint16_t)num->valuedouble;
        rc = 0;
    }
    cJSON_Delete(gs);
    return rc;
}

int agones_gameserver_address(const struct agones_sdk *s, char *host, size_t host_cap,
                              uint16_t *port, char *err, size_t err_cap)
{
    char answer[AGONES_ANSWER_MAX];
    int st = agones_request(s, "GET", "/gameserver", "", answer, sizeof answer, err, err_cap);
    if (st < 0)
        return -1;
    if (st < 200 || st >= 300 || parse_gameserver(answer, host, host_cap, port) != 0) {
        snprintf(err, err_cap, "agones sdk: GET /gameserver (%d): no status.address and port "
                 "yet", st);
        return -1;
    }
    return 0;
}
