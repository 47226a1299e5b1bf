"""Registry clients against fake registries (httpx.MockTransport), plus an opt-in live check."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from globallm_assets.core.models import PackageRecord
from globallm_assets.core.packages import dependency_edges, github_repository
from globallm_assets.sources.base import NotFoundError, PackageIndex, SourceError
from globallm_assets.sources.registries import default_registry_url, registry_for
from globallm_assets.sources.registries.crates import CratesIndex
from globallm_assets.sources.registries.endpoints import (
    cargo_registry_url,
    go_proxy_url,
    maven_repository_url,
    npm_registry_url,
)
from globallm_assets.sources.registries.go import GoProxy, parse_go_mod_requires
from globallm_assets.sources.registries.maven import MavenRepository
from globallm_assets.sources.registries.npm import NpmRegistry
from globallm_assets.sources.registries.python import PythonIndex, runtime_requirements
from globallm_assets_tests.fakes.registries import (
    CRATES_API,
    CRATES_SPARSE,
    GO_PROXY,
    MAVEN_REPO,
    NPM_REGISTRY,
    PYTHON_INDEX,
    FakeRegistry,
    crates_api_crate,
    crates_api_dependencies,
    crates_index_entry,
    go_latest,
    go_mod,
    maven_metadata,
    maven_pom,
    npm_manifest,
    npm_packument,
    npm_unpublished,
    python_project,
)

# The dependency metadata of a well-known HTTP library, as its wheel declares it.
REQUESTS_DIST = [
    "charset_normalizer<4,>=2",
    "idna<4,>=2.5",
    "urllib3<3,>=1.21.1",
    "certifi>=2017.4.17",
    'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
    'chardet<6,>=3.0.2; extra == "use-chardet-on-py3"',
]


@pytest.fixture
def fake() -> FakeRegistry:
    return FakeRegistry()


def python_index(fake: FakeRegistry, **kwargs: object) -> PythonIndex:
    return PythonIndex(PYTHON_INDEX, client=fake.client(), backoff_seconds=0, **kwargs)


# ------------------------------------------------------------------------------------------
# Python index


@pytest.mark.parametrize(
    ("requires_dist", "expected"),
    [
        (REQUESTS_DIST, ["charset_normalizer", "idna", "urllib3", "certifi"]),
        (['exceptiongroup>=1.0.2; python_version < "3.11"'], ["exceptiongroup"]),
        (['pywin32>=306; sys_platform == "win32"'], ["pywin32"]),
        (['pywin32>=306; sys_platform == "win32" and extra == "win"'], []),
        (['tomli; python_version < "3.11" or extra == "toml"'], ["tomli"]),
        (['tomli; (python_version < "3.11" or extra == "toml") and extra == "all"'], []),
        (['coverage[toml]>=7; "test" == extra'], []),
        (["Foo_Bar>=1", 'foo-bar<3; python_version >= "3.12"', "foo.bar"], ["Foo_Bar"]),
        (["valid>=1", "this is not a requirement ((("], ["valid"]),
        (None, []),
    ],
)
def test_runtime_requirements_keep_platform_gated_and_drop_extra_gated(
    requires_dist: list[str] | None, expected: list[str]
) -> None:
    assert runtime_requirements(requires_dist) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/psf/requests", "psf/requests"),
        ("git+https://github.com/expressjs/express.git", "expressjs/express"),
        ("git://github.com/lodash/lodash.git", "lodash/lodash"),
        ("git+ssh://git@github.com/facebook/react.git", "facebook/react"),
        ("git@github.com:encode/httpx.git", "encode/httpx"),
        ("github:sindresorhus/got", "sindresorhus/got"),
        ("sindresorhus/got", "sindresorhus/got"),
        (
            "https://github.com/DefinitelyTyped/DefinitelyTyped/tree/master/types/node",
            "DefinitelyTyped/DefinitelyTyped",
        ),
        ("https://www.github.com/pallets/flask/issues", "pallets/flask"),
        ("http://github.com/kjd/idna#readme", "kjd/idna"),
        ("https://github.com/org/repo.name.git/", "org/repo.name"),
        ("https://github.com/sponsors/someone", None),
        ("https://github.com/psf", None),
        ("https://gitlab.com/group/project", None),
        ("gitlab:group/project", None),
        ("https://psf.github.io/black/", None),
        ("https://docs.example.org/", None),
        ("", None),
        (None, None),
    ],
)
def test_github_repository_understands_registry_link_spellings(
    url: str | None, expected: str | None
) -> None:
    assert github_repository(url) == expected


def test_python_package_reads_metadata_from_json_api(fake: FakeRegistry) -> None:
    fake.add_json(
        "/pypi/requests/json",
        python_project(
            "requests",
            "2.32.3",
            requires_dist=REQUESTS_DIST,
            project_urls={
                "Documentation": "https://requests.readthedocs.io",
                "Funding": "https://github.com/sponsors/psf",
                "Source": "https://github.com/psf/requests",
            },
            summary="Python HTTP for Humans.",
            description="# Requests\n\nReadme body.",
            uploads=("2024-05-29T15:37:49.536123Z", "2024-05-29T15:37:47.613045Z"),
            older={"2.31.0": "2023-05-22T15:12:42.313790Z"},
        ),
    )
    record = python_index(fake).package("requests")
    assert record == PackageRecord(
        ecosystem="pypi",
        name="requests",
        version="2.32.3",
        repository="psf/requests",
        description="Python HTTP for Humans.",
        readme="# Requests\n\nReadme body.",
        latest_release_at=datetime(2024, 5, 29, 15, 37, 47, 613045, tzinfo=UTC),
        dependencies=["charset_normalizer", "idna", "urllib3", "certifi"],
    )


def test_python_repository_falls_back_to_home_page_and_ignores_placeholders(
    fake: FakeRegistry,
) -> None:
    fake.add_json(
        "/pypi/oldpkg/json",
        python_project(
            "oldpkg",
            "0.1",
            project_urls=None,
            home_page="https://github.com/someone/oldpkg/",
            summary="UNKNOWN",
            description="UNKNOWN",
        ),
    )
    record = python_index(fake).package("oldpkg")
    assert (record.repository, record.description, record.readme) == ("someone/oldpkg", None, None)


def test_python_base_url_given_as_simple_index_is_reduced_to_json_api_base(
    fake: FakeRegistry,
) -> None:
    fake.add_json("/root/pypi/idna/json", python_project("idna", "3.7"))
    index = PythonIndex("https://python-index.test/root/simple/", client=fake.client())
    assert index.package("idna").version == "3.7"
    assert str(fake.requests[0].url) == "https://python-index.test/root/pypi/idna/json"


def test_unknown_package_raises_not_found(fake: FakeRegistry) -> None:
    with pytest.raises(NotFoundError, match="no-such-package"):
        python_index(fake).package("no-such-package")


def test_server_errors_are_retried_then_reported(fake: FakeRegistry) -> None:
    fake.add("/pypi/flaky/json", [httpx.Response(500), httpx.Response(502), httpx.Response(503)])
    with pytest.raises(SourceError, match="after 3 attempts") as caught:
        python_index(fake).package("flaky")
    assert not isinstance(caught.value, NotFoundError)
    assert fake.hits("/pypi/flaky/json") == 3


def test_transient_failures_recover_on_retry(fake: FakeRegistry) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    fake.add(
        "/pypi/idna/json",
        [refuse, httpx.Response(503), httpx.Response(200, json=python_project("idna", "3.7"))],
    )
    assert python_index(fake).package("idna").version == "3.7"
    assert fake.hits("/pypi/idna/json") == 3


def test_client_errors_fail_at_once_without_leaking_credentials(fake: FakeRegistry) -> None:
    fake.add("/pypi/private/json", httpx.Response(403, json={"message": "Forbidden"}))
    index = PythonIndex(
        "https://deploy:s3cret-token@python-index.test/simple", client=fake.client()
    )
    with pytest.raises(SourceError, match="HTTP 403") as caught:
        index.package("private")
    assert fake.hits("/pypi/private/json") == 1
    assert "s3cret-token" not in str(caught.value)
    assert "s3cret-token" not in repr(index)


def test_packages_skip_unknown_keep_order_and_fetch_each_name_once(fake: FakeRegistry) -> None:
    for name in ("idna", "certifi", "urllib3"):
        fake.add_json(f"/pypi/{name}/json", python_project(name, "1.0"))
    names = ["urllib3", "missing", "idna", "IDNA", "certifi"]
    records = list(python_index(fake).packages(names))
    assert [r.name for r in records] == ["urllib3", "idna", "certifi"]
    assert fake.hits("/pypi/IDNA/json") + fake.hits("/pypi/idna/json") == 1


def test_packages_bound_requests_in_flight(fake: FakeRegistry) -> None:
    lock = threading.Lock()
    in_flight = peak = 0

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        name = request.url.path.split("/")[2]
        return httpx.Response(200, json=python_project(name, "1.0"))

    names = [f"pkg{i}" for i in range(40)]
    for name in names:
        fake.add(f"/pypi/{name}/json", slow)
    records = list(python_index(fake).packages(names))
    assert [r.name for r in records] == names
    assert 1 < peak <= 8


def test_packages_raise_when_the_registry_is_down(fake: FakeRegistry) -> None:
    fake.add_json("/pypi/idna/json", python_project("idna", "3.7"))
    fake.add("/pypi/broken/json", httpx.Response(500))
    with pytest.raises(SourceError):
        list(python_index(fake).packages(["idna", "broken"]))


# ------------------------------------------------------------------------------------------
# npm


def npm(fake: FakeRegistry) -> NpmRegistry:
    return NpmRegistry(NPM_REGISTRY, client=fake.client(), backoff_seconds=0)


def test_npm_scoped_package_uses_latest_dist_tag_runtime_dependencies(fake: FakeRegistry) -> None:
    repository = {
        "type": "git",
        "url": "https://github.com/DefinitelyTyped/DefinitelyTyped.git",
        "directory": "types/node",
    }
    old = npm_manifest("@types/node", "20.14.1", dependencies={"undici-types": "~5.26.4"})
    current = npm_manifest(
        "@types/node",
        "20.14.2",
        dependencies={"undici-types": "~5.26.4", "string-width-cjs": "npm:string-width@^4.2.0"},
        dev_dependencies={"typescript": "^5"},
        peer_dependencies={"tslib": "*"},
        optional_dependencies={"fsevents": "^2"},
        repository=repository,
    )
    beta = npm_manifest("@types/node", "21.0.0-beta.1", dependencies={"new-thing": "^1"})
    fake.add_json(
        "/@types%2fnode",
        npm_packument(
            "@types/node",
            [old, current, beta],
            latest="20.14.2",
            times={"20.14.2": "2024-06-06T12:34:56.789Z"},
        ),
    )
    record = npm(fake).package("@types/node")
    assert fake.requests[0].headers["Accept"] == "application/json"
    assert record.name == "@types/node"
    assert record.version == "20.14.2"
    assert record.dependencies == ["undici-types", "string-width"]
    assert record.repository == "DefinitelyTyped/DefinitelyTyped"
    assert record.latest_release_at == datetime(2024, 6, 6, 12, 34, 56, 789000, tzinfo=UTC)
    assert record.readme == "# Readme\n"


@pytest.mark.parametrize(
    ("manifest_fields", "expected"),
    [
        ({"repository": "github:tj/commander.js"}, "tj/commander.js"),
        ({"repository": "tj/commander.js"}, "tj/commander.js"),
        ({"repository": {"type": "git", "url": "git+ssh://git@github.com/tj/co.git"}}, "tj/co"),
        ({"homepage": "https://github.com/tj/co#readme"}, "tj/co"),
        ({"bugs": {"url": "https://github.com/tj/co/issues"}}, "tj/co"),
        ({"repository": "gitlab:someone/thing", "homepage": "https://thing.test"}, None),
    ],
)
def test_npm_repository_comes_from_repository_then_homepage_then_bugs(
    fake: FakeRegistry, manifest_fields: dict[str, object], expected: str | None
) -> None:
    fake.add_json(
        "/co", npm_packument("co", [npm_manifest("co", "4.6.0", **manifest_fields)], readme=None)
    )
    record = npm(fake).package("co")
    assert record.repository == expected
    assert record.readme is None


def test_npm_unpublished_package_is_not_found(fake: FakeRegistry) -> None:
    fake.add_json("/gone", npm_unpublished("gone"))
    with pytest.raises(NotFoundError):
        npm(fake).package("gone")


def test_npm_missing_package_is_not_found(fake: FakeRegistry) -> None:
    with pytest.raises(NotFoundError):
        npm(fake).package("@nobody/nothing")
    assert fake.requests[0].url.raw_path == b"/@nobody%2fnothing"


# ------------------------------------------------------------------------------------------
# crates


def test_crates_api_reads_normal_non_optional_dependencies(fake: FakeRegistry) -> None:
    fake.add_json(
        "/api/v1/crates/reqwest",
        crates_api_crate(
            "reqwest",
            [("0.13.0-rc.1", "2024-07-01T00:00:00.000000Z"), ("0.12.5", "2024-06-03T08:09:10Z")],
            max_stable="0.12.5",
            repository="https://github.com/seanmonstar/reqwest",
        ),
    )
    fake.add_json(
        "/api/v1/crates/reqwest/0.12.5/dependencies",
        crates_api_dependencies(
            [
                ("hyper", "normal", False),
                ("serde_json", "normal", True),
                ("tokio-test", "dev", False),
                ("cc", "build", False),
                ("url", "normal", False),
            ]
        ),
    )
    record = CratesIndex(CRATES_API, client=fake.client()).package("reqwest")
    assert record.version == "0.12.5"
    assert record.dependencies == ["hyper", "url"]
    assert record.repository == "seanmonstar/reqwest"
    assert record.latest_release_at == datetime(2024, 6, 3, 8, 9, 10, tzinfo=UTC)


def test_crates_sparse_index_picks_newest_stable_release(fake: FakeRegistry) -> None:
    lines = [
        crates_index_entry("serde", "1.0.200", [{"name": "serde_derive"}]),
        crates_index_entry(
            "serde",
            "1.0.203",
            [
                {"name": "serde_derive", "optional": True},
                {"name": "derive_alias", "package": "serde_derive"},
                {"name": "serde_test", "kind": "dev"},
            ],
        ),
        crates_index_entry("serde", "1.0.204", [{"name": "yanked_dep"}], yanked=True),
        crates_index_entry("serde", "2.0.0-alpha.1", [{"name": "pre_dep"}]),
    ]
    fake.add_text("/se/rd/serde", "\n".join(lines) + "\n")
    fake.add_json("/config.json", {"dl": f"{CRATES_API}/api/v1/crates", "api": CRATES_API})
    fake.add_json(
        "/api/v1/crates/serde",
        crates_api_crate(
            "serde",
            [("1.0.204", "2024-07-01T00:00:00Z"), ("1.0.203", "2024-06-01T00:00:00Z")],
            repository="https://github.com/serde-rs/serde",
        ),
    )
    index = CratesIndex(f"sparse+{CRATES_SPARSE}/", client=fake.client())
    record = index.package("serde")
    assert (record.version, record.dependencies) == ("1.0.203", ["serde_derive"])
    assert record.repository == "serde-rs/serde"
    assert record.latest_release_at == datetime(2024, 6, 1, tzinfo=UTC)


def test_crates_sparse_index_paths_follow_name_length(fake: FakeRegistry) -> None:
    fake.add_text("/3/l/log", crates_index_entry("log", "0.4.22"))
    fake.add_text("/2/cc", crates_index_entry("cc", "1.1.0"))
    index = CratesIndex(f"sparse+{CRATES_SPARSE}", client=fake.client())
    assert [r.version for r in index.packages(["log", "cc"])] == ["0.4.22", "1.1.0"]
    assert [r.repository for r in index.packages(["log"])] == [None]


# ------------------------------------------------------------------------------------------
# Go


def test_go_proxy_escapes_module_path_and_reads_direct_requirements(fake: FakeRegistry) -> None:
    module = "github.com/Azure/azure-sdk-for-go/sdk/azcore"
    escaped = "/github.com/!azure/azure-sdk-for-go/sdk/azcore"
    fake.add_json(f"{escaped}/@latest", go_latest("v1.11.1", "2024-04-02T21:01:49Z"))
    fake.add_text(
        f"{escaped}/@v/v1.11.1.mod",
        go_mod(
            module,
            ["go.example.test/x/net", "github.com/Azure/go-amqp"],
            ["go.example.test/x/text"],
        ),
    )
    record = GoProxy(GO_PROXY, client=fake.client()).package(module)
    assert record.version == "v1.11.1"
    assert record.dependencies == ["go.example.test/x/net", "github.com/Azure/go-amqp"]
    assert record.repository == "Azure/azure-sdk-for-go"
    assert record.latest_release_at == datetime(2024, 4, 2, 21, 1, 49, tzinfo=UTC)


def test_go_vanity_module_takes_repository_from_origin(fake: FakeRegistry) -> None:
    fake.add_json(
        "/go.uber.org/zap/@latest",
        go_latest("v1.27.0", "2024-02-20T20:55:06Z", "https://github.com/uber-go/zap"),
    )
    fake.add_text(
        "/go.uber.org/zap/@v/v1.27.0.mod", go_mod("go.uber.org/zap", ["go.uber.org/multierr"])
    )
    fake.add_json("/go.example.test/x/sync/@latest", go_latest("v0.7.0", "2024-03-04T17:00:00Z"))
    fake.add_text(
        "/go.example.test/x/sync/@v/v0.7.0.mod", "module go.example.test/x/sync\n\ngo 1.18\n"
    )
    records = list(
        GoProxy(GO_PROXY, client=fake.client()).packages(
            ["go.uber.org/zap", "go.example.test/x/sync"]
        )
    )
    assert [(r.repository, r.dependencies) for r in records] == [
        ("uber-go/zap", ["go.uber.org/multierr"]),
        (None, []),
    ]


def test_go_mod_single_line_requires_and_comments() -> None:
    text = (
        "module example.test/app\n"
        "require example.test/one v1.0.0\n"
        "require example.test/two v1.0.0 // indirect\n"
        'require "example.test/three" v1.0.0\n'
        "exclude (\n\texample.test/four v1.0.0\n)\n"
        "require(\n\texample.test/five v0.1.0 // a comment\n)\n"
    )
    assert parse_go_mod_requires(text) == [
        "example.test/one",
        "example.test/three",
        "example.test/five",
    ]


# ------------------------------------------------------------------------------------------
# Maven


def test_maven_reads_release_pom_dependencies_and_scm(fake: FakeRegistry) -> None:
    folder = "/maven2/com/squareup/okhttp3/okhttp"
    fake.add_text(
        f"{folder}/maven-metadata.xml",
        maven_metadata(
            "com.squareup.okhttp3",
            "okhttp",
            ["4.12.0", "5.0.0-alpha.14"],
            release="4.12.0",
            last_updated="20240412154307",
        ),
        "text/xml",
    )
    fake.add_text(
        f"{folder}/4.12.0/okhttp-4.12.0.pom",
        maven_pom(
            None,
            "okhttp",
            "4.12.0",
            parent=("com.squareup.okhttp3", "parent", "4.12.0"),
            properties={"kotlin.version": "1.8.21"},
            scm_connection="scm:git:git@github.com:square/okhttp.git",
            dependencies=[
                {"groupId": "com.squareup.okio", "artifactId": "okio", "version": "3.6.0"},
                {"groupId": "${project.groupId}", "artifactId": "okhttp-bom", "scope": "runtime"},
                {"groupId": "org.jetbrains.kotlin", "artifactId": "kotlin-stdlib-jdk8"},
                {"groupId": "junit", "artifactId": "junit", "scope": "test"},
                {"groupId": "javax.annotation", "artifactId": "jsr250", "scope": "provided"},
                {"groupId": "org.conscrypt", "artifactId": "conscrypt", "optional": "true"},
                {"groupId": "${undefined.group}", "artifactId": "mystery"},
            ],
            managed=[{"groupId": "org.managed", "artifactId": "only-managed", "version": "1"}],
        ),
        "text/xml",
    )
    record = MavenRepository(MAVEN_REPO, client=fake.client()).package(
        "com.squareup.okhttp3:okhttp"
    )
    assert record.version == "4.12.0"
    assert record.dependencies == [
        "com.squareup.okio:okio",
        "com.squareup.okhttp3:okhttp-bom",
        "org.jetbrains.kotlin:kotlin-stdlib-jdk8",
    ]
    assert record.repository == "square/okhttp"
    assert record.description == "A small library."
    assert record.latest_release_at == datetime(2024, 4, 12, 15, 43, 7, tzinfo=UTC)


def test_maven_rejects_names_without_group(fake: FakeRegistry) -> None:
    with pytest.raises(SourceError, match="groupId:artifactId"):
        MavenRepository(MAVEN_REPO, client=fake.client()).package("okhttp")
    assert fake.requests == []


# ------------------------------------------------------------------------------------------
# Where the user's tools point


@pytest.fixture
def isolated_home(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """A home, working directory and environment with no registry configuration in them."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.setenv("CARGO_HOME", str(tmp_path / ".cargo"))
    monkeypatch.setenv("GOENV", str(tmp_path / "go-env"))
    for key in (
        "PIP_INDEX_URL",
        "PIP_CONFIG_FILE",
        "NPM_CONFIG_REGISTRY",
        "npm_config_registry",
        "NPM_CONFIG_USERCONFIG",
        "GOPROXY",
        "CARGO_REGISTRY_DEFAULT",
        "MAVEN_HOME",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_pip_index_url_env_with_simple_suffix_gives_json_base(
    isolated_home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.test/root/pypi/simple/")
    assert default_registry_url("pypi") == "https://mirror.test/root/pypi"
    assert default_registry_url("python") == "https://mirror.test/root/pypi"


def test_pip_config_file_sets_the_index(isolated_home, monkeypatch: pytest.MonkeyPatch) -> None:
    config = isolated_home / "pip.conf"
    config.write_text(
        "[global]\nindex-url = https://global.test/simple\ntimeout = 60\n"
        "[install]\nindex-url = https://install.test/simple\n"
    )
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    assert default_registry_url("pypi") == "https://install.test"


def test_pip_user_config_is_read_and_file_indexes_are_ignored(
    isolated_home, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = isolated_home / ".config" / "pip" / "pip.conf"
    user.parent.mkdir(parents=True)
    user.write_text("[global]\nindex_url = https://user-mirror.test/simple\n")
    assert default_registry_url("pypi") == "https://user-mirror.test"
    override = isolated_home / "override.conf"
    override.write_text("[global]\nindex-url = file:///opt/wheels/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(override))
    # The override's file index wins over the user's mirror, and is no HTTP API to read.
    assert default_registry_url("pypi") is None


def test_pip_without_configuration_names_the_setting(
    isolated_home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    assert default_registry_url("pypi") is None
    with pytest.raises(SourceError, match=r"set registries\.pypi_url"):
        registry_for("pypi")


def test_explicit_base_url_wins_over_configuration(
    isolated_home, monkeypatch: pytest.MonkeyPatch, fake: FakeRegistry
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "https://configured.test/simple")
    fake.add_json("/pypi/idna/json", python_project("idna", "3.7"))
    index = registry_for("pypi", base_url=PYTHON_INDEX, client=fake.client())
    assert isinstance(index, PackageIndex)
    assert index.package("idna").version == "3.7"
    assert fake.requests[0].url.host == "python-index.test"


def test_npm_registry_env_is_used(isolated_home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "https://npm-mirror.test/")
    assert default_registry_url("npm") == "https://npm-mirror.test"
    assert default_registry_url("typescript") == "https://npm-mirror.test"


def test_npmrc_is_read_when_npm_is_unavailable(isolated_home) -> None:
    (isolated_home / ".npmrc").write_text(
        "; company mirror\n@corp:registry=https://corp.test/\nregistry = https://npmrc-mirror.test/\n"
    )
    assert npm_registry_url(use_npm=False) == "https://npmrc-mirror.test"


def test_cargo_source_replacement_gives_sparse_index(isolated_home) -> None:
    cargo = isolated_home / ".cargo"
    cargo.mkdir()
    (cargo / "config.toml").write_text(
        '[source.crates-io]\nreplace-with = "mirror"\n\n'
        '[source.mirror]\nregistry = "sparse+https://crates-mirror.test/index/"\n'
    )
    assert cargo_registry_url() == "sparse+https://crates-mirror.test/index"


def test_crates_without_configuration_names_the_setting(isolated_home) -> None:
    with pytest.raises(SourceError, match=r"set registries\.crates_url"):
        registry_for("crates")


@pytest.mark.parametrize(
    ("goproxy", "expected"),
    [
        ("https://goproxy.test,direct", "https://goproxy.test"),
        ("direct|https://second.test/", "https://second.test"),
        ("off", None),
    ],
)
def test_goproxy_first_url_entry(goproxy: str, expected: str | None) -> None:
    assert go_proxy_url({"GOPROXY": goproxy}, use_go=False) == expected


def test_go_env_file_is_read_without_the_go_tool(isolated_home) -> None:
    (isolated_home / "go-env").write_text("GOPRIVATE=corp.test\nGOPROXY=https://go-env.test\n")
    assert go_proxy_url(use_go=False) == "https://go-env.test"


def test_maven_settings_mirror_of_central_is_used(isolated_home) -> None:
    m2 = isolated_home / ".m2"
    m2.mkdir()
    (m2 / "settings.xml").write_text(
        '<settings xmlns="urn:test:maven-settings">\n<mirrors>\n'
        "<mirror><id>block</id><mirrorOf>external:http:*</mirrorOf>"
        "<url>http://0.0.0.0/</url><blocked>true</blocked></mirror>\n"
        "<mirror><id>corp</id><mirrorOf>*,!snapshots</mirrorOf>"
        "<url>https://maven-mirror.test/repository/public/</url></mirror>\n"
        "</mirrors>\n</settings>\n"
    )
    assert maven_repository_url() == "https://maven-mirror.test/repository/public"


def test_unknown_ecosystem_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown package ecosystem"):
        registry_for("cobol")


# ------------------------------------------------------------------------------------------
# Package edges → repository edges


def test_dependency_edges_map_packages_to_repositories() -> None:
    records = [
        PackageRecord(
            ecosystem="pypi",
            name="requests",
            repository="psf/requests",
            dependencies=["charset_normalizer", "Urllib3", "idna", "certifi"],
        ),
        PackageRecord(
            ecosystem="pypi", name="charset-normalizer", repository="jawah/charset_normalizer"
        ),
        PackageRecord(ecosystem="pypi", name="urllib3", repository="urllib3/urllib3"),
        PackageRecord(ecosystem="pypi", name="idna", repository=None),
        PackageRecord(
            ecosystem="pypi",
            name="requests-toolbelt",
            repository="psf/requests",
            dependencies=["urllib3"],
        ),
        PackageRecord(
            ecosystem="pypi", name="monorepo-a", repository="org/mono", dependencies=["monorepo-b"]
        ),
        PackageRecord(ecosystem="pypi", name="monorepo-b", repository="ORG/Mono"),
        PackageRecord(ecosystem="npm", name="certifi", repository="someone/certifi-js"),
        PackageRecord(ecosystem="pypi", name="no-repo", dependencies=["urllib3"]),
    ]
    edges = {(e.dependent, e.dependency, e.ecosystem) for e in dependency_edges(records)}
    assert edges == {
        ("psf/requests", "jawah/charset_normalizer", "pypi"),
        ("psf/requests", "urllib3/urllib3", "pypi"),
    }
    assert len(dependency_edges(records)) == 2


# ------------------------------------------------------------------------------------------
# Live registries (opt-in: pytest -m network)


@pytest.mark.network
def test_live_python_index_reports_plausible_metadata() -> None:
    index = registry_for("pypi")
    names = ["requests", "httpx", "urllib3", "idna", "certifi", "charset-normalizer", "httpcore"]
    records = {r.name.lower(): r for r in index.packages(names)}
    assert records["requests"].repository == "psf/requests"
    assert {"urllib3", "idna", "certifi"} <= set(records["requests"].dependencies)
    assert "PySocks" not in records["requests"].dependencies
    assert records["httpx"].repository == "encode/httpx"
    assert {"httpcore", "anyio"} <= set(records["httpx"].dependencies)
    assert all(r.version and r.latest_release_at for r in records.values())
    edges = {(e.dependent, e.dependency) for e in dependency_edges(records.values())}
    assert ("psf/requests", "urllib3/urllib3") in edges
    assert ("encode/httpx", "encode/httpcore") in edges


@pytest.mark.network
def test_live_npm_registry_reports_plausible_metadata() -> None:
    registry = registry_for("npm")
    records = {r.name: r for r in registry.packages(["express", "lodash", "@types/node"])}
    assert records["express"].repository == "expressjs/express"
    assert {"body-parser", "debug"} <= set(records["express"].dependencies)
    assert records["lodash"].repository == "lodash/lodash"
    assert records["lodash"].dependencies == []
    assert records["@types/node"].repository == "DefinitelyTyped/DefinitelyTyped"
    assert "undici-types" in records["@types/node"].dependencies
    with pytest.raises(NotFoundError):
        registry.package("@globallm-nonexistent-scope/nothing-here")
