"""ExamplePay: a complete, tiny payrouter provider adapter.

The entry point ``example_pay`` in group ``payrouter.providers`` names
:class:`ExamplePayAdapterFactory`; payrouter builds one :class:`ExamplePayAdapter` per
configured instance. Nothing happens at import time.
"""

from payrouter_example_adapter.adapter import ExamplePayAdapter
from payrouter_example_adapter.factory import ExamplePayAdapterFactory

__all__ = ["ExamplePayAdapter", "ExamplePayAdapterFactory"]
