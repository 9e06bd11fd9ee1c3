/* test_csharp_profile.c: the C# binding builds for Unity's profile. Its
 * library (client/csharp/Ricochet/*.cs) compiles with mcs -nostdlib
 * -noconfig against no more than .NET Standard 2.0 reaches on Mono (the
 * reference assemblies netstandard.dll forwards to, and netstandard.dll
 * itself: mono-devel's /usr/lib/mono/4.7.1-api), warnings as errors; then
 * client/csharp/tests/profile/ProfileCheck.cs reads the built assembly
 * with Mono.Cecil: every type it uses from elsewhere is one netstandard.dll
 * forwards, none of reflection's serialisation or emitting, no member
 * looked up by name. Members are not checked against .NET Standard's list
 * (Mono ships none to check them against); the types are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_library_is_net_standard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
