"""The web page (``minecalc serve``) in a real browser: headless chromium through its
chromedriver, against the server in a subprocess. What a user sees and gets (figures,
messages, downloads) is checked against the command line, which is the reference.

Skipped when chromium, chromedriver, selenium or panel are missing, unless
MINECALC_BROWSER_TESTS=required (CI), where that is a failure. Screenshots and the measured
latency go to $MINECALC_ARTIFACTS (default <repo>/artifacts).
"""

import csv
import json
import math
import time
from pathlib import Path

import browser
import pytest
from click.testing import CliRunner

from minecalc.cli import main
from minecalc.results import headline

MISSING = browser.missing_tools()
if MISSING and not browser.required():
    pytest.skip(MISSING, allow_module_level=True)

CONFIG = "pk2000mw"
TARIFF = "tariff.energy_price_per_kwh"
CAPACITY = "site.capacity_mw"
FIRST_LOAD = 90  # seconds: the page's first recompute in a fresh session, imports included
CHANGE = 10  # seconds: generous; the latency itself is recorded, not asserted (see below)
EXAMPLE = Path(__file__).parents[1] / "minecalc" / "data" / "examples" / "texas_100mw.yaml"


def cli(*args) -> str:
    """What ``minecalc *args`` prints (stdout and stderr), failing on a nonzero exit."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def cli_json(*args) -> dict:
    """``minecalc run *args --format json``, parsed."""
    return json.loads(cli("run", *args, "--format", "json"))


def cli_error(*args) -> str:
    """The message the command line gives for bad input: its line after ``error: ``."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 2, result.output
    lines = [x for x in result.output.splitlines() if x.startswith("error: ")]
    assert len(lines) == 1, result.output
    return lines[0].removeprefix("error: ")


@pytest.fixture(scope="module", autouse=True)
def tools():
    """Where the browser tests are required (CI), each fails when the tools are missing: a
    failure of its own, so the rest of the suite still runs."""
    if MISSING:
        pytest.fail(f"MINECALC_BROWSER_TESTS=required: {MISSING}", pytrace=False)


@pytest.fixture(scope="module")
def base() -> dict:
    return cli_json(CONFIG)


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> Path:
    """The server's output, shown when the page does not come up."""
    return tmp_path_factory.mktemp("serve") / "serve.log"


@pytest.fixture(scope="module")
def url(log):
    with browser.server(CONFIG, log) as address:
        yield address


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def chrome(tmp_path_factory, downloads):
    driver = browser.chrome(tmp_path_factory.mktemp("profile"), downloads)
    yield driver
    driver.quit()


@pytest.fixture
def page(chrome, url, log):
    """A fresh session of the page at the main window size, once it has computed."""
    chrome.set_window_size(*browser.MAIN_WINDOW)
    chrome.get(url)
    try:
        browser.wait_runs_above(chrome, 0, timeout=FIRST_LOAD)
    except pytest.fail.Exception as failed:
        pytest.fail(f"{failed}\nthe server said:\n{browser.tail(log)}", pytrace=False)
    return chrome


def value(driver, name: str) -> float:
    """A headline figure's value at full precision, as the page holds it."""
    data, _ = browser.figure(driver, name)
    assert data not in (None, ""), f"no {name} on the page"
    return float(data)


def set_field(driver, path: str, number: str) -> int:
    """Type ``number`` into a field and press Enter; the recompute count just before."""
    before = browser.runs(driver)
    browser.type_number(driver, browser.field_host(path), number)
    return before


def test_headline_matches_the_command_line(page, base):
    """The page's NPV and BTC mined are the CLI's numbers, at full precision in data-value,
    and shown as the package phrases them (results.headline), not formatted anew."""
    shown = headline(base)
    for name, key in (("npv_usd", "npv"), ("btc_total", "btc_total")):
        data, text = browser.figure(page, name)
        assert float(data) == pytest.approx(base[name], rel=1e-9), name
        assert text == shown[key].value, name


def test_screenshots(page):
    """The main view at 1400x1000 and at a phone's width, for a person to look at (CI keeps
    the artifacts folder): layout is judged by eye, not asserted."""
    folder = browser.artifacts()
    page.save_screenshot(str(folder / "app_main.png"))
    page.set_window_size(*browser.PHONE_WINDOW)
    browser.poll(
        lambda: page.execute_script("return window.innerWidth") <= browser.PHONE_WINDOW[0],
        10,
        "phone-width window",
    )
    page.save_screenshot(str(folder / "app_phone.png"))
    assert (folder / "app_main.png").stat().st_size > 0
    assert (folder / "app_phone.png").stat().st_size > 0


def test_a_tariff_change_recomputes(page, base):
    """A higher tariff (22.98 -> 30 PKR/kWh) shows the CLI's NPV for that tariff, lower
    than before, once the page has recomputed.

    The issue's 300 ms target is for the model, and speed is measured by the benchmarks, not
    by timed tests: the browser's wall time from Enter to the new figure is only recorded
    (artifacts/app_latency.txt), under a generous timeout.
    """
    before = browser.runs(page)
    start = browser.type_number(page, browser.field_host(TARIFF), "30")
    browser.wait_runs_above(page, before, timeout=CHANGE)
    latency = time.perf_counter() - start
    (browser.artifacts() / "app_latency.txt").write_text(
        f"tariff 22.98 -> 30 PKR/kWh, Enter to new NPV in the browser: {latency:.3f} s\n"
    )
    expected = cli_json(CONFIG, "--set", f"{TARIFF}=30")
    assert value(page, "npv_usd") == pytest.approx(expected["npv_usd"], rel=1e-9)
    assert value(page, "npv_usd") < base["npv_usd"]


def test_invalid_input_shows_the_command_lines_message_and_recovers(page, base):
    """A capacity of -5 MW is refused beside the field with the CLI's own message; 2000 MW
    again clears it and the page recomputes: one bad entry does not break the session."""
    message = cli_error("run", CONFIG, "--set", f"{CAPACITY}=-5")
    error = browser.error_host(CAPACITY)
    browser.wait_deep(page, error)
    assert browser.text_of(page, error) == ""
    browser.type_number(page, browser.field_host(CAPACITY), "-5")
    browser.poll(
        lambda: browser.text_of(page, error) == message,
        CHANGE,
        f"message {message!r}",
        detail=lambda: f"the page shows {browser.text_of(page, error)!r}",
    )

    before = set_field(page, CAPACITY, "2000")
    browser.wait_runs_above(page, before, timeout=CHANGE)
    browser.poll(lambda: browser.text_of(page, error) == "", CHANGE, "message cleared")
    assert value(page, "npv_usd") == pytest.approx(base["npv_usd"], rel=1e-9)


def test_the_yaml_download_reproduces_the_page(page, downloads):
    """The scenario downloaded after a tariff change, run by the CLI, gives the page's NPV
    and BTC mined: the file carries what the user changed, and nothing else differs."""
    before = set_field(page, TARIFF, "30")
    browser.wait_runs_above(page, before, timeout=CHANGE)
    saved = browser.download(page, ".mc-download-yaml", downloads, ".yaml")
    again = cli_json(str(saved))
    assert again["npv_usd"] == pytest.approx(value(page, "npv_usd"), rel=1e-9)
    assert again["btc_total"] == pytest.approx(value(page, "btc_total"), rel=1e-9)


def test_the_csv_download_is_the_monthly_table(page, downloads):
    """The CSV download is a table with a header row of names, and rows below it."""
    saved = browser.download(page, ".mc-download-csv", downloads, ".csv")
    rows = list(csv.reader(saved.read_text().splitlines()))
    assert len(rows) > 1
    header = rows[0]
    assert len(header) > 1
    for name in header:
        with pytest.raises(ValueError):
            float(name)


def test_the_netcdf_download_holds_the_run(page, downloads):
    """The netCDF download opens with xarray and holds the page's NPV."""
    import xarray as xr

    saved = browser.download(page, ".mc-download-netcdf", downloads, ".nc")
    with xr.open_dataset(saved) as ds:
        assert "npv_usd" in ds
        assert float(ds["npv_usd"]) == pytest.approx(value(page, "npv_usd"), rel=1e-9)


def test_the_pdf_download_is_a_pdf(page, downloads):
    """The report downloads as a PDF (drawing it takes a few seconds)."""
    saved = browser.download(page, ".mc-download-pdf", downloads, ".pdf", timeout=120)
    assert saved.read_bytes().startswith(b"%PDF")


def test_monte_carlo(page):
    """Monte Carlo over 2000 paths from the page: a probability of loss in [0, 1] shown as a
    percentage, and NPV percentiles by the lender's convention (P90 is the value exceeded
    with 90 % probability, so P90 <= P50)."""
    browser.type_number(page, ".mc-mc-paths", "2000")
    browser.wait_deep(page, ".mc-mc-cancel")
    browser.click_button(page, ".mc-mc-run")
    browser.wait_deep(page, ".mc-mc-progress")
    browser.poll(lambda: browser.figure(page, "prob_npv_negative")[0], 120, "Monte Carlo result")
    data, text = browser.figure(page, "prob_npv_negative")
    assert 0 <= float(data) <= 1
    assert "%" in text
    assert value(page, "npv_p90_usd") <= value(page, "npv_p50_usd")


def upload(driver, path: Path) -> str:
    """Upload a file through the page's file input; the message it then shows."""
    host = browser.wait_deep(driver, ".mc-upload")
    chooser = browser.wait_deep(driver, 'input[type="file"]', host=host)
    browser.wait_deep(driver, ".mc-upload-message")
    old = browser.text_of(driver, ".mc-upload-message")
    chooser.send_keys(str(path.resolve()))
    return browser.poll(
        lambda: (now := browser.text_of(driver, ".mc-upload-message")) != old and now,
        CHANGE,
        f"message for the upload of {path.name}",
        detail=lambda: browser.console(driver),
    )


def test_an_oversized_upload_is_refused(page, tmp_path):
    """A 2 MB file (of comments, twice the limit) is refused with the size limit's message,
    and the session survives it: the headline stays and a later change still recomputes."""
    big = tmp_path / "big.yaml"
    big.write_text(("# " + "x" * 97 + "\n") * 20_000)
    npv = value(page, "npv_usd")
    message = upload(page, big)
    assert "expected" in message
    assert "bytes" in message
    assert value(page, "npv_usd") == npv
    before = set_field(page, TARIFF, "30")
    browser.wait_runs_above(page, before, timeout=CHANGE)


def test_an_alias_bomb_upload_is_refused(page, tmp_path):
    """A YAML "billion laughs" (10 levels of 10 aliases: 10^10 values expanded) is refused
    by the count of values, without expanding it, and the page still works."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    message = upload(page, bomb)
    assert "expected at most" in message
    before = set_field(page, TARIFF, "30")
    browser.wait_runs_above(page, before, timeout=CHANGE)


def test_a_valid_upload_replaces_the_scenario(page, tmp_path):
    """Uploading the Texas example makes the page that scenario: its name shows and the
    headline is the CLI's for that file."""
    texas = tmp_path / "texas.yaml"
    texas.write_text(EXAMPLE.read_text())
    expected = cli_json(str(texas))
    upload(page, texas)

    def shown() -> dict:
        return {
            "name": expected["name"] in browser.text(page),
            **{key: browser.figure(page, key)[0] for key in ("npv_usd", "btc_total")},
        }

    def same(now: dict) -> bool:
        return now["name"] and all(
            now[key] and math.isclose(float(now[key]), expected[key], rel_tol=1e-9)
            for key in ("npv_usd", "btc_total")
        )

    # the page may recompute more than once on the way (the controls are rebuilt for the
    # new scenario): what counts is where it settles
    browser.poll(
        lambda: same(shown()),
        CHANGE,
        f"{expected['name']} with NPV {expected['npv_usd']!r}, BTC {expected['btc_total']!r}",
        detail=lambda: f"the page has {shown()}\n{browser.console(page)}",
    )
