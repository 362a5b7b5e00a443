"""The ``minecalc`` command line: click commands and one error formatter.

Only click and the standard library are imported at start-up; each command imports
what it needs when it runs, so ``minecalc --help`` and ``validate`` answer at once.
"""

from __future__ import annotations

import json
import math
import os
import sys
from functools import wraps
from pathlib import Path

import click

from . import __version__
from .errors import InputError, OutputExistsError
from .formatting import clean, strict_json

EXIT_BAD_INPUT = 2
EXIT_BUG = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
MAX_ERROR_LINES = 10
SCHEMA_FILE = "minecalc.schema.json"
"""Written beside a new scenario by ``init``, for editors that check YAML as you type."""

MAX_MEMORY_GB = 4.0
"""What an in-memory sweep, Monte Carlo, Sobol or report may use unless --max-memory says more."""
BYTES_PER_SCENARIO_MONTH = 1000
"""Peak memory per scenario (or path) and month of an in-memory run: ~60 float64 monthly
variables and their temporaries. Measured with ``resource.getrusage`` peak RSS: a
40,000-point capacity sweep of pk2000mw (60 months) ~600 B, 4,096 Sobol runs ~980 B
(with the fixed overhead), Monte Carlo ~300-800 B."""
BYTES_PER_PATH_MONTH_DRAWN = 100
"""A path's drawn price, network factor and fees: three float64 arrays and their
temporaries."""
BYTES_PER_PATH_KEPT = 600
"""What a Monte Carlo keeps of each path: about 35 figures (NPV, IRR, payback, BTC by
year ...) as float64, twice while the blocks are joined."""
MAX_GRID = 10**9
"""The most scenarios a chunked (streamed) sweep may have."""
MAX_VALUES = 10**6
"""The most values one --vary may give."""


class BadOption(click.ClickException):
    """A numeric option out of its range: one line naming the option, exit 2."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class Bounded(click.ParamType):
    """A finite number (``int`` or ``float``) within ``[low, high]``; NaN and inf refused.

    click's FloatRange lets ``nan`` through (NaN compares false with both bounds).
    """

    def __init__(self, kind: type = float, low=None, high=None, power_of_two: bool = False):
        self.kind, self.low, self.high, self.power_of_two = kind, low, high, power_of_two
        self.name = "integer" if kind is int else "number"

    def _expected(self) -> str:
        what = "a power of 2" if self.power_of_two else f"a finite {self.name}"
        show = (lambda x: f"{x:,}") if self.kind is int else (lambda x: f"{x:g}")
        if self.low is not None and self.high is not None:
            return f"{what} from {show(self.low)} to {show(self.high)}"
        if self.low is not None:
            return f"{what} of at least {show(self.low)}"
        return what

    def convert(self, value, param, ctx):
        name = param.opts[0] if param is not None and param.opts else "value"
        try:
            number = float(value)
            if self.kind is int:
                number = int(value) if isinstance(value, int) else int(str(value), 10)
        except (TypeError, ValueError, OverflowError):
            raise BadOption(f"{name}: expected {self._expected()}, got {value!r}") from None
        ok = math.isfinite(number)
        ok = ok and (self.low is None or number >= self.low)
        ok = ok and (self.high is None or number <= self.high)
        ok = ok and (not self.power_of_two or (number & (number - 1)) == 0)
        if not ok:
            raise BadOption(f"{name}: expected {self._expected()}, got {value}")
        return number


SEED = Bounded(int, 0, 2**63 - 1)


def memory_option(command):
    return click.option(
        "--max-memory",
        "max_memory",
        type=Bounded(float, 0.01, 1e6),
        default=MAX_MEMORY_GB,
        show_default=True,
        metavar="GB",
        help="Refuse an in-memory run estimated to need more than this many GB.",
    )(command)


def _check_memory(option: str, what: str, needed_bytes: float, limit_gb: float, hint: str = ""):
    """Refuse, before any work, a run estimated to need more than ``limit_gb``."""
    needed = needed_bytes / 1e9
    if needed > limit_gb:
        raise InputError(
            f"{option}: expected a run within --max-memory {limit_gb:g} GB, got {what}, an "
            f"estimated {needed:,.1f} GB{hint}"
        )


set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY.PATH=VALUE",
    help="Override a field of the scenario, e.g. --set site.pue=1.05 (repeatable; validated "
    "like the file).",
)


def _names(ctx, param, value):
    """``base,bear,bull`` as a tuple of names; None when the option is not given."""
    if value is None:
        return None
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if not names:
        raise click.BadParameter(f"expected names separated by commas, got {value!r}")
    return names


sets_option = click.option(
    "--sets",
    "set_names",
    default=None,
    metavar="NAME[,NAME...]",
    callback=_names,
    help="Named scenario sets side by side, --paths each: base, bear, bull and the "
    "scenario's scenario_sets.",
)


def sets_options(default_paths: int, per: str):
    """``--sets`` with the ``--paths`` and ``--seed`` its Monte Carlo takes, for commands
    that otherwise draw no paths (``run``, ``sweep``)."""
    options = [
        sets_option,
        click.option(
            "--paths",
            "n_paths",
            type=Bounded(int, 1, 10**6),
            default=default_paths,
            show_default=True,
            help=f"With --sets: random paths per {per}.",
        ),
        click.option("--seed", type=SEED, default=0, show_default=True, help="With --sets: seed."),
    ]

    def apply(command):
        for option in reversed(options):
            command = option(command)
        return command

    return apply


range_option = click.option(
    "--range",
    "ranges",
    multiple=True,
    required=True,
    metavar="FIELD=LOW:HIGH",
    help="A field and its low and high values (repeatable).",
)
variable_option = click.option(
    "--variable",
    "--output",
    "variable",
    default="npv_usd",
    show_default=True,
    help="The scalar result to rank the fields by, e.g. npv_usd or btc_total "
    "(--output is the old spelling).",
)
force_option = click.option("--force", is_flag=True, help="Replace outputs that exist.")
config_argument = click.argument("config", metavar="CONFIG", type=str)


def format_option(*choices: str):
    """``--format`` with the choices a command offers; the first is the default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="How to print the result.",
    )


def out_option(help_text: str, **kwargs):
    return click.option(
        "--out", "out", type=click.Path(path_type=str), default=None, help=help_text, **kwargs
    )


def _friendly_errors(command):
    """Bad input: one line per problem, exit 2. A bug in minecalc: one line, exit 1.

    ``--debug`` re-raises either, with its traceback.
    """

    @wraps(command)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        try:
            return command(*args, **kwargs)
        except click.exceptions.ClickException:
            raise
        except KeyboardInterrupt:
            if _debug(ctx):
                raise
            click.echo("error: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (InputError, OSError) as err:
            if _debug(ctx):
                raise
            lines = _message(err).splitlines()
            if len(lines) > MAX_ERROR_LINES:  # a broken file can have dozens: the first matter
                more = len(lines) - MAX_ERROR_LINES + 1
                lines = [*lines[: MAX_ERROR_LINES - 1], f"{more} more problems: fix these first"]
            for line in lines:
                click.echo(f"error: {line}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except Exception as err:
            if _debug(ctx):
                raise
            click.echo(
                f"internal error: {type(err).__name__}: {err} - this is a bug in "
                "minecalc; run again with --debug for the traceback and report it",
                err=True,
            )
            sys.exit(EXIT_BUG)

    return wrapper


def _message(err: InputError | OSError) -> str:
    """The library's message in the command line's words: its options, not parameters."""
    if isinstance(err, OSError):
        return f"{err.filename}: {err.strerror}" if err.filename else str(err)
    if isinstance(err, OutputExistsError):
        names = ", ".join(p.name for p in err.paths[:3])
        more = f" and {len(err.paths) - 3} more" if len(err.paths) > 3 else ""
        return (
            f"--out: expected no existing results in {err.paths[0].parent} (use --force to "
            f"replace them), got {names}{more}"
        )
    text = str(err)
    if err.option and text.startswith(f"{err.option}:"):
        text = f"--{err.option.replace('_', '-')}{text[len(err.option) :]}"
    return text


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _says_data(command):
    """Before a command that reads the history: one line on standard error saying which
    history it reads and how old it is (``minecalc data status`` in short).

    Like the progress line, only on a terminal and not with ``--quiet``: standard output
    carries the result alone, and a script's standard error stays its own.
    """

    @wraps(command)
    def wrapper(*args, **kwargs):
        if not click.get_current_context().find_root().params.get("quiet"):
            if _stderr_is_terminal():
                from .history import data_line, data_status

                click.echo(data_line(data_status()), err=True)
        return command(*args, **kwargs)

    return wrapper


def _data_used(statuses=None) -> list[dict]:
    """Which copy of each history table a command read, and how old it is, for its JSON
    (``statuses`` of :func:`minecalc.history.data_status` when the caller has them)."""
    from .history import data_status

    return [s.as_dict() for s in statuses or data_status()]


def _debug(ctx) -> bool:
    return bool(ctx.find_root().params.get("debug"))


def _progress(ctx):
    """The status line on stderr (a terminal only, silenced by ``--quiet``), closed at exit."""
    from .progress import StderrProgress

    progress = StderrProgress(enabled=not ctx.find_root().params.get("quiet"))
    ctx.call_on_close(progress.close)
    return progress


def _load(config: str, overrides):
    from .config import load_config

    return load_config(config, overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="minecalc")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
def main(debug, quiet):
    """Plan Bitcoin mining at national energy scale.

    CONFIG is a scenario file or the name of a packaged example (minecalc examples).

    \b
    Examples:
      minecalc run pk2000mw                  # the packaged Pakistan scenario
      minecalc run pk2000mw --set site.pue=1.05 --format json
      minecalc init --from pk2000mw my.yaml  # copy an example to edit
      minecalc validate my.yaml              # every problem at once
    """
    if not debug:  # libraries' own log lines (dask.distributed's tracebacks) stay out
        import logging

        logging.disable(logging.CRITICAL)
        click.get_current_context().call_on_close(lambda: logging.disable(logging.NOTSET))


# --------------------------------------------------------------------------- a scenario


@main.command()
@config_argument
@set_option
@format_option("table", "json", "csv")
@out_option("Also write results.nc, monthly.csv and summary.json into this folder.")
@click.option(
    "--plots", is_flag=True, help="Also write the run's figures (PNG and SVG) into --out."
)
@force_option
@sets_options(1000, "set")
@memory_option
@_friendly_errors
@_says_data
def run(config, overrides, fmt, out, plots, force, set_names, n_paths, seed, max_memory):
    """Run a scenario and print its summary (json: the summary; csv: the monthly table).

    With --sets, the named scenario sets follow, side by side (json: scenario_sets).

    \b
    Example:
      minecalc run pk2000mw --set market.btc_price_usd=90000
      minecalc run pk2000mw --out results/pk --format json
      minecalc run pk2000mw --sets base,bear,bull
    """
    from .model import run as run_model
    from .output import monthly_table, write_results
    from .results import summary_dict

    if plots and out is None:
        raise click.UsageError("--plots: expected --out FOLDER to write the figures into, got none")
    if set_names is not None and fmt == "csv":
        raise click.UsageError("--sets: expected --format table or json, got csv")
    from .history import data_line, data_status

    scenario = _load(config, overrides)
    sets = None
    if set_names is not None:
        from . import scenario_sets

        _check_paths(len(set_names) * n_paths, scenario.horizon_months, max_memory)
        sets = scenario_sets.run(scenario, set_names, n_paths, seed)
    ds = run_model(scenario)
    # which history the run read, and how old it was: in the files and the JSON too
    statuses = data_status()
    ds.attrs["data"] = data_line(statuses)
    summary = summary_dict(ds) | {"data": _data_used(statuses)}
    if out is not None and plots:
        from . import report  # matplotlib is imported only when figures are asked for

        with report.open_figures(ds) as figs:
            write_results(ds, summary, out, force=force, extra=report.figure_writers(figs))
    elif out is not None:
        write_results(ds, summary, out, force=force)
    if fmt == "csv":
        click.echo(monthly_table(ds).to_csv(), nl=False)
    elif fmt == "json":
        extra = {} if sets is None else {"scenario_sets": scenario_sets.summary(sets)}
        click.echo(strict_json(summary | extra))
    else:
        from .results import summary_text

        click.echo(summary_text(summary, ds))
        if sets is not None:
            click.echo("\n" + scenario_sets.text(sets.assign_attrs(title=clean(ds.attrs["title"]))))


@main.command()
@click.argument("config", required=False, default="pk2000mw")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 serves other machines (see the README).",
)
@click.option(
    "--port",
    type=Bounded(int, 0, 65535),
    default=5006,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option("--open", "show", is_flag=True, help="Open the page in a browser.")
@click.option(
    "--allow-origin",
    "origins",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Another address browsers reach the page by (behind a reverse proxy); repeatable.",
)
@click.option("--prefix", default="", help="Serve under this path, e.g. /minecalc (a proxy's).")
@_friendly_errors
def serve(config, host, port, show, origins, prefix):
    """Serve the local web page for CONFIG (a scenario file or packaged example).

    \b
    Example:
      minecalc serve pk2000mw --open
    """
    from .errors import require

    require("panel", extra="app", feature="minecalc serve")
    from . import examples
    from .app import serve as serve_app

    scenario = _load(config, ())
    path = examples.resolve(config)  # as the run read it: a file given wins over a name
    named = path.resolve().parent == examples.folder().resolve()
    start_data = None if named else scenario.to_dict()
    start = path.stem if named else scenario.name
    serve_app(
        start,
        start_data,
        host=host,
        port=port,
        show=show,
        origins=origins,
        prefix=prefix,
        ready=lambda address: click.echo(f"minecalc serve: {address} (Ctrl-C stops it)"),
    )


@main.command()
@config_argument
@set_option
@format_option("table", "json")
@_friendly_errors
def validate(config, overrides, fmt):
    """Check a scenario and report every problem at once (exit 2 if there is one).

    \b
    Example:
      minecalc validate my.yaml
    """
    scenario = _load(config, overrides)
    scenario.check_priced()  # what run resolves beyond the schema, so validate == run
    if fmt == "json":
        click.echo(strict_json({"valid": True, "config": config, "name": scenario.name}, None))
        return
    click.echo(
        f"ok: {clean(str(config))} ({clean(scenario.name)}, {scenario.horizon_months} months "
        f"from {scenario.start_date})"
    )


@main.command()
@format_option("table", "json")
def examples(fmt):
    """List the packaged example scenarios; run one by name (minecalc run pk2000mw).

    \b
    Example:
      minecalc examples
      minecalc init --from pk2000mw my.yaml
    """
    from . import examples as ex

    rows = {name: ex.summary(name) for name in ex.names()}
    if fmt == "json":
        click.echo(strict_json([{"name": k, "summary": v} for k, v in rows.items()]))
        return
    width = max(map(len, rows))
    for name, text in rows.items():
        click.echo(f"{name:<{width}}  {text}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--from",
    "source",
    default=None,
    metavar="EXAMPLE",
    help="Copy this packaged example (see minecalc examples) instead of the starter.",
)
@force_option
@_friendly_errors
def init(path, source, force):
    """Write a commented starter scenario (or a copy of an example) to PATH.

    Also writes minecalc.schema.json beside it, if missing, so editors with a YAML
    language server check the file as you type.

    \b
    Example:
      minecalc init my.yaml && minecalc run my.yaml
      minecalc init --from pk2000mw my.yaml
    """
    from importlib.resources import files

    from . import examples as ex
    from .output import atomic_write_text

    if source is None:
        text = files("minecalc").joinpath("data/starter.yaml").read_text(encoding="utf-8")
    else:
        text = ex.path(source).read_text(encoding="utf-8")
    atomic_write_text(path, f"# yaml-language-server: $schema={SCHEMA_FILE}\n{text}", force=force)
    schema_path = path.parent / SCHEMA_FILE
    if not schema_path.exists():
        atomic_write_text(schema_path, _json_schema() + "\n")
    click.echo(f"wrote {path}; edit it, then: minecalc run {path}")


def _json_schema() -> str:
    from .config import Scenario

    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **Scenario.model_json_schema(),
    }
    return strict_json(schema)


@main.command()
@format_option("table", "json", "csv")
def schema(fmt):
    """Every field of a scenario file: type, default, unit and meaning.

    --format json prints a JSON Schema (draft 2020-12) for editors and validators;
    csv one row per field.

    \b
    Example:
      minecalc schema | grep tariff
      minecalc schema --format json > minecalc.schema.json
    """
    if fmt == "json":
        click.echo(_json_schema())
        return
    from .config import schema_rows

    if fmt == "csv":
        import csv

        writer = csv.DictWriter(
            sys.stdout,
            ["field", "type", "units", "default", "range", "description"],
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(schema_rows())
        return
    for row in schema_rows():
        default = row["default"]
        shown = "required" if default == "required" else json.dumps(default, default=str)
        limits = f"; {row['range']}" if row["range"] else ""
        click.echo(
            f"{row['field']}  ({row['type']}; default {shown}{limits})\n    {row['description']}"
        )


@main.command("hardware")
@format_option("table", "json", "csv")
def hardware_command(fmt):
    """List the packaged catalogue of mining machines (nameplate figures, 2025 prices).

    \b
    Example:
      minecalc hardware --format json
    """
    from .formatting import sig, table
    from .hardware import load_hardware

    catalogue = load_hardware()
    if fmt != "table":
        click.echo(
            catalogue.to_json(orient="records", indent=2)
            if fmt == "json"
            else catalogue.to_csv(index=False),
            nl=fmt == "json",
        )
        return
    header = ["model", "maker", "TH/s", "W", "J/TH", "cooling", "year", "USD/TH"]
    rows = [
        [
            r.model,
            r.manufacturer,
            sig(r.hashrate_th_s, 4),
            sig(r.power_w, 4),
            sig(r.efficiency_j_per_th),
            r.cooling,
            str(r.release_year),
            sig(r.price_usd_per_th, none=""),
        ]
        for r in catalogue.itertuples()
    ]
    click.echo("\n".join(table(header, rows, indent="")))


@main.command("variables")
@format_option("table", "json", "csv", "markdown")
def variables_command(fmt):
    """Every output variable of a run: name, group, dimensions, units and meaning.

    Groups say when a run has the variable (see the README's "Output variables").

    \b
    Example:
      minecalc variables | grep hashprice
    """
    from .model import variables

    rows = [
        {
            "name": name,
            "group": v.group,
            "dims": " x ".join(v.dims) or "-",
            "units": v.units or "-",
            "long_name": v.long_name,
        }
        for name, v in variables.VARIABLES.items()
    ]
    if fmt == "json":
        click.echo(strict_json(rows))
    elif fmt == "markdown":
        click.echo(variables_markdown(rows))
    elif fmt == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from .formatting import table

        click.echo(
            "\n".join(
                table(
                    ["name", "group", "dims", "units", "meaning"],
                    [list(r.values()) for r in rows],
                    indent="",
                    left=5,
                )
            )
        )


def variables_markdown(rows) -> str:
    """The registry as the README's Markdown table."""
    lines = ["| variable | group | dims | units | meaning |", "|---|---|---|---|---|"]
    lines += [
        f"| `{r['name']}` | {r['group']} | {r['dims']} | {r['units']} | {r['long_name']} |"
        for r in rows
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- many scenarios


HEADLINE = (
    "npv_usd",
    "irr",
    "irr_reason",
    "payback_months",
    "btc_total",
    "cost_per_btc_all_in_usd",
    "breakeven_energy_price_per_kwh",
    "breakeven_btc_price_usd",
)
MAX_ROWS = 200


def _vary(spec: str, option: str = "--vary"):
    """``FIELD=START:STOP:NUM`` (evenly spaced) or ``FIELD=V1,V2,...`` -> (field, values).

    Every value finite; NUM from 1 to :data:`MAX_VALUES`.
    """
    import numpy as np

    field, sep, values = spec.partition("=")
    if not sep or not values or not field:
        raise InputError(
            f"{option}: expected FIELD=START:STOP:NUM or FIELD=V1,V2,..., got {spec!r}"
        )
    try:
        if ":" in values:
            start, stop, num = values.split(":")
            count = int(num)
            if not 1 <= count <= MAX_VALUES:
                raise InputError(
                    f"{option} {field}: expected NUM from 1 to {MAX_VALUES:,} in "
                    f"START:STOP:NUM, got {num}"
                )
            ends = np.array([float(start), float(stop)])
            parsed = np.linspace(ends[0], ends[1], count)
        else:
            parsed = np.array([float(v) for v in values.split(",")])
            ends = parsed
    except ValueError as err:
        if isinstance(err, InputError):
            raise
        raise InputError(
            f"{option} {field}: expected numbers as START:STOP:NUM or V1,V2,..., got {values!r}"
        ) from None
    if parsed.size > MAX_VALUES:
        raise InputError(
            f"{option} {field}: expected at most {MAX_VALUES:,} values, got {parsed.size:,}"
        )
    if not np.isfinite(ends).all():
        raise InputError(f"{option} {field}: expected finite numbers, got {values!r}")
    return field, parsed


def _ranges(specs) -> dict:
    """``FIELD=LOW:HIGH`` options -> {field: (low, high)}, finite and LOW < HIGH."""
    parsed = {}
    for spec in specs:
        given = spec.partition("=")[2]
        if spec.count(":") != 1:
            raise InputError(f"--range: expected FIELD=LOW:HIGH, got {spec!r}")
        field, values = _vary(spec.replace(":", ",", 1), "--range")
        if values.size != 2:
            raise InputError(f"--range {field}: expected LOW:HIGH, got {given!r}")
        if not values[0] < values[1]:
            raise InputError(f"--range {field}: expected LOW < HIGH, got {given!r}")
        parsed[field] = tuple(float(v) for v in values)
    return parsed


def _echo_frame(frame, fmt: str, units: dict | None = None, decimals: int | None = None) -> None:
    """A table of results: JSON records, CSV, or aligned text without exponents.

    ``units`` (column -> unit) go into the headers; in the text table, USD columns are
    shown in M or bn USD, and numbers with :func:`minecalc.formatting.sig` (or a fixed
    number of ``decimals``).
    """
    from .formatting import scale, sig

    units = units or {}
    if fmt == "json":
        click.echo(frame.reset_index().to_json(orient="records", indent=2))
        return
    if fmt == "table":
        frame = frame.copy()
        for column, unit in units.items():
            if unit == "USD":
                factor, units[column] = scale(frame[column].to_numpy())
                frame[column] = frame[column] / factor
    frame = frame.rename(columns={c: f"{c} [{u}]" for c, u in units.items() if u})
    if fmt == "csv":
        click.echo(frame.to_csv(), nl=False)
    else:
        shown = (lambda x: sig(x, 4)) if decimals is None else (lambda x: f"{x:.{decimals}f}")
        click.echo(frame.to_string(float_format=shown, na_rep="n/a"))


def _headline(ds, names):
    """Headline scalars of a multi-scenario Dataset (one row per scenario) and their units."""
    from .finance import IRR_REASON_NAMES

    frame = ds[[n for n in names if n in ds]].to_dataframe()
    frame = frame[[n for n in names if n in frame.columns]]
    if "irr_reason" in frame:  # a word in every printed form; the Dataset keeps the code
        frame["irr_reason"] = frame["irr_reason"].map(IRR_REASON_NAMES)
    return frame, {n: ds[n].attrs.get("units", "") for n in frame.columns if n != "irr_reason"}


@main.command()
@config_argument
@click.option(
    "--vary",
    "varies",
    multiple=True,
    required=True,
    metavar="FIELD=SPEC",
    help="A field and its values: FIELD=START:STOP:NUM or FIELD=V1,V2,... "
    "(repeatable; each gets its own dimension).",
)
@click.option(
    "--zip",
    "zipped",
    is_flag=True,
    help="Vary the fields together along one dimension instead of a grid.",
)
@set_option
@format_option("table", "json", "csv")
@out_option(
    "Write the whole result (every scenario, every month) to this netCDF file, "
    "or with --chunks to a .zarr (needs minecalc[scale]) or .nc path, chunk by chunk."
)
@force_option
@click.option(
    "--chunks",
    type=Bounded(int, 1, 10**7),
    default=None,
    help="Run through dask in chunks of this many values per swept field and "
    "stream the results to --out (for sweeps larger than memory).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="NAME|ADDRESS",
    help="With --chunks: threads (default), processes, or the address of a "
    "dask.distributed scheduler, e.g. tcp://10.0.0.5:8786 (needs minecalc[scale]).",
)
@click.option(
    "--variables",
    default=None,
    metavar="A,B,...",
    help="Write only these result variables to --out.",
)
@sets_options(200, "set and grid point")
@memory_option
@_friendly_errors
@_says_data
def sweep(
    config,
    varies,
    zipped,
    overrides,
    fmt,
    out,
    force,
    chunks,
    scheduler,
    variables,
    set_names,
    n_paths,
    seed,
    max_memory,
):
    """Run a grid of scenarios in one vectorized call and print their headline figures.

    With --sets, every grid point runs every named scenario set over --paths random paths
    and prints P(NPV < 0) and the NPV quantiles.

    \b
    Example:
      minecalc sweep pk2000mw --vary tariff.energy_price_per_kwh=15:35:21 \\
          --vary market.btc_price_usd=40000,60000,90000,120000 --out sweep.nc
      minecalc sweep pk2000mw --vary tariff.energy_price_per_kwh=10.7,22.98 --sets bear,bull
    """
    from .sweep import lazy_sweep, write_lazy
    from .sweep import sweep as sweep_model

    fields = dict(_vary(v) for v in varies)
    keep = variables.split(",") if variables else None
    if keep is not None and out is None:
        raise InputError(
            f"--variables: expected --out to write them to, got --variables "
            f"{variables} and no --out"
        )
    scenario = _load(config, overrides)
    if set_names is not None:
        _sweep_sets(scenario, fields, zipped, set_names, n_paths, seed, max_memory, fmt, out, force)
        return
    _check_sweep_size(fields, zipped, chunks, scenario.horizon_months, max_memory)
    progress = _progress(click.get_current_context())
    if chunks is not None:
        if out is None or zipped:
            raise InputError(
                "--chunks: expected --out (a .zarr or .nc path) and a grid, "
                "got " + ("--zip" if zipped else "no --out")
            )
        lazy = lazy_sweep(scenario, fields, chunks, variables=keep)
        write_lazy(lazy, out, force=force, scheduler=scheduler, progress=progress)
        progress.close()
        click.echo(
            f"wrote {out}: {lazy.npv_usd.size:,} scenarios" if "npv_usd" in lazy else f"wrote {out}"
        )
        return
    if scheduler is not None:
        raise InputError(
            f"--scheduler: expected --chunks with it, got --scheduler {scheduler} and no --chunks"
        )
    progress("sweep: running the grid", None)
    ds = sweep_model(scenario, zipped=fields) if zipped else sweep_model(scenario, fields)
    if out is not None:
        from .output import check_variables, write_dataset

        write_dataset(ds if keep is None else ds[check_variables(ds, keep)], out, force=force)
    progress.close()
    table, units = _headline(ds, HEADLINE)
    if len(table) > MAX_ROWS and fmt == "table":
        click.echo(f"{len(table):,} scenarios; quantiles of the headline figures:")
        table = table.drop(columns="irr_reason").quantile([0.0, 0.1, 0.5, 0.9, 1.0])
    _echo_frame(table, fmt, units)


def _sweep_sets(scenario, fields, zipped, names, n_paths, seed, max_memory, fmt, out, force):
    """``sweep --sets``: every grid point over every named set's paths, in one call."""
    from . import scenario_sets
    from .sweep import parameters

    points = _points(fields, zipped)
    _check_paths(points * len(names) * n_paths, scenario.horizon_months, max_memory, "")
    scenario, params = parameters(scenario, None if zipped else fields, fields if zipped else None)
    progress = _progress(click.get_current_context())
    ds = scenario_sets.run(scenario, names, n_paths, seed, params=params, progress=progress)
    _write_optional(ds, out, force)
    progress.close()
    table, units = scenario_sets.risk_table(ds)
    _echo_frame(table, fmt, units)


def _points(fields, zipped) -> int:
    """Scenarios of a sweep: one per zipped position, or the grid's product."""
    sizes = [values.size for values in fields.values()]
    return max(sizes) if zipped else math.prod(sizes)


def _check_sweep_size(fields, zipped, chunks, months, max_memory) -> None:
    """Refuse at once a sweep too large for memory (or, chunked, for :data:`MAX_GRID`)."""
    sizes = [values.size for values in fields.values()]
    points = _points(fields, zipped)
    if chunks is None:
        _check_memory(
            "--vary",
            f"{points:,} scenarios x {months} months in memory",
            points * months * BYTES_PER_SCENARIO_MONTH,
            max_memory,
            "; use --chunks N --out FILE.zarr to stream it to disk",
        )
        return
    if points > MAX_GRID:
        raise InputError(f"--vary: expected at most {MAX_GRID:,} scenarios, got {points:,}")
    per_chunk = math.prod(min(chunks, n) for n in sizes)
    _check_memory(
        "--chunks",
        f"{per_chunk:,} scenarios x {months} months per chunk",
        per_chunk * months * BYTES_PER_SCENARIO_MONTH,
        max_memory,
        "; use a smaller --chunks",
    )


def _check_paths(n_paths, months, max_memory, hint="; use fewer --paths") -> None:
    """Refuse at once runs over paths in memory (sets, options) too large for it."""
    _check_memory(
        "--paths",
        f"{n_paths:,} paths x {months} months in memory",
        n_paths * months * (BYTES_PER_SCENARIO_MONTH + BYTES_PER_PATH_MONTH_DRAWN),
        max_memory,
        hint,
    )


def _check_monte_carlo(n_paths, chunks, months, max_memory) -> None:
    """Refuse at once a Monte Carlo too large for memory: the paths run at once on each
    core, and what is kept of every path (:func:`minecalc.uncertainty.monte_carlo`)."""
    from .uncertainty import BAND_PATHS, BANDED, DRAW_BLOCK

    at_once = min(chunks or DRAW_BLOCK, n_paths) * (os.cpu_count() or 1)
    kept = n_paths * BYTES_PER_PATH_KEPT + min(n_paths, BAND_PATHS) * months * len(BANDED) * 16
    _check_memory(
        "--paths",
        f"{n_paths:,} paths x {months} months, {at_once:,} at once",
        at_once * months * (BYTES_PER_SCENARIO_MONTH + BYTES_PER_PATH_MONTH_DRAWN) + kept,
        max_memory,
        "; use fewer --paths",
    )


PATH_MODEL_OPTIONS = [
    click.option(
        "--price",
        type=click.Choice(["joint", "gbm"]),
        default="joint",
        show_default=True,
        help="joint: BTC price and network hashrate resampled together from history "
        "(stationary block bootstrap); gbm: geometric Brownian motion, the network apart.",
    ),
    click.option(
        "--median-growth",
        type=Bounded(float, -0.95, 5),
        default=0.0,
        show_default=True,
        help="Growth of the median BTC price [1/year]; 0 keeps the median flat.",
    ),
    click.option(
        "--volatility",
        type=Bounded(float, 0, 5),
        default=None,
        help="GBM volatility of the BTC price [1/sqrt(year)]  [default: the window's]",
    ),
    click.option(
        "--network",
        type=click.Choice(["bootstrap", "lognormal"]),
        default=None,
        help="With --price gbm: the network by a bootstrap of epoch changes since 2024 "
        "(default) or a lognormal walk.",
    ),
    click.option(
        "--network-volatility",
        type=Bounded(float, 0, 5),
        default=0.3,
        show_default=True,
        help="Volatility of the lognormal network growth [1/sqrt(year)].",
    ),
    click.option(
        "--fees-sigma",
        type=Bounded(float, 0, 5),
        default=0.5,
        show_default=True,
        help="Log standard deviation of monthly fees.",
    ),
    click.option(
        "--correlation",
        type=Bounded(float, -1, 1),
        default=0.0,
        show_default=True,
        help="With --price gbm --network lognormal: correlation of their shocks.",
    ),
    click.option(
        "--block-months",
        type=Bounded(float, 1, 120),
        default=6.0,
        show_default=True,
        help="With --price joint: mean length of the bootstrap's blocks [months].",
    ),
    click.option(
        "--window-start",
        default=None,
        metavar="YYYY-MM",
        help="First month of the calibration window  [default: 2016-07]",
    ),
    click.option(
        "--window-end",
        default=None,
        metavar="YYYY-MM",
        help="Last month of the calibration window  [default: the newest]",
    ),
    click.option(
        "--response/--no-response",
        default=True,
        show_default=True,
        help="Other miners answer the fleet inside each path (the scenario's law, or the "
        "calibrated one).",
    ),
]
"""How random paths are drawn (Monte Carlo and compare): options of the one PathModel."""


def path_model_options(command):
    """``--price``, ``--median-growth`` ... gathered into the command's ``path_model``."""

    @wraps(command)
    def with_path_model(
        *args, price, median_growth, volatility, network, network_volatility, fees_sigma,
        correlation, block_months, window_start, window_end, response, **kwargs,
    ):  # fmt: skip
        from .uncertainty import PathModel

        model = PathModel(
            price=price,
            median_growth_per_year=median_growth,
            volatility_per_year=volatility,
            network=network,
            network_volatility_per_year=network_volatility,
            fees_sigma=fees_sigma,
            correlation=correlation,
            block_months=block_months,
            window_end=window_end,
            response=response,
            **({} if window_start is None else {"window_start": window_start}),
        )
        return command(*args, path_model=model, **kwargs)

    for option in reversed(PATH_MODEL_OPTIONS):
        with_path_model = option(with_path_model)
    return with_path_model


def _write_optional(ds, out, force) -> None:
    if out is not None:
        from .output import write_dataset

        write_dataset(ds, out, force=force)


@main.command()
@config_argument
@range_option
@variable_option
@set_option
@format_option("table", "json", "csv")
@out_option("Also write the tornado's Dataset to this netCDF file.")
@force_option
@_friendly_errors
@_says_data
def tornado(config, ranges, variable, overrides, fmt, out, force):
    """One-at-a-time sensitivity: each field at its low and high value, the rest at base.

    \b
    Example:
      minecalc tornado pk2000mw --range tariff.energy_price_per_kwh=15:30 \\
          --range market.btc_price_usd=40000:120000 --range site.pue=1.05:1.2
    """
    import pandas as pd

    from .formatting import money, quantity, scale, sig, table
    from .sweep import tornado as tornado_model

    t = tornado_model(_load(config, overrides), _ranges(ranges))
    if variable not in t or "parameter" not in t[variable].dims:
        raise InputError(f"--variable: expected a scalar result such as npv_usd, got {variable!r}")
    _write_optional(t, out, force)
    result = t[variable].broadcast_like(t.npv_usd)
    swing = abs(result.sel(case="high") - result.sel(case="low"))
    order = swing.sortby(swing, ascending=False).parameter.values
    units = t[variable].attrs.get("units", "")
    frame = pd.DataFrame(
        {
            "low": t.low_value.sel(parameter=order).values,
            "high": t.high_value.sel(parameter=order).values,
            f"{variable} at low": result.sel(parameter=order, case="low").values,
            f"{variable} at high": result.sel(parameter=order, case="high").values,
        },
        index=pd.Index(order, name="field"),
    )
    if fmt != "table":
        _echo_frame(frame, fmt)
        return
    base = float(t[f"base_{variable}"])
    factor, unit = (
        scale(frame.iloc[:, 2:].to_numpy().ravel(), units) if units == "USD" else (1.0, units)
    )
    click.echo(f"{variable} at base: {money(base) if units == 'USD' else quantity(base, units)}")
    rows = [
        [field, sig(low, 4), sig(high, 4), sig(at_low / factor, 4), sig(at_high / factor, 4)]
        for field, (low, high, at_low, at_high) in frame.iterrows()
    ]
    click.echo(
        "\n".join(
            table(
                ["field", "low", "high", f"at low [{unit}]", f"at high [{unit}]"], rows, indent=""
            )
        )
    )


@main.command()
@config_argument
@click.option(
    "--paths",
    "n_paths",
    type=Bounded(int, 1, 10**7),
    default=1000,
    show_default=True,
    help="Number of random paths.",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed.")
@path_model_options
@sets_option
@set_option
@format_option("table", "json", "csv")
@out_option("Write every path's figures and the bands (netCDF).")
@force_option
@click.option(
    "--chunks",
    type=Bounded(int, 1, 10_000),
    default=None,
    help="Paths run at once, on each core (default and most 10,000; fewer use less "
    "memory; same numbers).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="NAME|ADDRESS",
    help="Run the blocks of paths as dask tasks: threads, processes, or the address of a "
    "dask.distributed scheduler, e.g. tcp://10.0.0.5:8786 (needs minecalc[scale]). "
    "Default: this machine's cores, without dask.",
)
@memory_option
@_friendly_errors
@_says_data
def montecarlo(
    config,
    n_paths,
    seed,
    path_model,
    set_names,
    overrides,
    fmt,
    out,
    force,
    chunks,
    scheduler,
    max_memory,
):
    """Risk: the distribution of NPV, BTC mined and payback over random paths.

    json: the summary (quantiles as npv_usd_q10 ...); csv: one row per path. With --sets,
    each named scenario set side by side (json: by set; csv: one row per set and path).

    \b
    Example:
      minecalc montecarlo pk2000mw --paths 10000 --seed 1 --format json
      minecalc montecarlo pk2000mw --sets base,bear,bull
    """
    from .uncertainty import monte_carlo, monte_carlo_summary

    scenario = _load(config, overrides)
    if set_names is not None:
        if chunks is not None or scheduler is not None:
            raise click.UsageError(
                "--sets: expected no --chunks or --scheduler (the sets run in memory)"
            )
        _check_paths(len(set_names) * n_paths, scenario.horizon_months, max_memory)
        _print_sets(scenario, set_names, n_paths, seed, path_model, fmt, out, force)
        return
    _check_monte_carlo(n_paths, chunks, scenario.horizon_months, max_memory)
    progress = _progress(click.get_current_context())
    ds = monte_carlo(
        scenario,
        n_paths,
        seed,
        path_model=path_model,
        chunks=chunks,
        scheduler=scheduler,
        progress=progress,
    )
    _write_optional(ds, out, force)
    progress.close()
    from . import fiscal

    if fmt == "csv":
        click.echo(ds[["npv_usd", "btc_total", "payback_months"]].to_dataframe().to_csv(), nl=False)
    elif fmt == "json":
        click.echo(
            strict_json(
                {**monte_carlo_summary(ds), "fiscal": fiscal.as_dict(ds), "data": _data_used()}
            )
        )
    else:
        from .uncertainty import monte_carlo_text

        click.echo(monte_carlo_text(ds.assign_attrs(title=clean(ds.attrs.get("title")))))
        click.echo("\n" + "\n".join(fiscal.text(ds)))


def _print_sets(scenario, names, n_paths, seed, path_model, fmt, out, force) -> None:
    """Run named scenario sets side by side and print them (``--sets``)."""
    from . import scenario_sets

    progress = _progress(click.get_current_context())
    ds = scenario_sets.run(scenario, names, n_paths, seed, base=path_model, progress=progress)
    _write_optional(ds, out, force)
    progress.close()
    if fmt == "csv":
        columns = ["npv_usd", "btc_total", "payback_months"]
        click.echo(ds[columns].to_dataframe()[columns].to_csv(), nl=False)
    elif fmt == "json":
        click.echo(strict_json({"sets": scenario_sets.summary(ds), "data": _data_used()}))
    else:
        click.echo(scenario_sets.text(ds.assign_attrs(title=clean(ds.attrs.get("title")))))


@main.command("compare")
@config_argument
@click.option(
    "--paths",
    "n_paths",
    type=Bounded(int, 1, 10**6),
    default=None,
    help="Also run every option over this many random paths, the same for each.",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed.")
@path_model_options
@sets_option
@set_option
@format_option("table", "json", "csv")
@out_option("Also write the comparison (netCDF).")
@force_option
@memory_option
@_friendly_errors
@_says_data
def compare_command(
    config, n_paths, seed, path_model, set_names, overrides, fmt, out, force, max_memory
):
    """The state's question: idle, sell the power, mine, buy BTC or sell elsewhere?

    Every option in the scenario's options block, on the same network, price and fee
    paths, valued from the state's side incremental to leaving the power idle. json: the
    figures per option and the answer; csv: one row per option (and path).

    \b
    Example:
      minecalc compare pk2000mw_options
      minecalc compare pk2000mw_options --paths 10000 --seed 1
      minecalc compare pk2000mw_options --sets base,bear,bull --paths 1000
    """
    from .compare import compare, compare_paths
    from .decision import frame, summary, text

    scenario = _load(config, overrides)
    if set_names is not None:
        from . import scenario_sets

        if fmt == "csv" or out is not None:
            raise click.UsageError("--sets: expected --format table or json and no --out")
        n_paths = n_paths or 1000
        _check_paths(2 * n_paths, scenario.horizon_months, max_memory, hint="")
        results = scenario_sets.compare(scenario, set_names, n_paths, seed, base=path_model)
        if fmt == "json":
            sets = {name: summary(ds) for name, ds in results.items()}
            click.echo(strict_json({"sets": sets, "data": _data_used()}))
        else:
            click.echo(scenario_sets.compare_text(results))
        return
    if n_paths is None:
        ds = compare(scenario)
    else:  # two mining runs over the paths
        _check_paths(2 * n_paths, scenario.horizon_months, max_memory, hint="")
        ds = compare_paths(scenario, n_paths, seed, path_model=path_model)
    _write_optional(ds, out, force)
    if fmt == "csv":
        click.echo(frame(ds).to_csv(), nl=False)
    elif fmt == "json":
        click.echo(strict_json(summary(ds) | {"data": _data_used()}))
    else:
        click.echo(text(ds))


@main.command()
@config_argument
@range_option
@variable_option
@click.option(
    "-n",
    "n",
    type=Bounded(int, 2, 2**20, power_of_two=True),
    default=1024,
    show_default=True,
    help="Base sample size, a power of 2; the model runs n (fields + 2) scenarios.",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed.")
@set_option
@format_option("table", "json", "csv")
@out_option("Also write the indices to this netCDF file.")
@force_option
@memory_option
@_friendly_errors
@_says_data
def sobol(config, ranges, variable, n, seed, overrides, fmt, out, force, max_memory):
    """Global sensitivity: Sobol indices (SALib) of a result over uniform input ranges.

    \b
    Example:
      minecalc sobol pk2000mw --range tariff.energy_price_per_kwh=15:30 \\
          --range market.btc_price_usd=40000:160000 --range site.pue=1.05:1.2
    """
    from .sweep import sobol as sobol_model

    scenario, fields = _load(config, overrides), _ranges(ranges)
    runs, months = n * (len(fields) + 2), scenario.horizon_months
    _check_memory(
        "-n",
        f"{runs:,} model runs x {months} months in memory",
        runs * months * BYTES_PER_SCENARIO_MONTH,
        max_memory,
        "; use a smaller -n",
    )
    progress = _progress(click.get_current_context())
    progress(f"Sobol indices of {variable}", None)
    s = sobol_model(scenario, fields, variable, n, seed)
    _write_optional(s, out, force)
    progress.close()
    frame = s[["S1", "S1_conf", "ST", "ST_conf"]].sortby("ST", ascending=False).to_dataframe()
    if fmt == "table":
        click.echo(
            f"Sobol indices of {variable} ({s.attrs['evaluations']:,} model runs; "
            "*_conf: 95 % confidence half-width)"
        )
    _echo_frame(frame, fmt, decimals=3)


# --------------------------------------------------------------------------- reports, checks


@main.command("report")
@config_argument
@set_option
@out_option("Folder for the figures, report.pdf and summary.md.", required=True)
@click.option(
    "--paths",
    "n_paths",
    type=Bounded(int, 2, 10**7),
    default=2000,
    show_default=True,
    help="Monte Carlo paths.",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed.")
@force_option
@memory_option
@_friendly_errors
@_says_data
def report_command(config, overrides, out, n_paths, seed, force, max_memory):
    """Write a scenario's report: figures (PNG, SVG), report.pdf and summary.md.

    \b
    Example:
      minecalc report pk2000mw --out report/
    """
    from . import report  # matplotlib is imported only when figures are asked for

    scenario = _load(config, overrides)
    runs = 3 if scenario.options is not None else 1  # + the options' two mining runs
    _check_paths(runs * n_paths, scenario.horizon_months, max_memory)
    progress = _progress(click.get_current_context())
    written = report.write_report(
        scenario, out, force=force, paths=n_paths, seed=seed, progress=progress
    )
    progress.close()
    figures = sum(p.suffix == ".png" for p in written)
    click.echo(
        f"wrote {len(written)} files to {Path(out)}: report.pdf, summary.md and "
        f"{figures} figures as PNG and SVG"
    )


@main.command("backtest")
@click.option(
    "--paths",
    "n_paths",
    type=Bounded(int, 10, 10**6),
    default=2000,
    show_default=True,
    help="Monte Carlo paths per cut-off and resampling scheme.",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed.")
@format_option("table", "json")
@_friendly_errors
@_says_data
def backtest_command(n_paths, seed, fmt):
    """Check the projection against the real chain: retarget replay, halving timing and
    out-of-sample difficulty bands.

    \b
    Example:
      minecalc backtest --seed 1 --format json
    """
    from .backtest import format_report, summary

    progress = _progress(click.get_current_context())
    result = summary(n_paths, seed, progress=progress)
    progress.close()
    click.echo(strict_json(result) if fmt == "json" else format_report(result))


# --------------------------------------------------------------------------- the history


@main.group("data")
def data_group():
    """The difficulty, price and fee history: which is used, how old, and refreshing it.

    The packaged tables are read unless `minecalc data update` has written newer ones
    into the user data folder (MINECALC_DATA_DIR, or the platform's user data folder).
    """


@data_group.command("update")
@click.option(
    "--source",
    type=click.Choice(["mempool", "node"]),
    default="mempool",
    show_default=True,
    help="A mempool.space-compatible API, or your own Bitcoin Core node over JSON-RPC "
    "(a node has no prices: the price table is not refreshed).",
)
@click.option(
    "--url",
    default=None,
    help="The source's address [default: https://mempool.space, or http://127.0.0.1:8332 "
    "for a node].",
)
@click.option("--rpc-user", default=None, help="The node's RPC user.")
@click.option(
    "--rpc-password",
    default=None,
    envvar="MINECALC_RPC_PASSWORD",
    help="The node's RPC password (or set MINECALC_RPC_PASSWORD).",
)
@click.option(
    "--rpc-cookie",
    type=click.Path(path_type=str),
    default=None,
    help="The node's .cookie file, instead of a user and password.",
)
@click.option(
    "--timeout",
    type=Bounded(float, 0.001, 3600),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Give up on a request when the source has been silent this long.",
)
@_friendly_errors
def data_update(source, url, rpc_user, rpc_password, rpc_cookie, timeout):
    """Fetch the history newer than the packaged tables into the user data folder.

    Everything is fetched and checked before anything is written; on any failure the
    folder is left as it was.

    \b
    Example:
      minecalc data update
      minecalc data update --source node --rpc-cookie ~/.bitcoin/.cookie
    """
    from . import datasource

    progress = _progress(click.get_current_context())
    result = datasource.update(
        source=source,
        url=url,
        timeout_s=timeout,
        rpc_user=rpc_user,
        rpc_password=rpc_password,
        rpc_cookie=rpc_cookie,
        progress=progress,
    )
    progress.close()
    click.echo(f"wrote {result.folder}:")
    for name, newest in result.newest.items():
        click.echo(f"  {name:<22} to {newest}")
    for note in result.notes:
        click.echo(note)


@data_group.command("status")
@format_option("table", "json")
@_friendly_errors
def data_status_command(fmt):
    """Which copy of each history table is used (packaged or the user data folder), its
    newest row and how old that is.

    \b
    Example:
      minecalc data status
    """
    from .datafiles import user_data_dir
    from .history import data_line, data_status

    statuses = data_status()
    if fmt == "json":
        click.echo(
            strict_json({"folder": str(user_data_dir()), "tables": [s.as_dict() for s in statuses]})
        )
        return
    click.echo(f"data folder: {user_data_dir()}")
    for s in statuses:
        if s.path is None:
            where = "packaged"
        else:
            fetched = "" if s.fetched_at is None else f", fetched {s.fetched_at:%Y-%m-%d}"
            where = f"user folder ({s.source}{fetched})"
        click.echo(
            f"  {s.table:<22} {where}; newest {s.newest} ({s.newest_date}), {s.age_days:,} days old"
        )
        if s.problem:
            click.echo(f"  {'':<22} not using the folder's copy: {s.problem}")
    click.echo(data_line(statuses))
