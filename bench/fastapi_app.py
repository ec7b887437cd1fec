"""bench/fastapi_app.py — the FastAPI side of bench/api: a minimal app that answers the same two
URLs as `aps api` with the same bytes (read once at start from the files named by
APS_BENCH_HEALTH and APS_BENCH_PREDICTIONS), so the comparison measures the servers, not the
work. Run: python3 -m uvicorn fastapi_app:app --workers 2 (from bench/)."""
import os

from fastapi import FastAPI, Response

with open(os.environ["APS_BENCH_HEALTH"], "rb") as f:
    HEALTH = f.read()
with open(os.environ["APS_BENCH_PREDICTIONS"], "rb") as f:
    PREDICTIONS = f.read()

app = FastAPI()


@app.get("/api/v1/health")
def health() -> Response:
    return Response(content=HEALTH, media_type="application/json")


@app.get("/api/v1/predictions")
def predictions() -> Response:
    return Response(content=PREDICTIONS, media_type="application/json")
