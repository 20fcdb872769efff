"""Build the faultline package: one CPython extension, faultline._faultline,
holding the binding (faultline/_faultline.c) and libfaultline itself,
compiled from the repository's src/ (so a fresh clone needs no prior CMake
build). Only Debian packages are needed: python3-dev, python3-numpy,
python3-setuptools, python3-pip, python3-venv, and the library's own
(libopenblas-dev, liblapacke-dev, libcjson-dev, zlib1g-dev): see
scripts/deps.sh. Install (docs/python.md):

    python3 -m venv --system-site-packages .venv
    .venv/bin/pip install --no-build-isolation ./python

As CMake's FL_NATIVE, the sources are compiled for AVX2 and FMA
(-march=x86-64-v3) when this machine has them; FAULTLINE_NATIVE=0 compiles
for any x86-64. FAULTLINE_LIBRARY=/path/to/libfaultline.a links a library built by CMake
instead of compiling src/ again. FAULTLINE_BUILD_DIR=DIR puts the build's
intermediate files there instead of python/build (the test suite does, to
leave the source tree as it was).
"""
import glob
import os
import platform
import subprocess
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PACKAGES = ["openblas", "lapacke", "libcjson", "zlib"]
# the warnings of CMakeLists.txt (FL_WARNINGS)
WARNINGS = ["-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes",
            "-Wvla", "-Wformat=2", "-Wcast-qual", "-Wpointer-arith", "-Wundef"]


def pkg_config(flag):
    try:
        out = subprocess.run(["pkg-config", flag] + PACKAGES, check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("faultline: pkg-config %s failed (%s); install the library's "
                         "dependencies first: sh scripts/deps.sh" % (" ".join(PACKAGES), e))
    return out.split()


def native_flags():
    """-march=x86-64-v3 where this machine runs it (CMakeLists.txt, FL_NATIVE)."""
    if os.environ.get("FAULTLINE_NATIVE", "1") == "0" or \
            platform.machine() not in ("x86_64", "AMD64"):
        return []
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f
                          if line.startswith("flags")), [])
    except OSError:
        return []
    if not {"avx2", "fma", "bmi2", "movbe"} <= set(flags):
        return []
    # a compiler that knows the level (GCC 11, clang 12 on), as CMake's probe
    cc = (sysconfig.get_config_var("CC") or "cc").split()
    try:
        subprocess.run(cc + ["-march=x86-64-v3", "-x", "c", "-c", "-o", os.devnull, "-"],
                       input="int x;\n", check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return []
    return ["-march=x86-64-v3"]


class BuildExt(build_ext):
    """Compile the library's sources in parallel, one per core."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            self.parallel = os.cpu_count() or 1


def extension():
    library = os.environ.get("FAULTLINE_LIBRARY")
    sources = [os.path.relpath(os.path.join(HERE, "faultline", "_faultline.c"), HERE)]
    objects = []
    if library:
        objects = [os.path.abspath(library)]
    else:
        sources += sorted(os.path.relpath(p, HERE)
                          for p in glob.glob(os.path.join(ROOT, "src", "*", "*.c")))
        if len(sources) == 1:
            raise SystemExit("faultline: no library sources in %s/src: build from the "
                             "repository (pip install ./python)" % ROOT)
    depends = glob.glob(os.path.join(ROOT, "include", "**", "*.h"), recursive=True) + \
        glob.glob(os.path.join(ROOT, "src", "*", "*.h")) + objects
    cflags = [f for f in pkg_config("--cflags") if f.startswith("-I")]
    return Extension(
        "faultline._faultline",
        sources=sources,
        include_dirs=[os.path.join(ROOT, "include"), os.path.join(ROOT, "src")],
        define_macros=[("_POSIX_C_SOURCE", "200809L")],
        extra_compile_args=["-std=c11", "-fopenmp", "-fvisibility=hidden"] + WARNINGS + cflags +
        native_flags(),
        extra_objects=objects,
        depends=depends,
        extra_link_args=["-fopenmp"] + pkg_config("--libs") + ["-lm"],
    )


BUILD_DIR = os.environ.get("FAULTLINE_BUILD_DIR")

setup(
    name="faultline",
    version="0.1.0",
    description="Find error slices: groups of samples where a model fails systematically",
    packages=["faultline"],
    ext_modules=[extension()],
    cmdclass={"build_ext": BuildExt},
    options={"build": {"build_base": BUILD_DIR},
             "egg_info": {"egg_base": BUILD_DIR}} if BUILD_DIR else {},
    python_requires=">=3.9",
    install_requires=[],  # numpy: Debian's python3-numpy (no PyPI)
)
