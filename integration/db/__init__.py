"""Storage: the engine and session helpers (database.py), the models and the migrations. Imports nothing of ours."""
