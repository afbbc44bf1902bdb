"""Shared building blocks for the strict config schema."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from nestgate.errors import ConfigError

# Bounded number types shared by the sections. Single lower bounds (a timeout > 0, a count >= 1) are
# written as gt/ge on each Field; these are the ranges with both ends. A check fed a value outside
# them judges nothing (a CPU limit of 150 % never trips; port 0 probes nothing).
PORT_MIN, PORT_MAX = 1, 65535
Port = Annotated[int, Field(ge=PORT_MIN, le=PORT_MAX)]
Percent = Annotated[float, Field(gt=0, le=100)]


class Strict(BaseModel):
    """Unknown keys and wrong types are errors; values never change after loading. TOML's inf and nan
    are refused: an infinite limit or window makes its check vacuous, and nan compares false to all."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A credential is a line or a key, never more: the cap keeps /dev/zero-like files from filling memory.
SECRET_FILE_MAX = 64 * 1024


class SecretRef(Strict):
    """Where a credential comes from: an environment variable or a file, never the config itself."""

    # a credential pasted where the name goes must not reach an error message
    model_config = ConfigDict(hide_input_in_errors=True)

    env: str | None = Field(None, description=(
        "Name of the environment variable holding the credential (without $). Give exactly one of env and file."))
    file: str | None = Field(None, description=(
        "File holding the credential, relative to the config file; trailing line breaks are ignored. "
        "Give exactly one of env and file."))

    @field_validator("env")
    @classmethod
    def _variable_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.fullmatch(value):
            raise PydanticCustomError("env_name", "not a valid variable name (value not shown)")
        return value

    @field_validator("file")
    @classmethod
    def _some_path(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or "\0" in value):
            raise PydanticCustomError("file_path", "not a file path")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' or 'file'")
        return self

    def describe(self) -> str:
        """Where the value comes from, safe to print."""
        return f"env ${self.env}" if self.env else f"file {self.file}"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_secret_file(path: Path) -> str:
    """A secret file's text without trailing line breaks; ConfigError (one line) for anything but a
    regular UTF-8 file of at most SECRET_FILE_MAX bytes. Never blocks: the kind is checked before
    opening (a FIFO's open waits for a writer, a device's read never ends), the open is non-blocking
    against a swap in between, and at most cap + 1 bytes are read."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"secret file {path} is {_kind(mode)}, not a regular file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise ConfigError(f"cannot read secret file {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"secret file {path} is {_kind(info.st_mode)}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= SECRET_FILE_MAX and (chunk := os.read(fd, SECRET_FILE_MAX + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ConfigError(f"cannot read secret file {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > SECRET_FILE_MAX:
        raise ConfigError(f"secret file {path} is larger than {SECRET_FILE_MAX // 1024} KiB: not a credential")
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"secret file {path} is not UTF-8 text") from None
    # Secret files written with `echo` end in a newline that is not part of the value.
    return text.rstrip("\r\n")
