"""MemcovError and the status codes of memcov.h's int calls."""

MCOV_OK = 0
MCOV_E_INVALID_NAME = -1
MCOV_E_NOT_FOUND = -2
MCOV_E_EXISTS = -3
MCOV_E_CORRUPT = -4
MCOV_E_VERSION = -5
MCOV_E_INVALID_ARG = -6
MCOV_E_NO_SPACE = -7
MCOV_E_PERMISSION = -8
MCOV_E_SYSTEM = -9
MCOV_E_TOO_SMALL = -10

STATUS_NAMES = {
    MCOV_OK: "MCOV_OK",
    MCOV_E_INVALID_NAME: "MCOV_E_INVALID_NAME",
    MCOV_E_NOT_FOUND: "MCOV_E_NOT_FOUND",
    MCOV_E_EXISTS: "MCOV_E_EXISTS",
    MCOV_E_CORRUPT: "MCOV_E_CORRUPT",
    MCOV_E_VERSION: "MCOV_E_VERSION",
    MCOV_E_INVALID_ARG: "MCOV_E_INVALID_ARG",
    MCOV_E_NO_SPACE: "MCOV_E_NO_SPACE",
    MCOV_E_PERMISSION: "MCOV_E_PERMISSION",
    MCOV_E_SYSTEM: "MCOV_E_SYSTEM",
    MCOV_E_TOO_SMALL: "MCOV_E_TOO_SMALL",
}


class MemcovError(Exception):
    """A memcov call failed.

    ``code`` is the negative ``mcov_status`` the call returned (compare it with the
    ``MCOV_E_*`` constants of this package) and ``message`` is what ``mcov_last_error()``
    said, which names the problem and what to do about it.
    """

    def __init__(self, code, message):
        self.code = int(code)
        self.message = message
        super().__init__(f"{message} [{STATUS_NAMES.get(self.code, 'unknown status')} ({self.code})]")

    def __reduce__(self):
        return (type(self), (self.code, self.message))
