"""A local Stripe: the Checkout Session API the ``stripe`` package speaks, hosted checkout
pages, and signed webhooks to the router.

``build_stripe_sandbox(context)`` returns a Starlette app for the router to mount at
``/sandbox/<instance>`` (``context.base_url``). Routes, relative to that base:

- ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/{id}``,
  ``POST /v1/checkout/sessions/{id}/expire``, ``GET /v1/checkout/sessions/{id}/line_items``,
  ``GET /v1/payment_intents/{id}``, ``GET /v1/events`` (``delivery_success=false`` lists
  the events whose webhook failed), ``GET /v1/events/{id}``: Bearer ``sk_test_`` auth,
  form-encoded params, Stripe's errors and idempotency; ``context.settings.sandbox``
  (``latency_ms``, ``fault``) applies to these only.
- ``GET /pay/{id}``: the checkout page; ``POST /pay/{id}/outcome`` with ``outcome`` =
  ``paid`` | ``failed`` | ``cancelled``: settles it, sends the event, answers 303.
"""

from __future__ import annotations

from starlette.applications import Starlette

from providers.base import SandboxContext
from providers.sandbox.stripe_api import StripeApi
from providers.sandbox.stripe_events import EventSender
from providers.sandbox.stripe_payer import PayerPages
from providers.sandbox.stripe_sessions import Sessions
from providers.sandbox.stripe_state import SandboxState

__all__ = ["build_stripe_sandbox"]


def build_stripe_sandbox(context: SandboxContext) -> Starlette:
    """Build one sandbox with its own memory.

    ``context.credentials`` must hold ``api_key`` (the key callers must present) and
    ``webhook_secret`` (signs the events). Raises ``KeyError`` naming the missing one.
    The app's state is reachable as ``app.state.stripe_sandbox`` (a
    :class:`~providers.sandbox.stripe_state.SandboxState`) for inspection.
    """
    for secret in ("api_key", "webhook_secret"):
        if not context.credentials.get(secret):
            raise KeyError(f"the Stripe sandbox needs credentials[{secret!r}]")
    state = SandboxState()
    sessions = Sessions(context, state, EventSender(context, state))
    app = Starlette(
        routes=[
            *PayerPages(context, sessions).routes(),
            *StripeApi(context, state, sessions).routes(),
        ]
    )
    app.state.stripe_sandbox = state
    return app
