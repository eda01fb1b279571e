/* The workload every variant times: a deterministic, branchy tokenizer and evaluator over
 * pseudo-random text. It is the only file compiled with coverage instrumentation; the same
 * seed gives the same checksum in every build, so no build can skip work. */
#include "workload.h"

#include <stddef.h>

#define TEXT_SIZE 4096u /* a power of two: the loop wraps with a mask */

/* Text with a skewed alphabet, so some branches are predictable and some are not,
 * as in a real parser: mostly letters, then digits, spaces and a little punctuation. */
static const char k_alphabet[64] = "eeeeettttaaaooiinnsshhrrdlcumwfgypbvkjxqz0123456789   \t\n(){},;\"+";

static __attribute__((noinline)) uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

static __attribute__((noinline)) void make_text(uint8_t *text, uint64_t seed)
{
    uint64_t state = seed | 1;
    for (size_t i = 0; i < TEXT_SIZE; i++)
        text[i] = (uint8_t)k_alphabet[next_random(&state) & 63];
}

enum char_class { C_SPACE, C_LETTER, C_DIGIT, C_QUOTE, C_OPEN, C_CLOSE, C_SEP, C_OP, C_OTHER };

static __attribute__((noinline)) enum char_class classify(uint8_t c)
{
    if (c == ' ' || c == '\t' || c == '\n')
        return C_SPACE;
    if (c >= 'a' && c <= 'z')
        return C_LETTER;
    if (c >= '0' && c <= '9')
        return C_DIGIT;
    switch (c) {
    case '"':
        return C_QUOTE;
    case '(':
    case '{':
        return C_OPEN;
    case ')':
    case '}':
        return C_CLOSE;
    case ',':
    case ';':
        return C_SEP;
    case '+':
        return C_OP;
    default:
        return C_OTHER;
    }
}

struct machine {
    enum { S_START, S_WORD, S_NUMBER, S_STRING } state;
    uint64_t word;   /* hash of the current word */
    uint64_t number; /* value of the current number */
    int depth;
    uint64_t sum;
};

static __attribute__((noinline)) void end_token(struct machine *m)
{
    if (m->state == S_WORD) {
        if ((m->word & 7) == 3)
            m->sum += m->word >> 3; /* a "keyword" */
        else
            m->sum ^= m->word;
    } else if (m->state == S_NUMBER) {
        if (m->number > 1000)
            m->sum += m->number % 997;
        else
            m->sum += m->number;
    }
    m->word = 0;
    m->number = 0;
    m->state = S_START;
}

static inline void step(struct machine *m, uint8_t c)
{
    enum char_class k = classify(c);
    switch (m->state) {
    case S_STRING:
        if (k == C_QUOTE)
            m->state = S_START;
        else
            m->word = m->word * 31 + c;
        return;
    case S_WORD:
        if (k == C_LETTER || k == C_DIGIT) {
            m->word = m->word * 31 + c;
            return;
        }
        end_token(m);
        break;
    case S_NUMBER:
        if (k == C_DIGIT) {
            m->number = m->number * 10 + (uint64_t)(c - '0');
            return;
        }
        if (k == C_LETTER) { /* "12ab": a number glued to a word */
            m->state = S_WORD;
            m->word = m->number;
            return;
        }
        end_token(m);
        break;
    case S_START:
        break;
    }
    switch (k) {
    case C_LETTER:
        m->state = S_WORD;
        m->word = c;
        break;
    case C_DIGIT:
        m->state = S_NUMBER;
        m->number = (uint64_t)(c - '0');
        break;
    case C_QUOTE:
        m->state = S_STRING;
        break;
    case C_OPEN:
        m->depth++;
        break;
    case C_CLOSE:
        if (m->depth > 0)
            m->depth--;
        else
            m->sum += 17;
        break;
    case C_SEP:
        m->sum = (m->sum << 1) | (m->sum >> 63);
        break;
    case C_OP:
        m->sum += (uint64_t)m->depth;
        break;
    case C_SPACE:
    case C_OTHER:
        break;
    }
}

uint64_t workload_run(uint64_t bytes, uint64_t seed)
{
    uint8_t text[TEXT_SIZE];
    make_text(text, seed);
    struct machine m = {S_START, 0, 0, 0, seed};
    for (uint64_t i = 0; i < bytes; i++)
        step(&m, text[i & (TEXT_SIZE - 1)]);
    end_token(&m);
    return m.sum ^ (uint64_t)m.depth;
}
