"""Hard schemas for zero-config seeding, one per backend: a shop with a cycle (a store's manager is a staff member of
a store), self-references, a composite key and a key into it, a one-to-one, CHECKs of each understood kind
(comparisons, BETWEEN, IN, length, cross-column), unique columns (one by expression), and names that need quoting.
The server ones add their own types: PostgreSQL enums, domains, arrays, json, uuid, inet, intervals and an identity
GENERATED ALWAYS; MariaDB ENUM, SET, YEAR, BIT, unsigned and JSON."""

from __future__ import annotations

COMMON = {
    "stores": "id {int_key}, name VARCHAR(40) NOT NULL UNIQUE, manager_id INTEGER, country_code CHAR(2) NOT NULL",
    "staff": "id {int_key}, store_id INTEGER NOT NULL, first_name VARCHAR(30) NOT NULL, last_name VARCHAR(30) NOT NULL, "
             "email VARCHAR(60) NOT NULL UNIQUE, active BOOLEAN NOT NULL, reports_to INTEGER",
    "categories": "id {int_key}, parent_id INTEGER, slug VARCHAR(40) NOT NULL UNIQUE, title VARCHAR(80) NOT NULL",
    "products": "id {int_key}, category_id INTEGER NOT NULL, sku CHAR(8) NOT NULL UNIQUE, title VARCHAR(80) NOT NULL, "
                "price NUMERIC(8,2) NOT NULL CHECK (price > 0), rating INTEGER CHECK (rating BETWEEN 1 AND 5), "
                "status VARCHAR(10) NOT NULL CHECK (status IN ('draft', 'live', 'retired')), description TEXT, "
                "created_at {timestamp} NOT NULL, updated_at {timestamp}, CHECK (updated_at >= created_at)",
    "customers": "id {int_key}, store_id INTEGER NOT NULL, email VARCHAR(80) NOT NULL, full_name VARCHAR(60) NOT NULL, "
                 "phone VARCHAR(20), birth_date DATE, deleted_at {timestamp}",
    "orders": "id {int_key}, customer_id INTEGER NOT NULL, staff_id INTEGER, placed_at {timestamp} NOT NULL, "
              "total NUMERIC(10,2) NOT NULL CHECK (total >= 0), currency CHAR(3) NOT NULL",
    "order_lines": "order_id INTEGER NOT NULL, line_no INTEGER NOT NULL CHECK (line_no > 0), "
                   "product_id INTEGER NOT NULL, quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99), "
                   "PRIMARY KEY (order_id, line_no)",
    "line_notes": "id {int_key}, order_id INTEGER NOT NULL, line_no INTEGER NOT NULL, "
                  "body VARCHAR(200) NOT NULL CHECK (length(body) <= 150)",
    "product_tags": "product_id INTEGER NOT NULL, tag VARCHAR(20) NOT NULL, PRIMARY KEY (product_id, tag)",
    "bookings": "id {int_key}, customer_id INTEGER NOT NULL, starts_at {timestamp} NOT NULL, "
                "ends_at {timestamp} NOT NULL, CHECK (ends_at > starts_at)",
    "profiles": "customer_id INTEGER PRIMARY KEY, bio TEXT, website VARCHAR(100)",
}
# (table, columns, parent, parent columns, nullable): the foreign keys, added after the tables (a cycle needs that).
KEYS = [
    ("stores", "manager_id", "staff", "id"),
    ("staff", "store_id", "stores", "id"),
    ("staff", "reports_to", "staff", "id"),
    ("categories", "parent_id", "categories", "id"),
    ("products", "category_id", "categories", "id"),
    ("customers", "store_id", "stores", "id"),
    ("orders", "customer_id", "customers", "id"),
    ("orders", "staff_id", "staff", "id"),
    ("order_lines", "order_id", "orders", "id"),
    ("order_lines", "product_id", "products", "id"),
    ("line_notes", "order_id, line_no", "order_lines", "order_id, line_no"),
    ("product_tags", "product_id", "products", "id"),
    ("bookings", "customer_id", "customers", "id"),
    ("profiles", "customer_id", "customers", "id"),
]


def sqlite_schema() -> list[str]:
    # SQLite cannot add a foreign key to an existing table: each table declares its own.
    keys: dict[str, list[str]] = {}
    for table, columns, parent, parent_columns in KEYS:
        keys.setdefault(table, []).append(f"FOREIGN KEY ({columns}) REFERENCES {parent} ({parent_columns})")
    statements = [f"CREATE TABLE {table} ({body.format(int_key='INTEGER PRIMARY KEY', timestamp='DATETIME')}"
                  + "".join(f", {key}" for key in keys.get(table, [])) + ")" for table, body in COMMON.items()]
    return statements + [
        "CREATE UNIQUE INDEX customers_email ON customers (lower(email))",
        'CREATE TABLE "Odd Names" ("Key Col" INTEGER PRIMARY KEY, "weird""quote" VARCHAR(10), amount REAL)',
    ]


def _server_keys(deferrable: str = "") -> list[str]:
    return [f"ALTER TABLE {table} ADD FOREIGN KEY ({columns}) REFERENCES {parent} ({parent_columns}){deferrable}"
            for table, columns, parent, parent_columns in KEYS]


def postgresql_schema() -> list[str]:
    statements = ["CREATE TYPE mood AS ENUM ('calm', 'busy', 'closed')",
                  "CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0)"]
    statements += [f"CREATE TABLE {table} ({body.format(int_key='serial PRIMARY KEY', timestamp='timestamptz')})"
                   for table, body in COMMON.items()]
    statements += _server_keys()
    return statements + [
        "CREATE UNIQUE INDEX customers_email ON customers (lower(email))",
        "CREATE UNIQUE INDEX customers_live_phone ON customers (phone) WHERE deleted_at IS NULL",
        "CREATE TABLE events (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, store_id integer NOT NULL "
        "REFERENCES stores (id), mood mood NOT NULL, seats positive_int NOT NULL, tags text[], payload jsonb, "
        "token uuid NOT NULL UNIQUE, client_ip inet, duration interval, happened_at timestamp, opens time, "
        "small smallint, big bigint, ratio double precision, data bytea)",
        "CREATE TABLE event_notes (id serial PRIMARY KEY, event_id integer NOT NULL REFERENCES events (id), "
        "note text NOT NULL)",
        'CREATE TABLE "Odd Names" ("Key Col" integer PRIMARY KEY, "weird""quote" varchar(10), amount real)',
    ]


def mysql_schema() -> list[str]:
    statements = [f"CREATE TABLE {table} ({body.format(int_key='INTEGER AUTO_INCREMENT PRIMARY KEY', timestamp='DATETIME')})"
                  for table, body in COMMON.items()]
    statements += _server_keys()
    return statements + [
        "CREATE TABLE events (id INTEGER AUTO_INCREMENT PRIMARY KEY, store_id INTEGER NOT NULL, "
        "mood ENUM('calm', 'busy', 'closed') NOT NULL, perks SET('wifi', 'food', 'parking'), opened YEAR, "
        "flags BIT(3), seats SMALLINT UNSIGNED NOT NULL, tiny TINYINT UNSIGNED, payload JSON, "
        "code VARCHAR(3) NOT NULL UNIQUE, amount DECIMAL(7,3), FOREIGN KEY (store_id) REFERENCES stores (id))",
        "CREATE TABLE `Odd Names` (`Key Col` INTEGER PRIMARY KEY, `weird\"quote` VARCHAR(10), amount DOUBLE)",
    ]


SCHEMAS = {"sqlite": sqlite_schema, "postgresql": postgresql_schema, "mysql": mysql_schema}
