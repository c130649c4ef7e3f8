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


def test_facets_filter_and_sorting_orders_the_listings(page: Page, tmp_path: Path) -> None:
    from tests import listings
    from vnsearch import fields

    homes = Index.create(tmp_path / "homes", fields={
        "title": fields.Text(weight=2.0), "address": fields.Text(), "district": fields.Keyword(facet=True),
        "property_type": fields.Keyword(facet=True), "price_vnd": fields.Number(), "url": fields.Stored()})  # fmt: skip
    kept = ("id", "title", "address", "district", "property_type", "price_vnd", "url")
    homes.add({k: v for k, v in doc.items() if k in kept} for doc in listings.load(1_200))
    expected = homes.search("chung cư", filter={"district": "Cầu Giấy"}, facets=["district"])
    with serving(create_app(homes.path)) as base:
        page.goto(base + "/")
        page.fill("#q", "chung cư")
        page.press("#q", "Enter")
        district = page.locator('#facets section[data-field="district"]')
        cau_giay = district.locator('button[data-value="Cầu Giấy"]')
        expect(cau_giay).to_have_attribute("aria-pressed", "false")
        cau_giay.click()
        expect(cau_giay).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#status")).to_contain_text(f"{expected.total} kết quả")
        assert page.locator("#hits li").evaluate_all("items => items.map(li => li.dataset.id)") == [
            hit.id for hit in expected
        ]
        assert 'f=district' in page.url
        page.select_option("#sort", "-price_vnd")
        by_price = homes.search("chung cư", filter={"district": "Cầu Giấy"}, sort="-price_vnd")
        expect(page.locator("#hits li").first).to_have_attribute("data-id", by_price[0].id)
        assert page.locator("#hits li").evaluate_all("items => items.map(li => li.dataset.id)") == [
            hit.id for hit in by_price
        ]
        district.locator('button[data-value="Cầu Giấy"]').click()  # again: the filter is cleared
        expect(page.locator("#status")).to_contain_text(f"{homes.search('chung cư').total} kết quả")
        expect(page.locator('#facets section[data-field="property_type"] button').first).to_be_visible()
