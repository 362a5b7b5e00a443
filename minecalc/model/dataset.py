"""Labelling: the stages' arrays as an ``xarray.Dataset``, every variable from the registry."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from .. import __version__
from ..protocol import HASHES_PER_DIFFICULTY
from . import variables
from .inputs import Inputs
from .timeline import Timeline

if TYPE_CHECKING:
    import numpy.typing as npt


def _variable(name: str, data: npt.ArrayLike, inputs: Inputs, currency: str) -> xr.Variable:
    """A registry variable over the scenario dimensions it varies along, then its own.

    ``data`` has either every scenario axis or none (a calendar quantity). Scenario axes
    on which it has size 1 but the scenario does not (it does not vary along them) are
    dropped rather than stored repeated.
    """
    var = variables.VARIABLES[name]
    attrs = variables.attrs(name, currency)
    data = np.asarray(data)
    if data.ndim == len(var.dims):
        return xr.Variable(var.dims, data, attrs=attrs)
    lead = list(inputs.sizes.items())
    keep = [i for i, (_, n) in enumerate(lead) if data.shape[i] == n]
    data = data[tuple(slice(None) if i in keep else 0 for i in range(len(lead)))]
    return xr.Variable((*(lead[i][0] for i in keep), *var.dims), data, attrs=attrs)


def time_converter(timeline: Timeline) -> Callable[[np.ndarray], np.ndarray]:
    """Seconds from the start -> UTC datetimes (NaT where NaN)."""
    start_ns = np.datetime64(timeline.edges[0].to_datetime64(), "ns")

    def to_time(seconds: np.ndarray) -> np.ndarray:
        exact = start_ns + np.round(np.nan_to_num(seconds, nan=0) * 1e9).astype("timedelta64[ns]")
        return np.where(np.isnan(seconds), np.datetime64("NaT"), exact)

    return to_time


def build(
    *,
    inputs: Inputs,
    timeline: Timeline,
    groups: dict[str, dict[str, Any]],
    coords: dict[str, Any],
) -> xr.Dataset:
    """The Dataset of a run.

    Parameters
    ----------
    inputs, timeline
        The run's first stages (scenario dimensions, coordinates, the scenario).
    groups : dict of str to dict of str to array
        Registry group -> variable name -> data (scenario axes, then the variable's own).
    coords : dict of str to array
        Registry coordinates (``time``, ``epoch_start_height`` ...) -> values.
    """
    scenario = inputs.scenario
    currency = scenario.tariff.currency
    data = {}
    for group, arrays in groups.items():
        unknown = set(arrays) - set(variables.names(group))
        if unknown:  # a stage and the registry disagree: a bug, not bad input
            raise RuntimeError(f"variables {sorted(unknown)} are not in group {group!r}")
        data.update({name: _variable(name, x, inputs, currency) for name, x in arrays.items()})
    labelled = {name: _variable(name, x, inputs, currency) for name, x in coords.items()}
    ds = xr.Dataset(data, coords={**labelled, **inputs.coords})
    ds.attrs.update(
        title=scenario.name,
        tariff_currency=currency,
        minecalc_version=__version__,
        scenario=json.dumps(scenario.to_dict()),
        hashes_per_difficulty=HASHES_PER_DIFFICULTY,
        conventions="monthly periods start at start_date + k months; expected values of a "
        "Poisson block process; 2**48/0xffff hashes per unit of difficulty",
    )
    return ds
