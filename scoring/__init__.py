"""Pure, explainable ranking of provider instances: no I/O, same input -> same ranking.

- :mod:`scoring.config`: the ``routing:`` config section (``RoutingConfig``) and its checks.
- :mod:`scoring.model`: what a ranking takes (``PaymentFacts``, ``Candidate``,
  ``ProviderStats``) and returns (``Ranking`` of ``Ranked`` and ``Excluded``).
- :mod:`scoring.policy`: ``compile_policy(config)`` once per load, then
  ``rank(facts, candidates, stats, policy)`` per request.
"""

from scoring.config import RoutingConfig
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
    "RoutingConfig",
    "compile_policy",
    "rank",
]
