"""The binding against include/cubias.h: layouts, enum values, every prototype."""
import ctypes
import hashlib
import os
import re

import numpy as np
import pytest

import cubias
from cubias import _header, _lib
from conftest import REPO_HEADER


def test_package_built_from_this_header():
    if not os.path.exists(REPO_HEADER):
        pytest.skip("not run from a clone")
    with open(REPO_HEADER) as f:
        text = f.read()
    assert _lib.ABI["header_sha256"] == hashlib.sha256(text.encode()).hexdigest(), \
        "the installed package was built from another cubias.h: reinstall it"
    assert _lib.HEADER_TEXT == text


def test_struct_layouts_match_the_c_compiler():
    assert _lib.layout_mismatches() == []
    # the sizes a hand-written binding got wrong or had to guess (issue 20)
    assert ctypes.sizeof(_lib.STRUCTS["cubias_tensor_t"]) == _lib.ABI["structs"]["cubias_tensor_t"]["size"] == 40
    assert ctypes.sizeof(_lib.STRUCTS["cubias_weight_t"]) == 48
    assert ctypes.sizeof(_lib.STRUCTS["cubias_channel_stats_t"]) == 96
    assert cubias.CHANNEL_STATS_DTYPE.itemsize == 96


def test_every_struct_of_the_header_is_bound():
    assert set(_lib.STRUCTS) == set(_header.structs(_lib.HEADER_TEXT)) == set(_lib.ABI["structs"])


def test_enum_values_are_the_compilers_and_match_explicit_header_values():
    enums = _header.enums(_lib.HEADER_TEXT)
    names = [n for items in enums.values() for n, _ in items]
    assert sorted(names) == sorted(_lib.ENUMS)
    for items in enums.values():
        for name, val in items:
            if val is not None and re.fullmatch(r"-?\d+", val):
                assert _lib.ENUMS[name] == int(val), name


def test_the_probe_is_not_fooled_by_a_changed_layout(tmp_path):
    """The check compares against what the C compiler reports: a header whose
    struct gains a field changes the probe's offsets (oracle: the probe itself)."""
    text = _lib.HEADER_TEXT.replace("  int64_t outer;\n", "  int32_t pad_;\n  int64_t outer;\n", 1)
    assert "pad_" in text
    src = _header.probe_source(text)
    assert "offsetof(cubias_tensor_t, pad_)" in src


_EXPECTED_SCALAR = {"double": ctypes.c_double, "float": ctypes.c_float, "int64_t": ctypes.c_int64,
                    "int": ctypes.c_int, "size_t": ctypes.c_size_t, "uint64_t": ctypes.c_uint64}


def test_every_function_has_declared_argtypes_and_restype():
    funcs = _header.functions(_lib.HEADER_TEXT)
    n_api = len(re.findall(r"^CUBIAS_API ", _header.strip_comments(_lib.HEADER_TEXT), re.M))
    assert len(funcs) == n_api, "a CUBIAS_API prototype the parser did not read"
    for name, (ret, params) in funcs.items():
        fn = getattr(cubias.lib, name)
        assert fn.argtypes is not None and len(fn.argtypes) == len(params), name
        for p, t in zip(params, fn.argtypes):
            p = p.replace("const ", "")
            if p in _EXPECTED_SCALAR:
                assert t is _EXPECTED_SCALAR[p], (name, p, t)
            elif p.endswith("_t") and p[:-2] + "_t" in _header.enums(_lib.HEADER_TEXT):
                assert t is ctypes.c_int, (name, p)
            elif p.endswith("*"):
                assert t in (ctypes.c_void_p, ctypes.c_char_p), (name, p)
        if ret == "cubias_status_t":
            assert fn.restype is ctypes.c_int, name
        elif ret == "const char *":
            assert fn.restype is ctypes.c_char_p, name


@pytest.mark.parametrize("slope", [0.01, 0.2, 0.0])
def test_leaky_slope_reaches_the_library_as_a_float(slope):
    """Issue 20: without argtypes a Python float for `float act_param` was read as
    garbage (E[phi(-1)] = -89128.95 instead of -0.01). Oracle: phi(-1) = -slope."""
    s = cubias.Stats(2, "leaky_relu", slope)
    s.accumulate(np.full((5, 2), -1.0, np.float32))
    np.testing.assert_allclose(s.field("phi_mean"), -np.float32(slope), rtol=1e-7)
    np.testing.assert_allclose(s.field("dphi_sq_mean"), np.float32(slope) ** 2, rtol=1e-6)


def test_status_strings_and_version():
    assert cubias.version() == (int(cubias.MACROS["CUBIAS_VERSION_MAJOR"]),
                                int(cubias.MACROS["CUBIAS_VERSION_MINOR"]),
                                int(cubias.MACROS["CUBIAS_VERSION_PATCH"]))
    for cls in (cubias.InvalidValueError, cubias.ShapeMismatchError, cubias.NoDataError):
        text = cubias.lib.cubias_status_string(cls.status).decode()
        assert cls.__name__.replace("Error", "").upper() in text.replace("_", "")
