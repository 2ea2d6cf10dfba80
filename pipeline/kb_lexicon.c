/* kb_lexicon.c -- load and query the sentiment/aspect lexicons.
 *
 * The trie stores one node per (prefix, code point). Children of the root are
 * a direct 64K table because every lookup starts there and most fail there.
 * While loading, deeper edges live in one open-addressing hash keyed by
 * (node, code point), which takes insertions cheaply. Once loading is done
 * the trie is frozen into one array of node blocks in depth-first order:
 * each block holds the node's entry and its edges as a sorted run of code
 * points with their children's offsets. A lookup then reads a few adjacent words
 * instead of a random slot of a megabyte table (English words step through
 * that hash once per letter, a fifth of the time on English text).
 * Loading is single-threaded; the loaded structure is read-only.
 */
#include "kb_lexicon.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <unicode/utf8.h>

#include "kb_buf.h"
#include "kb_mem.h"
#include "kb_prefilter.h"

#define BMP 0x10000
#define EMPTY_KEY UINT64_MAX

typedef enum {
    K_SENTIMENT = 0, K_WORD, K_NEGATOR, K_DEGREE, K_CONTRAST,
    K_SERVQUAL, K_INTENT, K_PATTERN, K_BRAND, K_RESOLVER, K_COUNT
} kind_t;

static const char *const kind_names[K_COUNT] = {
    "sentiment", "word", "negator", "degree", "contrast",
    "servqual", "intent", "pattern", "brand", "resolver"};

enum { L_ZH = 0, L_EN, L_ANY, L_COUNT };
static const char *const lang_names[L_COUNT] = {"zh", "en", "any"};

static const char *const sq_names[KB_SQ_COUNT] = {
    "tangibles", "reliability", "responsiveness", "assurance", "empathy"};

#define DEFAULT_NEGATOR (-0.74f) /* VADER's N_SCALAR */

/* Distinct first code points of anchored patterns (slot 0 means none). */
#define FSLOT_MAX 65535 /* slots are uint16_t */

/* One trie edge of the hash: key and child side by side, so that a lookup
 * touches one cache line (the table is megabytes; two parallel arrays cost
 * two misses per step, and the trie walk led the profile). */
typedef struct {
    uint64_t key;
    uint32_t val;
} edge_t;

/* A word of up to WORD_MAX ASCII code points from the root, its bytes
 * zero-padded in k, and the node and entry it reaches (node KB_LEX_NONE:
 * an empty slot). */
#define WORD_MAX 16
typedef struct {
    uint64_t k[2];
    uint32_t node, ent;
    uint32_t sp; /* node's child by ' ', where phrases continue */
    uint32_t pad;
} word_slot_t;

/* Where an entry of some kind was defined: file index and line. */
typedef struct { uint16_t file; uint32_t line; } origin_t;

/* The frozen trie is one array of node blocks in depth-first order; a
 * node's id is the offset of its block:
 *   blk[id]                       n, the number of children
 *   blk[id + 1]                   entry index, BLK_NO_ENTRY when none
 *   blk[id + 2 .. id + 2 + n)     the children's code points, ascending
 *   blk[id + 2 + n .. id + 2 + 2n) the children's ids, in the same order
 * Depth first puts a node's first child right behind it and a term's tail
 * (one child after another) in consecutive words, so a walk mostly moves
 * forward through memory. A node with more than HASH_MIN children (the
 * first characters of Chinese terms have hundreds) has instead
 *   blk[id]                       BLK_HASHED | mask (slots - 1)
 *   blk[id + 2 + 2s], [+ 2s + 1]  slot s: a child's code point and id, or
 *                                 NO_LABEL; open addressing by slot_of()
 * so that its lookup reads one or two adjacent words, not the several
 * cache lines a binary search over hundreds of labels touches. */
#define BLK_NO_ENTRY UINT32_MAX
#define BLK_HASHED 0x80000000u
#define NO_LABEL UINT32_MAX
#define HASH_MIN 16
#define HASH_MAX 16384 /* children of a hashed node (slots fit slot_of()) */

/* Home slot of code point cp in a hashed block (masked by the caller). */
static inline uint32_t slot_of(uint32_t cp)
{
    return (cp * 0x9E3779B1u) >> 16;
}

/* Slots of a hashed block of n children: a power of two, at least 2n. */
static uint32_t hash_slots(size_t n)
{
    uint32_t s = 2 * HASH_MIN;

    while (s < 2 * n) {
        s *= 2;
    }
    return s;
}

/* Words of the block of a node with n children. */
static size_t block_words(size_t n)
{
    return 2 + 2 * (n > HASH_MIN && n <= HASH_MAX ? hash_slots(n) : n);
}

/* A pattern's anchored twin (add_anchored()): code is NULL when it has
 * none. */
typedef struct {
    pcre2_code *code;
    uint32_t *sec;   /* second code points, ascending, see second_ok() */
    size_t n_sec;
    uint16_t *slots; /* the slots of its first code points */
    size_t n_slots;
} twin_t;

struct kb_lexicon {
    const kb_norm_t *nm;
    uint32_t *root;
    /* loading: edge hash; freed by freeze_trie() */
    edge_t *edges;
    size_t hcap, hcount;
    int32_t *node_entry;
    size_t n_nodes, nodes_cap;
    /* frozen (queries): depth-first node blocks, see BLK_NO_ENTRY */
    uint32_t *blk;
    word_slot_t *words; /* whole ASCII words, see build_words() */
    uint32_t words_mask;
    uint32_t *ascii2; /* node of two ASCII code points from the root, by
                         c0 << 7 | c1; see kb_lexicon_walk() */
    kb_lex_entry_t *entries;
    origin_t *origin; /* K_COUNT per entry; file 0xFFFF = unset */
    size_t n_entries, entries_cap;
    char **brands;
    size_t n_brands;
    kb_lex_pattern_t *pats;
    pcre2_code **pat_re; /* one per pattern, JIT-compiled, same index */
    twin_t *twin;        /* one per pattern, same index, see pat_find() */
    uint16_t *fslot;     /* BMP code point -> slot, 0: starts no twin */
    size_t n_fslots;
    kb_prefilter_t *pf;  /* which patterns can match a text at all */
    size_t n_pats;
    uint64_t fnv;
    char hash[17];
    /* loading state */
    char **files;
    size_t n_files;
    const char *cur_file;
    unsigned cur_line;
    int cur_extra;
    FILE *report; /* check mode: report problems here and carry on */
    int problems;
    char *errstr;
    size_t errstr_size;
    size_t counts[K_COUNT][L_COUNT];
    size_t sq_counts[KB_SQ_COUNT][L_COUNT];
};

const char *kb_servqual_name(int d)
{
    return d >= 0 && d < KB_SQ_COUNT ? sq_names[d] : "?";
}

static void problem(kb_lexicon_t *lx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record a problem at the current file:line. In load mode the first one
 * becomes the error; in check mode all are reported. */
static void problem(kb_lexicon_t *lx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (lx->report) {
        fprintf(lx->report, "%s:%u: %s\n", lx->cur_file, lx->cur_line, msg);
    } else if (lx->problems == 0) {
        snprintf(lx->errstr, lx->errstr_size, "%s:%u: %s", lx->cur_file,
                 lx->cur_line, msg);
    }
    lx->problems++;
}

/* ---- trie --------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static uint64_t edge_key(uint32_t node, uint32_t cp)
{
    return ((uint64_t)node << 21) | cp;
}

/* Child of @node for @cp in the loading hash, or KB_LEX_NONE. */
static uint32_t build_step(const kb_lexicon_t *lx, uint32_t node, uint32_t cp)
{
    uint64_t key;
    size_t i;

    if (node == KB_LEX_ROOT && cp < BMP) {
        uint32_t v = lx->root[cp];
        return v ? v : KB_LEX_NONE;
    }
    if (lx->hcap == 0) {
        return KB_LEX_NONE;
    }
    key = edge_key(node, cp);
    for (i = mix64(key) & (lx->hcap - 1);; i = (i + 1) & (lx->hcap - 1)) {
        if (lx->edges[i].key == key) {
            return lx->edges[i].val;
        }
        if (lx->edges[i].key == EMPTY_KEY) {
            return KB_LEX_NONE;
        }
    }
}

/* Child of @node for @cp in the frozen trie below the root table. Inlined
 * into the walks below: the tokenizer steps once per code point of every
 * word. A wide node is a hash table (BLK_HASHED); otherwise the search is
 * a branch-free binary search (the compiler turns the
 * halving into a conditional move): a scan that stopped at the first label
 * not below cp mispredicted about once per step, and those mispredictions
 * were most of the cost of looking English words up. */
static inline uint32_t child(const kb_lexicon_t *lx, uint32_t node, uint32_t cp)
{
    const uint32_t *b = lx->blk + node, *lab = b + 2;
    uint32_t n = b[0];

    if (n == 0) {
        return KB_LEX_NONE;
    }
    if (n & BLK_HASHED) {
        uint32_t mask = n & ~BLK_HASHED;
        for (uint32_t h = slot_of(cp) & mask;; h = (h + 1) & mask) {
            if (lab[2 * h] == cp) {
                return lab[2 * h + 1];
            }
            if (lab[2 * h] == NO_LABEL) {
                return KB_LEX_NONE;
            }
        }
    }
    /* invariant: the last label <= cp, if any, is in lab[0, n) */
    while (n > 1) {
        uint32_t half = n / 2;
        lab = lab[half] <= cp ? lab + half : lab;
        n -= half;
    }
    return *lab == cp ? lab[b[0]] : KB_LEX_NONE;
}

/* The root's children in the BMP come from the direct table. */
static inline uint32_t root_child(const kb_lexicon_t *lx, uint32_t cp)
{
    uint32_t v;

    if (cp >= BMP) {
        return child(lx, KB_LEX_ROOT, cp);
    }
    v = lx->root[cp];
    return v ? v : KB_LEX_NONE;
}

static inline uint32_t step(const kb_lexicon_t *lx, uint32_t node, uint32_t cp)
{
    return node == KB_LEX_ROOT ? root_child(lx, cp) : child(lx, node, cp);
}

uint32_t kb_lexicon_step(const kb_lexicon_t *lx, uint32_t node, uint32_t cp)
{
    return step(lx, node, cp);
}

/* The walks take the first step (the only one that can be at the root) out
 * of the loop, so the loop has no root test to mispredict. */
uint32_t kb_lexicon_walk(const kb_lexicon_t *lx, uint32_t node, const uint32_t *cp,
                         size_t n)
{
    size_t i = 0;

    if (n >= 2 && node == KB_LEX_ROOT && (cp[0] | cp[1]) < 128 && lx->ascii2) {
        node = lx->ascii2[cp[0] << 7 | cp[1]];
        i = 2;
    } else if (n > 0 && node == KB_LEX_ROOT) {
        node = root_child(lx, cp[0]);
        i = 1;
    }
    for (; i < n && node != KB_LEX_NONE; i++) {
        node = child(lx, node, cp[i]);
    }
    return node;
}

const kb_lex_entry_t *kb_lexicon_entry(const kb_lexicon_t *lx, uint32_t node)
{
    uint32_t e = lx->blk[node + 1];
    return e != BLK_NO_ENTRY ? &lx->entries[e] : NULL;
}

/* The scorer reads every token's entry after the tokenizer is done with
 * the whole text; fetched then, each was a cache miss (the entries are
 * megabytes), on the scorer's first pass over the tokens. Asking for it
 * now overlaps the miss with the rest of the tokenizing. */
static inline void entry_prefetch(const kb_lex_entry_t *e)
{
    if (e) {
        __builtin_prefetch(e);
    }
}

size_t kb_lexicon_longest(const kb_lexicon_t *lx, const uint32_t *cp, size_t n,
                          const kb_lex_entry_t **e)
{
    uint32_t node = n > 0 ? root_child(lx, cp[0]) : KB_LEX_NONE, be = BLK_NO_ENTRY;
    size_t best = 0;

    /* The root step is taken out of the loop, as in kb_lexicon_walk() */
    for (size_t i = 1; node != KB_LEX_NONE; i++) {
        if (lx->blk[node + 1] != BLK_NO_ENTRY) {
            best = i;
            be = lx->blk[node + 1];
        }
        if (i == n) {
            break;
        }
        node = child(lx, node, cp[i]);
    }
    *e = be != BLK_NO_ENTRY ? &lx->entries[be] : NULL;
    entry_prefetch(*e);
    return best;
}

static int hash_put(edge_t *edges, size_t cap, uint64_t key, uint32_t val)
{
    size_t i;

    for (i = mix64(key) & (cap - 1); edges[i].key != EMPTY_KEY; i = (i + 1) & (cap - 1)) {
        if (edges[i].key == key) {
            edges[i].val = val;
            return 0;
        }
    }
    edges[i].key = key;
    edges[i].val = val;
    return 1;
}

static int hash_grow(kb_lexicon_t *lx)
{
    size_t cap = lx->hcap ? lx->hcap * 2 : 1024;
    edge_t *edges = kb_malloc(cap * sizeof(edge_t));

    if (!edges) {
        return -1;
    }
    for (size_t i = 0; i < cap; i++) {
        edges[i].key = EMPTY_KEY;
        edges[i].val = 0;
    }
    for (size_t i = 0; i < lx->hcap; i++) {
        if (lx->edges[i].key != EMPTY_KEY) {
            hash_put(edges, cap, lx->edges[i].key, lx->edges[i].val);
        }
    }
    kb_free(lx->edges);
    lx->edges = edges;
    lx->hcap = cap;
    return 0;
}

static int32_t new_node(kb_lexicon_t *lx)
{
    if (lx->n_nodes == lx->nodes_cap) {
        size_t cap = lx->nodes_cap ? lx->nodes_cap * 2 : 4096;
        int32_t *ne = kb_realloc(lx->node_entry, cap * sizeof(int32_t));
        if (!ne) {
            return -1;
        }
        lx->node_entry = ne;
        lx->nodes_cap = cap;
    }
    lx->node_entry[lx->n_nodes] = -1;
    return (int32_t)lx->n_nodes++;
}

/* Child of @node for @cp, created when missing; KB_LEX_NONE when OOM. */
static uint32_t add_edge(kb_lexicon_t *lx, uint32_t node, uint32_t cp)
{
    uint32_t child = build_step(lx, node, cp);
    int32_t id;

    if (child != KB_LEX_NONE) {
        return child;
    }
    if ((id = new_node(lx)) < 0) {
        return KB_LEX_NONE;
    }
    if (node == KB_LEX_ROOT && cp < BMP) {
        lx->root[cp] = (uint32_t)id;
        return (uint32_t)id;
    }
    if ((lx->hcount + 1) * 2 > lx->hcap && hash_grow(lx) != 0) {
        lx->n_nodes--; /* no edge leads to it: freeze_trie() must not see it */
        return KB_LEX_NONE;
    }
    lx->hcount += (size_t)hash_put(lx->edges, lx->hcap,
                                   edge_key(node, cp), (uint32_t)id);
    return (uint32_t)id;
}

/* Sort a sibling group by code point; groups are small but for the first
 * characters of many terms, and those arrive nearly sorted. */
static void sort_group(edge_t *g, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        edge_t x = g[i];
        size_t j = i;
        while (j > 0 && g[j - 1].key > x.key) {
            g[j] = g[j - 1];
            j--;
        }
        g[j] = x;
    }
}

/* Lay the loading trie out as depth-first node blocks in lx->blk (see
 * BLK_NO_ENTRY), remap the root table, and free the loading hash. Edges
 * bucketed by parent and each bucket sorted by code point give every node's
 * children in label order; a preorder walk hands out block offsets, a
 * second pass fills the blocks. */
/* The first two steps of every ASCII word in one load: the root's ASCII
 * children have the widest fan-out of the English terms, and the
 * tokenizer looks up every word from the root. */
static int build_ascii2(kb_lexicon_t *lx)
{
    if (!(lx->ascii2 = kb_malloc(128 * 128 * sizeof(uint32_t)))) {
        return -1;
    }
    for (uint32_t c0 = 0; c0 < 128; c0++) {
        uint32_t n0 = root_child(lx, c0);
        for (uint32_t c1 = 0; c1 < 128; c1++) {
            lx->ascii2[c0 << 7 | c1] = n0 == KB_LEX_NONE ? KB_LEX_NONE : child(lx, n0, c1);
        }
    }
    return 0;
}

/* The block of a node with k > HASH_MIN children ed[0, k) (see
 * BLK_HASHED). */
static void fill_hashed(uint32_t *b, const edge_t *ed, size_t k, const uint32_t *newid)
{
    uint32_t mask = hash_slots(k) - 1, *t = b + 2;

    b[0] = BLK_HASHED | mask;
    for (uint32_t s = 0; s <= mask; s++) {
        t[2 * s] = NO_LABEL;
        t[2 * s + 1] = KB_LEX_NONE;
    }
    for (size_t i = 0; i < k; i++) {
        uint32_t cp = (uint32_t)(ed[i].key & 0x1FFFFF), h = slot_of(cp) & mask;
        while (t[2 * h] != NO_LABEL) {
            h = (h + 1) & mask;
        }
        t[2 * h] = cp;
        t[2 * h + 1] = newid[ed[i].val];
    }
}

/* ---- whole words ---------------------------------------------------------- */

static inline uint32_t word_home(const uint64_t k[2])
{
    return (uint32_t)(mix64(k[0] ^ (k[1] * 0x9E3779B97F4A7C15ULL)) >> 32);
}

/* Does the walk of a word end at a node a caller can use: one with an
 * entry, or one that a phrase continues from (a ' ' child)? */
static int word_useful(const kb_lexicon_t *lx, uint32_t node)
{
    return lx->blk[node + 1] != BLK_NO_ENTRY || child(lx, node, ' ') != KB_LEX_NONE;
}

static void words_visit(kb_lexicon_t *lx, uint32_t node, uint64_t k[2], size_t depth,
                        size_t *n);

/* words_visit() of child @p c of the node k reaches, by code point @p cp. */
static void words_child(kb_lexicon_t *lx, uint32_t cp, uint32_t c, uint64_t k[2],
                        size_t depth, size_t *n)
{
    uint64_t save = k[depth >> 3];

    if (cp == 0 || cp >= 128 || cp == ' ' || c == KB_LEX_NONE) {
        return;
    }
    k[depth >> 3] |= (uint64_t)cp << (8 * (depth & 7));
    if (word_useful(lx, c)) {
        if (lx->words) {
            uint32_t h = word_home(k) & lx->words_mask;
            while (lx->words[h].node != KB_LEX_NONE) {
                h = (h + 1) & lx->words_mask;
            }
            lx->words[h] = (word_slot_t){{k[0], k[1]}, c, lx->blk[c + 1], child(lx, c, ' '), 0};
        }
        (*n)++;
    }
    words_visit(lx, c, k, depth + 1, n);
    k[depth >> 3] = save;
}

/* Visit the useful nodes below @p node (reached by the depth bytes of
 * k) through ASCII code points other than ' ', up to WORD_MAX deep:
 * insert them when lx->words is set, else count them in *n. */
static void words_visit(kb_lexicon_t *lx, uint32_t node, uint64_t k[2], size_t depth,
                        size_t *n)
{
    const uint32_t *b = lx->blk + node, *lab = b + 2;

    if (depth == WORD_MAX) {
        return;
    }
    if (node == KB_LEX_ROOT) {
        for (uint32_t cp = 1; cp < 128; cp++) {
            words_child(lx, cp, root_child(lx, cp), k, depth, n);
        }
    } else if (b[0] & BLK_HASHED) {
        for (uint32_t h = 0; h <= (b[0] & ~BLK_HASHED); h++) {
            if (lab[2 * h] != NO_LABEL) {
                words_child(lx, lab[2 * h], lab[2 * h + 1], k, depth, n);
            }
        }
    } else {
        for (uint32_t i = 0; i < b[0]; i++) {
            words_child(lx, lab[i], lab[b[0] + i], k, depth, n);
        }
    }
}

/* The table of kb_lexicon_word(): every ASCII word whose walk reaches a
 * useful node, by its bytes. An English word cost the tokenizer a walk of
 * one dependent node lookup per letter, most of them cache misses in a
 * trie of megabytes; the table costs one probe. */
static int build_words(kb_lexicon_t *lx)
{
    uint64_t k[2] = {0, 0};
    size_t n = 0, cap = 16;

    words_visit(lx, KB_LEX_ROOT, k, 0, &n);
    while (cap < 2 * n) {
        cap *= 2;
    }
    if (cap > UINT32_MAX || !(lx->words = kb_malloc(cap * sizeof(*lx->words)))) {
        return -1;
    }
    for (size_t i = 0; i < cap; i++) {
        lx->words[i].node = KB_LEX_NONE;
    }
    lx->words_mask = (uint32_t)(cap - 1);
    words_visit(lx, KB_LEX_ROOT, k, 0, &n);
    return 0;
}

uint32_t kb_lexicon_word(const kb_lexicon_t *lx, const uint32_t *cp, size_t n,
                         const kb_lex_entry_t **e, uint32_t *sp)
{
    uint64_t k[2] = {0, 0};
    uint32_t node, h;

    if (n == 0 || n > WORD_MAX || !lx->words) {
        goto walk;
    }
    for (size_t i = 0; i < n; i++) {
        if (cp[i] >= 128 || cp[i] == ' ' || cp[i] == 0) {
            goto walk;
        }
        k[i >> 3] |= (uint64_t)cp[i] << (8 * (i & 7));
    }
    for (h = word_home(k) & lx->words_mask; lx->words[h].node != KB_LEX_NONE;
         h = (h + 1) & lx->words_mask) {
        const word_slot_t *w = &lx->words[h];
        if (w->k[0] == k[0] && w->k[1] == k[1]) {
            *e = w->ent != BLK_NO_ENTRY ? &lx->entries[w->ent] : NULL;
            *sp = w->sp;
            entry_prefetch(*e);
            return w->node;
        }
    }
    *e = NULL;
    *sp = KB_LEX_NONE;
    return KB_LEX_NONE;
walk:
    node = kb_lexicon_walk(lx, KB_LEX_ROOT, cp, n);
    *e = node != KB_LEX_NONE ? kb_lexicon_entry(lx, node) : NULL;
    *sp = node != KB_LEX_NONE ? child(lx, node, ' ') : KB_LEX_NONE;
    return node;
}

static int freeze_trie(kb_lexicon_t *lx)
{
    size_t n = lx->n_nodes, *start = kb_calloc(n + 2, sizeof(size_t)), words, sp = 0;
    edge_t *all = kb_malloc((lx->hcount + BMP + 1) * sizeof(edge_t));
    uint32_t *newid = kb_malloc(n * sizeof(uint32_t));
    uint32_t *stack = kb_malloc(n * sizeof(uint32_t));
    int rc = -1;

    if (!all || !newid || !stack || !start) {
        goto out;
    }
    /* Counting sort by parent; the root's table is walked in code point
     * order, and BMP children come before the hash's larger code points. */
    for (size_t i = 0; i < lx->hcap; i++) {
        if (lx->edges[i].key != EMPTY_KEY) {
            start[(lx->edges[i].key >> 21) + 2]++;
        }
    }
    for (uint32_t cp = 0; cp < BMP; cp++) {
        start[2] += lx->root[cp] != 0;
    }
    for (size_t i = 2; i < n + 2; i++) {
        start[i] += start[i - 1];
    }
    for (uint32_t cp = 0; cp < BMP; cp++) {
        if (lx->root[cp]) {
            all[start[1]].key = edge_key(KB_LEX_ROOT, cp);
            all[start[1]++].val = lx->root[cp];
        }
    }
    for (size_t i = 0; i < lx->hcap; i++) {
        if (lx->edges[i].key != EMPTY_KEY) {
            all[start[(lx->edges[i].key >> 21) + 1]++] = lx->edges[i];
        }
    }
    /* now start[p] .. start[p + 1] is the bucket of parent p */
    for (size_t p = 0; p < n; p++) {
        sort_group(all + start[p], start[p + 1] - start[p]);
    }
    /* Preorder: a node, then its children's subtrees in label order (pushed
     * in reverse so the smallest comes off the stack first). */
    stack[sp++] = KB_LEX_ROOT;
    for (words = 0; sp > 0;) {
        uint32_t old = stack[--sp];
        newid[old] = (uint32_t)words;
        words += block_words(start[old + 1] - start[old]);
        for (size_t i = start[old + 1]; i-- > start[old];) {
            stack[sp++] = all[i].val;
        }
    }
    if (words >= KB_LEX_NONE || !(lx->blk = kb_malloc(words * sizeof(uint32_t)))) {
        goto out;
    }
    for (size_t old = 0; old < n; old++) {
        uint32_t *b = lx->blk + newid[old];
        size_t k = start[old + 1] - start[old];
        b[1] = lx->node_entry[old] >= 0 ? (uint32_t)lx->node_entry[old] : BLK_NO_ENTRY;
        if (block_words(k) != 2 + 2 * k) {
            fill_hashed(b, all + start[old], k, newid);
            continue;
        }
        b[0] = (uint32_t)k;
        for (size_t i = 0; i < k; i++) {
            b[2 + i] = (uint32_t)(all[start[old] + i].key & 0x1FFFFF);
            b[2 + k + i] = newid[all[start[old] + i].val];
        }
    }
    for (uint32_t cp = 0; cp < BMP; cp++) {
        if (lx->root[cp]) {
            lx->root[cp] = newid[lx->root[cp]];
        }
    }
    kb_free(lx->edges);
    lx->edges = NULL;
    lx->hcap = lx->hcount = 0;
    kb_free(lx->node_entry);
    lx->node_entry = NULL;
    rc = build_ascii2(lx) != 0 || build_words(lx) != 0 ? -1 : 0;
out:
    kb_free(all);
    kb_free(newid);
    kb_free(stack);
    kb_free(start);
    return rc;
}

/* ---- entries -------------------------------------------------------------- */

static kb_lex_entry_t *entry_for_node(kb_lexicon_t *lx, uint32_t node,
                                      size_t *idx)
{
    int32_t e = lx->node_entry[node];

    if (e < 0) {
        if (lx->n_entries == lx->entries_cap) {
            size_t cap = lx->entries_cap ? lx->entries_cap * 2 : 1024;
            kb_lex_entry_t *ne = kb_realloc(lx->entries, cap * sizeof(*ne));
            origin_t *no;
            if (!ne) {
                return NULL;
            }
            lx->entries = ne;
            no = kb_realloc(lx->origin, cap * K_COUNT * sizeof(*no));
            if (!no) {
                return NULL;
            }
            lx->origin = no;
            lx->entries_cap = cap;
        }
        e = (int32_t)lx->n_entries++;
        memset(&lx->entries[e], 0, sizeof(lx->entries[e]));
        lx->entries[e].brand = -1;
        memset(&lx->origin[(size_t)e * K_COUNT], 0xFF, K_COUNT * sizeof(origin_t));
        lx->node_entry[node] = e;
    }
    *idx = (size_t)e;
    return &lx->entries[e];
}

/* Normalise a term like message text; ASCII hyphens between letters become
 * spaces because the tokenizer splits "rip-off" into two words. */
static int norm_term(kb_lexicon_t *lx, const char *t, kb_buf_t *out)
{
    size_t w = 0;

    kb_buf_reset(out);
    if (kb_norm_term(lx->nm, t, strlen(t), out) != 0) {
        return -1;
    }
    for (size_t r = 0; r < out->len; r++) {
        char c = out->p[r];
        if (c == '-' && r > 0 && r + 1 < out->len &&
            (unsigned char)out->p[r - 1] >= '0' && (unsigned char)out->p[r + 1] >= '0') {
            c = ' ';
        }
        if (c == ' ' && (w == 0 || out->p[w - 1] == ' ')) {
            continue;
        }
        out->p[w++] = c;
    }
    while (w > 0 && out->p[w - 1] == ' ') {
        w--;
    }
    out->len = w;
    out->p[w] = '\0';
    return 0;
}

/* Insert a term; returns its entry and index, or NULL (problem recorded). */
static kb_lex_entry_t *insert_term(kb_lexicon_t *lx, const char *term,
                                   kind_t kind, int lang, size_t *idx)
{
    kb_buf_t nb;
    uint32_t node = KB_LEX_ROOT;
    kb_lex_entry_t *e = NULL;
    int32_t i = 0;

    kb_buf_init(&nb);
    if (norm_term(lx, term, &nb) != 0) {
        problem(lx, "term is not valid UTF-8");
        goto out;
    }
    if (nb.len == 0) {
        problem(lx, "term is empty after normalisation");
        goto out;
    }
    while (i < (int32_t)nb.len && node != KB_LEX_NONE) {
        UChar32 c;
        U8_NEXT(nb.p, i, (int32_t)nb.len, c);
        node = add_edge(lx, node, (uint32_t)c);
    }
    if (node == KB_LEX_NONE || !(e = entry_for_node(lx, node, idx))) {
        problem(lx, "out of memory");
        e = NULL;
        goto out;
    }
    {
        origin_t *o = &lx->origin[*idx * K_COUNT + kind];
        if (o->file != 0xFFFF && !lx->cur_extra) {
            if (kind != K_SERVQUAL && kind != K_INTENT && kind != K_BRAND) {
                problem(lx, "duplicate %s term '%s' (first at %s:%u)",
                        kind_names[kind], term, lx->files[o->file], o->line);
            }
        } else {
            lx->counts[kind][lang]++;
        }
        o->file = (uint16_t)(lx->n_files - 1);
        o->line = lx->cur_line;
    }
out:
    kb_buf_fini(&nb);
    return e;
}

static int parse_float(kb_lexicon_t *lx, const char *s, float lo, float hi,
                       float *v)
{
    char *end;
    double d;

    errno = 0;
    d = strtod(s, &end);
    if (errno || end == s || *end != '\0' || d < lo || d > hi) {
        problem(lx, "'%s' is not a number in [%g, %g]", s, lo, hi);
        return -1;
    }
    *v = (float)d;
    return 0;
}

static int parse_dims(kb_lexicon_t *lx, const char *s, uint8_t *mask)
{
    char tmp[128];
    char *save = NULL, *tok;

    snprintf(tmp, sizeof(tmp), "%s", s);
    *mask = 0;
    for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int d;
        while (*tok == ' ') tok++;
        for (d = 0; d < KB_SQ_COUNT && strcmp(tok, sq_names[d]) != 0; d++) {
        }
        if (d == KB_SQ_COUNT) {
            problem(lx, "unknown SERVQUAL dimension '%s'", tok);
            return -1;
        }
        *mask |= (uint8_t)(1u << d);
    }
    if (*mask == 0) {
        problem(lx, "no SERVQUAL dimension given");
        return -1;
    }
    return 0;
}

static int parse_intent(kb_lexicon_t *lx, const char *s, uint8_t *bits)
{
    if (strcmp(s, "complaint") == 0) {
        *bits = KB_INTENT_COMPLAINT;
    } else if (strcmp(s, "complaint_weak") == 0) {
        *bits = KB_INTENT_COMPLAINT_WEAK;
    } else if (strcmp(s, "effort") == 0) {
        *bits = KB_INTENT_EFFORT;
    } else {
        problem(lx, "unknown intent class '%s'", s);
        return -1;
    }
    return 0;
}

static int parse_contrast(kb_lexicon_t *lx, const char *s, uint8_t *role)
{
    if (strcmp(s, "but") == 0) {
        *role = KB_CONTRAST_BUT;
    } else if (strcmp(s, "but_mid") == 0) {
        *role = KB_CONTRAST_BUT_MID;
    } else if (strcmp(s, "although") == 0) {
        *role = KB_CONTRAST_ALTHOUGH;
    } else if (strcmp(s, "scope_end") == 0) {
        *role = KB_CONTRAST_SCOPE;
    } else if (strcmp(s, "summary") == 0) {
        *role = KB_CONTRAST_SUMMARY;
    } else if (strcmp(s, "irrealis") == 0) {
        *role = KB_CONTRAST_IRREALIS;
    } else if (strcmp(s, "counterfactual") == 0) {
        *role = KB_CONTRAST_COUNTERFACTUAL;
    } else {
        problem(lx, "unknown contrast role '%s'", s);
        return -1;
    }
    return 0;
}

/* ---- patterns ------------------------------------------------------------- */

static int parse_tags(kb_lexicon_t *lx, const char *s, kb_lex_pattern_t *t)
{
    char tmp[256];
    char *save = NULL, *kv;

    memset(t, 0, sizeof(*t));
    snprintf(tmp, sizeof(tmp), "%s", s);
    for (kv = strtok_r(tmp, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        uint8_t bits;
        if (!eq) {
            problem(lx, "pattern tag '%s' is not key=value", kv);
            return -1;
        }
        *eq++ = '\0';
        if (strcmp(kv, "valence") == 0) {
            if (parse_float(lx, eq, -4, 4, &t->valence) != 0) return -1;
        } else if (strcmp(kv, "dim") == 0) {
            if (parse_dims(lx, eq, &bits) != 0) return -1;
            t->servqual |= bits;
        } else if (strcmp(kv, "intent") == 0) {
            if (parse_intent(lx, eq, &bits) != 0) return -1;
            t->intent |= bits;
        } else if (strcmp(kv, "rating") == 0) {
            if (strcmp(eq, "mid") != 0) {
                problem(lx, "pattern tag rating=%s: only rating=mid is known", eq);
                return -1;
            }
            t->rating = KB_RATING_MID;
        } else {
            problem(lx, "unknown pattern tag '%s'", kv);
            return -1;
        }
    }
    return 0;
}

static int grow_anchored(kb_lexicon_t *lx)
{
    twin_t *nt = kb_realloc(lx->twin, (lx->n_pats + 1) * sizeof(*nt));

    if (!nt) {
        return -1;
    }
    lx->twin = nt;
    memset(&lx->twin[lx->n_pats], 0, sizeof(*nt));
    return 0;
}

/* Give pattern k an anchored twin when every non-empty match of it starts
 * with one of a few known code points, some of them beyond ASCII. PCRE2's
 * own start optimisation looks at the first byte only, and all CJK
 * characters share a handful of lead bytes, so on Chinese text it tried
 * such a pattern at every character: a quarter of the time of scoring.
 * With the twin, pat_find() tries only the positions where one of those
 * code points stands. Anything in the way (too many distinct code points
 * overall, no memory, a compile failure) just leaves the pattern without a
 * twin, searched as before. */
static void add_anchored(kb_lexicon_t *lx, size_t k, const char *re)
{
    twin_t *tw = &lx->twin[k];
    const uint32_t *cps;
    size_t n = kb_prefilter_first(lx->pf, k, &cps), fresh = 0;
    int wide = 0, errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code;

    for (size_t i = 0; i < n; i++) {
        if (cps[i] >= BMP) {
            return;
        }
        wide |= cps[i] >= 0x80;
        fresh += !lx->fslot || !lx->fslot[cps[i]];
    }
    if (!wide || lx->n_fslots + fresh > FSLOT_MAX ||
        (!lx->fslot && !(lx->fslot = kb_calloc(BMP, sizeof(uint16_t)))) ||
        !(tw->slots = kb_malloc(n * sizeof(uint16_t)))) {
        return;
    }
    code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
                         PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &errcode, &erroff, NULL);
    /* Twins are JIT code only: pat_find_anchored() calls it directly. */
    if (!code || pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) != 0) {
        pcre2_code_free(code);
        kb_free(tw->slots);
        tw->slots = NULL;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t slot = lx->fslot[cps[i]];
        if (!slot) {
            slot = lx->fslot[cps[i]] = (uint16_t)++lx->n_fslots;
        }
        tw->slots[i] = slot;
    }
    tw->n_slots = n;
    tw->code = code;
    /* a copy: the prefilter's arrays move while patterns are added */
    if ((n = kb_prefilter_second(lx->pf, k, &cps)) > 0 &&
        (tw->sec = kb_malloc(n * sizeof(uint32_t)))) {
        memcpy(tw->sec, cps, n * sizeof(uint32_t));
        tw->n_sec = n;
    }
}

static int add_pattern(kb_lexicon_t *lx, const char *re, const char *tags)
{
    kb_lex_pattern_t t, *np;
    pcre2_code **nr;
    int errcode;
    PCRE2_SIZE erroff;
    PCRE2_UCHAR msg[256];
    pcre2_code *code;

    if (parse_tags(lx, tags, &t) != 0) {
        return -1;
    }
    code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
                         PCRE2_UTF | PCRE2_UCP, &errcode, &erroff, NULL);
    if (!code) {
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        problem(lx, "bad regex at offset %zu: %s", (size_t)erroff, (char *)msg);
        return -1;
    }
    /* Without JIT the interpreter still works, only slower. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    np = kb_realloc(lx->pats, (lx->n_pats + 1) * sizeof(*np));
    if (np) {
        lx->pats = np;
    }
    nr = np ? kb_realloc(lx->pat_re, (lx->n_pats + 1) * sizeof(*nr)) : NULL;
    if (nr) {
        lx->pat_re = nr;
    }
    if (!nr || grow_anchored(lx) != 0 || kb_prefilter_add(lx->pf, re) != 0) {
        pcre2_code_free(code);
        problem(lx, "out of memory");
        return -1;
    }
    lx->pats[lx->n_pats] = t;
    lx->pat_re[lx->n_pats] = code;
    add_anchored(lx, lx->n_pats, re);
    lx->n_pats++;
    lx->counts[K_PATTERN][L_ANY]++;
    return 0;
}

/* Match state of one caller: PCRE2 match data and, per pattern, whether the
 * prefilter lets it run on this text and its next match at or after the
 * scan position (start == NONE: no further match). */
typedef struct {
    pcre2_match_data *md;
    size_t n, n_slots; /* patterns, slots + 1 (the lexicon's when made) */
    uint8_t *run;
    uint32_t *act; /* indexes of the patterns that run, in line order */
    PCRE2_SIZE *start, *end;
    /* where the text has a first code point of an anchored twin; found
     * once per text, when a twin first needs them */
    uint32_t *cpos;
    uint32_t *cnext; /* the code point after the candidate, NO_CP at the end */
    /* the candidates of each slot, chained in text order: chead by slot,
     * clink by candidate, NO_CAND ends a chain; ctouch lists the slots
     * whose chain is not empty, to clear them for the next text */
    uint32_t *chead, *clink;
    uint16_t *ctouch;
    size_t n_touch;
    uint64_t *cbits; /* one twin's candidates, a bit each */
    size_t n_cand, cand_cap;
    int cand_ready;
    const kb_ntext_t *nt; /* borrowed: the text being matched */
} pat_scan_t;

#define NO_MATCH ((PCRE2_SIZE)-1)
#define NO_CP UINT32_MAX
#define NO_CAND UINT32_MAX

void kb_lexicon_match_free(void *p)
{
    pat_scan_t *ps = p;

    if (ps) {
        pcre2_match_data_free(ps->md);
        kb_free(ps->run);
        kb_free(ps->act);
        kb_free(ps->start);
        kb_free(ps->end);
        kb_free(ps->cpos);
        kb_free(ps->cnext);
        kb_free(ps->chead);
        kb_free(ps->clink);
        kb_free(ps->ctouch);
        kb_free(ps->cbits);
        kb_free(ps);
    }
}

static pat_scan_t *pat_scan(const kb_lexicon_t *lx, void **slot, size_t n)
{
    pat_scan_t *ps = *slot;

    if (ps && ps->n >= n && ps->n_slots >= lx->n_fslots + 1) {
        return ps;
    }
    kb_lexicon_match_free(ps);
    *slot = ps = kb_calloc(1, sizeof(*ps));
    if (!ps) {
        return NULL;
    }
    ps->n = n;
    ps->n_slots = lx->n_fslots + 1;
    ps->md = pcre2_match_data_create(1, NULL);
    ps->run = kb_calloc(n, sizeof(*ps->run));
    ps->act = kb_calloc(n, sizeof(*ps->act));
    ps->start = kb_calloc(n, sizeof(*ps->start));
    ps->end = kb_calloc(n, sizeof(*ps->end));
    ps->chead = kb_malloc((lx->n_fslots + 1) * sizeof(*ps->chead));
    ps->ctouch = kb_malloc((lx->n_fslots + 1) * sizeof(*ps->ctouch));
    if (!ps->md || !ps->run || !ps->act || !ps->start || !ps->end || !ps->chead ||
        !ps->ctouch) {
        kb_lexicon_match_free(ps);
        *slot = NULL;
        return NULL;
    }
    for (size_t i = 0; i <= lx->n_fslots; i++) {
        ps->chead[i] = NO_CAND;
    }
    return ps;
}

/* Record in ps where s has a code point that starts an anchored twin.
 * Returns -1 when out of memory. */
static int find_candidates(const kb_lexicon_t *lx, pat_scan_t *ps)
{
    const kb_ntext_t *nt = ps->nt;
    const uint32_t *cp = nt->cp, *cpu8 = nt->cpu8;
    size_t n = 0, n_cp = nt->n;

    for (size_t t = 0; t < ps->n_touch; t++) {
        ps->chead[ps->ctouch[t]] = NO_CAND; /* the last text's chains */
    }
    ps->n_touch = 0;
    if (ps->cand_cap < n_cp) {
        uint32_t *p = kb_realloc(ps->cpos, n_cp * sizeof(*p));
        uint64_t *q;
        if (!p) {
            return -1;
        }
        ps->cpos = p;
        if (!(p = kb_realloc(ps->cnext, n_cp * sizeof(*p)))) {
            return -1;
        }
        ps->cnext = p;
        if (!(p = kb_realloc(ps->clink, n_cp * sizeof(*p)))) {
            return -1;
        }
        ps->clink = p;
        if (!(q = kb_realloc(ps->cbits, (n_cp / 64 + 1) * sizeof(*q)))) {
            return -1;
        }
        ps->cbits = q;
        ps->cand_cap = n_cp;
    }
    /* The normaliser's code points and their UTF-8 offsets: the text is
     * not decoded a second time. Only the BMP has slots. clink holds each
     * candidate's slot until the chains are made. */
    for (size_t k = 0; k < n_cp; k++) {
        uint32_t c = cp[k];
        if (c < 0x10000 && lx->fslot[c]) {
            ps->cpos[n] = cpu8[k];
            ps->cnext[n] = k + 1 < n_cp ? cp[k + 1] : NO_CP;
            ps->clink[n++] = lx->fslot[c];
        }
    }
    /* backwards, so that every chain is in text order */
    for (size_t i = n; i-- > 0;) {
        uint32_t sl = ps->clink[i];
        if (ps->chead[sl] == NO_CAND) {
            ps->ctouch[ps->n_touch++] = (uint16_t)sl;
        }
        ps->clink[i] = ps->chead[sl];
        ps->chead[sl] = (uint32_t)i;
    }
    ps->n_cand = n;
    ps->cand_ready = 1;
    return 0;
}

/* May a non-empty match of twin k start at a candidate followed by code
 * point @p next (NO_CP: none)? Its matches are two code points or more,
 * so the second is one of kb_prefilter_second()'s or no match starts
 * there: 一 opens numbers (一天没回复) but mostly 一直, 一般, 一点, and
 * each candidate tried cost a JIT call. */
static inline int second_ok(const kb_lexicon_t *lx, size_t k, uint32_t next)
{
    const uint32_t *s = lx->twin[k].sec;
    size_t n = lx->twin[k].n_sec;

    if (n == 0) {
        return 1; /* unknown, or a match may be one code point */
    }
    /* lower bound in the ascending list */
    while (n > 1) {
        size_t half = n / 2;
        s = s[half] <= next ? s + half : s;
        n -= half;
    }
    return *s == next;
}

/* Leftmost non-empty match of pattern k at or after off through its
 * anchored twin: a non-empty match can only start at a candidate, and
 * trying those in order finds what the unanchored search finds (which
 * also skips an empty match and tries the next position). Returns -1
 * when the candidates cannot be found (out of memory). */
static int pat_find_anchored(const kb_lexicon_t *lx, pat_scan_t *ps, size_t k,
                             const char *s, size_t len, size_t off)
{
    const twin_t *tw = &lx->twin[k];
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ps->md);
    size_t nw;
    int any = 0;

    if (!ps->cand_ready && find_candidates(lx, ps) != 0) {
        return -1;
    }
    ps->start[k] = ps->end[k] = NO_MATCH;
    /* Only the chains of this twin's first code points: looking at every
     * candidate of the text for every twin was most of the time of the
     * patterns once there were a few hundred of them (所, 不, 一 open
     * dozens); the bits put the chains back in text order. */
    nw = ps->n_cand / 64 + 1;
    memset(ps->cbits, 0, nw * sizeof(*ps->cbits));
    for (size_t j = 0; j < tw->n_slots; j++) {
        for (uint32_t i = ps->chead[tw->slots[j]]; i != NO_CAND; i = ps->clink[i]) {
            ps->cbits[i / 64] |= 1ull << (i % 64);
            any = 1;
        }
    }
    for (size_t w = 0; any && w < nw; w++) {
        for (uint64_t b = ps->cbits[w]; b; b &= b - 1) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(b);
            int rc;
            if (ps->cpos[i] < off || !second_ok(lx, k, ps->cnext[i])) {
                continue;
            }
            /* pcre2_match() less its checks and dispatch: a few hundred
             * instructions per call, and twins are called a few times a text */
            rc = pcre2_jit_match(tw->code, (PCRE2_SPTR)s, len, ps->cpos[i], 0,
                                 ps->md, NULL);
            if (rc > 0 && ov[1] > ov[0]) {
                ps->start[k] = ov[0];
                ps->end[k] = ov[1];
                return 0;
            }
            if (rc <= 0 && rc != PCRE2_ERROR_NOMATCH) {
                return 0; /* a matching error ends the search, as it would there */
            }
        }
    }
    return 0;
}

/* Leftmost match of pattern k at or after off. */
static void pat_find(const kb_lexicon_t *lx, pat_scan_t *ps, size_t k, const char *s,
                     size_t len, size_t off)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ps->md);

    if (lx->twin[k].code && pat_find_anchored(lx, ps, k, s, len, off) == 0) {
        return;
    }
    ps->start[k] = ps->end[k] = NO_MATCH;
    while (off < len && pcre2_match(lx->pat_re[k], (PCRE2_SPTR)s, len, off,
                                    PCRE2_NO_UTF_CHECK, ps->md, NULL) > 0) {
        if (ov[1] > ov[0]) {
            ps->start[k] = ov[0];
            ps->end[k] = ov[1];
            return;
        }
        off = ov[0] + 1; /* an empty match tags nothing: look further on */
        while (off < len && ((unsigned char)s[off] & 0xC0) == 0x80) {
            off++; /* never restart inside a UTF-8 sequence */
        }
    }
}

/* Is any of the eight run flags at p set? */
static inline int any_of8(const uint8_t *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return w != 0;
}

/* The patterns behave as one alternation, leftmost match first and, at the
 * same position, the earlier line: the hit is the pattern with the smallest
 * next start. Each pattern is compiled on its own so that PCRE2 keeps its
 * start-of-match optimisations (one combined alternation with (*MARK) tags
 * had none and cost four times the rest of scoring); a pattern is searched
 * again only when the scan has passed its cached match. A pattern the
 * prefilter rules out (a literal every match needs is missing from the text)
 * starts with no match, which is what PCRE2 would find, only much sooner. */
int kb_lexicon_patterns(const kb_lexicon_t *lx, kb_ntext_t *nt, void **md,
                        kb_pattern_hit_t *hits, size_t max)
{
    const kb_buf_t *u8;
    const char *s;
    pat_scan_t *ps;
    size_t n = 0, off = 0, n_act = 0, len;

    if (lx->n_pats == 0 || nt->n == 0) {
        return 0;
    }
    if (!(u8 = kb_ntext_utf8(nt)) || !(ps = pat_scan(lx, md, lx->n_pats))) {
        return -1;
    }
    s = u8->p;
    len = u8->len;
    ps->cand_ready = 0;
    ps->nt = nt;
    kb_prefilter_scan(lx->pf, s, len, ps->run);
    for (size_t k = 0; k < lx->n_pats; k++) {
        if (k + 8 <= lx->n_pats && !any_of8(ps->run + k)) {
            k += 7; /* a text leaves most patterns out */
            continue;
        }
        if (ps->run[k]) {
            ps->act[n_act++] = (uint32_t)k;
            pat_find(lx, ps, k, s, len, 0);
        }
    }
    while (n < max) {
        size_t best = lx->n_pats;
        /* Only patterns with a match can win; in line order, so that the
         * earlier line still wins a tie. */
        for (size_t a = 0; a < n_act; a++) {
            size_t k = ps->act[a];
            if (ps->start[k] != NO_MATCH && ps->start[k] < off) {
                pat_find(lx, ps, k, s, len, off);
            }
            if (ps->start[k] != NO_MATCH &&
                (best == lx->n_pats || ps->start[k] < ps->start[best])) {
                best = k;
            }
        }
        if (best == lx->n_pats) {
            break;
        }
        hits[n].b0 = ps->start[best];
        hits[n].b1 = ps->end[best];
        hits[n].tags = &lx->pats[best];
        n++;
        off = ps->end[best];
    }
    return (int)n;
}

/* ---- brands --------------------------------------------------------------- */

static int brand_alias(kb_lexicon_t *lx, const char *alias, int32_t id)
{
    size_t idx;
    kb_lex_entry_t *e = insert_term(lx, alias, K_BRAND, L_ANY, &idx);

    if (!e) {
        return -1;
    }
    if (e->brand >= 0 && e->brand != id) {
        problem(lx, "alias '%s' already names brand '%s'", alias,
                lx->brands[e->brand]);
        return -1;
    }
    e->brand = id;
    return 0;
}

static int add_brand(kb_lexicon_t *lx, const char *name, const char *aliases)
{
    char **nb = kb_realloc(lx->brands, (lx->n_brands + 1) * sizeof(char *));
    char *list, *save = NULL, *a;
    int32_t id = (int32_t)lx->n_brands;
    int rc;

    if (!nb || !(nb[lx->n_brands] = kb_strndup(name, strlen(name)))) {
        if (nb) lx->brands = nb;
        problem(lx, "out of memory");
        return -1;
    }
    lx->brands = nb;
    lx->n_brands++;
    if (!(list = kb_strndup(aliases, strlen(aliases)))) {
        problem(lx, "out of memory");
        return -1;
    }
    rc = brand_alias(lx, name, id);
    for (a = strtok_r(list, "|", &save); a && rc == 0; a = strtok_r(NULL, "|", &save)) {
        while (*a == ' ') a++;
        if (*a != '\0') {
            rc = brand_alias(lx, a, id);
        }
    }
    kb_free(list);
    return rc;
}

/* ---- files ---------------------------------------------------------------- */

typedef struct {
    int kind; /* kind_t, -1 until a directive says */
    int lang;
} file_ctx_t;

static int directive(kb_lexicon_t *lx, file_ctx_t *fc, char *line)
{
    char *key = line + 2, *val;
    int i;

    while (*key == ' ') key++;
    val = strchr(key, ':');
    if (!val) {
        problem(lx, "directive without ':'");
        return -1;
    }
    *val++ = '\0';
    while (*val == ' ') val++;
    if (strcmp(key, "kind") == 0) {
        for (i = 0; i < K_COUNT && strcmp(val, kind_names[i]) != 0; i++) {
        }
        if (i == K_COUNT) {
            problem(lx, "unknown kind '%s'", val);
            return -1;
        }
        fc->kind = i;
    } else if (strcmp(key, "lang") == 0) {
        for (i = 0; i < L_COUNT && strcmp(val, lang_names[i]) != 0; i++) {
        }
        if (i == L_COUNT) {
            problem(lx, "unknown lang '%s'", val);
            return -1;
        }
        fc->lang = i;
    } else {
        problem(lx, "unknown directive '%s'", key);
        return -1;
    }
    return 0;
}

/* Split on TABs; a field starting with '#' ends the entry. */
static int split_fields(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;

    while (p && n < max) {
        char *tab = strchr(p, '\t');
        if (tab) *tab = '\0';
        while (*p == ' ') p++;
        if (*p == '#') break;
        {
            size_t l = strlen(p);
            while (l > 0 && p[l - 1] == ' ') p[--l] = '\0';
        }
        f[n++] = p;
        p = tab ? tab + 1 : NULL;
    }
    return n;
}

static const int min_fields[K_COUNT] = {2, 1, 1, 2, 2, 2, 2, 2, 2, 1};

/* Apply one entry line; the value parsers record their own problems. */
static void entry_line(kb_lexicon_t *lx, const file_ctx_t *fc, char **f, int nf)
{
    kb_lex_entry_t *e;
    size_t idx;
    float v;
    uint8_t b;

    if (nf < min_fields[fc->kind]) {
        problem(lx, "%s entry needs %d field(s), has %d", kind_names[fc->kind],
                min_fields[fc->kind], nf);
        return;
    }
    if (fc->kind == K_PATTERN) {
        add_pattern(lx, f[0], f[1]);
        return;
    }
    if (fc->kind == K_BRAND) {
        add_brand(lx, f[0], f[1]);
        return;
    }
    switch (fc->kind) {
    case K_SENTIMENT:
        if (parse_float(lx, f[1], -4, 4, &v) != 0) return;
        if (!(v < 0.0f || v > 0.0f)) { problem(lx, "valence 0: use kind 'word'"); return; }
        if ((e = insert_term(lx, f[0], K_SENTIMENT, fc->lang, &idx))) e->valence = v;
        break;
    case K_WORD:
        if ((e = insert_term(lx, f[0], K_WORD, fc->lang, &idx))) e->is_word = 1;
        break;
    case K_RESOLVER:
        if ((e = insert_term(lx, f[0], K_RESOLVER, fc->lang, &idx))) e->resolver = 1;
        break;
    case K_NEGATOR:
        v = DEFAULT_NEGATOR;
        if (nf > 1 && parse_float(lx, f[1], -1.5f, -0.1f, &v) != 0) return;
        if ((e = insert_term(lx, f[0], K_NEGATOR, fc->lang, &idx))) e->negator = v;
        break;
    case K_DEGREE:
        if (parse_float(lx, f[1], 0.05f, 3.0f, &v) != 0) return;
        if ((e = insert_term(lx, f[0], K_DEGREE, fc->lang, &idx))) e->degree = v;
        break;
    case K_CONTRAST:
        if (parse_contrast(lx, f[1], &b) != 0) return;
        if ((e = insert_term(lx, f[0], K_CONTRAST, fc->lang, &idx))) e->contrast = b;
        break;
    case K_SERVQUAL:
        if (parse_dims(lx, f[1], &b) != 0) return;
        if ((e = insert_term(lx, f[0], K_SERVQUAL, fc->lang, &idx))) {
            if (e->servqual & b) {
                problem(lx, "duplicate servqual term '%s'", f[0]);
            }
            for (int d = 0; d < KB_SQ_COUNT; d++) {
                if ((b >> d) & 1 && !((e->servqual >> d) & 1)) {
                    lx->sq_counts[d][fc->lang]++;
                }
            }
            e->servqual |= b;
        }
        break;
    case K_INTENT:
        if (parse_intent(lx, f[1], &b) != 0) return;
        if ((e = insert_term(lx, f[0], K_INTENT, fc->lang, &idx))) {
            if (e->intent & b) {
                problem(lx, "duplicate intent term '%s'", f[0]);
            }
            e->intent |= b;
        }
        break;
    default:
        break;
    }
}

static void fnv_update(kb_lexicon_t *lx, const void *p, size_t len)
{
    const unsigned char *s = p;

    for (size_t i = 0; i < len; i++) {
        lx->fnv = (lx->fnv ^ s[i]) * 0x100000001b3ULL;
    }
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    kb_buf_t b;
    char chunk[65536];
    size_t n;

    if (!f) {
        return NULL;
    }
    kb_buf_init(&b);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        kb_buf_append(&b, chunk, n);
    }
    if (ferror(f) || b.oom) {
        fclose(f);
        kb_buf_fini(&b);
        errno = EIO;
        return NULL;
    }
    fclose(f);
    kb_buf_putc(&b, '\0');
    *len = b.len ? b.len - 1 : 0;
    return b.p;
}

static int load_file(kb_lexicon_t *lx, const char *path, const char *name,
                     int extra)
{
    file_ctx_t fc = {extra ? K_SENTIMENT : -1, L_ANY};
    char **nf = kb_realloc(lx->files, (lx->n_files + 1) * sizeof(char *));
    size_t len;
    char *data, *line, *save = NULL;

    if (!nf || !(nf[lx->n_files] = kb_strndup(path, strlen(path)))) {
        if (nf) lx->files = nf;
        snprintf(lx->errstr, lx->errstr_size, "out of memory");
        return -1;
    }
    lx->files = nf;
    lx->n_files++;
    lx->cur_file = lx->files[lx->n_files - 1];
    lx->cur_line = 0;
    lx->cur_extra = extra;
    if (!(data = read_file(path, &len))) {
        problem(lx, "cannot read: %s", strerror(errno));
        return -1;
    }
    fnv_update(lx, name, strlen(name) + 1);
    fnv_update(lx, data, len);
    /* strtok_r skips empty lines; count lines by position instead. */
    for (line = data; line && (lx->report || lx->problems == 0);) {
        char *nl = strchr(line, '\n'), *f[8];
        int n;
        if (nl) *nl = '\0';
        lx->cur_line++;
        if (*line && line[strlen(line) - 1] == '\r') line[strlen(line) - 1] = '\0';
        if (line[0] == '#' && line[1] == '!') {
            directive(lx, &fc, line);
        } else if (line[0] != '#' && (n = split_fields(line, f, 8)) > 0 && f[0][0]) {
            if (fc.kind < 0) {
                problem(lx, "entry before a '#! kind:' directive");
            } else {
                entry_line(lx, &fc, f, n);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    (void)save;
    kb_free(data);
    return lx->problems && !lx->report ? -1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of *.tsv files in @dir, sorted; caller frees each and the array. */
static char **list_tsv(const char *dir, size_t *n, char *errstr, size_t errstr_size)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t cnt = 0;

    if (!d) {
        snprintf(errstr, errstr_size, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        char **nn;
        if (l < 5 || strcmp(de->d_name + l - 4, ".tsv") != 0 || de->d_name[0] == '.') {
            continue;
        }
        nn = kb_realloc(names, (cnt + 1) * sizeof(char *));
        if (!nn || !(nn[cnt] = kb_strndup(de->d_name, l))) {
            names = nn ? nn : names;
            for (size_t i = 0; i < cnt; i++) kb_free(names[i]);
            kb_free(names);
            closedir(d);
            snprintf(errstr, errstr_size, "out of memory");
            return NULL;
        }
        names = nn;
        cnt++;
    }
    closedir(d);
    if (cnt == 0) {
        snprintf(errstr, errstr_size, "%s: no *.tsv lexicon files", dir);
        kb_free(names);
        return NULL;
    }
    qsort(names, cnt, sizeof(char *), cmp_str);
    *n = cnt;
    return names;
}

static kb_lexicon_t *lexicon_new(const kb_norm_t *nm, char *errstr,
                                 size_t errstr_size)
{
    kb_lexicon_t *lx = kb_calloc(1, sizeof(*lx));

    if (!lx) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    lx->nm = nm;
    lx->errstr = errstr;
    lx->errstr_size = errstr_size;
    lx->fnv = 0xcbf29ce484222325ULL;
    lx->root = kb_calloc(BMP, sizeof(uint32_t));
    lx->pf = kb_prefilter_new();
    if (!lx->root || !lx->pf || new_node(lx) != 0) {
        snprintf(errstr, errstr_size, "out of memory");
        kb_lexicon_free(lx);
        return NULL;
    }
    return lx;
}

/* Load the folder then the extra files into @lx. */
static int load_all(kb_lexicon_t *lx, const char *dir, const char *const *extra,
                    size_t n_extra)
{
    size_t n = 0;
    char **names = list_tsv(dir, &n, lx->errstr, lx->errstr_size);
    char path[4096];
    int rc = 0;

    if (!names) {
        return -1;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        rc = load_file(lx, path, names[i], 0);
    }
    for (size_t i = 0; i < n; i++) {
        kb_free(names[i]);
    }
    kb_free(names);
    for (size_t i = 0; i < n_extra && rc == 0; i++) {
        const char *base = strrchr(extra[i], '/');
        rc = load_file(lx, extra[i], base ? base + 1 : extra[i], 1);
    }
    snprintf(lx->hash, sizeof(lx->hash), "%016llx", (unsigned long long)lx->fnv);
    if (rc == 0 && (kb_prefilter_build(lx->pf) != 0 || freeze_trie(lx) != 0)) {
        snprintf(lx->errstr, lx->errstr_size, "out of memory");
        rc = -1;
    }
    return rc;
}

kb_lexicon_t *kb_lexicon_load(const kb_norm_t *nm, const char *dir,
                              const char *const *extra, size_t n_extra,
                              char *errstr, size_t errstr_size)
{
    kb_lexicon_t *lx = lexicon_new(nm, errstr, errstr_size);

    if (lx && (load_all(lx, dir, extra, n_extra) != 0 || lx->problems)) {
        kb_lexicon_free(lx);
        return NULL;
    }
    return lx;
}

static void print_counts(const kb_lexicon_t *lx, FILE *out)
{
    fprintf(out, "lexicon %s: %zu terms, %zu patterns, %zu brands\n", lx->hash,
            lx->n_entries, lx->n_pats, lx->n_brands);
    for (int k = 0; k < K_COUNT; k++) {
        fprintf(out, "  %-10s zh %6zu  en %6zu  any %6zu\n", kind_names[k],
                lx->counts[k][L_ZH], lx->counts[k][L_EN], lx->counts[k][L_ANY]);
    }
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        fprintf(out, "  servqual.%-15s zh %5zu  en %5zu\n", sq_names[d],
                lx->sq_counts[d][L_ZH], lx->sq_counts[d][L_EN]);
    }
}

int kb_lexicon_check(const kb_norm_t *nm, const char *dir, FILE *out)
{
    char err[512];
    kb_lexicon_t *lx = lexicon_new(nm, err, sizeof(err));
    int problems;

    if (!lx) {
        fprintf(out, "%s\n", err);
        return -1;
    }
    lx->report = out;
    if (load_all(lx, dir, NULL, 0) != 0 && lx->problems == 0) {
        fprintf(out, "%s\n", err);
        kb_lexicon_free(lx);
        return -1;
    }
    print_counts(lx, out);
    problems = lx->problems;
    fprintf(out, "%d problem(s)\n", problems);
    kb_lexicon_free(lx);
    return problems;
}

void kb_lexicon_free(kb_lexicon_t *lx)
{
    if (!lx) {
        return;
    }
    kb_free(lx->root);
    kb_free(lx->edges);
    kb_free(lx->node_entry);
    kb_free(lx->blk);
    kb_free(lx->ascii2);
    kb_free(lx->words);
    kb_free(lx->entries);
    kb_free(lx->origin);
    for (size_t i = 0; i < lx->n_brands; i++) kb_free(lx->brands[i]);
    kb_free(lx->brands);
    for (size_t i = 0; i < lx->n_files; i++) kb_free(lx->files[i]);
    kb_free(lx->files);
    kb_free(lx->pats);
    for (size_t i = 0; i < lx->n_pats; i++) pcre2_code_free(lx->pat_re[i]);
    kb_free(lx->pat_re);
    for (size_t i = 0; lx->twin && i < lx->n_pats; i++) {
        pcre2_code_free(lx->twin[i].code);
        kb_free(lx->twin[i].sec);
        kb_free(lx->twin[i].slots);
    }
    kb_free(lx->twin);
    kb_free(lx->fslot);
    kb_prefilter_free(lx->pf);
    kb_free(lx);
}

const char *kb_lexicon_hash(const kb_lexicon_t *lx)
{
    return lx->hash;
}

size_t kb_lexicon_size(const kb_lexicon_t *lx)
{
    return lx->n_entries;
}

size_t kb_lexicon_brand_count(const kb_lexicon_t *lx)
{
    return lx->n_brands;
}

const char *kb_lexicon_brand_name(const kb_lexicon_t *lx, int32_t id)
{
    return id >= 0 && (size_t)id < lx->n_brands ? lx->brands[id] : NULL;
}
