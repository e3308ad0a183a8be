"""Builds the getavatar C library with setuptools-rust and ships it inside the package.

The package loads the library with ctypes, so the Rust crate is built as a plain cdylib
(`Binding.NoBinding`: no Python binding crate). setuptools-rust runs cargo, picks the Rust target
from `CARGO_BUILD_TARGET` (or the platform) and checks the Rust version;
this file only names the library the platform's way (getavatar.dll, libgetavatar.so,
libgetavatar.dylib: the names `_native.py` loads) and tags the wheel `py3-none-<platform>`
(it works with every Python 3, as it holds no Python extension).

The Rust sources: `rust/` in an sdist (scripts/dist.sh puts the crate there, as `cargo package`
makes it), otherwise the repository this folder belongs to.
"""

import os
import re
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools_rust import Binding, RustExtension
from setuptools_rust.build import build_rust

HERE = Path(__file__).resolve().parent
CRATE = HERE / "rust" if (HERE / "rust" / "Cargo.toml").is_file() else HERE.parent.parent
MANIFEST = (CRATE / "Cargo.toml").read_text(encoding="utf-8")
RUST_VERSION = re.search(r'^rust-version = "([^"]+)"', MANIFEST, re.M).group(1)


def library_name(target: str) -> str:
    if "windows" in target:
        return "getavatar.dll"
    if "apple" in target or "darwin" in target:
        return "libgetavatar.dylib"
    return "libgetavatar.so"


class BuildRust(build_rust):
    def run(self) -> None:
        if shutil.which(os.environ.get("CARGO", "cargo")) is None:
            raise SystemExit(
                f"error: building getavatar from source needs Rust >= {RUST_VERSION} "
                "(cargo on PATH), and none was found.\n"
                "Install Rust from https://rustup.rs (Debian/Ubuntu's own rustc may be too old), "
                "or install a prebuilt wheel: pip install --only-binary getavatar getavatar"
            )
        super().run()

    def get_dylib_ext_path(self, ext: RustExtension, target_fname: str) -> str:
        where = Path(super().get_dylib_ext_path(ext, target_fname)).parent
        target = self.target if isinstance(self.target, str) else ""
        if not target:
            import sysconfig

            target = "windows" if os.name == "nt" else sysconfig.get_platform()
        return str(where / library_name(target))


class PlatformWheel(bdist_wheel):
    def get_tag(self):
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(
    rust_extensions=[
        RustExtension(
            "getavatar.getavatar",
            path=str(CRATE / "Cargo.toml"),
            binding=Binding.NoBinding,
            rust_version=f">={RUST_VERSION}",
            args=["--locked"],
        )
    ],
    cmdclass={"build_rust": BuildRust, "bdist_wheel": PlatformWheel},
)
