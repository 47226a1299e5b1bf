"""The deterministic spelling fixer: codespell's dictionary, no model.

It applies to documentation issues that report misspellings. It corrects only the files the
issue points at (by path; else the repository's documentation: README, ``docs/``), and in code
files only words inside comments and string literals (``core.risk.prose_mask``), so an
identifier is never renamed. Only codespell's unambiguous entries are used: those of its main
("clear") dictionary with a single correction and no caveat, exactly the ones ``codespell
--write-changes`` would apply. Case is kept (``Recieve`` → ``Receive``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from globallm_assets.core.models import IssueRecord
from globallm_assets.core.risk import is_doc_path, prose_mask
from globallm_assets.fixer.context import match_path

_CUES = re.compile(r"\b(typos?|misspell\w*|mis-spell\w*|spelling|spelt|spelled)\b", re.I)
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_PATH_TOKEN = re.compile(r"[\w./-]*\w\.[A-Za-z]{1,10}\b")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"`+[^`]*`+")
MAX_FILE_BYTES = 500_000
CODE_SUFFIXES = frozenset(
    {".py", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".kt", ".c",
     ".h", ".cc", ".cpp", ".hpp", ".rb", ".sh"}
)  # fmt: skip


@dataclass(frozen=True)
class Correction:
    path: str
    line: int
    wrong: str
    right: str


def applies(issue: IssueRecord, category: str | None) -> bool:
    """A documentation issue that reports misspellings (or any issue titled as a typo fix)."""
    text = f"{issue.title}\n{issue.body or ''}"
    if not _CUES.search(text):
        return False
    return category in (None, "documentation") or bool(_CUES.search(issue.title))


@functools.cache
def dictionary() -> dict[str, str]:
    """codespell's unambiguous corrections, lower-case misspelling → correction."""
    source = resources.files("codespell_lib").joinpath("data", "dictionary.txt")
    corrections: dict[str, str] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        wrong, arrow, right = line.partition("->")
        if arrow and "," not in right and right.strip():
            corrections[wrong.strip().lower()] = right.strip()
    return corrections


def target_files(issue: IssueRecord, tree: Sequence[str]) -> list[str]:
    """The files the issue points at; else the documentation files."""
    text = f"{issue.title}\n{issue.body or ''}"
    named = [match_path(token, tree) for token in _PATH_TOKEN.findall(text)]
    files = [p for p in dict.fromkeys(named) if p]
    if files:
        return files
    return [
        p
        for p in tree
        if is_doc_path(p) and (PurePosixPath(p).name.lower().startswith("readme") or "/" in p)
    ]


def _outside_code_spans(line: str) -> list[bool]:
    """Documentation: words in `code spans` are identifiers, not prose."""
    mask = [True] * len(line)
    for match in _CODE_SPAN.finditer(line):
        mask[match.start() : match.end()] = [False] * (match.end() - match.start())
    return mask


def _keep_case(original: str, correction: str) -> str:
    if original.isupper() and len(original) > 1:
        return correction.upper()
    if original[0].isupper():
        return correction[0].upper() + correction[1:]
    return correction


def correct_text(text: str, suffix: str, path: str = "") -> tuple[str, list[Correction]]:
    """``text`` with misspellings corrected (in code: only in comments and strings)."""
    corrections = dictionary()
    code = suffix in CODE_SUFFIXES
    found: list[Correction] = []
    out_lines: list[str] = []
    fenced = False
    for number, line in enumerate(text.split("\n"), start=1):
        if not code and _FENCE.match(line):
            fenced = not fenced
        if fenced or (not code and _FENCE.match(line)):
            out_lines.append(line)
            continue
        mask = prose_mask(line, suffix) if code else _outside_code_spans(line)
        pieces: list[str] = []
        last = 0
        for match in _WORD.finditer(line):
            word = match.group(0)
            right = corrections.get(word.lower())
            if right is None or not all(mask[match.start() : match.end()]):
                continue
            fixed = _keep_case(word, right)
            pieces += [line[last : match.start()], fixed]
            last = match.end()
            found.append(Correction(path, number, word, fixed))
        pieces.append(line[last:])
        out_lines.append("".join(pieces))
    return "\n".join(out_lines), found


def fix_spelling(root: Path, files: Sequence[str]) -> list[Correction]:
    """Correct ``files`` (relative to ``root``) in place; the corrections made."""
    made: list[Correction] = []
    base = root.resolve()
    for relative in files:
        path = (base / relative).resolve()
        if base not in path.parents or path.is_symlink() or not path.is_file():
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            continue
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        suffix = PurePosixPath(relative).suffix.lower()
        if not (is_doc_path(relative) or suffix in CODE_SUFFIXES):
            continue
        corrected, found = correct_text(text, suffix, relative)
        if found:
            path.write_text(corrected, encoding="utf-8")
            made += found
    return made
