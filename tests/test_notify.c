/* test_notify.c: the service manager's notification. Unset NOTIFY_SOCKET
 * sends nothing; a path or an abstract "@name" gets the state as one
 * datagram, as systemd reads it; a socket nobody listens on, or a name
 * that is no socket path, is a one-line error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sys/notify.h"

/* A datagram socket bound at path (with '@': abstract). */
static int listener(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    size_t len = strlen(path);
    memcpy(a.sun_path, path, len);
    if (path[0] == '@')
        a.sun_path[0] = '\0';
    assert_int_equal(bind(fd, (struct sockaddr *)&a,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)), 0);
    return fd;
}

static void expect(int fd, const char *want)
{
    char got[64] = { 0 };
    ssize_t n = recv(fd, got, sizeof got - 1, MSG_DONTWAIT);
    assert_int_equal(n, (ssize_t)strlen(want));
    assert_string_equal(got, want);
}

static void unset_sends_nothing(void **state)
{
    (void)state;
    char err[128];
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(notify_service_manager("READY=1", err, sizeof err), 0);
    setenv("NOTIFY_SOCKET", "", 1);
    assert_int_equal(notify_service_manager("READY=1", err, sizeof err), 0);
}

static void path_and_abstract_sockets_get_the_state(void **state)
{
    (void)state;
    char err[128], path[64], name[64];
    snprintf(path, sizeof path, "/tmp/ricochet-notify-%d", (int)getpid());
    unlink(path);
    int fd = listener(path);
    setenv("NOTIFY_SOCKET", path, 1);
    assert_int_equal(notify_service_manager("READY=1", err, sizeof err), 1);
    expect(fd, "READY=1");
    close(fd);
    unlink(path);

    snprintf(name, sizeof name, "@ricochet-notify-%d", (int)getpid());
    fd = listener(name);
    setenv("NOTIFY_SOCKET", name, 1);
    assert_int_equal(notify_service_manager("STOPPING=1", err, sizeof err), 1);
    expect(fd, "STOPPING=1");
    close(fd);
    unsetenv("NOTIFY_SOCKET");
}

static void nobody_listening_is_an_error(void **state)
{
    (void)state;
    char err[128];
    setenv("NOTIFY_SOCKET", "/tmp/ricochet-notify-nobody-here", 1);
    assert_int_equal(notify_service_manager("READY=1", err, sizeof err), -1);
    assert_non_null(strstr(err, "ricochet-notify-nobody-here"));
    setenv("NOTIFY_SOCKET", "relative/path", 1);
    assert_int_equal(notify_service_manager("READY=1", err, sizeof err), -1);
    assert_null(strchr(err, '\n'));
    unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unset_sends_nothing),
        cmocka_unit_test(path_and_abstract_sockets_get_the_state),
        cmocka_unit_test(nobody_listening_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
