/* kb_normtab.h -- the normaliser's ICU tables as taken at build time.
 *
 * cmd/gen_normtab.c runs kb_norm_new_icu() and kb_norm_snapshot() during
 * the build and writes the result as C source (build/<flavour>/gen/
 * kb_normtab.c), which libkb.a links. kb_norm_new() reads it instead of
 * asking ICU again, as long as the ICU it runs with is the one it was made
 * with. The generator itself links a definition that returns NULL.
 */
#ifndef KB_NORMTAB_H
#define KB_NORMTAB_H

#include <stddef.h>

/** The snapshot (borrowed, static storage) and its length in @p len, or
 *  NULL when this program has none. */
const unsigned char *kb_normtab_blob(size_t *len);

#endif /* KB_NORMTAB_H */
