"""The example notebooks (issues 6 and 14): the expected five, stored without outputs, each
running top to bottom in a fresh kernel against the package in this checkout."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = [
    "01_quickstart.ipynb",
    "02_sensitivity.ipynb",
    "03_risk.ipynb",
    "04_network_impact.ipynb",
    "05_state_options.ipynb",
]

# Appended to the notebook in memory: which minecalc did the kernel import?
WHICH = "import pathlib, minecalc; print(pathlib.Path(minecalc.__file__).resolve().parent)"


def read(name):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def test_the_expected_notebooks():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_stored_without_outputs(name):
    nb = read(name)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    assert [cell.outputs for cell in code] == [[]] * len(code)
    assert [cell.execution_count for cell in code] == [None] * len(code)
    assert all(cell.metadata == {} for cell in nb.cells)
    assert nb.metadata.kernelspec.name == "python3"
    assert set(nb.metadata) <= {"kernelspec", "language_info"}


@pytest.mark.parametrize("name", EXPECTED)
def test_runs_top_to_bottom(name, monkeypatch):
    # The kernel is a subprocess: it finds this checkout's package through PYTHONPATH,
    # and draws without a display (the notebooks switch to the inline backend themselves).
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = read(name)
    nb.cells.append(nbformat.v4.new_code_cell(WHICH))
    # Raises CellExecutionError, with the cell and its traceback, if any cell fails.
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()

    assert nb.cells[-1].outputs[0].text.strip() == str(ROOT.resolve() / "minecalc")
    stderr = [
        out.text
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("name") == "stderr"
    ]
    assert stderr == [], "a notebook should run without warnings"
    figures = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]
    assert figures, "each notebook shows figures"
