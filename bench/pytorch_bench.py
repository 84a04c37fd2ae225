#!/usr/bin/env python3
"""The benchmark workloads of ../shared/reference/benchmarks.md in PyTorch (CPU), the peer that
`bench/compare.sh` runs side by side with `gan-bench`. Prints one JSON line per measurement.

usage: pytorch_bench.py WORKLOAD [--batch B] [--threads T] [--iterations N] [--mnist DIR]
WORKLOAD: dcgan28 | mlpgan | sample
"""
import argparse, ctypes, gzip, json, math, os, time

import numpy as np
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("workload")
p.add_argument("--batch", type=int, default=64)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--iterations", type=int, default=30)
p.add_argument("--mnist", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist"))
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

images = np.frombuffer(gzip.open(os.path.join(a.mnist, "train-images-idx3-ubyte.gz")).read(), np.uint8, offset=16)
images = torch.tensor(images.reshape(-1, 1, 28, 28).astype(np.float32) / 255)


def dcgan():
    g = nn.Sequential(nn.ConvTranspose2d(100, 256, 7, 1, 0, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
                      nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
                      nn.ConvTranspose2d(128, 1, 4, 2, 1, bias=False), nn.Tanh())
    d = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
                      nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
                      nn.Conv2d(128, 1, 7, 1, 0, bias=False))
    for m in list(g.modules()) + list(d.modules()):
        if "Conv" in type(m).__name__: nn.init.normal_(m.weight, 0, 0.02)
        if "BatchNorm" in type(m).__name__: nn.init.normal_(m.weight, 1, 0.02); nn.init.zeros_(m.bias)
    return g, d


class Maxout(nn.Module):
    def __init__(self, i, units, pieces):
        super().__init__(); self.lin = nn.Linear(i, units * pieces); self.units, self.pieces = units, pieces
    def forward(self, x):
        return self.lin(x).view(x.shape[0], self.units, self.pieces).max(2)[0]


def preloaded_counter(name):
    """A process-wide counter of bench/malloc_count.c when it is preloaded (bench/compare.sh), else
    None: malloc_count_calls (allocations so far) or malloc_count_bytes (the bytes they asked for)."""
    try:
        f = getattr(ctypes.CDLL(None), name)
    except AttributeError:
        return None
    f.restype = ctypes.c_uint64
    return f


def resident_mb(field):
    """A memory field of /proc/self/status ("VmRSS:" current, "VmHWM:" peak) in MiB."""
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field)) / 1024


def timed(step, batch, flop_per_image):
    setup = resident_mb("VmRSS:")
    for _ in range(3): step()
    times = []
    count, nbytes = preloaded_counter("malloc_count_calls"), preloaded_counter("malloc_count_bytes")
    bytes_before = nbytes() if nbytes else 0
    before = count() if count else 0
    for _ in range(a.iterations):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    allocs = round((count() - before) / a.iterations, 1) if count else None
    kib = round((nbytes() - bytes_before) / a.iterations / 1024, 1) if nbytes else None
    med = sorted(times)[len(times) // 2]
    rss = resident_mb("VmHWM:")
    print(json.dumps({"bench": a.workload, "impl": "pytorch", "batch": batch, "threads": a.threads,
                      "img_per_s": round(batch / med, 2), "gflop_per_s": round(flop_per_image * batch / med / 1e9, 2),
                      "peak_rss_mb": round(rss, 1), "setup_rss_mb": round(setup, 1),
                      "step_rss_mb": round(rss - setup, 1), "allocs_per_iter": allocs,
                      "alloc_kib_per_iter": kib, "torch": torch.__version__}), flush=True)


bce = nn.BCEWithLogitsLoss()
if a.workload == "dcgan28":
    g, d = dcgan()
    og = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999)); od = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    perm = torch.randperm(len(images)); cursor = [0]
    def step():
        i = perm[cursor[0]:cursor[0] + a.batch]; cursor[0] = (cursor[0] + a.batch) % (len(images) - a.batch)
        real = images[i] * 2 - 1
        fake = g(torch.randn(a.batch, 100, 1, 1))
        od.zero_grad()
        ld = bce(d(real).view(-1), torch.ones(a.batch)) + bce(d(fake.detach()).view(-1), torch.zeros(a.batch))
        ld.backward(); od.step()
        og.zero_grad()
        lg = bce(d(fake).view(-1), torch.ones(a.batch)); lg.backward(); og.step()
    timed(step, a.batch, 2 * 140_047_488)
elif a.workload == "mlpgan":
    g = nn.Sequential(nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(), nn.Linear(1200, 784), nn.Sigmoid())
    d = nn.Sequential(nn.Dropout(0.2), Maxout(784, 240, 5), nn.Dropout(0.5), Maxout(240, 240, 5), nn.Dropout(0.5), nn.Linear(240, 1))
    og = torch.optim.SGD(g.parameters(), 0.1, momentum=0.5); od = torch.optim.SGD(d.parameters(), 0.1, momentum=0.5)
    data = images[:50000].view(-1, 784); perm = torch.randperm(50000); cursor = [0]
    def step():
        i = perm[cursor[0]:cursor[0] + a.batch]; cursor[0] = (cursor[0] + a.batch) % (50000 - a.batch)
        z = (torch.rand(a.batch, 100) * 2 - 1) * math.sqrt(3)
        fake = g(z); dr = d(data[i]).view(-1); df = d(fake).view(-1)
        ld = 0.5 * (bce(dr, torch.ones(a.batch)) + bce(df, torch.zeros(a.batch))); lg = bce(df, torch.ones(a.batch))
        gd = torch.autograd.grad(ld, list(d.parameters()), retain_graph=True)
        gg = torch.autograd.grad(lg, list(g.parameters()))
        for prm, gr in zip(d.parameters(), gd): prm.grad = gr
        for prm, gr in zip(g.parameters(), gg): prm.grad = gr
        od.step(); og.step()
    timed(step, a.batch, 2 * 14_104_080)
elif a.workload == "sample":
    g, _ = dcgan(); g.eval()
    def step():
        with torch.no_grad(): g(torch.randn(a.batch, 100, 1, 1))
    # Forward multiply-adds of G per image: convT1 100·256·7·7, convT2 256·128·4·4·7·7, convT3 128·4·4·14·14.
    timed(step, a.batch, 2 * (100 * 256 * 49 + 256 * 128 * 16 * 49 + 128 * 16 * 196))
