/*
 * The machine's measured FMA peak for one core (a measurement helper of
 * gemm_bench.rs, not a test): twelve independent chains of vector
 * multiply-adds, as wide as the compiler flags allow (-mavx512f: 16 lanes,
 * -mavx2 -mfma: 8). Prints "GFLOPS <value>" (2 FLOP per lane per FMA).
 */
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX__)
#define LANES 8
#else
#define LANES 4
#endif

typedef float vec __attribute__((vector_size(LANES * 4)));

/* One multiply-add on each of the twelve chains. */
#define STEP(x) x = x * b + c;

int main(void) {
    vec b, c;
    for (int i = 0; i < LANES; i++) {
        b[i] = 0.9999f;
        c[i] = 0.0001f;
    }
    /* Named variables, not an array, so all twelve stay in registers. */
    vec a0 = c, a1 = c * 2, a2 = c * 3, a3 = c * 4, a4 = c * 5, a5 = c * 6;
    vec a6 = c * 7, a7 = c * 8, a8 = c * 9, a9 = c * 10, a10 = c * 11, a11 = c * 12;
    const long iters = 20000000;
    double best = 1e30;
    for (int round = 0; round < 5; round++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long n = 0; n < iters; n++) {
            STEP(a0) STEP(a1) STEP(a2) STEP(a3) STEP(a4) STEP(a5)
            STEP(a6) STEP(a7) STEP(a8) STEP(a9) STEP(a10) STEP(a11)
            __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5));
            __asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (dt < best) best = dt;
    }
    vec sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    printf("GFLOPS %.1f LANES %d (%g)\n", (double)iters * 12 * LANES * 2 / best / 1e9, LANES, (double)sum[0]);
    return 0;
}
