/* servers.c: see servers.h. */
#include "servers.h"

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "sys/clock.h"
#include "http.h"

void servers_tmpdir(char *template)
{
    assert_non_null(mkdtemp(template));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void servers_remove_tree(const char *dir)
{
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

void servers_start_prometheus(struct spawn_proc *p, const char *dir, const char *target,
                              char *api, size_t cap)
{
    char config[512], path[256], data[256], listen[64], cfg_arg[300], data_arg[300];
    snprintf(config, sizeof config,
             "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
             "scrape_configs:\n  - job_name: ricochet\n    static_configs:\n"
             "      - targets: ['%s']\n", target);
    snprintf(path, sizeof path, "%s/prometheus.yml", dir);
    write_file(path, config);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(api, cap, "127.0.0.1:%d", http_free_port());
    snprintf(listen, sizeof listen, "--web.listen-address=%s", api);
    snprintf(cfg_arg, sizeof cfg_arg, "--config.file=%s", path);
    snprintf(data_arg, sizeof data_arg, "--storage.tsdb.path=%s", data);
    const char *args[] = { cfg_arg, data_arg, listen, "--log.level=warn", NULL };
    char err[256];
    if (spawn_start(p, "/usr/bin", "prometheus", args, err, sizeof err) != 0)
        fail_msg("prometheus: %s", err);
    uint64_t deadline = clock_now_ms() + 30000;
    for (;;) {
        struct http_response r;
        if (http_request(api, "GET", "/-/ready", 2000, &r) == 0) {
            int status = r.status;
            http_response_free(&r);
            if (status == 200)
                return;
        }
        if (!spawn_running(p) || clock_now_ms() >= deadline) {
            char *text = spawn_read_stderr(p);
            fail_msg("prometheus did not become ready: %s", text ? text : "");
        }
        clock_sleep_ms(200);
    }
}

int servers_prom_query(const char *api, const char *query, double *value)
{
    char path[1024], escaped[900];
    snprintf(path, sizeof path, "/api/v1/query?query=%s",
             http_query_escape(query, escaped, sizeof escaped));
    struct http_response r;
    if (http_request(api, "GET", path, 5000, &r) != 0)
        return -1;
    cJSON *o = cJSON_Parse(r.body);
    const cJSON *status = cJSON_GetObjectItem(o, "status");
    const cJSON *result = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "result");
    int n = -1;
    if (cJSON_IsString(status) && strcmp(status->valuestring, "success") == 0 &&
        cJSON_IsArray(result)) {
        n = cJSON_GetArraySize(result);
        const cJSON *v = cJSON_GetArrayItem(
            cJSON_GetObjectItem(cJSON_GetArrayItem(result, 0), "value"), 1);
        if (n > 0 && cJSON_IsString(v))
            *value = strtod(v->valuestring, NULL);
    } else {
        print_message("prometheus: query %s: %s\n", query, r.body);
    }
    cJSON_Delete(o);
    http_response_free(&r);
    return n;
}

char *servers_chromium(const char *dir, const char *url, const char *png, int budget_ms)
{
    char profile[300], shot[300], budget[64];
    snprintf(profile, sizeof profile, "--user-data-dir=%s/chromium", dir);
    snprintf(shot, sizeof shot, "--screenshot=%s", png ? png : "");
    snprintf(budget, sizeof budget, "--virtual-time-budget=%d", budget_ms);
    const char *args[] = { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                           "--no-first-run", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", profile,
                           "--window-size=1000,760", "--hide-scrollbars", budget,
                           png ? shot : "--dump-dom", url, NULL };
    struct spawn_proc p;
    char err[256];
    if (spawn_start(&p, "/usr/bin", "chromium", args, err, sizeof err) != 0)
        fail_msg("chromium: %s", err);
    int code = spawn_stop(&p, 0, 60000);
    char *out = spawn_read_stdout(&p);
    if (code != 0) {
        char *text = spawn_read_stderr(&p);
        print_message("chromium exited %d: %s\n", code, text ? text : "");
        free(text);
    }
    spawn_free(&p);
    assert_int_equal(code, 0);
    return out;
}
