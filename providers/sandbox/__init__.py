"""Local services that speak real providers' wire protocols, for development and tests."""
