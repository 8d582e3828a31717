#!/usr/bin/env bash
# Check the data in data/ and print this year's points table.
# (The static bulletin site builds from here once the bulletin lands.)
source "$(dirname "$0")/scripts/bootstrap.sh"
jifen validate --data data
year="$(date +%Y)"
jifen score --data data --year "$year" "$@"
