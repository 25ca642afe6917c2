"""The bot's own small HTTP server: Telegram's webhook and a `/healthz` for Docker, systemd
watchers and reverse proxies.

python-telegram-bot's built-in webhook server (tornado) serves the webhook path only. Its
documented alternative, a custom webhook server that puts each `Update` on
`application.update_queue` (PTB's "customwebhookbot" example), lets one aiohttp server (aiohttp
is already the bot's HTTP client) serve both the webhook and the health check. In polling mode
the same `/healthz` can run alone on a port of its own.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from dataclasses import dataclass

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger("routewijzer.http")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
MAX_UPDATE_BYTES = 1 << 20  # Telegram's updates are a few kilobytes


def health_response(application: Application) -> web.Response:
    """200 once the bot is running (knowledge loaded, Telegram reached); 503 before and after."""
    services = application.bot_data.get("routewijzer")
    ready = application.running and services is not None
    body = {"status": "ok" if ready else "starting"}
    if ready:
        body["services"] = len(services.engine.kb.services)
    return web.json_response(body, status=200 if ready else 503)


def health_app(application: Application) -> web.Application:
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)

    async def health(_request: web.Request) -> web.Response:
        return health_response(application)

    app.router.add_get(HEALTH_PATH, health)
    return app


def webhook_app(application: Application, url_path: str, secret: str) -> web.Application:
    """`POST /<url_path>` for Telegram (refused without the secret token) and `GET /healthz`."""
    app = health_app(application)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook request without the secret token refused")
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError, json.JSONDecodeError):
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await application.update_queue.put(update)
        return web.Response(status=200)

    app.router.add_post("/" + url_path.strip("/"), receive)
    return app


@dataclass
class Site:
    """A started server; `port` is the real one when 0 was asked for."""

    runner: web.AppRunner
    port: int

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_site(app: web.Application, listen: str, port: int) -> Site:
    runner = web.AppRunner(app, access_log=None)  # access lines would only repeat the path
    await runner.setup()
    site = web.TCPSite(runner, listen, port)
    await site.start()
    return Site(runner, site._server.sockets[0].getsockname()[1])


def serve_health_while_polling(application: Application, listen: str, port: int) -> None:
    """Start `/healthz` on its own port once the application starts, stop it at shutdown."""
    started: list[Site] = []
    post_init, post_shutdown = application.post_init, application.post_shutdown

    async def start(app: Application) -> None:
        if post_init:
            await post_init(app)
        started.append(await start_site(health_app(app), listen, port))
        log.info("health check on port %d%s", started[0].port, HEALTH_PATH)

    async def stop(app: Application) -> None:
        for site in started:
            await site.stop()
        if post_shutdown:
            await post_shutdown(app)

    application.post_init, application.post_shutdown = start, stop


def run_webhook(application: Application, *, listen: str, port: int, url_path: str,
                webhook_url: str, secret: str) -> None:
    """Webhook mode until SIGINT or SIGTERM: register the webhook, serve it and `/healthz`."""
    asyncio.run(_serve_webhook(application, listen=listen, port=port, url_path=url_path,
                               webhook_url=webhook_url, secret=secret))


async def _serve_webhook(application: Application, *, listen: str, port: int, url_path: str,
                         webhook_url: str, secret: str, stop: asyncio.Event | None = None) -> None:
    """Serve until `stop` is set; without one, until SIGINT or SIGTERM."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    # The server answers /healthz (503) while the bot is still reaching Telegram.
    site = await start_site(webhook_app(application, url_path, secret), listen, port)
    try:
        async with application:  # initialize ... shutdown
            if application.post_init:
                await application.post_init(application)
            await application.bot.set_webhook(webhook_url, secret_token=secret,
                                              allowed_updates=Update.ALL_TYPES)
            await application.start()
            log.info("webhook mode: listening on %s:%d", listen, site.port)
            await stop.wait()
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
        # As PTB's own run_* do: whatever was attached at start-up (the web chat) stops too.
        if application.post_shutdown:
            await application.post_shutdown(application)
    finally:
        await site.stop()
