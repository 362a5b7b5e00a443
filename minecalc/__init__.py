"""minecalc: Bitcoin mining planning at national energy scale.

The Python API mirrors the command line::

    import minecalc
    scenario = minecalc.load_config("pk2000mw", overrides=["site.pue=1.05"])
    ds = minecalc.run(scenario)          # an xarray.Dataset

Submodules load on first use, so that ``import minecalc`` (and the command line's
start-up) does not pay for numpy, pandas, xarray and scipy before they are needed.
"""

__version__ = "0.1.0"

__all__ = ["ConfigError", "Scenario", "__version__", "config_from_dict", "load_config", "run"]

_FROM = {
    "ConfigError": "config",
    "Scenario": "config",
    "config_from_dict": "config",
    "load_config": "config",
    "run": "model",
}


def __getattr__(name):
    if name in _FROM:
        import importlib

        return getattr(importlib.import_module(f".{_FROM[name]}", __name__), name)
    raise AttributeError(f"module 'minecalc' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_FROM])
