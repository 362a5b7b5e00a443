"""The library's own error types: each names what the user gave and what was expected.

The command line maps them to one-line messages and exit code 2; any other exception
is a bug in minecalc (exit 1).
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: a field, an option or an argument with a value it cannot take."""


class OutputExistsError(InputError):
    """An output that already exists and would be replaced without being asked."""

    def __init__(self, message: str, paths=()):
        super().__init__(message)
        self.paths = list(paths)


class MissingExtraError(InputError):
    """A feature that needs an optional dependency group (an extra) not installed."""

    def __init__(self, feature: str, extra: str, module: str):
        super().__init__(f"{feature}: expected the '{extra}' extra (it needs {module}), got it "
                         f"not installed; install it with: python3 -m pip install "
                         f"\"minecalc[{extra}]\"")
        self.extra = extra
        self.module = module


def require(module: str, *, extra: str, feature: str):
    """Import ``module``, or raise :class:`MissingExtraError` naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(feature, extra, module) from None
