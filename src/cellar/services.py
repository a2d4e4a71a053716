"""The service container: what handlers need, built once per process and passed in, never global."""

from __future__ import annotations

from dataclasses import dataclass

from cellar.settings import Settings
from cellar.storage import Storage
from cellar.urls import UnitUrls


@dataclass(frozen=True)
class Services:
    settings: Settings
    storage: Storage
    urls: UnitUrls
