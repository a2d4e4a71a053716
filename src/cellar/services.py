"""The service container: what handlers need, built once per process and passed in, never global."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cellar.auth.authn.credentials import AuthEnv
from cellar.auth.authn.keyring import Keyring, load_keyring
from cellar.outbound import Outbound
from cellar.settings import Settings
from cellar.storage import Storage
from cellar.storage.blobs import BlobStore, TableBlobStore
from cellar.urls import UnitUrls


@dataclass
class Services:
    settings: Settings
    storage: Storage
    urls: UnitUrls
    blobs: BlobStore = field(init=False)
    #: Requests to cells, set by the app (it answers those of this unit itself).
    outbound: Outbound = field(init=False)
    _keyring: Keyring | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.blobs = TableBlobStore(self.storage, self.settings.upload_lease)

    @property
    def keyring(self) -> Keyring:
        """Loaded on first use: it lives in the database, which migrations create at start-up."""
        if self._keyring is None:
            with self._lock:
                if self._keyring is None:
                    self._keyring = load_keyring(self.storage, self.urls.unit_url, self.settings.trusted_ca_files,
                                                 self.settings.data_dir)
        return self._keyring

    @property
    def auth(self) -> AuthEnv:
        return AuthEnv(self.urls, lambda: self.keyring, self.settings.master_token, self.settings.unit_user_issuers)
