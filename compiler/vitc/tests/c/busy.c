/* One context shared by two threads on purpose: every call must either run
 * (and give exactly the single-threaded result) or return VITC_ERR_BUSY with
 * a message; nothing else, and no crash. Exits 0 when that held and at least
 * one call was refused; prints the counts. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "m.h"

static m_context *ctx;
static float *input, *expected;
static size_t out_len;
static volatile int stop;

struct counts {
    long ok, busy, wrong, other;
};

static void *hammer(void *arg) {
    struct counts *c = arg;
    float *out = malloc(out_len * sizeof(float));
    while (!stop) {
        int r = m_run(ctx, input, out, 1);
        if (r == VITC_OK) {
            if (memcmp(out, expected, out_len * sizeof(float)) == 0)
                c->ok++;
            else
                c->wrong++;
        } else if (r == VITC_ERR_BUSY && strstr(m_last_error(), "in use")) {
            c->busy++;
        } else {
            c->other++;
            fprintf(stderr, "unexpected code %d: %s\n", r, m_last_error());
        }
    }
    free(out);
    return NULL;
}

int main(void) {
    size_t in_len = m_input_len();
    out_len = m_output_len();
    input = malloc(in_len * sizeof(float));
    expected = malloc(out_len * sizeof(float));
    for (size_t i = 0; i < in_len; i++) input[i] = (float)((i * 37) % 23) / 23.0f - 0.5f;
    ctx = m_create(1);
    if (!ctx || m_run(ctx, input, expected, 1) != VITC_OK) {
        fprintf(stderr, "setup failed: %s\n", m_last_error());
        return 2;
    }
    struct counts a = {0}, b = {0};
    pthread_t t;
    pthread_create(&t, NULL, hammer, &a);
    time_t start = time(NULL);
    while (time(NULL) - start < 20) {
        /* Run on this thread too until both threads have run and been refused. */
        float *out = malloc(out_len * sizeof(float));
        int r = m_run(ctx, input, out, 1);
        if (r == VITC_OK) {
            if (memcmp(out, expected, out_len * sizeof(float)) == 0)
                b.ok++;
            else
                b.wrong++;
        } else if (r == VITC_ERR_BUSY && strstr(m_last_error(), "in use"))
            b.busy++;
        else
            b.other++;
        free(out);
        if (a.busy + b.busy >= 5 && a.ok > 0 && b.ok > 0) break;
    }
    stop = 1;
    pthread_join(t, NULL);
    m_destroy(ctx);
    printf("ok %ld busy %ld wrong %ld other %ld\n", a.ok + b.ok, a.busy + b.busy, a.wrong + b.wrong,
           a.other + b.other);
    return (a.wrong + b.wrong == 0 && a.other + b.other == 0 && a.busy + b.busy > 0) ? 0 : 1;
}
