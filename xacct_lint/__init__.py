"""xacct-lint: policy-as-code linter and static analyzer for AWS cross-account IAM role federation."""

from __future__ import annotations

__version__ = "0.1.0"
