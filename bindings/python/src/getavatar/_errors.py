"""The exceptions getavatar raises: one per kind of failure a caller handles differently."""

from __future__ import annotations

import builtins
from typing import Dict, Type

__all__ = [
    "Error",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "ValidationError",
    "AuthError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "RateLimitError",
    "QuotaExceededError",
    "ServerError",
    "TimeoutError",
    "NetworkError",
    "BadResponseError",
    "InternalError",
    "FileError",
    "CancelledError",
    "STATUS_NAMES",
]

STATUS_NAMES = {
    0: "GA_OK",
    1: "GA_ERR_INVALID_ARGUMENT",
    2: "GA_ERR_VALIDATION",
    3: "GA_ERR_UNAUTHORIZED",
    4: "GA_ERR_FORBIDDEN",
    5: "GA_ERR_NOT_FOUND",
    6: "GA_ERR_RATE_LIMITED",
    7: "GA_ERR_QUOTA_EXCEEDED",
    8: "GA_ERR_SERVER",
    9: "GA_ERR_TIMEOUT",
    10: "GA_ERR_NETWORK",
    11: "GA_ERR_BAD_RESPONSE",
    12: "GA_ERR_INTERNAL",
    13: "GA_ERR_IO",
    14: "GA_ERR_CANCELLED",
}


#: Settings a library message may tell the caller to change: the C function the message names,
#: and what sets it here (the table in src/settings.rs, SETTING_NAMES; a test checks they match).
SETTING_NAMES = {
    "ga_client_set_ca_file": "ca_file=",
    "ga_client_set_trust": "trust=",
    "ga_client_set_proxy": "proxy=",
    "ga_client_set_deadline_ms": "deadline=",
    "ga_client_set_timeout_ms": "timeout=",
}


def python_names(message: str) -> str:
    """``message`` with each setting's C function replaced by its Python name."""
    if "ga_" in message:
        for c_name, py_name in SETTING_NAMES.items():
            message = message.replace(c_name, py_name)
    return message


class Error(Exception):
    """A getavatar failure. ``str(e)`` is the library's message (the token never appears in it).

    Attributes: ``status`` (the GaStatus number), ``status_name`` (e.g. ``"GA_ERR_TIMEOUT"``),
    ``http_status`` (the last HTTP status received, 0 when none).
    """

    status: int
    http_status: int

    def __init__(self, message: str, status: int = 12, http_status: int = 0) -> None:
        super().__init__(python_names(message))
        self.status = status
        self.http_status = http_status

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, "GA_ERR_UNKNOWN")

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status_name}, http_status={self.http_status})"


class InvalidArgumentError(Error, ValueError):
    """A bad argument (None, wrong type, malformed URL or chatId, option out of range). No request was sent."""


class InvalidArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument of the wrong type (e.g. None or an int where a str is expected)."""


class ValidationError(Error):
    """The server rejected the request (HTTP 400)."""


class AuthError(Error):
    """The server refused the credentials (HTTP 401 or 403)."""


class UnauthorizedError(AuthError):
    """HTTP 401: check apiTokenInstance."""


class ForbiddenError(AuthError):
    """HTTP 403: check idInstance and apiUrl."""


class NotFoundError(Error):
    """HTTP 404: check apiUrl."""


class RateLimitError(Error):
    """HTTP 429 on every attempt, or the server asked to wait longer than 60 s."""


class QuotaExceededError(Error):
    """HTTP 466: the plan's quota is used up."""


class ServerError(Error):
    """HTTP 5xx or 499 on every attempt."""


class TimeoutError(Error, builtins.TimeoutError):  # noqa: A001 - getavatar.TimeoutError, like the builtin
    """No complete answer within the timeout on every attempt."""


class NetworkError(Error, ConnectionError):
    """DNS failure, connection refused or reset, TLS failure."""


class BadResponseError(Error):
    """The server's answer was unusable: not JSON, wrong shape, too large, a redirect, an unexpected status."""


class InternalError(Error):
    """A bug in getavatar; please report it."""


class FileError(Error, OSError):
    """The downloaded image could not be written to the file (missing folder, no permission, disk full)."""


class CancelledError(Error):
    """The call was cancelled (``ga_cancel`` on its token) before it finished.

    ``Client`` and ``AsyncClient`` do not raise it for their own calls: Ctrl-C during a call
    raises ``KeyboardInterrupt`` and a cancelled asyncio task ``asyncio.CancelledError``, as
    Python code expects. It is deliberately *not* a subclass of either: it is an ordinary
    failure of a call (``except getavatar.Error`` catches it), never mistaken by asyncio for
    the cancellation of a task, nor by a ``except Exception`` block for a request to stop.
    """


_BY_STATUS: Dict[int, Type[Error]] = {
    1: InvalidArgumentError,
    2: ValidationError,
    3: UnauthorizedError,
    4: ForbiddenError,
    5: NotFoundError,
    6: RateLimitError,
    7: QuotaExceededError,
    8: ServerError,
    9: TimeoutError,
    10: NetworkError,
    11: BadResponseError,
    12: InternalError,
    13: FileError,
    14: CancelledError,
}


def from_status(status: int, message: str, http_status: int = 0) -> Error:
    """The exception for a GaStatus number."""
    return _BY_STATUS.get(status, Error)(message, status, http_status)
