"""ExamplePay passes payrouter's adapter kit: everything the router relies on, through the
ProviderAdapter Protocol, against this package's own sandbox."""

from __future__ import annotations

from providers.testing import AdapterContract


class TestExamplePay(AdapterContract):
    adapter = "example_pay"  # the entry-point name: the kit loads it as the router does
    settings = {"currencies": ["USD", "EUR"], "methods": ["card"]}
    # ExamplePay ids look like chk_<hex>; the adapter refuses other shapes before calling.
    unknown_reference = "chk_000000000000000000000000"
