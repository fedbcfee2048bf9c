-- PostgreSQL case schema. Statements are separated by "-- ;;" lines; each case starts with "-- case: <name>".
-- The loader runs the whole file in one transaction, so the deferred cycle constraints are checked at commit.

SET TimeZone = 'UTC'
-- ;;

-- case: fk-cycle-not-null: departments.manager_id -> employees, employees.department_id -> departments, both NOT NULL, DEFERRABLE INITIALLY DEFERRED
CREATE TABLE departments (
    id integer PRIMARY KEY,
    name text NOT NULL,
    manager_id integer NOT NULL
)
-- ;;
CREATE TABLE employees (
    id integer PRIMARY KEY,
    name text NOT NULL,
    department_id integer NOT NULL REFERENCES departments (id) DEFERRABLE INITIALLY DEFERRED,
    nickname text
)
-- ;;
ALTER TABLE departments ADD CONSTRAINT departments_manager_id_fkey
    FOREIGN KEY (manager_id) REFERENCES employees (id) DEFERRABLE INITIALLY DEFERRED
-- ;;
INSERT INTO departments (id, name, manager_id) VALUES (1, 'Research', 10), (2, 'Sales', 11)
-- ;;
INSERT INTO employees (id, name, department_id, nickname) VALUES
    (10, 'Ada', 1, 'countess'), (11, 'Grace', 2, NULL), (12, 'Linus', 1, '')
-- ;;
-- check the cycle now: later DDL on these tables is refused while deferred checks are pending
SET CONSTRAINTS ALL IMMEDIATE
-- ;;

-- case: self-reference: categories.parent_id -> categories, NULL at the roots, a child with a smaller id than its parent
CREATE TABLE categories (
    id integer PRIMARY KEY,
    parent_id integer REFERENCES categories (id),
    name text NOT NULL
)
-- ;;
INSERT INTO categories (id, parent_id, name) VALUES
    (5, NULL, 'root'), (8, NULL, 'second root'), (1, 5, 'child listed before its parent'), (6, 5, 'second child'),
    (7, 1, 'grandchild')
-- ;;

-- case: composite-pk-and-fk: order_lines (order_id, line_no) primary key, line_notes references it with both columns
CREATE TABLE orders (
    id integer PRIMARY KEY,
    placed_at timestamptz NOT NULL
)
-- ;;
CREATE TABLE order_lines (
    order_id integer NOT NULL REFERENCES orders (id),
    line_no integer NOT NULL,
    quantity integer NOT NULL,
    PRIMARY KEY (order_id, line_no)
)
-- ;;
CREATE TABLE line_notes (
    id integer PRIMARY KEY,
    order_id integer NOT NULL,
    line_no integer,
    note text,
    FOREIGN KEY (order_id, line_no) REFERENCES order_lines (order_id, line_no)
)
-- ;;
INSERT INTO orders (id, placed_at) VALUES (1, '2024-01-02 03:04:05+00'), (2, '2024-02-29 23:59:59.999999+00')
-- ;;
INSERT INTO order_lines (order_id, line_no, quantity) VALUES (1, 1, 3), (1, 2, 1), (2, 1, 7)
-- ;;
-- a note with a NULL line_no is not checked against order_lines (MATCH SIMPLE)
INSERT INTO line_notes (id, order_id, line_no, note) VALUES (1, 1, 2, 'fragile'), (2, 2, 1, NULL), (3, 2, NULL, 'whole order')
-- ;;

-- case: triggers-must-not-fire: products stamps last_update = now() and writes product_audit on insert/update
CREATE TABLE products (
    id integer PRIMARY KEY,
    name text NOT NULL UNIQUE,
    price numeric(10, 2),
    last_update timestamptz NOT NULL
)
-- ;;
CREATE TABLE product_audit (
    id serial PRIMARY KEY,
    product_id integer NOT NULL REFERENCES products (id),
    action text NOT NULL,
    at timestamptz NOT NULL
)
-- ;;
INSERT INTO products (id, name, price, last_update) VALUES
    (1, 'Widget', 9.99, '2001-02-03 04:05:06+00'), (2, 'Gadget', NULL, '2001-02-03 04:05:07+00')
-- ;;
INSERT INTO product_audit (product_id, action, at) VALUES (1, 'insert', '2001-02-03 04:05:06+00')
-- ;;
CREATE FUNCTION stamp_last_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_update := now();
    RETURN NEW;
END;
$$
-- ;;
CREATE FUNCTION audit_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO product_audit (product_id, action, at) VALUES (NEW.id, lower(TG_OP), now());
    RETURN NEW;
END;
$$
-- ;;
-- created after the data, so the stored timestamps are the fixed ones above; a restore that fires them changes rows
CREATE TRIGGER products_stamp BEFORE INSERT OR UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION stamp_last_update()
-- ;;
CREATE TRIGGER products_audit AFTER INSERT OR UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION audit_product()
-- ;;

-- case: view-over-table: v_products is a view (listed as a schema object, its rows are not data)
CREATE VIEW v_products AS SELECT id, name, price FROM products WHERE price IS NOT NULL
-- ;;

-- case: materialized-view: mv_product_counts (listed as a schema object; its contents are derived, not data)
CREATE MATERIALIZED VIEW mv_product_counts AS SELECT count(*) AS products, count(price) AS priced FROM products
-- ;;

-- case: non-ascii-and-mixed-case-identifiers: table "Café Ünits" with column "Prix €", table "MixedCase" referencing it
CREATE TABLE "Café Ünits" (
    "Id" integer PRIMARY KEY,
    "Prix €" numeric(8, 2),
    "UnitName" text
)
-- ;;
CREATE TABLE "MixedCase" (
    "Id" integer PRIMARY KEY,
    "UnitId" integer REFERENCES "Café Ünits" ("Id"),
    "CamelValue" text
)
-- ;;
INSERT INTO "Café Ünits" ("Id", "Prix €", "UnitName") VALUES (1, 2.50, 'Crème brûlée'), (2, NULL, NULL), (3, 0, '日本語 🍣')
-- ;;
INSERT INTO "MixedCase" ("Id", "UnitId", "CamelValue") VALUES (1, 1, 'UPPER lower'), (2, NULL, NULL)
-- ;;

-- case: identity-always: identity_items.id is GENERATED ALWAYS AS IDENTITY (a restore must override it)
CREATE TABLE identity_items (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label text
)
-- ;;
INSERT INTO identity_items (label) VALUES ('first'), (NULL), ('third')
-- ;;
-- a deleted row: the identity sequence (3) is past max(id) (2)
DELETE FROM identity_items WHERE id = 3
-- ;;

-- case: serial-sequence-ahead: serial_items_id_seq is at 500 while max(id) is 3
CREATE TABLE serial_items (
    id serial PRIMARY KEY,
    label text
)
-- ;;
INSERT INTO serial_items (id, label) VALUES (1, 'a'), (2, NULL), (3, 'c')
-- ;;
SELECT setval('serial_items_id_seq', 500)
-- ;;

-- case: sequence-via-default-only: tickets.id defaults to nextval('ticket_seq'); the sequence is not OWNED BY the column
CREATE SEQUENCE ticket_seq START 100
-- ;;
CREATE TABLE tickets (
    id bigint PRIMARY KEY DEFAULT nextval('ticket_seq'),
    title text
)
-- ;;
INSERT INTO tickets (title) VALUES ('first'), ('second'), (NULL)
-- ;;

-- case: unused-sequence-and-empty-table: fresh_items has no rows and its fresh_seq was never called (is_called false)
CREATE SEQUENCE fresh_seq
-- ;;
CREATE TABLE fresh_items (
    id integer PRIMARY KEY DEFAULT nextval('fresh_seq'),
    label text
)
-- ;;

-- case: partitioned-table: measurements is range-partitioned by taken_on with rows in two partitions
CREATE TABLE measurements (
    id integer NOT NULL,
    taken_on date NOT NULL,
    value double precision,
    PRIMARY KEY (id, taken_on)
) PARTITION BY RANGE (taken_on)
-- ;;
CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')
-- ;;
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
-- ;;
INSERT INTO measurements (id, taken_on, value) VALUES
    (1, '2023-06-01', 1.5), (2, '2023-12-31', NULL), (3, '2024-01-01', -2.25), (4, '2024-07-14', 1e-300),
    (5, '2024-12-31', NULL)
-- ;;

-- case: enum-and-domain: mood is an enum, positive_int a domain with a CHECK; both used by type_matrix
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'Très content')
-- ;;
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0)
-- ;;

-- case: type-matrix: one column per PostgreSQL type the engine must carry exactly; rows of ordinary, edge and NULL values
CREATE TABLE type_matrix (
    id integer PRIMARY KEY,
    mood mood,
    qty positive_int,
    tags text[],
    nums integer[],
    doc jsonb,
    raw_doc json,
    uid uuid,
    amount numeric(12, 4),
    big numeric,
    bin bytea,
    at_tz timestamptz,
    at_local timestamp,
    day date,
    clock time,
    span interval,
    addr inet,
    net cidr,
    words tsvector,
    f8 double precision,
    f4 real,
    flag boolean,
    code char(3),
    short varchar(10),
    small smallint,
    large bigint
)
-- ;;
-- row 1: ordinary values
INSERT INTO type_matrix VALUES (
    1, 'happy', 42, '{alpha,beta}', '{1,2,3}', '{"b": 1, "a": [1, 2, {"c": null}]}', '{"a": 1}',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 1234.5678, 3.14159, '\x0102', '2024-02-29 12:34:56.123456+05:30',
    '2024-02-29 12:34:56.123456', '2024-02-29', '23:59:59.999999', '1 year 2 months 3 days 04:05:06.789012',
    '192.168.0.1/24', '10.0.0.0/8', 'a fat cat sat on a mat', 1.1, 1.1, true, 'ab', 'short', 1, 1
)
-- ;;
-- row 2: edges: NULL array elements, json with duplicate keys and odd whitespace, huge/tiny/NaN numerics, zero bytes
INSERT INTO type_matrix VALUES (
    2, 'Très content', 2147483647, '{NULL,"with, comma","quo\"te","",NULL}', '{NULL,-1,NULL}',
    '{"unicode": "\u00e9 🍣", "n": 1e400, "deep": {"x": [true, false, null]}}', '{"a": 1,   "a": 2, "nul": "\u0000",
  "nested" : { } }',
    '00000000-0000-0000-0000-000000000000', 99999999.9999,
    '123456789012345678901234567890.123456789012345678901234567890', '\x00ff0000', '0001-01-01 00:00:00+00',
    '1970-01-01 00:00:00', '0001-01-01', '00:00:00', '-1 mons +2 days -00:00:00.000001', '::1', '2001:db8::/32',
    'fat:2A cat:3B,5 ''quoted word'':1', 'NaN', 'NaN', false, 'xyz', '', -32768, -9223372036854775808
)
-- ;;
-- row 3: more edges: empty arrays, tiny numerics, infinities, extreme integers
INSERT INTO type_matrix VALUES (
    3, 'sad', 1, '{}', '{}', '[]', '""', 'ffffffff-ffff-ffff-ffff-ffffffffffff', -0.0001,
    '0.000000000000000000000000000001', '\x', '2262-04-11 23:47:16.854775+00', '2262-04-11 23:47:16.854775',
    '9999-12-31', '00:00:00.000001', '1000 years', '255.255.255.255/32', '0.0.0.0/0', '', 'Infinity', '-Infinity',
    NULL, '   ', '0123456789', 32767, 9223372036854775807
)
-- ;;
-- row 4: negative zero, unconstrained numeric NaN, interval made only of microseconds
INSERT INTO type_matrix VALUES (
    4, 'ok', 7, '{"{braces}","back\\slash"}', '{0}', 'null', 'null', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 0,
    'NaN', '\x5c00', '2000-01-01 00:00:00-08', '2000-01-01 00:00:00', '2000-01-01', '12:00:00', '00:00:00.000001',
    '10.1.2.3', '10.1.2.0/24', 'é', '-0', '-0', true, 'é', 'é', 0, 0
)
-- ;;
-- row 5: NULL in every nullable column
INSERT INTO type_matrix (id) VALUES (5)
-- ;;

-- case: second-schema: billing.invoices references public.orders across schemas and has its own serial
CREATE SCHEMA billing
-- ;;
CREATE TABLE billing.invoices (
    id serial PRIMARY KEY,
    order_id integer NOT NULL REFERENCES public.orders (id),
    total numeric(12, 2),
    issued_on date
)
-- ;;
INSERT INTO billing.invoices (order_id, total, issued_on) VALUES (1, 29.97, '2024-01-03'), (2, NULL, NULL)
-- ;;

-- case: generated-column: boxes.volume is GENERATED ALWAYS AS (...) STORED; a restore must not write it
CREATE TABLE boxes (
    id integer PRIMARY KEY,
    width integer NOT NULL,
    height integer NOT NULL,
    volume integer GENERATED ALWAYS AS (width * height) STORED
)
-- ;;
INSERT INTO boxes (id, width, height) VALUES (1, 2, 3), (2, 0, 5)
-- ;;

-- case: index-objects: a plain and an expression index that must survive a restore
CREATE INDEX employees_by_department ON employees (department_id)
-- ;;
CREATE INDEX categories_lower_name ON categories (lower(name))
-- ;;
