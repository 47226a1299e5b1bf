"""GlobaLLM settings: one pydantic-settings model, layered.

Precedence, lowest to highest: defaults < YAML file (``$XDG_CONFIG_HOME/globallm/config.yaml``)
< ``.env`` < environment (``GLOBALLM_*`` with ``__`` between nested keys, plus the conventional
``GITHUB_TOKEN``, ``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY``, ``GLOBALLM_DATABASE_URL``,
``GLOBALLM_HEARTBEAT_TIMEOUT``) < command-line flags (passed as overrides).

Every section forbids unknown keys so a typo in the YAML file is an error, not a silent default.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic.functional_validators import BeforeValidator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from globallm_assets.basics import INT64_MAX, INT64_MIN, MAX_REPOS_PER_LANGUAGE, ConfigError
from globallm_assets.core.models import LANGUAGES, Language
from globallm_assets.core.weights import HealthWeights, ImpactWeights, PriorityWeights

LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR"],
    BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value),
]


T = TypeVar("T")


def _comma_list(value: Any) -> Any:
    """``a,b`` and JSON ``["a", "b"]`` both mean a list, in every layer (env, .env, YAML)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return value  # validation then says the value is not a list
    return [part.strip() for part in text.split(",") if part.strip()]


# NoDecode: pydantic-settings would otherwise demand JSON for a list from the environment.
CommaList = Annotated[list[T], NoDecode, BeforeValidator(_comma_list)]


def _http_url(value: str) -> str:
    """An API base URL: http(s) with a host. Credentials are sent there, and a typo should fail
    when it is set, not after a minute of retries."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host, such as https://api.github.com")
    return value.strip().rstrip("/")


HttpUrlText = Annotated[str, AfterValidator(_http_url)]


def _not_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be empty")
    return value


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @field_validator("*")
    @classmethod
    def _fits_in_64_bits(cls, value: Any) -> Any:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if is_int and not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"must be at most {INT64_MAX} in size")
        return value


class FilterSettings(Section):
    """Which repositories are worth discovering (seeds: 1000 stars OR 100 dependents)."""

    min_stars: int = Field(1000, ge=0)
    min_dependents: int = Field(100, ge=0)
    exclude_archived: bool = True
    exclude_forks: bool = True
    # Permissive and weak-copyleft licenses an agent may contribute to; None/empty = any license.
    license_allowlist: CommaList[str] = Field(
        default_factory=lambda: [
            "MIT",
            "Apache-2.0",
            "BSD-2-Clause",
            "BSD-3-Clause",
            "ISC",
            "MPL-2.0",
            "LGPL-2.1",
            "LGPL-3.0",
            "GPL-2.0",
            "GPL-3.0",
            "Unlicense",
            "0BSD",
            "Zlib",
        ]
    )


def _weight_section(name: str, weights: type, doc: str) -> type[Section]:
    """A settings section whose keys and defaults are the core dataclass's fields: the defaults
    are defined once, beside the formula that uses them."""
    fields = {f.name: (float, Field(f.default, ge=0)) for f in dataclasses.fields(weights)}
    return create_model(name, __base__=Section, __doc__=doc, **fields)


HealthWeightSettings = _weight_section(
    "HealthWeightSettings",
    HealthWeights,
    "Weights of the health score components, normalised by their sum (core/health.py).",
)
ImpactWeightSettings = _weight_section(
    "ImpactWeightSettings",
    ImpactWeights,
    "Weights of the impact score components, normalised by their sum (core/impact.py).",
)
PriorityWeightSettings = _weight_section(
    "PriorityWeightSettings",
    PriorityWeights,
    "Priority = wH·health + wI·impact + wS·solvability + wU·urgency − wR·redundancy − wC·cost"
    " + wA·(2·acceptance − 1) (core/priority.py).",
)


class ThresholdSettings(Section):
    """A repository is worth working on when health > health AND impact > impact."""

    health: float = Field(0.5, ge=0, le=1)
    impact: float = Field(0.5, ge=0, le=1)


class BudgetSettings(Section):
    """Per-repo, per-language and weekly limits for the fix stage (seeds' constants)."""

    max_tokens_per_repo: int = Field(100_000, ge=0)
    max_time_per_repo: int = Field(3600, ge=0, description="seconds")
    max_issues_per_language: int = Field(50, ge=0)
    max_issues_per_repo: int = Field(5, ge=0)
    weekly_token_budget: int = Field(5_000_000, ge=0)
    # Each fix run reserves this much of its repository's time budget up front; the run's
    # measured wall time replaces it when the run is settled.
    fix_run_seconds: int = Field(900, gt=0, description="seconds")


class AgentSettings(Section):
    """Claim liveness: agents heartbeat every interval; a claim older than the timeout is stale."""

    heartbeat_interval: int = Field(300, gt=0, description="seconds")
    heartbeat_timeout: int = Field(1800, gt=0, description="seconds")
    max_concurrent_fix_runs: int = Field(4, gt=0)
    # One agent per repository at a time: concurrent fixes in one repository conflict.
    max_agents_per_repo: int = Field(1, gt=0)
    max_attempts: int = Field(3, gt=0, description="attempts before an issue is failed")
    poll_interval: int = Field(60, gt=0, description="seconds an idle agent waits")
    db_retry_seconds: int = Field(
        120, gt=0, description="how long an agent retries while PostgreSQL is unreachable"
    )


class GitHubSettings(Section):
    token: SecretStr | None = None
    tokens: CommaList[SecretStr] = Field(default_factory=list)
    api_url: HttpUrlText = "https://api.github.com"
    max_concurrency: int = Field(4, gt=0)

    def all_tokens(self) -> list[str]:
        """Every configured token: ``token`` may itself be a comma-separated list."""
        found: list[str] = []
        if self.token is not None:
            found += [t.strip() for t in self.token.get_secret_value().split(",")]
        found += [t.get_secret_value().strip() for t in self.tokens]
        return list(dict.fromkeys(t for t in found if t))


class LLMSettings(Section):
    """``replay`` plays recorded responses (the demo world's; ``replay_dir`` for others): no
    live model, and every output says so."""

    provider: Literal["anthropic", "openai", "replay"] = "anthropic"
    model: str | None = None
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    openai_base_url: HttpUrlText | None = None
    categorize_with_llm: bool = False
    # US$ per million tokens; unset: the model's list price (llm/providers.py KNOWN_PRICES).
    input_usd_per_mtok: float | None = Field(None, ge=0)
    output_usd_per_mtok: float | None = Field(None, ge=0)
    replay_dir: Path | None = None


class SourceSettings(Section):
    """Where repositories come from; ``simulated`` is the offline synthetic ecosystem."""

    kind: Literal["github", "simulated"] = "github"
    seed: int = 7
    repos_per_language: int = Field(
        1000, gt=0, le=MAX_REPOS_PER_LANGUAGE, description="simulated world size"
    )
    max_results: int = Field(200, gt=0, description="repositories discovered per language run")


class RedundancySettings(Section):
    """README-embedding redundancy detection (core/redundancy.py)."""

    model: str = Field("all-MiniLM-L6-v2", description="model name or local path (offline)")
    threshold: float = Field(0.8, ge=0, le=1)
    batch_size: int = Field(64, gt=0)
    device: str = "cpu"
    # Throughput vs. how much README text counts: 32 word pieces (description, topics, the
    # README's opening) in bfloat16 embed ~535 texts/s on 2 cores and found as many planted
    # near-duplicate clusters as 128 pieces in float32 (~53 texts/s). See README, Performance.
    max_seq_length: int = Field(32, ge=8, le=256)
    precision: Literal["float32", "bfloat16"] = "bfloat16"
    # A local model directory must match a known weights hash unless given here (or verify off).
    expected_sha256: str | None = None
    verify_weights: bool = True


class RegistrySettings(Section):
    """Registry endpoints; None means "derive from the user's own tool configuration"."""

    pypi_url: str | None = None
    npm_url: str | None = None
    crates_url: str | None = None
    go_proxy: str | None = None
    maven_url: str | None = None


class DatabaseSettings(Section):
    """External server via ``url``; otherwise an embedded private cluster under the data dir."""

    url: SecretStr | None = None
    run_as: str = Field("postgres", description="unprivileged user for the embedded server as root")
    port: int | None = Field(None, ge=1, le=65535, description="also listen on 127.0.0.1:PORT")
    pool_min: int = Field(2, ge=1)
    pool_max: int = Field(10, ge=1)


class SandboxSettings(Section):
    """Limits of every sandboxed process (tests, the agent's shell actions); fixer/sandbox.py."""

    required: bool = Field(True, description="refuse to run tests without bubblewrap")
    wall_seconds: int = Field(600, gt=0)
    cpu_seconds: int = Field(600, gt=0)
    memory_mb: int = Field(4096, ge=64, description="address space per process")
    file_size_mb: int = Field(1024, gt=0)
    open_files: int = Field(4096, ge=16)
    output_kb: int = Field(256, gt=0, description="output kept per command (its tail)")
    hidden_paths: list[str] = Field(default_factory=list, description="more host paths to hide")
    env_passthrough: list[str] = Field(
        default_factory=list, description="more variable names passed in (never credentials)"
    )


class FixSettings(Section):
    """The solution engine (fixer/): caps per attempt, attempts, workspaces, test commands."""

    max_attempts: int = Field(3, ge=1, le=10)
    max_turns: int = Field(40, ge=1, description="model turns per attempt")
    max_tokens_per_attempt: int = Field(300_000, ge=1000)
    max_cost_usd_per_attempt: float = Field(2.0, ge=0)
    max_wall_seconds_per_attempt: int = Field(1800, gt=0)
    max_output_tokens: int = Field(4096, ge=256, description="per model turn")
    observation_chars: int = Field(6000, ge=500, description="tool output shown to the model")
    command_seconds: int = Field(300, gt=0, description="wall limit of one agent shell command")
    clone_depth: int = Field(50, ge=0, description="0 clones full history")
    work_dir: Path | None = Field(None, description="default: <data_dir>/work")
    keep_workspaces: bool = Field(False, description="keep clones after the run, to inspect")
    # Per repository (owner/name) test command, split like a shell would (never run by one).
    test_commands: dict[str, str] = Field(default_factory=dict)
    # Per repository (owner/name) clone URL or local path (mirrors; otherwise the code host's).
    clone_sources: dict[str, str] = Field(default_factory=dict)
    reports_dir: Path | None = Field(None, description="dry-run patches; default <data_dir>/fixes")
    deterministic_first: bool = Field(True, description="try codespell before the model")
    commit_name: str = "GlobaLLM"
    commit_email: str = "globallm@users.noreply.invalid"


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/globallm``; as root without XDG_DATA_HOME, ``/var/lib/globallm``.

    Root's home is not traversable by the unprivileged user the embedded server runs as, so a
    root default under ``~/.local/share`` could never work.
    """
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg) / "globallm"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/globallm")
    return Path.home() / ".local" / "share" / "globallm"


def default_config_path() -> Path:
    if os.environ.get("GLOBALLM_CONFIG"):
        return Path(os.environ["GLOBALLM_CONFIG"])
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path.home() / ".config"
    return base / "globallm" / "config.yaml"


# Conventional variable names that map onto nested settings (they sit with the environment layer).
ENV_ALIASES: dict[str, str] = {
    "GITHUB_TOKEN": "github.token",
    "GITHUB_API_URL": "github.api_url",
    "ANTHROPIC_API_KEY": "llm.anthropic_api_key",
    "OPENAI_API_KEY": "llm.openai_api_key",
    "OPENAI_BASE_URL": "llm.openai_base_url",
    "ANTHROPIC_BASE_URL": "llm.anthropic_base_url",
    "GLOBALLM_DATABASE_URL": "database.url",
    "GLOBALLM_HEARTBEAT_TIMEOUT": "agents.heartbeat_timeout",
    "GLOBALLM_DATA_DIR": "data_dir",
}

_yaml_path: contextvars.ContextVar[Path | None] = contextvars.ContextVar("yaml_path", default=None)


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    head, _, rest = dotted.partition(".")
    return {head: _nest(rest, value) if rest else value}


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _YamlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        # Deferred: config_file builds on this model (it validates what it writes against it).
        from globallm_assets.config_file import read_yaml_config

        path = _yaml_path.get() or default_config_path()
        return read_yaml_config(path)


class _AliasSource(PydanticBaseSettingsSource):
    """Maps conventional names (``GITHUB_TOKEN`` …) from a variables mapping onto nested keys."""

    def __init__(self, settings_cls: type[BaseSettings], variables: dict[str, str | None]) -> None:
        super().__init__(settings_cls)
        self._variables = variables

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, dotted in ENV_ALIASES.items():
            value = self._variables.get(name)
            if value not in (None, ""):
                result = _deep_merge(result, _nest(dotted, value))
        return result


class _KnownKeysOnly(PydanticBaseSettingsSource):
    """A ``.env`` file also holds other tools' variables (GITHUB_TOKEN…): ignore, don't refuse."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        fields = self.settings_cls.model_fields
        return {key: value for key, value in self._inner().items() if key in fields}


class ForgeSettings(Section):
    """Where fixes become pull requests, and the etiquette that limits them (issue: Forges).

    Caps follow Renovate's lesson that maintainers tolerate a bot only while it is rate-limited:
    at most ``max_open_prs_per_repo`` open pull requests and ``max_prs_per_hour_per_repo`` new
    ones per hour in any repository.
    """

    # auto: the local forge for the simulated world, GitHub for the real one.
    kind: Literal["auto", "github", "local"] = "auto"
    max_open_prs_per_repo: int = Field(3, ge=0)
    max_prs_per_hour_per_repo: int = Field(2, ge=0)
    auto_merge: bool = True
    merge_method: Literal["merge", "squash", "rebase"] = "squash"
    # Repositories never contributed to, whatever their own opt-out files say (owner/name).
    opted_out_repositories: list[str] = Field(default_factory=list)
    # Labels per issue category; ``extra_labels`` go on every pull request.
    labels: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "bug": ["bug"],
            "documentation": ["documentation"],
            "feature": ["enhancement"],
            "performance": ["performance"],
            "security": ["security"],
            "chore": ["maintenance"],
        }
    )
    extra_labels: list[str] = Field(default_factory=lambda: ["globallm"])
    # Local forge: bare repositories live here (default: <data_dir>/forge).
    local_root: Path | None = None
    fork_wait: int = Field(60, ge=0, description="seconds to wait for a new GitHub fork")
    git_timeout: int = Field(300, gt=0, description="seconds per git push")


class MetricsSettings(Section):
    """Prometheus endpoints: ``globallm metrics serve`` exports the store's state (read at
    scrape time); an agent with ``agent_port`` set also exports its own counters."""

    host: str = Field("127.0.0.1", description="interface the endpoints listen on")
    port: int = Field(9464, ge=0, le=65535, description="`metrics serve` port (0: any free one)")
    agent_port: int | None = Field(
        None, ge=0, le=65535, description="`agent run` metrics port; unset: no endpoint"
    )


class LearningSettings(Section):
    """Learning from pull-request outcomes (core/learning.py): a Beta prior of mean
    ``prior_mean`` worth ``prior_strength`` pull requests, silence as a soft rejection, and
    opt-outs maintainers ask for on a pull request. Its weight in the ranking is
    ``priority_weights.acceptance``."""

    prior_mean: float = Field(0.5, gt=0, lt=1)
    prior_strength: float = Field(4.0, gt=0, description="pull requests' worth of prior belief")
    ignored_after_days: float = Field(30.0, ge=0, description="an untouched open PR is ignored")
    ignored_weight: float = Field(0.5, ge=0, le=1, description="an ignored PR, in rejections")
    opt_out_on_request: bool = Field(True, description="a request for no bot PRs opts out")
    # Authors whose remarks are GlobaLLM's own (fork owners are added automatically).
    self_authors: list[str] = Field(default_factory=lambda: ["globallm"])


class Settings(BaseSettings):
    """Everything configurable in GlobaLLM."""

    model_config = SettingsConfigDict(
        env_prefix="GLOBALLM_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        validate_assignment=True,
    )

    languages: CommaList[Language] = Field(default_factory=lambda: [Language(x) for x in LANGUAGES])
    data_dir: Annotated[Path, BeforeValidator(_not_blank)] = Field(default_factory=default_data_dir)
    log_level: LogLevel = "INFO"

    filters: FilterSettings = Field(default_factory=FilterSettings)
    health_weights: HealthWeightSettings = Field(default_factory=HealthWeightSettings)
    impact_weights: ImpactWeightSettings = Field(default_factory=ImpactWeightSettings)
    priority_weights: PriorityWeightSettings = Field(default_factory=PriorityWeightSettings)
    thresholds: ThresholdSettings = Field(default_factory=ThresholdSettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    agents: AgentSettings = Field(default_factory=AgentSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    source: SourceSettings = Field(default_factory=SourceSettings)
    registries: RegistrySettings = Field(default_factory=RegistrySettings)
    redundancy: RedundancySettings = Field(default_factory=RedundancySettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    fix: FixSettings = Field(default_factory=FixSettings)
    forge: ForgeSettings = Field(default_factory=ForgeSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    learning: LearningSettings = Field(default_factory=LearningSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        dotenv_values: dict[str, str | None] = {}
        if isinstance(dotenv_settings, DotEnvSettingsSource):
            env_files = dotenv_settings.env_file
            paths = [env_files] if isinstance(env_files, str | Path) else list(env_files or [])
            from dotenv import dotenv_values as _read

            for path in paths:
                if Path(path).is_file():
                    dotenv_values.update(_read(path, encoding="utf-8"))
        assert isinstance(env_settings, EnvSettingsSource)
        return (
            init_settings,
            env_settings,
            _AliasSource(settings_cls, dict(os.environ)),
            _KnownKeysOnly(settings_cls, dotenv_settings),
            _AliasSource(settings_cls, dotenv_values),
            _YamlSource(settings_cls),
        )

    @property
    def postgres_dir(self) -> Path:
        return self.data_dir / "postgres"


def load_settings(
    config_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    env_file: Path | str | None = ".env",
) -> Settings:
    """Build settings from every layer; ``overrides`` (dotted keys) are the CLI-flag layer."""
    init: dict[str, Any] = {}
    for dotted, value in (overrides or {}).items():
        if value is not None:
            init = _deep_merge(init, _nest(dotted, value))
    if config_file is not None and not Path(config_file).exists():
        raise ConfigError(f"{config_file}: config file not found (--config / GLOBALLM_CONFIG)")
    if env_file is not None and Path(env_file).is_file():
        # Checked here: the .env layer would otherwise fail with a bare UnicodeDecodeError.
        try:
            Path(env_file).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{env_file}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from None
    token = _yaml_path.set(config_file)
    try:
        return Settings(_env_file=env_file, **init)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(exc, config_file)) from None
    except SettingsError as exc:
        # A value the environment layer could not even parse (e.g. malformed JSON).
        first = str(exc).strip().splitlines()[0]
        raise ConfigError(f"{first} (check .env and GLOBALLM_* variables)") from None
    finally:
        _yaml_path.reset(token)


def _describe_validation_error(exc: ValidationError, config_file: Path | None) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    path = config_file or default_config_path()
    return f"invalid setting {loc}: {message} (check {path}, .env and GLOBALLM_* variables)"


# --- `globallm config set` ------------------------------------------------------------------


def _field_for(dotted: str) -> FieldInfo:
    model: type[BaseModel] = Settings
    parts = dotted.split(".")
    for index, part in enumerate(parts):
        fields = model.model_fields
        if part not in fields:
            raise ConfigError(f"unknown setting {dotted!r}")
        info = fields[part]
        annotation = info.annotation
        is_last = index == len(parts) - 1
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if is_last:
                raise ConfigError(f"{dotted!r} is a section; set one of its keys, e.g. {dotted}.…")
            model = annotation
        elif not is_last:
            raise ConfigError(f"unknown setting {dotted!r}")
        else:
            return info
    raise ConfigError(f"unknown setting {dotted!r}")


def _is_secret(annotation: Any) -> bool:
    text = repr(annotation)
    return "SecretStr" in text


def parse_setting_value(dotted: str, raw: str) -> Any:
    """Validate ``raw`` for the setting at ``dotted``; returns the YAML-ready value."""
    info = _field_for(dotted)
    if _is_secret(info.annotation):
        if "list[" in repr(info.annotation):
            return [part.strip() for part in raw.split(",") if part.strip()]
        return raw
    import yaml

    try:
        candidate = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        candidate = raw
    if "list[" in repr(info.annotation) and not isinstance(candidate, list):
        # `python,go` and a single `python` both mean a list.
        candidate = [part.strip() for part in str(candidate).split(",") if part.strip()]
    probe = create_model("Probe", value=(info.annotation, info))
    try:
        validated = probe.model_validate({"value": candidate})
    except ValidationError as exc:
        raise ConfigError(f"invalid value for {dotted}: {exc.errors()[0]['msg']}") from None
    return validated.model_dump(mode="json")["value"]


@dataclass(frozen=True)
class SettingChange:
    """One key set in a config file's content: the new content, the stored value, and whether
    the file now holds a secret (it must then stay private)."""

    content: dict[str, Any]
    value: Any
    secret: bool


def apply_setting(content: dict[str, Any], dotted: str, value: Any, source: Path) -> SettingChange:
    """Set ``dotted`` to a parsed ``value`` (see :func:`parse_setting_value`) in a config
    file's ``content``, refusing what would not load."""
    updated = _deep_merge(content, _nest(dotted, value))
    try:
        # model_validate skips the env/.env/YAML sources: this checks the file's content alone,
        # so a write can never leave an unloadable config behind.
        Settings.model_validate(updated)
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(exc, source)) from None
    return SettingChange(updated, value, _is_secret(_field_for(dotted).annotation))


def masked(settings: Settings) -> dict[str, Any]:
    """The effective settings as JSON-able data with every secret masked."""
    data = settings.model_dump(mode="json")
    url = settings.database.url
    if url is not None:
        data["database"]["url"] = mask_url(url.get_secret_value())
    data["github"]["token"] = mask_secret(settings.github.token)
    data["github"]["tokens"] = [mask_secret(t) for t in settings.github.tokens]
    data["llm"]["anthropic_api_key"] = mask_secret(settings.llm.anthropic_api_key)
    data["llm"]["openai_api_key"] = mask_secret(settings.llm.openai_api_key)
    return data


def mask_secret(secret: SecretStr | str | None) -> str | None:
    if secret is None:
        return None
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not value:
        return ""
    return "****" + value[-4:] if len(value) >= 12 else "****"


# Connection parameters that hold a password (libpq: password, sslpassword).
_PASSWORD_KEYS = r"(?:ssl)?password"
_QUERY_PASSWORD = re.compile(rf"(?i)(^|&)({_PASSWORD_KEYS})=([^&]*)")
_KV_PASSWORD = re.compile(rf"(?i)(^|\s)({_PASSWORD_KEYS})(\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']+)")
MASK = "****"


def _is_url(dsn: str) -> bool:
    return "://" in dsn


def mask_url(url: str) -> str:
    """Hide every password in a connection string: URL user info, ``?password=`` (and
    ``sslpassword``) query parameters, and the ``key=value`` form. Everything else is kept."""
    if not _is_url(url):
        return _KV_PASSWORD.sub(lambda m: f"{m[1]}{m[2]}{m[3]}{MASK}", url)
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{host}"
    query = _QUERY_PASSWORD.sub(lambda m: f"{m[1]}{m[2]}={MASK}", parts.query)
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def dsn_passwords(dsn: str) -> list[str]:
    """The passwords a connection string carries, as written and as the server receives them
    (percent-decoded, unquoted), so log redaction catches either."""
    found: list[str] = []
    if _is_url(dsn):
        parts = urlsplit(dsn)
        raw = [parts.password] if parts.password else []
        raw += [m[3] for m in _QUERY_PASSWORD.finditer(parts.query) if m[3]]
        for value in raw:
            found += [value, unquote(value)]
    else:
        for match in _KV_PASSWORD.finditer(dsn):
            value = match[4]
            if value.startswith("'"):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            found.append(value)
    return list(dict.fromkeys(v for v in found if v))


def secret_values(settings: Settings) -> list[str]:
    """Every configured secret (tokens, keys, the database password), for log redaction."""
    values = list(settings.github.all_tokens())
    for key in (settings.llm.anthropic_api_key, settings.llm.openai_api_key):
        if key is not None:
            values.append(key.get_secret_value())
    if settings.database.url is not None:
        values += dsn_passwords(settings.database.url.get_secret_value())
    return values
