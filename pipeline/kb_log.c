/* kb_log.c -- one-line leveled logging to stderr. */
#include "kb_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int kb_log_level = KB_LOG_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void kb_log_write(int level, const char *stage, const char *fmt, ...)
{
    char line[1024];
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One fprintf per line so concurrent writers do not interleave. */
    fprintf(stderr, "%s %-5s %s: %s\n", stamp,
            level_names[level < 0 ? 0 : level > 3 ? 3 : level], stage, line);
}

int kb_log_parse_level(const char *name)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};

    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}
