"""Exceptions that carry a user-facing, one-line reason."""


class NestgateError(Exception):
    """Base class: the message is meant for the user, one line, no traceback."""


class ConfigError(NestgateError):
    """The target config is missing, malformed or names a key that does not exist."""


class EvidenceUnavailable(NestgateError):
    """A probe could not obtain its evidence (daemon down, endpoint unreachable, file missing).

    A control that meets this fails with the message; it never skips or passes.
    """


class EngineUnreachable(EvidenceUnavailable):
    """The Docker engine did not answer."""


class ComposeRejected(EvidenceUnavailable):
    """The Compose CLI refused the compose file; the message is Compose's own."""


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (library messages carry newlines); its type if empty."""
    return " ".join(str(exc).split()) or type(exc).__name__
