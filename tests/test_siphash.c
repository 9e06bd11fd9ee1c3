/* test_siphash: SipHash-2-4 against the reference test vectors (key
 * 00 01 .. 0f, message 00 01 .. len-1; the output bytes little-endian as in
 * the reference implementation's vectors.h), including the paper's
 * appendix A example (15 bytes -> a129ca6149be45e5). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../proto/siphash.h"

static const struct {
    size_t len;
    uint8_t out[8];
} vectors[] = {
    { 0, { 0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72 } },
    { 1, { 0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74 } },
    { 7, { 0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab } },
    { 8, { 0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93 } },
    { 15, { 0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1 } },
    { 63, { 0x72, 0x45, 0x06, 0xeb, 0x4c, 0x32, 0x8a, 0x95 } },
};

static void reference_vectors(void **state)
{
    (void)state;
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        uint64_t want = 0;
        for (int i = 7; i >= 0; i--)
            want = (want << 8) | vectors[v].out[i];
        assert_int_equal(siphash24(key, msg, vectors[v].len), want);
    }
    assert_int_equal(siphash24(key, msg, 15), 0xa129ca6149be45e5ull); /* the paper's */
}

static void key_changes_output(void **state)
{
    (void)state;
    uint8_t k1[16] = { 0 }, k2[16] = { 0 };
    k2[15] = 1;
    assert_true(siphash24(k1, "abc", 3) != siphash24(k2, "abc", 3));
    assert_true(siphash24(k1, "abc", 3) != siphash24(k1, "abd", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_vectors),
        cmocka_unit_test(key_changes_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
