/* browser.c: see browser.h.
 *
 * Chromium prints "DevTools listening on ws://127.0.0.1:PORT/devtools/
 * browser/ID" on stderr; we connect there, create a tab (Target.
 * createTarget), attach to it in flat mode (every later command carries the
 * tab's sessionId) and send commands one at a time: {"id": N, "method",
 * "params", "sessionId"}, reading messages until the answer with id N.
 * Events between are read too: console lines and exceptions are kept for
 * failure messages, the rest dropped. */
#include "browser.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>

#include "lab/harness/spawn.h"
#include "sys/clock.h"

#define COMMAND_MS 10000   /* an answer to one command */
#define START_MS 30000     /* Chromium's DevTools line */
#define CONSOLE_CAP 16384
#define MESSAGE_MAX (64u << 20) /* a screenshot in base64 fits */

struct browser {
    struct spawn_proc proc;
    int fd;
    unsigned char *in;   /* bytes read, not yet taken */
    size_t in_len, in_cap;
    int next_id;
    char session[128];   /* the tab's sessionId */
    char console[CONSOLE_CAP];
    size_t console_len;
};

/* ---- the socket ---- */

/* Reads more into b->in, waiting until deadline. Fails the test on EOF,
 * error or timeout. */
static void read_more(struct browser *b, uint64_t deadline)
{
    if (b->in_cap - b->in_len < 65536) {
        b->in_cap = b->in_cap * 2 + 65536;
        b->in = realloc(b->in, b->in_cap);
        assert_non_null(b->in);
    }
    for (;;) {
        uint64_t now = clock_now_ms();
        if (now >= deadline)
            fail_msg("browser: no answer from Chromium in time; its console:\n%s", b->console);
        struct pollfd p = { .fd = b->fd, .events = POLLIN };
        int rc = poll(&p, 1, (int)(deadline - now));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            continue;
        ssize_t n = recv(b->fd, b->in + b->in_len, b->in_cap - b->in_len - 1, 0);
        if (n > 0) {
            b->in_len += (size_t)n;
            return;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        fail_msg("browser: Chromium closed the DevTools connection");
    }
}

static void send_all(struct browser *b, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = send(b->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fail_msg("browser: cannot write to Chromium: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

static void take(struct browser *b, size_t n)
{
    memmove(b->in, b->in + n, b->in_len - n);
    b->in_len -= n;
}

/* ---- WebSocket framing (RFC 6455: a client masks what it sends) ---- */

static void ws_send(struct browser *b, int opcode, const char *data, size_t len)
{
    unsigned char head[14];
    size_t h = 0;
    head[h++] = (unsigned char)(0x80 | opcode);
    if (len < 126) {
        head[h++] = (unsigned char)(0x80 | len);
    } else if (len < 65536) {
        head[h++] = 0x80 | 126;
        head[h++] = (unsigned char)(len >> 8);
        head[h++] = (unsigned char)len;
    } else {
        head[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            head[h++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    unsigned char mask[4];
    randombytes_buf(mask, sizeof mask);
    memcpy(head + h, mask, 4);
    h += 4;
    unsigned char *out = malloc(h + len);
    assert_non_null(out);
    memcpy(out, head, h);
    for (size_t i = 0; i < len; i++)
        out[h + i] = (unsigned char)data[i] ^ mask[i % 4];
    send_all(b, out, h + len);
    free(out);
}

/* The next whole message (text or binary, its fragments joined), malloc'ed
 * and NUL-terminated; answers pings on the way. */
static char *ws_recv(struct browser *b, uint64_t deadline)
{
    char *msg = NULL;
    size_t len = 0;
    for (;;) {
        while (b->in_len < 2)
            read_more(b, deadline);
        unsigned char *p = b->in;
        bool fin = p[0] & 0x80;
        int opcode = p[0] & 0x0f;
        bool masked = p[1] & 0x80;
        uint64_t n = p[1] & 0x7f;
        size_t h = 2;
        if (n == 126)
            h = 4;
        else if (n == 127)
            h = 10;
        h += masked ? 4 : 0;
        while (b->in_len < h)
            read_more(b, deadline);
        p = b->in;
        if (n == 126)
            n = (uint64_t)p[2] << 8 | p[3];
        else if (n == 127)
            for (int i = 0; i < 8; i++)
                n = (i ? n << 8 : 0) | p[2 + i];
        if (n > MESSAGE_MAX)
            fail_msg("browser: a DevTools message of %llu bytes", (unsigned long long)n);
        while (b->in_len < h + n)
            read_more(b, deadline);
        p = b->in;
        if (masked)
            for (size_t i = 0; i < n; i++)
                p[h + i] ^= p[h - 4 + i % 4];
        if (opcode == 0x8)
            fail_msg("browser: Chromium closed the DevTools WebSocket");
        if (opcode == 0x9) {
            ws_send(b, 0xA, (const char *)p + h, (size_t)n);
            take(b, h + (size_t)n);
            continue;
        }
        if (opcode == 0xA) {
            take(b, h + (size_t)n);
            continue;
        }
        msg = realloc(msg, len + (size_t)n + 1);
        assert_non_null(msg);
        memcpy(msg + len, p + h, (size_t)n);
        len += (size_t)n;
        msg[len] = '\0';
        take(b, h + (size_t)n);
        if (fin)
            return msg;
    }
}

/* Connects to ws://127.0.0.1:PORT/PATH and completes the upgrade. */
static void ws_connect(struct browser *b, const char *url)
{
    int port = 0, used = 0;
    char path[256];
    if (sscanf(url, "ws://127.0.0.1:%d%n", &port, &used) != 1 || port <= 0 || port > 65535)
        fail_msg("browser: not a loopback DevTools address: %s", url);
    snprintf(path, sizeof path, "%s", url + used);
    b->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(b->fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (connect(b->fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("browser: cannot connect to DevTools at %s: %s", url, strerror(errno));
    int one = 1;
    setsockopt(b->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n", path, port);
    send_all(b, req, (size_t)n);
    uint64_t deadline = clock_now_ms() + COMMAND_MS;
    char *end;
    for (;;) {
        read_more(b, deadline);
        b->in[b->in_len] = '\0'; /* read_more leaves room */
        if ((end = strstr((char *)b->in, "\r\n\r\n")))
            break;
    }
    if (strncmp((char *)b->in, "HTTP/1.1 101", 12) != 0)
        fail_msg("browser: DevTools refused the upgrade: %.*s", (int)strcspn((char *)b->in, "\r"),
                 (char *)b->in);
    take(b, (size_t)(end + 4 - (char *)b->in));
}

/* ---- the protocol ---- */

/* Keeps a console line or an exception of the page. */
static void note_event(struct browser *b, const cJSON *m)
{
    const cJSON *method = cJSON_GetObjectItem(m, "method");
    const cJSON *params = cJSON_GetObjectItem(m, "params");
    char line[600] = "";
    if (!cJSON_IsString(method))
        return;
    if (strcmp(method->valuestring, "Runtime.consoleAPICalled") == 0) {
        const cJSON *args = cJSON_GetObjectItem(params, "args"), *a;
        size_t n = (size_t)snprintf(line, sizeof line, "console:");
        cJSON_ArrayForEach(a, args) {
            const cJSON *v = cJSON_GetObjectItem(a, "value");
            const cJSON *d = cJSON_GetObjectItem(a, "description");
            char *text = v ? cJSON_PrintUnformatted(v) : NULL;
            if (n < sizeof line)
                n += (size_t)snprintf(line + n, sizeof line - n, " %s",
                                      text ? text : cJSON_IsString(d) ? d->valuestring : "?");
            free(text);
        }
    } else if (strcmp(method->valuestring, "Runtime.exceptionThrown") == 0) {
        const cJSON *d = cJSON_GetObjectItem(params, "exceptionDetails");
        const cJSON *e = cJSON_GetObjectItem(d, "exception");
        const cJSON *desc = cJSON_GetObjectItem(e, "description");
        const cJSON *text = cJSON_GetObjectItem(d, "text");
        snprintf(line, sizeof line, "exception: %s",
                 cJSON_IsString(desc) ? desc->valuestring
                 : cJSON_IsString(text) ? text->valuestring : "?");
    } else {
        return;
    }
    int n = snprintf(b->console + b->console_len, CONSOLE_CAP - b->console_len, "%s\n", line);
    if (n > 0)
        b->console_len += (size_t)n < CONSOLE_CAP - b->console_len
                              ? (size_t)n : CONSOLE_CAP - 1 - b->console_len;
}

/* Sends method with params (taken; NULL: none), to the tab unless
 * to_browser, and returns its answer's "result" (the caller deletes it).
 * Fails the test on an "error" answer. */
static cJSON *command(struct browser *b, const char *method, cJSON *params, bool to_browser)
{
    int id = ++b->next_id;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddNumberToObject(m, "id", id);
    cJSON_AddStringToObject(m, "method", method);
    cJSON_AddItemToObject(m, "params", params ? params : cJSON_CreateObject());
    if (!to_browser)
        cJSON_AddStringToObject(m, "sessionId", b->session);
    char *text = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    ws_send(b, 0x1, text, strlen(text));
    free(text);
    uint64_t deadline = clock_now_ms() + COMMAND_MS;
    for (;;) {
        char *raw = ws_recv(b, deadline);
        cJSON *answer = cJSON_Parse(raw);
        free(raw);
        if (!answer)
            fail_msg("browser: a DevTools message that is not JSON");
        const cJSON *aid = cJSON_GetObjectItem(answer, "id");
        if (!cJSON_IsNumber(aid) || aid->valueint != id) {
            note_event(b, answer);
            cJSON_Delete(answer);
            continue;
        }
        const cJSON *err = cJSON_GetObjectItem(answer, "error");
        if (err) {
            char *e = cJSON_PrintUnformatted(err);
            print_error("browser: %s: %s\n", method, e);
            free(e);
            cJSON_Delete(answer);
            fail_msg("browser: %s refused", method);
        }
        cJSON *result = cJSON_DetachItemFromObject(answer, "result");
        cJSON_Delete(answer);
        return result ? result : cJSON_CreateObject();
    }
}

struct browser *browser_open(const char *dir, const char *url, int width, int height)
{
    return browser_open_quic(dir, url, width, height, false);
}

struct browser *browser_open_quic(const char *dir, const char *url, int width, int height,
                                  bool quic)
{
    struct browser *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->fd = -1;
    char profile[300], size[64], line[512], err[512];
    snprintf(profile, sizeof profile, "--user-data-dir=%s/chromium", dir);
    snprintf(size, sizeof size, "--window-size=%d,%d", width, height);
    /* --disable-quic keeps a page's HTTP on TCP; a WebTransport test gives
     * no QUIC flag at all: a page needs none (Chromium speaks WebTransport
     * by default, and 156 does even with --disable-quic) */
    const char *args[] = { "--headless", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync",
                           "--disable-background-timer-throttling",
                           "--disable-renderer-backgrounding", "--hide-scrollbars",
                           "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                           profile, size, "about:blank",
                           quic ? NULL : "--disable-quic", /* a switch anywhere is one */
                           NULL };
    if (spawn_start(&b->proc, "/usr/bin", "chromium", args, err, sizeof err) != 0)
        fail_msg("chromium: %s", err);
    if (spawn_wait_line(&b->proc, "DevTools listening on ", START_MS, line, sizeof line, err,
                        sizeof err) != 0)
        fail_msg("chromium: %s", err);
    ws_connect(b, strstr(line, "ws://"));

    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "url", "about:blank");
    cJSON *r = command(b, "Target.createTarget", p, true);
    const cJSON *target = cJSON_GetObjectItem(r, "targetId");
    assert_true(cJSON_IsString(target));
    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "targetId", target->valuestring);
    cJSON_AddBoolToObject(p, "flatten", true);
    cJSON_Delete(r);
    r = command(b, "Target.attachToTarget", p, true);
    const cJSON *session = cJSON_GetObjectItem(r, "sessionId");
    assert_true(cJSON_IsString(session));
    snprintf(b->session, sizeof b->session, "%s", session->valuestring);
    cJSON_Delete(r);

    cJSON_Delete(command(b, "Runtime.enable", NULL, false));
    cJSON_Delete(command(b, "Page.enable", NULL, false));
    p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "width", width);
    cJSON_AddNumberToObject(p, "height", height);
    cJSON_AddNumberToObject(p, "deviceScaleFactor", 1);
    cJSON_AddBoolToObject(p, "mobile", false);
    cJSON_Delete(command(b, "Emulation.setDeviceMetricsOverride", p, false));
    p = cJSON_CreateObject();
    cJSON_AddBoolToObject(p, "enabled", true); /* the tab has the focus: keys reach it */
    cJSON_Delete(command(b, "Emulation.setFocusEmulationEnabled", p, false));
    browser_navigate(b, url);
    return b;
}

void browser_navigate(struct browser *b, const char *url)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "url", url);
    cJSON *r = command(b, "Page.navigate", p, false);
    const cJSON *nav_err = cJSON_GetObjectItem(r, "errorText");
    if (cJSON_IsString(nav_err))
        fail_msg("browser: cannot load %s: %s", url, nav_err->valuestring);
    cJSON_Delete(r);
}

cJSON *browser_eval(struct browser *b, const char *expr)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "expression", expr);
    cJSON_AddBoolToObject(p, "returnByValue", true);
    cJSON_AddBoolToObject(p, "awaitPromise", true);
    cJSON *r = command(b, "Runtime.evaluate", p, false);
    const cJSON *ex = cJSON_GetObjectItem(r, "exceptionDetails");
    if (ex) {
        const cJSON *e = cJSON_GetObjectItem(ex, "exception");
        const cJSON *d = cJSON_GetObjectItem(e, "description");
        print_message("browser: %s threw %s\n", expr, cJSON_IsString(d) ? d->valuestring : "?");
        cJSON_Delete(r);
        return NULL;
    }
    cJSON *value = cJSON_DetachItemFromObject(cJSON_GetObjectItem(r, "result"), "value");
    cJSON_Delete(r);
    return value ? value : cJSON_CreateNull(); /* undefined */
}

double browser_eval_number(struct browser *b, const char *expr)
{
    cJSON *v = browser_eval(b, expr);
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    cJSON_Delete(v);
    return d;
}

bool browser_wait(struct browser *b, const char *expr, int timeout_ms)
{
    char *test = malloc(strlen(expr) + 32);
    assert_non_null(test);
    sprintf(test, "Boolean(%s)", expr);
    uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
    bool yes = false;
    for (;;) {
        cJSON *v = browser_eval(b, test);
        yes = cJSON_IsTrue(v);
        cJSON_Delete(v);
        if (yes || clock_now_ms() >= deadline)
            break;
        clock_sleep_ms(100);
    }
    free(test);
    return yes;
}

/* The DOM's code and the Windows key code of a key, for the keys tests use. */
static void key_codes(const char *key, char *code, size_t cap, int *vk)
{
    static const struct { const char *key, *code; int vk; } named[] = {
        { "ArrowLeft", "ArrowLeft", 37 }, { "ArrowUp", "ArrowUp", 38 },
        { "ArrowRight", "ArrowRight", 39 }, { "ArrowDown", "ArrowDown", 40 },
        { "Enter", "Enter", 13 }, { "Escape", "Escape", 27 }, { " ", "Space", 32 },
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        if (strcmp(key, named[i].key) == 0) {
            snprintf(code, cap, "%s", named[i].code);
            *vk = named[i].vk;
            return;
        }
    }
    char c = key[0];
    if (c >= 'a' && c <= 'z') {
        snprintf(code, cap, "Key%c", c - 'a' + 'A');
        *vk = c - 'a' + 'A';
    } else {
        snprintf(code, cap, "%s", key);
        *vk = 0;
    }
}

void browser_key(struct browser *b, const char *key, bool down)
{
    char code[32];
    int vk;
    key_codes(key, code, sizeof code, &vk);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", down ? "keyDown" : "keyUp");
    cJSON_AddStringToObject(p, "key", key);
    cJSON_AddStringToObject(p, "code", code);
    cJSON_AddNumberToObject(p, "windowsVirtualKeyCode", vk);
    if (down && (strlen(key) == 1 || vk == 13)) /* Enter types a carriage return */
        cJSON_AddStringToObject(p, "text", vk == 13 ? "\r" : key);
    cJSON_Delete(command(b, "Input.dispatchKeyEvent", p, false));
}

long browser_screenshot(struct browser *b, const char *path)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "format", "png");
    cJSON *r = command(b, "Page.captureScreenshot", p, false);
    const cJSON *data = cJSON_GetObjectItem(r, "data");
    assert_true(cJSON_IsString(data));
    size_t b64 = strlen(data->valuestring), len = 0;
    unsigned char *png = malloc(b64 / 4 * 3 + 3);
    assert_non_null(png);
    if (sodium_base642bin(png, b64 / 4 * 3 + 3, data->valuestring, b64, NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        fail_msg("browser: the screenshot is not base64");
    cJSON_Delete(r);
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("browser: cannot write %s: %s", path, strerror(errno));
    assert_int_equal(fwrite(png, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(png);
    return (long)len;
}

const char *browser_console(const struct browser *b)
{
    return b->console;
}

void browser_close(struct browser *b)
{
    if (b->fd >= 0) {
        /* Browser.close answers, or Chromium is gone first: either is fine. */
        cJSON *m = cJSON_CreateObject();
        cJSON_AddNumberToObject(m, "id", ++b->next_id);
        cJSON_AddStringToObject(m, "method", "Browser.close");
        char *text = cJSON_PrintUnformatted(m);
        cJSON_Delete(m);
        ws_send(b, 0x1, text, strlen(text));
        free(text);
    }
    int code = spawn_stop(&b->proc, 0, 10000);
    if (code != 0)
        print_message("browser: chromium exited %d\n", code);
    spawn_free(&b->proc);
    if (b->fd >= 0)
        close(b->fd);
    free(b->in);
    free(b);
}

void browser_fail(struct browser *b, const char *snapshot, const char *what)
{
    cJSON *s = browser_eval(b, snapshot);
    char *shown = s ? cJSON_PrintUnformatted(s) : NULL;
    print_error("the page: %.4000s\nits console:\n%s", shown ? shown : "-", browser_console(b));
    free(shown);
    cJSON_Delete(s);
    fail_msg("%s", what);
    abort(); /* fail_msg does not return */
}
