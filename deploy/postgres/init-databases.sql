-- One database per service (docker-compose); deploy/postgres/start.sh does the same natively.
CREATE DATABASE rules;
CREATE DATABASE ledger;
CREATE DATABASE notifications;
