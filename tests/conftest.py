"""Test-wide setup: hypothesis profiles, and ``tests/`` on the import path for ``corpus``.

Profiles: ``ci`` (the default; keeps the parser's property and parity tests within a minute),
``dev`` (more examples), ``fuzz`` (many more; for long local runs). Choose one with
``HYPOTHESIS_PROFILE=dev pytest``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

# The shared corpus helpers live in tests/corpus; make them importable as `corpus`
# whatever pytest's import mode.
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("dev", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=100_000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
