/* kb_score.c -- sentiment, SERVQUAL, complaint and effort for one text.
 *
 * Passes over the token list, each a small function:
 *   structure  clause and sentence ids (contrast markers open a clause)
 *   valence    per sentiment token: prior valence, emphasis, then the
 *              negators and degree words in the three tokens before it
 *   contrast   clause weights around but/但是 and although/虽然
 *   sums       per sentence (with '!'/'?' emphasis) and per clause
 *   servqual   each dimension takes the sentiment of its own clauses
 *   intent     complaint / effort terms that are not negated
 * Constants follow VADER where it has one (see the README's scoring section).
 */
#include "kb_score.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kb_mem.h"
#include "kb_token.h"

#define ALPHA 15.0          /* VADER's normalisation constant */
#define CAPS_INCR 0.733f    /* VADER's C_INCR */
#define ELONG_INCR 0.293f   /* same as one booster step (VADER's B_INCR) */
#define EXCL_INCR 0.292     /* per '!', at most 4 */
#define QUEST_INCR 0.18     /* per '?' when there are 2 or more, at most 0.96 */
#define SCOPE 3             /* tokens a negator or degree word reaches */
#define BUT_BEFORE 0.5f
#define BUT_AFTER 1.5f
#define MAX_HITS 64
#define MAX_BRANDS 32

static const float scope_damp[SCOPE] = {1.0f, 0.95f, 0.9f};

struct kb_scorer {
    const kb_lexicon_t *lx;
    const kb_norm_t *nm;
    kb_ntext_t nt;
    kb_tokens_t tk;
    void *pat_md;
    /* per token, tcap entries */
    float *val, *weight;
    uint32_t *clause, *sent;
    size_t tcap;
    /* per clause / sentence, tcap + 1 entries */
    double *csum, *ssum;
    uint8_t *cdims;
    uint32_t *csent;
    uint32_t *sstart;          /* first token of each sentence */
    uint16_t *sexcl, *squest;  /* '!' and '?' per sentence */
    size_t n_clauses, n_sents;
    kb_pattern_hit_t hits[MAX_HITS];
    uint32_t hit_tok[MAX_HITS];
    size_t n_hits;
    kb_span_t *ev;
    size_t ev_cap;
    int32_t brands[MAX_BRANDS];
    kb_term_t *terms;
    size_t terms_cap;
    kb_buf_t term_text;
    kb_trace_t *trace;
    size_t trace_cap;
    int explain;
    int oom;
    kb_result_t res;
};

const char *kb_label_name(kb_label_t l)
{
    return l == KB_LABEL_POS ? "pos" : l == KB_LABEL_NEG ? "neg" : "neu";
}

const char *kb_lang_name(kb_lang_t l)
{
    static const char *const n[] = {"und", "zh", "en", "mixed"};
    return n[l];
}

const char *kb_mod_name(kb_mod_t m)
{
    static const char *const n[KB_MOD_COUNT] = {
        "negation", "degree", "degree_under_negation", "contrast", "caps",
        "elongation"};
    return m < KB_MOD_COUNT ? n[m] : "?";
}

const kb_lexicon_t *kb_scorer_lexicon(const kb_scorer_t *sc)
{
    return sc->lx;
}

kb_scorer_t *kb_scorer_new(const kb_lexicon_t *lx, const kb_norm_t *nm,
                           char *errstr, size_t errstr_size)
{
    kb_scorer_t *sc = kb_calloc(1, sizeof(*sc));

    if (!sc) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    sc->lx = lx;
    sc->nm = nm;
    kb_ntext_init(&sc->nt);
    kb_buf_init(&sc->term_text);
    kb_tokens_init(&sc->tk);
    return sc;
}

void kb_scorer_free(kb_scorer_t *sc)
{
    if (!sc) {
        return;
    }
    kb_ntext_fini(&sc->nt);
    kb_tokens_fini(&sc->tk);
    kb_lexicon_match_free(sc->pat_md);
    kb_free(sc->val);
    kb_free(sc->weight);
    kb_free(sc->clause);
    kb_free(sc->sent);
    kb_free(sc->csum);
    kb_free(sc->ssum);
    kb_free(sc->cdims);
    kb_free(sc->csent);
    kb_free(sc->terms);
    kb_buf_fini(&sc->term_text);
    kb_free(sc->sstart);
    kb_free(sc->sexcl);
    kb_free(sc->squest);
    kb_free(sc->ev);
    kb_free(sc->trace);
    kb_free(sc);
}

/* ---- workspace ---------------------------------------------------------- */

static int grow_tokens(kb_scorer_t *sc, size_t n)
{
    size_t cap = sc->tcap ? sc->tcap : 64;

    if (n + 1 <= sc->tcap) {
        return 0;
    }
    while (cap < n + 1) {
        cap *= 2;
    }
#define GROW(f, sz)                                                            \
    do {                                                                       \
        void *p_ = kb_realloc(sc->f, cap * (sz));                              \
        if (!p_) return -1;                                                    \
        sc->f = p_;                                                            \
    } while (0)
    GROW(val, sizeof(float));
    GROW(weight, sizeof(float));
    GROW(clause, sizeof(uint32_t));
    GROW(sent, sizeof(uint32_t));
    GROW(csum, sizeof(double));
    GROW(ssum, sizeof(double));
    GROW(cdims, 1);
    GROW(csent, sizeof(uint32_t));
    GROW(sstart, sizeof(uint32_t));
    GROW(sexcl, sizeof(uint16_t));
    GROW(squest, sizeof(uint16_t));
#undef GROW
    sc->tcap = cap;
    return 0;
}

static kb_span_t span_of(const kb_scorer_t *sc, uint32_t s0, uint32_t s1)
{
    kb_span_t sp;
    const kb_ntext_t *nt = &sc->nt;

    sp.start = s0;
    sp.end = s1;
    sp.p = nt->orig + nt->obyte[s0];
    sp.len = nt->obyte[s1] - nt->obyte[s0];
    return sp;
}

static kb_span_t tok_span(const kb_scorer_t *sc, size_t k)
{
    return span_of(sc, sc->tk.t[k].s0, sc->tk.t[k].s1);
}

static int is_boundary(const kb_token_t *t)
{
    return t->type >= KB_TOK_CLAUSE;
}

static int is_sentence_end(const kb_token_t *t)
{
    return t->type >= KB_TOK_SENT;
}

static int has_valence(const kb_lex_entry_t *e)
{
    return e && (e->valence > 0 || e->valence < 0);
}

static int has_valence_f(float v)
{
    return v > 0 || v < 0;
}

static float sign_of(float v)
{
    return v < 0 ? -1.0f : 1.0f;
}

/* ---- structure ---------------------------------------------------------- */

/* 就是 counts as a contrast only when it opens a later clause. */
static inline int contrast_role(const kb_scorer_t *sc, size_t k, int content_before)
{
    const kb_token_t *t = &sc->tk.t[k];

    if (!t->e || t->e->contrast == KB_CONTRAST_NONE || t->e->contrast == KB_CONTRAST_SCOPE) {
        return KB_CONTRAST_NONE; /* scope_end words only stop apply_scope() */
    }
    if (t->e->contrast == KB_CONTRAST_BUT_MID) {
        return (k > 0 && is_boundary(&sc->tk.t[k - 1]) && content_before)
                   ? KB_CONTRAST_BUT : KB_CONTRAST_NONE;
    }
    return t->e->contrast;
}

/* Assign clause and sentence ids. A boundary token belongs to the clause it
 * closes, so "!!!" counts for the sentence it ends. */
static void structure(kb_scorer_t *sc)
{
    uint32_t clause = 0, sent = 0;
    int clause_has = 0, sent_has = 0, pend_clause = 0, pend_sent = 0, any = 0;

    sc->csent[0] = 0;
    sc->sstart[0] = 0;

    for (size_t k = 0; k < sc->tk.n; k++) {
        const kb_token_t *t = &sc->tk.t[k];
        if (is_boundary(t)) {
            sc->clause[k] = clause;
            sc->sent[k] = sent;
            pend_clause = 1;
            pend_sent |= is_sentence_end(t);
            continue;
        }
        if (pend_sent && sent_has) {
            sent++;
            sent_has = 0;
            sc->sstart[sent] = (uint32_t)k;
        }
        if ((pend_clause && clause_has) ||
            (contrast_role(sc, k, any) != KB_CONTRAST_NONE && clause_has)) {
            clause++;
            clause_has = 0;
        }
        pend_clause = pend_sent = 0;
        sc->clause[k] = clause;
        sc->sent[k] = sent;
        if (!clause_has) {
            sc->csent[clause] = sent;
        }
        clause_has = sent_has = any = 1;
    }
    sc->n_clauses = clause + 1;
    sc->n_sents = sent + 1;
    sc->sstart[sc->n_sents] = (uint32_t)sc->tk.n;
}

/* ---- valence ------------------------------------------------------------ */

static kb_trace_t *trace_new(kb_scorer_t *sc)
{
    kb_trace_t *tr;

    if (!sc->explain) {
        return NULL;
    }
    if (sc->res.n_trace == sc->trace_cap) {
        size_t cap = sc->trace_cap ? sc->trace_cap * 2 : 16;
        kb_trace_t *t = kb_realloc(sc->trace, cap * sizeof(*t));
        if (!t) {
            sc->oom = 1;
            return NULL;
        }
        sc->trace = t;
        sc->trace_cap = cap;
    }
    tr = &sc->trace[sc->res.n_trace++];
    memset(tr, 0, sizeof(*tr));
    return tr;
}

static void trace_mod(kb_trace_t *tr, kb_mod_t kind, float value, kb_span_t by)
{
    if (tr && tr->n_mods < KB_TRACE_MAX_MODS) {
        tr->mods[tr->n_mods].kind = (uint8_t)kind;
        tr->mods[tr->n_mods].value = value;
        tr->mods[tr->n_mods].by = by;
        tr->n_mods++;
    }
}

/* A word that is both a degree word and a sentiment word (好 in 好贵, "pretty"
 * in "pretty bad") acts as a degree word when a sentiment word follows it
 * directly in the same clause. */
static int acts_as_degree(const kb_scorer_t *sc, size_t k)
{
    const kb_token_t *t = &sc->tk.t[k];

    return t->e && t->e->degree > 0 && k + 1 < sc->tk.n &&
           has_valence(sc->tk.t[k + 1].e) && !is_boundary(&sc->tk.t[k + 1]);
}

/* Apply the negators and degree words among the SCOPE tokens before token
 * k. Nearest first: a degree word between the negator and the term ("not
 * very good", 不是很好) is undone and inverted, because negating an
 * intensified phrase softens it; a degree word before the negator (很不好)
 * intensifies the negated value. */
static float apply_scope(kb_scorer_t *sc, size_t k, float v, kb_trace_t *tr)
{
    float deg_prod = 1.0f;
    size_t dist = 0;

    for (size_t j = k; j-- > 0 && dist < SCOPE; dist++) {
        const kb_token_t *u = &sc->tk.t[j];
        const kb_lex_entry_t *e = u->e;
        if (is_boundary(u) || (e && e->contrast)) {
            break;
        }
        if (!e) {
            continue;
        }
        if (e->negator < 0) {
            if (deg_prod > 1.0f) {
                v /= deg_prod * deg_prod;
                trace_mod(tr, KB_MOD_DEGREE_UNDER_NEGATION, 1.0f / deg_prod,
                          tok_span(sc, j));
            }
            v *= e->negator;
            deg_prod = 1.0f;
            trace_mod(tr, KB_MOD_NEGATION, e->negator, tok_span(sc, j));
        } else if (e->degree > 0) {
            float f = 1.0f + (e->degree - 1.0f) * scope_damp[dist];
            v *= f;
            deg_prod *= f;
            trace_mod(tr, KB_MOD_DEGREE, f, tok_span(sc, j));
        } else if (has_valence(e)) {
            break; /* another opinion word: the scope ends there */
        }
    }
    return v;
}

/* VADER emphasises ALL-CAPS words only when the text is not all caps. */
static int mixed_caps(const kb_scorer_t *sc)
{
    int caps = 0, other = 0;

    for (size_t k = 0; k < sc->tk.n; k++) {
        const kb_token_t *t = &sc->tk.t[k];
        if (t->flags & KB_TF_LATIN) {
            if (t->flags & KB_TF_CAPS) caps = 1; else other = 1;
        }
    }
    return caps && other;
}

static void valence(kb_scorer_t *sc)
{
    int mixed = mixed_caps(sc);

    for (size_t k = 0; k < sc->tk.n; k++) {
        const kb_token_t *t = &sc->tk.t[k];
        kb_trace_t *tr;
        float v, sg;

        sc->val[k] = 0.0f;
        if (!has_valence(t->e) || acts_as_degree(sc, k)) {
            continue;
        }
        v = t->e->valence;
        sg = sign_of(v);
        tr = trace_new(sc);
        if (tr) {
            tr->span = tok_span(sc, k);
            tr->base = v;
        }
        if ((t->flags & KB_TF_CAPS) && mixed) {
            v += sg * CAPS_INCR;
            trace_mod(tr, KB_MOD_CAPS, sg * CAPS_INCR, span_of(sc, 0, 0));
        }
        if (t->flags & KB_TF_ELONG) {
            v += sg * ELONG_INCR;
            trace_mod(tr, KB_MOD_ELONGATION, sg * ELONG_INCR, span_of(sc, 0, 0));
        }
        v = apply_scope(sc, k, v, tr);
        if (sc->weight[k] < 1.0f || sc->weight[k] > 1.0f) {
            v *= sc->weight[k];
            trace_mod(tr, KB_MOD_CONTRAST, sc->weight[k], span_of(sc, 0, 0));
        }
        sc->val[k] = v;
        if (tr) {
            tr->value = v;
        }
    }
}

/* ---- contrast ------------------------------------------------------------- */

/* Is token k the first content token of its sentence? */
static int opens_sentence(const kb_scorer_t *sc, size_t k)
{
    for (size_t j = k; j-- > 0;) {
        if (!is_boundary(&sc->tk.t[j])) {
            return sc->sent[j] != sc->sent[k];
        }
    }
    return 1;
}

/* but/但是: what comes before it (in its sentence, or in the previous one
 * when it opens a sentence) weighs 0.5, the rest of its sentence 1.5.
 * although/虽然: its own clause weighs 0.5, the rest of the sentence 1.5.
 * Later markers override earlier ones. */
static void contrast(kb_scorer_t *sc)
{
    int content_before = 0;

    for (size_t k = 0; k < sc->tk.n; k++) {
        sc->weight[k] = 1.0f;
    }
    for (size_t k = 0; k < sc->tk.n; k++) {
        int role = is_boundary(&sc->tk.t[k]) ? KB_CONTRAST_NONE
                                              : contrast_role(sc, k, content_before);
        uint32_t s = sc->sent[k];
        content_before |= !is_boundary(&sc->tk.t[k]);
        if (role == KB_CONTRAST_ALTHOUGH) {
            for (size_t q = sc->sstart[s]; q < sc->sstart[s + 1]; q++) {
                sc->weight[q] = sc->clause[q] == sc->clause[k] ? BUT_BEFORE : BUT_AFTER;
            }
        } else if (role == KB_CONTRAST_BUT) {
            uint32_t from = (opens_sentence(sc, k) && s > 0) ? s - 1 : s;
            for (size_t q = sc->sstart[from]; q < k; q++) {
                sc->weight[q] = BUT_BEFORE;
            }
            for (size_t q = k + 1; q < sc->sstart[s + 1]; q++) {
                sc->weight[q] = BUT_AFTER;
            }
        }
    }
}

/* ---- patterns ----------------------------------------------------------- */

/* Run the regex patterns over the normalised text and tie each hit to the
 * token it starts in. */
static int patterns(kb_scorer_t *sc)
{
    const kb_buf_t *u8;
    int n;

    sc->n_hits = 0;
    if (sc->tk.n == 0) {
        return 0;
    }
    if (!(u8 = kb_ntext_utf8(&sc->nt))) {
        return -1;
    }
    n = kb_lexicon_patterns(sc->lx, u8->p, u8->len, &sc->pat_md, sc->hits, MAX_HITS);
    if (n < 0) {
        return -1;
    }
    for (int h = 0; h < n; h++) {
        uint32_t c0 = sc->nt.u8cp[sc->hits[h].b0];
        size_t q = 0;
        while (q + 1 < sc->tk.n && sc->tk.t[q].n1 <= c0) {
            q++;
        }
        sc->hit_tok[sc->n_hits] = (uint32_t)q;
        sc->hits[sc->n_hits++] = sc->hits[h];
    }
    return 0;
}

static kb_span_t hit_span(const kb_scorer_t *sc, size_t h)
{
    uint32_t c0 = sc->nt.u8cp[sc->hits[h].b0];
    uint32_t c1 = sc->nt.u8cp[sc->hits[h].b1 - 1];

    return span_of(sc, sc->nt.src0[c0], sc->nt.src1[c1]);
}

/* ---- sums ------------------------------------------------------------------ */

static double normalize(double x)
{
    double v = x / sqrt(x * x + ALPHA);
    return v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v;
}

static kb_label_t label_of(double score)
{
    return score >= KB_SCORE_THRESHOLD ? KB_LABEL_POS
         : score <= -KB_SCORE_THRESHOLD ? KB_LABEL_NEG : KB_LABEL_NEU;
}

/* '!' and '?' amplify their sentence's sum away from zero (VADER). */
static double sentence_emphasis(const kb_scorer_t *sc, uint32_t s)
{
    double ep = (sc->sexcl[s] > 4 ? 4 : (double)sc->sexcl[s]) * EXCL_INCR;

    if (sc->squest[s] > 1) {
        ep += fmin((double)sc->squest[s] * QUEST_INCR, 0.96);
    }
    return ep;
}

static void sums(kb_scorer_t *sc)
{
    kb_result_t *r = &sc->res;
    double total = 0, pos = 0, neg = 0, neu = 0;

    for (size_t c = 0; c < sc->n_clauses; c++) {
        sc->csum[c] = 0;
        sc->cdims[c] = 0;
    }
    for (size_t s = 0; s < sc->n_sents; s++) {
        sc->ssum[s] = 0;
        sc->sexcl[s] = sc->squest[s] = 0;
    }
    for (size_t k = 0; k < sc->tk.n; k++) {
        const kb_token_t *t = &sc->tk.t[k];
        double v = sc->val[k];
        if (is_boundary(t)) {
            sc->sexcl[sc->sent[k]] += t->type == KB_TOK_EXCL;
            sc->squest[sc->sent[k]] += t->type == KB_TOK_QUEST;
            continue;
        }
        sc->csum[sc->clause[k]] += v;
        sc->ssum[sc->sent[k]] += v;
        pos += v > 0 ? v : 0;
        neg += v < 0 ? -v : 0;
        neu += !has_valence(t->e) && t->type != KB_TOK_SYM;
        if (t->e) {
            sc->cdims[sc->clause[k]] |= t->e->servqual;
        }
    }
    for (size_t h = 0; h < sc->n_hits; h++) {
        uint32_t q = sc->hit_tok[h];
        double v = sc->hits[h].tags->valence * sc->weight[q];
        kb_trace_t *tr;
        sc->csum[sc->clause[q]] += v;
        sc->ssum[sc->sent[q]] += v;
        sc->cdims[sc->clause[q]] |= sc->hits[h].tags->servqual;
        pos += v > 0 ? v : 0;
        neg += v < 0 ? -v : 0;
        if (has_valence_f(sc->hits[h].tags->valence) && (tr = trace_new(sc))) {
            tr->span = hit_span(sc, h);
            tr->base = sc->hits[h].tags->valence;
            tr->value = (float)v;
            tr->is_pattern = 1;
        }
    }
    r->emphasis = 0;
    for (size_t s = 0; s < sc->n_sents; s++) {
        double ep = sc->ssum[s] > 0 || sc->ssum[s] < 0 ? sentence_emphasis(sc, (uint32_t)s) : 0;
        double sg = sc->ssum[s] < 0 ? -1 : 1;
        sc->ssum[s] += sg * ep;
        *(sg > 0 ? &pos : &neg) += ep;
        r->emphasis += (float)(sg * ep);
        total += sc->ssum[s];
    }
    r->score = normalize(total);
    r->label = label_of(r->score);
    r->pos = pos + neg + neu > 0 ? pos / (pos + neg + neu) : 0;
    r->neg = pos + neg + neu > 0 ? neg / (pos + neg + neu) : 0;
}

/* ---- SERVQUAL ------------------------------------------------------------ */

/* A clause that names a dimension but holds no opinion ("服务员，态度很好" is
 * split by the comma; "the staff, lovely") borrows the opinion of the
 * neighbouring clause of the same sentence that names no dimension. */
static double clause_opinion(const kb_scorer_t *sc, size_t c)
{
    if (sc->csum[c] > 0 || sc->csum[c] < 0) {
        return sc->csum[c];
    }
    if (c + 1 < sc->n_clauses && sc->csent[c + 1] == sc->csent[c] && !sc->cdims[c + 1]) {
        return sc->csum[c + 1];
    }
    if (c > 0 && sc->csent[c - 1] == sc->csent[c] && !sc->cdims[c - 1]) {
        return sc->csum[c - 1];
    }
    return 0;
}

static void add_evidence(kb_scorer_t *sc, kb_span_t sp)
{
    kb_result_t *r = &sc->res;

    if (r->n_evidence == sc->ev_cap) {
        size_t cap = sc->ev_cap ? sc->ev_cap * 2 : 16;
        kb_span_t *e = kb_realloc(sc->ev, cap * sizeof(*e));
        if (!e) {
            sc->oom = 1;
            return;
        }
        sc->ev = e;
        sc->ev_cap = cap;
    }
    sc->ev[r->n_evidence++] = sp;
}

/* A pattern hit ("等了一个小时") replaces the evidence it contains ("等了"). */
static void add_pattern_evidence(kb_scorer_t *sc, size_t ev0, kb_span_t sp)
{
    kb_result_t *r = &sc->res;
    size_t w = ev0;

    for (size_t i = ev0; i < r->n_evidence; i++) {
        if (!(sc->ev[i].start >= sp.start && sc->ev[i].end <= sp.end)) {
            sc->ev[w++] = sc->ev[i];
        }
    }
    r->n_evidence = w;
    add_evidence(sc, sp);
}

static void servqual(kb_scorer_t *sc)
{
    kb_result_t *r = &sc->res;
    double dsum[KB_SQ_COUNT] = {0};
    uint8_t any = 0;

    r->n_evidence = 0;
    for (size_t c = 0; c < sc->n_clauses; c++) {
        double o = sc->cdims[c] ? clause_opinion(sc, c) : 0;
        any |= sc->cdims[c];
        for (int d = 0; d < KB_SQ_COUNT; d++) {
            if ((sc->cdims[c] >> d) & 1) {
                dsum[d] += o;
            }
        }
    }
    for (int d = 0; d < KB_SQ_COUNT; d++) {
        kb_dim_result_t *dr = &r->dim[d];
        dr->ev0 = r->n_evidence;
        if (!((any >> d) & 1)) {
            continue;
        }
        for (size_t k = 0; k < sc->tk.n; k++) {
            const kb_lex_entry_t *e = sc->tk.t[k].e;
            if (e && ((e->servqual >> d) & 1)) {
                add_evidence(sc, tok_span(sc, k));
            }
        }
        for (size_t h = 0; h < sc->n_hits; h++) {
            if ((sc->hits[h].tags->servqual >> d) & 1) {
                add_pattern_evidence(sc, dr->ev0, hit_span(sc, h));
            }
        }
        dr->n_ev = r->n_evidence - dr->ev0;
        dr->mentioned = dr->n_ev > 0;
        dr->score = dr->mentioned ? normalize(dsum[d]) : 0;
        dr->label = label_of(dr->score);
    }
    r->evidence = sc->ev;
}

/* ---- intent, brands, language --------------------------------------------- */

/* Is token k negated ("没有投诉", "won't complain")? */
static int negated(const kb_scorer_t *sc, size_t k)
{
    size_t dist = 0;

    for (size_t j = k; j-- > 0 && dist < SCOPE; dist++) {
        const kb_token_t *u = &sc->tk.t[j];
        if (is_boundary(u)) {
            return 0;
        }
        if (u->e && u->e->negator < 0) {
            return 1;
        }
    }
    return 0;
}

/* Strong complaint terms count unless the message is clearly happy
 * ("投诉处理得很快，点赞"); weak ones (退款, refund) only in a negative message. */
static void intent(kb_scorer_t *sc)
{
    kb_result_t *r = &sc->res;
    uint8_t bits = 0;

    for (size_t k = 0; k < sc->tk.n; k++) {
        const kb_lex_entry_t *e = sc->tk.t[k].e;
        if (e && e->intent && !negated(sc, k)) {
            bits |= e->intent;
        }
    }
    for (size_t h = 0; h < sc->n_hits; h++) {
        bits |= sc->hits[h].tags->intent;
    }
    r->complaint = ((bits & KB_INTENT_COMPLAINT) && r->score < 0.5) ||
                   ((bits & KB_INTENT_COMPLAINT_WEAK) && r->label == KB_LABEL_NEG);
    r->effort = (bits & KB_INTENT_EFFORT) != 0;
}

/* The normalised spelling of every token with a contribution, for the
 * aggregator's top terms. Offsets are collected first and turned into
 * pointers at the end, because the text buffer may move while it grows. */
static void terms(kb_scorer_t *sc)
{
    kb_result_t *r = &sc->res;
    size_t n = 0;

    kb_buf_reset(&sc->term_text);
    for (size_t k = 0; k < sc->tk.n; k++) {
        const kb_token_t *t = &sc->tk.t[k];
        if (!(sc->val[k] > 0 || sc->val[k] < 0)) {
            continue;
        }
        if (n == sc->terms_cap) {
            size_t cap = sc->terms_cap ? sc->terms_cap * 2 : 16;
            kb_term_t *a = kb_realloc(sc->terms, cap * sizeof(*a));
            if (!a) {
                sc->oom = 1;
                return;
            }
            sc->terms = a;
            sc->terms_cap = cap;
        }
        sc->terms[n].p = NULL;
        sc->terms[n].len = sc->term_text.len;
        for (uint32_t i = t->n0; i < t->n1; i++) {
            kb_buf_utf8(&sc->term_text, sc->nt.cp[i]);
        }
        sc->terms[n].value = sc->val[k];
        n++;
    }
    if (sc->term_text.oom) {
        sc->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t off = sc->terms[i].len;
        size_t end = i + 1 < n ? sc->terms[i + 1].len : sc->term_text.len;
        sc->terms[i].p = sc->term_text.p + off;
        sc->terms[i].len = end - off;
    }
    r->terms = sc->terms;
    r->n_terms = n;
}

static void brands(kb_scorer_t *sc)
{
    kb_result_t *r = &sc->res;

    r->n_brands = 0;
    for (size_t k = 0; k < sc->tk.n; k++) {
        const kb_lex_entry_t *e = sc->tk.t[k].e;
        size_t b = 0;
        if (!e || e->brand < 0) {
            continue;
        }
        while (b < r->n_brands && sc->brands[b] != e->brand) {
            b++;
        }
        if (b == r->n_brands && b < MAX_BRANDS) {
            sc->brands[r->n_brands++] = e->brand;
        }
    }
    r->brands = sc->brands;
}

/* By script per token: mixed when the minority script has at least two
 * tokens and a fifth of them. */
static void language(kb_scorer_t *sc)
{
    size_t zh = 0, en = 0, lo;

    for (size_t k = 0; k < sc->tk.n; k++) {
        zh += sc->tk.t[k].type == KB_TOK_HAN;
        en += (sc->tk.t[k].flags & KB_TF_LATIN) != 0;
    }
    lo = zh < en ? zh : en;
    if (zh + en == 0) {
        sc->res.lang = KB_LANG_UND;
    } else if (lo >= 2 && lo * 5 >= zh + en) {
        sc->res.lang = KB_LANG_MIXED;
    } else {
        sc->res.lang = zh >= en ? KB_LANG_ZH : KB_LANG_EN;
    }
}

int kb_scorer_run(kb_scorer_t *sc, const char *text, size_t len, int explain,
                  const kb_result_t **res, char *errstr, size_t errstr_size)
{
    memset(&sc->res, 0, sizeof(sc->res));
    sc->explain = explain;
    sc->oom = 0;
    if (kb_norm_run(sc->nm, text, len, &sc->nt, errstr, errstr_size) != 0 ||
        kb_tokenize(sc->lx, sc->nm, &sc->nt, &sc->tk, errstr, errstr_size) != 0) {
        return -1;
    }
    if (grow_tokens(sc, sc->tk.n) != 0 || patterns(sc) != 0) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    structure(sc);
    contrast(sc);
    valence(sc);
    sums(sc);
    servqual(sc);
    intent(sc);
    terms(sc);
    brands(sc);
    language(sc);
    if (sc->oom) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    sc->res.trace = sc->trace;
    *res = &sc->res;
    return 0;
}
