/* kb_mem.c -- allocation wrappers with a failure-injection hook. */
#include "kb_mem.h"

#include <stdlib.h>
#include <string.h>

static long fail_after = -1;

/* Returns 1 when the injected failure point has been reached. */
static int should_fail(void)
{
    if (fail_after < 0) {
        return 0;
    }
    if (fail_after == 0) {
        return 1;
    }
    fail_after--;
    return 0;
}

void kb_mem_fail_after(long n)
{
    fail_after = n;
}

void *kb_malloc(size_t size)
{
    return should_fail() ? NULL : malloc(size ? size : 1);
}

void *kb_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *kb_realloc(void *p, size_t size)
{
    return should_fail() ? NULL : realloc(p, size ? size : 1);
}

void kb_free(void *p)
{
    free(p);
}

char *kb_strndup(const char *s, size_t len)
{
    char *d = kb_malloc(len + 1);

    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}
