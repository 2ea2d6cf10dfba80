/* check_main.c -- runs every unit suite; non-zero exit on any failure.
 * Select with CK_RUN_SUITE / CK_RUN_CASE, debug with CK_FORK=no. */
#include <stdio.h>
#include <stdlib.h>

#include "kb_test.h"

static kb_engine_t *fixture, *product;

const char *kb_test_data(const char *rel)
{
    static char path[4096];
    const char *base = getenv("KB_TESTDATA");

    snprintf(path, sizeof(path), "%s/%s", base ? base : "tests/data", rel);
    return path;
}

static kb_engine_t *load(const char *dir)
{
    char err[512];
    kb_engine_t *en = kb_engine_new(dir, NULL, 0, err, sizeof(err));

    if (!en) {
        fprintf(stderr, "cannot load lexicon %s: %s\n", dir, err);
        abort();
    }
    return en;
}

const kb_engine_t *kb_test_fixture(void)
{
    if (!fixture) {
        fixture = load(kb_test_data("lexicon"));
    }
    return fixture;
}

const kb_engine_t *kb_test_product(void)
{
    if (!product) {
        const char *d = getenv("KB_LEXICONS");
        product = load(d ? d : "lexicons");
    }
    return product;
}

int main(void)
{
    SRunner *sr = srunner_create(kb_norm_suite());
    int failed;

    srunner_add_suite(sr, kb_token_suite());
    srunner_add_suite(sr, kb_lexicon_suite());
    srunner_add_suite(sr, kb_decode_suite());
    srunner_add_suite(sr, kb_encode_suite());
    srunner_add_suite(sr, kb_score_suite());
    srunner_add_suite(sr, kb_cases_suite());
    srunner_add_suite(sr, kb_agg_suite());
    srunner_add_suite(sr, kb_replay_suite());
    srunner_add_suite(sr, kb_alert_suite());
    /* Load once here so forked test processes inherit the tables. */
    kb_test_fixture();
    kb_test_product();
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    kb_engine_free(fixture);
    kb_engine_free(product);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
