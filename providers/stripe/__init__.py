"""The Stripe adapter: Checkout Sessions through the official ``stripe`` package.

Modules, one job each:

- :mod:`.adapter` the factory (entry point) and the adapter (the Protocol's calls);
- :mod:`.transport` the SDK client on the router's shared ``httpx.AsyncClient``, with the
  timeout and the error boundary around every call;
- :mod:`.errors` the one mapping from any exception to :mod:`providers.errors`;
- :mod:`.transformers` the pure wire mapping (request -> session params, session -> status),
  with :mod:`.currency`, :mod:`.locales` and :mod:`.metadata` for Stripe's rules;
- :mod:`.webhook` ``Stripe-Signature`` verification and event mapping.
"""
