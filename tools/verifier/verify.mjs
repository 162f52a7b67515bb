// An outside party's check of a Hot Pot Spot settlement record, following docs/verify.md
// with standard npm packages only (ethers, multiformats, @openzeppelin/merkle-tree,
// canonicalize) and none of the platform's code.
//
//   node verify.mjs --api https://platform.example [--rpc URL] [--record FILE] order|receipt ID
//
// --rpc: the chain's JSON-RPC URL (default: the `rpc_url` the network route names).
// --record: check these bytes instead of the record the platform serves (a record someone
// handed you). Prints a JSON report; exits 0 when every check passes, 1 when one fails,
// 2 on a usage error. Installed and run by tools/verify-tools.sh.
import { readFile } from 'node:fs/promises'

import canonicalize from 'canonicalize'
import { Contract, Interface, JsonRpcProvider, concat, getBytes, keccak256 } from 'ethers'
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'

// Copied from docs/contracts.md (the registry's ABI, human-readable form).
const REGISTRY_ABI = [
  'function batches(bytes32 batch_id) view returns (tuple(bytes32 merkle_root, string cid, uint256 block_number))',
  'event BatchSettled(bytes32 indexed batch_id, bytes32 merkle_root, string cid, uint256 thp_recipients, uint256 thp_total, uint256 spot_recipients, uint256 spot_total, uint256 thp_burned, uint256 spot_burned)'
]

function usage (message) {
  process.stderr.write(`verify.mjs: ${message}\n` +
    'usage: verify.mjs --api URL [--rpc URL] [--record FILE] order|receipt ID\n')
  process.exit(2)
}

function parseArgs (argv) {
  const options = {}
  const rest = []
  for (let i = 0; i < argv.length; i++) {
    if (['--api', '--rpc', '--record'].includes(argv[i])) {
      if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`)
      options[argv[i].slice(2)] = argv[++i]
    } else {
      rest.push(argv[i])
    }
  }
  if (!options.api) usage('--api is required')
  if (rest.length !== 2 || !['order', 'receipt'].includes(rest[0])) usage('give order|receipt ID')
  return { ...options, kind: rest[0], id: rest[1], api: options.api.replace(/\/+$/, '') }
}

async function getJson (url) {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${await response.text()}`)
  return response.json()
}

async function getBytesFrom (url) {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${await response.text()}`)
  return new Uint8Array(await response.arrayBuffer())
}

// Step 2 of docs/verify.md: the CID is CIDv1, codec raw, sha2-256 of exactly these bytes.
async function rawCid (bytes) {
  return CID.create(1, raw.code, await sha256.digest(bytes)).toString()
}

// Step 3: the bytes are canonical JSON (RFC 8785), so canonicalize(parse(bytes)) is them.
function canonicalDocument (bytes) {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  const document = JSON.parse(text)
  return { document, canonical: canonicalize(document) === text }
}

// Step 4: a leaf is keccak256(keccak256(record bytes)).
function leafOf (bytes) {
  return keccak256(keccak256(bytes))
}

// Step 5 by hand: inner node = keccak256(min(a, b) ‖ max(a, b)) over the bytes.
function foldProof (leaf, proof) {
  let node = leaf
  for (const sibling of proof) {
    const [a, b] = Buffer.compare(Buffer.from(getBytes(node)), Buffer.from(getBytes(sibling))) < 0
      ? [node, sibling]
      : [sibling, node]
    node = keccak256(concat([a, b]))
  }
  return node
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  const checks = {}
  const failures = []
  const check = (name, ok, why) => {
    checks[name] = Boolean(ok)
    if (!ok) failures.push(why ? `${name}: ${why}` : name)
  }

  // Step 1: the network and the proof.
  const network = await getJson(`${args.api}/api/v1/settlement/network`)
  const proof = await getJson(
    `${args.api}/api/v1/settlement/proofs/${args.kind}/${encodeURIComponent(args.id)}`)
  check('proof_names_registry', proof.registry === network.registry &&
    proof.chain_id === network.chain_id, 'the proof names another chain or registry')

  // Step 2: the record's bytes, and the CID they have.
  let recordBytes = null
  if (args.record) {
    recordBytes = new Uint8Array(await readFile(args.record))
  } else {
    try {
      recordBytes = await getBytesFrom(`${args.api}/ipfs/${proof.record_cid}`)
    } catch (error) {
      check('record_fetched', false, error.message)
    }
  }
  if (recordBytes !== null) {
    check('record_cid', (await rawCid(recordBytes)) === proof.record_cid,
      'the bytes do not hash to the record CID')

    // Step 3: canonical JSON that names what was asked for.
    let parsed = null
    try {
      parsed = canonicalDocument(recordBytes)
    } catch (error) {
      check('record_canonical', false, `not JSON: ${error.message}`)
    }
    if (parsed !== null) {
      const doc = parsed.document
      check('record_canonical', parsed.canonical, 'the bytes are not canonical JSON')
      check('record_names_ref', doc.schema === 'hotpot.settlement/1' && doc.kind === args.kind &&
        doc.id === proof.ref_id && (args.kind !== 'order' || doc.id === args.id),
      `the record is ${doc.kind} ${doc.id}`)
      if (proof.record !== null && !args.record) {
        check('proof_carries_record',
          canonicalize(proof.record) === new TextDecoder().decode(recordBytes),
        'the record in the proof differs from the stored one')
      }
    }

    // Steps 4 and 5: the leaf, and the proof from it to the batch root.
    const leaf = leafOf(recordBytes)
    check('leaf', leaf === proof.leaf, 'keccak256(keccak256(record)) is not the proof\'s leaf')
    check('proof_reaches_root', SimpleMerkleTree.verify(proof.merkle_root, leaf, proof.proof),
      'the proof does not lead from the leaf to the root (@openzeppelin/merkle-tree)')
    check('proof_folds_to_root', foldProof(leaf, proof.proof) === proof.merkle_root,
      'the proof does not fold to the root (sorted-pair keccak256)')
  }

  // Step 6: the batch manifest, by the CID the chain holds.
  try {
    const manifestBytes = await getBytesFrom(`${args.api}/ipfs/${proof.batch_cid}`)
    check('manifest_cid', (await rawCid(manifestBytes)) === proof.batch_cid,
      'the manifest does not hash to the batch CID')
    const { document: manifest, canonical } = canonicalDocument(manifestBytes)
    check('manifest_names_batch', canonical && manifest.schema === 'hotpot.settlement-batch/1' &&
      manifest.batch === proof.batch_id && manifest.chain_id === network.chain_id &&
      manifest.registry === network.registry, 'the manifest names another batch or registry')
    check('manifest_lists_record', manifest.records.includes(proof.record_cid),
      'the record CID is not in the manifest')
  } catch (error) {
    check('manifest_fetched', false, error.message)
  }

  // Step 7: the chain. The registry holds the batch's root and manifest CID, and the
  // settlement transaction logged them.
  const rpc = args.rpc ?? network.rpc_url
  if (!rpc) usage('the platform names no rpc_url: give --rpc')
  const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true })
  try {
    const chainId = (await provider.getNetwork()).chainId
    check('chain_id', chainId === BigInt(network.chain_id), `the RPC serves chain ${chainId}`)
    const registry = new Contract(network.registry, REGISTRY_ABI, provider)
    const batch = await registry.batches(proof.batch_id)
    check('root_on_chain', batch.merkle_root === proof.merkle_root,
      `the registry holds root ${batch.merkle_root}`)
    check('cid_on_chain', batch.cid === proof.batch_cid, `the registry holds CID ${batch.cid}`)
    check('block_on_chain', proof.block_number !== null &&
      batch.block_number === BigInt(proof.block_number), `settled in block ${batch.block_number}`)

    const receipt = proof.tx_hash ? await provider.getTransactionReceipt(proof.tx_hash) : null
    const iface = new Interface(REGISTRY_ABI)
    const settled = (receipt?.logs ?? [])
      .filter((log) => log.address.toLowerCase() === network.registry)
      .map((log) => iface.parseLog(log))
      .find((log) => log?.name === 'BatchSettled' && log.args.batch_id === proof.batch_id)
    check('tx_settled_batch', receipt !== null && receipt.status === 1 &&
      receipt.to?.toLowerCase() === network.registry && settled !== undefined &&
      settled.args.merkle_root === proof.merkle_root && settled.args.cid === proof.batch_cid,
    'the transaction did not log BatchSettled with this root and CID')
  } finally {
    provider.destroy()
  }

  const valid = failures.length === 0
  process.stdout.write(JSON.stringify({ valid, checks, failures }, null, 2) + '\n')
  process.exit(valid ? 0 : 1)
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ valid: false, error: String(error?.message ?? error) }) + '\n')
  process.exit(1)
})
