"""Kept importable for older imports: the engine is :mod:`scoring.policy`.

``rank(facts, candidates, stats, policy)`` replaced the minimal
``rank(facts, candidates, weights)``; build ``policy`` with
:func:`scoring.policy.compile_policy`.
"""

from scoring.model import Candidate, Excluded, PaymentFacts, ProviderStats, Ranked, Ranking
from scoring.policy import Policy, compile_policy, rank

__all__ = [
    "Candidate",
    "Excluded",
    "PaymentFacts",
    "Policy",
    "ProviderStats",
    "Ranked",
    "Ranking",
    "compile_policy",
    "rank",
]
