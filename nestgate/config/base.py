"""Shared building blocks for the strict config schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class SecretRef(Strict):
    """Where a credential comes from: an environment variable or a file, never the config itself."""

    env: str | None = Field(None, description=(
        "Name of the environment variable holding the credential (without $). Give exactly one of env and file."))
    file: str | None = Field(None, description=(
        "File holding the credential, relative to the config file; trailing line breaks are ignored. "
        "Give exactly one of env and file."))

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' or 'file'")
        return self

    def describe(self) -> str:
        """Where the value comes from, safe to print."""
        return f"env ${self.env}" if self.env else f"file {self.file}"
