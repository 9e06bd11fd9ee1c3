/* test_enet_held_acks.c: acknowledgements the ENet edge holds back to
 * ride with the tick (relay_enet_hold_acks, relay_enet_return_acks) go
 * back to their connection ahead of the ones queued since, in order; a
 * connection that ended, or was replaced in its slot, gets none back:
 * they are freed (LeakSanitizer would report them otherwise). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <enet/enet.h>
#include <string.h>

#include "relay/enet/enet_internals.h"

static void queue_ack(ENetPeer *p, enet_uint16 sent_time)
{
    ENetAcknowledgement *a = enet_malloc(sizeof *a);
    assert_non_null(a);
    memset(a, 0, sizeof *a);
    a->sentTime = sent_time;
    enet_list_insert(enet_list_end(&p->acknowledgements), a);
}

/* The peer's acknowledgements in order, as sent times, into out (up to cap);
 * returns how many. */
static size_t ack_times(ENetPeer *p, enet_uint16 *out, size_t cap)
{
    size_t n = 0;
    for (ENetListIterator it = enet_list_begin(&p->acknowledgements);
         it != enet_list_end(&p->acknowledgements) && n < cap; it = enet_list_next(it))
        out[n++] = ((ENetAcknowledgement *)it)->sentTime;
    return n;
}

/* Held acknowledgements go back ahead of the ones queued since; a
 * connection that ended (or was replaced in its slot) gets none back:
 * they are freed (LeakSanitizer would report them otherwise). */
static void held_acks_go_back_in_order_or_are_freed(void **state)
{
    (void)state;
    ENetPeer p;
    memset(&p, 0, sizeof p);
    enet_list_clear(&p.acknowledgements);
    p.state = ENET_PEER_STATE_CONNECTED;
    p.connectID = 7;
    struct relay_enet_acks held;
    relay_enet_acks_init(&held);
    enet_uint16 got[8];

    queue_ack(&p, 1);
    queue_ack(&p, 2);
    relay_enet_hold_acks(&p, &held);
    assert_true(enet_list_empty(&p.acknowledgements));
    queue_ack(&p, 3);
    relay_enet_hold_acks(&p, &held);
    queue_ack(&p, 4);
    assert_int_equal(relay_enet_return_acks(&p, &held), 3);
    assert_true(enet_list_empty(&held.list));
    assert_int_equal(ack_times(&p, got, 8), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], i + 1);
    assert_int_equal(relay_enet_return_acks(&p, &held), 0); /* nothing held */

    relay_enet_hold_acks(&p, &held);
    p.connectID = 8; /* another connection in the slot */
    queue_ack(&p, 5);
    relay_enet_hold_acks(&p, &held); /* the old connection's four are freed */
    assert_int_equal(relay_enet_return_acks(&p, &held), 1);
    assert_int_equal(ack_times(&p, got, 8), 1);
    assert_int_equal(got[0], 5);

    relay_enet_hold_acks(&p, &held);
    p.state = ENET_PEER_STATE_ZOMBIE; /* gone */
    assert_int_equal(relay_enet_return_acks(&p, &held), 0);
    assert_true(enet_list_empty(&held.list));
    assert_true(enet_list_empty(&p.acknowledgements));
}

int main(void)
{
    if (enet_initialize() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(held_acks_go_back_in_order_or_are_freed),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    enet_deinitialize();
    return rc;
}
