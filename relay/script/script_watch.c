/* script_watch.c: the watchdog (see script_internal.h). The count hook
 * looks at a call's time every few instructions, but one instruction or
 * one step of a library function may itself run long (a comparison of two
 * long strings of zero bytes, which Lua makes a zero at a time, a copy as
 * large as the memory cap), and a hundred of them between two looks would
 * hold the loop a hundred times as long. So a thread of its own, one a
 * process, looks at the call in hand every WATCH_EVERY_MS: one still
 * running SCRIPT_WATCH_SLACK_MS past its deadline gets a signal, whose
 * handler asks Lua to call the count hook at the next instruction
 * (lua_sethook, which Lua allows in a signal handler: its own interpreter
 * stops a script at Ctrl-C so), and the hook stops the call. The signal
 * goes only to the thread the calls run on, and only to a call past its
 * time: a relay whose scripts keep their time never gets one. */
#include "script_internal.h"

#include <errno.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "sys/clock.h"
#include "sys/log.h"

#define WATCH_EVERY_MS 5
#define WATCH_SIGNAL (SIGRTMIN + 1)

static struct {
    pthread_once_t once;
    _Atomic(struct room_vm *) vm;           /* the call in hand, NULL: none */
    _Atomic uint64_t deadline_us;           /* ... its deadline */
    _Atomic pthread_t thread;               /* ... the thread it runs on */
    _Atomic(lua_Hook) hook;                 /* the count hook */
} watch = {.once = PTHREAD_ONCE_INIT};

/* On the calls' thread, in the call past its time (or just after it
 * ended: then the next call's first look puts the hook back). */
static void on_late(int sig)
{
    (void)sig;
    int saved = errno;
    struct room_vm *vm = atomic_load(&watch.vm);
    lua_Hook hook = atomic_load(&watch.hook);
    if (vm && vm->L && hook) {
        vm->hurried = 1;
        lua_sethook(vm->L, hook, LUA_MASKCOUNT, 1);
    }
    errno = saved;
}

static void *watch_loop(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t now = clock_now_us(), wake = now + WATCH_EVERY_MS * 1000u;
        if (atomic_load(&watch.vm)) {
            uint64_t due = atomic_load(&watch.deadline_us) + SCRIPT_WATCH_SLACK_MS * 1000u;
            if (now >= due) /* and again at each look while it runs */
                pthread_kill(atomic_load(&watch.thread), WATCH_SIGNAL);
            else if (due < wake)
                wake = due;
        }
        struct timespec ts = {.tv_sec = (time_t)((wake - now) / 1000000u),
                              .tv_nsec = (long)((wake - now) % 1000000u) * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void start_once(void)
{
    struct sigaction sa = {.sa_handler = on_late, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(WATCH_SIGNAL, &sa, NULL);
    /* the watchdog itself never takes its signal, nor any other: the
     * program's handlers run on its own threads */
    sigset_t all, was;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &was);
    pthread_t t;
    int rc = pthread_create(&t, NULL, watch_loop, NULL);
    pthread_sigmask(SIG_SETMASK, &was, NULL);
    if (rc != 0) {
        log_warn("script: no watchdog (%s): a call is stopped only at its count hook's "
                 "looks", strerror(rc));
        return;
    }
    pthread_detach(t);
}

void script_watch_start(void)
{
    pthread_once(&watch.once, start_once);
}

void script_watch_hook(lua_Hook hook)
{
    atomic_store(&watch.hook, hook);
}

void script_watch_call(struct room_vm *vm)
{
    if (vm) {
        atomic_store(&watch.deadline_us, vm->deadline_us);
        atomic_store(&watch.thread, pthread_self());
    }
    atomic_store(&watch.vm, vm);
}
