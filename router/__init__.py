"""payrouter: the service that routes one checkout request to the best payment provider."""

__version__ = "0.1.0"
