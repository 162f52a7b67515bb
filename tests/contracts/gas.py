"""Gas of `settle` by batch size, measured in a fresh in-process EVM (py-evm, Cancun rules).

Each measured call starts with cold storage and cold accounts, as a real transaction does,
and the figure adds the intrinsic cost (21 000 + calldata) to the execution gas, so it is
what a node charges for the transaction. Run `python -m tests.contracts.gas` to print
the table that docs/contracts.md quotes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import boa
from eth_abi import encode
from eth_utils import keccak

from hotpot.chain.compiler import CompiledContract, compile_all

from .deployment import deploy_system

BLOCK_GAS_LIMIT = 30_000_000
TX_GAS_CAP_OSAKA = 2**24  # EIP-7825: no single transaction may use more
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
_SETTLE_TYPES = ["bytes32", "bytes32", "string", "address[]", "uint256[]", "address[]", "uint256[]"]
_SETTLE_SELECTOR = keccak(text=f"settle({','.join(_SETTLE_TYPES)})")[:4]


@dataclass(frozen=True)
class GasSample:
    recipients: int
    """Each recipient gets both THP and SPOT: 2 mints per recipient."""
    fresh_holders: bool
    gas: int

    @property
    def per_recipient(self) -> float:
        return self.gas / self.recipients


def intrinsic_gas(calldata: bytes) -> int:
    zeros = calldata.count(0)
    return 21_000 + 4 * zeros + 16 * (len(calldata) - zeros)


def settle_gas(compiled: dict[str, CompiledContract], sizes: list[int]) -> list[GasSample]:
    """Gas of one settlement per size, to new holders and then again to the same holders."""
    samples: list[GasSample] = []
    with boa.swap_env(boa.Env()):
        system = deploy_system(compiled)
        for batch, size in enumerate(sizes):
            holders = [str(boa.env.generate_address()) for _ in range(size)]
            for fresh, batch_id in ((True, 2 * batch + 1), (False, 2 * batch + 2)):
                args = (
                    batch_id.to_bytes(32, "big"),
                    (batch_id + 10**9).to_bytes(32, "big"),
                    CID,
                    holders,
                    [196] * size,
                    holders,
                    [10] * size,
                )
                calldata = _SETTLE_SELECTOR + encode(_SETTLE_TYPES, list(args))
                boa.env.reset_gas_used()  # also makes every account and slot cold again
                assert system.registry.settle(*args, sender=system.relay) is True
                gas = boa.env.get_gas_used() + intrinsic_gas(calldata)
                samples.append(GasSample(size, fresh, gas))
    return samples


def main() -> None:
    compiled = compile_all(Path(".pytest_cache/d/hotpot-vyper"))
    print("| recipients (THP + SPOT each) | holders | gas | gas per recipient |")
    print("| ---: | --- | ---: | ---: |")
    for s in settle_gas(compiled, [1, 10, 50, 100, 200, 300, 400, 500]):
        kind = "new" if s.fresh_holders else "existing"
        print(f"| {s.recipients} | {kind} | {s.gas:,} | {s.per_recipient:,.0f} |")


if __name__ == "__main__":
    main()
