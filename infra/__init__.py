"""The pipeline's components: one module per concern."""
