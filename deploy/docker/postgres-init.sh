#!/bin/sh
# Run once by the postgres image on an empty data volume: one database and one role each for
# the tracker store (rasa) and the case backend (casebackend), passwords from the environment.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v tracker_password="$TRACKER_DB_PASSWORD" \
     -v casebackend_password="$CASEBACKEND_DB_PASSWORD" <<'SQL'
CREATE ROLE rasa LOGIN PASSWORD :'tracker_password';
CREATE DATABASE tracker OWNER rasa;
CREATE ROLE casebackend LOGIN PASSWORD :'casebackend_password';
CREATE DATABASE casebackend OWNER casebackend;
SQL
