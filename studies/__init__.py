"""Studies: tasks x optimizers x seeds, the runner, the results store and the CLI (not built yet; see DESIGN.md)."""
