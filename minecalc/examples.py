"""The example scenarios shipped inside the package, found by name from any folder.

``minecalc run pk2000mw`` runs ``minecalc/data/examples/pk2000mw.yaml``; a path that
exists always wins over a name, so ``minecalc run my.yaml`` is never shadowed.
"""

from __future__ import annotations

import difflib
from importlib.resources import files
from pathlib import Path

from .errors import InputError


def folder() -> Path:
    """The folder of the packaged example scenarios."""
    return Path(str(files("minecalc").joinpath("data/examples")))


def names() -> list[str]:
    """Names of the packaged example scenarios, sorted."""
    return sorted(p.stem for p in folder().glob("*.yaml"))


def summary(name: str) -> str:
    """The first comment line of an example: what it is, in one line."""
    for line in path(name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def path(name: str) -> Path:
    """The file of the packaged example ``name`` (with or without ``.yaml``).

    Raises
    ------
    InputError
        If there is no such example; the message lists close names.
    """
    stem = name.removesuffix(".yaml")
    candidate = folder() / f"{stem}.yaml"
    if stem in names():
        return candidate
    close = difflib.get_close_matches(stem, names(), n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise InputError(
        f"{name}: expected a scenario file or a packaged example "
        f"({', '.join(names())}), got neither{hint}"
    )


def resolve(config: str | Path) -> Path:
    """A scenario argument as a path: an existing file as given, else a packaged example.

    A name with no folder part and no existing file is looked up among the examples;
    anything else is returned unchanged, so that reading it reports the missing file.
    """
    given = Path(config)
    if given.exists() or len(given.parts) != 1 or given.suffix not in ("", ".yaml"):
        return given
    return path(given.name)
