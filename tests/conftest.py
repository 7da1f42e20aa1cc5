"""Test-session setup shared by every module: hypothesis profiles.

``--hypothesis-profile=fuzz`` turns the bounded fuzz suite (``tests/test_fuzz.py``) into a longer campaign under
pytest: its tests run this profile's example count instead of their CI budget. Registered here because the
hypothesis plugin loads the profile before test modules are imported. Modules that fix their own
``max_examples`` are not affected.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,  # a failure prints the blob that reproduces it with @reproduce_failure
)
