"""The library's own error types: each names what the user gave and what was expected.

The command line maps them to one-line messages and exit code 2; any other exception
is a bug in minecalc (exit 1).
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input: a field, an option or an argument with a value it cannot take.

    Parameters
    ----------
    message : str
        ``name: expected <what>, got <value>``.
    option : str, optional
        The function parameter the message starts with (``scheduler``, ``out`` ...), so
        that the command line can name its own option (``--scheduler``) instead.
    """

    def __init__(self, message: str, option: str | None = None):
        super().__init__(message)
        self.option = option


class OutputExistsError(InputError):
    """Outputs that already exist and would be replaced without being asked (``force``)."""

    def __init__(self, paths):
        self.paths = [Path(p) for p in paths]
        shown = ", ".join(p.name for p in self.paths[:3])
        more = f" and {len(self.paths) - 3} more" if len(self.paths) > 3 else ""
        super().__init__(
            f"out: expected new files in {self.paths[0].parent} (force=True "
            f"replaces them), got existing {shown}{more}",
            option="out",
        )


class MissingExtraError(InputError):
    """A feature that needs an optional dependency group (an extra) not installed."""

    def __init__(self, feature: str, extra: str, module: str):
        super().__init__(
            f"{feature}: expected the '{extra}' extra (it needs {module}), got it "
            f"not installed; install it with: python3 -m pip install "
            f'"minecalc[{extra}]"',
            option=feature,
        )
        self.extra = extra
        self.module = module


def require(module: str, *, extra: str, feature: str):
    """Import ``module``, or raise :class:`MissingExtraError` naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(feature, extra, module) from None
