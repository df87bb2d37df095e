-- Exchange rates, and a full-text index of buyers' names for order search.

-- One rate per base currency, currency and day: base-currency units for one unit of
-- `currency`, kept as the decimal text it was given in (money is never a float; the rate is
-- applied with Decimal). Rates remember their base, so changing the company currency never
-- applies old rates to the new base (they apply again if it is set back).
CREATE TABLE fx_rate (
    base     TEXT NOT NULL,
    currency TEXT NOT NULL,
    on_date  TEXT NOT NULL,
    rate     TEXT NOT NULL,
    batch_id INTEGER REFERENCES import_batch(id),
    PRIMARY KEY (base, currency, on_date)
) WITHOUT ROWID;

-- Words of party names (Latin names by word and prefix; a Chinese name is one word, found by
-- its surname as a prefix). External content: the text lives in `party` only, so redacting a
-- party's name removes it from search through the triggers below.
CREATE VIRTUAL TABLE party_name_search USING fts5(
    name, content = 'party', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
);
CREATE TRIGGER party_search_insert AFTER INSERT ON party WHEN new.name IS NOT NULL BEGIN
    INSERT INTO party_name_search (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER party_search_delete AFTER DELETE ON party WHEN old.name IS NOT NULL BEGIN
    INSERT INTO party_name_search (party_name_search, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER party_search_forget AFTER UPDATE OF name ON party WHEN old.name IS NOT NULL BEGIN
    INSERT INTO party_name_search (party_name_search, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER party_search_learn AFTER UPDATE OF name ON party WHEN new.name IS NOT NULL BEGIN
    INSERT INTO party_name_search (rowid, name) VALUES (new.id, new.name);
END;
INSERT INTO party_name_search (party_name_search) VALUES ('rebuild');

-- Orders by buyer (a party without a customer: no email or phone to match on).
CREATE INDEX sales_order_party ON sales_order(party_id);
