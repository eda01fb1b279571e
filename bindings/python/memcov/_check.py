"""Turning the int results of memcov calls into MemcovError."""

from .errors import MemcovError
from .library import load


def last_error():
    """What went wrong last in this thread, as mcov_last_error() says; "" if nothing did."""
    raw = load().mcov_last_error()
    return raw.decode("utf-8", "replace") if raw else ""


def check(rc):
    """Return rc when it is not negative; else raise MemcovError with the native message."""
    if rc < 0:
        raise MemcovError(rc, last_error())
    return rc
