#!/bin/sh
# MediaNest-shaped backup script (nestgate fixture)
echo backup
