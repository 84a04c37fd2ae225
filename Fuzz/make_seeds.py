#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets to Fuzz/seeds/<target>/.

Every seed is a small, valid input for its parser (each under 4 KB), built with the Python
standard library only, byte-for-byte deterministic so the outputs can be committed.

    python3 Fuzz/make_seeds.py            # rewrites Fuzz/seeds/
"""
import json
import os
import shutil
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def write(target, name, data):
    assert len(data) < 4096, f"{target}/{name} is {len(data)} bytes"
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def ramp(n, mul=37, add=11):
    """n deterministic bytes."""
    return bytes((i * mul + add) & 0xFF for i in range(n))


# --- safetensors ----------------------------------------------------------------------------

def safetensors(entries, metadata=None):
    """entries: list of (name, dtype, shape, payload bytes); offsets are contiguous."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, dtype, shape, payload in entries:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(*values):
    return struct.pack(f"<{len(values)}f", *values)


def f64(*values):
    return struct.pack(f"<{len(values)}d", *values)


def make_safetensors():
    write("safetensors", "matrix.safetensors",
          safetensors([("weight", "F32", [2, 3], f32(1, -2, 3.5, 0, 1e-3, 7))]))
    write("safetensors", "two-tensors-metadata.safetensors",
          safetensors([("a.bias", "F32", [2], f32(0.5, -0.5)),
                       ("b.weight", "F64", [1, 2], f64(3.25, -1e10))],
                      metadata={"format": "pt", "step": "12"}))
    write("safetensors", "scalar.safetensors", safetensors([("s", "F32", [], f32(42))]))
    write("safetensors", "empty-extent.safetensors",
          safetensors([("e", "F32", [0, 4], b""), ("x", "F32", [1], f32(1))]))
    write("safetensors", "no-tensors.safetensors", safetensors([], metadata={}))


# --- gzip / zlib ----------------------------------------------------------------------------

def gzip_bytes(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # mtime 0, no name
    return c.compress(data) + c.flush()


def zlib_bytes(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def make_gzip():
    write("gzip", "hello.gz", gzip_bytes(b"hello, gzip\n"))
    write("gzip", "empty.gz", gzip_bytes(b""))
    write("gzip", "two-members.gz", gzip_bytes(b"first member ") + gzip_bytes(b"second member"))
    write("gzip", "padded.gz", gzip_bytes(b"zero padding follows") + b"\0" * 8)
    write("gzip", "stored.gz", gzip_bytes(ramp(200), level=0))
    write("gzip", "repetitive.gz", gzip_bytes(b"abc" * 700, level=9))
    write("gzip", "stream.zlib", zlib_bytes(ramp(300)))


# --- IDX ------------------------------------------------------------------------------------

def idx(dims, values):
    count = 1
    for d in dims:
        count *= d
    assert len(values) == count
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + values


def make_idx():
    write("idx", "images-2x4x3-idx3-ubyte", idx([2, 4, 3], ramp(24)))
    write("idx", "labels-5-idx1-ubyte", idx([5], bytes([7, 2, 1, 0, 4])))
    write("idx", "matrix-3x2-idx2-ubyte", idx([3, 2], ramp(6)))
    write("idx", "empty-images-idx3-ubyte", idx([0, 28, 28], b""))


# --- PNG ------------------------------------------------------------------------------------

def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, color_type, rows, filters, palette=None, extra=b"", split_idat=False):
    """rows: list of raw (unfiltered) row bytes; filters: the filter byte per row.

    The rows are filtered here so that the decoder must reverse each filter type.
    """
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    stride = len(rows[0])
    raw = b""
    prev = bytes(stride)
    for row, ftype in zip(rows, filters):
        out = bytearray()
        for x in range(stride):
            a = row[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out.append((row[x] - pred) & 0xFF)
        raw += bytes([ftype]) + bytes(out)
        prev = row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    data = zlib_bytes(raw)
    file = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if palette is not None:
        file += chunk(b"PLTE", palette)
    file += extra
    if split_idat:
        half = len(data) // 2
        file += chunk(b"IDAT", data[:half]) + chunk(b"IDAT", data[half:])
    else:
        file += chunk(b"IDAT", data)
    return file + chunk(b"IEND", b"")


def make_png():
    def rows(width, height, channels, mul):
        return [ramp(width * channels, mul, 13 * y + 5) for y in range(height)]

    write("png", "grey-3x2.png", png(3, 2, 0, rows(3, 2, 1, 29), [0, 0]))
    write("png", "rgb-4x5-filters.png", png(4, 5, 2, rows(4, 5, 3, 41), [0, 1, 2, 3, 4]))
    write("png", "rgba-3x5-filters.png",
          png(3, 5, 6, rows(3, 5, 4, 53), [4, 3, 2, 1, 0], split_idat=True))
    write("png", "grey-alpha-2x2.png", png(2, 2, 4, rows(2, 2, 2, 17), [1, 2]))
    palette = ramp(4 * 3, 71, 3)
    write("png", "palette-4x3.png",
          png(4, 3, 3, [bytes((x + y) % 4 for x in range(4)) for y in range(3)], [0, 2, 4], palette=palette))
    write("png", "grey-1x1-text.png",
          png(1, 1, 0, [b"\x80"], [0], extra=chunk(b"tEXt", b"Comment\0fuzz seed")))


# --- NPY ------------------------------------------------------------------------------------

def npy(descr, shape, data, version=1):
    if len(shape) == 1:
        shape_text = f"({shape[0]},)"
    else:
        shape_text = "(" + ", ".join(map(str, shape)) + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}".encode()
    fixed = 10 if version == 1 else 12
    header += b" " * ((64 - (fixed + len(header) + 1) % 64) % 64) + b"\n"
    if version == 1:
        prefix = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header))
    else:
        prefix = b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header))
    return prefix + header + data


def make_npy():
    write("npy", "f4-2x3.npy", npy("<f4", [2, 3], f32(1, 2, 3, -4, 0.5, 1e-7)))
    write("npy", "u1-5.npy", npy("|u1", [5], bytes([0, 1, 127, 128, 255])))
    write("npy", "i4-scalar.npy", npy("<i4", [], struct.pack("<i", -7)))
    write("npy", "i8-2x2.npy", npy("<i8", [2, 2], struct.pack("<4q", 1, -1, 2**40, -(2**40))))
    write("npy", "f4-v2-0x3.npy", npy("<f4", [0, 3], b"", version=2))


# --- CIFAR-10 -------------------------------------------------------------------------------

def make_cifar():
    write("cifar", "one-record.bin", bytes([3]) + ramp(3072, 7, 1))
    write("cifar", "label-9.bin", bytes([9]) + bytes(3072))


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    make_safetensors()
    make_gzip()
    make_idx()
    make_png()
    make_npy()
    make_cifar()
    for target in sorted(os.listdir(ROOT)):
        names = sorted(os.listdir(os.path.join(ROOT, target)))
        print(f"{target}: {len(names)} seeds")


if __name__ == "__main__":
    main()
