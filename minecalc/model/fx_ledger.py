"""Stage 8, the foreign-exchange ledger: the dollars a run sends abroad and brings back.

Out: the machines, the imported share of the facilities, the USD share of O&M and fixed
costs, and the USD loans' debt service. In: the BTC sold (for dollars) and the USD loans
drawn. The energy is bought at home, in whatever currency it is priced, so it is not in
the ledger. Held BTC is a reserve asset or not, a switch; both are reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import state
from ..config import Fx
from .financing import Financed
from .money import Money


@dataclass(frozen=True)
class FxLedger:
    """Dollars out and in by month, the position, and the import cover at its worst."""

    out_usd: np.ndarray
    in_usd: np.ndarray
    position: state.FxPosition
    """Without counting held BTC as reserves."""
    cover_with_btc_months: np.ndarray | None
    """Import cover counting the held BTC at market value as a reserve asset [months];
    None without reserves."""


def fx_ledger(*, money: Money, financed: Financed | None, reserves: Fx | None) -> FxLedger:
    """Stage 8: the run's dollars out and in, and what they do to the country's reserves.

    Parameters
    ----------
    money : Money
        Stage 6: the imported capex and O&M, and the BTC sold and held.
    financed : Financed, optional
        Stage 7: the USD loans drawn and serviced; None = no loans.
    reserves : minecalc.config.Fx, optional
        Foreign reserves and imports for the import cover; None = cover not computed (NaN).
    """
    out = money.capital.imported_usd + money.opex_imported_usd
    dollars_in = money.flows.reserve.sales_usd
    if financed is not None:
        out = out + financed.foreign_service_usd
        dollars_in = dollars_in + financed.foreign_drawn_usd
    position, with_btc = positions(
        usd_in=dollars_in,
        usd_out=out,
        reserves=reserves,
        held_usd=money.flows.reserve.reserve_value_usd,
    )
    return FxLedger(
        out_usd=out, in_usd=dollars_in, position=position, cover_with_btc_months=with_btc
    )


def positions(
    *, usd_in: np.ndarray, usd_out: np.ndarray, reserves: Fx | None, held_usd: np.ndarray
) -> tuple[state.FxPosition, np.ndarray | None]:
    """The dollar position (:func:`minecalc.state.fx_position`), and the import cover with
    the held BTC (``held_usd``, (..., n)) counted as a reserve asset; None without
    ``reserves``."""
    if reserves is None:
        return state.fx_position(usd_in=usd_in, usd_out=usd_out), None
    position = state.fx_position(
        usd_in=usd_in,
        usd_out=usd_out,
        reserves_usd=reserves.reserves_usd,
        imports_usd_per_month=reserves.imports_usd_per_month,
    )
    return position, state.import_cover_months(
        position.cumulative_usd, reserves.reserves_usd, reserves.imports_usd_per_month, held_usd
    )
