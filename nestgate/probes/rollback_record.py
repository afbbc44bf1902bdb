"""The rollback record a deploy wrapper may write (INF-08).

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
