"""The adapter kit: a pytest suite every payrouter adapter must pass.

Subclass :class:`AdapterContract` in a test module of your adapter's package::

    from providers.testing import AdapterContract

    class TestExamplePay(AdapterContract):
        adapter = "example_pay"      # the entry-point name: the kit loads it as the router does
        settings = {"currencies": ["USD"], "methods": ["card"]}   # one instance's config

and run pytest (the package must be installed, so that its entry point is registered).
Each test builds the instance the way the router does (see :mod:`providers.testing_world`)
and talks to it through the :class:`~providers.base.ProviderAdapter` Protocol only, with the
adapter's own sandbox behind it. The suite checks:

- **capabilities** declared up front (ISO 4217 currencies, known methods, coherent bounds),
  credentials that all have sandbox values, ``validate_options`` refusing unknown keys;
- **create/status/expire**: an absolute checkout URL, idempotent creation, PENDING after
  create, COMPLETED after the payer pays on the sandbox page, the failed outcome, expiry
  as the capabilities say, unknown references refused without retry;
- **error mapping**: sandbox faults ``error`` (retryable), ``timeout`` (ProviderTimeoutError
  within the instance's ``timeout_seconds``) and nothing listening (ProviderUnavailableError);
  garbage answers and odd references never let anything but a ProviderError out; no
  credential ever appears in an error;
- **webhooks**: what the sandbox really sends verifies and names the checkout; garbage,
  missing headers, tampered bodies, swapped or foreign signatures and stale notifications
  are refused (the last four only for adapters whose notifications are trusted).

Class attributes tune it for a provider (see :class:`AdapterContract`). The tests are
marked ``@pytest.mark.asyncio``, so they run with pytest-asyncio in strict or auto mode.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any, ClassVar, TypeVar

import pytest
from starlette.datastructures import Headers

from providers.base import (
    CheckoutCreated,
    CheckoutRequest,
    Customer,
    LineItem,
    PaymentStatus,
    ProviderAdapter,
    ProviderStatus,
)
from providers.errors import (
    AdapterConfigError,
    NonRetryableProviderError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RetryableProviderError,
    WebhookVerificationError,
)
from providers.testing_checks import (
    check_absolute_url,
    check_capabilities,
    check_no_secret,
    expect_not_retryable,
    expect_provider_error,
    expect_rejected,
    expect_retryable,
    fail,
    guarded,
    leaked,
    result_or_provider_error,
    verify_or_fail,
)
from providers.testing_samples import GARBAGE_BODIES, JUNK_ANSWERS, ODD_REFERENCES
from providers.testing_world import (
    AdapterWorld,
    JunkAnswer,
    KitClock,
    KitSleep,
    KitTransport,
    Notification,
    open_world,
)
from router.money import exponent
from router.settings import ConfigError

T = TypeVar("T")

__all__ = [
    "AdapterContract",
    "AdapterWorld",
    "JunkAnswer",
    "KitClock",
    "KitSleep",
    "KitTransport",
    "Notification",
    "OpenCheckout",
    "open_world",
]

# Headers any HTTP client adds; whatever else a sandbox sends is the provider's own.
_TRANSPORT_HEADERS = frozenset(
    {
        "host",
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "content-type",
        "user-agent",
    }
)


@dataclass(frozen=True)
class OpenCheckout:
    """A checkout the kit created: the request it sent and what the adapter answered."""

    request: CheckoutRequest
    created: CheckoutCreated

    @property
    def reference(self) -> str:
        return self.created.provider_reference


class AdapterContract:
    """The suite; subclass it as ``Test<YourProvider>`` and set at least ``adapter`` and
    ``settings``."""

    #: The entry-point name in the group ``payrouter.providers``.
    adapter: ClassVar[str]
    #: One instance's config, as under ``providers.<name>`` in config.yaml (mode and
    #: adapter are set by the kit). The first currency and method are used for checkouts.
    settings: ClassVar[Mapping[str, Any]]
    #: The instance name the router would know it by.
    instance_name: ClassVar[str] = "kit"
    #: The status after the payer's ``failed`` outcome: FAILED, or PENDING for a provider
    #: where the payer may try again on the same checkout.
    status_after_failed: ClassVar[PaymentStatus] = PaymentStatus.FAILED
    #: Whether the adapter's notifications are trusted (signed, so the router believes
    #: what they say) or only hints that make the router re-read the status.
    trusted_notifications: ClassVar[bool] = True
    #: A trusted notification this much older than the clock is refused (a replay);
    #: ``None`` skips that check.
    stale_notification_age: ClassVar[timedelta | None] = timedelta(hours=1)
    #: The amount of the kit's checkouts; ``None`` picks one the capabilities allow.
    checkout_amount: ClassVar[Decimal | None] = None
    #: A well-formed reference the provider does not know.
    unknown_reference: ClassVar[str] = "kit_unknown_reference_0001"
    #: The instance's timeout_seconds while the sandbox hangs (the suite's only real wait).
    timeout_seconds: ClassVar[Decimal] = Decimal("0.05")
    #: How long the kit waits for any one adapter call before declaring it hung.
    hang_guard_seconds: ClassVar[float] = 5.0

    # --- building blocks, usable from your own tests too -------------------------------

    @asynccontextmanager
    async def world(self, **overrides: Any) -> AsyncIterator[AdapterWorld]:
        """:func:`providers.testing_world.open_world` for this class's adapter and settings.

        Fails the test with the router's own message when the adapter cannot be built.
        """
        adapter = getattr(self, "adapter", None)
        settings = getattr(self, "settings", None)
        if not isinstance(adapter, str) or not isinstance(settings, Mapping):
            fail(
                f"{type(self).__name__} must set `adapter` (the entry-point name) and "
                "`settings` (one instance's config)"
            )
        entered = False
        try:
            async with open_world(
                adapter, settings, instance_name=self.instance_name, **overrides
            ) as world:
                entered = True
                yield world
        except (AdapterConfigError, ConfigError) as exc:
            if entered:
                raise
            fail(
                f"the router could not build the instance: {exc}. Is the package installed "
                "(pip install -e .), so that its entry point in group payrouter.providers "
                "is registered, and are `settings` valid?"
            )

    def checkout_request(self, world: AdapterWorld) -> CheckoutRequest:
        """A new checkout attempt shaped like the router's: a fresh session id, the
        router's idempotency-key scheme and return URLs, one item, an hour to pay."""
        session_id = str(uuid.uuid4())
        currency = world.settings.currencies[0]
        amount = self._amount(world, currency)
        return CheckoutRequest(
            session_id=session_id,
            idempotency_key=f"payrouter-{session_id}-{world.instance_name}",
            order_reference=f"KIT-{session_id[:8].upper()}",
            method=world.settings.methods[0],
            currency=currency,
            amount_total=amount,
            shipping_amount=Decimal(0),
            tax_amount=Decimal(0),
            items=(LineItem("Adapter kit test item", 1, amount, "KIT-1"),),
            customer=Customer(email="payer@example.com", first_name="Kit", last_name="Payer"),
            success_url=world.return_url(session_id, "success"),
            cancel_url=world.return_url(session_id, "cancel"),
            expires_at=world.clock() + timedelta(hours=1),
            locale="en",
            metadata={"orderReference": f"KIT-{session_id[:8].upper()}"},
        )

    async def create(self, world: AdapterWorld, request: CheckoutRequest) -> CheckoutCreated:
        """``create_checkout`` that must succeed, with its answer checked."""
        created = await self._must("create_checkout", world.adapter.create_checkout(request))
        if not isinstance(created, CheckoutCreated):
            fail(f"create_checkout returned {type(created).__name__}, not CheckoutCreated")
        if not isinstance(created.provider_reference, str) or not created.provider_reference:
            fail(f"create_checkout returned no provider_reference: {created!r}")
        check_absolute_url(created.checkout_url, "checkout_url")
        check_no_secret(created.checkout_url, world.secrets(), "checkout_url")
        if created.expires_at is not None and created.expires_at.utcoffset() is None:
            fail("CheckoutCreated.expires_at is a naive datetime: give it a timezone (UTC)")
        return created

    async def open_checkout(self, world: AdapterWorld) -> OpenCheckout:
        request = self.checkout_request(world)
        return OpenCheckout(request, await self.create(world, request))

    async def status(self, world: AdapterWorld, reference: str) -> ProviderStatus:
        """``get_status`` that must succeed, with its answer checked."""
        status = await self._must("get_status", world.adapter.get_status(reference))
        self._check_status(status, reference, "get_status")
        return status

    async def pay(self, world: AdapterWorld, checkout: OpenCheckout, outcome: str) -> None:
        """The payer picks ``outcome`` on the sandbox's hosted page."""
        response = await world.pay(checkout.created.checkout_url, outcome)
        if response.status_code != 303:
            fail(
                f"POST {checkout.created.checkout_url}/outcome (outcome={outcome}) answered "
                f"{response.status_code}; the sandbox page takes the form and answers 303 to "
                "where the provider sends the payer (CONTRACT.md, Sandbox providers)"
            )

    async def paid_notifications(
        self, world: AdapterWorld
    ) -> tuple[OpenCheckout, list[Notification]]:
        """A paid checkout and the notifications its sandbox sent about the payment."""
        if not world.instance.capabilities.has_webhooks:
            pytest.skip("the adapter declares has_webhooks=False")
        checkout = await self.open_checkout(world)
        before = len(world.notifications)
        await self.pay(world, checkout, "paid")
        sent = world.notifications[before:]
        if not sent:
            fail(
                "the sandbox sent nothing to the router's webhook URL when the payer paid: "
                "it must notify (awaited, before it answers the form) as the provider would"
            )
        return checkout, sent

    # --- capabilities, credentials, options --------------------------------------------

    @pytest.mark.asyncio
    async def test_capabilities_are_declared_up_front(self) -> None:
        async with self.world() as world:
            check_capabilities(world.factory.capabilities(), "factory.capabilities()")
            adapter = world.adapter
            if not isinstance(adapter, ProviderAdapter):
                fail(f"{type(adapter).__name__} lacks part of the ProviderAdapter Protocol")
            check_capabilities(adapter.capabilities, "adapter.capabilities")
            if adapter.name != world.instance_name:
                fail(
                    f"adapter.name is {adapter.name!r}; it must be the instance's name "
                    f"({world.instance_name!r}) from AdapterContext.instance_name"
                )
            missing_currencies = set(world.settings.currencies) - adapter.capabilities.currencies
            missing_methods = set(world.settings.methods) - adapter.capabilities.methods
            if missing_currencies or missing_methods:
                fail(
                    f"the instance is configured for {sorted(missing_currencies)} "
                    f"{sorted(missing_methods)} which adapter.capabilities does not declare"
                )

    @pytest.mark.asyncio
    async def test_every_required_credential_has_a_sandbox_value(self) -> None:
        async with self.world() as world:
            required = world.factory.required_credentials
            if not isinstance(required, tuple) or len(set(required)) != len(required):
                fail(f"required_credentials is {required!r}: a tuple of distinct names")
            for secret in required:
                value = world.factory.sandbox_credentials.get(secret)
                if not isinstance(value, str) or not value:
                    fail(
                        f"sandbox_credentials has no value for {secret!r}: sandbox mode must "
                        "work with no environment set"
                    )

    @pytest.mark.asyncio
    async def test_validate_options_rejects_an_unknown_key(self) -> None:
        async with self.world() as world:
            world.factory.validate_options(world.settings.options)
            key = "kit_no_such_option"
            try:
                world.factory.validate_options({**world.settings.options, key: "x"})
            except ValueError as exc:
                if key not in str(exc):
                    fail(f"validate_options raised {exc!r} without naming the key {key!r}")
                return
            except Exception as exc:
                fail(f"validate_options raised {type(exc).__name__}; it must raise ValueError")
            fail(f"validate_options accepted an unknown option {key!r}: typos must be errors")

    # --- create, status, expire -----------------------------------------------------------

    @pytest.mark.asyncio
    async def test_create_returns_an_absolute_checkout_url_the_payer_can_open(self) -> None:
        async with self.world() as world:
            checkout = await self.open_checkout(world)
            page = await world.http.get(checkout.created.checkout_url)
            if page.status_code != 200 or "html" not in page.headers.get("content-type", ""):
                fail(
                    f"GET {checkout.created.checkout_url} answered {page.status_code} "
                    f"{page.headers.get('content-type')}; the sandbox serves the hosted "
                    "checkout as an HTML page at checkout_url"
                )

    @pytest.mark.asyncio
    async def test_the_same_idempotency_key_gives_the_same_checkout(self) -> None:
        async with self.world() as world:
            first = await self.open_checkout(world)
            again = await self.create(world, first.request)
            if again.provider_reference != first.reference:
                fail(
                    f"create_checkout with the same idempotency key made a second checkout "
                    f"({first.reference!r}, then {again.provider_reference!r}): a retry "
                    "after a timeout must get the same one back"
                )
            other = await self.open_checkout(world)
            if other.reference == first.reference:
                fail(
                    "a new attempt (another session and idempotency key) got the same "
                    f"checkout {first.reference!r}"
                )

    @pytest.mark.asyncio
    async def test_status_is_pending_right_after_create(self) -> None:
        async with self.world() as world:
            checkout = await self.open_checkout(world)
            status = await self.status(world, checkout.reference)
            if status.status is not PaymentStatus.PENDING:
                fail(
                    f"get_status right after create is {status.status} ({status.provider_status})"
                    "; an unpaid checkout is PENDING"
                )

    @pytest.mark.asyncio
    async def test_paying_on_the_sandbox_page_completes_the_checkout(self) -> None:
        async with self.world() as world:
            checkout = await self.open_checkout(world)
            await self.pay(world, checkout, "paid")
            status = await self.status(world, checkout.reference)
            if status.status is not PaymentStatus.COMPLETED:
                fail(
                    f"after the payer paid, get_status is {status.status} "
                    f"({status.provider_status}); expected COMPLETED"
                )

    @pytest.mark.asyncio
    async def test_a_failed_payment_has_the_declared_status(self) -> None:
        async with self.world() as world:
            checkout = await self.open_checkout(world)
            await self.pay(world, checkout, "failed")
            status = await self.status(world, checkout.reference)
            if status.status is not self.status_after_failed:
                fail(
                    f"after the payer's payment failed, get_status is {status.status} "
                    f"({status.provider_status}); the class declares status_after_failed="
                    f"{self.status_after_failed}"
                )

    @pytest.mark.asyncio
    async def test_an_unknown_reference_is_refused_without_retry(self) -> None:
        async with self.world() as world:
            exc = await self._error(
                world, "get_status", world.adapter.get_status, self.unknown_reference
            )
            if not isinstance(exc, NonRetryableProviderError):
                fail(
                    f"get_status of an unknown reference raised {type(exc).__name__} "
                    f"({exc.code}); expected NonRetryableProviderError"
                )
            exc = await self._error(world, "expire", world.adapter.expire, self.unknown_reference)
            expect_not_retryable(exc, "expire of an unknown reference")

    @pytest.mark.asyncio
    @pytest.mark.parametrize("reference", ODD_REFERENCES, ids=lambda r: repr(r)[:24])
    async def test_odd_references_raise_only_provider_errors(self, reference: str) -> None:
        async with self.world() as world:
            for operation in (world.adapter.get_status, world.adapter.expire):
                await self._error(world, operation.__name__, operation, reference)

    @pytest.mark.asyncio
    async def test_expire_closes_an_open_checkout_as_the_capabilities_say(self) -> None:
        async with self.world() as world:
            checkout = await self.open_checkout(world)
            if not world.instance.capabilities.can_expire:
                exc = await self._error(world, "expire", world.adapter.expire, checkout.reference)
                expect_not_retryable(exc, "expire by an adapter declaring can_expire=False")
                status = await self.status(world, checkout.reference)
                if status.status is not PaymentStatus.PENDING:
                    fail(f"a refused expire left the checkout {status.status}, not PENDING")
                return
            before = len(world.notifications)
            expired = await self._must("expire", world.adapter.expire(checkout.reference))
            self._check_status(expired, checkout.reference, "expire")
            if expired.status is not PaymentStatus.EXPIRED:
                fail(f"expire of an open checkout returned {expired.status}; expected EXPIRED")
            if (await self.status(world, checkout.reference)).status is not PaymentStatus.EXPIRED:
                fail("get_status after expire is not EXPIRED")
            retried = await self._must("expire", world.adapter.expire(checkout.reference))
            if retried.status is not PaymentStatus.EXPIRED:
                fail(
                    f"expiring an expired checkout again returned {retried.status}; a retry "
                    "after a lost answer must be harmless (EXPIRED)"
                )
            await world.pay(checkout.created.checkout_url, "paid")
            late = await self.status(world, checkout.reference)
            if late.status is not PaymentStatus.EXPIRED:
                fail(f"the payer could still pay an expired checkout (now {late.status})")
            for note in world.notifications[before:]:
                verify_or_fail(world.adapter, note.headers, note.body, "the expiry notification")

    @pytest.mark.asyncio
    async def test_expiring_a_paid_checkout_never_expires_it(self) -> None:
        async with self.world() as world:
            checkout = await self.open_checkout(world)
            await self.pay(world, checkout, "paid")
            answer = await self._answer(world, "expire", world.adapter.expire(checkout.reference))
            if isinstance(answer, ProviderError):
                expect_not_retryable(answer, "expire of a paid checkout")
            elif answer.status is not PaymentStatus.COMPLETED:
                fail(
                    f"expire of a paid checkout returned {answer.status}; raise "
                    "NonRetryableProviderError or return its COMPLETED status"
                )
            status = await self.status(world, checkout.reference)
            if status.status is not PaymentStatus.COMPLETED:
                fail(f"a paid checkout is {status.status} after an expire attempt")

    # --- error mapping --------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_a_provider_error_is_retryable(self) -> None:
        async with self.world(fault="error") as world:
            await self._each_call_raises(world, RetryableProviderError)

    @pytest.mark.asyncio
    async def test_a_hung_provider_is_a_timeout(self) -> None:
        async with self.world(fault="timeout", timeout_seconds=self.timeout_seconds) as world:
            await self._each_call_raises(world, ProviderTimeoutError)
            if world.sleep.hangs == 0:
                fail(
                    "the sandbox never hung: its fault mode `timeout` must wait through the "
                    "injected SandboxContext.sleep (a long wait) before answering"
                )

    @pytest.mark.asyncio
    async def test_nothing_listening_is_unavailable(self) -> None:
        async with self.world(fault="refuse") as world:
            await self._each_call_raises(world, ProviderUnavailableError)
            if not world.transport.refused:
                fail(
                    "the adapter never called AdapterContext.api_base: in sandbox mode it "
                    "must talk to the API base the router gives it, over AdapterContext.http"
                )

    @pytest.mark.asyncio
    @pytest.mark.parametrize("junk", JUNK_ANSWERS, ids=lambda junk: junk.name)
    async def test_garbage_answers_raise_only_provider_errors(self, junk: JunkAnswer) -> None:
        async with self.world(junk=junk) as world:
            request = self.checkout_request(world)
            created = await self._answer(
                world, "create_checkout", world.adapter.create_checkout(request)
            )
            if isinstance(created, CheckoutCreated):
                # Accepting it is allowed only if the answer is still a usable checkout.
                check_absolute_url(created.checkout_url, f"checkout_url read from {junk.name}")
            for operation in (world.adapter.get_status, world.adapter.expire):
                answer = await self._answer(
                    world, operation.__name__, operation(self.unknown_reference)
                )
                if isinstance(answer, ProviderError):
                    continue
                if not isinstance(answer, ProviderStatus) or answer.status.is_terminal:
                    # Reading junk as "still pending" is harmless; as an outcome, it is not.
                    fail(
                        f"{operation.__name__} read the junk answer {junk.name} as {answer!r}; "
                        "raise RetryableProviderError for an answer you cannot read"
                    )

    # --- webhooks -------------------------------------------------------------------------

    @pytest.mark.asyncio
    async def test_a_notification_the_sandbox_sent_verifies(self) -> None:
        async with self.world() as world:
            checkout, sent = await self.paid_notifications(world)
            notes = [
                verify_or_fail(world.adapter, n.headers, n.body, "a notification") for n in sent
            ]
            for note in notes:
                if note.trusted is not self.trusted_notifications:
                    fail(
                        f"verify_webhook returned trusted={note.trusted}; the class declares "
                        f"trusted_notifications={self.trusted_notifications}"
                    )
                if note.session_id is not None and note.session_id != checkout.request.session_id:
                    fail(
                        f"the notification names session {note.session_id!r}, not "
                        f"{checkout.request.session_id!r}"
                    )
            about = [n for n in notes if n.provider_reference == checkout.reference]
            if not about:
                fail(
                    f"no notification names provider_reference={checkout.reference!r}: the "
                    f"router finds the session by it (got {[n.provider_reference for n in notes]})"
                )
            if self.trusted_notifications and not any(
                n.status is PaymentStatus.COMPLETED for n in about
            ):
                fail(
                    "a trusted notification of the payment must say COMPLETED (the router "
                    f"applies it as it is); got {[n.status for n in about]}"
                )
            if len({n.event_id for n in notes}) != len(notes):
                fail("two different notifications share an event_id")

    @pytest.mark.asyncio
    @pytest.mark.parametrize("body", GARBAGE_BODIES, ids=lambda b: repr(b)[:24])
    async def test_garbage_notifications_are_refused(self, body: bytes) -> None:
        async with self.world() as world:
            _, sent = await self.paid_notifications(world)
            for headers, label in ((sent[0].headers, "real headers"), ({}, "no headers")):
                expect_rejected(
                    world.adapter, headers, body, f"a garbage body with {label}", world.secrets()
                )

    @pytest.mark.asyncio
    async def test_a_notification_without_its_headers_is_refused(self) -> None:
        async with self.world() as world:
            _, sent = await self.paid_notifications(world)
            body = sent[0].body
            if not self.trusted_notifications:
                self._untrusted(world, {}, body, "a notification without headers")
                return
            expect_rejected(
                world.adapter, {}, body, "a notification without headers", world.secrets()
            )
            stripped = Headers(
                headers={
                    k: v for k, v in sent[0].headers.items() if k.lower() in _TRANSPORT_HEADERS
                }
            )
            expect_rejected(
                world.adapter,
                stripped,
                body,
                "a notification with only transport headers",
                world.secrets(),
            )

    @pytest.mark.asyncio
    async def test_a_tampered_notification_is_refused(self) -> None:
        async with self.world() as world:
            checkout, sent = await self.paid_notifications(world)
            headers, body = sent[0].headers, sent[0].body
            other, other_sent = await self.paid_notifications(world)
            reference = checkout.reference.encode()
            variants = [
                (body + b" ", "a body with a byte appended"),
                (
                    body.replace(reference, other.reference.encode()),
                    "a body naming another checkout",
                ),
                (other_sent[0].body, "another notification's body under these headers"),
            ]
            for tampered, label in variants:
                if tampered == body:
                    continue
                if self.trusted_notifications:
                    expect_rejected(world.adapter, headers, tampered, label, world.secrets())
                else:
                    self._untrusted(world, headers, tampered, label)

    @pytest.mark.asyncio
    async def test_a_wrong_signature_is_refused(self) -> None:
        async with self.world() as world:
            _, sent = await self.paid_notifications(world)
            headers, body = sent[0].headers, sent[0].body
            own = {k: v for k, v in headers.items() if k.lower() not in _TRANSPORT_HEADERS}
            if not self.trusted_notifications:
                self._untrusted(world, headers, body, "a genuine notification")
                return
            if not own:
                fail(
                    "the sandbox's notification carries no header of its own: a trusted "
                    "notification needs a signature the adapter checks"
                )
            altered = Headers(
                headers={**dict(headers.items()), **{k: _alter(v) for k, v in own.items()}}
            )
            expect_rejected(
                world.adapter,
                altered,
                body,
                "a notification whose signature headers were altered",
                world.secrets(),
            )

    @pytest.mark.asyncio
    async def test_a_notification_signed_with_another_secret_is_refused(self) -> None:
        async with self.world(forged=True) as forger:
            _, forged = await self.paid_notifications(forger)
        async with self.world() as world:
            for note in forged:
                if self.trusted_notifications:
                    expect_rejected(
                        world.adapter,
                        note.headers,
                        note.body,
                        "a notification signed with another secret",
                        world.secrets(),
                    )
                else:
                    self._untrusted(world, note.headers, note.body, "a foreign notification")

    @pytest.mark.asyncio
    async def test_a_stale_notification_is_refused(self) -> None:
        if not self.trusted_notifications or self.stale_notification_age is None:
            pytest.skip("stale notifications are checked for trusted notifications only")
        async with self.world() as world:
            _, sent = await self.paid_notifications(world)
            world.clock.advance(self.stale_notification_age)
            expect_rejected(
                world.adapter,
                sent[0].headers,
                sent[0].body,
                f"a notification replayed {self.stale_notification_age} later",
                world.secrets(),
            )

    # --- helpers --------------------------------------------------------------------------

    def _amount(self, world: AdapterWorld, currency: str) -> Decimal:
        if self.checkout_amount is not None:
            return self.checkout_amount
        capabilities = world.instance.capabilities
        amount = Decimal(25)
        low = capabilities.min_amount.get(currency)
        high = capabilities.max_amount.get(currency)
        if low is not None and amount < low:
            amount = low
        if high is not None and amount > high:
            amount = high
        step = capabilities.amount_step.get(currency) or Decimal(1).scaleb(-exponent(currency))
        return ((amount / step).to_integral_value(rounding=ROUND_CEILING) * step).quantize(
            Decimal(1).scaleb(-exponent(currency))
        )

    async def _must(self, what: str, call: Awaitable[T]) -> T:
        """What ``call`` returns; any error fails the test."""
        try:
            return await guarded(what, call, self.hang_guard_seconds)
        except ProviderError as exc:
            fail(
                f"{what} failed against the adapter's own sandbox: {type(exc).__name__}"
                f"({exc.code}): {exc.message}"
            )
        except Exception as exc:
            leaked(what, exc)

    async def _answer(
        self, world: AdapterWorld, what: str, call: Awaitable[T]
    ) -> T | ProviderError:
        return await result_or_provider_error(what, call, self.hang_guard_seconds, world.secrets())

    async def _error(
        self,
        world: AdapterWorld,
        what: str,
        operation: Callable[[str], Awaitable[object]],
        reference: str,
    ) -> ProviderError:
        return await expect_provider_error(
            f"{what}({reference!r})",
            operation(reference),
            self.hang_guard_seconds,
            world.secrets(),
        )

    async def _each_call_raises(self, world: AdapterWorld, kind: type[ProviderError]) -> None:
        request = self.checkout_request(world)
        exc = await expect_provider_error(
            "create_checkout",
            world.adapter.create_checkout(request),
            self.hang_guard_seconds,
            world.secrets(),
        )
        expect_retryable(exc, "create_checkout", kind)
        exc = await self._error(
            world, "get_status", world.adapter.get_status, self.unknown_reference
        )
        expect_retryable(exc, "get_status", kind)
        exc = await self._error(world, "expire", world.adapter.expire, self.unknown_reference)
        if world.instance.capabilities.can_expire:
            expect_retryable(exc, "expire", kind)

    def _check_status(self, status: object, reference: str, what: str) -> None:
        if not isinstance(status, ProviderStatus):
            fail(f"{what} returned {type(status).__name__}, not ProviderStatus")
        if not isinstance(status.status, PaymentStatus):
            fail(f"{what} returned status {status.status!r}, not a PaymentStatus")
        if status.provider_reference != reference:
            fail(f"{what}({reference!r}) answered for {status.provider_reference!r}")

    def _untrusted(
        self, world: AdapterWorld, headers: Mapping[str, str], body: bytes, what: str
    ) -> None:
        """An untrusted adapter may accept anything well-formed, but never as trusted."""
        try:
            note = world.adapter.verify_webhook(headers, body)
        except WebhookVerificationError as exc:
            check_no_secret(str(exc), world.secrets(), f"the WebhookVerificationError for {what}")
            return
        except Exception as exc:
            fail(
                f"verify_webhook let {type(exc).__name__} escape for {what} ({exc!s:.200}); "
                "it must raise only providers.errors.WebhookVerificationError"
            )
        if note.trusted:
            fail(
                f"verify_webhook marked {what} trusted=True although the class declares "
                "trusted_notifications=False"
            )


def _alter(value: str) -> str:
    """``value`` with every character changed, keeping its length and alphabet roughly."""
    swapped = value.translate(str.maketrans("0123456789abcdefABCDEF", "1234567890bcdefaBCDEFA"))
    return swapped if swapped != value else value + "0"
