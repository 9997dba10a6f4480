"""A statement as a PDF: WeasyPrint renders the printable statement page (its styles are inline in the page)."""


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict:
    # Nothing loads from the network or the disk while a PDF renders: the page carries its own styles.
    raise ValueError(f"a statement PDF loads no resources ({url[:60]})")


def statement_pdf_bytes(*, html: str) -> bytes:
    """The PDF of a printable statement page's HTML."""
    # Imported here, not at the top: WeasyPrint adds ~27 MB to every web and Celery process, and only a PDF
    # download or a statement email uses it (bench/FINDINGS.md, "Process memory").
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()
