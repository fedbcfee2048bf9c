"""The README documents every command and option, its two set-up commands exist, and its demo logins are real."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import click
import pytest

from seedkit.cli.commands import cli
from seedkit.seeding import seed, verify_password

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(cli.commands.items()):
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", subcommand) for sub, subcommand in sorted(command.commands.items())]
        else:
            found.append((name, command))
    return found


@pytest.mark.parametrize("name,command", _commands(), ids=[name for name, _ in _commands()])
def test_every_command_and_option_is_in_the_cli_reference(name, command):
    reference = README[README.index("## CLI reference"):]
    assert f"`seedkit {name}" in reference, f"seedkit {name} is not documented"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert any(opt in reference for opt in param.opts), f"{name} {param.opts} is not documented"


def test_readme_set_up_is_exactly_two_make_targets_that_exist():
    setup = README[README.index("## Set up"):README.index("## Snapshot and restore")]
    block = re.search(r"```sh\n(.*?)```", setup, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.M)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_demo_logins_table_matches_the_standard_profile(tmp_path):
    rows = re.findall(r"^\| (.+?) \| `(.+?)` \| (admin|therapist) \|$", README, re.M)
    assert rows, "no demo logins table"
    db = tmp_path / "demo.db"
    report = seed(f"sqlite:///{db}", profile="standard", environ={})
    assert report.ok
    with sqlite3.connect(db) as conn:
        seeded = conn.execute(
            "SELECT o.name, u.email, m.role, u.password_hash FROM users u JOIN memberships m ON m.user_id = u.id "
            "JOIN organizations o ON o.id = m.organization_id ORDER BY o.id, u.id"
        ).fetchall()
    assert [(o, e, r) for o, e, r, _ in seeded] == rows
    assert all(verify_password("Password123!", stored) for *_, stored in seeded)


def test_readme_seeds_example_runs_as_documented(tmp_path, monkeypatch):
    section = README[README.index("## Writing seeds for your app"):]
    code = re.search(r"```python\n# myapp/seeds.py\n(.*?)```", section, re.S).group(1)
    (tmp_path / "myapp").mkdir()
    (tmp_path / "myapp" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "myapp" / "seeds.py").write_text(code, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.seedkit]\nseeds = "myapp.seeds"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    from test_cli import run_main
    import json

    code_, out, err = run_main("seed", "--profile", "minimal", "--json")
    assert code_ == 0, err
    assert json.loads(out)["created"] == {"genres": 2, "authors": 3, "books": 6}
    with sqlite3.connect(tmp_path / "dev.db") as conn:
        conn.execute("DELETE FROM books WHERE author_id = 1")
    _, out, _ = run_main("seed", "--audit", "--json")
    gaps = json.loads(out)["gaps"]
    assert len(gaps) == 1 and gaps[0]["missing"] == 2
    _, out, _ = run_main("seed", "--no-clear", "--json")
    assert json.loads(out)["created"]["books"] == 2


def test_the_reset_guide_runs_as_documented_and_prints_the_reasons_it_shows(tmp_path, monkeypatch):
    # Every command of docs/reset-and-guarantees.md runs, and each "# clone: ..." / "# load: ..." comment is the
    # reason line that command prints.
    import shlex

    from test_cli import run_main

    page = (ROOT / "docs" / "reset-and-guarantees.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", page, re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    for line in (line for block in blocks for line in block.splitlines() if line.strip()):
        command, _, comment = line.partition("#")
        words = shlex.split(command)
        if words[0] == "sqlite3":
            with sqlite3.connect(tmp_path / words[1]) as conn:
                conn.executescript(words[2])
            continue
        assert words[0] == "seedkit", line
        code, out, err = run_main(*words[1:])
        assert code == 0, (line, err)
        if comment.strip():
            assert f"  {comment.strip()}" in out.splitlines(), (line, out)
