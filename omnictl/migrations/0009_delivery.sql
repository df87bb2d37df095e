-- Delivery to the customer, for on-time delivery KPIs: when the channel says the order
-- arrived (UTC instant, or a date when the source has a date only), beside its deliver-by.
-- The KPIs select shipped lines and delivered orders by these times: index them.

ALTER TABLE sales_order ADD COLUMN delivered_at TEXT;
CREATE INDEX sales_order_delivered ON sales_order(delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX order_line_shipped ON order_line(shipped_at) WHERE shipped_at IS NOT NULL;
-- Stock value day by day (turnover days in the KPI trend) reads the ledger by time.
CREATE INDEX stock_move_time ON stock_move(effective_at, kind, sku, quantity);
