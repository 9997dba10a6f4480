"""axe-core in the browser tests: every screen passes it with no violations (the developers' brief).

axe-playwright-python ships axe-core's script and injects it into the page under test; nothing is fetched.
"""

from functools import cache


@cache
def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def assert_no_axe_violations(page) -> None:
    """Run axe-core on the page as it is now; fail with axe's report of each violation (rule, impact, nodes)."""
    results = _axe().run(page)
    assert results.violations_count == 0, f"axe-core on {page.url}:\n{results.generate_report()}"
