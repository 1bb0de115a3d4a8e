/*
 * Concurrency stress for the runtime, meant to be built with
 * -fsanitize=thread: three caller threads, each with its own context of 2, 3
 * and 4 threads, run 100 calls with batches cycling through 1..max_batch and
 * compare every output bit for bit with a one-thread run. One more thread
 * creates and destroys contexts meanwhile. Build with -include NAME.h
 * -DMODEL=NAME; exit status 0 when every output matched.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define F(name) CAT(MODEL, name)

static float *input, *expected;
static size_t in_len, out_len;
static int max_batch;

static void *caller(void *arg) {
    int threads = (int)(long)arg;
    CAT(MODEL, context) *ctx = F(create)(threads);
    float *out = malloc(out_len * (size_t)max_batch * sizeof(float));
    long bad = ctx && out ? 0 : 1;
    for (int i = 0; i < 100 && !bad; i++) {
        int batch = 1 + i % max_batch;
        memset(out, 0xff, out_len * (size_t)batch * sizeof(float));
        if (F(run)(ctx, input, out, batch) != VITC_OK ||
            memcmp(out, expected, out_len * (size_t)batch * sizeof(float)) != 0)
            bad = 1;
    }
    F(destroy)(ctx);
    free(out);
    return (void *)bad;
}

static void *churn(void *arg) {
    (void)arg;
    for (int i = 0; i < 50; i++) F(destroy)(F(create)(1 + i % 4));
    return NULL;
}

int main(void) {
    in_len = F(input_len)();
    out_len = F(output_len)();
    max_batch = F(max_batch)();
    input = malloc(in_len * (size_t)max_batch * sizeof(float));
    expected = malloc(out_len * (size_t)max_batch * sizeof(float));
    if (!input || !expected) return 2;
    for (size_t i = 0; i < in_len * (size_t)max_batch; i++) input[i] = (float)(i * 7919 % 2003) / 1001.5f - 1.0f;
    CAT(MODEL, context) *one = F(create)(1);
    if (!one || F(run)(one, input, expected, max_batch) != VITC_OK) return 2;
    F(destroy)(one);

    pthread_t t[4];
    for (long i = 0; i < 3; i++) pthread_create(&t[i], NULL, caller, (void *)(i + 2));
    pthread_create(&t[3], NULL, churn, NULL);
    long failures = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        failures += (long)r;
    }
    free(input);
    free(expected);
    printf("%s\n", failures ? "FAIL" : "ok");
    return failures ? 1 : 0;
}
