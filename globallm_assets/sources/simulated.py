"""A seeded, deterministic synthetic open-source ecosystem.

``SimulatedWorld`` answers the same protocols as the GitHub and registry sources
(``RepoSource`` for repositories, activity and issues; ``PackageIndex`` through
:meth:`SimulatedWorld.package_index`) with the same record types, so the offline demo, the
end-to-end tests and the benchmarks exercise the real pipeline without a network. What makes it
useful rather than merely random:

* stars follow a Pareto law (a few huge projects, a long tail), and forks, contributors, commits,
  issues and dependents are correlated with popularity plus noise;
* every world plants known cases the scoring must handle: dead and archived repositories, activity
  signals the source "could not tell" (``None``), forks, applications that publish no package, and
  small clusters of near-duplicate READMEs (:attr:`SimulatedWorld.duplicate_clusters`); the
  planted facts are queryable through :meth:`SimulatedWorld.truth`;
* the dependency graph grows by preferential attachment inside each ecosystem, edges always point
  from a newer package to an older one, so it is a DAG with a heavy-tailed in-degree.

Determinism: the same ``seed``, ``repos_per_language`` and ``now`` give byte-identical records for a
given NumPy/Python version. A language's repositories do not depend on which other languages are
configured (names are drawn for every known language so they stay globally unique); the npm
graph, shared by JavaScript and TypeScript, is built over whichever of the two are configured.
Everything is generated lazily and cached: a language on first use, activity and issues per
repository on first request.

:func:`dependency_arrays` and :func:`repo_arrays` are the vectorised generators for scale
benchmarks (millions of nodes) where building record objects would measure the wrong thing.

Not here yet: small real git repositories with planted bugs and tests for the fix stage; they will
live beside this module and reuse :meth:`SimulatedWorld.truth` to pick which repositories get one.
"""

from __future__ import annotations

import random
import re
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from globallm_assets.core.models import (
    ECOSYSTEM_BY_LANGUAGE,
    LANGUAGES,
    ActivityStats,
    DependencyEdge,
    IssueRecord,
    PackageRecord,
    RepoMetadata,
)
from globallm_assets.sources.base import NotFoundError, SearchQuery

__all__ = [
    "DEFAULT_NOW",
    "RepoTruth",
    "SimulatedPackageIndex",
    "SimulatedWorld",
    "dependency_arrays",
    "repo_arrays",
]

# Fixed so that nothing drifts with the wall clock: every date is relative to this instant.
DEFAULT_NOW = datetime(2026, 1, 1, tzinfo=UTC)

# Pareto tail index and scale for stars. alpha < 1 gives an infinite-mean law, which is what
# GitHub looks like: the median repository has a few dozen stars while the top 1% hold a large
# share of all of them. With these values about 5% of repositories pass 1000 stars.
STAR_ALPHA = 0.7
STAR_SCALE = 15.0
STAR_CAP = 400_000

# Planted-case frequencies (per language, counts are rounded and at least 1 when n >= 10).
FORK_SHARE = 0.04
ARCHIVED_SHARE = 0.03
DEAD_SHARE = 0.05
UNKNOWN_FULL_SHARE = 0.02
UNKNOWN_PARTIAL_SHARE = 0.03
APPLICATION_SHARE = 0.18
NO_README_SHARE = 0.03
REPOS_PER_DUPLICATE_CLUSTER = 40

# Issue counts grow sublinearly with stars and are capped so a demo stays small.
MAX_ISSUES_PER_REPO = 300

_DAY = 86_400.0


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class _Domain:
    words: tuple[str, ...]
    phrases: tuple[str, ...]
    topics: tuple[str, ...]
    features: tuple[str, ...]
    components: tuple[str, ...]
    funcs: tuple[str, ...]


_DOMAINS: dict[str, _Domain] = {
    "http": _Domain(
        ("http", "fetch", "request", "wire", "curl", "net", "link", "courier"),
        ("HTTP client", "HTTP toolkit", "networking library"),
        ("http", "http-client", "rest", "networking"),
        (
            "Connection pooling with keep-alive",
            "Automatic retries with exponential backoff",
            "Streaming request and response bodies",
            "HTTP/2 negotiation out of the box",
            "Pluggable transports for deterministic tests",
            "Per-request timeouts for connect, read and write",
            "Cookie persistence across sessions",
            "Proxy support including SOCKS5",
            "Transparent gzip and brotli decoding",
            "Hooks for request and response events",
        ),
        ("connection pool", "retry policy", "redirect handling", "proxy support", "cookie jar"),
        ("get", "post", "send", "stream", "request"),
    ),
    "cli": _Domain(
        ("cli", "args", "flag", "cmd", "term", "shell", "prompt", "opt"),
        ("command-line argument parser", "CLI framework", "terminal toolkit"),
        ("cli", "command-line", "terminal", "argument-parser"),
        (
            "Subcommands with automatic help pages",
            "Shell completion for bash, zsh and fish",
            "Typed options inferred from signatures",
            "Coloured output that respects NO_COLOR",
            "Interactive prompts with validation",
            "Progress bars and spinners",
            "Environment variable fallbacks for every flag",
            "Configurable exit codes",
            "Man page generation",
        ),
        ("help formatter", "option parser", "completion script", "prompt widget", "subcommand"),
        ("parse", "run", "command", "option", "prompt"),
    ),
    "testing": _Domain(
        ("test", "mock", "assert", "spec", "check", "fixture", "fuzz", "probe"),
        ("testing framework", "mocking library", "property-based testing tool"),
        ("testing", "unit-testing", "mocking", "test-automation"),
        (
            "Readable assertion failures with diffs",
            "Fixtures with explicit scopes",
            "Parallel test execution",
            "Snapshot testing for complex outputs",
            "Property-based generators with shrinking",
            "Spies and stubs that verify call arguments",
            "Flaky test detection and reruns",
            "JUnit XML and JSON reports",
            "Watch mode that reruns affected tests",
        ),
        ("test runner", "fixture resolver", "snapshot store", "shrinker", "reporter"),
        ("expect", "mock", "fixture", "run_tests", "given"),
    ),
    "logging": _Domain(
        ("log", "trace", "journal", "logger", "record", "audit", "beacon"),
        ("structured logging library", "logging toolkit", "tracing library"),
        ("logging", "structured-logging", "observability", "tracing"),
        (
            "Structured key-value records",
            "JSON and logfmt renderers",
            "Context propagation across async tasks",
            "Sampling for high-volume events",
            "Log rotation by size and time",
            "Redaction of sensitive fields",
            "OpenTelemetry trace correlation",
            "Zero allocation in the hot path",
        ),
        ("formatter", "file handler", "context binding", "sampler", "rotation"),
        ("info", "bind", "configure", "emit", "span"),
    ),
    "config": _Domain(
        ("config", "conf", "env", "settings", "dotenv", "profile", "knob"),
        ("configuration loader", "settings manager", "environment variable parser"),
        ("configuration", "settings", "dotenv", "environment-variables"),
        (
            "Layered sources: defaults, files, environment and flags",
            "TOML, YAML and JSON support",
            "Typed validation with helpful errors",
            "Secrets loaded from files or vaults",
            "Hot reload on file changes",
            "Profiles for development and production",
            "Interpolation of environment variables",
            "Immutable snapshots for thread safety",
        ),
        ("loader", "merge strategy", "validator", "file watcher", "interpolation"),
        ("load", "get", "merge", "from_env", "validate"),
    ),
    "serialization": _Domain(
        ("json", "serde", "pack", "codec", "marshal", "schema", "yaml", "bin"),
        ("serialization library", "JSON encoder and decoder", "schema-driven codec"),
        ("json", "serialization", "parser", "schema"),
        (
            "Streaming decoder for large documents",
            "Schema validation during decoding",
            "Custom encoders for user types",
            "Zero-copy parsing where possible",
            "Deterministic output for hashing",
            "MessagePack and CBOR backends",
            "Precise error locations",
            "Lossless big integer and decimal handling",
        ),
        ("decoder", "encoder", "schema validator", "number parser", "stream reader"),
        ("dumps", "loads", "encode", "decode", "validate"),
    ),
    "database": _Domain(
        ("db", "sql", "orm", "query", "store", "migrate", "row", "ledger"),
        ("database toolkit", "SQL query builder", "object-relational mapper"),
        ("database", "sql", "orm", "postgresql"),
        (
            "Composable query builder",
            "Schema migrations with rollback",
            "Connection pooling and health checks",
            "Transactions with savepoints",
            "Async drivers for PostgreSQL and MySQL",
            "Typed result rows",
            "Bulk inserts with COPY",
            "Query logging with timing",
        ),
        ("query builder", "migration runner", "connection pool", "transaction manager", "dialect"),
        ("select", "insert", "execute", "migrate", "connect"),
    ),
    "async": _Domain(
        ("async", "task", "loop", "future", "pool", "worker", "queue", "spawn"),
        ("async runtime", "task queue", "concurrency toolkit"),
        ("async", "concurrency", "task-queue", "scheduler"),
        (
            "Structured concurrency with task groups",
            "Cancellation that propagates cleanly",
            "Bounded channels with backpressure",
            "Rate limiting and semaphores",
            "Retries with jitter",
            "Cron-like periodic jobs",
            "Worker pools with graceful shutdown",
            "Deadlock detection in debug builds",
        ),
        ("scheduler", "channel", "worker pool", "timer wheel", "cancellation"),
        ("spawn", "gather", "submit", "schedule", "wait"),
    ),
    "web": _Domain(
        ("web", "route", "server", "api", "serve", "rest", "gate", "router"),
        ("web framework", "HTTP router", "REST API framework"),
        ("web", "framework", "api", "router"),
        (
            "Fast radix-tree routing",
            "Middleware with a simple interface",
            "Request validation from type hints",
            "Automatic OpenAPI documentation",
            "WebSocket support",
            "Static file serving with caching headers",
            "Dependency injection for handlers",
            "Graceful shutdown and health endpoints",
        ),
        ("router", "middleware", "request parser", "websocket handler", "session"),
        ("route", "serve", "middleware", "listen", "handler"),
    ),
    "data": _Domain(
        ("frame", "table", "data", "column", "array", "stats", "grid", "pivot"),
        ("dataframe library", "columnar data toolkit", "data processing library"),
        ("data", "dataframe", "analytics", "etl"),
        (
            "Lazy evaluation with query optimisation",
            "Columnar memory layout",
            "CSV, Parquet and JSON readers",
            "Group-by and window functions",
            "Out-of-core processing for large files",
            "Missing value handling",
            "Interop with Arrow buffers",
            "Vectorised string operations",
        ),
        ("csv reader", "group-by", "join", "window function", "parquet writer"),
        ("read_csv", "group_by", "join", "filter", "collect"),
    ),
    "ml": _Domain(
        ("learn", "tensor", "neural", "model", "train", "infer", "grad", "vector"),
        ("machine learning library", "tensor toolkit", "model inference engine"),
        ("machine-learning", "deep-learning", "neural-network", "inference"),
        (
            "Automatic differentiation",
            "GPU acceleration",
            "Model export to ONNX",
            "Mixed-precision training",
            "Data loaders with prefetching",
            "Quantised inference",
            "Reproducible random seeds",
            "Checkpointing and resumable training",
        ),
        ("optimizer", "data loader", "tensor op", "checkpoint", "tokenizer"),
        ("fit", "predict", "train", "load_model", "forward"),
    ),
    "crypto": _Domain(
        ("crypt", "hash", "cipher", "sign", "vault", "key", "seal", "nonce"),
        ("cryptography library", "hashing toolkit", "secrets manager"),
        ("cryptography", "security", "encryption", "hashing"),
        (
            "Authenticated encryption with AES-GCM and ChaCha20",
            "Constant-time comparisons",
            "Password hashing with Argon2",
            "Ed25519 signatures",
            "Key derivation functions",
            "Secure random number generation",
            "Audited against test vectors",
            "Misuse-resistant defaults",
        ),
        ("cipher", "key derivation", "signature verifier", "random source", "password hasher"),
        ("encrypt", "decrypt", "sign", "verify", "hash_password"),
    ),
    "image": _Domain(
        ("image", "pixel", "thumb", "vision", "render", "photo", "canvas", "lens"),
        ("image processing library", "thumbnail generator", "computer vision toolkit"),
        ("image-processing", "graphics", "computer-vision", "thumbnails"),
        (
            "Decoding of PNG, JPEG, WebP and AVIF",
            "High-quality resampling filters",
            "EXIF orientation handling",
            "Colour space conversion",
            "SIMD-accelerated filters",
            "Streaming thumbnails for large images",
            "Drawing primitives and text rendering",
            "Animated GIF support",
        ),
        ("decoder", "resampler", "exif reader", "colour converter", "encoder"),
        ("open", "resize", "thumbnail", "save", "convert"),
    ),
    "parsing": _Domain(
        ("parse", "lex", "grammar", "token", "peg", "markdown", "syntax", "scan"),
        ("parser generator", "markdown parser", "parser combinator library"),
        ("parser", "parsing", "grammar", "markdown"),
        (
            "Parser combinators with good error messages",
            "Incremental reparsing",
            "Unicode-aware lexer",
            "Source spans on every node",
            "Error recovery",
            "CommonMark compliance",
            "Pretty printer for syntax trees",
            "Left-recursion support",
        ),
        ("lexer", "error recovery", "syntax tree", "tokenizer", "renderer"),
        ("parse", "tokenize", "render", "compile", "walk"),
    ),
}
_DOMAIN_KEYS: tuple[str, ...] = tuple(_DOMAINS)


@dataclass(frozen=True)
class _LanguageStyle:
    display: str
    topics: tuple[str, ...]
    secondary: tuple[str, ...]
    errors: tuple[str, ...]
    fails: str  # verb used in bug titles: "raises X", "panics", ...
    old_runtime: tuple[str, ...]


_STYLES: dict[str, _LanguageStyle] = {
    "python": _LanguageStyle(
        "Python",
        ("python", "python3", "asyncio", "typing", "pydantic"),
        ("shell", "c", "cython"),
        ("ValueError", "TypeError", "KeyError", "RuntimeError", "AttributeError"),
        "raises {err}",
        ("Python 3.8", "Python 3.9"),
    ),
    "javascript": _LanguageStyle(
        "JavaScript",
        ("javascript", "nodejs", "browser", "es6"),
        ("html", "css", "shell"),
        ("TypeError", "RangeError", "SyntaxError"),
        "throws {err}",
        ("Node 16", "Node 18"),
    ),
    "typescript": _LanguageStyle(
        "TypeScript",
        ("typescript", "nodejs", "deno", "types"),
        ("javascript", "css"),
        ("TypeError", "RangeError"),
        "throws {err}",
        ("Node 18", "TypeScript 4"),
    ),
    "go": _LanguageStyle(
        "Go",
        ("go", "golang", "goroutines"),
        ("shell", "makefile"),
        ("nil pointer dereference", "index out of range"),
        "panics with {err}",
        ("Go 1.20", "Go 1.21"),
    ),
    "rust": _LanguageStyle(
        "Rust",
        ("rust", "rust-lang", "no-std", "wasm"),
        ("shell", "c"),
        ("unwrap on None", "index out of bounds"),
        "panics with {err}",
        ("Rust 1.70", "edition 2018"),
    ),
    "java": _LanguageStyle(
        "Java",
        ("java", "jvm", "spring", "kotlin-compatible"),
        ("kotlin", "shell"),
        ("NullPointerException", "IllegalStateException", "IllegalArgumentException"),
        "throws {err}",
        ("Java 8", "Java 11"),
    ),
}

_NAME_PREFIXES = ("fast", "tiny", "micro", "easy", "hyper", "open", "neo", "light", "quick", "zen")
_NAME_SUFFIXES = ("ify", "ly", "kit", "lib", "box", "hub", "io", "er", "x", "fy")
_APP_SUFFIXES = ("-server", "-app", "-dashboard", "-bot", "-service", "-ui", "-studio")
_SYLLABLES = (
    "ka", "lo", "mi", "ra", "ze", "to", "vi", "nu", "sa", "de", "po", "ri", "an", "el", "or",
    "ba", "qu", "ex", "ly", "mo", "ta", "ve", "jo", "ki", "su", "fa", "ne", "go", "hi", "wu",
)  # fmt: skip
_OWNER_SUFFIXES = ("", "", "", "", "-labs", "-dev", "hq", "-io", "-oss", "soft", "-team", "-org")

_ADJECTIVES = (
    "fast", "small", "simple", "modern", "lightweight", "robust", "minimal", "friendly",
    "typed", "pluggable", "pragmatic", "extensible", "composable", "portable", "tiny",
)  # fmt: skip
_VALUES = (
    "performance", "correctness", "ergonomics", "portability", "readability", "safety",
    "low memory use", "predictable latency", "small binaries", "clear errors",
)  # fmt: skip
_INTROS = (
    "{Name} is a {adj} {phrase} for {Lang}.",
    "{Name} provides a {adj} and {adj2} {phrase} written in {Lang}.",
    "A {adj} {phrase} for {Lang} projects, built with {value} in mind.",
    "{Name} is a {adj} {phrase} that favours {value} over cleverness.",
    "Meet {Name}: a {adj}, {adj2} {phrase} for {Lang} developers.",
)
_PITCHES = (
    "It focuses on {value} and {value2}.",
    "The API is small, explicit and easy to learn.",
    "It was extracted from a production system and is used by several teams.",
    "Every public function is documented and covered by tests.",
    "It has no mandatory runtime dependencies.",
    "Benchmarks are included so you can check the numbers yourself.",
    "It aims to stay boring: few features, done well.",
    "Releases follow semantic versioning and changes are listed in the changelog.",
    "Contributions of any size are welcome.",
    "The design borrows ideas from several older projects and keeps what worked.",
)
# A "Why" paragraph drawn from here gives unrelated READMEs of one domain different wording, so
# planted near-duplicates stand out from the ordinary template overlap.
_BACKSTORY = (
    "{Name} started in {year} as a weekend project to replace a tangle of scripts.",
    "The first version powered an internal {system} and was opened up later.",
    "Since then it has grown to cover most everyday needs without a large API.",
    "Unlike heavier alternatives, it keeps {value} front and centre.",
    "Version {major} removed deprecated helpers and tightened the types.",
    "Roughly {count} public projects depend on it today.",
    "Maintenance happens in the open; the roadmap lives in the issue tracker.",
    "Every supported {Lang} release is exercised in continuous integration.",
    "Measured against similar tools it stays within {pct} percent of the fastest.",
    "Error messages point at the exact input that caused them.",
    "Nothing is global: every component can be instantiated twice in one process.",
    "The code base is intentionally small, around {kloc} thousand lines.",
    "Its authors previously maintained a {system} and learned which shortcuts hurt later.",
    "Sponsorship pays for a part-time maintainer who answers questions within days.",
    "Translations of the guide exist in {tongue} and {tongue2}.",
    "A compatibility layer eases migration from older releases.",
)
_SYSTEMS = (
    "billing service", "analytics pipeline", "mobile backend", "game server",
    "research cluster", "newsroom publishing system", "logistics platform", "trading desk",
)  # fmt: skip
_TONGUES = ("Spanish", "Japanese", "German", "Portuguese", "Korean", "French", "Chinese")
_GENERIC_FEATURES = (
    "Fully typed public API",
    "Extensive test suite",
    "Works on Linux, macOS and Windows",
    "Thorough documentation with examples",
    "Permissive license",
)

# Synonyms used to paraphrase READMEs of near-duplicate clusters.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "fast": ("quick", "speedy"),
    "small": ("compact", "little"),
    "simple": ("straightforward", "plain"),
    "modern": ("contemporary", "current"),
    "lightweight": ("light", "slim"),
    "robust": ("reliable", "solid"),
    "minimal": ("lean", "bare"),
    "friendly": ("approachable", "welcoming"),
    "provides": ("offers", "delivers"),
    "library": ("package", "module"),
    "toolkit": ("kit", "toolbox"),
    "built": ("designed", "made"),
    "written": ("implemented", "coded"),
    "focuses": ("concentrates", "centres"),
    "projects": ("applications", "codebases"),
    "support": ("handling", "compatibility"),
    "automatic": ("built-in", "implicit"),
    "easy": ("simple", "painless"),
    "used": ("relied upon", "deployed"),
    "welcome": ("appreciated", "encouraged"),
    "included": ("provided", "bundled"),
    "documented": ("described", "explained"),
    "install": ("add", "set up"),
    "with": ("using", "via"),
    "large": ("big", "huge"),
    "clear": ("readable", "precise"),
}

_LICENSES: tuple[tuple[str | None, float], ...] = (
    ("MIT", 0.40),
    ("Apache-2.0", 0.24),
    ("BSD-3-Clause", 0.08),
    ("BSD-2-Clause", 0.03),
    ("ISC", 0.03),
    ("MPL-2.0", 0.03),
    ("Unlicense", 0.01),
    ("GPL-3.0-only", 0.05),
    ("GPL-2.0-only", 0.02),
    ("LGPL-3.0-only", 0.02),
    ("AGPL-3.0-only", 0.02),
    (None, 0.07),
)

_ISSUE_KINDS: tuple[tuple[str, float], ...] = (
    ("bug", 0.34),
    ("feature", 0.24),
    ("docs", 0.10),
    ("question", 0.10),
    ("performance", 0.07),
    ("security", 0.04),
    ("chore", 0.11),
)
# Three label vocabularies real projects use; each repository picks one so labels are consistent
# within a repository but a categoriser cannot rely on a single spelling.
_KIND_LABELS: dict[str, tuple[str, str, str]] = {
    "bug": ("bug", "type: bug", "kind/bug"),
    "feature": ("enhancement", "type: feature", "kind/feature"),
    "docs": ("documentation", "type: docs", "kind/documentation"),
    "question": ("question", "type: question", "kind/support"),
    "performance": ("performance", "type: performance", "kind/perf"),
    "security": ("security", "type: security", "kind/security"),
    "chore": ("chore", "type: maintenance", "kind/cleanup"),
}
_CONDITIONS = (
    "the input is empty",
    "called from several threads",
    "the input contains non-ASCII characters",
    "the timeout is zero",
    "running on Windows",
    "the file is larger than 2 GB",
    "an optional argument is omitted",
    "the configuration file is missing",
)
_THINGS = ("a custom type", "a generator", "keyword arguments", "a file path", "a callback")
_FEATURE_WISHES = (
    "async usage",
    "streaming input",
    "a plugin hook",
    "custom error messages",
    "environment overrides",
    "a dry-run mode",
)
_ISSUE_TITLES: dict[str, tuple[str, ...]] = {
    "bug": (
        "{f}() {fails} when {cond}",
        "Crash in {c} when {cond}",
        "{C} returns wrong result when {cond}",
        "Regression in {v}: {c} no longer works",
        "Memory leak in {c}",
        "{C} hangs when {cond}",
    ),
    "feature": (
        "Support {wish} in {c}",
        "Add option to configure the {c}",
        "Feature request: {wish}",
        "Allow {f}() to accept {thing}",
    ),
    "docs": (
        "Docs: example for {f}() is outdated",
        "Typo in {c} documentation",
        "Document how to configure the {c}",
        "README installation instructions are wrong",
    ),
    "security": (
        "Possible denial of service via crafted input to {f}()",
        "Security: {c} does not validate untrusted input",
        "Vulnerable transitive dependency pulled in by {c}",
        "Path traversal in {c}",
    ),
    "performance": (
        "{f}() is slow for large inputs",
        "High memory usage in {c}",
        "Performance regression in {v}",
        "{C} allocates on every call",
    ),
    "question": (
        "How do I use {f}() with {thing}?",
        "Is the {c} thread-safe?",
        "What is the recommended way to configure the {c}?",
    ),
    "chore": (
        "Bump development dependencies",
        "Migrate CI to a newer runner image",
        "Drop support for {old}",
        "Refactor the {c} module",
        "Enable stricter linting",
    ),
}
_ASSOCIATIONS = (
    ("NONE", 0.45),
    ("CONTRIBUTOR", 0.25),
    ("FIRST_TIME_CONTRIBUTOR", 0.08),
    ("MEMBER", 0.12),
    ("OWNER", 0.10),
)


# --------------------------------------------------------------------------- public records


@dataclass(frozen=True)
class RepoTruth:
    """What the world planted in one repository, for tests and the demo's self-check."""

    full_name: str
    language: str
    domain: str
    kind: str  # "library" publishes a package; "application" only consumes packages
    dead: bool  # no commits in 90 days (archived repositories are dead too)
    archived: bool
    unknown_activity: str | None  # None, "partial" or "full": which signals come back as None
    fork_of: str | None
    duplicate_of: str | None  # the cluster's original when this README is a near-copy
    package: str | None  # package name in the language's ecosystem


# --------------------------------------------------------------------------- helpers


def _stable_int(text: str) -> int:
    return zlib.crc32(text.encode())


def _seed_sequence(seed: int, *keys: str) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, *(_stable_int(k) for k in keys)])


def _py_random(seed: int, *keys: str) -> random.Random:
    state = _seed_sequence(seed, *keys).generate_state(2, dtype=np.uint64)
    return random.Random(int(state[0]) << 64 | int(state[1]))


def _power_law_stars(rng: np.random.Generator, n: int) -> np.ndarray:
    """Pareto-distributed star counts (int64), shared by the world and the scale arrays."""
    u = 1.0 - rng.random(n)  # in (0, 1] so the power never divides by zero
    stars = STAR_SCALE * u ** (-1.0 / STAR_ALPHA) - STAR_SCALE
    return np.minimum(stars, STAR_CAP).astype(np.int64)


def _pick_exact(rng: np.random.Generator, pool: np.ndarray, share: float, n: int) -> np.ndarray:
    """Pick ``round(share * n)`` members of ``pool`` (at least one when n >= 10)."""
    count = round(share * n)
    if n >= 10:
        count = max(count, 1)
    count = min(count, pool.size)
    if count == 0:
        return np.empty(0, dtype=np.int64)
    return np.sort(rng.choice(pool, size=count, replace=False))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _pypi_canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _word_choice(rnd: random.Random, weighted: Sequence[tuple[object, float]]) -> object:
    items = [item for item, _ in weighted]
    weights = [w for _, w in weighted]
    return rnd.choices(items, weights)[0]


def _owner_name(rnd: random.Random) -> str:
    core = "".join(rnd.choice(_SYLLABLES) for _ in range(rnd.choice((2, 2, 3, 3, 4))))
    return core + rnd.choice(_OWNER_SUFFIXES)


def _repo_name(rnd: random.Random, language: str, domain: _Domain, kind: str) -> str:
    word = rnd.choice(domain.words)
    style = rnd.random()
    if style < 0.25:
        name = word
    elif style < 0.45:
        name = rnd.choice(_NAME_PREFIXES) + word
    elif style < 0.65:
        name = word + rnd.choice(_NAME_SUFFIXES)
    elif style < 0.85:
        other = rnd.choice([w for w in domain.words if w != word])
        name = f"{word}-{other}"
    else:
        name = "".join(rnd.choice(_SYLLABLES) for _ in range(2)) + word
    if kind == "application":
        return name + rnd.choice(_APP_SUFFIXES)
    if rnd.random() < 0.3:
        flavours = {
            "python": ("py" + name, name + "-py"),
            "javascript": (name + ".js", name + "-js"),
            "typescript": ("ts-" + name, name + "-ts"),
            "go": ("go-" + name, name + "-go"),
            "rust": (name + "-rs", "rs-" + name),
            "java": (name + "4j", "j" + name),
        }
        name = rnd.choice(flavours[language])
    return name


def _package_name(
    rnd: random.Random, ecosystem: str, owner: str, name: str, taken: set[str]
) -> str:
    """A registry name following the ecosystem's conventions, unique within ``taken``."""
    if ecosystem == "go":
        candidate = f"github.com/{owner}/{name}"
    elif ecosystem == "maven":
        group = owner.replace("-", "")
        candidate = f"io.github.{group}:{name}"
    elif ecosystem == "npm":
        bare = name.removesuffix(".js")
        candidate = f"@{owner}/{bare}" if rnd.random() < 0.15 else bare
        if candidate in taken:
            candidate = f"@{owner}/{bare}"
    else:
        candidate = name.replace(".", "-")
        if _pypi_canonical(candidate) in taken:
            candidate = f"{owner}-{candidate}"

    def key(text: str) -> str:
        return _pypi_canonical(text) if ecosystem in ("pypi", "crates") else text

    unique, suffix = candidate, 2
    while key(unique) in taken:  # rare leftovers, e.g. "x.js" and "x" under one owner
        unique, suffix = f"{candidate}-{suffix}", suffix + 1
    taken.add(key(unique))
    return unique


# --------------------------------------------------------------------------- text generation


def _code_snippet(language: str, pkg: str, func: str, kind: str, full_name: str) -> str:
    if kind == "application":
        return f"git clone https://github.com/{full_name}\ncd {full_name.split('/')[1]}\nmake run"
    mod = re.sub(r"[^a-z0-9]+", "_", pkg.split("/")[-1].split(":")[-1].lower()).strip("_")
    if language == "python":
        return f"import {mod}\n\nresult = {mod}.{func}(data)\nprint(result)"
    if language in ("javascript", "typescript"):
        camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), func)
        return f'import {{ {camel} }} from "{pkg}";\n\nconst result = await {camel}(data);'
    if language == "go":
        exported = "".join(part.capitalize() for part in func.split("_"))
        return f'import "{pkg}"\n\nresult, err := {mod}.{exported}(data)'
    if language == "rust":
        return f"use {mod}::{func};\n\nlet result = {func}(&data)?;"
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), func)
    return f"var result = {mod.capitalize()}.{camel}(data);"


def _install_line(language: str, pkg: str, kind: str, full_name: str) -> str:
    if kind == "application":
        return f"docker run ghcr.io/{full_name}:latest"
    return {
        "python": f"pip install {pkg}",
        "javascript": f"npm install {pkg}",
        "typescript": f"npm install {pkg}",
        "go": f"go get {pkg}",
        "rust": f"cargo add {pkg}",
        "java": f"<dependency>{pkg}</dependency>",
    }[language]


@dataclass
class _Text:
    description: str
    topics: list[str]
    readme: str


def _generate_text(
    rnd: random.Random, language: str, domain_key: str, kind: str, full_name: str, pkg: str
) -> _Text:
    domain = _DOMAINS[domain_key]
    style = _STYLES[language]
    name = full_name.split("/")[1]
    adj, adj2 = rnd.sample(_ADJECTIVES, 2)
    value, value2 = rnd.sample(_VALUES, 2)
    phrase = rnd.choice(domain.phrases)
    if kind == "application":
        phrase = f"self-hosted service built on a {phrase}"
    fill = {
        "Name": name,
        "adj": adj,
        "adj2": adj2,
        "phrase": phrase,
        "Lang": style.display,
        "value": value,
        "value2": value2,
        "year": rnd.randint(2012, 2024),
        "system": rnd.choice(_SYSTEMS),
        "major": rnd.randint(1, 5),
        "count": rnd.choice((20, 50, 100, 300, 1000)),
        "pct": rnd.randint(3, 25),
        "kloc": rnd.randint(2, 40),
        "tongue": rnd.choice(_TONGUES[:4]),
        "tongue2": rnd.choice(_TONGUES[4:]),
    }
    description = f"{adj.capitalize()} {phrase} for {style.display}"
    if rnd.random() < 0.4:
        description += f": {rnd.choice(domain.features).lower()}"

    topics: list[str] = []
    if rnd.random() > 0.15:
        topics = rnd.sample(style.topics, rnd.randint(0, 2))
        topics += rnd.sample(domain.topics, rnd.randint(1, 3))

    intro = rnd.choice(_INTROS).format(**fill)
    pitches = " ".join(p.format(**fill) for p in rnd.sample(_PITCHES, rnd.randint(1, 3)))
    features = rnd.sample(domain.features, rnd.randint(3, 6))
    features += rnd.sample(_GENERIC_FEATURES, rnd.randint(0, 2))
    rnd.shuffle(features)
    bullets = "\n".join(f"- {feat}" for feat in features)
    func = rnd.choice(domain.funcs)
    backstory = " ".join(b.format(**fill) for b in rnd.sample(_BACKSTORY, rnd.randint(2, 4)))
    sections = [
        f"# {name}",
        f"{intro} {pitches}",
        f"## Why {name}?",
        backstory,
        "## Features",
        bullets,
        "## Installation",
        f"```\n{_install_line(language, pkg, kind, full_name)}\n```",
        "## Usage",
        f"```\n{_code_snippet(language, pkg, func, kind, full_name)}\n```",
    ]
    if rnd.random() < 0.6:
        sections += [
            "## Contributing",
            "Bug reports and pull requests are welcome. Please open an issue first to discuss "
            "larger changes.",
        ]
    return _Text(description=description, topics=sorted(set(topics)), readme="\n\n".join(sections))


_WORD_RE = re.compile(r"[A-Za-z][A-Za-z-]*")


def _paraphrase(rnd: random.Random, text: str, old_name: str, new_name: str, level: float) -> str:
    """Swap synonyms in prose, drop one bullet and rename the project; code blocks stay intact."""
    parts = text.split("```")
    for i in range(0, len(parts), 2):  # even parts are outside code fences
        lines = parts[i].split("\n")
        bullets = [j for j, line in enumerate(lines) if line.startswith("- ")]
        if len(bullets) > 3 and rnd.random() < level:
            del lines[rnd.choice(bullets)]

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            options = _SYNONYMS.get(word.lower())
            if not options or rnd.random() > level:
                return word
            choice = rnd.choice(options)
            return choice.capitalize() if word[0].isupper() else choice

        parts[i] = _WORD_RE.sub(swap, "\n".join(lines))
    return "```".join(parts).replace(old_name, new_name)


def _stack_trace(rnd: random.Random, language: str, full_name: str, comp: str, func: str) -> str:
    owner, name = full_name.split("/")
    mod = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "lib"
    comp_file = comp.replace(" ", "_").replace("-", "_")
    line = rnd.randint(20, 900)
    err = rnd.choice(_STYLES[language].errors)
    if language == "python":
        return (
            "Traceback (most recent call last):\n"
            '  File "app.py", line 12, in <module>\n'
            f"    {mod}.{func}(data)\n"
            f'  File "site-packages/{mod}/{comp_file}.py", line {line}, in {func}\n'
            f"    raise {err}(msg)\n"
            f"{err}: unexpected value in {comp}"
        )
    if language in ("javascript", "typescript"):
        return (
            f"{err}: Cannot read properties of undefined (reading '{func}')\n"
            f"    at {func} (node_modules/{name}/lib/{comp_file}.js:{line}:17)\n"
            "    at Object.<anonymous> (index.js:5:3)"
        )
    if language == "go":
        return (
            f"panic: runtime error: {err}\n\n"
            "goroutine 1 [running]:\n"
            f"github.com/{full_name}.{func.capitalize()}(...)\n"
            f"\t/go/pkg/mod/github.com/{owner}/{name}/{comp_file}.go:{line} +0x2c\n"
            "main.main()\n\t/app/main.go:14 +0x25"
        )
    if language == "rust":
        return (
            f"thread 'main' panicked at src/{comp_file}.rs:{line}:9:\n"
            f"{err}\n"
            "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
        )
    cls = "".join(part.capitalize() for part in comp_file.split("_"))
    group = owner.replace("-", "")
    return (
        f'Exception in thread "main" java.lang.{err}: {comp} failed\n'
        f"\tat io.github.{group}.{mod}.{cls}.{func}({cls}.java:{line})\n"
        "\tat com.example.App.main(App.java:9)"
    )


def _issue_text(
    rnd: random.Random, kind: str, language: str, full_name: str, domain_key: str, version: str
) -> tuple[str, str, bool]:
    """Title, body and whether the issue is a good first issue candidate."""
    domain = _DOMAINS[domain_key]
    style = _STYLES[language]
    comp = rnd.choice(domain.components)
    func = rnd.choice(domain.funcs)
    err = rnd.choice(style.errors)
    fill = {
        "f": func,
        "c": comp,
        "C": comp.capitalize(),
        "cond": rnd.choice(_CONDITIONS),
        "fails": style.fails.format(err=err),
        "v": version,
        "wish": rnd.choice(_FEATURE_WISHES),
        "thing": rnd.choice(_THINGS),
        "old": rnd.choice(style.old_runtime),
    }
    title = rnd.choice(_ISSUE_TITLES[kind]).format(**fill)
    paragraphs: list[str] = []
    easy = False
    if kind == "bug":
        paragraphs.append(f"When {fill['cond']}, the {comp} misbehaves.")
        if rnd.random() < 0.6:
            paragraphs.append(
                "Steps to reproduce:\n\n"
                f"1. Install version {version}\n"
                f"2. Call `{func}()` with the input below\n"
                "3. Observe the failure"
            )
        if rnd.random() < 0.5:
            paragraphs.append(f"```\n{func}(data)\n```")
        if rnd.random() < 0.45:
            paragraphs.append(f"```\n{_stack_trace(rnd, language, full_name, comp, func)}\n```")
        paragraphs.append(f"Expected: it works. Actual: it {fill['fails']}.")
        paragraphs.append(f"Environment: {style.display}, version {version}, Linux.")
        easy = rnd.random() < 0.15
    elif kind == "feature":
        paragraphs.append(
            f"It would be useful if the {comp} supported {fill['wish']}. "
            "Today we work around it with a wrapper."
        )
        if rnd.random() < 0.4:
            paragraphs.append(f"Proposed API:\n\n```\n{func}(data, option=True)\n```")
    elif kind == "docs":
        paragraphs.append(
            f"The documentation for `{func}()` does not match the behaviour in {version}. "
            "A corrected example would help new users."
        )
        easy = rnd.random() < 0.5
    elif kind == "security":
        paragraphs.append(
            f"Input passed to `{func}()` reaches the {comp} without validation; a crafted "
            "payload can exhaust memory or read files outside the intended directory. "
            "Please advise on a coordinated fix."
        )
    elif kind == "performance":
        slow, fast = rnd.randint(800, 9000), rnd.randint(40, 400)
        paragraphs.append(
            f"`{func}()` takes {slow} ms on a 100 MB input while a naive loop takes {fast} ms. "
            f"Profiling points at the {comp}."
        )
        if rnd.random() < 0.4:
            paragraphs.append(f"```\nfor _ in range(1000):\n    {func}(data)\n```")
    elif kind == "question":
        paragraphs.append(
            f"I could not find this in the docs: how should `{func}()` be used with "
            f"{fill['thing']}? Is the {comp} safe to share?"
        )
    else:
        paragraphs.append("Housekeeping so the project stays easy to work on. No behaviour change.")
        easy = rnd.random() < 0.35
    if rnd.random() < 0.08:
        return title, "", easy  # some reporters leave the body empty
    return title, "\n\n".join(paragraphs), easy


# --------------------------------------------------------------------------- internal state


@dataclass
class _Identity:
    owner: str
    name: str
    domain: str
    kind: str
    fork_parent: int | None  # index of the parent within the same language


@dataclass
class _LanguageData:
    language: str
    metas: list[RepoMetadata]
    truths: list[RepoTruth]
    index: dict[str, int]
    arrays: dict[str, np.ndarray]
    clusters: list[list[str]]
    activity_cache: dict[int, ActivityStats] = field(default_factory=dict)
    skeleton_cache: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)


@dataclass
class _EcosystemData:
    packages: dict[str, PackageRecord]
    edges: list[DependencyEdge]


class SimulatedPackageIndex:
    """The ``PackageIndex`` view of one simulated ecosystem."""

    def __init__(self, ecosystem: str, records: dict[str, PackageRecord]) -> None:
        self.ecosystem = ecosystem
        self._records = records
        self._lookup = {self._key(name): name for name in records}

    def _key(self, name: str) -> str:
        # The Python index treats runs of -_. and case as equivalent; others are exact.
        return _pypi_canonical(name) if self.ecosystem == "pypi" else name

    def package(self, name: str) -> PackageRecord:
        canonical = self._lookup.get(self._key(name))
        if canonical is None:
            raise NotFoundError(f"package {name!r} not found in simulated {self.ecosystem}")
        return self._records[canonical].model_copy(deep=True)

    def packages(self, names: Iterable[str]) -> Iterator[PackageRecord]:
        for name in names:
            canonical = self._lookup.get(self._key(name))
            if canonical is not None:
                yield self._records[canonical].model_copy(deep=True)

    def all_packages(self) -> Iterator[PackageRecord]:
        """Every package: a closed world can be enumerated, unlike a real registry."""
        return self.packages(list(self._records))

    def __repr__(self) -> str:
        return f"SimulatedPackageIndex({self.ecosystem!r}, {len(self._records)} packages)"


# --------------------------------------------------------------------------- the world


class SimulatedWorld:
    """A synthetic ecosystem implementing ``RepoSource`` plus per-ecosystem package indexes."""

    name = "simulated"

    def __init__(
        self,
        seed: int = 7,
        repos_per_language: int = 200,
        languages: Sequence[str] = LANGUAGES,
        now: datetime | None = None,
    ) -> None:
        if seed < 0:
            raise ValueError("seed must be a non-negative integer")
        if repos_per_language < 1:
            raise ValueError("repos_per_language must be at least 1")
        unknown = [lang for lang in languages if lang not in LANGUAGES]
        if unknown:
            raise ValueError(f"unknown languages {unknown}; expected some of {list(LANGUAGES)}")
        self.seed = seed
        self.repos_per_language = repos_per_language
        self.languages: tuple[str, ...] = tuple(dict.fromkeys(languages))
        self.now = _aware(now) if now is not None else DEFAULT_NOW
        self._identities: dict[str, list[_Identity]] | None = None
        self._packages_by_lang: dict[str, list[str | None]] | None = None
        self._name_to_language: dict[str, tuple[str, int]] = {}
        self._lang_cache: dict[str, _LanguageData] = {}
        self._eco_cache: dict[str, _EcosystemData] = {}
        # Languages and ecosystems are built under one re-entrant lock so threaded executors can
        # share a world; per-repository caches need none (a race recomputes the same value).
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return (
            f"SimulatedWorld(seed={self.seed}, repos_per_language={self.repos_per_language}, "
            f"languages={list(self.languages)})"
        )

    # ----------------------------------------------------------------- RepoSource

    def search_repositories(self, query: SearchQuery, max_results: int) -> Iterator[RepoMetadata]:
        """Filter like GitHub's search: ``created_after`` inclusive, ``created_before`` exclusive.

        The half-open date range lets callers slice a query into adjacent windows (the way one
        works around GitHub's 1000-result cap) without counting a repository twice.
        """
        if max_results <= 0:
            return iter(())
        if query.language is not None:
            lang = query.language.lower()
            languages = (lang,) if lang in self.languages else ()
        else:
            languages = self.languages
        words = query.text.lower().split()
        # GitHub's `topic:NAME` qualifier matches a topic exactly; other words match text.
        wanted_topics = {w[len("topic:") :] for w in words if w.startswith("topic:")}
        terms = [w for w in words if not w.startswith("topic:")]
        owner = query.owner.lower() if query.owner else None
        after = _aware(query.created_after) if query.created_after else None
        before = _aware(query.created_before) if query.created_before else None
        hits: list[RepoMetadata] = []
        for lang in languages:
            for meta in self._language(lang).metas:
                if meta.stars < query.min_stars:
                    continue
                if query.max_stars is not None and meta.stars > query.max_stars:
                    continue
                if (meta.is_fork and not query.include_forks) or (
                    meta.archived and not query.include_archived
                ):
                    continue
                if owner is not None and meta.full_name.split("/")[0] != owner:
                    continue
                assert meta.created_at is not None
                if after is not None and meta.created_at < after:
                    continue
                if before is not None and meta.created_at >= before:
                    continue
                if wanted_topics and not wanted_topics <= {t.lower() for t in meta.topics}:
                    continue
                if terms:
                    haystack = " ".join(
                        [meta.full_name.split("/")[1], meta.description or "", *meta.topics]
                    ).lower()
                    if not all(term in haystack for term in terms):
                        continue
                hits.append(meta)
        hits.sort(key=lambda m: (-m.stars, m.full_name))
        return (meta.model_copy(deep=True) for meta in hits[:max_results])

    def repository_metadata(self, full_names: Sequence[str]) -> dict[str, RepoMetadata]:
        """Known repositories keyed by canonical ``owner/name``; unknown names are omitted."""
        result: dict[str, RepoMetadata] = {}
        for requested in full_names:
            found = self._locate(requested)
            if found is not None:
                data, i = found
                meta = data.metas[i]
                result[meta.full_name] = meta.model_copy(deep=True)
        return result

    def activity(self, full_name: str) -> ActivityStats:
        data, i = self._require(full_name)
        stats = data.activity_cache.get(i)
        if stats is None:
            stats = self._build_activity(data, i)
            data.activity_cache[i] = stats
        return stats.model_copy()

    def issues(
        self, full_name: str, *, state: str = "open", since: datetime | None = None
    ) -> Iterator[IssueRecord]:
        """Issues newest first; ``since`` keeps those updated at or after it (GitHub's rule)."""
        if state not in ("open", "closed", "all"):
            raise ValueError(f"state must be 'open', 'closed' or 'all', not {state!r}")
        data, i = self._require(full_name)
        since_ts = _aware(since).timestamp() if since is not None else None
        return self._iter_issues(data, i, state, since_ts)

    # ----------------------------------------------------------------- extras

    def repositories(self, language: str | None = None) -> list[RepoMetadata]:
        """Every repository (forks and archived included), most-starred first."""
        languages = self.languages if language is None else self._checked_language(language)
        metas = [m for lang in languages for m in self._language(lang).metas]
        metas.sort(key=lambda m: (-m.stars, m.full_name))
        return [m.model_copy(deep=True) for m in metas]

    def truth(self, full_name: str) -> RepoTruth:
        data, i = self._require(full_name)
        return data.truths[i]

    def truths(self, language: str | None = None) -> list[RepoTruth]:
        languages = self.languages if language is None else self._checked_language(language)
        return [t for lang in languages for t in self._language(lang).truths]

    @property
    def duplicate_clusters(self) -> list[list[str]]:
        """Near-duplicate README clusters, original first; forks (exact copies) are not listed."""
        return [list(c) for lang in self.languages for c in self._language(lang).clusters]

    def packages(self, ecosystem: str) -> list[PackageRecord]:
        """Every package of ``ecosystem`` built from the configured languages, sorted by name."""
        data = self._ecosystem(ecosystem)
        return [data.packages[name].model_copy(deep=True) for name in sorted(data.packages)]

    def package_index(self, ecosystem: str) -> SimulatedPackageIndex:
        return SimulatedPackageIndex(ecosystem, self._ecosystem(ecosystem).packages)

    def dependency_edges(self, language: str | None = None) -> list[DependencyEdge]:
        """Repository-level edges; with ``language``, those with either end in that language.

        Either end, because impact scoring of a language needs the edges pointing *into* its
        repositories while dependents may be written in a sibling language of the ecosystem
        (TypeScript packages depending on JavaScript ones).
        """
        if language is None:
            ecosystems = dict.fromkeys(ECOSYSTEM_BY_LANGUAGE[lang] for lang in self.languages)
            return [e.model_copy() for eco in ecosystems for e in self._ecosystem(eco).edges]
        self._checked_language(language)
        edges = self._ecosystem(ECOSYSTEM_BY_LANGUAGE[language]).edges
        return [
            e.model_copy()
            for e in edges
            if self._name_to_language[e.dependent][0] == language
            or self._name_to_language[e.dependency][0] == language
        ]

    # ----------------------------------------------------------------- lookup

    def _checked_language(self, language: str) -> tuple[str]:
        if language not in self.languages:
            raise ValueError(f"language {language!r} is not part of this world")
        return (language,)

    def _locate(self, full_name: str) -> tuple[_LanguageData, int] | None:
        self._ensure_identities()
        found = self._name_to_language.get(full_name.strip().lower())
        if found is None or found[0] not in self.languages:
            return None
        return self._language(found[0]), found[1]

    def _require(self, full_name: str) -> tuple[_LanguageData, int]:
        found = self._locate(full_name)
        if found is None:
            raise NotFoundError(f"repository {full_name!r} not found in the simulated world")
        return found

    # ----------------------------------------------------------------- generation: names

    def _ensure_identities(self) -> dict[str, list[_Identity]]:
        """Names, domains, kinds and package names for every known language.

        Drawn for all of ``LANGUAGES`` (cheap: strings only) so names are globally unique and a
        language's repositories never depend on which other languages the caller configured.
        """
        with self._lock:
            if self._identities is None:
                self._identities = self._draw_identities()
            return self._identities

    def _draw_identities(self) -> dict[str, list[_Identity]]:
        n = self.repos_per_language
        owner_rnd = _py_random(self.seed, "owners")
        owners: list[str] = []
        seen_owners: set[str] = set()
        while len(owners) < max(30, n * len(LANGUAGES) // 3):
            candidate = _owner_name(owner_rnd)
            if candidate not in seen_owners:
                seen_owners.add(candidate)
                owners.append(candidate)
        # Zipf-like: a few organisations own many repositories.
        owner_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(owners))]

        identities: dict[str, list[_Identity]] = {}
        packages: dict[str, list[str | None]] = {}
        taken_full: set[str] = set()
        taken_pkgs: dict[str, set[str]] = {}
        for lang in LANGUAGES:
            rng = np.random.default_rng(_seed_sequence(self.seed, "identity", lang))
            rnd = _py_random(self.seed, "names", lang)
            forks = set(_pick_exact(rng, np.arange(n), FORK_SHARE, n).tolist()) if n > 1 else set()
            non_forks = np.array([i for i in range(n) if i not in forks])
            apps = set(_pick_exact(rng, non_forks, APPLICATION_SHARE, n).tolist())
            domains = rng.choice(len(_DOMAIN_KEYS), size=n)
            rows: list[_Identity | None] = [None] * n
            for i in range(n):
                if i in forks:
                    continue
                kind = "application" if i in apps else "library"
                domain = _DOMAIN_KEYS[int(domains[i])]
                for attempt in range(100):
                    owner = rnd.choices(owners, owner_weights)[0]
                    name = _repo_name(rnd, lang, _DOMAINS[domain], kind)
                    if attempt > 20:
                        name = f"{name}{attempt}"
                    if f"{owner}/{name}" not in taken_full:
                        break
                taken_full.add(f"{owner}/{name}")
                rows[i] = _Identity(owner, name, domain, kind, None)
            for i in sorted(forks):
                parent = int(rng.choice(non_forks))
                pid = rows[parent]
                assert pid is not None
                owner = pid.owner
                while f"{owner}/{pid.name}" in taken_full:
                    owner = _owner_name(rnd)
                taken_full.add(f"{owner}/{pid.name}")
                rows[i] = _Identity(owner, pid.name, pid.domain, pid.kind, parent)
            done = [row for row in rows if row is not None]
            identities[lang] = done
            eco = ECOSYSTEM_BY_LANGUAGE[lang]
            taken = taken_pkgs.setdefault(eco, set())
            packages[lang] = [
                _package_name(rnd, eco, ident.owner, ident.name, taken)
                if ident.kind == "library" and ident.fork_parent is None
                else None
                for ident in done
            ]
            for i, ident in enumerate(done):
                self._name_to_language[f"{ident.owner}/{ident.name}"] = (lang, i)
        self._packages_by_lang = packages
        return identities

    # ----------------------------------------------------------------- generation: a language

    def _language(self, language: str) -> _LanguageData:
        with self._lock:
            cached = self._lang_cache.get(language)
            if cached is None:
                cached = self._build_language(language)
                self._lang_cache[language] = cached
            return cached

    def _build_language(self, lang: str) -> _LanguageData:
        idents = self._ensure_identities()[lang]
        assert self._packages_by_lang is not None
        pkgs = self._packages_by_lang[lang]
        n = len(idents)
        rng = np.random.default_rng(_seed_sequence(self.seed, "repos", lang))
        is_fork = np.array([ident.fork_parent is not None for ident in idents])
        parents = np.array(
            [
                i if ident.fork_parent is None else ident.fork_parent
                for i, ident in enumerate(idents)
            ]
        )
        everyone = np.arange(n)
        originals = everyone[~is_fork]

        archived = np.zeros(n, dtype=bool)
        archived[_pick_exact(rng, originals, ARCHIVED_SHARE, n)] = True
        dead = archived.copy()
        dead[_pick_exact(rng, everyone[~is_fork & ~archived], DEAD_SHARE, n)] = True
        unknown = np.zeros(n, dtype=np.int8)  # 0 known, 1 partial, 2 full
        live = everyone[~archived]
        full_unknown = _pick_exact(rng, live, UNKNOWN_FULL_SHARE, n)
        unknown[full_unknown] = 2
        partial_pool = np.setdiff1d(live, full_unknown)
        unknown[_pick_exact(rng, partial_pool, UNKNOWN_PARTIAL_SHARE, n)] = 1
        no_readme = np.zeros(n, dtype=bool)
        no_readme[_pick_exact(rng, originals, NO_README_SHARE, n)] = True
        no_readme = no_readme[parents]  # a fork mirrors its parent's README, or lack of one

        age = 30.0 + 4600.0 * rng.random(n) ** 0.85
        age[dead] = np.maximum(age[dead], 400.0)
        age = np.where(is_fork, age[parents] * rng.uniform(0.05, 0.95, n), age)
        base = _power_law_stars(rng, n).astype(float)
        # Older projects had longer to collect stars; a mild effect keeps the law heavy-tailed.
        stars = base * (0.6 + 0.8 * np.minimum(age / 2000.0, 1.0))
        stars = np.where(is_fork, np.floor(stars / 30.0), stars)
        stars = np.minimum(stars, STAR_CAP).astype(np.int64)
        forks = np.floor(stars * rng.lognormal(np.log(0.12), 0.6, n)).astype(np.int64)
        pop = np.log10(stars + 1.0)
        level = rng.lognormal(0.0, 0.6, n) * (0.5 + 0.25 * pop)
        level[is_fork] *= 0.1

        # Dead repositories were last pushed 120+ days ago (their age is at least 400 days);
        # living ones within the last 80, so a 90-day window always sees their commits.
        idle_days = np.where(
            dead,
            120.0 + rng.random(n) * np.maximum(age - 150.0, 1.0),
            np.minimum(rng.exponential(6.0, n), 80.0),
        )
        idle_days = np.minimum(idle_days, np.maximum(age - 1.0, 0.0))

        contributors = 1 + np.floor(stars**0.6 * rng.lognormal(-0.5, 0.6, n)).astype(np.int64)
        contributors = np.minimum(contributors, 3000)
        commits = np.maximum(1, rng.poisson(level * (3.0 + 4.0 * np.sqrt(contributors))))
        commits[dead] = 0
        share = np.clip(0.9 * contributors**-0.25 * rng.lognormal(0.0, 0.25, n), 0.05, 1.0)
        share = np.maximum(share, 1.0 / contributors)
        share[contributors == 1] = 1.0
        has_ci = rng.random(n) < 0.7 + 0.05 * pop
        ci_total = np.where(has_ci, rng.poisson(commits * 1.4 + 2.0), 0)
        ci_passed = rng.binomial(ci_total, rng.beta(20.0, 2.0, n))
        # Dead but not archived: scheduled workflows keep running against rotting code and fail.
        dead_ci = dead & ~archived
        ci_total[dead_ci] = 1 + rng.poisson(6.0, int(dead_ci.sum()))
        ci_passed[dead_ci] = rng.binomial(ci_total[dead_ci], 0.1)
        ci_total[archived] = 0
        ci_passed[archived] = 0
        responsiveness = np.clip(rng.beta(3.0, 2.0, n) * (0.4 + 0.15 * pop), 0.02, 0.98)
        responsiveness[dead] = 0.0
        has_contributing = rng.random(n) < 0.2 + 0.12 * pop
        releases = np.where(dead, 0, rng.poisson(level * (0.5 + pop)))

        n_issues = np.floor(1.0 + 1.2 * stars**0.55 * rng.lognormal(0.0, 0.5, n))
        n_issues = np.minimum(n_issues, MAX_ISSUES_PER_REPO).astype(np.int64)
        n_issues[is_fork] = 0  # GitHub disables issues on forks by default
        open_frac = np.where(dead, rng.beta(5.0, 2.0, n), rng.beta(2.0, 5.0, n))
        n_open = np.round(n_issues * open_frac).astype(np.int64)

        license_rnd = _py_random(self.seed, "licenses", lang)
        drawn = [_word_choice(license_rnd, _LICENSES) for _ in range(n)]
        licenses = [drawn[int(parents[i])] for i in range(n)]
        created = [self.now - timedelta(days=float(a)) for a in age]
        pushed = [self.now - timedelta(days=float(d)) for d in idle_days]
        secondary = _STYLES[lang].secondary

        # Near-duplicate clusters: an original plus 1-3 paraphrases, preferring the same domain.
        dup_rnd = _py_random(self.seed, "duplicates", lang)
        candidates = [i for i in originals.tolist() if not no_readme[i]]
        duplicate_of: dict[int, int] = {}
        clusters_idx: list[list[int]] = []
        n_clusters = n // REPOS_PER_DUPLICATE_CLUSTER if n >= 8 else 0
        if n >= 8:
            n_clusters = max(1, n_clusters)
        free = set(candidates)
        for _ in range(n_clusters):
            pool = sorted(free)
            if len(pool) < 2:
                break
            weights = [float(stars[i]) ** 0.5 + 1.0 for i in pool]
            original = dup_rnd.choices(pool, weights)[0]
            free.discard(original)
            same = [i for i in sorted(free) if idents[i].domain == idents[original].domain]
            others = same if len(same) >= 1 else sorted(free)
            size = min(dup_rnd.randint(1, 3), len(others))
            members = dup_rnd.sample(others, size)
            for m in members:
                free.discard(m)
                duplicate_of[m] = original
            clusters_idx.append([original, *members])

        full_names = [f"{ident.owner}/{ident.name}" for ident in idents]
        texts: dict[int, _Text] = {}
        # Originals first so paraphrases and forks can copy them.
        order = [i for i in range(n) if i not in duplicate_of and not is_fork[i]]
        order += [i for i in range(n) if i in duplicate_of] + [i for i in range(n) if is_fork[i]]
        for i in order:
            ident = idents[i]
            rnd = _py_random(self.seed, "text", full_names[i])
            if i in duplicate_of:
                src = duplicate_of[i]
                orig = texts[src]
                level_p = 0.15 if rnd.random() < 0.3 else 0.6  # near copies and paraphrases
                old, new = idents[src].name, ident.name
                texts[i] = _Text(
                    description=_paraphrase(rnd, orig.description, old, new, level_p),
                    topics=list(orig.topics),
                    readme=_paraphrase(rnd, orig.readme, old, new, level_p),
                )
            elif is_fork[i]:
                texts[i] = texts[int(parents[i])]
            else:
                pkg = pkgs[i] or ident.name
                texts[i] = _generate_text(rnd, lang, ident.domain, ident.kind, full_names[i], pkg)

        metas: list[RepoMetadata] = []
        truths: list[RepoTruth] = []
        index: dict[str, int] = {}
        for i, ident in enumerate(idents):
            rnd = _py_random(self.seed, "meta", full_names[i])
            text = texts[i]
            extra = rnd.sample(secondary, rnd.randint(0, min(2, len(secondary))))
            metas.append(
                RepoMetadata(
                    full_name=full_names[i],
                    language=lang,
                    description=text.description,
                    stars=int(stars[i]),
                    forks=int(forks[i]),
                    archived=bool(archived[i]),
                    is_fork=bool(is_fork[i]),
                    license=licenses[i],
                    default_branch="main" if rnd.random() < 0.75 else "master",
                    created_at=created[i],
                    pushed_at=pushed[i],
                    open_issues=int(n_open[i]),
                    closed_issues=int(n_issues[i] - n_open[i]),
                    releases_last_year=None if unknown[i] == 2 else int(releases[i]),
                    languages=[lang, *extra],
                    topics=list(text.topics),
                    homepage=(
                        f"https://{ident.owner}.github.io/{ident.name}"
                        if rnd.random() < 0.3
                        else None
                    ),
                    readme=None if no_readme[i] else text.readme,
                )
            )
            parent = ident.fork_parent
            truths.append(
                RepoTruth(
                    full_name=full_names[i],
                    language=lang,
                    domain=ident.domain,
                    kind=ident.kind,
                    dead=bool(dead[i]),
                    archived=bool(archived[i]),
                    unknown_activity=(None, "partial", "full")[int(unknown[i])],
                    fork_of=full_names[parent] if parent is not None else None,
                    duplicate_of=full_names[duplicate_of[i]] if i in duplicate_of else None,
                    package=pkgs[i],
                )
            )
            index[full_names[i]] = i
        arrays = {
            "created": np.array([c.timestamp() for c in created]),
            "pushed": np.array([p.timestamp() for p in pushed]),
            "dead": dead,
            "unknown": unknown,
            "commits": commits,
            "contributors": contributors,
            "share": share,
            "ci_total": ci_total,
            "ci_passed": ci_passed,
            "responsiveness": responsiveness,
            "has_contributing": has_contributing,
            "has_readme": ~no_readme,
            "n_issues": n_issues,
            "n_open": n_open,
            "stars": stars,
        }
        clusters = [[full_names[i] for i in c] for c in clusters_idx]
        return _LanguageData(lang, metas, truths, index, arrays, clusters)

    # ----------------------------------------------------------------- generation: activity

    def _build_activity(self, data: _LanguageData, i: int) -> ActivityStats:
        a = data.arrays
        mode = int(a["unknown"][i])
        if mode == 2:
            return ActivityStats()
        skel = self._skeleton(data, i)
        window = self.now.timestamp() - 90 * _DAY
        opened = int((skel["created"] >= window).sum())
        closed = int(((skel["closed"] >= window) & skel["is_closed"]).sum())
        rng = np.random.default_rng(_seed_sequence(self.seed, "responses", data.metas[i].full_name))
        responses = int(rng.binomial(opened, float(a["responsiveness"][i])))
        partial = mode == 1
        return ActivityStats(
            commits_90d=int(a["commits"][i]),
            contributors=int(a["contributors"][i]),
            top_contributor_share=None if partial else round(float(a["share"][i]), 3),
            ci_runs_total=None if partial else int(a["ci_total"][i]),
            ci_runs_passed=None if partial else int(a["ci_passed"][i]),
            issues_opened_90d=opened,
            issues_closed_90d=closed,
            maintainer_responses_90d=None if partial else responses,
            has_readme=bool(a["has_readme"][i]),
            has_contributing=bool(a["has_contributing"][i]),
        )

    # ----------------------------------------------------------------- generation: issues

    def _skeleton(self, data: _LanguageData, i: int) -> dict[str, np.ndarray]:
        """Issue timing and state (numbers only) so activity can count without writing text."""
        cached = data.skeleton_cache.get(i)
        if cached is not None:
            return cached
        a = data.arrays
        full_name = data.metas[i].full_name
        rng = np.random.default_rng(_seed_sequence(self.seed, "issues", full_name))
        total, n_open = int(a["n_issues"][i]), int(a["n_open"][i])
        now = self.now.timestamp()
        start = float(a["created"][i])
        last = float(a["pushed"][i]) if a["dead"][i] else now
        is_closed = np.zeros(total, dtype=bool)
        is_closed[n_open:] = True
        # Reports cluster in the recent past for living projects; closed ones predate the last
        # maintainer activity.
        end = np.where(is_closed, last, now)
        created = end - (end - start) * rng.random(total) ** 1.8
        lag = rng.exponential(15.0 / max(float(a["responsiveness"][i]), 0.05), total) * _DAY
        closed_at = np.minimum(created + lag, last)
        # A fifth of closed issues get a late comment after closing.
        late = rng.exponential(1.0, total) * _DAY * (rng.random(total) < 0.2)
        updated = np.where(
            is_closed,
            np.minimum(closed_at + late, now),
            created + (now - created) * rng.beta(1.0, 3.0, total),
        )
        order = np.argsort(created, kind="stable")
        # Pull requests share the number sequence, hence the gaps.
        numbers = np.cumsum(rng.geometric(0.55, total))
        kinds = rng.choice(len(_ISSUE_KINDS), size=total, p=[w for _, w in _ISSUE_KINDS])
        skel = {
            "number": numbers,
            "created": created[order],
            "updated": updated[order],
            "closed": closed_at[order],
            "is_closed": is_closed[order],
            "kind": kinds,
        }
        data.skeleton_cache[i] = skel
        return skel

    def _iter_issues(
        self, data: _LanguageData, i: int, state: str, since_ts: float | None
    ) -> Iterator[IssueRecord]:
        skel = self._skeleton(data, i)
        meta = data.metas[i]
        truth = data.truths[i]
        full_name = meta.full_name
        pop = float(np.log10(meta.stars + 1.0))
        dead = truth.dead
        repo_rnd = _py_random(self.seed, "issue-style", full_name)
        label_style = repo_rnd.randrange(3)
        unlabeled_rate = repo_rnd.uniform(0.1, 0.6)
        maintainers = [truth.full_name.split("/")[0]] + [
            f"{_owner_name(repo_rnd)}" for _ in range(repo_rnd.randint(1, 4))
        ]
        version = f"{repo_rnd.randint(0, 4)}.{repo_rnd.randint(0, 20)}.{repo_rnd.randint(0, 9)}"
        for j in range(len(skel["number"]) - 1, -1, -1):
            is_closed = bool(skel["is_closed"][j])
            if (state == "open" and is_closed) or (state == "closed" and not is_closed):
                continue
            updated = float(skel["updated"][j])
            if since_ts is not None and updated < since_ts:
                continue
            number = int(skel["number"][j])
            rnd = _py_random(self.seed, "issue", full_name, str(number))
            kind = _ISSUE_KINDS[int(skel["kind"][j])][0]
            title, body, easy = _issue_text(
                rnd, kind, truth.language, full_name, truth.domain, version
            )
            labels: list[str] = []
            if rnd.random() > unlabeled_rate:
                labels.append(_KIND_LABELS[kind][label_style])
                if easy and rnd.random() < 0.6:
                    labels.append("good first issue")
                if rnd.random() < 0.08:
                    labels.append("help wanted")
                if is_closed and kind in ("feature", "question") and rnd.random() < 0.25:
                    labels.append("wontfix")
                if is_closed and rnd.random() < 0.04:
                    labels.append("duplicate")
                if kind == "feature" and rnd.random() < 0.08:
                    labels.append("breaking change")
            elif rnd.random() < 0.3:
                labels.append("needs triage")
            assignees: list[str] = []
            if not dead and rnd.random() < 0.1 + 0.05 * pop:
                assignees = rnd.sample(maintainers, rnd.choice((1, 1, 1, 2)))
            linked = 0
            if is_closed and kind in ("bug", "performance", "security", "docs", "chore"):
                linked = rnd.choice((0, 1, 1, 1, 2))
            elif not is_closed and rnd.random() < 0.12:
                linked = 1
            reactions = int(rnd.paretovariate(1.5) * (0.3 + pop)) - 1
            yield IssueRecord(
                repository=full_name,
                number=number,
                title=title,
                body=body or None,
                state="closed" if is_closed else "open",
                labels=labels,
                created_at=datetime.fromtimestamp(float(skel["created"][j]), UTC),
                updated_at=datetime.fromtimestamp(updated, UTC),
                closed_at=(
                    datetime.fromtimestamp(float(skel["closed"][j]), UTC) if is_closed else None
                ),
                comments=int(rnd.expovariate(1.0 / (1.0 + pop))),
                reactions=max(0, reactions),
                author_association=str(_word_choice(rnd, _ASSOCIATIONS)),
                assignees=assignees,
                locked=rnd.random() < (0.06 if is_closed else 0.01),
                linked_pull_requests=linked,
            )

    # ----------------------------------------------------------------- generation: packages

    def _ecosystem(self, ecosystem: str) -> _EcosystemData:
        if ecosystem not in set(ECOSYSTEM_BY_LANGUAGE.values()):
            raise ValueError(f"unknown ecosystem {ecosystem!r}")
        with self._lock:
            cached = self._eco_cache.get(ecosystem)
            if cached is None:
                cached = self._build_ecosystem(ecosystem)
                self._eco_cache[ecosystem] = cached
            return cached

    def _build_ecosystem(self, ecosystem: str) -> _EcosystemData:
        """Grow the graph by preferential attachment in creation order (so it is a DAG).

        A library picks its dependencies among older libraries with weight
        ``(dependents + 1) * (stars + 10) ** 0.5``: popular packages attract more dependents,
        which gives the heavy-tailed in-degree seen in real registries. Applications only
        consume; forks neither publish nor consume.
        """
        langs = [lang for lang in self.languages if ECOSYSTEM_BY_LANGUAGE[lang] == ecosystem]
        nodes: list[tuple[float, str, _LanguageData, int]] = []
        for lang in langs:
            data = self._language(lang)
            for i, (meta, truth) in enumerate(zip(data.metas, data.truths, strict=True)):
                if truth.fork_of is None:
                    nodes.append((float(data.arrays["created"][i]), meta.full_name, data, i))
        nodes.sort(key=lambda node: (node[0], node[1]))
        rng = np.random.default_rng(_seed_sequence(self.seed, "graph", ecosystem))
        lib_pos: list[int] = []  # positions (in ``nodes``) of libraries seen so far
        fitness: list[float] = []
        in_degree: list[int] = []
        deps_of: dict[int, list[int]] = {}
        for pos, (_, _, data, i) in enumerate(nodes):
            truth = data.truths[i]
            if lib_pos:
                mean = 6.0 if truth.kind == "application" else 2.5
                k = min(len(lib_pos), int(rng.poisson(mean)))
                if k:
                    w = (np.asarray(in_degree, dtype=float) + 1.0) * np.asarray(fitness)
                    picks = rng.choice(len(lib_pos), size=k, replace=False, p=w / w.sum())
                    deps_of[pos] = sorted(int(p) for p in picks)
                    for p in picks:
                        in_degree[int(p)] += 1
            if truth.kind == "library":
                lib_pos.append(pos)
                fitness.append((float(data.arrays["stars"][i]) + 10.0) ** 0.5)
                in_degree.append(0)

        packages: dict[str, PackageRecord] = {}
        edges: list[DependencyEdge] = []
        for pos, (_, full_name, data, i) in enumerate(nodes):
            dep_nodes = [nodes[lib_pos[p]] for p in deps_of.get(pos, [])]
            for _, dep_name, _, _ in dep_nodes:
                edges.append(
                    DependencyEdge(dependent=full_name, dependency=dep_name, ecosystem=ecosystem)
                )
            truth = data.truths[i]
            if truth.package is None:
                continue
            meta = data.metas[i]
            assert meta.created_at is not None and meta.pushed_at is not None
            age_years = (self.now - meta.created_at).days / 365.0
            prng = _py_random(self.seed, "package", full_name)
            major = 0 if age_years < 2 or prng.random() < 0.3 else prng.randint(1, 6)
            released = (
                None
                if prng.random() < 0.05
                else meta.pushed_at - timedelta(days=prng.random() * 20)
            )
            packages[truth.package] = PackageRecord(
                ecosystem=ecosystem,
                name=truth.package,
                version=f"{major}.{prng.randint(0, 30)}.{prng.randint(0, 12)}",
                repository=full_name,
                description=meta.description,
                readme=meta.readme,
                latest_release_at=max(released, meta.created_at) if released else None,
                dependencies=sorted(str(d[2].truths[d[3]].package) for d in dep_nodes),
            )
        return _EcosystemData(packages=packages, edges=edges)


# --------------------------------------------------------------------------- scale arrays


def dependency_arrays(n_nodes: int, n_edges: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A preferential-attachment-like DAG as int32 ``(src, dst)``: ``src`` depends on ``dst``.

    Node ids are creation order (0 oldest). Out-degrees are multinomial over lognormal node
    activity, so a few packages declare many dependencies. Each edge's target is
    ``floor(src * u**3)`` for 80% of edges and ``floor(src * u)`` for the rest: the cube favours
    old nodes so in-degree falls off as a power of the node id (roughly ``id ** -2/3``, i.e. a
    degree distribution with exponent about 2.5, like preferential attachment's rich-get-richer
    effect), and ``dst < src`` always, so there are no self loops and no cycles.

    Duplicate ``(src, dst)`` pairs are removed, so slightly fewer than ``n_edges`` edges may be
    returned; the result is sorted by ``(src, dst)``, which is what CSR builders want.
    """
    if n_nodes < 0 or n_edges < 0:
        raise ValueError("n_nodes and n_edges must be non-negative")
    if n_edges and n_nodes < 2:
        raise ValueError("a DAG with edges needs at least two nodes")
    if n_nodes >= 2**31:
        raise ValueError("node ids must fit in int32")
    rng = np.random.default_rng(seed)
    if n_edges == 0:
        empty = np.empty(0, dtype=np.int32)
        return empty, empty.copy()
    activity = rng.lognormal(0.0, 1.0, n_nodes)
    activity[0] = 0.0  # the oldest node has nothing older to depend on
    out_degree = rng.multinomial(n_edges, activity / activity.sum())
    src = np.repeat(np.arange(n_nodes, dtype=np.int64), out_degree)
    del out_degree, activity
    dst = np.empty(n_edges, dtype=np.int64)
    chunk = 1 << 22  # bounds the float64 temporaries to a few tens of MB
    for lo in range(0, n_edges, chunk):
        hi = min(lo + chunk, n_edges)
        u = rng.random(hi - lo)
        u = np.where(rng.random(hi - lo) < 0.8, u * u * u, u)
        part = np.floor(src[lo:hi] * u).astype(np.int64)
        dst[lo:hi] = np.minimum(part, src[lo:hi] - 1)
    # src is already sorted, so a single sort of the combined key both dedupes and orders.
    key = src * n_nodes + dst
    del src, dst
    key.sort()
    keep = np.empty(key.size, dtype=bool)
    keep[0] = True
    np.not_equal(key[1:], key[:-1], out=keep[1:])
    key = key[keep]
    del keep
    src32 = (key // n_nodes).astype(np.int32)
    dst32 = (key % n_nodes).astype(np.int32)
    return src32, dst32


# Rough share of public repositories per language, for the scale arrays.
_LANGUAGE_SHARE = {
    "python": 0.25,
    "javascript": 0.20,
    "typescript": 0.15,
    "go": 0.12,
    "rust": 0.10,
    "java": 0.18,
}


def repo_arrays(n_repos: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Column arrays for benchmarks at 10^5+ repositories, same star law as the world.

    ``language`` holds int8 codes indexing ``LANGUAGES``.
    """
    if n_repos < 0:
        raise ValueError("n_repos must be non-negative")
    rng = np.random.default_rng(seed)
    stars = _power_law_stars(rng, n_repos)
    forks = np.floor(stars * rng.lognormal(np.log(0.12), 0.6, n_repos)).astype(np.int64)
    shares = np.array([_LANGUAGE_SHARE[lang] for lang in LANGUAGES])
    language = rng.choice(len(LANGUAGES), size=n_repos, p=shares / shares.sum()).astype(np.int8)
    return {
        "stars": stars,
        "forks": forks,
        "language": language,
        "archived": rng.random(n_repos) < ARCHIVED_SHARE,
        "is_fork": rng.random(n_repos) < FORK_SHARE,
    }
