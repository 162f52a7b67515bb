"""A batch of a few hundred recipients fits in a 30M-gas block, with room to spare."""

from __future__ import annotations

from hotpot.chain.compiler import CompiledContract

from .gas import BLOCK_GAS_LIMIT, TX_GAS_CAP_OSAKA, settle_gas


def test_settlement_gas_per_recipient_and_block_fit(
    compiled: dict[str, CompiledContract],
) -> None:
    samples = {(s.recipients, s.fresh_holders): s for s in settle_gas(compiled, [10, 300])}

    # 300 new holders, each minted THP and SPOT (600 mints), in one transaction: under a
    # 30M block, and even under the 2**24 per-transaction cap of EIP-7825 (Osaka).
    big = samples[(300, True)]
    assert big.gas < min(BLOCK_GAS_LIMIT, TX_GAS_CAP_OSAKA), big

    # Marginal cost of a new holder: two zero-to-nonzero balance writes (2 x 22 100) plus
    # two Transfer logs and calldata; a known holder costs far less (nonzero-to-nonzero).
    marginal_new = (big.gas - samples[(10, True)].gas) / 290
    marginal_known = (samples[(300, False)].gas - samples[(10, False)].gas) / 290
    assert 44_200 < marginal_new < 60_000, marginal_new
    assert marginal_known < marginal_new / 2, marginal_known
