"""Shared fixtures.  Test modules import helpers from tests/ (e.g. ``toy``) directly."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

#: Debian's chromium, installed by .ci/run; browser tests skip without it.
CHROMIUM = os.environ.get("CONTAGION_CHROMIUM")


@pytest.fixture(scope="session")
def browser():
    """A headless Debian chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM:
        pytest.skip("CONTAGION_CHROMIUM is not set: no headless chromium here (.ci/run installs Debian's)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()
