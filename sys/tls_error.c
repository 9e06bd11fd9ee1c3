/* tls_error.c: see tls_error.h. */
#include "tls_error.h"

#include <openssl/err.h>

const char *tls_error(char *buf, size_t cap, const char *none)
{
    unsigned long e = ERR_get_error();
    if (!e)
        return none;
    ERR_error_string_n(e, buf, cap);
    ERR_clear_error();
    return buf;
}
