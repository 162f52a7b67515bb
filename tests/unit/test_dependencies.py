"""pyproject.toml, the pin files in requirements/ and the two locks agree with each other,
with what the code imports, and with what this venv holds.

- every module that src/ imports comes from a package of [project] dependencies; every one
  that tests/, scripts/ and bench/ import (or run with `python -m`) from one of those or of
  the [test] extra;
- every declared dependency is in the lock, at a version inside its declared range, and so
  is every requirement of every locked package (the lock is closed), for this interpreter
  and for CPython 3.11.0 (the lock's floor: bookworm's 3.11.2 needs async-timeout);
- runtime.lock.txt (the image) is the runtime part of lock.txt, same versions and hashes;
- each pin of the pin files (requirements/*.txt but the locks) is the locked version;
- this venv holds exactly the locked versions (./dev installs from the lock).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements"
LOCK = REQUIREMENTS / "lock.txt"
RUNTIME_LOCK = REQUIREMENTS / "runtime.lock.txt"
# The pin files: every requirements/*.txt but the locks (as `./dev lock` finds them).
PIN_FILES = sorted(p for p in REQUIREMENTS.glob("*.txt") if "lock" not in p.name)
# Modules a venv provides without the project asking for them.
VENV_MODULES = {"pip"}

_LOCK_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


@dataclass(frozen=True)
class Locked:
    version: str
    hashes: frozenset[str]


def read_lock(path: Path) -> dict[str, Locked]:
    """Package name (normalised) -> version and hashes of a uv/pip-tools style lock."""
    entries: dict[str, Locked] = {}
    name, version, hashes = "", "", set[str]()
    for line in [*path.read_text().splitlines(), "end"]:
        if line.startswith(("#", " ")) or not line:
            hashes.update(_HASH.findall(line))
            continue
        if name:
            entries[name] = Locked(version, frozenset(hashes))
        match = _LOCK_LINE.match(line)
        assert match or line == "end", f"{path.name}: not a pinned requirement: {line!r}"
        if match:
            name, version = canonicalize_name(match[1]), match[2]
            hashes = set(_HASH.findall(line))
    return entries


def declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(r) for r in project["dependencies"]]
    test = [Requirement(r) for r in project["optional-dependencies"]["test"]]
    return runtime, test


def environments() -> list[dict[str, str]]:
    here = default_environment()
    floor = {**here, "python_full_version": "3.11.0", "python_version": "3.11"}
    return [here, floor]


def applies(req: Requirement, env: dict[str, str], extras: frozenset[str]) -> bool:
    """Whether `req` is wanted here, by a package installed with `extras`."""
    if req.marker is None:
        return True
    return any(req.marker.evaluate({**env, "extra": extra}) for extra in {"", *extras})


@dataclass
class Walk:
    problems: list[str]
    reached: set[str]


def walk(roots: list[Requirement], lock: dict[str, Locked], env: dict[str, str]) -> Walk:
    """The requirements of `roots` and, transitively, of the installed locked packages:
    those the lock does not satisfy, and the locked packages they reach."""
    result = Walk([], set())
    queue = [(r, "pyproject.toml") for r in roots if applies(r, env, frozenset())]
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        req, wanted_by = queue.pop()
        name, extras = canonicalize_name(req.name), frozenset(req.extras)
        locked = lock.get(name)
        if locked is None:
            result.problems.append(f"{req} (wanted by {wanted_by}) is not in the lock")
        elif not req.specifier.contains(locked.version, prereleases=True):
            result.problems.append(f"{req} (wanted by {wanted_by}): the lock has {locked.version}")
        elif (name, extras) not in seen:
            seen.add((name, extras))
            result.reached.add(name)
            children = map(Requirement, metadata.distribution(name).requires or [])
            queue.extend(
                (child, f"{name} {locked.version}")
                for child in children
                if applies(child, env, extras)
            )
    result.problems = sorted(set(result.problems))
    return result


def test_every_declared_dependency_and_its_requirements_are_in_the_lock() -> None:
    runtime, test = declared()
    for env in environments():
        python = env["python_full_version"]
        full = walk([*runtime, *test], read_lock(LOCK), env).problems
        assert full == [], f"lock.txt disagrees (python {python}):\n" + "\n".join(full)
        image = walk(runtime, read_lock(RUNTIME_LOCK), env).problems
        assert image == [], f"runtime.lock.txt disagrees (python {python}):\n" + "\n".join(image)


def test_runtime_lock_is_the_runtime_part_of_the_full_lock() -> None:
    full, image = read_lock(LOCK), read_lock(RUNTIME_LOCK)
    assert image, "runtime.lock.txt is empty"
    differ = [f"{n}: {e.version} vs {full.get(n)}" for n, e in image.items() if full.get(n) != e]
    assert differ == [], "\n".join(differ)
    # Nothing but what the runtime dependencies need (no test package in the image).
    runtime, _ = declared()
    needed = set().union(*(walk(runtime, image, env).reached for env in environments()))
    extra = sorted(set(image) - needed)
    assert extra == [], f"runtime.lock.txt holds packages the runtime does not need: {extra}"


def test_every_locked_package_has_hashes() -> None:
    for path in (LOCK, RUNTIME_LOCK):
        unhashed = [name for name, entry in read_lock(path).items() if not entry.hashes]
        assert unhashed == [], f"{path.name}: no hash for {unhashed}"


def test_pin_files_agree_with_the_lock() -> None:
    lock = read_lock(LOCK)
    wrong = []
    assert PIN_FILES, "no pin file in requirements/"
    for pin_file in PIN_FILES:
        for line in pin_file.read_text().splitlines():
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            pin = Requirement(text)
            locked = lock.get(canonicalize_name(pin.name))
            if locked is None or not pin.specifier.contains(locked.version, prereleases=True):
                wrong.append(f"{pin_file.name}: {pin} but the lock has {locked and locked.version}")
    assert wrong == [], "\n".join(wrong)


def test_the_venv_holds_the_locked_versions() -> None:
    differ = []
    for name, entry in read_lock(LOCK).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != entry.version:
            differ.append(f"{name}: locked {entry.version}, installed {installed}")
    assert differ == [], "run ./dev lint to reinstall from the lock:\n" + "\n".join(differ)


def imported_modules(root: Path) -> Iterator[tuple[str, Path]]:
    """Top-level modules imported (or run with `-m`, or loaded by name) by the files."""
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.List | ast.Tuple):
                names = python_m_modules(node.elts)
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) in {
                "import_module",
                "find_spec",
            }:
                first = node.args[0] if node.args else None
                names = [first.value] if isinstance(first, ast.Constant) else []
            else:
                continue
            for name in names:
                yield str(name).split(".")[0], path


def python_m_modules(argv: list[ast.expr]) -> list[str]:
    """M of `[sys.executable, "-m", M, ...]` command lines."""
    return [
        str(module.value)
        for python, flag, module in zip(argv, argv[1:], argv[2:], strict=False)
        if ast.unparse(python) == "sys.executable"
        and isinstance(flag, ast.Constant)
        and flag.value == "-m"
        and isinstance(module, ast.Constant)
    ]


def local_modules(root: Path) -> set[str]:
    return {p.stem for p in root.rglob("*.py")} | {p.name for p in root.rglob("*") if p.is_dir()}


def undeclared(roots: list[str], allowed: list[Requirement]) -> list[str]:
    providers = metadata.packages_distributions()
    names = {canonicalize_name(r.name) for r in allowed}
    problems = set()
    for top in roots:
        # tools/stack is put on sys.path by the drills that drive it.
        local = local_modules(ROOT / top) | local_modules(ROOT / "tools") | {"hotpot", "tests"}
        for module, path in imported_modules(ROOT / top):
            if module in sys.stdlib_module_names or module in local or module in VENV_MODULES:
                continue
            dists = {canonicalize_name(d) for d in providers.get(module, [])}
            if not dists & names:
                where = path.relative_to(ROOT)
                problems.add(f"{where} imports {module} (from {sorted(dists) or 'nothing'})")
    return sorted(problems)


def test_src_imports_only_declared_runtime_dependencies() -> None:
    runtime, _ = declared()
    problems = undeclared(["src"], runtime)
    assert problems == [], "declare these in [project] dependencies:\n" + "\n".join(problems)


def test_tests_scripts_and_benchmarks_import_only_declared_dependencies() -> None:
    runtime, test = declared()
    problems = undeclared(["tests", "scripts", "bench", "tools"], [*runtime, *test])
    assert problems == [], "declare these in the [test] extra:\n" + "\n".join(problems)
