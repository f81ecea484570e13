"""sitmap: news reporting about attacks → a sourced, verified situation map."""

__version__ = "0.1.0"
