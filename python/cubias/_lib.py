"""The shared library, bound with ctypes from the header itself.

Every struct and every function prototype is generated at import from the
copy of include/cubias.h the package was built with (cubias/_header.py reads
it); the only hand-written table is how a C type maps to a ctypes type
(_SCALARS below). Enum values come from cubias/_abi.json, which a C probe
compiled against the same header printed at build time, and each generated
struct's size and field offsets are compared with that probe's here: a
mismatch refuses to import. Every function gets argtypes and restype, so a
Python float handed to a `float act_param` is converted, never read as garbage.
"""
import ctypes
import json
import os

from . import _header

_HERE = os.path.dirname(os.path.abspath(__file__))
HEADER_PATH = os.environ.get("CUBIAS_HEADER", os.path.join(_HERE, "include", "cubias.h"))
ABI_PATH = os.path.join(_HERE, "_abi.json")

with open(HEADER_PATH) as _f:
    HEADER_TEXT = _f.read()
with open(ABI_PATH) as _f:
    ABI = json.load(_f)

ENUMS = ABI["enums"]          # enumerator name -> value, as the C compiler saw it
MACROS = ABI["macros"]

_SCALARS = {
    "int": ctypes.c_int, "int32_t": ctypes.c_int32, "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64, "uint8_t": ctypes.c_uint8, "size_t": ctypes.c_size_t,
    "double": ctypes.c_double, "float": ctypes.c_float, "void": None,
}
_ENUM_TYPES = set(_header.enums(HEADER_TEXT))
_OPAQUE = {"cubias_handle_t", "cubias_stats_t"}   # typedefs of struct pointers

STRUCTS = {}


def ctype_of(ctype, is_return=False):
    """The ctypes type for a C type as the header spells it."""
    base = ctype.replace("const ", "").strip()
    if base.endswith("*"):
        inner = base[:-1].strip()
        if inner == "char":
            return ctypes.c_char_p
        # Every other pointer (backend pointers, host structs and out-params passed
        # with byref or as NumPy memory, FILE *) is an address.
        return ctypes.c_void_p
    if base in _ENUM_TYPES:
        return ctypes.c_int
    if base in _OPAQUE:
        return ctypes.c_void_p
    if base in STRUCTS:
        return STRUCTS[base]
    if base in _SCALARS:
        return _SCALARS[base]
    raise ImportError("cubias: no ctypes mapping for C type %r in cubias.h" % ctype)


def _make_structs():
    for name, fields in _header.structs(HEADER_TEXT).items():
        cfields = []
        for fname, ftype, count in fields:
            t = ctype_of(ftype)
            cfields.append((fname, t * count if count else t))
        STRUCTS[name] = type(name, (ctypes.Structure,), {"_fields_": cfields})


def layout_mismatches():
    """[(struct, what, ctypes value, C value)] where ctypes and the C probe differ."""
    bad = []
    for name, st in STRUCTS.items():
        c = ABI["structs"].get(name)
        if c is None:
            bad.append((name, "missing from probe", None, None))
            continue
        if ctypes.sizeof(st) != c["size"]:
            bad.append((name, "sizeof", ctypes.sizeof(st), c["size"]))
        if ctypes.alignment(st) != c["align"]:
            bad.append((name, "alignment", ctypes.alignment(st), c["align"]))
        if sorted(f[0] for f in st._fields_) != sorted(c["fields"]):
            bad.append((name, "fields", [f[0] for f in st._fields_], list(c["fields"])))
        for fname, _ in st._fields_:
            off, size = c["fields"].get(fname, (None, None))
            desc = getattr(st, fname)
            if (desc.offset, desc.size) != (off, size):
                bad.append((name, fname, (desc.offset, desc.size), (off, size)))
    return bad


def _load():
    path = os.environ.get("CUBIAS_LIBRARY")
    if not path:
        for cand in ("libcubias.so", "libcubias.dylib", "cubias.dll"):
            if os.path.exists(os.path.join(_HERE, cand)):
                path = os.path.join(_HERE, cand)
                break
    if not path:
        raise ImportError("cubias: the shared library is not in the package (%s)" % _HERE)
    return ctypes.CDLL(path)


_make_structs()
_bad = layout_mismatches()
if _bad:
    raise ImportError("cubias: ctypes layouts disagree with the C compiler's: %r" % (_bad,))

FUNCTIONS = _header.functions(HEADER_TEXT)
lib = _load()
MISSING = []
for _name, (_ret, _params) in FUNCTIONS.items():
    try:
        _fn = getattr(lib, _name)
    except AttributeError:
        MISSING.append(_name)
        continue
    _fn.argtypes = [ctype_of(p) for p in _params]
    _fn.restype = ctype_of(_ret, is_return=True)
if MISSING:
    raise ImportError("cubias: the library lacks %s declared in cubias.h" % ", ".join(MISSING))

TensorStruct = STRUCTS["cubias_tensor_t"]
WeightStruct = STRUCTS["cubias_weight_t"]
ChannelStatsStruct = STRUCTS["cubias_channel_stats_t"]
