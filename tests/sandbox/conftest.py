"""Fixtures for the Stripe sandbox tests (the helpers live in :mod:`.stripe_harness`).

Named ``stripe_*`` so they cannot shadow anything the other sandbox tests here use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .stripe_harness import Harness, HarnessFactory, HarnessPool


@pytest.fixture
async def make_stripe_sandbox() -> AsyncIterator[HarnessFactory]:
    """Build Stripe sandboxes: ``await make_stripe_sandbox(fault=..., latency_ms=...,
    start=..., hang_from=...)``. Every client is closed at the end of the test."""
    pool = HarnessPool()
    yield pool.build
    await pool.aclose()


@pytest.fixture
async def stripe_sandbox(make_stripe_sandbox: HarnessFactory) -> Harness:
    """A Stripe sandbox with no faults, its clock at 2024-01-15 11:00 UTC."""
    return await make_stripe_sandbox()
