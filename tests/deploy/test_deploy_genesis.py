"""The Besu QBFT genesis: regenerated from its own public keys, and RLP-decodable."""

from __future__ import annotations

import json
import subprocess
import sys

import rlp
from deploy_support import ROOT, load_all
from eth_utils import keccak, to_checksum_address

CONFIGMAP = ROOT / "k8s" / "chain" / "besu-genesis-configmap.yaml"
SCRIPT = ROOT / "scripts" / "qbft-genesis.py"


def committed() -> dict:  # type: ignore[type-arg]
    return load_all(CONFIGMAP)[0]


def test_committed_configmap_is_exactly_what_the_generator_prints() -> None:
    keys = committed()["metadata"]["annotations"]["thehotpotspot.com/validator-public-keys"]
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *keys.split(",")], capture_output=True, text=True, check=True
    ).stdout
    assert out == CONFIGMAP.read_text()


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
