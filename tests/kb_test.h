/* kb_test.h -- suites of the unit test runner and shared fixtures. */
#ifndef KB_TEST_H
#define KB_TEST_H

#include <check.h>

#include "kb_engine.h"

Suite *kb_norm_suite(void);
Suite *kb_token_suite(void);
Suite *kb_lexicon_suite(void);
Suite *kb_decode_suite(void);
Suite *kb_encode_suite(void);
Suite *kb_score_suite(void);
Suite *kb_cases_suite(void);
Suite *kb_agg_suite(void);
Suite *kb_replay_suite(void);
Suite *kb_alert_suite(void);

/** Path under tests/data ($KB_TESTDATA); returns a static buffer. */
const char *kb_test_data(const char *rel);
/** The fixture lexicon engine (tests/data/lexicon), loaded once. */
const kb_engine_t *kb_test_fixture(void);
/** The product lexicon engine ($KB_LEXICONS), loaded once. */
const kb_engine_t *kb_test_product(void);

#endif /* KB_TEST_H */
