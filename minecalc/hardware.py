"""The packaged catalogue of SHA-256 mining machines (nameplate specifications).

Source and column meanings: ``minecalc/data/README.md``, section 3.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import functools
from importlib import resources
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    import pandas as pd


@dataclasses.dataclass(frozen=True)
class Machine:
    """One catalogue model at nameplate (about 25 degC ambient).

    Attributes
    ----------
    model : str
        Commercial name, e.g. ``"Antminer S21"``.
    manufacturer : str
        Bitmain, MicroBT, Canaan, Bitdeer or Auradine.
    hashrate_th_s : float
        Hashrate of the base bin [TH/s].
    power_w : float
        Wall power [W].
    efficiency_j_per_th : float
        Energy per hash [J/TH] (= W per TH/s).
    cooling : str
        ``"air"``, ``"hydro"`` or ``"immersion"``.
    release_year : int
        Year of announcement or first availability.
    price_usd_per_th : float or None
        Indicative 2025 price [USD per TH/s]; None where no sourced price exists.
    power_w_derived : bool
        True where ``power_w`` is ``hashrate_th_s * efficiency_j_per_th``, not published.
    """

    model: str
    manufacturer: str
    hashrate_th_s: float
    power_w: float
    efficiency_j_per_th: float
    cooling: str
    release_year: int
    price_usd_per_th: float | None
    power_w_derived: bool


@functools.lru_cache(maxsize=1)
def _catalogue() -> tuple[Machine, ...]:
    """The catalogue as machines, read with the csv module (no pandas at start-up)."""
    with resources.files("minecalc").joinpath("data/hardware.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    machines = []
    for row in rows:
        hashrate, efficiency = float(row["hashrate_th_s"]), float(row["efficiency_j_per_th"])
        # Where only J/TH is published, that figure defines the power (README, hardware.csv).
        derived = not row["power_w"]
        machines.append(
            Machine(
                model=row["model"],
                manufacturer=row["manufacturer"],
                hashrate_th_s=hashrate,
                power_w=hashrate * efficiency if derived else float(row["power_w"]),
                efficiency_j_per_th=efficiency,
                cooling=row["cooling"],
                release_year=int(row["release_year"]),
                price_usd_per_th=float(row["price_usd_per_th"])
                if row["price_usd_per_th"]
                else None,
                power_w_derived=derived,
            )
        )
    return tuple(machines)


def load_hardware() -> pd.DataFrame:
    """The packaged ASIC catalogue, one row per model (32 rows).

    Returns
    -------
    pandas.DataFrame
        Columns ``model``, ``manufacturer``, ``hashrate_th_s`` [TH/s], ``power_w`` [W],
        ``efficiency_j_per_th`` [J/TH], ``cooling``, ``release_year``,
        ``price_usd_per_th`` [USD per TH/s] (NaN if unknown), ``price_note`` and
        ``power_w_derived`` (bool). A fresh copy on each call.

    Notes
    -----
    Empty ``power_w`` is filled as ``hashrate_th_s * efficiency_j_per_th`` and
    flagged in ``power_w_derived``.
    """
    import pandas as pd  # imported on use: validation reads the catalogue without it

    with resources.files("minecalc").joinpath("data/hardware.csv").open(encoding="utf-8") as f:
        table = pd.read_csv(f)
    table["power_w"] = [m.power_w for m in _catalogue()]
    table["power_w_derived"] = [m.power_w_derived for m in _catalogue()]
    return table


def _key(name: str) -> str:
    return "".join(name.lower().split())


@functools.lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    """Normalized name -> model, for full names and names without the brand word."""
    keys: dict[str, str] = {}
    for model in (m.model for m in _catalogue()):
        # The first word is the product line ("Antminer", "Whatsminer", "Avalon", ...):
        # people often leave it out ("S21 XP").
        for key in (_key(model), _key(model.split(maxsplit=1)[1])):
            if keys.setdefault(key, model) != model:
                raise RuntimeError(f"hardware.csv: name {key!r} is ambiguous")
    return keys


def get_machine(model: str) -> Machine:
    """Look up a catalogue model, ignoring case, whitespace and the brand word.

    Parameters
    ----------
    model : str
        Model name, e.g. ``"Antminer S21"``, ``"antminer s21"`` or ``"S21"``.

    Returns
    -------
    Machine

    Raises
    ------
    ValueError
        If no model matches; the message lists the closest catalogue names.
    """
    lookup = _lookup()
    found = lookup.get(_key(model))
    if found is None:
        close = difflib.get_close_matches(_key(model), lookup, n=6, cutoff=0.6)
        names = list(dict.fromkeys(lookup[k] for k in close))[:3]
        hint = ", ".join(repr(n) for n in names) if names else "none"
        raise InputError(
            f"unknown hardware model {model!r}: expected one of the catalogue models, "
            f"closest: {hint}"
        )
    return next(m for m in _catalogue() if m.model == found)
