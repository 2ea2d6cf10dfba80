/* koubei.c -- the koubei command: parse arguments, wire stages, map errors
 * to exit codes. Everything a test would need lives in pipeline/.
 *
 * Exit codes: 0 ok, 1 runtime failure (I/O, broker), 2 usage or config error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pcre2.h>
#include <unicode/uversion.h>

#include "kb_buf.h"
#include "kb_cmd.h"
#include "kb_decode.h"
#include "kb_encode.h"
#include "kb_engine.h"
#include "kb_log.h"
#include "kb_score.h"


/* Options shared by the commands that score. */
typedef struct {
    kb_cmd_scoring_t sc;
    int explain;
} common_opts_t;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: koubei <command> [options]\n"
        "\n"
        "commands:\n"
        "  score [FILE ...]         score JSONL messages (stdin when no file)\n"
        "  lexicon check [DIR]      validate a lexicon folder and print sizes\n"
        "  run [options]            the live pipeline on Kafka (koubei run --help)\n"
        "  replay [options] FILE..  archived messages (or a Kafka range) through the\n"
        "                           same scorer and windows; finals on stdout\n"
        "  feed --brokers B FILE    produce JSONL to a topic, optionally paced by ts\n"
        "  broker [--brokers N] [--partitions P] [--topics a,b]\n"
        "                           in-memory development Kafka broker (tests, demos)\n"
        "  version, --version       versions of koubei, its libraries and lexicon\n"
        "\n"
        "options for score:\n"
        "  --explain                add a trace of every lexicon hit and modifier\n"
        "  --field NAME=PATH        read field NAME (text id brand ts lang rating\n"
        "                           source followers) from a dotted JSON path\n"
        "  --lexicons DIR           lexicon folder (default: %s)\n"
        "  --lexicon-extra FILE     extra user lexicon, 'term<TAB>valence' lines\n"
        "  --max-bytes N            reject messages longer than N bytes (%d)\n"
        "  --log-level LEVEL        error|warn|info|debug (info)\n",
        kb_engine_find_lexicons(), KB_CMD_MAX_BYTES);
}

/* Returns 0, or 2 after printing a usage error. */
static int parse_common(int argc, char **argv, common_opts_t *o, int *first_arg)
{
    static const struct option longopts[] = {
        {"explain", no_argument, NULL, 'e'},
        {"field", required_argument, NULL, 'f'},
        {"lexicons", required_argument, NULL, 'L'},
        {"lexicon-extra", required_argument, NULL, 'x'},
        {"max-bytes", required_argument, NULL, 'm'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    kb_cmd_scoring_init(&o->sc);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': o->explain = 1; break;
        case 'h': usage(stdout); exit(0);
        default:
            switch (kb_cmd_scoring_opt(&o->sc, c, optarg)) {
            case 1: break;
            case 0: usage(stderr); return 2;
            default: return 2;
            }
        }
    }
    *first_arg = optind;
    return 0;
}

/* ---- score ------------------------------------------------------------------ */

typedef struct {
    const kb_engine_t *en;
    kb_decoder_t *dec;
    kb_scorer_t *sc;
    kb_buf_t out;
    int explain;
    unsigned long lines, scored, rejected, by_class[KB_BAD_COUNT];
} score_ctx_t;

static void score_line(score_ctx_t *x, const char *line, size_t len)
{
    kb_msg_t msg;
    const kb_result_t *res;
    char err[512];
    kb_decode_rc_t rc = kb_decode(x->dec, line, len, &msg, err, sizeof(err));

    x->lines++;
    if (rc == KB_DECODE_OK &&
        kb_scorer_run(x->sc, msg.text, msg.text_len, x->explain, &res, err, sizeof(err)) == 0) {
        kb_encode_scored(&x->out, &msg, res, kb_engine_lexicon(x->en), x->explain);
        x->scored++;
    } else {
        if (rc == KB_DECODE_ERROR) {
            snprintf(err, sizeof(err), "out of memory while decoding");
        }
        x->rejected++;
        x->by_class[rc == KB_DECODE_OK ? KB_BAD_UTF8 : msg.bad]++;
        kb_encode_error(&x->out, msg.id, err);
        KB_LOG(KB_LOG_DEBUG, "score", "line %lu rejected: %s", x->lines, err);
    }
    kb_buf_putc(&x->out, '\n');
    kb_msg_clear(&msg);
}

/* stdio's default buffer is one 4 KiB block: a write(2) every few records
 * and a read(2) every dozen lines, tens of thousands of system calls for a
 * large file. Both ends of score get 64 KiB (a terminal keeps its line
 * buffering, for whoever types at it). glibc takes the size only with a
 * buffer of ours; these live as long as the streams that use them (inputs
 * are read one at a time). */
#define SCORE_IO_BUF (64 * 1024)
static char score_in_buf[SCORE_IO_BUF], score_stdin_buf[SCORE_IO_BUF];
static char score_out_buf[SCORE_IO_BUF];

/* Before any I/O on the streams, as setvbuf() requires. */
static void score_buffers(void)
{
    if (!isatty(fileno(stdin))) {
        (void)setvbuf(stdin, score_stdin_buf, _IOFBF, sizeof(score_stdin_buf));
    }
    if (!isatty(fileno(stdout))) {
        (void)setvbuf(stdout, score_out_buf, _IOFBF, sizeof(score_out_buf));
    }
}

/* Returns 0, or -1 on a read or write error (reported). */
static int score_stream(score_ctx_t *x, FILE *in, const char *name)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    if (in != stdin && !isatty(fileno(in))) {
        (void)setvbuf(in, score_in_buf, _IOFBF, sizeof(score_in_buf));
    }
    while ((n = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)n;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            len--;
        }
        kb_buf_reset(&x->out);
        score_line(x, line, len);
        if (x->out.oom || fwrite(x->out.p, 1, x->out.len, stdout) != x->out.len) {
            fprintf(stderr, "koubei score: cannot write output: %s\n",
                    x->out.oom ? "out of memory" : strerror(errno));
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(in)) {
        fprintf(stderr, "koubei score: cannot read %s: %s\n", name, strerror(errno));
        rc = -1;
    }
    free(line);
    return rc;
}

static void score_summary(const score_ctx_t *x)
{
    const char *sep = " (";

    fprintf(stderr, "koubei score: %lu lines, %lu scored, %lu rejected", x->lines,
            x->scored, x->rejected);
    for (int b = 1; b < KB_BAD_COUNT; b++) {
        if (x->by_class[b]) {
            fprintf(stderr, "%s%s %lu", sep, kb_bad_name((kb_bad_t)b), x->by_class[b]);
            sep = ", ";
        }
    }
    fprintf(stderr, "%s\n", x->rejected ? ")" : "");
}

static kb_engine_t *load_engine(const common_opts_t *o)
{
    char err[512];
    kb_engine_t *en = kb_engine_new(o->sc.lexicons, o->sc.extra, o->sc.n_extra, err, sizeof(err));

    if (!en) {
        fprintf(stderr, "koubei: cannot load lexicons: %s\n", err);
    }
    return en;
}

static int cmd_score(int argc, char **argv)
{
    common_opts_t o = {0};
    score_ctx_t x = {0};
    char err[512];
    int first, rc = 2;

    if ((rc = parse_common(argc, argv, &o, &first)) != 0) {
        return rc;
    }
    rc = 2;
    score_buffers();
    kb_buf_init(&x.out);
    x.explain = o.explain;
    if (!(x.en = load_engine(&o))) {
        goto out;
    }
    if (!(x.dec = kb_cmd_decoder(&o.sc, err, sizeof(err))) ||
        !(x.sc = kb_scorer_new(kb_engine_lexicon(x.en), kb_engine_norm(x.en), err, sizeof(err)))) {
        fprintf(stderr, "koubei score: %s\n", err);
        goto out;
    }
    rc = 0;
    if (first == argc) {
        rc = score_stream(&x, stdin, "stdin") ? 1 : 0;
    }
    for (int i = first; i < argc && rc == 0; i++) {
        FILE *in = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "rb");
        if (!in) {
            fprintf(stderr, "koubei score: cannot open %s: %s\n", argv[i], strerror(errno));
            rc = 1;
            break;
        }
        rc = score_stream(&x, in, argv[i]) ? 1 : 0;
        if (in != stdin) {
            fclose(in);
        }
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "koubei score: cannot write output: %s\n", strerror(errno));
        rc = 1;
    }
    score_summary(&x);
out:
    kb_scorer_free(x.sc);
    kb_decoder_free(x.dec);
    kb_engine_free((kb_engine_t *)x.en);
    kb_buf_fini(&x.out);
    return rc;
}

/* ---- lexicon, version ------------------------------------------------------- */

static int cmd_lexicon(int argc, char **argv)
{
    char err[512];
    kb_norm_t *nm;
    int problems;

    if (argc < 2 || strcmp(argv[1], "check") != 0 || argc > 3) {
        fprintf(stderr, "usage: koubei lexicon check [DIR]\n");
        return 2;
    }
    if (!(nm = kb_norm_new(err, sizeof(err)))) {
        fprintf(stderr, "koubei lexicon: %s\n", err);
        return 1;
    }
    problems = kb_lexicon_check(nm, argc == 3 ? argv[2] : kb_engine_find_lexicons(), stdout);
    kb_norm_free(nm);
    return problems == 0 ? 0 : 1;
}

static int cmd_version(void)
{
    common_opts_t o = {0};
    char icu[U_MAX_VERSION_STRING_LENGTH], pcre[64];
    UVersionInfo v;
    kb_engine_t *en;

    u_getVersion(v);
    u_versionToString(v, icu);
    pcre2_config(PCRE2_CONFIG_VERSION, pcre);
    printf("koubei %s\n", KB_VERSION);
    printf("librdkafka %s\nICU %s\nPCRE2 %s\njansson %s\n", rd_kafka_version_str(),
           icu, pcre, jansson_version_str());
    if (!(en = load_engine(&o))) {
        return 1;
    }
    printf("lexicon %s (%zu terms, %zu brands, %s)\n",
           kb_lexicon_hash(kb_engine_lexicon(en)), kb_lexicon_size(kb_engine_lexicon(en)),
           kb_lexicon_brand_count(kb_engine_lexicon(en)), kb_engine_lexicon_dir(en));
    kb_engine_free(en);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        return cmd_version();
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "score") == 0) {
        return cmd_score(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "lexicon") == 0) {
        return cmd_lexicon(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "run") == 0) {
        return kb_cmd_run(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "replay") == 0) {
        return kb_cmd_replay(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "feed") == 0) {
        return kb_cmd_feed(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "broker") == 0) {
        return kb_cmd_broker(argc - 1, argv + 1);
    }
    fprintf(stderr, "koubei: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
