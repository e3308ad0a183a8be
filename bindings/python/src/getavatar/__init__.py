"""getavatar: GREEN-API's getAvatar method (MAX, v3) for Python, over the getavatar C library.

    import getavatar
    with getavatar.Client(api_url, id_instance, api_token_instance) as client:
        avatar = client.get_avatar("10000000")
        print(avatar.url, avatar.available)

or, in asyncio code, ``async with getavatar.AsyncClient(...) as client:`` and
``await client.get_avatar("10000000")``.
"""

from ._async import AsyncClient
from ._calls import Avatar, AvatarImage
from ._client import Client, delete_credential, save_credential
from ._errors import (
    AuthError,
    BadResponseError,
    CancelledError,
    Error,
    ForbiddenError,
    InternalError,
    FileError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    NetworkError,
    NotFoundError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    TimeoutError,
    UnauthorizedError,
    ValidationError,
)
from ._native import LibraryNotFoundError, library_path


def _version() -> str:
    from . import _native

    return _native.text(_native.lib().ga_version())


def __getattr__(name: str) -> str:
    # __version__ comes from the library itself (ga_version), loaded on first access.
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'getavatar' has no attribute {name!r}")


__all__ = [
    "AsyncClient",
    "Avatar",
    "AvatarImage",
    "AuthError",
    "BadResponseError",
    "CancelledError",
    "Client",
    "Error",
    "ForbiddenError",
    "InternalError",
    "FileError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "LibraryNotFoundError",
    "NetworkError",
    "NotFoundError",
    "QuotaExceededError",
    "RateLimitError",
    "ServerError",
    "TimeoutError",
    "UnauthorizedError",
    "ValidationError",
    "delete_credential",
    "library_path",
    "save_credential",
]
