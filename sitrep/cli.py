"""Command line: a thin click group; each command imports its stage only when it runs.

Exit codes: 0 success; 1 content errors (each printed as path:line:col: error: message (hint)),
or a build that could not be written; 2 wrong usage.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def common_options(fn: F) -> F:
    """Add the options every command shares: where content is, where the site goes, which config."""
    fn = click.option("--content", "content", type=click.Path(path_type=Path), default=Path("content"),
                      show_default=True, help="Content folder to read.")(fn)
    fn = click.option("--out", "out", type=click.Path(path_type=Path), default=Path("site"),
                      show_default=True, help="Folder the site is written to.")(fn)
    fn = click.option("--config", "config_path", type=click.Path(path_type=Path), default=Path("mkdocs.yml"),
                      show_default=True, help="Site configuration (mkdocs.yml).")(fn)
    return fn


def warn_if_missing(config_path: Path, done: str = "built") -> None:
    """Say that default settings are used because `config_path` is not there (`done`: "built"...).

    The default path is relative, as with mkdocs: run from another folder, a build would quietly
    take the default site name and URL and rewrite every page with them. build and brief say it
    after their summary, so a failed build's output stays its list of problems; serve, which runs
    until stopped, says it first."""
    if not config_path.is_file():
        click.echo(f"warning: {config_path} not found; {done} with the default settings (run from the "
                   "folder that holds mkdocs.yml, or pass --config PATH)", err=True)


_NOISY_LIBRARIES = ("weasyprint", "fontTools", "markdown", "MARKDOWN", "mkdocs", "PIL", "asyncio")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s")
    # Libraries log their own progress at INFO; an editor only needs sitrep's summary and problems.
    for name in _NOISY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


class _Group(click.Group):
    """A group that turns an unexpected exception into one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if logging.getLogger().isEnabledFor(logging.DEBUG):
                raise
            raise click.ClickException(
                f"internal error: {type(exc).__name__}: {exc}. The previous site is untouched. "
                "This is a bug in sitrep, not in your content: run again with -v for the details "
                "and report them.") from None


@click.group(cls=_Group, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--timings-json", type=click.Path(path_type=Path),
              help="Write per-stage times (s) to this file.")
@click.option("-v", "--verbose", is_flag=True, help="Say more.")
@click.pass_context
def main(ctx: click.Context, content: Path, out: Path, config_path: Path, strict: bool,
         timings_json: Path | None, verbose: bool) -> None:
    """Sitrep: build a briefing site from curated conflict-event content.

    Without a command, builds CONTENT into OUT (same as `build`).
    """
    _setup_logging(verbose)
    if ctx.invoked_subcommand is None:
        ctx.invoke(build_cmd, content=content, out=out, config_path=config_path, strict=strict,
                   timings_json=timings_json)


@main.command("build")
@common_options
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--timings-json", type=click.Path(path_type=Path),
              help="Write per-stage times (s) to this file.")
def build_cmd(content: Path, out: Path, config_path: Path, strict: bool, timings_json: Path | None) -> None:
    """Build CONTENT into OUT. Exit 1, leaving the previous site untouched, if content has errors."""
    from sitrep.config import load_config
    from sitrep.pipeline import build, default_cache

    _require_dir(content)
    result = build(content, out, load_config(config_path), cache_path=default_cache(out), strict=strict)
    for warning in result.warnings:
        click.echo(warning.format(), err=True)
    r = result.report
    click.echo(f"built {r.total} files into {out} ({len(r.written)} written, {r.unchanged} unchanged, "
               f"{r.removed} removed; {r.kept} pages kept without rendering) "
               f"in {result.timings['total']:.2f} s", err=True)
    warn_if_missing(config_path)
    if timings_json:
        timings_json.write_text(json.dumps(result.timings, indent=2), encoding="utf-8")


def _require_dir(content: Path) -> None:
    if not content.is_dir():
        raise click.ClickException(f"content folder '{content}' does not exist; pass --content DIR")


@main.command("check")
@common_options
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def check_cmd(content: Path, out: Path, config_path: Path, strict: bool) -> None:
    """Validate CONTENT only. Prints every problem as path:line:col; exit 0 when clean, else 1."""
    from sitrep.load import load
    from sitrep.validate import check

    _require_dir(content)
    checked = check(load(content))
    for problem in checked.problems:
        click.echo(problem.format(), err=True)
    warnings = len(checked.problems) - len(checked.errors)
    if checked.errors or (strict and warnings):
        click.echo(f"{len(checked.errors)} error(s), {warnings} warning(s)", err=True)
        raise SystemExit(1)


@main.command("serve")
@common_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve_cmd(content: Path, out: Path, config_path: Path, host: str, port: int) -> None:
    """Serve OUT with live rebuild and reload when content/, templates/ or mkdocs.yml change."""
    from sitrep.serve import serve

    _require_dir(content)
    warn_if_missing(config_path, "serving")
    serve(content, out, config_path, host=host, port=port)


@main.group("new")
def new_group() -> None:
    """Scaffold a new content file."""


@new_group.command("event")
@click.option("--content", type=click.Path(path_type=Path), default=Path("content"), show_default=True)
@click.option("--title", required=True, help="One line saying what happened.")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--region", required=True, help="ISO 3166-2 code of a file in content/regions/.")
@click.option("--type", "event_type", default="Battles", show_default=True, help="ACLED event type.")
@click.option("--sub-type", "sub_type", default="Armed clash", show_default=True,
              help="ACLED sub-event type.")
@click.option("--id", "event_id", help="Id (file name); default: date and a slug of the title.")
def new_event_cmd(content: Path, title: str, day: Any, region: str, event_type: str, sub_type: str,
                  event_id: str | None) -> None:
    """Write a draft event file that passes `check`, ready to fill in."""
    from sitrep.scaffold import new_event

    path = new_event(content, title=title, day=day.date(), region=region, event_type=event_type,
                     sub_type=sub_type, event_id=event_id)
    click.echo(f"wrote {path}; fill in actors, sources and summary, then set status: published", err=True)


@main.command("import")
@click.argument("kind", type=click.Choice(["ucdp", "acled"]))
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--content", type=click.Path(path_type=Path), default=Path("content"), show_default=True)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
def import_cmd(kind: str, csv_file: Path, content: Path, dry_run: bool) -> None:
    """Add events from a UCDP GED or ACLED CSV file; never overwrites curated files."""
    from sitrep.importers import run_import

    _require_dir(content)
    summary = run_import(kind, csv_file, content, progress=True, dry_run=dry_run)
    for line in summary.report_lines():
        click.echo(line, err=True)
    if summary.rejected:
        raise SystemExit(1)


@main.command("brief")
@common_options
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--region", "regions", multiple=True, help="Region id; repeat for several.")
@click.option("--actor", "actors", multiple=True, help="Actor id; repeat for several.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "md"]), required=True)
@click.option("-o", "output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def brief_cmd(content: Path, out: Path, config_path: Path, start: Any, end: Any, regions: tuple[str, ...],
              actors: tuple[str, ...], fmt: str, output: Path) -> None:
    """Make a briefing for any period, region or actor from the computed sections alone."""
    from sitrep.briefing import Scope, make_adhoc
    from sitrep.config import load_config
    from sitrep.load import ParseCache
    from sitrep.pipeline import default_cache
    from sitrep.validate import load_corpus

    _require_dir(content)
    if start.date() > end.date():
        raise click.BadParameter("--from is after --to", param_hint="--from/--to")
    cache = ParseCache.open(default_cache(out))  # the build's cache: unchanged files are not re-parsed
    corpus = load_corpus(content, cache)
    cache.save()
    for kind, ids, known in (("region", regions, corpus.regions), ("actor", actors, corpus.actors)):
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise click.BadParameter(f"unknown {kind} {', '.join(unknown)}; "
                                     f"known: {', '.join(sorted(known))}",
                                     param_hint=f"--{kind}")
    scope = Scope(start.date(), end.date(), regions, actors)
    config = replace(load_config(config_path), content_dir=content, cache_dir=default_cache(out).parent)
    data = make_adhoc(corpus, scope, fmt, config)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(output)
    click.echo(f"wrote {output} ({len(data)} bytes)", err=True)
    warn_if_missing(config_path)


@main.command("synth")
@click.option("--events", "n_events", required=True, type=click.IntRange(1, 10_000_000))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the synthetic content tree into.")
@click.option("--seed", default=1, show_default=True, type=int)
def synth_cmd(n_events: int, out: Path, seed: int) -> None:
    """Write a deterministic synthetic corpus of N events (for benchmarks)."""
    from sitrep.synth import synth

    summary = synth(n_events, out, seed=seed)
    click.echo(f"wrote {summary} into {out}", err=True)
