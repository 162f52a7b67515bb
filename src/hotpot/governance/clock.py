"""The governance clock: what time it is for voting windows and the timelock.

A `Clock` is a callable returning an aware datetime. Handlers get it through the
`get_clock` dependency (`hotpot.http.clock.ClockDep`: the web framework stays at the
edge), so tests move time by overriding that dependency
(`app.dependency_overrides[get_clock] = lambda: my_clock`) instead of sleeping.
The snapshot itself never reads this clock: it is a copy of the committed SPOT
balances taken inside the database transaction that opens voting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


async def get_clock() -> Clock:
    # async: FastAPI would run a plain function on a worker thread for every request.
    return system_clock
