-- MediaNest-shaped init (nestgate fixture)
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
