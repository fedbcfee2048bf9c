"""The documentation is true: every command it shows runs, and the CLI reference is what the commands say.

How the fenced code blocks of README.md and docs/*.md are treated. Every block names its language:

``sh``: run, line by line in page order, each page in a fresh temporary project that is the current directory
  (its default database is ``sqlite:///dev.db``). One command per line, or several joined by ``&&``. What follows
  ``#`` is prose, except for three forms that are asserted:
    ``# load: ...`` / ``# clone: ...``  the reason line the restore prints;
    ``# prints: TEXT``                   TEXT is in the command's output;
    ``# fails: TEXT``                    the command exits 1 with TEXT in its error.
  What each command does here:
    ``seedkit ...``                      runs through seedkit's ``main``, in process, and must exit 0;
    ``sqlite3 FILE "SQL"``, ``psql URL -c "SQL"``  the SQL runs on that database;
    ``createdb NAME``                    the PostgreSQL database NAME exists from then on (see URLs);
    ``export VAR=VALUE``, ``VAR=VALUE command``  environment for the rest of the page, or for that command;
    ``rm -rf PATH``                      removes PATH inside the project (what a fresh clone does not have);
    ``make TARGET [VAR=VALUE]...``       TARGET is documented in the Makefile (a ``##`` comment) and uses every VAR;
                                         a target whose recipe is seedkit commands runs them as above; the others
                                         (install, test, bench) are only checked, since they install or run this suite;
    ``pip install 'DIST[EXTRA]'``        DIST is pyproject's project name and each EXTRA one of its extras;
    ``pytest ...``                       a real pytest run in the project, on the page's test files (else one small
                                         test of its own), which must pass;
    ``.venv/bin/python SCRIPT ...``, ``.venv/bin/pytest ...``  commands of this repository: the files exist and
                                         every option is in the command's ``--help``.
  Anything else fails: teach ``DocsProject`` the command, or show it as ``console``.
URLs: ``postgresql://.../NAME`` and ``mysql://.../NAME`` in sh, python and toml blocks stand for a database NAME the
  test creates on the test server (required in CI) and drops; ``file:///srv/...`` stands for a temporary folder.
``python`` and ``toml`` whose first line is ``# PATH`` (``# myapp/seeds.py``, ``# pyproject.toml``): written to PATH
  in the project at that point of the page. Other ``python`` blocks are executed there, in process.
``yaml`` (CI workflows): not run; the seedkit, pytest and pip commands of each ``run:`` step are checked (a seedkit
  command line parses, the pytest plugin has each ``--seedkit-*`` option, the extras exist).
``console``, ``text``, ``mermaid`` and ``toml`` without a path: sample output, usage lines, diagrams, fragments of
  configuration; not run.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
import sqlalchemy as sa

from seedkit.cli import cli
from seedkit.seeding import seed, verify_password

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
LANGUAGES = {"sh", "python", "toml", "yaml", "console", "text", "mermaid"}
FENCE = re.compile(r"^([ \t]*)```(\S*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)
SERVER_URL = re.compile(r"\b(postgresql|mysql)://[^\s\"'/]+/(\w+)")
FILE_HEADER = re.compile(r"#\s*([\w.-]+(?:/[\w.-]+)*\.(?:py|toml))\s*$")
# Environment the project under test must not inherit from this test run.
CLEARED_ENV = ("SEEDKIT_DATABASE_URL", "DATABASE_URL", "SEEDKIT_STORE", "SEEDKIT_ENV", "APP_ENV", "ENV", "PYTEST_ADDOPTS",
               "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "SEEDKIT_FAIL_AT")
SMOKE_TEST = '''import sqlalchemy as sa


def test_the_snapshot_is_restored(seedkit_db):
    assert sa.inspect(seedkit_db.connection).get_table_names()
'''


def blocks(page: str) -> list[tuple[str, str]]:
    """The fenced code blocks of ``page`` (a path relative to the repository): (language, body), in order."""
    found = FENCE.findall((ROOT / page).read_text(encoding="utf-8"))
    return [(language, textwrap.dedent(body) if indent else body) for indent, language, body in found]


def load_cli_docs():
    spec = importlib.util.spec_from_file_location("cli_docs", ROOT / "scripts" / "cli_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the docs' commands run ------------------------------------------------------------------------------------------


@dataclass
class Ran:
    line: str
    code: int
    out: str
    err: str


@dataclass
class DocsProject:
    """A temporary project in which one page's blocks run, with the databases its URLs name."""

    path: Path
    monkeypatch: pytest.MonkeyPatch
    server: Callable[[str], object]          # "postgresql" | "mysql" -> the test backend (skips or fails if absent)
    make_database: Callable[[object], str]   # backend -> URL of a new database, dropped after the test
    databases: dict[tuple[str, str], str] = field(default_factory=dict)
    ran: list[Ran] = field(default_factory=list)

    def rewrite(self, text: str) -> str:
        """Documented URLs -> the test's own databases and folders."""
        text = SERVER_URL.sub(lambda m: self.database(m.group(1), m.group(2)), text)
        return text.replace("file:///srv/", f"file://{self.path.parent}/srv/")

    def database(self, kind: str, name: str) -> str:
        if (kind, name) not in self.databases:
            self.databases[(kind, name)] = self.make_database(self.server(kind))
        return self.databases[(kind, name)]

    def run_block(self, language: str, body: str) -> None:
        header = FILE_HEADER.fullmatch(body.splitlines()[0].strip()) if body.strip() else None
        if language in ("python", "toml") and header:
            target = self.path / header.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(self.rewrite(body), encoding="utf-8")
            if target.suffix == ".py" and target.parent != self.path:
                (target.parent / "__init__.py").touch()
        elif language == "python":
            exec(compile(self.rewrite(body), "<docs python block>", "exec"), {"__name__": "__docs__"})
        elif language == "sh":
            for line in body.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    self.run_line(line)
        elif language == "yaml":
            check_workflow(body)

    def run_line(self, line: str) -> None:
        command, comment = split_comment(self.rewrite(line))
        words = shlex.split(command)
        chain: list[list[str]] = [[]]
        for word in words:
            if word == "&&":
                chain.append([])
            else:
                chain[-1].append(word)
        for i, words in enumerate(chain):
            last = i == len(chain) - 1
            code, out, err = self.run_command(words)
            self.ran.append(Ran(line, code, out, err))
            expect_failure = last and comment.startswith("fails:")
            if expect_failure:
                assert code == 1, (line, out, err)
                assert comment.removeprefix("fails:").strip() in err, (line, err)
                continue
            assert code == 0, (line, out, err)
            if last and re.match(r"(load|clone):", comment):
                assert f"  {comment}" in out.splitlines(), (line, out)
            if last and comment.startswith("prints:"):
                assert comment.removeprefix("prints:").strip() in out, (line, out)

    def run_command(self, words: list[str]) -> tuple[int, str, str]:
        with self.monkeypatch.context() as scoped:
            while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
                name, _, value = words.pop(0).partition("=")
                scoped.setenv(name, value)
            program, args = words[0], words[1:]
            if program == "seedkit":
                from test_cli import run_main

                return run_main(*args)
            if program == "export":
                for assignment in args:
                    name, _, value = assignment.partition("=")
                    self.monkeypatch.setenv(name, value)
                return 0, "", ""
            if program == "sqlite3":
                with sqlite3.connect(self.path / args[0]) as conn:
                    conn.executescript(args[1])
                return 0, "", ""
            if program == "psql":
                assert args[1] == "-c", words
                execute_sql(args[0], args[2])
                return 0, "", ""
            if program == "createdb":
                self.database("postgresql", args[-1])
                return 0, "", ""
            if program == "rm":
                assert args[0] == "-rf" and len(args) == 2, words
                import shutil

                target = (self.path / args[1]).resolve()
                assert target.is_relative_to(self.path.resolve()) and target != self.path.resolve(), words
                shutil.rmtree(target, ignore_errors=True)
                return 0, "", ""
            if program == "make":
                return self.make(args)
            if program == "pip":
                check_pip_install(args)
                return 0, "", ""
            if program == "pytest":
                return self.pytest(args)
            if program.startswith(".venv/bin/"):
                check_repository_command(program.removeprefix(".venv/bin/"), args)
                return 0, "", ""
        raise AssertionError(f"{' '.join(words)}: a command the docs test does not know; run it in DocsProject "
                             "or show it as ```console")

    def make(self, args: list[str]) -> tuple[int, str, str]:
        target, assignments = args[0], dict(a.split("=", 1) for a in args[1:])
        recipe = makefile_targets().get(target)
        assert recipe is not None, f"make {target}: no documented target (a '## ' comment) in the Makefile"
        for name in assignments:
            assert f"$({name})" in "\n".join(recipe), f"make {target} does not use {name}="
        values = {**makefile_defaults(), **assignments}
        commands = [line.lstrip("@") for line in recipe]
        if not any(c.startswith("$(SEEDKIT)") for c in commands) or not all(
                c.startswith(("$(SEEDKIT)", "echo", "test -n")) for c in commands):
            return 0, "", ""  # installs or runs this suite: its existence is what is checked
        out = err = ""
        for command in commands:
            if command.startswith("$(SEEDKIT)"):
                expanded = re.sub(r"\$\((\w+)\)", lambda m: values.get(m.group(1), ""), command.replace("$(SEEDKIT)", "seedkit"))
                code, o, e = self.run_command(shlex.split(expanded))
                assert code == 0, (f"make {' '.join(args)}: {expanded}", e)
                out, err = out + o, err + e
        return 0, out, err

    def pytest(self, args: list[str]) -> tuple[int, str, str]:
        if not any(p for p in self.path.rglob("test_*.py") if ".seedkit-cache" not in p.parts):
            (self.path / "test_smoke.py").write_text(SMOKE_TEST, encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider", "--rootdir", "."],
                                cwd=self.path, capture_output=True, text=True, env=dict(os.environ), timeout=600, check=False)
        assert result.returncode == 0 and " passed" in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]
        return result.returncode, result.stdout, result.stderr


def split_comment(line: str) -> tuple[str, str]:
    """``command  # comment`` -> (command, comment), with ``#`` inside quotes left alone."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def execute_sql(url: str, sql: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in filter(str.strip, sql.split(";")):
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


@functools.cache
def makefile_targets() -> dict[str, list[str]]:
    """Documented targets (``target: ... ## help``) -> their recipe lines."""
    targets: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z_-]+):.*##", line)
        if match:
            current = targets[match.group(1)] = []
        elif line.startswith("\t") and current is not None:
            current.append(line.strip())
        elif line.strip():
            current = None
    return targets


@functools.cache
def makefile_defaults() -> dict[str, str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^(\w+) \?=[ \t]*(.*)$", text, re.M)}


@functools.cache
def distribution() -> tuple[str, frozenset[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["name"], frozenset(project.get("optional-dependencies", {}))


def check_pip_install(args: list[str]) -> None:
    assert args[0] == "install", args
    name, extras = distribution()
    for requirement in (a for a in args[1:] if not a.startswith("-") and a != "."):
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[([\w,-]+)\])?", requirement)
        assert match, requirement
        if match.group(2) is None and match.group(1) not in ("seedkit", name):
            continue  # another package (pytest, pytest-xdist)
        # "seedkit" on PyPI is another project: install lines name the distribution, whatever the import name.
        assert match.group(1) == name, f"pip install {requirement}: the distribution is {name!r}"
        unknown = set((match.group(2) or "").split(",")) - extras - {""}
        assert not unknown, f"pip install {requirement}: no extra {sorted(unknown)} (extras: {sorted(extras)})"


@functools.cache
def help_text(*command: str) -> str:
    result = subprocess.run([*command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_repository_command(program: str, args: list[str]) -> None:
    if program == "python":
        script, args = args[0], args[1:]
        assert (ROOT / script).is_file(), f"{script} does not exist"
        usage = help_text(sys.executable, str(ROOT / script))
    else:
        assert program == "pytest", program
        usage = help_text(sys.executable, "-m", "pytest")
    for arg in args:
        if arg.startswith("-"):
            assert re.search(rf"(^|[\s,]){re.escape(arg.split('=')[0])}\b", usage, re.M), f"{program}: no option {arg}"
        elif "/" in arg or arg.endswith(".py"):
            assert (ROOT / arg.split("::")[0]).exists(), f"{arg} does not exist"


def check_workflow(text: str) -> None:
    """The seedkit, pytest and pip commands of a CI workflow's ``run:`` steps are real."""
    steps = re.findall(r"^\s*(?:- )?run:[ \t]*(.*)$", text, re.M)
    assert steps, "a workflow without run: steps"
    for step in steps:
        for command in re.split(r"&&|\n", step):
            words = shlex.split(split_comment(command)[0])
            if not words:
                continue
            if words[0] == "seedkit":
                from test_cli import run_main

                code, _, err = run_main(*words[1:], "--help")
                assert code == 0, (command, err)
            elif words[0] == "pytest":
                options = help_text(sys.executable, "-m", "pytest")
                for word in words:
                    if word.startswith("--seedkit"):
                        assert re.search(rf"^\s+{re.escape(word.split('=')[0])}\b", options, re.M), \
                            f"{command}: the pytest plugin has no option {word}"
            elif words[0] == "pip":
                check_pip_install(words[1:])


@pytest.mark.parametrize("page", PAGES)
def test_every_command_in_the_docs_runs(page, tmp_path, monkeypatch, request, database_factory):
    project = tmp_path / "project"
    project.mkdir()
    for name in CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))
    docs = DocsProject(project, monkeypatch, lambda kind: request.getfixturevalue(f"{kind}_backend"), database_factory)
    before = set(sys.modules)
    try:
        for language, body in blocks(page):
            docs.run_block(language, body)
    finally:
        for name in set(sys.modules) - before:  # the page's own modules (myapp.seeds) must not outlive it
            if str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(project)):
                del sys.modules[name]


@pytest.mark.parametrize("page", PAGES)
def test_every_code_block_names_a_language_the_docs_test_knows(page):
    fences = re.findall(r"^[ \t]*```(.*)$", (ROOT / page).read_text(encoding="utf-8"), re.M)
    openings = fences[::2]
    unknown = [f"```{tag}" for tag in openings if tag not in LANGUAGES]
    assert not unknown, f"{page}: {unknown}; use one of {sorted(LANGUAGES)} (see tests/test_docs.py)"


# -- the pages hang together -----------------------------------------------------------------------------------------


def test_readme_is_short():
    assert len(README.encode("utf-8")) <= 8000, "the README is for a newcomer: move detail to docs/"


def test_every_docs_page_is_in_the_table_of_contents():
    contents = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for page in PAGES:
        if page.startswith("docs/") and page != "docs/README.md":
            assert f"]({Path(page).name})" in contents, f"{page} is not in docs/README.md"


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES)
def test_relative_links_point_at_files_and_headings_that_exist(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path = (ROOT / page).parent / target if target else ROOT / page
        assert path.exists(), f"{page}: link to {target}, which does not exist"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{page}: link to {target}#{anchor}, a heading that does not exist"


def test_every_pytest_plugin_option_is_on_the_plugin_page():
    page = (ROOT / "docs" / "pytest.md").read_text(encoding="utf-8")
    options = set(re.findall(r"^\s+(--seedkit-[\w-]+)", help_text(sys.executable, "-m", "pytest"), re.M))
    assert options, "the pytest plugin declares no --seedkit-* option"
    assert not {o for o in options if f"`{o}" not in page}, "docs/pytest.md misses a plugin option"


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


def test_ci_runs_the_shell_recipe_the_ci_page_names():
    assert "docs/ci-example.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "(ci-example.sh)" in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def test_demo_logins_table_matches_the_standard_profile(tmp_path):
    rows = re.findall(r"^\| (.+?) \| `(.+?)` \| (admin|therapist) \|$",
                      (ROOT / "docs" / "seeds.md").read_text(encoding="utf-8"), re.M)
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


# -- the CLI reference is generated, current and complete ------------------------------------------------------------


def test_cli_reference_is_what_the_script_writes_now():
    cli_docs = load_cli_docs()
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == cli_docs.expected_page(), \
        "docs/cli.md is out of date: run .venv/bin/python scripts/cli_docs.py --write"


def _commands() -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(cli.commands.items()):
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", subcommand) for sub, subcommand in sorted(command.commands.items())]
        else:
            found.append((name, command))
    return found


def _section(page: str, heading: str) -> str:
    start = page.index(f"\n{heading}\n")
    end = page.find("\n## ", start + 1)
    return page[start:end if end != -1 else None]


@pytest.mark.parametrize("name,command", _commands(), ids=[name for name, _ in _commands()])
def test_every_command_and_option_is_in_the_cli_reference(name, command):
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"\n## seedkit {name}\n" in page, f"seedkit {name} is not documented"
    section = _section(page, f"## seedkit {name}")
    global_options = _section(page, "## Global options")
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert any(f"`{opt}" in section or f"`{opt}" in global_options or f", {opt}" in global_options
                       for opt in param.opts), f"{name} {param.opts} is not documented"
