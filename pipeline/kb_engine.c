/* kb_engine.c -- the shared, read-only scoring assets. */
#include "kb_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kb_mem.h"

#ifndef KB_LEXICON_DIR
#define KB_LEXICON_DIR "lexicons"
#endif

struct kb_engine {
    kb_norm_t *nm;
    kb_lexicon_t *lx;
    char *dir;
};

static int is_dir(const char *p)
{
    struct stat st;
    return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *kb_engine_find_lexicons(void)
{
    const char *env = getenv("KB_LEXICONS");

    if (is_dir(env)) {
        return env;
    }
    if (is_dir(KB_LEXICON_DIR)) {
        return KB_LEXICON_DIR;
    }
    return "/usr/share/koubei/lexicons";
}

kb_engine_t *kb_engine_new(const char *dir, const char *const *extra,
                           size_t n_extra, char *errstr, size_t errstr_size)
{
    kb_engine_t *en = kb_calloc(1, sizeof(*en));

    if (!en) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (!dir) {
        dir = kb_engine_find_lexicons();
    }
    if (!(en->dir = kb_strndup(dir, strlen(dir))) ||
        !(en->nm = kb_norm_new(errstr, errstr_size)) ||
        !(en->lx = kb_lexicon_load(en->nm, dir, extra, n_extra, errstr, errstr_size))) {
        if (!en->dir) {
            snprintf(errstr, errstr_size, "out of memory");
        }
        kb_engine_free(en);
        return NULL;
    }
    return en;
}

void kb_engine_free(kb_engine_t *en)
{
    if (!en) {
        return;
    }
    kb_lexicon_free(en->lx);
    kb_norm_free(en->nm);
    kb_free(en->dir);
    kb_free(en);
}

const kb_norm_t *kb_engine_norm(const kb_engine_t *en)
{
    return en->nm;
}

const kb_lexicon_t *kb_engine_lexicon(const kb_engine_t *en)
{
    return en->lx;
}

const char *kb_engine_lexicon_dir(const kb_engine_t *en)
{
    return en->dir;
}
