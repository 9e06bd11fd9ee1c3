/* relay_scripts.c: ricochet-relay's room scripts beside its loop (see
 * relay_scripts.h). The SIGHUP handler only sets a flag, as the program's
 * other handlers do; the loop reads it. */
#include "relay_scripts.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "sys/log.h"
#include "relay/script/script.h"

static struct script_engine *engine;
static volatile sig_atomic_t reload_requested;

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

int relay_scripts_check(const struct relay_settings *s, char *err, size_t cap)
{
    if ((s->script.default_name[0] || s->script.pins[0]) && !s->script.dir[0]) {
        snprintf(err, cap, "--script-%s needs --script-dir",
                 s->script.default_name[0] ? "default" : "room");
        return -1;
    }
    return s->script.dir[0] ? script_check(&s->script, err, cap) : 0;
}

void relay_scripts_start(struct relay *r, const struct relay_settings *s)
{
    char err[512];
    if (!s->script.dir[0])
        return;
    if (script_engine_open(&engine, r, &s->script, err, sizeof err) != 0) {
        fprintf(stderr, "ricochet-relay: error: %s\n", err);
        exit(1);
    }
    struct sigaction sa = {.sa_handler = on_hup};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL); /* no SA_RESTART: it cuts the loop's wait short */
}

uint64_t relay_scripts_due(uint64_t by_us)
{
    uint64_t due = script_engine_due(engine);
    return due < by_us ? due : by_us;
}

bool relay_scripts_run(uint64_t now_us)
{
    if (reload_requested) {
        char err[512];
        reload_requested = 0;
        if (engine && script_engine_reload(engine, err, sizeof err) != 0)
            log_error("relay: room scripts not read again, the ones before kept: %s", err);
    }
    return script_engine_run(engine, now_us);
}

void relay_scripts_stop(void)
{
    script_engine_close(engine);
    engine = NULL;
}
