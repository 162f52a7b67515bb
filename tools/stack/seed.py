"""Seed the stack's database with the demo network (first `up` only).

The platform never seeds in production (HOTPOT_ENV=production skips it in `serve`), but
the local stack is for trying the platform: this creates the same demo network as
`./dev serve` (owner, franchisee, chef, two nodes, whitelisted tills, the menu) through
the platform's own services, and writes the generated passwords and till secrets to
STACK_DIR/demo-credentials.json (owner-readable only). Usage: python seed.py STACK_DIR
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from hotpot.bootstrap import build_context
from hotpot.config import load_settings
from hotpot.seed import demo_needed, seed_demo


async def main(folder: Path) -> None:
    ctx = build_context(load_settings())
    try:
        if await demo_needed(ctx):
            await seed_demo(ctx, folder)
            print(f"stack: demo network seeded; credentials in {folder}/demo-credentials.json")
    finally:
        await ctx.cache.close()
        await ctx.db.dispose()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
