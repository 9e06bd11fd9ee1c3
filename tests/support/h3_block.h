/* h3_block.h: an HTTP/3 header block made for the tests by nghttp3's QPACK
 * encoder (no dynamic table), as a client would send a CONNECT's. */
#ifndef RICOCHET_TEST_H3_BLOCK_H
#define RICOCHET_TEST_H3_BLOCK_H

#include <stddef.h>
#include <stdint.h>

/* fields (name, value, name, value, ..., NULL; at most 32 pairs) encoded
 * into out (cap). Returns the block's length; fails the test if it does
 * not fit. */
size_t h3_block(uint8_t *out, size_t cap, const char *const *fields);

#endif
