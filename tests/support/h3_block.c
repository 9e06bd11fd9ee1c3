/* h3_block.c: see h3_block.h. */
#include "h3_block.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <cmocka.h>

#include <nghttp3/nghttp3.h>

size_t h3_block(uint8_t *out, size_t cap, const char *const *fields)
{
    nghttp3_nv nva[32];
    size_t n = 0;
    for (; fields[2 * n] && n < 32; n++)
        nva[n] = (nghttp3_nv){(uint8_t *)fields[2 * n], (uint8_t *)fields[2 * n + 1],
                              strlen(fields[2 * n]), strlen(fields[2 * n + 1]),
                              NGHTTP3_NV_FLAG_NONE};
    const nghttp3_mem *mem = nghttp3_mem_default();
    nghttp3_qpack_encoder *enc;
    nghttp3_buf p, r, e;
    nghttp3_buf_init(&p);
    nghttp3_buf_init(&r);
    nghttp3_buf_init(&e);
    assert_int_equal(nghttp3_qpack_encoder_new(&enc, 0, mem), 0);
    assert_int_equal(nghttp3_qpack_encoder_encode(enc, &p, &r, &e, 0, nva, n), 0);
    size_t len = nghttp3_buf_len(&p) + nghttp3_buf_len(&r);
    assert_true(len <= cap && nghttp3_buf_len(&e) == 0);
    memcpy(out, p.pos, nghttp3_buf_len(&p));
    memcpy(out + nghttp3_buf_len(&p), r.pos, nghttp3_buf_len(&r));
    nghttp3_buf_free(&p, mem);
    nghttp3_buf_free(&r, mem);
    nghttp3_buf_free(&e, mem);
    nghttp3_qpack_encoder_del(enc);
    return len;
}
