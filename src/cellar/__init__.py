"""Cellar: a Personium-compatible personal data store server."""

__version__ = "0.1.0"
#: The Personium API version Cellar speaks; sent as ``X-Personium-Version``.
PERSONIUM_VERSION = "1.8.4"
