"""python-telegram-bot's HTTP layer on aiohttp instead of httpx.

Under load the bot spends most of its CPU in the HTTP client, not in its own logic:
httpx's connection pool (httpcore) inspects every pooled connection for every request.
aiohttp's client does the same job with a fraction of the work, which is what lets one core
keep up with hundreds of updates a second. python-telegram-bot supports this officially:
`BaseRequest` is its interface for other HTTP libraries.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from telegram import Update
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger("routewijzer.telegram")


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a small connection pool; timeouts as PTB's HTTPXRequest.

    aiohttp has no separate write timeout (connect and read bound a request), so
    `write_timeout` is accepted for the same signature and not used.
    """

    def __init__(
        self,
        connection_pool_size: int = 8,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ):
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=(pool or 0) + (connect or 0) if pool or connect else None,
            sock_connect=connect,
            sock_read=read,
        )
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            data = request_data.json_parameters
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for name, value in data.items():
                    form.add_field(name, value)
                for name, upload in files.items():
                    filename, content, mimetype = (
                        upload if isinstance(upload, tuple) else (name, upload, None)
                    )
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as answer:
                return answer.status, await answer.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error


class UpdatesRequest(AiohttpRequest):
    """The getUpdates connection, which hands python-telegram-bot only updates it can read.

    PTB parses a whole batch at once: one update it cannot read (say, a poll without a field
    this version requires) fails the batch, which is then fetched again forever, and PTB logs
    the whole batch (residents' messages and names) at CRITICAL each time. Here each update
    of a batch is tried on its own first; one that does not parse is replaced by an empty
    update with the same id (so the offset moves past it and no handler answers it) and
    logged by id and kind only. Costs one extra parse per update, a few percent of the
    bot's CPU under load.
    """

    async def post(self, url: str, request_data: RequestData | None = None,
                   read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                   connect_timeout=BaseRequest.DEFAULT_NONE, pool_timeout=BaseRequest.DEFAULT_NONE,
                   ) -> Any:
        result = await super().post(url, request_data, read_timeout=read_timeout,
                                    write_timeout=write_timeout, connect_timeout=connect_timeout,
                                    pool_timeout=pool_timeout)
        if isinstance(result, list) and url.endswith("/getUpdates"):
            return [readable for update in result if (readable := _readable(update)) is not None]
        return result


def _readable(update: Any) -> dict | None:
    """The update if PTB can read it, else an empty one with its id (None without an id)."""
    try:
        Update.de_json(update, None)
        return update
    except Exception as error:  # anything PTB's parser raises: the update is unreadable
        update_id = update.get("update_id") if isinstance(update, dict) else None
        kinds = sorted(k for k in update if k != "update_id") if isinstance(update, dict) else []
        log.warning("skipped update %s: python-telegram-bot cannot read its %s (%s)",
                    update_id, "/".join(kinds) or "content", type(error).__name__)
        return {"update_id": update_id} if isinstance(update_id, int) else None
