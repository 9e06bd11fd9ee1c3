/* test_e2e_deploy: the deployment files that cannot run here (no Docker, no
 * Kubernetes) are checked by deploy/check.py: the Agones YAML parses and
 * uses only documented fields, the Dockerfile is Debian 12 and installs
 * the package of every library the relay links. Broken copies must fail
 * the same checks, so they can fail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/harness.h"

/* Runs cmd through the shell; returns its exit status and its output
 * (stdout and stderr) in out. */
static int run(const char *cmd, char *out, size_t cap)
{
    char full[2048];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A copy of path with `from` replaced by `to` (once) in a temp file;
 * returns its name (static). */
static const char *broken_copy(const char *path, const char *from, const char *to)
{
    static char name[64];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    char *at = strstr(text, from);
    assert_non_null(at);
    snprintf(name, sizeof name, "/tmp/ricochet-deploy-XXXXXX");
    int fd = mkstemp(name);
    assert_true(fd >= 0);
    FILE *o = fdopen(fd, "w");
    fprintf(o, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    fclose(o);
    return name;
}

static void agones_yaml_uses_documented_fields(void **state)
{
    (void)state;
    char out[4096], cmd[512];
    int rc = run("python3 deploy/check.py agones deploy/agones/fleet.yaml "
                 "deploy/agones/fleetautoscaler.yaml deploy/agones/allocation.yaml",
                 out, sizeof out);
    if (rc != 0)
        fail_msg("deploy/check.py agones: %s", out);
    struct { const char *file, *from, *to, *expect; } broken[] = {
        {"deploy/agones/fleet.yaml", "  replicas: 2", "  replicaz: 2",
         "spec.replicaz: not a documented field"},
        {"deploy/agones/fleet.yaml", "portPolicy: Dynamic", "portPolicy: dynamic",
         "ports.portPolicy: 'dynamic' is not one of"},
        {"deploy/agones/fleetautoscaler.yaml", "bufferSize: 1", "bufferSize: [1",
         "expected"},
        {"deploy/agones/allocation.yaml", "kind: GameServerAllocation", "kind: Allocation",
         "unknown apiVersion/kind"},
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        const char *copy = broken_copy(broken[i].file, broken[i].from, broken[i].to);
        snprintf(cmd, sizeof cmd, "python3 deploy/check.py agones %s", copy);
        rc = run(cmd, out, sizeof out);
        unlink(copy);
        if (rc != 1 || !strstr(out, broken[i].expect))
            fail_msg("%s with '%s': exit %d, '%s' lacks '%s'", broken[i].file, broken[i].to,
                     rc, out, broken[i].expect);
    }
}

static void dockerfile_installs_what_the_relay_links(void **state)
{
    (void)state;
    char out[4096], cmd[512];
    snprintf(cmd, sizeof cmd, "python3 deploy/check.py docker Dockerfile %s/ricochet-relay",
             harness_bin_dir());
    int rc = run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("deploy/check.py docker: %s", out);
    struct { const char *from, *to, *expect; } broken[] = {
        {"libenet7 ", "", "does not install libenet7"},
        {"FROM debian:12-slim\n", "FROM ubuntu:24.04\n", "is not Debian 12"},
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        const char *copy = broken_copy("Dockerfile", broken[i].from, broken[i].to);
        snprintf(cmd, sizeof cmd, "python3 deploy/check.py docker %s %s/ricochet-relay", copy,
                 harness_bin_dir());
        rc = run(cmd, out, sizeof out);
        unlink(copy);
        if (rc != 1 || !strstr(out, broken[i].expect))
            fail_msg("Dockerfile with '%s': exit %d, '%s' lacks '%s'", broken[i].to, rc, out,
                     broken[i].expect);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(agones_yaml_uses_documented_fields),
        cmocka_unit_test(dockerfile_installs_what_the_relay_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
