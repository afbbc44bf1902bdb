#!/bin/sh
# Healthy = accepting connections on the socket (no credentials needed).
exec pg_isready -q -h /run/postgresql -U postgres
