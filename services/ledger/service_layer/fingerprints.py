"""A request's fingerprint: kept with its operation id, so a repeat of the same request is
recognised and a different request under the same id is refused."""

import hashlib
import json
from dataclasses import asdict
from typing import Any


def fingerprint(command: Any) -> str:
    canonical = json.dumps(asdict(command), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
