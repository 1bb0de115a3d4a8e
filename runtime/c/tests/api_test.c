/*
 * Exercises a vitc-generated library through its C API: every bad argument
 * must give its error code and a message without crashing, then one good run
 * prints the first output row (one value per line, %.9g: enough digits to
 * give back the exact float). Build with -include NAME.h -DMODEL=NAME.
 * Input: the image read from argv[1] (raw float32), or zeros.
 * Exit status 0 when every check passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define F(name) CAT(MODEL, name)

static int failures = 0;

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL: %s (last error: \"%s\")\n", what, F(last_error)());
        failures++;
    }
}

static void check_error(int status, int expected, const char *needle, const char *what) {
    check(status == expected, what);
    check(strstr(F(last_error)(), needle) != NULL, what);
}

int main(int argc, char **argv) {
    size_t in_len = F(input_len)(), out_len = F(output_len)();
    int max_batch = F(max_batch)();
    float *in = calloc(in_len * (size_t)(max_batch + 1), sizeof(float));
    float *out = calloc(out_len * (size_t)(max_batch + 1), sizeof(float));
    if (!in || !out) return 2;
    if (argc > 1) {
        FILE *f = fopen(argv[1], "rb");
        if (!f || fread(in, sizeof(float), in_len, f) != in_len) return 2;
        fclose(f);
    }

    check(F(create)(0) == NULL && strstr(F(last_error)(), "threads") != NULL, "create(0) fails");
    check(F(create)(-3) == NULL, "create(-3) fails");
    check(F(create)(257) == NULL && strstr(F(last_error)(), "257") != NULL, "create(257) fails");
    F(destroy)(NULL);

    CAT(MODEL, context) *ctx = F(create)(2);
    check(ctx != NULL, "create(2)");
    if (!ctx) return 1;
    check_error(F(run)(NULL, in, out, 1), VITC_ERR_NULL, "context", "run(NULL ctx)");
    check_error(F(run)(ctx, NULL, out, 1), VITC_ERR_NULL, "input", "run(NULL input)");
    check_error(F(run)(ctx, in, NULL, 1), VITC_ERR_NULL, "output", "run(NULL output)");
    check_error(F(run)(ctx, in, out, 0), VITC_ERR_BATCH, "batch 0", "run(batch 0)");
    check_error(F(run)(ctx, in, out, -1), VITC_ERR_BATCH, "batch -1", "run(batch -1)");
    check_error(F(run)(ctx, in, out, max_batch + 1), VITC_ERR_BATCH, "batch", "run(batch max+1)");

    int rank = F(input_rank)();
    check(rank >= 1 && F(output_rank)() >= 1, "ranks");
    check(F(input_dim)(-1) == 0 && strstr(F(last_error)(), "axis -1") != NULL, "input_dim(-1)");
    check(F(input_dim)(rank) == 0, "input_dim(rank)");
    check(F(output_dim)(F(output_rank)()) == 0, "output_dim(rank)");
    size_t len = 1;
    for (int a = 1; a < rank; a++) len *= (size_t)F(input_dim)(a);
    check(len == in_len || (size_t)F(input_dim)(0) * len == in_len, "input_len matches the dims");
    check(F(input_dim)(0) == (max_batch > 1 ? -1 : F(input_dim)(0)), "batch axis");
    check(F(name)() != NULL && F(name)()[0] != '\0', "name");

    check(F(run)(ctx, in, out, 1) == VITC_OK, "run(batch 1)");
    for (size_t i = 0; i < out_len; i++) printf("%.9g\n", out[i]);
    F(destroy)(ctx);
    free(in);
    free(out);
    if (failures) printf("%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
