"""The snapshot engine: reflect, dump to Parquet, verify, restore."""
