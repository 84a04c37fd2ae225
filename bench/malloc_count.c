/* Counts heap allocations of a whole process, and the bytes they asked for, for the benchmarks'
 * "allocations per iteration" and "bytes allocated per iteration".
 *
 *   cc -O2 -shared -fPIC -o malloc_count.so bench/malloc_count.c
 *   LD_PRELOAD=$PWD/malloc_count.so program ...
 *
 * Every allocating entry point of glibc's malloc family is wrapped: the call is counted, then
 * forwarded to glibc's own implementation (__libc_*), so behaviour and memory use are unchanged.
 * The program reads the counts through the exported functions malloc_count_calls() and
 * malloc_count_bytes(), found with dlsym (gan-bench) or ctypes (bench/pytorch_bench.py).
 * realloc counts as one allocation of its new size. Linux/glibc only.
 *
 * bench/malloc_trace.c includes this file with two hooks defined: ON_ALLOCATION(n) runs after
 * each count (n: the bytes asked for), ON_COUNTER_READ() after malloc_count_calls() has read the count. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

#ifndef ON_ALLOCATION
#define ON_ALLOCATION(n)
#endif
#ifndef ON_COUNTER_READ
#define ON_COUNTER_READ()
#endif

static uint64_t calls, bytes;

static inline void count(size_t n) {
    __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&bytes, n, __ATOMIC_RELAXED);
    ON_ALLOCATION(n);
}

/* Allocations (malloc, calloc, realloc, the aligned forms) made so far by every thread. */
uint64_t malloc_count_calls(void) {
    uint64_t count_so_far = __atomic_load_n(&calls, __ATOMIC_RELAXED);
    ON_COUNTER_READ();
    return count_so_far;
}

/* Bytes those allocations asked for (k * n for calloc), not counting what glibc rounds up. */
uint64_t malloc_count_bytes(void) { return __atomic_load_n(&bytes, __ATOMIC_RELAXED); }

void *malloc(size_t n) { count(n); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { count(k * n); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { count(n); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { count(n); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { count(n); return __libc_memalign(a, n); }
void *valloc(size_t n) { count(n); return __libc_memalign(4096, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    count(n);
    if (a < sizeof(void *) || (a & (a - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(a, n);
    if (p == NULL && n != 0) return ENOMEM;
    *out = p;
    return 0;
}
