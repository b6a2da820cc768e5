"""A/B assignment: each shopper lands in one arm of an experiment, always the same one."""

from __future__ import annotations

import hashlib


def assign_arm(shopper_id: str, experiment: str, treatment_share: float) -> str:
    """ "treatment" (personalised ranking) or "control", from a stable hash of experiment and shopper."""
    digest = hashlib.sha256(f"{experiment}:{shopper_id}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    return "treatment" if position < treatment_share else "control"
