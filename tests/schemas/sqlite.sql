-- SQLite case schema. Statements are separated by "-- ;;" lines; each case starts with "-- case: <name>".
-- Foreign-key enforcement stays off while loading (the sqlite3 default), so the cycle's rows can go in;
-- the test suite then checks with PRAGMA foreign_key_check that every reference resolves.

PRAGMA foreign_keys = OFF
-- ;;
BEGIN
-- ;;

-- case: fk-cycle-not-null: departments.manager_id -> employees, employees.department_id -> departments, both NOT NULL, not deferrable
CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    manager_id INTEGER NOT NULL REFERENCES employees (id)
)
-- ;;
CREATE TABLE employees (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    nickname TEXT
)
-- ;;
INSERT INTO departments (id, name, manager_id) VALUES (1, 'Research', 10), (2, 'Sales', 11)
-- ;;
INSERT INTO employees (id, name, department_id, nickname) VALUES
    (10, 'Ada', 1, 'countess'), (11, 'Grace', 2, NULL), (12, 'Linus', 1, '')
-- ;;

-- case: self-reference: categories.parent_id -> categories, NULL at the roots, a child with a smaller id than its parent
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES categories (id),
    name TEXT NOT NULL
)
-- ;;
INSERT INTO categories (id, parent_id, name) VALUES
    (1, 5, 'child listed before its parent'), (5, NULL, 'root'), (6, 5, 'second child'), (7, 1, 'grandchild'),
    (8, NULL, 'second root')
-- ;;

-- case: composite-pk-and-fk: order_lines (order_id, line_no) primary key, line_notes references it with both columns
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    placed_at TEXT NOT NULL
)
-- ;;
CREATE TABLE order_lines (
    order_id INTEGER NOT NULL REFERENCES orders (id),
    line_no INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_no)
)
-- ;;
CREATE TABLE line_notes (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    line_no INTEGER,
    note TEXT,
    FOREIGN KEY (order_id, line_no) REFERENCES order_lines (order_id, line_no)
)
-- ;;
INSERT INTO orders (id, placed_at) VALUES (1, '2024-01-02 03:04:05'), (2, '2024-02-29 23:59:59')
-- ;;
INSERT INTO order_lines (order_id, line_no, quantity) VALUES (1, 1, 3), (1, 2, 1), (2, 1, 7)
-- ;;
-- a note with a NULL line_no is not checked against order_lines (MATCH SIMPLE)
INSERT INTO line_notes (id, order_id, line_no, note) VALUES (1, 1, 2, 'fragile'), (2, 2, 1, NULL), (3, 2, NULL, 'whole order')
-- ;;

-- case: triggers-must-not-fire: products stamps last_update and writes product_audit on insert/update
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    price DECIMAL(10, 2),
    last_update TEXT NOT NULL
)
-- ;;
CREATE TABLE product_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL REFERENCES products (id),
    action TEXT NOT NULL,
    at TEXT NOT NULL
)
-- ;;
INSERT INTO products (id, name, price, last_update) VALUES
    (1, 'Widget', 9.99, '2001-02-03 04:05:06'), (2, 'Gadget', NULL, '2001-02-03 04:05:07')
-- ;;
INSERT INTO product_audit (id, product_id, action, at) VALUES (1, 1, 'insert', '2001-02-03 04:05:06')
-- ;;
-- created after the data, so the stored timestamps are the fixed ones above; a restore that fires them changes rows
CREATE TRIGGER products_stamp_insert AFTER INSERT ON products
BEGIN
    UPDATE products SET last_update = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id;
END
-- ;;
CREATE TRIGGER products_stamp_update AFTER UPDATE ON products
BEGIN
    UPDATE products SET last_update = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id;
END
-- ;;
CREATE TRIGGER products_audit_insert AFTER INSERT ON products
BEGIN
    INSERT INTO product_audit (product_id, action, at) VALUES (NEW.id, 'insert', strftime('%Y-%m-%d %H:%M:%f', 'now'));
END
-- ;;

-- case: view-over-table: v_products is a view (listed as a schema object, its rows are not data)
CREATE VIEW v_products AS SELECT id, name, price FROM products WHERE price IS NOT NULL
-- ;;

-- case: non-ascii-and-mixed-case-identifiers: table "Café Ünits" with column "Prix €", table "MixedCase" referencing it
CREATE TABLE "Café Ünits" (
    "Id" INTEGER PRIMARY KEY,
    "Prix €" REAL,
    "UnitName" TEXT
)
-- ;;
CREATE TABLE "MixedCase" (
    "Id" INTEGER PRIMARY KEY,
    "UnitId" INTEGER REFERENCES "Café Ünits" ("Id"),
    "CamelValue" TEXT
)
-- ;;
INSERT INTO "Café Ünits" ("Id", "Prix €", "UnitName") VALUES (1, 2.5, 'Crème brûlée'), (2, NULL, NULL), (3, 0.0, '日本語 🍣')
-- ;;
INSERT INTO "MixedCase" ("Id", "UnitId", "CamelValue") VALUES (1, 1, 'UPPER lower'), (2, NULL, NULL)
-- ;;

-- case: rowid-table: INTEGER PRIMARY KEY aliases the rowid; ids have gaps
CREATE TABLE rowid_items (
    id INTEGER PRIMARY KEY,
    label TEXT
)
-- ;;
INSERT INTO rowid_items (id, label) VALUES (1, 'one'), (3, 'three'), (9223372036854775807, 'max rowid'), (-5, NULL)
-- ;;

-- case: autoincrement-ahead: sqlite_sequence for autoinc_items is 500 while max(id) is 3
CREATE TABLE autoinc_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label TEXT
)
-- ;;
INSERT INTO autoinc_items (id, label) VALUES (1, 'a'), (2, NULL), (3, 'c')
-- ;;
UPDATE sqlite_sequence SET seq = 500 WHERE name = 'autoinc_items'
-- ;;

-- case: mixed-storage-classes: one untyped column holding integer 1, text '1', real 1.5, blob x'00ff', NULL, text ''
CREATE TABLE mixed_values (
    id INTEGER PRIMARY KEY,
    anything,
    numeric_col NUMERIC
)
-- ;;
-- numeric_col has NUMERIC affinity: '2' becomes integer 2, but 'abc' and blobs keep their class
INSERT INTO mixed_values (id, anything, numeric_col) VALUES
    (1, 1, '2'), (2, '1', 'abc'), (3, 1.5, 1.5), (4, x'00ff', x'00'), (5, NULL, NULL), (6, '', 1e308),
    (7, 9223372036854775807, '0.1'), (8, -0.0, '1e3')
-- ;;

-- case: declared-types: DECIMAL(10,2), DATETIME, BOOLEAN and "BLOB SUB_TYPE TEXT" holding what SQLite actually stores
CREATE TABLE declared_types (
    id INTEGER PRIMARY KEY,
    amount DECIMAL(10, 2),
    happened_at DATETIME,
    flag BOOLEAN,
    memo BLOB SUB_TYPE TEXT
)
-- ;;
INSERT INTO declared_types (id, amount, happened_at, flag, memo) VALUES
    (1, 10.10, '2024-01-02 03:04:05.123456', 1, 'plain text'),
    (2, '12.345', '2024-01-02T03:04:05+02:00', 0, x'00'),
    (3, 1234567.89, 1700000000, 'yes', ''),
    (4, NULL, NULL, NULL, NULL)
-- ;;

-- case: without-rowid: kv_store is a WITHOUT ROWID table keyed by text
CREATE TABLE kv_store (
    k TEXT PRIMARY KEY,
    v
) WITHOUT ROWID
-- ;;
INSERT INTO kv_store (k, v) VALUES ('a', 1), ('B', 'two'), ('é', NULL), ('', x'ff')
-- ;;

-- case: generated-column: boxes.volume is GENERATED ALWAYS AS (...) STORED; a restore must not write it
CREATE TABLE boxes (
    id INTEGER PRIMARY KEY,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    volume INTEGER GENERATED ALWAYS AS (width * height) STORED
)
-- ;;
INSERT INTO boxes (id, width, height) VALUES (1, 2, 3), (2, 0, 5)
-- ;;

-- case: index-objects: a plain and a unique index that must survive a restore
CREATE INDEX employees_by_department ON employees (department_id)
-- ;;
CREATE UNIQUE INDEX products_name_unique ON products (name)
-- ;;
COMMIT
-- ;;
