"""plateau's application layer: CLI, inventory and session models, software catalog,
référentiel profiles, plan, provisioning, state, recap and dashboard."""

__version__ = "0.1.0"
