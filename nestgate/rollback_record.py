"""INF-08: the rollback record a deploy wrapper may write, and what counts as a rollback target.

Record format (JSON): {"services": {"<service>": {"previous_image": "<image reference>"}}}.
"""

from __future__ import annotations

import json
from pathlib import Path

from nestgate.errors import EvidenceUnavailable


def read_record(path: Path) -> dict[str, str]:
    """Service -> previous image from the record file; a broken file is evidence unavailable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvidenceUnavailable(f"rollback record {path} cannot be read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EvidenceUnavailable(f"rollback record {path} is not valid JSON: {exc}") from None
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        raise EvidenceUnavailable(f"rollback record {path}: expected {{\"services\": {{...}}}} at the top level")
    out: dict[str, str] = {}
    for name, entry in services.items():
        image = entry.get("previous_image") if isinstance(entry, dict) else None
        if not isinstance(image, str) or not image.strip():
            raise EvidenceUnavailable(f"rollback record {path}: services.{name}.previous_image is not a string")
        out[str(name)] = image.strip()
    return out


def problem(service: str, current: str, previous: str, origin: str, exists: bool | None) -> str | None:
    """Why a service cannot be rolled back to `previous`; None when it can."""
    if not previous:
        return f"{service}: no previous image recorded to roll back to ({origin}); current image {current}"
    if previous == current:
        return (f"{service}: the previous spec ({origin}) runs the current image {current}: "
                "nothing older to roll back to")
    if not exists:
        return f"{service}: previous image {previous} ({origin}) is not present on the engine"
    return None
