"""The software catalog: titles candidates ask for, with per-platform install ids.

Shipped data lives in ``software.yml`` next to this module; a centre adds or overrides
titles with ``catalog.yml`` in its inventory directory (same shape, matched by ``id``).
"""

from provision.catalog.catalog import PLATFORMS, Catalog, Title, load_catalog

__all__ = ["PLATFORMS", "Catalog", "Title", "load_catalog"]
