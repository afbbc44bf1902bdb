-- MediaNest-shaped tables (names from its Prisma schema) with a few rows each.
-- Run once at first start, as the application role, so the role owns everything it dumps.
-- amcheck (INF-09): trusted in this image, so the role owns the extension too (see the Dockerfile).
CREATE EXTENSION amcheck;
CREATE TABLE users (
    id            serial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    email         text NOT NULL,
    role          text NOT NULL DEFAULT 'USER',
    -- pbkdf2_sha256$iterations$salt$hash; the test account's hash is set by `testbed up`.
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);
CREATE TABLE media_requests (
    id           serial PRIMARY KEY,
    user_id      integer NOT NULL REFERENCES users(id),
    title        text NOT NULL,
    media_type   text NOT NULL,
    tmdb_id      integer,
    status       text NOT NULL DEFAULT 'pending',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE session_tokens (
    id          serial PRIMARY KEY,
    user_id     integer NOT NULL REFERENCES users(id),
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE TABLE service_config (
    id           serial PRIMARY KEY,
    service_name text NOT NULL UNIQUE,
    service_url  text NOT NULL,
    enabled      boolean NOT NULL DEFAULT true,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE service_status (
    id            serial PRIMARY KEY,
    service_name  text NOT NULL UNIQUE,
    status        text NOT NULL,
    response_time_ms integer,
    last_check_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE youtube_downloads (
    id          serial PRIMARY KEY,
    user_id     integer NOT NULL REFERENCES users(id),
    playlist_url text NOT NULL,
    status      text NOT NULL DEFAULT 'queued',
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO users (username, email, role) VALUES
    ('nestgate-test', 'nestgate-test@medianest.local', 'USER'),
    ('admin', 'admin@medianest.local', 'ADMIN'),
    ('alice', 'alice@medianest.local', 'USER'),
    ('bob', 'bob@medianest.local', 'USER');
INSERT INTO media_requests (user_id, title, media_type, tmdb_id, status) VALUES
    (1, 'The Expanse', 'tv', 63639, 'available'),
    (1, 'Arrival', 'movie', 329865, 'pending'),
    (3, 'Dune: Part Two', 'movie', 693134, 'approved'),
    (3, 'Severance', 'tv', 95396, 'pending'),
    (4, 'Blade Runner 2049', 'movie', 335984, 'available');
INSERT INTO service_config (service_name, service_url, enabled) VALUES
    ('plex', 'http://plex.medianest.local:32400', true),
    ('overseerr', 'http://overseerr.medianest.local:5055', true),
    ('uptime-kuma', 'http://uptime.medianest.local:3001', false);
INSERT INTO service_status (service_name, status, response_time_ms) VALUES
    ('plex', 'up', 42), ('overseerr', 'up', 87), ('uptime-kuma', 'unknown', NULL);
INSERT INTO youtube_downloads (user_id, playlist_url, status) VALUES
    (3, 'https://www.youtube.com/playlist?list=PL0000000000', 'completed');
