"""The Python binding against the emulator: what a Python user relies on."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import getavatar
from getavatar import Avatar, Client


def client(emu, **kw) -> Client:
    kw.setdefault("rate_limit", 0)
    kw.setdefault("backoff", 0.001)
    return Client(emu.url, emu.id_instance, emu.token, **kw)


def test_success_rows(emu):
    with client(emu) as c:
        a = c.get_avatar("10000000")
        assert a == Avatar(f"{emu.url}/avatars/10000000.png", True, 200)
        assert c.get_avatar("-10000000000000").url.endswith("/avatars/-10000000000000.png")
        assert c.get_avatar("20000000") == Avatar("", True, 200)
        assert c.get_avatar("30000000") == Avatar("", False, 200)
        a = c.get_avatar("40000000")
        assert a.available is None and a.url
    assert [r["chat_id"] for r in emu.requests()] == ["10000000", "-10000000000000", "20000000", "30000000", "40000000"]


def test_readme_example_style_and_from_env(emu, monkeypatch):
    monkeypatch.setenv("GA_API_URL", emu.url)
    monkeypatch.setenv("GA_ID_INSTANCE", emu.id_instance)
    monkeypatch.setenv("GA_API_TOKEN_INSTANCE", emu.token)
    with Client.from_env(rate_limit=0) as c:
        assert c.get_avatar("10000000").url.endswith("/avatars/10000000.png")
    monkeypatch.delenv("GA_ID_INSTANCE")
    monkeypatch.delenv("GA_API_TOKEN_INSTANCE")
    with pytest.raises(getavatar.InvalidArgumentError) as e:
        Client.from_env()
    assert "GA_ID_INSTANCE, GA_API_TOKEN_INSTANCE" in str(e.value)


def test_id_instance_may_be_an_int(emu):
    with Client(emu.url, int(emu.id_instance), emu.token, rate_limit=0) as c:
        assert c.get_avatar("10000000").available is True


ERROR_CASES = [
    # (fault, expected class, status name, http status, builtin base or None)
    ({"kind": "status", "status": 400, "body": '{"statusCode":400,"path":"/waInstance1/getAvatar/TOKEN","message":"Validation failed. Details: x"}'},
     getavatar.ValidationError, "GA_ERR_VALIDATION", 400, None),
    ({"kind": "status", "status": 401}, getavatar.UnauthorizedError, "GA_ERR_UNAUTHORIZED", 401, None),
    ({"kind": "status", "status": 403}, getavatar.ForbiddenError, "GA_ERR_FORBIDDEN", 403, None),
    ({"kind": "status", "status": 404}, getavatar.NotFoundError, "GA_ERR_NOT_FOUND", 404, None),
    ({"kind": "status", "status": 429, "times": 4}, getavatar.RateLimitError, "GA_ERR_RATE_LIMITED", 429, None),
    ({"kind": "status", "status": 466, "body": '{"invokeStatus":{"used":5,"total":5}}'},
     getavatar.QuotaExceededError, "GA_ERR_QUOTA_EXCEEDED", 466, None),
    ({"kind": "status", "status": 503, "times": 4}, getavatar.ServerError, "GA_ERR_SERVER", 503, None),
    ({"kind": "slow_headers", "ms": 1500, "times": 4}, getavatar.TimeoutError, "GA_ERR_TIMEOUT", 0, TimeoutError),
    ({"kind": "reset_before_status", "times": 4}, getavatar.NetworkError, "GA_ERR_NETWORK", 0, ConnectionError),
    ({"kind": "invalid_json"}, getavatar.BadResponseError, "GA_ERR_BAD_RESPONSE", 200, None),
]


@pytest.mark.parametrize("fault,cls,name,http,builtin", ERROR_CASES, ids=[c[2] for c in ERROR_CASES])
def test_each_error_class(emu, fault, cls, name, http, builtin):
    fault = dict(fault)
    if "body" in fault:
        fault["body"] = fault["body"].replace("TOKEN", emu.token)
    emu.fault(**fault)
    with client(emu, timeout=0.3) as c:
        with pytest.raises(cls) as e:
            c.get_avatar("10000000")
    err = e.value
    assert isinstance(err, getavatar.Error)
    assert err.status_name == name
    assert err.http_status == http
    assert str(err) and emu.token not in str(err) and emu.token not in repr(err)
    if builtin is not None:
        assert isinstance(err, builtin)
    if cls in (getavatar.UnauthorizedError, getavatar.ForbiddenError):
        assert isinstance(err, getavatar.AuthError)


def test_network_error_when_nothing_listens():
    with Client("http://127.0.0.1:9", "1", "t", max_retries=0) as c:
        with pytest.raises(ConnectionError) as e:
            c.get_avatar("10000000")
    assert "refused" in str(e.value)


@pytest.mark.parametrize(
    "bad",
    ["", "-", "+7 900 123-45-67", "79001234567@c.us", " 100", "100 ", "1e5", "١٢٣", "😀", "1" * 33, "12\x003"],
)
def test_bad_chat_ids(emu, bad):
    with client(emu) as c:
        with pytest.raises(getavatar.InvalidArgumentError) as e:
            c.get_avatar(bad)
    assert isinstance(e.value, ValueError)
    assert e.value.status_name == "GA_ERR_INVALID_ARGUMENT"
    assert emu.requests() == []


@pytest.mark.parametrize("bad", [None, 10000000, b"10000000", 1.5, ["1"]])
def test_non_str_chat_ids(emu, bad):
    with client(emu) as c:
        with pytest.raises(getavatar.InvalidArgumentError) as e:
            c.get_avatar(bad)
    assert isinstance(e.value, TypeError) and isinstance(e.value, ValueError)
    assert "chat_id must be str" in str(e.value)


def test_bad_constructor_arguments():
    cases = [
        (("", "1", "t"), "apiUrl is empty"),
        (("http://example.com", "1", "t"), "loopback"),
        (("https://x.com", "abc", "t"), "idInstance"),
        (("https://x.com", "1", "tök"), "position 2"),
        ((None, "1", "t"), "api_url must be str"),
        (("https://x.com", None, "t"), "id_instance must be str"),
        (("https://x.com", "1", 5), "api_token_instance must be str"),
        (("https://x.com", "1", "\ud800"), "not valid Unicode"),
    ]
    for args, text in cases:
        with pytest.raises(getavatar.InvalidArgumentError) as e:
            Client(*args)
        assert text in str(e.value), (args, str(e.value))
    for kw, text in [({"timeout": 0}, "timeout"), ({"timeout": 601}, "600000"), ({"max_retries": 11}, "0 to 10"),
                     ({"rate_limit": -1}, "0 to 1000"), ({"timeout": "3"}, "int | float, not str"), ({"max_retries": True}, "int")]:
        with pytest.raises(getavatar.InvalidArgumentError) as e:
            Client("https://x.com", "1", "t", **kw)
        assert text in str(e.value), (kw, str(e.value))


def test_token_never_in_repr_or_messages(emu):
    c = client(emu)
    assert emu.token not in repr(c) and emu.id_instance in repr(c)
    emu.fault(kind="status", status=400,
              body='{"statusCode":400,"path":"/waInstance1/getAvatar/%s","message":"bad %s"}' % (emu.token, emu.token.upper()))
    with pytest.raises(getavatar.ValidationError) as e:
        c.get_avatar("10000000")
    assert emu.token.lower() not in str(e.value).lower()
    c.close()
    assert "closed" in repr(c) and emu.token not in repr(c)


def test_use_after_close_is_a_clear_error(emu):
    c = client(emu)
    c.close()
    c.close()  # idempotent
    assert c.closed
    with pytest.raises(getavatar.Error, match="closed"):
        c.get_avatar("10000000")
    with pytest.raises(getavatar.Error, match="closed"):
        c.set_timeout(1)
    with client(emu) as c2:
        pass
    with pytest.raises(getavatar.Error, match="closed"):
        c2.get_avatar("10000000")


def test_close_waits_for_calls_in_flight(emu):
    c = client(emu)
    emu.fault(kind="delay", ms=400)
    result = {}

    def call():
        result["a"] = c.get_avatar("10000000")

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.1)
    c.close()  # must not free the handle under the running call
    t.join()
    assert result["a"].available is True


@pytest.mark.parametrize("cls", [getavatar.Client, getavatar.AsyncClient])
def test_a_client_cannot_be_pickled_and_the_error_says_what_to_do(emu, cls):
    # What a user sees passing a client to a process pool: a TypeError naming the fix, not
    # ctypes' "objects containing pointers cannot be pickled". A copy would share the handle
    # (and free it twice): refused the same way.
    import asyncio
    import copy
    import pickle

    c = cls(emu.url, emu.id_instance, emu.token)
    try:
        for attempt in (pickle.dumps, copy.copy, copy.deepcopy):
            with pytest.raises(TypeError, match=f"getavatar.{cls.__name__} cannot be pickled") as e:
                attempt(c)
            assert "one client per worker process" in str(e.value)
            assert emu.token[:8] not in str(e.value)
    finally:
        if cls is getavatar.AsyncClient:
            asyncio.run(c.aclose())
        else:
            c.close()


def test_threads_share_one_client_and_the_gil_is_released(emu):
    ids = ["10000000", "20000000", "30000000", "40000000", "-10000000000000"]
    errors = []
    with client(emu) as c:
        def worker(n):
            try:
                for i in range(40):
                    cid = ids[(n + i) % len(ids)]
                    a = c.get_avatar(cid)
                    assert (a.url == "") == (cid in ("20000000", "30000000"))
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(emu.requests()) == 320

        # While one thread waits 500 ms inside the library, Python code keeps running.
        emu.fault(kind="delay", ms=500)
        done = threading.Event()
        t = threading.Thread(target=lambda: (c.get_avatar("10000000"), done.set()))
        t.start()
        ticks = 0
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)
        t.join()
        assert ticks > 50, f"the main thread ran only {ticks} times during the call"


def test_version_matches_library():
    v = getavatar.__version__
    assert v == "0.1.0"
    from getavatar import _native
    assert _native.text(_native.lib().ga_version()) == v


def test_library_not_found_lists_places(tmp_path):
    code = (
        "import getavatar\n"
        "try:\n"
        "    getavatar.Client('https://x.com','1','t')\n"
        "except getavatar.LibraryNotFoundError as e:\n"
        "    print(e)\n"
    )
    missing = tmp_path / "nope" / "libgetavatar.so"
    env = dict(os.environ, GETAVATAR_LIBRARY=str(missing))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "cannot load the getavatar library; tried:" in out.stdout
    assert str(missing) in out.stdout and "GETAVATAR_LIBRARY" in out.stdout


def test_library_is_the_packaged_one_when_installed():
    # Installed with pip, the package carries its own library; from a checkout it finds target/.
    p = getavatar.library_path()
    assert p.is_file()
    pkg_dir = Path(getavatar.__file__).resolve().parent
    if os.environ.get("GETAVATAR_EXPECT_PACKAGED") == "1":
        assert p.parent == pkg_dir, p


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_no_leak_over_10000_calls(emu):
    with client(emu) as c:
        for _ in range(1000):  # warm up: connection pool, allocator arenas
            c.get_avatar("10000000")
        for _ in range(200):
            with pytest.raises(getavatar.InvalidArgumentError):
                c.get_avatar("bad")
        gc.collect()
        before = _rss_kib()
        for i in range(10_000):
            c.get_avatar("10000000")
            if i % 10 == 0:
                with pytest.raises(getavatar.InvalidArgumentError):
                    c.get_avatar("bad")
        gc.collect()
        grown = _rss_kib() - before
    assert grown < 1024, f"RSS grew by {grown} KiB over 11,000 calls"


def _readme_python_example() -> str:
    repo = Path(os.environ.get("GETAVATAR_REPO", Path(__file__).resolve().parents[3]))
    text = (repo / "README.md").read_text(encoding="utf-8")
    start = text.index("```python\nimport getavatar")
    return text[start + len("```python\n"): text.index("```", start + 10)]


def test_readme_python_example_runs_against_the_emulator(emu):
    env = dict(os.environ, GA_API_URL=emu.url, GA_ID_INSTANCE=emu.id_instance, GA_API_TOKEN_INSTANCE=emu.token)
    out = subprocess.run([sys.executable, "-c", _readme_python_example()], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{emu.url}/avatars/10000000.png True"


def test_batch_keeps_order_and_returns_errors_in_place(emu):
    with client(emu, concurrency=4) as c:
        ids = ["10000000", "bad", None, "30000000", "-10000000000000", 5, "79001234567@c.us"]
        r = c.get_avatars(ids)
    assert len(r) == len(ids)
    assert isinstance(r[0], Avatar) and r[0].url.endswith("/avatars/10000000.png")
    assert isinstance(r[1], getavatar.InvalidArgumentError) and "group_id" in str(r[1])
    assert isinstance(r[2], getavatar.InvalidArgumentTypeError)
    assert r[3] == Avatar("", False, 200)
    assert r[4].url.endswith("/avatars/-10000000000000.png")
    assert isinstance(r[5], TypeError)
    assert "WhatsApp" in str(r[6])
    assert sorted(q["chat_id"] for q in emu.requests()) == ["-10000000000000", "10000000", "30000000"]


def test_batch_edge_cases(emu):
    with client(emu) as c:
        assert c.get_avatars([]) == []
        with pytest.raises(TypeError):
            c.get_avatars("10000000")
        with pytest.raises(getavatar.InvalidArgumentError):
            c.set_concurrency(0)
        c.set_concurrency(64)
        emu.fault(kind="status", status=400)
        r = c.get_avatars(["10000000"] * 5)
        assert sum(isinstance(x, getavatar.ValidationError) for x in r) == 1
        assert sum(isinstance(x, Avatar) for x in r) == 4


def test_batch_stops_asking_after_a_wrong_token(emu):
    # 401 belongs to the instance: the ids not yet asked get it at once, not a request each.
    with Client(emu.url, emu.id_instance, "f" * 50, rate_limit=0, concurrency=2) as c:
        r = c.get_avatars(["10000000"] * 40)
    assert all(isinstance(x, getavatar.UnauthorizedError) for x in r), r
    assert len(emu.requests()) <= 2
    assert "not sent" in str(r[-1])


def test_ca_file_errors_are_clear(emu, tmp_path):
    with client(emu) as c:
        with pytest.raises(getavatar.InvalidArgumentError, match="cannot read CA file"):
            c.set_ca_file(tmp_path / "missing.pem")
        bad = tmp_path / "bad.pem"
        bad.write_text("hello")
        with pytest.raises(getavatar.InvalidArgumentError, match="is not a certificate: 5 bytes of text"):
            c.set_ca_file(str(bad))
        assert c.get_avatar("10000000").available is True


def test_trust_messages_name_the_python_setting(emu):
    # The emulator's TLS root is in no store: the hint names ca_file=, never the C function.
    with Client(emu.tls_url, emu.id_instance, emu.token, max_retries=0) as c:
        with pytest.raises(getavatar.NetworkError) as e:
            c.get_avatar("10000000")
        assert "UnknownIssuer" in str(e.value) and "trust its root (ca_file=)" in str(e.value), e.value
        assert "ga_client_set" not in str(e.value)
        c.set_ca_file(emu.tls_ca_file)  # adds to the system store
        assert c.get_avatar("10000000").available is True
    with Client(emu.tls_url, emu.id_instance, emu.token, trust="bundled", ca_file=emu.tls_ca_file) as c:
        assert c.get_avatar("10000000").available is True
        c.set_trust("system")
        with pytest.raises(getavatar.InvalidArgumentError, match="trust 'none' is not valid"):
            c.set_trust("none")
        with pytest.raises(TypeError):
            c.set_trust(1)  # type: ignore[arg-type]
    with pytest.raises(getavatar.InvalidArgumentError):
        Client(emu.tls_url, emu.id_instance, emu.token, trust="off")


def test_setting_names_match_the_core_table():
    from getavatar._errors import SETTING_NAMES, python_names

    table = (Path(__file__).resolve().parents[3] / "src" / "settings.rs").read_text()
    import re

    rows = re.findall(r'\["([^"]+)",\s*"(ga_client_set_\w+)",\s*"([^"]+)",\s*"(\w+)",\s*"--[\w-]+"\]', table)
    assert len(rows) == 5 and {c: py for _, c, py, _ in rows} == SETTING_NAMES, rows
    assert python_names("x (ga_client_set_ca_file) y") == "x (ca_file=) y"


def test_cache_ttl_serves_repeats_without_requests(emu):
    with client(emu, cache_ttl=60) as c:
        for _ in range(10):
            assert c.get_avatar("10000000").available is True
        assert len(emu.requests()) == 1
        c.set_cache_ttl(0)
        c.get_avatar("10000000")
        assert len(emu.requests()) == 2
        with pytest.raises(getavatar.InvalidArgumentError):
            c.set_cache_ttl(86_401)


def test_user_agent_reaches_the_server(emu):
    with client(emu, user_agent="sheet-tool/2.0") as c:
        c.get_avatar("10000000")
        with pytest.raises(getavatar.InvalidArgumentError):
            c.set_user_agent("bad\r\nX-Injected: 1")
    assert emu.requests()[0]["user_agent"] == "sheet-tool/2.0"


def test_idle_timeout_and_warm_up(emu):
    with client(emu, idle_timeout=0.5) as c:
        c.warm_up()
        assert emu.requests() == [], "warm-up sends no request"
        assert c.get_avatar("10000000").available is True
        c.set_idle_timeout(0)
        c.set_idle_timeout(3600)
        with pytest.raises(getavatar.InvalidArgumentError, match="0 to 3600000 ms"):
            c.set_idle_timeout(3601)
        with pytest.raises(getavatar.InvalidArgumentError):
            c.set_idle_timeout(-1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with getavatar.Client(f"http://127.0.0.1:{port}", "1101000001", "abc123abc123") as c:
        with pytest.raises(getavatar.NetworkError, match="refused"):
            c.warm_up()


def test_cancelled_status_has_its_exception():
    e = getavatar._errors.from_status(14, "the call was cancelled")
    assert isinstance(e, getavatar.CancelledError) and e.status_name == "GA_ERR_CANCELLED"


@pytest.mark.skipif(sys.platform == "win32", reason="the Windows store is proven under Wine")
def test_stored_credential_outside_windows_is_a_clear_error(emu):
    with pytest.raises(getavatar.InvalidArgumentError, match="available on Windows only"):
        getavatar.save_credential(emu.id_instance, emu.token)
    with pytest.raises(getavatar.InvalidArgumentError, match="available on Windows only"):
        Client.from_credential(emu.url, int(emu.id_instance))
    with pytest.raises(getavatar.InvalidArgumentError, match="available on Windows only"):
        getavatar.delete_credential(emu.id_instance)
    # Arguments are checked first, and a bad token is never echoed.
    with pytest.raises(getavatar.InvalidArgumentError, match="idInstance") as e:
        getavatar.save_credential("12ab", emu.token)
    assert emu.token not in str(e.value)
    with pytest.raises(getavatar.InvalidArgumentError) as e:
        getavatar.save_credential(emu.id_instance, "secret-token with space")
    assert "secret-token" not in str(e.value)
    with pytest.raises(getavatar.InvalidArgumentTypeError):
        getavatar.save_credential(emu.id_instance, None)  # type: ignore[arg-type]


def test_get_avatar_checks_the_chat_id_before_sending(emu):
    # Lookup encodes a plain ASCII str inline; everything else takes utf8()'s checks.
    class Str(str):
        pass

    with client(emu) as c:
        with pytest.raises(getavatar.InvalidArgumentTypeError, match="chat_id must be str, not int"):
            c.get_avatar(10000000)  # type: ignore[arg-type]
        with pytest.raises(getavatar.InvalidArgumentTypeError, match="chat_id must be str, not bytes"):
            c.get_avatar(b"10000000")  # type: ignore[arg-type]
        with pytest.raises(getavatar.InvalidArgumentError, match="chat_id must not contain NUL"):
            c.get_avatar("1000\0")
        with pytest.raises(getavatar.InvalidArgumentError, match="chat_id is not valid Unicode"):
            c.get_avatar("1000\ud800")
        assert emu.requests() == []
        assert c.get_avatar(Str("10000000")).url == f"{emu.url}/avatars/10000000.png"
        assert len(emu.requests()) == 1


def test_batch_goes_on_after_an_answer_cut_short(emu):
    # An answer the server began and cut (headers arrived, the body did not) is that lookup's
    # failure, not the instance's: the server was reached and answers. The ids after it used to
    # get it "not sent" (a NetworkError on the first made every good id fail).
    emu.fault(kind="truncated_body")
    with Client(emu.url, emu.id_instance, emu.token, rate_limit=0, concurrency=1, max_retries=0) as c:
        r = c.get_avatars(["10000000"] * 5)
    assert isinstance(r[0], getavatar.NetworkError) and r[0].http_status == 200, r[0]
    assert all(isinstance(x, Avatar) for x in r[1:]), r
