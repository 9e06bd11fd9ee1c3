/* test_e2e_quic_certificates.c: the quic edge's certificate: drawn, its
 * log line (address, end of validity, SHA-256) the one `docs/operations.md`
 * and PROTOCOL.md quote; given with `--tls-cert`/`--tls-key`, served and
 * its fingerprint logged, a client pinning it joins and one pinning
 * another is refused; one of the two files alone is one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/quic_relay.h"

/* The SHA-256 of a PEM certificate's DER bytes, as openssl prints it. */
static void fingerprint_of(const char *cert, char *out, size_t cap)
{
    char err[256];
    const char *args[] = {"x509", "-in", cert, "-noout", "-fingerprint", "-sha256", NULL};
    struct spawn_proc ssl;
    assert_int_equal(spawn_start(&ssl, "/usr/bin", "openssl", args, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&ssl, 0, 10000), 0);
    char *text = spawn_read_stdout(&ssl), *eq = text ? strchr(text, '=') : NULL;
    assert_non_null(eq);
    snprintf(out, cap, "%.95s", eq + 1);
    out[strcspn(out, "\n")] = '\0';
    free(text);
    spawn_free(&ssl);
}

/* Does the document at path quote text (its whitespace runs as one space)? */
static void documented(const char *path, const char *text)
{
    char *doc = harness_read_text(path);
    assert_non_null(doc);
    size_t n = 0;
    for (const char *p = doc; *p; p++) /* runs of white space as one space */
        if (!(p[0] == ' ' || p[0] == '\n') || !(n && doc[n - 1] == ' '))
            doc[n++] = p[0] == '\n' ? ' ' : p[0];
    doc[n] = '\0';
    if (!strstr(doc, text))
        fail_msg("%s does not quote %s", path, text);
    free(doc);
}

/* Without --tls-cert the relay draws a certificate and logs it on the line
 * the docs quote: its address, its end of validity, its SHA-256. */
static void a_drawn_certificate_is_logged_as_documented(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t quic = harness_edge_port(&relay, "quic");
    char *log = spawn_read_stderr(&relay), head[96];
    assert_non_null(log);
    snprintf(head, sizeof head, "relay: quic: 127.0.0.1:%u: a certificate drawn, valid until ",
             quic);
    const char *at = strstr(log, head);
    if (!at)
        fail_msg("no line \"%s...\" in:\n%s", head, log);
    char *end;
    long long until = strtoll(at + strlen(head), &end, 10);
    assert_true(until > (long long)time(NULL) + 12 * 86400 && until < (long long)time(NULL) + 14 * 86400);
    assert_memory_equal(end, ", SHA-256 ", 10);
    for (int i = 0; i < 95; i++) /* AB:CD:... 32 bytes */
        assert_true(i % 3 == 2 ? end[10 + i] == ':' : strchr("0123456789ABCDEF", end[10 + i]) != NULL);
    print_message("%.*s\n", (int)strcspn(at, "\n"), at);
    free(log);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    static const char quote[] = "`relay: quic: HOST:PORT: a certificate drawn, valid until "
                                "UNIX-TIME, SHA-256 AB:CD:...`";
    documented("docs/operations.md", quote);
    documented("proto/PROTOCOL.md", quote);
}

/* --tls-cert and --tls-key: the relay's certificate is the file's (its
 * fingerprint logged); a client pinning it joins, one pinning another is
 * refused at the handshake; one of the two files alone is one line. */
static void a_certificate_of_its_own_and_a_pin(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-quic-XXXXXX", cert[64], key[64], err[256], fp[128];
    assert_non_null(mkdtemp(dir));
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    const char *mk[] = {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj",
                        "/CN=127.0.0.1", NULL};
    struct spawn_proc ssl;
    assert_int_equal(spawn_start(&ssl, "/usr/bin", "openssl", mk, err, sizeof err), 0);
    assert_int_equal(spawn_stop(&ssl, 0, 10000), 0);
    spawn_free(&ssl);
    fingerprint_of(cert, fp, sizeof fp);

    struct spawn_proc relay;
    const char *args[] = {"--listen", "quic://127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                          NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t quic = harness_edge_port(&relay, "quic");
    char pin[CLIENT_PIN_HEX + 1], wrong[CLIENT_PIN_HEX + 1];
    assert_int_equal(client_pin_parse(fp, pin), 0);
    snprintf(wrong, sizeof wrong, "%s", pin);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 2;
    r.c[0] = quic_client(quic, "pinned", "good", PROTO_MODE_RELIABLE, pin);
    r.c[1] = quic_client(quic, "pinned", "bad", PROTO_MODE_RELIABLE, wrong);
    harness_poll_for(r.c, 2, 1500, harness_rec_event, &r);
    assert_true(r.welcomed[0]);
    assert_false(r.welcomed[1]);
    assert_true(r.disconnected[1]);
    char *log = spawn_read_stderr(&relay), line[400];
    assert_non_null(log);
    snprintf(line, sizeof line, "relay: quic: 127.0.0.1:%u: certificate %s, SHA-256 %s", quic,
             cert, fp);
    if (!strstr(log, line)) /* the fingerprint logged at start, as the docs quote it */
        fail_msg("no line \"%s\" in:\n%s", line, log);
    free(log);
    documented("docs/operations.md", "`relay: quic: HOST:PORT: certificate FILE, SHA-256 AB:CD:...`");
    ricochet_close(r.c[0]);
    ricochet_close(r.c[1]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);

    const char *half[] = {"--listen", "quic://127.0.0.1:0", "--tls-cert", cert, NULL};
    assert_int_equal(harness_spawn(&relay, "ricochet-relay", half), 0);
    assert_int_equal(spawn_stop(&relay, 0, 10000), 1);
    log = spawn_read_stderr(&relay);
    assert_non_null(strstr(log, "--tls-cert and --tls-key go together"));
    free(log);
    spawn_free(&relay);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_drawn_certificate_is_logged_as_documented),
        cmocka_unit_test(a_certificate_of_its_own_and_a_pin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
