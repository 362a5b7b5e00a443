"""The model: a validated scenario (plus scenario dimensions) -> a labelled Dataset.

The only layer that knows both the config objects and xarray. :func:`run` is a pipeline
of small stages, each a function with keyword-only arguments and a small frozen result:

1. :mod:`.inputs`: the parameters and monthly paths as arrays on shared dimensions;
2. :mod:`.timeline`: the monthly periods;
3. :mod:`.fleet`: megawatts -> machines in service -> hashrate available;
4. :mod:`.prices`: BTC price, exchange rate, hourly tariff in USD, fees;
5. :mod:`.network`: the chain runs, with dispatch and the other miners' response;
6. :mod:`.money`: energy bill, capital, cash flows, valuation (:mod:`.breakevens` for
   economic dispatch);
7. :mod:`.outputs` and :mod:`.dataset`: the registry's groups (:mod:`.variables`) as a
   Dataset.
"""

from .inputs import PARAMETERS, PATHS, base_parameters, growth, growth_per_year
from .run import DETAIL, run
from .timeline import month_edges

__all__ = [
    "DETAIL",
    "PARAMETERS",
    "PATHS",
    "base_parameters",
    "growth",
    "growth_per_year",
    "month_edges",
    "run",
]
