"""Name matching: the one normalisation that places and countries are compared under."""

from __future__ import annotations

import unicodedata


def normalise(name: str) -> str:
    """Case-fold and strip accents and punctuation, for matching names.

    Letters of every script are kept (Arabic names match Arabic aliases); diacritics go.

    >>> normalise("  Agadès ")
    'agades'
    >>> normalise("Côte d'Ivoire")
    'cote d ivoire'
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(text.split())
