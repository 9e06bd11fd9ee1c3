/* signals.c: handlers that only set the flags the main loops read. */
#include "signals.h"

#include <stddef.h>
#include <string.h>

static volatile sig_atomic_t *stop_flag;
static volatile sig_atomic_t *usr1_flag;
static void (*stop_notify)(void);

static void on_stop(int sig)
{
    if (stop_flag)
        *stop_flag = sig;
    if (stop_notify)
        stop_notify();
}

static void on_usr1(int sig)
{
    (void)sig;
    *usr1_flag = 1;
}

static void set_handler(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = handler; /* no SA_RESTART: a signal cuts a wait short */
    sigaction(sig, &sa, NULL);
}

void signals_install(volatile sig_atomic_t *stop, volatile sig_atomic_t *usr1,
                     void (*notify)(void))
{
    stop_flag = stop;
    usr1_flag = usr1;
    stop_notify = notify;
    set_handler(SIGINT, on_stop);
    set_handler(SIGTERM, on_stop);
    if (usr1)
        set_handler(SIGUSR1, on_usr1);
    set_handler(SIGPIPE, SIG_IGN);
}

void signals_stop_on(int sig)
{
    set_handler(sig, on_stop);
}
