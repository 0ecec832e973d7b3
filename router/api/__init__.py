"""HTTP resources, one module each; ``routes()`` gathers them for the app."""
