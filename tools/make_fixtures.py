#!/usr/bin/env python3
"""Generates the PyTorch golden fixtures read by Tests/GANNNTests/GoldenTests.swift.

Run once (PyTorch from PyPI, CPU):  python3 tools/make_fixtures.py
Writes Tests/GANNNTests/Fixtures/*.safetensors (float32, written by the small writer below so
the files exercise SwiftGAN's own safetensors reader). The tests need no PyTorch.
"""
import json
import os
import struct

import numpy as np
import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "GANNNTests", "Fixtures")


def save(name, tensors, metadata=None):
    """safetensors: u64 header length, JSON header (padded to 8 bytes), little-endian data."""
    header, blobs, offset = {}, [], 0
    for key in sorted(tensors):
        arr = np.array(tensors[key].detach().cpu().numpy(), dtype="<f4", order="C")  # keeps rank 0
        data = arr.tobytes()
        header[key] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def grads(out, inputs):
    cot = torch.randn_like(out)
    g = torch.autograd.grad(out, inputs, cot)
    return cot, g


# Conv2d with odd sizes, stride 2, padding 1, bias.
x = torch.randn(2, 3, 9, 7, requires_grad=True)
conv = torch.nn.Conv2d(3, 5, 3, stride=2, padding=1)
y = conv(x)
cot, (dx, dw, db) = grads(y, [x, conv.weight, conv.bias])
save("conv2d", {"x": x, "weight": conv.weight, "bias": conv.bias, "y": y, "cotangent": cot,
                "dx": dx, "dweight": dw, "dbias": db}, {"stride": "2", "padding": "1"})

# ConvTranspose2d(k4, s2, p1), the DCGAN up-sampling layer.
x = torch.randn(2, 4, 5, 5, requires_grad=True)
convt = torch.nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1)
y = convt(x)
cot, (dx, dw, db) = grads(y, [x, convt.weight, convt.bias])
save("conv_transpose2d", {"x": x, "weight": convt.weight, "bias": convt.bias, "y": y, "cotangent": cot,
                          "dx": dx, "dweight": dw, "dbias": db}, {"stride": "2", "padding": "1"})

# BatchNorm2d: one training step (output, gradients, running statistics), then evaluation.
bn = torch.nn.BatchNorm2d(3)
with torch.no_grad():
    bn.weight.normal_(1.0, 0.2)
    bn.bias.normal_(0.0, 0.2)
x = (torch.randn(4, 3, 5, 5) * 2 + 0.5).requires_grad_(True)
w0, b0 = bn.weight.detach().clone(), bn.bias.detach().clone()
y = bn(x)
cot, (dx, dw, db) = grads(y, [x, bn.weight, bn.bias])
bn.eval()
x_eval = torch.randn(2, 3, 5, 5)
y_eval = bn(x_eval)
save("batchnorm2d", {"x": x, "weight": w0, "bias": b0, "y": y, "cotangent": cot, "dx": dx, "dweight": dw,
                     "dbias": db, "running_mean": bn.running_mean, "running_var": bn.running_var,
                     "x_eval": x_eval, "y_eval": y_eval})

# BCE with logits, soft targets (one-sided smoothing 0.9), extreme logits included.
logits = torch.cat([torch.randn(11) * 3, torch.tensor([40.0, -40.0])]).requires_grad_(True)
targets = torch.tensor([0.9, 0.0, 1.0, 0.9, 0.0, 0.5, 1.0, 0.0, 0.9, 0.1, 1.0, 0.0, 1.0])
loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
(dlogits,) = torch.autograd.grad(loss, [logits])
save("bce_with_logits", {"logits": logits, "targets": targets, "loss": loss.reshape([]), "dlogits": dlogits})

# Adam: two steps at DCGAN settings, and one with weight decay.
p = torch.randn(7, 3, requires_grad=True)
p0 = p.detach().clone()
g1, g2 = torch.randn(7, 3), torch.randn(7, 3)
opt = torch.optim.Adam([p], lr=2e-4, betas=(0.5, 0.999))
p.grad = g1.clone(); opt.step()
p1 = p.detach().clone()
p.grad = g2.clone(); opt.step()
p2 = p.detach().clone()
st = opt.state[p]
q = p0.clone().requires_grad_(True)
optw = torch.optim.Adam([q], lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01)
q.grad = g1.clone(); optw.step()
# Weight decay over four steps with gradients small beside λ·p, so the decay decides the path:
# one bias-corrected step moves each element by about lr·sign(g + λp) whatever λ is, and
# coupled (Adam) and decoupled (AdamW) decay differ only from the second step on.
r = p0.clone().requires_grad_(True)
optr = torch.optim.Adam([r], lr=1e-2, betas=(0.9, 0.999), weight_decay=0.1)
for g in (g1, g2, g1, g2):
    r.grad = 0.01 * g; optr.step()
save("adam", {"p0": p0, "g1": g1, "g2": g2, "p1": p1, "p2": p2, "exp_avg": st["exp_avg"],
              "exp_avg_sq": st["exp_avg_sq"], "p1_weight_decay": q.detach(), "p4_weight_decay": r.detach()})

# SGD: Nesterov momentum with weight decay, three steps.
p = p0.clone().requires_grad_(True)
opt = torch.optim.SGD([p], lr=0.1, momentum=0.7, nesterov=True, weight_decay=1e-3)
for g in (g1, g2, g1):
    p.grad = g.clone(); opt.step()
save("sgd_nesterov", {"p0": p0, "g1": g1, "g2": g2, "p3": p.detach()})
print("fixtures written to", os.path.normpath(OUT), "with torch", torch.__version__)
