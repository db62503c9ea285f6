"""The OA's access/refresh token pair, kept in the database and refreshed by one instance at a time.

Zalo's refresh token is single-use: two instances that both see the access
token expire and both refresh would each send the same refresh token, and the
second would get an error AND may leave the OA without a valid pair. So:

- PostgreSQL: the refresh runs inside a transaction holding
  `SELECT ... FOR UPDATE` on the token row; whoever waits on the lock then sees
  the new generation and uses the new token instead of refreshing again.
- SQLite (no row locks): an atomic claim, `UPDATE ... SET refreshing_until
  WHERE generation = seen AND (refreshing_until IS NULL OR < now)`; the one
  whose UPDATE changed the row refreshes, the others wait for the generation
  to move (or for the claim to run out, if the claimer died).

Both tokens and the expiry are written in one transaction. The first pair
comes from ZALO_OA_ACCESS_TOKEN / ZALO_OA_REFRESH_TOKEN, once, when the table
has no row yet; after that the environment's pair is ignored.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.zalo_models import ZaloOaToken
from bot.channels.zalo_oa_api import OaApi
from bot.clock import Clock
from bot.db import is_sqlite

__all__ = ["Token", "TokenStore", "NoToken", "EXPIRY_MARGIN"]

LOG = logging.getLogger(__name__)
EXPIRY_MARGIN = timedelta(minutes=5)  # refresh a little before Zalo's expires_in runs out
CLAIM = timedelta(seconds=30)


class NoToken(Exception):
    """No token pair in the database nor in the environment."""


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    generation: int


class TokenStore:
    def __init__(self, factory: sessionmaker[Session], api: OaApi, clock: Clock, *, app_id: str, app_secret: str,
                 first_access: str = "", first_refresh: str = "", wait_seconds: float = 30.0) -> None:
        self.factory = factory
        self.api = api
        self.clock = clock
        self.app_id = app_id
        self.app_secret = app_secret
        self.first = (first_access, first_refresh)
        self.wait_seconds = wait_seconds
        self._sqlite = is_sqlite(factory.kw["bind"])

    def _row(self, session: Session, *, lock: bool = False) -> ZaloOaToken:
        query = select(ZaloOaToken).where(ZaloOaToken.app_id == self.app_id)
        if lock and not self._sqlite:
            query = query.with_for_update()
        row = session.scalar(query)
        if row is None:
            raise NoToken("no OA token pair: set ZALO_OA_ACCESS_TOKEN and ZALO_OA_REFRESH_TOKEN")
        return row

    def _seed(self) -> None:
        access, refresh = self.first
        if not refresh:
            return
        now = self.clock.now()
        try:
            with self.factory.begin() as session:
                if session.get(ZaloOaToken, self.app_id) is None:
                    # the environment does not say when it expires: let the first failure refresh it
                    session.add(ZaloOaToken(app_id=self.app_id, access_token=access or "-", refresh_token=refresh,
                                            access_expires_at=now + timedelta(hours=1), refreshing_until=None,
                                            generation=1, updated_at=now))
        except IntegrityError:  # another instance seeded it first
            pass

    def current(self) -> Token:
        """The access token to use now; refreshes first when it has (nearly) expired."""
        with self.factory() as session:
            row = session.get(ZaloOaToken, self.app_id)
            token = None if row is None else (Token(row.access_token, row.generation), row.access_expires_at)
        if token is None:
            self._seed()
            return self.current() if self.first[1] else self._missing()
        if token[1] - EXPIRY_MARGIN > self.clock.now():
            return token[0]
        return self.refresh(token[0].generation)

    @staticmethod
    def _missing() -> Token:
        raise NoToken("no OA token pair: set ZALO_OA_ACCESS_TOKEN and ZALO_OA_REFRESH_TOKEN")

    def refresh(self, seen_generation: int) -> Token:
        """A token newer than `seen_generation`: refreshed here, or by whoever got there first."""
        if self._sqlite:
            return self._refresh_claimed(seen_generation)
        with self.factory.begin() as session:
            row = self._row(session, lock=True)  # waits while another instance refreshes
            if row.generation != seen_generation:
                return Token(row.access_token, row.generation)
            self._store(row, self._call(row.refresh_token))
            return Token(row.access_token, row.generation)

    def _refresh_claimed(self, seen_generation: int) -> Token:
        deadline = time.monotonic() + self.wait_seconds
        while True:
            now = self.clock.now()
            with self.factory.begin() as session:
                claimed = session.execute(
                    update(ZaloOaToken).where(
                        ZaloOaToken.app_id == self.app_id, ZaloOaToken.generation == seen_generation,
                        (ZaloOaToken.refreshing_until.is_(None)) | (ZaloOaToken.refreshing_until < now))
                    .values(refreshing_until=now + CLAIM)).rowcount == 1
            if claimed:
                return self._finish_claim(seen_generation)
            with self.factory() as session:
                row = self._row(session)
                if row.generation != seen_generation:
                    return Token(row.access_token, row.generation)
            if time.monotonic() > deadline:
                raise TimeoutError("another instance holds the OA token refresh")
            time.sleep(0.05)

    def _finish_claim(self, seen_generation: int) -> Token:
        with self.factory() as session:
            refresh_token = self._row(session).refresh_token
        try:
            pair = self._call(refresh_token)
        except Exception:
            with self.factory.begin() as session:
                self._row(session).refreshing_until = None
            raise
        with self.factory.begin() as session:
            row = self._row(session)
            self._store(row, pair)
            row.refreshing_until = None
            return Token(row.access_token, row.generation)

    def _call(self, refresh_token: str):  # type: ignore[no-untyped-def]
        LOG.info("zalo oa token refresh app_id=%s", self.app_id)
        return self.api.refresh(app_id=self.app_id, app_secret=self.app_secret, refresh_token=refresh_token)

    def _store(self, row: ZaloOaToken, pair) -> None:  # type: ignore[no-untyped-def]
        now = self.clock.now()
        row.access_token, row.refresh_token = pair.access_token, pair.refresh_token
        row.access_expires_at = now + timedelta(seconds=pair.expires_in)
        row.generation += 1
        row.updated_at = now
