"""A rule set as content: every rule file of a directory read once, and loaded back from memory.

A rules directory can change while it is read. To serve exactly the rule set that was validated,
the files are read once into a mapping (relative path → bytes), that mapping is validated, and the
same mapping is what gets stored and loaded again elsewhere (another worker, another instance):
never the directory as it happens to be at that later moment. The version is the digest the
loader computes from a directory, so the same files give the same version either way.

Loading from memory writes the files into a private temporary directory named like the original
(so error messages read `rules/benefits/x.yaml:14:9` as they would from disk) and loads that.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath

from engine import rulefile
from engine.errors import RuleError

RuleFiles = dict[str, bytes]
"""Every rule file of a rule set: its path relative to the rules directory (POSIX) → its bytes."""


def _paths(root: Path) -> list[Path]:
    """The files the loader reads and the version covers (the same globs as `rulefile.load`)."""
    found = [*(root / "parameters").rglob("*.yaml"), *(root / "benefits").rglob("*.yaml")]
    wellbeing = root / "wellbeing.yaml"
    if wellbeing.exists():
        found.append(wellbeing)
    return sorted(found)


def read(root: Path) -> tuple[RuleFiles, list[RuleError]]:
    """Every rule file of a directory, each read exactly once (and what could not be read)."""
    files: RuleFiles = {}
    errors: list[RuleError] = []
    if not root.is_dir():
        return files, [RuleError(str(root), 0, 0, "io", "not a directory")]
    for path in _paths(root):
        try:
            files[path.relative_to(root).as_posix()] = path.read_bytes()
        except OSError as exc:
            errors.append(RuleError(str(path), 1, 1, "io", f"cannot read the file: {exc.strerror}"))
    return files, errors


def digest(files: Mapping[str, bytes]) -> str:
    """The full SHA-256 of a rule set's content (paths and bytes), its content address."""
    h = hashlib.sha256()
    for rel in sorted(files, key=lambda p: PurePosixPath(p).parts):
        h.update(rel.encode())
        h.update(b"\0")
        h.update(len(files[rel]).to_bytes(8, "big"))
        h.update(files[rel])
    return h.hexdigest()


def _safe(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.suffix != ".yaml":
        raise ValueError(f"not a rule file path: {rel!r}")
    return path


def load(files: Mapping[str, bytes], *, origin: Path) -> tuple[rulefile.Rulebook | None, list[RuleError]]:
    """Load and check a rule set from its content; errors name the files as under `origin`."""
    with tempfile.TemporaryDirectory(prefix="familycard-rules-") as tmp:
        root = Path(tmp) / (origin.name or "rules")
        root.mkdir()
        for rel, content in files.items():
            target = root.joinpath(*_safe(rel).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        book, errors = rulefile.load(root)
    if book is None:
        return None, errors
    # The temporary directory is gone: the book says where its content came from instead.
    return replace(book, root=origin, files=[str(origin / rel) for rel in sorted(files)]), []
