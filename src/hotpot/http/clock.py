"""The governance clock as a FastAPI dependency (overridable in tests through `get_clock`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from hotpot.governance.clock import Clock, get_clock

ClockDep = Annotated[Clock, Depends(get_clock)]
