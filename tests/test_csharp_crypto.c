/* test_csharp_crypto.c: the C# binding's own ciphers (client/csharp/Ricochet/
 * Aead.cs, Blake2b.cs, Seal.cs), which a managed session seals with, are
 * libsodium's: 10,000 random vectors each of ChaCha20-Poly1305 IETF,
 * XChaCha20-Poly1305 IETF (random keys, nonces, associated data and
 * messages of 0-1200 bytes) and keyed BLAKE2b (1-64 bytes out, keys of
 * 0-64), made here with libsodium, sealed byte for byte the same and opened
 * by client/csharp/tests/crypto/CryptoCheck.cs under mono, a changed byte
 * refused; beside RFC 8439's, the XChaCha draft's and RFC 7693's vectors, and
 * 100,000 rounds of changed, cut, replayed and random messages at Seal.Open,
 * none opening. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define VECTORS 10000

static void hex(FILE *f, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char line[2 * 1216 + 2];
    if (n == 0) {
        fputs(" -", f);
        return;
    }
    line[0] = ' ';
    for (size_t i = 0; i < n; i++) {
        line[1 + 2 * i] = digits[b[i] >> 4];
        line[2 + 2 * i] = digits[b[i] & 15];
    }
    fwrite(line, 1, 1 + 2 * n, f);
}

/* A random length in [lo, hi], small ones and block edges often. */
static size_t length(size_t lo, size_t hi)
{
    static const size_t edges[] = {0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129};
    uint32_t r = randombytes_uniform(4);
    if (r == 0) {
        size_t e = edges[randombytes_uniform(sizeof edges / sizeof edges[0])];
        if (e >= lo && e <= hi)
            return e;
    }
    return lo + randombytes_uniform((uint32_t)(hi - lo + 1));
}

static void write_vectors(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    uint8_t key[64], nonce[24], aad[64], m[1200], out[1200 + 16];
    for (int i = 0; i < VECTORS; i++) {
        for (int x = 0; x < 2; x++) {
            size_t an = length(0, 64), mn = length(0, 1200), nn = x ? 24 : 12;
            unsigned long long on = 0;
            randombytes_buf(key, 32);
            randombytes_buf(nonce, nn);
            randombytes_buf(aad, an);
            randombytes_buf(m, mn);
            if (x)
                crypto_aead_xchacha20poly1305_ietf_encrypt(out, &on, m, mn, aad, an, NULL, nonce, key);
            else
                crypto_aead_chacha20poly1305_ietf_encrypt(out, &on, m, mn, aad, an, NULL, nonce, key);
            fputs(x ? "xaead" : "aead", f);
            hex(f, key, 32);
            hex(f, nonce, nn);
            hex(f, aad, an);
            hex(f, m, mn);
            hex(f, out, (size_t)on);
            fputc('\n', f);
        }
        size_t outlen = 1 + randombytes_uniform(64), kn = length(0, 64), mn = length(0, 600);
        randombytes_buf(key, kn);
        randombytes_buf(m, mn);
        crypto_generichash(out, outlen, m, mn, kn ? key : NULL, kn);
        fprintf(f, "hash %zu", outlen);
        hex(f, key, kn);
        hex(f, m, mn);
        hex(f, out, outlen);
        fputc('\n', f);
    }
    assert_int_equal(fclose(f), 0);
}

static void managed_ciphers_are_libsodiums(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    char dir[] = "/tmp/ricochet-cs-crypto-XXXXXX", cmd[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "%s/vectors.txt", dir);
    write_vectors(cmd);
    snprintf(cmd, sizeof cmd,
             "timeout 300 sh -c 'mcs -nologo -warnaserror -out:%s/check.exe client/csharp/Ricochet/*.cs "
             "client/csharp/tests/crypto/*.cs && mono %s/check.exe %s/vectors.txt 100000' 1>&2",
             dir, dir, dir);
    int rc = system(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(managed_ciphers_are_libsodiums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
