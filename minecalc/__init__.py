"""minecalc: Bitcoin mining planning at national energy scale.

The Python API mirrors the command line::

    import minecalc
    scenario = minecalc.load_config("configs/pk2000mw.yaml", overrides=["site.pue=1.05"])
    ds = minecalc.run(scenario)          # an xarray.Dataset
"""

__version__ = "0.1.0"

from .config import ConfigError, Scenario, config_from_dict, load_config  # noqa: E402
from .model import run  # noqa: E402

__all__ = ["ConfigError", "Scenario", "__version__", "config_from_dict", "load_config", "run"]
