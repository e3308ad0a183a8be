"""Fixtures: the getAvatar emulator (the repository's `emulator` example) on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

REPO = Path(__file__).resolve().parents[3]


def _emulator_binary() -> Path:
    env = os.environ.get("GETAVATAR_EMULATOR")
    if env:
        return Path(env)
    # Always ask cargo: a no-op when the emulator is fresh, a build when missing or stale.
    subprocess.check_call(["cargo", "build", "-q", "--example", "emulator", "--manifest-path", str(REPO / "Cargo.toml")])
    return REPO / "target" / "debug" / "examples" / "emulator"


class Emu:
    """A running emulator process and its control endpoints."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [str(_emulator_binary()), "--port", "0", "--rate-limit", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        env: Dict[str, str] = {}
        for line in self.proc.stdout:
            line = line.strip()
            if line == "ready":
                break
            k, _, v = line.partition("=")
            env[k] = v
        self.url = env["GA_API_URL"]
        self.id_instance = env["GA_ID_INSTANCE"]
        self.token = env["GA_API_TOKEN_INSTANCE"]
        # Loopback proxies the emulator runs (user ga-user, password "ga-p@ss/1", percent-encoded).
        self.http_proxy = env["GA_TEST_HTTP_PROXY"]
        self.socks_proxy = env["GA_TEST_SOCKS_PROXY"]
        # The same emulator over TLS (https://localhost:PORT) and the certificate to trust for it.
        self.tls_url = env["GA_TEST_TLS_URL"]
        self.tls_ca_file = env["GA_TEST_TLS_CA_FILE"]

    def _post(self, cmd: str, body: Any) -> Any:
        req = urllib.request.Request(
            f"{self.url}/__emulator/{cmd}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def fault(self, **fault: Any) -> None:
        self._post("faults", fault)

    def config(self, **cfg: Any) -> None:
        self._post("config", cfg)

    def reset(self) -> None:
        self._post("reset", {})

    def requests(self) -> List[Dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/__emulator/requests", timeout=10) as r:
            return json.loads(r.read())["requests"]

    def images(self) -> List[Dict[str, Any]]:
        """The image requests (redirect hops included)."""
        with urllib.request.urlopen(f"{self.url}/__emulator/requests", timeout=10) as r:
            return json.loads(r.read())["images"]

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        try:
            os.unlink(self.tls_ca_file)
        except OSError:
            pass


@pytest.fixture(scope="session")
def emu_session() -> Iterator[Emu]:
    e = Emu()
    yield e
    e.stop()


@pytest.fixture
def emu(emu_session: Emu) -> Emu:
    emu_session.reset()
    emu_session.config(rate_limit=0, quota=None)
    return emu_session
