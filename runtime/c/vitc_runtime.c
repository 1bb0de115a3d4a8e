/*
 * vitc_runtime.c: contexts, worker threads and the step-table executor that
 * every vitc-generated library links (see vitc_runtime.h for the model).
 *
 * Threads: thread 0 is the caller of vitc_rt_run; threads 1..T-1 are the
 * context's workers. A run is published by bumping `job_gen` under the mutex;
 * idle workers spin for a short while (so back-to-back runs start without a
 * system call) and then sleep on the condition variable.
 *
 * Schedule, images run whole: with a dynamic batch of at least T images and
 * T > 1 threads, the first floor(batch/T)*T images are shared out round-robin
 * and each thread runs its images alone, every step as one chunk, in an
 * arena of its own (no barriers between steps; the kernels give the same
 * bits whatever the chunking), then all threads meet at one barrier.
 *
 * Schedule, images shared: the other images are a sequence of phases each:
 * copy the input in (thread 0), the steps, copy the output out (thread 0),
 * in thread 0's arena. Step s is split into
 * n = min(T, extent, max_chunks) chunks; thread t runs chunk t when t < n, so
 * the split depends only on T and the table, never on timing (kernels write
 * disjoint outputs per chunk, so results do not depend on the split either).
 * A phase that only thread 0 works on is "solo"; between two phases there is a
 * barrier unless both are solo (thread 0 then runs them in program order).
 *
 * Barrier: a counter and a generation; waiters spin with a CPU pause, then
 * yield, so oversubscribed machines (more threads than cores) still progress.
 */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime, pthreads, sched_yield under -std=c11 */
#endif
#include "vitc_runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Barrier spins with a CPU pause before it starts yielding. */
#define VITC_BARRIER_PAUSES 4000u
/* How long an idle worker spins for the next run before it sleeps. */
#define VITC_IDLE_SPIN_NS 300000L

static _Thread_local char vitc_rt_error[512];

static void vitc_rt_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void vitc_rt_set_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vitc_rt_error, sizeof vitc_rt_error, fmt, ap);
    va_end(ap);
}

VITC_RT_API const char *vitc_rt_last_error(void) { return vitc_rt_error; }

struct vitc_worker {
    vitc_rt_context *ctx;
    int tid;
    pthread_t thread;
};

struct vitc_rt_context {
    const vitc_model *model;
    float *arena;       /* `arenas` arenas of `arena_stride` floats, thread t's at t * arena_stride */
    int arenas;         /* threads with an arena of their own (1, or T for dynamic-batch models) */
    size_t arena_stride; /* f32 elements, a multiple of 16 (64 bytes) */
    int threads;
    int started;  /* workers running */
    int parallel; /* some step has more than one chunk: workers take part in runs */
    struct vitc_worker *workers;
    /* The current run, written by thread 0 before it publishes job_gen. */
    const float *input;
    float *output;
    int batch;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic unsigned job_gen;
    _Atomic int stop;
    _Atomic int busy;
    _Alignas(64) _Atomic unsigned bar_arrived;
    _Alignas(64) _Atomic unsigned bar_gen;
};

static inline void vitc_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

static void vitc_barrier(vitc_rt_context *c) {
    unsigned gen = atomic_load_explicit(&c->bar_gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&c->bar_arrived, 1u, memory_order_acq_rel) + 1u == (unsigned)c->threads) {
        atomic_store_explicit(&c->bar_arrived, 0u, memory_order_relaxed);
        atomic_store_explicit(&c->bar_gen, gen + 1u, memory_order_release);
        return;
    }
    for (unsigned spins = 0; atomic_load_explicit(&c->bar_gen, memory_order_acquire) == gen; spins++) {
        if (spins < VITC_BARRIER_PAUSES)
            vitc_cpu_relax();
        else
            sched_yield();
    }
}

/* Number of chunks step `s` is split into with `threads` threads. */
static uint64_t vitc_chunks(const vitc_step *s, int threads) {
    uint64_t n = (uint64_t)threads;
    if (s->extent < n) n = s->extent;
    if (s->max_chunks < n) n = s->max_chunks;
    return n;
}

/* Runs thread `tid`'s chunk of step `s` (if it has one). */
static void vitc_step_chunk(vitc_rt_context *c, const vitc_step *s, uint64_t n, int tid) {
    uint64_t t = (uint64_t)tid;
    if (t < n) {
        uint64_t q = s->extent / n, r = s->extent % n;
        uint64_t start = t * q + (t < r ? t : r);
        uint64_t end = start + q + (t < r ? 1u : 0u);
        s->fn(c->arena, c->model->weights, start, end);
    }
}

/*
 * The whole run as seen by thread `tid`; every thread executes the same
 * sequence of barriers. Workers read the run's parameters before their first
 * barrier, so thread 0 cannot start the next run before they have.
 */
static void vitc_execute(vitc_rt_context *c, int tid, const float *input, float *output, int batch) {
    const vitc_model *m = c->model;
    int whole = c->arenas > 1 ? batch / c->threads * c->threads : 0;
    if (whole > 0) {
        float *arena = c->arena + (size_t)tid * c->arena_stride;
        for (int b = tid; b < whole; b += c->threads) {
            memcpy(arena + m->input.offset, input + (size_t)b * m->input.len, m->input.len * sizeof(float));
            for (size_t i = 0; i < m->n_steps; i++) m->steps[i].fn(arena, m->weights, 0, m->steps[i].extent);
            memcpy(output + (size_t)b * m->output.len, arena + m->output.offset, m->output.len * sizeof(float));
        }
        vitc_barrier(c);
    }
    int prev_solo = 1; /* the copy-in before the first step is solo */
    for (int b = whole; b < batch; b++) {
        if (tid == 0)
            memcpy(c->arena + m->input.offset, input + (size_t)b * m->input.len, m->input.len * sizeof(float));
        for (size_t i = 0; i < m->n_steps; i++) {
            const vitc_step *s = &m->steps[i];
            uint64_t n = vitc_chunks(s, c->threads);
            int solo = n <= 1;
            if (!(prev_solo && solo)) vitc_barrier(c);
            vitc_step_chunk(c, s, n, tid);
            prev_solo = solo;
        }
        if (!prev_solo) vitc_barrier(c);
        if (tid == 0)
            memcpy(output + (size_t)b * m->output.len, c->arena + m->output.offset, m->output.len * sizeof(float));
        prev_solo = 1;
    }
}

static long vitc_elapsed_ns(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)(t1.tv_sec - t0->tv_sec) * 1000000000L + (t1.tv_nsec - t0->tv_nsec);
}

/* Waits for a run newer than `seen`; returns its generation, or `seen` when the context stops. */
static unsigned vitc_wait_job(vitc_rt_context *c, unsigned seen) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned spins = 1;; spins++) {
        unsigned g = atomic_load_explicit(&c->job_gen, memory_order_acquire);
        if (g != seen || atomic_load_explicit(&c->stop, memory_order_acquire)) return g;
        vitc_cpu_relax();
        if (spins % 256u == 0 && vitc_elapsed_ns(&t0) > VITC_IDLE_SPIN_NS) break;
    }
    unsigned g;
    pthread_mutex_lock(&c->mu);
    while ((g = atomic_load_explicit(&c->job_gen, memory_order_acquire)) == seen &&
           !atomic_load_explicit(&c->stop, memory_order_acquire))
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
    return g;
}

static void *vitc_worker_main(void *arg) {
    struct vitc_worker *w = arg;
    vitc_rt_context *c = w->ctx;
    unsigned seen = 0;
    for (;;) {
        seen = vitc_wait_job(c, seen);
        if (atomic_load_explicit(&c->stop, memory_order_acquire)) return NULL;
        vitc_execute(c, w->tid, c->input, c->output, c->batch);
    }
}

/* Stops and joins the started workers, frees everything. */
static void vitc_free_context(vitc_rt_context *c) {
    if (c->started > 0) {
        pthread_mutex_lock(&c->mu);
        atomic_store_explicit(&c->stop, 1, memory_order_release);
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        for (int i = 0; i < c->started; i++) pthread_join(c->workers[i].thread, NULL);
    }
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c->workers);
    free(c->arena);
    free(c);
}

VITC_RT_API vitc_rt_context *vitc_rt_create(const vitc_model *m, int threads) {
    if (threads < 1 || threads > VITC_MAX_THREADS) {
        vitc_rt_set_error("%s_create: threads must be between 1 and %d, got %d", m->prefix, VITC_MAX_THREADS,
                          threads);
        return NULL;
    }
    vitc_rt_context *c = calloc(1, sizeof *c);
    if (!c) {
        vitc_rt_set_error("%s_create: out of memory", m->prefix);
        return NULL;
    }
    c->model = m;
    c->threads = threads;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    atomic_init(&c->job_gen, 0u);
    atomic_init(&c->stop, 0);
    atomic_init(&c->busy, 0);
    atomic_init(&c->bar_arrived, 0u);
    atomic_init(&c->bar_gen, 0u);
    for (size_t i = 0; i < m->n_steps; i++)
        if (vitc_chunks(&m->steps[i], threads) > 1) c->parallel = 1;
    /* Whole images per thread need an arena each. */
    c->arenas = c->parallel && m->dynamic_batch && m->max_batch >= threads ? threads : 1;
    c->arena_stride = (m->arena_len + 15u) & ~(size_t)15u;
    if (c->arena_stride == 0) c->arena_stride = 16;
    size_t bytes = c->arena_stride * sizeof(float) * (size_t)c->arenas;
    if (m->arena_len > SIZE_MAX / sizeof(float) / (size_t)c->arenas - 64u || !(c->arena = aligned_alloc(64, bytes))) {
        vitc_rt_set_error("%s_create: cannot allocate the %zu-byte arena", m->prefix, bytes);
        vitc_free_context(c);
        return NULL;
    }
    memset(c->arena, 0, bytes);
    if (c->parallel) {
        c->workers = calloc((size_t)threads - 1u, sizeof *c->workers);
        if (!c->workers) {
            vitc_rt_set_error("%s_create: out of memory", m->prefix);
            vitc_free_context(c);
            return NULL;
        }
        for (int i = 0; i < threads - 1; i++) {
            struct vitc_worker *w = &c->workers[i];
            w->ctx = c;
            w->tid = i + 1;
            int rc = pthread_create(&w->thread, NULL, vitc_worker_main, w);
            if (rc != 0) {
                vitc_rt_set_error("%s_create: cannot start worker thread %d of %d (pthread_create error %d)",
                                  m->prefix, i + 1, threads - 1, rc);
                vitc_free_context(c);
                return NULL;
            }
            c->started = i + 1;
        }
    }
    return c;
}

VITC_RT_API int vitc_rt_run(const vitc_model *m, vitc_rt_context *c, const float *input, float *output, int batch) {
    if (!c) {
        vitc_rt_set_error("%s_run: the context is NULL", m->prefix);
        return VITC_ERR_NULL;
    }
    if (c->model != m) {
        vitc_rt_set_error("%s_run: the context was created by %s_create", m->prefix, c->model->prefix);
        return VITC_ERR_CONTEXT;
    }
    if (!input || !output) {
        vitc_rt_set_error("%s_run: the %s pointer is NULL", m->prefix, input ? "output" : "input");
        return VITC_ERR_NULL;
    }
    if (batch < 1 || batch > m->max_batch) {
        if (m->dynamic_batch)
            vitc_rt_set_error("%s_run: batch %d is outside 1..%d", m->prefix, batch, m->max_batch);
        else
            vitc_rt_set_error("%s_run: batch %d given; this model has a static shape, pass 1 (one call of the "
                              "compiled shape)",
                              m->prefix, batch);
        return VITC_ERR_BATCH;
    }
    if (atomic_exchange_explicit(&c->busy, 1, memory_order_acquire)) {
        vitc_rt_set_error("%s_run: the context is in use by another thread (use one context per thread)", m->prefix);
        return VITC_ERR_BUSY;
    }
    if (c->parallel) {
        c->input = input;
        c->output = output;
        c->batch = batch;
        pthread_mutex_lock(&c->mu);
        atomic_fetch_add_explicit(&c->job_gen, 1u, memory_order_release);
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    vitc_execute(c, 0, input, output, batch);
    atomic_store_explicit(&c->busy, 0, memory_order_release);
    return VITC_OK;
}

VITC_RT_API void vitc_rt_destroy(vitc_rt_context *c) {
    if (c) vitc_free_context(c);
}

VITC_RT_API int vitc_rt_dim(const vitc_model *m, const vitc_io *io, int axis) {
    if (axis < 0 || axis >= io->rank) {
        vitc_rt_set_error("%s: axis %d is outside 0..%d", m->prefix, axis, io->rank - 1);
        return 0;
    }
    if (axis == 0 && m->dynamic_batch) return -1;
    return (int)io->dims[axis];
}
