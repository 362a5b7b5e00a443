"""The web page's logic without a browser: uploads, the controls' overrides, the YAML it
offers, and one session's page driven through its widgets (tests/test_app_browser.py drives
the same page in a real browser)."""

import pytest
from click.testing import CliRunner

from minecalc import examples
from minecalc.cli import main
from minecalc.config import ConfigError, config_from_dict, config_from_text, load_config

pn = pytest.importorskip("panel")

from minecalc.app import fields  # noqa: E402  (needs the app extra)
from minecalc.app.page import Page  # noqa: E402

BOMB = b"".join(  # each level ten aliases of the one before: 10**7 values once expanded
    [b"a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n".encode() for i in range(1, 7)]
)


def test_upload_extends_only_a_packaged_example():
    """An upload may build on a packaged example by name, never on a path of the server."""
    scenario = config_from_text(b"extends: pk2000mw\nsite:\n  capacity_mw: 100\n")
    assert scenario.site.capacity_mw == 100
    assert scenario.tariff == load_config("pk2000mw").tariff
    with pytest.raises(ConfigError, match="extends: expected the name of a packaged example"):
        config_from_text(b"extends: ../../etc/passwd\n")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"# padding\n" * 200_000, "expected a file of at most 1,000,000 bytes"),
        (BOMB, "expected at most 100,000 values (aliases expanded)"),
        (b"- a list\n", "expected a mapping at the top level, got a list"),
        (b"name: \xff\n", "expected UTF-8 text, got byte 0xff on line 1"),
    ],
)
def test_bad_uploads_are_refused_with_the_loaders_words(raw, message):
    """Uploads go through the command line's limits: size, alias expansion, shape, UTF-8."""
    with pytest.raises(ConfigError) as err:
        config_from_text(raw, name="up.yaml")
    assert str(err.value).startswith("up.yaml: ") and message in str(err.value)


def test_a_controls_message_is_the_command_lines():
    """A negative capacity set on the page gives the line ``minecalc run --set`` prints."""
    control = next(c for c in fields.CONTROLS if c.path == "site.capacity_mw")
    cli = CliRunner().invoke(main, ["run", "pk2000mw", "--set", "site.capacity_mw=-5"])
    assert cli.exit_code == 2
    with pytest.raises(ConfigError) as err:
        config_from_dict(
            load_config("pk2000mw").to_dict(),
            [fields.override(control.path, fields.value(control, -5.0, 1))],
        )
    assert cli.output.strip() == f"error: {err.value}"
    assert fields.owner(str(err.value)) is control


def test_percent_controls_set_the_fraction():
    """A growth shown as 30 % sets 0.3, and the one-of growth mapping is replaced whole."""
    growth = next(c for c in fields.CONTROLS if c.path == "network.hashrate_growth.per_year")
    text, scale = fields.label(growth, "PKR")
    assert scale == 100 and text.endswith("[%]")
    line = fields.override(growth.path, fields.value(growth, 30.0, scale))
    assert line == 'network.hashrate_growth={"per_year": 0.3}'
    scenario = config_from_dict(load_config("pk2000mw").to_dict(), [line])
    assert scenario.network.hashrate_growth.per_year == pytest.approx(0.3)


@pytest.fixture
def page():
    return Page("pk2000mw")


def _set(page, path, value):
    page.widgets[path].value = value


def test_page_starts_with_the_command_lines_figures(page):
    """The page's first run is ``minecalc run pk2000mw``'s."""
    from minecalc.model import run
    from minecalc.results import summary_dict

    cli = summary_dict(run(load_config("pk2000mw")))
    assert page.runs == 1
    assert page.summary["npv_usd"] == pytest.approx(cli["npv_usd"], rel=1e-12)
    assert f'data-value="{float(cli["btc_total"])!r}"' in page.figures.object


def test_a_dearer_tariff_lowers_npv_and_a_bad_value_is_shown_at_its_field(page):
    """Tariff up, NPV down; a negative capacity shows its message and the page goes on."""
    npv = page.summary["npv_usd"]
    _set(page, "tariff.energy_price_per_kwh", 30.0)
    assert page.runs == 2 and page.summary["npv_usd"] < npv
    _set(page, "site.capacity_mw", -5.0)
    assert page.runs == 2
    assert (
        "site.capacity_mw: expected a number &gt; 0, got -5"
        in page.errors["site.capacity_mw"].object
    )
    _set(page, "site.capacity_mw", 1000.0)
    assert page.runs == 3 and page.errors["site.capacity_mw"].object == ""


def test_the_pages_yaml_reproduces_its_numbers(page, tmp_path):
    """The YAML download names the example and carries the page's changes; ``minecalc run``
    on it gives the page's figures."""
    _set(page, "tariff.energy_price_per_kwh", 30.0)
    _set(page, "market.btc_price_growth_per_year", 20.0)
    text = page._yaml().getvalue()
    assert "extends: pk2000mw" in text and "energy_price_per_kwh: 30\n" in text
    (tmp_path / "page.yaml").write_text(text)
    cli = CliRunner().invoke(main, ["run", str(tmp_path / "page.yaml"), "--format", "json"])
    assert cli.exit_code == 0, cli.output
    import json

    assert json.loads(cli.output)["npv_usd"] == pytest.approx(page.summary["npv_usd"], rel=1e-12)


def test_a_long_horizon_is_refused_on_the_page(page):
    """The page bounds its work per change: at most 360 months."""
    _set(page, "horizon_months", 600)
    assert "horizon_months: expected at most 360 months" in page.errors["horizon_months"].object


def test_serve_names_a_bad_scenario_and_exits_2(tmp_path):
    """``minecalc serve`` checks its scenario before it listens."""
    result = CliRunner().invoke(main, ["serve", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and "file not found" in result.output


def test_a_scenario_with_options_shows_them_side_by_side_with_the_subsidy_test():
    """pk2000mw_options: the options table (``minecalc compare``'s) and the fiscal summary
    with its subsidy test; unticking options removes their columns."""
    page = Page("pk2000mw_options")
    assert page.options_section.visible
    assert (
        "NPV to the state" in page.options.object and "<th>sell power</th>" in page.options.object
    )
    assert "Subsidy test" in page.fiscal.object
    _set(page, "options.compare", ["buy_btc"])
    assert "<th>sell power</th>" not in page.options.object
    assert "<th>buy BTC</th>" in page.options.object


def test_a_scenario_without_options_has_no_options_control(page):
    """pk2000mw has no options block: no control for it, no options section."""
    assert "options.compare" not in page.widgets and not page.options_section.visible


def test_a_failure_is_shown_and_logged_and_the_page_goes_on(page, monkeypatch, caplog):
    """A bug in a run shows a message on the page and in the server's log; the next change
    works again."""
    import minecalc.app.page as module

    real = module.run

    def broken(scenario):
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "run", broken)
    with caplog.at_level("ERROR", logger="minecalc.app"):
        _set(page, "market.btc_price_usd", 90_000.0)
    assert "internal error: RuntimeError: boom" in page.problems.object
    assert "boom" in caplog.text
    monkeypatch.setattr(module, "run", real)
    _set(page, "market.btc_price_usd", 95_000.0)
    assert page.runs == 2 and page.problems.object == ""


def test_sessions_do_not_share_a_scenario():
    """Two sessions' pages: a change in one leaves the other as it was."""
    first, second = Page("pk2000mw"), Page("pk2000mw")
    npv = second.summary["npv_usd"]
    _set(first, "tariff.energy_price_per_kwh", 40.0)
    assert first.summary["npv_usd"] < npv
    assert second.summary["npv_usd"] == npv and second.changes() == {}


def test_serve_passes_where_to_listen(monkeypatch):
    """``serve``'s options reach the server: loopback by default, a proxy's origin and path
    (its slashes normalised), and the address printed is the page's."""

    seen = {}

    class Server:  # stands for Panel's: records nothing, serves nothing
        port = 5006
        start = staticmethod(lambda: None)
        io_loop = type("Loop", (), {"start": staticmethod(lambda: None)})

    monkeypatch.setattr(pn, "serve", lambda session, **kwargs: seen.update(kwargs) or Server)
    args = ["serve", "pk2000mw", "--prefix", "minecalc/", "--allow-origin", "models.example.org"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert seen["address"] == "127.0.0.1" and seen["prefix"] == "/minecalc"
    assert "models.example.org" in seen["websocket_origin"]
    assert "minecalc serve: http://127.0.0.1:5006/minecalc/" in result.output


def test_monte_carlo_is_cancelled_between_blocks(page):
    """Cancel stops Monte Carlo at its next block of paths, says so, and frees the button."""
    page.cancel.set()
    page._monte_carlo(page.current(), 20_000)  # two blocks: stopped after the first
    assert page.mc_result.object == "Cancelled."
    assert not page.mc_run.disabled and page.mc_cancel.disabled and page.mc_chart.object is None


def test_monte_carlo_shows_the_lenders_figures(page):
    """A small Monte Carlo: P(loss), and NPV's P90 (exceeded on 90 % of paths) below its
    P50, each tagged with its value."""
    import re

    page._monte_carlo(page.current(), 200)
    shown = dict(re.findall(r'data-name="(\w+)" data-value="([^"]*)"', page.mc_result.object))
    assert 0 <= float(shown["prob_npv_negative"]) <= 1
    assert float(shown["npv_p90_usd"]) <= float(shown["npv_p50_usd"])
    assert page.mc_chart.object is not None


@pytest.mark.parametrize("example", examples.names())
def test_every_packaged_example_opens_cleanly(example):
    """Each packaged scenario opens on the page with its figures and no problem shown."""
    page = Page(example)
    assert page.runs == 1 and page.problems.object == ""
    assert 'data-name="npv_usd"' in page.figures.object and page.verdict.object
