/* test_sentinel: a fleet's directory that survives its Redis, against real
 * redis-servers (a primary and its replica) and three redis-sentinels each
 * test starts: the primary found through the sentinels, and when it dies,
 * the failover heard (+switch-master), the new primary found, and the
 * relay's claims there again after its first heartbeat; the sentinels
 * asked again at each heartbeat (a server they no longer name dropped, a
 * lone sentinel not believed, no sentinel heard: the directory
 * unreachable, a silent subscription replaced); what Redis writes
 * on its own (a replica's dump.rdb) only in each one's temporary folder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet/directory.h"
#include "fleet/sentinel.h"
#include "lab/harness/redislab.h"
#include "sys/clock.h"

#define DOWN_MS 1000      /* the sentinels' down-after-milliseconds */
#define FAILOVER_MS 20000 /* a failover, at most */

static char err[512];

static void lab_start(struct redislab *l)
{
    if (redislab_start(l, DOWN_MS, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* A relay's directory through url. */
static struct directory *dir_at(const char *url)
{
    struct directory_config c = {.capacity = 100, .ttl_ms = 10000, .timeout_ms = 500};
    assert_int_equal(fleet_redis_url_parse(url, &c.url, err, sizeof err), 0);
    strcpy(c.prefix, "test");
    strcpy(c.addr, "127.0.0.1:7001");
    strcpy(c.transport, "enet");
    memset(c.instance, 'a', FLEET_INSTANCE_LEN);
    struct directory *d = directory_create(&c);
    assert_non_null(d);
    return d;
}

static struct directory *relay_dir(const struct redislab *l)
{
    return dir_at(l->url);
}

static const struct directory_load idle; /* no rooms, no clients, not draining */

/* Connects d, or fails the test. */
static void connect_dir(struct directory *d)
{
    if (directory_connect(d, err, sizeof err) != 0)
        fail_msg("%s", err);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Heartbeats of d (connected), each of which must succeed; the median
 * time one takes, in µs (what asking the sentinels at each costs). */
static uint64_t beats(struct directory *d, int n)
{
    uint64_t us[64];
    assert_true(n <= 64);
    for (int i = 0; i < n; i++) {
        uint64_t t = clock_now_us();
        assert_int_equal(directory_heartbeat(d, &idle, NULL, 0, NULL, err, sizeof err), 0);
        us[i] = clock_now_us() - t;
    }
    qsort(us, (size_t)n, sizeof us[0], cmp_u64);
    return us[n / 2];
}

static void the_primary_is_found_through_the_sentinels(void **state)
{
    (void)state;
    struct redislab l;
    lab_start(&l);
    struct fleet_redis_url u;
    assert_int_equal(fleet_redis_url_parse(l.url, &u, err, sizeof err), 0);
    char host[64];
    uint16_t port;
    assert_int_equal(sentinel_primary(&u, NULL, 500, host, sizeof host, &port, err, sizeof err),
                     0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, l.node[0].port);
    /* The first sentinel gone: the next one answers, and the one gone is
     * asked last from then on. */
    redisproc_stop(&l.sentinel[0]);
    assert_int_equal(sentinel_primary(&u, NULL, 500, host, sizeof host, &port, err, sizeof err),
                     0);
    assert_int_equal(port, l.node[0].port);
    assert_int_equal(u.sentinels[REDISLAB_SENTINELS - 1].port, l.sentinel[0].port);
    assert_int_equal(u.sentinels[0].port, l.sentinel[1].port);
    strcpy(u.master, "nobody");
    assert_int_equal(sentinel_primary(&u, NULL, 500, host, sizeof host, &port, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "nobody"));
    redislab_stop(&l);
}

/* Waits for the directory's sentinel event (a switch); true if it came. */
static bool switch_heard(struct directory *d, int timeout_ms)
{
    for (uint64_t end = clock_now_ms() + (uint64_t)timeout_ms; clock_now_ms() < end;) {
        struct pollfd p = {.fd = directory_event_fd(d), .events = POLLIN};
        if (p.fd >= 0 && poll(&p, 1, 100) == 1 && directory_on_event(d, err, sizeof err))
            return true;
        if (p.fd < 0)
            clock_sleep_ms(100);
    }
    return false;
}

static void a_failover_is_followed(void **state)
{
    (void)state;
    struct redislab l;
    lab_start(&l);
    struct directory *d = relay_dir(&l);
    connect_dir(d);
    assert_true(directory_event_fd(d) >= 0); /* subscribed to the sentinels */
    struct fleet_claim held[1];
    struct directory_placement pl;
    enum directory_renewal res[1];
    struct directory_load load = {1, 1, false};
    assert_int_equal(directory_heartbeat(d, &load, NULL, 0, NULL, err, sizeof err), 0);
    assert_int_equal(directory_place(d, "kept", NULL, NULL, &pl, err, sizeof err),
                     DIRECTORY_CLAIMED);
    held[0] = pl.claim;
    uint64_t epoch = held[0].epoch;
    /* The write reached the replica before the primary dies: asynchronous
     * replication may lose what did not (proto/FLEET.md). */
    char out[64];
    redisproc_ask(&l.node[0], "WAIT 1 1000", out, sizeof out);

    uint64_t t0 = clock_now_ms();
    if (redislab_fail_over(&l, FAILOVER_MS, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_true(switch_heard(d, FAILOVER_MS));
    assert_false(directory_connected(d)); /* dropped: the next call finds the new one */
    print_message("failover heard %llu ms after the primary died\n",
                  (unsigned long long)(clock_now_ms() - t0));
    connect_dir(d);
    assert_int_equal(directory_heartbeat(d, &load, held, 1, res, err, sizeof err), 0);
    assert_int_equal(res[0], DIRECTORY_RENEWED); /* replicated: still ours */
    assert_int_equal(held[0].epoch, epoch);
    assert_int_equal(directory_place(d, "new", NULL, NULL, &pl, err, sizeof err),
                     DIRECTORY_CLAIMED);
    assert_true(pl.claim.epoch > epoch);
    directory_destroy(d);
    redislab_stop(&l);
}

/* One inline command to a process of the lab; the reply must start with
 * `want` ("+OK"). */
static void tell(const struct redisproc *r, const char *cmd, const char *want)
{
    char out[256] = "";
    redisproc_ask(r, cmd, out, sizeof out - 1);
    if (strncmp(out, want, strlen(want)) != 0)
        fail_msg("%s: %s", cmd, out);
}

/* The replica made a primary and the sentinels told to watch it instead,
 * without a failover: no +switch-master, and the old primary still
 * answers as a primary (as one cut off with a relay would). Sentinels
 * first..last-1 are told. */
static void renamed_primary(const struct redislab *l, int first, int last)
{
    char cmd[128];
    tell(&l->node[1], "REPLICAOF NO ONE", "+OK");
    snprintf(cmd, sizeof cmd, "SENTINEL MONITOR %s 127.0.0.1 %u 2", REDISLAB_MASTER,
             l->node[1].port);
    for (int i = first; i < last; i++) {
        tell(&l->sentinel[i], "SENTINEL REMOVE " REDISLAB_MASTER, "+OK");
        tell(&l->sentinel[i], cmd, "+OK");
    }
}

static void a_server_the_sentinels_no_longer_name_is_dropped(void **state)
{
    (void)state;
    struct redislab l;
    lab_start(&l);
    struct directory *d = relay_dir(&l);
    struct directory *direct = dir_at(l.node[0].url);
    connect_dir(d);
    connect_dir(direct);
    uint64_t checked = beats(d, 41), plain = beats(direct, 41);
    print_message("a heartbeat: %llu us through the sentinels (asked each time), %llu us "
                  "to the primary alone (medians of 41)\n", (unsigned long long)checked,
                  (unsigned long long)plain);
    directory_destroy(direct);
    renamed_primary(&l, 0, REDISLAB_SENTINELS);
    /* The next heartbeat asks them again: no lease through the old one. */
    assert_int_equal(directory_heartbeat(d, &idle, NULL, 0, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "the sentinels name"));
    assert_false(directory_connected(d));
    connect_dir(d);
    assert_int_equal(directory_heartbeat(d, &idle, NULL, 0, NULL, err, sizeof err), 0);
    assert_int_equal(redisproc_count_keys(&l.node[1], "test:relay:*"), 1); /* the new one */
    directory_destroy(d);
    redislab_stop(&l);
}

/* One sentinel that names another server (cut off with it, say) is not
 * believed: the majority is. */
static void a_minority_of_sentinels_is_not_believed(void **state)
{
    (void)state;
    struct redislab l;
    lab_start(&l);
    struct fleet_redis_url u;
    assert_int_equal(fleet_redis_url_parse(l.url, &u, err, sizeof err), 0);
    renamed_primary(&l, 0, 1);
    char host[64];
    uint16_t port;
    assert_int_equal(sentinel_primary(&u, NULL, 500, host, sizeof host, &port, err, sizeof err),
                     0);
    assert_int_equal(port, l.node[0].port);
    redisproc_stop(&l.sentinel[2]); /* one for each: no majority */
    assert_int_equal(sentinel_primary(&u, NULL, 500, host, sizeof host, &port, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "no majority"));
    redislab_stop(&l);
}

static void signal_sentinels(struct redislab *l, int first, int last, int sig)
{
    for (int i = first; i < last; i++)
        spawn_signal(&l->sentinel[i].proc, sig);
}

/* Sentinels that stop answering (stopped here; cut off, in a partition)
 * leave the relay's directory unreachable at its next heartbeat, though
 * the primary answers: its leases then run out. */
static void a_relay_that_hears_no_sentinel_loses_its_directory(void **state)
{
    (void)state;
    struct redislab l;
    lab_start(&l);
    struct directory *d = relay_dir(&l);
    connect_dir(d);
    assert_int_equal(directory_heartbeat(d, &idle, NULL, 0, NULL, err, sizeof err), 0);
    signal_sentinels(&l, 0, REDISLAB_SENTINELS, SIGSTOP);
    uint64_t t0 = clock_now_ms();
    assert_int_equal(directory_heartbeat(d, &idle, NULL, 0, NULL, err, sizeof err), -1);
    assert_true(clock_now_ms() - t0 < 5000); /* three timeouts of 500 ms, and slack */
    assert_non_null(strstr(err, "0 of 3 sentinels answered"));
    assert_false(directory_connected(d));
    assert_int_equal(directory_connect(d, err, sizeof err), -1);
    signal_sentinels(&l, 0, REDISLAB_SENTINELS, SIGCONT);
    connect_dir(d);
    assert_int_equal(directory_heartbeat(d, &idle, NULL, 0, NULL, err, sizeof err), 0);
    directory_destroy(d);
    redislab_stop(&l);
}

/* The sentinel the subscription is on stops answering: within two
 * heartbeats the relay subscribes on another, and hears the failover. */
static void a_silent_subscription_is_replaced(void **state)
{
    (void)state;
    struct redislab l;
    lab_start(&l);
    struct directory *d = relay_dir(&l);
    connect_dir(d); /* subscribed on the first */
    signal_sentinels(&l, 0, 1, SIGSTOP);
    for (int beat = 0; beat < 2; beat++)
        assert_int_equal(directory_heartbeat(d, &idle, NULL, 0, NULL, err, sizeof err), 0);
    if (redislab_fail_over(&l, FAILOVER_MS, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_true(switch_heard(d, FAILOVER_MS));
    signal_sentinels(&l, 0, 1, SIGCONT);
    directory_destroy(d);
    redislab_stop(&l);
}

/* Whether what Redis writes on its own stays in each one's folder: after
 * the replica's full sync (its copy of the primary, dump.rdb: the lab
 * waits for it) and the
 * sentinels' config rewrites, the working directory they were started
 * from holds nothing, and stopping them takes their folders away. */
static void redis_writes_only_in_its_folders(void **state)
{
    (void)state;
    char here[4096], scratch[] = "/tmp/ricochet-cwd-XXXXXX";
    assert_non_null(getcwd(here, sizeof here));
    assert_non_null(mkdtemp(scratch));
    assert_int_equal(chdir(scratch), 0);
    struct redislab l;
    lab_start(&l);
    char copy[128], folders[2 + REDISLAB_SENTINELS][sizeof l.node[0].dir];
    snprintf(copy, sizeof copy, "%s/dump.rdb", l.node[1].dir);
    assert_int_equal(access(copy, F_OK), 0); /* the replica's copy, where it belongs */
    for (int i = 0; i < 2; i++)
        snprintf(folders[i], sizeof folders[i], "%s", l.node[i].dir);
    for (int i = 0; i < REDISLAB_SENTINELS; i++)
        snprintf(folders[2 + i], sizeof folders[i], "%s", l.sentinel[i].dir);
    DIR *d = opendir(".");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            fail_msg("redis left %s in the working directory", e->d_name);
    closedir(d);
    redislab_stop(&l);
    for (int i = 0; i < 2 + REDISLAB_SENTINELS; i++)
        assert_int_equal(access(folders[i], F_OK), -1);
    assert_int_equal(chdir(here), 0);
    assert_int_equal(rmdir(scratch), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_primary_is_found_through_the_sentinels),
        cmocka_unit_test(a_failover_is_followed),
        cmocka_unit_test(a_server_the_sentinels_no_longer_name_is_dropped),
        cmocka_unit_test(a_minority_of_sentinels_is_not_believed),
        cmocka_unit_test(a_relay_that_hears_no_sentinel_loses_its_directory),
        cmocka_unit_test(a_silent_subscription_is_replaced),
        cmocka_unit_test(redis_writes_only_in_its_folders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
