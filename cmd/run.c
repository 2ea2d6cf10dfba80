/* run.c -- `koubei run`: the live pipeline, on a real Kafka cluster
 * (--brokers) or on an embedded development broker started in-process.
 */
#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_alert.h"
#include "kb_broker.h"
#include "kb_buf.h"
#include "kb_cmd.h"
#include "kb_decode.h"
#include "kb_engine.h"
#include "kb_log.h"
#include "kb_run.h"


static void run_usage(FILE *f)
{
    fprintf(f,
        "usage: koubei run [options]\n"
        "  --brokers HOST:PORT[,..]  Kafka bootstrap servers; without it an embedded\n"
        "                            development broker is started and its address printed\n"
        "  -X KEY=VALUE              any librdkafka property (repeatable, kcat style)\n"
        "  --config FILE             librdkafka properties, one key=value a line\n"
        "  --role all|score|aggregate  stages this process runs (all)\n"
        "  --group NAME              consumer group prefix (koubei)\n"
        "  --input T1,T2             input topics (feedback.raw)\n"
        "  --window DUR --hop DUR    window length (60s) and advance (= window: tumbling)\n"
        "  --grace DUR               allowed lateness (10s)\n"
        "  --idle-close DUR          close a partition's windows after this quiet (30s)\n"
        "  --emit-interval DUR       non-final updates of open windows (5s)\n"
        "  --stats-interval DUR      stats line on stderr (10s); --stats-topic T also\n"
        "  --exit-idle DUR           stop after this long without input (demos, tests)\n"
        "  --commit-interval DUR     how often offsets are committed (1s)\n"
        "  --exactly-once            Kafka transactions: outputs and offsets commit together\n"
        "                            (real brokers; --transactional-id ID, --txn-watchdog 60s)\n"
        "  --partitions N            partitions of the embedded broker's topics (4)\n"
        "  --show                    print each final word-of-mouth window (and alert) on stdout\n"
        "  --alert KEY=VALUE         a detector threshold (repeatable; --alert help lists\n"
        "                            them with their defaults); --no-alerts\n"
        "  --field NAME=PATH, --lexicons DIR, --lexicon-extra FILE, --max-bytes N,\n"
        "  --log-level LEVEL         as for koubei score\n"
        "Durations: 500ms, 10s, 5m, 1h (a bare number is seconds).\n");
}

/* "500ms", "10s", "5m", "1h", "30" (seconds) -> milliseconds, or -1. */
int64_t kb_cmd_duration_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || v < 0) {
        return -1;
    }
    if (!*end || strcmp(end, "s") == 0) return (int64_t)(v * 1000);
    if (strcmp(end, "ms") == 0) return (int64_t)v;
    if (strcmp(end, "m") == 0) return (int64_t)(v * 60000);
    if (strcmp(end, "h") == 0) return (int64_t)(v * 3600000);
    return -1;
}

int kb_cmd_alert_opt(kb_alert_cfg_t *cfg, const char *kv)
{
    char key[64], err[256];
    const char *eq = strchr(kv, '=');

    if (!eq || (size_t)(eq - kv) >= sizeof(key)) {
        fprintf(stderr, "koubei: --alert wants KEY=VALUE, not '%s'\n", kv);
        return -1;
    }
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    if (kb_alert_cfg_set(cfg, key, eq + 1, err, sizeof(err)) != 0) {
        fprintf(stderr, "koubei: --alert %s: %s\n", kv, err);
        return -1;
    }
    return 0;
}

int kb_cmd_alert_help(const kb_alert_cfg_t *cfg)
{
    kb_buf_t b;

    kb_buf_init(&b);
    kb_alert_cfg_print(cfg, &b);
    fputs("alert thresholds (set with --alert KEY=VALUE; window_ms follows --window):\n", stdout);
    fwrite(b.p ? b.p : "", 1, b.len, stdout);
    kb_buf_fini(&b);
    return 1;
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s)) s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

/* key=value lines; '#' comments. The strings are kept for the run. */
static int read_config(const char *path, kb_run_cfg_t *cfg)
{
    FILE *f = fopen(path, "r");
    char line[1024];

    if (!f) {
        fprintf(stderr, "koubei run: cannot open %s\n", path);
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *l = trim(line);
        if (!*l || *l == '#') {
            continue;
        }
        if (!strchr(l, '=') || cfg->n_props == KB_RUN_MAX_PROPS) {
            fprintf(stderr, "koubei run: %s: bad line '%s'\n", path, l);
            fclose(f);
            return -1;
        }
        cfg->props[cfg->n_props++] = strdup(l);
    }
    fclose(f);
    return 0;
}

typedef struct run_opts {
    kb_run_cfg_t cfg;
    kb_cmd_scoring_t sc;
    int partitions;
} run_opts_t;

static int set_duration(const char *name, const char *arg, int64_t *out)
{
    if ((*out = kb_cmd_duration_ms(arg)) < 0) {
        fprintf(stderr, "koubei run: bad duration for --%s: '%s'\n", name, arg);
        return -1;
    }
    return 0;
}

static int parse_run(int argc, char **argv, run_opts_t *o)
{
    static const struct option lo[] = {
        {"brokers", required_argument, NULL, 'b'}, {"config", required_argument, NULL, 'c'},
        {"role", required_argument, NULL, 'r'}, {"group", required_argument, NULL, 'g'},
        {"input", required_argument, NULL, 'i'}, {"window", required_argument, NULL, 'w'},
        {"hop", required_argument, NULL, 'H'}, {"grace", required_argument, NULL, 'G'},
        {"idle-close", required_argument, NULL, 'I'},
        {"emit-interval", required_argument, NULL, 'E'},
        {"stats-interval", required_argument, NULL, 'S'},
        {"stats-topic", required_argument, NULL, 'T'},
        {"exit-idle", required_argument, NULL, 'q'},
        {"commit-interval", required_argument, NULL, 'C'},
        {"exactly-once", no_argument, NULL, 'O'},
        {"transactional-id", required_argument, NULL, 'Y'},
        {"txn-watchdog", required_argument, NULL, 'W'},
        {"partitions", required_argument, NULL, 'p'}, {"show", no_argument, NULL, 's'},
        {"field", required_argument, NULL, 'f'}, {"lexicons", required_argument, NULL, 'L'},
        {"lexicon-extra", required_argument, NULL, 'x'},
        {"max-bytes", required_argument, NULL, 'm'},
        {"log-level", required_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
        {"alert", required_argument, NULL, 'A'}, {"no-alerts", no_argument, NULL, 'N'},
        {NULL, 0, NULL, 0}};
    kb_run_cfg_t *c = &o->cfg;
    int ch, hop_set = 0;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "X:", lo, NULL)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'b': c->brokers = optarg; break;
        case 'X':
            if (c->n_props == KB_RUN_MAX_PROPS || !strchr(optarg, '=')) bad = 1;
            else c->props[c->n_props++] = optarg;
            break;
        case 'c': bad = read_config(optarg, c) != 0; break;
        case 'r':
            if (strcmp(optarg, "all") == 0) c->role = KB_ROLE_ALL;
            else if (strcmp(optarg, "score") == 0) c->role = KB_ROLE_SCORE;
            else if (strcmp(optarg, "aggregate") == 0) c->role = KB_ROLE_AGGREGATE;
            else bad = 1;
            break;
        case 'g': c->group = optarg; break;
        case 'i': c->input = optarg; break;
        case 'w': bad = set_duration("window", optarg, &c->agg.window_ms); break;
        case 'H': bad = set_duration("hop", optarg, &c->agg.hop_ms); hop_set = 1; break;
        case 'G': bad = set_duration("grace", optarg, &c->agg.grace_ms); break;
        case 'I': bad = set_duration("idle-close", optarg, &c->idle_close_ms); break;
        case 'E': bad = set_duration("emit-interval", optarg, &c->emit_interval_ms); break;
        case 'S': bad = set_duration("stats-interval", optarg, &c->stats_interval_ms); break;
        case 'T': c->t_stats = optarg; break;
        case 'q': bad = set_duration("exit-idle", optarg, &c->exit_idle_ms); break;
        case 'C': bad = set_duration("commit-interval", optarg, &c->commit_interval_ms); break;
        case 'O': c->exactly_once = 1; break;
        case 'Y': c->txn_id = optarg; break;
        case 'W': bad = set_duration("txn-watchdog", optarg, &c->txn_watchdog_ms); break;
        case 'p': o->partitions = atoi(optarg); break;
        case 's': c->show = stdout; break;
        case 'A':
            if (strcmp(optarg, "help") == 0) {
                return kb_cmd_alert_help(&c->alert);
            }
            bad = kb_cmd_alert_opt(&c->alert, optarg) != 0;
            break;
        case 'N': c->alerts = 0; break;
        case 'h': run_usage(stdout); return 1;
        default: bad = kb_cmd_scoring_opt(&o->sc, ch, optarg) <= 0; break;
        }
        if (bad) {
            fprintf(stderr, "koubei run: bad option or value near '%s'\n", argv[optind - 1]);
            run_usage(stderr);
            return -1;
        }
    }
    if (!hop_set) {
        c->agg.hop_ms = c->agg.window_ms;
    }
    if (optind < argc) {
        fprintf(stderr, "koubei run: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

int kb_cmd_run(int argc, char **argv)
{
    run_opts_t o;
    kb_broker_t *broker = NULL;
    kb_engine_t *en = NULL;
    kb_decoder_t *dec = NULL;
    kb_run_t *run = NULL;
    char err[512];
    int rc = 2, prc;

    memset(&o, 0, sizeof(o));
    kb_run_cfg_default(&o.cfg);
    kb_cmd_scoring_init(&o.sc);
    o.partitions = 4;
    if ((prc = parse_run(argc, argv, &o)) != 0) {
        return prc > 0 ? 0 : 2;
    }
    if (!(en = kb_engine_new(o.sc.lexicons, o.sc.extra, o.sc.n_extra, err, sizeof(err)))) {
        fprintf(stderr, "koubei run: cannot load lexicons: %s\n", err);
        return 2;
    }
    if (!(dec = kb_cmd_decoder(&o.sc, err, sizeof(err)))) {
        goto out;
    }
    if (!o.cfg.brokers) {
        if (!(broker = kb_broker_new(1, o.partitions,
                                     "feedback.raw,koubei.scored,koubei.wom,koubei.satisfaction,"
                                     "koubei.dlq,koubei.late,koubei.alerts,koubei.state",
                                     err, sizeof(err)))) {
            rc = 1;
            goto out;
        }
        o.cfg.brokers = kb_broker_bootstrap(broker);
        printf("koubei run: embedded development broker (in memory, not for production) at %s\n"
               "  feed it:  kcat -b %s -P -t %s\n",
               o.cfg.brokers, o.cfg.brokers, o.cfg.input);
        fflush(stdout);
    }
    kb_cmd_catch_signals();
    if (!(run = kb_run_new(&o.cfg, en, dec, err, sizeof(err)))) {
        goto out;
    }
    rc = kb_run_loop(run, kb_cmd_stop_flag(), err, sizeof(err)) == 0 ? 0 : 1;
out:
    if (rc != 0) {
        fprintf(stderr, "koubei run: %s\n", err);
    }
    kb_run_free(run);
    kb_broker_free(broker);
    kb_decoder_free(dec);
    kb_engine_free(en);
    return rc;
}
