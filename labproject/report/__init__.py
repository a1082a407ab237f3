"""Execute the notebooks headless and export them as self-contained HTML pages that open offline."""
