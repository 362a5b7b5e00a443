"""The page's controls: which scenario fields they set, how a control's value becomes the
command line's ``--set`` override, and which control a validation message belongs to.

The page validates exactly as ``minecalc run FILE --set FIELD=VALUE`` does (the same
overrides through :func:`minecalc.config.config_from_dict`), so its messages are the CLI's,
word for word; and the YAML it offers is the scenario plus those overrides.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML

from .. import __version__
from ..config import Scenario
from ..plotting import field_label


@dataclass(frozen=True)
class Control:
    """A scenario field the page shows as a control."""

    path: str
    """The field, as ``--set`` names it."""
    kind: str
    """``number``, ``integer``, ``text``, ``choice``, ``flag``, ``machine`` (one machine of
    the catalogue) or ``options`` (the state's options besides idle; only for a scenario
    with an options block)."""
    group: str
    """The heading the control sits under."""
    label: str = ""
    """Its label where the schema gives none."""
    choices: tuple[str, ...] = ()

    @property
    def css(self) -> str:
        """The control's name in the page (a CSS class: dots are not allowed)."""
        return self.path.replace(".", "--")


CONTROLS = (
    Control("site.capacity_mw", "number", "Plant"),
    Control("fleet.machines", "machine", "Plant", "Machine"),
    Control("site.pue", "number", "Plant"),
    Control("tariff.currency", "text", "Power", "Tariff currency"),
    Control("tariff.usd_fx_rate", "number", "Power"),
    Control("tariff.energy_price_per_kwh", "number", "Power"),
    Control("tariff.dispatch", "choice", "Power", "Dispatch", ("always", "economic")),
    Control("market.btc_price_usd", "number", "Market"),
    Control("market.btc_price_growth_per_year", "number", "Market"),
    Control("network.fees_btc_per_block", "number", "Market"),
    Control("network.hashrate_growth.per_year", "number", "Network"),
    Control(
        "network.include_fleet_in_network",
        "flag",
        "Network",
        "Self-dilution: the fleet raises the difficulty it mines at",
    ),
    Control("horizon_months", "integer", "Plan"),
    Control("finance.btc_held_fraction", "number", "Plan"),
    Control("options.compare", "options", "The state's options", "Options to compare"),
)
"""The controls, in the order the page shows them."""

MAX_HORIZON_MONTHS = 360
"""The longest run the page computes [months]: its work per change is bounded (longer runs
go through ``minecalc run``)."""


def label(control: Control, currency: str) -> tuple[str, float]:
    """A control's label with its units, and the scale from the field's value to the shown
    one (100 for a fraction shown in %)."""
    text, units, scale = field_label(control.path, currency)
    text = control.label or text
    return (f"{text} [{units}]" if units and units != "1" else text), scale


def shown(scenario: Scenario, control: Control, scale: float) -> Any:
    """What a control shows for the scenario: its field's value (times ``scale``), or None
    where the field is set another way (a growth path, a fleet given by its efficiency)."""
    if control.kind == "options":
        assert scenario.options is not None
        return [k for k in scenario.options.kinds if k != "idle"]
    data: Any = scenario.to_dict()
    for key in control.path.split("."):
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    if control.kind == "machine":
        return data[0]["model"] if len(data) == 1 else None
    return data * scale if isinstance(data, float) and scale != 1.0 else data


def applies(scenario: Scenario, control: Control) -> bool:
    """Whether the scenario has the control's field."""
    return control.kind != "options" or scenario.options is not None


def value(control: Control, shown: Any, scale: float) -> Any:
    """The field's value for a control's shown one: a fraction for a percentage, the fleet
    of one catalogue machine, a whole number as typed ("-5", not "-5.0")."""
    if control.kind == "machine":
        return [{"model": shown, "share": 1.0}]
    if control.kind == "number" and isinstance(shown, int | float) and scale != 1.0:
        shown = shown / scale
    if isinstance(shown, float) and shown.is_integer():
        return int(shown)
    return shown


def override(path: str, value: Any) -> str:
    """The ``--set`` override giving a field a value (JSON, which the CLI parses as YAML)."""
    if path == "network.hashrate_growth.per_year":  # a one-of mapping: replaced whole
        return f"network.hashrate_growth={json.dumps({'per_year': value})}"
    return f"{path}={json.dumps(value)}"


def owner(line: str, controls: Iterable[Control] = CONTROLS) -> Control | None:
    """The control a problem line of :class:`~minecalc.config.ConfigError` is about."""
    field = line.split(":", 1)[0]
    for control in controls:
        if field == control.path or field.startswith(control.path + "."):
            return control
        if control.path.startswith(field + ".") and "hashrate_growth" in field:
            return control
    return None


def scenario_yaml(example: str | None, changes: Mapping[str, Any], scenario: Scenario) -> str:
    """The page's scenario as a YAML file ``minecalc run`` reproduces it from.

    A packaged example is named by ``extends:`` with the page's changes below it, so the
    file shows what changed; an uploaded scenario is written whole.
    """
    yaml = YAML()
    yaml.default_flow_style = False
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = f"# Written by minecalc {__version__} serve on {stamp}.\n# Run it: minecalc run "
    if example is not None:
        data: dict[str, Any] = {"extends": example}
        for path, value in changes.items():
            _nest(data, path.split("."), value)
        head += f"this.yaml (the packaged example {example} with the page's changes)\n"
    else:
        data = scenario.to_dict()
        head += "this.yaml\n"
    text = io.StringIO()
    yaml.dump(data, text)
    return head + text.getvalue()


def _nest(data: dict, keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = value
