/*
 * Classifies images with LeViT-128S compiled by vitc into levit.so (see the
 * Makefile): loads an input (.npy float32, C order, or raw float32), runs the
 * model through the generated C API and prints the top-5 classes per image.
 *
 *   usage: classify INPUT.npy|INPUT.f32 [THREADS]
 *
 * Nothing but levit.so (and its header levit.h) is needed: no Python, no
 * ONNX Runtime.
 */
#include "levit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file; NULL on failure. */
static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *data = NULL;
    long n;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)n + 1);
        if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
            free(data);
            data = NULL;
        }
        *size = (size_t)n;
    }
    fclose(f);
    return data;
}

/* The float32 payload of an .npy file (little-endian '<f4', C order) or of a
 * raw file; sets *count to the number of floats. NULL on error. */
static const unsigned char *input_floats(const unsigned char *data, size_t size, size_t *count) {
    if (size >= 10 && memcmp(data, "\x93NUMPY", 6) == 0) {
        size_t header_len, start;
        if (data[6] == 1) {
            header_len = data[8] | (size_t)data[9] << 8;
            start = 10;
        } else {
            if (size < 12) return NULL;
            header_len = data[8] | (size_t)data[9] << 8 | (size_t)data[10] << 16 | (size_t)data[11] << 24;
            start = 12;
        }
        if (start + header_len > size) return NULL;
        char header[1024] = {0};
        memcpy(header, data + start, header_len < sizeof header - 1 ? header_len : sizeof header - 1);
        if (!strstr(header, "'<f4'") || !strstr(header, "'fortran_order': False")) {
            fprintf(stderr, "the .npy input must be float32 in C order\n");
            return NULL;
        }
        data += start + header_len;
        size -= start + header_len;
    }
    if (size % sizeof(float) != 0) return NULL;
    *count = size / sizeof(float);
    return data;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s INPUT.npy|INPUT.f32 [THREADS]\n", argv[0]);
        return 2;
    }
    int threads = argc == 3 ? atoi(argv[2]) : 1;
    size_t size = 0, count = 0;
    unsigned char *file = read_file(argv[1], &size);
    const unsigned char *input = file ? input_floats(file, size, &count) : NULL;
    if (!input) {
        fprintf(stderr, "%s: cannot read a float32 input\n", argv[1]);
        return 2;
    }
    /* One batch item is LEVIT_INPUT_LEN floats; a static model takes exactly one. */
    size_t batch = count / LEVIT_INPUT_LEN;
    if (count % LEVIT_INPUT_LEN != 0 || batch < 1 || batch > LEVIT_MAX_BATCH) {
        fprintf(stderr, "%s: %zu floats; the model takes 1..%d items of %d floats\n", argv[1], count,
                LEVIT_MAX_BATCH, LEVIT_INPUT_LEN);
        return 2;
    }
    /* The payload may sit at any offset in the file: copy it to float memory. */
    float *x = malloc(count * sizeof(float));
    float *y = malloc(batch * LEVIT_OUTPUT_LEN * sizeof(float));
    if (!x || !y) return 2;
    memcpy(x, input, count * sizeof(float));

    levit_context *ctx = levit_create(threads);
    if (!ctx) {
        fprintf(stderr, "levit_create: %s\n", levit_last_error());
        return 1;
    }
    if (levit_run(ctx, x, y, (int)batch) != VITC_OK) {
        fprintf(stderr, "levit_run: %s\n", levit_last_error());
        levit_destroy(ctx);
        return 1;
    }
    levit_destroy(ctx);

    printf("model %s, %zu image(s), %d thread(s)\n", levit_name(), batch, threads);
    for (size_t b = 0; b < batch; b++) {
        const float *logits = y + b * LEVIT_OUTPUT_LEN;
        int top[5] = {-1, -1, -1, -1, -1};
        for (int c = 0; c < LEVIT_OUTPUT_LEN; c++) {
            for (int r = 0; r < 5; r++) {
                if (top[r] < 0 || logits[c] > logits[top[r]]) {
                    memmove(&top[r + 1], &top[r], (size_t)(4 - r) * sizeof top[0]);
                    top[r] = c;
                    break;
                }
            }
        }
        printf("image %zu top-5:", b);
        for (int r = 0; r < 5 && top[r] >= 0; r++) printf(" %d (%.4f)", top[r], logits[top[r]]);
        printf("\n");
    }
    free(x);
    free(y);
    free(file);
    return 0;
}
