-- Exchange rates remember the base currency they were given against, so changing the
-- company currency never applies old rates to the new base (they come back if it is set back).

CREATE TABLE fx_rate_new (
    base     TEXT NOT NULL,
    currency TEXT NOT NULL,
    on_date  TEXT NOT NULL,
    rate     TEXT NOT NULL,
    batch_id INTEGER REFERENCES import_batch(id),
    PRIMARY KEY (base, currency, on_date)
) WITHOUT ROWID;
INSERT INTO fx_rate_new (base, currency, on_date, rate, batch_id)
    SELECT (SELECT value FROM setting WHERE key = 'company.currency'), currency, on_date, rate, batch_id
    FROM fx_rate WHERE (SELECT value FROM setting WHERE key = 'company.currency') IS NOT NULL;
DROP TABLE fx_rate;
ALTER TABLE fx_rate_new RENAME TO fx_rate;
