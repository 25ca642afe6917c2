"""`run_bot.py diff` and `run_bot.py report`: what a knowledge edit changes, and what residents
needed. For maintainers and the buurtteam, not for residents."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from bot.changes import (
    EMERGENCY_EXIT,
    LABELLED_FILES,
    Router,
    all_questions,
    compare,
    knowledge_at_revision,
    labelled_questions,
)
from bot.checks import load_or_explain
from bot.dialogue.state import FORGET_AFTER_DAYS
from bot.insights import Insights
from bot.insights.report import render_report
from bot.knowledge.loader import load_knowledge
from bot.knowledge.yaml_source import KnowledgeError

OPERATOR_COMMANDS = ("diff", "report")
_PERIOD = re.compile(r"^(\d+)d?$")


def add_operator_commands(commands: argparse._SubParsersAction) -> None:
    diff = commands.add_parser(
        "diff", help="which answers a knowledge change moves (exit 3 if an emergency's routing "
        "changes)")
    diff.add_argument("--before", type=Path, metavar="DIR", help="the knowledge as it was")
    diff.add_argument("--after", type=Path, metavar="DIR",
                      help="the knowledge as it will be (default: --knowledge)")
    diff.add_argument("--rev", metavar="REV",
                      help="compare with the knowledge directory at this git revision instead")
    diff.add_argument("--messages", type=Path, action="append", metavar="FILE",
                      help="labelled messages (YAML) to ask as well; default: the development "
                      "sets in bench/data/")
    report = commands.add_parser("report", help="the unmet-needs report as an HTML page")
    report.add_argument("--since", default="7d", help="period in days, e.g. 7d or 30d")
    report.add_argument("--out", type=Path, default=Path("report.html"),
                        help="the HTML file to write, or - for stdout")
    report.add_argument("--lang", choices=["nl", "en"], default="nl")
    report.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("ROUTEWIJZER_DATA_DIR", "data")))


def operator_command(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "diff":
        return diff_command(args, out)
    return report_command(args, out)


def diff_command(args: argparse.Namespace, out: TextIO) -> int:
    if (args.before is None) == (args.rev is None):
        out.write("Give either --before DIR or --rev REV.\n")
        return 2
    after_dir = args.after or args.knowledge
    with ExitStack() as stack:
        try:
            before_dir = args.before or stack.enter_context(
                knowledge_at_revision(after_dir, args.rev))
        except (subprocess.CalledProcessError, ValueError, OSError) as error:
            out.write(f"Could not read the knowledge at {args.rev}: {error}\n")
            return 2
        kbs = []
        for name, directory in (("before", before_dir), ("after", after_dir)):
            try:
                kbs.append(load_knowledge(directory))
            except KnowledgeError as error:
                out.write(f"✗ The {name} knowledge has errors; run check:\n")
                for problem in error.problems:
                    out.write(f"  {problem}\n")
                return 2
    before, after = kbs
    labelled = labelled_questions(args.messages or LABELLED_FILES)
    questions = all_questions(before, after, labelled)
    changes = compare(Router(before), Router(after), questions)
    emergencies = [c for c in changes if c.emergency]
    if not changes:
        out.write(f"✓ None of {len(questions)} questions is answered differently.\n")
        return 0
    out.write(f"{len(changes)} of {len(questions)} questions are answered differently "
              "(before → after):\n")
    for change in changes:
        out.write(f"  {'EMERGENCY ' if change.emergency else ''}{change}\n")
    if emergencies:
        out.write(f"\n✗ {len(emergencies)} change(s) to an emergency's routing: "
                  "check them before this goes live.\n")
        return EMERGENCY_EXIT
    return 0


def report_command(args: argparse.Namespace, out: TextIO) -> int:
    found = _PERIOD.match(args.since.strip())
    if not found or int(found.group(1)) < 1:
        out.write("--since takes a number of days, e.g. 7d.\n")
        return 2
    kb = load_or_explain(args.knowledge, out)
    if kb is None:
        return 2
    forget = float(os.environ.get("ROUTEWIJZER_FORGET_AFTER_DAYS", FORGET_AFTER_DAYS))
    insights = Insights(args.data_dir, forget_after_days=forget)
    try:
        summary = insights.summary(int(found.group(1)))
    finally:
        insights.close()
    page = render_report(summary, kb, args.lang)
    if str(args.out) == "-":  # a container writes it to the host through stdout
        out.write(page)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    out.write(f"wrote {args.out} ({summary.since} – {summary.until})\n")
    return 0
