"""What-if: replay stored sessions through a candidate config and compare provider shares.

Both configs rank the same sessions with the same learned figures, so the report shows
only what the config change moves. Nothing is created or sent anywhere.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from router.checkout import rank_request
from router.context import Runtime
from router.db.store import Store
from router.routing import facts_from_stored
from scoring.model import ProviderStats

NO_PROVIDER = "(none eligible)"
_TENTH = Decimal("0.1")


def _shares(counts: Counter[str], total: int) -> dict[str, float]:
    return {
        name: float((Decimal(100 * count) / total).quantize(_TENTH, ROUND_HALF_EVEN))
        for name, count in sorted(counts.items())
    }


def _winner(runtime: Runtime, stats: ProviderStats, routing_key: str, request_json: str) -> str:
    # The routing key the live request used, so volume splits land the same way.
    ranking = rank_request(runtime, stats, facts_from_stored(request_json, routing_key))
    return ranking.ranked[0].provider if ranking.ranked else NO_PROVIDER


async def replay(
    store: Store, current: Runtime, candidate: Runtime, stats: ProviderStats, limit: int
) -> dict[str, Any]:
    """Rank the newest ``limit`` sessions under both runtimes; the share each provider gets."""
    sessions = await store.latest_requests(limit)
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    moves: Counter[tuple[str, str]] = Counter()
    for routing_key, request_json in sessions:
        old = _winner(current, stats, routing_key, request_json)
        new = _winner(candidate, stats, routing_key, request_json)
        before[old] += 1
        after[new] += 1
        if old != new:
            moves[(old, new)] += 1
    total = len(sessions) or 1
    old_share, new_share = _shares(before, total), _shares(after, total)
    providers = sorted(set(old_share) | set(new_share))
    return {
        "sessions": len(sessions),
        "current": {"configVersion": current.config_version, "share": old_share},
        "candidate": {"configVersion": candidate.config_version, "share": new_share},
        "shift": {
            name: float(
                (Decimal(100 * (after[name] - before[name])) / total).quantize(
                    _TENTH, ROUND_HALF_EVEN
                )
            )
            for name in providers
        },
        "changed": sum(moves.values()),
        "moves": [
            {"from": old, "to": new, "sessions": count}
            for (old, new), count in sorted(moves.items(), key=lambda m: (-m[1], m[0]))
        ],
    }
