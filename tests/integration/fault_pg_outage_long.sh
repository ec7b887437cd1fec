#!/usr/bin/env bash
# Fault: PostgreSQL stopped for 90 s — fault_pg_outage.sh with a longer outage (labelled slow):
# longer than the workers' lease (10 s here), so jobs held through the outage outlive their
# leases and must still run exactly once.
FAULT_OUTAGE_SECONDS=90 exec bash "$(dirname "$0")/fault_pg_outage.sh"
