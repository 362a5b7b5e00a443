"""Driving ``minecalc serve`` in a real browser, for the web page's tests: the server in a
subprocess, Debian's chromium through its chromedriver, and queries that see through the
shadow DOM Panel renders every component into."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromedriver")
# a fresh headless profile that talks to nothing but the page under test
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
MAIN_WINDOW = (1400, 1000)
PHONE_WINDOW = (390, 844)

# Two functions for the scripts below: find(sel, root), the first element matching a CSS
# selector, looking inside every shadow root; shows(node), the text a node shows, its shadow
# root's included, without the stylesheets Panel puts into each shadow root.
JS = """
function find(sel, root) {
  const hit = root.querySelector(sel); if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const r = find(sel, el.shadowRoot); if (r) return r; }
  }
  return null;
}
const skip = new Set(['STYLE', 'SCRIPT', 'LINK', 'TEMPLATE']);
function text(n) {
  if (n.nodeType === 3) return n.data;
  if (n.nodeType !== 1 && n.nodeType !== 11) return '';
  if (n.nodeType === 1 && skip.has(n.tagName)) return '';
  let s = '';
  if (n.shadowRoot) for (const c of n.shadowRoot.childNodes) s += ' ' + text(c);
  for (const c of n.childNodes) s += text(c);
  return s;
}
function shows(n) { return text(n).replace(/\\s+/g, ' ').trim(); }
"""
DEEP_QUERY = JS + "return find(arguments[0], arguments[1] ? arguments[1].shadowRoot : document);"
DEEP_TEXT = JS + "return shows(arguments[0] || document.body);"
# a figure's data-value and text read at once: the page replaces the element when it redraws
FIGURE = (
    JS
    + """
const el = find(arguments[0], document);
return el ? [el.getAttribute('data-value'), shows(el)] : [null, ''];
"""
)
# the text of the element matching a selector, found afresh (null while there is none)
TEXT_OF = JS + "const el = find(arguments[0], document); return el ? shows(el) : null;"


def required() -> bool:
    """Whether missing browser tools fail the tests rather than skip them (CI sets this)."""
    return os.environ.get("MINECALC_BROWSER_TESTS", "") == "required"


def missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None when chromium, chromedriver, selenium
    and panel are all present."""
    for module in ("panel", "selenium"):
        try:
            __import__(module)
        except ImportError:
            return f"the browser tests need {module} (pip install -e '.[test]')"
    chromium, driver = tool_paths()
    if chromium is None or driver is None:
        return "the browser tests need Debian's chromium and chromium-driver (apt-get install)"
    return None


def tool_paths() -> tuple[str | None, str | None]:
    """chromium and chromedriver: on PATH, else where Debian puts them, else None."""
    found = []
    for name, fallback in zip(("chromium", "chromedriver"), CHROMIUM_PATHS, strict=True):
        path = shutil.which(name) or (fallback if os.access(fallback, os.X_OK) else None)
        found.append(path)
    return found[0], found[1]


def artifacts() -> Path:
    """Where screenshots and measurements go: $MINECALC_ARTIFACTS, else <repo>/artifacts."""
    folder = Path(os.environ.get("MINECALC_ARTIFACTS") or REPO / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_command(config: str, port: int) -> list[str]:
    """The command that serves the page: the installed package, as a user starts it."""
    return [sys.executable, "-m", "minecalc", "serve", config, "--port", str(port)]


@contextlib.contextmanager
def server(config: str, log: Path, timeout: float = 60):
    """``minecalc serve config`` on a free port; yields its address once it answers 200.

    Its output goes to ``log`` (unbuffered), read back for the address line and shown when
    it fails to start. The first start imports Panel and compiles, hence the minute.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            serve_command(config, port), stdout=out, stderr=subprocess.STDOUT, env=env
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"minecalc serve exited ({proc.returncode}):\n{tail(log)}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            if time.monotonic() > deadline:
                pytest.fail(f"minecalc serve: no 200 from {url} in {timeout} s:\n{tail(log)}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tail(log: Path, lines: int = 40) -> str:
    """The last lines of a server's log."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def chrome(profile: Path, downloads: Path):
    """A headless chromium with a fresh profile, saving downloads into ``downloads``."""
    from selenium import webdriver

    chromium, driver = tool_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size={},{}".format(*MAIN_WINDOW))
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # for console()
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
        },
    )
    browser = webdriver.Chrome(service=webdriver.ChromeService(driver), options=options)
    # headless chromium honours the prefs only for some download paths; this covers the rest
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    return browser


def poll(condition, timeout: float, what: str, interval: float = 0.05, detail=None):
    """``condition()``'s first truthy value, asking until ``timeout`` seconds have passed;
    on failure, ``detail()`` (if given) says what there was instead."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout} s" + (f"\n{detail()}" if detail else ""))
        time.sleep(interval)


def deep(driver, selector: str, host=None):
    """The first element matching ``selector`` anywhere on the page, shadow roots included
    (inside ``host``'s shadow root only, when given); None if there is none."""
    return driver.execute_script(DEEP_QUERY, selector, host)


def wait_deep(driver, selector: str, timeout: float = 30, host=None):
    """:func:`deep`, waiting for the element to appear."""
    return poll(lambda: deep(driver, selector, host), timeout, f"element {selector!r}")


def text(driver, element=None) -> str:
    """What ``element`` (the whole page by default) shows, shadow roots included."""
    return driver.execute_script(DEEP_TEXT, element)


def console(driver, lines: int = 5) -> str:
    """The browser console's last lines (Bokeh logs there when its connection is gone)."""
    errors = [f"{e['level']}: {e['message']}" for e in driver.get_log("browser")]
    return "the browser console's last lines:\n" + "\n".join(errors[-lines:])


def figure(driver, name: str) -> tuple[str | None, str]:
    """A headline figure's ``data-value`` and displayed text; (None, "") while it is absent."""
    data, shown = driver.execute_script(FIGURE, f'[data-name="{name}"]')
    return data, shown


def text_of(driver, selector: str) -> str | None:
    """What the element matching ``selector`` shows (None while there is none), found afresh
    on each call: a pane's content is replaced when it changes."""
    return driver.execute_script(TEXT_OF, selector)


def runs(driver) -> int:
    """How many recomputes the page has completed (-1 before the counter appears)."""
    value, _ = figure(driver, "runs")
    return -1 if value in (None, "") else int(value)


def wait_runs_above(driver, before: int, timeout: float = 10) -> int:
    """Wait for the recompute counter to pass ``before``; the new count."""
    return poll(
        lambda: (n := runs(driver)) > before and n,
        timeout,
        f"recompute after #{before}",
        detail=lambda: f"the counter at {runs(driver)}; the page shows:\n{text(driver)[:3000]}",
    )


def field_host(path: str) -> str:
    """The CSS selector of the input for a scenario field, e.g. ``site.capacity_mw``."""
    return ".mc-field-" + path.replace(".", "--")


def error_host(path: str) -> str:
    """The CSS selector of the validation message beside that input."""
    return ".mc-error-" + path.replace(".", "--")


def number_input(driver, host_selector: str):
    """The ``<input>`` inside the shadow root of the host ``host_selector``."""
    host = wait_deep(driver, host_selector)
    return wait_deep(driver, "input", host=host)


def settled(action, timeout: float = 10):
    """``action()``, again while the page is still laying itself out: Bokeh may replace a
    component's view (a stale element) or cover it for a moment after the first render."""
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        ElementNotInteractableException,
        StaleElementReferenceException,
    )

    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except (
            StaleElementReferenceException,
            ElementClickInterceptedException,
            ElementNotInteractableException,
        ):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def type_number(driver, host_selector: str, value: str) -> float:
    """Replace the number in a numeric input with ``value`` (end, backspaces, type: select-all
    and clear() do not reach Bokeh's input), then press Enter; ``time.perf_counter()`` just
    before the Enter."""
    from selenium.webdriver.common.keys import Keys

    def enter() -> float:
        box = number_input(driver, host_selector)
        scroll_to(driver, box)
        box.click()
        old = box.get_attribute("value") or ""
        box.send_keys(Keys.END, *[Keys.BACKSPACE] * len(old), value)
        start = time.perf_counter()
        box.send_keys(Keys.ENTER)
        return start

    return settled(enter)


def scroll_to(driver, element):
    """Bring ``element`` to the middle of the window, where a click reaches it."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)


def click_button(driver, host_selector: str):
    """Click the ``<button>`` inside the shadow root of the host ``host_selector``."""

    def click():
        button = wait_deep(driver, "button", host=wait_deep(driver, host_selector))
        scroll_to(driver, button)
        button.click()

    settled(click)


def download(driver, host_selector: str, folder: Path, suffix: str, timeout: float = 60) -> Path:
    """Click a download button; the complete new file ending in ``suffix`` it saved."""
    before = set(folder.iterdir())

    def complete():
        new = [p for p in folder.iterdir() if p not in before]
        if any(p.suffix in (".crdownload", ".tmp") or p.name.startswith(".") for p in new):
            return None  # still being written
        done = [p for p in new if p.name.endswith(suffix) and p.stat().st_size > 0]
        return done[0] if done else None

    click_button(driver, host_selector)
    return poll(complete, timeout, f"{suffix} download from {host_selector}", interval=0.2)
