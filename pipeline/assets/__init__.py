"""Dagster assets, one module per layer: raw landing, dbt models, publication."""
