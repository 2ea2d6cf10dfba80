/* kb_broker.h -- the embedded development broker: librdkafka's mock cluster.
 *
 * An in-memory Kafka cluster on loopback for development, demos and tests:
 * no persistence, and partitions keep a bounded log (librdkafka's mock
 * defaults). Never for production. Error injection and broker down/up are
 * driven by text commands (kb_broker_command()) so that tests in another
 * process can control it through `koubei broker`'s stdin.
 */
#ifndef KB_BROKER_H
#define KB_BROKER_H

#include <stddef.h>

typedef struct kb_broker kb_broker_t;

/** Start @p n_brokers brokers and create each of the comma-separated
 *  @p topics (may be NULL) with @p partitions partitions. NULL with errstr
 *  on failure. Stop with kb_broker_free(). */
kb_broker_t *kb_broker_new(int n_brokers, int partitions, const char *topics,
                           char *errstr, size_t errstr_size);
void kb_broker_free(kb_broker_t *b);

/** "127.0.0.1:PORT,..." valid while @p b lives. */
const char *kb_broker_bootstrap(const kb_broker_t *b);

/** Create @p topic with @p partitions partitions (replication 1). */
int kb_broker_topic(kb_broker_t *b, const char *topic, int partitions,
                    char *errstr, size_t errstr_size);

/** Run one control command; returns 0 and a reply, or -1 with the reason:
 *    topic NAME PARTITIONS        create a topic
 *    down BROKER|all, up BROKER|all
 *    rtt BROKER MS                 add round-trip latency
 *    error API ERR [COUNT]         fail the next COUNT requests of API
 *                                  (Produce, Fetch, OffsetCommit, ... or a
 *                                  number) with ERR (a Kafka error name such
 *                                  as NOT_LEADER_FOR_PARTITION, _TRANSPORT, or
 *                                  a number)
 *    clear API                     drop pending injected errors of API */
int kb_broker_command(kb_broker_t *b, const char *line, char *reply, size_t reply_size);

#endif /* KB_BROKER_H */
