"""The one registry of output variables: name -> dimensions, units, long name and group.

Every variable of a run's Dataset is created from this table (:func:`attrs`), so a unit or
a description is written once. ``{currency}`` in a unit stands for the tariff's currency.

Groups, and when a run has them:

- ``core``: always, monthly on ``time``;
- ``economics``: always, one value per scenario;
- ``summary``: always, the headline figures (:func:`minecalc.model.summary.summarize`);
- ``epochs``, ``hourly``: with ``detail`` (per-epoch records; month x hour dispatch);
- ``without_fleet``: with ``without_fleet`` (the network as if the fleet had not come);
- ``response``: with ``without_fleet`` when the other miners respond
  (``network.response``): the fleet's chain had they kept to their path;
- ``financing``: when the scenario has loans (``financing``);
- ``tax``: when the scenario pays profit tax (``tax``);
- ``fx``: when the scenario gives foreign reserves (``fx``): the dollar ledger by month
  and the import cover;
- ``subsidy``: with an ``options`` block, the IMF's test of a tariff against cost recovery
  (a run: the fleet's tariff; a comparison: the private miners');
- ``coords``: coordinates.

``monte_carlo`` and ``sensitivity`` describe what :mod:`minecalc.uncertainty` and
:mod:`minecalc.sweep` add on top of a run; ``options``, ``tariffs`` and ``options_mc`` what
:mod:`minecalc.compare` returns.
"""

from __future__ import annotations

from typing import NamedTuple

FISCAL = (
    "peak_funding_usd",
    "peak_funding_month",
    "peak_fx_need_usd",
    "peak_fx_need_month",
    "import_cover_months",
    "import_cover_with_btc_months",
    "dscr_min",
    "llcr",
    "covenant_min_dscr",
    "covenant_breach_year",
    "equity_irr",
    "tax_usd_total",
    "cost_recovery_per_kwh",
    "subsidised",
    "subsidy_gap_per_kwh",
    "subsidy_cost_per_year",
    "reserve_btc_end",
    "levelized_cost_per_btc_usd",
    "cost_per_btc_cash_usd",
    "cost_per_btc_all_in_usd",
)
"""The figures of the fiscal summary (:mod:`minecalc.fiscal`), where a run has them; a
comparison carries its state-mining run's under the same names."""


class Var(NamedTuple):
    """One output variable."""

    dims: tuple[str, ...]
    """Its own dimensions, after any scenario dimensions."""
    units: str | None
    """Units (None for datetimes, which xarray encodes itself)."""
    long_name: str
    group: str


T, E, H, Y, NONE = ("time",), ("epoch",), ("time", "hour"), ("project_year",), ()

_TABLE: dict[str, list[tuple[str, tuple[str, ...], str | None, str]]] = {
    "core": [
        ("period_days", T, "d", "length of the period"),
        ("fleet_hashrate_eh_s", T, "EH/s", "fleet hashrate"),
        ("other_hashrate_eh_s", T, "EH/s", "hashrate of the rest of the network (mean)"),
        ("network_hashrate_eh_s", T, "EH/s", "network hashrate including the fleet (mean)"),
        ("difficulty", T, "1", "difficulty (time-weighted harmonic mean)"),
        ("difficulty_end", T, "1", "difficulty at the end of the period"),
        ("network_blocks", T, "blocks", "expected blocks found by the network"),
        ("block_interval_s", T, "s", "mean block interval"),
        ("height_end", T, "blocks", "expected chain height at the end of the period"),
        ("subsidy_btc_per_block", T, "BTC/block", "mean block subsidy"),
        ("fleet_blocks", T, "blocks", "expected blocks won by the fleet"),
        ("network_share", T, "1", "fleet's share of the network's blocks"),
        ("fleet_subsidy_btc", T, "BTC", "subsidy won by the fleet"),
        ("fleet_fees_btc", T, "BTC", "fees won by the fleet"),
        ("fleet_btc", T, "BTC", "BTC mined by the fleet (subsidy + fees)"),
        ("fleet_btc_per_day", T, "BTC/d", "BTC mined per day"),
        ("fleet_btc_cumulative", T, "BTC", "cumulative BTC mined by the fleet"),
        ("hashvalue_btc_per_ph_day", T, "BTC/(PH/s)/d", "expected BTC per PH/s per day"),
        (
            "hashprice_usd_per_ph_day",
            T,
            "USD/(PH/s)/d",
            "expected revenue per PH/s per day (before pool fee)",
        ),
        ("energy_mwh", T, "MWh", "energy used at the meter"),
        ("energy_billed_mwh", T, "MWh", "energy paid for (take-or-pay)"),
        ("energy_price_usd_per_kwh", T, "USD/kWh", "mean price of the energy used"),
        ("energy_cost_usd", T, "USD", "energy cost"),
        ("energy_cost_local", T, "{currency}", "energy cost in the tariff currency"),
        ("run_fraction", T, "1", "share of the month the machines in service hash"),
        ("site_mw", T, "MW", "grid capacity in service"),
        ("usd_price_level", T, "1", "USD price level relative to the start (inflation)"),
        (
            "local_price_level",
            T,
            "1",
            "the tariff currency's price level relative to the start (inflation)",
        ),
        ("btc_price_usd", T, "USD", "BTC price"),
        ("usd_fx_rate", T, "{currency}/USD", "tariff currency per USD"),
        ("pool_fee_btc", T, "BTC", "pool fee"),
        ("btc_net", T, "BTC", "BTC received after the pool fee"),
        ("btc_held", T, "BTC", "BTC put in the reserve"),
        ("reserve_btc", T, "BTC", "BTC in the reserve"),
        ("reserve_value_usd", T, "USD", "value of the reserve"),
        ("sales_usd", T, "USD", "BTC sold"),
        ("capex_hardware_usd", T, "USD", "machines bought"),
        ("capex_usd_by_month", T, "USD", "capital spending"),
        ("opex_usd", T, "USD", "operations, maintenance and fixed costs"),
        ("depreciation_usd", T, "USD", "straight-line depreciation of machines"),
        (
            "cash_flow_usd",
            T,
            "USD",
            "net cash flow (the last month includes the reserve's value and the salvage)",
        ),
        ("cumulative_cash_usd", T, "USD", "cumulative cash flow"),
        ("hashcost_usd_per_ph_day", T, "USD/(PH/s)/d", "energy cost of 1 PH/s for a day"),
        ("mining_value_usd_per_mwh", T, "USD/MWh", "BTC mined per MWh, in USD"),
        (
            "alternative_value_usd_per_mwh",
            T,
            "USD/MWh",
            "what the energy would earn sold at the alternative price",
        ),
    ],
    "economics": [
        ("energy_gwh_total", NONE, "GWh", "energy used over the horizon"),
        (
            "fleet_nameplate_hashrate_eh_s",
            NONE,
            "EH/s",
            "nameplate hashrate of the largest fleet in service",
        ),
        ("capex_usd", NONE, "USD", "capital spending over the horizon"),
        ("npv_usd", NONE, "USD", "net present value"),
        (
            "discount_rate_nominal",
            NONE,
            "1/year",
            "the discount rate applied to the (nominal) cash flows",
        ),
        ("irr", NONE, "1/year", "internal rate of return"),
        ("irr_reason", NONE, "1", "0 ok, 1 no sign change, 2 no root, 3 several roots"),
        (
            "payback_months",
            NONE,
            "months",
            "months until the cumulative cash flow stays >= 0 (NaN: never)",
        ),
        ("cost_per_btc_cash_usd", NONE, "USD/BTC", "energy and operating cost per BTC received"),
        (
            "cost_per_btc_all_in_usd",
            NONE,
            "USD/BTC",
            "cash cost plus depreciation per BTC received",
        ),
        ("energy_mwh_per_btc", NONE, "MWh/BTC", "energy per BTC received"),
        ("breakeven_energy_price_per_kwh", NONE, "{currency}/kWh", "tariff at which NPV is zero"),
        (
            "breakeven_energy_price_usd_per_kwh",
            NONE,
            "USD/kWh",
            "tariff at which NPV is zero, at the starting exchange rate",
        ),
        (
            "breakeven_btc_price_usd",
            NONE,
            "USD",
            "starting BTC price (the path scaled with it) at which NPV is zero",
        ),
        ("reserve_btc_end", NONE, "BTC", "BTC in the reserve at the end"),
        (
            "levelized_cost_per_btc_usd",
            NONE,
            "USD/BTC",
            "levelized cost per BTC: PV(energy, O&M and capex) / PV(BTC), at the discount rate",
        ),
        (
            "peak_funding_usd",
            NONE,
            "USD",
            "peak funding need: the deepest cumulative cash flow before financing and end values",
        ),
        (
            "peak_funding_month",
            NONE,
            "months",
            "month of the peak funding need (1 = the first; NaN: no need)",
        ),
        (
            "peak_fx_need_usd",
            NONE,
            "USD",
            "peak need for dollars: the deepest cumulative dollars out less in, USD loans in",
        ),
        (
            "peak_fx_need_month",
            NONE,
            "months",
            "month of the peak need for dollars (1 = the first; NaN: no need)",
        ),
        (
            "mining_value_usd_per_mwh_mean",
            NONE,
            "USD/MWh",
            "BTC mined per MWh over the horizon, in USD",
        ),
    ],
    "summary": [
        ("btc_total", NONE, "BTC", "BTC mined over the horizon"),
        ("btc_by_year", Y, "BTC", "BTC mined in each project year"),
        ("network_share_first_month", NONE, "1", "fleet's share of blocks in the first month"),
        ("btc_per_day_first_month", NONE, "BTC/d", "BTC per day in the first month"),
        (
            "btc_per_day_full_deployment",
            NONE,
            "BTC/d",
            "BTC per day once the network has retargeted to the full fleet",
        ),
        ("halving_date", NONE, None, "date of the next halving block"),
        ("final_difficulty", NONE, "1", "difficulty at the end of the horizon"),
    ],
    "epochs": [
        ("epoch_start_time", E, None, "time of the epoch's first block (UTC)"),
        ("epoch_difficulty", E, "1", "difficulty of the epoch"),
        (
            "epoch_block_interval_s",
            E,
            "s",
            "mean block interval of the epoch (retarget timespan / 2015)",
        ),
        (
            "halving_time",
            ("halving",),
            None,
            "time the first block of the halving era is found (UTC)",
        ),
    ],
    "hourly": [
        (
            "run_by_hour",
            H,
            "1",
            "share of the hour the machines hash (availability x uptime x dispatch)",
        ),
        ("energy_price_by_hour_usd_per_kwh", H, "USD/kWh", "energy price by hour of day"),
    ],
    "without_fleet": [
        (
            "difficulty_without_fleet",
            T,
            "1",
            "difficulty without the fleet (time-weighted harmonic mean)",
        ),
        (
            "network_hashrate_without_fleet_eh_s",
            T,
            "EH/s",
            "network hashrate without the fleet (mean)",
        ),
        (
            "hashprice_without_fleet_usd_per_ph_day",
            T,
            "USD/(PH/s)/d",
            "hashprice without the fleet (before pool fee)",
        ),
        ("network_share_undiluted", T, "1", "fleet's share if difficulty ignored it (h / H)"),
        ("fleet_btc_undiluted", T, "BTC", "BTC the fleet would mine if difficulty ignored it"),
        (
            "displaced_hashrate_eh_s",
            T,
            "EH/s",
            "other miners' hashrate switched off (or never deployed) because of the fleet",
        ),
        (
            "btc_total_undiluted",
            NONE,
            "BTC",
            "BTC over the horizon if difficulty ignored the fleet",
        ),
    ],
    "response": [
        (
            "fleet_btc_without_response",
            T,
            "BTC",
            "BTC the fleet would mine if the other miners did not respond",
        ),
        (
            "hashprice_without_response_usd_per_ph_day",
            T,
            "USD/(PH/s)/d",
            "hashprice if the other miners did not respond (before pool fee)",
        ),
        (
            "response_deviation",
            T,
            "1",
            "log deviation of the other miners' hashrate from their path (the response)",
        ),
        (
            "btc_total_without_response",
            NONE,
            "BTC",
            "BTC over the horizon if the other miners did not respond",
        ),
    ],
    "monte_carlo": [
        ("prob_npv_negative", NONE, "1", "probability that NPV is negative"),
        ("prob_no_payback", NONE, "1", "probability of no payback within the horizon"),
        ("npv_usd_quantiles", ("quantile",), "USD", "quantiles of NPV over the paths"),
        ("btc_total_quantiles", ("quantile",), "BTC", "quantiles of BTC mined over the paths"),
        (
            "fleet_btc_cumulative_band",
            ("quantile", "time"),
            "BTC",
            "10th, 50th and 90th percentile of cumulative BTC mined",
        ),
        (
            "cumulative_cash_usd_band",
            ("quantile", "time"),
            "USD",
            "10th, 50th and 90th percentile of the cumulative cash flow",
        ),
        (
            "btc_price_usd_band",
            ("quantile", "time"),
            "USD",
            "10th, 50th and 90th percentile of the BTC price",
        ),
    ],
    "financing": [
        ("debt_drawn_usd", T, "USD", "loans drawn"),
        ("debt_interest_usd", T, "USD", "interest on the loans"),
        ("debt_principal_usd", T, "USD", "principal repaid (negative: interest capitalised)"),
        ("debt_service_usd", T, "USD", "debt service: interest and principal paid"),
        ("debt_balance_usd", T, "USD", "owed at the end of the month"),
        ("cfads_usd", T, "USD", "cash flow available for debt service"),
        ("equity_cash_flow_usd", T, "USD", "cash flow to equity"),
        ("dscr_min", NONE, "1", "lowest DSCR of a project year (CFADS / debt service)"),
        ("dscr_mean", NONE, "1", "mean DSCR of the project years with debt service"),
        (
            "llcr",
            NONE,
            "1",
            "loan life coverage ratio at the draw: PV(CFADS to maturity at the loans' rate) / debt",
        ),
        ("equity_irr", NONE, "1/year", "equity IRR (beside the project's irr)"),
        ("equity_irr_reason", NONE, "1", "why equity_irr is undefined (0 = it is defined)"),
        ("covenant_min_dscr", NONE, "1", "covenant: the lowest DSCR allowed (NaN: none)"),
        (
            "covenant_breach_year",
            NONE,
            "1",
            "first project year whose DSCR is below the covenant (NaN: none)",
        ),
        ("debt_left_usd", NONE, "USD", "owed at the end of the horizon"),
    ],
    "tax": [
        ("tax_usd", T, "USD", "profit tax paid, losses carried forward"),
        (
            "earnings_before_tax_usd",
            T,
            "USD",
            "BTC received at its price less energy, O&M and tax depreciation",
        ),
        ("tax_depreciation_usd", T, "USD", "tax depreciation of the machines and facilities"),
        ("tax_usd_total", NONE, "USD", "profit tax paid over the horizon"),
    ],
    "dollars": [
        (
            "fx_out_usd",
            T,
            "USD",
            "dollars out: machines, imported facilities and O&M, USD debt service",
        ),
        ("fx_in_usd", T, "USD", "dollars in: BTC sold, USD loans drawn"),
        ("fx_position_usd", T, "USD", "cumulative dollars in less out"),
    ],
    "fx": [
        (
            "import_cover_months",
            NONE,
            "months",
            "months of imports the reserves cover at the worst point of the dollar position",
        ),
        (
            "import_cover_with_btc_months",
            NONE,
            "months",
            "the same, counting the held BTC at market value as a reserve asset",
        ),
    ],
    "options": [
        (
            "state_cash_flow_usd",
            ("option", "time"),
            "USD",
            "the state's net cash flow, incremental to idle",
        ),
        (
            "state_cumulative_cash_usd",
            ("option", "time"),
            "USD",
            "the state's cumulative cash flow, incremental to idle",
        ),
        (
            "state_cash_flow_local",
            ("option", "time"),
            "{currency}",
            "the state's net cash flow in the tariff currency, incremental to idle",
        ),
        ("state_reserve_btc", ("option", "time"), "BTC", "BTC the state holds"),
        ("state_reserve_value_usd", ("option", "time"), "USD", "value of the BTC the state holds"),
        ("state_npv_usd", ("option",), "USD", "NPV to the state, incremental to idle"),
        (
            "state_npv_local",
            ("option",),
            "{currency}",
            "NPV to the state in the tariff currency, incremental to idle",
        ),
        (
            "state_value_usd_per_mwh",
            ("option",),
            "USD/MWh",
            "NPV to the state per discounted MWh of surplus",
        ),
        (
            "state_peak_funding_usd",
            ("option",),
            "USD",
            "peak funding: the deepest cumulative cash flow before what is held at the end",
        ),
        ("state_peak_funding_month", ("option",), "months", "month of the peak funding need"),
        (
            "state_peak_fx_need_usd",
            ("option",),
            "USD",
            "peak FX need: the deepest point of the option's cumulative dollars in less out",
        ),
        ("state_peak_fx_need_month", ("option",), "months", "month of the peak FX need"),
        ("reserve_drawdown", ("option",), "1", "largest fall of the reserve's value from a peak"),
        ("state_reserve_btc_end", ("option",), "BTC", "BTC the state holds at the end"),
        (
            "state_reserve_value_end_usd",
            ("option",),
            "USD",
            "value of the BTC the state holds at the end",
        ),
        ("energy_gwh", ("option",), "GWh", "surplus energy used or sold"),
        (
            "capacity_charge_per_kwh",
            ("option",),
            "{currency}/kWh",
            "capacity charge per kWh every other consumer pays, after the option's sales",
        ),
        (
            "capacity_payments_per_year",
            NONE,
            "{currency}/year",
            "capacity payments, due in every option (reported, not counted)",
        ),
        ("sell_power_tariff_per_kwh", NONE, "{currency}/kWh", "tariff for private miners"),
        (
            "sell_power_price_per_kwh",
            NONE,
            "{currency}/kWh",
            "what private miners pay per kWh: tariff plus levy",
        ),
        ("miners_npv_usd", NONE, "USD", "private miners' NPV at their hurdle rate"),
        ("miners_irr", NONE, "1/year", "private miners' IRR"),
        ("miners_come", NONE, "1", "1 if the private miners come (NPV at the hurdle >= 0)"),
        ("miners_share", NONE, "1", "share of the allocation the private miners take"),
    ],
    "subsidy": [
        (
            "cost_recovery_per_kwh",
            NONE,
            "{currency}/kWh",
            "cost recovery: marginal cost grossed up for losses",
        ),
        ("subsidised", NONE, "1", "1 if the tariff is below cost recovery (a subsidy)"),
        (
            "subsidy_gap_per_kwh",
            NONE,
            "{currency}/kWh",
            "cost recovery less the tariff, where positive",
        ),
        (
            "subsidy_cost_per_year",
            NONE,
            "{currency}/year",
            "the subsidy gap times the energy bought at the tariff in a year",
        ),
    ],
    "tariffs": [
        (
            "state_take_by_tariff_usd",
            ("tariff_per_kwh",),
            "USD",
            "the state's NPV from selling power at each tariff (0 where miners stay away)",
        ),
        (
            "miners_npv_by_tariff_usd",
            ("tariff_per_kwh",),
            "USD",
            "private miners' NPV at their hurdle rate at each tariff (the fleet that "
            "enters; the smallest where none does)",
        ),
        (
            "miners_share_by_tariff",
            ("tariff_per_kwh",),
            "1",
            "share of the allocation the private miners take at each tariff",
        ),
        (
            "best_tariff_per_kwh",
            NONE,
            "{currency}/kWh",
            "tariff that maximises the state's take while the miners still come",
        ),
        (
            "exit_tariff_per_kwh",
            NONE,
            "{currency}/kWh",
            "tariff above which the private miners no longer come",
        ),
    ],
    "options_mc": [
        ("prob_state_loses", ("option",), "1", "probability that the option loses against idle"),
        (
            "state_npv_p90_usd",
            ("option",),
            "USD",
            "P90 NPV to the state: exceeded in 90 % of paths",
        ),
        ("state_npv_p50_usd", ("option",), "USD", "median NPV to the state over the paths"),
        (
            "best_share",
            ("option",),
            "1",
            "share of paths in which the option is worth most (ties share a path; selling to "
            "miners who stay away is idle)",
        ),
    ],
    "coords": [
        ("time", T, None, "start of the monthly period (UTC)"),
        ("option", ("option",), None, "use of the surplus power"),
        ("tariff_per_kwh", ("tariff_per_kwh",), "{currency}/kWh", "tariff for private miners"),
        ("epoch_start_height", E, "blocks", "height of the epoch's first block"),
        ("hour", ("hour",), "h", "hour of day (local time of the tariff)"),
        ("halving_height", ("halving",), "blocks", "height of the first block of the era"),
        ("project_year", Y, "1", "project year (12 months from start_date)"),
    ],
}

VARIABLES: dict[str, Var] = {
    name: Var(dims, units, long_name, group)
    for group, rows in _TABLE.items()
    for name, dims, units, long_name in rows
}
"""Every output variable of :func:`minecalc.model.run`, by name."""

GROUPS = tuple(_TABLE)


def names(group: str) -> list[str]:
    """The variables of one group, in registry order."""
    return [name for name, var in VARIABLES.items() if var.group == group]


def attrs(name: str, currency: str = "") -> dict:
    """``units`` (with the tariff ``currency`` filled in) and ``long_name`` of a variable."""
    var = VARIABLES[name]
    if var.units is None:
        return {"long_name": var.long_name}
    return {"units": var.units.replace("{currency}", currency), "long_name": var.long_name}
