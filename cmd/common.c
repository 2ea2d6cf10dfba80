/* common.c -- what the scoring commands (score, run, replay) share: the
 * lexicon/decoder options and building a decoder from them. */
#include <stdio.h>
#include <stdlib.h>

#include "kb_cmd.h"
#include "kb_decode.h"
#include "kb_log.h"

void kb_cmd_scoring_init(kb_cmd_scoring_t *o)
{
    o->lexicons = NULL;
    o->n_extra = o->n_fields = 0;
    o->max_bytes = KB_CMD_MAX_BYTES;
}

int kb_cmd_scoring_opt(kb_cmd_scoring_t *o, int ch, const char *arg)
{
    char *end;
    unsigned long long v;

    switch (ch) {
    case 'L': o->lexicons = arg; return 1;
    case 'f':
    case 'x':
        if ((ch == 'f' ? o->n_fields : o->n_extra) == KB_CMD_MAX_MULTI) {
            fprintf(stderr, "koubei: at most %d --field/--lexicon-extra options\n",
                    KB_CMD_MAX_MULTI);
            return -1;
        }
        if (ch == 'f') o->fields[o->n_fields++] = arg;
        else o->extra[o->n_extra++] = arg;
        return 1;
    case 'm':
        v = strtoull(arg, &end, 10);
        if (*end || v == 0) {
            fprintf(stderr, "koubei: --max-bytes wants a positive number\n");
            return -1;
        }
        o->max_bytes = (size_t)v;
        return 1;
    case 'l':
        if ((kb_log_level = kb_log_parse_level(arg)) < 0) {
            fprintf(stderr, "koubei: unknown log level '%s'\n", arg);
            return -1;
        }
        return 1;
    default:
        return 0;
    }
}

kb_decoder_t *kb_cmd_decoder(const kb_cmd_scoring_t *o, char *errstr, size_t errstr_size)
{
    kb_decoder_t *dec = kb_decoder_new(o->max_bytes, errstr, errstr_size);

    for (size_t i = 0; dec && i < o->n_fields; i++) {
        if (kb_decoder_map(dec, o->fields[i], errstr, errstr_size) != 0) {
            kb_decoder_free(dec);
            return NULL;
        }
    }
    return dec;
}
