/* broker.c -- `koubei broker`: the development broker as its own process.
 *
 * Prints the bootstrap address as the first line of stdout, then reads
 * control commands (one a line, see kb_broker_command()) from stdin and
 * answers each on stdout, until SIGINT/SIGTERM. Tests start it in the
 * background with a FIFO on stdin to inject errors and take brokers down.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kb_broker.h"
#include "kb_cmd.h"

static volatile sig_atomic_t stopping;

volatile const sig_atomic_t *kb_cmd_stop_flag(void)
{
    return &stopping;
}

static void on_signal(int sig)
{
    if (stopping) {
        _exit(128 + sig);
    }
    stopping = 1;
}

void kb_cmd_catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int kb_cmd_stopping(void)
{
    return stopping != 0;
}

static void broker_usage(FILE *f)
{
    fprintf(f,
        "usage: koubei broker [--brokers N] [--partitions P] [--topics a,b,...]\n"
        "  Starts librdkafka's in-memory mock cluster on loopback and prints its\n"
        "  bootstrap address. Development and tests only: no persistence.\n"
        "  stdin takes control commands: topic NAME P | down ID|all | up ID|all |\n"
        "  rtt ID MS | error API ERR [COUNT] | clear API\n");
}

/* Read whatever complete lines stdin has and run them. Returns 0 at EOF. */
static int control(kb_broker_t *b, char *acc, size_t *n, size_t cap)
{
    ssize_t r = read(STDIN_FILENO, acc + *n, cap - 1 - *n);
    char *nl, reply[300];

    if (r <= 0) {
        return r < 0 && errno == EINTR ? 1 : 0;
    }
    *n += (size_t)r;
    acc[*n] = '\0';
    while ((nl = strchr(acc, '\n'))) {
        *nl = '\0';
        if (acc[0] && acc[0] != '#') {
            int rc = kb_broker_command(b, acc, reply, sizeof(reply));
            printf("%s%s\n", rc ? "error: " : "", reply);
            fflush(stdout);
        }
        *n -= (size_t)(nl + 1 - acc);
        memmove(acc, nl + 1, *n + 1);
    }
    if (*n == cap - 1) {
        *n = 0; /* an over-long line is dropped */
    }
    return 1;
}

int kb_cmd_broker(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"partitions", required_argument, NULL, 'p'},
        {"topics", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int nb = 1, np = 4, c, in_open = 1;
    const char *topics = "feedback.raw,koubei.scored,koubei.wom,koubei.satisfaction,"
                         "koubei.dlq,koubei.late,koubei.alerts,koubei.state";
    char err[512], acc[1024];
    size_t n = 0;
    kb_broker_t *b;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': nb = atoi(optarg); break;
        case 'p': np = atoi(optarg); break;
        case 't': topics = optarg; break;
        case 'h': broker_usage(stdout); return 0;
        default: broker_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        broker_usage(stderr);
        return 2;
    }
    kb_cmd_catch_signals();
    if (!(b = kb_broker_new(nb, np, topics, err, sizeof(err)))) {
        fprintf(stderr, "koubei broker: %s\n", err);
        return 1;
    }
    printf("%s\n", kb_broker_bootstrap(b));
    fflush(stdout);
    fprintf(stderr,
            "koubei broker: in-memory development broker (librdkafka mock cluster), "
            "%d broker(s), topics %s with %d partitions.\n"
            "  No persistence; partitions keep a bounded log (librdkafka mock defaults). "
            "Not for production.\n",
            nb, topics, np);
    while (!kb_cmd_stopping()) {
        struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
        int r = poll(&pfd, in_open ? 1 : 0, 200);
        if (r > 0 && (pfd.revents & (POLLIN | POLLHUP))) {
            in_open = control(b, acc, &n, sizeof(acc));
        }
    }
    fprintf(stderr, "koubei broker: stopping\n");
    kb_broker_free(b);
    return 0;
}
