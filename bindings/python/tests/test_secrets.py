"""The token promise as Python sees it (issue 11, part 2): no exception (str, repr, formatted
traceback) or repr holds 8 or more consecutive characters of the token, in any letter case, raw,
percent-encoded or split by CR/LF/NUL, whatever the server answers or the caller gets wrong."""

from __future__ import annotations

import json
import re
import traceback

import pytest

import getavatar
from getavatar import Client


def leaks(token: str, text: str) -> bool:
    """8 consecutive token characters in ``text``, once %XX escapes are decoded and control
    characters, white space and backslash escapes (\\r, \\n, \\t, \\0) are dropped."""
    plain = re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)
    plain = re.sub(r"\\[rnt0]", "", plain)
    plain = "".join(c for c in plain if c.isprintable() and not c.isspace()).lower()
    t = token.lower()
    return any(t[i:i + 8] in plain for i in range(len(t) - 7))


def said(e: BaseException) -> str:
    return "\n".join([str(e), repr(e), "".join(traceback.format_exception(type(e), e, e.__traceback__))])


def test_swapped_arguments_are_described(emu):
    with pytest.raises(getavatar.InvalidArgumentError) as e:
        Client(emu.url, emu.token, emu.id_instance)
    assert not leaks(emu.token, said(e.value)), said(e.value)
    assert "looks like the token" in str(e.value) and "1-19 digits" in str(e.value)
    for url in (emu.token, f"{emu.url}/waInstance{emu.id_instance}/getAvatar/{emu.token}"):
        with pytest.raises(getavatar.InvalidArgumentError) as e:
            Client(url, emu.id_instance, emu.token)
        assert not leaks(emu.token, said(e.value)), said(e.value)


def test_swapped_environment_variables_are_described(emu, monkeypatch):
    monkeypatch.setenv("GA_API_URL", emu.url)
    monkeypatch.setenv("GA_ID_INSTANCE", emu.token)
    monkeypatch.setenv("GA_API_TOKEN_INSTANCE", emu.id_instance)
    with pytest.raises(getavatar.InvalidArgumentError) as e:
        Client.from_env()
    assert not leaks(emu.token, said(e.value)), said(e.value)
    assert "looks like the token" in str(e.value)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_token_as_chat_id_is_not_quoted(emu, language):
    with Client(emu.url, emu.id_instance, emu.token, language=language) as c:
        for chat in (emu.token, emu.token.upper(), emu.token[:20] + "\r\n" + emu.token[20:]):
            with pytest.raises(getavatar.InvalidArgumentError) as e:
                c.get_avatar(chat)
            assert not leaks(emu.token, said(e.value)), said(e.value)
            assert not leaks(emu.token, repr(c))
        assert emu.requests() == []


def test_proxy_password_without_at_is_not_shown(emu):
    url = "http://alice:S3cr3tPw9"  # the traceback quotes the failing line, not this one
    with pytest.raises(getavatar.InvalidArgumentError) as e:
        Client(emu.url, emu.id_instance, emu.token, proxy=url)
    assert "S3cr3tPw9" not in said(e.value), said(e.value)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_server_answers_never_carry_a_fragment(emu, language):
    t = emu.token
    enc = "".join("%%%02x" % ord(ch) for ch in t)
    split = "\r\n\0".join(t[i:i + 5] for i in range(0, len(t), 5))
    cases = [
        (getavatar.ValidationError, dict(status=400, body=json.dumps({"statusCode": 400, "message": "x" * 454 + " " + t}))),
        (getavatar.ValidationError, dict(status=400, body=json.dumps({"statusCode": 400, "message": "at " + enc}))),
        (getavatar.ValidationError, dict(status=400, body='{"statusCode":400,"error":"%s","path":"/waInstance1/getAvatar/%s"' % ("x" * 120, t))),
        (getavatar.ServerError, dict(status=502, body="<html><title>%s %s</title></html>" % ("x" * 179, t), headers={"Content-Type": "text/html"})),
        (getavatar.ServerError, dict(status=500, body="oops " + split, headers={"Content-Type": "text/plain"})),
        (getavatar.QuotaExceededError, dict(status=466, body=json.dumps({"invokeStatus": {"used": 1, "total": 1, "description": "x" * 279 + " " + t}}))),
        (getavatar.BadResponseError, dict(status=302, body="", headers={"Location": "http://portal.example/?next=" + "x" * 150 + t})),
    ]
    with Client(emu.url, emu.id_instance, emu.token, max_retries=0, language=language) as c:
        for cls, fault in cases:
            emu.fault(kind="status", **fault)
            with pytest.raises(cls) as e:
                c.get_avatar("10000000")
            assert not leaks(t, said(e.value)), (fault["status"], said(e.value))


def test_an_avatar_link_holding_the_token_is_refused(emu):
    # The link is data the caller prints and stores (repr(Avatar) showed it whole): a server
    # that puts the token there is not believed, in any letter case or percent-encoded.
    t = emu.token
    enc = "".join("%%%02X" % ord(ch) for ch in t[10:20])
    with Client(emu.url, emu.id_instance, emu.token, max_retries=0) as c:
        for url in ("https://cdn.example/" + t + ".jpg", "https://cdn.example/?k=" + t[5:15].upper(), "https://cdn.example/" + enc):
            emu.fault(kind="status", status=200, body=json.dumps({"urlAvatar": url, "available": True}))
            with pytest.raises(getavatar.BadResponseError) as e:
                c.get_avatar("10000000")
            assert "apiTokenInstance" in str(e.value) and not leaks(t, said(e.value)), said(e.value)
        assert c.get_avatar("10000000").url == f"{emu.url}/avatars/10000000.png"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_token_given_as_trust_is_not_quoted(emu, language):
    # The binding's own refusal quotes the value (its repr): the library's text for it masks
    # what looks like a secret, as it does the input it quotes itself, and cuts a huge one.
    t = emu.token
    with Client(emu.url, emu.id_instance, t, language=language) as c:
        for v in (t, t.upper(), "%".join(t[i:i + 5] for i in range(0, len(t), 5))):
            with pytest.raises(getavatar.InvalidArgumentError) as e:
                c.set_trust(v)
            assert not leaks(t, said(e.value)), said(e.value)
        with pytest.raises(getavatar.InvalidArgumentError) as e:
            c.set_trust("ab, " * 1_000_000)
        assert len(str(e.value)) < 200, len(str(e.value))
    with pytest.raises(getavatar.InvalidArgumentError) as e:
        Client(emu.url, emu.id_instance, t, trust=t, language=language)
    assert not leaks(t, said(e.value)), said(e.value)
