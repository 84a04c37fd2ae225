/* Where a program's heap allocations come from, between two calls of malloc_count_calls().
 *
 *   cc -O1 -shared -fPIC -o .build/malloc_trace.so bench/malloc_trace.c -ldl -lpthread
 *   LD_PRELOAD=$PWD/.build/malloc_trace.so .build/release/gan-bench dcgan28 --batch 64 --iterations 20
 *   python3 bench/malloc_sites.py .build/release/gan-bench malloc_trace.txt 20
 *
 * Like bench/malloc_count.c it wraps glibc's malloc family and exports malloc_count_calls(),
 * which gan-bench calls before and after its timed iterations. Between the first and second call
 * every allocation's call stack (up to 10 frames) is counted; the second call writes one line per
 * distinct stack to $MALLOC_TRACE_OUT (default malloc_trace.txt): the count, then per frame
 * "symbol|module|offset" (dladdr; addresses inside the executable are left to malloc_sites.py
 * to name). Recording takes a lock and a backtrace per allocation: for finding call sites, not
 * for timing. Linux/glibc only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

enum { depth = 10, slots = 1 << 16 };
/* One distinct stack: its frames (the wrapper's own two skipped) and how often it allocated. */
typedef struct { void *frames[depth]; int count_of_frames; uint64_t calls; } Site;
static Site sites[slots];
static pthread_mutex_t sites_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t calls;
/* 0 before the first malloc_count_calls(), 1 while recording, 2 after the second. */
static int phase;
/* Set while this thread records (backtrace may allocate). */
static __thread int recording;

static void record(void) {
    if (__atomic_load_n(&phase, __ATOMIC_RELAXED) != 1 || recording) return;
    recording = 1;
    void *frames[depth + 2];
    int n = backtrace(frames, depth + 2) - 2;
    uint64_t hash = 1469598103934665603ULL; /* FNV-1a over the frame addresses */
    for (int i = 0; i < n; i++) { hash ^= (uint64_t)frames[i + 2]; hash *= 1099511628211ULL; }
    pthread_mutex_lock(&sites_lock);
    for (uint64_t s = hash % slots;; s = (s + 1) % slots) {
        Site *site = &sites[s];
        if (site->calls == 0) {
            site->count_of_frames = n;
            memcpy(site->frames, frames + 2, sizeof(void *) * n);
        } else if (site->count_of_frames != n || memcmp(site->frames, frames + 2, sizeof(void *) * n) != 0) {
            continue;
        }
        site->calls++;
        break;
    }
    pthread_mutex_unlock(&sites_lock);
    recording = 0;
}

static void write_sites(void) {
    const char *path = getenv("MALLOC_TRACE_OUT");
    FILE *out = fopen(path ? path : "malloc_trace.txt", "w");
    if (!out) { perror("malloc_trace"); return; }
    for (int s = 0; s < slots; s++) {
        if (!sites[s].calls) continue;
        fprintf(out, "%llu", (unsigned long long)sites[s].calls);
        for (int i = 0; i < sites[s].count_of_frames; i++) {
            Dl_info info;
            const char *symbol = "?", *module = "?";
            uintptr_t offset = 0;
            if (dladdr(sites[s].frames[i], &info)) {
                if (info.dli_sname) symbol = info.dli_sname;
                if (info.dli_fname) module = strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 : info.dli_fname;
                offset = (uintptr_t)sites[s].frames[i] - (uintptr_t)info.dli_fbase;
            }
            fprintf(out, "\t%s|%s|%lx", symbol, module, (unsigned long)offset);
        }
        fputc('\n', out);
    }
    fclose(out);
}

uint64_t malloc_count_calls(void) {
    if (phase == 0) {
        void *warm[2];
        backtrace(warm, 2); /* loads libgcc's unwinder now, not inside a recorded allocation */
        __atomic_store_n(&phase, 1, __ATOMIC_RELAXED);
    } else if (phase == 1) {
        __atomic_store_n(&phase, 2, __ATOMIC_RELAXED);
        write_sites();
    }
    return __atomic_load_n(&calls, __ATOMIC_RELAXED);
}

static inline void count(void) { __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED); record(); }

void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { count(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
void *valloc(size_t n) { count(); return __libc_memalign(4096, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    count();
    if (a < sizeof(void *) || (a & (a - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(a, n);
    if (p == NULL && n != 0) return ENOMEM;
    *out = p;
    return 0;
}
