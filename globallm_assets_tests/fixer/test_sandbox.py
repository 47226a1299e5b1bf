"""The sandbox: no network, only the workspace writable, no secrets, killed at its limits."""

from __future__ import annotations

import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from globallm_assets.fixer import sandbox
from globallm_assets.fixer.sandbox import (
    SandboxLimits,
    SandboxUnavailable,
    run_sandboxed,
    sandbox_problem,
)
from globallm_assets.observability import register_secrets
from globallm_assets.settings import load_settings

pytestmark = pytest.mark.skipif(
    sandbox_problem() is not None, reason=f"no usable bubblewrap: {sandbox_problem()}"
)

LIMITS = SandboxLimits(wall_seconds=60, cpu_seconds=60, memory_bytes=2 << 30)
PY = sys.executable


@pytest.fixture
def work(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"reachable")

    def log_message(self, *args) -> None:
        pass


def test_sandbox_has_no_network(work: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    probe = (
        "import urllib.request, sys\n"
        f"try:\n    print(urllib.request.urlopen({url!r}, timeout=5).read().decode())\n"
        "except OSError as exc:\n    print('unreachable', type(exc).__name__); sys.exit(3)\n"
    )
    try:
        # The server answers from outside, so the refusal below is the sandbox's doing.
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.read() == b"reachable"
        result = run_sandboxed(work, [PY, "-c", probe], limits=LIMITS)
    finally:
        server.shutdown()
    assert result.sandboxed
    assert result.exit_code == 3, result.output
    assert "unreachable" in result.output


def test_only_the_workspace_is_writable(work: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    host_dir = Path(sys.prefix) / "globallm-sandbox-test"
    script = (
        "import pathlib\n"
        "pathlib.Path('inside.txt').write_text('ok')\n"
        f"targets = [{str(outside)!r}, {str(host_dir)!r}, '/etc/globallm-test', '/tmp/scratch']\n"
        "for target in targets:\n"
        "    try:\n"
        "        pathlib.Path(target).write_text('x'); print('wrote', target)\n"
        "    except OSError as exc:\n"
        "        print('refused', target, exc.errno)\n"
    )
    result = run_sandboxed(work, [PY, "-c", script], limits=LIMITS)
    assert result.exit_code == 0, result.output
    assert (work / "inside.txt").read_text() == "ok"
    assert f"refused {host_dir}" in result.output
    assert "refused /etc/globallm-test" in result.output
    assert not host_dir.exists() and not Path("/etc/globallm-test").exists()
    # /tmp (and so the workspace's parent here) is the sandbox's own tmpfs: writable inside,
    # never seen by the host.
    assert "wrote /tmp/scratch" in result.output
    assert not Path("/tmp/scratch").exists()
    assert not outside.exists()


def test_environment_and_config_files_hold_no_secrets(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "gh" + "p_" + "S3cr3tT0k3n" * 4
    key = "sk-" + "ant-" + "k" * 30
    monkeypatch.setenv("GITHUB_TOKEN", token)
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    monkeypatch.setenv("LC_ALL", f"C.UTF-8{token}")  # allowlisted name, secret value
    register_secrets([token, key])
    settings = load_settings()
    config = Path(settings.data_dir) / "secret.txt"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(token)
    result = run_sandboxed(
        work,
        ["/bin/sh", "-c", f"env; cat {config}; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'"],
        limits=SandboxLimits.from_settings(settings),
        env={"DEPLOY_TOKEN": token, "INNOCENT": key, "EXTRA_FLAG": "1"},
    )
    assert token not in result.output and key not in result.output
    assert "GITHUB_TOKEN" not in result.output and "DEPLOY_TOKEN" not in result.output
    assert "EXTRA_FLAG=1" in result.output
    assert "PATH=" in result.output


def test_wall_clock_limit_kills_the_whole_process_group(work: Path) -> None:
    marker = "61.2345"
    result = run_sandboxed(
        work,
        ["/bin/sh", "-c", f"sleep {marker} & sleep {marker}; echo never"],
        limits=SandboxLimits(wall_seconds=1),
    )
    assert result.killed == "wall" and result.exit_code is None
    assert "never" not in result.output
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _processes_with(marker):
        time.sleep(0.1)
    assert not _processes_with(marker)


def _processes_with(marker: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in text and "pytest" not in text:
            found.append(text)
    return found


def test_cpu_limit_kills_a_busy_loop(work: Path) -> None:
    result = run_sandboxed(
        work, [PY, "-c", "while True: pass"], limits=SandboxLimits(wall_seconds=60, cpu_seconds=1)
    )
    assert result.killed == "cpu"


def test_memory_limit_stops_a_large_allocation(work: Path) -> None:
    script = "b = bytearray(1500 * 1024 * 1024); print('allocated', len(b))"
    result = run_sandboxed(work, [PY, "-c", script], limits=SandboxLimits(memory_bytes=512 << 20))
    assert result.exit_code != 0
    assert "MemoryError" in result.output and "allocated" not in result.output


def test_output_keeps_the_tail(work: Path) -> None:
    script = "print('x' * 100_000); print('THE END')"
    result = run_sandboxed(work, [PY, "-c", script], limits=SandboxLimits(output_bytes=1000))
    assert result.output_truncated
    assert result.output.rstrip().endswith("THE END")
    assert len(result.output) <= 1000


def test_missing_bubblewrap_is_one_clear_line_when_required(
    work: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    sandbox._bwrap_problem.cache_clear()
    monkeypatch.setattr(sandbox.shutil, "which", lambda name, *a, **k: None)
    try:
        with pytest.raises(SandboxUnavailable) as info:
            run_sandboxed(work, ["true"], limits=LIMITS)
        message = str(info.value)
        assert "\n" not in message
        assert "bubblewrap" in message and "sandbox.required" in message
        # Not required: it still runs, says it was not sandboxed, keeps the clean environment.
        monkeypatch.setenv("GITHUB_TOKEN", "gh" + "p_" + "Z" * 36)
        result = run_sandboxed(work, ["/usr/bin/env"], limits=LIMITS, required=False)
        assert result.exit_code == 0 and not result.sandboxed
        assert "GITHUB_TOKEN" not in result.output
    finally:
        sandbox._bwrap_problem.cache_clear()
