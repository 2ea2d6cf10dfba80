/* kb_mem.h -- allocation wrappers with a failure-injection hook for tests.
 *
 * Every allocation in libkb goes through these so that tests can make the
 * N-th allocation fail and check that each error path returns cleanly.
 * Thread-safe only in the sense that the hook is meant to be set by a
 * single-threaded test before work starts.
 */
#ifndef KB_MEM_H
#define KB_MEM_H

#include <stddef.h>

void *kb_malloc(size_t size);
void *kb_calloc(size_t n, size_t size);
void *kb_realloc(void *p, size_t size);
void kb_free(void *p);
/** Duplicate @p len bytes of @p s plus a NUL. Caller frees with kb_free(). */
char *kb_strndup(const char *s, size_t len);

/** Test hook: after @p n more successful allocations, every allocation
 *  fails (returns NULL). A negative @p n disables the hook (the default). */
void kb_mem_fail_after(long n);

#endif /* KB_MEM_H */
