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
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

__all__ = [
    "ConfigError",
    "Fleet",
    "HashrateGrowth",
    "Market",
    "Network",
    "PathPoint",
    "Scenario",
    "Site",
    "config_from_dict",
    "load_config",
]


class ConfigError(ValueError):
    """A scenario that cannot be read or is invalid.

    Parameters
    ----------
    problems : iterable of str
        One line per problem, ``field.path: expected <what>, got <value>`` where a
        field is concerned; ``str(err)`` joins them with newlines.
    """

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


def _problem(expected: str, got: str, field: str = "") -> PydanticCustomError:
    """A validation error ``expected <expected>, got <got>``, optionally ``field`` deeper."""
    return PydanticCustomError(
        "minecalc",
        "expected {expected}, got {got}",
        {"expected": expected, "got": got, "field": field},
    )


# --------------------------------------------------------------------------- schema


class _Model(BaseModel):
    """Base of all config models: unknown keys forbidden, frozen, finite numbers only.

    Numbers given for a string field (``name: 2026``) are taken as text.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, coerce_numbers_to_str=True
    )


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


class PathPoint(_Model):
    """One point of a hashrate path."""

    date: dt.date = Field(description="Date of the point [YYYY-MM-DD, UTC].")
    hashrate_eh_s: float = Field(
        gt=0, description="Hashrate of the rest of the network on that date [EH/s]."
    )


class HashrateGrowth(_OneOf):
    """Growth of the rest of the network's hashrate; exactly one field is set."""

    per_epoch: float | None = Field(
        None, gt=-1, description="Growth per nominal epoch of 2016 * 600 s [fraction]."
    )
    per_month: float | None = Field(
        None, gt=-1, description="Growth per month, a month being 1/12 year [fraction]."
    )
    per_year: float | None = Field(
        None, gt=-1, description="Growth per year of 365.2425 days [fraction]."
    )
    path: tuple[PathPoint, ...] | None = Field(
        None, description="Hashrate at one or more dates, strictly increasing [-]."
    )
    trend_epochs: int | None = Field(
        None,
        ge=2,
        description="Fit the trend over the last N epochs of the packaged history [epochs].",
    )

    @field_validator("path")
    @classmethod
    def _points_in_order(cls, path):
        # checked here, not with min_length, which pydantic also reports on a tuple
        # whose only item is invalid
        if path == ():
            raise _problem("at least one point", "[]")
        for i, (before, point) in enumerate(pairwise(path or ()), start=1):
            if point.date <= before.date:
                raise _problem(f"a date after {before.date}", str(point.date), field=f"[{i}].date")
        return path


class Network(_Model):
    """The Bitcoin network at the start date and its growth."""

    height: int = Field(ge=0, description="Chain tip height at start_date [blocks].")
    difficulty: float = Field(ge=1, description="Difficulty of the current epoch [-].")
    epoch_start_date: dt.datetime | None = Field(
        None,
        description=(
            "When the current epoch's first block was mined, not after start_date; "
            "a naive date-time is UTC; null = assume 600 s per block since then [UTC]."
        ),
    )
    hashrate_eh_s: float | None = Field(
        None,
        gt=0,
        description="Hashrate of the rest of the network at start; null = implied by "
        "difficulty [EH/s].",
    )
    fees_btc_per_block: float = Field(0.03, ge=0, description="Fees per block [BTC/block].")
    hashrate_growth: HashrateGrowth = Field(
        description="Growth of the rest of the network's hashrate [-]."
    )
    include_fleet_in_network: bool = Field(
        True,
        description="Add the fleet's hashrate to the network's (self-dilution); "
        "false = price-taker view [-].",
    )

    @field_validator("epoch_start_date")
    @classmethod
    def _as_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Site(_Model):
    """The power site."""

    capacity_mw: float = Field(gt=0, description="Grid capacity of the site [MW].")
    mining_share: float = Field(
        1.0, gt=0, le=1, description="Share of capacity given to mining [fraction]."
    )
    pue: float = Field(
        1.10, ge=1, le=3, description="Power usage effectiveness, site power / IT power [-]."
    )


class Fleet(_Model):
    """The mining hardware."""

    efficiency_j_per_th: float = Field(gt=0, description="Energy per terahash [J/TH].")


class Market(_Model):
    """Market prices."""

    btc_price_usd: float = Field(gt=0, description="Bitcoin price [USD].")


class Scenario(_Model):
    """A complete scenario: the top level of a config file."""

    name: str = Field(min_length=1, description="Name of the scenario [-].")
    description: str = Field("", description="Free text [-].")
    start_date: dt.date = Field(description="First day of the run, UTC midnight [YYYY-MM-DD].")
    horizon_months: int = Field(ge=1, le=600, description="Length of the run [months].")
    network: Network = Field(description="The Bitcoin network [-].")
    site: Site = Field(description="The power site [-].")
    fleet: Fleet = Field(description="The mining hardware [-].")
    market: Market = Field(description="Market prices [-].")

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

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a JSON-serialisable dict.

        Returns
        -------
        dict
            Plain types only; dates as ISO strings, null fields left out. Passing it
            to :func:`config_from_dict` gives back an equal scenario.
        """
        return self.model_dump(mode="json", exclude_none=True)


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


def _unknown_key(model: type[BaseModel], key: Any) -> str:
    """Say that ``key`` is not a field of ``model`` and suggest the nearest one."""
    names = list(model.model_fields)
    close = difflib.get_close_matches(str(key), names, n=1)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    return f"unknown key; expected one of {', '.join(names)}"


def _model_at(loc: Iterable[str | int]) -> type[BaseModel] | None:
    """The config model found at ``loc`` from :class:`Scenario`; list indices skipped."""
    model = Scenario
    for key in loc:
        if not isinstance(key, int):
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
    return f"{_path(loc)}: expected {expected}, got {_show(error['input'])}"


# --------------------------------------------------------------------------- loading


def _yaml_load(text: str) -> Any:
    """Parse YAML 1.2 text into plain Python objects."""
    return YAML(typ="safe", pure=True).load(text)


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
        if isinstance(value, Mapping) and isinstance(old, Mapping) and not (
            sub and issubclass(sub, _OneOf)
        ):
            merged[key] = _merge(old, value, sub)
        else:
            merged[key] = value
    return merged


def _read_mapping(path: Path) -> dict:
    """Read one YAML file whose top level is a mapping."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: expected a YAML file, got a directory"]) from None
    except OSError as err:
        raise ConfigError([f"{path}: cannot read ({err.strerror})"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            [f"{path}: expected UTF-8 text, got byte 0x{raw[err.start]:02x} on line {line}"]
        ) from None
    try:
        data = _yaml_load(text)
    except YAMLError as err:
        raise ConfigError([f"{path}: {_yaml_problem(err)}"]) from None
    if data is None:
        raise ConfigError([f"{path}: expected a mapping of settings, got an empty file"])
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping at the top level, got {_show(data)}"])
    return data


def _read_scenario(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    """Read a scenario file, resolving ``extends`` (relative to the file) recursively."""
    chain = (*chain, path)
    data = _read_mapping(path)
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str) or not base:
        raise ConfigError([f"{path}: extends: expected a file path, got {_show(base)}"])
    base_path = path.parent / base
    if base_path.resolve() in {p.resolve() for p in chain}:
        loop = " -> ".join(map(str, (*chain, base_path)))
        raise ConfigError([f"extends: expected no loop, got {loop}"])
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


def _apply_overrides(data: Mapping, overrides: Iterable[str]) -> dict:
    """Apply ``"key.path=value"`` overrides to ``data`` (not modified); see :func:`load_config`."""
    merged, problems = dict(data), []
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"override: expected 'key.path=value', got {item!r}")
            continue
        keys = key.split(".")
        problem = _check_override_path(keys)
        if problem is None:
            try:
                value = _yaml_load(raw)
            except YAMLError as err:
                problem = f"{key}: {_yaml_problem(err)}"
        if problem:
            problems.append(f"{problem} (override {item!r})")
            continue
        for name in reversed(keys):
            value = {name: value}
        merged = _merge(merged, value, Scenario)
    if problems:
        raise ConfigError(problems)
    return merged


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
    try:
        return Scenario.model_validate(_apply_overrides(data, overrides))
    except ValidationError as err:
        raise ConfigError(map(_describe, err.errors(include_url=False))) from err


def load_config(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path : str or path-like
        A UTF-8 YAML 1.2 file. A top-level ``extends: other.yaml`` (relative to
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
    return config_from_dict(_read_scenario(Path(path)), overrides)
