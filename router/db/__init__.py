"""Persistence: the SQLAlchemy models, the migrations runner and the store (the only SQL)."""
