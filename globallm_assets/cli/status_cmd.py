"""`globallm status [--dashboard] [--export json]`: budget, repositories, issues, agents, pull
requests and their cost, and what failed lately — once, as JSON, or as a live dashboard.

Everything is laid out for an 80-column terminal: labels never wrap, long repository names and
issue titles are cut with an ellipsis on a word boundary instead of breaking mid-word.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import typer
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.live import Live
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from globallm_assets.cli.common import UsageError, check_export, console, emit_json, state

BAR_WIDTH = 24
# Characters after which a name or a title may be cut: words, path and name parts.
_BREAKS = frozenset(" /-_.:")


def register(root: typer.Typer) -> None:
    root.command("status")(status)


def status(
    ctx: typer.Context,
    dashboard: bool = typer.Option(False, "--dashboard", help="live view, refreshed until Ctrl-C"),
    interval: float = typer.Option(
        5.0, "--interval", min=0.5, help="seconds between dashboard refreshes"
    ),
    top: int = typer.Option(10, "--top", min=1, max=100, help="repositories to show"),
    export: str | None = typer.Option(None, "--export", help="json: machine-readable stdout"),
) -> None:
    """What GlobaLLM is doing: budget used and limits, repositories by verdict, issues by state,
    agents active and stale, pull requests and merge rate, tokens and cost per merged pull
    request, recent failures.

    Example: globallm status --dashboard
    """
    check_export(export)
    if dashboard and export:
        raise UsageError("--dashboard and --export cannot be combined")
    from globallm_assets.services.status import collect
    from globallm_assets.store.db import prepare

    settings = state(ctx).settings()
    dsn = prepare(settings).dsn

    def fetch():
        return collect(settings, dsn, repositories=top)

    if export == "json":
        emit_json(fetch().as_dict())
        return
    if dashboard:
        # Ctrl-C is how a dashboard is closed: not an error.
        with contextlib.suppress(KeyboardInterrupt):
            run_dashboard(fetch, console, interval=interval)
        return
    console.print(status_view(fetch()))


# --------------------------------------------------------------------------- rendering


def elide(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells after the last word (or name part) that fits, with an
    ellipsis; a text that fits is returned as it is."""
    if text.cell_len <= width:
        return text
    if width <= 1:
        return Text("…"[:width])
    plain = text.plain
    fits = 0
    while fits < len(plain) and cell_len(plain[: fits + 1]) <= width - 1:
        fits += 1
    cut = max((i + 1 for i in range(fits) if plain[i] in _BREAKS), default=0)
    if cut < fits // 2:  # no break in the second half: a long single word is cut where it must
        cut = fits
    out = text[:cut]
    out.rstrip()
    out.append("…")
    return out


class Elided:
    """A table cell that never wraps: too long, it is cut on a word boundary (``elide``)."""

    def __init__(self, text: Text | str) -> None:
        self.text = text if isinstance(text, Text) else Text(text)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = self.text.cell_len
        return Measurement(min(width, 8), width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        line = elide(self.text, options.max_width)
        line.no_wrap, line.overflow = True, "crop"
        yield line


def _bar(share: float | None) -> Text:
    share = min(1.0, max(0.0, share or 0.0))
    filled = round(share * BAR_WIDTH)
    colour = "red" if share >= 0.9 else "yellow" if share >= 0.7 else "green"
    bar = Text("█" * filled, style=colour)
    bar.append("░" * (BAR_WIDTH - filled), style="dim")
    bar.append(f" {share:4.0%}")
    return bar


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.4f}"


def _count(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _summary(report: Any) -> Table:
    """Label/value lines; values wrap between words, labels never wrap."""
    b, r, i, a, p, f = (
        report.budget,
        report.repositories,
        report.issues,
        report.agents,
        report.pull_requests,
        report.fixes,
    )
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    tokens = Text.assemble(
        _bar(b["share_used"]),
        f"  {b['tokens_used']:,} of {b['tokens_limit']:,} tokens",
    )
    grid.add_row("budget", tokens)
    grid.add_row(
        "",
        f"week of {b['week_start']} · {b['tokens_in_flight']:,} in flight · "
        f"{b['tokens_remaining']:,} left · {b['seconds_used']:,} s · {_money(b['cost_usd'])}",
    )
    if b["exhausted"]:
        grid.add_row("", Text(b["exhausted"], style="red"))
    grid.add_row(
        "repositories",
        f"{r['total']:,} · {r['approved']:,} approved · {r['rejected']:,} rejected · "
        f"{r['undecided']:,} undecided · {r['opted_out']:,} opted out",
    )
    grid.add_row(
        "issues",
        f"{i['open']:,} open ({i['ranked']:,} ranked, {i['do_not_touch']:,} do-not-touch) · "
        f"{i['available']:,} available · {i['assigned']:,} assigned · "
        f"{i['completed']:,} completed · {i['failed']:,} failed · {i['closed']:,} closed",
    )
    grid.add_row(
        "agents",
        f"{a['active']:,} active · {a['stale']:,} stale · {a['claims']:,} claims "
        f"({a['stale_claims']:,} stale) · {a['seen_this_week']:,} seen this week",
    )
    grid.add_row(
        "pull requests",
        f"{p['opened']:,} opened · {p['open']:,} open ({p['draft']:,} draft) · "
        f"{p['merged']:,} merged · {p['closed']:,} closed · merge rate {_rate(p['merge_rate'])}",
    )
    grid.add_row(
        "fixes",
        f"{f['attempts']:,} attempts ({f['by_outcome']['validated']:,} validated) · "
        f"{f['tokens']:,} tokens · {_money(f['cost_usd'])}",
    )
    grid.add_row(
        "per merged PR",
        f"{_count(f['tokens_per_merged_pr'])} tokens · {_money(f['cost_per_merged_pr'])}",
    )
    return grid


def _repositories(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="repositories", title_justify="left", expand=True)
    table.add_column("repository", ratio=1, min_width=12)
    for name in ("issues", "PRs", "merged"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("impact", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            Elided(row["repository"]),
            f"{row['open_issues']:,}",
            f"{row['prs_opened']:,}",
            f"{row['prs_merged']:,}",
            "—" if row["impact"] is None else f"{row['impact']:.0%}",
        )
    return table


def _failures(rows: list[dict[str, Any]]) -> Table:
    """The issue, then its title over the reason, each line cut rather than wrapped."""
    table = Table(title="recent failures", title_justify="left", expand=True)
    table.add_column("issue", ratio=2)
    table.add_column("title / why it failed", ratio=5)
    for row in rows:
        reason = Text(" ".join((row["reason"] or "").split()), style="red")
        lines = [Elided(reason)]
        if row["title"]:
            lines.insert(0, Elided(" ".join(row["title"].split())))
        table.add_row(
            Elided(Text(f"{row['repository']}#{row['number']}", style="cyan")), Group(*lines)
        )
    return table


def status_view(report: Any, *, footer: str | None = None) -> RenderableType:
    """The status screen (the same for ``status`` and each dashboard frame)."""
    stamp = report.generated_at
    when = stamp.strftime("%Y-%m-%d %H:%M:%S %Z") if isinstance(stamp, datetime) else str(stamp)
    parts: list[RenderableType] = [
        Text.assemble(("GlobaLLM status", "bold"), f" · {report.world} world · {when}"),
        _summary(report),
    ]
    if report.repository_activity:
        parts.append(_repositories(report.repository_activity))
    if report.recent_failures:
        parts.append(_failures(report.recent_failures))
    if footer:
        parts.append(Text(footer, style="dim"))
    return Group(*parts)


def run_dashboard(
    fetch: Callable[[], Any],
    target: Console,
    *,
    interval: float,
    frames: int | None = None,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """Redraw the status every ``interval`` seconds until Ctrl-C (or ``frames`` redraws);
    returns how many frames were drawn."""
    wait = sleep or time.sleep
    footer = f"refreshing every {interval:g} s · Ctrl-C to quit"
    drawn = 0
    with Live(
        status_view(fetch(), footer=footer), console=target, auto_refresh=False, screen=False
    ) as live:
        drawn = 1
        while frames is None or drawn < frames:
            wait(interval)
            live.update(status_view(fetch(), footer=footer), refresh=True)
            drawn += 1
    return drawn
