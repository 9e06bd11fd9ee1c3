/* target_localhttp.c: fuzzes what the local HTTP servers read of a request
 * besides libmicrohttpd's own parsing (see targets.h). The first byte picks
 * what the rest is:
 *   0  a Host header's value, checked against the server's address
 *      (sys/httpd.c's httpd_host_names, before any route): one it takes is
 *      "localhost" or that address as a literal, with a port of at most 5
 *      digits or none; and the address's own literal, with the input's port
 *      or none, and "localhost" in the input's case, are always taken;
 *   1  PUT /model's body as ricochet-netsim reads it (netsim_model_apply),
 *      over its defaults, then a second body over what the first left (a
 *      NUL between them): refused with a reason and nothing changed, or the
 *      model the options make, which a body applied again leaves as it is;
 *   2  PUT /model's body as the lesson's page server reads it
 *      (live_controls_to_model), then what it made of it as netsim reads it:
 *      refused with a reason, or a JSON object of netsim's options;
 *   3  the page's own controls, from the input within the page's ranges
 *      (lab/lesson/lesson.html: loss 0-30 %, bursts none, 3 or 10, delay 0-400
 *      ms, jitter 0-200 ms, reordering): the lesson takes them and so does
 *      every netsim it hands them to. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "lab/lesson/live_controls.h"
#include "lab/netsim/netsim.h"
#include "lab/netsim/netsim_options.h"
#include "sys/httpd.h"
#include "sys/log.h"
#include "targets.h"

#define FLH_BODY_MAX 4096 /* netsim's MODEL_BODY_MAX (the lesson's is 2047) */

/* ---- Host ---- */

/* The server's address, from a byte: IPv4 or IPv6, loopback or not, or
 * none known (localhost only). */
static void flh_local(uint8_t b, union netaddr *a)
{
    static const char *const v4[] = {"127.0.0.1", "10.1.2.3", "0.0.0.0"};
    static const char *const v6[] = {"::1", "fe80::1:2", "2001:db8::7"};
    memset(a, 0, sizeof *a);
    switch (b % 7) {
    case 0:
    case 1:
    case 2:
        a->v4.sin_family = AF_INET;
        FUZZ_CHECK(inet_pton(AF_INET, v4[b % 7], &a->v4.sin_addr) == 1);
        break;
    case 3:
    case 4:
    case 5:
        a->v6.sin6_family = AF_INET6;
        FUZZ_CHECK(inet_pton(AF_INET6, v6[b % 7 - 3], &a->v6.sin6_addr) == 1);
        break;
    default:
        break; /* no address known */
    }
}

/* Is value's host (before ":port", or in brackets) h, of h_len bytes? */
static bool flh_host_is(const char *value, const char *h, size_t h_len, bool *v6)
{
    *v6 = value[0] == '[';
    const char *p = value + *v6, *end = *v6 ? strchr(p, ']') : p + strcspn(p, ":");
    if (!end || (size_t)(end - p) != h_len || strncasecmp(p, h, h_len) != 0)
        return false;
    const char *rest = end + *v6;
    if (*rest == '\0')
        return true;
    size_t digits = strspn(rest + 1, "0123456789");
    return rest[0] == ':' && rest[1 + digits] == '\0' && digits <= 5;
}

static void flh_host(const uint8_t *p, size_t n)
{
    if (n < 3)
        return;
    union netaddr local;
    flh_local(p[0], &local);
    unsigned port = (unsigned)p[1] << 8 | p[2];
    char value[512];
    size_t len = n - 3 < sizeof value - 1 ? n - 3 : sizeof value - 1;
    memcpy(value, p + 3, len);
    value[len] = '\0';
    char lit[INET6_ADDRSTRLEN] = "";
    if (local.sa.sa_family == AF_INET)
        inet_ntop(AF_INET, &local.v4.sin_addr, lit, sizeof lit);
    else if (local.sa.sa_family == AF_INET6)
        inet_ntop(AF_INET6, &local.v6.sin6_addr, lit, sizeof lit);
    if (httpd_host_names(value, &local)) {
        bool v6;
        bool named = flh_host_is(value, "localhost", 9, &v6) && !v6;
        if (!named && lit[0]) {
            /* another spelling of the address is the address */
            const char *h = value + (value[0] == '[');
            size_t h_len = value[0] == '[' ? strcspn(h, "]") : strcspn(h, ":");
            char host[64];
            unsigned char want[16], got[16];
            FUZZ_CHECK(h_len < sizeof host);
            memcpy(host, h, h_len);
            host[h_len] = '\0';
            int fam = local.sa.sa_family;
            FUZZ_CHECK(flh_host_is(value, host, h_len, &v6) && v6 == (fam == AF_INET6));
            FUZZ_CHECK(inet_pton(fam, host, got) == 1 && inet_pton(fam, lit, want) == 1);
            FUZZ_CHECK(memcmp(got, want, fam == AF_INET ? 4 : 16) == 0);
            named = true;
        }
        FUZZ_CHECK(named);
    }
    /* what must pass: localhost in any case, the address's literal */
    char mine[96];
    snprintf(mine, sizeof mine, "LoCaLhOsT:%u", port);
    for (size_t i = 0; i < 9; i++)
        mine[i] = (char)(p[0] & (1u << (i % 8)) ? mine[i] | 0x20 : mine[i] & ~0x20);
    FUZZ_CHECK(httpd_host_names(mine, &local));
    mine[9] = '\0';
    FUZZ_CHECK(httpd_host_names(mine, &local));
    if (lit[0]) {
        bool v6 = local.sa.sa_family == AF_INET6;
        snprintf(mine, sizeof mine, v6 ? "[%s]:%u" : "%s:%u", lit, port);
        FUZZ_CHECK(httpd_host_names(mine, &local));
        snprintf(mine, sizeof mine, v6 ? "[%s]" : "%s", lit);
        FUZZ_CHECK(httpd_host_names(mine, &local));
        if (v6) { /* an IPv6 address without its brackets names nothing */
            FUZZ_CHECK(!httpd_host_names(lit, &local));
        }
    }
}

/* ---- PUT /model ---- */

/* netsim's options as a command line with nothing of the model given. */
static const struct netsim_options *flh_netsim_defaults(void)
{
    static struct netsim_options cfg;
    static bool made;
    if (made)
        return &cfg;
    static char *argv[] = {"ricochet-netsim", "--listen", "127.0.0.1:1", "--relay",
                           "127.0.0.1:2", NULL};
    struct netsim_setup setup;
    netsim_configure(&cfg, &setup, 5, argv);
    log_threshold = LOG_OFF;
    made = true;
    return &cfg;
}

/* The model's settings as text, for comparing two models. */
static void flh_model_text(const struct netsim_model models[NETSIM_DIRS], char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (int d = 0; d < NETSIM_DIRS; d++) {
        char value[64];
        const char *name;
        for (size_t i = 0; (name = netsim_model_field(&models[d], i, value, sizeof value)); i++) {
            int n = snprintf(out + at, cap - at, "%d %s=%s;", d, name, value);
            FUZZ_CHECK(n > 0 && (size_t)n < cap - at);
            at += (size_t)n;
        }
    }
}

/* body over cfg as netsim's PUT /model takes it. Returns its rc. */
static int flh_netsim_apply(struct netsim_options *cfg, const char *body)
{
    struct netsim_options before;
    memcpy(&before, cfg, sizeof before);
    struct netsim_model models[NETSIM_DIRS], again[NETSIM_DIRS];
    char err[256] = "", a[4096], b[4096];
    int rc = netsim_model_apply(cfg, body, models, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc != 0) {
        FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL);
        FUZZ_CHECK(memcmp(&before, cfg, sizeof before) == 0); /* untouched */
        return rc;
    }
    for (int d = 0; d < NETSIM_DIRS; d++)
        FUZZ_CHECK(netsim_model_check(&models[d], err, sizeof err) == 0);
    /* the model is the options' ... */
    FUZZ_CHECK(netsim_models_from(cfg, again, err, sizeof err) == 0);
    flh_model_text(models, a, sizeof a);
    flh_model_text(again, b, sizeof b);
    FUZZ_CHECK(strcmp(a, b) == 0);
    /* ... and the same body again changes nothing */
    struct netsim_options twice = *cfg;
    FUZZ_CHECK(netsim_model_apply(&twice, body, again, err, sizeof err) == 0);
    flh_model_text(again, b, sizeof b);
    FUZZ_CHECK(strcmp(a, b) == 0);
    return rc;
}

static void flh_netsim(const uint8_t *p, size_t n)
{
    static char body[FLH_BODY_MAX + 1];
    struct netsim_options cfg = *flh_netsim_defaults();
    size_t len = n < FLH_BODY_MAX ? n : FLH_BODY_MAX;
    memcpy(body, p, len);
    body[len] = '\0'; /* httpd hands a body over NUL-terminated */
    flh_netsim_apply(&cfg, body);
    size_t first = strlen(body);
    if (first < len)
        flh_netsim_apply(&cfg, body + first + 1);
}

/* body through the lesson (live_controls_to_model), then netsim. Returns
 * whether both took it. A share of a rate is of these (kbit/s up, down). */
static bool flh_lesson_body(const char *body)
{
    static const double offered[2] = {470, 520};
    char err[256] = "", *out = (char *)"x";
    int rc = live_controls_to_model(body, offered, &out, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc != 0) {
        FUZZ_CHECK(out == NULL && err[0] != '\0');
        return false;
    }
    cJSON *o = cJSON_Parse(out);
    FUZZ_CHECK(cJSON_IsObject(o));
    cJSON_Delete(o);
    struct netsim_options cfg = *flh_netsim_defaults();
    rc = flh_netsim_apply(&cfg, out);
    free(out);
    return rc == 0;
}

static void flh_lesson(const uint8_t *p, size_t n)
{
    static char body[FLH_BODY_MAX + 1];
    size_t len = n < FLH_BODY_MAX ? n : FLH_BODY_MAX;
    memcpy(body, p, len);
    body[len] = '\0';
    flh_lesson_body(body);
}

/* The page's controls from the input, as lesson.js sends them. */
static void flh_page(const uint8_t *p, size_t n)
{
    struct fuzz_input in = {p, n};
    static const int bursts[] = {0, 3, 10};
    uint8_t have = fuzz_byte(&in);
    char body[512];
    int at = snprintf(body, sizeof body, "{");
    if (have & 1)
        at += snprintf(body + at, sizeof body - (size_t)at, "\"path-loss\": %g,",
                       (fuzz_byte(&in) % 61) * 0.5);
    if (have & 2)
        at += snprintf(body + at, sizeof body - (size_t)at, "\"burst-length\": %d,",
                       bursts[fuzz_byte(&in) % 3]);
    if (have & 4)
        at += snprintf(body + at, sizeof body - (size_t)at, "\"path-delay\": %d,",
                       (fuzz_byte(&in) % 81) * 5);
    if (have & 8)
        at += snprintf(body + at, sizeof body - (size_t)at, "\"path-jitter\": %d,",
                       (fuzz_byte(&in) % 201));
    if (have & 16)
        at += snprintf(body + at, sizeof body - (size_t)at, "\"reorder\": %s,",
                       fuzz_byte(&in) & 1 ? "true" : "false");
    if (body[at - 1] == ',')
        at--;
    snprintf(body + at, sizeof body - (size_t)at, "}");
    if (!flh_lesson_body(body)) {
        fprintf(stderr, "the page's controls refused: %s\n", body);
        FUZZ_CHECK(!"the lesson or netsim refused the page's own controls");
    }
}

int fuzz_target_localhttp(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    log_threshold = LOG_OFF;
    switch (data[0] & 3) {
    case 0:
        flh_host(data + 1, size - 1);
        break;
    case 1:
        flh_netsim(data + 1, size - 1);
        break;
    case 2:
        flh_lesson(data + 1, size - 1);
        break;
    default:
        flh_page(data + 1, size - 1);
        break;
    }
    return 0;
}
