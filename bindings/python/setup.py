"""Builds the getavatar shared library with cargo and ships it inside the package.

`pip install ./bindings/python` runs `cargo build --release` in the repository this folder belongs
to (or in GETAVATAR_SOURCE) and copies libgetavatar.so / getavatar.dll / libgetavatar.dylib next
to the Python modules. The wheel is tagged py3-none-<platform>: it holds no Python extension,
only the library loaded with ctypes.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution


def library_name() -> str:
    if sys.platform == "win32":
        return "getavatar.dll"
    if sys.platform == "darwin":
        return "libgetavatar.dylib"
    return "libgetavatar.so"


def repository_root() -> Path:
    env = os.environ.get("GETAVATAR_SOURCE")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent
    for d in [here, *here.parents]:
        cargo = d / "Cargo.toml"
        if cargo.is_file() and 'name = "getavatar"' in cargo.read_text(encoding="utf-8"):
            return d
    raise RuntimeError(
        f"cannot find the getavatar Rust sources above {here}; set GETAVATAR_SOURCE to the repository"
    )


class BuildWithCargo(build_py):
    def run(self) -> None:
        super().run()
        root = repository_root()
        cmd = ["cargo", "build", "--release", "--lib", "--manifest-path", str(root / "Cargo.toml")]
        print("getavatar: " + " ".join(cmd), flush=True)
        subprocess.check_call(cmd)
        target = Path(os.environ.get("CARGO_TARGET_DIR", root / "target"))
        built = target / "release" / library_name()
        dest = Path(self.build_lib) / "getavatar" / library_name()
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, dest)


class BinaryDistribution(Distribution):
    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    def get_tag(self):
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(distclass=BinaryDistribution, cmdclass={"build_py": BuildWithCargo, "bdist_wheel": PlatformWheel})
