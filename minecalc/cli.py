"""The ``minecalc`` command line: click commands and one error formatter."""

from __future__ import annotations

import json
import sys
from functools import wraps
from importlib.resources import files
from pathlib import Path

import click
import numpy as np
import pandas as pd

from . import __version__
from .backtest import format_report as backtest_report
from .backtest import summary as backtest_summary
from .config import ConfigError, load_config, schema_rows
from .finance import IRR_REASONS
from .hardware import load_hardware
from .model import run as run_model
from .output import monthly_table, write_dataset, write_results
from .sweep import sweep as sweep_model
from .sweep import lazy_sweep, write_lazy
from .sweep import sobol as sobol_model
from .sweep import tornado as tornado_model
from .uncertainty import monte_carlo
from .results import summary_dict, yearly

EXIT_BAD_INPUT = 2
set_option = click.option(
    "--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
    help="Override a field of the scenario, e.g. --set site.pue=1.05 (repeatable; validated "
    "like the file).")


range_option = click.option(
    "--range", "ranges", multiple=True, required=True, metavar="FIELD=LOW:HIGH",
    help="A field and its low and high values (repeatable).")
output_option = click.option(
    "--output", "output_name", default="npv_usd", show_default=True,
    help="The scalar result to rank the fields by, e.g. npv_usd or btc_total.")


def _friendly_errors(command):
    """Turn bad input into one line per problem and exit code 2; ``--debug`` keeps the traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (ConfigError, ValueError, OSError) as err:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            text = (f"{err.filename}: {err.strerror}" if isinstance(err, OSError) and err.filename
                    else str(err))
            for line in text.splitlines():
                click.echo(f"error: {line}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="minecalc")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def main(debug):
    """Plan Bitcoin mining at national energy scale.

    \b
    Examples:
      minecalc init my.yaml              # a commented starter scenario
      minecalc run configs/pk2000mw.yaml
      minecalc run configs/pk2000mw.yaml --set site.pue=1.05 --format json
      minecalc validate my.yaml          # every problem at once
    """


def _sig(value, unit):
    """About four significant digits, so a 1.5 MW site reads as well as a 2,000 MW one."""
    digits = max(0, 3 - int(np.floor(np.log10(abs(value))))) if value else 0
    return f"{value:10,.{digits}f} {unit}"


def _num(value, decimals, scale=1):
    """A number for the table, or n/a where it is undefined."""
    return "n/a" if value is None else f"{value * scale:,.{decimals}f}"


def _irr_note(reason: int) -> str:
    """Why there is no IRR (or why it is not unique), padded for the table."""
    if reason == 0:
        return ""
    return f" ({IRR_REASONS[reason]})" if reason == 3 else f"       n/a ({IRR_REASONS[reason]})"


def _table(summary: dict, ds) -> str:
    """The summary as a readable text table."""
    eh = summary["fleet_hashrate_eh_s"]
    lines = [
        f"{summary['name']} - {summary['horizon_months']} months from {summary['start_date']}",
        "",
        f"  Fleet hashrate               {_sig(eh, 'EH/s')}",
        f"  Network share, first month   {100 * summary['network_share_first_month']:10.2f} %",
        f"  BTC/day, first month         {_sig(summary['btc_per_day_first_month'], 'BTC/d')}",
        f"  BTC/day, full deployment     {_sig(summary['btc_per_day_full_deployment'], 'BTC/d')}",
        f"  BTC mined (before pool fee)  {_sig(summary['btc_total'], 'BTC')}",
    ]
    undiluted = summary["btc_total_undiluted"]
    if undiluted and undiluted != summary["btc_total"]:
        lines.append(f"  ... if difficulty ignored it {_sig(undiluted, 'BTC')} "
                     f"(self-dilution costs {100 * (1 - summary['btc_total'] / undiluted):.1f} %)")
    fixed = summary["btc_total_without_response"]
    if fixed:
        lines.append(f"  ... if others did not respond{_sig(fixed, 'BTC')} (the response gives "
                     f"back {100 * (summary['btc_total'] / fixed - 1):+.1f} %; "
                     f"{summary['displaced_hashrate_eh_s_end']:.1f} EH/s displaced at the end)")
    if summary["halving_date"]:
        lines.append(f"  Block {summary['halving_height']:,} (halving)    "
                     f"{summary['halving_date'][:10]:>10}")
    else:
        lines.append("  Next halving                  not within the horizon")
    lines.append(f"  Final difficulty             {summary['final_difficulty'] / 1e12:10.2f} T")
    currency = summary["tariff_currency"]
    fx = summary["usd_fx_rate_start"]
    payback = summary["payback_months"]
    irr = summary["irr"]
    lines += [
        "",
        f"  Capex                        {_sig(summary['capex_usd'] / 1e6, 'M USD')}",
        f"  NPV                          {_sig(summary['npv_usd'] / 1e6, 'M USD')}"
        + ("" if currency == "USD" else
           f" = {summary['npv_usd'] * fx / 1e9:,.0f} bn {currency} at the starting rate"),
        f"  IRR                          "
        f"{'' if irr is None else f'{100 * irr:10.1f} %/yr'}{_irr_note(int(ds.irr_reason))}",
        f"  Payback                      "
        f"{'never (within horizon)' if payback is None else f'{payback:.1f} months':>10}",
        f"  Cost per BTC, cash           {_num(summary['cost_per_btc_cash_usd'], 0):>10} USD",
        f"  Cost per BTC, all-in         {_num(summary['cost_per_btc_all_in_usd'], 0):>10} USD",
        f"  Breakeven tariff             {_num(summary['breakeven_energy_price_per_kwh'], 2):>10}"
        f" {currency}/kWh = {_num(summary['breakeven_energy_price_usd_per_kwh'], 2, 100)} US cents/kWh",
        f"  Breakeven BTC price          {_num(summary['breakeven_btc_price_usd'], 0):>10} USD",
        f"  Hashprice vs hashcost, month 1 "
        f"{summary['hashprice_usd_per_ph_day_first_month']:8.2f} vs "
        f"{summary['hashcost_usd_per_ph_day_first_month']:.2f} USD/PH/day",
        f"  Mining earns, per MWh         {_num(summary['mining_value_usd_per_mwh_mean'], 1):>10}"
        f" USD vs {summary['alternative_value_usd_per_mwh_mean']:.1f} USD selling the energy",
        "",
        "  Year   BTC mined    BTC/day   share %   energy GWh   cash flow M USD   difficulty end (T)",
    ]
    years = yearly(ds)
    for y in years.project_year.values:
        row = years.sel(project_year=y)
        lines.append(
            f"  {y:>4} {float(row.fleet_btc):11.0f} {float(row.fleet_btc_per_day):10.2f}"
            f" {100 * float(row.network_share):9.2f} {float(row.energy_gwh):12,.0f}"
            f" {float(row.cash_flow_usd) / 1e6:17,.0f} {float(row.difficulty_end) / 1e12:20.2f}"
        )
    return "\n".join(lines)


@main.command()
@click.argument("config", type=click.Path(dir_okay=True, path_type=str))
@set_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="How to print the results: summary table, summary JSON, "
              "or the monthly table as CSV.")
@click.option("--out", "out_dir", type=click.Path(path_type=str), default=None,
              help="Also write results.nc, monthly.csv and summary.json into this folder.")
@click.option("--plots", is_flag=True, help="Also write the run's figures (PNG and SVG) "
              "into --out.")
@click.option("--force", is_flag=True, help="Replace results already in --out.")
@_friendly_errors
def run(config, overrides, fmt, out_dir, plots, force):
    """Run a scenario file and print its summary.

    \b
    Example:
      minecalc run configs/pk2000mw.yaml --set market.btc_price_usd=90000
      minecalc run configs/pk2000mw.yaml --out results/pk --format json
    """
    if plots and out_dir is None:
        raise click.UsageError("--plots: expected --out FOLDER to write the figures into, got none")
    ds = run_model(load_config(config, overrides))
    summary = summary_dict(ds)
    if out_dir is not None and plots:
        from . import report  # matplotlib is imported only when figures are asked for

        with report.open_figures(ds) as figs:
            write_results(ds, summary, out_dir, force=force, extra=report.figure_writers(figs))
    elif out_dir is not None:
        write_results(ds, summary, out_dir, force=force)
    if fmt == "csv":
        click.echo(monthly_table(ds).to_csv(), nl=False)
    else:
        click.echo(json.dumps(summary, indent=2) if fmt == "json" else _table(summary, ds))


@main.command()
@click.argument("config", type=click.Path(path_type=str))
@set_option
@_friendly_errors
def validate(config, overrides):
    """Check a scenario file and report every problem at once.

    \b
    Example:
      minecalc validate configs/pk2000mw.yaml
    """
    scenario = load_config(config, overrides)
    click.echo(f"ok: {config} ({scenario.name}, {scenario.horizon_months} months "
               f"from {scenario.start_date})")


@main.command("hardware")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def hardware_command(as_json):
    """List the packaged catalogue of mining machines (nameplate figures, 2025 prices).

    \b
    Example:
      minecalc hardware --json
    """
    table = load_hardware()
    if as_json:
        click.echo(table.to_json(orient="records", indent=2))
        return
    click.echo(f"{'model':<26}{'maker':<10}{'TH/s':>7}{'W':>7}{'J/TH':>7}  {'cooling':<10}"
               f"{'year':>5}{'USD/TH':>8}")
    for row in table.itertuples():
        price = "" if pd.isna(row.price_usd_per_th) else f"{row.price_usd_per_th:.2f}"
        click.echo(f"{row.model:<26}{row.manufacturer:<10}{row.hashrate_th_s:>7g}"
                   f"{row.power_w:>7.0f}{row.efficiency_j_per_th:>7.1f}  {row.cooling:<10}"
                   f"{row.release_year:>5}{price:>8}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the fields as JSON.")
def schema(as_json):
    """Every field of a scenario file: type, default, unit and meaning.

    \b
    Example:
      minecalc schema | grep tariff
    """
    rows = schema_rows()
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        default = row["default"]
        shown = "required" if default == "required" else json.dumps(default, default=str)
        limits = f"; {row['range']}" if row["range"] else ""
        click.echo(f"{row['field']}  ({row['type']}; default {shown}{limits})\n"
                   f"    {row['description']}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@_friendly_errors
def init(path, force):
    """Write a commented starter scenario to PATH.

    \b
    Example:
      minecalc init my.yaml && minecalc run my.yaml
    """
    if path.exists() and not force:
        raise ValueError(f"{path}: expected a new file (use --force to replace it), "
                         "got an existing one")
    path.write_text(files("minecalc").joinpath("data/starter.yaml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    click.echo(f"wrote {path}; edit it, then: minecalc run {path}")


HEADLINE = ("npv_usd", "irr", "payback_months", "btc_total", "cost_per_btc_all_in_usd",
            "breakeven_energy_price_per_kwh", "breakeven_btc_price_usd")
MAX_ROWS = 200


def _vary(spec: str):
    """``FIELD=START:STOP:NUM`` (evenly spaced) or ``FIELD=V1,V2,...`` -> (field, values)."""
    field, sep, values = spec.partition("=")
    if not sep or not values:
        raise ValueError(f"--vary: expected FIELD=START:STOP:NUM or FIELD=V1,V2,..., got {spec!r}")
    try:
        if ":" in values:
            start, stop, num = values.split(":")
            return field, np.linspace(float(start), float(stop), int(num))
        return field, np.array([float(v) for v in values.split(",")])
    except ValueError:
        raise ValueError(f"--vary {field}: expected numbers as START:STOP:NUM or V1,V2,..., "
                         f"got {values!r}") from None


def _ranges(specs) -> dict:
    """``FIELD=LOW:HIGH`` options -> {field: (low, high)}."""
    parsed = {}
    for spec in specs:
        field, values = _vary(spec.replace(":", ",", 1) if spec.count(":") == 1 else spec)
        if values.size != 2:
            raise ValueError(f"--range {field}: expected LOW:HIGH, got {spec.partition('=')[2]!r}")
        parsed[field] = tuple(values)
    return parsed


def _scalar_table(ds, names):
    """The headline scalars of a multi-scenario Dataset as one row per scenario."""
    frame = ds[[n for n in names if n in ds]].to_dataframe()
    return frame[[n for n in names if n in frame.columns]]


@main.command()
@click.argument("config", type=click.Path(path_type=str))
@click.option("--vary", "varies", multiple=True, required=True, metavar="FIELD=SPEC",
              help="A field and its values: FIELD=START:STOP:NUM or FIELD=V1,V2,... "
              "(repeatable; each gets its own dimension).")
@click.option("--zip", "zipped", is_flag=True,
              help="Vary the fields together along one dimension instead of a grid.")
@set_option
@click.option("--out", "out_file", type=click.Path(path_type=str), default=None,
              help="Write the whole result (every scenario, every month) to this netCDF file, "
              "or with --chunks to a .zarr or .nc path, chunk by chunk.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--chunks", type=click.IntRange(1), default=None,
              help="Run through dask in chunks of this many values per swept field and "
              "stream the results to --out (for sweeps larger than memory).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --chunks: a dask.distributed scheduler, e.g. tcp://10.0.0.5:8786.")
@click.option("--variables", default=None, metavar="A,B,...",
              help="With --chunks: keep only these result variables.")
@_friendly_errors
def sweep(config, varies, zipped, overrides, out_file, force, chunks, scheduler, variables):
    """Run a grid of scenarios in one vectorized call and print their headline figures.

    \b
    Example:
      minecalc sweep configs/pk2000mw.yaml --vary tariff.energy_price_per_kwh=15:35:21 \\
          --vary market.btc_price_usd=40000,60000,90000,120000 --out sweep.nc
    """
    fields = dict(_vary(v) for v in varies)
    scenario = load_config(config, overrides)
    if chunks is not None:
        if out_file is None or zipped:
            raise ValueError("--chunks: expected --out (a .zarr or .nc path) and a grid, "
                             "got " + ("--zip" if zipped else "no --out"))
        lazy = lazy_sweep(scenario, fields, chunks,
                          variables=variables.split(",") if variables else None)
        write_lazy(lazy, out_file, force=force, scheduler=scheduler)
        click.echo(f"wrote {out_file}: {lazy.npv_usd.size:,} scenarios" if "npv_usd" in lazy
                   else f"wrote {out_file}")
        return
    ds = sweep_model(scenario, zipped=fields) if zipped else sweep_model(scenario, fields)
    if out_file is not None:
        write_dataset(ds, out_file, force=force)
    table = _scalar_table(ds, HEADLINE)
    if len(table) > MAX_ROWS:
        click.echo(f"{len(table):,} scenarios; quantiles of the headline figures:")
        table = table.quantile([0.0, 0.1, 0.5, 0.9, 1.0])
    click.echo(table.to_string(float_format=lambda x: f"{x:,.4g}"))


@main.command()
@click.argument("config", type=click.Path(path_type=str))
@range_option
@output_option
@set_option
@_friendly_errors
def tornado(config, ranges, output_name, overrides):
    """One-at-a-time sensitivity: each field at its low and high value, the rest at base.

    \b
    Example:
      minecalc tornado configs/pk2000mw.yaml --range tariff.energy_price_per_kwh=15:30 \\
          --range market.btc_price_usd=40000:120000 --range site.pue=1.05:1.2
    """
    t = tornado_model(load_config(config, overrides), _ranges(ranges))
    if output_name not in t or "parameter" not in t[output_name].dims:
        raise ValueError(f"--output: expected a scalar result such as npv_usd, got {output_name!r}")
    result = t[output_name].broadcast_like(t.npv_usd)
    base = float(t[f"base_{output_name}"])
    swing = abs(result.sel(case="high") - result.sel(case="low"))
    units = t[output_name].attrs.get("units", "")
    click.echo(f"{output_name} [{units}] at base: {base:,.4g}")
    click.echo(f"{'field':<40}{'low':>12}{'high':>12}{'at low':>16}{'at high':>16}")
    for field in swing.sortby(swing, ascending=False).parameter.values:
        row = t.sel(parameter=field)
        click.echo(f"{field:<40}{float(row.low_value):>12,.4g}{float(row.high_value):>12,.4g}"
                   f"{float(result.sel(parameter=field, case='low')):>16,.4g}"
                   f"{float(result.sel(parameter=field, case='high')):>16,.4g}")


@main.command()
@click.argument("config", type=click.Path(path_type=str))
@click.option("--paths", "n_paths", type=click.IntRange(1, 10_000_000), default=1000,
              show_default=True, help="Number of random paths.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--price", type=click.Choice(["gbm", "bootstrap"]), default="gbm",
              show_default=True, help="BTC price model.")
@click.option("--drift", type=float, default=0.0, show_default=True,
              help="GBM drift of the BTC price [1/year].")
@click.option("--volatility", type=float, default=0.6, show_default=True,
              help="GBM volatility of the BTC price [1/sqrt(year)].")
@click.option("--network", type=click.Choice(["bootstrap", "lognormal"]), default="bootstrap",
              show_default=True, help="Network growth model.")
@click.option("--network-volatility", type=float, default=0.3, show_default=True,
              help="Volatility of the lognormal network growth [1/sqrt(year)].")
@click.option("--fees-sigma", type=float, default=0.5, show_default=True,
              help="Log standard deviation of monthly fees.")
@click.option("--correlation", type=click.FloatRange(-1, 1), default=0.0, show_default=True,
              help="Correlation of price and network shocks.")
@set_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--out", "out_file", type=click.Path(path_type=str), default=None,
              help="Write every path (netCDF).")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--chunks", type=click.IntRange(2), default=None,
              help="Run through dask in chunks of this many paths (same numbers).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --chunks: a dask.distributed scheduler, e.g. tcp://10.0.0.5:8786.")
@_friendly_errors
def montecarlo(config, n_paths, seed, price, drift, volatility, network, network_volatility,
               fees_sigma, correlation, overrides, fmt, out_file, force, chunks, scheduler):
    """Risk: the distribution of NPV, BTC mined and payback over random paths.

    \b
    Example:
      minecalc montecarlo configs/pk2000mw.yaml --paths 10000 --seed 1 --format json
    """
    ds = monte_carlo(load_config(config, overrides), n_paths, seed, price=price,
                     drift_per_year=drift, volatility_per_year=volatility, network=network,
                     network_volatility_per_year=network_volatility, fees_sigma=fees_sigma,
                     correlation=correlation, chunks=chunks, scheduler=scheduler)
    if out_file is not None:
        write_dataset(ds, out_file, force=force)
    npv, btc = ds.npv_usd_quantiles, ds.btc_total_quantiles
    summary = {
        "paths": n_paths, "seed": seed,
        "prob_npv_negative": float(ds.prob_npv_negative),
        "prob_no_payback": float(ds.prob_no_payback),
        **{f"npv_usd_p{round(100 * q)}": float(npv.sel(quantile=q)) for q in npv["quantile"].values},
        **{f"btc_total_p{round(100 * q)}": float(btc.sel(quantile=q)) for q in btc["quantile"].values},
    }
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"{ds.attrs['title']}: {n_paths:,} paths (seed {seed}, price {price}, "
               f"network {network})")
    click.echo(f"  P(NPV < 0)           {100 * summary['prob_npv_negative']:8.1f} %")
    click.echo(f"  P(no payback)        {100 * summary['prob_no_payback']:8.1f} %")
    for q in (10, 50, 90):
        click.echo(f"  NPV P{q:<2}              {summary[f'npv_usd_p{q}'] / 1e6:12,.0f} M USD"
                   f"    BTC mined P{q:<2} {summary[f'btc_total_p{q}']:12,.0f}")


@main.command()
@click.argument("config", type=click.Path(path_type=str))
@range_option
@output_option
@click.option("-n", "n", type=int, default=1024, show_default=True,
              help="Base sample size, a power of 2; the model runs n (fields + 2) scenarios.")
@click.option("--seed", type=int, default=0, show_default=True)
@set_option
@_friendly_errors
def sobol(config, ranges, output_name, n, seed, overrides):
    """Global sensitivity: Sobol indices (SALib) of a result over uniform input ranges.

    \b
    Example:
      minecalc sobol configs/pk2000mw.yaml --range tariff.energy_price_per_kwh=15:30 \\
          --range market.btc_price_usd=40000:160000 --range site.pue=1.05:1.2
    """
    s = sobol_model(load_config(config, overrides), _ranges(ranges), output_name, n, seed)
    click.echo(f"Sobol indices of {output_name} ({s.attrs['evaluations']:,} model runs)")
    click.echo(f"{'field':<40}{'S1':>8}{'+/-':>7}{'ST':>8}{'+/-':>7}")
    for field in s.sortby("ST", ascending=False).parameter.values:
        row = s.sel(parameter=field)
        click.echo(f"{field:<40}{float(row.S1):8.3f}{float(row.S1_conf):7.3f}"
                   f"{float(row.ST):8.3f}{float(row.ST_conf):7.3f}")


@main.command("report")
@click.argument("config", type=click.Path(path_type=str))
@set_option
@click.option("--out", "out_dir", type=click.Path(path_type=str), required=True,
              help="Folder for the figures, report.pdf and summary.md.")
@click.option("--paths", "n_paths", type=click.IntRange(min=2), default=2000, show_default=True,
              help="Monte Carlo paths.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--force", is_flag=True, help="Replace files already in --out.")
@_friendly_errors
def report_command(config, overrides, out_dir, n_paths, seed, force):
    """Write a scenario's report: figures (PNG, SVG), report.pdf and summary.md.

    \b
    Example:
      minecalc report configs/pk2000mw.yaml --out report/
    """
    from . import report  # matplotlib is imported only when figures are asked for

    written = report.write_report(load_config(config, overrides), out_dir, force=force,
                                  paths=n_paths, seed=seed)
    pdf = next(p for p in written if p.name == "report.pdf")
    click.echo(f"wrote {len(written)} files to {Path(out_dir)}: {pdf.name}, summary.md and "
               f"{(len(written) - 2) // 2} figures as PNG and SVG")


@main.command("backtest")
@click.option("--paths", "n_paths", type=click.IntRange(10, 1_000_000), default=2000,
              show_default=True, help="Monte Carlo paths per cut-off and resampling scheme.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Random seed.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@_friendly_errors
def backtest_command(n_paths, seed, fmt):
    """Check the projection against the real chain: retarget replay, halving timing and
    out-of-sample difficulty bands.

    \b
    Example:
      minecalc backtest --seed 1 --format json
    """
    result = backtest_summary(n_paths, seed)
    click.echo(json.dumps(result, indent=2) if fmt == "json" else backtest_report(result))
