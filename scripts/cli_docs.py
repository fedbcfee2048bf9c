"""Write docs/cli.md, the command-line reference, from the click commands' own help.

The page is a hand-written preamble (which database, exit codes, the production guard), kept as it is, then a
marker line, then what this script generates: the global options, a summary of the commands, and each command's
usage and options. tests/test_docs.py fails when the page is not what this script writes now.

    .venv/bin/python scripts/cli_docs.py --write     # after changing a command, an option or a help text
    .venv/bin/python scripts/cli_docs.py --check     # exit 1, with a diff, when docs/cli.md is out of date
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

import click

from seedkit.cli import cli

PAGE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
MARKER = ("<!-- Generated below by scripts/cli_docs.py from the commands' help: edit seedkit/cli/, then run "
          "`.venv/bin/python scripts/cli_docs.py --write`. -->")
# Commands in the order a newcomer meets them; a command missing here is listed after these, by name.
ORDER = ["seed", "snapshot", "restore", "reset", "list", "show", "verify", "delete", "diff", "push", "pull", "rebuild",
         "lock", "cache list", "cache clear"]


def commands(group: click.Group = cli) -> list[tuple[str, click.Command]]:
    """Every command with its full name (``cache clear``), in ORDER, then the others by name."""
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", subcommand) for sub, subcommand in sorted(command.commands.items())]
        else:
            found.append((name, command))
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found, key=lambda item: (rank.get(item[0], len(ORDER)), item[0]))


def global_option_names() -> set[str]:
    """The option strings of the group's own options, which every command accepts too."""
    return {opt for param in cli.params for opt in param.opts + param.secondary_opts}


def render(preamble: str) -> str:
    """The whole page: ``preamble`` (ending with MARKER) and the generated reference."""
    root = click.Context(cli, info_name="seedkit", **cli.context_settings)
    lines = [preamble.rstrip("\n"), "", "## Global options", "",
             "Accepted before or after any command.", ""]
    lines += _option_table(cli, root, include_help=True)
    lines += ["", "## Commands", "", "| command | what it does |", "|---|---|"]
    lines += [f"| [`seedkit {name}`](#{_anchor(name)}) | {_summary(command)} |" for name, command in commands()]
    shared = global_option_names()
    for name, command in commands():
        ctx = click.Context(command, info_name=f"seedkit {name}", parent=root)
        usage = " ".join(command.collect_usage_pieces(ctx))
        lines += ["", f"## seedkit {name}", "", "```text", f"seedkit {name} {usage}", "```", ""]
        lines += [paragraph for paragraph in _paragraphs(command.help or "")]
        own = [p for p in command.params if isinstance(p, click.Option) and not p.hidden
               and not set(p.opts) & shared]
        lines.append("")
        if own:
            lines += _option_table(command, ctx, params=own)
            lines.append("")
        lines.append("Also the [global options](#global-options).")
    return "\n".join(lines) + "\n"


def _option_table(command: click.Command, ctx: click.Context, params: list[click.Parameter] | None = None,
                  include_help: bool = False) -> list[str]:
    chosen = list(command.params if params is None else params)
    if include_help:
        help_option = command.get_help_option(ctx)
        if help_option is not None:
            chosen.append(help_option)
    rows = ["| option | meaning |", "|---|---|"]
    for param in chosen:
        record = param.get_help_record(ctx)
        if record is None:
            continue
        opts, text = record
        rows.append(f"| `{_cell(opts)}` | {_cell(text)} |")
    return rows


def _paragraphs(text: str) -> list[str]:
    """A docstring's paragraphs, each on one line, separated by blank lines."""
    blocks = [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]
    out: list[str] = []
    for block in blocks:
        out += [block, ""]
    return out[:-1]


def _summary(command: click.Command) -> str:
    """The first paragraph of a command's help (click's own short help cuts at the first "...")."""
    return _cell(command.short_help or (_paragraphs(command.help or "") or [""])[0])


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _anchor(name: str) -> str:
    return "seedkit-" + name.replace(" ", "-")


def preamble_of(page: str) -> str:
    """The hand-written part of ``page``, up to and including the marker line."""
    head, found, _ = page.partition(MARKER)
    if not found:
        raise SystemExit(f"{PAGE}: the marker line is missing; the preamble must end with:\n{MARKER}")
    return head + MARKER + "\n"


def expected_page(path: Path = PAGE) -> str:
    """What the page at ``path`` should hold: its own preamble and the reference generated now."""
    return render(preamble_of(path.read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="rewrite docs/cli.md")
    action.add_argument("--check", action="store_true", help="exit 1 with a diff when docs/cli.md is out of date")
    args = parser.parse_args(argv)
    current = PAGE.read_text(encoding="utf-8")
    expected = expected_page()
    if args.write:
        if expected != current:
            PAGE.write_text(expected, encoding="utf-8")
            print(f"wrote {PAGE}")
        return 0
    if expected == current:
        return 0
    sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), expected.splitlines(True),
                                               "docs/cli.md", "docs/cli.md (generated now)"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
