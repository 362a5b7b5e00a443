"""Scenario configuration: the YAML schema, loading, ``key.path=value`` overrides, errors.

A scenario file is YAML 1.2 (so ``1e3`` is a number and ``no`` is a string) and is
validated by the frozen pydantic models below; unknown keys are errors. Every
problem found becomes one line of a single :class:`ConfigError`, of the form
``field.path: expected <what>, got <value>``::

    site.capacity_mw: expected a number > 0, got -5
    site.capacty_mw: unknown key; did you mean 'capacity_mw'?
    network.difficulty: required field missing

A file may start from another one with ``extends: base.yaml`` (relative to the
file): the base is deep-merged under it. Mappings are merged key by key, except a
one-of mapping such as ``network.hashrate_growth``, which the upper layer (the
file, or an override) replaces as a whole.

Every numeric field carries its ``units`` (one of :data:`UNITS`, the vocabulary of the
model's outputs) and a plain-language ``label`` as data (``json_schema_extra``), so the
JSON Schema, ``minecalc schema``, swept dimensions and figures all read them from one
place (:func:`field_metadata`, :func:`field_attrs`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import stat
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from . import datafiles, examples, hardware
from .errors import InputError

__all__ = [
    "UNITS",
    "ConfigError",
    "Costs",
    "Finance",
    "Fleet",
    "HashrateGrowth",
    "Machine",
    "Market",
    "Network",
    "PathPoint",
    "PricePoint",
    "Ramp",
    "RampPoint",
    "Refresh",
    "Scenario",
    "Site",
    "Tariff",
    "config_from_dict",
    "field_attrs",
    "field_metadata",
    "load_config",
    "schema_rows",
]


class ConfigError(InputError):
    """A scenario that cannot be read or is invalid.

    Parameters
    ----------
    problems : iterable of str
        One line per problem, ``field.path: expected <what>, got <value>`` where a
        field is concerned; ``str(err)`` joins them with newlines.
    """

    def __init__(self, problems: Iterable[str]):
        self.problems = [_printable(line) for line in problems]
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)


def _printable(text: str) -> str:
    """``text`` with control characters (line breaks, NUL, terminal escapes) escaped.

    Error lines quote what was given; escaped, a key or a path full of escape sequences
    cannot retitle or repaint the terminal that shows the error.
    """
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) == "Cc" else ch
        for ch in text
    )


def _problem(expected: str, got: str, field: str = "") -> PydanticCustomError:
    """A validation error ``expected <expected>, got <got>``, optionally ``field`` deeper."""
    return PydanticCustomError(
        "minecalc",
        "expected {expected}, got {got}",
        {"expected": expected, "got": got, "field": field},
    )


# --------------------------------------------------------------------------- schema

UNITS = frozenset(
    {
        "1",
        "1/epoch",
        "1/month",
        "1/year",
        "1/sqrt(year)",
        "blocks",
        "epochs",
        "months",
        "years",
        "BTC/block",
        "EH/s",
        "TH/s",
        "J/TH",
        "MW",
        "W",
        "USD",
        "USD/(TH/s)",
        "USD/MW",
        "USD/MW/year",
        "USD/year",
        "USD/kW/month",
        "BTC",
        "BTC/d",
        "USD/month",
        "GWh/year",
        "{currency}/kWh",
        "{currency}/USD",
        "{currency}/year",
    }
)
"""Units of the numeric config fields, in the vocabulary of the model's outputs (their
``units`` attrs): ``1`` for dimensionless ratios and fractions, ``1/year`` (``1/month``,
``1/epoch``) for rates per period, plural time and block counts (``months``, ``blocks``),
and ``{currency}`` for the tariff's currency, filled in where it is known."""


def _units(units: str, label: str, *, percent: bool = False) -> dict:
    """``json_schema_extra`` of a numeric field: its units and a short plain-language label.

    Parameters
    ----------
    units : str
        One of :data:`UNITS`.
    label : str
        The field in words, for figures and reports (``"Grid capacity"``).
    percent : bool
        A fraction or a rate, shown in % (``display_units``) in figures and reports.
    """
    if units not in UNITS:
        raise ValueError(f"units: expected one of {sorted(UNITS)}, got {units!r}")
    return {"units": units, "label": label, **({"display_units": "%"} if percent else {})}


def _share(default: float, description: str, label: str) -> Any:
    """A field holding a share or a fraction in [0, 1], shown in % in figures and reports."""
    return Field(
        default,
        ge=0,
        le=1,
        description=description,
        json_schema_extra=_units("1", label, percent=True),
    )


class _Model(BaseModel):
    """Base of all config models: unknown keys forbidden, frozen, finite numbers only.

    Numbers given for a string field (``name: 2026``) are taken as text; true/false
    given for a number is an error (pydantic would read it as 1/0).
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, coerce_numbers_to_str=True
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value, info):
        flag = _a_boolean(value)  # also inside lists of numbers (availability_by_month)
        if flag is not None:
            kinds = set(_leaf_types(cls.model_fields[info.field_name].annotation))
            if bool not in kinds and kinds & {int, float}:
                raise _problem("a number", str(flag).lower())
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text_and_dates_in_range(cls, value, info):
        if isinstance(value, str):
            allowed = "\t\n" if info.field_name == "description" else ""
            bad = next(
                (c for c in value if unicodedata.category(c) == "Cc" and c not in allowed), None
            )
            if bad is not None:
                kinds = "control characters" + (" other than tab and newline" if allowed else "")
                raise _problem(f"text without {kinds}", f"{_show(value)} (with {bad!r})")
        elif isinstance(value, dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
            if not FIRST_DATE <= day <= LAST_DATE:
                raise _problem(f"a date from {FIRST_DATE} to {LAST_DATE}", value.isoformat())
        return value


def _computable(value: Any) -> Any:
    """``value`` (a number or a list of them), refused if it holds a number between 0 and the
    smallest normal double, 2.2e-308.

    Such a number has too few digits for the model: a fleet built from a capacity or an
    availability that small has megawatts, but its hashrate rounds to 0 and their ratio is
    inf.
    """
    for x in value if isinstance(value, tuple) else (value,):
        if 0 < abs(x) < sys.float_info.min:
            raise _problem(
                f"no number between 0 and {sys.float_info.min:.3g} (too small to compute with)",
                repr(x),
            )
    return value


LATEST = "latest"
"""``start_date: latest``: start at the newest epoch of the history in use."""

FIRST_DATE = dt.date(2009, 1, 3)
"""Earliest date in a scenario: the genesis block."""
LAST_DATE = dt.date(2200, 1, 1)
"""Latest date in a scenario: far enough for any plan, and a horizon of up to 600 months
from it still ends before pandas' nanosecond timestamps do (2262)."""


def _a_boolean(value: Any) -> bool | None:
    """The first true/false in ``value`` or in its (nested) lists, else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list | tuple):
        return next((b for b in map(_a_boolean, value) if b is not None), None)
    return None


def _leaf_types(annotation: Any) -> list:
    """The plain types inside an annotation (``float | None`` -> float, NoneType)."""
    if get_origin(annotation) is Annotated:  # a constrained item: its type, not its bounds
        return _leaf_types(get_args(annotation)[0])
    args = get_args(annotation)
    return [t for a in args for t in _leaf_types(a)] if args else [annotation]


class _OneOf(_Model):
    """A config model in which exactly one field is set (the others stay null)."""

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            allowed = ", ".join(type(self).model_fields)
            raise _problem(f"exactly one of {allowed}", ", ".join(given) or "none")
        return self

    @property
    def kind(self) -> str:
        """Name of the one field that is set."""
        return next(name for name in type(self).model_fields if getattr(self, name) is not None)


def _dates_increasing(points):
    """Check that a list of dated points is non-empty with strictly increasing dates."""
    # checked here, not with min_length, which pydantic also reports on a tuple
    # whose only item is invalid
    if points == ():
        raise _problem("at least one point", "[]")
    for i, (before, point) in enumerate(pairwise(points or ()), start=1):
        if point.date <= before.date:
            raise _problem(f"a date after {before.date}", str(point.date), field=f"[{i}].date")
    return points


class PathPoint(_Model):
    """One point of a hashrate path."""

    date: dt.date = Field(description="Date of the point [YYYY-MM-DD, UTC].")
    hashrate_eh_s: float = Field(
        ge=1e-6,
        le=1e12,
        description="Hashrate of the rest of the network on that date [EH/s].",
        json_schema_extra=_units("EH/s", "Other miners' hashrate on the date"),
    )


class HashrateGrowth(_OneOf):
    """Growth of the rest of the network's hashrate; exactly one field is set."""

    per_epoch: float | None = Field(
        None,
        ge=-0.2,
        le=0.1,
        description="Growth per nominal epoch of 2016 * 600 s [1/epoch].",
        json_schema_extra=_units(
            "1/epoch", "Other miners' hashrate growth per epoch", percent=True
        ),
    )
    per_month: float | None = Field(
        None,
        ge=-0.5,
        le=0.25,
        description="Growth per month, a month being 1/12 year [1/month].",
        json_schema_extra=_units(
            "1/month", "Other miners' hashrate growth per month", percent=True
        ),
    )
    per_year: float | None = Field(
        None,
        ge=-0.9,
        le=10,
        description="Growth per year of 365.2425 days [1/year].",
        json_schema_extra=_units("1/year", "Other miners' hashrate growth per year", percent=True),
    )
    path: tuple[PathPoint, ...] | None = Field(
        None, description="Hashrate at one or more dates, strictly increasing."
    )
    trend_epochs: int | None = Field(
        None,
        ge=2,
        le=10_000,
        description="Fit the trend over the last N epochs of the history; N at most "
        "the epochs before network.height, and those of the history with a difficulty "
        "[epochs].",
        json_schema_extra=_units("epochs", "Epochs of history in the growth trend"),
    )

    @field_validator("path")
    @classmethod
    def _points_in_order(cls, path):
        return _dates_increasing(path)


class Response(_Model):
    """How the rest of the network answers the hashprice it earns (minecalc.response)."""

    elasticity: float = Field(
        ge=0,
        le=100,
        description="Long-run log change of the rest of the network's hashrate per log "
        "change of its hashprice; 0 = no response; at most 1 / (1 - exp(-1 / lag_months)) "
        "[1].",
        json_schema_extra=_units("1", "Other miners' response to hashprice (elasticity)"),
    )
    lag_months: float = Field(
        ge=0.01,
        le=1200,
        description="Time constant of the adjustment, from 0.01 (about 7 hours: as good as "
        "instant at monthly steps) [months].",
        json_schema_extra=_units("months", "Other miners' response time"),
    )

    @model_validator(mode="after")
    def _stable_monthly_step(self):
        # each month closes w = 1 - exp(-1/lag) of the gap to elasticity x ln(hp / hp0),
        # and ln(hp / hp0) moves back by up to the step itself (the others' share of the
        # network): the error scales by 1 - w (1 + elasticity share) a month, inside (-1, 1)
        # while elasticity x w <= 1; far above, it oscillates ever wider until hashrates
        # overflow
        most = 1 / -math.expm1(-1 / self.lag_months)
        if self.elasticity > most:
            raise _problem(
                f"at most 1 / (1 - exp(-1 / lag_months)) = {most:.3g} with lag_months "
                f"{self.lag_months:g} (a stronger, faster response makes the monthly step "
                "oscillate)",
                f"{self.elasticity:g}",
                field="elasticity",
            )
        return self


def _known_epochs() -> tuple[int, int]:
    """Epochs with a difficulty in the history in use, and the height of its last epoch:
    what :func:`minecalc.history.growth_trend_per_year` fits a trend over."""
    known = datafiles.known_difficulties()
    return len(known), 2016 * max(known)


def _difficulty_reachable(height: int) -> tuple[float, int]:
    """The history's difficulty nearest before ``height``'s epoch, and the retargets between
    them (at least 1): a retarget moves difficulty by at most a factor 4 (Bitcoin Core)."""
    known = datafiles.known_difficulties()
    epoch = height // 2016
    ref = max((e for e in known if e <= epoch), default=min(known))
    return known[ref], max(epoch - ref, 1)


HASHRATE_FACTOR = 4.0
"""How far the network's hashrate at the start may be from the one its difficulty implies
(a retarget moves difficulty by at most this factor, too)."""


class Network(_Model):
    """The Bitcoin network at the start date and its growth."""

    height: int = Field(
        ge=0,
        le=10_000_000,
        description="Chain tip height at start_date [blocks].",
        json_schema_extra=_units("blocks", "Chain tip height at the start"),
    )
    difficulty: float = Field(
        ge=1,
        le=1e24,
        description="Difficulty of the current epoch [1].",
        json_schema_extra=_units("1", "Difficulty at the start"),
    )
    epoch_start_date: dt.datetime | None = Field(
        None,
        description=(
            "When the current epoch's first block was mined, not after start_date; "
            "a naive date-time is UTC; null = assume 600 s per block since then [UTC]."
        ),
    )
    hashrate_eh_s: float | None = Field(
        None,
        ge=1e-6,
        le=1e12,
        description="Hashrate of the rest of the network at start; null = implied by "
        "difficulty [EH/s].",
        json_schema_extra=_units("EH/s", "Other miners' hashrate at the start"),
    )
    fees_btc_per_block: float = Field(
        0.03,
        ge=0,
        le=100,
        description="Fees per block, a mean over months; no month on record averaged "
        "more than a few BTC [BTC/block].",
        json_schema_extra=_units("BTC/block", "Fees per block"),
    )
    hashrate_growth: HashrateGrowth = Field(
        description="Growth of the rest of the network's hashrate."
    )
    include_fleet_in_network: bool = Field(
        True,
        description="Add the fleet's hashrate to the network's (self-dilution); "
        "false = price-taker view.",
    )
    response: Response | None = Field(
        None,
        description="Other miners switch off or join as hashprice moves; null = they "
        "follow hashrate_growth whatever the fleet does.",
    )

    @field_validator("epoch_start_date")
    @classmethod
    def _as_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)

    @model_validator(mode="after")
    def _difficulty_reachable_by_retargets(self):
        # A difficulty no chain of retargets could reach from the real one makes the first
        # epochs meaningless (difficulty 1 today: thousands of blocks in seconds).
        ref, steps = _difficulty_reachable(self.height)
        if abs(math.log(self.difficulty / ref, 4)) <= steps:
            return self
        reach = 4.0 ** min(steps, 100)
        raise _problem(
            f"a difficulty within a factor 4 per retarget of the history's ({ref:.4g}, "
            f"{steps} retarget(s) before this height): {ref / reach:.4g} to {ref * reach:.4g}",
            f"{self.difficulty:g}",
            field="difficulty",
        )

    @model_validator(mode="after")
    def _hashrate_near_the_difficulty(self):
        # Other miners' hashrate sets the first epoch's block times against the difficulty;
        # far from the hashrate the difficulty implies, the fleet's share of the network and
        # the block times before the first retarget mean nothing (a tiny network beside a
        # 100 EH/s fleet gives it the whole chain).
        if self.hashrate_eh_s is None:
            return self
        implied = self.difficulty * 2.0**48 / 0xFFFF / 600 / 1e18  # hashes per difficulty
        low, high = implied / HASHRATE_FACTOR, implied * HASHRATE_FACTOR
        if low <= self.hashrate_eh_s <= high:
            return self
        raise _problem(
            f"a hashrate within a factor {HASHRATE_FACTOR:g} of the {implied:.4g} EH/s the "
            f"difficulty implies ({low:.4g} to {high:.4g})",
            f"{self.hashrate_eh_s:g}",
            field="hashrate_eh_s",
        )

    @model_validator(mode="after")
    def _trend_within_the_chain(self):
        # a trend needs that many epochs before the start height, and the run fits it over
        # the history (packaged or refreshed), which a start beyond its end does not extend
        epochs = self.hashrate_growth.trend_epochs
        if epochs is None:
            return self
        known, last_height = _known_epochs()
        before = self.height // 2016
        if epochs <= min(before, known):
            return self
        why = (
            f"epochs before height {self.height}"
            if before <= known
            else f"epochs with a difficulty in the history, to height {last_height}"
        )
        raise _problem(
            f"2 to {min(before, known)} ({why})", str(epochs), field="hashrate_growth.trend_epochs"
        )


class RampPoint(_Model):
    """Capacity online from a date."""

    date: dt.date = Field(description="Date of the point [YYYY-MM-DD, UTC].")
    capacity_mw: float = Field(
        ge=0,
        le=1e6,
        description="Capacity online from that date [MW].",
        json_schema_extra=_units("MW", "Capacity online from the date"),
    )

    @field_validator("capacity_mw")
    @classmethod
    def _capacity_computable(cls, value):
        return _computable(value)


class Ramp(_Model):
    """Deployment: capacity online by date."""

    shape: Literal["steps", "linear"] = Field(
        "steps",
        description="steps: capacity jumps at each point; linear: straight lines between "
        "points (0 before the first point).",
    )
    points: tuple[RampPoint, ...] = Field(description="Capacity online by date.")

    @field_validator("points")
    @classmethod
    def _points_in_order(cls, points):
        return _dates_increasing(points)


class Site(_Model):
    """The power site."""

    capacity_mw: float = Field(
        gt=0,
        le=1e6,
        description="Grid capacity of the site (at most 1 TW) [MW].",
        json_schema_extra=_units("MW", "Grid capacity"),
    )
    mining_share: float = Field(
        1.0,
        ge=1e-3,
        le=1,
        description="Share of capacity given to mining, at least 0.1 % [1].",
        json_schema_extra=_units("1", "Share of capacity for mining", percent=True),
    )
    pue: float = Field(
        1.10,
        ge=1,
        le=3,
        description="Power usage effectiveness, site power / IT power [1].",
        json_schema_extra=_units("1", "Power usage effectiveness (PUE)"),
    )
    uptime: float = Field(
        1.0,
        ge=1e-3,
        le=1,
        description="Share of the time machines hash when power is there, at least 0.1 % [1].",
        json_schema_extra=_units("1", "Machine uptime", percent=True),
    )
    availability_by_month: tuple[Annotated[float, Field(ge=0, le=1)], ...] = Field(
        (1.0,) * 12,
        description="Share of the capacity available in each calendar month, January to "
        "December [1].",
        json_schema_extra=_units("1", "Power available by calendar month", percent=True),
    )
    ramp: Ramp | None = Field(
        None, description="Deployment by date; null = all capacity from start_date."
    )

    @field_validator("capacity_mw", "availability_by_month")
    @classmethod
    def _power_computable(cls, value):
        return _computable(value)

    @field_validator("availability_by_month")
    @classmethod
    def _twelve_months(cls, values):
        # checked here, not with min_length, which pydantic also reports on a tuple with
        # an invalid item (counting only the valid ones)
        if len(values) != 12:
            raise _problem("12 values, January to December", f"{len(values)} values")
        return values

    @model_validator(mode="after")
    def _ramp_within_capacity(self):
        for i, point in enumerate(self.ramp.points if self.ramp else ()):
            if point.capacity_mw > self.capacity_mw:
                raise _problem(
                    f"at most capacity_mw = {self.capacity_mw:g}",
                    f"{point.capacity_mw:g}",
                    field=f"ramp.points[{i}].capacity_mw",
                )
        return self


EFFICIENCY_J_PER_TH = (1e-3, 1e6)
"""Range of a fleet's or a machine's efficiency [J/TH], far beyond any machine's either way."""


class Machine(_Model):
    """One machine type of the fleet: a catalogue model or custom figures."""

    model: str | None = Field(None, description="Catalogue model name (see `minecalc hardware`).")
    hashrate_th_s: float | None = Field(
        None,
        gt=0,
        le=1e6,
        description="Custom machine: hashrate; power_w / hashrate_th_s within the range of "
        "fleet.efficiency_j_per_th [TH/s].",
        json_schema_extra=_units("TH/s", "Machine hashrate"),
    )
    power_w: float | None = Field(
        None,
        gt=0,
        le=1e7,
        description="Custom machine: wall power [W].",
        json_schema_extra=_units("W", "Machine power"),
    )
    share: float = Field(
        gt=0,
        le=1,
        description="Share of the fleet's IT power [1].",
        json_schema_extra=_units("1", "Machine's share of IT power", percent=True),
    )

    @model_validator(mode="after")
    def _model_or_custom(self):
        given = [k for k in ("model", "hashrate_th_s", "power_w") if getattr(self, k) is not None]
        if given not in (["model"], ["hashrate_th_s", "power_w"]):
            raise _problem(
                "either model, or both hashrate_th_s and power_w", ", ".join(given) or "none"
            )
        lo, hi = EFFICIENCY_J_PER_TH
        if self.model is None and not lo <= self.efficiency_j_per_th <= hi:
            raise _problem(
                f"power_w / hashrate_th_s from {lo:g} to {hi:g} J/TH",
                f"{self.power_w:g} / {self.hashrate_th_s:g}",
            )
        if self.model is not None:
            try:
                hardware.get_machine(self.model)
            except ValueError as err:
                raise _problem(
                    "a catalogue model", f"{self.model!r} ({err})", field="model"
                ) from None
        return self

    @property
    def efficiency_j_per_th(self) -> float:
        """Energy per terahash [J/TH]."""
        if self.model is not None:
            return hardware.get_machine(self.model).efficiency_j_per_th
        # validation requires both for a custom machine
        return float(self.power_w or math.nan) / float(self.hashrate_th_s or math.nan)

    @property
    def price_usd_per_th(self) -> float | None:
        """Catalogue price [USD per TH/s]; None for custom machines or unpriced models."""
        return hardware.get_machine(self.model).price_usd_per_th if self.model else None


class Refresh(_Model):
    """Replacement of machines at the end of their life."""

    model: str | None = Field(None, description="Catalogue model bought at refresh.")
    efficiency_j_per_th: float | None = Field(
        None,
        ge=EFFICIENCY_J_PER_TH[0],
        le=EFFICIENCY_J_PER_TH[1],
        description="Efficiency of the machines bought at refresh [J/TH].",
        json_schema_extra=_units("J/TH", "Efficiency of refresh machines"),
    )
    hardware_usd_per_th: float | None = Field(
        None,
        ge=0,
        le=1e6,
        description="Price of the new machines; null = catalogue price [USD/(TH/s)].",
        json_schema_extra=_units("USD/(TH/s)", "Price of refresh machines"),
    )

    @model_validator(mode="after")
    def _one_machine(self):
        if (self.model is None) == (self.efficiency_j_per_th is None):
            raise _problem(
                "either model or efficiency_j_per_th", "both" if self.model else "neither"
            )
        if self.model is not None:
            machine = hardware.get_machine(self.model)
            if self.hardware_usd_per_th is None and machine.price_usd_per_th is None:
                raise _problem(
                    "a price (the catalogue has none for this model)",
                    "null",
                    field="hardware_usd_per_th",
                )
        return self


class Fleet(_Model):
    """The mining hardware: one efficiency, or a mix of machines."""

    efficiency_j_per_th: float | None = Field(
        None,
        ge=EFFICIENCY_J_PER_TH[0],
        le=EFFICIENCY_J_PER_TH[1],
        description="Energy per terahash of the whole fleet [J/TH].",
        json_schema_extra=_units("J/TH", "Fleet efficiency"),
    )
    machines: tuple[Machine, ...] | None = Field(
        None, description="Mix of machines by share of IT power; shares sum to 1."
    )
    degradation_per_year: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="Hashrate lost per year of a machine's age [1/year].",
        json_schema_extra=_units("1/year", "Hashrate lost per year of age", percent=True),
    )
    lifetime_years: float | None = Field(
        None,
        ge=0.1,
        le=100,
        description="Machine life, at least 0.1 (the model counts whole months); null = "
        "beyond the horizon [years].",
        json_schema_extra=_units("years", "Machine life"),
    )
    refresh: Refresh | None = Field(
        None,
        description="What replaces machines at the end of their life; null = they "
        "retire and are not replaced.",
    )

    @model_validator(mode="after")
    def _one_way(self):
        if (self.efficiency_j_per_th is None) == (self.machines is None):
            raise _problem(
                "either efficiency_j_per_th or machines", "both" if self.machines else "neither"
            )
        total = sum(m.share for m in self.machines or ())
        if self.machines and abs(total - 1) > 1e-9:
            raise _problem("shares summing to 1", f"{total:g}", field="machines")
        return self

    @property
    def machine_efficiencies_j_per_th(self) -> tuple[float, ...]:
        """Efficiency of each machine type [J/TH] (one entry when given as one figure)."""
        if self.machines is None:  # validation requires one or the other
            return (float(self.efficiency_j_per_th or math.nan),)
        return tuple(m.efficiency_j_per_th for m in self.machines)

    @property
    def machine_shares(self) -> tuple[float, ...]:
        """Share of IT power of each machine type [fraction]."""
        return (1.0,) if self.machines is None else tuple(m.share for m in self.machines)


class PricePoint(_Model):
    """The BTC price on a date."""

    date: dt.date = Field(description="Date of the point [YYYY-MM-DD, UTC].")
    btc_price_usd: float = Field(
        ge=1e-4,
        le=1e9,
        description="Bitcoin price on that date, from 0.0001 (below the first traded "
        "price, 2009) [USD].",
        json_schema_extra=_units("USD", "Bitcoin price on the date"),
    )


class Market(_Model):
    """Market prices."""

    btc_price_usd: float = Field(
        ge=1e-4,
        le=1e9,
        description="Bitcoin price at start_date, from 0.0001 (below the first traded price, "
        "2009) [USD].",
        json_schema_extra=_units("USD", "Bitcoin price at the start"),
    )
    btc_price_growth_per_year: float = Field(
        0.0,
        ge=-0.99,
        le=10,
        description="Growth of the price per year of 365.2425 days [1/year].",
        json_schema_extra=_units("1/year", "Bitcoin price growth per year", percent=True),
    )
    btc_price_path: tuple[PricePoint, ...] | None = Field(
        None,
        description="Price by date, log-linear between points and flat after the last; "
        "replaces the growth.",
    )

    @field_validator("btc_price_path")
    @classmethod
    def _points_in_order(cls, points):
        return _dates_increasing(points)


class FxPoint(_Model):
    """The exchange rate on a date."""

    date: dt.date = Field(description="Date of the point [YYYY-MM-DD, UTC].")
    usd_fx_rate: float = Field(
        ge=1e-6,
        le=1e9,
        description="Units of the tariff currency per USD on that date [currency/USD].",
        json_schema_extra=_units("{currency}/USD", "Exchange rate on the date"),
    )


class Tariff(_Model):
    """What the energy costs."""

    currency: str = Field(
        "USD", pattern=r"^[A-Z]{3}$", description="Currency of the tariff (ISO 4217)."
    )
    usd_fx_rate: float = Field(
        1.0,
        ge=1e-6,
        le=1e9,
        description="Units of the tariff currency per USD at start_date [currency/USD].",
        json_schema_extra=_units("{currency}/USD", "Exchange rate at the start"),
    )
    usd_fx_change_per_year: float = Field(
        0.0,
        ge=-0.99,
        le=10,
        description="Change of the currency units per USD per year (positive: "
        "the currency weakens) [1/year].",
        json_schema_extra=_units("1/year", "Change of the exchange rate per year", percent=True),
    )
    usd_fx_path: tuple[FxPoint, ...] | None = Field(
        None,
        min_length=1,
        description="Dated exchange rates (e.g. a programme's projection), log-linear "
        "between points and flat after the last; replaces usd_fx_change_per_year.",
    )
    energy_price_per_kwh: float = Field(
        ge=0,
        le=1e9,
        description="Energy price in the tariff currency [currency/kWh].",
        json_schema_extra=_units("{currency}/kWh", "Energy price in the tariff currency"),
    )
    time_of_use: tuple[tuple[Annotated[float, Field(ge=0, le=1000)], ...], ...] | None = Field(
        None,
        description="Hourly factors on energy_price_per_kwh: one list of 24 for every "
        "month, or 12 lists (January to December); null = flat [1].",
        json_schema_extra=_units("1", "Hourly factors on the energy price"),
    )
    dispatch: Literal["always", "economic"] = Field(
        "always",
        description="always: run whenever power is available; economic: run an "
        "hour only when its revenue covers its energy cost.",
    )
    take_or_pay_fraction: float = _share(
        0.0,
        "Share of the available energy paid for whether used or not [1].",
        "Take-or-pay share of the energy",
    )

    @field_validator("time_of_use")
    @classmethod
    def _profiles(cls, profiles):
        if profiles is not None and len(profiles) not in (1, 12):
            raise _problem("1 or 12 lists of 24 factors", f"{len(profiles)} lists")
        for i, profile in enumerate(profiles or ()):
            if len(profile) != 24:
                raise _problem(
                    "24 factors from 0 to 1000", f"{len(profile)} values", field=f"[{i}]"
                )
        return profiles

    @field_validator("usd_fx_path")
    @classmethod
    def _fx_points_in_order(cls, points):
        return _dates_increasing(points)

    @model_validator(mode="after")
    def _usd_is_usd(self):
        if self.currency == "USD" and self.usd_fx_rate != 1:
            raise _problem("1 when currency is USD", f"{self.usd_fx_rate:g}", field="usd_fx_rate")
        if self.currency == "USD" and self.usd_fx_path is not None:
            raise _problem("no usd_fx_path when currency is USD", "a path", field="usd_fx_path")
        if self.usd_fx_path is not None and self.usd_fx_change_per_year != 0:
            raise _problem(
                "usd_fx_change_per_year 0 with a usd_fx_path (the path sets the change)",
                f"{self.usd_fx_change_per_year:g}",
                field="usd_fx_change_per_year",
            )
        return self


class Costs(_Model):
    """Capital and operating costs besides energy."""

    pool_fee: float = Field(
        0.025,
        ge=0,
        le=0.5,
        description="Pool fee on subsidy + fees (FPPS), at most 50 % [1].",
        json_schema_extra=_units("1", "Pool fee", percent=True),
    )
    hardware_usd_per_th: float | None = Field(
        None,
        ge=0,
        le=1e6,
        description="Machine price; null = the catalogue price of each model [USD/(TH/s)].",
        json_schema_extra=_units("USD/(TH/s)", "Machine price"),
    )
    infrastructure_usd_per_mw: float = Field(
        0.0,
        ge=0,
        le=1e10,
        description="Facilities excluding machines, per MW of capacity deployed [USD/MW].",
        json_schema_extra=_units("USD/MW", "Facilities cost per MW"),
    )
    om_usd_per_mw_year: float = Field(
        0.0,
        ge=0,
        le=1e10,
        description="Operations and maintenance per MW online [USD/MW/year].",
        json_schema_extra=_units("USD/MW/year", "Operations and maintenance per MW"),
    )
    fixed_usd_per_year: float = Field(
        0.0,
        ge=0,
        le=1e12,
        description="Fixed costs [USD/year].",
        json_schema_extra=_units("USD/year", "Fixed costs"),
    )
    salvage_fraction: float = _share(
        0.0,
        "Share of the machines' book value recovered at the horizon's end [1].",
        "Salvage share of machines' book value",
    )
    facilities_usd_share: float = _share(
        1.0,
        "Share of the facilities imported and priced in USD (the machines all "
        "are); the rest is local, priced in the tariff currency at the starting rate [1].",
        "Imported share of the facilities",
    )
    om_usd_share: float = _share(
        1.0,
        "Share of O&M and fixed costs paid in USD; the rest is local, priced in "
        "the tariff currency at the starting rate [1].",
        "USD share of O&M and fixed costs",
    )


class Finance(_Model):
    """How money over time is judged."""

    discount_rate: float = Field(
        0.10,
        ge=-0.9,
        le=10,
        description="Discount rate per year [1/year].",
        json_schema_extra=_units("1/year", "Discount rate per year", percent=True),
    )
    discount_rate_basis: Literal["nominal", "real"] = Field(
        "nominal",
        description="nominal: the rate discounts the (escalated) USD cash flows as is; real: "
        "it is converted to (1 + rate)(1 + inflation.usd_per_year) - 1 first.",
    )
    btc_held_fraction: float = _share(
        0.0,
        "Share of mined BTC kept in a reserve, not sold [1].",
        "Share of BTC held in reserve",
    )
    alternative_energy_price_per_kwh: float | None = Field(
        None,
        ge=0,
        le=1e9,
        description="What the same energy would earn sold otherwise, in the "
        "tariff currency; null = the tariff [currency/kWh].",
        json_schema_extra=_units("{currency}/kWh", "Value of the energy sold otherwise"),
    )
    sell_to_cover_costs: bool = Field(
        False,
        description="Sell BTC first to pay each month's energy and operating costs (the "
        "local-currency costs), and hold the share above of what is left.",
    )
    reserve_cap_btc: float | None = Field(
        None,
        ge=0,
        le=21e6,
        description="Most BTC the reserve may hold; more is sold. 0 = no accumulation (the "
        "IMF's condition for El Salvador); null = no cap [BTC].",
        json_schema_extra=_units("BTC", "Cap on the reserve"),
    )


class PowerSector(_Model):
    """The power sector's side of the surplus, for valuing the options as the state."""

    marginal_cost_per_kwh: float = Field(
        ge=0,
        le=1e8,  # grossed up for losses of at most 90 %, still a valid tariff (<= 1e9)
        description="Fuel and variable O&M of the surplus energy at the plant, in the tariff "
        "currency [currency/kWh].",
        json_schema_extra=_units("{currency}/kWh", "Marginal cost of the surplus energy"),
    )
    losses_fraction: float = Field(
        0.0,
        ge=0,
        le=0.9,
        description="Share of the energy sent out lost in transmission and distribution [1].",
        json_schema_extra=_units("1", "Transmission and distribution losses", percent=True),
    )
    fuel_usd_share: float = _share(
        0.0,
        "Share of the marginal cost paid abroad in dollars for imported fuel: "
        "what each kWh the surplus supplies costs the country in foreign currency [1].",
        "Imported fuel share of the marginal cost",
    )
    capacity_payments_per_year: float | None = Field(
        None,
        ge=0,
        le=1e18,
        description="Capacity payments owed whether the plants run or not, in the tariff "
        "currency; reported, never counted (they are due in every option) [currency/year].",
        json_schema_extra=_units("{currency}/year", "Capacity payments"),
    )
    system_sales_gwh_per_year: float | None = Field(
        None,
        gt=0,
        le=1e9,
        description="Energy the system sells to its consumers [GWh/year].",
        json_schema_extra=_units("GWh/year", "System sales"),
    )


class LevyStep(_Model):
    """One step of a levy schedule: the levy for tariffs up to a level."""

    up_to_tariff_per_kwh: float = Field(
        ge=0,
        le=1e9,
        description="Highest tariff this step covers [currency/kWh].",
        json_schema_extra=_units("{currency}/kWh", "Highest tariff of the step"),
    )
    levy_per_kwh: float = Field(
        ge=0,
        le=5e8,
        description="Levy on each kWh at those tariffs [currency/kWh].",
        json_schema_extra=_units("{currency}/kWh", "Levy"),
    )


class SellPower(_Model):
    """Private miners buy the energy at a tariff plus a levy."""

    tariff_per_kwh: float = Field(
        ge=0,
        le=5e8,  # plus a levy of at most as much, still a valid tariff (<= 1e9)
        description="Tariff the private miners pay [currency/kWh].",
        json_schema_extra=_units("{currency}/kWh", "Tariff for private miners"),
    )
    levy: list[LevyStep] = Field(
        [],
        description="Levy by tariff, steps in increasing order; the last step covers every "
        "higher tariff; none = no levy.",
    )
    efficiency_j_per_th: float | None = Field(
        None,
        ge=0.001,
        le=1e6,
        description="The private fleet's efficiency; null = the scenario's fleet [J/TH].",
        json_schema_extra=_units("J/TH", "Private fleet efficiency"),
    )
    hardware_usd_per_th: float | None = Field(
        None,
        ge=0,
        le=1e6,
        description="The private fleet's machine price; null = the scenario's [USD/(TH/s)].",
        json_schema_extra=_units("USD/(TH/s)", "Private machine price"),
    )
    hurdle_rate: float = Field(
        0.15,
        ge=-0.9,
        le=10,
        description="Return the private miners require: they come only if their NPV at this "
        "rate is at least 0 [1/year].",
        json_schema_extra=_units("1/year", "Private hurdle rate", percent=True),
    )
    profit_tax_rate: float = _share(
        0.0,
        "Tax on the private miners' profit, losses carried forward [1].",
        "Profit tax",
    )
    entry: Literal["share", "npv", "always"] = Field(
        "share",
        description="share: free entry, the miners take the largest share of the power "
        "(in steps of 5 %) at which their fleet's NPV at the hurdle rate is at least 0 in the "
        "central case; npv: all of it if that NPV is at least 0, else none; always: all of it.",
    )

    @field_validator("levy")
    @classmethod
    def _steps_in_order(cls, steps):
        tops = [step.up_to_tariff_per_kwh for step in steps]
        if any(b <= a for a, b in pairwise(tops)):
            raise _problem("steps with increasing up_to_tariff_per_kwh", str(tops))
        return steps


class BuyBtc(_Model):
    """The state buys BTC instead of mining, and holds it (within the reserve cap)."""

    spend: Literal["as_state_mining", "schedule"] = Field(
        "as_state_mining",
        description="as_state_mining: spend what state mining would, month by month; "
        "schedule: btc_per_day and usd_per_month.",
    )
    btc_per_day: float = Field(
        0.0,
        ge=0,
        le=1e4,
        description="BTC bought each day with schedule (El Salvador buys 1) [BTC/d].",
        json_schema_extra=_units("BTC/d", "BTC bought per day"),
    )
    usd_per_month: float = Field(
        0.0,
        ge=0,
        le=1e12,
        description="Spent on BTC each month with schedule [USD/month].",
        json_schema_extra=_units("USD/month", "Spent on BTC per month"),
    )


class SellElsewhere(_Model):
    """The energy sold to another firm load: an industrial tariff, export, an AI data centre."""

    energy_price_per_kwh: float = Field(
        ge=0,
        le=1e9,
        description="What the load pays for its energy [currency/kWh].",
        json_schema_extra=_units("{currency}/kWh", "Energy price for the other load"),
    )
    lease_usd_per_kw_month: float = Field(
        0.0,
        ge=0,
        le=1e6,
        description="Lease of the built capacity, per kW of load [USD/kW/month].",
        json_schema_extra=_units("USD/kW/month", "Lease price"),
    )
    capex_usd_per_mw: float = Field(
        0.0,
        ge=0,
        le=1e10,
        description="What the state builds for the load, per MW [USD/MW].",
        json_schema_extra=_units("USD/MW", "Capex per MW of load"),
    )
    lead_months: int = Field(
        0,
        ge=0,
        le=600,
        description="Months from the start until the load runs [months].",
        json_schema_extra=_units("months", "Build lead time"),
    )
    firming_cost_per_kwh: float = Field(
        0.0,
        ge=0,
        le=1e9,
        description="Cost of each kWh the firm load takes beyond the surplus, in months when "
        "the surplus falls short [currency/kWh].",
        json_schema_extra=_units("{currency}/kWh", "Firming cost"),
    )


class Tax(_Model):
    """Profit tax on the mining, with losses carried forward without limit."""

    profit_tax_rate: float = Field(
        ge=0,
        le=1,
        description="Tax on profit: BTC received at its value then, less energy, O&M and "
        "tax depreciation; interest is not deducted [1].",
        json_schema_extra=_units("1", "Profit tax rate", percent=True),
    )
    machines_life_years: float | None = Field(
        None,
        ge=0.1,
        le=50,
        description="Straight-line tax life of the machines; null = fleet.lifetime_years "
        "(or the horizon) [years].",
        json_schema_extra=_units("years", "Tax life of the machines"),
    )
    facilities_life_years: float = Field(
        20.0,
        ge=0.1,
        le=100,
        description="Straight-line tax life of the facilities [years].",
        json_schema_extra=_units("years", "Tax life of the facilities"),
    )


class Inflation(_Model):
    """Price levels: the inputs are at start-date prices and escalate from there."""

    usd_per_year: float = Field(
        0.0,
        ge=-0.5,
        le=10,
        description="USD inflation; escalates machines and the USD share of facilities, "
        "O&M and fixed costs (and a USD tariff) [1/year].",
        json_schema_extra=_units("1/year", "USD inflation", percent=True),
    )
    local_per_year: float = Field(
        0.0,
        ge=-0.5,
        le=10,
        description="Inflation of the tariff currency; escalates the tariff and the local "
        "share of facilities, O&M and fixed costs [1/year].",
        json_schema_extra=_units("1/year", "Local inflation", percent=True),
    )
    fx_follows_inflation: bool = Field(
        False,
        description="The exchange rate moves with relative inflation (purchasing-power "
        "parity): usd_fx_rate (1 + local)^t / (1 + usd)^t.",
    )


class Fx(_Model):
    """The country's foreign reserves, for the months of import cover at the worst point."""

    reserves_usd: float = Field(
        ge=0,
        le=1e14,
        description="Foreign reserves at the start [USD].",
        json_schema_extra=_units("USD", "Foreign reserves"),
    )
    imports_usd_per_month: float = Field(
        ge=1,
        le=1e14,
        description="The country's imports of goods and services [USD/month].",
        json_schema_extra=_units("USD/month", "Imports per month"),
    )
    btc_counts_as_reserve: bool = Field(
        True,
        description="Count the held BTC at market value as a reserve asset in the headline "
        "import cover (both ways are always reported).",
    )


class Tranche(_Model):
    """One loan: how much, in which currency, at what rate, repaid how."""

    share_of_capex: float | None = Field(
        None,
        ge=0.001,
        le=1,
        description="The loan as a share of the capex; or give amount_usd [1].",
        json_schema_extra=_units("1", "Loan as a share of capex", percent=True),
    )
    amount_usd: float | None = Field(
        None,
        ge=1,
        le=1e12,
        description="The loan, drawn at the start [USD].",
        json_schema_extra=_units("USD", "Loan amount"),
    )
    currency: str = Field(
        "USD",
        description="USD, or the tariff's currency (the loan is then serviced in it).",
    )
    rate_per_year: float = Field(
        ge=0,
        le=1,
        description="Interest rate, annual effective [1/year].",
        json_schema_extra=_units("1/year", "Interest rate", percent=True),
    )
    tenor_months: int = Field(
        ge=1,
        le=600,
        description="Months from the draw to maturity, grace included [months].",
        json_schema_extra=_units("months", "Tenor"),
    )
    grace_months: int = Field(
        0,
        ge=0,
        le=599,
        description="Months without repayment at the start [months].",
        json_schema_extra=_units("months", "Grace period"),
    )
    profile: Literal["annuity", "linear", "sculpted"] = Field(
        "annuity",
        description="annuity: level debt service; linear: equal repayments; sculpted: debt "
        "service = CFADS / target_dscr.",
    )
    target_dscr: float | None = Field(
        None,
        gt=0,
        le=10,
        description="With sculpted: the DSCR every repayment month is sized to [1].",
        json_schema_extra=_units("1", "Target DSCR"),
    )
    capitalise_grace_interest: bool = Field(
        True,
        description="Grace-period interest added to the loan (true) or paid (false).",
    )

    @model_validator(mode="after")
    def _terms(self):
        if (self.share_of_capex is None) == (self.amount_usd is None):
            raise _problem("either share_of_capex or amount_usd", "both or neither")
        if self.grace_months >= self.tenor_months:
            raise _problem(
                f"fewer grace months than the tenor, {self.tenor_months}",
                str(self.grace_months),
                field="grace_months",
            )
        if self.profile == "sculpted" and self.target_dscr is None:
            raise _problem("a target_dscr with sculpted", "null", field="target_dscr")
        return self


class Financing(_Model):
    """How the capex is financed: loans drawn at the start, the rest equity."""

    tranches: list[Tranche] = Field(min_length=1, description="The loans.")
    min_dscr: float | None = Field(
        None,
        gt=0,
        le=10,
        description="Covenant: the lowest DSCR allowed in a project year; null = none [1].",
        json_schema_extra=_units("1", "Covenant minimum DSCR"),
    )


OPTION_KINDS = ("idle", "sell_power", "state_mining", "buy_btc", "sell_elsewhere")
"""What the state can do with the surplus, in the order they are compared."""


class Options(_Model):
    """What the state could do with the surplus power, compared on the same paths."""

    compare: (
        list[Literal["idle", "sell_power", "state_mining", "buy_btc", "sell_elsewhere"]] | None
    ) = Field(
        None,
        description="The options to compare; idle, the reference, is always among them; "
        "null = idle, state_mining, buy_btc and each option described below.",
    )
    power_sector: PowerSector = Field(description="The power sector's costs.")
    sell_power: SellPower | None = Field(None, description="Selling the power to miners.")
    buy_btc: BuyBtc = Field(BuyBtc(), description="Buying BTC instead of mining.")
    sell_elsewhere: SellElsewhere | None = Field(
        None, description="Selling the power to another firm load."
    )

    @model_validator(mode="after")
    def _each_option_described(self):
        named = self.compare or ()
        for kind in ("sell_power", "sell_elsewhere"):
            if kind in named and getattr(self, kind) is None:
                raise _problem(f"a {kind} block, as compare names {kind}", "none", field=kind)
        if len(set(named)) != len(named):
            raise _problem("each option once", ", ".join(named), field="compare")
        return self

    @property
    def kinds(self) -> tuple[str, ...]:
        """The options compared, idle first, in :data:`OPTION_KINDS` order."""
        if self.compare is not None:
            return tuple(k for k in OPTION_KINDS if k == "idle" or k in self.compare)
        described = {"sell_power": self.sell_power, "sell_elsewhere": self.sell_elsewhere}
        return tuple(k for k in OPTION_KINDS if described.get(k, True) is not None)


class ScenarioSet(_Model):
    """A named set of Monte Carlo paths: how its paths differ from the command's.

    Every field left out (null) keeps the command's setting (``minecalc montecarlo
    --help``); the paths are :func:`minecalc.uncertainty.draw_paths`'."""

    description: str = Field("", description="What the set stands for, in words.")
    price: Literal["joint", "gbm"] | None = Field(
        None, description="joint: price and network resampled together; gbm: apart."
    )
    median_growth_per_year: float | None = Field(
        None,
        ge=-0.95,
        le=5,
        description="Growth of the median BTC price; 0 keeps it flat [1/year].",
        json_schema_extra=_units("1/year", "Median BTC price growth"),
    )
    volatility_per_year: float | None = Field(
        None,
        ge=0,
        le=5,
        description="GBM volatility of the BTC price [1/sqrt(year)].",
        json_schema_extra=_units("1/sqrt(year)", "BTC price volatility"),
    )
    block_months: float | None = Field(
        None,
        ge=1,
        le=120,
        description="Mean block length of the joint bootstrap [months].",
        json_schema_extra=_units("months", "Mean block length"),
    )
    window_start: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}$", description="First month of the calibration window."
    )
    window_end: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}$", description="Last month of the calibration window."
    )
    fees_sigma: float | None = Field(
        None,
        ge=0,
        le=5,
        description="Log standard deviation of monthly fees [1].",
        json_schema_extra=_units("1", "Fees' log standard deviation"),
    )
    network_growth_per_year: float | None = Field(
        None,
        ge=-0.95,
        le=5,
        description="The network's trend; null = the scenario's growth [1/year].",
        json_schema_extra=_units("1/year", "Network growth"),
    )


SET_NAME = r"^[a-z][a-z0-9_]{0,31}$"
"""A scenario set's name: a lower-case word (it labels a dimension and a table column)."""


class Scenario(_Model):
    """A complete scenario: the top level of a config file."""

    name: str = Field(min_length=1, description="Name of the scenario.")
    description: str = Field("", description="Free text.")
    start_date: Annotated[
        dt.date,
        WithJsonSchema(
            {"anyOf": [{"type": "string", "format": "date"}, {"const": LATEST}]}, mode="validation"
        ),
    ] = Field(
        description="First day of the run, UTC midnight [YYYY-MM-DD]; or latest: the start "
        "date of the newest epoch in the history (packaged, or refreshed by minecalc data "
        "update), whose height and difficulty then replace network.height and "
        "network.difficulty (and network.epoch_start_date is cleared)."
    )
    horizon_months: int = Field(
        ge=1,
        le=600,
        description="Length of the run [months].",
        json_schema_extra=_units("months", "Length of the run"),
    )
    network: Network = Field(description="The Bitcoin network.")
    site: Site = Field(description="The power site.")
    fleet: Fleet = Field(description="The mining hardware.")
    market: Market = Field(description="Market prices.")
    tariff: Tariff = Field(description="The energy tariff.")
    costs: Costs = Field(Costs(), description="Costs besides energy.")
    finance: Finance = Field(Finance(), description="Discounting and the reserve.")
    financing: Financing | None = Field(
        None, description="Loans against the capex; null = all equity."
    )
    tax: Tax | None = Field(None, description="Profit tax; null = none.")
    inflation: Inflation | None = Field(
        None, description="Inflation and escalation; null = constant prices."
    )
    fx: Fx | None = Field(
        None, description="Foreign reserves and imports, for import cover; null = not reported."
    )
    scenario_sets: dict[Annotated[str, StringConstraints(pattern=SET_NAME)], ScenarioSet] = Field(
        {},
        description="Named sets of Monte Carlo paths beside base, bear and bull (which a set "
        "of the same name replaces): montecarlo, run and compare take them by --sets.",
    )
    options: Options | None = Field(
        None,
        description="What else the state could do with the power (minecalc compare); "
        "null = mining only.",
    )

    @model_validator(mode="before")
    @classmethod
    def _latest_epoch(cls, data: Any) -> Any:
        # `latest` is resolved before validation, so the scenario holds the date, height and
        # difficulty it ran from (its to_dict() reproduces the run whatever the data does next)
        if not isinstance(data, Mapping) or data.get("start_date") != LATEST:
            return data
        from . import history  # pandas, only for a scenario that asks for the newest epoch

        epoch = history.newest_epoch()
        network = data.get("network")
        if isinstance(network, Mapping):
            network = {
                **network,
                "height": epoch.height,
                "difficulty": epoch.difficulty,
                "epoch_start_date": None,
            }
        return {**data, "start_date": epoch.start_time.date(), "network": network}

    @model_validator(mode="after")
    def _epoch_started_by_start_date(self):
        epoch_start = self.network.epoch_start_date
        start = dt.datetime.combine(self.start_date, dt.time(), dt.timezone.utc)
        if epoch_start is not None and epoch_start > start:
            raise _problem(
                f"a date on or before start_date {self.start_date}",
                epoch_start.isoformat(),
                field="network.epoch_start_date",
            )
        return self

    @model_validator(mode="after")
    def _one_exchange_rate_path(self):
        ppp = self.inflation is not None and self.inflation.fx_follows_inflation
        tariff = self.tariff
        if self.inflation is not None and tariff.currency == "USD":
            if self.inflation.local_per_year != 0:
                raise _problem(
                    "0 with a USD tariff (usd_per_year escalates everything)",
                    f"{self.inflation.local_per_year:g}",
                    field="inflation.local_per_year",
                )
            if ppp:
                raise _problem(
                    "false with a USD tariff", "true", field="inflation.fx_follows_inflation"
                )
        if ppp and (tariff.usd_fx_path is not None or tariff.usd_fx_change_per_year != 0):
            path = tariff.usd_fx_path is not None
            raise _problem(
                "no usd_fx_path and usd_fx_change_per_year 0 when the rate follows inflation",
                "a path" if path else f"{tariff.usd_fx_change_per_year:g}",
                field="tariff.usd_fx_path" if path else "tariff.usd_fx_change_per_year",
            )
        return self

    @model_validator(mode="after")
    def _loans_in_known_currencies(self):
        for i, tranche in enumerate(self.financing.tranches if self.financing else ()):
            if tranche.currency not in ("USD", self.tariff.currency):
                raise _problem(
                    f"USD or the tariff's currency, {self.tariff.currency}",
                    repr(tranche.currency),
                    field=f"financing.tranches[{i}].currency",
                )
        return self

    @model_validator(mode="after")
    def _private_fleet_priced(self):
        sell = self.options.sell_power if self.options is not None else None
        if (
            sell is not None
            and sell.efficiency_j_per_th is not None
            and sell.hardware_usd_per_th is None
            and self.costs.hardware_usd_per_th is None
        ):
            raise _problem(
                "a machine price for the private fleet's efficiency (or costs.hardware_usd_per_th)",
                "null",
                field="options.sell_power.hardware_usd_per_th",
            )
        return self

    def check_priced(self) -> None:
        """Refuse a fleet whose machines have no price: the run needs one (``validate`` too).

        Raises
        ------
        ConfigError
            If ``costs.hardware_usd_per_th`` is null and a machine has no catalogue price.
        """
        machines = self.fleet.machines or ()
        unpriced = not machines or any(m.price_usd_per_th is None for m in machines)
        if self.costs.hardware_usd_per_th is None and unpriced:
            raise ConfigError(
                [
                    "costs.hardware_usd_per_th: expected a price (the fleet has a machine "
                    "without a catalogue price), got null"
                ]
            )

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a JSON-serialisable dict.

        Returns
        -------
        dict
            Plain types only; dates as ISO strings, null fields left out. Passing it
            to :func:`config_from_dict` gives back an equal scenario.
        """
        return self.model_dump(mode="json", exclude_none=True)


def _type_name(annotation: Any) -> str:
    """A reader's name for a field type: ``number``, ``list of PathPoint``, ``always|economic``."""
    if get_origin(annotation) is Literal:
        return "|".join(map(str, get_args(annotation)))
    if get_origin(annotation) is Annotated:
        return _type_name(get_args(annotation)[0])
    names = {
        float: "number",
        int: "integer",
        str: "text",
        bool: "true/false",
        dt.date: "date",
        dt.datetime: "date-time",
        type(None): "null",
    }
    if annotation in names:
        return names[annotation]
    args = [a for a in get_args(annotation) if a is not Ellipsis]
    if get_origin(annotation) is tuple:
        return "list of " + _type_name(args[0])
    if args:
        return " or ".join(_type_name(a) for a in args)
    return getattr(annotation, "__name__", str(annotation))


def schema_rows(model: type[BaseModel] | None = None, prefix: str = "") -> list[dict]:
    """Every field of the scenario schema: path, type, units, default and description.

    Returns
    -------
    list of dict
        ``{"field", "type", "units", "default", "range", "description"}``, sub-models
        expanded in place; ``units`` is one of :data:`UNITS` for numeric fields and ``""``
        for the others; ``default`` is ``"required"`` for fields without one.
    """
    rows = []
    for name, info in (model or Scenario).model_fields.items():
        path = f"{prefix}{name}"
        sub = _submodel(info.annotation)
        default = "required" if info.is_required() else info.default
        if isinstance(default, BaseModel):
            default = "see below"
        keyed = get_origin(info.annotation) is dict  # named entries: scenario_sets.<name>.x
        items = [] if keyed else _item_constraints(info.annotation)
        bounds = ("each " if items else "") + ", ".join(
            f"{op} {getattr(m, attr):g}"
            for m in items or info.metadata
            for attr, op in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))
            if hasattr(m, attr)
        )
        units = (_metadata(info) or {}).get("units", "")
        rows.append(
            {
                "field": path,
                "type": f"<name>: {sub.__name__}" if keyed and sub else _type_name(info.annotation),
                "units": units,
                "default": default,
                "range": bounds,
                "description": info.description or "",
            }
        )
        if sub is not None:
            rows += schema_rows(sub, f"{path}.<name>." if keyed else f"{path}.")
    return rows


def _item_constraints(annotation: Any) -> list:
    """The bounds on the numbers of a list field, ``tuple[Annotated[float, Field(...)], ...]``."""
    if get_origin(annotation) is Annotated:
        return [c for m in get_args(annotation)[1:] for c in getattr(m, "metadata", [m])]
    return [c for a in get_args(annotation) for c in _item_constraints(a)]


def field_metadata(path: str) -> dict | None:
    """The units and label of a numeric config field, as the schema holds them.

    Parameters
    ----------
    path : str
        Dotted field path, list items left out: ``"site.pue"``,
        ``"network.hashrate_growth.path.hashrate_eh_s"``.

    Returns
    -------
    dict or None
        ``{"units", "label"}`` (``units`` one of :data:`UNITS`, ``{currency}`` not filled in),
        plus ``"display_units": "%"`` for fractions and rates shown in %; None for a field
        that is not numeric or does not exist.
    """
    model: type[BaseModel] | None = Scenario
    info = None
    for key in path.split("."):
        if key == "<name>":  # an entry of a mapping field (scenario_sets.<name>.x)
            continue
        if model is None or key not in model.model_fields:
            return None
        info = model.model_fields[key]
        model = _submodel(info.annotation)
    return None if info is None else _metadata(info)


def _metadata(info: FieldInfo) -> dict | None:
    """A copy of the units and label a field was given by :func:`_units`, or None."""
    extra = info.json_schema_extra
    return dict(extra) if isinstance(extra, dict) and "units" in extra else None


def field_attrs(path: str, currency: str = "currency") -> dict:
    """``units`` and ``long_name`` of a config field, for labelling a swept dimension.

    Parameters
    ----------
    path : str
        Dotted field path, as for :func:`field_metadata`.
    currency : str
        The tariff's currency, filled in for ``{currency}`` in the units.

    Returns
    -------
    dict
        ``{"units", "long_name"}``: the field's units and its label; a path that is not a
        numeric field gets ``{"long_name": path}``.
    """
    meta = field_metadata(path)
    if meta is None:
        return {"long_name": path}
    return {"units": meta["units"].replace("{currency}", currency), "long_name": meta["label"]}


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The config model in an annotation such as ``X``, ``X | None`` or ``tuple[X, ...]``."""
    if get_origin(annotation) is None and isinstance(annotation, type):
        return annotation if issubclass(annotation, BaseModel) else None
    return next(filter(None, map(_submodel, get_args(annotation))), None)


def _field_model(model: type[BaseModel] | None, key: Any) -> type[BaseModel] | None:
    """The config model of field ``key`` of ``model``, or None if there is none."""
    field = model.model_fields.get(key) if model and isinstance(key, str) else None
    return _submodel(field.annotation) if field else None


# --------------------------------------------------------------------------- errors

_DATE = "a date (YYYY-MM-DD)"
_DATETIME = "a date or date-time (YYYY-MM-DD[THH:MM[:SS]][+HH:MM])"
_EXPECTED = {
    "greater_than": "a number > {gt:g}",
    "greater_than_equal": "a number >= {ge:g}",
    "less_than": "a number < {lt:g}",
    "less_than_equal": "a number <= {le:g}",
    "finite_number": "a finite number",
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "string_too_short": "a string of at least {min_length} character(s)",
    "string_pattern_mismatch": "text matching {pattern}",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dict_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    **dict.fromkeys(
        ["date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"],
        _DATE,
    ),
    **dict.fromkeys(["datetime_type", "datetime_parsing", "datetime_from_date_parsing"], _DATETIME),
}


def _show(value: Any) -> str:
    """A short YAML-like rendering of an input value."""
    if value is None or isinstance(value, bool):
        text = {None: "null", True: "true", False: "false"}[value]
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _path(loc: Iterable[str | int], extra: str = "") -> str:
    """``('a', 'b', 0, 'c')`` -> ``'a.b[0].c'``, with ``extra`` appended the same way."""
    parts = [f"[{key}]" if isinstance(key, int) else f".{key}" for key in loc]
    if extra:
        parts.append(extra if extra.startswith("[") else f".{extra}")
    return "".join(parts).lstrip(".") or "(top level)"


def _unknown_key(model: type[BaseModel] | None, key: Any) -> str:
    """Say that ``key`` is not a field of ``model`` and suggest the nearest one."""
    names = [] if model is None else list(model.model_fields)
    close = difflib.get_close_matches(str(key), names, n=1)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    return f"unknown key; expected one of {', '.join(names)}"


def _model_at(loc: Iterable[str | int]) -> type[BaseModel] | None:
    """The config model found at ``loc`` from :class:`Scenario`; list indices and the keys
    of a mapping field (``scenario_sets.<name>``) skipped."""
    model: type[BaseModel] | None = Scenario
    keyed = False
    for key in loc:
        if isinstance(key, int) or keyed:
            keyed = False
            continue
        field = model.model_fields.get(key) if model and isinstance(key, str) else None
        keyed = field is not None and get_origin(field.annotation) is dict
        model = _field_model(model, key)
    return model


def _describe(error: ErrorDetails) -> str:
    """One ``field.path: ...`` line for one pydantic error."""
    loc, kind, ctx = error["loc"], error["type"], error.get("ctx", {})
    if kind == "extra_forbidden":
        return f"{_path(loc)}: {_unknown_key(_model_at(loc[:-1]), loc[-1])}"
    if kind == "missing":
        return f"{_path(loc)}: required field missing"
    if kind == "minecalc":
        return f"{_path(loc, ctx['field'])}: {error['msg']}"
    template = _EXPECTED.get(kind)
    expected = template.format(**ctx) if template else error["msg"].removeprefix("Input should be ")
    if tuple(loc) == ("start_date",) and expected == _DATE:
        expected += f" or {LATEST}"
    return f"{_path(loc)}: expected {expected}, got {_show(error['input'])}"


# --------------------------------------------------------------------------- loading


MAX_FILE_BYTES = 1_000_000
"""Largest scenario file (and file named by ``extends:``) read [bytes]: 1 MB."""
MAX_OVERRIDE_CHARS = 10_000
"""Longest ``--set`` value parsed [characters]."""
MAX_YAML_DEPTH = 50
"""Deepest nesting of mappings and lists in a YAML document."""
MAX_YAML_NODES = 100_000
"""Most nodes in a YAML document, counting every node reached through an alias."""
MAX_EXTENDS = 10
"""Longest ``extends:`` chain (files read for one scenario, the first one included)."""


class _YAMLLimit(Exception):
    """A YAML document beyond :data:`MAX_YAML_DEPTH` or :data:`MAX_YAML_NODES`."""


def _check_yaml_size(yaml: YAML, text: str) -> None:
    """Refuse YAML that nests too deep or expands too much through aliases.

    Runs over the parser's events (iterative, nothing built), counting each alias as the
    size of the node it repeats, so a "billion laughs" document stops at the cap
    instead of being expanded, and ``[[[[...`` stops at the depth cap instead of
    overflowing the recursive composer and constructor.
    """
    from ruamel.yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        ScalarEvent,
    )

    sizes: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, total when it opened)
    total = 0
    for event in yaml.parse(text):
        if isinstance(event, CollectionStartEvent):
            total += 1
            open_nodes.append((event.anchor, total))
            if len(open_nodes) > MAX_YAML_DEPTH:
                raise _YAMLLimit(f"expected nesting at most {MAX_YAML_DEPTH} levels deep, got more")
        elif isinstance(event, CollectionEndEvent):
            anchor, opened = open_nodes.pop()
            if anchor is not None:
                sizes[anchor] = total - opened + 1
        elif isinstance(event, ScalarEvent):
            total += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, AliasEvent):
            total += sizes.get(event.anchor, 1)
        if total > MAX_YAML_NODES:
            raise _YAMLLimit(
                f"expected at most {MAX_YAML_NODES:,} values (aliases expanded), got more"
            )


def _yaml_load(text: str) -> Any:
    """Parse YAML 1.2 text into plain Python objects, within the depth and size limits.

    Dates stay text here so that validation, which knows the field, parses them: an
    impossible date such as 2026-13-05 then names its field instead of failing inside
    the YAML reader. So does an integer too long for Python to convert.

    Raises
    ------
    YAMLError
        If the text is not YAML.
    _YAMLLimit
        If it nests deeper than :data:`MAX_YAML_DEPTH` or has more than
        :data:`MAX_YAML_NODES` values counting those repeated through aliases.
    """
    yaml = YAML(typ="safe", pure=True)
    _check_yaml_size(yaml, text)
    yaml = YAML(typ="safe", pure=True)
    constructor = yaml.constructor
    constructor.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
    )
    construct_int = type(constructor).construct_yaml_int

    def _int(loader, node):
        try:
            return construct_int(loader, node)
        except ValueError:  # more digits than int() converts: let validation name the field
            return loader.construct_scalar(node)

    constructor.add_constructor("tag:yaml.org,2002:int", _int)
    return yaml.load(text)


def _yaml_problem(err: YAMLError) -> str:
    """``invalid YAML at line L, column C: <problem>`` (1-based) for a YAML error."""
    mark = getattr(err, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"invalid YAML{where}: {getattr(err, 'problem', None) or err}"


def _merge(base: Mapping, top: Mapping, model: type[BaseModel] | None) -> dict:
    """Deep-merge ``top`` over ``base``; ``top`` replaces one-of mappings as a whole."""
    merged = dict(base)
    for key, value in top.items():
        sub = _field_model(model, key)
        old = merged.get(key)
        if (
            isinstance(value, Mapping)
            and isinstance(old, Mapping)
            and not (sub and issubclass(sub, _OneOf))
        ):
            merged[key] = _merge(old, value, sub)
        else:
            merged[key] = value
    return merged


_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _shown(path: Path | str) -> str:
    """A path as shown in an error line, control characters escaped."""
    return _printable(str(path))


def _read_text(path: Path) -> str:
    """The text of a regular UTF-8 file of at most :data:`MAX_FILE_BYTES`, read once.

    Anything else (a directory, a FIFO, a device, a socket) is refused by its kind before
    it is opened for reading; the file is opened without blocking and read with a limit,
    so a file that changes kind or grows after the check still cannot hang or flood.
    """
    name = _shown(path)
    try:
        kind = stat.S_IFMT(os.stat(path).st_mode)
    except FileNotFoundError:
        raise ConfigError([f"{name}: file not found"]) from None
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise ConfigError(
            [f"{name}: cannot read ({getattr(err, 'strerror', None) or err})"]
        ) from None
    if kind != stat.S_IFREG:
        got = _KINDS.get(kind, "not a regular file")
        raise ConfigError([f"{name}: expected a YAML file, got {got}"])
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise ConfigError([f"{name}: expected a YAML file, got not a regular file"])
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ConfigError([f"{name}: cannot read ({err.strerror})"]) from None
    return _decoded(raw, name)


def _decoded(raw: bytes, name: str) -> str:
    """A file's bytes as text: at most :data:`MAX_FILE_BYTES`, UTF-8."""
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            [f"{name}: expected a file of at most {MAX_FILE_BYTES:,} bytes (1 MB), got more"]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            [f"{name}: expected UTF-8 text, got byte 0x{raw[err.start]:02x} on line {line}"]
        ) from None


_TYPE_NAMES = {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}


def _read_mapping(path: Path) -> dict:
    """Read one YAML file whose top level is a mapping.

    Errors name the file and the line, never its content, so that pointing ``extends:``
    at a file that is not a scenario does not print what is in it.
    """
    return _parsed_mapping(_read_text(path), _shown(path))


def _parsed_mapping(text: str, name: str) -> dict:
    """The YAML ``text`` of the file ``name``, whose top level must be a mapping."""
    try:
        data = _yaml_load(text)
    except YAMLError as err:
        raise ConfigError([f"{name}: {_yaml_problem(err)}"]) from None
    except _YAMLLimit as err:
        raise ConfigError([f"{name}: {err}"]) from None
    if data is None:
        raise ConfigError([f"{name}: expected a mapping of settings, got an empty file"])
    if not isinstance(data, dict):
        got = _TYPE_NAMES.get(type(data), "something else")
        raise ConfigError([f"{name}: expected a mapping at the top level, got {got}"])
    return data


def _extends_target(path: Path, base: Any) -> Path:
    """The file that ``extends: base`` in ``path`` names, checked to stay in its folder."""
    name = _shown(path)
    if not isinstance(base, str) or not base:
        raise ConfigError([f"{name}: extends: expected a file path, got {_show(base)}"])
    if _printable(base) != base:
        raise ConfigError([f"{name}: extends: expected a file path, got {_show(base)}"])
    if Path(base).is_absolute():
        raise ConfigError(
            [f"{name}: extends: expected a path relative to this file's folder, got {base!r}"]
        )
    folder = path.parent
    base_path = folder / base
    if (
        not base_path.exists()
        and Path(base).name == base
        and base.removesuffix(".yaml") in (examples.names())
    ):  # a copy of an example (minecalc init --from) still finds the example it extends
        return examples.path(base)
    if not base_path.resolve().is_relative_to(folder.resolve()):
        raise ConfigError(
            [
                f"{name}: extends: expected a file in this file's folder or below, "
                f"got {base!r}, which leads outside it"
            ]
        )
    return base_path


def _read_scenario(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    """Read a scenario file, resolving ``extends`` (relative to the file) recursively.

    A file named by ``extends:`` must stay in the folder of the file that names it (or
    below it), or be a packaged example's name; chains hold at most :data:`MAX_EXTENDS`
    files; loops are errors.
    """
    chain = (*chain, path)
    data = _read_mapping(path)
    if len(chain) > 1:  # a base: refuse a file that is no scenario, naming no key of it
        strangers = set(data) - {"extends", *Scenario.model_fields}
        if strangers:
            raise ConfigError(
                [
                    f"{_shown(path)}: expected a scenario to extend, got a mapping with "
                    f"{len(strangers)} key(s) that are no scenario field"
                ]
            )
    base = data.pop("extends", None)
    if base is None:
        return data
    base_path = _extends_target(path, base)
    if base_path.resolve() in {p.resolve() for p in chain}:
        loop = " -> ".join(map(_shown, (*chain, base_path)))
        raise ConfigError([f"extends: expected no loop, got {loop}"])
    if len(chain) >= MAX_EXTENDS:
        raise ConfigError(
            [f"{_shown(path)}: extends: expected a chain of at most {MAX_EXTENDS} files, got more"]
        )
    return _merge(_read_scenario(base_path, chain), data, Scenario)


def _check_override_path(keys: list[str]) -> str | None:
    """A problem line if ``keys`` is not a path of config fields, else None."""
    model: type[BaseModel] | None = Scenario
    for depth, key in enumerate(keys):
        path, parent = ".".join(keys[: depth + 1]), ".".join(keys[:depth])
        if model is None:
            return f"{path}: unknown key; '{parent}' has no sub-keys"
        if key not in model.model_fields:
            return f"{path}: {_unknown_key(model, key)}"
        model = _field_model(model, key)
    return None


def _apply_overrides(data: Mapping, overrides: Iterable[str]) -> tuple[dict, list[str]]:
    """Apply ``"key.path=value"`` overrides to ``data`` (not modified); see :func:`load_config`.

    Returns the merged mapping and the problems of the overrides that could not be
    applied, so that validation can still report everything else at once.
    """
    merged, problems = dict(data), []
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"override: expected 'key.path=value', got {item!r}")
            continue
        keys = key.split(".")
        problem = _check_override_path(keys)
        if problem is None and len(raw) > MAX_OVERRIDE_CHARS:
            problem = (
                f"{key}: expected a value of at most {MAX_OVERRIDE_CHARS:,} characters, "
                f"got {len(raw):,}"
            )
            item = f"{key}=..."
        if problem is None:
            try:
                value = _yaml_load(raw)
            except YAMLError as err:
                problem = f"{key}: {_yaml_problem(err)}"
            except _YAMLLimit as err:
                problem = f"{key}: {err}"
        if problem:
            problems.append(f"{problem} (override {_show(item)})")
            continue
        for name in reversed(keys):
            value = {name: value}
        merged = _merge(merged, value, Scenario)
    return merged, problems


def config_from_dict(data: Mapping, overrides: Iterable[str] = ()) -> Scenario:
    """Validate a scenario given as a mapping.

    Parameters
    ----------
    data : Mapping
        The scenario, as it would be loaded from YAML (``extends`` is not resolved).
    overrides : iterable of str
        ``"key.path=value"`` settings applied first; see :func:`load_config`.

    Returns
    -------
    Scenario
        The validated, frozen scenario.

    Raises
    ------
    ConfigError
        With one line per problem, all problems at once.
    """
    if not isinstance(data, Mapping):
        raise ConfigError([f"(top level): expected a mapping, got {_show(data)}"])
    merged, problems = _apply_overrides(data, overrides)
    try:
        scenario = Scenario.model_validate(merged)
    except ValidationError as err:
        raise ConfigError([*problems, *map(_describe, err.errors(include_url=False))]) from err
    if problems:
        raise ConfigError(problems)
    return scenario


def config_from_text(
    raw: bytes, name: str = "upload.yaml", overrides: Iterable[str] = ()
) -> Scenario:
    """Validate a scenario given as the bytes of a YAML file that is not on disk (an upload).

    The same limits and rules as :func:`load_config` (size, UTF-8, YAML nesting and alias
    expansion, the schema), except that ``extends:`` may only name a packaged example: a
    file that came from elsewhere names no folder, so nothing is read from disk but the
    packaged examples.

    Parameters
    ----------
    raw : bytes
        The file's content.
    name : str
        What to call it in messages.
    overrides : iterable of str
        As for :func:`load_config`.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        One line per problem.
    """
    data = _parsed_mapping(_decoded(raw, name), name)
    base = data.pop("extends", None)
    if base is not None:
        stem = base.removesuffix(".yaml") if isinstance(base, str) else None
        if stem not in examples.names():
            raise ConfigError(
                [
                    f"{name}: extends: expected the name of a packaged example "
                    f"({', '.join(examples.names())}), got {_show(base)}"
                ]
            )
        data = _merge(_read_scenario(examples.path(stem)), data, Scenario)
    return config_from_dict(data, overrides)


def read_scenario(path: str | Path) -> dict:
    """The settings a scenario file holds, its ``extends:`` resolved, not yet validated.

    Parameters
    ----------
    path : str or path-like
        A scenario file, or a packaged example's name, as for :func:`load_config`.

    Returns
    -------
    dict
        What :func:`config_from_dict` validates.
    """
    return _read_scenario(examples.resolve(path))


def load_config(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path : str or path-like
        A UTF-8 YAML 1.2 file, or the name of a packaged example (``"pk2000mw"``,
        see :mod:`minecalc.examples`) where no such file exists. A top-level
        ``extends: other.yaml`` (relative to
        the file) deep-merges that file under this one; chains are allowed, loops
        are errors.
    overrides : iterable of str
        ``"key.path=value"`` settings applied after the file, in order, e.g.
        ``"site.capacity_mw=2500"`` or ``"network.hashrate_growth={per_year: 0.3}"``.
        The value is parsed as YAML 1.2. A mapping value is merged into the
        existing one, except for a one-of mapping (``network.hashrate_growth``),
        which is replaced: ``network.hashrate_growth.per_year=0.3`` works whichever
        growth key the file uses. Overrides are validated like the file.

    Returns
    -------
    Scenario
        The validated, frozen scenario.

    Raises
    ------
    ConfigError
        If the file cannot be read or parsed, an override names no config field,
        or the result is invalid; one line per problem.
    """
    return config_from_dict(read_scenario(path), overrides)
