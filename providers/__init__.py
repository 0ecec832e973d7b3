"""Provider adapters: the Protocol every adapter implements, its registry, and the adapters."""
