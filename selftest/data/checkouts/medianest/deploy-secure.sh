#!/usr/bin/env bash
# MediaNest-shaped deploy script (nestgate fixture): names the production compose file.
set -euo pipefail
docker compose -f docker-compose.hardened.yml -p medianest-secure build --no-cache
docker compose -f docker-compose.hardened.yml -p medianest-secure up -d
