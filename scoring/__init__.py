"""Pure, explainable ranking of provider instances: no I/O, same input -> same ranking."""

from scoring.rank import Candidate, Excluded, PaymentFacts, Ranked, Ranking, rank

__all__ = ["Candidate", "Excluded", "PaymentFacts", "Ranked", "Ranking", "rank"]
