/* browser.h: headless Chromium driven over the DevTools protocol, for tests
 * of the pages: open a URL, evaluate JavaScript in it, wait for a
 * condition, press keys, take a screenshot. Chromium runs with a fresh
 * profile in the caller's folder and listens for DevTools on a loopback
 * port of its choosing; this file speaks WebSocket (RFC 6455, client side,
 * text frames) and the protocol's JSON to it. Every wait is bounded; a
 * browser that does not come up or stops answering fails the test
 * (cmocka). */
#ifndef RICOCHET_TEST_BROWSER_H
#define RICOCHET_TEST_BROWSER_H

#include <stdbool.h>

#include <cjson/cJSON.h>

struct browser;

/* Starts Chromium with its profile in dir (a fresh folder the caller
 * removes), opens a tab of width x height CSS pixels and loads url in it.
 * Returns the browser; fails the test if it cannot. */
struct browser *browser_open(const char *dir, const char *url, int width, int height);

/* browser_open, with Chromium's defaults for QUIC (quic: a page's
 * WebTransport, no flag given) or QUIC off for HTTP, as browser_open has
 * it (Chromium's own connections stay on TCP). */
struct browser *browser_open_quic(const char *dir, const char *url, int width, int height,
                                  bool quic);

/* Loads url in the tab, as browser_open does: what is evaluated after it
 * returns is evaluated in the new page. Fails the test if it cannot. */
void browser_navigate(struct browser *b, const char *url);

/* Evaluates the JavaScript expression expr in the page (awaiting it if it
 * is a promise) and returns its value as JSON (the caller deletes it), or
 * NULL if it threw (the exception printed). Fails the test if Chromium
 * does not answer within 10 s. */
cJSON *browser_eval(struct browser *b, const char *expr);

/* browser_eval as a number (NaN if not a number, or NULL). */
double browser_eval_number(struct browser *b, const char *expr);

/* Evaluates expr every 100 ms until it is true (JavaScript's truth) or
 * timeout_ms pass. Returns whether it became true. */
bool browser_wait(struct browser *b, const char *expr, int timeout_ms);

/* A key pressed (down) or released, as a keyboard would send it to the
 * page: key as the DOM names it ("ArrowRight", "w", "Enter"). */
void browser_key(struct browser *b, const char *key, bool down);

/* Writes a PNG of the page as it is now to path; fails the test if it
 * cannot. Returns the PNG's size in bytes. */
long browser_screenshot(struct browser *b, const char *path);

/* What the page printed to its console and the exceptions it threw so far,
 * one per line (NUL-terminated; owned by b). */
const char *browser_console(const struct browser *b);

/* Fails the test with what, after printing the value of the page's
 * snapshot expression (its JSON, or "-") and the page's console. */
void browser_fail(struct browser *b, const char *snapshot, const char *what)
    __attribute__((noreturn));

/* Closes Chromium (Browser.close; killed if it has not exited within 10 s)
 * and frees b. */
void browser_close(struct browser *b);

#endif
