import os
import re
from pathlib import Path

import pytest

# Sync Playwright runs an event loop in this thread; Django would refuse database calls from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect, sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "a-long-browser-test-password"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors  # a test that expects a refusal removes the browser's note of it
    yield page
    context.close()
    # A Content-Security-Policy violation or a script error is a failure too.
    assert errors == []


def sign_in(page, user):
    """Sign in through the login form, as a person would."""
    user.set_password(PASSWORD)
    user.save()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your Workspaces")).to_be_visible()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png", full_page=True)


def type_to_confirm(dialog, name: str, button) -> None:
    """Type `name` into the dialog's "Type <name> to confirm" field: `button` stays disabled until it is exact."""
    field = dialog.get_by_label(f"Type {name} to confirm")
    expect(button).to_be_disabled()
    field.fill(name[:-1])
    expect(button).to_be_disabled()
    field.fill(name)
    expect(button).to_be_enabled()


def submit_dialog(dialog, button: str, *, status: str) -> None:
    """Press the dialog's `button` and see it succeed as the app's htmx dialogs do: the dialog closes and
    the page's status line says `status`."""
    dialog.get_by_role("button", name=button).click()
    expect(dialog).to_be_hidden()
    expect(dialog.page.get_by_role("status")).to_contain_text(status)
