/*
 * vitc_runtime.h: the runtime every vitc-generated library links.
 *
 * A generated library is one translation unit: the glue vitc writes for a
 * model includes vitc_runtime.c, which includes this header, then defines the
 * model's step table (one entry per kernel of the compiled program), its
 * input/output layout and the public, model-prefixed API (PREFIX_create,
 * PREFIX_run, ...) as thin wrappers of the vitc_rt_* functions below. Those are
 * `static` by default (VITC_RT_API), so two models linked into one program
 * never clash; only the prefixed API is visible outside the library.
 *
 * Execution model: a context owns an arena (the program's activations,
 * 64-byte aligned) and `threads - 1` worker threads; the calling thread is
 * thread 0. A run copies each batch item's input into the arena, executes the
 * steps in order (step s calls `fn(arena, weights, start, end)` on disjoint
 * chunks of 0..extent, spread over the threads, with a barrier before the next
 * step) and copies the output slot out. A dynamic-batch model's context has
 * one arena per thread instead: a run of at least `threads` images gives each
 * thread whole images to run alone (see vitc_runtime.c). Nothing in the
 * runtime is global except the thread-local last-error string.
 */
#ifndef VITC_RUNTIME_H
#define VITC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* Linkage of the runtime functions: static unless the includer decides. */
#ifndef VITC_RT_API
#define VITC_RT_API static
#endif

/* Status codes returned by the run function (also in every generated header). */
#ifndef VITC_STATUS_CODES
#define VITC_STATUS_CODES
#define VITC_OK 0          /* success */
#define VITC_ERR_NULL 1    /* a required pointer argument is NULL */
#define VITC_ERR_BATCH 2   /* batch outside 1..max_batch */
#define VITC_ERR_BUSY 3    /* the context is already running a call on another thread */
#define VITC_ERR_CONTEXT 4 /* the context belongs to another model */
#endif

/* Largest thread count a context accepts. */
#define VITC_MAX_THREADS 256

/* A compiled kernel: computes outer-loop indices start..end of its extent. */
typedef void (*vitc_kernel_fn)(float *arena, const float *weights, uint64_t start, uint64_t end);

/* One entry of the step table. */
typedef struct vitc_step {
    vitc_kernel_fn fn;
    uint64_t extent;     /* size of the kernel's outer loop */
    uint32_t max_chunks; /* never split into more chunks than this (>= 1) */
} vitc_step;

/* Where an input or output lives and its shape. */
typedef struct vitc_io {
    size_t offset; /* in the arena, in f32 elements */
    size_t len;    /* f32 elements of one batch item */
    int rank;
    const int64_t *dims; /* shape of one batch item (axis 0 is the batch, size 1 when dynamic) */
} vitc_io;

/* Everything the runtime knows about a compiled model. */
typedef struct vitc_model {
    const char *prefix; /* the API prefix, for error messages */
    const char *name;   /* the model's name */
    const vitc_step *steps;
    size_t n_steps;
    const float *weights;
    size_t arena_len; /* f32 elements */
    vitc_io input;
    vitc_io output;
    int dynamic_batch; /* 1: kernels process one image and the runtime loops over the batch */
    int max_batch;     /* largest batch argument of a run (1 for static models) */
} vitc_model;

typedef struct vitc_rt_context vitc_rt_context;

/* A context with `threads` threads (1..VITC_MAX_THREADS); NULL + last error on failure. */
VITC_RT_API vitc_rt_context *vitc_rt_create(const vitc_model *m, int threads);
/* Runs `batch` items; VITC_OK or a VITC_ERR_* code with the last error set. */
VITC_RT_API int vitc_rt_run(const vitc_model *m, vitc_rt_context *ctx, const float *input, float *output, int batch);
/* Stops the workers and frees the context; NULL is a no-op. */
VITC_RT_API void vitc_rt_destroy(vitc_rt_context *ctx);
/* The calling thread's last error message ("" when none). */
VITC_RT_API const char *vitc_rt_last_error(void);
/* Size of `axis` of an input/output: -1 for the batch axis of a dynamic model, 0 + last error when out of range. */
VITC_RT_API int vitc_rt_dim(const vitc_model *m, const vitc_io *io, int axis);

#endif /* VITC_RUNTIME_H */
