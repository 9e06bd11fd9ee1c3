/* tshark.c: see tshark.h. */
#include "tshark.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

static char work[] = "/tmp/ricochet-dissector-XXXXXX";
static char taken_off[2048]; /* "--disable-protocol P " for each taken port's */

/* A copy in Wireshark's global plugin folder is loaded before the tree's
 * and shadows it (ricochet.lua loads once): only an identical one will do. */
static bool installed_copy_differs(void)
{
    FILE *p = popen("tshark -G folders 2>/dev/null", "r");
    char line[512], cmd[2000];
    bool differs = false;
    while (p && fgets(line, sizeof line, p)) {
        if (strncmp(line, "Global Lua Plugins:", 19) != 0)
            continue;
        char *dir = line + 19 + strspn(line + 19, " \t");
        dir[strcspn(dir, "\n")] = '\0';
        snprintf(cmd, sizeof cmd, "test ! -e %s/ricochet/ricochet.lua || { cmp -s "
                 "%s/ricochet/ricochet.lua " TSHARK_LUA " && cmp -s %s/ricochet/ricochet_enet.lua"
                 " proto/wireshark/ricochet_enet.lua; }", dir, dir, dir);
        differs = system(cmd) != 0;
        if (differs)
            fprintf(stderr, "tshark: %s/ricochet/ holds another dissector: make uninstall it, "
                            "or install this tree's\n", dir);
    }
    if (p)
        pclose(p);
    return differs;
}

/* The options that turn off the protocols of tshark_taken_ports, each once
 * (tshark 4.0 takes one name per --disable-protocol). */
static void taken_off_options(void)
{
    struct tshark_list taken = {0};
    tshark_taken_ports(&taken);
    size_t len = 0;
    for (size_t i = 0; i < taken.n; i++) {
        char opt[96];
        snprintf(opt, sizeof opt, "--disable-protocol %s ", strrchr(taken.v[i], ' ') + 1);
        if (!strstr(taken_off, opt) && len + strlen(opt) < sizeof taken_off)
            len += (size_t)snprintf(taken_off + len, sizeof taken_off - len, "%s", opt);
    }
    tshark_list_free(&taken);
}

static int setup(void **state)
{
    (void)state;
    taken_off_options();
    return mkdtemp(work) && !installed_copy_differs() ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", work);
    return system(cmd) == 0 ? 0 : -1;
}

void tshark_taken_ports(struct tshark_list *out)
{
    unsigned lo = 32768, hi = 60999, port; /* Linux's default range */
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%u %u", &lo, &hi) != 2)
            lo = 32768, hi = 60999;
        fclose(f);
    }
    FILE *p = popen("tshark -G decodes 2>/dev/null", "r");
    char line[256], layer[4], proto[64], item[96];
    while (p && fgets(line, sizeof line, p))
        if (sscanf(line, "%3[a-z].port\t%u\t%63s", layer, &port, proto) == 3 &&
            (!strcmp(layer, "udp") || !strcmp(layer, "tcp")) && port >= lo && port <= hi) {
            snprintf(item, sizeof item, "%s %u %s", layer, port, proto);
            tshark_list_add(out, item);
        }
    assert_non_null(p);
    pclose(p);
}

int tshark_run_tests(const char *name, const struct CMUnitTest *tests, size_t n)
{
    if (system("tshark -v >/dev/null 2>&1") != 0) {
        printf("# %s: SKIPPED: tshark is not installed (Debian: tshark)\n", name);
        return 0;
    }
    return _cmocka_run_group_tests("tests", tests, n, setup, teardown);
}

const char *tshark_dir(void)
{
    return work;
}

char *tshark_run(const char *pcap, const char *opts)
{
    char cmd[4096], err_path[128];
    snprintf(err_path, sizeof err_path, "%s/stderr", work);
    snprintf(cmd, sizeof cmd,
             "HOME=%s XDG_CONFIG_HOME=%s WIRESHARK_CONFIG_DIR=%s tshark -n -r '%s' "
             "-X lua_script:%s -o json.hide_extended_path_based_filtering:TRUE %s%s 2>%s",
             work, work, work, pcap, TSHARK_LUA, taken_off, opts, err_path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, n;
    char *out = malloc(cap);
    assert_non_null(out);
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0)
        if ((len += n) + 1 == cap)
            assert_non_null(out = realloc(out, cap *= 2));
    out[len] = '\0';
    int rc = pclose(p);
    char *err = harness_read_text(err_path);
    assert_non_null(err);
    for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
        if (!strstr(line, "Running as user")) {
            print_error("tshark %s on %s: %s\n", opts, pcap, line);
            fail();
        }
    free(err);
    if (rc != 0)
        fail_msg("tshark %s on %s exited with %d", opts, pcap, rc);
    return out;
}

size_t tshark_split(char *line, char **f, size_t max, char sep)
{
    size_t n = 0;
    for (char *s = line; n < max; n++) {
        f[n] = s;
        char *t = strchr(s, sep);
        if (!t) {
            n++;
            break;
        }
        *t = '\0';
        s = t + 1;
    }
    return n;
}

void tshark_put(struct capture *c, const char *src, const char *dst, const uint8_t *d, size_t n)
{
    union netaddr a, b;
    char err[128];
    assert_int_equal(netaddr_parse_endpoint(src, &a, err, sizeof err), 0);
    assert_int_equal(netaddr_parse_endpoint(dst, &b, err, sizeof err), 0);
    capture_write(c, &a, &b, d, n, (struct timeval){.tv_sec = 1});
}

void tshark_list_add(struct tshark_list *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    l->v[l->n] = strdup(s);
    assert_non_null(l->v[l->n]);
    l->n++;
}

void tshark_list_free(struct tshark_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (struct tshark_list){0};
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void tshark_list_sort(struct tshark_list *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, cmp_line);
}

void tshark_lists_equal(struct tshark_list *a, struct tshark_list *b, const char *what)
{
    tshark_list_sort(a);
    tshark_list_sort(b);
    size_t i = 0;
    while (i < a->n && i < b->n && strcmp(a->v[i], b->v[i]) == 0)
        i++;
    if (i < a->n || i < b->n)
        fail_msg("%s: tshark %zu, expected %zu; first difference: tshark \"%s\", expected "
                 "\"%s\"", what, a->n, b->n, i < a->n ? a->v[i] : "-", i < b->n ? b->v[i] : "-");
}

bool tshark_capture(struct spawn_proc *p, uint16_t port, const char *pcap)
{
    char filter[32], err[256], line[256];
    snprintf(filter, sizeof filter, "udp port %u", port);
    const char *args[] = {"-i", "lo", "-f", filter, "-w", pcap, NULL};
    if (access("/usr/bin/dumpcap", X_OK) != 0 ||
        spawn_start(p, "/usr/bin", "dumpcap", args, err, sizeof err) != 0) {
        print_message("no dumpcap (Debian: wireshark-common)\n");
        return false;
    }
    /* "Capturing on" comes before the interface is open; "File:" after. */
    if (spawn_wait_line(p, "File:", 10000, line, sizeof line, err, sizeof err) != 0) {
        print_message("dumpcap cannot capture on loopback here: %s\n", err);
        spawn_free(p);
        return false;
    }
    return true;
}
