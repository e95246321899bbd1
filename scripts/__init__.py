"""Project set-up helpers run by `make` (e.g. installing the headless browser the console tests drive)."""
