/* kb_log.h -- one-line leveled logging to stderr.
 *
 * KB_LOG checks the level before evaluating its arguments, so debug logging
 * on the per-message path costs one comparison when disabled.
 * Line format: "2026-11-23T05:30:00Z WARN  score: message".
 */
#ifndef KB_LOG_H
#define KB_LOG_H

typedef enum {
    KB_LOG_ERROR = 0, /* someone must act */
    KB_LOG_WARN = 1,  /* degraded, carrying on */
    KB_LOG_INFO = 2,  /* lifecycle */
    KB_LOG_DEBUG = 3  /* per message */
} kb_log_level_t;

extern int kb_log_level; /* messages above this level are skipped */

void kb_log_write(int level, const char *stage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Parse "error|warn|info|debug"; returns the level or -1. */
int kb_log_parse_level(const char *name);

#define KB_LOG(level, stage, ...)                                              \
    do {                                                                       \
        if ((level) <= kb_log_level) {                                         \
            kb_log_write((level), (stage), __VA_ARGS__);                       \
        }                                                                      \
    } while (0)

#endif /* KB_LOG_H */
