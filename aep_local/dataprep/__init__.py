"""Data Prep: versioned mapping sets (`routes` in front of the model), and the mapper that applies
one to rows (preview, and every run of a flow that names it)."""
