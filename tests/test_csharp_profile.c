/* test_csharp_profile.c: the C# binding builds for Unity's profile. Its
 * library (every .cs file of client/csharp/Ricochet/) compiles with mcs -nostdlib
 * -noconfig against no more than .NET Standard 2.0 reaches on Mono (the
 * reference assemblies netstandard.dll forwards to, and netstandard.dll
 * itself: mono-devel's /usr/lib/mono/4.7.1-api), warnings as errors; then
 * client/csharp/tests/profile/ProfileCheck.cs reads the built assembly
 * with Mono.Cecil: every type it uses from elsewhere is one netstandard.dll
 * forwards, none of reflection's serialisation or emitting, no member
 * looked up by name. Members are not checked against .NET Standard's list
 * (Mono ships none to check them against); the types are. And the managed
 * session's table of error codes by number (Core.cs's ErrorNames, which
 * reads ENet's disconnect data) is proto/errors.c's, name for name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "tests/support/harness.h"

#define API "/usr/lib/mono/4.7.1-api"

static void the_library_is_net_standard(void **state)
{
    (void)state;
    char dir[] = "/tmp/ricochet-cs-profile-XXXXXX", cmd[2048];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "timeout 120 sh -c 'mcs -nologo -warnaserror -nostdlib -noconfig -target:library "
             "-out:%s/Ricochet.dll -r:" API "/mscorlib.dll -r:" API "/System.dll -r:" API
             "/System.Core.dll -r:" API "/Facades/netstandard.dll client/csharp/Ricochet/*.cs && "
             "cecil=$(ls /usr/lib/mono/gac/Mono.Cecil/0.11*/Mono.Cecil.dll | head -1) && "
             "mcs -nologo -warnaserror -out:%s/check.exe -r:$cecil -r:System.Core "
             "client/csharp/tests/profile/ProfileCheck.cs && cp $cecil %s/ && "
             "mono %s/check.exe %s/Ricochet.dll " API "/Facades/netstandard.dll' 1>&2",
             dir, dir, dir, dir, dir);
    int rc = system(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(rc, 0);
}

static void the_error_table_is_the_relays(void **state)
{
    (void)state;
    char *text = harness_read_text("client/csharp/Ricochet/Core.cs");
    assert_non_null(text);
    char *at = strstr(text, "static readonly string[] ErrorNames = {");
    assert_non_null(at);
    char *end = strstr(at, "};");
    assert_non_null(end);
    *end = '\0';
    at = strchr(at, '{') + 1;
    int i = 0;
    for (char *q = strchr(at, '"'); q; i++) {
        char *close = strchr(q + 1, '"');
        assert_non_null(close);
        *close = '\0';
        const char *want = i == 0 ? "" : proto_error_name((enum proto_error_code)i);
        if (strcmp(q + 1, want) != 0)
            fail_msg("Core.cs ErrorNames[%d] is \"%s\", proto/errors.c's \"%s\"", i, q + 1, want);
        q = strchr(close + 1, '"');
    }
    assert_int_equal(i, PROTO_ERROR_COUNT);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_library_is_net_standard),
        cmocka_unit_test(the_error_table_is_the_relays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
