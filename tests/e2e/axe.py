"""axe-core in the page under test (axe-playwright-python ships axe.min.js: nothing is fetched)."""

from axe_playwright_python.sync_playwright import Axe

_AXE = Axe()


def assert_no_axe_violations(page) -> None:
    """Fail with axe's report when the page as it is now has any accessibility violation."""
    results = _AXE.run(page)
    assert results.violations_count == 0, results.generate_report()
