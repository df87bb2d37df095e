-- Make-to-stock demand from the forecast, and sales' forecast overriding the statistical one.
-- forecast_quantity: the part of a planned production order's quantity that serves forecast
-- demand not yet consumed by open orders (`plan explain` shows it); 0 for make-to-order.
-- override: 1 when sales' figure replaces the statistical one for that SKU and period
-- (the consensus is then sales' figure), 0 when it is blended by forecast.sales_weight.
ALTER TABLE production_order ADD COLUMN forecast_quantity REAL NOT NULL DEFAULT 0;
ALTER TABLE sales_forecast ADD COLUMN override INTEGER NOT NULL DEFAULT 0 CHECK (override IN (0, 1));
