"""Care coordination: identify, consent, assess and plan (SBAR, SIP), act, follow up."""

__version__ = "0.1.0"  # the package's version (pyproject.toml reads it from here)
