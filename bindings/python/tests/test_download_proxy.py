"""Avatar images (to a file and into memory) and proxies, from Python, against the emulator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import getavatar
from getavatar import Avatar, AvatarImage, Client

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def client(emu, **kw) -> Client:
    kw.setdefault("rate_limit", 0)
    kw.setdefault("backoff", 0.001)
    return Client(emu.url, emu.id_instance, emu.token, **kw)


def test_download_avatar_writes_the_file_atomically(emu, tmp_path: Path):
    target = tmp_path / "a.png"
    target.write_bytes(b"an older picture")
    with client(emu) as c:
        a = c.download_avatar("10000000", target)  # os.PathLike
        assert a == Avatar(f"{emu.url}/avatars/10000000.png", True, 200)
        assert target.read_bytes().startswith(PNG_MAGIC)
        c.download_avatar("-10000000000000", str(tmp_path / "g.png"))  # str
        c.download_avatar("10000000", os.fsencode(tmp_path / "b.png"))  # bytes path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png", "g.png"]
    assert [i["path"] for i in emu.images()] == ["/avatars/10000000.png", "/avatars/-10000000000000.png", "/avatars/10000000.png"]


def test_no_avatar_writes_nothing(emu, tmp_path: Path):
    with client(emu) as c:
        a = c.download_avatar("30000000", tmp_path / "x.png")
        assert a == Avatar("", False, 200)
        img = c.avatar_bytes("20000000")
        assert img == AvatarImage("", True, None, "")
    assert list(tmp_path.iterdir()) == []
    assert emu.images() == []


def test_avatar_bytes(emu):
    with client(emu) as c:
        img = c.avatar_bytes("10000000")
    assert img.data is not None and img.data.startswith(PNG_MAGIC)
    assert img.content_type == "image/png" and img.available is True
    assert img.url.endswith("/avatars/10000000.png")
    assert "bytes>" in repr(img) and "\\x89" not in repr(img)


def test_a_page_instead_of_an_image_is_refused(emu, tmp_path: Path):
    target = tmp_path / "a.png"
    target.write_bytes(b"old")
    emu.fault(target="image", kind="status", status=200, body="<html>sign in</html>", headers={"Content-Type": "text/html"})
    with client(emu) as c, pytest.raises(getavatar.BadResponseError) as ei:
        c.download_avatar("10000000", target)
    assert "not an image" in str(ei.value) and ei.value.http_status == 200
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_an_empty_or_cut_image_fails_and_keeps_the_old_file(emu, tmp_path: Path):
    target = tmp_path / "a.png"
    target.write_bytes(b"old")
    with client(emu, max_retries=0) as c:
        emu.fault(target="image", kind="status", status=200, body="", headers={"Content-Type": "image/jpeg"})
        with pytest.raises(getavatar.BadResponseError, match="empty"):
            c.download_avatar("10000000", target)
        emu.fault(target="image", kind="close_delimited", bytes=20, reset=True)
        with pytest.raises(getavatar.NetworkError):
            c.download_avatar("10000000", target)
        emu.fault(target="image", kind="truncated_body")
        with pytest.raises(getavatar.NetworkError):
            c.download_avatar("10000000", target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="Unix only")
def test_special_files_are_refused_and_modes_kept(emu, tmp_path: Path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    private = tmp_path / "private.png"
    private.write_bytes(b"old")
    private.chmod(0o600)
    with client(emu) as c:
        with pytest.raises(getavatar.InvalidArgumentError, match="FIFO"):
            c.download_avatar("10000000", fifo)
        c.download_avatar("10000000", private)
    assert fifo.is_fifo()
    assert private.read_bytes().startswith(PNG_MAGIC) and private.stat().st_mode & 0o777 == 0o600
    assert len(emu.requests()) == 1, "the FIFO was refused before the lookup"


def test_too_many_redirects_and_too_large(emu):
    emu.config(avatars={"50000000": {"url": "{base}/hop/4/avatars/50000000.png", "available": True}})
    emu.fault(target="image", kind="huge_body", bytes=16 * 1024 * 1024 + 1)
    with client(emu) as c:
        with pytest.raises(getavatar.BadResponseError, match="more than the 16777216 byte"):
            c.avatar_bytes("10000000")
        with pytest.raises(getavatar.BadResponseError, match="redirected more than 3 times"):
            c.avatar_bytes("50000000")


def test_file_errors_are_os_errors(emu, tmp_path: Path):
    with client(emu) as c:
        with pytest.raises(getavatar.FileError) as ei:
            c.download_avatar("10000000", tmp_path / "missing" / "a.png")
        assert isinstance(ei.value, OSError) and ei.value.status_name == "GA_ERR_IO"
        with pytest.raises(getavatar.InvalidArgumentError, match="names a folder"):
            c.download_avatar("10000000", tmp_path)
        with pytest.raises(getavatar.InvalidArgumentError, match="path is empty"):
            c.download_avatar("10000000", "")
        with pytest.raises(getavatar.InvalidArgumentTypeError):
            c.download_avatar("10000000", 5)  # type: ignore[arg-type]
    assert len(emu.requests()) == 1, "only the download with a good path sent a lookup"


def test_http_and_socks_proxies_with_credentials(emu):
    for proxy in (emu.http_proxy, emu.socks_proxy, emu.socks_proxy.replace("socks5://", "socks5h://")):
        with client(emu, proxy=proxy) as c:
            assert c.get_avatar("10000000").url.endswith("/avatars/10000000.png")
            assert c.avatar_bytes("10000000").content_type == "image/png"
    # The proxies are in the path: a wrong password fails, and is never echoed.
    for proxy in (emu.http_proxy, emu.socks_proxy):
        wrong = proxy.replace("ga-p%40ss%2F1", "not-the-password-42")
        with client(emu, proxy=wrong) as c:
            with pytest.raises(getavatar.NetworkError) as ei:
                c.get_avatar("10000000")
            msg = str(ei.value)
            assert "check the credentials" in msg, msg
            assert "not-the-password" not in msg and "ga-user" not in msg and "***@" in msg
            c.set_proxy("direct")
            assert c.get_avatar("10000000").available is True


def test_bad_proxy_urls_hide_credentials(emu):
    with client(emu) as c:
        with pytest.raises(getavatar.InvalidArgumentError) as ei:
            c.set_proxy("https://ga-user:hunter22@proxy.corp:3128")
        assert "hunter22" not in str(ei.value) and "https:// proxies are not supported" in str(ei.value)
        with pytest.raises(getavatar.InvalidArgumentTypeError):
            c.set_proxy(3128)  # type: ignore[arg-type]


def test_the_system_proxy_is_the_default_and_direct_overrides_it(emu, monkeypatch):
    for v in ("http_proxy", "HTTPS_PROXY", "https_proxy", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(v, raising=False)
    # An environment proxy that cannot be used shows that the default reads it (loopback hosts,
    # like the emulator's, never go through a system proxy, so a working one would not show).
    monkeypatch.setenv("ALL_PROXY", "ftp://u:hunter22@h:1")
    with client(emu) as c:
        with pytest.raises(getavatar.NetworkError) as ei:
            c.get_avatar("10000000")
        msg = str(ei.value)
        assert "the system proxy cannot be used: environment variable ALL_PROXY" in msg, msg
        assert "hunter22" not in msg
        for direct in ("direct", ""):
            c.set_proxy(direct)
            assert c.get_avatar("10000000").available is True
        c.set_proxy(None)
        with pytest.raises(getavatar.NetworkError):
            c.get_avatar("10000000")
        c.set_proxy("system")
        with pytest.raises(getavatar.NetworkError):
            c.get_avatar("10000000")
    with client(emu, proxy="direct") as c:
        assert c.get_avatar("10000000").available is True
    monkeypatch.delenv("ALL_PROXY")
    with client(emu) as c:
        assert c.get_avatar("10000000").available is True


def test_environment_proxy_pinned_by_use_env_proxy(emu, monkeypatch):
    wrong = emu.socks_proxy.replace("ga-p%40ss%2F1", "not-the-password-42")
    monkeypatch.setenv("ALL_PROXY", wrong)
    for v in ("http_proxy", "HTTPS_PROXY", "https_proxy", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(v, raising=False)
    with client(emu) as c:
        assert c.get_avatar("10000000").available is True  # loopback: never via a system proxy
        c.use_env_proxy()
        with pytest.raises(getavatar.NetworkError):
            c.get_avatar("10000000")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        c.use_env_proxy()
        assert c.get_avatar("10000000").available is True
        monkeypatch.setenv("ALL_PROXY", "ftp://u:hunter22@h:1")
        with pytest.raises(getavatar.InvalidArgumentError) as ei:
            c.use_env_proxy()
        assert "ALL_PROXY" in str(ei.value) and "hunter22" not in str(ei.value)
    monkeypatch.setenv("ALL_PROXY", emu.socks_proxy)
    monkeypatch.delenv("NO_PROXY")
    with client(emu, proxy="env") as c:
        assert c.get_avatar("10000000").available is True
