#!/bin/sh
# Healthy = an authenticated PING answers PONG (REDISCLI_AUTH keeps the password off argv).
REDISCLI_AUTH="$(cat /run/secrets/redis_password)" redis-cli -h 127.0.0.1 ping | grep -q PONG
