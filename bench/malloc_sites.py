#!/usr/bin/env python3
"""Allocations per iteration by call site, from bench/malloc_trace.c's output.

    python3 bench/malloc_sites.py EXECUTABLE TRACE ITERATIONS [FRAMES] [TOP]

Each stack is named by its first FRAMES frames (default 1) outside the Swift runtime, libc and
libstdc++; addresses in EXECUTABLE are named with addr2line and swift-demangle (both on PATH).
Inlined code is named after the function it was inlined into. A first table counts the
allocations by the module that asked for them (the first frame outside the runtime): the
executable (SwiftGAN's own code, linked in statically) against the libraries it calls."""
import collections
import subprocess
import sys

executable, trace, iterations = sys.argv[1], sys.argv[2], float(sys.argv[3])
frames_per_site = int(sys.argv[4]) if len(sys.argv) > 4 else 1
top = int(sys.argv[5]) if len(sys.argv) > 5 else 40
module = executable.rsplit('/', 1)[-1]
runtime = {'libswiftCore.so', 'libc.so.6', 'libstdc++.so.6', 'malloc_trace.so'}

stacks, dropped = [], 0
for line in open(trace):
    if line.startswith('# dropped '):
        dropped = int(line.split()[2])
        continue
    count, nbytes, *frames = line.rstrip('\n').split('\t')
    stacks.append((int(count), int(nbytes), [frame.split('|') for frame in frames]))

# Offsets inside the executable → mangled names (addr2line) → readable names (swift-demangle).
offsets = sorted({offset for _, _, frames in stacks for _, m, offset in frames if m == module})
lines = subprocess.run(['addr2line', '-f', '-e', executable] + ['0x' + o for o in offsets],
                       capture_output=True, text=True, check=True).stdout.split('\n') if offsets else []
mangled = {offset: lines[2 * i] for i, offset in enumerate(offsets)}
names = sorted(set(mangled.values()))
readable = subprocess.run(['swift-demangle', '--simplified', '--compact'], input='\n'.join(names),
                          capture_output=True, text=True, check=True).stdout.split('\n')
readable = dict(zip(names, readable))

def name(symbol, m, offset):
    if m == module:
        return readable.get(mangled.get(offset, ''), m + '+' + offset)[:100]
    return symbol if symbol != '?' else m + '+' + offset

sites, site_bytes = collections.Counter(), collections.Counter()
modules, module_bytes = collections.Counter(), collections.Counter()
for count, nbytes, frames in stacks:
    asker = next((m for _, m, _ in frames if m not in runtime), 'runtime')
    modules[asker] += count
    module_bytes[asker] += nbytes
    site = []
    for frame in frames:
        if frame[1] in runtime and not site:
            continue
        site.append(name(*frame))
        if len(site) == frames_per_site:
            break
    key = ' <- '.join(site) or 'runtime'
    sites[key] += count
    site_bytes[key] += nbytes
print('allocations per iteration: %.1f, KiB per iteration: %.1f'
      % (sum(sites.values()) / iterations, sum(site_bytes.values()) / iterations / 1024))
if dropped:
    print('(%d allocations not located: the tracer\'s table was full)' % dropped)
print('  allocs      KiB  module that asked')
for m, count in modules.most_common():
    print('%8.1f %8.1f  %s' % (count / iterations, module_bytes[m] / iterations / 1024,
                               m + (' (SwiftGAN)' if m == module else '')))
print('  allocs      KiB  site (most allocations first)')
for site, count in sites.most_common(top):
    print('%8.1f %8.1f  %s' % (count / iterations, site_bytes[site] / iterations / 1024, site))
print('  allocs      KiB  site (most bytes first)')
for site, nbytes in site_bytes.most_common(min(top, 10)):
    print('%8.1f %8.1f  %s' % (sites[site] / iterations, nbytes / iterations / 1024, site))
