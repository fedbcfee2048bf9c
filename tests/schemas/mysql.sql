-- MySQL/MariaDB case schema. Statements are separated by "-- ;;" lines (no DELIMITER needed for trigger bodies);
-- each case starts with "-- case: <name>". Foreign-key checks are off for this session while the cycle loads.

SET FOREIGN_KEY_CHECKS = 0
-- ;;
SET time_zone = '+00:00'
-- ;;
SET sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'
-- ;;

-- case: fk-cycle-not-null: departments.manager_id -> employees, employees.department_id -> departments, both NOT NULL (loaded with FOREIGN_KEY_CHECKS=0)
CREATE TABLE departments (
    id INT PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    manager_id INT NOT NULL
) ENGINE = InnoDB
-- ;;
CREATE TABLE employees (
    id INT PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    department_id INT NOT NULL,
    nickname VARCHAR(50),
    CONSTRAINT employees_department_fk FOREIGN KEY (department_id) REFERENCES departments (id)
) ENGINE = InnoDB
-- ;;
ALTER TABLE departments ADD CONSTRAINT departments_manager_fk FOREIGN KEY (manager_id) REFERENCES employees (id)
-- ;;
INSERT INTO departments (id, name, manager_id) VALUES (1, 'Research', 10), (2, 'Sales', 11)
-- ;;
INSERT INTO employees (id, name, department_id, nickname) VALUES
    (10, 'Ada', 1, 'countess'), (11, 'Grace', 2, NULL), (12, 'Linus', 1, '')
-- ;;

-- case: self-reference: categories.parent_id -> categories, NULL at the roots, a child with a smaller id than its parent
CREATE TABLE categories (
    id INT PRIMARY KEY,
    parent_id INT,
    name VARCHAR(100) NOT NULL,
    CONSTRAINT categories_parent_fk FOREIGN KEY (parent_id) REFERENCES categories (id)
) ENGINE = InnoDB
-- ;;
INSERT INTO categories (id, parent_id, name) VALUES
    (1, 5, 'child listed before its parent'), (5, NULL, 'root'), (6, 5, 'second child'), (7, 1, 'grandchild'),
    (8, NULL, 'second root')
-- ;;

-- case: composite-pk-and-fk: order_lines (order_id, line_no) primary key, line_notes references it with both columns
CREATE TABLE orders (
    id INT PRIMARY KEY,
    placed_at DATETIME(6) NOT NULL
) ENGINE = InnoDB
-- ;;
CREATE TABLE order_lines (
    order_id INT NOT NULL,
    line_no INT NOT NULL,
    quantity INT NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_lines_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE = InnoDB
-- ;;
CREATE TABLE line_notes (
    id INT PRIMARY KEY,
    order_id INT NOT NULL,
    line_no INT,
    note TEXT,
    CONSTRAINT line_notes_line_fk FOREIGN KEY (order_id, line_no) REFERENCES order_lines (order_id, line_no)
) ENGINE = InnoDB
-- ;;
INSERT INTO orders (id, placed_at) VALUES (1, '2024-01-02 03:04:05'), (2, '2024-02-29 23:59:59.999999')
-- ;;
INSERT INTO order_lines (order_id, line_no, quantity) VALUES (1, 1, 3), (1, 2, 1), (2, 1, 7)
-- ;;
-- a note with a NULL line_no is not checked against order_lines (MATCH SIMPLE)
INSERT INTO line_notes (id, order_id, line_no, note) VALUES (1, 1, 2, 'fragile'), (2, 2, 1, NULL), (3, 2, NULL, 'whole order')
-- ;;

-- case: triggers-must-not-fire: products stamps last_update = NOW(6) and writes product_audit on insert/update
CREATE TABLE products (
    id INT PRIMARY KEY,
    name VARCHAR(100) NOT NULL UNIQUE,
    price DECIMAL(10, 2),
    last_update DATETIME(6) NOT NULL
) ENGINE = InnoDB
-- ;;
CREATE TABLE product_audit (
    id INT AUTO_INCREMENT PRIMARY KEY,
    product_id INT NOT NULL,
    action VARCHAR(10) NOT NULL,
    at DATETIME(6) NOT NULL,
    CONSTRAINT product_audit_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE = InnoDB
-- ;;
INSERT INTO products (id, name, price, last_update) VALUES
    (1, 'Widget', 9.99, '2001-02-03 04:05:06'), (2, 'Gadget', NULL, '2001-02-03 04:05:07')
-- ;;
INSERT INTO product_audit (product_id, action, at) VALUES (1, 'insert', '2001-02-03 04:05:06')
-- ;;
-- created after the data, so the stored timestamps are the fixed ones above; a restore that fires them changes rows
CREATE TRIGGER products_stamp_insert BEFORE INSERT ON products FOR EACH ROW SET NEW.last_update = NOW(6)
-- ;;
CREATE TRIGGER products_stamp_update BEFORE UPDATE ON products FOR EACH ROW SET NEW.last_update = NOW(6)
-- ;;
CREATE TRIGGER products_audit_insert AFTER INSERT ON products FOR EACH ROW
BEGIN
    INSERT INTO product_audit (product_id, action, at) VALUES (NEW.id, 'insert', NOW(6));
END
-- ;;

-- case: view-over-table: v_products is a view (listed as a schema object, its rows are not data)
CREATE VIEW v_products AS SELECT id, name, price FROM products WHERE price IS NOT NULL
-- ;;

-- case: non-ascii-and-mixed-case-identifiers: table `Café Ünits` with column `Prix €`, table `MixedCase` referencing it
CREATE TABLE `Café Ünits` (
    `Id` INT PRIMARY KEY,
    `Prix €` DECIMAL(8, 2),
    `UnitName` VARCHAR(100)
) ENGINE = InnoDB
-- ;;
CREATE TABLE `MixedCase` (
    `Id` INT PRIMARY KEY,
    `UnitId` INT,
    `CamelValue` VARCHAR(100),
    CONSTRAINT `MixedCase_unit_fk` FOREIGN KEY (`UnitId`) REFERENCES `Café Ünits` (`Id`)
) ENGINE = InnoDB
-- ;;
INSERT INTO `Café Ünits` (`Id`, `Prix €`, `UnitName`) VALUES (1, 2.50, 'Crème brûlée'), (2, NULL, NULL), (3, 0, '日本語 🍣')
-- ;;
INSERT INTO `MixedCase` (`Id`, `UnitId`, `CamelValue`) VALUES (1, 1, 'UPPER lower'), (2, NULL, NULL)
-- ;;

-- case: auto-increment-ahead: auto_items AUTO_INCREMENT is 1000 while max(id) is 3
CREATE TABLE auto_items (
    id INT AUTO_INCREMENT PRIMARY KEY,
    label VARCHAR(20)
) ENGINE = InnoDB
-- ;;
INSERT INTO auto_items (id, label) VALUES (1, 'a'), (2, NULL), (3, 'c')
-- ;;
ALTER TABLE auto_items AUTO_INCREMENT = 1000
-- ;;

-- case: empty-table: fresh_items has no rows and an untouched AUTO_INCREMENT
CREATE TABLE fresh_items (
    id INT AUTO_INCREMENT PRIMARY KEY,
    label VARCHAR(20)
) ENGINE = InnoDB
-- ;;

-- case: type-matrix: one column per MySQL/MariaDB type the engine must carry exactly; rows of ordinary, edge and NULL values
CREATE TABLE type_matrix (
    id INT AUTO_INCREMENT PRIMARY KEY,
    size ENUM('small', 'medium', 'large', 'très grand'),
    colours SET('red', 'green', 'blue'),
    vintage YEAR,
    bits8 BIT(8),
    bit1 BIT(1),
    huge BIGINT UNSIGNED,
    signed_big BIGINT,
    amount DECIMAL(20, 6),
    at_micro DATETIME(6),
    changed_at TIMESTAMP(6) NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    doc JSON,
    payload BLOB,
    tag VARBINARY(16),
    flag TINYINT(1),
    small_float FLOAT,
    wide_double DOUBLE,
    body TEXT,
    clock TIME(6),
    day DATE,
    fixed CHAR(3),
    tiny_signed TINYINT,
    tiny_unsigned TINYINT UNSIGNED
) ENGINE = InnoDB
-- ;;
-- row 1: ordinary values
INSERT INTO type_matrix VALUES (
    1, 'medium', 'red,blue', 2024, b'10100101', b'1', 42, 42, 1234.5, '2024-02-29 12:34:56.123456',
    '2024-02-29 12:34:56.123456', '{"b": 1, "a": [1, 2, {"c": null}]}', x'0102', x'0a0b', 1, 1.1, 1.1,
    'plain text', '12:34:56.5', '2024-02-29', 'ab', 1, 1
)
-- ;;
-- row 2: edges: unsigned max, zero bytes, emoji, extreme decimals and times, json with duplicate keys and whitespace
INSERT INTO type_matrix VALUES (
    2, 'très grand', '', 1901, b'00000000', b'0', 18446744073709551615, -9223372036854775808,
    99999999999999.999999, '1000-01-01 00:00:00.000001', '1970-01-01 00:00:01.000000',
    '{"a": 1,   "a": 2,\n  "emoji": "🍣", "nested" : { } }', x'00ff0000', x'00', 0, -3.4028234e38, 0.30000000000000004,
    'emoji 🍣 and NUL-free ünïcödé', '-838:59:59.000000', '1000-01-01', 'é', -128, 255
)
-- ;;
-- row 3: more edges: empty SET/BLOB, max years and datetimes, negative zero and tiny doubles
INSERT INTO type_matrix VALUES (
    3, 'small', 'red,green,blue', 2155, b'11111111', b'1', 0, 9223372036854775807,
    -0.000001, '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '[]', x'', x'', 127,
    1.17549435e-38, -0.0, '', '838:59:59.000000', '9999-12-31', '', 127, 0
)
-- ;;
-- row 4: NULL in every nullable column (changed_at is explicitly NULL, not defaulted)
INSERT INTO type_matrix (id, changed_at) VALUES (4, NULL)
-- ;;

-- case: generated-column: boxes.volume is GENERATED ALWAYS AS (...) STORED; a restore must not write it
CREATE TABLE boxes (
    id INT PRIMARY KEY,
    width INT NOT NULL,
    height INT NOT NULL,
    volume INT GENERATED ALWAYS AS (width * height) STORED
) ENGINE = InnoDB
-- ;;
INSERT INTO boxes (id, width, height) VALUES (1, 2, 3), (2, 0, 5)
-- ;;

-- case: index-objects: a plain and a composite index that must survive a restore
CREATE INDEX employees_by_department_name ON employees (department_id, name)
-- ;;
CREATE INDEX categories_by_name ON categories (name)
-- ;;
SET FOREIGN_KEY_CHECKS = 1
-- ;;
