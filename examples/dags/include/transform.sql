-- mapping_elt: replace the day's rows of elt_orders and elt_region_totals with what the loads put in the
-- day's landing table, then drop it. One transaction: a failed transform changes nothing.
CREATE TABLE IF NOT EXISTS elt_orders (
    ds DATE NOT NULL,
    order_id INTEGER NOT NULL,
    customer VARCHAR(100) NOT NULL,
    region VARCHAR(20) NOT NULL,
    amount NUMERIC(12, 2) NOT NULL
);
CREATE TABLE IF NOT EXISTS elt_region_totals (
    ds DATE NOT NULL,
    region VARCHAR(20) NOT NULL,
    orders INTEGER NOT NULL,
    amount NUMERIC(14, 2) NOT NULL
);

DELETE FROM elt_orders WHERE ds = DATE '{{ ds }}';
INSERT INTO elt_orders (ds, order_id, customer, region, amount)
SELECT DATE '{{ ds }}', order_id, customer, region, amount
FROM elt_landing_{{ ds_nodash }};

DELETE FROM elt_region_totals WHERE ds = DATE '{{ ds }}';
INSERT INTO elt_region_totals (ds, region, orders, amount)
SELECT DATE '{{ ds }}', region, COUNT(*), SUM(amount)
FROM elt_landing_{{ ds_nodash }}
GROUP BY region;

DROP TABLE elt_landing_{{ ds_nodash }};

-- The task's XCom: the day's totals by region.
SELECT region, orders, amount FROM elt_region_totals WHERE ds = DATE '{{ ds }}' ORDER BY region;
