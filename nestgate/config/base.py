"""Shared building blocks for the strict config schema."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    """Unknown keys and wrong types are errors; values never change after loading."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


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
