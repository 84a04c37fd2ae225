#!/usr/bin/env python3
"""The benchmark workloads of ../shared/reference/benchmarks.md in PyTorch (CPU), the peer that
`bench/compare.sh` runs side by side with `gan-bench`. Prints one JSON line per measurement.

usage: pytorch_bench.py WORKLOAD [--batch B] [--threads T] [--iterations N] [--mnist DIR]
                        [--fused] [--freeze-d]
WORKLOAD: dcgan28 | mlpgan | sample | sgemm (torch.mm at 1024³, an outside view of the ceiling)

By default the loop is pytorch/examples' dcgan/main.py as written: default (per-tensor) Adam and
SGD, and a G step whose backward also forms D's weight gradients and throws them away. Two
variants measure what a tuned user would change: --fused (Adam/SGD with fused=True) and
--freeze-d (D's parameters stop requiring gradients during the G step, as SwiftGAN's G step asks
for G's parameters only).
"""
import argparse, contextlib, ctypes, gzip, json, math, os, time

import numpy as np
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("workload")
p.add_argument("--batch", type=int, default=None, help="default: 64 for dcgan28, 100 for mlpgan, 1000 for sample")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--iterations", type=int, default=30)
p.add_argument("--mnist", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist"))
p.add_argument("--fused", action="store_true", help="optimizers with fused=True")
p.add_argument("--freeze-d", action="store_true", help="no D weight gradients in the G step")
a = p.parse_args()
a.batch = a.batch or {"dcgan28": 64, "mlpgan": 100, "sample": 1000}.get(a.workload, 64)
torch.set_num_threads(a.threads)
torch.manual_seed(0)
variant = "+".join([v for v, on in (("fused", a.fused), ("freeze-d", a.freeze_d)) if on]) or "default"


def mnist_bytes():
    """MNIST's training images as a uint8 tensor [60000, 1, 28, 28]: 47 MB, converted to floats
    one batch at a time, as SwiftGAN keeps them (a float copy would hold 188 MB)."""
    raw = np.frombuffer(gzip.open(os.path.join(a.mnist, "train-images-idx3-ubyte.gz")).read(), np.uint8, offset=16)
    return torch.from_numpy(raw.reshape(-1, 1, 28, 28).copy())


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


def reset_peak_resident():
    """Restarts VmHWM at the current resident size (Linux: "5" to /proc/self/clear_refs)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def timed(step, batch, flop_per_image):
    # The process's peak so far (imports, data, model) and its size now; the high-water mark then
    # restarts so that what the steps add is measured by itself, not hidden under a loading peak.
    setup, loading_peak = resident_mb("VmRSS:"), resident_mb("VmHWM:")
    reset_peak_resident()
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
    step_peak = resident_mb("VmHWM:")
    print(json.dumps({"bench": a.workload, "impl": "pytorch", "batch": batch, "threads": a.threads,
                      "img_per_s": round(batch / med, 2), "gflop_per_s": round(flop_per_image * batch / med / 1e9, 2),
                      "peak_rss_mb": round(max(loading_peak, step_peak), 1), "setup_rss_mb": round(setup, 1),
                      "step_rss_mb": round(step_peak - setup, 1), "allocs_per_iter": allocs,
                      "alloc_kib_per_iter": kib, "torch": torch.__version__, "variant": variant}), flush=True)


@contextlib.contextmanager
def frozen(module):
    """A context in which `module`'s parameters require no gradient (--freeze-d), else nothing."""
    for prm in module.parameters(): prm.requires_grad_(not a.freeze_d)
    try:
        yield
    finally:
        for prm in module.parameters(): prm.requires_grad_(True)


bce = nn.BCEWithLogitsLoss()
class Batches:
    """Index batches of `count` examples, a new permutation each epoch (the spec's data path)."""
    def __init__(self, count):
        self.count, self.cursor, self.epoch, self.perm = count, 0, 0, torch.randperm(count)
    def next(self):
        if self.cursor + a.batch > self.count:
            self.cursor, self.epoch, self.perm = 0, self.epoch + 1, torch.randperm(self.count)
        i = self.perm[self.cursor:self.cursor + a.batch]; self.cursor += a.batch
        return i


if a.workload == "dcgan28":
    images = mnist_bytes()
    g, d = dcgan()
    og = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999), fused=a.fused or None)
    od = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999), fused=a.fused or None)
    batches = Batches(len(images))
    def step():
        real = images[batches.next()].float() / 127.5 - 1   # [-1, 1]
        fake = g(torch.randn(a.batch, 100, 1, 1))
        od.zero_grad()
        ld = bce(d(real).view(-1), torch.ones(a.batch)) + bce(d(fake.detach()).view(-1), torch.zeros(a.batch))
        ld.backward(); od.step()
        og.zero_grad()
        with frozen(d):
            lg = bce(d(fake).view(-1), torch.ones(a.batch)); lg.backward()
        og.step()
    timed(step, a.batch, 2 * 140_047_488)
elif a.workload == "mlpgan":
    data = mnist_bytes()[:50000].view(-1, 784)
    g = nn.Sequential(nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(), nn.Linear(1200, 784), nn.Sigmoid())
    d = nn.Sequential(nn.Dropout(0.2), Maxout(784, 240, 5), nn.Dropout(0.5), Maxout(240, 240, 5), nn.Dropout(0.5), nn.Linear(240, 1))
    # The spec's initialisation: U(±0.05) in G, U(±0.005) in D, biases 0, G's output bias the
    # logit of the mean training pixel.
    with torch.no_grad():
        for net, r in ((g, 0.05), (d, 0.005)):
            for m in net.modules():
                if isinstance(m, nn.Linear): nn.init.uniform_(m.weight, -r, r); nn.init.zeros_(m.bias)
        mean_pixel = (data.double().mean() / 255).clamp(1e-6, 1 - 1e-6).item()
        g[4].bias.fill_(math.log(mean_pixel / (1 - mean_pixel)))
    # lr_t = max(0.1 / 1.000004^t, 1e-6), momentum 0.5 + 0.2·min(1, (e−1)/249) in epoch e (1-based).
    # PyTorch's momentum form (v ← m·v + g; p ← p − lr·v) instead of the classical one (v ← m·v − lr·g;
    # p ← p + v): the same cost, and the form a PyTorch user would run.
    og = torch.optim.SGD(g.parameters(), 0.1, momentum=0.5, fused=a.fused or None)
    od = torch.optim.SGD(d.parameters(), 0.1, momentum=0.5, fused=a.fused or None)
    batches = Batches(50000); t = [0]
    def step():
        i = batches.next()
        for o in (og, od):
            for group in o.param_groups:
                group["lr"] = max(0.1 / 1.000004 ** t[0], 1e-6)
                group["momentum"] = 0.5 + 0.2 * min(1, batches.epoch / 249)
        t[0] += 1
        z = (torch.rand(a.batch, 100) * 2 - 1) * math.sqrt(3)
        fake = g(z); dr = d(data[i].float() / 255).view(-1); df = d(fake).view(-1)
        ld = 0.5 * (bce(dr, torch.ones(a.batch)) + bce(df, torch.zeros(a.batch))); lg = bce(df, torch.ones(a.batch))
        gd = torch.autograd.grad(ld, list(d.parameters()), retain_graph=True)
        gg = torch.autograd.grad(lg, list(g.parameters()))
        for prm, gr in zip(d.parameters(), gd): prm.grad = gr
        for prm, gr in zip(g.parameters(), gg): prm.grad = gr
        od.step(); og.step()
    timed(step, a.batch, 2 * 14_104_080)
elif a.workload == "sgemm":
    n = 1024
    x, y = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3): torch.mm(x, y)
    times = []
    for _ in range(7):
        calls, t = 0, time.perf_counter()
        while time.perf_counter() - t < 0.05: torch.mm(x, y); calls += 1
        times.append((time.perf_counter() - t) / calls)
    med = sorted(times)[len(times) // 2]
    print(json.dumps({"bench": "sgemm", "impl": "pytorch", "m": n, "n": n, "k": n, "threads": a.threads,
                      "gflop_per_s": round(2 * n ** 3 / med / 1e9, 2), "torch": torch.__version__}), flush=True)
elif a.workload == "sample":
    g, _ = dcgan(); g.eval()
    def step():
        with torch.no_grad(): g(torch.randn(a.batch, 100, 1, 1))
    # Forward multiply-adds of G per image: convT1 100·256·7·7, convT2 256·128·4·4·7·7, convT3 128·4·4·14·14.
    timed(step, a.batch, 2 * (100 * 256 * 49 + 256 * 128 * 16 * 49 + 128 * 16 * 196))
