"""The state's side of surplus power: what a use of the megawatts is worth to the state.

Pure functions over arrays that broadcast over scenario axes (months last where there are
months). The sources of the conventions are in the project's domain notes, section 8: the
capacity payments are due whether the power is used or not, so they cancel between
options; a tariff is a subsidy when it is below the marginal cost of the energy grossed up
for transmission and distribution losses (the IMF's cost-recovery test).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

SECONDS_PER_DAY = 86_400.0


def cost_recovery_per_kwh(
    marginal_cost_per_kwh: npt.ArrayLike, losses_fraction: npt.ArrayLike
) -> np.ndarray:
    """The least tariff that is not a subsidy [currency/kWh].

    Parameters
    ----------
    marginal_cost_per_kwh : array_like
        Fuel and variable O&M of the energy at the plant [currency/kWh].
    losses_fraction : array_like
        Share of the energy sent out lost in transmission and distribution [1], in [0, 1).

    Notes
    -----
    ``mc / (1 - losses)``: each kWh sold needs ``1 / (1 - losses)`` kWh generated.
    """
    return np.asarray(marginal_cost_per_kwh, dtype=float) / (
        1.0 - np.asarray(losses_fraction, dtype=float)
    )


def levy_per_kwh(
    tariff_per_kwh: npt.ArrayLike,
    up_to_tariff_per_kwh: npt.ArrayLike,
    levies_per_kwh: npt.ArrayLike,
) -> np.ndarray:
    """A per-kWh levy that depends on the tariff, as a step schedule [currency/kWh].

    Parameters
    ----------
    tariff_per_kwh : array_like
        Tariff the miners pay [currency/kWh].
    up_to_tariff_per_kwh : array_like, shape (k,)
        Increasing upper tariff of each step [currency/kWh]; the last step also covers
        every tariff above it.
    levies_per_kwh : array_like, shape (k,)
        Levy of each step [currency/kWh] (Kazakhstan's falls as the tariff rises).

    Returns
    -------
    numpy.ndarray
        The levy of the first step whose upper tariff is at least the tariff.
    """
    upper = np.asarray(up_to_tariff_per_kwh, dtype=float)
    levies = np.asarray(levies_per_kwh, dtype=float)
    step = np.minimum(
        np.searchsorted(upper, np.asarray(tariff_per_kwh, dtype=float)), len(upper) - 1
    )
    return levies[step]


def power_sale_margin(
    energy_kwh: npt.ArrayLike,
    tariff_per_kwh: npt.ArrayLike,
    levy_per_kwh: npt.ArrayLike,
    cost_recovery_per_kwh: npt.ArrayLike,
) -> np.ndarray:
    """What the state keeps from selling energy: ``energy (T + levy - mc / (1 - losses))``
    [currency]; negative when the tariff and levy do not cover the cost."""
    return np.asarray(energy_kwh, dtype=float) * (
        np.asarray(tariff_per_kwh, dtype=float)
        + np.asarray(levy_per_kwh, dtype=float)
        - np.asarray(cost_recovery_per_kwh, dtype=float)
    )


class SubsidyTest(NamedTuple):
    """Result of :func:`subsidy_test`."""

    subsidised: np.ndarray
    """True where the tariff is below cost recovery."""
    gap_per_kwh: np.ndarray
    """Cost recovery less the tariff, where positive [currency/kWh]; 0 otherwise."""
    cost_per_year: np.ndarray
    """The gap times the energy sold in a year [currency/year]."""


def subsidy_test(
    tariff_per_kwh: npt.ArrayLike,
    cost_recovery_per_kwh: npt.ArrayLike,
    energy_kwh_per_year: npt.ArrayLike,
) -> SubsidyTest:
    """Is a tariff below cost recovery, by how much, and what does that cost a year?

    Parameters
    ----------
    tariff_per_kwh, cost_recovery_per_kwh : array_like
        [currency/kWh]; see :func:`cost_recovery_per_kwh`.
    energy_kwh_per_year : array_like
        Energy sold at the tariff in a year [kWh/year].
    """
    gap = np.maximum(
        np.asarray(cost_recovery_per_kwh, dtype=float) - np.asarray(tariff_per_kwh, dtype=float),
        0.0,
    )
    return SubsidyTest(gap > 0, gap, gap * np.asarray(energy_kwh_per_year, dtype=float))


class CapacityCharge(NamedTuple):
    """Result of :func:`capacity_charge`, each [currency/kWh]."""

    before_per_kwh: np.ndarray
    after_per_kwh: np.ndarray
    relief_per_kwh: np.ndarray
    """What every other consumer's capacity charge falls by."""


def capacity_charge(
    capacity_payments_per_year: npt.ArrayLike,
    system_sales_kwh_per_year: npt.ArrayLike,
    new_sales_kwh_per_year: npt.ArrayLike,
) -> CapacityCharge:
    """The capacity charge per kWh sold, before and after new sales spread it further.

    Parameters
    ----------
    capacity_payments_per_year : array_like
        Capacity payments owed to the plants, due whether they run or not [currency/year].
    system_sales_kwh_per_year : array_like
        Energy the system sells today [kWh/year].
    new_sales_kwh_per_year : array_like
        Energy the new load buys [kWh/year].
    """
    payments = np.asarray(capacity_payments_per_year, dtype=float)
    sales = np.asarray(system_sales_kwh_per_year, dtype=float)
    before = payments / sales
    after = payments / (sales + np.asarray(new_sales_kwh_per_year, dtype=float))
    return CapacityCharge(before, after, before - after)


def schedule_outlay_usd(
    *,
    days: npt.ArrayLike,
    btc_price_usd: npt.ArrayLike,
    btc_per_day: npt.ArrayLike = 0.0,
    usd_per_month: npt.ArrayLike = 0.0,
) -> np.ndarray:
    """Spending of a fixed purchase schedule by month [USD].

    Parameters
    ----------
    days : array_like, shape (n,)
        Length of each month [days].
    btc_price_usd : array_like, shape (..., n)
        Price paid in each month [USD/BTC].
    btc_per_day, usd_per_month : array_like
        A number of BTC bought every day (El Salvador's 1), or a sum spent every month
        [BTC/day], [USD/month]; both may be given and add up.
    """
    btc = np.asarray(btc_per_day, dtype=float) * np.asarray(days, dtype=float)
    return btc * np.asarray(btc_price_usd, dtype=float) + np.asarray(usd_per_month, dtype=float)


def btc_bought(outlay_usd: npt.ArrayLike, btc_price_usd: npt.ArrayLike) -> np.ndarray:
    """BTC bought in each month with that month's outlay at its price [BTC]."""
    return np.asarray(outlay_usd, dtype=float) / np.asarray(btc_price_usd, dtype=float)


class Drawdown(NamedTuple):
    """Result of :func:`largest_drawdown`."""

    fraction: np.ndarray
    """Largest fall from a running peak, as a share of that peak [1]; 0 if it never falls."""
    month: np.ndarray
    """Month index of the trough; 0 if it never falls."""


def largest_drawdown(value: npt.ArrayLike) -> Drawdown:
    """The largest fall of a value path from its running peak (months last)."""
    v = np.asarray(value, dtype=float)
    peak = np.maximum.accumulate(v, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        fall = np.where(peak > 0, (peak - v) / peak, 0.0)
    return Drawdown(fall.max(axis=-1), fall.argmax(axis=-1))


class PeakFunding(NamedTuple):
    """Result of :func:`peak_funding`."""

    usd: np.ndarray
    """Deepest point of the cumulative cash flow, as a positive need [USD]; 0 if never
    below zero."""
    month: np.ndarray
    """Month index of that point."""


def month_of_peak(index: npt.ArrayLike, need: npt.ArrayLike) -> np.ndarray:
    """Months from the start to the end of the month of a peak (1 = the first), from its
    index; NaN where there is no need."""
    return np.where(np.asarray(need) > 0, np.asarray(index) + 1.0, np.nan)


def peak_funding(cumulative_usd: npt.ArrayLike, end_usd: npt.ArrayLike = 0.0) -> PeakFunding:
    """Peak funding requirement: the deepest point of a cumulative cash flow and its month.

    Parameters
    ----------
    cumulative_usd : array_like, shape (..., n)
        Running sum of the cash flow [USD].
    end_usd : array_like, shape (...)
        End values in the last month's flow (what is held or salvaged then) [USD]: they
        fund nothing, so the last month counts without them.
    """
    cumulative = np.asarray(cumulative_usd, dtype=float)
    n = cumulative.shape[-1]
    last = cumulative[..., -1] - np.asarray(end_usd, dtype=float)
    if n == 1:
        return PeakFunding(np.maximum(-last, 0.0), np.zeros(last.shape, dtype=np.intp))
    # over whole rows: argmin copies a slice of them first
    month = cumulative.argmin(axis=-1)
    deepest = np.take_along_axis(cumulative, month[..., None], axis=-1)[..., 0]
    # where the last month is the lowest, it is lower still without end values (>= 0); a
    # negative end value raises it, and the lowest month before it may be the deepest
    again = (month == n - 1) & (last > deepest)
    if again.any():
        before = cumulative[..., :-1]
        month_before = before.argmin(axis=-1)
        month = np.where(again, month_before, month)
        deepest = np.where(
            again, np.take_along_axis(before, month_before[..., None], axis=-1)[..., 0], deepest
        )
    # the first of equal depths, as argmin over all months; a NaN anywhere gives NaN
    later = (last < deepest) | (np.isnan(last) & ~np.isnan(deepest))
    month = np.where(later, n - 1, month)
    return PeakFunding(np.maximum(-np.where(later, last, deepest), 0.0), month)


class FxPosition(NamedTuple):
    """Result of :func:`fx_position`, months last."""

    net_usd: np.ndarray
    """Dollars in less dollars out, by month [USD]."""
    cumulative_usd: np.ndarray
    """The running position [USD]; negative is dollars the country has spent net."""
    peak_need_usd: np.ndarray
    """The deepest point of the position, as a positive need [USD]; 0 if never below 0."""
    peak_month: np.ndarray
    """Month index of that point."""
    import_cover_months: np.ndarray
    """Foreign reserves at the worst point, in months of imports [months]; NaN without
    reserves and imports."""


def fx_position(
    *,
    usd_in: npt.ArrayLike,
    usd_out: npt.ArrayLike,
    reserves_usd: npt.ArrayLike = np.nan,
    imports_usd_per_month: npt.ArrayLike = np.nan,
) -> FxPosition:
    """The foreign-exchange ledger of a plan: what leaves the country and what comes back.

    Parameters
    ----------
    usd_in, usd_out : array_like, shape (..., n)
        Dollars in (BTC sold, USD tariffs, USD debt drawn) and out (machine imports,
        imported facilities and operating costs, USD debt service) by month [USD].
    reserves_usd : array_like, shape (...)
        Foreign reserves at the start [USD].
    imports_usd_per_month : array_like, shape (...)
        The country's imports [USD/month], for import cover.

    Notes
    -----
    ``position_k = sum_{j<=k} (in_j - out_j)``; import cover at the worst month is
    :func:`import_cover_months` of the position.
    """
    net = np.asarray(usd_in, dtype=float) - np.asarray(usd_out, dtype=float)
    position = np.cumsum(net, axis=-1)
    month = position.argmin(axis=-1)
    lowest = np.take_along_axis(position, month[..., None], axis=-1)[..., 0]
    return FxPosition(
        net_usd=net,
        cumulative_usd=position,
        peak_need_usd=np.maximum(-lowest, 0.0),
        peak_month=month,
        import_cover_months=_months_of_imports(reserves_usd, lowest, imports_usd_per_month),
    )


def import_cover_months(
    cumulative_usd: npt.ArrayLike,
    reserves_usd: npt.ArrayLike,
    imports_usd_per_month: npt.ArrayLike,
    reserve_assets_usd: npt.ArrayLike,
) -> np.ndarray:
    """Months of imports the reserves cover at the worst point, counting other assets.

    Parameters
    ----------
    cumulative_usd : array_like, shape (..., n)
        The dollar position (:attr:`FxPosition.cumulative_usd`) [USD].
    reserves_usd : array_like, shape (...)
        Foreign reserves at the start [USD].
    imports_usd_per_month : array_like, shape (...)
        The country's imports [USD/month].
    reserve_assets_usd : array_like, shape (..., n)
        Assets counted as reserves besides the position, e.g. held BTC at market value [USD].

    Notes
    -----
    ``(reserves + min_k (position_k + assets_k)) / imports``.
    """
    worst = np.min(np.asarray(cumulative_usd) + np.asarray(reserve_assets_usd), axis=-1)
    return _months_of_imports(reserves_usd, worst, imports_usd_per_month)


def _months_of_imports(
    reserves_usd: npt.ArrayLike, worst_usd: npt.ArrayLike, imports_usd_per_month: npt.ArrayLike
) -> np.ndarray:
    """``(reserves + worst) / imports`` [months]: the reserves left at the worst point."""
    return (np.asarray(reserves_usd, dtype=float) + worst_usd) / np.asarray(
        imports_usd_per_month, dtype=float
    )
