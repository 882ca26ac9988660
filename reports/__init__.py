"""Reports: figures and the HTML report of a study (not built yet; see DESIGN.md)."""
