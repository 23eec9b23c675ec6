"""Build the cubias shared library with the project's own CMake and package it.

pip install ./python                      (from a clone: configures and builds the
                                           library: CUDA where CMake finds nvcc,
                                           else the CPU backend only)
CUBIAS_BUILD_DIR=build pip install ./python   (reuse a build folder that already
                                           holds libcubias.so: no compile)
CUBIAS_CMAKE_ARGS="-DCUBIAS_WITH_CUDA=OFF" pip install ./python   (extra configure
                                           arguments, e.g. one CUDA architecture)

Besides the library, the package gets a copy of include/cubias.h (the bindings
are generated from it at import) and cubias/_abi.json: the output of a C probe,
generated from the same header (cubias/_header.py) and compiled by the C
compiler, holding every enum value and every struct's size and field offsets.
"""
import glob
import hashlib
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HEADER = os.path.join(ROOT, "include", "cubias.h")


def _load_header_module():
    spec = importlib.util.spec_from_file_location("_cubias_header",
                                                  os.path.join(HERE, "cubias", "_header.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _run(cmd, **kw):
    print("cubias setup: " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    subprocess.check_call(cmd, **kw)


def _find_lib(build_dir):
    for pattern in ("libcubias.so.*.*.*", "libcubias.so", "libcubias*.dylib", "cubias.dll"):
        hits = sorted(glob.glob(os.path.join(build_dir, pattern)))
        if hits:
            return hits[0]
    return None


def _build_library(build_temp):
    given = os.environ.get("CUBIAS_BUILD_DIR")
    if given:
        build_dir = given if os.path.isabs(given) else os.path.join(ROOT, given)
        lib = _find_lib(build_dir)
        if not lib:
            raise RuntimeError("CUBIAS_BUILD_DIR=%s holds no libcubias shared library" % given)
        print("cubias setup: reusing " + lib, flush=True)
        return lib
    build_dir = os.path.join(build_temp, "cmake")
    args = ["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
            "-DBUILD_SHARED_LIBS=ON", "-DCUBIAS_BUILD_TESTS=OFF", "-DCUBIAS_BUILD_BENCH=OFF",
            "-DCUBIAS_BUILD_EXAMPLES=OFF"]
    args += shlex.split(os.environ.get("CUBIAS_CMAKE_ARGS", ""))
    _run(args)
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
    _run(["cmake", "--build", build_dir, "--target", "cubias", "-j", jobs])
    lib = _find_lib(build_dir)
    if not lib:
        raise RuntimeError("the CMake build produced no libcubias shared library in " + build_dir)
    return lib


def _probe_abi(header_mod, text):
    """Compile and run the probe: the C compiler's view of every enum and struct."""
    cc = os.environ.get("CC", "cc")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        exe = os.path.join(tmp, "probe")
        with open(src, "w") as f:
            f.write(header_mod.probe_source(text))
        _run([cc, "-std=c11", "-I", os.path.dirname(HEADER), src, "-o", exe])
        abi = json.loads(subprocess.check_output([exe]).decode())
    abi["header_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return abi


class BuildWithLibrary(build_py):
    def run(self):
        if not os.path.exists(HEADER) or not os.path.exists(os.path.join(ROOT, "CMakeLists.txt")):
            raise RuntimeError("cubias: python/ is built from a clone of the repository: %s and "
                               "the top CMakeLists.txt were not found (pip older than 21.3 "
                               "copies the folder away: upgrade pip)" % HEADER)
        super().run()
        pkg = os.path.join(self.build_lib, "cubias")
        os.makedirs(os.path.join(pkg, "include"), exist_ok=True)
        with open(HEADER) as f:
            text = f.read()
        shutil.copyfile(HEADER, os.path.join(pkg, "include", "cubias.h"))
        with open(os.path.join(pkg, "_abi.json"), "w") as f:
            json.dump(_probe_abi(_load_header_module(), text), f, indent=1, sort_keys=True)
        build_temp = os.path.join(HERE, "build")
        lib = _build_library(build_temp)
        ext = ".dylib" if sys.platform == "darwin" else ".so"
        shutil.copyfile(lib, os.path.join(pkg, "libcubias" + ext))


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
