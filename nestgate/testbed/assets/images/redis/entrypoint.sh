#!/bin/sh
# The password goes into a config file on the tmpfs, not on redis-server's command line.
set -eu
umask 077
{
    printf 'requirepass %s\n' "$(cat /run/secrets/redis_password)"
    cat <<CONF
bind 0.0.0.0
port 6379
protected-mode no
save ""
appendonly no
dir /tmp
maxmemory 48mb
maxmemory-policy allkeys-lru
CONF
} > /tmp/redis.conf
exec redis-server /tmp/redis.conf
