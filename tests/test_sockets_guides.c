/* test_sockets_guides.c: the lines of the players that docs/sockets.md and
 * its guides in Indonesian, Korean and Vietnamese (docs/sockets.LANG.md)
 * quote are the players' own: every fenced Python or C block of them that
 * pings is a part of examples/sockets/udp_player.py, udp_player.c,
 * tcp_player.py or tcp_player.c, as it is (test_e2e_sockets runs the
 * players and finds them timing their pings' pongs) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/harness.h"

#define PLAYERS 4

static const char *const players[PLAYERS] = {
    "examples/sockets/udp_player.py", "examples/sockets/udp_player.c",
    "examples/sockets/tcp_player.py", "examples/sockets/tcp_player.c"};

/* Each Python or C block of doc that pings is in one of code; returns how
 * many there were. */
static int quoted_as_they_are(const char *doc_path, char *const *code)
{
    char *doc = harness_read_text(doc_path);
    int n = 0;
    assert_non_null(doc);
    for (char *at = doc; (at = strstr(at, "\n```")) != NULL;) {
        char *body = strchr(at + 1, '\n'), *end = body ? strstr(body, "\n```\n") : NULL;
        if (!end)
            break;
        bool code_block = !strncmp(at + 4, "python\n", 7) || !strncmp(at + 4, "c\n", 2);
        end[1] = '\0'; /* the block's lines, from the one after its fence */
        bool pings = code_block && strstr(body + 1, "ping");
        bool found = !pings;
        for (size_t i = 0; i < PLAYERS && !found; i++)
            found = strstr(code[i], body + 1) != NULL;
        if (!found)
            fail_msg("%s quotes lines no player has:\n%s", doc_path, body + 1);
        n += pings;
        at = end + 4;
    }
    free(doc);
    return n;
}

static void the_guides_quote_the_players(void **state)
{
    (void)state;
    static const char *const docs[] = {"docs/sockets.md", "docs/sockets.id.md",
                                       "docs/sockets.ko.md", "docs/sockets.vi.md"};
    char *code[PLAYERS];
    for (size_t i = 0; i < PLAYERS; i++)
        assert_non_null(code[i] = harness_read_text(players[i]));
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        int n = quoted_as_they_are(docs[i], code);
        print_message("%s: %d blocks that ping, each the players' own\n", docs[i], n);
        assert_true(n >= 4); /* the ping and its answer, in Python and in C */
    }
    for (size_t i = 0; i < PLAYERS; i++)
        free(code[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_guides_quote_the_players),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
