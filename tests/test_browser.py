"""The search page in a real browser: Debian's chromium, headless, driven by Playwright.

The first test screenshots the page into its temporary folder; to refresh the committed picture
(benchmarks/results/search-page.png), run it with VNSEARCH_SCREENSHOT=benchmarks/results/search-page.png."""

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect, sync_playwright

from vnsearch import Index
from vnsearch.server import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
SEED_ID = "htv-quan5-dan-van-2023"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the browser test")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port in a thread; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def test_unaccented_query_finds_the_seed_article_highlighted(page: Page, sample_index: Index, tmp_path: Path) -> None:
    screenshot = Path(os.environ.get("VNSEARCH_SCREENSHOT") or tmp_path / "search-page.png")
    with serving(create_app(sample_index.path)) as base:
        page.goto(base + "/")
        page.fill("#q", "quan 5 dan van")
        page.press("#q", "Enter")
        first = page.locator("#hits li").first
        expect(first).to_have_attribute("data-id", SEED_ID)
        marks = {text.lower() for text in first.locator("mark").all_inner_texts()}
        assert {"quận 5", "dân vận"} <= marks
        expect(page.locator("#note")).to_contain_text("Có phải bạn muốn tìm: quận 5 dân vận")
        expect(page.locator("#status")).to_contain_text("kết quả")
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 10_000

        page.click("#next")
        expect(page.locator("#range")).to_contain_text("11–20")
        assert "offset=10" in page.url and first.get_attribute("data-id") != SEED_ID
        page.go_back()
        expect(first).to_have_attribute("data-id", SEED_ID)
        expect(page.locator("#prev")).to_be_disabled()

        page.click("#suggestion")
        expect(page.locator("#q")).to_have_value("quận 5 dân vận")
        expect(page.locator("#note")).to_be_hidden()
        expect(first).to_have_attribute("data-id", SEED_ID)


def test_unaccented_query_without_a_suggestion_is_noted(page: Page, sample_index: Index) -> None:
    with serving(create_app(sample_index.path)) as base:
        page.goto(base + "/?q=an+em")
        expect(page.locator("#note")).to_contain_text("Tìm không dấu")


def test_telex_keystrokes_are_noted(page: Page, sample_index: Index) -> None:
    with serving(create_app(sample_index.path)) as base:
        page.goto(base + "/?q=daan+vaanj")
        expect(page.locator("#note")).to_contain_text("Đã tìm theo: dân vận")
        expect(page.locator("#hits li").first.locator("mark").first).to_be_visible()


def test_stored_html_is_shown_as_text(page: Page, tmp_path: Path) -> None:
    hostile = "<img src=x onerror=\"document.title='pwned'\"> dân vận"
    Index.create(tmp_path / "ix").add(
        [{"id": "x1", "title": "<b>tiêu đề</b>", "body": hostile, "url": "javascript:alert(1)"}]
    )
    with serving(create_app(tmp_path / "ix")) as base:
        page.goto(base + "/?q=dân vận")
        hit = page.locator("#hits li").first
        expect(hit.locator("h2")).to_have_text("<b>tiêu đề</b>")
        expect(hit.locator("p")).to_contain_text('<img src=x onerror="document.title=')
        assert hit.locator("img, b, a").count() == 0  # no markup from the index, and no javascript: link
        assert page.title() == "vnsearch"
