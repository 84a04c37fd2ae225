/* Where a program's heap allocations come from, between two calls of malloc_count_calls().
 *
 *   cc -O1 -shared -fPIC -o .build/malloc_trace.so bench/malloc_trace.c -ldl -lpthread
 *   LD_PRELOAD=$PWD/.build/malloc_trace.so .build/release/gan-bench dcgan28 --batch 64 --iterations 20
 *   python3 bench/malloc_sites.py .build/release/gan-bench malloc_trace.txt 20
 *
 * It is bench/malloc_count.c (included below) with two hooks: gan-bench reads the counter,
 * malloc_count_calls(), before and after its timed iterations. Between the first and second call
 * every allocation's call stack (up to 10 frames) is counted; the second call writes one line per
 * distinct stack to $MALLOC_TRACE_OUT (default malloc_trace.txt): the count, the bytes asked
 * for, then per frame "symbol|module|offset" (dladdr; addresses inside the executable are left to
 * malloc_sites.py to name), after a first line "# dropped N" (stacks that found the table full).
 * Recording takes a lock and a backtrace per allocation: for finding call sites, not for timing.
 * Linux/glibc only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { depth = 10, slots = 1 << 16 };
/* One distinct stack: its frames (the wrapper's own two skipped), how often it allocated and the
 * bytes it asked for. */
typedef struct { void *frames[depth]; int count_of_frames; uint64_t calls, bytes; } Site;
static Site sites[slots];
static pthread_mutex_t sites_lock = PTHREAD_MUTEX_INITIALIZER;
/* 0 before the first malloc_count_calls(), 1 while recording, 2 after the second. */
static int phase;
static uint64_t dropped;
/* Set while this thread records (backtrace may allocate). */
static __thread int recording;

/* noinline: the two frames skipped below are this function's and the wrapper's. */
__attribute__((noinline)) static void record(size_t asked) {
    if (__atomic_load_n(&phase, __ATOMIC_RELAXED) != 1 || recording) return;
    recording = 1;
    void *frames[depth + 2];
    int n = backtrace(frames, depth + 2) - 2;
    if (n < 0) n = 0;
    uint64_t hash = 1469598103934665603ULL; /* FNV-1a over the frame addresses */
    for (int i = 0; i < n; i++) { hash ^= (uint64_t)frames[i + 2]; hash *= 1099511628211ULL; }
    pthread_mutex_lock(&sites_lock);
    /* Open addressing; a stack that finds the table full is dropped (counted, not located). */
    uint64_t probes = 0;
    for (uint64_t s = hash % slots; probes < slots; s = (s + 1) % slots, probes++) {
        Site *site = &sites[s];
        if (site->calls == 0) {
            site->count_of_frames = n;
            memcpy(site->frames, frames + 2, sizeof(void *) * n);
        } else if (site->count_of_frames != n || memcmp(site->frames, frames + 2, sizeof(void *) * n) != 0) {
            continue;
        }
        site->calls++;
        site->bytes += asked;
        break;
    }
    if (probes == slots) dropped++;
    pthread_mutex_unlock(&sites_lock);
    recording = 0;
}

static void write_sites(void) {
    const char *path = getenv("MALLOC_TRACE_OUT");
    FILE *out = fopen(path ? path : "malloc_trace.txt", "w");
    if (!out) { perror("malloc_trace"); return; }
    pthread_mutex_lock(&sites_lock); /* a thread may still be inside record() */
    fprintf(out, "# dropped %llu\n", (unsigned long long)dropped);
    for (int s = 0; s < slots; s++) {
        if (!sites[s].calls) continue;
        fprintf(out, "%llu\t%llu", (unsigned long long)sites[s].calls, (unsigned long long)sites[s].bytes);
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
    pthread_mutex_unlock(&sites_lock);
    fclose(out);
}

/* First read: start recording; second: stop and write the sites (after the count was read,
 * so that writing them is not counted). */
static void counter_read(void) {
    int idle = 0, recording_now = 1;
    if (__atomic_load_n(&phase, __ATOMIC_RELAXED) == 0) {
        void *warm[2];
        backtrace(warm, 2); /* loads libgcc's unwinder now, not inside a recorded allocation */
        __atomic_compare_exchange_n(&phase, &idle, 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    } else if (__atomic_compare_exchange_n(&phase, &recording_now, 2, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        write_sites();
    }
}

#define ON_ALLOCATION(n) record(n)
#define ON_COUNTER_READ() counter_read()
#include "malloc_count.c"
