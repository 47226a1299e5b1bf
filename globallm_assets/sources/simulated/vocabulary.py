"""The words the simulated world is written with: domains, language styles, README phrases,
licences and issue templates. Data only, so generation code reads as logic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Domain:
    words: tuple[str, ...]
    phrases: tuple[str, ...]
    topics: tuple[str, ...]
    features: tuple[str, ...]
    components: tuple[str, ...]
    funcs: tuple[str, ...]


DOMAINS: dict[str, Domain] = {
    "http": Domain(
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
    "cli": Domain(
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
    "testing": Domain(
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
    "logging": Domain(
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
    "config": Domain(
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
    "serialization": Domain(
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
    "database": Domain(
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
    "async": Domain(
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
    "web": Domain(
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
    "data": Domain(
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
    "ml": Domain(
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
    "crypto": Domain(
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
    "image": Domain(
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
    "parsing": Domain(
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
DOMAIN_KEYS: tuple[str, ...] = tuple(DOMAINS)


@dataclass(frozen=True)
class LanguageStyle:
    display: str
    topics: tuple[str, ...]
    secondary: tuple[str, ...]
    errors: tuple[str, ...]
    fails: str  # verb used in bug titles: "raises X", "panics", ...
    old_runtime: tuple[str, ...]


STYLES: dict[str, LanguageStyle] = {
    "python": LanguageStyle(
        "Python",
        ("python", "python3", "asyncio", "typing", "pydantic"),
        ("shell", "c", "cython"),
        ("ValueError", "TypeError", "KeyError", "RuntimeError", "AttributeError"),
        "raises {err}",
        ("Python 3.8", "Python 3.9"),
    ),
    "javascript": LanguageStyle(
        "JavaScript",
        ("javascript", "nodejs", "browser", "es6"),
        ("html", "css", "shell"),
        ("TypeError", "RangeError", "SyntaxError"),
        "throws {err}",
        ("Node 16", "Node 18"),
    ),
    "typescript": LanguageStyle(
        "TypeScript",
        ("typescript", "nodejs", "deno", "types"),
        ("javascript", "css"),
        ("TypeError", "RangeError"),
        "throws {err}",
        ("Node 18", "TypeScript 4"),
    ),
    "go": LanguageStyle(
        "Go",
        ("go", "golang", "goroutines"),
        ("shell", "makefile"),
        ("nil pointer dereference", "index out of range"),
        "panics with {err}",
        ("Go 1.20", "Go 1.21"),
    ),
    "rust": LanguageStyle(
        "Rust",
        ("rust", "rust-lang", "no-std", "wasm"),
        ("shell", "c"),
        ("unwrap on None", "index out of bounds"),
        "panics with {err}",
        ("Rust 1.70", "edition 2018"),
    ),
    "java": LanguageStyle(
        "Java",
        ("java", "jvm", "spring", "kotlin-compatible"),
        ("kotlin", "shell"),
        ("NullPointerException", "IllegalStateException", "IllegalArgumentException"),
        "throws {err}",
        ("Java 8", "Java 11"),
    ),
}

NAME_PREFIXES = ("fast", "tiny", "micro", "easy", "hyper", "open", "neo", "light", "quick", "zen")
NAME_SUFFIXES = ("ify", "ly", "kit", "lib", "box", "hub", "io", "er", "x", "fy")
APP_SUFFIXES = ("-server", "-app", "-dashboard", "-bot", "-service", "-ui", "-studio")
SYLLABLES = (
    "ka", "lo", "mi", "ra", "ze", "to", "vi", "nu", "sa", "de", "po", "ri", "an", "el", "or",
    "ba", "qu", "ex", "ly", "mo", "ta", "ve", "jo", "ki", "su", "fa", "ne", "go", "hi", "wu",
)  # fmt: skip
OWNER_SUFFIXES = ("", "", "", "", "-labs", "-dev", "hq", "-io", "-oss", "soft", "-team", "-org")

ADJECTIVES = (
    "fast", "small", "simple", "modern", "lightweight", "robust", "minimal", "friendly",
    "typed", "pluggable", "pragmatic", "extensible", "composable", "portable", "tiny",
)  # fmt: skip
VALUES = (
    "performance", "correctness", "ergonomics", "portability", "readability", "safety",
    "low memory use", "predictable latency", "small binaries", "clear errors",
)  # fmt: skip
INTROS = (
    "{Name} is a {adj} {phrase} for {Lang}.",
    "{Name} provides a {adj} and {adj2} {phrase} written in {Lang}.",
    "A {adj} {phrase} for {Lang} projects, built with {value} in mind.",
    "{Name} is a {adj} {phrase} that favours {value} over cleverness.",
    "Meet {Name}: a {adj}, {adj2} {phrase} for {Lang} developers.",
)
PITCHES = (
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
BACKSTORY = (
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
SYSTEMS = (
    "billing service", "analytics pipeline", "mobile backend", "game server",
    "research cluster", "newsroom publishing system", "logistics platform", "trading desk",
)  # fmt: skip
TONGUES = ("Spanish", "Japanese", "German", "Portuguese", "Korean", "French", "Chinese")
GENERIC_FEATURES = (
    "Fully typed public API",
    "Extensive test suite",
    "Works on Linux, macOS and Windows",
    "Thorough documentation with examples",
    "Permissive license",
)

# Synonyms used to paraphrase READMEs of near-duplicate clusters.
SYNONYMS: dict[str, tuple[str, ...]] = {
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

LICENSES: tuple[tuple[str | None, float], ...] = (
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

ISSUE_KINDS: tuple[tuple[str, float], ...] = (
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
KIND_LABELS: dict[str, tuple[str, str, str]] = {
    "bug": ("bug", "type: bug", "kind/bug"),
    "feature": ("enhancement", "type: feature", "kind/feature"),
    "docs": ("documentation", "type: docs", "kind/documentation"),
    "question": ("question", "type: question", "kind/support"),
    "performance": ("performance", "type: performance", "kind/perf"),
    "security": ("security", "type: security", "kind/security"),
    "chore": ("chore", "type: maintenance", "kind/cleanup"),
}
CONDITIONS = (
    "the input is empty",
    "called from several threads",
    "the input contains non-ASCII characters",
    "the timeout is zero",
    "running on Windows",
    "the file is larger than 2 GB",
    "an optional argument is omitted",
    "the configuration file is missing",
)
THINGS = ("a custom type", "a generator", "keyword arguments", "a file path", "a callback")
FEATURE_WISHES = (
    "async usage",
    "streaming input",
    "a plugin hook",
    "custom error messages",
    "environment overrides",
    "a dry-run mode",
)
ISSUE_TITLES: dict[str, tuple[str, ...]] = {
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
ASSOCIATIONS = (
    ("NONE", 0.45),
    ("CONTRIBUTOR", 0.25),
    ("FIRST_TIME_CONTRIBUTOR", 0.08),
    ("MEMBER", 0.12),
    ("OWNER", 0.10),
)
