"""Stage 5, network: the chain runs, with the fleet's dispatch and the other miners' answer.

Time runs forward: each month's dispatch (:class:`Dispatcher`) and the other miners'
response (:class:`Responder`) are decided from the difficulty in force when the month
starts, inside the chain's monthly loop; nothing iterates over the whole horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from .. import chain, plant, response
from ..protocol import SECONDS_PER_DAY, block_subsidy_btc, expected_btc, hashrate_from_difficulty
from .fleet import Fleet
from .inputs import Inputs, growth
from .prices import Prices
from .timeline import Timeline, dated_path

if TYPE_CHECKING:
    import numpy.typing as npt

EH = 1e18
"""Hashes per second in one EH/s."""


def hashprice_usd_per_ph_day(
    reward_btc: np.ndarray | float, difficulty: npt.ArrayLike, price_usd: np.ndarray | float
) -> np.ndarray | float:
    """Revenue of 1 PH/s for a day [USD]: what 1e15 H/s wins in 86,400 s, at the price."""
    return expected_btc(1e15, SECONDS_PER_DAY, difficulty, reward_btc) * price_usd


def _each_month(x: npt.ArrayLike, n: int) -> np.ndarray:
    """A monthly array with its month axis at full length ``n`` (a constant has length 1)."""
    return np.broadcast_to(x, (*np.shape(x)[:-1], n))


class Dispatcher:
    """Economic dispatch, month by month: the chain's ``run_fraction`` hook.

    Each month the fleet hashes the hours whose energy costs no more than what the hour
    earns at the difficulty in force when the month starts, with that month's fees.
    """

    def __init__(self, *, prices: Prices, fleet: Fleet, n: int) -> None:
        self.prices, self.fleet = prices, fleet
        self.fees = _each_month(prices.fees_btc, n)
        self.hashprice: list[np.ndarray | float] = []
        self.decided: list[plant.Dispatch] = []

    def __call__(self, j: int, difficulty: np.ndarray, subsidy_btc: np.ndarray) -> np.ndarray:
        p = self.prices
        hashprice = (1 - p.pool_fee[..., 0]) * hashprice_usd_per_ph_day(
            subsidy_btc + self.fees[..., j], difficulty, p.btc_usd[..., j]
        )
        decided = plant.dispatch_fraction(
            p.hourly_usd[..., j, :],
            hashprice,
            self.fleet.vintages.effective_efficiency_j_per_th[..., j],
            self.fleet.pue[..., 0],
            "economic",
        )
        self.hashprice.append(hashprice)
        self.decided.append(decided)
        return decided.run_fraction

    def records(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Share of each month run [1], mean price paid [USD/kWh], net hashprice
        [USD/(PH/s)/d], each ``(..., n)``."""
        return (
            np.stack([d.run_fraction for d in self.decided], axis=-1),
            np.stack([d.mean_price_usd_per_kwh for d in self.decided], axis=-1),
            np.stack(self.hashprice, axis=-1),
        )


class Responder:
    """The other miners' lagged answer to the fleet's effect on hashprice: the chain's
    ``other_factor`` hook (:mod:`minecalc.response`), against the fleet-free world."""

    def __init__(
        self, *, inputs: Inputs, alone: chain.Projection, fees: np.ndarray, timeline: Timeline
    ) -> None:
        def at_month_starts(start: npt.ArrayLike, ends: np.ndarray) -> np.ndarray:
            """Values when each month starts: ``start``, then the previous months' ends."""
            first = np.broadcast_to(start, ends.shape[:-1])[..., None]
            return np.concatenate([first, ends[..., :-1]], axis=-1)

        v = inputs.values
        self.start_d = at_month_starts(v["network.difficulty"], alone.difficulty_end)
        start_height = at_month_starts(v["network.height"], alone.height_end)
        self.start_subsidy = cast(  # (..., n) heights in, an array out
            "np.ndarray", block_subsidy_btc(np.floor(start_height).astype(np.int64))
        )
        self.fees = _each_month(fees, timeline.n)
        self.period_s = timeline.period_s
        self.elasticity = v["network.response.elasticity"]
        self.lag_months = v["network.response.lag_months"]
        self.deviation: list[np.ndarray | float] = []

    def __call__(self, j: int, difficulty: np.ndarray, subsidy_btc: np.ndarray) -> np.ndarray:
        gap = response.hashprice_gap(
            subsidy_btc,
            self.fees[..., j],
            difficulty,
            self.start_subsidy[..., j],
            self.start_d[..., j],
        )
        before = self.deviation[-1] if self.deviation else 0.0
        self.deviation.append(
            response.adjust(before, gap, self.period_s[j], self.elasticity, self.lag_months)
        )
        return np.exp(self.deviation[-1])

    def records(self) -> np.ndarray:
        """The log deviation of the other miners' hashrate in each month [1], ``(..., n)``."""
        return np.stack(self.deviation, axis=-1)


@dataclass(frozen=True)
class Network:
    """The chain with the fleet, and the comparisons that explain it."""

    projection: chain.Projection
    alone: chain.Projection | None
    """The network as if the fleet had not come (its difficulty never sees the fleet)."""
    fixed: chain.Projection | None
    """With a response: the fleet's chain if the other miners kept to their path."""
    run_share: np.ndarray
    """Share of each month the machines hash, after dispatch [1]."""
    paid_usd: np.ndarray
    """Mean price of the energy used [USD/kWh]."""
    net_hashprice: np.ndarray | float
    """Hashprice after pool fee that decided dispatch [USD/(PH/s)/d]; NaN with ``always``."""
    deviation: np.ndarray | None
    """With a response: the other miners' log deviation from their path [1]."""
    fleet_blocks: np.ndarray
    """Expected blocks the fleet wins [blocks]."""
    fleet_subsidy_btc: np.ndarray
    fleet_btc: np.ndarray
    """Subsidy and fees the fleet wins [BTC] (before the pool fee)."""


def _other_hashrate(inputs: Inputs, timeline: Timeline) -> np.ndarray:
    """Hashrate of the rest of the network at the period edges [H/s], shape (..., n + 1)."""
    v = inputs.values
    start = np.where(
        np.isnan(v["network.hashrate_eh_s"]),
        hashrate_from_difficulty(v["network.difficulty"]),
        v["network.hashrate_eh_s"] * EH,
    )
    if "other_hashrate_factor" in inputs.paths:  # a path replaces the growth setting
        return start[..., None] * inputs.paths["other_hashrate_factor"]
    kind, _ = growth(inputs.scenario)
    path_points = inputs.scenario.network.hashrate_growth.path
    if path_points is not None:
        points = [(p.date, p.hashrate_eh_s * EH) for p in path_points]
        return dated_path(inputs.scenario.start_date, points, start, timeline.edges_s)
    rate = chain.growth_rate_per_s(v["network.hashrate_growth"], kind)
    return chain.exponential_path(start, rate, timeline.edges_s)


def _project(
    inputs: Inputs,
    timeline: Timeline,
    other_h_s: np.ndarray,
    fleet_h_s: np.ndarray,
    *,
    include_fleet: npt.ArrayLike,
    **hooks: Any,
) -> chain.Projection:
    """The one call of :func:`minecalc.chain.project`, from the scenario's start state.

    ``hooks`` are the chain's ``record_epochs``, ``run_fraction`` and ``other_factor``.
    """
    scenario, v = inputs.scenario, inputs.values
    elapsed = None
    if scenario.network.epoch_start_date is not None:
        start = pd.Timestamp(scenario.start_date, tz="UTC")
        elapsed = (start - pd.Timestamp(scenario.network.epoch_start_date)).total_seconds()
    return chain.project(
        timeline.edges_s,
        other_h_s,
        fleet_h_s,
        difficulty=v["network.difficulty"],
        height=v["network.height"],
        epoch_elapsed_s=elapsed,
        include_fleet_in_network=include_fleet,
        **{"record_epochs": False, **hooks},
    )


def network(
    *,
    inputs: Inputs,
    timeline: Timeline,
    fleet: Fleet,
    prices: Prices,
    epochs: bool,
    without_fleet: bool,
) -> Network:
    """Stage 5: project the chain with the fleet (and, as asked, without it).

    ``epochs`` keeps the per-epoch and halving records; ``without_fleet`` also projects
    the network as if the fleet had not come and, with a response, the fleet's chain as if
    the other miners kept to their path. A response needs the first projection whatever
    ``without_fleet`` says; only the comparisons asked for are kept.
    """
    scenario, v = inputs.scenario, inputs.values
    other = _other_hashrate(inputs, timeline)
    responding = (
        scenario.network.response is not None or "network.response.elasticity" in inputs.swept
    )
    alone = responder = None
    if without_fleet or responding:
        alone = _project(inputs, timeline, other, fleet.available_h_s, include_fleet=False)
    if responding and alone is not None:
        responder = Responder(inputs=inputs, alone=alone, fees=prices.fees_btc, timeline=timeline)
        # the chain's scenario shape must hold the response's own dimensions
        other = (
            other
            * np.ones_like(v["network.response.elasticity"] * v["network.response.lag_months"])[
                ..., None
            ]
        )
    dispatcher = (
        Dispatcher(prices=prices, fleet=fleet, n=timeline.n)
        if scenario.tariff.dispatch == "economic"
        else None
    )
    if dispatcher is not None:  # each scenario dispatches on its own prices: a chain for each
        other = np.broadcast_to(other, (*inputs.sizes.values(), other.shape[-1]))
    proj = _project(
        inputs,
        timeline,
        other,
        fleet.available_h_s,
        include_fleet=v["network.include_fleet_in_network"],
        record_epochs=epochs,
        run_fraction=dispatcher,
        other_factor=responder,
    )
    fixed = (
        None
        if responder is None or not without_fleet
        else _project(
            inputs,
            timeline,
            other,
            proj.fleet_hashrate_h_s,
            include_fleet=v["network.include_fleet_in_network"],
        )
    )
    hashprice: np.ndarray | float = np.nan  # no decision without dispatch
    if dispatcher is None:
        run_share, paid = np.ones(timeline.n), prices.mean_tariff_usd
    else:
        run_share, paid, hashprice = dispatcher.records()
    blocks, subsidy, btc = chain.fleet_yield(proj, prices.fees_btc)
    return Network(
        projection=proj,
        alone=alone if without_fleet else None,  # the response's own needs stay inside
        fixed=fixed,
        run_share=run_share,
        paid_usd=paid,
        net_hashprice=hashprice,
        deviation=None if responder is None else responder.records(),
        fleet_blocks=blocks,
        fleet_subsidy_btc=subsidy,
        fleet_btc=btc,
    )
