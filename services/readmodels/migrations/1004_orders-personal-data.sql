-- Up Migration

-- An order's customer email and shipping address (docs/privacy.md), kept as the
-- events carry them: sealed with the customer's key. Queries open them for the
-- caller; once the customer is forgotten they read null, and no read model ever
-- held them in the clear.
ALTER TABLE readmodels.orders ADD COLUMN customer_email text, ADD COLUMN shipping_address text;

-- Down Migration
ALTER TABLE readmodels.orders DROP COLUMN customer_email, DROP COLUMN shipping_address;
