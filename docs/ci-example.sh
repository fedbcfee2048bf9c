#!/usr/bin/env bash
# The plain-shell CI recipe of docs/ci.md, run for real against a PostgreSQL server by our own CI (.ci/run):
# make a database the way an app's CI would (here: seed the demo instead of running migrations), snapshot it,
# restore the snapshot into a fresh database, then run a small pytest suite with --seedkit-snapshot against it.
# Every database it makes has a unique name and is dropped on exit, whatever happened.
#
#   SERVER=postgresql://postgres@127.0.0.1:5432 SEEDKIT=seedkit PYTHON=python docs/ci-example.sh
set -euo pipefail

SERVER="${SERVER:-postgresql://postgres@127.0.0.1:5432}"
SEEDKIT="${SEEDKIT:-seedkit}"
PYTHON="${PYTHON:-python}"
SOURCE_DB="seedkit_ci_$$_source"
APP_DB="seedkit_ci_$$_app"
WORK="$(mktemp -d)"

cleanup() {
    # The restore kept a ready copy (a template database) for the app database: remove it with its database.
    (cd "$WORK" && "$SEEDKIT" cache clear --quiet) || true
    dropdb --if-exists --force --maintenance-db="$SERVER/postgres" "$SOURCE_DB" || true
    dropdb --if-exists --force --maintenance-db="$SERVER/postgres" "$APP_DB" || true
    rm -rf "$WORK"
}
trap cleanup EXIT

cd "$WORK"
cat > pyproject.toml <<TOML
[tool.seedkit]
database_url = "$SERVER/$APP_DB"
TOML
createdb --maintenance-db="$SERVER/postgres" "$SOURCE_DB"
createdb --maintenance-db="$SERVER/postgres" "$APP_DB"

# 1. Once, on a developer's machine: seed and snapshot (metadata/phase-2.json is what you commit).
"$SEEDKIT" --db "$SERVER/$SOURCE_DB" seed --profile minimal --phase 2 --quiet
"$SEEDKIT" --db "$SERVER/$SOURCE_DB" snapshot phase-2 --quiet

# 2. In CI: restore it into the app's database (an empty database gets the snapshot's schema)...
"$SEEDKIT" restore phase-2 --quiet
# ... or let the test run restore it once and give every test its own clone.
cat > test_app.py <<'PY'
import os

import sqlalchemy as sa


def test_sees_the_snapshot(seedkit_db):
    assert os.environ["DATABASE_URL"] == seedkit_db.url
    assert seedkit_db.connection.execute(sa.text("SELECT count(*) FROM users")).scalar() > 0
    seedkit_db.connection.execute(sa.text("DELETE FROM memberships"))
    seedkit_db.connection.commit()


def test_does_not_see_the_previous_test(seedkit_db):
    assert seedkit_db.connection.execute(sa.text("SELECT count(*) FROM memberships")).scalar() > 0
PY
"$PYTHON" -m pytest -q -p no:cacheprovider -p no:randomly test_app.py \
    --seedkit-snapshot phase-2 --seedkit-url-env DATABASE_URL
echo "ci-example: ok"
