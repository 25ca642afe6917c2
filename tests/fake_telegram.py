"""A strict fake of the Telegram Bot API on 127.0.0.1, for running the real bot in tests.

It answers the methods the bot uses with Telegram's response shapes and refuses what
Telegram refuses: messages over 4096 characters (counted after parsing the HTML), empty
text, HTML it could not parse, callback_data over 64 bytes, malformed keyboards, unknown
methods and a wrong token. Tests inject updates and read what the bot sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmno"
BOT_USER = {"id": 999000, "is_bot": True, "first_name": "Routewijzer",
            "username": "routewijzer_test_bot", "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False}
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                "span", "tg-spoiler", "blockquote", "tg-emoji"}
DROP = -1  # fail_next status: close the connection without an answer
GARBAGE = -2  # fail_next status: answer 200 with a body that is not JSON
HANG = -3  # fail_next status: never answer (the bot's read timeout ends it), send nothing
_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


class BadRequest(Exception):
    def __init__(self, description: str, code: int = 400, parameters: dict | None = None):
        super().__init__(description)
        self.description = description
        self.code = code
        self.parameters = parameters


class _StrictHTML(HTMLParser):
    """Parses like Telegram: only its tags, properly nested, entities well-formed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            raise BadRequest(f"Bad Request: can't parse entities: Unsupported start tag \"{tag}\"")
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            raise BadRequest(f"Bad Request: can't parse entities: Unexpected end tag \"{tag}\"")
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parsed_text(text: str, parse_mode: str | None) -> str:
    if parse_mode is None:
        return text
    if parse_mode.upper() != "HTML":
        raise BadRequest(f"Bad Request: unsupported parse_mode {parse_mode}")
    if _ENTITY.search(text):
        raise BadRequest("Bad Request: can't parse entities: Character entity expected")
    if re.search(r"<(?!/?[a-zA-Z][a-zA-Z-]*[ >])", text):
        raise BadRequest("Bad Request: can't parse entities: Unsupported start tag")
    parser = _StrictHTML()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise BadRequest(f"Bad Request: can't parse entities: Can't find end tag \"{parser.stack[-1]}\"")
    return html.unescape("".join(parser.text))


def check_keyboard(raw: Any) -> dict | None:
    if raw in (None, ""):
        return None
    markup = json.loads(raw) if isinstance(raw, str) else raw
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise BadRequest("Bad Request: can't parse inline keyboard button: field \"inline_keyboard\" must be an Array of Arrays")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise BadRequest("Bad Request: can't parse inline keyboard button: Text must be non-empty")
            kinds = [k for k in ("callback_data", "url", "switch_inline_query") if k in button]
            if len(kinds) != 1:
                raise BadRequest("Bad Request: can't parse inline keyboard button: exactly one of the optional fields must be used")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
    return markup


@dataclass
class Sent:
    method: str
    params: dict
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup")
        if not markup:
            return []
        markup = json.loads(markup) if isinstance(markup, str) else markup
        return [b for row in markup.get("inline_keyboard", []) for b in row]


class FakeBotAPI:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.pending: list[dict] = []
        self.delivered: list[int] = []
        self.acknowledged = 0  # the bot asked for updates after this id: it has all up to it
        self.sent: list[Sent] = []
        self.rejected: list[tuple[str, str]] = []
        self.failures: dict[str, list[tuple[int, dict]]] = {}
        self.commands: dict[str, list] = {}
        self.webhook: dict | None = None
        self._update_id = 1000
        self._message_id = 1
        self._new_update = asyncio.Event()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ server

    async def start(self, port: int = 0) -> str:
        self._stopping.clear()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        self._new_update.set()
        self._stopping.set()
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(BadRequest("Unauthorized", 401))
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            params = dict(await request.post())
        params.update(request.query)
        queued = self.failures.get(method.lower())
        if queued:
            status, body = queued.pop(0)
            if status == DROP:  # the connection dies mid-request, as on a flaky network
                request.transport.close()
                raise ConnectionResetError("dropped by the fake")
            if status == HANG:  # as a request lost on the way: no answer, nothing sent
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=60)
                request.transport.close()
                raise ConnectionResetError("never answered by the fake")
            if status == GARBAGE:
                return web.Response(text="<html>502 Bad Gateway</html>", status=200,
                                    content_type="application/json")
            return web.json_response(body, status=status)
        handler = getattr(self, f"api_{method.lower()}", None)
        if handler is None:
            return self._error(BadRequest("Not Found", 404))
        try:
            result = await handler(params)
        except BadRequest as error:
            self.rejected.append((method, error.description))
            return self._error(error)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(error: BadRequest) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": error.code,
                                "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        return web.json_response(body, status=error.code)

    def fail_next(self, method: str, status: int, description: str = "", retry_after: int | None = None
                  ) -> None:
        """Answer the next call of `method` with this error (or DROP / GARBAGE)."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.failures.setdefault(method.lower(), []).append((status, body))

    # ------------------------------------------------------------------ methods

    async def api_getme(self, params):
        return BOT_USER

    async def api_deletewebhook(self, params):
        self.webhook = None
        return True

    async def api_setwebhook(self, params):
        url = str(params.get("url", ""))
        if not url.startswith("https://"):
            raise BadRequest("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        return True

    async def api_setmycommands(self, params):
        commands = params.get("commands")
        commands = json.loads(commands) if isinstance(commands, str) else commands
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]):
                raise BadRequest("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise BadRequest("Bad Request: command description is invalid")
        self.commands[params.get("language_code") or ""] = commands
        return True

    async def api_getupdates(self, params):
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
            self.acknowledged = max(self.acknowledged, offset - 1)
        if not self.pending and timeout:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout=min(timeout, 2.0))
        batch = [u for u in self.pending if u["update_id"] >= offset][:100]
        self.delivered.extend(u["update_id"] for u in batch)
        return batch

    async def api_sendmessage(self, params):
        if "chat_id" not in params:
            raise BadRequest("Bad Request: chat_id is empty")
        text = str(params.get("text", ""))
        plain = parsed_text(text, params.get("parse_mode"))
        if not plain.strip():
            raise BadRequest("Bad Request: message text is empty")
        if len(plain) > 4096:
            raise BadRequest("Bad Request: message is too long")
        check_keyboard(params.get("reply_markup"))
        self.sent.append(Sent("sendMessage", params))
        self._message_id += 1
        return self._message(int(params["chat_id"]), text, self._message_id)

    async def api_editmessagetext(self, params):
        plain = parsed_text(str(params.get("text", "")), params.get("parse_mode"))
        if not plain.strip() or len(plain) > 4096:
            raise BadRequest("Bad Request: message text is empty or too long")
        check_keyboard(params.get("reply_markup"))
        self.sent.append(Sent("editMessageText", params))
        return self._message(int(params["chat_id"]), params["text"], int(params["message_id"]))

    async def api_editmessagereplymarkup(self, params):
        check_keyboard(params.get("reply_markup"))
        self.sent.append(Sent("editMessageReplyMarkup", params))
        return True

    async def api_answercallbackquery(self, params):
        if not params.get("callback_query_id"):
            raise BadRequest("Bad Request: query is too old and response timeout expired")
        self.sent.append(Sent("answerCallbackQuery", params))
        return True

    async def api_sendchataction(self, params):
        if params.get("action") not in {"typing", "upload_photo", "record_voice", "upload_document"}:
            raise BadRequest("Bad Request: wrong parameter action in request")
        self.sent.append(Sent("sendChatAction", params))
        return True

    def _message(self, chat_id: int, text: str, message_id: int) -> dict:
        return {"message_id": message_id, "date": int(time.time()), "text": text,
                "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER}

    # ------------------------------------------------------------------ injecting updates

    def _push(self, payload: dict) -> int:
        self._update_id += 1
        update = {"update_id": self._update_id, **payload}
        self.pending.append(update)
        self._new_update.set()
        return self._update_id

    def raw_update(self, payload: dict) -> int:
        """Any update, as Telegram might send it (also one the bot's library cannot read)."""
        return self._push(payload)

    @staticmethod
    def user(user_id: int, language_code: str = "nl") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": "Bewoner",
                "language_code": language_code}

    def message(self, user_id: int | None, text: str | None = None, *, language_code: str = "nl",
                chat_type: str = "private", chat_id: int | None = None, **extra: Any) -> int:
        """A message from a resident; in a channel (`chat_type="channel"`) a post, which has
        no sender (pass user_id None)."""
        self._message_id += 1
        chat = {"id": chat_id or user_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Buurtgroep"
        message: dict[str, Any] = {"message_id": self._message_id, "date": int(time.time()),
                                   "chat": chat, **extra}
        if user_id is not None:
            message["from"] = self.user(user_id, language_code)
        if text is not None:
            message["text"] = text
            entities = []
            if text.startswith("/"):
                entities.append({"type": "bot_command", "offset": 0,
                                 "length": len(text.split()[0])})
            for match in re.finditer(r"@\w+", text):
                entities.append({"type": "mention", "offset": match.start(),
                                 "length": len(match.group())})
            if entities:
                message["entities"] = entities
        return self._push({"channel_post" if chat_type == "channel" else "message": message})

    def callback(self, user_id: int, data: str, *, language_code: str = "nl") -> int:
        self._message_id += 1
        return self._push({"callback_query": {
            "id": f"cb{self._update_id + 1}", "chat_instance": "ci",
            "from": self.user(user_id, language_code), "data": data,
            "message": {"message_id": self._message_id, "date": int(time.time()),
                        "chat": {"id": user_id, "type": "private"}, "from": BOT_USER,
                        "text": "…"},
        }})

    # ------------------------------------------------------------------ reading

    def messages_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.method == "sendMessage"
                and int(s.params["chat_id"]) == chat_id]

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 60.0
                                ) -> list[Sent]:
        """Polls until `count` messages reached the chat: a generous deadline, so a busy
        machine only makes a passing test slower, never a failing one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages_to(chat_id)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.01)
        raise AssertionError(
            f"expected {count} message(s) to {chat_id}, got {len(self.messages_to(chat_id))}; "
            f"rejected: {self.rejected}"
        )
