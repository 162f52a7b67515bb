"""The Besu QBFT genesis the chart renders into k8s/chain/: its validators are what the
generator derives from their public keys, and its extraData is RLP-decodable."""

from __future__ import annotations

import json
import subprocess
import sys

import rlp
import yaml
from deploy_support import CHART, ROOT, load_all
from eth_utils import keccak, to_checksum_address

CHAIN = ROOT / "k8s" / "chain" / "besu.yaml"
SCRIPT = ROOT / "scripts" / "qbft-genesis.py"


def committed() -> dict:  # type: ignore[type-arg]
    return next(d for d in load_all(CHAIN) if d["kind"] == "ConfigMap")


def test_chart_validators_are_exactly_what_the_generator_prints() -> None:
    keys = committed()["metadata"]["annotations"]["thehotpotspot.com/validator-public-keys"]
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *keys.split(",")], capture_output=True, text=True, check=True
    ).stdout
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert yaml.safe_load(out) == {"chain": {"validators": values["chain"]["validators"]}}


def test_extra_data_decodes_to_the_three_validator_addresses() -> None:
    cm = committed()
    keys = cm["metadata"]["annotations"]["thehotpotspot.com/validator-public-keys"].split(",")
    expected = [keccak(bytes.fromhex(k))[-20:] for k in keys]
    extra = json.loads(cm["data"]["genesis.json"])["extraData"]
    vanity, validators, vote, round_, seals = rlp.decode(bytes.fromhex(extra[2:]))
    assert vanity == bytes(32)
    assert list(validators) == expected
    assert (list(vote), round_, list(seals)) == ([], b"", [])
    addresses = cm["metadata"]["annotations"]["thehotpotspot.com/validator-addresses"]
    assert addresses.split(",") == [to_checksum_address(a) for a in expected]
    assert len(json.loads(cm["data"]["static-nodes.json"])) == 3


def test_generator_refuses_a_bad_key_and_too_few_validators() -> None:
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), "ab", "cd", "ef"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "64 bytes" in bad.stderr
    few = subprocess.run([sys.executable, str(SCRIPT), "00" * 64], capture_output=True, text=True)
    assert few.returncode == 2 and "at least 3" in few.stderr
