-- mapping_elt: an empty landing table for the day, which the mapped loads fill (one instance per file).
-- Dropped and created anew at every run of the day, so that a re-run never loads a file twice.
DROP TABLE IF EXISTS elt_landing_{{ ds_nodash }};
CREATE TABLE elt_landing_{{ ds_nodash }} (
    order_id INTEGER NOT NULL,
    customer VARCHAR(100) NOT NULL,
    region VARCHAR(20) NOT NULL,
    amount NUMERIC(12, 2) NOT NULL
);
