"""[target.nodes]: how nestgate reaches each swarm node's files and commands (a testinfra host).

A node is named by its hostname or node ID (a unique ID prefix of 12+ characters counts). With no
entry for it, the node the engine runs on is `local://` when that engine is on this machine; every
other node has no access, and the controls that need its facts fail naming it.
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag, field_validator
from pydantic_core import PydanticCustomError

from nestgate.config.base import Strict

# testinfra backends that reach a node's own files and commands (docker:// is a container: tests only).
SCHEMES = ("local", "ssh", "paramiko", "docker")


def check_spec(value: str) -> str:
    """A testinfra host spec with a scheme nestgate supports; the reason names what is wrong."""
    scheme, sep, _ = value.partition("://")
    if not sep or scheme not in SCHEMES:
        raise PydanticCustomError("node_spec", "not a host spec: expected one of {schemes} followed by the host",
                                  {"schemes": ", ".join(f"{s}://" for s in SCHEMES)})
    host = urllib.parse.urlparse(value).netloc
    if scheme != "local" and not host:
        raise PydanticCustomError("node_spec", "{scheme}:// needs a host (user@host[:port])", {"scheme": scheme})
    if "@" in host and ":" in host.split("@", 1)[0]:
        raise PydanticCustomError("node_spec", "a password in the host spec is refused: use an identity file")
    return value


class NodeHost(Strict):
    """One node's access as a table: the spec plus the ssh options that keep it non-interactive."""

    host: str = Field(description=(
        "testinfra host spec: local://, ssh://user@host[:port], paramiko://user@host[:port], docker://container."))
    identity_file: str = Field("", description="ssh private key (ssh_identity_file), relative to the config file.")
    known_hosts_file: str = Field("", description="ssh UserKnownHostsFile for this node.")
    strict_host_key_checking: Literal["yes", "accept-new", "no"] = Field("yes", description=(
        "ssh StrictHostKeyChecking; \"no\" is for throwaway test hosts only."))

    @field_validator("host")
    @classmethod
    def _spec(cls, value: str) -> str:
        return check_spec(value)


# A union tags its members in error locations; a tagged one says which form was meant.
NodeEntry = Annotated[
    Annotated[Annotated[str, AfterValidator(check_spec)], Tag("spec")] | Annotated[NodeHost, Tag("table")],
    Discriminator(lambda v: "spec" if isinstance(v, str) else "table"),
]


def node_host(value: NodeEntry) -> NodeHost:
    """A node's entry as a table, whichever way the config wrote it."""
    return value if isinstance(value, NodeHost) else NodeHost(host=value)


def validate_nodes(value: dict[str, NodeEntry]) -> dict[str, NodeEntry]:
    if any(not name.strip() for name in value):
        raise PydanticCustomError("node_name", "a node is named by its hostname or node ID, not empty")
    return value
