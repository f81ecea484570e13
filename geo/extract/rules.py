"""Rule data for the extractor: small helpers to build vocabularies (rule files come here)."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())
