#!/usr/bin/python3
"""Regenerate the reader fixtures in tests/data/ and the fuzz seed corpus.

Run from anywhere: /usr/bin/python3 tests/data/make_fixtures.py
The values written here are recomputed by tests/unit/test_io_*.c, so keep
the formulas (see `expected_*`) in step with those tests. The corpus files
named found_* were found by libFuzzer runs and are kept as they are.
"""
import io
import os
import shutil
import struct
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npformat

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "fuzz", "corpus")

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "float16", "float32", "float64"]


def put(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def npy_bytes(arr, version=(1, 0)):
    b = io.BytesIO()
    npformat.write_array(b, arr, version=version, allow_pickle=False)
    return b.getvalue()


def raw_npy(header, data, version=1, total=None):
    """An .npy with a hand-written header dict, padded so that the data
    start at a multiple of 64 (or at `total` bytes when given)."""
    h = header.encode("utf-8")
    prefix = 10 if version == 1 else 12
    if total is None:
        total = -(-(prefix + len(h) + 1) // 64) * 64
    h = h + b" " * (total - prefix - len(h) - 1) + b"\n"
    size = struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes([version, 0]) + size + h + data


def expected_values(name):
    """The 12 values of dt_<name>_*.npy, shape (3, 4): see test_io_npy.c."""
    dt = np.dtype(name)
    i = np.arange(12)
    if dt.kind == "b":
        return i % 3 == 0
    if dt.kind == "i":
        v = (i * 7 - 20).astype(dt)
        v[0], v[1] = np.iinfo(dt).min, np.iinfo(dt).max
        return v
    if dt.kind == "u":
        v = (i * 7).astype(dt)
        v[1] = np.iinfo(dt).max
        return v
    return ((i - 5.5) * 0.25).astype(dt)


def make_npy():
    for name in DTYPES:
        v = expected_values(name).reshape(3, 4)
        for tag, order in (("le", "<"), ("be", ">")):
            put("dt_%s_%s.npy" % (name, tag), npy_bytes(v.astype(v.dtype.newbyteorder(order))))

    f16 = np.array([0.0, -0.0, 1.0, 65504.0, 2.0 ** -14, 2.0 ** -24, np.inf, -np.inf,
                    np.nan, 1.0 / 3.0, -(2.0 ** -24) * 3, 0.5], dtype="<f2")
    put("f16_special.npy", npy_bytes(f16))

    a = np.arange(6, dtype="<f4") * 1.5 - 2
    for ver in (1, 2, 3):
        put("ver%d.npy" % ver, npy_bytes(a, version=(ver, 0)))

    c = np.arange(12, dtype="<f8").reshape(3, 4) + 0.5
    put("fortran_f8.npy", npy_bytes(np.asfortranarray(c)))
    put("fortran_i4_be.npy", npy_bytes(np.asfortranarray(
        (np.arange(12).reshape(3, 4) * 3 - 7).astype(">i4"))))
    put("vec_f4.npy", npy_bytes(np.array([1.5, 2.5, 3.5], dtype="<f4")))
    put("scalar_f8.npy", npy_bytes(np.array(42.5, dtype="<f8")))
    put("empty_f4.npy", npy_bytes(np.zeros(0, dtype="<f4")))
    put("empty2d_f8.npy", npy_bytes(np.zeros((0, 3), dtype="<f8")))
    put("empty_huge_rows.npy", raw_npy(
        "{'descr': '>f8', 'fortran_order': True, 'shape': (4611686018427387904, 0), }", b""))
    put("big_f8.npy", npy_bytes(np.array([2.0 ** 53, 1e19, 3.0, -4.0], dtype="<f8")))

    d4 = np.array([1.0, 2.0, 3.0, 4.0], dtype="<f8").tobytes()
    put("crafted_order.npy", raw_npy(
        "{ 'shape' : ( 2 , 2 , ) ,'fortran_order':False,  'descr':'<f8' , }", d4))
    put("crafted_dquote.npy", raw_npy(
        '{"descr":"<i4","fortran_order":False,"shape":(4L,)}',
        np.array([7, -8, 9, -10], dtype="<i4").tobytes()))
    put("crafted_native.npy", raw_npy("{'descr': '=f8', 'fortran_order': False, 'shape': (4,)}", d4))
    put("crafted_v2.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,)}",
                                  d4, version=2))
    put("misaligned.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,)}",
                                  d4, total=83))

    # malformed
    good = npy_bytes(a)
    put("bad_magic.npy", b"\x93NUMPZ" + good[6:])
    put("bad_version.npy", good[:6] + b"\x04\x00" + good[8:])
    put("too_short.npy", b"\x93NU")
    put("empty.npy", b"")
    put("trunc_header.npy", good[:40])
    put("trunc_data.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (10000, 10), }",
                                  bytes(1234)))
    put("shape_too_big.npy", raw_npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000), }", d4))
    put("huge_shape.npy", raw_npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }",
        d4))
    put("huge_dim.npy", raw_npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }", d4))
    put("neg_dim.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2), }", d4))
    put("dtype_c8.npy", raw_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", bytes(16)))
    put("dtype_O.npy", raw_npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", bytes(16)))
    put("dtype_struct.npy", raw_npy(
        "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }", bytes(16)))
    put("dtype_garbage.npy", raw_npy("{'descr': '<x4', 'fortran_order': False, 'shape': (2,), }", bytes(16)))
    put("three_d.npy", npy_bytes(np.zeros((2, 3, 4), dtype="<f4")))
    put("garbage_header.npy", raw_npy("this is not a python dict at all", d4))
    put("missing_comma.npy", raw_npy("{'descr': '<f8' 'fortran_order': False, 'shape': (4,), }", d4))
    put("missing_key.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, }", d4))
    put("dup_key.npy", raw_npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (4,)}", d4))
    put("unknown_key.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), 'x': 1}", d4))
    put("trailing_junk.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), } junk", d4))
    put("hlen_past_end.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f8'")


def zip_member(name, payload, method=0, zip64=False, flags=0, crc=None):
    """Local header + data, and a function writing the central entry."""
    data = payload if method == 0 else zlib.compress(payload, 9)[2:-4]
    if method == 12:
        data = payload
    crc = zlib.crc32(payload) if crc is None else crc
    nb = name.encode()
    return nb, data, crc, len(payload), method, zip64, flags


def build_zip(members):
    """A zip archive written by hand: lets the fixtures exercise zip64
    extra fields, unsupported methods and flags that zipfile won't write."""
    out = bytearray()
    central = bytearray()
    for nb, data, crc, usize, method, zip64, flags in members:
        off = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, flags, method, 0, 0x21,
                           crc, len(data), usize, len(nb), 0) + nb + data
        if zip64:
            extra = struct.pack("<HHQQQ", 1, 24, usize, len(data), off)
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, flags, method, 0,
                                   0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(nb), len(extra), 0,
                                   0, 0, 0, 0xFFFFFFFF) + nb + extra
        else:
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, flags, method, 0,
                                   0x21, crc, len(data), usize, len(nb), 0, 0, 0, 0, 0,
                                   off) + nb
    cd_off = len(out)
    out += central
    n = len(members)
    if any(m[5] for m in members):
        z64 = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, n, n, len(central), cd_off)
        out += struct.pack("<IIQI", 0x07064b50, 0, z64, 1)
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                           0xFFFFFFFF, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, n, n, len(central), cd_off, 0)
    return bytes(out)


def make_npz():
    a = np.arange(12, dtype="<f8").reshape(3, 4) * 0.5
    b = np.array([10, 20, 30], dtype="<i8")
    np.savez(os.path.join(HERE, "stored.npz"), a=a, b=b)
    np.savez_compressed(os.path.join(HERE, "deflated.npz"), a=a, b=b)
    np.savez(os.path.join(HERE, "single.npz"), x=np.arange(5, dtype="<f4"))

    raw = bytearray(open(os.path.join(HERE, "stored.npz"), "rb").read())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as z:
        info = z.getinfo("a.npy")
    nlen, xlen = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    end = info.header_offset + 30 + nlen + xlen + info.compress_size
    raw[end - 1] ^= 0x40  # last byte of a's data: the CRC no longer matches
    put("corrupt_crc.npz", bytes(raw))
    put("truncated.npz", bytes(raw[:len(raw) // 2]))

    dz = bytearray(open(os.path.join(HERE, "deflated.npz"), "rb").read())
    with zipfile.ZipFile(io.BytesIO(bytes(dz))) as z:
        info = z.getinfo("a.npy")
    nlen, xlen = struct.unpack("<HH", dz[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + nlen + xlen
    for k in range(8, min(40, info.compress_size)):
        dz[start + k] ^= 0x5A
    put("deflate_corrupt.npz", bytes(dz))

    pa = npy_bytes(a)
    pb = npy_bytes(b)
    put("zip64.npz", build_zip([zip_member("a.npy", pa, zip64=True),
                                zip_member("b.npy", pb, method=8, zip64=True)]))
    put("bad_method.npz", build_zip([zip_member("x.npy", pa, method=12)]))
    put("encrypted.npz", build_zip([zip_member("x.npy", pa, flags=1)]))
    put("inner_bad.npz", build_zip([zip_member("x.npy", npy_bytes(np.zeros((2, 2, 2))))]))
    put("empty.npz", build_zip([]))
    put("size_lie.npz", build_zip([(b"x.npy", zlib.compress(pa)[2:-4], zlib.crc32(pa),
                                    3000000000, 8, False, 0)]))


CSV = {
    "types.csv": "id,score,flag,city,bin,mixed,word\n"
                 "1,0.5,yes,Paris,0,1,t\n"
                 "2, -1.25e3 ,No,Lyon,1,yes,F\n"
                 "3,inf,TRUE,Paris,1,2,y\n"
                 "4,7,false,Nice,0,3,n\n",
    "missing.csv": "a,b,c,d\n"
                   "1,NA,x,\n"
                   ",N/A,y,NA\n"
                   "3,null,,nan\n"
                   "NaN,None,z, \n"
                   "5,2.5,na,NULL\n",
    "quotes.csv": 'name,text,n\n'
                  '"Smith, John","He said ""hi""",1\n'
                  '"multi\nline\nfield",plain,2\n'
                  '"",",",3\n',
    "crlf.csv": "x,y\r\n1,a\r\n2,b\r\n",
    "bom.csv": "\ufeffx,y\n1,2\n3,4\n",
    "nonl.csv": "x,y\n1,2\n3,4",
    "trailing_blank.csv": "x,y\n1,2\n3,4\n\n\n",
    "header_only.csv": "a,b,c\n",
    "pandas_index.csv": ",a,b\n0,1,x\n1,2,y\n",
    "ragged.csv": "a,b,c,d,e\n" + "".join("%d,%d,%d,%d,%d\n" % (i, i, i, i, i) for i in range(8))
                  + '1,2,"three\nlines\nhere",4,5\n'
                  + "".join("%d,%d,%d,%d,%d\n" % (i, i, i, i, i) for i in range(4))
                  + "1,2,3\n" + "9,9,9,9,9\n",
    "unterminated.csv": "a,b\n1,2\n3,4\n5,\"open\n6,7\n8,9\n",
    "after_quote.csv": "a,b\n\"x\"y,2\n",
    "dup_header.csv": "id,name,score,name\n1,a,2,b\n",
    "blank_header.csv": "\n1,2\n",
    "empty.csv": "",
    "bom_only.csv": "\ufeff",
}


def make_csv():
    for name, text in CSV.items():
        put(name, text.encode("utf-8"))


def make_corpus():
    pick = {
        "npy": ["dt_float32_le.npy", "dt_int64_be.npy", "dt_float16_le.npy", "dt_bool_le.npy",
                "dt_uint64_le.npy", "ver2.npy", "ver3.npy", "fortran_f8.npy", "fortran_i4_be.npy",
                "scalar_f8.npy", "empty2d_f8.npy", "crafted_order.npy", "crafted_dquote.npy",
                "misaligned.npy", "bad_magic.npy", "trunc_header.npy", "trunc_data.npy",
                "huge_shape.npy", "dtype_struct.npy", "three_d.npy", "garbage_header.npy",
                "hlen_past_end.npy", "big_f8.npy", "empty_huge_rows.npy"],
        "npz": ["stored.npz", "deflated.npz", "single.npz", "corrupt_crc.npz", "truncated.npz",
                "zip64.npz", "bad_method.npz", "inner_bad.npz", "empty.npz", "size_lie.npz",
                "deflate_corrupt.npz"],
        "csv": ["types.csv", "missing.csv", "quotes.csv", "crlf.csv", "bom.csv", "ragged.csv",
                "unterminated.csv", "dup_header.csv", "pandas_index.csv", "trailing_blank.csv",
                "after_quote.csv"],
    }
    for kind, names in pick.items():
        d = os.path.join(CORPUS, kind)
        os.makedirs(d, exist_ok=True)
        for n in names:
            shutil.copyfile(os.path.join(HERE, n), os.path.join(d, n))


if __name__ == "__main__":
    make_npy()
    make_npz()
    make_csv()
    make_corpus()
