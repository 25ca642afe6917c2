"""`python run_bot.py [chat|web|check|match|schema|link|card|export|import|diff|report] ...`:
the ways to run Routewijzer."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.checks import DEFAULT_MAX_AGE_YEARS, load_or_explain, recheck_worklist, run_checks
from bot.dialogue.engine import Engine
from bot.frontends.terminal import TerminalChat, numbered_lines, use_utf8
from bot.knowledge import schema
from bot.knowledge.loader import DEFAULT_DIRECTORY, load_knowledge
from bot.knowledge.schema import LANGUAGES
from bot.knowledge.yaml_source import KnowledgeError
from bot.matching.crisis import CrisisDetector
from bot.matching.matcher import Matcher
from bot.matching.profile import Profile
from bot.operator_commands import OPERATOR_COMMANDS, add_operator_commands, operator_command
from bot.sharing.commands import (
    SHARING_COMMANDS,
    add_sharing_commands,
    import_command,
    sharing_command,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_bot.py",
        description="Routewijzer: finds the right local place for a resident's question.",
    )
    parser.add_argument(
        "--knowledge",
        type=Path,
        default=DEFAULT_DIRECTORY,
        help="knowledge directory (default: %(default)s)",
    )
    webhook = parser.add_argument_group("Telegram webhook mode (default: long polling)")
    webhook.add_argument("--webhook-url", help="public https URL Telegram posts updates to")
    webhook.add_argument("--webhook-secret", help="secret token Telegram must send "
                         "(or ROUTEWIJZER_WEBHOOK_SECRET)")
    webhook.add_argument("--listen", default="0.0.0.0", help="address to listen on")
    webhook.add_argument("--port", type=int, default=8443)
    webhook.add_argument("--url-path", default="telegram", help="path part of the webhook URL")
    health = os.environ.get("ROUTEWIJZER_HEALTH_PORT", "")
    webhook.add_argument("--health-port", type=int,
                         default=int(health) if health.isdigit() else None,
                         help="long polling: serve GET /healthz on this port (or "
                         "ROUTEWIJZER_HEALTH_PORT); webhook mode serves it on --port")
    beside = parser.add_argument_group("the web chat beside the Telegram bot, in one process")
    beside.add_argument("--web-port", type=int, metavar="PORT",
                        help="also serve the web chat on this port (see `web`)")
    beside.add_argument("--web-host", default="127.0.0.1", help="address for --web-port")
    commands = parser.add_subparsers(dest="command")

    web = commands.add_parser("web", help="serve the web chat (a page and a JSON endpoint)")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    web.add_argument("--port", type=int, default=8080, help="port (%(default)s)")
    web.add_argument("--cookie-secure", choices=["auto", "always", "never"],
                     help="Secure flag on the cookie; auto: when the request is https "
                     "(default: $ROUTEWIJZER_WEB_COOKIE_SECURE or auto)")
    web.add_argument("--trust-proxy", action="store_true", default=None,
                     help="read the client address and https from X-Forwarded-For and "
                     "X-Forwarded-Proto (only behind your own reverse proxy; "
                     "or ROUTEWIJZER_WEB_TRUST_PROXY=1)")

    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--lang", choices=list(LANGUAGES), default="nl")
    chat.add_argument(
        "--start",
        default="",
        metavar="PAYLOAD",
        help="deep-link payload, e.g. oost, zuid-gezondheid",
    )

    check = commands.add_parser("check", help="validate the knowledge base and its examples")
    check.add_argument(
        "--max-age",
        type=float,
        default=DEFAULT_MAX_AGE_YEARS,
        metavar="YEARS",
        help="list services whose facts are older than this (default: 2)",
    )
    check.add_argument(
        "--stale",
        action="store_true",
        help="print the re-check worklist: services by age, emergency lines first, with sources",
    )

    schema_cmd = commands.add_parser("schema", help="write the JSON Schemas for editors")
    schema_cmd.add_argument("--out", type=Path, default=DEFAULT_DIRECTORY / "schema")

    match = commands.add_parser("match", help="show which services a question reaches")
    match.add_argument("question", nargs="?", help="the question (or use --batch -)")
    match.add_argument("--area", help="the resident's area id, e.g. oost")
    match.add_argument(
        "--lang", choices=list(LANGUAGES), default="nl", help="language of the descriptions"
    )
    match.add_argument("--top", type=int, default=3)
    match.add_argument("--json", action="store_true", help="one JSON object per question")
    match.add_argument("--batch", metavar="-", help="read one question per line from stdin")
    add_sharing_commands(commands)  # link, card, export, import: bot/sharing/commands.py
    add_operator_commands(commands)  # diff, report: for the people who run the bot
    for command in commands.choices.values():
        # Also after the command (`run_bot.py check --knowledge DIR`), as people type it;
        # SUPPRESS keeps a value given before the command when none is given after it.
        command.add_argument("--knowledge", type=Path, default=argparse.SUPPRESS,
                             help=f"knowledge directory (default: {DEFAULT_DIRECTORY})")
    return parser


def main(
    argv: list[str] | None = None, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    args = build_parser().parse_args(argv)
    use_utf8(stdin, stdout)
    if args.command == "check":
        if args.stale:
            return stale_command(args.knowledge, stdout)
        return check_command(args.knowledge, args.max_age, stdout)
    if args.command == "import":
        return import_command(args, stdout)
    if args.command in OPERATOR_COMMANDS:
        return operator_command(args, stdout)
    if args.command == "schema":
        for path in write_schemas(args.out):
            stdout.write(f"wrote {path}\n")
        return 0
    kb = load_or_explain(args.knowledge, stdout)
    if kb is None:
        return 2
    if args.command in SHARING_COMMANDS:
        return sharing_command(kb, args, stdout)
    if args.command == "match":
        return match_command(kb, args, stdin, stdout)
    if args.command == "web":
        from bot.frontends.web.server import run_web, settings_from_env

        settings = settings_from_env(args.cookie_secure, args.trust_proxy)
        return run_web(kb, args.host, args.port, settings)
    if args.command is None and os.environ.get("TELEGRAM_BOT_TOKEN"):
        from bot.frontends.telegram_bot import run_telegram

        return run_telegram(kb, args)
    if args.command is None and args.web_port:
        # No bot to run beside: the web chat alone, rather than a terminal nobody reads.
        from bot.frontends.web.server import run_web, settings_from_env

        stdout.write("No TELEGRAM_BOT_TOKEN set: serving only the web chat.\n")
        return run_web(kb, args.web_host, args.web_port, settings_from_env())
    if args.command is None:
        stdout.write("No TELEGRAM_BOT_TOKEN set: starting the conversation in this terminal.\n\n")
    lang = getattr(args, "lang", "nl")
    start = getattr(args, "start", "")
    return TerminalChat(Engine(kb), stdin, stdout).run(lang=lang, start=start)


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (spec, title) in schema.SCHEMAS.items():
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema.json_schema(spec, title), indent=2, ensure_ascii=False)
                        + "\n", encoding="utf-8")
        written.append(path)
    return written


def check_command(directory: Path, max_age: float, out: TextIO) -> int:
    report = run_checks(directory, max_age_years=max_age)
    if report.kb is None:
        out.write(f"✗ {len(report.problems)} problem(s) in {directory}:\n")
        for problem in report.problems:
            out.write(f"  {problem}\n")
        return 1
    kb = report.kb
    out.write(
        f"✓ Loaded {len(kb.services)} services, {len(kb.areas)} areas, "
        f"{sum(len(t) for t in kb.synonyms.values())} synonyms, "
        f"{len(kb.crisis)} crisis rules, texts in {', '.join(kb.texts)}.\n"
    )
    if report.stale:
        out.write(
            f"\n{len(report.stale)} service(s) with facts older than {max_age:g} years "
            "(re-check them and update `checked`):\n"
        )
        for service in report.stale:
            out.write(f"  {service.checked:>10}  {service.id}  ({service.file}:{service.line})\n")
    for warnings, what in (
        (report.warnings, "residents would read maintainers' text"),
        (report.untranslated, "places without a summary in a resident language (their card "
                              "shows Dutch)"),
        (report.left_out, "route examples the router leaves out"),
    ):
        if warnings:
            out.write(f"\n{len(warnings)} warning(s): {what}:\n")
            for warning in warnings:
                out.write(f"  {warning}\n")
    if report.problems:
        out.write(
            f"\n✗ {len(report.problems)} of {report.examples_checked} example questions "
            "do not reach their service:\n"
        )
        for problem in report.problems:
            out.write(f"  {problem}\n")
        return 1
    out.write(f"\n✓ All {report.examples_checked} example questions reach their service.\n")
    return 0


def stale_command(directory: Path, out: TextIO) -> int:
    """A volunteer's worklist: re-verify a few services a week, then update their `checked`."""
    try:
        kb = load_knowledge(directory)
    except KnowledgeError as error:
        out.write(f"✗ {len(error.problems)} problem(s) in {directory}; run check first:\n")
        for problem in error.problems:
            out.write(f"  {problem}\n")
        return 1
    out.write(
        "Re-check worklist: emergency lines first, then the oldest facts. Open the sources, "
        "check phone, address and hours, then set `checked` to today's date.\n"
    )
    for service in recheck_worklist(kb):
        mark = "  (emergency line)" if service.id in kb.emergency_services else ""
        out.write(f"\n{service.checked:>10}  {service.id}{mark}  ({service.file}:{service.line})\n")
        for source in service.sources:
            out.write(f"            {source}\n")
    return 0


def match_command(kb, args, stdin: TextIO, out: TextIO) -> int:
    if args.batch is None and not args.question:
        out.write("Give a question, or --batch - to read questions from stdin.\n")
        return 2
    if args.area and args.area not in kb.areas:
        out.write(f"Unknown area '{args.area}'; known: {', '.join(kb.areas)}\n")
        return 2
    matcher = Matcher(kb, learned=True)
    crisis = CrisisDetector(kb, learned=True)
    questions = numbered_lines(stdin) if args.batch else [(1, args.question)]
    unreadable = 0
    for number, question in questions:
        if question is None:  # still one answer line, in order, so outputs line up
            unreadable += 1
            error = f"line {number} is not UTF-8 text"
            out.write(json.dumps({"query": None, "error": error, "crisis": None, "results": []})
                      + "\n" if args.json else f"<{error}>\tskipped\n")
            continue
        hit = crisis.detect(question)
        ranked = matcher.match(question, Profile(area=args.area))[: max(args.top, 0)]
        if args.json:
            out.write(
                json.dumps(
                    {
                        "query": question,
                        "crisis": None
                        if hit is None
                        else {
                            "id": hit.rule_ids[0],
                            "rules": list(hit.rule_ids),
                            "services": list(hit.service_ids),
                            "phrases": list(hit.phrases),
                            "certain": hit.certain,
                        },
                        "results": [
                            {
                                "id": r.service.id,
                                "name": r.service.name,
                                "description": r.service.describe(args.lang),
                                "score": r.score,
                                "serves_area": r.serves_area,
                                "matched": [
                                    {"word": h.word, "keyword": h.keyword, "how": h.how}
                                    for h in r.hits
                                ],
                            }
                            for r in ranked
                        ],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            continue
        parts = []
        if hit:
            parts.append(f"CRISIS {'+'.join(hit.rule_ids)} -> {', '.join(hit.service_ids)}")
        for r in ranked:
            why = ", ".join(f"{h.word}->{h.keyword}" for h in r.hits[:3])
            parts.append(f"{r.service.id} ({r.score:.1f}: {why})")
        out.write(f"{question}\t{' | '.join(parts) or 'no match'}\n")
    return 1 if unreadable else 0
